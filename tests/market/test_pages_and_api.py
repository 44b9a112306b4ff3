import pytest
from django.urls import reverse

from parcours.cases.models import AccessLog
from parcours.people.models import Consent
from tests.cases.factories import EpisodeFactory
from tests.market.factories import OfferFactory


@pytest.fixture
def offers(lille):
    return [OfferFactory(title=f"Aide-soignant {i}") for i in range(30)]


@pytest.mark.django_db
def test_offer_search_is_paginated_with_a_bounded_number_of_queries(
    client, counselor, offers, django_assert_max_num_queries
):
    client.force_login(counselor)
    # Session, user, base-template memberships (4 in all) + commune, count, page of offers.
    with django_assert_max_num_queries(10):
        response = client.get(reverse("market:offer_search"), {"rome_code": "J1501", "commune": "59350"})
    assert response.status_code == 200
    assert response.content.decode().count('href="/marche/offres/') >= 25 or b"30 offres" in response.content


@pytest.mark.django_db
def test_offer_search_keeps_bad_input_and_explains(client, counselor, offers):
    client.force_login(counselor)
    response = client.get(reverse("market:offer_search"), {"rome_code": "aide", "q": "soins"})
    body = response.content.decode()
    assert 'value="aide"' in body and "quatre chiffres" in body and "Précisez aussi" in body


@pytest.mark.django_db
def test_people_without_membership_cannot_see_offers(client, django_user_model, offers):
    nobody = django_user_model.objects.create_user("nobody", password="x")
    client.force_login(nobody)
    assert client.get(reverse("market:offer_search")).status_code == 403
    assert client.get(reverse("market:offer_detail", args=[offers[0].pk])).status_code == 403


@pytest.mark.django_db
def test_offer_detail_lists_consented_people_with_reasons(
    client, counselor, organisation, lille, targets, offers, django_assert_max_num_queries
):
    for _ in range(5):
        ep = EpisodeFactory(organisation=organisation, referent=counselor, person__commune=lille)
        Consent.objects.create(person=ep.person, organisation=organisation, scope=Consent.Scope.CONTACT)
        targets[ep.pk] = [("J1501", True)]
    client.force_login(counselor)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("market:offer_detail", args=[offers[0].pk]))
    assert response.content.decode().count("métier visé (J1501)") == 5


@pytest.mark.django_db
def test_episode_matches_page_logs_access_and_hides_other_organisations(
    client, counselor, outsider, episode, lille, offers
):
    episode.person.commune = lille
    episode.person.save()
    client.force_login(counselor)
    response = client.get(
        reverse("market:episode_matches", args=[episode.public_id]),
        {"rome_codes": "J1501", "expected_salary": 2000},
    )
    assert response.status_code == 200
    assert "métier recherché (J1501)" in response.content.decode()
    assert AccessLog.objects.filter(person=episode.person, user=counselor).exists()
    client.force_login(outsider)
    assert client.get(reverse("market:episode_matches", args=[episode.public_id])).status_code == 404


@pytest.mark.django_db
def test_hiring_and_tension_pages_render(client, counselor, lille):
    client.force_login(counselor)
    assert (
        client.get(reverse("market:hiring_list"), {"rome_code": "J1501", "commune": "59000"}).status_code
        == 200
    )
    assert client.get(reverse("market:tension_list")).status_code == 200


@pytest.mark.django_db
def test_career_project_panel_renders_for_an_occupation(
    counselor, episode, lille, offers, django_assert_max_num_queries
):
    from types import SimpleNamespace

    from django.template.loader import render_to_string

    episode.person.commune = lille
    with django_assert_max_num_queries(7):
        html = render_to_string(
            "market/_career_project_panel.html",
            {"occupation": SimpleNamespace(rome_code="J1501"), "person": episode.person, "episode": episode},
        )
    assert "Aide-soignant" in html and "Tension : pas encore calculée" in html


@pytest.mark.django_db
def test_api_matching_for_an_episode_answers_404_to_outsiders(
    client, counselor, outsider, episode, lille, offers
):
    episode.person.commune = lille
    episode.person.save()
    client.force_login(counselor)
    url = f"/api/v1/market/episodes/{episode.public_id}/matches?rome_codes=J1501&radius_km=10"
    response = client.get(url)
    assert response.status_code == 200
    assert len(response.json()) == 20 and response.json()[0]["reasons"][0] == "métier recherché (J1501)"
    client.force_login(outsider)
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_api_offers_people_salary_and_tension(client, counselor, organisation, lille, targets, offers):
    ep = EpisodeFactory(organisation=organisation, referent=counselor, person__commune=lille)
    Consent.objects.create(person=ep.person, organisation=organisation, scope=Consent.Scope.CONTACT)
    targets[ep.pk] = [("J1501", False)]
    client.force_login(counselor)
    listing = client.get("/api/v1/market/offers", {"rome_code": "J1501"}).json()
    assert (listing["count"], len(listing["results"])) == (30, 25)
    assert client.get("/api/v1/market/offers", {"rome_code": "nope"}).status_code == 400
    people = client.get(f"/api/v1/market/offers/{offers[0].pk}/people").json()
    assert [p["episode"] for p in people] == [str(ep.public_id)]
    salary = client.get("/api/v1/market/salary", {"rome_code": "J1501", "territory": "59"}).json()
    assert salary["n"] == 0 and salary["sentence"].startswith("Aucune offre")
    assert client.get("/api/v1/market/tension", {"rome_code": "J1501"}).json() == []
    assert client.get("/api/v1/market/hiring", {"rome_code": "J1501"}).json() == []
