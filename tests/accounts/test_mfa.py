"""Issue 14, accounts: the second factor (TOTP and recovery codes), enforced by role and organisation."""

import datetime
import re

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from parcours.accounts import mfa
from parcours.accounts.models import Role
from tests.accounts.factories import member

PORTFOLIO = "/accompagnements/"
pytestmark = pytest.mark.django_db


def _code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _set_up(client, user) -> list[str]:
    """Scan (read the pending device), confirm with a right code; the recovery codes are shown once."""
    page = client.get(reverse("accounts:mfa_setup"))
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    done = client.post(reverse("accounts:mfa_setup"), {"token": _code(device)})
    assert done.status_code == 200
    return re.findall(r"<li><code>([a-z0-9]{10})</code></li>", done.content.decode())


@override_settings(MFA_ENFORCED=True, OTP_TOTP_THROTTLE_FACTOR=0)
def test_a_manager_must_set_up_the_second_factor_then_enter_a_code_at_each_login(client, manager):
    client.force_login(manager)
    first = client.get(reverse("cases:team"))
    assert first.status_code == 302
    assert first["Location"] == f"{reverse('accounts:mfa_setup')}?next=%2Faccompagnements%2Fequipe%2F"
    assert client.get("/api/v1/episodes").status_code == 401  # the API with the session too

    page = client.get(first["Location"])
    content = page.content.decode()
    assert '<svg width="' in content and 'class="qr-code"' in content
    assert "style=" not in content

    wrong = client.post(reverse("accounts:mfa_setup"), {"token": "000000"})
    assert wrong.status_code == 400
    assert not TOTPDevice.objects.filter(user=manager, confirmed=True).exists()

    codes = _set_up(client, manager)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get(reverse("cases:team")).status_code == 200  # this session is verified

    # A new login: the code page, then the page asked for.
    client.logout()
    client.force_login(manager)
    to_code = client.get(reverse("cases:team"))
    assert to_code["Location"] == f"{reverse('accounts:mfa_verify')}?next=%2Faccompagnements%2Fequipe%2F"
    assert client.post(reverse("accounts:mfa_verify"), {"token": "123456"}).status_code == 400
    device = TOTPDevice.objects.get(user=manager, confirmed=True)
    # The code of the set-up cannot be replayed: the next one, 30 seconds later.
    with time_machine.travel(datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(seconds=31)):
        ok = client.post(
            reverse("accounts:mfa_verify"), {"token": _code(device), "next": "/accompagnements/equipe/"}
        )
        assert ok.status_code == 302 and ok["Location"] == "/accompagnements/equipe/"
        assert client.get(reverse("cases:team")).status_code == 200


@override_settings(MFA_ENFORCED=True, OTP_TOTP_THROTTLE_FACTOR=0, OTP_STATIC_THROTTLE_FACTOR=0)
def test_a_recovery_code_works_once(client, manager):
    client.force_login(manager)
    codes = _set_up(client, manager)
    for attempt in range(2):
        client.logout()
        client.force_login(manager)
        answer = client.post(reverse("accounts:mfa_verify"), {"token": codes[0].upper()})
        assert answer.status_code == (302 if attempt == 0 else 400)
    assert StaticToken.objects.filter(device__user=manager).count() == 9
    assert client.post(reverse("accounts:mfa_verify"), {"token": codes[1]}).status_code == 302
    assert mfa.remaining_recovery_codes(manager) == 8


@override_settings(MFA_ENFORCED=True, OTP_TOTP_THROTTLE_FACTOR=60)
def test_wrong_codes_are_throttled(client, manager):
    client.force_login(manager)
    _set_up(client, manager)
    client.logout()
    client.force_login(manager)
    device = TOTPDevice.objects.get(user=manager, confirmed=True)
    assert client.post(reverse("accounts:mfa_verify"), {"token": "000001"}).status_code == 400
    # The next try within the delay (60 s, doubled after each failure), even right, must wait.
    with time_machine.travel(datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(seconds=31)):
        throttled = client.post(reverse("accounts:mfa_verify"), {"token": _code(device)})
    assert throttled.status_code == 400
    assert "Trop d&#x27;essais" in throttled.content.decode()


@override_settings(MFA_ENFORCED=True)
def test_who_must_use_the_second_factor(organisation, counselor, manager, analyst):
    admin = member(organisation, Role.ADMINISTRATOR, username="adm")
    staff = member(organisation, Role.ANALYST, username="site-staff", is_staff=True)
    assert mfa.must_use_mfa(manager) and mfa.must_use_mfa(admin) and mfa.must_use_mfa(staff)
    assert not mfa.must_use_mfa(counselor) and not mfa.must_use_mfa(analyst)
    organisation.mfa_required = True
    organisation.save(update_fields=["mfa_required"])
    fresh = type(counselor).objects.get(pk=counselor.pk)  # organisation ids are cached per instance
    assert mfa.must_use_mfa(fresh)


@override_settings(MFA_ENFORCED=True)
def test_a_counselor_of_an_organisation_asking_for_it_is_sent_to_set_up(client, counselor, organisation):
    client.force_login(counselor)
    assert client.get(PORTFOLIO).status_code == 200
    organisation.mfa_required = True
    organisation.save(update_fields=["mfa_required"])
    response = client.get(PORTFOLIO)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:mfa_setup"))


@override_settings(MFA_ENFORCED=False)
def test_nothing_is_asked_when_mfa_is_not_enforced(client, manager):
    client.force_login(manager)
    assert client.get(reverse("cases:team")).status_code == 200


@override_settings(MFA_ENFORCED=True)
def test_api_tokens_are_not_sent_to_the_second_factor(client, manager):
    from parcours.accounts.models import ApiToken

    _token, key = ApiToken.generate(manager, "outil")
    assert client.get("/api/v1/episodes", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200


@override_settings(MFA_ENFORCED=True, OTP_TOTP_THROTTLE_FACTOR=0)
def test_new_recovery_codes_replace_the_old_ones(client, manager):
    client.force_login(manager)
    old = _set_up(client, manager)
    response = client.post(reverse("accounts:mfa_recovery_codes"))
    new = re.findall(r"<li><code>([a-z0-9]{10})</code></li>", response.content.decode())
    assert response.status_code == 200 and len(new) == 10 and not set(old) & set(new)
    status = client.get(reverse("accounts:mfa_setup"))
    assert "Il vous reste 10 codes de secours" in status.content.decode()
