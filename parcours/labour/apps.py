from django.apps import AppConfig


class LabourConfig(AppConfig):
    name = "parcours.labour"
    label = "labour"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from parcours.cases.events import register_event_titles

        register_event_titles(
            {
                "career_project.started": _("Projet professionnel ouvert"),
                "career_project.skills_updated": _("Compétences du projet mises à jour"),
                "career_project.target_added": _("Métier cible ajouté"),
                "career_project.target_decided": _("Métier cible : décision"),
                "career_project.target_removed": _("Métier cible retiré"),
                "career_project.placement_planned": _("Immersion professionnelle prévue"),
                "career_project.placement_assessed": _("Immersion professionnelle évaluée"),
            }
        )
