"""Every ``parcours <area> <verb>`` is built on parcours.cli.AreaCommand: --help on every verb,
exit 2 with one line on stderr for bad input, the deprecated profiling_platform still works."""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import load_command_class

from tests.cli.helpers import run_cli

AREAS = {
    "catalogue": "parcours.catalogue",
    "diagnosis": "parcours.diagnosis",
    "evaluation": "parcours.evaluation",
    "labour": "parcours.labour",
    "market": "parcours.market",
    "messaging": "parcours.conversations",
    "obligations": "parcours.obligations",
    "organisations": "parcours.organisations",
    "outcomes": "parcours.outcomes",
    "profiling": "parcours.profiling",
    "privacy": "parcours.privacy",
    "backup": "parcours.privacy",
}
EXPECTED_VERBS = {
    "catalogue": {"import", "export", "remind-stale", "expire-referrals"},
    "diagnosis": {"load-questionnaires", "load-orientation-rules"},
    "evaluation": {
        "estimate",
        "power",
        "send-surveys",
        "compute-indicators",
        "propose-indicator-version",
        "activate-indicator-version",
    },
    "labour": {"import-rome", "import-esco", "normalise"},
    "market": {"import-offers", "import-hires", "compute-tension", "train-hiring", "predict-hiring"},
    "messaging": {"send-due", "remind-appointments", "missed-appointments", "lapses"},
    "obligations": {"run-deadlines"},
    "organisations": {"import-communes"},
    "outcomes": {"run-checkins"},
    "profiling": {"train", "evaluate", "train-platform", "score-all", "activate"},
    "privacy": {"purge", "export", "rotate-key", "generate-key"},
    "backup": {"create", "restore"},
}


def verbs_of(area: str) -> dict[str, argparse.ArgumentParser]:
    parser = load_command_class(AREAS[area], area).create_parser("parcours", area)
    (subparsers,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(subparsers.choices)


run = run_cli


@pytest.mark.parametrize("area", sorted(AREAS))
def test_every_verb_of_the_area_has_help(area, capsys):
    verbs = verbs_of(area)
    assert set(verbs) == EXPECTED_VERBS[area]
    for verb in verbs:
        code, out, _ = run(capsys, area, verb, "--help")
        assert code == 0, verb
        assert out.startswith(f"usage: parcours {area} {verb}"), out[:80]


@pytest.mark.parametrize(
    "argv",
    [
        ["market", "compute-tension", "--end", "31/12/2025"],
        ["market", "import-hires", "/nonexistent/hires.csv"],
        ["catalogue", "import", "/nonexistent/catalogue.json"],
        ["catalogue", "import"],
        ["diagnosis", "load-orientation-rules", "--file", "/nonexistent/rules.json"],
        ["evaluation", "power"],
        ["evaluation", "estimate", "--data", "/nonexistent/x.csv", "--outcome", "y", "--treatment", "t"],
        ["labour", "normalise", "--top", "0", "maçon"],
        ["labour", "import-rome", "/nonexistent/rome"],
        ["organisations", "import-communes", "--communes", "/nonexistent/c.csv", "--postcodes", "/x.csv"],
        ["profiling", "activate", "no-such-version"],
        ["profiling", "evaluate", "--data", "/nonexistent/x.csv", "--target", "y"],
        ["profiling", "no-such-verb"],
        ["messaging", "send-due", "--limit", "0"],
        ["obligations", "run-deadlines", "--today", "30/06/2026"],
        ["evaluation", "activate-indicator-version", "no_such_indicator", "2"],
        ["market"],
    ],
    ids=" ".join,
)
def test_bad_input_exits_2_with_one_line_on_stderr(argv, capsys, db):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err


def test_json_output_is_exactly_one_document(capsys, db):
    code, out, _ = run(capsys, "catalogue", "expire-referrals", "--json")
    assert code == 0
    assert json.loads(out) == {"expired": 0, "reminders": 0}


def test_logs_go_to_stderr_while_a_command_runs_even_when_the_server_logs_to_stdout(capsys, db):
    import logging

    handler = logging.StreamHandler(sys.stdout)
    logging.getLogger().addHandler(handler)
    try:
        code, out, err = run(capsys, "catalogue", "remind-stale", "--json")
    finally:
        logging.getLogger().removeHandler(handler)
    assert (code, json.loads(out)) == (0, {"reminders": 0})
    assert "stale_reminders created=0" in err
    assert handler.stream is sys.stdout


def test_plain_output_is_key_value_words(capsys, db):
    code, out, _ = run(capsys, "catalogue", "remind-stale")
    assert (code, out) == (0, "reminders=0\n")


def test_profiling_platform_still_works_with_a_deprecation_line(capsys, db):
    code, out, err = run(capsys, "profiling_platform", "train-platform", "--json")
    assert code == 0
    assert json.loads(out)["trained"] is False
    assert err.splitlines()[0] == (
        "deprecated: `parcours profiling_platform train-platform` is now "
        "`parcours profiling train-platform`; the old name goes in the next release"
    )


def test_a_command_without_secret_key_prints_one_line_and_exits_2(tmp_path):
    root = Path(__file__).resolve().parents[2]
    drop = {"DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "PARCOURS_TESTING", "DJANGO_SETTINGS_MODULE"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'none.sqlite3'}"
    done = subprocess.run(
        [sys.executable, "-m", "parcours", "market", "compute-tension"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "parcours: configuration error: SECRET_KEY (or SECRET_KEY_FILE) is required when DEBUG is off."
    ]
