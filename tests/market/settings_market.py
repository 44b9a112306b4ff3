"""Private settings to run the market tests before the app is wired in config/ (not used once the
lead adds `parcours.market` to INSTALLED_APPS and its URLs and router)."""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "parcours.market"]
ROOT_URLCONF = "tests.market.urls_market"
