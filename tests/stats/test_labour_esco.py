"""ESCO skills, skill groups, hierarchies and occupation-skill relations: readers on rows cut
from the real French export, broken copies, the documented relations format, the full files."""

import csv
import io
import os
from pathlib import Path

import pytest

from parcours.stats.labour.esco import (
    iter_broader_relations,
    iter_esco_concepts,
    iter_occupation_skills,
)

ROOT = Path(__file__).resolve().parents[2]
CUT = Path(__file__).resolve().parent / "data" / "esco"
ESCO_DATA_DIR = Path(os.environ.get("ESCO_DATA_DIR") or "/nonexistent/ESCO_DATA_DIR-unset")  # no default
SKILL = ("KnowledgeSkillCompetence",)
OCCUPATION = "http://data.europa.eu/esco/occupation/00030d09-2b3a-4efd-87cc-c4ea39d27c34"


def _read(func, path, *args):
    issues = []
    return list(func(path, *args, issues) if args else func(path, issues)), issues


def test_skills_read_by_header_name_with_their_alternative_labels():
    skills, issues = _read(iter_esco_concepts, CUT / "skills_fr.csv", SKILL)
    assert issues == []
    assert len(skills) == 4
    first = skills[0]
    assert first.uri == "http://data.europa.eu/esco/skill/00f12ec1-b416-4e3c-8ed7-c4f875c6b681"
    assert first.preferred_label == "superviser les services ménagers"
    assert first.alt_labels == (
        "superviser des services de ménage",
        "superviser les opérations de ménage",
        "superviser les activités de ménage",
    )
    assert (first.skill_type, first.reuse_level, first.language) == (
        "skill/competence",
        "sector-specific",
        "fr",
    )


def test_columns_in_another_order_and_extra_columns_read_the_same(tmp_path):
    lines = (CUT / "skills_fr.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(lines)))
    order = [6, 5, 4, 3, 2, 1, 0]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([rows[0][i] for i in order] + ["status"])
    writer.writerows([[r[i] for i in order] + ["released"] for r in rows[1:]])
    path = tmp_path / "skills_fr.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    reordered, issues = _read(iter_esco_concepts, path, SKILL)
    original, _ = _read(iter_esco_concepts, CUT / "skills_fr.csv", SKILL)
    assert issues == [] and reordered == original


def test_skill_groups_and_hierarchies_read_from_real_rows():
    groups, issues = _read(iter_esco_concepts, CUT / "skillGroups_fr.csv", ("SkillGroup",))
    assert issues == [] and [g.preferred_label for g in groups] == [
        "valeurs",
        "sécurité des TIC",
        "application des connaissances",
    ]
    assert groups[1].alt_labels == ("sécurité des technologies de l'information et de la communication",)
    relations, issues = _read(iter_broader_relations, CUT / "broaderRelationsSkillPillar.csv")
    assert issues == [] and len(relations) == 3
    assert relations[0].broader_uri == "http://data.europa.eu/esco/skill/8f18f987-33e2-4228-9efb-65de25d03330"
    occupations, issues = _read(iter_broader_relations, CUT / "broaderRelationsOccPillar.csv")
    assert issues == [] and {r.concept_type for r in occupations} == {"Occupation"}


def test_broken_rows_are_reported_with_their_physical_line(tmp_path):
    text = (CUT / "skills_fr.csv").read_text(encoding="utf-8")
    first_uri = "http://data.europa.eu/esco/skill/00f12ec1-b416-4e3c-8ed7-c4f875c6b681"
    broken = text.replace(first_uri, "http://example.org/x", 1).replace(
        "KnowledgeSkillCompetence", "Occupation", 2
    )
    path = tmp_path / "skills_fr.csv"
    path.write_text(broken, encoding="utf-8")
    skills, issues = _read(iter_esco_concepts, path, SKILL)
    # the first record starts on line 2, the second on line 5 (three alternative labels)
    assert [(i.line, i.message) for i in issues] == [
        (2, "conceptType 'Occupation' is not 'KnowledgeSkillCompetence'"),
        (5, "conceptType 'Occupation' is not 'KnowledgeSkillCompetence'"),
    ]
    assert len(skills) == 2
    path.write_text(text.replace(first_uri, "http://example.org/x", 1), encoding="utf-8")
    _, issues = _read(iter_esco_concepts, path, SKILL)
    assert [(i.line, i.message) for i in issues] == [
        (2, "conceptUri 'http://example.org/x' is not an ESCO concept URI")
    ]


def test_missing_required_column_is_one_issue_on_line_1(tmp_path):
    path = tmp_path / "skills_fr.csv"
    path.write_text("conceptType,preferredLabel\nKnowledgeSkillCompetence,x\n", encoding="utf-8")
    skills, issues = _read(iter_esco_concepts, path, SKILL)
    assert skills == []
    assert [(i.line, i.message.split(" (")[0]) for i in issues] == [(1, "missing column(s) conceptUri")]


def test_occupation_skill_relations_in_the_documented_format(tmp_path):
    skills, _ = _read(iter_esco_concepts, CUT / "skills_fr.csv", SKILL)
    path = tmp_path / "occupationSkillRelations.csv"
    path.write_text(
        "occupationUri,relationType,skillType,skillUri\n"
        f"{OCCUPATION},essential,skill/competence,{skills[0].uri}\n"
        f"{OCCUPATION},optional,skill/competence,{skills[1].uri}\n"
        f"{OCCUPATION},required,skill/competence,{skills[2].uri}\n"
        f"{OCCUPATION},essential,skill/competence,{skills[0].uri}\n"
        f"{skills[3].uri},essential,skill/competence,{OCCUPATION}\n",
        encoding="utf-8",
    )
    relations, issues = _read(iter_occupation_skills, path)
    assert [(r.skill_uri, r.relation_type) for r in relations] == [
        (skills[0].uri, "essential"),
        (skills[1].uri, "optional"),
    ]
    assert [(i.line, i.message) for i in issues] == [
        (4, "relationType 'required' is not essential or optional"),
        (5, f"duplicate relation {OCCUPATION} -> {skills[0].uri}"),
        (6, f"occupationUri {skills[3].uri!r} is not an ESCO occupation URI"),
        (6, f"skillUri {OCCUPATION!r} is not an ESCO skill URI"),
    ]


@pytest.mark.skipif(not (ESCO_DATA_DIR / "skills_fr.csv").is_file(), reason="set ESCO_DATA_DIR")
def test_the_full_french_export_reads_without_issue():
    counts = {}
    for name, types in (
        ("skills_fr.csv", SKILL),
        ("skillGroups_fr.csv", ("SkillGroup",)),
        ("ISCOGroups_fr.csv", ("ISCOGroup",)),
    ):
        concepts, issues = _read(iter_esco_concepts, ESCO_DATA_DIR / name, types)
        assert issues == []
        counts[name] = len(concepts)
    for name in ("broaderRelationsOccPillar.csv", "broaderRelationsSkillPillar.csv"):
        relations, issues = _read(iter_broader_relations, ESCO_DATA_DIR / name)
        assert issues == []
        counts[name] = len(relations)
    assert counts == {
        "skills_fr.csv": 13485,
        "skillGroups_fr.csv": 17,
        "ISCOGroups_fr.csv": 619,
        "broaderRelationsOccPillar.csv": 3551,
        "broaderRelationsSkillPillar.csv": 7161,
    }
