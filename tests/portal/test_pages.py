"""The person's pages under /moi/: own data only (another person's ids answer 404), plan,
appointments (cancel, another slot, iCalendar), referrals, consents, who read the file, my data."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from parcours.cases import access
from parcours.cases import actions as case_actions
from parcours.cases.models import Appointment, CaseEvent
from parcours.catalogue import actions as catalogue_actions
from parcours.diagnosis import actions as diagnosis_actions
from parcours.messaging.models import OutboundMessage
from parcours.people.models import Consent
from tests.cases.factories import EpisodeFactory
from tests.catalogue.factories import ServiceFactory
from tests.portal.factories import PersonAccountFactory, log_in_person


@pytest.fixture
def account(person):
    return PersonAccountFactory(person=person)


@pytest.fixture
def me(client, account):
    """The client logged in as the person of `episode` (Alice's portfolio)."""
    log_in_person(client, account)
    return client


@pytest.fixture
def stranger_episode(organisation, counselor):
    """Another person followed by the same counselor: nothing of theirs may show up."""
    episode = EpisodeFactory(
        organisation=organisation,
        referent=counselor,
        person__first_name="Zéphyrine",
        person__last_name="Quillebeuf",
    )
    PersonAccountFactory(person=episode.person)
    return episode


def _in(days: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=days)


# --- Plan -------------------------------------------------------------------------------------


def test_person_marks_an_action_done_and_adds_a_note(me, episode, counselor, person):
    action = diagnosis_actions.add_action(episode, by=counselor, goal="Refaire mon CV")
    url = reverse("portal:update_action", args=[action.pk])
    assert me.post(url, {"status": "done", "note": "Fait avec ma sœur"}).status_code == 302
    action.refresh_from_db()
    assert (action.status, action.person_note) == ("done", "Fait avec ma sœur")
    event = CaseEvent.objects.filter(person=person, data__by_person=True).get()
    assert event.actor is None and event.data["fields"] == ["person_note", "status"]
    notice = OutboundMessage.objects.get(user=counselor)
    assert "Fait avec ma sœur" not in notice.body
    assert "Refaire mon CV" in me.get(reverse("portal:plan")).content.decode()


def test_person_cannot_touch_another_persons_action(me, stranger_episode, counselor):
    action = diagnosis_actions.add_action(stranger_episode, by=counselor, goal="Autre")
    assert me.post(reverse("portal:update_action", args=[action.pk]), {"status": "done"}).status_code == 404
    action.refresh_from_db()
    assert action.status == "todo"
    assert "Autre" not in me.get(reverse("portal:plan")).content.decode()


def test_plan_page_query_count_does_not_grow_with_actions(me, episode, counselor):
    diagnosis_actions.add_action(episode, by=counselor, goal="Une")
    with CaptureQueriesContext(connection) as one:
        assert me.get(reverse("portal:plan")).status_code == 200
    for n in range(4):
        diagnosis_actions.add_action(episode, by=counselor, goal=f"Action {n}")
    with CaptureQueriesContext(connection) as five:
        me.get(reverse("portal:plan"))
    assert len(five) == len(one)


# --- Appointments -------------------------------------------------------------------------------


def test_person_cancels_an_appointment_in_time(me, episode, counselor):
    appointment = case_actions.plan_appointment(
        episode, by=counselor, scheduled_at=_in(3), channel="in_person"
    )
    assert me.post(reverse("portal:cancel_appointment", args=[appointment.pk])).status_code == 302
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancelled_by) == ("cancelled", "person")
    assert OutboundMessage.objects.filter(user=counselor, kind="appointment_changed").count() == 1


def test_too_late_to_cancel_online(me, episode, counselor):
    appointment = case_actions.plan_appointment(episode, by=counselor, scheduled_at=_in(0.5), channel="phone")
    page = me.get(reverse("portal:appointments")).content.decode()
    assert reverse("portal:cancel_appointment", args=[appointment.pk]) not in page
    me.post(reverse("portal:cancel_appointment", args=[appointment.pk]))
    appointment.refresh_from_db()
    assert appointment.status == "planned"


def test_person_asks_for_another_slot(me, episode, counselor, person):
    appointment = case_actions.plan_appointment(episode, by=counselor, scheduled_at=_in(0.5), channel="phone")
    assert me.post(reverse("portal:ask_another_slot", args=[appointment.pk])).status_code == 302
    assert CaseEvent.objects.filter(person=person, data__what="reschedule_requested").count() == 1
    assert OutboundMessage.objects.filter(user=counselor, kind="appointment_changed").count() == 1


def test_appointment_calendar_file_and_feed(me, episode, counselor, stranger_episode):
    mine = case_actions.plan_appointment(episode, by=counselor, scheduled_at=_in(2), channel="video")
    case_actions.plan_appointment(stranger_episode, by=counselor, scheduled_at=_in(2), channel="phone")
    response = me.get(reverse("portal:appointment_ics", args=[mine.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert len(events) == 1
    assert events[0].decoded("dtstart") == mine.scheduled_at.replace(microsecond=0)
    feed = Calendar.from_ical(me.get(reverse("portal:appointments_feed")).content)
    assert [str(e["uid"]).split("@")[0] for e in feed.walk("VEVENT")] == [f"appointment-{mine.pk}"]


def test_another_persons_appointment_is_not_found(me, stranger_episode, counselor):
    other = case_actions.plan_appointment(
        stranger_episode, by=counselor, scheduled_at=_in(3), channel="phone"
    )
    for name in ("portal:appointment_ics", "portal:cancel_appointment", "portal:ask_another_slot"):
        response = (
            me.post(reverse(name, args=[other.pk]))
            if "ics" not in name
            else me.get(reverse(name, args=[other.pk]))
        )
        assert response.status_code == 404, name
    other.refresh_from_db()
    assert other.status == Appointment.Status.PLANNED


# --- Referrals and consents ---------------------------------------------------------------------


def test_person_sees_their_referrals_with_status(me, episode, counselor, other_organisation):
    service = ServiceFactory(organisation=other_organisation, name="Garde d'enfants")
    catalogue_actions.propose_referral(
        episode, by=counselor, service=service, shared_fields=["identity"], consent_given=True
    )
    page = me.get(reverse("portal:referrals")).content.decode()
    assert "Garde d&#x27;enfants" in page and "Proposée" in page


def test_withdrawing_consent_cuts_the_follow_up_member_at_once(
    me, person, follower, other_organisation, counselor
):
    assert access.people(follower).filter(pk=person.pk).exists()
    response = me.post(
        reverse("portal:consents"),
        {"organisation": str(other_organisation.public_id), "scope": "case_file", "decision": "withdraw"},
    )
    assert response.status_code == 302
    assert not access.people(follower).filter(pk=person.pk).exists()
    assert OutboundMessage.objects.filter(user=follower, kind="consent_changed").count() == 1
    me.post(
        reverse("portal:consents"),
        {"organisation": str(other_organisation.public_id), "scope": "case_file", "decision": "give"},
    )
    assert access.people(follower).filter(pk=person.pk).exists()


def test_consent_for_an_unrelated_organisation_is_refused(me, person):
    from tests.organisations.factories import OrganisationFactory

    unrelated = OrganisationFactory(name="Sans lien")
    me.post(
        reverse("portal:consents"),
        {"organisation": str(unrelated.public_id), "scope": "case_file", "decision": "give"},
    )
    assert not Consent.objects.filter(person=person, organisation=unrelated).exists()


# --- Who read my file, my data ------------------------------------------------------------------


def test_person_sees_who_read_the_file(client, me, counselor, person, organisation, account):
    client.force_login(counselor)
    client.get(reverse("people:detail", args=[person.public_id]))
    log_in_person(client, account)
    response = client.get(reverse("portal:access_log"))
    entries = response.context["entries"]
    assert [(e["organisations"], e["roles"]) for e in entries] == [([organisation.name], ["Conseiller·ère"])]


def test_access_log_query_count_does_not_grow(me, person, counselor, colleague):
    access.log_read(person, user=counselor, route="people:detail")
    with CaptureQueriesContext(connection) as one:
        me.get(reverse("portal:access_log"))
    for user in (colleague, counselor, colleague):
        access.log_read(person, user=user, route="people:detail")
    with CaptureQueriesContext(connection) as four:
        me.get(reverse("portal:access_log"))
    assert len(four) == len(one)


def test_my_data_as_json_and_pdf(me, person, episode, counselor, stranger_episode):
    case_actions.plan_appointment(episode, by=counselor, scheduled_at=_in(2), channel="phone")
    case_actions.record_contact(episode, by=counselor, channel="phone", summary="Point sur le CV")
    response = me.get(reverse("portal:my_data_json"))
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["identity"]["last_name"] == person.last_name
    assert [c["summary"] for c in data["contacts"]] == ["Point sur le CV"]
    assert [a["channel"] for a in data["appointments"]] == ["Téléphone"]
    assert stranger_episode.person.last_name not in response.content.decode()
    pdf = me.get(reverse("portal:my_data_pdf"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_every_page_is_in_the_person_navigation(me):
    page = me.get(reverse("portal:home")).content.decode()
    for name in (
        "plan",
        "appointments",
        "referrals",
        "consents",
        "access_log",
        "my_data",
        "preferences",
        "security",
    ):
        assert reverse(f"portal:{name}") in page, name
