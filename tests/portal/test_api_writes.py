"""The person's API writes (/api/v1/me/…): messages, plan, consents. Same actions as the pages,
so the same effects: case events, contacts, notices without content; another person's ids 404."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from parcours.cases import actions as case_actions
from parcours.cases.models import CaseEvent, Contact
from parcours.conversations import actions as conversations
from parcours.conversations.models import Message, Thread, ThreadRead
from parcours.diagnosis import actions as diagnosis_actions
from parcours.messaging.models import OutboundMessage
from parcours.people.models import Consent
from tests.cases.factories import EpisodeFactory
from tests.portal.factories import PersonAccountFactory, log_in_person

PDF = b"%PDF-1.4\n%test\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def me(client, person):
    log_in_person(client, PersonAccountFactory(person=person))
    return client


@pytest.fixture
def stranger_episode(organisation, counselor):
    return EpisodeFactory(organisation=organisation, referent=counselor)


def _send(client, method, url, body):
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


# --- Messages -----------------------------------------------------------------------------------


def test_person_starts_a_conversation_and_answers(me, episode, counselor, person):
    response = _send(
        me, "post", "/api/v1/me/messages", {"subject": "Mon CV", "body": "Pouvez-vous le relire ?"}
    )
    assert response.status_code == 201
    started = response.json()
    thread = Thread.objects.get(episode=episode)
    assert (started["id"], started["subject"], started["unread"]) == (thread.pk, "Mon CV", 0)
    assert [(m["author"], m["body"]) for m in started["messages"]] == [("Moi", "Pouvez-vous le relire ?")]
    notice = OutboundMessage.objects.get(user=counselor, kind="new_message")
    assert "relire" not in notice.body  # the referent is told, without the text
    inbound = Contact.objects.get(episode=episode, channel="instant_messaging")
    assert inbound.direction == "inbound"

    conversations.post_message(thread, by=counselor, body="Envoyez-le")
    assert me.get("/api/v1/me/messages").json()[0]["unread"] == 1
    answer = _send(me, "post", f"/api/v1/me/messages/{thread.pk}", {"body": "Le voici"})
    assert answer.status_code == 201
    assert (answer.json()["author"], answer.json()["body"]) == ("Moi", "Le voici")
    # Writing marks the conversation read, as on the page.
    assert me.get("/api/v1/me/messages").json()[0]["unread"] == 0
    assert list(thread.messages.values_list("body", "author")) == [
        ("Pouvez-vous le relire ?", None),
        ("Envoyez-le", counselor.pk),
        ("Le voici", None),
    ]


def test_starting_a_conversation_names_the_episode_when_there_are_several(me, episode, person, counselor):
    second = EpisodeFactory(person=person, organisation=episode.organisation, referent=counselor)
    body = {"subject": "Question", "body": "Bonjour"}
    refused = _send(me, "post", "/api/v1/me/messages", body)
    assert (refused.status_code, refused.json()) == (400, {"error": "choose the episode"})
    chosen = _send(me, "post", "/api/v1/me/messages", {**body, "episode": str(second.public_id)})
    assert chosen.status_code == 201
    assert Thread.objects.get().episode == second


def test_message_errors_are_4xx(me, episode, counselor, stranger_episode):
    empty = _send(me, "post", "/api/v1/me/messages", {"subject": "  ", "body": "x"})
    assert (empty.status_code, empty.json()) == (400, {"error": "a conversation needs a subject"})
    assert _send(me, "post", "/api/v1/me/messages", {"subject": "x"}).status_code == 422
    too_long = _send(me, "post", "/api/v1/me/messages", {"subject": "x" * 151, "body": "y"})
    assert too_long.status_code == 422
    others = {"episode": str(stranger_episode.public_id), "subject": "x", "body": "y"}
    assert _send(me, "post", "/api/v1/me/messages", others).status_code == 404
    thread = conversations.start_thread(episode, by=counselor, subject="Point", body="Bonjour")
    blank = _send(me, "post", f"/api/v1/me/messages/{thread.pk}", {"body": "   "})
    assert (blank.status_code, blank.json()) == (400, {"error": "an empty message"})
    case_actions.close_episode(episode, by=counselor, reason="moved")
    closed = _send(me, "post", f"/api/v1/me/messages/{thread.pk}", {"body": "Encore là ?"})
    assert (closed.status_code, closed.json()) == (400, {"error": "the episode is closed"})
    assert Message.objects.filter(thread=thread).count() == 1


def test_another_persons_conversation_is_not_found(me, stranger_episode, counselor):
    theirs = conversations.start_thread(stranger_episode, by=counselor, subject="Privé", body="Secret")
    assert _send(me, "post", f"/api/v1/me/messages/{theirs.pk}", {"body": "Intrus"}).status_code == 404
    assert me.post(f"/api/v1/me/messages/{theirs.pk}/read").status_code == 404
    assert theirs.messages.count() == 1
    assert not ThreadRead.objects.filter(thread=theirs, user=None).exists()


def test_person_marks_a_conversation_read(me, episode, counselor):
    thread = conversations.start_thread(episode, by=counselor, subject="Point", body="Bonjour")
    conversations.post_message(thread, by=counselor, body="Et aussi")
    assert me.get("/api/v1/me/messages").json()[0]["unread"] == 2
    response = me.post(f"/api/v1/me/messages/{thread.pk}/read")
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["unread"]) == (thread.pk, 0)
    assert me.get("/api/v1/me/messages").json()[0]["unread"] == 0


def test_person_lists_and_downloads_attachments_of_their_own_conversations(
    me, episode, counselor, stranger_episode
):
    upload = SimpleUploadedFile("offre.pdf", PDF, content_type="application/pdf")
    thread = conversations.start_thread(episode, by=counselor, subject="Offre", body="Voici", files=[upload])
    listed = me.get(f"/api/v1/me/messages/{thread.pk}").json()["messages"][0]["attachments"]
    assert [(a["name"], a["content_type"], a["size"]) for a in listed] == [
        ("offre.pdf", "application/pdf", len(PDF))
    ]
    download = me.get(f"/api/v1/me/attachments/{listed[0]['id']}")
    assert download.status_code == 200 and download.content == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="offre.pdf"'
    theirs = conversations.start_thread(
        stranger_episode,
        by=counselor,
        subject="Privé",
        body="x",
        files=[SimpleUploadedFile("secret.pdf", PDF, content_type="application/pdf")],
    )
    assert me.get(f"/api/v1/me/attachments/{theirs.messages.get().attachments.get().pk}").status_code == 404


def test_person_answers_with_files(me, episode, counselor, stranger_episode, settings):
    thread = conversations.start_thread(episode, by=counselor, subject="CV", body="Envoyez-le")
    url = f"/api/v1/me/messages/{thread.pk}/files"
    sent = me.post(url, {"body": "Le voici", "files": [SimpleUploadedFile("cv.pdf", PDF)]})
    assert sent.status_code == 201
    assert (sent.json()["body"], [a["name"] for a in sent.json()["attachments"]]) == ("Le voici", ["cv.pdf"])
    attachment = thread.messages.get(author=None).attachments.get()
    with attachment.file.open("rb") as stored:
        assert (attachment.content_type, stored.read()) == ("application/pdf", PDF)
    # The file's first bytes decide, not its name; size and count are held as on the page.
    fake = me.post(url, {"files": [SimpleUploadedFile("cv.pdf", b"MZ\x90\x00 not a pdf")]})
    assert (fake.status_code, fake.json()) == (400, {"error": "only PDF, PNG and JPEG files"})
    four = [SimpleUploadedFile(f"{n}.pdf", PDF) for n in range(4)]
    assert me.post(url, {"files": four}).json() == {"error": "at most 3 files"}
    settings.MESSAGE_ATTACHMENT_MAX_BYTES = 10
    big = me.post(url, {"files": [SimpleUploadedFile("cv.pdf", PDF)]})
    assert (big.status_code, big.json()) == (400, {"error": "file too large"})
    assert me.post(url, {"body": "a\x00b", "files": [SimpleUploadedFile("cv.pdf", PDF)]}).status_code == 422
    assert me.post(url, {"body": "sans fichier"}).status_code == 422
    assert thread.messages.count() == 2
    theirs = conversations.start_thread(stranger_episode, by=counselor, subject="Privé", body="x")
    intruder = me.post(
        f"/api/v1/me/messages/{theirs.pk}/files", {"files": [SimpleUploadedFile("a.pdf", PDF)]}
    )
    assert intruder.status_code == 404
    assert theirs.messages.count() == 1


# --- Plan ---------------------------------------------------------------------------------------


def test_person_marks_an_action_done_and_writes_a_note(me, episode, counselor, person):
    action = diagnosis_actions.add_action(episode, by=counselor, goal="Refaire mon CV")
    url = f"/api/v1/me/plan/{action.pk}"
    response = _send(me, "patch", url, {"done": True, "note": "Fait avec ma sœur"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["person_note"]) == ("done", "Fait avec ma sœur")
    action.refresh_from_db()
    assert (action.status, action.person_note) == ("done", "Fait avec ma sœur")
    event = CaseEvent.objects.filter(person=person, data__by_person=True).get()
    assert event.actor is None and event.data["fields"] == ["person_note", "status"]
    notice = OutboundMessage.objects.get(user=counselor)
    assert "sœur" not in notice.body
    undone = _send(me, "patch", url, {"done": False})
    assert (undone.status_code, undone.json()["status"], undone.json()["person_note"]) == (
        200,
        "todo",
        "Fait avec ma sœur",
    )
    # Only the status and the note: other fields are ignored, and without either it is 422.
    assert _send(me, "patch", url, {"goal": "Autre chose"}).status_code == 422
    assert _send(me, "patch", url, {}).status_code == 422
    action.refresh_from_db()
    assert action.goal == "Refaire mon CV"


def test_plan_of_a_closed_episode_and_of_another_person(me, episode, counselor, stranger_episode):
    mine = diagnosis_actions.add_action(episode, by=counselor, goal="Mine")
    theirs = diagnosis_actions.add_action(stranger_episode, by=counselor, goal="Autre")
    assert _send(me, "patch", f"/api/v1/me/plan/{theirs.pk}", {"done": True}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "todo"
    case_actions.close_episode(episode, by=counselor, reason="moved")
    closed = _send(me, "patch", f"/api/v1/me/plan/{mine.pk}", {"done": True})
    assert closed.status_code == 400
    mine.refresh_from_db()
    assert mine.status == "todo"


# --- Consents -----------------------------------------------------------------------------------


def test_person_lists_gives_and_withdraws_consents(
    me, episode, person, organisation, other_organisation, follower
):
    listing = me.get("/api/v1/me/consents").json()
    assert [o["organisation_name"] for o in listing] == sorted([organisation.name, other_organisation.name])
    partner = next(o for o in listing if o["organisation"] == str(other_organisation.public_id))
    assert [s["scope"] for s in partner["scopes"]] == Consent.Scope.values
    assert {s["scope"] for s in partner["scopes"] if s["given"]} == {"case_file"}

    body = {"organisation": str(other_organisation.public_id), "scope": "case_file", "give": False}
    withdrawn = _send(me, "post", "/api/v1/me/consents", body)
    assert withdrawn.status_code == 200
    assert not any(s["given"] for s in withdrawn.json()["scopes"])
    assert not Consent.objects.active().filter(person=person, organisation=other_organisation).exists()
    # Effective at once: the follower no longer reads the file; told by e-mail.
    assert OutboundMessage.objects.filter(user=follower, kind="consent_changed").count() == 1
    given = _send(me, "post", "/api/v1/me/consents", {**body, "scope": "contact", "give": True})
    assert {s["scope"] for s in given.json()["scopes"] if s["given"]} == {"contact"}
    assert Consent.objects.active().get(person=person, organisation=other_organisation).scope == "contact"


def test_consent_for_an_unknown_organisation_or_scope(me, episode):
    stranger = EpisodeFactory().organisation
    body = {"organisation": str(stranger.public_id), "scope": "contact", "give": True}
    assert _send(me, "post", "/api/v1/me/consents", body).status_code == 404
    assert not Consent.objects.filter(organisation=stranger).exists()
    bad = {"organisation": str(episode.organisation.public_id), "scope": "everything", "give": True}
    assert _send(me, "post", "/api/v1/me/consents", bad).status_code == 422


def test_staff_and_anonymous_get_401_on_the_writes(client, episode, counselor):
    action = diagnosis_actions.add_action(episode, by=counselor, goal="X")
    assert _send(client, "patch", f"/api/v1/me/plan/{action.pk}", {"done": True}).status_code == 401
    client.force_login(counselor)
    assert _send(client, "post", "/api/v1/me/messages", {"subject": "x", "body": "y"}).status_code == 401
    assert client.get("/api/v1/me/consents").status_code == 401
