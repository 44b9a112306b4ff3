from django.apps import AppConfig


class ObligationsConfig(AppConfig):
    name = "parcours.obligations"
    label = "obligations"
    verbose_name = "Engagements et procédure de sanction"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from parcours.cases.events import register_event_titles
        from parcours.obligations import actions

        register_event_titles(
            {
                actions.EVENT_OBLIGATIONS_AGREED: _("Engagements convenus"),
                actions.EVENT_PROCEDURE_STEP: _("Procédure de sanction : nouvelle étape"),
                actions.EVENT_OBSERVATIONS_EXPIRED: _("Procédure de sanction : délai d'observations expiré"),
                actions.EVENT_DECISION_FINAL: _("Procédure de sanction : délai de recours écoulé"),
            }
        )
