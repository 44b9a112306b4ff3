"""The ``parcours`` command: a thin wrapper around Django's manage.py.

``parcours runserver``, ``parcours migrate``, ``parcours demo`` and the area commands
(``parcours profiling evaluate``, ``parcours labour normalise``, ``parcours evaluation estimate``…,
all built on :class:`parcours.cli.AreaCommand`) go through here, so every CLI of the project
lives under one name. A configuration error (no SECRET_KEY, a malformed variable) is one line on
stderr and exit code 2, not a traceback.
"""

import os
import sys

# Commands that only read files and print results: no secret is needed to run them.
OFFLINE_COMMANDS = {
    ("profiling", "evaluate"),
    ("profiling", "train"),
    ("evaluation", "estimate"),
    ("evaluation", "power"),
    ("labour", "normalise"),
    ("privacy", "generate-key"),
}
EXIT_BAD_CONFIGURATION = 2


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if tuple(args[:2]) in OFFLINE_COMMANDS:
        os.environ.setdefault("PARCOURS_EPHEMERAL_SECRET_KEY", "true")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 -- reads config/settings.py now, to report its errors
    except ImproperlyConfigured as exc:
        message = " ".join(str(exc).split())
        sys.stderr.write(f"parcours: configuration error: {message}\n")
        sys.exit(EXIT_BAD_CONFIGURATION)
    execute_from_command_line(["parcours", *args])


if __name__ == "__main__":
    main()
