"""PRIVATE, temporary: config.settings plus the diagnosis app, until the lead wires it in
config/settings.py, config/urls.py and config/api.py. No test imports this module."""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "parcours.diagnosis"]
ROOT_URLCONF = "tests.diagnosis.urls_diagnosis"
