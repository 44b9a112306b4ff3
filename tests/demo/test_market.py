import datetime

import pytest

from parcours.demo import market as demo
from parcours.demo.market import FALLBACK_CODES, build_demo_market, sample_rome_codes
from parcours.market.models import HiringPrediction, JobOffer, TensionValue


def test_demo_codes_come_from_the_rome_sample_or_the_fixed_list(monkeypatch, tmp_path):
    sample = tmp_path / "unix_referentiel_code_rome_v460_utf8.csv"
    sample.write_text(
        '"code_rome","libelle_rome"\n"D1106","Vendeur / Vendeuse en épicerie"\n', encoding="utf-8"
    )
    monkeypatch.setattr(demo, "ROME_SAMPLE", sample)
    assert sample_rome_codes() == {"D1106": "Vendeur / Vendeuse en épicerie"}
    monkeypatch.setattr(demo, "ROME_SAMPLE", tmp_path / "missing.csv")
    assert list(sample_rome_codes()) == FALLBACK_CODES


@pytest.mark.django_db
def test_demo_market_is_coherent_with_the_communes_and_codes(lille, roubaix):
    counts = build_demo_market(
        seed=1, communes=[lille, roubaix], rome_codes=["J1501", "G1803"], n_offers=60, n_establishments=60,
        today=datetime.date(2025, 6, 15),
    )  # fmt: skip
    assert counts["offers"] == JobOffer.objects.count() == 60
    assert set(JobOffer.objects.values_list("rome_code", flat=True)) == {"J1501", "G1803"}
    assert set(JobOffer.objects.values_list("commune_insee", flat=True)) <= {"59350", "59512"}
    assert set(HiringPrediction.objects.exclude(rome_code="").values_list("rome_code", flat=True)) <= {
        "J1501",
        "G1803",
    }
    assert counts["predictions"] > 0 and counts["tension_cells"] == TensionValue.objects.count() > 0
    again = build_demo_market(seed=1, communes=[lille, roubaix], rome_codes=["J1501", "G1803"], n_offers=60,
                              n_establishments=60, today=datetime.date(2025, 6, 15))  # fmt: skip
    assert again["offers"] == 60 and JobOffer.objects.count() == 60
