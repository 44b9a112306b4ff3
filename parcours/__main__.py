"""The ``parcours`` command: a thin wrapper around Django's manage.py.

``parcours runserver``, ``parcours migrate``, ``parcours demo`` and the area commands
(``parcours profiling evaluate``, ``parcours labour normalise``, ``parcours evaluation estimate``)
all go through here, so every CLI of the project lives under one name.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["parcours", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
