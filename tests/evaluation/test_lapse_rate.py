# ruff: noqa: F811  (the shared `fixture` of test_indicators is imported, then requested by name)
"""The contact lapse rate ("taux de rupture de contact"): monthly snapshots of the share of open
episodes whose last counted contact (parcours.cases.intensity) is older than their target."""

import datetime
import re

import pytest

from parcours.cases.models import Intensity, SupportEpisode
from parcours.evaluation.indicators import compute_indicators
from parcours.evaluation.models import Dimension, Granularity, IndicatorValue
from parcours.people.models import Consent
from tests.cases.factories import ContactFactory, EpisodeFactory
from tests.evaluation.test_indicators import AS_OF, at, fixture, value  # noqa: F401

CODE = "contact_lapse_rate"
d = datetime.date


def _month(organisation, month):
    v = value(CODE, organisation=organisation, period=month)
    return (int(v.numerator), int(v.denominator), v.n)


def test_lapse_rate_matches_the_hand_computed_snapshots(fixture, organisation):
    compute_indicators(period="2025", as_of=AS_OF, codes=[CODE])
    # Jan 31: e1 (last contact Jan 10), e2 (Jan 20), e3 (Jan 20) within 30 days: 0 / 3.
    assert _month(organisation, d(2025, 1, 1)) == (0, 3, 3)
    # Feb 28: e2 (Jan 20 + 30 = Feb 19) and e4 (no contact, Feb 3 + 14) lapsed; e3 ended Feb 10.
    assert _month(organisation, d(2025, 2, 1)) == (2, 3, 3)
    # Mar 31: e1 (Mar 10) fine, e4 lapsed; e2 ended on Mar 1.
    assert _month(organisation, d(2025, 3, 1)) == (1, 2, 2)
    assert _month(organisation, d(2025, 4, 1)) == (1, 2, 2)
    # May 31 and the as-of day June 30: e1's last contact (Apr 10) is past its 30 days.
    assert _month(organisation, d(2025, 5, 1)) == (2, 2, 2)
    assert _month(organisation, d(2025, 6, 1)) == (2, 2, 2)
    assert value(CODE, organisation=organisation, period=d(2025, 2, 1)).value == pytest.approx(200 / 3)
    # No snapshot after the as-of day.
    assert not IndicatorValue.objects.filter(
        version__indicator__code=CODE, granularity=Granularity.MONTH, period_start__gt=d(2025, 6, 1)
    ).exists()
    # A quarter sums its monthly snapshots: (0 + 2 + 1) / (3 + 3 + 2).
    q1 = value(CODE, granularity=Granularity.QUARTER, organisation=organisation)
    assert (q1.numerator, q1.denominator) == (3, 8)
    assert q1.value == pytest.approx(37.5)
    # …but its n counts episodes, not episode-months (the small-cell rule): its largest month.
    assert q1.n == 3
    assert value(CODE, granularity=Granularity.YEAR, organisation=organisation).n == 3
    assert value(CODE, dimension=Dimension.SITE, site=fixture["site_b"], period=d(2025, 3, 1)).value == 100


@pytest.mark.parametrize(("consent_on", "lapsed_in_february"), [(d(2025, 2, 25), 1), (d(2025, 3, 1), 2)])
def test_a_contact_elsewhere_counts_from_the_day_of_the_consent(
    fixture,
    organisation,
    other_organisation,
    consent_on,
    lapsed_in_february,
):
    e4 = fixture["episodes"][3]
    elsewhere = EpisodeFactory(person=e4.person, organisation=other_organisation, started_on=d(2025, 2, 1))
    ContactFactory(episode=elsewhere, occurred_at=at(d(2025, 2, 20)))
    Consent.objects.create(
        person=e4.person, organisation=organisation, scope=Consent.Scope.CASE_FILE, given_at=at(consent_on)
    )
    compute_indicators(period="2025", as_of=AS_OF, codes=[CODE])
    # Feb 28: with the consent, e4's contact elsewhere on Feb 20 keeps it within 14 days.
    assert _month(organisation, d(2025, 2, 1)) == (lapsed_in_february, 3, 3)
    # Mar 31: Feb 20 + 14 days is past in both cases.
    assert _month(organisation, d(2025, 3, 1)) == (1, 2, 2)
    # The other organisation's own episode (its own contact counts, no consent needed).
    assert _month(other_organisation, d(2025, 2, 1)) == (0, 1, 1)


def test_an_online_episode_is_lapsed_when_only_phone_calls_were_made(fixture, organisation):
    e1 = fixture["episodes"][0]
    SupportEpisode.objects.filter(pk=e1.pk).update(intensity=Intensity.ONLINE)
    compute_indicators(period="2025", as_of=AS_OF, codes=[CODE])
    # e1's contacts are phone calls: Jan 6 + 30 = Feb 5 is past on Feb 28 (e2 and e4 as before).
    assert _month(organisation, d(2025, 1, 1)) == (0, 3, 3)
    assert _month(organisation, d(2025, 2, 1)) == (3, 3, 3)


def test_the_registry_and_the_indicator_pages_show_the_lapse_rate(fixture, client, analyst, manager):
    from django.urls import reverse

    compute_indicators(period="2025", as_of=AS_OF, codes=[CODE])
    client.force_login(analyst)
    registry = client.get(reverse("evaluation:registry"))
    assert registry.status_code == 200
    assert CODE in registry.content.decode() and "Taux de rupture de contact" in registry.content.decode()
    client.force_login(manager)
    detail = client.get(reverse("evaluation:indicator_detail", args=[CODE]), {"granularity": "month"})
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "Taux de rupture de contact" in html
    # Three open episodes at most: below the small-cell threshold, so no rate is shown.
    for month in ("2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"):
        assert re.search(rf"{month}</th><td><span class=\"badge warn\">secret", html), month
    assert "66,7" not in html and "66.7" not in html
    listing = client.get(reverse("evaluation:indicator_list"))
    assert listing.status_code == 200 and "Taux de rupture de contact" in listing.content.decode()
