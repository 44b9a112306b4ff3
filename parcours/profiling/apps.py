from django.apps import AppConfig


class ProfilingConfig(AppConfig):
    name = "parcours.profiling"
    label = "profiling"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from parcours.cases.events import register_event_titles
        from parcours.diagnosis.actions import register_on_completed
        from parcours.diagnosis.orientation import register_score_band_provider
        from parcours.profiling.scores import score_band_for_episode
        from parcours.profiling.tasks import request_score

        register_event_titles({"profiling_override": _("Profil revu par le conseiller·ère")})
        # A completed diagnosis brings new features: score again; the orientation rules read the band.
        register_on_completed(request_score)
        register_score_band_provider(score_band_for_episode)
