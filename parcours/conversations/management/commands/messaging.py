"""``parcours messaging send-due|remind-appointments|missed-appointments|lapses``: the periodic
jobs of the delivery layer and of outreach, run by the worker's scheduler.

- send-due (every few minutes): send queued messages whose time has come (after quiet hours, or a
  retry's backoff); one failure never stops the batch.
- remind-appointments (daily): reminders J-2 and J-1 (per organisation, OutreachSettings).
- missed-appointments (daily): alert the referent, offer the person a new slot.
- lapses (daily): nudge people whose contact is overdue, one digest per referent, escalation to
  the managers past the organisation's delay.
All are idempotent (dedupe keys): running one twice sends nothing new."""

from parcours.cli import AreaCommand, BadInput
from parcours.conversations import outreach
from parcours.messaging import actions


class Command(AreaCommand):
    help = "Messages to people: send what is due."

    def add_verbs(self):
        send = self.verb("send-due", "send queued messages whose time has come (retries included)", json=True)
        send.add_argument("--limit", type=int, default=500, help="at most this many messages (default 500)")

        self.verb("remind-appointments", "queue the appointment reminders due today (J-2, J-1...)", json=True)
        self.verb(
            "missed-appointments", "alert referents and write to people after a missed appointment", json=True
        )
        self.verb(
            "lapses",
            "nudge people whose contact lapsed, digest to referents, escalate to managers",
            json=True,
        )

    def verb_remind_appointments(self, options):
        return outreach.remind_appointments()

    def verb_missed_appointments(self, options):
        return outreach.follow_up_missed_appointments()

    def verb_lapses(self, options):
        return outreach.reach_out_on_lapses()

    def verb_send_due(self, options):
        if options["limit"] < 1:
            raise BadInput(f"--limit must be >= 1, got {options['limit']}")
        return actions.deliver_due(limit=options["limit"])
