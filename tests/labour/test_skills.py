from parcours.labour.models import CareerProject, Occupation, OccupationSkill, RomeItem
from parcours.labour.skills import neighbours, occupation_gaps, skill_profile, suggest_occupations
from tests.labour.factories import CareerProjectFactory


def _core_labels(code: str, n: int) -> list[str]:
    return list(
        OccupationSkill.objects.filter(occupation__rome_code=code, item__kind__in=RomeItem.SKILL_KINDS)
        .exclude(core_label="")
        .order_by("item__label")
        .values_list("item__label", flat=True)[:n]
    )


def test_declared_skills_are_matched_to_rome_items_and_gaps_listed(rome_sample, episode):
    labels = _core_labels("J1501", 3)
    project = CareerProjectFactory(episode=episode, declared_skills=[*labels, "xqzw plomb"])
    profile = skill_profile(project)
    assert profile.matcher_available
    assert [s.source for s in profile.skills] == ["declared"] * 4
    assert all(s.matches for s in profile.skills[:3])
    gaps = occupation_gaps(Occupation.objects.get(rome_code="J1501"), profile.item_codes)
    held = {s.label for s in gaps.core if s.is_held}
    assert set(labels) <= held
    assert gaps.missing_core and all(not s.is_held for s in gaps.missing_core)
    assert gaps.held_core == len(gaps.core) - len(gaps.missing_core)
    assert 0 < gaps.core_share < 1


def test_no_skill_means_everything_to_acquire(rome_sample, episode):
    project = CareerProjectFactory(episode=episode)
    gaps = occupation_gaps(Occupation.objects.get(rome_code="J1501"), skill_profile(project).item_codes)
    assert gaps.core and gaps.held_core == 0 and gaps.core_share == 0


def test_occupations_are_suggested_by_share_of_required_skills_held(rome_sample, episode):
    cook = _core_labels("G1609", 30)
    project = CareerProjectFactory(episode=episode, declared_skills=cook)
    suggestions = suggest_occupations(skill_profile(project).item_codes)
    assert suggestions[0].occupation.rome_code == "G1609"
    assert suggestions[0].share > 0.5
    shares = [s.share for s in suggestions]
    assert shares == sorted(shares, reverse=True)


def test_mobility_gives_neighbouring_occupations(rome_sample):
    links = neighbours(Occupation.objects.get(rome_code="G1602"))
    assert "D1106" in {link.target.rome_code for link in links}


def test_without_skill_artefact_the_profile_says_so(db, episode):
    project = CareerProject.objects.create(
        episode=episode, created_by=episode.referent, declared_skills=["cuisine"]
    )
    profile = skill_profile(project)
    assert not profile.matcher_available and profile.item_codes == set()
