import json
import os
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from parcours.labour import importers
from parcours.labour.models import (
    EscoBroader,
    EscoOccupation,
    EscoOccupationSkill,
    EscoSkill,
    IscoGroup,
    NormaliserArtefact,
    ReferentialVersion,
)
from parcours.labour.normalising import esco_training_data, fit_from_db
from parcours.stats.labour.normalise import ESCO_CHAR_WEIGHT
from tests.labour.conftest import ESCO_SAMPLE

ESCO_DATA_DIR = Path(os.environ.get("ESCO_DATA_DIR") or "/nonexistent/ESCO_DATA_DIR-unset")  # no default
AIDE = "http://data.europa.eu/esco/occupation/00000000-0000-4000-8000-000000000001"


def test_esco_import_keeps_multi_line_alt_labels(db):
    report = importers.import_esco(ESCO_SAMPLE / "occupations_fr.csv")
    assert report.language == "fr" and not report.errors
    aide = EscoOccupation.objects.get(uri=AIDE)
    assert aide.labels == {"fr": "aide-soignant/aide-soignante"}
    assert aide.alt_labels["fr"] == [
        "aide-soignante",
        "aide-soignant",
        "aide-soignant en EHPAD",
        "aide-soignante de nuit",
    ]
    assert aide.isco_group == "5321"
    assert NormaliserArtefact.objects.filter(taxonomy="esco", language="fr").exists()


def test_second_language_adds_labels_and_reimport_changes_nothing(db):
    importers.import_esco(ESCO_SAMPLE / "occupations_fr.csv", fit=False)
    count = EscoOccupation.objects.count()
    importers.import_esco(ESCO_SAMPLE / "occupations_en.csv", fit=False)
    aide = EscoOccupation.objects.get(uri=AIDE)
    assert aide.labels == {"fr": "aide-soignant/aide-soignante", "en": "healthcare assistant"}
    assert "care assistant" in aide.alt_labels["en"]
    again = importers.import_esco(ESCO_SAMPLE / "occupations_fr.csv", fit=False)
    assert again.counts["esco_occupations"]["created"] == 0
    assert EscoOccupation.objects.count() >= count
    assert EscoOccupation.objects.get(uri=AIDE).labels["en"] == "healthcare assistant"
    assert ReferentialVersion.objects.filter(taxonomy="esco").count() == 3


def test_language_comes_from_the_option_when_the_name_says_nothing(db, tmp_path):
    path = tmp_path / "export.csv"
    shutil.copy(ESCO_SAMPLE / "occupations_fr.csv", path)
    with pytest.raises(CommandError) as caught:
        call_command("labour", "import-esco", str(path), "--no-progress", "--no-fit")
    assert caught.value.returncode == 2
    call_command(
        "labour", "import-esco", str(path), "--lang", "fr", "--no-progress", "--no-fit", stdout=StringIO()
    )
    assert EscoOccupation.objects.get(uri=AIDE).labels == {"fr": "aide-soignant/aide-soignante"}


def test_bad_esco_row_is_reported_with_its_physical_line(db, tmp_path):
    text = (ESCO_SAMPLE / "occupations_fr.csv").read_text(encoding="utf-8")
    path = tmp_path / "occupations_fr.csv"
    # the second record starts on line 6 (the first one's altLabels span four lines)
    path.write_text(
        text.replace(
            "http://data.europa.eu/esco/occupation/00000000-0000-4000-8000-000000000002", "not-a-uri"
        ),
        encoding="utf-8",
    )
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("labour", "import-esco", str(path), "--json", "--no-progress", stdout=out, stderr=err)
    assert caught.value.returncode == 2
    report = json.loads(out.getvalue())
    assert [(i["file"], i["line"]) for i in report["issues"]] == [("occupations_fr.csv", 6)]
    assert "occupations_fr.csv:6: error:" in err.getvalue()
    assert not EscoOccupation.objects.exists()


# --- A whole ESCO download folder (issue 15, part 4) ---------------------------------------------

FOLDER = Path(__file__).resolve().parent / "data" / "esco_fr"
DIRECTOR = "http://data.europa.eu/esco/occupation/00030d09-2b3a-4efd-87cc-c4ea39d27c34"
DATABASE_SKILL = "http://data.europa.eu/esco/skill/022dc430-872a-473a-9cf4-fed4895e58ad"


def test_folder_import_brings_skills_groups_hierarchies_and_relations(db):
    out = StringIO()
    call_command("labour", "import-esco", str(FOLDER), "--no-progress", "--no-fit", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["counts"]["esco_occupations"]["created"] == 3
    assert report["counts"]["esco_skills"]["created"] == EscoSkill.objects.count() == 7  # 4 skills, 3 groups
    assert EscoSkill.objects.filter(concept_type="SkillGroup").count() == 3
    skill = EscoSkill.objects.get(uri=DATABASE_SKILL)
    assert skill.labels == {"fr": "définir la structure physique de la base de données"}
    assert (skill.skill_type, skill.reuse_level) == ("skill/competence", "sector-specific")
    assert "bâtir l’architecture d’une base de données" in skill.alt_labels["fr"]
    assert EscoBroader.objects.filter(pillar="occupation").count() == 3
    assert EscoBroader.objects.filter(pillar="skill").count() == 3
    director = EscoOccupation.objects.get(uri=DIRECTOR)
    assert {(link.skill.uri, link.relation) for link in director.skill_links.select_related("skill")} == {
        (DATABASE_SKILL, "essential"),
        ("http://data.europa.eu/esco/skill/01a6e6ae-32d5-440a-bdb3-c9ed8a1f57c0", "optional"),
    }
    assert EscoOccupationSkill.objects.count() == 3
    referential = ReferentialVersion.objects.get(pk=report["referential_id"])
    assert referential.counts == {
        "esco_occupations": 3,
        "esco_skills": 7,
        "esco_broader_occupation": 3,
        "esco_broader_skill": 3,
        "esco_occupation_skills": 3,
        "isco_groups": 3,
    }
    assert dict(IscoGroup.objects.values_list("code", "labels")) == {
        "2431": {"fr": "Spécialistes de la publicité et de la commercialisation"},
        "3155": {"fr": "Techniciens de la sécurité aérienne"},
        "8121": {"fr": "Conducteurs d’installations de transformation et de traitement des métaux"},
    }


def test_the_esco_job_title_normaliser_reads_the_hierarchy_as_code_documents(db):
    importers.import_esco(FOLDER, fit=False)
    _labels, _codes, code_labels, code_texts = esco_training_data("fr")
    assert set(code_labels) == set(EscoOccupation.objects.values_list("uri", flat=True))
    # of the sample's occupations, only the wire-drawing operator's ISCO group is in the hierarchy
    # file: its label becomes that code's document; the others keep their (empty) description
    wire_drawing = "http://data.europa.eu/esco/occupation/000e93a3-d956-4e45-aacb-f12c83fedf84"
    assert code_texts == {
        DIRECTOR: "",
        wire_drawing: "Conducteurs d’installations de transformation et de traitement des métaux",
        "http://data.europa.eu/esco/occupation/0019b951-c699-4191-8208-9822882d150c": "",
    }
    normaliser, _n = fit_from_db("esco", language="fr")
    assert normaliser.char_fusion_weight == ESCO_CHAR_WEIGHT and normaliser.semantic_active


def test_folder_reimport_changes_nothing_and_a_changed_relation_is_updated(db, tmp_path):
    importers.import_esco(FOLDER, fit=False)
    again = importers.import_esco(FOLDER, fit=False)
    assert again.counts["esco_skills"]["created"] == 0  # updated: each import is a new referential version
    assert again.counts["esco_occupation_skills"] == {
        "created": 0,
        "deleted": 0,
        "unchanged": 3,
        "updated": 0,
    }
    copy = tmp_path / "esco"
    shutil.copytree(FOLDER, copy)
    relations = copy / "occupationSkillRelations.csv"
    lines = relations.read_text(encoding="utf-8").splitlines()
    relations.write_text("\n".join([lines[0], lines[1].replace("essential", "optional"), lines[2]]) + "\n")
    changed = importers.import_esco(copy, fit=False)
    assert changed.counts["esco_occupation_skills"] == {
        "created": 0,
        "deleted": 1,
        "unchanged": 1,
        "updated": 1,
    }
    assert EscoOccupationSkill.objects.get(skill__uri=DATABASE_SKILL).relation == "optional"


def test_a_relation_to_an_unknown_skill_aborts_the_folder_with_its_line(db, tmp_path):
    copy = tmp_path / "esco"
    shutil.copytree(FOLDER, copy)
    relations = copy / "occupationSkillRelations.csv"
    unknown = "http://data.europa.eu/esco/skill/ffffffff-ffff-4fff-8fff-ffffffffffff"
    relations.write_text(
        relations.read_text(encoding="utf-8") + f"{DIRECTOR},essential,knowledge,{unknown}\n"
    )
    err = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(
            "labour", "import-esco", str(copy), "--no-progress", "--no-fit", stdout=StringIO(), stderr=err
        )
    assert caught.value.returncode == 2
    assert (
        f"occupationSkillRelations.csv:5: error: skillUri {unknown} is not an imported skill"
        in err.getvalue()
    )
    assert not EscoOccupation.objects.exists() and not EscoSkill.objects.exists()  # all or nothing
    report = importers.import_esco(copy, fit=False, skip_invalid=True)
    assert EscoOccupationSkill.objects.count() == 3 and len(report.errors) == 1


def test_a_folder_with_two_languages_needs_the_option(db, tmp_path):
    copy = tmp_path / "esco"
    shutil.copytree(FOLDER, copy)
    shutil.copy(ESCO_SAMPLE / "occupations_en.csv", copy / "occupations_en.csv")
    with pytest.raises(importers.BadInputError, match=r"expected one occupations_<lang>\.csv"):
        importers.import_esco(copy, fit=False)
    report = importers.import_esco(copy, language="fr", fit=False)
    assert report.counts["esco_skills"]["created"] == 7


@pytest.mark.slow
@pytest.mark.skipif(
    not (ESCO_DATA_DIR / "skills_fr.csv").is_file(), reason="set ESCO_DATA_DIR to the French export"
)
def test_the_full_french_export_imports_as_a_folder(db):
    report = importers.import_esco(ESCO_DATA_DIR, fit=False)
    assert report.errors == []
    assert report.counts["esco_occupations"]["created"] == 2942
    assert EscoSkill.objects.filter(concept_type="KnowledgeSkillCompetence").count() == 13485
    assert EscoBroader.objects.filter(pillar="skill").count() == 7006  # 7,161 rows, 155 repeated
    assert EscoBroader.objects.filter(pillar="occupation").count() == 3551
