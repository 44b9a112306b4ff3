import datetime

import pytest
from django.apps import apps
from django.utils import timezone

from parcours.evaluation import actions
from parcours.evaluation.indicators import compute_indicators, compute_version, ensure_registry
from parcours.evaluation.models import Dimension, Granularity, Indicator, IndicatorValue
from tests.cases.factories import ContactFactory, EpisodeFactory
from tests.organisations.factories import SiteFactory, TerritoryFactory
from tests.people.factories import PersonFactory

AS_OF = datetime.date(2025, 6, 30)


def at(day: datetime.date, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def fixture(organisation, counselor):
    """Three episodes of one site started in January 2025, one of another site in February."""
    site_a = SiteFactory(organisation=organisation, name="A")
    site_b = SiteFactory(organisation=organisation, name="B")
    lille = TerritoryFactory(insee_code="59350", name="Lille")
    d = datetime.date

    def episode(site, started, **kw):
        return EpisodeFactory(
            organisation=organisation,
            referent=counselor,
            site=site,
            started_on=started,
            person=PersonFactory(commune=lille),
            contact_target_days=kw.pop("target", 30),
            **kw,
        )

    e1 = episode(site_a, d(2025, 1, 6))  # first contact after 4 days; 4 contacts
    e2 = episode(
        site_a, d(2025, 1, 10), ended_on=d(2025, 3, 1), end_reason="employed_durable", stage="closed"
    )
    e3 = episode(site_a, d(2025, 1, 20), ended_on=d(2025, 2, 10), end_reason="employed_short", stage="closed")
    e4 = episode(site_b, d(2025, 2, 3), target=14)  # no contact at all
    for day in (d(2025, 1, 10), d(2025, 2, 10), d(2025, 3, 10), d(2025, 4, 10)):
        ContactFactory(episode=e1, occurred_at=at(day))
    ContactFactory(episode=e2, occurred_at=at(d(2025, 1, 20)))  # 10 days
    ContactFactory(episode=e2, occurred_at=at(d(2025, 1, 12), hour=23))  # 2 days (23:00 Paris)
    ContactFactory(episode=e3, occurred_at=at(d(2025, 1, 20)))  # same day: 0 days
    return {"site_a": site_a, "site_b": site_b, "episodes": (e1, e2, e3, e4), "lille": lille}


def value(
    code,
    dimension=Dimension.ORGANISATION,
    granularity=Granularity.MONTH,
    period=datetime.date(2025, 1, 1),
    version=1,
    **keys,
):
    return IndicatorValue.objects.get(
        version__indicator__code=code,
        version__number=version,
        dimension=dimension,
        granularity=granularity,
        period_start=period,
        **keys,
    )


def test_indicators_match_hand_computed_values(fixture, organisation):
    compute_indicators(period="2025", as_of=AS_OF)
    # Time to first contact, January cohort: (4 + 2 + 0) / 3 episodes.
    v = value("time_to_first_contact", organisation=organisation)
    assert (v.numerator, v.denominator, v.n) == (6, 3, 3)
    assert v.value == pytest.approx(2.0)
    # February: e4 had no contact, so no value for February.
    assert not IndicatorValue.objects.filter(
        version__indicator__code="time_to_first_contact",
        granularity="month",
        period_start=datetime.date(2025, 2, 1),
    ).exists()
    # Contact intensity, January cohort: contacts / (days / target) per episode, summed.
    # e1: 4 contacts over 175 days / 30; e2: 2 over 50/30; e3: 1 over 21 days -> < 30 days, left out.
    v = value("contact_intensity", organisation=organisation)
    assert v.numerator == 6 and v.n == 2
    assert v.denominator == pytest.approx(175 / 30 + 50 / 30)
    assert v.value == pytest.approx(100 * 6 / (225 / 30))
    # Return to employment at 3 months (January cohort, 3 episodes): e2 (50 days) and e3 (21 days).
    v = value("employment_3m", organisation=organisation)
    assert (v.numerator, v.denominator) == (2, 3)
    assert v.value == pytest.approx(200 / 3)
    v = value("durable_employment_3m", organisation=organisation)
    assert (v.numerator, v.denominator) == (1, 3)
    # Six months: the January cohort's horizon (182 days) has not passed on June 30th.
    assert not IndicatorValue.objects.filter(version__indicator__code="employment_6m").exists()
    # Quarter and year roll up the months: Q1 has all four episodes for employment at 3 months.
    v = value("employment_3m", granularity=Granularity.QUARTER, organisation=organisation)
    assert (v.numerator, v.denominator) == (2, 4)
    # By site and by territory.
    assert value("employment_3m", dimension=Dimension.SITE, site=fixture["site_a"]).denominator == 3
    assert value("employment_3m", dimension=Dimension.TERRITORY, territory=fixture["lille"]).denominator == 3
    assert value("employment_3m", dimension=Dimension.ALL, granularity=Granularity.YEAR).denominator == 4


def test_contacts_after_the_as_of_day_are_left_out(fixture, organisation):
    e1, _e2, _e3, e4 = fixture["episodes"]
    # 00:30 in Paris on the day after AS_OF (22:30 UTC on AS_OF): after the as-of day.
    ContactFactory(episode=e1, occurred_at=at(AS_OF + datetime.timedelta(days=1), hour=0).replace(minute=30))
    ContactFactory(episode=e4, occurred_at=at(AS_OF + datetime.timedelta(days=2)))
    compute_indicators(period="2025", as_of=AS_OF)
    v = value("contact_intensity", organisation=organisation)
    assert v.numerator == 6 and v.n == 2  # as without the later contacts
    v = value("time_to_first_contact", organisation=organisation)
    assert (v.numerator, v.denominator) == (6, 3)
    assert not IndicatorValue.objects.filter(
        version__indicator__code="time_to_first_contact", period_start=datetime.date(2025, 2, 1)
    ).exists()
    # As of the day after, e1's late contact counts (4 + 1 + 2 contacts in January's cohort).
    compute_indicators(period="2025", as_of=AS_OF + datetime.timedelta(days=1))
    assert value("contact_intensity", organisation=organisation).numerator == 7


def test_computing_twice_replaces_values(fixture):
    compute_indicators(period="2025", as_of=AS_OF)
    first = IndicatorValue.objects.count()
    compute_indicators(period="2025-03", as_of=AS_OF)
    assert IndicatorValue.objects.count() == first > 0


def test_new_formula_makes_a_new_version_and_both_values_are_kept(fixture, organisation, analyst):
    ensure_registry()
    indicator = Indicator.objects.get(code="time_to_first_contact")
    version = actions.revise_indicator(
        indicator,
        by=analyst,
        formula_key="time_to_first_contact",
        parameters={"channels": ["in_person"]},
        notes="Seuls les entretiens en présentiel comptent.",
    )
    assert version.number == 2 and indicator.versions.count() == 2
    ContactFactory(
        episode=fixture["episodes"][0], channel="in_person", occurred_at=at(datetime.date(2025, 1, 26))
    )
    compute_indicators(period="2025", as_of=AS_OF, codes=["time_to_first_contact"])
    v1 = value("time_to_first_contact", organisation=organisation, version=1)
    v2 = value("time_to_first_contact", organisation=organisation, version=2)
    assert v1.value == pytest.approx(2.0)
    assert (v2.numerator, v2.n) == (20, 1)  # only e1 had an in-person contact, 20 days after its start


def test_unknown_formula_is_refused(analyst):
    ensure_registry()
    with pytest.raises(Exception, match="unknown formula"):
        actions.revise_indicator(
            Indicator.objects.first(), by=analyst, formula_key="nope", parameters={}, notes="x"
        )


def test_referral_completion_tolerates_a_missing_catalogue(fixture):
    ensure_registry()
    version = Indicator.objects.get(code="referral_completion").current_version()
    values = compute_version(version, datetime.date(2025, 1, 1), datetime.date(2026, 1, 1), AS_OF)
    if not apps.is_installed("parcours.catalogue"):
        assert values == []
    else:
        assert all(v.n >= 0 for v in values)


def test_indicator_computation_is_one_query_per_version(fixture, django_assert_num_queries):
    ensure_registry()
    version = Indicator.objects.get(code="contact_intensity").current_version()
    with django_assert_num_queries(1):
        compute_version(version, datetime.date(2025, 1, 1), datetime.date(2026, 1, 1), AS_OF)


def test_a_version_is_proposed_then_activated_through_the_cli(analyst):
    import json as _json
    from io import StringIO

    from django.core.management import call_command

    def run(*argv):
        out = StringIO()
        call_command("evaluation", *argv, "--json", stdout=out)
        return _json.loads(out.getvalue())

    proposed = run(
        "propose-indicator-version",
        "employment_6m",
        "--formula",
        "observed_employment",
        "--parameters",
        '{"horizon_months": 6, "same_job": true, "scale": 100}',
        "--notes",
        "Même emploi à 6 mois",
    )
    assert proposed == {"indicator": "employment_6m", "version": 3, "status": "proposed"}
    indicator = Indicator.objects.get(code="employment_6m")
    assert indicator.current_version().number == 2  # a proposed version is not current
    assert run("activate-indicator-version", "employment_6m", "3") == {
        "indicator": "employment_6m",
        "version": 3,
        "status": "active",
    }
    assert indicator.current_version().number == 3
    with pytest.raises(Exception, match="already active"):
        run("activate-indicator-version", "employment_6m", "3")
