from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "parcours.catalogue"
    label = "catalogue"
    verbose_name = _("Catalogue de services et orientations")

    def ready(self):
        from django.utils.text import format_lazy

        from parcours.cases.events import register_event_titles
        from parcours.catalogue.models import ReferralStatus, WorkshopRegistration

        titles = {
            f"referral_{status.value}": format_lazy(_("Orientation : {status}"), status=status.label)
            for status in ReferralStatus
        }
        titles.update(
            {
                f"workshop_{status.value}": format_lazy(_("Atelier : {status}"), status=status.label)
                for status in WorkshopRegistration.Status
            }
        )
        titles["workshop_promoted"] = _("Atelier : place obtenue depuis la liste d'attente")
        register_event_titles(titles)
