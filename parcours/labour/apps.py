from django.apps import AppConfig


class LabourConfig(AppConfig):
    name = "parcours.labour"
    label = "labour"
