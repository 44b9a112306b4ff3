"""Observed employment after the hire: new versions of the employment indicators, computed from
the check-ins, with their response coverage (den / n) and bounds (num / n, (num + n - den) / n)."""

import datetime
from decimal import Decimal

import pytest

from parcours.cases.models import Stage
from parcours.evaluation.indicators import compute_version, ensure_registry
from parcours.evaluation.models import Indicator
from parcours.outcomes import actions
from tests.cases.factories import EpisodeFactory

pytestmark = pytest.mark.django_db


def hire(organisation, counselor, contract, months=None):
    episode = EpisodeFactory(organisation=organisation, referent=counselor, stage=Stage.JOB_SEARCH)
    outcome = actions.record_outcome(
        episode,
        by=counselor,
        contract_type=contract,
        contract_months=months,
        weekly_hours=Decimal("35"),
        start_on=datetime.date(2025, 1, 10),
        job_title="Vendeur",
    )
    return outcome.checkins.get(horizon_months=6)


def yearly_total(indicator_code: str):
    ensure_registry()
    version = Indicator.objects.get(code=indicator_code).versions.get(formula_key="observed_employment")
    values = compute_version(
        version, datetime.date(2025, 1, 1), datetime.date(2026, 1, 1), datetime.date(2025, 12, 31)
    )
    return next(v for v in values if v.dimension == "all" and v.granularity == "year")


def test_observed_versions_are_added_to_the_employment_indicators():
    ensure_registry()
    ensure_registry()  # once only
    indicator = Indicator.objects.get(code="employment_6m")
    versions = list(indicator.versions.order_by("number").values_list("number", "formula_key", "parameters"))
    assert versions == [
        (1, "return_to_employment", {"horizon_days": 182, "durable_only": False, "scale": 100}),
        (2, "observed_employment", {"horizon_months": 6, "durable_only": False, "scale": 100}),
    ]


def test_unknowns_are_never_counted_as_unemployed_and_give_the_bounds(organisation, counselor):
    employed = hire(organisation, counselor, "cdi")
    left = hire(organisation, counselor, "cdd", 3)
    hire(organisation, counselor, "cdd", 12)  # never answered
    actions.answer_checkin(employed, by=counselor, respondent="counselor", still_employed=True)
    actions.answer_checkin(left, by=counselor, respondent="person", still_employed=False)
    value = yearly_total("employment_6m")
    assert (value.numerator, value.denominator, value.n) == (1, 2, 3)
    assert value.value == pytest.approx(50.0)  # among respondents
    coverage, low, high = (
        value.denominator / value.n,
        value.numerator / value.n,
        (value.numerator + value.n - value.denominator) / value.n,
    )
    assert (coverage, low, high) == pytest.approx((2 / 3, 1 / 3, 2 / 3))


def test_durable_observed_employment_counts_durable_contracts_only(organisation, counselor):
    short = hire(organisation, counselor, "cdd", 3)
    long = hire(organisation, counselor, "temporary", 6)
    for checkin in (short, long):
        actions.answer_checkin(checkin, by=counselor, respondent="counselor", still_employed=True)
    value = yearly_total("durable_employment_6m")
    assert (value.numerator, value.denominator) == (1, 2)


def test_still_in_the_same_job_counts_the_same_employer_or_the_employers_answer(organisation, counselor):
    """retention_after_hire v2 (6 months) and same_job_12m: same employer, or the employer answering
    that the person still works there."""
    same = hire(organisation, counselor, "cdi")
    moved = hire(organisation, counselor, "cdi")
    by_employer = hire(organisation, counselor, "cdi")
    hire(organisation, counselor, "cdi")  # unknown
    actions.answer_checkin(same, by=counselor, respondent="person", still_employed=True, same_employer=True)
    actions.answer_checkin(moved, by=counselor, respondent="person", still_employed=True, same_employer=False)
    actions.answer_checkin(by_employer, by=None, respondent="employer", still_employed=True)
    value = yearly_total("retention_after_hire")
    assert (value.numerator, value.denominator, value.n) == (2, 3, 4)
    ensure_registry()
    same_job_12m = Indicator.objects.get(code="same_job_12m").current_version()
    assert (same_job_12m.number, same_job_12m.parameters) == (
        1,
        {"horizon_months": 12, "same_job": True, "scale": 100},
    )
    retention = Indicator.objects.get(code="retention_after_hire")
    assert list(retention.versions.order_by("number").values_list("formula_key", flat=True)) == [
        "retention_after_hire",
        "observed_employment",
    ]


def test_transparency_shows_coverage_and_bounds_of_the_observed_versions(client, organisation, counselor):
    from parcours.evaluation.indicators import compute_indicators

    checkins = [hire(organisation, counselor, "cdi") for _ in range(12)]
    for checkin in checkins[:8]:
        actions.answer_checkin(checkin, by=counselor, respondent="person", still_employed=True)
    for checkin in checkins[8:10]:
        actions.answer_checkin(checkin, by=counselor, respondent="person", still_employed=False)
    compute_indicators(period="2025", as_of=datetime.date(2025, 12, 31), codes=["employment_6m"])
    page = client.get("/transparence/indicateurs/employment_6m/").content.decode()
    # 8 employed among 10 answers out of 12 due (July 2025 = third quarter)
    assert '<th scope="row">2025-T3</th><td>v2</td>' in page
    assert "10 / 12" in page and "83,3 %" in page
    assert "<td>66,7</td><td>83,3</td>" in page
    index = client.get("/transparence/").content.decode()
    assert "couverture des réponses 83,3 % ; bornes 66,7 – 83,3" in index


# --- People, not check-ins -----------------------------------------------------------------------


def hire_on(episode, counselor, start: datetime.date):
    episode.refresh_from_db()  # a second hire finds the episode already employed
    outcome = actions.record_outcome(
        episode,
        by=counselor,
        contract_type="cdi",
        weekly_hours=Decimal("35"),
        start_on=start,
        job_title="Vendeur",
    )
    return outcome.checkins.get(horizon_months=6)


def test_indicators_count_people_by_their_latest_answered_checkin(organisation, counselor):
    """Four people, six check-ins due at 6 months. Per person and horizon, the latest answered
    check-in stands for the person (or the latest due one when none is answered)."""
    a, b, c, d = (
        EpisodeFactory(organisation=organisation, referent=counselor, stage=Stage.JOB_SEARCH)
        for _ in range(4)
    )
    a_first = hire_on(a, counselor, datetime.date(2025, 1, 10))  # due 10 July
    a_second = hire_on(a, counselor, datetime.date(2025, 2, 10))  # due 10 August: the latest
    b_only = hire_on(b, counselor, datetime.date(2025, 1, 10))
    c_first = hire_on(c, counselor, datetime.date(2025, 1, 10))
    hire_on(c, counselor, datetime.date(2025, 2, 10))  # never answered
    hire_on(d, counselor, datetime.date(2025, 1, 10))  # never answered
    answer = {"by": counselor, "respondent": "counselor"}
    actions.answer_checkin(a_first, still_employed=True, **answer)
    actions.answer_checkin(a_second, still_employed=False, **answer)  # A: not in a job
    actions.answer_checkin(b_only, still_employed=True, **answer)  # B: in a job
    actions.answer_checkin(c_first, still_employed=True, **answer)  # C: in a job (latest answered)
    # counted in check-ins it would be 3 in a job among 4 answers out of 6 due
    value = yearly_total("employment_6m")
    assert (value.numerator, value.denominator, value.n) == (2, 3, 4)
    assert value.value == pytest.approx(200 / 3)
    ensure_registry()
    version = Indicator.objects.get(code="employment_6m").versions.get(formula_key="observed_employment")
    values = compute_version(
        version, datetime.date(2025, 1, 1), datetime.date(2026, 1, 1), datetime.date(2025, 12, 31)
    )
    months = {
        v.period_start: (v.numerator, v.denominator, v.n)
        for v in values
        if v.dimension == "all" and v.granularity == "month"
    }
    # each person in the month of the check-in that stands for them: B, C, D in July, A in August
    assert months == {datetime.date(2025, 7, 1): (2, 2, 3), datetime.date(2025, 8, 1): (0, 1, 1)}
