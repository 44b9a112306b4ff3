"""Search by need: eligibility filters, distance, explanations, bounded queries, public page."""

import datetime

import pytest
from django.urls import reverse

from parcours.catalogue.search import Criteria, criteria_for_person, search_services
from tests.catalogue.factories import ServiceFactory
from tests.organisations.factories import OrganisationFactory
from tests.people.factories import PersonFactory


def names(matches):
    return sorted(m.service.name for m in matches)


@pytest.fixture
def provider(lille):
    return OrganisationFactory(territory=lille, name="Association Mobilité")


def test_status_filter_keeps_services_open_to_employed_people(provider):
    ServiceFactory(organisation=provider, name="Pour salariés", statuses=["employed"])
    ServiceFactory(organisation=provider, name="Pour demandeurs", statuses=["job_seeker"])
    ServiceFactory(organisation=provider, name="Pour tous", statuses=[])

    employed = search_services(Criteria(status="employed", radius_km=None))
    seeker = search_services(Criteria(status="job_seeker", radius_km=None))

    assert names(employed) == ["Pour salariés", "Pour tous"]
    assert names(seeker) == ["Pour demandeurs", "Pour tous"]


def test_age_filter_uses_both_bounds(provider):
    ServiceFactory(organisation=provider, name="Jeunes", min_age=16, max_age=25)
    ServiceFactory(organisation=provider, name="Seniors", min_age=50)

    assert names(search_services(Criteria(age=20, radius_km=None))) == ["Jeunes"]
    assert names(search_services(Criteria(age=26, radius_km=None))) == []
    assert names(search_services(Criteria(age=55, radius_km=None))) == ["Seniors"]


def test_territory_filter_accepts_commune_and_departement_zones(provider, lille, roubaix, lens, departement):
    ServiceFactory(organisation=provider, name="Lille seulement", territories=[lille])
    ServiceFactory(organisation=provider, name="Tout le Nord", territories=[departement])
    ServiceFactory(organisation=provider, name="Partout")

    assert names(search_services(Criteria(commune=roubaix, radius_km=None))) == ["Partout", "Tout le Nord"]
    assert names(search_services(Criteria(commune=lille, radius_km=None))) == [
        "Lille seulement",
        "Partout",
        "Tout le Nord",
    ]
    assert names(search_services(Criteria(commune=lens, radius_km=None))) == ["Partout"]


def test_benefit_reserved_services_need_the_benefit(provider):
    ServiceFactory(organisation=provider, name="RSA", reserved_for=["minimum_income"])
    ServiceFactory(organisation=provider, name="Ouvert")

    assert names(search_services(Criteria(benefits=[], radius_km=None))) == ["Ouvert"]
    assert names(search_services(Criteria(benefits=["minimum_income"], radius_km=None))) == ["Ouvert", "RSA"]


def test_needs_keep_services_addressing_a_barrier(provider):
    ServiceFactory(organisation=provider, name="Permis", barriers=["mobility"])
    ServiceFactory(organisation=provider, name="Garde", barriers=["family"])

    assert names(search_services(Criteria(barriers=["family"], radius_km=None))) == ["Garde"]


def test_distance_excludes_far_in_person_services_but_not_remote_ones(lille, lens):
    near = OrganisationFactory(territory=lille)
    far = OrganisationFactory(territory=lens)
    ServiceFactory(organisation=near, name="Près")
    ServiceFactory(organisation=far, name="Loin")
    ServiceFactory(organisation=far, name="Loin à distance", modes_accueil=["a-distance"])

    assert names(search_services(Criteria(commune=lille, radius_km=20))) == ["Loin à distance", "Près"]


def test_results_explain_why_each_service_fits(provider, lille):
    person = PersonFactory(commune=lille, status="employed", birth_date=datetime.date(1990, 1, 1))
    ServiceFactory(
        organisation=provider,
        name="Vélo",
        statuses=["employed"],
        barriers=["mobility"],
        latitude=lille.latitude + 0.036,  # about 4 km north
        longitude=lille.longitude,
    )

    [match] = search_services(criteria_for_person(person, barriers=["mobility"]))

    assert match.explanation == "répond au frein mobilité ; ouvert aux salarié·es ; à 4 km"


def test_best_fit_comes_first(provider, lille):
    ServiceFactory(organisation=provider, name="Un frein", barriers=["mobility"])
    ServiceFactory(organisation=provider, name="Deux freins", barriers=["mobility", "housing"])

    matches = search_services(Criteria(barriers=["mobility", "housing"], commune=lille))

    assert [m.service.name for m in matches] == ["Deux freins", "Un frein"]


@pytest.mark.parametrize("size", [3, 30])
def test_search_query_count_does_not_grow_with_the_catalogue(
    size, provider, lille, django_assert_num_queries
):
    for _ in range(size):
        ServiceFactory(organisation=provider, territories=[lille])
    person = PersonFactory(commune=lille)
    criteria = criteria_for_person(person, barriers=["mobility"])
    # One query: services joined to organisation, site and commune; eligibility zones, statuses,
    # publics and barriers are conditions of that same query.
    with django_assert_num_queries(1):
        matches = search_services(criteria)
    assert len(matches) == size


@pytest.mark.parametrize("size", [3, 30])
def test_public_page_query_count_does_not_grow(size, client, provider, lille, django_assert_num_queries):
    for _ in range(size):
        ServiceFactory(organisation=provider)
    with django_assert_num_queries(3):
        response = client.get(
            reverse("catalogue:public_search"), {"thematique": "mobilite", "commune": "Lille"}
        )
    assert response.status_code == 200


def test_public_catalogue_needs_no_login_and_filters_by_thematique(client, provider):
    ServiceFactory(
        organisation=provider, name="Permis solidaire", thematiques=["mobilite--preparer-un-permis"]
    )
    ServiceFactory(organisation=provider, name="Garde d'enfants", thematiques=["famille--garde-denfants"])

    response = client.get(reverse("catalogue:public_search"), {"thematique": "mobilite"})

    assert response.status_code == 200
    assert "Permis solidaire" in response.text
    assert "Garde d&#x27;enfants" not in response.text and "Garde d'enfants" not in response.text
    detail = client.get(
        reverse("catalogue:service_detail", args=[response.context["page"][0].service.public_id])
    )
    assert detail.status_code == 200


def test_public_catalogue_reports_an_unknown_commune(client, provider):
    response = client.get(reverse("catalogue:public_search"), {"commune": "Atlantide"})
    assert response.status_code == 400
    assert "Aucune commune ne s&#x27;appelle Atlantide" in response.text
    assert 'value="Atlantide"' in response.text


def test_public_api_lists_services_without_authentication(client, provider):
    ServiceFactory(organisation=provider, name="Permis solidaire", publics=["jeunes"])
    response = client.get("/api/v1/services", {"public": "jeunes"})
    assert response.status_code == 200
    assert [s["name"] for s in response.json()["items"]] == ["Permis solidaire"]


def test_counselor_search_page_for_a_person_logs_the_access(client, counselor, episode, lille, provider):
    from parcours.cases.models import AccessLog

    episode.person.commune = lille
    episode.person.save()
    ServiceFactory(organisation=provider, name="Permis solidaire", barriers=["mobility"])
    client.force_login(counselor)

    response = client.get(
        reverse("catalogue:match", args=[episode.public_id]), {"barriers": ["mobility"], "radius_km": 30}
    )

    assert response.status_code == 200
    assert "répond au frein mobilité" in response.text
    assert AccessLog.objects.filter(person=episode.person, user=counselor, route="catalogue:match").exists()


def test_outsider_cannot_search_for_someone_elses_person(client, outsider, episode):
    client.force_login(outsider)
    assert client.get(reverse("catalogue:match", args=[episode.public_id])).status_code == 404
    assert client.get("/api/v1/services/match", {"episode": str(episode.public_id)}).status_code == 404


def test_needs_come_from_the_latest_diagnosis_the_user_may_see(episode, counselor, colleague):
    from django.apps import apps

    from parcours.catalogue.search import barriers_from_diagnosis

    if not apps.is_installed("parcours.diagnosis"):
        pytest.skip("the diagnosis app is not installed")
    from tests.diagnosis.factories import BarrierFactory, DiagnosisFactory

    old = DiagnosisFactory(episode=episode, completed=True)
    BarrierFactory(diagnosis=old, kind="family")
    latest = DiagnosisFactory(episode=episode, completed=True)
    latest.completed_at = old.completed_at + datetime.timedelta(days=1)
    latest.save()
    BarrierFactory(diagnosis=latest, kind="mobility")
    BarrierFactory(diagnosis=latest, kind="health")  # sensitive: the referent only

    assert barriers_from_diagnosis(episode.person, user=counselor) == ["health", "mobility"]
    assert barriers_from_diagnosis(episode.person, user=colleague) == ["mobility"]
    assert barriers_from_diagnosis(episode.person) == []
