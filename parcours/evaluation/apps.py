from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "parcours.evaluation"
    label = "evaluation"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from parcours.cases.events import register_event_titles

        register_event_titles({"experiment_assigned": _("Affectation à une expérimentation")})
