"""The person's API (/api/v1/me/…) and the counselor's agenda API, with a frozen clock."""

import datetime
import json
import zoneinfo

import pytest
import time_machine

from parcours.accounts.models import ApiToken
from parcours.agenda.models import AvailabilityRule, BookingSettings
from parcours.conversations import actions as conversations
from tests.agenda.factories import weekly_hours
from tests.portal.factories import PersonAccountFactory, log_in_person

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
MONDAY = datetime.datetime(2026, 3, 9, 10, 0, tzinfo=PARIS)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def _post(client, url, body, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def test_person_books_and_cancels_through_the_api(clock, client, episode, counselor, organisation):
    weekly_hours(counselor, organisation)
    log_in_person(client, PersonAccountFactory(person=episode.person))
    slots = client.get("/api/v1/me/slots").json()
    assert [s["starts_at"] for s in slots[:2]] == ["2026-03-11T09:00:00+01:00", "2026-03-11T10:00:00+01:00"]
    assert len(slots) == 12
    body = {"episode": str(episode.public_id), "starts_at": "2026-03-11T08:00:00Z"}
    booked = _post(client, "/api/v1/me/appointments", body)
    assert booked.status_code == 201
    assert booked.json()["self_booked"] is True and booked.json()["can_cancel"] is True
    assert _post(client, "/api/v1/me/appointments", body).status_code == 409  # taken
    mine = client.get("/api/v1/me/appointments?upcoming=true").json()
    assert [a["id"] for a in mine] == [booked.json()["id"]]
    BookingSettings.objects.create(organisation=organisation, cancel_notice_hours=72)  # 47 hours before
    assert _post(client, f"/api/v1/me/appointments/{mine[0]['id']}/cancel", {}).status_code == 409
    BookingSettings.objects.filter(organisation=organisation).update(cancel_notice_hours=24)
    cancelled = _post(client, f"/api/v1/me/appointments/{mine[0]['id']}/cancel", {})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


def test_person_reads_plan_and_messages(clock, client, episode, counselor):
    thread = conversations.start_thread(episode, by=counselor, subject="CV", body="Bonjour")
    log_in_person(client, PersonAccountFactory(person=episode.person))
    assert client.get("/api/v1/me/messages").json()[0]["unread"] == 1
    detail = client.get(f"/api/v1/me/messages/{thread.pk}").json()
    assert [m["body"] for m in detail["messages"]] == ["Bonjour"]
    assert client.get("/api/v1/me/messages").json()[0]["unread"] == 0
    assert client.get("/api/v1/me/plan").status_code == 200


def test_staff_token_does_not_open_the_person_api(clock, client, counselor):
    _token, key = ApiToken.generate(counselor, "test")
    assert client.get("/api/v1/me/appointments", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_counselor_manages_hours_and_sees_bookings(clock, client, counselor, organisation, episode):
    _token, key = ApiToken.generate(counselor, "test")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    body = {
        "organisation": str(organisation.public_id),
        "weekday": 2,
        "start_time": "09:00",
        "end_time": "11:00",
        "channel": "video",
        "slot_minutes": 60,
    }
    created = _post(client, "/api/v1/agenda/availability", body, **auth)
    assert created.status_code == 201
    assert (
        _post(client, "/api/v1/agenda/availability", {**body, "channel": "in_person"}, **auth).status_code
        == 400
    )
    slots = client.get("/api/v1/agenda/slots?start=2026-03-11&days=1", **auth).json()
    assert [s["starts_at"] for s in slots] == ["2026-03-11T09:00:00+01:00", "2026-03-11T10:00:00+01:00"]
    log_in_person(client, PersonAccountFactory(person=episode.person))
    _post(
        client,
        "/api/v1/me/appointments",
        {"episode": str(episode.public_id), "starts_at": slots[0]["starts_at"]},
    )
    bookings = client.get("/api/v1/agenda/bookings", **auth).json()
    assert [(b["person"], b["channel"]) for b in bookings] == [(str(episode.person.public_id), "video")]
    rule_id = created.json()["id"]
    assert client.delete(f"/api/v1/agenda/availability/{rule_id}", **auth).status_code == 204
    assert not AvailabilityRule.objects.exists()
