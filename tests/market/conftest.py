"""The Nord département with Lille and Roubaix, and Lens in the Pas-de-Calais, at their real
coordinates; and a switch to give episodes target occupations without the labour app's tables."""

import pytest

from parcours.market import sources
from parcours.organisations.models import Territory
from tests.organisations.factories import make_commune


@pytest.fixture
def departement(db):
    region = Territory.objects.create(level="region", insee_code="32", name="Hauts-de-France")
    return Territory.objects.create(level="departement", insee_code="59", name="Nord", parent=region)


@pytest.fixture
def lille(departement):
    return make_commune(
        insee_code="59350", name="Lille", postcode="59000", parent=departement,
        latitude=50.6292, longitude=3.0573,
    )  # fmt: skip


@pytest.fixture
def roubaix(departement):
    return make_commune(
        insee_code="59512", name="Roubaix", postcode="59100", parent=departement,
        latitude=50.6901, longitude=3.1817,
    )  # fmt: skip


@pytest.fixture
def lens(db):
    pas_de_calais = Territory.objects.create(level="departement", insee_code="62", name="Pas-de-Calais")
    return make_commune(
        insee_code="62498", name="Lens", postcode="62300", parent=pas_de_calais,
        latitude=50.4320, longitude=2.8333,
    )  # fmt: skip


@pytest.fixture
def targets(monkeypatch):
    """``targets[episode.pk] = [("J1501", True)]``: the target occupations the market app reads
    (normally from labour career projects), one query-free dict."""
    table: dict[int, list[tuple[str, bool]]] = {}
    monkeypatch.setattr(sources, "target_occupations", lambda ids: {i: table[i] for i in ids if i in table})
    return table
