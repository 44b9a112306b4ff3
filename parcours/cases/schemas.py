"""Schemas of the cases API (parcours/cases/api.py). Limits mirror the model fields: a payload the
database would refuse is answered 422 here, never 500 later."""

import datetime
import uuid
from typing import Any

from django.utils import timezone
from ninja import Field, Schema
from pydantic import field_validator

from parcours.cases.models import (
    Appointment,
    Approach,
    Contact,
    EndReason,
    FollowUpMember,
    Intensity,
    Section,
    Stage,
)
from parcours.cases.person_schemas import InputSchema
from parcours.people.models import Channel

# Far enough for any real case file, near enough to stay clear of date arithmetic overflows.
MIN_DATE = datetime.date(1900, 1, 1)
MAX_DATE = datetime.date(2100, 12, 31)


def _check_date(value: datetime.date | None) -> datetime.date | None:
    if value is not None and not (MIN_DATE <= value <= MAX_DATE):
        raise ValueError(f"date must be between {MIN_DATE} and {MAX_DATE}")
    return value


def _aware(value: datetime.datetime | None) -> datetime.datetime | None:
    """Datetimes without an offset are read in the platform's time zone (Europe/Paris)."""
    if value is None:
        return None
    if not (MIN_DATE <= value.date() <= MAX_DATE):
        raise ValueError(f"date must be between {MIN_DATE} and {MAX_DATE}")
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


class UserRef(Schema):
    public_id: uuid.UUID
    name: str

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.get_full_name() or obj.username


class OrganisationRef(Schema):
    public_id: uuid.UUID
    name: str


class PersonRef(Schema):
    public_id: uuid.UUID
    first_name: str
    last_name: str


class EpisodeOut(Schema):
    public_id: uuid.UUID
    person: PersonRef
    organisation: OrganisationRef
    site_id: int | None
    referent: UserRef
    started_on: datetime.date
    ended_on: datetime.date | None
    end_reason: str
    intensity: Intensity
    contact_target_days: int
    approach: Approach
    stage: Stage
    allowed_transitions: list[str]
    first_contact_at: datetime.datetime | None
    last_contact_at: datetime.datetime | None
    contact_count: int
    next_contact_due: datetime.date | None
    is_contact_overdue: bool
    version: int

    @staticmethod
    def resolve_allowed_transitions(obj) -> list[str]:
        return obj.allowed_transitions()

    @staticmethod
    def resolve_is_contact_overdue(obj) -> bool:
        return obj.is_contact_overdue()


class EpisodeIn(InputSchema):
    """Open an episode for a person visible to the caller, or who had an episode with one of the
    caller's organisations (found through the duplicate search)."""

    person: uuid.UUID
    organisation: uuid.UUID | None = Field(None, description="Facultatif si vous n'avez qu'une organisation.")
    referent: uuid.UUID | None = Field(None, description="Par défaut : vous.")
    intensity: Intensity = Intensity.GUIDED
    approach: Approach = Approach.SEQUENTIAL
    contact_target_days: int | None = Field(None, ge=1, le=365)
    started_on: datetime.date | None = None
    site: int | None = Field(None, ge=1, le=2**63 - 1)

    validate_started_on = field_validator("started_on")(_check_date)


class StageIn(InputSchema):
    stage: Stage
    reason: str = Field("", max_length=300)
    version: int = Field(..., ge=1)


class IntensityIn(InputSchema):
    intensity: Intensity
    reason: str = Field(..., min_length=1, max_length=300)
    contact_target_days: int | None = Field(None, ge=1, le=365)
    approach: Approach | None = None
    version: int = Field(..., ge=1)


class HandoverIn(InputSchema):
    to_referent: uuid.UUID
    reason: str = Field(..., min_length=1, max_length=300)
    version: int = Field(..., ge=1)


class CloseIn(InputSchema):
    reason: EndReason
    ended_on: datetime.date | None = None
    version: int = Field(..., ge=1)

    validate_ended_on = field_validator("ended_on")(_check_date)


class FollowUpMemberIn(InputSchema):
    user: uuid.UUID
    organisation: uuid.UUID
    role: str = Field(..., min_length=1, max_length=100)
    access_level: FollowUpMember.AccessLevel = FollowUpMember.AccessLevel.STANDARD


class FollowUpMemberOut(Schema):
    id: int
    user: UserRef
    organisation: OrganisationRef
    role: str
    access_level: FollowUpMember.AccessLevel
    started_at: datetime.datetime
    ended_at: datetime.datetime | None
    has_consent: bool = Field(
        ...,
        description="Consentement actif de la personne pour l'organisation du membre (sinon : aucun accès).",
    )


class ContactIn(InputSchema):
    channel: Channel
    direction: Contact.Direction = Contact.Direction.OUTBOUND
    occurred_at: datetime.datetime | None = Field(None, description="Par défaut : maintenant.")
    duration_minutes: int | None = Field(None, ge=0, le=1440)
    summary: str = Field("", max_length=20000)
    section: Section = Section.GENERAL

    make_aware = field_validator("occurred_at")(_aware)


class ContactOut(Schema):
    id: int
    episode_id: uuid.UUID = Field(..., alias="episode.public_id")
    person_id: uuid.UUID = Field(..., alias="episode.person.public_id")
    channel: Channel
    direction: Contact.Direction
    occurred_at: datetime.datetime
    duration_minutes: int | None
    summary: str
    section: Section
    author: UserRef
    created_at: datetime.datetime


class AppointmentIn(InputSchema):
    scheduled_at: datetime.datetime
    channel: Channel = Channel.IN_PERSON
    duration_minutes: int = Field(45, ge=1, le=1440)
    purpose: str = Field("", max_length=200)
    site: int | None = Field(None, ge=1, le=2**63 - 1)

    make_aware = field_validator("scheduled_at")(_aware)


class AppointmentOut(Schema):
    id: int
    episode_id: uuid.UUID = Field(..., alias="episode.public_id")
    person_id: uuid.UUID = Field(..., alias="episode.person.public_id")
    scheduled_at: datetime.datetime
    duration_minutes: int
    channel: Channel
    with_user: UserRef
    site_id: int | None
    purpose: str
    status: Appointment.Status
    cancelled_by: str
    contact_id: int | None


class HeldIn(InputSchema):
    summary: str = Field("", max_length=20000)


class CancelIn(InputSchema):
    cancelled_by: Appointment.CancelledBy


class EventOut(Schema):
    id: int
    kind: str
    label: str
    at: datetime.datetime
    actor: UserRef | None
    person_id: uuid.UUID = Field(..., alias="person.public_id")
    episode_id: uuid.UUID | None
    section: Section
    data: dict[str, Any]

    @staticmethod
    def resolve_label(obj) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_episode_id(obj) -> uuid.UUID | None:
        return obj.episode.public_id if obj.episode_id else None
