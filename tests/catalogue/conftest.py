"""A small hand-built territory: the Nord département with three communes and Lens in the
Pas-de-Calais, at their real coordinates."""

import pytest

from parcours.organisations.models import Territory
from tests.organisations.factories import make_commune


@pytest.fixture
def departement(db):
    region = Territory.objects.create(level="region", insee_code="32", name="Hauts-de-France")
    return Territory.objects.create(level="departement", insee_code="59", name="Nord", parent=region)


@pytest.fixture
def lille(departement):
    return make_commune(
        insee_code="59350",
        name="Lille",
        postcode="59000",
        parent=departement,
        latitude=50.6292,
        longitude=3.0573,
    )


@pytest.fixture
def roubaix(departement):
    return make_commune(
        insee_code="59512",
        name="Roubaix",
        postcode="59100",
        parent=departement,
        latitude=50.6901,
        longitude=3.1817,
    )


@pytest.fixture
def lens(db):
    pas_de_calais = Territory.objects.create(level="departement", insee_code="62", name="Pas-de-Calais")
    return make_commune(
        insee_code="62498",
        name="Lens",
        postcode="62300",
        parent=pas_de_calais,
        latitude=50.4320,
        longitude=2.8333,
    )
