"""The one way to write a ``parcours <area> <verb>`` command.

An area command is a Django management command named after the area (``market``, ``labour``...)
whose subclass of :class:`AreaCommand` declares its verbs in ``add_verbs`` and implements each
one as a method ``verb_<name>`` (dashes become underscores)::

    class Command(AreaCommand):
        help = "Labour market: offers imports, tension..."

        def add_verbs(self):
            verb = self.verb("compute-tension", "compute tension per occupation", json=True)
            verb.add_argument("--months", type=int, default=12)

        def verb_compute_tension(self, options):
            if options["months"] < 1:
                raise BadInput(f"--months must be >= 1, got {options['months']}")
            return {"cells": actions.compute_tension_values(months=options["months"])}

What the base gives every verb:

- ``--help`` (argparse) with the verb's help line;
- ``--json`` when declared with ``json=True``: the dict the verb returns is printed as exactly
  one JSON document on stdout; without it, as ``key=value`` words on one line (a verb that prints
  something else writes it itself and returns ``None``);
- ``--no-progress`` when declared with ``progress=True``; :meth:`AreaCommand.progress` is a tqdm
  bar on stderr (never stdout: the JSON must stay one document), off with --no-progress or -v 0;
- logs go to stderr while the command runs (the servers may log to stdout);
- bad input: the verb raises :class:`BadInput` (or the science core's ``BadInputError``) and the
  command exits 2 with a one-line message on stderr; argparse errors are one line too. An
  import's :class:`~parcours.stats.tabular.InvalidRows` prints its first 20 row problems and a
  count of the others before that line. Anything else is a bug: Django prints the traceback and
  exits 1.

Input files are read with :mod:`parcours.stats.tabular` (the one CSV/JSON reader: encoding,
delimiter, row width, truncation, field size, header only, file:line in every message).
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from parcours.stats.errors import BadInputError
from parcours.stats.tabular import problem_lines

EXIT_BAD_INPUT = 2


class BadInput(BadInputError):
    """The command's input cannot be used as given: exit 2 with this one-line message."""


def one_line(message: object) -> str:
    """Collapse a message onto a single line (an exception text may hold newlines)."""
    return " ".join(str(message).split())


def _logs_to_stderr():
    """Point the console log handlers at stderr while a command runs: stdout carries only the
    command's output (one JSON document with --json), whatever stream the servers log to.
    Returns the function that puts them back."""
    moved = [
        (handler, handler.stream)
        for handler in logging.getLogger().handlers
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler)
    ]
    # plain assignment: setStream() would flush the old stream, which may already be closed
    for handler, _ in moved:
        handler.stream = sys.stderr

    def restore() -> None:
        for handler, stream in moved:
            handler.stream = stream

    return restore


def iso_date(value: str) -> datetime.date:
    """argparse ``type=`` for a date option: YYYY-MM-DD, else exit 2 with one line."""
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from exc


class VerbParser(CommandParser):
    """argparse errors (unknown option, missing argument) on one line, exit 2."""

    def error(self, message):
        if self.called_from_command_line:
            self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {one_line(message)}\n")
        raise CommandError(f"Error: {one_line(message)}", returncode=EXIT_BAD_INPUT)


class AreaCommand(BaseCommand):
    """Base of the ``parcours <area> <verb>`` commands (see the module docstring)."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.__class__ = VerbParser  # Django builds a CommandParser; only error() differs
        return parser

    def add_arguments(self, parser):
        self._verbs = parser.add_subparsers(
            dest="verb", required=True, metavar="VERB", parser_class=VerbParser
        )
        self._verb_names: list[str] = []
        self.add_verbs()
        self._verbs.metavar = "{" + ",".join(self._verb_names) + "}"

    def add_verbs(self) -> None:
        raise NotImplementedError

    def verb(
        self, name: str, help: str, *, json: bool = False, progress: bool = False
    ) -> argparse.ArgumentParser:
        """Declare a verb; returns its parser for the verb's own arguments."""
        parser = self._verbs.add_parser(name, help=help, description=help)
        if json:
            parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
        if progress:
            parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
        self._verb_names.append(name)
        return parser

    def execute(self, *args, **options):
        restore = _logs_to_stderr()
        try:
            return super().execute(*args, **options)
        except BadInputError as exc:
            for line in problem_lines(getattr(exc, "problems", [])):
                self.stderr.write(line)
            raise CommandError(one_line(exc), returncode=EXIT_BAD_INPUT) from exc
        except CommandError as exc:
            if str(exc) == one_line(exc):
                raise
            raise CommandError(one_line(exc), returncode=exc.returncode) from exc
        finally:
            restore()

    def handle(self, *args, **options):
        self.options = options
        method = getattr(self, "verb_" + options["verb"].replace("-", "_"))
        result = method(options)
        if result is not None:
            self.emit(result)

    def emit(self, result: dict[str, Any]) -> None:
        """Print a verb's result: one JSON document with --json, ``key=value`` words otherwise."""
        if self.options.get("json"):
            self.stdout.write(json.dumps(result, ensure_ascii=False, default=str))
        else:
            self.stdout.write(" ".join(f"{key}={value}" for key, value in result.items()))

    def progress(self, *, total: int | None = None, desc: str = "", unit: str = "rows"):
        """A tqdm progress bar on stderr, off with --no-progress or --verbosity 0; it appears after
        half a second, so that a quick run or an early bad-input exit prints nothing but its line."""
        from tqdm import tqdm

        disabled = self.options.get("no_progress", False) or self.options.get("verbosity", 1) == 0
        stream = getattr(self.stderr, "_out", sys.stderr)
        return tqdm(total=total, desc=desc, unit=unit, file=stream, disable=disabled, delay=0.5)

    def warn_deprecated(self, message: str) -> None:
        self.stderr.write(f"deprecated: {message}")
