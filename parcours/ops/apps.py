from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running Parcours in production: the server command, health checks, request logs,
    the read-replica router and the partitions of the big tables."""

    name = "parcours.ops"
    label = "ops"
