from django.apps import AppConfig


class ProfilingConfig(AppConfig):
    name = "parcours.profiling"
    label = "profiling"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from parcours.cases.events import register_event_titles

        register_event_titles({"profiling_override": _("Profil revu par le conseiller·ère")})
