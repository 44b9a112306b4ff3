"""Signed one-time links for self-diagnosis (django.core.signing.TimestampSigner).

The token carries the invitation's public id and its signing time; the row carries the expiry and
the moment it was used. A token that does not verify is unknown (404); a genuine one that expired
or was already used is gone (410) and the page says to ask the counselor for a new link.
"""

import datetime
import uuid

from django.conf import settings
from django.core import signing
from django.utils import timezone

from parcours.diagnosis.models import SelfDiagnosisInvitation

SALT = "parcours.diagnosis.self-diagnosis"
DEFAULT_VALID_DAYS = 7


def valid_days() -> int:
    return getattr(settings, "PARCOURS_SELF_DIAGNOSIS_DAYS", DEFAULT_VALID_DAYS)


class InvitationInvalid(Exception):
    """Tampered, malformed or unknown token."""


class InvitationGone(Exception):
    """A genuine invitation that expired or was already used."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def make_token(invitation: SelfDiagnosisInvitation) -> str:
    return signing.TimestampSigner(salt=SALT).sign(str(invitation.public_id))


def invitation_from_token(token: str) -> SelfDiagnosisInvitation:
    signer = signing.TimestampSigner(salt=SALT)
    try:
        public_id = signer.unsign(token)
    except signing.BadSignature as exc:  # includes malformed tokens
        raise InvitationInvalid from exc
    invitation = (
        SelfDiagnosisInvitation.objects.select_related(
            "episode__person", "episode__organisation", "diagnosis__questionnaire_version"
        )
        .filter(public_id=public_id)
        .first()
        if _is_uuid(public_id)
        else None
    )
    if invitation is None:
        raise InvitationInvalid
    if invitation.used_at is not None:
        raise InvitationGone("used")
    if timezone.now() >= invitation.expires_at or not invitation.episode.is_open:
        raise InvitationGone("expired")
    return invitation


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def expiry(days: int | None = None) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=days or valid_days())
