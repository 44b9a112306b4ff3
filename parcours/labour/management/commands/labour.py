"""``parcours labour <verb>``: occupation referentials and job-title normalisation.

Verbs come from the registry in parcours/labour/cli.py: this app registers import-rome,
import-esco and normalise (parcours/labour/labour_commands.py); other apps register theirs in
their own ``labour_commands.py`` (see the cli module docstring).
"""

from django.core.management.base import BaseCommand

from parcours.labour.cli import discover


class Command(BaseCommand):
    help = "Labour-market referentials: ROME/ESCO imports, job-title normalisation (and verbs of other apps)."

    def add_arguments(self, parser):
        subcommands = discover()
        names = sorted(subcommands)
        verbs = parser.add_subparsers(dest="verb", required=True, metavar="{" + ",".join(names) + "}")
        for name in names:
            sub = subcommands[name]
            sub.add_arguments(verbs.add_parser(name, help=sub.help, description=sub.help))

    def handle(self, *args, **options):
        discover()[options["verb"]].handle(self, options)
