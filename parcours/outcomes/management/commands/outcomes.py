"""``parcours outcomes run-checkins``: the post-hire check-ins' periodic job (run daily by the
worker's scheduler). Sends the one-time link of each check-in that came due, reminds those still
unanswered 14 days after, marks unknown those unanswered 30 days after. Idempotent."""

from parcours.cli import AreaCommand, iso_date
from parcours.outcomes import actions


class Command(AreaCommand):
    help = "Employment outcomes and post-hire check-ins."

    def add_verbs(self):
        run = self.verb("run-checkins", "send, remind and expire the check-ins that came due", json=True)
        run.add_argument("--today", type=iso_date, help="run as of this date (YYYY-MM-DD; default today)")

    def verb_run_checkins(self, options):
        return actions.run_due_checkins(today=options["today"])
