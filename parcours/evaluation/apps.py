from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "parcours.evaluation"
    label = "evaluation"
