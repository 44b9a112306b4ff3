# Private test settings (removed once the lead wires the URLs): config.settings + profiling URLs.
from config.settings import *  # noqa: F403

ROOT_URLCONF = "tests.profiling.urls_profiling"
