"""Coverage of publics × territories: pure computation on a hand-built territory, then the data
from conventions and services, the coordinator's page and API, and the referral delay statistics."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from parcours.accounts.models import Role
from parcours.catalogue.coverage import Offer, compute_coverage, referral_pair_stats
from parcours.catalogue.reports import coverage_for
from tests.accounts.factories import member
from tests.catalogue.factories import ConventionFactory, ServiceFactory
from tests.organisations.factories import OrganisationFactory


def test_gaps_and_overlaps_on_a_hand_built_territory():
    # Two communes A and B in département D; publics jeunes and seniors.
    ancestors = {"A": {"A", "D"}, "B": {"B", "D"}}
    offers = [
        Offer("Mission locale", frozenset({"jeunes"}), "D"),  # all of D for the young
        Offer("France Travail", frozenset({"jeunes"}), "A"),  # A again: overlap on (jeunes, A)
        Offer("Asso", frozenset({"tous-publics"}), "Z"),  # a territory outside: nothing
    ]
    result = compute_coverage(["jeunes", "seniors"], ["A", "B"], ancestors, offers)

    assert result.cell("jeunes", "A").organisations == {"Mission locale", "France Travail"}
    assert sorted(result.overlaps) == [("jeunes", "A")]
    assert sorted(result.gaps) == [("seniors", "A"), ("seniors", "B")]
    assert result.commune_counts("jeunes") == {"A": 2, "B": 1}
    assert result.commune_counts() == {"A": 1, "B": 1}


def test_all_publics_offer_covers_every_public():
    result = compute_coverage(
        ["jeunes", "seniors"], ["A"], {"A": {"A"}}, [Offer("Asso", frozenset({"tous-publics"}), "A")]
    )
    assert result.gaps == [] and result.overlaps == []


def test_referral_pair_statistics():
    t0 = timezone.now()
    rows = [
        ("FT", "ML", t0, t0 + datetime.timedelta(days=2), "accepted"),
        ("FT", "ML", t0, t0 + datetime.timedelta(days=4), "completed"),
        ("FT", "ML", t0, None, "refused"),
        ("FT", "ML", t0, None, "expired"),
        ("FT", "ML", t0, None, "proposed"),
    ]
    [stats] = referral_pair_stats(rows)
    assert (stats.proposed, stats.accepted, stats.decided) == (5, 2, 4)
    assert stats.acceptance_rate == 0.5
    assert stats.median_days_to_accept == 3.0


@pytest.fixture
def coverage_setup(lille, roubaix, departement):
    ml = OrganisationFactory(name="Mission locale", territory=lille)
    ft = OrganisationFactory(name="France Travail", territory=lille)
    ConventionFactory(organisations=[ml], territories=[departement], publics=["jeunes"])
    ServiceFactory(organisation=ft, publics=["jeunes"], territories=[lille])
    ServiceFactory(organisation=ft, publics=["seniors"], commune=roubaix)  # no zone: its commune
    ConventionFactory(
        organisations=[ft],
        territories=[roubaix],
        publics=["femmes"],
        end_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    coordinator = member(
        OrganisationFactory(name="Département", kind="local_authority", territory=departement),
        Role.COORDINATOR,
    )
    return coordinator, ml, ft


def test_coverage_from_conventions_and_services(coverage_setup, lille, roubaix):
    result = coverage_for([lille, roubaix])
    assert result.cell("jeunes", str(lille.pk)).organisations == {"Mission locale", "France Travail"}
    assert result.cell("jeunes", str(roubaix.pk)).organisations == {"Mission locale"}
    assert result.cell("seniors", str(roubaix.pk)).organisations == {"France Travail"}
    assert result.cell("femmes", str(roubaix.pk)).is_gap  # the convention has ended


def test_coordinator_sees_the_coverage_page_with_a_labelled_map(client, coverage_setup):
    coordinator = coverage_setup[0]
    client.force_login(coordinator)
    response = client.get(reverse("catalogue:coverage"), {"public": "jeunes"})
    assert response.status_code == 200
    assert "<svg" in response.text and "Lille" in response.text and "Roubaix" in response.text
    assert "manque" in response.text and "recouvrement" in response.text
    api = client.get("/api/v1/coverage").json()
    assert {"public": "jeunes", "commune": "59350"} in api["overlaps"]


def test_counselor_cannot_see_the_coverage(client, counselor):
    client.force_login(counselor)
    assert client.get(reverse("catalogue:coverage")).status_code == 403
    assert client.get("/api/v1/coverage").status_code == 403


def test_people_with_two_referents_are_counted_not_named(client, coverage_setup, lille):
    from tests.cases.factories import EpisodeFactory
    from tests.people.factories import PersonFactory

    coordinator, ml, ft = coverage_setup
    person = PersonFactory(commune=lille, last_name="Doublesuivi")
    EpisodeFactory(person=person, organisation=ml)
    EpisodeFactory(person=person, organisation=ft)
    client.force_login(coordinator)
    response = client.get(reverse("catalogue:coverage"))
    assert response.context["people"].several_referents == 1
    assert "DOUBLESUIVI" not in response.text and "Doublesuivi" not in response.text
