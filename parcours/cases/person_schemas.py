"""Schemas of the people API (parcours/cases/person_api.py): what goes in and out, validated by pydantic.

Limits mirror the model fields so that a payload the database would refuse is answered 422 here,
never 500 later.
"""

import datetime
import uuid

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils import timezone
from ninja import Field, Schema
from pydantic import field_validator, model_validator

from parcours.cases.models import Approach, Intensity
from parcours.people.models import Channel, Consent, DigitalAutonomy, Sex, Status
from parcours.people.phones import InvalidPhone, normalise_phone


def _reject_nul(value):
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text must not contain NUL characters")
    elif isinstance(value, dict):
        for item in value.values():
            _reject_nul(item)
    elif isinstance(value, list):
        for item in value:
            _reject_nul(item)
    return value


class InputSchema(Schema):
    """Base of every request body: refuses NUL characters, which PostgreSQL cannot store."""

    @field_validator("*", mode="before")
    @classmethod
    def reject_nul_characters(cls, value):
        return _reject_nul(value)


def _check_email(value: str | None) -> str | None:
    if value:
        try:
            validate_email(value)
        except DjangoValidationError as exc:
            raise ValueError("invalid e-mail address") from exc
    return value


def _check_phone(value: str | None) -> str | None:
    if value:
        try:
            return normalise_phone(value)
        except InvalidPhone as exc:
            raise ValueError("invalid phone number (French by default, or +country code)") from exc
    return value


def _check_birth_date(value: datetime.date | None) -> datetime.date | None:
    if value is not None and not (datetime.date(1900, 1, 1) <= value <= timezone.localdate()):
        raise ValueError("birth date must be between 1900-01-01 and today")
    return value


def _strip_name(value: str | None) -> str | None:
    if value is not None:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
    return value


class CommuneOut(Schema):
    insee_code: str
    name: str


class PersonOut(Schema):
    """A person in a list: identity and status, nothing sensitive."""

    public_id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: datetime.date
    status: Status
    commune: CommuneOut | None
    version: int


class EpisodeSummary(Schema):
    public_id: uuid.UUID
    organisation: str = Field(..., alias="organisation.name")
    referent_id: uuid.UUID = Field(..., alias="referent.public_id")
    stage: str
    intensity: str
    started_on: datetime.date
    ended_on: datetime.date | None


class PersonDetailOut(PersonOut):
    """The identity page of a file. `disability_recognition` is health data: null unless the caller
    may see sensitive sections on one of their episodes of this person (`can_see_sensitive`)."""

    sex: Sex
    email: str
    phone: str
    address: str
    preferred_channels: list[str]
    digital_autonomy: DigitalAutonomy
    minimum_income: bool
    priority_area: bool
    can_see_sensitive: bool
    disability_recognition: bool | None
    can_edit: bool
    episodes: list[EpisodeSummary] = Field(..., alias="visible_episodes")
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_disability_recognition(obj) -> bool | None:
        return obj.disability_recognition if obj.can_see_sensitive else None


class _PersonFields(InputSchema):
    sex: Sex = Sex.OTHER
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=20)
    address: str = Field("", max_length=300)
    commune: str | None = Field(
        None,
        description="Commune de résidence : code INSEE, nom ou code postal (422 avec les candidates si ambigu)",
        max_length=200,
    )
    preferred_channels: list[Channel] = Field(default_factory=list, max_length=len(Channel.values))
    digital_autonomy: DigitalAutonomy = DigitalAutonomy.UNKNOWN
    minimum_income: bool = False
    priority_area: bool = False
    disability_recognition: bool = False

    validate_email_field = field_validator("email")(_check_email)
    validate_phone_field = field_validator("phone")(_check_phone)


class EpisodeOpenIn(InputSchema):
    """The episode opened with a new person. `organisation` may be left out when the caller is a
    counselor or manager of exactly one organisation."""

    organisation: uuid.UUID | None = None
    intensity: Intensity = Intensity.GUIDED
    approach: Approach = Approach.SEQUENTIAL
    contact_target_days: int | None = Field(None, ge=1, le=365)


class PersonIn(_PersonFields):
    first_name: str = Field(..., min_length=1, max_length=100)
    last_name: str = Field(..., min_length=1, max_length=100)
    birth_date: datetime.date
    status: Status = Status.JOB_SEEKER
    episode: EpisodeOpenIn = Field(default_factory=EpisodeOpenIn)
    ignore_duplicates: bool = Field(
        False,
        description="Créer même si des doublons possibles existent (sinon 409 avec leurs identifiants).",
    )
    invite_to_portal: bool = Field(
        False,
        description="Inviter la personne à son espace personnel (/moi/) : il faut un courriel ou un mobile.",
    )

    validate_birth_date = field_validator("birth_date")(_check_birth_date)

    strip_names = field_validator("first_name", "last_name")(_strip_name)


# Fields that a PATCH may set to null: the others must be left out rather than nulled.
NULLABLE_PATCH_FIELDS = {"commune"}


class PersonPatch(InputSchema):
    """Only the fields sent are changed; `version` is the one read with the person (409 if stale)."""

    version: int = Field(..., ge=1)
    first_name: str | None = Field(None, min_length=1, max_length=100)
    last_name: str | None = Field(None, min_length=1, max_length=100)
    birth_date: datetime.date | None = None
    sex: Sex | None = None
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=20)
    address: str | None = Field(None, max_length=300)
    commune: str | None = Field(
        None, description="Code INSEE, nom ou code postal de la commune de résidence", max_length=200
    )
    preferred_channels: list[Channel] | None = Field(None, max_length=len(Channel.values))
    digital_autonomy: DigitalAutonomy | None = None
    minimum_income: bool | None = None
    priority_area: bool | None = None
    disability_recognition: bool | None = None

    validate_email_field = field_validator("email")(_check_email)
    validate_phone_field = field_validator("phone")(_check_phone)
    validate_birth_date = field_validator("birth_date")(_check_birth_date)
    strip_names = field_validator("first_name", "last_name")(_strip_name)

    @model_validator(mode="after")
    def reject_null_for_required(self):
        for name in self.model_fields_set - {"version"} - NULLABLE_PATCH_FIELDS:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class StatusIn(InputSchema):
    status: Status
    since: datetime.date | None = None


class ConsentIn(InputSchema):
    organisation: uuid.UUID
    scope: Consent.Scope
    note: str = Field("", max_length=300)


class ConsentOut(Schema):
    id: int
    organisation_id: uuid.UUID = Field(..., alias="organisation.public_id")
    organisation_name: str = Field(..., alias="organisation.name")
    scope: Consent.Scope
    given_at: datetime.datetime
    withdrawn_at: datetime.datetime | None
    is_active: bool
    note: str


class DuplicateOut(Schema):
    public_id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: datetime.date
    score: int
    is_visible: bool = Field(
        ..., description="Le dossier est consultable (sinon : ouvrir un accompagnement)."
    )
