"""A person's skills matched to ESCO skills (issue 15, part 5): the skills artefact fitted at the
ESCO import (lexical + semantic stage), the matches on the career project page and in the API, and
the ESCO skills of a target occupation's ESCO counterpart marked held with the person's skills
behind them, informal ones marked."""

import csv

import pytest
from django.urls import reverse

from parcours.diagnosis.models import Skill
from parcours.labour import importers
from parcours.labour.models import EscoOccupationSkill, EscoSkill, NormaliserArtefact, Occupation, Taxonomy
from parcours.labour.normalising import get_normaliser
from parcours.labour.skills import ESCO_MIN_SCORE, esco_gaps, skill_profile, suggest_from_esco
from tests.labour.conftest import FIXTURES
from tests.labour.factories import CareerProjectFactory, TargetOccupationFactory

SAMPLE = FIXTURES / "esco_rome_sample"
MAPPING = SAMPLE / "correspondance_rome_esco.csv"
SKILL = "http://data.europa.eu/esco/skill/"
BABYSITTER = "http://data.europa.eu/esco/occupation/c4a81f47-6ed8-4a17-ab4a-21a2e67fa1d9"


@pytest.fixture
def esco(rome_sample):
    report = importers.import_esco(SAMPLE, mapping=MAPPING)
    assert not report.errors
    return report


@pytest.fixture
def project(episode):
    person = episode.person
    for label, source in [
        ("Aide aux devoirs", Skill.Source.VOLUNTEERING),
        ("garder mes petits frères", Skill.Source.FAMILY),
        ("Conduite de chariot élévateur", Skill.Source.WORK),
        ("xqzw wvut", Skill.Source.HOBBY),
    ]:
        Skill.objects.create(person=person, label=label, source=source)
    return CareerProjectFactory(episode=episode)


def _esco_labels(profile):
    return {s.label: [label for _uri, label, _score in s.esco_matches] for s in profile.skills}


def test_the_esco_import_reads_the_sample_skills_and_fits_a_skill_matcher(esco):
    assert EscoSkill.objects.filter(concept_type=EscoSkill.ConceptType.SKILL).count() == 62
    assert EscoOccupationSkill.objects.count() == 80
    artefact = NormaliserArtefact.objects.get(taxonomy=Taxonomy.ESCO, kind=NormaliserArtefact.Kind.SKILLS)
    assert artefact.language == "fr"
    forms = 0
    with open(SAMPLE / "skills_fr.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            forms += len({row["preferredLabel"], *row["altLabels"].splitlines()} - {""})
    assert artefact.n_labels == forms > 62  # preferred and alternative labels, each form once
    matcher, _artefact = get_normaliser(Taxonomy.ESCO, kind=NormaliserArtefact.Kind.SKILLS)
    assert matcher.semantic_active  # the semantic stage helps on ESCO skills (docs/labour.md)
    assert [m.label for m in matcher.query("réparation de vélos", top=1)] == ["réparer des bicyclettes"]


def test_person_skills_are_matched_to_esco_skills_beside_rome_items(esco, project):
    profile = skill_profile(project)
    assert profile.matcher_available and profile.esco_available
    assert _esco_labels(profile) == {
        "Aide aux devoirs": ["aider des enfants à faire leurs devoirs"],
        "garder mes petits frères": ["baby-sitting"],
        "Conduite de chariot élévateur": ["utiliser un chariot élévateur"],
        "xqzw wvut": [],
    }
    scores = [score for s in profile.skills for _uri, _label, score in s.esco_matches]
    assert scores and all(ESCO_MIN_SCORE <= score <= 1 for score in scores)
    assert len(profile.esco_uris) == 3 and all(uri.startswith(SKILL) for uri in profile.esco_uris)


def test_a_target_occupation_shows_its_esco_skills_held_with_the_informal_evidence(esco, project):
    garde = Occupation.objects.get(rome_code="K1303")  # linked to ESCO "babysitter" through its job title
    gaps = esco_gaps(garde, skill_profile(project))
    assert gaps.esco_uri == BABYSITTER and gaps.esco_label == "babysitter"
    assert [(s.label, s.is_essential, s.is_held) for s in gaps.skills] == [
        ("baby-sitting", True, True),
        ("jouer avec des enfants", True, False),
        ("superviser des enfants", True, False),
        ("aider des enfants à faire leurs devoirs", False, True),
        ("préparer des plats préparés", False, False),
    ]
    assert gaps.held_essential == 1 and len(gaps.essential) == 3
    evidence = {s.label: [(e.label, e.is_informal) for e in s.evidence] for s in gaps.skills if s.is_held}
    assert evidence == {
        "baby-sitting": [("garder mes petits frères", True)],
        "aider des enfants à faire leurs devoirs": [("Aide aux devoirs", True)],
    }
    assert [s.label for s in gaps.informal_evidence] == ["garder mes petits frères", "Aide aux devoirs"]


def test_esco_occupations_are_suggested_from_the_skills_with_their_rome_fiches(
    esco, project, django_assert_num_queries
):
    profile = skill_profile(project)
    with django_assert_num_queries(3):
        suggestions = suggest_from_esco(profile)
    assert [
        (s.esco_label, s.held, s.required, [o.rome_code for o in s.occupations]) for s in suggestions
    ] == [
        ("cariste", 1, 2, ["N1101"]),  # utiliser un chariot élévateur, of 2 essential skills
        ("babysitter", 1, 3, ["K1303"]),  # baby-sitting; the homework help is optional
    ]
    cariste, babysitter = suggestions
    assert [s.label for s in cariste.evidence] == ["Conduite de chariot élévateur"]
    assert cariste.informal_evidence == []
    assert sorted(s.label for s in babysitter.informal_evidence) == [
        "Aide aux devoirs",
        "garder mes petits frères",
    ]
    assert suggest_from_esco(skill_profile(CareerProjectFactory())) == []  # no skill, no query


def test_a_fiche_without_crosswalk_link_has_no_esco_gaps(esco, project):
    assert esco_gaps(Occupation.objects.get(rome_code="G1602"), skill_profile(project)) is None


def test_pages_and_api_show_the_esco_matches(client, counselor, esco, episode, project):
    target = TargetOccupationFactory(project=project, occupation=Occupation.objects.get(rome_code="K1303"))
    client.force_login(counselor)
    page = client.get(reverse("labour:career_project", args=[episode.public_id]))
    assert page.status_code == 200
    text = page.content.decode()
    assert '<th scope="col">Correspondances ESCO</th>' in text
    assert "Métiers européens (ESCO) suggérés par les compétences" in text
    assert '<a href="/metiers/fiche/N1101/">N1101 Cariste</a>' in text
    assert 'aider des enfants à faire leurs devoirs <span class="muted">(0,76)</span>' in text
    detail = client.get(reverse("labour:target_occupation", args=[episode.public_id, target.pk]))
    assert detail.status_code == 200
    text = detail.content.decode()
    assert "Compétences du métier européen correspondant (ESCO)" in text
    assert "Métier ESCO « babysitter » : 1 compétence(s) essentielle(s) acquise(s) sur 3." in text
    assert "dont 2 compétences informelles de la personne" in text
    assert '« garder mes petits frères » <span class="badge">informelle : vie familiale</span>' in text
    api = client.get(f"/api/v1/episodes/{episode.public_id}/career-project")
    assert api.status_code == 200
    by_label = {s["label"]: s["esco_skills"] for s in api.json()["skills"]}
    assert [m["label"] for m in by_label["Aide aux devoirs"]] == ["aider des enfants à faire leurs devoirs"]
    assert by_label["Aide aux devoirs"][0]["uri"].startswith(SKILL)
    assert by_label["xqzw wvut"] == []


def test_without_esco_skills_the_pages_say_nothing_of_esco(client, counselor, rome_sample, episode, project):
    target = TargetOccupationFactory(project=project, occupation=Occupation.objects.get(rome_code="K1303"))
    profile = skill_profile(project)
    assert profile.matcher_available and not profile.esco_available
    assert all(s.esco_matches == [] for s in profile.skills)
    client.force_login(counselor)
    text = client.get(reverse("labour:career_project", args=[episode.public_id])).content.decode()
    assert "Correspondances ESCO" not in text
    assert "Métiers européens (ESCO)" not in text
    detail = client.get(reverse("labour:target_occupation", args=[episode.public_id, target.pk]))
    assert detail.status_code == 200
    assert "métier européen correspondant" not in detail.content.decode()
    api = client.get(f"/api/v1/episodes/{episode.public_id}/career-project").json()
    assert all(s["esco_skills"] == [] for s in api["skills"])
