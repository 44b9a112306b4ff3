"""Private settings to run the labour tests before the lead wires parcours.labour's URLs and API
router into config/ (run with --ds=tests.labour.settings_labour). The final tests do not need it."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "tests.labour.urls_labour"

# A test database of our own: other suites run at the same time on the shared one.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test_labour.sqlite3")}  # noqa: F405
