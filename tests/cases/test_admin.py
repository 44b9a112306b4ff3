"""The Django admin and case data (issue 14, part 4): a superuser sees no other organisation's case
data there, nothing of a case file is deleted or changed from the admin, and what a superuser can
still do (organisations, users, memberships) is audited by the admin's own LogEntry.

The superuser below belongs to another organisation than the person's (the world of the
authorisation matrix); each admin page of a model that holds case data gets an exact status."""

import re

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.urls import reverse

from parcours.accounts.models import Membership, Role
from parcours.cases.models import AccessLog, CaseEvent
from parcours.catalogue.models import Notification
from parcours.evaluation.assignment import assign_if_eligible
from parcours.profiling.models import ProfilingScore
from tests.accounts.factories import member
from tests.organisations.factories import OrganisationFactory
from tests.test_authorisation_matrix import world  # noqa: F401 (fixture)
from tests.text import mentions

SECRET_MESSAGE = "Sortie de détention en mars, suivi addictologie"


@pytest.fixture
def superuser(db):
    elsewhere = OrganisationFactory(name="Département du Nord")
    return member(elsewhere, Role.ADMINISTRATOR, username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def case_rows(world, superuser):  # noqa: F811
    referral = world["referral"]
    type(referral).objects.filter(pk=referral.pk).update(message=SECRET_MESSAGE, barriers=["justice"])
    episode = world["episode"]
    [assignment] = assign_if_eligible(episode, by=world["users"]["referent"])
    # One row of each model, all of the world's organisation (none of the superuser's).
    return {
        "people_person": world["person"],
        "cases_supportepisode": episode,
        "cases_caseevent": CaseEvent.objects.filter(episode=episode).first(),
        "catalogue_referral": referral,
        "catalogue_workshopregistration": world["registration"],
        "catalogue_notification": Notification.objects.first(),
        "labour_careerproject": world["target"].project,
        "labour_targetoccupation": world["target"],
        "labour_workplacement": world["placement"],
        "evaluation_assignment": assignment,
        "profiling_profilingscore": ProfilingScore.objects.filter(episode=episode).first(),
        "outcomes_employmentoutcome": world["checkin"].outcome,
        "outcomes_checkin": world["checkin"],
    }


# Scoped models: the change page of another organisation's row is the admin's "does not exist"
# redirect (302), exactly as for a row that does not exist.
SCOPED = [
    "people_person",
    "cases_supportepisode",
    "cases_caseevent",
    "catalogue_referral",
    "catalogue_workshopregistration",
    "catalogue_notification",
    "labour_careerproject",
    "labour_targetoccupation",
    "labour_workplacement",
    "evaluation_assignment",
    "profiling_profilingscore",
    "outcomes_employmentoutcome",
    "outcomes_checkin",
]


def _content(response) -> str:
    """The admin page without its header and app sidebar: the user's own name and app labels
    ("Marché du travail", "Barre latérale") live there and would match a generated person name.
    The title, breadcrumbs and content, where an object's name would show, are kept."""
    page = response.content.decode()
    page = re.sub(r'<header id="header">.*?</header>', "", page, flags=re.S)
    return re.sub(r'<nav class="sticky" id="nav-sidebar".*?</nav>', "", page, flags=re.S)


def _forbidden_words(world):  # noqa: F811
    person = world["person"]
    return [person.first_name, person.last_name, SECRET_MESSAGE, "justice"]


@pytest.mark.parametrize("model", SCOPED)
def test_superuser_sees_no_case_data_of_another_organisation(client, world, case_rows, superuser, model):  # noqa: F811
    obj = case_rows[model]
    assert obj is not None, f"the world has no {model} row"
    client.force_login(superuser)
    listing = client.get(reverse(f"admin:{model}_changelist"))
    assert listing.status_code == 200
    page = _content(listing)
    assert reverse(f"admin:{model}_change", args=[obj.pk]) not in page
    assert "delete_selected" not in page
    for word in _forbidden_words(world):
        assert not mentions(page, word), f"{model} changelist shows {word!r}"
    assert client.get(reverse(f"admin:{model}_change", args=[obj.pk])).status_code == 302
    assert client.get(reverse(f"admin:{model}_delete", args=[obj.pk])).status_code == 403
    assert client.post(reverse(f"admin:{model}_delete", args=[obj.pk]), {"post": "yes"}).status_code == 403
    assert type(obj).objects.filter(pk=obj.pk).exists()
    assert client.get(reverse(f"admin:{model}_add")).status_code == 403


@pytest.mark.parametrize("model", ["catalogue_referral", "labour_targetoccupation", "outcomes_checkin"])
def test_staff_of_the_organisation_see_a_person_free_read_only_page(client, world, case_rows, model):  # noqa: F811
    # The referent, made staff, sees her own rows: read-only, person-free, not deletable.
    referent = world["users"]["referent"]
    type(referent).objects.filter(pk=referent.pk).update(is_staff=True, is_superuser=True)
    obj = case_rows[model]
    client.force_login(referent)
    listing = client.get(reverse(f"admin:{model}_changelist"))
    assert listing.status_code == 200
    assert reverse(f"admin:{model}_change", args=[obj.pk]) in listing.content.decode()
    change = client.get(reverse(f"admin:{model}_change", args=[obj.pk]))
    assert change.status_code == 200
    for word in _forbidden_words(world):
        assert not mentions(_content(change), word), f"{model} change page shows {word!r}"
    assert client.post(reverse(f"admin:{model}_change", args=[obj.pk]), {}).status_code == 403
    assert client.get(reverse(f"admin:{model}_delete", args=[obj.pk])).status_code == 403


@pytest.mark.parametrize("model", ["cases_accesslog", "evaluation_outbox"])
def test_audit_and_delivery_rows_are_person_free_and_not_deletable(client, world, superuser, model):  # noqa: F811
    from parcours.evaluation.models import Outbox

    person = world["person"]
    if model == "cases_accesslog":
        obj = AccessLog.objects.create(person=person, user=world["users"]["referent"], route="test:read")
    else:
        obj = Outbox.objects.create(
            channel="email", recipient="x@example.org", subject="s", body=person.last_name
        )
    client.force_login(superuser)
    assert client.get(reverse(f"admin:{model}_changelist")).status_code == 200
    change = client.get(reverse(f"admin:{model}_change", args=[obj.pk]))
    assert change.status_code == 200
    assert not mentions(_content(change), person.last_name)
    assert "x@example.org" not in change.content.decode()
    assert client.get(reverse(f"admin:{model}_delete", args=[obj.pk])).status_code == 403


def test_adding_a_membership_from_the_admin_is_audited(client, superuser, organisation):
    target = member(OrganisationFactory(name="CCAS Lille"), Role.COUNSELOR, username="newbie")
    client.force_login(superuser)
    response = client.post(
        reverse("admin:accounts_membership_add"),
        {"user": target.pk, "organisation": organisation.pk, "role": Role.MANAGER, "is_active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    membership = Membership.objects.get(user=target, organisation=organisation)
    entry = LogEntry.objects.get(object_id=str(membership.pk), content_type__model="membership")
    assert (entry.user_id, entry.action_flag) == (superuser.pk, ADDITION)
