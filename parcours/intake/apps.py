from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "parcours.intake"
    verbose_name = "Accueil d'une personne"
