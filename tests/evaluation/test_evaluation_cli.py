"""`parcours evaluation estimate|power`: the JSON contract and exit codes of the management command."""

import json
import math
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parents[2]


def _run(*args) -> str:
    out = StringIO()
    call_command("evaluation", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def experiment_csv(tmp_path):
    """A small cluster-randomised experiment with one-sided non-compliance."""
    rng = np.random.default_rng(0)
    cluster = np.repeat(np.arange(30), 20)
    assigned = (rng.random(30) < 0.5).astype(int)[cluster]
    takeup = assigned * (rng.random(len(cluster)) < 0.7)
    age = rng.integers(18, 60, len(cluster))
    employed = (rng.random(len(cluster)) < 0.3 + 0.1 * takeup).astype(int)
    path = tmp_path / "experiment.csv"
    pd.DataFrame(
        {"employed": employed, "assigned": assigned, "takeup": takeup, "age": age, "agency": cluster}
    ).to_csv(path, index=False)
    return str(path)


def test_estimate_json_contract(experiment_csv):
    doc = json.loads(
        _run(
            "estimate", "--data", experiment_csv, "--outcome", "employed", "--treatment", "assigned", "--json"
        )
    )
    for key in (
        "estimate",
        "std_err",
        "ci_low",
        "ci_high",
        "n",
        "n_treated",
        "n_control",
        "method",
        "pvalue",
    ):
        assert key in doc
    data = pd.read_csv(experiment_csv)
    diff = data.loc[data.assigned == 1, "employed"].mean() - data.loc[data.assigned == 0, "employed"].mean()
    assert doc["estimate"] == pytest.approx(diff, rel=1e-12)
    assert doc["n"] == 600 and doc["n_treated"] + doc["n_control"] == 600
    assert doc["se_type"] == "hc2"
    assert doc["ci_low"] < doc["estimate"] < doc["ci_high"]


def test_estimate_cluster_alone_implies_cluster_se(experiment_csv):
    doc = json.loads(
        _run(
            "estimate",
            "--data",
            experiment_csv,
            "--outcome",
            "employed",
            "--treatment",
            "assigned",
            "--covariates",
            "age",
            "--cluster",
            "agency",
            "--json",
        )
    )
    assert doc["se_type"] == "cluster" and doc["n_clusters"] == 30 and doc["df"] == 29


def test_estimate_with_instrument_gives_the_late(experiment_csv):
    doc = json.loads(
        _run(
            "estimate",
            "--data",
            experiment_csv,
            "--outcome",
            "employed",
            "--treatment",
            "takeup",
            "--instrument",
            "assigned",
            "--cluster",
            "agency",
            "--alpha",
            "0.1",
            "--json",
        )
    )
    assert doc["method"].startswith("LATE")
    assert doc["estimate"] == pytest.approx(doc["itt"] / doc["first_stage"], rel=1e-10)
    data = pd.read_csv(experiment_csv)
    assert doc["n_treated"] == int(data.assigned.sum())
    assert doc["alpha"] == 0.1


def test_estimate_without_json_prints_a_readable_summary(experiment_csv):
    text = _run("estimate", "--data", experiment_csv, "--outcome", "employed", "--treatment", "assigned")
    assert "ITT" in text and "95% CI" in text and "{" not in text


def test_power_json_contract():
    doc = json.loads(_run("power", "--baseline", "0.275", "--effect", "0.025", "--json"))
    za, zb = 1.959963984540054, 0.8416212335729143
    expected = (za + zb) ** 2 * (0.275 * 0.725 + 0.3 * 0.7) / 0.025**2
    assert doc["n_per_arm"] == math.ceil(expected)
    clustered = json.loads(
        _run(
            "power",
            "--baseline",
            "0.275",
            "--effect",
            "0.025",
            "--icc",
            "0.05",
            "--cluster-size",
            "20",
            "--json",
        )
    )
    assert clustered["clusters_per_arm"] == math.ceil(expected * 1.95 / 20)
    mde = json.loads(_run("power", "--sd", "1", "--n-per-arm", "393", "--json"))
    assert mde["mde"] == pytest.approx(0.2, abs=1e-3)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--outcome", "salary", "--treatment", "assigned"], "unknown outcome column 'salary'"),
        (["--outcome", "employed", "--treatment", "age"], "must be 0/1"),
        (
            ["--outcome", "employed", "--treatment", "assigned", "--se", "cluster"],
            "--se cluster requires --cluster",
        ),
    ],
)
def test_estimate_bad_input_exits_2(experiment_csv, args, message):
    with pytest.raises(CommandError) as info:
        _run("estimate", "--data", experiment_csv, *args, "--json")
    assert info.value.returncode == 2
    assert message in str(info.value)


def test_estimate_empty_file_and_empty_arm_exit_2(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    one_arm = tmp_path / "one_arm.csv"
    one_arm.write_text("y,d\n1,1\n0,1\n")
    for path, message in ((empty, "empty file"), (one_arm, "no control units")):
        with pytest.raises(CommandError) as info:
            _run("estimate", "--data", str(path), "--outcome", "y", "--treatment", "d", "--json")
        assert info.value.returncode == 2 and message in str(info.value)


def test_power_bad_input_exits_2():
    with pytest.raises(CommandError) as info:
        _run("power", "--baseline", "0.275", "--effect", "0.025", "--icc", "0.05", "--json")
    assert info.value.returncode == 2


def test_command_line_exit_codes_and_streams(experiment_csv):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "PARCOURS_TESTING": "1"}
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "parcours",
            "evaluation",
            "power",
            "--baseline",
            "0.275",
            "--effect",
            "0.025",
            "--json",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["n_per_arm"] == 5142
    bad = subprocess.run(  # noqa: S603 -- fixed argv, no shell
        [
            sys.executable,
            "-m",
            "parcours",
            "evaluation",
            "estimate",
            "--data",
            experiment_csv,
            "--outcome",
            "nope",
            "--treatment",
            "assigned",
            "--json",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert len(bad.stderr.strip().splitlines()) == 1 and "unknown outcome column 'nope'" in bad.stderr
