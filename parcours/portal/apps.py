from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "parcours.portal"
    label = "portal"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from parcours.cases.events import register_event_titles
        from parcours.intake.actions import register_portal_inviter
        from parcours.portal.actions import EVENT_ACCOUNT_CLOSED, EVENT_ACCOUNT_INVITED, invite_person

        register_event_titles(
            {
                EVENT_ACCOUNT_INVITED: _("Espace personnel ouvert"),
                EVENT_ACCOUNT_CLOSED: _("Espace personnel fermé"),
            }
        )
        register_portal_inviter(invite_person)
