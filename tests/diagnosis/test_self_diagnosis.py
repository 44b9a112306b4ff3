"""Self-diagnosis through a one-time signed link: no account, works once, expires, tampering is 404."""

import datetime

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from parcours.cases.models import CaseEvent
from parcours.diagnosis import actions
from parcours.diagnosis.invitations import SALT
from parcours.diagnosis.models import Barrier, Diagnosis, SelfDiagnosisInvitation

pytestmark = pytest.mark.django_db


@pytest.fixture
def link(counselor, episode, questionnaire):
    invitation, token = actions.create_self_diagnosis_invitation(episode, by=counselor)
    return invitation, token


def test_counselor_creates_a_link_shown_once(client, counselor, episode, questionnaire):
    client.force_login(counselor)
    response = client.post(reverse("diagnosis:create_invitation", args=[episode.public_id]))
    assert response.status_code == 201
    invitation = SelfDiagnosisInvitation.objects.get(episode=episode)
    assert invitation.diagnosis.by_person and not invitation.diagnosis.is_completed
    assert "http://testserver/diagnostic/auto/" in response.content.decode()
    assert invitation.expires_at - timezone.now() > datetime.timedelta(days=6)
    assert CaseEvent.objects.filter(episode=episode, data__what="self_diagnosis_link_created").count() == 1
    # The overview page does not show the link again.
    page = client.get(reverse("diagnosis:episode", args=[episode.public_id])).content.decode()
    assert "/diagnostic/auto/" not in page and "lien en attente" in page


def test_person_fills_without_account_and_the_link_then_is_spent(client, link, counselor, episode):
    invitation, token = link
    actions.add_action(episode, by=counselor, goal="Mettre à jour le CV")
    start = client.get(reverse("diagnosis:self_start", args=[token]))
    assert start.status_code == 200
    page = start.content.decode()
    assert 'name="viewport"' in page and "Mettre à jour le CV" in page  # the plan, read-only
    assert "logout" not in page
    section = reverse("diagnosis:self_section", args=[token, 6])
    assert 'name="barrier_housing"' in client.get(section).content.decode()
    response = client.post(section, {"version": 1, "barrier_housing": "high", "barrier_finances": "low"})
    assert response.status_code == 302
    health = reverse("diagnosis:self_section", args=[token, 7])
    response = client.post(health, {"version": 2, "barrier_health": "high", "barrier_health_note": "Asthme"})
    assert response.status_code == 302
    last = client.post(reverse("diagnosis:self_section", args=[token, 9]), {"version": 3})
    assert last["Location"] == reverse("diagnosis:self_submit", args=[token])
    review = client.get(last["Location"]).content.decode()
    assert "Oui, beaucoup" in review and "Asthme" in review
    done = client.post(reverse("diagnosis:self_submit", args=[token]))
    assert done.status_code == 200
    assert "Mettre à jour le CV" in done.content.decode()
    invitation.refresh_from_db()
    assert invitation.used_at is not None
    diagnosis = Diagnosis.objects.get(pk=invitation.diagnosis_id)
    assert diagnosis.is_completed and diagnosis.by_person
    assert set(Barrier.objects.filter(diagnosis=diagnosis).values_list("kind", flat=True)) == {
        "housing",
        "finances",
        "health",
    }
    completed = CaseEvent.objects.get(episode=episode, data__what="diagnosis_completed")
    assert completed.actor is None and completed.data["by_person"] is True
    # Spent: every page of the link now says so, and nothing more can be written.
    for url in (
        reverse("diagnosis:self_start", args=[token]),
        reverse("diagnosis:self_section", args=[token, 1]),
        reverse("diagnosis:self_submit", args=[token]),
    ):
        response = client.get(url)
        assert response.status_code == 410
        assert "déjà été envoyées" in response.content.decode()
    assert client.post(reverse("diagnosis:self_section", args=[token, 1]), {"version": 5}).status_code == 410


def test_expired_link_is_refused(client, link):
    invitation, token = link
    SelfDiagnosisInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    response = client.get(reverse("diagnosis:self_start", args=[token]))
    assert response.status_code == 410
    assert "expiré" in response.content.decode()
    assert client.post(reverse("diagnosis:self_submit", args=[token])).status_code == 410
    assert not Diagnosis.objects.get(pk=invitation.diagnosis_id).is_completed


def test_link_of_a_closed_episode_is_refused(client, link, episode):
    _, token = link
    episode.ended_on = timezone.localdate()
    episode.save()
    assert client.get(reverse("diagnosis:self_start", args=[token])).status_code == 410


@pytest.mark.parametrize(
    "make_bad",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: token.replace(token.split(":")[0], "00000000-0000-0000-0000-000000000000"),
        lambda token: signing.TimestampSigner(salt="another-salt").sign(token.split(":")[0]),
        lambda token: signing.TimestampSigner(salt=SALT).sign("not-a-uuid"),
        lambda token: signing.TimestampSigner(salt=SALT).sign("00000000-0000-0000-0000-000000000000"),
        lambda token: "garbage",
    ],
)
def test_tampered_or_unknown_link_is_404(client, link, make_bad):
    _, token = link
    bad = make_bad(token)
    assert client.get(reverse("diagnosis:self_start", args=[bad])).status_code == 404
    assert client.post(reverse("diagnosis:self_section", args=[bad, 1]), {"version": 1}).status_code == 404
    assert client.post(reverse("diagnosis:self_submit", args=[bad])).status_code == 404


def test_self_section_keeps_input_on_error(client, link):
    _, token = link
    response = client.post(
        reverse("diagnosis:self_section", args=[token, 5]),
        {"version": 1, "salary_monthly_net": "-5", "hours": "part_time"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="-5"' in page and 'value="part_time" id="id_hours_1" checked' in page


def test_section_out_of_range_is_404(client, link):
    _, token = link
    assert client.get(reverse("diagnosis:self_section", args=[token, 99])).status_code == 404
    assert client.get(reverse("diagnosis:self_section", args=[token, 0])).status_code == 404
