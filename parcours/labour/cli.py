"""Registry of the ``parcours labour <verb>`` subcommands.

The ``labour`` management command (parcours/labour/management/commands/labour.py) builds one
argparse sub-parser per entry of :data:`SUBCOMMANDS`. Other apps add verbs without touching that
file: put a module named ``labour_commands.py`` in the app (it is imported for every installed app,
like ``admin.py``) and register there::

    # parcours/market/labour_commands.py
    from parcours.labour.cli import register

    def add_arguments(parser):
        parser.add_argument("file")
        parser.add_argument("--json", action="store_true")

    @register("import-offers", help="import job offers", add_arguments=add_arguments)
    def import_offers(command, options):
        ...  # command.stdout / command.stderr; raise CommandError(msg, returncode=2) on bad input

``handle(command, options)`` receives the running BaseCommand and the parsed options dict.
"""

from __future__ import annotations

from argparse import ArgumentParser
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Subcommand:
    name: str
    help: str
    add_arguments: Callable[[ArgumentParser], None]
    handle: Callable[[Any, dict[str, Any]], None]


SUBCOMMANDS: dict[str, Subcommand] = {}


def _no_arguments(parser: ArgumentParser) -> None:
    return None


def register(name: str, *, help: str, add_arguments: Callable[[ArgumentParser], None] | None = None):
    """Decorator registering ``handle(command, options)`` as ``parcours labour <name>``."""

    def decorator(handle):
        if name in SUBCOMMANDS and SUBCOMMANDS[name].handle is not handle:
            raise ValueError(f"labour subcommand {name!r} is already registered")
        SUBCOMMANDS[name] = Subcommand(name, help, add_arguments or _no_arguments, handle)
        return handle

    return decorator


def discover() -> dict[str, Subcommand]:
    """Import this app's own verbs and every installed app's ``labour_commands`` module."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("labour_commands")
    return SUBCOMMANDS
