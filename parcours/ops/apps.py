from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running Parcours in production: the server command, health checks, request logs and
    the read-replica router, the labels of coded fields (the monthly partitions of the audit tables are parcours.cases.partitions)."""

    name = "parcours.ops"
    label = "ops"

    def ready(self):
        from parcours.ops import choices

        choices.install()
