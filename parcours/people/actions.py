"""State changes of a person's record. Each records a CaseEvent; views, API, admin and CLI call these."""

import datetime
import logging

from django.db import transaction
from django.utils import timezone

from parcours.cases.models import CaseEvent, ConcurrentEditError, SupportEpisode
from parcours.people.models import Consent, Person, StatusPeriod

logger = logging.getLogger(__name__)

# Fields a counselor may edit on the identity/contact form; status has its own history action.
EDITABLE_FIELDS = (
    "first_name",
    "last_name",
    "birth_date",
    "sex",
    "email",
    "phone",
    "address",
    "commune",
    "preferred_channels",
    "digital_autonomy",
    "minimum_income",
    "priority_area",
    "disability_recognition",
)


@transaction.atomic
def create_person(*, by, status: str = Person._meta.get_field("status").default, **fields) -> Person:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown person fields: {sorted(unknown)}")
    person = Person.objects.create(status=status, **fields)
    StatusPeriod.objects.create(person=person, status=status, started_on=timezone.localdate(), recorded_by=by)
    CaseEvent.objects.create(person=person, actor=by, kind=CaseEvent.Kind.PERSON_CREATED)
    logger.info("person=%s created by=%s", person.pk, by.pk)
    return person


@transaction.atomic
def update_person(person: Person, *, by, expected_version: int, **changes) -> Person:
    """Apply `changes` unless someone else saved the person since `expected_version` was read."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown person fields: {sorted(unknown)}")
    current = Person.objects.select_for_update().get(pk=person.pk)
    if current.version != expected_version:
        raise ConcurrentEditError("person changed since it was read")
    changed = [name for name, value in changes.items() if getattr(current, name) != value]
    for name in changed:
        setattr(current, name, changes[name])
    if changed:
        current.version += 1
        current.save(update_fields=[*changed, "version", "updated_at"])
        # Field names only: values may be personal or sensitive.
        CaseEvent.objects.create(
            person=current, actor=by, kind=CaseEvent.Kind.PERSON_UPDATED, data={"fields": sorted(changed)}
        )
        if "commune" in changed and current.commune_id:
            # An episode's territory is the commune at its opening; one opened while the commune
            # was unknown takes the first one known (a later move changes nothing).
            SupportEpisode.objects.filter(person=current, commune__isnull=True).update(
                commune_id=current.commune_id
            )
    return current


@transaction.atomic
def change_status(person: Person, *, by, status: str, since: datetime.date | None = None) -> Person:
    since = since or timezone.localdate()
    if status == person.status:
        return person
    StatusPeriod.objects.filter(person=person, ended_on__isnull=True).update(ended_on=since)
    StatusPeriod.objects.create(person=person, status=status, started_on=since, recorded_by=by)
    previous, person.status = person.status, status
    person.version += 1
    person.save(update_fields=["status", "version", "updated_at"])
    CaseEvent.objects.create(
        person=person,
        actor=by,
        kind=CaseEvent.Kind.STATUS_CHANGED,
        data={"from": previous, "to": status, "since": since.isoformat()},
    )
    return person


@transaction.atomic
def give_consent(person: Person, *, by, organisation, scope: str, note: str = "") -> Consent:
    existing = Consent.objects.active().filter(person=person, organisation=organisation, scope=scope).first()
    if existing:
        return existing
    consent = Consent.objects.create(
        person=person, organisation=organisation, scope=scope, recorded_by=by, note=note
    )
    CaseEvent.objects.create(
        person=person,
        actor=by,
        kind=CaseEvent.Kind.CONSENT_GIVEN,
        data={"organisation": organisation.pk, "scope": scope},
    )
    return consent


@transaction.atomic
def withdraw_consent(consent: Consent, *, by) -> Consent:
    if consent.withdrawn_at is None:
        consent.withdrawn_at = timezone.now()
        consent.save(update_fields=["withdrawn_at"])
        CaseEvent.objects.create(
            person=consent.person,
            actor=by,
            kind=CaseEvent.Kind.CONSENT_WITHDRAWN,
            data={"organisation": consent.organisation_id, "scope": consent.scope},
        )
    return consent
