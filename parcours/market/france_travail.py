"""Optional connectors to the France Travail APIs (francetravail.io): job offers ("Offres
d'emploi v2"), the ROME 4.0 occupations, labour-market statistics and La Bonne Boîte.

Never required and never called at run time by default. Configured in ``config/settings.py``
(see the README's configuration table): ``USE_FRANCE_TRAVAIL_API`` (default false), then
``FRANCE_TRAVAIL_CLIENT_ID`` and ``FRANCE_TRAVAIL_CLIENT_SECRET`` (or ``…_FILE``) are required,
and the settings refuse to load without them; ``FRANCE_TRAVAIL_API_URL``,
``FRANCE_TRAVAIL_TOKEN_URL`` and ``FRANCE_TRAVAIL_SCOPES`` override the defaults.

The HTTP client is injectable: any callable ``http(method, url, *, params, data, headers) ->
(status, json)``. Tests pass one that answers from recorded JSON files.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

OFFERS_PATH = "/partenaire/offresdemploi/v2/offres/search"
ROME_OCCUPATION_PATH = "/partenaire/rome-metiers/v1/metiers/metier/{code}"
STATS_PATH = "/partenaire/stats-offres-demandes-emploi/v1/indicateur/stat-offres-demandes"
LA_BONNE_BOITE_PATH = "/partenaire/labonneboite/v2/recherche"
OFFERS_PAGE = 150  # the API serves at most 150 offers per request (range=0-149)

Http = Callable[..., tuple[int, object]]


class FranceTravailError(RuntimeError):
    """The API answered with an error status."""


@dataclass(frozen=True)
class FranceTravailConfig:
    client_id: str
    client_secret: str
    api_url: str
    token_url: str
    scopes: str

    @classmethod
    def from_settings(cls) -> FranceTravailConfig | None:
        """The configuration of ``config/settings.py``; None when the connector is off (the settings
        already refused to load when it is on without credentials)."""
        if not settings.USE_FRANCE_TRAVAIL_API:
            return None
        return cls(
            client_id=settings.FRANCE_TRAVAIL_CLIENT_ID,
            client_secret=settings.FRANCE_TRAVAIL_CLIENT_SECRET,
            api_url=settings.FRANCE_TRAVAIL_API_URL.rstrip("/"),
            token_url=settings.FRANCE_TRAVAIL_TOKEN_URL,
            scopes=settings.FRANCE_TRAVAIL_SCOPES,
        )


def urllib_http(
    method: str, url: str, *, params=None, data=None, headers=None, timeout: float = 30
) -> tuple[int, object]:
    """The default HTTP client (standard library only)."""
    if params:
        url = f"{url}{'&' if '?' in url else '?'}{urllib.parse.urlencode(params, doseq=True)}"
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - https URLs from config
            raw = response.read()
            return response.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw) if raw else None
        except ValueError:
            return exc.code, {"message": raw[:200].decode(errors="replace")}


class FranceTravailClient:
    """A small client of the France Travail APIs with an injectable HTTP function."""

    def __init__(
        self,
        config: FranceTravailConfig,
        http: Http | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.config = config
        self.http = http or urllib_http
        self.clock = clock
        self._token: str | None = None
        self._token_expires = 0.0

    @classmethod
    def from_settings(cls, http: Http | None = None) -> FranceTravailClient:
        config = FranceTravailConfig.from_settings()
        if config is None:
            raise ImproperlyConfigured("the France Travail connector is off: set USE_FRANCE_TRAVAIL_API=true")
        return cls(config, http=http)

    def token(self) -> str:
        if self._token and self.clock() < self._token_expires - 30:
            return self._token
        status, payload = self.http(
            "POST",
            self.config.token_url,
            params=None,
            data={
                "grant_type": "client_credentials",
                "client_id": self.config.client_id,
                "client_secret": self.config.client_secret,
                "scope": self.config.scopes,
            },
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if status != 200 or not isinstance(payload, dict) or "access_token" not in payload:
            raise FranceTravailError(f"token request failed with status {status}")
        self._token = payload["access_token"]
        self._token_expires = self.clock() + float(payload.get("expires_in", 0))
        return self._token

    def _get(self, path: str, params: dict | None = None) -> tuple[int, object]:
        status, payload = self.http(
            "GET",
            self.config.api_url + path,
            params=params,
            data=None,
            headers={"Authorization": f"Bearer {self.token()}", "Accept": "application/json"},
        )
        if status == 204:
            return status, None
        if status not in (200, 206):
            message = payload.get("message", "") if isinstance(payload, dict) else ""
            raise FranceTravailError(f"GET {path} answered {status} {message}".strip())
        return status, payload

    def search_offers(self, **criteria) -> Iterator[dict]:
        """Offers matching ``criteria`` (the API's query parameters: ``codeROME``, ``commune``,
        ``distance``, ``minCreationDate``...), page by page until the last one."""
        start = 0
        while True:
            params = {**criteria, "range": f"{start}-{start + OFFERS_PAGE - 1}"}
            status, payload = self._get(OFFERS_PATH, params)
            results = (payload or {}).get("resultats", []) if isinstance(payload, dict) else []
            yield from results
            if status != 206 or len(results) < OFFERS_PAGE:
                return
            start += OFFERS_PAGE

    def rome_occupation(self, code: str) -> dict:
        return self._get(ROME_OCCUPATION_PATH.format(code=urllib.parse.quote(code)))[1] or {}

    def labour_market_statistics(self, **criteria) -> dict:
        return self._get(STATS_PATH, criteria)[1] or {}

    def companies_likely_to_hire(self, *, rome: str, citycode: str, distance_km: int = 30) -> list[dict]:
        payload = self._get(
            LA_BONNE_BOITE_PATH, {"rome": rome, "citycode": citycode, "distance": distance_km}
        )[1]
        return (payload or {}).get("items", []) if isinstance(payload, dict) else []
