"""Reminders and outreach jobs with a frozen clock: J-2/J-1 reminders (per organisation), missed
appointments, lapse nudges, the referent's daily digest and the escalation to managers. Each job
is idempotent."""

import datetime
import json
import zoneinfo
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from parcours.accounts.models import Role
from parcours.agenda.models import AppointmentLink
from parcours.cases import actions as case_actions
from parcours.conversations import outreach
from parcours.conversations.models import OutreachSettings
from parcours.messaging.models import OutboundMessage
from tests.accounts.factories import member
from tests.cases.factories import AppointmentFactory, EpisodeFactory
from tests.portal.factories import PersonAccountFactory

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
MORNING = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=PARIS)  # a Tuesday, outside quiet hours


@pytest.fixture
def clock():
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


def _kinds(**filters):
    return sorted(OutboundMessage.objects.filter(**filters).values_list("kind", flat=True))


def test_reminders_two_days_and_one_day_before(clock, episode):
    AppointmentFactory(episode=episode, scheduled_at=MORNING + datetime.timedelta(days=2, hours=5))
    AppointmentFactory(episode=episode, scheduled_at=MORNING + datetime.timedelta(days=3))
    assert outreach.remind_appointments() == {"reminders": 1}
    assert outreach.remind_appointments() == {"reminders": 0}  # idempotent
    reminder = OutboundMessage.objects.get(kind="appointment_reminder")
    assert reminder.person == episode.person
    assert "12/03/2026 à 14:00" in reminder.body
    clock.move_to(MORNING + datetime.timedelta(days=1))
    # J-1 of the first, J-2 of the second.
    assert outreach.remind_appointments() == {"reminders": 2}
    keys = sorted(OutboundMessage.objects.values_list("dedupe_key", flat=True))
    assert sorted(k.rsplit(":", 1)[1] for k in keys) == ["J-1", "J-2", "J-2"]
    assert OutboundMessage.objects.filter(body__contains="12/03/2026").count() == 2


def test_reminder_days_are_set_per_organisation(clock, episode):
    OutreachSettings.objects.create(organisation=episode.organisation, reminder_days=[3])
    AppointmentFactory(episode=episode, scheduled_at=MORNING + datetime.timedelta(days=2))
    AppointmentFactory(episode=episode, scheduled_at=MORNING + datetime.timedelta(days=3))
    assert outreach.remind_appointments() == {"reminders": 1}
    assert "13/03/2026" in OutboundMessage.objects.get(kind="appointment_reminder").body


def test_reminder_carries_a_one_time_link(clock, episode):
    PersonAccountFactory(person=episode.person)
    AppointmentFactory(episode=episode, scheduled_at=MORNING + datetime.timedelta(days=1))
    outreach.remind_appointments()
    outreach.remind_appointments()  # idempotent: no second link either
    body = OutboundMessage.objects.get(kind="appointment_reminder").body
    assert "Pour confirmer, annuler ou choisir un autre créneau : http://127.0.0.1:8000/moi/lien/" in body
    assert AppointmentLink.objects.count() == 1


def test_cancelled_appointment_gets_no_reminder(clock, episode, counselor):
    appointment = AppointmentFactory(episode=episode, scheduled_at=MORNING + datetime.timedelta(days=1))
    case_actions.cancel_appointment(appointment, by=counselor, cancelled_by="staff")
    assert outreach.remind_appointments() == {"reminders": 0}


def test_missed_appointment_alerts_referent_and_writes_to_person(clock, episode, counselor):
    appointment = AppointmentFactory(episode=episode, scheduled_at=MORNING - datetime.timedelta(days=1))
    case_actions.mark_appointment_missed(appointment, by=counselor)
    assert outreach.follow_up_missed_appointments() == {"missed": 1}
    assert outreach.follow_up_missed_appointments() == {"missed": 0}
    assert _kinds(user=counselor) == ["missed_appointment"]
    assert _kinds(person=episode.person) == ["missed_appointment"]


def test_lapse_nudges_person_digests_referent_and_escalates_to_manager(
    clock, organisation, counselor, manager
):
    late = EpisodeFactory(
        organisation=organisation,
        referent=counselor,
        next_contact_due=MORNING.date() - datetime.timedelta(days=20),
    )
    recent = EpisodeFactory(
        organisation=organisation,
        referent=counselor,
        next_contact_due=MORNING.date() - datetime.timedelta(days=2),
    )
    EpisodeFactory(organisation=organisation, referent=counselor)  # on time
    assert outreach.reach_out_on_lapses() == {"nudges": 2, "digests": 1, "escalations": 1}
    assert outreach.reach_out_on_lapses() == {"nudges": 0, "digests": 0, "escalations": 0}
    assert _kinds(person__in=[late.person, recent.person]) == ["lapse_nudge", "lapse_nudge"]
    digest = OutboundMessage.objects.get(user=counselor, kind="referent_digest")
    assert digest.subject.startswith("[Parcours] 2 personne(s)")
    assert _kinds(user=manager) == ["escalation"]
    # The next day brings a new digest, not a second nudge.
    clock.move_to(MORNING + datetime.timedelta(days=1))
    assert outreach.reach_out_on_lapses() == {"nudges": 0, "digests": 1, "escalations": 0}


def test_escalation_delay_is_set_per_organisation(clock, organisation, counselor, manager):
    OutreachSettings.objects.create(organisation=organisation, escalate_after_days=30)
    EpisodeFactory(
        organisation=organisation,
        referent=counselor,
        next_contact_due=MORNING.date() - datetime.timedelta(days=20),
    )
    assert outreach.reach_out_on_lapses()["escalations"] == 0


def test_other_organisations_manager_is_not_told(clock, organisation, other_organisation, counselor):
    member(other_organisation, Role.MANAGER, username="other-manager")
    EpisodeFactory(
        organisation=organisation,
        referent=counselor,
        next_contact_due=MORNING.date() - datetime.timedelta(days=40),
    )
    assert outreach.reach_out_on_lapses()["escalations"] == 0


def test_commands_print_their_counts(clock, episode):
    AppointmentFactory(episode=episode, scheduled_at=MORNING + datetime.timedelta(days=2))
    out = StringIO()
    call_command("messaging", "remind-appointments", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"reminders": 1}
    out = StringIO()
    call_command("messaging", "lapses", stdout=out)
    assert out.getvalue().strip() == "nudges=0 digests=0 escalations=0"
