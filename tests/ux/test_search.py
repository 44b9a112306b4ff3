"""Finding a person: first name, last name or both in any order, accents, case and typos."""

import pytest
from django.urls import reverse

from parcours.people.models import name_search_score
from tests.cases.factories import EpisodeFactory
from tests.people.factories import PersonFactory


@pytest.mark.parametrize(
    "query",
    ["Awa", "awa", "Diallo", "diallo awa", "Awa Diallo", "AWA DIAL", "Dialo", "Diallou", "dia", "Awa Dialo"],
)
def test_name_search_matches_first_name_last_name_any_order_and_typos(query):
    assert name_search_score(query, "Awa", "Diallo") >= 80


@pytest.mark.parametrize("query", ["Ewa", "Diop", "Awa Martin", "xyz", "", "  "])
def test_name_search_does_not_match_other_names(query):
    assert name_search_score(query, "Awa", "Diallo") == 0


def test_name_search_ignores_accents_both_ways():
    assert name_search_score("helene lefevre", "Hélène", "Lefèvre") == 100
    assert name_search_score("Hélène", "Helene", "Lefevre") == 100


def _portfolio_names(client, **params):
    response = client.get(reverse("cases:portfolio"), params)
    return sorted(e.person.first_name for e in response.context["page"].object_list)


def test_portfolio_search_by_first_name_accents_and_typo(client, counselor, organisation):
    for first, last in [("Awa", "Diallo"), ("Hélène", "Lefèvre"), ("Jean", "Dupont")]:
        EpisodeFactory(
            organisation=organisation,
            referent=counselor,
            person=PersonFactory(first_name=first, last_name=last),
        )
    client.force_login(counselor)

    assert _portfolio_names(client, q="Awa") == ["Awa"]
    assert _portfolio_names(client, q="lefevre helene") == ["Hélène"]
    assert _portfolio_names(client, q="Dupnot") == ["Jean"]
    assert _portfolio_names(client, q="dup") == ["Jean"]


def test_manager_searches_the_whole_team_and_nobody_else(
    client, manager, counselor, colleague, organisation, other_organisation
):
    EpisodeFactory(organisation=organisation, referent=counselor, person=PersonFactory(first_name="Awa"))
    EpisodeFactory(organisation=organisation, referent=colleague, person=PersonFactory(first_name="Awa"))
    EpisodeFactory(organisation=other_organisation, person=PersonFactory(first_name="Awa"))
    client.force_login(manager)

    assert _portfolio_names(client, q="awa", team="on") == ["Awa", "Awa"]


def test_counselor_search_stays_in_their_own_portfolio(client, counselor, colleague, organisation):
    EpisodeFactory(organisation=organisation, referent=colleague, person=PersonFactory(first_name="Awa"))
    client.force_login(counselor)

    assert _portfolio_names(client, q="awa") == []
