import datetime

import pytest

from parcours.demo import market as demo
from parcours.demo.market import FALLBACK_CODES, build_demo_market, sample_rome_codes
from parcours.labour import importers as labour_importers
from parcours.labour.normalising import load_artefact
from parcours.market.models import HiringPrediction, JobOffer, TensionValue
from tests.labour.conftest import ROME_SAMPLE


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


@pytest.mark.django_db
def test_demo_offers_without_rome_code_go_through_the_import_and_get_an_inferred_occupation(
    lille, roubaix, settings, tmp_path
):
    settings.DATA_DIR = tmp_path / "data"
    load_artefact.cache_clear()
    labour_importers.import_rome(ROME_SAMPLE)
    demo.import_demo_offers_without_occupation(0, [lille, roubaix], tmp_path)
    found = {o.title: (o.rome_code, o.rome_score, o.rome_uncertain) for o in JobOffer.objects.all()}
    load_artefact.cache_clear()
    assert len(found) == len(demo.OFFERS_WITHOUT_OCCUPATION) == 14
    assert all(score is not None for _code, score, _u in found.values())
    # the sample's occupations are found from informal titles...
    assert {title: code for title, (code, _s, _u) in found.items() if title in SURE} == SURE
    # ...and the two titles outside the sample are flagged, not silently trusted
    assert {title for title, (_c, _s, uncertain) in found.items() if uncertain} == {
        "Chef de projet marketing digital",
        "Community manager",
    }


SURE = {
    "Aide-soignante de nuit en EHPAD": "J1501",
    "Femme de ménage chez des particuliers": "K1304",
    "Plongeur aide cuisine": "G1602",
    "Agent d'entretien de bureaux le matin": "K2205",
    "Vendeuse en épicerie fine": "D1106",
    "Préparateur de commandes en entrepôt": "N1103",
    "Chauffeur poids lourd régional": "N4101",
    "Serveur en brasserie": "G1803",
    "Garde d'enfants après l'école": "K1303",
    "Développeur web junior": "M1855",
    "Secrétaire médicale": "M1607",
}
