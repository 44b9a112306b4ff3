import json
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from parcours.market.france_travail import FranceTravailClient, FranceTravailConfig, FranceTravailError
from parcours.market.importers import import_offers_json

RECORDED = Path(__file__).parent / "recorded"


def recorded(name: str):
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


class RecordedHttp:
    """Answers from the recorded files and remembers the requests."""

    def __init__(self, routes):
        self.routes = routes
        self.calls = []

    def __call__(self, method, url, *, params=None, data=None, headers=None):
        self.calls.append((method, url, params, headers))
        for fragment, answer in self.routes.items():
            if fragment in url:
                return answer
        return 404, {"message": "no recording"}


@pytest.fixture
def config(settings):
    settings.USE_FRANCE_TRAVAIL_API = True
    settings.FRANCE_TRAVAIL_CLIENT_ID = "id"
    settings.FRANCE_TRAVAIL_CLIENT_SECRET = "secret"
    return FranceTravailConfig.from_settings()


def test_off_by_default(settings):
    assert settings.USE_FRANCE_TRAVAIL_API is False
    assert FranceTravailConfig.from_settings() is None
    with pytest.raises(ImproperlyConfigured, match="USE_FRANCE_TRAVAIL_API=true"):
        FranceTravailClient.from_settings()


def test_configuration_comes_from_the_settings(config):
    assert (config.client_id, config.client_secret, config.api_url) == (
        "id",
        "secret",
        "https://api.francetravail.io",
    )


@pytest.mark.django_db
def test_offer_search_against_recorded_responses_feeds_the_importer(config):
    http = RecordedHttp(
        {
            "access_token": (200, recorded("token.json")),
            "offres/search": (200, recorded("offers_search_page1.json")),
        }
    )
    client = FranceTravailClient(config, http=http)
    offers = list(client.search_offers(codeROME="J1501,G1803", commune="59350", distance=30))
    assert [o["id"] for o in offers] == ["184XKLM", "184XKLN"]
    method, _url, params, headers = http.calls[-1]
    assert (method, params["range"], headers["Authorization"]) == (
        "GET",
        "0-149",
        "Bearer recorded-token-0001",
    )
    assert import_offers_json(offers).created == 2


def test_token_is_reused_until_it_expires(config):
    now = [0.0]
    http = RecordedHttp(
        {"access_token": (200, recorded("token.json")), "labonneboite": (200, recorded("labonneboite.json"))}
    )
    client = FranceTravailClient(config, http=http, clock=lambda: now[0])
    assert client.companies_likely_to_hire(rome="J1501", citycode="59350")[0]["siret"] == "12345678900011"
    client.companies_likely_to_hire(rome="J1501", citycode="59350")
    assert sum("access_token" in c[1] for c in http.calls) == 1
    now[0] = 1500.0
    client.companies_likely_to_hire(rome="J1501", citycode="59350")
    assert sum("access_token" in c[1] for c in http.calls) == 2


def test_api_errors_are_raised_with_the_status(config):
    http = RecordedHttp(
        {
            "access_token": (200, recorded("token.json")),
            "offres/search": (400, recorded("offers_search_error.json")),
        }
    )
    with pytest.raises(FranceTravailError, match="400"):
        list(FranceTravailClient(config, http=http).search_offers(codeROME="XXX"))
