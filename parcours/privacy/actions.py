"""Every state change of retention and of the person's rights: archive, anonymise, delete expired
access logs, the daily purge that applies the policy, and the erasure/rectification requests.

The retention policy (``PARCOURS_RETENTION`` in the settings, overridden per organisation by a
:class:`~parcours.privacy.models.RetentionPolicy` row; the longest delay of the person's
organisations applies):

- a person whose episodes are all closed is **archived** ``archive_after_days`` after the last
  activity on their file (the latest case event, or the latest episode end);
- an archived person is **anonymised** ``anonymise_after_days`` after the archiving
  (parcours/privacy/anonymisation.py says what goes and what stays);
- access logs are **deleted** ``access_log_days`` after the read.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.cases import partitions
from parcours.cases.append_only import rewriting_audit
from parcours.cases.models import AccessLog, CaseEvent, SupportEpisode
from parcours.people.models import Person
from parcours.privacy.anonymisation import scrub_person
from parcours.privacy.models import RetentionPolicy, RightsRequest

logger = logging.getLogger(__name__)

EVENT_ARCHIVED = "person_archived"
EVENT_ANONYMISED = "person_anonymised"
EVENT_REQUEST_RECORDED = "rights_request_recorded"
EVENT_REQUEST_FULFILLED = "rights_request_fulfilled"
EVENT_REQUEST_REFUSED = "rights_request_refused"


class PersonHasOpenEpisode(ValidationError):
    """Erasure or anonymisation of a person still supported: their episodes must be closed first."""


# --- The policy -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Delays:
    archive_after_days: int
    anonymise_after_days: int


def default_delays() -> Delays:
    policy = settings.PARCOURS_RETENTION
    return Delays(policy["archive_after_days"], policy["anonymise_after_days"])


def delays_by_organisation() -> dict[int, Delays]:
    return {
        p.organisation_id: Delays(p.archive_after_days, p.anonymise_after_days)
        for p in RetentionPolicy.objects.all()
    }


def delays_for(organisation_ids: set[int], overrides: dict[int, Delays]) -> Delays:
    """The longest delays among the person's organisations (defaults for those without a policy)."""
    default = default_delays()
    chosen = [overrides.get(pk, default) for pk in organisation_ids] or [default]
    return Delays(max(d.archive_after_days for d in chosen), max(d.anonymise_after_days for d in chosen))


def _open_episode():
    return Exists(SupportEpisode.objects.filter(person=OuterRef("pk"), ended_on__isnull=True))


def with_last_activity(queryset: QuerySet[Person]) -> QuerySet[Person]:
    """Annotate ``last_event_at`` (the latest case event of the file) and ``last_ended_on`` (the
    latest episode end); :func:`last_activity` is the later of the two."""
    last_event = CaseEvent.objects.filter(person=OuterRef("pk")).order_by("-at").values("at")[:1]
    last_end = (
        SupportEpisode.objects.filter(person=OuterRef("pk")).order_by("-ended_on").values("ended_on")[:1]
    )
    return queryset.annotate(last_event_at=Subquery(last_event), last_ended_on=Subquery(last_end))


def last_activity(person: Person) -> datetime.datetime:
    moments = [datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)]
    if person.last_event_at is not None:
        moments.append(person.last_event_at)
    if person.last_ended_on is not None:
        end = datetime.datetime.combine(person.last_ended_on, datetime.time.max)
        moments.append(timezone.make_aware(end))
    return max(moments)


def _quiet_since(cutoff: datetime.datetime) -> Q:
    """No case event since `cutoff` and no episode ended on or after its day (database side)."""
    recent_event = CaseEvent.objects.filter(person=OuterRef("pk"), at__gte=cutoff)
    recent_end = SupportEpisode.objects.filter(
        person=OuterRef("pk"), ended_on__gte=timezone.localdate(cutoff)
    )
    return ~Exists(recent_event) & ~Exists(recent_end)


def _organisations(person_ids: list[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {}
    for person_id, organisation_id in SupportEpisode.objects.filter(person_id__in=person_ids).values_list(
        "person_id", "organisation_id"
    ):
        found.setdefault(person_id, set()).add(organisation_id)
    return found


def due_for_archiving(now: datetime.datetime) -> list[Person]:
    """People whose episodes are all closed and whose file saw no activity for the delay."""
    overrides = delays_by_organisation()
    shortest = min([default_delays().archive_after_days, *(d.archive_after_days for d in overrides.values())])
    candidates = list(
        with_last_activity(
            Person.objects.filter(archived_at__isnull=True, anonymised_at__isnull=True)
            .filter(Exists(SupportEpisode.objects.filter(person=OuterRef("pk"))))
            .exclude(_open_episode())
            .filter(_quiet_since(now - datetime.timedelta(days=shortest)))
        ).order_by("pk")
    )
    organisations = _organisations([p.pk for p in candidates])
    return [
        p
        for p in candidates
        if last_activity(p)
        < now
        - datetime.timedelta(days=delays_for(organisations.get(p.pk, set()), overrides).archive_after_days)
    ]


def due_for_anonymising(now: datetime.datetime) -> list[Person]:
    """Archived people (still without an open episode) whose archive is older than the delay."""
    overrides = delays_by_organisation()
    shortest = min(
        [default_delays().anonymise_after_days, *(d.anonymise_after_days for d in overrides.values())]
    )
    candidates = list(
        Person.objects.filter(
            anonymised_at__isnull=True, archived_at__lt=now - datetime.timedelta(days=shortest)
        )
        .exclude(_open_episode())
        .order_by("pk")
    )
    organisations = _organisations([p.pk for p in candidates])
    return [
        p
        for p in candidates
        if p.archived_at
        < now
        - datetime.timedelta(days=delays_for(organisations.get(p.pk, set()), overrides).anonymise_after_days)
    ]


def _access_log_cutoff(now: datetime.datetime) -> datetime.datetime:
    return now - datetime.timedelta(days=settings.PARCOURS_RETENTION["access_log_days"])


def expired_access_logs(now: datetime.datetime) -> QuerySet[AccessLog]:
    return AccessLog.objects.filter(at__lt=_access_log_cutoff(now))


# --- State changes --------------------------------------------------------------------------------


@transaction.atomic
def archive_person(person: Person, *, by=None, now: datetime.datetime | None = None) -> Person:
    """Take a closed file out of the active base: no longer found by duplicate search or reopening
    (``access.reachable_people``); the person's rights requests can still be recorded."""
    now = now or timezone.now()
    person = Person.objects.select_for_update().get(pk=person.pk)
    if SupportEpisode.objects.filter(person=person, ended_on__isnull=True).exists():
        raise PersonHasOpenEpisode(_("Cette personne a un accompagnement en cours."))
    if person.archived_at is None:
        Person.objects.filter(pk=person.pk).update(archived_at=now)
        person.archived_at = now
        CaseEvent.objects.create(
            person=person, actor=by, kind=CaseEvent.Kind.OTHER, data={"what": EVENT_ARCHIVED}, at=now
        )
    return person


@transaction.atomic
def anonymise_person(person: Person, *, by=None, now: datetime.datetime | None = None) -> dict[str, int]:
    """Remove the person's identity and free text, keep what indicators and experiments need
    (parcours/privacy/anonymisation.py). Refused while an episode is open. Idempotent."""
    now = now or timezone.now()
    person = Person.objects.select_for_update().get(pk=person.pk)
    if SupportEpisode.objects.filter(person=person, ended_on__isnull=True).exists():
        raise PersonHasOpenEpisode(
            _("Cette personne a un accompagnement en cours : il faut d'abord le clore.")
        )
    if person.anonymised_at is not None:
        return {}
    if person.archived_at is None:
        person.archived_at = now
    counts = scrub_person(person, now=now)
    CaseEvent.objects.create(
        person=person, actor=by, kind=CaseEvent.Kind.OTHER, data={"what": EVENT_ANONYMISED}, at=now
    )
    logger.info("person=%s anonymised", person.pk)
    return counts


def _delete_audit_rows(now: datetime.datetime) -> int:
    """The only place that deletes access-log rows (their retention delay is over), through the
    audit tables' one escape hatch (parcours/cases/append_only.py). On PostgreSQL whole months
    past the delay are dropped first (parcours/cases/partitions.py); what remains is deleted row by
    row."""
    with transaction.atomic(), rewriting_audit("retention:access_logs"):
        dropped = partitions.drop_partitions_before(AccessLog._meta.db_table, _access_log_cutoff(now))
        return dropped + expired_access_logs(now).delete()[0]


def delete_expired_access_logs(*, now: datetime.datetime | None = None) -> int:
    return _delete_audit_rows(now or timezone.now())


def purge(*, dry_run: bool = False, now: datetime.datetime | None = None) -> dict:
    """Apply the retention policy once (the daily job ``parcours privacy purge``). With ``dry_run``
    nothing changes and the counts say what would be done. Each person is handled in its own
    transaction: one failure never leaves a half-anonymised file, and the others go on."""
    now = now or timezone.now()
    to_archive = due_for_archiving(now)
    to_anonymise = due_for_anonymising(now)
    logs = expired_access_logs(now)
    result = {
        "dry_run": dry_run,
        "archived": len(to_archive),
        "anonymised": len(to_anonymise),
        "access_logs_deleted": logs.count(),
    }
    if dry_run:
        return result
    for person in to_archive:
        archive_person(person, now=now)
    for person in to_anonymise:
        anonymise_person(person, now=now)
    result["access_logs_deleted"] = _delete_audit_rows(now)
    logger.info(
        "retention archived=%s anonymised=%s access_logs_deleted=%s",
        result["archived"],
        result["anonymised"],
        result["access_logs_deleted"],
    )
    return result


# --- The person's requests ------------------------------------------------------------------------


@transaction.atomic
def record_rights_request(
    person: Person, *, by, organisation, kind: str, received_on: datetime.date, details: str = ""
) -> RightsRequest:
    if received_on > timezone.localdate():
        raise ValidationError(_("La date de réception ne peut pas être dans le futur."))
    request = RightsRequest.objects.create(
        person=person,
        organisation=organisation,
        kind=kind,
        received_on=received_on,
        details=details,
        recorded_by=by,
    )
    CaseEvent.objects.create(
        person=person,
        actor=by,
        kind=CaseEvent.Kind.OTHER,
        data={"what": EVENT_REQUEST_RECORDED, "request": str(request.public_id), "kind": kind},
    )
    return request


def _decide(request: RightsRequest, *, by, status: str, note: str, what: str) -> RightsRequest:
    locked = RightsRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != RightsRequest.Status.OPEN:
        raise ValidationError(_("Cette demande a déjà reçu une réponse."))
    locked.status = status
    locked.decided_by = by
    locked.decided_at = timezone.now()
    locked.decision_note = note
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    CaseEvent.objects.create(
        person_id=locked.person_id,
        actor=by,
        kind=CaseEvent.Kind.OTHER,
        data={"what": what, "request": str(locked.public_id), "kind": locked.kind},
    )
    return locked


@transaction.atomic
def fulfil_rights_request(request: RightsRequest, *, by, note: str = "") -> RightsRequest:
    """Erasure: the person is anonymised now (refused while one of their episodes is open: close it
    first, or refuse the request with its reason). Rectification: the corrections are made on the
    person's page; this records that the request was answered."""
    if request.kind == RightsRequest.Kind.ERASURE:
        anonymise_person(request.person, by=by)
    return _decide(
        request, by=by, status=RightsRequest.Status.FULFILLED, note=note, what=EVENT_REQUEST_FULFILLED
    )


@transaction.atomic
def refuse_rights_request(request: RightsRequest, *, by, reason: str) -> RightsRequest:
    """A refusal states its reason (GDPR art. 12(4): the person is told why, and that they may
    complain to the CNIL)."""
    if not reason.strip():
        raise ValidationError(_("Un refus doit être motivé."))
    return _decide(
        request, by=by, status=RightsRequest.Status.REFUSED, note=reason.strip(), what=EVENT_REQUEST_REFUSED
    )
