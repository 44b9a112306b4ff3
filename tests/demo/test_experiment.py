import datetime
import uuid

import pytest

from parcours.cases.models import SupportEpisode
from parcours.demo.experiment import TRUE_EFFECT, build_demo_experiment
from parcours.evaluation.models import Experiment
from parcours.people.models import Person
from tests.people.factories import PersonFactory

AS_OF = datetime.date(2025, 6, 30)


# Sequences reset: the experiment's id enters the assignment hash, and must not depend on which
# tests ran before on PostgreSQL.
@pytest.mark.django_db(reset_sequences=True)
def test_demo_experiment_recovers_its_true_effect_within_the_confidence_interval(
    organisation, counselor, analyst
):
    people = Person.objects.bulk_create(
        # Fixed public ids: the assignment is a hash of (seed, experiment, unit id), so the test is
        # reproducible instead of failing in 5 % of runs like any 95 % interval drawn afresh.
        PersonFactory.build(
            public_id=uuid.UUID(int=i + 1),
            sex="F" if i % 2 else "M",
            birth_date=datetime.date(1980 + i % 20, 1 + i % 12, 1),
        )
        for i in range(1200)
    )
    episodes = SupportEpisode.objects.bulk_create(
        SupportEpisode(
            person=p,
            organisation=organisation,
            referent=counselor,
            started_on=datetime.date(2024, 1, 1) + datetime.timedelta(days=i % 150),
            contact_target_days=30,
        )
        for i, p in enumerate(people)
    )
    experiment, report = build_demo_experiment(2024, episodes, by=analyst, as_of=AS_OF)
    assert experiment.status == Experiment.Status.ANALYSED
    assert report.n == 1200
    result = report.results["outcomes"]["employment_6m"]
    itt = result["itt"]
    assert itt["ci_low"] <= TRUE_EFFECT <= itt["ci_high"]
    assert itt["ci_high"] - itt["ci_low"] < 0.12  # informative, not a trivially wide interval
    assert 0.2 < result["control_mean"] < 0.4
    # Take-up was recorded for the treated: the LATE scales the ITT up by the first stage (~0.8).
    assert result["late"]["estimate"] > itt["estimate"] > 0
    assert "sex" in result["heterogeneity"]
    assert result["randomisation"]["pvalue"] is not None
    assert result["cost_benefit"]["incremental_cost"] == 1000.0
