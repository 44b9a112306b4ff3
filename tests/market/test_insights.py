import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from parcours.market import actions, insights
from parcours.market.models import HiringModelRun, HiringPrediction, TensionValue
from parcours.stats.market.hiring import make_hiring_data
from tests.cases.factories import EpisodeFactory
from tests.market.factories import EstablishmentFactory, HireFactory, OfferFactory


def salaried(values, **kwargs):
    for v in values:
        OfferFactory(salary_min_monthly=Decimal(v), salary_max_monthly=Decimal(v), **kwargs)


@pytest.mark.django_db
def test_salary_realism_gives_quartiles_and_a_plain_sentence(lille):
    salaried([1800, 1900, 2000, 2100, 2200])
    salaried([5000], commune_insee="62498")  # another département
    result = insights.salary_realism("J1501", 2150, departement="59", min_n=3)
    s = result.summary
    assert (s.n, s.q1, s.median, s.q3) == (5, 1900.0, 2000.0, 2100.0)
    assert s.share_below == pytest.approx(0.8)
    assert result.sentence.startswith("Votre attente (2\u202f150\u00a0€) est au-dessus de 80 % des offres.")
    assert "la moitié des offres entre 1\u202f900\u00a0€ et 2\u202f100\u00a0€" in result.sentence
    assert result.warning == ""


@pytest.mark.django_db
def test_small_samples_and_empty_samples_are_flagged(lille):
    salaried([1800, 2000])
    small = insights.salary_realism("J1501", 1700, departement="59")
    assert small.summary.small_sample and "seulement 2 offre(s)" in small.warning
    assert small.sentence.startswith("Votre attente (1\u202f700\u00a0€) est en dessous de 100 % des offres.")
    empty = insights.salary_realism("K2204", 1700, departement="59")
    assert empty.summary.n == 0 and empty.sentence.startswith("Aucune offre")


@pytest.mark.django_db
def test_tension_is_computed_per_occupation_and_departement(
    counselor, organisation, lille, roubaix, lens, targets
):
    end = datetime.date(2025, 1, 1)
    inside = timezone.make_aware(datetime.datetime(2024, 6, 1))
    before = timezone.make_aware(datetime.datetime(2023, 6, 1))
    # Nord, J1501: 6 offers in the period (a duplicate and an older one are not counted), 6 seekers,
    # 3 hires (a hire without an occupation is not counted).
    for _ in range(6):
        OfferFactory(posted_at=inside, commune_insee="59512")
    OfferFactory(posted_at=inside, duplicate_of=OfferFactory(posted_at=inside, rome_code="G1803"))
    OfferFactory(posted_at=before)
    for _ in range(6):
        ep = EpisodeFactory(
            organisation=organisation, person__commune=lille, started_on=datetime.date(2024, 1, 1)
        )
        targets[ep.pk] = [("J1501", True)]
    establishment = EstablishmentFactory(commune_insee="59350")
    for _ in range(3):
        HireFactory(establishment=establishment, hired_on=datetime.date(2024, 3, 1))
    HireFactory(establishment=establishment, hired_on=datetime.date(2024, 3, 1), rome_code="")
    cells = actions.compute_tension_values(end=end, months=12, min_seekers=5)
    nord = TensionValue.objects.get(rome_code="J1501", territory__insee_code="59")
    assert (nord.offers, nord.seekers, nord.hires, nord.ratio, nord.hires_per_seeker) == (6, 6, 3, 1.0, 0.5)
    assert nord.level == 5  # the only cell with enough seekers: percentile rank 1 → top quintile
    assert (nord.period_start, nord.period_end, nord.definition_version) == (
        datetime.date(2024, 1, 1),
        end,
        1,
    )
    waiters = TensionValue.objects.get(rome_code="G1803")
    assert (waiters.offers, waiters.seekers, waiters.level, waiters.ratio) == (1, 0, None, None)
    assert cells == 2
    assert actions.compute_tension_values(end=end, months=12) == 2  # recomputing replaces
    assert TensionValue.objects.count() == 2


@pytest.mark.django_db
def test_hiring_model_is_trained_evaluated_and_predictions_carry_a_reason(lille):
    hires, establishments = make_hiring_data(300, start="2021-01-01", months=48, random_state=3)
    objs = [EstablishmentFactory(naf_code=naf) for naf in establishments["naf"]]
    HireFactory.reset_sequence()
    from parcours.market.models import Hire

    Hire.objects.bulk_create(
        Hire(
            establishment=objs[int(r.establishment)],
            hired_on=r.hired_on,
            rome_code=r.rome_code,
            declaration_key=f"k{i}",
        )
        for i, r in enumerate(hires.itertuples(index=False))
    )
    run = actions.train_hiring_model(as_of=datetime.date(2025, 1, 1))
    assert run.metrics["n_establishments"] == 300
    assert run.metrics["capture_model"] >= run.metrics["capture_baseline"] - 0.02
    rows = actions.predict_hiring(run)
    assert rows == HiringPrediction.objects.filter(run=run).count() > 300
    top = HiringPrediction.objects.filter(run=run).exclude(rome_code="").order_by("-expected_hires").first()
    assert top.reason.startswith("a recruté ") and "dans ce métier" in top.reason
    listed = insights.companies_likely_to_hire(
        top.rome_code, latitude=lille.latitude, longitude=lille.longitude
    )
    assert listed.first() == top
    assert HiringModelRun.objects.count() == 1
