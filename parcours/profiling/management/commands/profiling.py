"""``parcours profiling train|evaluate``: fit, compare and audit a profiling model on a CSV file.

All the work is in :mod:`parcours.stats.profiling.cli` (Django-free); this command only maps it
onto Django's ``BaseCommand``: JSON or a summary on stdout, progress on stderr, bad input to
``CommandError`` with exit code 2.
"""

from django.core.management.base import BaseCommand, CommandError

from parcours.stats.errors import BadInputError
from parcours.stats.profiling import cli


class Command(BaseCommand):
    help = "Statistical profiling (decision support): train a model or evaluate it on a CSV file."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        cli.add_train_arguments(sub.add_parser("train", help="fit, compare, audit and save to --out"))
        cli.add_evaluate_arguments(sub.add_parser("evaluate", help="fit and print held-out metrics"))

    def handle(self, *args, **options):
        run = cli.run_train if options["action"] == "train" else cli.run_evaluate
        remove_log = cli.log_to_stderr() if options.get("verbosity", 1) >= 1 else (lambda: None)
        try:
            result = run(options)
        except BadInputError as exc:
            raise CommandError(str(exc), returncode=cli.EXIT_BAD_INPUT) from exc
        finally:
            remove_log()
        self.stdout.write(cli.dumps(result) if options["json"] else cli.human_summary(result))
