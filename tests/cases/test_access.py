"""Sensitive sections, grants of sensitive access and the audit of reads (issues 10 and 14).

Personas and their rights: tests/conftest.py. These tests go through the API and the pages only,
so that they ran, and failed, on the code before parcours.cases.access existed."""

import pytest

from parcours.cases import actions
from parcours.cases.models import AccessLog, CaseEvent, FollowUpMember
from parcours.people.models import Consent
from tests.cases.factories import EpisodeFactory
from tests.people.test_api import Api


@pytest.fixture
def api(client):
    return lambda user: Api(client, user, None)


def _sections(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(c["section"] for c in response.json()["items"])


@pytest.fixture
def health_contact(episode, counselor):
    actions.record_contact(episode, by=counselor, channel="phone", section="health", summary="Arrêt maladie")
    actions.record_contact(episode, by=counselor, channel="phone", summary="Point CV")


def test_granted_member_without_sensitive_consent_does_not_see_health_sections(
    api, episode, follower, counselor, other_organisation, health_contact
):
    # The referent grants sensitive access, but the person consented to share the case file only.
    member = episode.follow_up_members.get(user=follower)
    member.access_level = FollowUpMember.AccessLevel.SENSITIVE
    member.save(update_fields=["access_level"])
    url = f"/episodes/{episode.public_id}/contacts"
    assert _sections(api(follower).get(url)) == ["general"]
    assert _sections(api(follower).get("/contacts")) == ["general"]
    Consent.objects.create(
        person=episode.person, organisation=other_organisation, scope=Consent.Scope.SENSITIVE
    )
    assert _sections(api(follower).get(url)) == ["general", "health"]
    # The referent keeps access without any consent of her own organisation.
    assert _sections(api(counselor).get(url)) == ["general", "health"]


def test_member_of_the_same_organisation_cannot_grant_themselves_sensitive_access(
    api, episode, colleague, organisation, health_contact
):
    client = api(colleague)
    consent = client.post(
        f"/persons/{episode.person.public_id}/consents",
        {"organisation": str(organisation.public_id), "scope": "case_file"},
    )
    assert consent.status_code == 201
    response = client.post(
        f"/episodes/{episode.public_id}/follow-up-members",
        {
            "user": str(colleague.public_id),
            "organisation": str(organisation.public_id),
            "role": "Conseiller",
            "access_level": "sensitive",
        },
    )
    assert response.status_code == 403
    assert not FollowUpMember.objects.filter(user=colleague).exists()
    assert _sections(client.get(f"/episodes/{episode.public_id}/contacts")) == ["general"]


def test_nobody_adds_themselves_even_with_standard_access(api, episode, colleague, organisation):
    response = api(colleague).post(
        f"/episodes/{episode.public_id}/follow-up-members",
        {"user": str(colleague.public_id), "organisation": str(organisation.public_id), "role": "Conseiller"},
    )
    assert response.status_code == 403
    assert not FollowUpMember.objects.filter(user=colleague).exists()


def test_a_colleague_cannot_grant_sensitive_access_to_someone_else(
    api, episode, colleague, outsider, other_organisation
):
    response = api(colleague).post(
        f"/episodes/{episode.public_id}/follow-up-members",
        {
            "user": str(outsider.public_id),
            "organisation": str(other_organisation.public_id),
            "role": "Éducateur",
            "access_level": "sensitive",
        },
    )
    assert response.status_code == 403
    assert not FollowUpMember.objects.filter(user=outsider).exists()


@pytest.mark.parametrize("granter", ["counselor", "manager"])
def test_referent_or_manager_grants_sensitive_access_and_it_is_audited(
    request, api, episode, outsider, other_organisation, granter
):
    by = request.getfixturevalue(granter)
    response = api(by).post(
        f"/episodes/{episode.public_id}/follow-up-members",
        {
            "user": str(outsider.public_id),
            "organisation": str(other_organisation.public_id),
            "role": "Éducateur",
            "access_level": "sensitive",
        },
    )
    assert response.status_code == 201, response.content
    event = CaseEvent.objects.get(episode=episode, kind=CaseEvent.Kind.FOLLOWER_ADDED)
    assert event.actor == by
    assert event.data == {"user": outsider.pk, "organisation": other_organisation.pk, "access": "sensitive"}


def test_self_grant_through_the_page_is_refused_with_what_was_typed(client, episode, colleague, organisation):
    client.force_login(colleague)
    response = client.post(
        f"/accompagnements/{episode.public_id}/suivi/",
        {
            "identifier": colleague.username,
            "organisation": str(organisation.pk),
            "role": "Conseiller",
            "access_level": "sensitive",
        },
    )
    assert response.status_code == 403
    assert not FollowUpMember.objects.filter(user=colleague).exists()


def test_reads_of_contacts_follow_up_members_and_duplicates_are_logged(
    api, episode, counselor, organisation, health_contact
):
    other = EpisodeFactory(organisation=organisation, referent=counselor)
    actions.record_contact(other, by=counselor, channel="email")
    client = api(counselor)
    reads = [
        ("/contacts", "api:contact_list", {episode.person_id, other.person_id}),
        (f"/contacts?person={episode.person.public_id}", "api:contact_list", {episode.person_id}),
        (
            f"/episodes/{episode.public_id}/follow-up-members",
            "api:follow_up_member_list",
            {episode.person_id},
        ),
        (f"/persons/{episode.person.public_id}/duplicates", "api:person_duplicates_of", {episode.person_id}),
    ]
    for url, route, people in reads:
        before = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        assert client.get(url).status_code == 200
        logged = set(
            AccessLog.objects.filter(user=counselor, route=route, pk__gt=before).values_list(
                "person_id", flat=True
            )
        )
        assert logged == people, url
