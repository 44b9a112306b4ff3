"""The ``parcours`` command: a thin wrapper around Django's manage.py.

``parcours runserver``, ``parcours migrate``, ``parcours demo`` and the area commands
(``parcours profiling evaluate``, ``parcours labour normalise``, ``parcours evaluation estimate``)
all go through here, so every CLI of the project lives under one name.
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
}


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if tuple(args[:2]) in OFFLINE_COMMANDS:
        os.environ.setdefault("PARCOURS_EPHEMERAL_SECRET_KEY", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["parcours", *args])


if __name__ == "__main__":
    main()
