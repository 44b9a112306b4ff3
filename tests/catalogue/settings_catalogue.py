"""Private settings to run the catalogue tests before the app is wired in config/ (not used once
the lead adds `parcours.catalogue` to INSTALLED_APPS and its URLs and router)."""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "parcours.catalogue"]
ROOT_URLCONF = "tests.catalogue.urls_catalogue"

# A test database of our own: other suites run at the same time on the shared one.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test_catalogue.sqlite3")}  # noqa: F405
