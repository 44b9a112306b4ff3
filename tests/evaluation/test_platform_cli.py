import argparse
import datetime
import json

import pytest
from django.core.management.base import CommandError

from parcours.evaluation.models import IndicatorValue, SurveyInvitation
from parcours.evaluation.platform_cli import add_platform_verbs, run_platform_verb
from tests.cases.factories import EpisodeFactory


def parse(*argv):
    parser = argparse.ArgumentParser()
    add_platform_verbs(parser.add_subparsers(dest="verb"))
    return vars(parser.parse_args(argv))


def test_send_surveys_verb_is_idempotent(organisation, counselor):
    EpisodeFactory(
        organisation=organisation,
        referent=counselor,
        ended_on=datetime.date(2025, 6, 1),
        end_reason="training",
        stage="closed",
    )
    first = json.loads(
        run_platform_verb("send-surveys", parse("send-surveys", "--today", "2025-06-10", "--json"))
    )
    again = json.loads(
        run_platform_verb("send-surveys", parse("send-surveys", "--today", "2025-06-10", "--json"))
    )
    assert first["episode_end"] == 1 and again["episode_end"] == 0
    assert SurveyInvitation.objects.count() == 1


def test_compute_indicators_verb_stores_values_and_rejects_bad_periods(organisation, counselor):
    EpisodeFactory(organisation=organisation, referent=counselor, started_on=datetime.date(2025, 1, 5))
    out = run_platform_verb(
        "compute-indicators", parse("compute-indicators", "--period", "2025", "--as-of", "2025-12-31")
    )
    assert "employment_3m v1" in out
    assert IndicatorValue.objects.filter(version__indicator__code="employment_3m").exists()
    with pytest.raises(CommandError):
        run_platform_verb("compute-indicators", parse("compute-indicators", "--period", "20x5"))
