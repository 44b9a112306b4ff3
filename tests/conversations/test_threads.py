"""Conversations counselor <-> person: threads, unread counts, attachments (type and size),
notification without content, a message counts as an instant-messaging contact (once a day and
direction), follow-up members with consent read and write, the person sees who wrote."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from parcours.cases.models import AccessLog, Contact
from parcours.conversations import actions as conversations
from parcours.conversations.models import Attachment, Thread
from parcours.messaging.models import OutboundMessage
from tests.cases.factories import EpisodeFactory
from tests.portal.factories import PersonAccountFactory, log_in_person

PDF = b"%PDF-1.4\n%test\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def account(person):
    return PersonAccountFactory(person=person)


def _upload(name="cv.pdf", content=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_counselor_writes_person_reads_and_answers(client, counselor, episode, account, person):
    client.force_login(counselor)
    response = client.post(
        reverse("conversations:episode_threads", args=[episode.public_id]),
        {"subject": "Votre CV", "body": "Pouvez-vous m'envoyer votre CV ?"},
    )
    thread = Thread.objects.get(episode=episode)
    assert response.status_code == 302 and response["Location"] == reverse(
        "conversations:thread", args=[thread.pk]
    )
    notice = OutboundMessage.objects.get(person=person, kind="new_message")
    assert "CV" not in notice.body  # no content in the notification
    client.logout()
    log_in_person(client, account)
    listing = client.get(reverse("portal:threads"))
    assert [t.unread for t in listing.context["threads"]] == [1]
    page = client.get(reverse("portal:thread", args=[thread.pk])).content.decode()
    assert "Pouvez-vous m&#x27;envoyer votre CV" in page
    assert (
        counselor.get_full_name() in page and "Conseiller·ère" in page and episode.organisation.name in page
    )
    assert [t.unread for t in client.get(reverse("portal:threads")).context["threads"]] == [0]
    response = client.post(
        reverse("portal:thread", args=[thread.pk]), {"body": "Le voici", "files": [_upload()]}
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.content_type, attachment.name) == ("application/pdf", "cv.pdf")
    assert OutboundMessage.objects.filter(user=counselor, kind="new_message").count() == 1
    client.post(reverse("portal:logout"))
    client.force_login(counselor)
    inbox = client.get(reverse("conversations:inbox"))
    assert [t.unread for t in inbox.context["threads"]] == [1]
    download = client.get(reverse("conversations:attachment", args=[attachment.pk]))
    assert download.status_code == 200 and download.content == PDF
    client.get(reverse("conversations:thread", args=[thread.pk]))
    assert AccessLog.objects.filter(person=person, route="conversations:thread").count() == 1


def test_messages_count_as_one_contact_per_day_and_direction(counselor, episode):
    thread = conversations.start_thread(episode, by=counselor, subject="Point", body="Bonjour")
    conversations.post_message(thread, by=counselor, body="Encore moi")
    conversations.post_message(thread, by=None, body="Bonjour !")
    conversations.post_message(thread, by=None, body="Merci")
    contacts = Contact.objects.filter(episode=episode, channel="instant_messaging")
    assert sorted(contacts.values_list("direction", flat=True)) == ["inbound", "outbound"]
    episode.refresh_from_db()
    assert episode.contact_count == 2 and episode.last_contact_at is not None


def test_attachment_type_and_size_are_checked(client, account, episode, settings):
    log_in_person(client, account)
    url = reverse("portal:threads")
    fake = _upload("photo.png", b"MZ\x90\x00 not an image", "image/png")
    response = client.post(url, {"subject": "Papiers", "body": "Voici", "files": [fake]})
    assert response.status_code == 400
    assert response.context["form"]["subject"] == "Papiers"  # what was typed is kept
    assert not Thread.objects.exists()
    settings.MESSAGE_ATTACHMENT_MAX_BYTES = 10
    response = client.post(
        url, {"subject": "Papiers", "body": "Voici", "files": [_upload("p.png", PNG, "image/png")]}
    )
    assert response.status_code == 400 and not Attachment.objects.exists()


def test_follow_up_member_with_consent_reads_and_writes(client, follower, counselor, episode):
    thread = conversations.start_thread(episode, by=counselor, subject="Logement", body="Bonjour")
    client.force_login(follower)
    assert (
        client.post(reverse("conversations:thread", args=[thread.pk]), {"body": "Je m'en occupe"}).status_code
        == 302
    )
    assert thread.messages.filter(author=follower).count() == 1


def test_outsider_and_analyst_see_nothing(client, outsider, analyst, counselor, episode):
    thread = conversations.start_thread(episode, by=counselor, subject="Point", body="Bonjour")
    for user in (outsider, analyst):
        client.force_login(user)
        assert client.get(reverse("conversations:thread", args=[thread.pk])).status_code == 404
        assert (
            client.get(reverse("conversations:episode_threads", args=[episode.public_id])).status_code == 404
        )
        inbox = client.get(reverse("conversations:inbox"))
        if user == analyst:
            assert inbox.status_code == 403  # no case work: the 403 page, not an empty inbox
        else:
            assert list(inbox.context["threads"]) == []


def test_person_cannot_open_another_persons_thread_or_file(
    client, counselor, organisation, account, tmp_path
):
    other_episode = EpisodeFactory(organisation=organisation, referent=counselor)
    thread = conversations.start_thread(
        other_episode, by=counselor, subject="Privé", body="Bonjour", files=[_upload()]
    )
    log_in_person(client, account)
    assert client.get(reverse("portal:thread", args=[thread.pk])).status_code == 404
    attachment = Attachment.objects.get()
    assert client.get(reverse("portal:attachment", args=[attachment.pk])).status_code == 404
    assert "Privé" not in client.get(reverse("portal:threads")).content.decode()


def test_inbox_query_count_does_not_grow(client, counselor, episode, organisation):
    conversations.start_thread(episode, by=counselor, subject="Un", body="x")
    client.force_login(counselor)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("conversations:inbox"))
    for n in range(3):
        conversations.start_thread(
            EpisodeFactory(organisation=organisation, referent=counselor),
            by=counselor,
            subject=f"T{n}",
            body="x",
        )
    with CaptureQueriesContext(connection) as four:
        response = client.get(reverse("conversations:inbox"))
    assert len(response.context["threads"]) == 4
    assert len(four) == len(one)
