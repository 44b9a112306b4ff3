"""Issue 14, accounts: ProConnect single sign-on for staff, off by default (USE_PROCONNECT)."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet, RSAKey

from parcours.accounts import proconnect
from tests.accounts.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def test_proconnect_is_off_by_default(client):
    assert client.get(reverse("accounts:proconnect_start")).status_code == 404
    assert client.get(reverse("accounts:proconnect_callback")).status_code == 404
    assert "ProConnect" not in client.get(reverse("accounts:login")).content.decode()


def test_proconnect_on_but_unconfigured_refuses_to_start():
    done = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        env={"PATH": "/usr/bin:/bin", "DEBUG": "true", "USE_PROCONNECT": "true"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1 and "PROCONNECT_CLIENT_ID" in done.stderr


class FakeClient:
    """What Authlib's client answers once ProConnect has sent the user back with a code."""

    def __init__(self, claims):
        self.claims = claims

    def authorize_access_token(self, request):
        return {"access_token": "at", "userinfo": self.claims}


def _use(monkeypatch, settings, fake):
    settings.USE_PROCONNECT = True
    monkeypatch.setattr(proconnect, "client", lambda: fake)


def test_proconnect_logs_in_the_one_active_user_with_that_email(client, monkeypatch, settings, counselor):
    counselor.email = "Alice.Martin@francetravail.fr"
    counselor.save(update_fields=["email"])
    _use(monkeypatch, settings, FakeClient({"sub": "pc-1", "email": "alice.martin@francetravail.fr"}))
    assert "ProConnect" in client.get(reverse("accounts:login")).content.decode()
    response = client.get(reverse("accounts:proconnect_callback"))
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(counselor.pk)


@pytest.mark.parametrize("case", ["unknown", "inactive", "two_users", "no_email"])
def test_proconnect_never_creates_or_guesses_an_account(client, monkeypatch, settings, case):
    email = "agent@exemple.gouv.fr"
    if case == "inactive":
        UserFactory(email=email, is_active=False)
    if case == "two_users":
        UserFactory(email=email)
        UserFactory(email=email.upper())
    claims = {"sub": "pc-2"} if case == "no_email" else {"sub": "pc-2", "email": email}
    fake = FakeClient(claims)
    if case == "no_email":
        fake.load_server_metadata = lambda: {"userinfo_endpoint": "https://pc.example/userinfo"}
        fake.get = lambda url, token: _Response({"sub": "pc-2"}, "application/json")
    _use(monkeypatch, settings, fake)
    response = client.get(reverse("accounts:proconnect_callback"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


class _Response:
    def __init__(self, body, content_type):
        self.body, self.headers = body, {"Content-Type": content_type}
        self.text = body if isinstance(body, str) else ""

    def raise_for_status(self):
        return None

    def json(self):
        return self.body


def test_the_signed_userinfo_of_proconnect_is_checked_against_its_keys(counselor):
    key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    other = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    claims = {"sub": "pc-3", "email": counselor.email}
    fake = FakeClient({"sub": "pc-3"})
    fake.load_server_metadata = lambda: {"userinfo_endpoint": "https://pc.example/userinfo"}
    fake.fetch_jwk_set = lambda: KeySet([key]).as_dict(private=False)
    signed = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
    fake.get = lambda url, token: _Response(signed, "application/jwt; charset=utf-8")
    assert proconnect.claims_of(fake, {"userinfo": {"sub": "pc-3"}})["email"] == counselor.email
    forged = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, other)
    fake.get = lambda url, token: _Response(forged, "application/jwt")
    with pytest.raises(BadSignatureError):
        proconnect.claims_of(fake, {"userinfo": {"sub": "pc-3"}})
