"""Named personas. Each comment says what the persona may do; the authorisation matrix
(tests/test_authorisation_matrix.py) checks every route against these rights."""

import pytest

from parcours.accounts.models import Role
from parcours.people.models import Consent
from tests.accounts.factories import member
from tests.cases.factories import EpisodeFactory, FollowUpMemberFactory
from tests.organisations.factories import OrganisationFactory


@pytest.fixture
def organisation(db):
    return OrganisationFactory(name="France Travail Lille")


@pytest.fixture
def other_organisation(db):
    return OrganisationFactory(name="Mission locale de Roubaix", kind="youth_mission")


@pytest.fixture
def counselor(organisation):
    """Alice: counselor, referent of `episode`; sees everything of her people, sensitive sections included."""
    return member(organisation, Role.COUNSELOR, username="alice")


@pytest.fixture
def colleague(organisation):
    """Bob: counselor of the same organisation; sees the person but not the sensitive sections."""
    return member(organisation, Role.COUNSELOR, username="bob")


@pytest.fixture
def manager(organisation):
    """Mona: manager of the organisation; sees the team's people, not sensitive sections."""
    return member(organisation, Role.MANAGER, username="mona")


@pytest.fixture
def analyst(organisation):
    """Ana: analyst of the same organisation; no access to any case file."""
    return member(organisation, Role.ANALYST, username="ana")


@pytest.fixture
def outsider(other_organisation):
    """Charlie: counselor of another organisation; sees nothing of `episode`."""
    return member(other_organisation, Role.COUNSELOR, username="charlie")


@pytest.fixture
def episode(counselor, organisation):
    return EpisodeFactory(organisation=organisation, referent=counselor)


@pytest.fixture
def person(episode):
    return episode.person


@pytest.fixture
def follower(episode, other_organisation):
    """Fanny: social worker of another organisation following the person, with the person's
    consent; sees the file but not the sensitive sections."""
    user = member(other_organisation, Role.COUNSELOR, username="fanny")
    Consent.objects.create(
        person=episode.person, organisation=other_organisation, scope=Consent.Scope.CASE_FILE
    )
    FollowUpMemberFactory(episode=episode, organisation=other_organisation, user=user)
    return user
