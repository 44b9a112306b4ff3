"""``parcours obligations run-deadlines``: the sanction procedures' periodic job (daily, from the
scheduler). Marks the notices whose deadline for observations passed without any (the referent is
told the decision may be taken) and the decisions whose appeal window closed. Idempotent."""

import datetime

from parcours.cli import AreaCommand, BadInput
from parcours.obligations import actions


class Command(AreaCommand):
    help = "Obligations and sanction procedures."

    def add_verbs(self):
        run = self.verb("run-deadlines", "act on the procedures' deadlines (observations, appeal)", json=True)
        run.add_argument("--today", help="run as of this date (YYYY-MM-DD; default today)")

    def verb_run_deadlines(self, options):
        today = None
        if options["today"]:
            try:
                today = datetime.date.fromisoformat(options["today"])
            except ValueError as exc:
                raise BadInput(f"--today must be a date YYYY-MM-DD, got {options['today']!r}") from exc
        return actions.run_deadlines(today=today)
