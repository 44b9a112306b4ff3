"""Passkeys in a real browser: static/js/passkeys.js against chromium's virtual authenticator
(Chrome DevTools Protocol, WebAuthn domain), under the site's Content-Security-Policy (the `page`
fixture fails on any violation) and axe-core."""

import pytest
from django.test import override_settings
from django.urls import reverse

from parcours.accounts.models import Passkey, Role
from tests.accounts.factories import member
from tests.browser.test_browser import axe_violations, login
from tests.organisations.factories import OrganisationFactory


@pytest.fixture
def manager(transactional_db):
    return member(OrganisationFactory(name="France Travail Lille"), Role.MANAGER, username="responsable")


def _virtual_authenticator(page) -> None:
    session = page.context.new_cdp_session(page)
    session.send("WebAuthn.enable")
    session.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": False,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


@override_settings(MFA_ENFORCED=True)
def test_a_manager_registers_a_passkey_then_logs_in_with_it(page, live_server, manager):
    _virtual_authenticator(page)
    base = live_server.url
    login(page, base, "responsable")
    assert page.url.startswith(base + reverse("accounts:mfa_setup"))  # the enforcement
    page.get_by_role("link", name="Utiliser plutôt une clé d'accès").click()
    page.wait_for_load_state()
    assert axe_violations(page) == []
    page.get_by_label("Nom de la clé (pour la reconnaître)").fill("Clé virtuelle")
    page.get_by_role("button", name="Enregistrer une clé d'accès").click()
    page.get_by_role("heading", name="Codes de secours").wait_for()
    assert len(page.locator("ul.recovery-codes li").all()) == 10
    passkey = Passkey.objects.get(user=manager)
    assert passkey.name == "Clé virtuelle" and passkey.transports == ["usb"]

    page.goto(base + reverse("accounts:mfa_setup"))
    assert "Clé virtuelle" in page.content()
    assert axe_violations(page) == []

    page.context.clear_cookies()
    login(page, base, "responsable")
    assert page.url.startswith(base + reverse("accounts:mfa_verify"))
    page.get_by_role("button", name="Utiliser ma clé d'accès").click()
    page.wait_for_url(base + reverse("cases:team"))
    passkey.refresh_from_db()
    assert passkey.last_used_at is not None and passkey.sign_count >= 1
