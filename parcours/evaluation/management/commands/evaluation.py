"""``parcours evaluation estimate|power|send-surveys|compute-indicators``.

`estimate` and `power` work on CSV files and numbers (no database); `send-surveys` and
`compute-indicators` are the platform's periodic jobs (see parcours/evaluation/platform_cli.py).

The logic lives in :mod:`parcours.stats.evaluation.cli` (Django-free); this command wires the
argparse sub-commands and maps bad input to exit code 2 with a one-line message.
"""

from django.core.management.base import BaseCommand, CommandError

from parcours.evaluation.platform_cli import PLATFORM_VERBS, add_platform_verbs, run_platform_verb
from parcours.stats.errors import BadInputError
from parcours.stats.evaluation import cli


class Command(BaseCommand):
    help = "Evaluate randomised experiments: `estimate` an impact from a CSV file, `power` of a design."

    def add_arguments(self, parser):
        verbs = parser.add_subparsers(
            dest="verb", required=True, metavar="{estimate,power,send-surveys,compute-indicators}"
        )
        estimate = verbs.add_parser(
            "estimate", help="ITT (or LATE with --instrument) with robust or clustered standard errors"
        )
        cli.add_estimate_arguments(estimate)
        power = verbs.add_parser("power", help="sample size, minimum detectable effect or power of a design")
        cli.add_power_arguments(power)
        add_platform_verbs(verbs)

    def handle(self, *args, **options):
        if options["verb"] in PLATFORM_VERBS:
            self.stdout.write(run_platform_verb(options["verb"], options))
            return
        try:
            output = cli.run(options["verb"], options)
        except BadInputError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(output)
