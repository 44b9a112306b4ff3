import csv
import json
import shutil
import time
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from parcours.labour import importers
from parcours.labour.models import (
    Domain,
    JobTitle,
    MobilityLink,
    NormaliserArtefact,
    Occupation,
    OccupationSkill,
    ReferentialVersion,
    RomeItem,
)
from parcours.stats.labour.rome import read_rome
from tests.labour.conftest import ROME_SAMPLE

APPELLATIONS = "unix_referentiel_appellation_v460_utf8.csv"
FICHES = "unix_referentiel_code_rome_v460_utf8.csv"


def _counts():
    return {
        "occupations": Occupation.objects.count(),
        "titles": JobTitle.objects.count(),
        "items": RomeItem.objects.count(),
        "links": OccupationSkill.objects.count(),
        "mobility": MobilityLink.objects.count(),
        "domains": Domain.objects.count(),
    }


def _copy_sample(tmp_path) -> Path:
    target = tmp_path / "rome"
    shutil.copytree(ROME_SAMPLE, target)
    return target


def _rewrite(path: Path, change) -> None:
    """Rewrite a CSV of the set (same quoting as the publisher's) with change(rows) applied."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    change(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)


def _relabel(rows, code, label):
    header = rows[0]
    for row in rows[1:]:
        if row[header.index("code_rome")] == code:
            row[header.index("libelle_rome")] = label


def test_sample_import_loads_every_valid_record_and_records_the_version(rome_sample):
    ref = read_rome(ROME_SAMPLE)
    assert not ref.errors
    counts = _counts()
    assert counts["occupations"] == len(ref.occupations) == 25
    assert counts["titles"] == len(ref.job_titles)
    assert counts["items"] == len(ref.items)
    assert counts["links"] == len(ref.item_links)
    assert counts["mobility"] == len(ref.mobility)
    version = ReferentialVersion.objects.get()
    assert (version.taxonomy, version.version) == ("rome", "460")
    assert version.counts["occupations"] == 25
    aide = Occupation.objects.get(rome_code="J1501")
    assert aide.label == "Aide-soignant / Aide-soignante"
    assert aide.definition
    assert aide.domain.code == "J15" and aide.domain.parent.code == "J"
    assert aide.referential == version


def test_import_fits_and_stores_the_normaliser_artefacts(rome_sample, artefact_dir):
    kinds = set(NormaliserArtefact.objects.values_list("kind", flat=True))
    assert kinds == {"job_titles", "skills"}
    for artefact in NormaliserArtefact.objects.all():
        assert (artefact_dir / "artefacts" / artefact.path).is_file()
        assert artefact.referential_id == rome_sample.referential_id
        assert artefact.n_labels > 0


def test_reimport_is_idempotent_and_applies_changes_in_place(db, tmp_path):
    folder = _copy_sample(tmp_path)
    importers.import_rome(folder, fit=False)
    before = _counts()
    pk = Occupation.objects.get(rome_code="J1501").pk

    again = importers.import_rome(folder, fit=False)
    assert _counts() == before
    assert again.counts["job_titles"]["created"] == 0 and again.counts["job_titles"]["updated"] == 0
    assert again.counts["occupation_skills"] == {
        "created": 0,
        "updated": 0,
        "unchanged": before["links"],
        "deleted": 0,
    }

    _rewrite(folder / FICHES, lambda rows: _relabel(rows, "J1501", "Aide-soignant / Aide-soignante (révisé)"))
    dropped = {}

    def drop_first_title(rows):
        dropped["code"] = rows[1][0]
        del rows[1]

    _rewrite(folder / APPELLATIONS, drop_first_title)
    third = importers.import_rome(folder, fit=False)
    occupation = Occupation.objects.get(rome_code="J1501")
    assert occupation.pk == pk
    assert occupation.label.endswith("(révisé)")
    assert occupation.referential_id == third.referential_id
    assert not JobTitle.objects.get(code_ogr=dropped["code"]).is_active
    assert JobTitle.objects.count() == before["titles"]
    assert ReferentialVersion.objects.count() == 3


def test_bad_rows_abort_the_import_with_file_and_line(db, tmp_path):
    folder = _copy_sample(tmp_path)

    def break_row(rows):
        rows[5][rows[0].index("code_rome")] = "XX99"

    _rewrite(folder / APPELLATIONS, break_row)
    with pytest.raises(importers.ImportAborted) as caught:
        importers.import_rome(folder)
    errors = caught.value.report.errors
    assert any(e["file"] == APPELLATIONS and e["line"] == 6 and "XX99" in e["message"] for e in errors)
    assert _counts()["occupations"] == 0
    assert not ReferentialVersion.objects.exists()


def test_cli_reports_bad_rows_on_stderr_and_exits_2(db, tmp_path):
    folder = _copy_sample(tmp_path)
    _rewrite(folder / APPELLATIONS, lambda rows: rows[3].__setitem__(rows[0].index("code_ogr"), "abc"))
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("labour", "import-rome", str(folder), "--json", "--no-progress", stdout=out, stderr=err)
    assert caught.value.returncode == 2
    assert f"{APPELLATIONS}:4: error:" in err.getvalue()
    report = json.loads(out.getvalue())
    assert report["aborted"] is True
    assert {k: report["issues"][0][k] for k in ("file", "line")} == {"file": APPELLATIONS, "line": 4}
    assert not Occupation.objects.exists()


def test_skip_invalid_imports_the_valid_rows_and_reports_the_others(db, tmp_path):
    folder = _copy_sample(tmp_path)
    _rewrite(folder / APPELLATIONS, lambda rows: rows[3].__setitem__(rows[0].index("code_ogr"), "abc"))
    out, err = StringIO(), StringIO()
    call_command(
        "labour",
        "import-rome",
        str(folder),
        "--skip-invalid",
        "--no-fit",
        "--json",
        "--no-progress",
        stdout=out,
        stderr=err,
    )
    report = json.loads(out.getvalue())
    assert report["errors"] == 1 and report["aborted"] is False
    assert f"{APPELLATIONS}:4: error:" in err.getvalue()
    assert JobTitle.objects.count() == len(read_rome(ROME_SAMPLE).job_titles) - 1
    assert ReferentialVersion.objects.get().skipped_rows == 1


def test_missing_folder_is_bad_input(db, tmp_path):
    with pytest.raises(CommandError) as caught:
        call_command("labour", "import-rome", str(tmp_path / "nothing"), "--no-progress")
    assert caught.value.returncode == 2


def test_error_mid_import_leaves_the_previous_referential_intact(db, tmp_path, monkeypatch):
    folder = _copy_sample(tmp_path)
    importers.import_rome(folder, fit=False)
    before = _counts()
    _rewrite(folder / FICHES, lambda rows: _relabel(rows, "J1501", "Libellé qui ne doit pas rester"))
    real_sync = importers.sync_links

    def failing_sync(model, *args, **kwargs):
        if model is MobilityLink:  # the last stage: everything else was already written
            raise RuntimeError("disk full")
        return real_sync(model, *args, **kwargs)

    monkeypatch.setattr(importers, "sync_links", failing_sync)
    with pytest.raises(RuntimeError):
        importers.import_rome(folder, fit=False)
    assert _counts() == before
    assert Occupation.objects.get(rome_code="J1501").label == "Aide-soignant / Aide-soignante"
    assert ReferentialVersion.objects.count() == 1


@pytest.mark.skipif(
    not settings.ROME_DATA_DIR or not Path(settings.ROME_DATA_DIR).is_dir(),
    reason=f"official ROME set not found: ROME_DATA_DIR={settings.ROME_DATA_DIR!r} (set it to the folder)",
)
@pytest.mark.slow  # about 50 s on SQLite, 95 s on PostgreSQL on the shared 2-core machine
def test_full_official_set_imports_and_reimports_without_change(db):
    started = time.perf_counter()
    report = importers.import_rome(settings.ROME_DATA_DIR, fit=False)
    assert not report.errors
    assert Occupation.objects.count() == 1584
    assert JobTitle.objects.count() == 13120
    assert OccupationSkill.objects.count() == report.counts["occupation_skills"]["created"] > 100_000
    again = importers.import_rome(settings.ROME_DATA_DIR, fit=False)
    assert again.counts["occupation_skills"]["created"] == again.counts["occupation_skills"]["deleted"] == 0
    assert again.counts["job_titles"]["updated"] == 0
    print(f"full ROME import + re-import: {time.perf_counter() - started:.1f} s")
