from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "parcours.home"
    verbose_name = "Accueil et navigation"
