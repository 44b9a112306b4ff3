"""``parcours obligations run-deadlines``: the sanction procedures' periodic job (daily, from the
scheduler). Marks the notices whose deadline for observations passed without any (the referent is
told the decision may be taken) and the decisions whose appeal window closed. Idempotent."""

from parcours.cli import AreaCommand, iso_date
from parcours.obligations import actions


class Command(AreaCommand):
    help = "Obligations and sanction procedures."

    def add_verbs(self):
        run = self.verb("run-deadlines", "act on the procedures' deadlines (observations, appeal)", json=True)
        run.add_argument("--today", type=iso_date, help="run as of this date (YYYY-MM-DD; default today)")

    def verb_run_deadlines(self, options):
        return actions.run_deadlines(today=options["today"])
