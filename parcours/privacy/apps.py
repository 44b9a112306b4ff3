from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "parcours.privacy"
    label = "privacy"
    verbose_name = "Données personnelles : conservation, droits des personnes, sauvegardes"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from parcours.cases.events import register_event_titles
        from parcours.privacy import actions

        register_event_titles(
            {
                actions.EVENT_ARCHIVED: _("Dossier archivé (durée de conservation)"),
                actions.EVENT_ANONYMISED: _("Dossier anonymisé"),
                actions.EVENT_REQUEST_RECORDED: _("Demande d'exercice de droits enregistrée"),
                actions.EVENT_REQUEST_FULFILLED: _("Demande d'exercice de droits satisfaite"),
                actions.EVENT_REQUEST_REFUSED: _("Demande d'exercice de droits refusée"),
            }
        )
