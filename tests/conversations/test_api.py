"""The professionals' side of conversations in the API (/api/v1/threads, /episodes/{id}/threads):
the same visibility as the pages (the episode's staff, consented follow-up members), unread counts
per reader, every opening of a thread logged as a read of the file."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from parcours.accounts.models import ApiToken
from parcours.cases import actions as case_actions
from parcours.cases.models import AccessLog, Contact
from parcours.conversations import actions as conversations
from parcours.conversations.models import Thread
from parcours.messaging.models import OutboundMessage
from parcours.people.models import Consent
from tests.cases.factories import EpisodeFactory
from tests.portal.factories import PersonAccountFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _auth(user) -> dict:
    _token, key = ApiToken.generate(user, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def _post(client, url, body, headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def test_counselor_starts_reads_and_answers_a_conversation(client, counselor, episode, person):
    PersonAccountFactory(person=person)
    me = _auth(counselor)
    started = _post(
        client, f"/api/v1/episodes/{episode.public_id}/threads", {"subject": "CV", "body": "Envoyez-le"}, me
    )
    assert started.status_code == 201
    thread = Thread.objects.get(episode=episode)
    assert (started.json()["id"], started.json()["person"], started.json()["unread"]) == (
        thread.pk,
        str(person.public_id),
        0,
    )
    assert [m["by_person"] for m in started.json()["messages"]] == [False]
    notice = OutboundMessage.objects.get(person=person, kind="new_message")
    assert "Envoyez" not in notice.body

    conversations.post_message(thread, by=None, body="Le voici")
    conversations.post_message(thread, by=None, body="Et ma lettre")
    inbox = client.get("/api/v1/threads", **me).json()
    assert [(t["id"], t["unread"]) for t in inbox] == [(thread.pk, 2)]
    assert client.get("/api/v1/threads/unread", **me).json() == {"threads": 1, "messages": 2}
    assert [t["id"] for t in client.get("/api/v1/threads?unread=true", **me).json()] == [thread.pk]

    before = AccessLog.objects.filter(person=person, user=counselor).count()
    detail = client.get(f"/api/v1/threads/{thread.pk}", **me)
    assert detail.status_code == 200
    assert [(m["body"], m["by_person"]) for m in detail.json()["messages"]] == [
        ("Envoyez-le", False),
        ("Le voici", True),
        ("Et ma lettre", True),
    ]
    assert AccessLog.objects.filter(person=person, user=counselor, route="api:thread_detail").count() == 1
    assert AccessLog.objects.filter(person=person, user=counselor).count() == before + 1
    assert client.get("/api/v1/threads/unread", **me).json() == {"threads": 0, "messages": 0}
    assert client.get("/api/v1/threads?unread=true", **me).json() == []

    answer = _post(client, f"/api/v1/threads/{thread.pk}/messages", {"body": "Merci"}, me)
    assert answer.status_code == 201 and answer.json()["body"] == "Merci"
    assert counselor.get_full_name() in answer.json()["author"]
    assert sorted(
        Contact.objects.filter(episode=episode, channel="instant_messaging").values_list(
            "direction", flat=True
        )
    ) == ["inbound", "outbound"]


def test_mark_read_and_episode_list(client, counselor, colleague, episode, person):
    thread = conversations.start_thread(episode, by=counselor, subject="Point", body="Bonjour")
    conversations.post_message(thread, by=None, body="Réponse")
    mine, theirs = _auth(counselor), _auth(colleague)
    # Unread counts are per reader: the colleague never opened it.
    assert client.get("/api/v1/threads/unread", **theirs).json() == {"threads": 1, "messages": 2}
    assert client.post(f"/api/v1/threads/{thread.pk}/read", **mine).status_code == 204
    assert client.get("/api/v1/threads/unread", **mine).json() == {"threads": 0, "messages": 0}
    assert client.get("/api/v1/threads/unread", **theirs).json() == {"threads": 1, "messages": 2}
    listing = client.get(f"/api/v1/episodes/{episode.public_id}/threads", **theirs)
    assert [(t["id"], t["unread"]) for t in listing.json()] == [(thread.pk, 2)]
    assert (
        AccessLog.objects.filter(person=person, user=colleague, route="api:episode_thread_list").count() == 1
    )


def test_follower_with_consent_reads_and_writes_until_it_is_withdrawn(
    client, follower, episode, person, counselor
):
    thread = conversations.start_thread(episode, by=counselor, subject="Logement", body="Bonjour")
    headers = _auth(follower)
    assert client.get(f"/api/v1/threads/{thread.pk}", **headers).status_code == 200
    assert (
        _post(client, f"/api/v1/threads/{thread.pk}/messages", {"body": "Je suis là"}, headers).status_code
        == 201
    )
    for consent in Consent.objects.active().filter(
        person=person, organisation=follower.memberships.get().organisation
    ):
        case_actions.withdraw_consent(consent, by=None)
    assert client.get(f"/api/v1/threads/{thread.pk}", **headers).status_code == 404
    assert (
        _post(client, f"/api/v1/threads/{thread.pk}/messages", {"body": "Encore"}, headers).status_code == 404
    )
    assert client.get("/api/v1/threads", **headers).json() == []


def test_outsiders_and_other_roles(client, outsider, analyst, counselor, episode):
    thread = conversations.start_thread(episode, by=counselor, subject="Point", body="Bonjour")
    stranger = _auth(outsider)
    for url in (f"/api/v1/threads/{thread.pk}", f"/api/v1/episodes/{episode.public_id}/threads"):
        assert client.get(url, **stranger).status_code == 404
    assert client.post(f"/api/v1/threads/{thread.pk}/read", **stranger).status_code == 404
    assert _post(client, f"/api/v1/threads/{thread.pk}/messages", {"body": "x"}, stranger).status_code == 404
    assert client.get("/api/v1/threads", **stranger).json() == []
    assert client.get("/api/v1/threads/unread", **stranger).json() == {"threads": 0, "messages": 0}
    assert client.get("/api/v1/threads", **_auth(analyst)).status_code == 403
    assert client.get("/api/v1/threads/unread", **_auth(analyst)).status_code == 403
    assert client.get("/api/v1/threads").status_code == 401
    assert thread.messages.count() == 1


def test_attachments_are_listed_and_downloaded_by_who_sees_the_thread(
    client, counselor, outsider, episode, person
):
    upload = SimpleUploadedFile("cv.png", PNG, content_type="image/png")
    thread = conversations.start_thread(episode, by=None, subject="CV", body="Mon CV", files=[upload])
    headers = _auth(counselor)
    listed = client.get(f"/api/v1/threads/{thread.pk}", **headers).json()["messages"][0]["attachments"]
    assert [(a["name"], a["content_type"], a["size"]) for a in listed] == [("cv.png", "image/png", len(PNG))]
    download = client.get(f"/api/v1/attachments/{listed[0]['id']}", **headers)
    assert download.status_code == 200 and download.content == PNG
    assert (download["Content-Type"], download["X-Content-Type-Options"]) == ("image/png", "nosniff")
    assert AccessLog.objects.filter(person=person, user=counselor, route="api:attachment").count() == 1
    assert client.get(f"/api/v1/attachments/{listed[0]['id']}", **_auth(outsider)).status_code == 404


def test_counselor_writes_with_files(client, counselor, outsider, episode, person):
    PersonAccountFactory(person=person)
    thread = conversations.start_thread(episode, by=counselor, subject="Offre", body="Bonjour")
    url = f"/api/v1/threads/{thread.pk}/files"
    sent = client.post(url, {"files": [SimpleUploadedFile("offre.png", PNG)]}, **_auth(counselor))
    assert sent.status_code == 201
    assert (sent.json()["body"], sent.json()["by_person"]) == ("", False)
    assert [(a["name"], a["content_type"]) for a in sent.json()["attachments"]] == [
        ("offre.png", "image/png")
    ]
    wrong = client.post(url, {"files": [SimpleUploadedFile("offre.png", b"GIF89a")]}, **_auth(counselor))
    assert (wrong.status_code, wrong.json()) == (400, {"error": "only PDF, PNG and JPEG files"})
    assert (
        client.post(url, {"files": [SimpleUploadedFile("a.png", PNG)]}, **_auth(outsider)).status_code == 404
    )
    assert thread.messages.count() == 2


def test_write_errors_are_4xx(client, counselor, episode):
    headers = _auth(counselor)
    url = f"/api/v1/episodes/{episode.public_id}/threads"
    no_subject = _post(client, url, {"subject": " ", "body": "x"}, headers)
    assert (no_subject.status_code, no_subject.json()) == (400, {"error": "a conversation needs a subject"})
    assert _post(client, url, {"subject": "x"}, headers).status_code == 422
    thread = conversations.start_thread(episode, by=counselor, subject="Point", body="Bonjour")
    empty = _post(client, f"/api/v1/threads/{thread.pk}/messages", {"body": ""}, headers)
    assert (empty.status_code, empty.json()) == (400, {"error": "an empty message"})
    case_actions.close_episode(episode, by=counselor, reason="moved")
    # Once the only episode is closed, the person's file leaves the counselor's view (cases.access).
    closed = _post(client, f"/api/v1/threads/{thread.pk}/messages", {"body": "x"}, headers)
    assert closed.status_code == 404
    assert thread.messages.count() == 1
    other = EpisodeFactory(organisation=episode.organisation, referent=counselor)
    assert (
        _post(
            client, f"/api/v1/episodes/{other.public_id}/threads", {"subject": "x", "body": "y"}, headers
        ).status_code
        == 201
    )
