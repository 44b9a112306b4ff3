from django.apps import AppConfig


class DiagnosisConfig(AppConfig):
    name = "parcours.diagnosis"
    label = "diagnosis"
    verbose_name = "Diagnostic, orientation et plan d'action"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from parcours.cases.events import register_event_titles
        from parcours.diagnosis import actions

        register_event_titles(
            {
                actions.EVENT_DIAGNOSIS_STARTED: _("Diagnostic commencé"),
                actions.EVENT_ANSWERS_SAVED: _("Réponses au diagnostic enregistrées"),
                actions.EVENT_DIAGNOSIS_COMPLETED: _("Diagnostic terminé"),
                actions.EVENT_BARRIER_RECORDED: _("Frein périphérique enregistré"),
                actions.EVENT_SKILL_ADDED: _("Compétence ajoutée"),
                actions.EVENT_DIGITAL_AUTONOMY_SET: _("Autonomie numérique évaluée"),
                actions.EVENT_INVITATION_CREATED: _("Lien d'autodiagnostic envoyé"),
                actions.EVENT_ACTION_ADDED: _("Action ajoutée au plan"),
                actions.EVENT_ACTION_UPDATED: _("Action du plan mise à jour"),
                actions.EVENT_ORIENTATION_DECIDED: _("Orientation décidée"),
            }
        )
