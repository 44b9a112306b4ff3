import datetime

import pytest
from django.utils import timezone

from parcours.market.matching import Criteria, criteria_for_episode, match_offers, match_people
from parcours.people.models import Consent
from tests.cases.factories import EpisodeFactory
from tests.market.factories import OfferFactory


def at(place, **kwargs):
    return OfferFactory(
        latitude=place.latitude, longitude=place.longitude, commune_insee=place.insee_code, **kwargs
    )


@pytest.mark.django_db
def test_offers_are_ranked_with_explanations(lille, roubaix, lens):
    far = at(lens, title="Lens")
    near_cdd = at(lille, title="Lille CDD", contract_type="CDD")
    roubaix_cdi = at(
        roubaix,
        title="Roubaix CDI",
        skills=[{"code": "", "label": "Soins d'hygiène"}],
        skill_keys="soins d hygiene",
    )
    other_job = at(lille, title="Autre métier", rome_code="G1803")
    criteria = Criteria(
        rome_codes=["J1501"], decided_codes={"J1501"}, latitude=lille.latitude, longitude=lille.longitude,
        radius_km=20, contract_types={"CDI"}, skills=["Soins d'hygiène"],
    )  # fmt: skip
    matches = match_offers(criteria)
    assert [m.obj for m in matches] == [roubaix_cdi, near_cdd]  # Lens is 27 km away
    assert far not in [m.obj for m in matches] and other_job not in [m.obj for m in matches]
    assert (
        matches[0].explanation
        == "métier visé (J1501) ; à 11 km ; 1 compétence(s) en commun : Soins d'hygiène ; CDI souhaité"
    )
    assert matches[1].reasons[-1] == "CDD (non souhaité)"
    assert matches[0].score > matches[1].score


@pytest.mark.django_db
def test_radius_filter_keeps_only_offers_within_the_distance(lille, lens):
    lens_offer = at(lens)
    lille_offer = at(lille)
    wide = Criteria(rome_codes=["J1501"], latitude=lille.latitude, longitude=lille.longitude, radius_km=40)
    narrow = Criteria(rome_codes=["J1501"], latitude=lille.latitude, longitude=lille.longitude, radius_km=25)
    assert {m.obj for m in match_offers(wide)} == {lille_offer, lens_offer}
    assert [m.obj for m in match_offers(narrow)] == [lille_offer]


@pytest.mark.django_db
def test_inactive_and_duplicate_offers_are_not_matched(lille):
    canonical = at(lille)
    at(lille, is_active=False)
    at(lille, duplicate_of=canonical)
    criteria = Criteria(rome_codes=["J1501"], latitude=lille.latitude, longitude=lille.longitude)
    assert [m.obj for m in match_offers(criteria)] == [canonical]


@pytest.mark.django_db
def test_ties_go_to_the_most_recent_offer(lille):
    old = at(lille, posted_at=timezone.now() - datetime.timedelta(days=20))
    new = at(lille, posted_at=timezone.now() - datetime.timedelta(days=1))
    criteria = Criteria(rome_codes=["J1501"], latitude=lille.latitude, longitude=lille.longitude)
    assert [m.obj for m in match_offers(criteria)] == [new, old]


@pytest.mark.django_db
def test_matching_reads_a_bounded_number_of_queries(lille, django_assert_num_queries):
    for _ in range(30):
        at(lille)
    criteria = Criteria(rome_codes=["J1501"], latitude=lille.latitude, longitude=lille.longitude)
    with django_assert_num_queries(2):
        assert len(match_offers(criteria, limit=20)) == 20


@pytest.mark.django_db
def test_criteria_come_from_the_career_project_targets(episode, lille, targets):
    episode.person.commune = lille
    episode.person.save()
    targets[episode.pk] = [("J1501", True), ("K2204", False)]
    criteria = criteria_for_episode(episode)
    assert (criteria.rome_codes, criteria.decided_codes, criteria.latitude) == (
        ["J1501", "K2204"],
        {"J1501"},
        lille.latitude,
    )
    assert criteria_for_episode(episode, rome_codes=["G1803"]).rome_codes == ["G1803"]


@pytest.mark.django_db
def test_offer_lists_only_consented_people_of_the_referents_portfolio(
    counselor, organisation, lille, roubaix, lens, targets
):
    consented = EpisodeFactory(organisation=organisation, referent=counselor, person__commune=roubaix)
    silent = EpisodeFactory(organisation=organisation, referent=counselor, person__commune=lille)
    colleague_s = EpisodeFactory(organisation=organisation, person__commune=lille)
    too_far = EpisodeFactory(organisation=organisation, referent=counselor, person__commune=lens)
    near_job = EpisodeFactory(organisation=organisation, referent=counselor, person__commune=lille)
    for ep in (consented, colleague_s, too_far, near_job):
        Consent.objects.create(person=ep.person, organisation=organisation, scope=Consent.Scope.CONTACT)
    Consent.objects.create(person=silent.person, organisation=organisation, scope=Consent.Scope.CASE_FILE)
    for ep in (consented, silent, colleague_s, too_far):
        targets[ep.pk] = [("J1501", True)]
    targets[near_job.pk] = [("J1502", False)]
    offer = at(lille)
    matches = match_people(offer, counselor, radius_km=20)
    assert [m.obj for m in matches] == [consented, near_job]
    assert matches[0].explanation == "métier visé (J1501) ; à 11 km"
    assert matches[1].explanation == "métier proche (J1502) ; à moins de 1 km"


@pytest.mark.django_db
def test_withdrawn_consent_removes_the_person(counselor, organisation, lille, targets):
    episode = EpisodeFactory(organisation=organisation, referent=counselor, person__commune=lille)
    consent = Consent.objects.create(
        person=episode.person, organisation=organisation, scope=Consent.Scope.CONTACT
    )
    targets[episode.pk] = [("J1501", True)]
    offer = at(lille)
    assert len(match_people(offer, counselor)) == 1
    consent.withdrawn_at = timezone.now()
    consent.save()
    assert match_people(offer, counselor) == []


@pytest.mark.django_db
def test_offer_to_people_queries_do_not_grow_with_the_portfolio(
    counselor, organisation, lille, targets, django_assert_max_num_queries
):
    for _ in range(15):
        ep = EpisodeFactory(organisation=organisation, referent=counselor, person__commune=lille)
        Consent.objects.create(person=ep.person, organisation=organisation, scope=Consent.Scope.CONTACT)
        targets[ep.pk] = [("J1501", True)]
    offer = at(lille)
    counselor.case_organisation_ids()
    with django_assert_max_num_queries(4):
        assert len(match_people(offer, counselor)) == 15
