"""Passkeys (WebAuthn) as a second factor of staff users, through py_webauthn (`webauthn`).

Registration: `registration_options` draws a challenge (kept in the session), the browser asks the
authenticator (static/js/passkeys.js, navigator.credentials.create) and posts its answer, which
`register` verifies. Authentication after the password: `authentication_options`, then
`authenticate` (navigator.credentials.get). A challenge serves once and for CHALLENGE_SECONDS
(it is removed from the session when an answer is checked, right or wrong).

A verified passkey marks the session verified through django-otp (the Passkey model is a
django-otp device), so it counts for the enforcement rules of parcours.accounts.mfa exactly like
the application's code. Each event is written to the `parcours.security` log (who, which passkey,
never the key material).

The relying party is the site itself: `WEBAUTHN_RP_ID` (default: the request's host name) and
`WEBAUTHN_ORIGIN` (default: the request's scheme and host; behind a proxy set it, or
SECURE_PROXY_SSL_HEADER, so that https is seen).
"""

import logging
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from parcours.accounts import mfa
from parcours.accounts.models import Passkey, User

security_log = logging.getLogger("parcours.security")

CHALLENGE_KEY = "passkey_challenge"
CHALLENGE_SECONDS = 300
NAME_MAX = 64
REGISTER = "register"
AUTHENTICATE = "authenticate"


class PasskeyError(Exception):
    """A refused registration or authentication; the message is for the user."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.message = message
        self.reason = reason  # for the log, in English


def needs_javascript_message() -> str:
    return _("Les clés d'accès ont besoin de JavaScript, qui est désactivé ou bloqué dans ce navigateur.")


def expired_message() -> str:
    return _("Cette demande a expiré ou a déjà servi : recommencez.")


def rp_id(request) -> str:
    return settings.WEBAUTHN_RP_ID or request.get_host().rsplit(":", 1)[0].strip("[]")


def origin(request) -> str:
    return settings.WEBAUTHN_ORIGIN or f"{request.scheme}://{request.get_host()}"


def _keep_challenge(request, purpose: str, challenge: bytes) -> None:
    request.session[CHALLENGE_KEY] = {
        "purpose": purpose,
        "challenge": bytes_to_base64url(challenge),
        "at": int(time.time()),
    }


def _take_challenge(request, purpose: str) -> bytes:
    """The challenge drawn for `purpose`, removed from the session: it serves once."""
    kept = request.session.pop(CHALLENGE_KEY, None)
    if (
        not isinstance(kept, dict)
        or kept.get("purpose") != purpose
        or int(time.time()) - int(kept.get("at", 0)) > CHALLENGE_SECONDS
    ):
        raise PasskeyError(expired_message(), "no challenge, expired or already used")
    return base64url_to_bytes(kept["challenge"])


def passkeys_of(user: User):
    return Passkey.objects.filter(user=user, confirmed=True).order_by("created_at", "pk")


def registration_options(request) -> str:
    """Options for navigator.credentials.create, as JSON; the challenge is kept in the session."""
    user = request.user
    options = generate_registration_options(
        rp_id=rp_id(request),
        rp_name=settings.WEBAUTHN_RP_NAME,
        user_id=user.public_id.bytes,
        user_name=user.username,
        user_display_name=str(user),
        timeout=CHALLENGE_SECONDS * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=_credential_bytes(key.credential_id))
            for key in passkeys_of(user)
        ],
    )
    _keep_challenge(request, REGISTER, options.challenge)
    return options_to_json(options)


def authentication_options(request) -> str:
    """Options for navigator.credentials.get (the user's own passkeys), as JSON."""
    options = generate_authentication_options(
        rp_id=rp_id(request),
        timeout=CHALLENGE_SECONDS * 1000,
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=_credential_bytes(key.credential_id))
            for key in passkeys_of(request.user)
        ],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    _keep_challenge(request, AUTHENTICATE, options.challenge)
    return options_to_json(options)


def _credential_bytes(credential_id: str) -> bytes:
    return base64url_to_bytes(credential_id)


def clean_name(name: str) -> str:
    return " ".join(name.split())[:NAME_MAX]


@transaction.atomic
def register(request, name: str, credential: str) -> tuple[Passkey, list[str] | None]:
    """Verify the authenticator's answer and record the passkey; the session becomes verified.

    Returns the passkey and, when it is the user's first second factor, their new recovery codes
    (shown once). Raises PasskeyError."""
    user = request.user
    name = clean_name(name) or _("Clé d'accès")
    if not credential.strip():
        _take_challenge_quietly(request)
        _log_refusal("registration", user, "no credential posted")
        raise PasskeyError(needs_javascript_message(), "no credential posted")
    try:
        challenge = _take_challenge(request, REGISTER)
        parsed = parse_registration_credential_json(credential)
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=rp_id(request),
            expected_origin=origin(request),
            require_user_verification=False,
        )
    except PasskeyError as error:
        _log_refusal("registration", user, error.reason)
        raise
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        _log_refusal("registration", user, str(exc))
        raise PasskeyError(_("La clé d'accès n'a pas pu être vérifiée. Recommencez."), str(exc)) from exc
    credential_id = bytes_to_base64url(verified.credential_id)
    if Passkey.objects.filter(credential_id=credential_id).exists():
        _log_refusal("registration", user, "credential already registered")
        raise PasskeyError(_("Cette clé d'accès est déjà enregistrée."), "credential already registered")
    first_factor = not mfa.has_confirmed_device(user)
    passkey = Passkey.objects.create(
        user=user,
        name=name,
        confirmed=True,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[str(t.value) for t in (parsed.response.transports or [])],
        aaguid=str(verified.aaguid),
    )
    otp_login(request, passkey)
    codes = mfa.regenerate_recovery_codes(user) if first_factor else None
    security_log.info("passkey registered user=%s passkey=%s", user.pk, passkey.pk)
    return passkey, codes


@transaction.atomic
def authenticate(request, credential: str) -> Passkey:
    """Verify the signature of one of the user's passkeys over the challenge; the session becomes
    verified. A signature counter that does not move forward is refused (a cloned authenticator).
    Raises PasskeyError."""
    user = request.user
    if not credential.strip():
        _take_challenge_quietly(request)
        _log_refusal("authentication", user, "no credential posted")
        raise PasskeyError(needs_javascript_message(), "no credential posted")
    passkey = None
    try:
        challenge = _take_challenge(request, AUTHENTICATE)
        parsed = parse_authentication_credential_json(credential)
        passkey = (
            Passkey.objects.select_for_update()
            .filter(user=user, confirmed=True, credential_id=bytes_to_base64url(parsed.raw_id))
            .first()
        )
        if passkey is None:
            raise PasskeyError(
                _("Cette clé d'accès n'est pas enregistrée sur votre compte."), "unknown credential"
            )
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=rp_id(request),
            expected_origin=origin(request),
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=False,
        )
    except PasskeyError as error:
        _log_refusal("authentication", user, error.reason, passkey)
        raise
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        _log_refusal("authentication", user, str(exc), passkey)
        if "sign count" in str(exc):
            raise PasskeyError(
                _(
                    "Cette clé d'accès a été refusée : son compteur de signatures a reculé, ce qui arrive "
                    "quand une clé a été copiée. Utilisez un autre moyen et prévenez votre administrateur."
                ),
                str(exc),
            ) from exc
        raise PasskeyError(_("La clé d'accès n'a pas pu être vérifiée. Recommencez."), str(exc)) from exc
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = timezone.now()
    passkey.save(update_fields=["sign_count", "last_used_at"])
    otp_login(request, passkey)
    security_log.info("passkey login user=%s passkey=%s", user.pk, passkey.pk)
    return passkey


def _take_challenge_quietly(request) -> None:
    request.session.pop(CHALLENGE_KEY, None)


def _log_refusal(what: str, user: User, reason: str, passkey: Passkey | None = None) -> None:
    security_log.warning(
        "passkey %s refused user=%s passkey=%s reason=%s",
        what,
        user.pk,
        passkey.pk if passkey else None,
        reason,
    )


def rename(passkey: Passkey, name: str) -> None:
    old = passkey.name
    passkey.name = clean_name(name)
    passkey.save(update_fields=["name"])
    security_log.info(
        "passkey renamed user=%s passkey=%s from=%r to=%r", passkey.user_id, passkey.pk, old, passkey.name
    )


def is_last_factor(passkey: Passkey) -> bool:
    """True when removing it would leave the user without a second factor (recovery codes aside)."""
    user = passkey.user
    return not mfa.has_totp(user) and not passkeys_of(user).exclude(pk=passkey.pk).exists()


def delete(passkey: Passkey) -> None:
    security_log.info("passkey deleted user=%s passkey=%s", passkey.user_id, passkey.pk)
    passkey.delete()
