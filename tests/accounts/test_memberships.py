"""A user's rights are read from their active memberships once per request (User.active_memberships)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parcours.accounts.models import CASE_ROLES, Membership, Role
from parcours.home.navigation import active_roles
from tests.accounts.factories import MembershipFactory, member

pytestmark = pytest.mark.django_db


def test_every_rights_question_of_a_request_costs_one_query(organisation, other_organisation):
    user = member(organisation, role=Role.COUNSELOR)
    MembershipFactory(user=user, organisation=other_organisation, role=Role.MANAGER)
    MembershipFactory(user=user, organisation=other_organisation, role=Role.ANALYST, is_active=False)
    with CaptureQueriesContext(connection) as queries:
        assert user.case_organisation_ids() == sorted([organisation.pk, other_organisation.pk])
        assert user.organisation_ids(frozenset({Role.MANAGER})) == [other_organisation.pk]
        assert user.organisation_ids(frozenset({Role.ANALYST})) == []
        assert user.organisation_ids() == sorted([organisation.pk, other_organisation.pk])
        assert user.has_role(Role.COUNSELOR) and not user.has_role(Role.ADMINISTRATOR)
        assert active_roles(user) == frozenset({Role.COUNSELOR, Role.MANAGER})
    assert len(queries) == 1


def test_a_new_user_object_reads_the_memberships_again(organisation):
    """The cache lives on the instance: the next request's user sees a membership ended meanwhile."""
    user = member(organisation)
    assert user.organisation_ids(CASE_ROLES) == [organisation.pk]
    Membership.objects.filter(user=user).update(is_active=False)
    assert user.organisation_ids(CASE_ROLES) == [organisation.pk]  # same request
    fresh = type(user).objects.get(pk=user.pk)
    assert fresh.organisation_ids(CASE_ROLES) == []
    assert active_roles(fresh) == frozenset()
