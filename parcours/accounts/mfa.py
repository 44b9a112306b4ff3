"""The second factor of staff users (django-otp): who must use it, TOTP set-up, recovery codes.

Passkeys (WebAuthn) are the other second factor: parcours.accounts.passkeys.

Administrators (is_staff, superusers, the administrator role) and managers must use it; the other
roles when one of their organisations asks for it (Organisation.mfa_required). Nobody must when
settings.MFA_ENFORCED is off (under DEBUG for the demo logins, and in tests unless a test turns it
on). A session counts as verified once a TOTP code, a recovery code or a passkey's signature has
been checked in it (django_otp.login stores the device in the session).
"""

import enum
import logging
import secrets
from base64 import b32encode

import segno
from django.conf import settings
from django.db import transaction
from django.utils.safestring import SafeString, mark_safe
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from parcours.accounts.models import Passkey, Role, User
from parcours.organisations.models import Organisation

security_log = logging.getLogger("parcours.security")

TOTP_NAME = "application"
RECOVERY_NAME = "recovery"
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read from paper


def must_use_mfa(user: User) -> bool:
    if not settings.MFA_ENFORCED or not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser or user.has_role(Role.MANAGER, Role.ADMINISTRATOR):
        return True
    return Organisation.objects.filter(pk__in=user.organisation_ids(), mfa_required=True).exists()


def has_totp(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def has_passkey(user: User) -> bool:
    return Passkey.objects.filter(user=user, confirmed=True).exists()


def has_confirmed_device(user: User) -> bool:
    """An application or a passkey (recovery codes alone are not a second factor)."""
    return has_totp(user) or has_passkey(user)


def pending_totp_device(user: User) -> TOTPDevice:
    """The unconfirmed TOTP device being set up (created on first call, reused until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def qr_code_svg(device: TOTPDevice) -> SafeString:
    """The otpauth:// URL as an inline SVG: presentation attributes only, no style (CSP)."""
    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=4, dark="#000", light="#fff", svgclass="qr-code", lineclass=None, omitsize=False
    )
    return mark_safe(svg)


def secret_for_manual_entry(device: TOTPDevice) -> str:
    key = b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@transaction.atomic
def confirm_totp_device(request, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the device with a code from the application; returns the new recovery codes.

    Other TOTP devices of the user are removed (one application at a time), the session is marked
    verified. None when the code is wrong."""
    if not device.verify_token(token.replace(" ", "")):
        return None
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    security_log.info("totp confirmed user=%s", device.user_id)
    return regenerate_recovery_codes(device.user)


@transaction.atomic
def regenerate_recovery_codes(user: User) -> list[str]:
    """New single-use recovery codes, shown once; the previous ones stop working."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
        for _ in range(settings.MFA_RECOVERY_CODES)
    ]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    security_log.info("recovery codes drawn user=%s", user.pk)
    return codes


class Verification(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    THROTTLED = "throttled"


@transaction.atomic
def verify(request, token: str) -> Verification:
    """A code of the user's application, or one of their recovery codes (then used up).

    Each device is checked on its own (django-otp's throttling: after a wrong code the device
    waits longer and longer before it accepts another). Marks the session verified."""
    token = "".join(token.split())
    user = request.user
    # Six digits: the application's code; anything else: a recovery code. A code is tried on one
    # kind of device only, so that a mistyped recovery code does not slow the application down.
    if token.isdigit():
        devices = list(TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True))
    else:
        token = token.lower()
        devices = list(StaticDevice.objects.select_for_update().filter(user=user, confirmed=True))
    throttled = False
    for device in devices:
        allowed, _data = device.verify_is_allowed()
        if not allowed:
            throttled = True
            continue
        if device.verify_token(token):
            otp_login(request, device)
            security_log.info("second factor ok user=%s device=%s", user.pk, device.persistent_id)
            return Verification.OK
    result = Verification.THROTTLED if throttled else Verification.WRONG
    security_log.warning("second factor refused user=%s result=%s", user.pk, result.value)
    return result


def remaining_recovery_codes(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__name=RECOVERY_NAME).count()


def confirmed_devices(user: User) -> list:
    return list(devices_for_user(user, confirmed=True))
