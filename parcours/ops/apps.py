from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running Parcours in production: the server command, health checks, request logs and
    the read-replica router (the monthly partitions of the audit tables are parcours.cases.partitions)."""

    name = "parcours.ops"
    label = "ops"
