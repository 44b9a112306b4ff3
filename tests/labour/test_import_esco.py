import json
import shutil
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from parcours.labour import importers
from parcours.labour.models import EscoOccupation, NormaliserArtefact, ReferentialVersion
from tests.labour.conftest import ESCO_SAMPLE

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
