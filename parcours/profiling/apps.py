from django.apps import AppConfig


class ProfilingConfig(AppConfig):
    name = "parcours.profiling"
    label = "profiling"
