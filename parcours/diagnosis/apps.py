from django.apps import AppConfig


class DiagnosisConfig(AppConfig):
    name = "parcours.diagnosis"
    label = "diagnosis"
    verbose_name = "Diagnostic, orientation et plan d'action"
