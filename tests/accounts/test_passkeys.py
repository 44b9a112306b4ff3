"""Issue 14, accounts: passkeys (WebAuthn, py_webauthn) as a second factor, verified for real with a
software authenticator (tests/accounts/authenticator.py)."""

import html
import json
import logging
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from parcours.accounts.models import Passkey
from tests.accounts.authenticator import SoftwareAuthenticator

pytestmark = pytest.mark.django_db

TEAM = "/accompagnements/equipe/"
ADD = "/comptes/double-authentification/cle-d-acces/"
VERIFY = "/comptes/double-authentification/code/"
SECURITY = "/comptes/double-authentification/"
NOT_VERIFIED = "La clé d&#x27;accès n&#x27;a pas pu être vérifiée. Recommencez."
EXPIRED = "Cette demande a expiré ou a déjà servi : recommencez."
CLONED = (
    "Cette clé d&#x27;accès a été refusée : son compteur de signatures a reculé, ce qui arrive quand une "
    "clé a été copiée. Utilisez un autre moyen et prévenez votre administrateur."
)
NEEDS_JS = "Les clés d&#x27;accès ont besoin de JavaScript, qui est désactivé ou bloqué dans ce navigateur."


def _options(response) -> dict:
    match = re.search(r'data-options="([^"]*)"', response.content.decode())
    assert match, "no passkey options on the page"
    return json.loads(html.unescape(match.group(1)))


def _register(client, authenticator, name="Clé USB", **kwargs):
    page = client.get(ADD)
    assert page.status_code == 200
    options = _options(page)
    return client.post(
        ADD, {"name": name, "credential": authenticator.register(options["challenge"], **kwargs)}
    )


def _log_in_with_passkey(client, authenticator, **kwargs):
    page = client.get(f"{VERIFY}?next={TEAM}")
    assert page.status_code == 200
    options = _options(page)
    return client.post(
        VERIFY, {"next": TEAM, "credential": authenticator.assert_(options["challenge"], **kwargs)}
    )


def _codes(response) -> list[str]:
    return re.findall(r"<li><code>([a-z0-9]{10})</code></li>", response.content.decode())


@pytest.fixture
def key():
    return SoftwareAuthenticator()


@pytest.fixture
def registered(client, manager, key):
    """The manager with one passkey, logged out."""
    client.force_login(manager)
    assert _register(client, key).status_code == 200
    client.logout()
    return Passkey.objects.get(user=manager)


@override_settings(MFA_ENFORCED=True)
def test_a_manager_with_only_a_passkey_passes_the_second_factor(client, manager, key, caplog):
    caplog.set_level(logging.INFO, logger="parcours.security")
    client.force_login(manager)
    first = client.get(TEAM)
    assert first.status_code == 302 and first["Location"].startswith(SECURITY)
    setup = client.get(first["Location"])
    assert f'href="{ADD}?next=' in setup.content.decode()

    page = client.get(ADD)
    options = _options(page)
    assert options["rp"] == {"id": "testserver", "name": "Parcours"}
    assert options["attestation"] == "none" and options["excludeCredentials"] == []
    assert '<script src="/static/js/passkeys.js" defer></script>' in page.content.decode()
    done = client.post(ADD, {"name": "  Clé   USB  ", "credential": key.register(options["challenge"])})
    assert done.status_code == 200
    codes = _codes(done)
    assert len(codes) == 10  # the first second factor: recovery codes, shown once
    passkey = Passkey.objects.get(user=manager)
    assert passkey.name == "Clé USB" and passkey.sign_count == 0 and passkey.transports == ["usb"]
    assert passkey.aaguid == "00000000-0000-0000-0000-000000000000" and passkey.last_used_at is None
    assert not TOTPDevice.objects.filter(user=manager, confirmed=True).exists()
    assert client.get(TEAM).status_code == 200  # this session is verified

    client.logout()
    client.force_login(manager)
    to_verify = client.get(TEAM)
    assert to_verify["Location"] == f"{VERIFY}?next=%2Faccompagnements%2Fequipe%2F"
    page = client.get(to_verify["Location"])
    content = page.content.decode()
    assert "Saisissez l" in content and "un de vos codes de secours." in content  # no application
    assert "votre application d" not in content
    options = _options(page)
    assert [c["id"] for c in options["allowCredentials"]] == [passkey.credential_id]
    ok = client.post(VERIFY, {"next": TEAM, "credential": key.assert_(options["challenge"])})
    assert ok.status_code == 302 and ok["Location"] == TEAM
    assert client.get(TEAM).status_code == 200
    passkey.refresh_from_db()
    assert passkey.sign_count == 1 and passkey.last_used_at is not None
    assert client.get("/api/v1/episodes").status_code == 200  # the API with the session too

    events = [r.getMessage() for r in caplog.records if r.name == "parcours.security"]
    assert f"passkey registered user={manager.pk} passkey={passkey.pk}" in events
    assert f"passkey login user={manager.pk} passkey={passkey.pk}" in events
    assert f"recovery codes drawn user={manager.pk}" in events


@override_settings(MFA_ENFORCED=True)
def test_a_recovery_code_still_works_for_a_passkey_user(client, manager, key):
    client.force_login(manager)
    codes = _codes(_register(client, key))
    client.logout()
    client.force_login(manager)
    assert client.post(VERIFY, {"token": codes[0], "next": TEAM}).status_code == 302
    assert client.get(TEAM).status_code == 200


@override_settings(MFA_ENFORCED=True)
def test_registration_from_another_origin_or_for_another_site_is_refused(client, manager, key):
    client.force_login(manager)
    for kwargs in ({"origin": "https://parcours.example.evil"}, {"rp_id": "evil.example"}):
        refused = _register(client, key, **kwargs)
        assert refused.status_code == 400
        assert NOT_VERIFIED in refused.content.decode()
        assert 'value="Clé USB"' in refused.content.decode()  # the name typed is kept
    assert not Passkey.objects.exists()
    assert client.get(TEAM).status_code == 302  # not verified


@override_settings(MFA_ENFORCED=True)
def test_registration_with_another_challenge_or_twice_is_refused(client, manager, key):
    client.force_login(manager)
    client.get(ADD)
    wrong = client.post(ADD, {"name": "x", "credential": key.register("c29tZXRoaW5nLWVsc2U")})
    assert wrong.status_code == 400 and NOT_VERIFIED in wrong.content.decode()
    options = _options(client.get(ADD))
    answer = key.register(options["challenge"])
    assert client.post(ADD, {"name": "x", "credential": answer}).status_code == 200
    client.get(ADD)  # a new challenge; the old answer is for the old one
    replayed = client.post(ADD, {"name": "x", "credential": answer})
    assert replayed.status_code == 400 and NOT_VERIFIED in replayed.content.decode()
    client.get(VERIFY)  # the challenge drawn now is for a login, not for a registration
    other_purpose = client.post(ADD, {"name": "x", "credential": answer})
    assert other_purpose.status_code == 400 and EXPIRED in other_purpose.content.decode()
    assert Passkey.objects.count() == 1


@override_settings(MFA_ENFORCED=True)
def test_the_same_key_cannot_be_registered_twice(client, manager, key):
    client.force_login(manager)
    _register(client, key)
    again = _register(client, key)
    assert again.status_code == 400
    assert "Cette clé d&#x27;accès est déjà enregistrée." in again.content.decode()
    assert _options(again)["excludeCredentials"][0]["id"] == Passkey.objects.get().credential_id


@override_settings(MFA_ENFORCED=True)
def test_without_javascript_the_passkey_pages_say_so(client, manager, key):
    client.force_login(manager)
    page = client.get(ADD)
    assert "<noscript>" in page.content.decode()
    no_js = client.post(ADD, {"name": "Clé", "credential": ""})
    assert no_js.status_code == 400 and NEEDS_JS in no_js.content.decode()
    assert not Passkey.objects.exists()


@override_settings(MFA_ENFORCED=True)
def test_login_from_another_origin_with_another_key_or_without_javascript_is_refused(
    client, manager, registered, key, caplog
):
    caplog.set_level(logging.INFO, logger="parcours.security")
    client.force_login(manager)
    evil = _log_in_with_passkey(client, key, origin="https://evil.example")
    assert evil.status_code == 400 and NOT_VERIFIED in evil.content.decode()
    stranger = _log_in_with_passkey(client, SoftwareAuthenticator())
    assert stranger.status_code == 400
    assert "Cette clé d&#x27;accès n&#x27;est pas enregistrée sur votre compte." in stranger.content.decode()
    client.get(VERIFY)
    no_js = client.post(VERIFY, {"credential": ""})
    assert no_js.status_code == 400 and NEEDS_JS in no_js.content.decode()
    assert client.get(TEAM).status_code == 302
    refusals = [r.getMessage() for r in caplog.records if "passkey authentication refused" in r.getMessage()]
    assert len(refusals) == 3
    assert refusals[0].startswith(
        f"passkey authentication refused user={manager.pk} passkey={registered.pk} "
    )
    assert "Unexpected client data origin" in refusals[0]


@override_settings(MFA_ENFORCED=True)
def test_a_challenge_serves_once(client, manager, registered, key):
    client.force_login(manager)
    options = _options(client.get(VERIFY))
    answer = key.assert_(options["challenge"])
    assert client.post(VERIFY, {"next": TEAM, "credential": answer}).status_code == 302
    client.logout()
    client.force_login(manager)
    replayed = client.post(VERIFY, {"credential": answer})  # no challenge drawn in this session
    assert replayed.status_code == 400 and EXPIRED in replayed.content.decode()
    client.get(VERIFY)  # a new challenge: the old answer signs the old one
    replayed = client.post(VERIFY, {"credential": answer})
    assert replayed.status_code == 400 and NOT_VERIFIED in replayed.content.decode()
    wrong = client.post(VERIFY, {"credential": key.assert_("b3RoZXItY2hhbGxlbmdl")})
    assert wrong.status_code == 400
    assert client.get(TEAM).status_code == 302


@override_settings(MFA_ENFORCED=True)
def test_a_signature_counter_going_back_is_refused(client, manager, registered, key):
    client.force_login(manager)
    assert _log_in_with_passkey(client, key, sign_count=5).status_code == 302
    registered.refresh_from_db()
    assert registered.sign_count == 5
    for count in (5, 3):
        client.logout()
        client.force_login(manager)
        cloned = _log_in_with_passkey(client, key, sign_count=count)
        assert cloned.status_code == 400 and CLONED in cloned.content.decode()
        assert client.get(TEAM).status_code == 302
    registered.refresh_from_db()
    assert registered.sign_count == 5
    assert _log_in_with_passkey(client, key, sign_count=6).status_code == 302


@override_settings(MFA_ENFORCED=True, OTP_TOTP_THROTTLE_FACTOR=0)
def test_with_an_application_and_a_passkey_the_user_chooses(client, manager, key):
    client.force_login(manager)
    client.get(SECURITY)
    device = TOTPDevice.objects.get(user=manager, confirmed=False)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    assert len(_codes(client.post(SECURITY, {"token": code}))) == 10
    # A second factor exists: adding a passkey needs it in this session (it is: just confirmed).
    added = _register(client, key)
    assert added.status_code == 302 and added["Location"] == SECURITY  # no new recovery codes

    client.logout()
    client.force_login(manager)
    assert (
        client.get(ADD)["Location"] == f"{VERIFY}?next=%2Fcomptes%2Fdouble-authentification%2Fcle-d-acces%2F"
    )
    page = client.get(VERIFY).content.decode()
    assert 'data-passkey="authenticate"' in page and 'name="token"' in page
    assert "Saisissez le code à 6 chiffres de votre application" in page
    assert _log_in_with_passkey(client, key).status_code == 302


@override_settings(MFA_ENFORCED=True)
def test_managing_passkeys_needs_a_verified_session_and_the_password(
    client, manager, registered, key, caplog
):
    caplog.set_level(logging.INFO, logger="parcours.security")
    rename = reverse("accounts:passkey_rename", args=[registered.pk])
    delete = reverse("accounts:passkey_delete", args=[registered.pk])
    client.force_login(manager)
    page = client.get(SECURITY).content.decode()
    assert rename not in page and delete not in page  # not verified in this session
    for url in (rename, delete):  # the enforcement sends the unverified session to the code page
        refused = client.post(url, {"name": "x", "password": "test-password"})
        assert refused.status_code == 302 and refused["Location"].startswith(f"{VERIFY}?next=")
    assert Passkey.objects.get().name == "Clé USB"

    assert _log_in_with_passkey(client, key).status_code == 302
    page = client.get(SECURITY).content.decode()
    assert rename in page and delete in page and "Clé USB" in page
    empty = client.post(rename, {"name": "   "})
    assert empty.status_code == 400 and "Donnez un nom à la clé d&#x27;accès." in empty.content.decode()
    assert client.post(rename, {"name": "Téléphone"}).status_code == 302
    assert Passkey.objects.get().name == "Téléphone"

    wrong = client.post(delete, {"password": "not-it"})
    assert wrong.status_code == 400 and "Mot de passe incorrect." in wrong.content.decode()
    last = client.post(delete, {"password": "test-password"})
    assert last.status_code == 400
    assert "C&#x27;est votre dernier second facteur" in last.content.decode()
    assert Passkey.objects.count() == 1

    second = SoftwareAuthenticator()
    assert _register(client, second, name="Clé de secours").status_code == 302
    gone = client.post(delete, {"password": "test-password"})
    assert gone.status_code == 302 and gone["Location"] == SECURITY
    assert list(Passkey.objects.values_list("name", flat=True)) == ["Clé de secours"]
    events = [r.getMessage() for r in caplog.records if r.name == "parcours.security"]
    assert (
        f"passkey renamed user={manager.pk} passkey={registered.pk} from='Clé USB' to='Téléphone'" in events
    )
    assert f"passkey deleted user={manager.pk} passkey={registered.pk}" in events


def test_a_counselor_not_required_to_may_remove_her_only_passkey(client, counselor, key):
    client.force_login(counselor)
    assert _register(client, key).status_code == 200  # first factor: recovery codes
    passkey = Passkey.objects.get()
    delete = reverse("accounts:passkey_delete", args=[passkey.pk])
    rename = reverse("accounts:passkey_rename", args=[passkey.pk])
    client.logout()
    client.force_login(counselor)  # not enforced: the pages themselves ask for the second factor
    for url in (rename, delete):
        refused = client.post(url, {"name": "x", "password": "test-password"})
        assert refused.status_code == 302
        assert refused["Location"] == f"{VERIFY}?next=%2Fcomptes%2Fdouble-authentification%2F"
    assert (
        client.get(ADD)["Location"] == f"{VERIFY}?next=%2Fcomptes%2Fdouble-authentification%2Fcle-d-acces%2F"
    )
    assert _log_in_with_passkey(client, key).status_code == 302
    assert client.post(delete, {"password": "test-password"}).status_code == 302
    assert not Passkey.objects.exists()


def test_another_users_passkey_is_not_found(client, counselor, registered):
    client.force_login(counselor)
    for name in ("accounts:passkey_rename", "accounts:passkey_delete"):
        response = client.post(
            reverse(name, args=[registered.pk]), {"name": "x", "password": "test-password"}
        )
        assert response.status_code == 404
    assert Passkey.objects.get().name == "Clé USB"


def test_the_script_is_a_static_file_allowed_by_the_policy(client, counselor):
    assert finders.find("js/passkeys.js")
    client.force_login(counselor)
    response = client.get(ADD)
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "publickey-credentials-create=(self)" in response["Permissions-Policy"]


def test_an_administrator_removes_a_lost_passkey_in_the_admin_but_cannot_add_one(client, registered):
    from tests.accounts.factories import UserFactory

    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    assert client.get("/admin/accounts/passkey/").status_code == 200
    assert client.get("/admin/accounts/passkey/add/").status_code == 403
    page = client.get(f"/admin/accounts/passkey/{registered.pk}/change/")
    assert page.status_code == 200 and registered.credential_id not in page.content.decode()
    gone = client.post(f"/admin/accounts/passkey/{registered.pk}/delete/", {"post": "yes"})
    assert gone.status_code == 302 and not Passkey.objects.exists()
