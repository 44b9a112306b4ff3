from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "parcours.outcomes"
    label = "outcomes"
    verbose_name = "Emploi retrouvé et suivi après l'embauche"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from parcours.cases.events import register_event_titles
        from parcours.outcomes import actions

        register_event_titles(
            {
                actions.EVENT_OUTCOME_RECORDED: _("Emploi enregistré"),
                actions.EVENT_CHECKIN_ANSWERED: _("Point de suivi après l'embauche"),
                actions.EVENT_CHECKIN_UNKNOWN: _("Point de suivi sans réponse"),
                actions.EVENT_CONTRACT_CHANGED: _("Contrat ou horaires modifiés chez le même employeur"),
            }
        )
