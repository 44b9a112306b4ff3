from parcours.diagnosis.models import Skill
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


def test_informal_skills_count_toward_occupations_and_are_marked_as_evidence(rome_sample, episode):
    # Issue 15, part 5: skills from family life or volunteering are matched like the others and
    # shown, marked informal, as evidence toward the suggested and targeted occupations.
    person = episode.person
    Skill.objects.create(
        person=person, label="aider les enfants à faire leurs devoirs", source=Skill.Source.FAMILY
    )
    Skill.objects.create(person=person, label="laver le linge", source=Skill.Source.VOLUNTEERING)
    Skill.objects.create(person=person, label="préparer des plats culinaires", source=Skill.Source.WORK)
    project = CareerProjectFactory(episode=episode)
    profile = skill_profile(project)
    informal = {s.label: s.is_informal for s in profile.skills}
    assert informal == {
        "aider les enfants à faire leurs devoirs": True,
        "laver le linge": True,
        "préparer des plats culinaires": False,
    }
    suggestions = {
        s.occupation.rome_code: s for s in suggest_occupations(profile.item_codes, profile=profile)
    }
    childcare = suggestions["K1303"]
    assert [s.label for s in childcare.evidence] == [
        "aider les enfants à faire leurs devoirs",
        "laver le linge",
        "préparer des plats culinaires",
    ]
    assert [s.label for s in childcare.informal_evidence] == [
        "aider les enfants à faire leurs devoirs",
        "laver le linge",
    ]
    gaps = occupation_gaps(Occupation.objects.get(rome_code="K1303"), profile.item_codes, profile)
    behind = {s.label: [e.label for e in s.evidence] for s in gaps.required if s.is_held}
    assert behind["Aider l'enfant à faire ses devoirs"] == ["aider les enfants à faire leurs devoirs"]
    assert behind["Laver du linge"] == ["laver le linge"]
    assert all(not s.evidence for s in gaps.required if not s.is_held)
