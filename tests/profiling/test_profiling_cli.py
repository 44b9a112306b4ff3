"""``parcours profiling train|evaluate`` through Django's management command machinery."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from parcours.stats.profiling import load_model
from parcours.stats.profiling.simulate import make_profiling_table

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def register_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("profiling") / "register.csv"
    make_profiling_table(1500, random_state=11).drop(columns="true_risk").to_csv(path, index=False)
    return path


def test_evaluate_prints_exactly_one_json_object_and_logs_to_stderr(register_csv):
    out, err = StringIO(), StringIO()
    call_command(
        "profiling",
        "evaluate",
        "--data",
        str(register_csv),
        "--target",
        "long_term",
        "--group",
        "sex",
        "--group",
        "age_band",
        "--date",
        "registered_on",
        "--json",
        stdout=out,
        stderr=err,
    )
    result = json.loads(out.getvalue())  # fails if anything but one JSON document was printed
    assert result["model"] in {"logistic", "lightgbm"}
    assert result["n"] == 1500
    assert 0.5 < result["auc"] < 1 and 0 < result["brier"] < 0.25
    assert {"sex", "age_band"} == set(result["groups"])
    assert result["baseline_auc"] == pytest.approx(result["metrics"]["logistic"]["auc"])


def test_train_saves_the_model_directory(register_csv, tmp_path):
    out = StringIO()
    call_command(
        "profiling",
        "train",
        "--data",
        str(register_csv),
        "--target",
        "long_term",
        "--features",
        "age,education,prior_months",
        "--group",
        "sex",
        "--seed",
        "2",
        "--out",
        str(tmp_path / "model"),
        "--json",
        stdout=out,
        stderr=StringIO(),
    )
    result = json.loads(out.getvalue())
    assert result["files"] == ["metrics.json", "model.joblib", "model_card.html", "model_card.json"]
    assert load_model(tmp_path / "model").features_ == ["age", "education", "prior_months"]


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        ("", [], "empty file"),
        ("a,long_term\n", [], "header only, no data row"),
        ("a,long_term\n1,0\n2,1\n3", [], r"bad.csv:4: truncated last line"),
        ("a,long_term\n1;0\n2;1\n", [], r"bad.csv:2: wrong delimiter"),
        ("a,long_term\n1,0\n2,1\n3,5\n", [], "target 'long_term' is not binary"),
        ("a,long_term\n1,0\n2,1\n", ["--features", "a,zz"], "unknown feature column 'zz'"),
    ],
)
def test_bad_input_raises_command_error_with_exit_code_2(tmp_path, content, extra, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(CommandError, match=message) as caught:
        call_command(
            "profiling",
            "evaluate",
            "--data",
            str(path),
            "--target",
            "long_term",
            "--json",
            *extra,
            stdout=StringIO(),
            stderr=StringIO(),
        )
    assert caught.value.returncode == 2


def test_command_line_exit_code_is_2_with_a_one_line_message(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,long_term\n1,0\n2,1\n")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "PARCOURS_TESTING": "1"}
    done = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [
            sys.executable,
            "manage.py",
            "profiling",
            "evaluate",
            "--data",
            str(path),
            "--target",
            "nope",
            "--json",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "CommandError: unknown target column 'nope' (available: a, long_term)"
    ]
