"""Referrals: consent, state machine, both sides, what the receiver sees, expiry and reminders."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from parcours.accounts.models import Role
from parcours.cases.actions import withdraw_consent
from parcours.cases.models import AccessLog, CaseEvent
from parcours.catalogue import actions
from parcours.catalogue.models import (
    REFERRAL_TRANSITIONS,
    InvalidReferralTransition,
    Notification,
    Referral,
    ReferralStatus,
    ReferralTransition,
)
from parcours.people.models import Consent
from tests.accounts.factories import member
from tests.catalogue.factories import ServiceFactory


@pytest.fixture
def service(other_organisation):
    return ServiceFactory(organisation=other_organisation, name="Permis solidaire")


@pytest.fixture
def receiver(other_organisation):
    """Rita: counselor of the receiving organisation (the provider of `service`)."""
    return member(other_organisation, Role.MANAGER, username="rita")


@pytest.fixture
def referral(episode, counselor, service, receiver):
    episode.person.phone = "0600000000"
    episode.person.save()
    return actions.propose_referral(
        episode,
        by=counselor,
        service=service,
        shared_fields=["identity"],
        barriers=["mobility"],
        consent_given=True,
    )


def test_proposing_requires_the_persons_consent(episode, counselor, service):
    with pytest.raises(ValidationError):
        actions.propose_referral(episode, by=counselor, service=service, shared_fields=["identity"])
    assert not Referral.objects.exists()


def test_proposing_records_consent_event_log_and_notifies_the_receiver(
    referral, episode, receiver, other_organisation
):
    assert (
        Consent.objects.active()
        .filter(person=episode.person, organisation=other_organisation, scope=Consent.Scope.REFERRAL)
        .exists()
    )
    assert CaseEvent.objects.filter(person=episode.person, data__what="referral_proposed").exists()
    assert referral.transitions.get().to_status == ReferralStatus.PROPOSED
    assert (
        Notification.objects.filter(recipient=receiver, kind=Notification.Kind.REFERRAL_RECEIVED).count() == 1
    )
    assert referral.expires_on == timezone.localdate() + datetime.timedelta(days=15)


def test_only_the_sender_team_may_propose(episode, outsider, service):
    with pytest.raises(PermissionDenied):
        actions.propose_referral(
            episode, by=outsider, service=service, shared_fields=["identity"], consent_given=True
        )


@pytest.mark.parametrize("start", list(ReferralStatus))
@pytest.mark.parametrize("target", list(ReferralStatus))
def test_state_machine_table(start, target):
    referral = Referral(status=start)
    if target in REFERRAL_TRANSITIONS[start]:
        referral.transition_to(target)
        assert referral.status == target
    else:
        with pytest.raises(InvalidReferralTransition):
            referral.transition_to(target)


def test_full_path_is_logged_and_each_step_records_a_case_event(referral, receiver, episode):
    referral = actions.accept_referral(referral, by=receiver)
    referral = actions.start_referral(referral, by=receiver)
    referral = actions.complete_referral(referral, by=receiver, outcome="employment")

    assert list(referral.transitions.values_list("to_status", flat=True)) == [
        "proposed",
        "accepted",
        "started",
        "completed",
    ]
    whats = set(CaseEvent.objects.filter(person=episode.person).values_list("data__what", flat=True))
    assert {"referral_accepted", "referral_started", "referral_completed"} <= whats
    assert referral.accepted_at is not None and referral.closed_at is not None
    # The sending side (the referent) heard of every step, once each.
    assert Notification.objects.filter(recipient=episode.referent, object_id=referral.pk).count() == 3


def test_disallowed_transition_changes_nothing(referral, receiver):
    with pytest.raises(InvalidReferralTransition):
        actions.start_referral(referral, by=receiver)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PROPOSED
    assert referral.transitions.count() == 1


def test_only_the_receiving_organisation_accepts(referral, counselor):
    with pytest.raises(PermissionDenied):
        actions.accept_referral(referral, by=counselor)


def test_refusal_needs_a_coded_reason(referral, receiver):
    with pytest.raises(ValidationError):
        actions.refuse_referral(referral, by=receiver, reason="pas envie")
    referral = actions.refuse_referral(referral, by=receiver, reason="no_capacity")
    assert referral.refusal_reason == "no_capacity"


def test_concurrent_answer_is_rejected(referral, receiver):
    from parcours.cases.locking import ConcurrentEditError

    stale_version = referral.version
    actions.accept_referral(referral, by=receiver, expected_version=stale_version)
    with pytest.raises(ConcurrentEditError):
        actions.abandon_referral(referral, by=receiver, outcome="no_show", expected_version=stale_version)


def test_expiry_command_expires_overdue_and_is_idempotent(referral, receiver, service, episode, counselor):
    Referral.objects.filter(pk=referral.pk).update(
        expires_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    call_command("catalogue", "expire-referrals")
    call_command("catalogue", "expire-referrals")

    referral.refresh_from_db()
    assert referral.status == ReferralStatus.EXPIRED
    assert (
        ReferralTransition.objects.filter(referral=referral, to_status="expired", by__isnull=True).count()
        == 1
    )
    assert CaseEvent.objects.filter(data__what="referral_expired").count() == 1


def test_expiry_reminders_are_sent_once(referral, receiver, django_capture_on_commit_callbacks):
    Referral.objects.filter(pk=referral.pk).update(
        expires_on=timezone.localdate() + datetime.timedelta(days=2)
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        first = actions.expire_overdue_referrals()
        second = actions.expire_overdue_referrals()

    assert first == {"expired": 0, "reminders": 1}
    assert second == {"expired": 0, "reminders": 0}
    assert (
        Notification.objects.filter(kind=Notification.Kind.REFERRAL_EXPIRING, recipient=receiver).count() == 1
    )
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [receiver.email]


def test_receiver_sees_only_the_consented_fields(client, referral, receiver, episode):
    client.force_login(receiver)
    response = client.get(reverse("catalogue:referral_detail", args=[referral.public_id]))

    assert response.status_code == 200
    person = episode.person
    assert person.last_name.upper() in response.text  # identity was consented
    assert "0600000000" not in response.text  # contact was not
    assert person.email not in response.text
    assert reverse("people:detail", args=[person.public_id]) not in response.text
    assert AccessLog.objects.filter(person=person, user=receiver, route="catalogue:referral_detail").exists()


def test_receiver_sees_nothing_once_consent_is_withdrawn(
    client, referral, receiver, episode, counselor, other_organisation
):
    consent = Consent.objects.active().get(
        person=episode.person, organisation=other_organisation, scope="referral"
    )
    withdraw_consent(consent, by=counselor)
    client.force_login(receiver)

    response = client.get(reverse("catalogue:referral_detail", args=[referral.public_id]))
    api = client.get(f"/api/v1/referrals/{referral.public_id}")

    assert response.status_code == 200
    assert episode.person.last_name.upper() not in response.text
    assert "aucune information la concernant" in response.text
    assert api.json()["shared"] == {} and api.json()["person"] is None


def test_api_receiver_gets_consented_fields_only(client, referral, receiver, episode):
    client.force_login(receiver)
    data = client.get(f"/api/v1/referrals/{referral.public_id}").json()
    assert data["shared"] == {"identity": episode.person.full_name}
    assert data["person"] is None


def test_sender_sees_the_person_and_the_status(client, referral, counselor, episode):
    client.force_login(counselor)
    response = client.get(reverse("catalogue:referral_detail", args=[referral.public_id]))
    assert response.status_code == 200
    assert reverse("people:detail", args=[episode.person.public_id]) in response.text
    assert "Proposée" in response.text


def test_outsider_gets_404(client, referral, episode):
    stranger = member(
        episode.organisation.__class__.objects.create(
            name="Autre", kind="association", territory=episode.organisation.territory
        ),
        Role.COUNSELOR,
    )
    client.force_login(stranger)
    assert client.get(reverse("catalogue:referral_detail", args=[referral.public_id])).status_code == 404
    assert client.get(f"/api/v1/referrals/{referral.public_id}").status_code == 404
    assert (
        client.post(
            f"/api/v1/referrals/{referral.public_id}/transitions",
            {"to": "accepted"},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert client.get("/api/v1/referrals").json()["count"] == 0


def test_both_sides_list_the_referral(client, referral, receiver, counselor):
    client.force_login(receiver)
    assert client.get("/api/v1/referrals", {"box": "received"}).json()["count"] == 1
    assert client.get("/api/v1/referrals", {"box": "sent"}).json()["count"] == 0
    client.force_login(counselor)
    assert client.get("/api/v1/referrals", {"box": "sent"}).json()["count"] == 1
    page = client.get(reverse("catalogue:referral_list"), {"boite": "envoyees"})
    assert "Permis solidaire" in page.text


def test_html_transition_and_invalid_transition(client, referral, receiver):
    client.force_login(receiver)
    url = reverse("catalogue:referral_transition", args=[referral.public_id, "accepter"])
    assert client.post(url, {"accepter-version": referral.version}).status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    again = client.post(url, {"accepter-version": referral.version})
    assert again.status_code == 409
    assert "pas possible" in again.text


def test_api_create_and_transition(client, counselor, receiver, episode, service):
    client.force_login(counselor)
    created = client.post(
        "/api/v1/referrals",
        {
            "episode": str(episode.public_id),
            "service": str(service.public_id),
            "shared_fields": ["identity", "contact"],
            "consent_given": True,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    public_id = created.json()["public_id"]
    forbidden = client.post(
        f"/api/v1/referrals/{public_id}/transitions", {"to": "accepted"}, content_type="application/json"
    )
    assert forbidden.status_code == 403
    client.force_login(receiver)
    accepted = client.post(
        f"/api/v1/referrals/{public_id}/transitions", {"to": "accepted"}, content_type="application/json"
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    invalid = client.post(
        f"/api/v1/referrals/{public_id}/transitions", {"to": "expired"}, content_type="application/json"
    )
    assert invalid.status_code == 409


@pytest.mark.parametrize("size", [3, 30])
def test_referral_list_query_count_is_bounded(
    size, client, counselor, receiver, service, django_assert_max_num_queries
):
    from tests.cases.factories import EpisodeFactory

    for _ in range(size):
        episode = EpisodeFactory(organisation=counselor.memberships.get().organisation, referent=counselor)
        actions.propose_referral(
            episode, by=counselor, service=service, shared_fields=["identity"], consent_given=True
        )
    client.force_login(receiver)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("catalogue:referral_list"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == size
