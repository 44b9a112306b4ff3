import datetime
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from parcours.evaluation.models import IndicatorValue, SurveyInvitation
from tests.cases.factories import EpisodeFactory


def run(*argv) -> str:
    out = StringIO()
    call_command("evaluation", *argv, stdout=out)
    return out.getvalue()


def test_send_surveys_verb_is_idempotent(organisation, counselor):
    EpisodeFactory(
        organisation=organisation,
        referent=counselor,
        ended_on=datetime.date(2025, 6, 1),
        end_reason="training",
        stage="closed",
    )
    first = json.loads(run("send-surveys", "--today", "2025-06-10", "--json"))
    again = json.loads(run("send-surveys", "--today", "2025-06-10", "--json"))
    assert first["episode_end"] == 1 and again["episode_end"] == 0
    assert SurveyInvitation.objects.count() == 1


def test_compute_indicators_verb_stores_values_and_rejects_bad_periods(organisation, counselor):
    EpisodeFactory(organisation=organisation, referent=counselor, started_on=datetime.date(2025, 1, 5))
    out = run("compute-indicators", "--period", "2025", "--as-of", "2025-12-31")
    assert "employment_3m v1" in out
    assert IndicatorValue.objects.filter(version__indicator__code="employment_3m").exists()
    with pytest.raises(CommandError) as caught:
        run("compute-indicators", "--period", "20x5")
    assert caught.value.returncode == 2
