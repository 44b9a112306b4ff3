"""Self-booking in the person's space and through the reminder's one-time link."""

import datetime
import re
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from parcours.agenda import actions as agenda
from parcours.agenda.models import AppointmentLink
from parcours.cases.models import Appointment, CaseEvent
from parcours.conversations import outreach
from parcours.messaging.models import OutboundMessage
from tests.agenda.factories import weekly_hours
from tests.cases.factories import AppointmentFactory, EpisodeFactory
from tests.portal.factories import PersonAccountFactory, log_in_person

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
MONDAY = datetime.datetime(2026, 3, 9, 10, 0, tzinfo=PARIS)
WEDNESDAY_10 = datetime.datetime(2026, 3, 11, 10, 0, tzinfo=PARIS)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def account(episode):
    return PersonAccountFactory(person=episode.person)


def test_person_sees_the_free_slots_and_books_one(
    clock, client, account, episode, counselor, organisation, django_assert_max_num_queries
):
    weekly_hours(counselor, organisation)  # Wednesdays 9, 10, 11
    log_in_person(client, account)
    with django_assert_max_num_queries(14):
        page = client.get(reverse("portal:book"))
    assert page.status_code == 200
    keys = re.findall(r'name="slot" value="([^"]+)"', page.content.decode())
    assert keys[:3] == ["2026-03-11T08:00:00Z", "2026-03-11T09:00:00Z", "2026-03-11T10:00:00Z"]
    assert len(keys) == 12  # 3 slots on 4 Wednesdays within 28 days (not today: 24 h notice)
    response = client.post(reverse("portal:book"), {"episode": str(episode.public_id), "slot": keys[1]})
    assert response.status_code == 302 and response["Location"] == reverse("portal:appointments")
    appointment = Appointment.objects.get(episode=episode)
    assert appointment.scheduled_at == WEDNESDAY_10 and appointment.created_by is None
    again = client.post(reverse("portal:book"), {"episode": str(episode.public_id), "slot": keys[1]})
    assert again.status_code == 302 and again["Location"] == reverse("portal:book")
    assert Appointment.objects.filter(episode=episode).count() == 1


def test_person_cannot_book_in_another_persons_episode(clock, client, account, counselor, organisation):
    weekly_hours(counselor, organisation)
    other = EpisodeFactory(organisation=organisation, referent=counselor)
    log_in_person(client, account)
    response = client.post(
        reverse("portal:book"), {"episode": str(other.public_id), "slot": "2026-03-11T09:00:00Z"}
    )
    assert response.status_code == 302
    assert Appointment.objects.count() == 0


def test_person_moves_an_appointment_to_another_slot(
    clock, client, account, episode, counselor, organisation
):
    weekly_hours(counselor, organisation)
    old = agenda.book_slot(episode, starts_at=WEDNESDAY_10)
    log_in_person(client, account)
    page = client.get(reverse("portal:book") + f"?remplace={old.pk}")
    assert page.status_code == 200 and "Déplacer mon rendez-vous" in page.content.decode()
    client.post(
        reverse("portal:book"),
        {"episode": str(episode.public_id), "slot": "2026-03-11T10:00:00Z", "replace": old.pk},
    )
    old.refresh_from_db()
    assert old.status == "cancelled"
    assert Appointment.objects.get(status="planned").scheduled_at == WEDNESDAY_10 + datetime.timedelta(
        hours=1
    )
    other = AppointmentFactory(episode=EpisodeFactory(organisation=organisation))
    assert client.get(reverse("portal:book") + f"?remplace={other.pk}").status_code == 404


def _reminder_link(episode) -> str:
    outreach.remind_appointments()
    body = OutboundMessage.objects.get(kind="appointment_reminder", person=episode.person).body
    return re.search(r"http://[^ ]+/moi/lien/[^ ]+/", body).group(0).split("8000", 1)[1]


def test_reminder_link_confirms_once_without_login(clock, client, episode, counselor):
    appointment = AppointmentFactory(
        episode=episode, with_user=counselor, scheduled_at=MONDAY + datetime.timedelta(days=2)
    )
    url = _reminder_link(episode)  # the person has no account: the link still works
    assert client.get(url).status_code == 200
    response = client.post(url, {"action": "confirm"})
    assert response.status_code == 200 and "est confirmé" in response.content.decode()
    assert (
        CaseEvent.objects.filter(data__what=agenda.EVENT_CONFIRMED, data__appointment=appointment.pk).count()
        == 1
    )
    assert client.post(url, {"action": "cancel"}).status_code == 410  # spent
    appointment.refresh_from_db()
    assert appointment.status == "planned"
    assert client.get(url.replace(url.split("/")[-2], "not-a-token")).status_code == 404


def test_reminder_link_cancels_and_rebooks(clock, client, episode, counselor, organisation):
    weekly_hours(counselor, organisation)
    first = AppointmentFactory(
        episode=episode, with_user=counselor, scheduled_at=WEDNESDAY_10 - datetime.timedelta(hours=4)
    )
    url = _reminder_link(episode)
    page = client.get(url)
    assert 'value="2026-03-11T09:00:00Z"' in page.content.decode()
    response = client.post(url, {"action": "rebook", "slot": "2026-03-11T09:00:00Z"})
    assert response.status_code == 200
    first.refresh_from_db()
    assert first.status == "cancelled" and first.cancelled_by == "person"
    assert Appointment.objects.get(status="planned").scheduled_at == WEDNESDAY_10
    assert AppointmentLink.objects.get().used_for == "rebook"


def test_reminder_link_cannot_cancel_inside_the_notice(clock, client, episode, counselor):
    appointment = AppointmentFactory(
        episode=episode, with_user=counselor, scheduled_at=MONDAY + datetime.timedelta(hours=23, days=1)
    )
    clock.move_to(MONDAY + datetime.timedelta(days=1, hours=2))  # J-1 reminder, 21 hours before
    url = _reminder_link(episode)
    assert "trop proche" in client.get(url).content.decode()
    client.post(url, {"action": "cancel"})
    appointment.refresh_from_db()
    assert appointment.status == "planned"
    assert AppointmentLink.objects.get().used_at is None


def test_missed_appointment_offers_self_booking(clock, account, episode, counselor, organisation):
    weekly_hours(counselor, organisation)
    appointment = AppointmentFactory(
        episode=episode, with_user=counselor, scheduled_at=MONDAY - datetime.timedelta(days=1)
    )
    from parcours.cases import actions as case_actions

    case_actions.mark_appointment_missed(appointment, by=counselor)
    outreach.follow_up_missed_appointments()
    body = OutboundMessage.objects.get(person=episode.person).body
    assert "Choisissez un nouveau créneau vous-même : http://127.0.0.1:8000/moi/rendez-vous/reserver/" in body
