import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from parcours.labour import importers
from tests.labour.conftest import ESCO_SAMPLE, ROME_SAMPLE

ROOT = Path(__file__).resolve().parents[2]


def _run(*args):
    out, err = StringIO(), StringIO()
    call_command("labour", "normalise", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_json_output_is_one_document_with_ranked_codes(rome_sample):
    out, _ = _run("--json", "--top", "3", "aide soignante de nuit H/F", "dev web")
    document = json.loads(out)
    assert document["taxonomy"] == "rome" and "artefact" in document["source"]
    first, second = document["queries"]
    assert first["query"] == "aide soignante de nuit H/F"
    assert first["results"][0]["code"] == "J1501"
    assert second["results"][0] == {
        "code": "M1855",
        "label": "Développeur / Développeuse web",
        "score": second["results"][0]["score"],
    }
    assert len(first["results"]) == 3
    scores = [r["score"] for r in first["results"]]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)


def test_batch_input_writes_one_json_line_per_title(rome_sample, tmp_path):
    titles = tmp_path / "titles.txt"
    titles.write_text("cariste\n\nserveuse en brasserie\ncomptable\n", encoding="utf-8")
    out, _ = _run("--input", str(titles), "--top", "2")
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["query"] for line in lines] == ["cariste", "serveuse en brasserie", "comptable"]
    assert [line["results"][0]["code"] for line in lines] == ["N1101", "G1803", "M1203"]
    assert all(1 <= len(line["results"]) <= 2 for line in lines)


def test_fast_skips_the_semantic_stage_with_the_same_output_contract(rome_sample, tmp_path):
    titles = tmp_path / "titles.txt"
    titles.write_text("je fais le pain\nbarista\n", encoding="utf-8")
    semantic, _ = _run("--input", str(titles), "--top", "1")
    fast, _ = _run("--input", str(titles), "--top", "1", "--fast")
    for out, codes in ((semantic, ["G1609", "G1803"]), (fast, ["M1203", "N1101"])):
        lines = [json.loads(line) for line in out.splitlines()]
        assert [set(line) for line in lines] == [{"query", "results"}] * 2
        assert [line["results"][0]["code"] for line in lines] == codes
        assert [set(line["results"][0]) for line in lines] == [{"code", "label", "score"}] * 2


def test_esco_results_are_concept_uris(db):
    importers.import_esco(ESCO_SAMPLE / "occupations_fr.csv")
    out, _ = _run("--taxonomy", "esco", "--json", "--top", "1", "aide soignante")
    result = json.loads(out)["queries"][0]["results"][0]
    assert result["code"] == "http://data.europa.eu/esco/occupation/00000000-0000-4000-8000-000000000001"


def test_without_artefact_the_database_is_used(db):
    importers.import_rome(ROME_SAMPLE, fit=False)
    out, _ = _run("--json", "cuisinier")
    document = json.loads(out)
    assert document["source"].startswith("database")
    assert document["queries"][0]["results"][0]["code"] == "G1609"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["cuisinier"], "no rome referential loaded"),
        ([], "no job title given"),
        (["--input", "/nonexistent/titles.txt"], "cannot read input"),
    ],
)
def test_bad_input_exits_2_with_one_line(db, args, message):
    with pytest.raises(CommandError) as caught:
        _run(*args)
    assert caught.value.returncode == 2
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_empty_input_file_exits_2(db, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n", encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        _run("--input", str(empty))
    assert caught.value.returncode == 2 and "empty input" in str(caught.value)


def test_rome_dir_works_without_database_or_secret(tmp_path):
    """The real `parcours` entry point, offline: no SECRET_KEY, a database file that does not exist."""
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "PARCOURS_TESTING"}}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'absent' / 'none.sqlite3'}"
    env["PARCOURS_TESTING"] = "false"
    done = subprocess.run(  # noqa: S603 (fixed argv, no shell)
        [
            sys.executable,
            "-m",
            "parcours",
            "labour",
            "normalise",
            "--rome-dir",
            str(ROME_SAMPLE),
            "--json",
            "--top",
            "1",
            "maçon",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["queries"][0]["results"][0]["code"] == "F1703"
    empty = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "parcours", "labour", "normalise", "--rome-dir", str(ROME_SAMPLE), " "],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert empty.returncode == 2
    assert len(empty.stderr.strip().splitlines()) == 1
