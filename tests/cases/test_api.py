"""JSON API for episodes, follow-up members, contacts, appointments and case events.
Personas and their rights: tests/conftest.py."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from parcours.accounts.models import Role
from parcours.cases.models import (
    AccessLog,
    Appointment,
    CaseEvent,
    Contact,
    FollowUpMember,
    StageTransition,
    SupportEpisode,
)
from parcours.people.models import Consent
from tests.accounts.factories import member
from tests.cases.factories import AppointmentFactory, ContactFactory, EpisodeFactory
from tests.people.test_api import Api, assert_error


@pytest.fixture
def api(client):
    return lambda user=None, key=None: Api(client, user, key)


def ep(episode):
    return f"/episodes/{episode.public_id}"


# --- Episodes --------------------------------------------------------------------------------


def test_referent_lists_episodes_with_filters(api, counselor, colleague, organisation, episode):
    overdue = EpisodeFactory(organisation=organisation, referent=counselor, overdue=True, stage="job_search")
    theirs = EpisodeFactory(organisation=organisation, referent=colleague, intensity="intensive")
    client = api(counselor)

    def ids(**params):
        response = client.get("/episodes", **params)
        assert response.status_code == 200, response.content
        return [e["public_id"] for e in response.json()["items"]]

    assert ids() == [str(overdue.public_id), str(episode.public_id), str(theirs.public_id)]
    assert ids(overdue="true") == [str(overdue.public_id)]
    assert ids(referent="me") == [str(overdue.public_id), str(episode.public_id)]
    assert ids(stage="job_search") == [str(overdue.public_id)]
    assert ids(intensity="intensive") == [str(theirs.public_id)]
    assert ids(person=str(episode.person.public_id)) == [str(episode.public_id)]
    detail = client.get(ep(overdue)).json()
    assert detail["is_contact_overdue"] is True
    assert detail["allowed_transitions"] == ["career_project", "employed", "closed"]
    assert detail["referent"]["public_id"] == str(counselor.public_id)


def test_episode_detail_is_logged(api, counselor, episode):
    assert api(counselor).get(ep(episode)).status_code == 200
    assert AccessLog.objects.get().route == "api:episode_detail"


def test_outsider_gets_404_and_empty_lists(api, outsider, episode):
    ContactFactory(episode=episode)
    appointment = AppointmentFactory(episode=episode)
    client = api(outsider)
    for path in ["/episodes", "/contacts", "/appointments"]:
        assert client.get(path).json() == {"items": [], "count": 0}, path
    for path in [
        ep(episode),
        f"{ep(episode)}/contacts",
        f"{ep(episode)}/events",
        f"{ep(episode)}/appointments",
        f"{ep(episode)}/follow-up-members",
        f"/persons/{episode.person.public_id}/events",
    ]:
        assert_error(client.get(path), 404)
    assert_error(client.post(f"{ep(episode)}/stage", {"stage": "assessment", "version": 1}), 404)
    assert_error(client.post(f"/appointments/{appointment.pk}/missed"), 404)
    assert_error(client.post(f"{ep(episode)}/contacts", {"channel": "phone"}), 404)
    episode.refresh_from_db()
    assert episode.version == 1


def test_open_episode_for_a_person_known_from_a_closed_episode(api, counselor, organisation):
    past = EpisodeFactory(organisation=organisation, closed=True)
    response = api(counselor).post("/episodes", {"person": str(past.person.public_id), "intensity": "follow"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["stage"], body["intensity"], body["contact_target_days"]) == ("welcome", "follow", 90)
    assert SupportEpisode.objects.open().get(person=past.person).referent == counselor
    assert_error(api(counselor).post("/episodes", {"person": str(past.person.public_id)}), 400)


def test_open_episode_for_an_unknown_person_is_404(api, counselor, other_organisation):
    elsewhere = EpisodeFactory(organisation=other_organisation)
    assert_error(api(counselor).post("/episodes", {"person": str(elsewhere.person.public_id)}), 404)


def test_open_episode_with_another_organisation_is_403(api, counselor, other_organisation, organisation):
    past = EpisodeFactory(organisation=organisation, closed=True)
    payload = {"person": str(past.person.public_id), "organisation": str(other_organisation.public_id)}
    assert_error(api(counselor).post("/episodes", payload), 403)


def test_stage_change_records_the_transition(api, counselor, episode):
    response = api(counselor).post(
        f"{ep(episode)}/stage", {"stage": "assessment", "version": 1, "reason": "rdv"}
    )
    assert response.status_code == 200, response.content
    assert (response.json()["stage"], response.json()["version"]) == ("assessment", 2)
    assert StageTransition.objects.get(episode=episode).to_stage == "assessment"


def test_invalid_stage_transition_is_409(api, counselor, episode):
    error = assert_error(
        api(counselor).post(f"{ep(episode)}/stage", {"stage": "employed", "version": 1}), 409
    )
    assert "not allowed" in error
    episode.refresh_from_db()
    assert (episode.stage, episode.version) == ("welcome", 1)


def test_stale_version_is_409(api, counselor, colleague, episode):
    assert (
        api(colleague).post(f"{ep(episode)}/stage", {"stage": "assessment", "version": 1}).status_code == 200
    )
    error = assert_error(
        api(counselor).post(
            f"{ep(episode)}/intensity", {"intensity": "intensive", "reason": "x", "version": 1}
        ),
        409,
    )
    assert "changed" in error
    episode.refresh_from_db()
    assert episode.intensity == "guided"


def test_closing_through_the_stage_endpoint_is_400(api, counselor, episode):
    assert_error(api(counselor).post(f"{ep(episode)}/stage", {"stage": "closed", "version": 1}), 400)


def test_intensity_change_needs_a_reason(api, counselor, episode):
    client = api(counselor)
    assert_error(client.post(f"{ep(episode)}/intensity", {"intensity": "intensive", "version": 1}), 422)
    assert_error(
        client.post(f"{ep(episode)}/intensity", {"intensity": "intensive", "reason": "", "version": 1}), 422
    )
    response = client.post(
        f"{ep(episode)}/intensity",
        {"intensity": "intensive", "reason": "freins", "approach": "global", "version": 1},
    )
    assert response.status_code == 200, response.content
    assert (response.json()["contact_target_days"], response.json()["approach"]) == (14, "global")


def test_handover_to_a_colleague_and_not_to_an_outsider(api, counselor, colleague, outsider, episode):
    client = api(counselor)
    payload = {"to_referent": str(outsider.public_id), "reason": "départ", "version": 1}
    assert_error(client.post(f"{ep(episode)}/handover", payload), 400)
    payload["to_referent"] = str(colleague.public_id)
    response = client.post(f"{ep(episode)}/handover", payload)
    assert response.status_code == 200, response.content
    assert response.json()["referent"]["public_id"] == str(colleague.public_id)
    assert_error(client.post(f"{ep(episode)}/handover", {**payload, "to_referent": "nope"}), 422)


def test_closing_a_closed_episode_is_403(api, counselor, episode, organisation):
    client = api(counselor)
    response = client.post(f"{ep(episode)}/close", {"reason": "employed_durable", "version": 1})
    assert response.status_code == 200, response.content
    assert (response.json()["stage"], response.json()["end_reason"]) == ("closed", "employed_durable")
    # Without another open episode in the organisation the file is no longer visible at all.
    assert_error(client.post(f"{ep(episode)}/close", {"reason": "other", "version": 2}), 404)
    EpisodeFactory(organisation=organisation, referent=counselor, person=episode.person)
    # A closed episode is read-only, through the API as on the pages.
    assert_error(client.post(f"{ep(episode)}/close", {"reason": "other", "version": 2}), 403)
    assert_error(client.post(f"{ep(episode)}/close", {"reason": "fired", "version": 2}), 422)


def test_close_with_an_end_date_before_the_start_is_400(api, counselor, episode):
    payload = {"reason": "other", "version": 1, "ended_on": (episode.started_on - datetime.timedelta(days=1))}
    assert_error(api(counselor).post(f"{ep(episode)}/close", payload), 400)


# --- Follow-up members ---------------------------------------------------------------------------


def test_follow_up_member_needs_consent_to_see_the_file(api, counselor, episode, other_organisation):
    social_worker = member(other_organisation, Role.COUNSELOR)
    client = api(counselor)
    response = client.post(
        f"{ep(episode)}/follow-up-members",
        {
            "user": str(social_worker.public_id),
            "organisation": str(other_organisation.public_id),
            "role": "AS",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["has_consent"] is False
    assert_error(api(social_worker).get(ep(episode)), 404)

    Consent.objects.create(
        person=episode.person, organisation=other_organisation, scope=Consent.Scope.CASE_FILE
    )
    listed = client.get(f"{ep(episode)}/follow-up-members").json()["items"]
    assert [(m["user"]["public_id"], m["has_consent"]) for m in listed] == [
        (str(social_worker.public_id), True)
    ]
    assert api(social_worker).get(ep(episode)).status_code == 200

    member_id = listed[0]["id"]
    assert client.post(f"{ep(episode)}/follow-up-members/{member_id}/end").json()["ended_at"] is not None
    assert_error(api(social_worker).get(ep(episode)), 404)


def test_follower_reads_but_cannot_steer_the_episode(api, follower, episode):
    client = api(follower)
    assert client.get(ep(episode)).status_code == 200
    assert [e["public_id"] for e in client.get("/episodes").json()["items"]] == [str(episode.public_id)]
    assert_error(client.post(f"{ep(episode)}/stage", {"stage": "assessment", "version": 1}), 403)
    assert_error(client.post(f"{ep(episode)}/appointments", {"scheduled_at": timezone.now()}), 403)


def test_follower_loses_the_episode_when_consent_is_withdrawn(api, counselor, follower, episode):
    consent = Consent.objects.get(person=episode.person)
    assert api(counselor).post(f"/consents/{consent.pk}/withdraw").status_code == 200
    client = api(follower)
    assert_error(client.get(ep(episode)), 404)
    assert client.get("/episodes").json()["count"] == 0
    assert client.get("/contacts").json()["count"] == 0


# --- Contacts --------------------------------------------------------------------------------


def test_record_and_list_contacts(api, counselor, episode):
    client = api(counselor)
    response = client.post(
        f"{ep(episode)}/contacts",
        {"channel": "phone", "direction": "inbound", "duration_minutes": 10, "summary": "Point CV"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["person_id"] == str(episode.person.public_id)
    episode.refresh_from_db()
    assert episode.last_contact_at is not None and episode.version == 1  # a contact is not an edit
    listed = client.get(f"{ep(episode)}/contacts").json()
    assert [c["summary"] for c in listed["items"]] == ["Point CV"]
    assert client.get("/contacts", person=str(episode.person.public_id)).json()["count"] == 1
    shown = client.get(ep(episode)).json()
    assert shown["contact_count"] == 1
    assert shown["first_contact_at"] == shown["last_contact_at"] is not None


def test_sensitive_contacts_are_filtered_for_colleague_and_follower(
    api, counselor, colleague, follower, episode
):
    ContactFactory(episode=episode, summary="général")
    ContactFactory(episode=episode, summary="santé", section="health")
    assert sorted(c["summary"] for c in api(counselor).get("/contacts").json()["items"]) == [
        "général",
        "santé",
    ]
    for user in (colleague, follower):
        assert [c["summary"] for c in api(user).get("/contacts").json()["items"]] == ["général"]
        assert [c["summary"] for c in api(user).get(f"{ep(episode)}/contacts").json()["items"]] == ["général"]
    assert all(e["section"] == "general" for e in api(colleague).get(f"{ep(episode)}/events").json()["items"])


def test_follower_may_record_a_general_contact_but_not_a_sensitive_one(api, follower, episode):
    client = api(follower)
    assert client.post(f"{ep(episode)}/contacts", {"channel": "email"}).status_code == 201
    assert_error(client.post(f"{ep(episode)}/contacts", {"channel": "email", "section": "health"}), 403)
    assert Contact.objects.count() == 1


def test_contact_in_the_future_is_400_and_on_a_closed_episode_403(api, counselor, episode, organisation):
    client = api(counselor)
    future = timezone.now() + datetime.timedelta(days=1)
    assert_error(client.post(f"{ep(episode)}/contacts", {"channel": "phone", "occurred_at": future}), 400)
    closed = EpisodeFactory(organisation=organisation, referent=counselor, closed=True, person=episode.person)
    assert_error(client.post(f"{ep(closed)}/contacts", {"channel": "phone"}), 403)


def test_naive_datetime_is_read_in_paris_time(api, counselor, episode):
    response = api(counselor).post(
        f"{ep(episode)}/contacts", {"channel": "phone", "occurred_at": "2025-01-15T10:00"}
    )
    assert response.status_code == 201, response.content
    assert Contact.objects.get().occurred_at == datetime.datetime(2025, 1, 15, 9, 0, tzinfo=datetime.UTC)


# --- Appointments ----------------------------------------------------------------------------


def test_plan_and_list_upcoming_appointments(api, counselor, episode):
    client = api(counselor)
    later = timezone.now() + datetime.timedelta(days=7)
    sooner = timezone.now() + datetime.timedelta(days=2)
    for when in (later, sooner):
        response = client.post(f"{ep(episode)}/appointments", {"scheduled_at": when, "channel": "video"})
        assert response.status_code == 201, response.content
    AppointmentFactory(episode=episode, scheduled_at=timezone.now() - datetime.timedelta(days=1))
    upcoming = client.get("/appointments", upcoming="true").json()
    assert upcoming["count"] == 2
    first, second = (datetime.datetime.fromisoformat(a["scheduled_at"]) for a in upcoming["items"])
    assert abs(first - sooner) < datetime.timedelta(seconds=1) and second > first
    assert client.get("/appointments").json()["count"] == 3
    assert client.get(f"{ep(episode)}/appointments").json()["count"] == 3


def test_held_appointment_becomes_a_contact_and_cannot_be_closed_twice(api, counselor, episode):
    appointment = AppointmentFactory(
        episode=episode, scheduled_at=timezone.now() - datetime.timedelta(hours=1)
    )
    client = api(counselor)
    response = client.post(f"/appointments/{appointment.pk}/held", {"summary": "Bilan"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "held"
    assert Contact.objects.get().pk == response.json()["contact_id"]
    assert_error(client.post(f"/appointments/{appointment.pk}/missed"), 400)


def test_missed_and_cancelled_appointments(api, counselor, episode):
    client = api(counselor)
    first, second = AppointmentFactory(episode=episode), AppointmentFactory(episode=episode)
    assert client.post(f"/appointments/{first.pk}/missed").json()["status"] == "missed"
    response = client.post(f"/appointments/{second.pk}/cancel", {"cancelled_by": "person"})
    assert (response.json()["status"], response.json()["cancelled_by"]) == ("cancelled", "person")
    assert_error(client.post(f"/appointments/{second.pk}/cancel", {"cancelled_by": "nobody"}), 422)
    assert set(CaseEvent.objects.filter(episode=episode).values_list("kind", flat=True)) == {
        "appointment_missed",
        "appointment_cancelled",
    }


def test_holding_a_future_appointment_is_400(api, counselor, episode):
    appointment = AppointmentFactory(episode=episode)
    assert_error(api(counselor).post(f"/appointments/{appointment.pk}/held"), 400)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.PLANNED


# --- Events ----------------------------------------------------------------------------------


def test_person_and_episode_events(api, counselor, outsider, episode):
    client = api(counselor)
    client.post(f"{ep(episode)}/stage", {"stage": "assessment", "version": 1})
    client.post(f"{ep(episode)}/contacts", {"channel": "phone"})
    kinds = [e["kind"] for e in client.get(f"/persons/{episode.person.public_id}/events").json()["items"]]
    assert kinds == ["contact_recorded", "stage_changed"]
    events = client.get(f"{ep(episode)}/events").json()["items"]
    assert events[1]["label"] == "Étape modifiée"
    assert events[1]["data"] == {"from": "welcome", "to": "assessment"}
    assert events[1]["actor"]["public_id"] == str(counselor.public_id)
    assert (
        AccessLog.objects.filter(route__in=["api:person_event_list", "api:episode_event_list"]).count() == 2
    )


# --- Bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "payload"),
    [
        ("stage", {"stage": "flying", "version": 1}),
        ("stage", {"stage": "assessment"}),
        ("stage", {"stage": "assessment", "version": "two"}),
        ("stage", {"stage": "assessment", "version": 0}),
        ("intensity", {"intensity": "guided", "reason": "x", "version": 1, "contact_target_days": 100000}),
        ("close", {"reason": "other", "version": 1, "ended_on": "2025-02-30"}),
        ("contacts", {"channel": "pigeon"}),
        ("contacts", {"channel": "phone", "occurred_at": "yesterday"}),
        ("contacts", {"channel": "phone", "duration_minutes": -5}),
        ("contacts", {"channel": "phone", "occurred_at": "0001-01-01T00:00:00Z"}),
        ("contacts", {"channel": "phone", "summary": "a\x00b"}),
        ("appointments", {"channel": "phone"}),
        ("appointments", {"scheduled_at": "2025-13-01T10:00:00"}),
        ("appointments", {"scheduled_at": "2026-01-01T10:00:00", "duration_minutes": 10**9}),
        ("appointments", {"scheduled_at": "2026-01-01T10:00:00", "site": 10**30}),
        ("follow-up-members", {"user": "x", "organisation": "y", "role": "AS"}),
        ("handover", {"to_referent": None, "reason": "x", "version": 1}),
    ],
)
def test_malformed_episode_payloads_are_422(api, counselor, episode, suffix, payload):
    assert_error(api(counselor).post(f"{ep(episode)}/{suffix}", payload), 422)
    assert CaseEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/episodes", {"stage": "flying"}),
        ("/episodes", {"overdue": "maybe"}),
        ("/episodes", {"referent": "someone"}),
        ("/episodes", {"person": "not-a-uuid"}),
        ("/episodes", {"limit": -3}),
        ("/contacts", {"offset": -1}),
        ("/appointments", {"upcoming": "soon"}),
        ("/episodes/12", {}),
        (f"/appointments/{10**30}/missed", {}),
    ],
)
def test_malformed_case_queries_are_4xx(api, counselor, episode, path, params):
    client = api(counselor)
    response = client.post(path) if path.endswith("missed") else client.get(path, **params)
    assert_error(response, 422)


def test_unknown_site_and_unknown_follow_up_user_are_400(api, counselor, episode, other_organisation):
    client = api(counselor)
    assert_error(
        client.post(f"{ep(episode)}/appointments", {"scheduled_at": timezone.now(), "site": 99}), 400
    )
    payload = {
        "user": str(episode.public_id),
        "organisation": str(other_organisation.public_id),
        "role": "AS",
    }
    assert_error(client.post(f"{ep(episode)}/follow-up-members", payload), 400)
    assert not FollowUpMember.objects.exists()


# --- Query counts ----------------------------------------------------------------------------


def _grow(episode_count, organisation, counselor, other_organisation):
    for i in range(episode_count):
        episode = EpisodeFactory(organisation=organisation, referent=counselor, overdue=i % 2 == 0)
        ContactFactory(episode=episode)
        ContactFactory(episode=episode, section="health")
        AppointmentFactory(episode=episode)
        CaseEvent.objects.create(
            person=episode.person, episode=episode, actor=counselor, kind="stage_changed"
        )
        fm = FollowUpMember.objects.create(
            episode=episode, user=counselor, organisation=other_organisation, role="AS", added_by=counselor
        )
        assert fm.pk


def _queries(client, path):
    path, _, query = path.partition("?")
    params = dict(item.split("=") for item in query.split("&") if item)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, limit=100, **params)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()["count"]


LIST_PATHS = [
    "/episodes",
    "/episodes?overdue=true",
    "/contacts",
    "/appointments",
    "/appointments?upcoming=true",
]


def test_list_queries_do_not_grow_with_rows(
    api, counselor, organisation, other_organisation, django_assert_max_num_queries
):
    client = api(counselor)
    client.get("/episodes")  # the token's last use is written once a minute: out of the measure
    _grow(3, organisation, counselor, other_organisation)
    few = {}
    for path in LIST_PATHS:
        with django_assert_max_num_queries(5):
            few[path] = _queries(client, path)
    _grow(27, organisation, counselor, other_organisation)
    for path in LIST_PATHS:
        with django_assert_max_num_queries(5):
            many = _queries(client, path)
        assert many[0] == few[path][0], path
    assert _queries(client, "/contacts")[1] == 60
    assert _queries(client, "/episodes")[1] == 30
    assert _queries(client, "/episodes?overdue=true")[1] == 2 + 14
    assert _queries(client, "/appointments?upcoming=true")[1] == 30


def test_per_episode_lists_queries_do_not_grow_with_rows(
    api, counselor, episode, other_organisation, django_assert_max_num_queries
):
    client = api(counselor)
    client.get("/episodes")
    paths = [f"{ep(episode)}/{name}" for name in ("contacts", "appointments", "events", "follow-up-members")]
    paths.append(f"/persons/{episode.person.public_id}/events")

    def add(n):
        for _ in range(n):
            ContactFactory(episode=episode)
            AppointmentFactory(episode=episode)
            CaseEvent.objects.create(person=episode.person, episode=episode, actor=counselor, kind="other")
            FollowUpMember.objects.create(
                episode=episode,
                user=counselor,
                organisation=other_organisation,
                role="AS",
                added_by=counselor,
            )

    add(3)
    few = {}
    for path in paths:
        with django_assert_max_num_queries(10):
            few[path] = _queries(client, path)
    add(27)
    for path in paths:
        with django_assert_max_num_queries(10):
            assert _queries(client, path)[0] == few[path][0], path


def test_a_contact_and_a_stage_change_made_at_the_same_moment_both_succeed(
    api, counselor, colleague, episode
):
    # Both read the episode at the same version; recording a contact is not an edit of the episode.
    read = api(counselor).get(ep(episode)).json()["version"]
    contact = api(colleague).post(f"{ep(episode)}/contacts", {"channel": "phone", "summary": "Appel"})
    assert contact.status_code == 201, contact.content
    stage = api(counselor).post(f"{ep(episode)}/stage", {"stage": "assessment", "version": read})
    assert stage.status_code == 200, stage.content
    episode.refresh_from_db()
    assert (episode.stage, episode.contact_count, episode.version) == ("assessment", 1, read + 1)
