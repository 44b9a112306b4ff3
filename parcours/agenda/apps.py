from django.apps import AppConfig


class AgendaConfig(AppConfig):
    name = "parcours.agenda"
    label = "agenda"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from parcours.agenda.actions import EVENT_CONFIRMED, EVENT_SELF_BOOKED
        from parcours.cases.events import register_event_titles

        register_event_titles(
            {
                EVENT_SELF_BOOKED: _("Rendez-vous réservé par la personne"),
                EVENT_CONFIRMED: _("Rendez-vous confirmé par la personne"),
            }
        )
