"""Private settings to run the evaluation page tests before the lead wires the URLs in config/
(not needed once config/urls.py includes parcours.evaluation.urls and transparency_urls)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "tests.evaluation.urls_evaluation"
