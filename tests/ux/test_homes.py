"""A home per role from `/`, the visitor's home, the 403 page and the manager's team page."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from parcours.accounts.models import Role
from parcours.cases.models import CaseEvent, SupportEpisode
from tests.accounts.factories import member
from tests.cases.factories import EpisodeFactory


def test_visitor_home_says_what_parcours_is_and_links_the_public_pages(client, db):
    response = client.get("/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "plateforme ouverte d'accompagnement" in content
    assert f'href="{reverse("catalogue:public_search")}"' in content
    assert f'href="{reverse("transparency:index")}"' in content
    assert f'href="{reverse("accounts:login")}"' in content


def test_each_role_lands_on_its_own_home(client, counselor, manager, analyst, organisation):
    coordinator = member(organisation, Role.COORDINATOR, username="cora")
    admin = member(organisation, Role.ADMINISTRATOR, username="root", is_staff=True)
    expected = {
        counselor: reverse("cases:portfolio"),
        manager: reverse("cases:team"),
        coordinator: reverse("home:coordination"),
        analyst: reverse("home:analysis"),
        admin: reverse("home:administration"),
    }
    for user, url in expected.items():
        client.force_login(user)
        response = client.get("/")
        assert (response.status_code, response["Location"]) == (302, url), user.username
        assert client.get(url).status_code == 200, user.username


def test_a_user_without_membership_gets_a_home_saying_what_to_do(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody", password="x"))

    response = client.get("/")

    assert response.status_code == 200
    assert "n'est rattaché à aucune organisation" in response.content.decode()


def test_forbidden_page_is_french_with_navigation_and_what_to_do(client, analyst):
    client.force_login(analyst)

    response = client.get(reverse("cases:portfolio"))

    content = response.content.decode()
    assert response.status_code == 403
    assert '<html lang="fr">' in content
    assert "<h1>Accès refusé</h1>" in content
    assert "Que faire ?" in content
    assert f'href="{reverse("evaluation:indicator_list")}"' in content  # the analyst's menu


def test_team_page_shows_each_counselors_caseload(client, manager, counselor, colleague, organisation):
    today = timezone.localdate()
    EpisodeFactory(organisation=organisation, referent=counselor, overdue=True)
    EpisodeFactory(
        organisation=organisation,
        referent=counselor,
        last_contact_at=timezone.now() - datetime.timedelta(days=2),
    )
    EpisodeFactory(organisation=organisation, referent=colleague, closed=True)
    client.force_login(manager)

    response = client.get(reverse("cases:team"))

    rows = {row["user"].username: row for row in response.context["caseloads"]}
    assert response.status_code == 200
    assert (rows["alice"]["people"], rows["alice"]["overdue"]) == (2, 1)
    assert timezone.localdate(rows["alice"]["last_contact"]) == today - datetime.timedelta(days=2)
    assert (rows["bob"]["people"], rows["bob"]["overdue"], rows["bob"]["last_contact"]) == (0, 0, None)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_team_page_query_count_does_not_grow(client, manager, counselor, organisation):
    for _ in range(3):
        EpisodeFactory(organisation=organisation, referent=counselor)
    client.force_login(manager)
    small = _queries(client, reverse("cases:team"))
    for _ in range(20):
        EpisodeFactory(organisation=organisation, referent=member(organisation, Role.COUNSELOR))
    large = _queries(client, reverse("cases:team"))

    assert small == large
    assert large <= 16


def test_manager_hands_several_people_over_with_one_reason(
    client, manager, counselor, colleague, organisation
):
    first, second, kept = (EpisodeFactory(organisation=organisation, referent=counselor) for _ in range(3))
    client.force_login(manager)

    response = client.post(
        reverse("cases:team"),
        {
            "organisation": str(organisation.public_id),
            "episodes": [str(first.public_id), str(second.public_id)],
            "to_referent": colleague.pk,
            "reason": "Congé maternité",
        },
    )

    assert response.status_code == 302
    referents = dict(SupportEpisode.objects.values_list("pk", "referent__username"))
    assert (referents[first.pk], referents[second.pk], referents[kept.pk]) == ("bob", "bob", "alice")
    events = CaseEvent.objects.filter(kind=CaseEvent.Kind.REFERENT_CHANGED).order_by("episode_id")
    assert [(e.episode_id, e.data["reason"], e.actor_id) for e in events] == [
        (first.pk, "Congé maternité", manager.pk),
        (second.pk, "Congé maternité", manager.pk),
    ]


def test_bulk_hand_over_without_reason_changes_nothing_and_keeps_the_selection(
    client, manager, counselor, colleague, organisation
):
    episode = EpisodeFactory(organisation=organisation, referent=counselor)
    client.force_login(manager)

    response = client.post(
        reverse("cases:team"),
        {"episodes": [str(episode.public_id)], "to_referent": colleague.pk, "reason": " "},
    )

    episode.refresh_from_db()
    assert response.status_code == 400
    assert episode.referent == counselor
    assert "Indiquez le motif du changement de référent·e." in response.content.decode()
    assert f'value="{episode.public_id}" id="hand-{episode.public_id}" checked' in response.content.decode()


def test_bulk_hand_over_ignores_people_of_another_organisation(
    client, manager, colleague, organisation, other_organisation
):
    elsewhere = EpisodeFactory(organisation=other_organisation)
    client.force_login(manager)

    response = client.post(
        reverse("cases:team"),
        {"episodes": [str(elsewhere.public_id)], "to_referent": colleague.pk, "reason": "x"},
    )

    elsewhere.refresh_from_db()
    assert response.status_code == 400
    assert elsewhere.referent != colleague


@pytest.mark.parametrize(
    "url_name",
    ["outcomes:due", "conversations:inbox", "cases:portfolio", "cases:alerts", "intake:create_person"],
)
def test_case_work_pages_refuse_roles_without_case_files_with_the_403_page(client, analyst, url_name):
    client.force_login(analyst)

    response = client.get(reverse(url_name))

    assert response.status_code == 403
    assert "<h1>Accès refusé</h1>" in response.content.decode()
