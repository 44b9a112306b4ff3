"""The counselor's agenda in JSON: their weekly hours, absences, free slots and the appointments
people booked with them. Each counselor or manager works on their own agenda
(cases.access.require_agenda: 403 for other roles); another counselor's rule or absence is 404."""

import datetime
from typing import Annotated

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema
from ninja.responses import Status as HttpStatus
from pydantic import WithJsonSchema

from parcours.agenda import actions
from parcours.agenda.models import Absence, AvailabilityRule
from parcours.cases import access
from parcours.cases.models import Appointment
from parcours.organisations.models import Organisation, Site

router = Router(tags=["agenda"])

# A wall-clock time of the organisation's day ("09:00:00", Europe/Paris), not an instant: JSON
# Schema's "time" format demands an offset (RFC 3339), so the schema states the pattern instead.
LocalTime = Annotated[
    datetime.time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
            "examples": ["09:00:00"],
        }
    ),
]


class RuleIn(Schema):
    organisation: str  # public_id
    weekday: int
    start_time: LocalTime
    end_time: LocalTime
    slot_minutes: int = 45
    channel: str = "in_person"
    site: int | None = None
    valid_from: datetime.date | None = None
    valid_until: datetime.date | None = None


class RuleOut(Schema):
    id: int
    organisation: str
    weekday: int
    start_time: LocalTime
    end_time: LocalTime
    slot_minutes: int
    channel: str
    site: int | None
    valid_from: datetime.date
    valid_until: datetime.date | None


class AbsenceIn(Schema):
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    reason: str = ""


class AbsenceOut(Schema):
    id: int
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    reason: str


class FreeSlotOut(Schema):
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    channel: str
    site: int | None


class BookingOut(Schema):
    appointment: int
    person: str  # public_id
    scheduled_at: datetime.datetime
    duration_minutes: int
    channel: str
    status: str
    booked_at: datetime.datetime


def _rule_out(rule: AvailabilityRule) -> dict:
    return {
        "id": rule.pk,
        "organisation": str(rule.organisation.public_id),
        "weekday": rule.weekday,
        "start_time": rule.start_time,
        "end_time": rule.end_time,
        "slot_minutes": rule.slot_minutes,
        "channel": rule.channel,
        "site": rule.site_id,
        "valid_from": rule.valid_from,
        "valid_until": rule.valid_until,
    }


@router.get("/agenda/availability", response=list[RuleOut], url_name="agenda_rules")
def list_rules(request):
    access.require_agenda(request.auth)
    rules = AvailabilityRule.objects.filter(counselor=request.auth).select_related("organisation")
    return [_rule_out(r) for r in rules]


@router.post("/agenda/availability", response={201: RuleOut}, url_name="agenda_add_rule")
def add_rule(request, payload: RuleIn):
    """Publish weekly hours in one of my organisations (400 when invalid: in person without a site…)."""
    access.require_agenda(request.auth)
    organisation = get_object_or_404(
        Organisation, public_id=payload.organisation, pk__in=request.auth.case_organisation_ids()
    )
    site = get_object_or_404(Site, pk=payload.site, organisation=organisation) if payload.site else None
    rule = actions.add_availability_rule(
        by=request.auth,
        organisation=organisation,
        site=site,
        **payload.dict(exclude={"organisation", "site"}),
    )
    return HttpStatus(201, _rule_out(rule))


@router.delete("/agenda/availability/{rule_id}", response={204: None}, url_name="agenda_remove_rule")
def remove_rule(request, rule_id: int):
    access.require_agenda(request.auth)
    rule = get_object_or_404(AvailabilityRule, pk=rule_id, counselor=request.auth)
    actions.remove_availability_rule(rule, by=request.auth)
    return HttpStatus(204, None)


@router.get("/agenda/absences", response=list[AbsenceOut], url_name="agenda_absences")
def list_absences(request):
    access.require_agenda(request.auth)
    return list(Absence.objects.filter(counselor=request.auth, ends_at__gte=timezone.now()))


@router.post("/agenda/absences", response={201: AbsenceOut}, url_name="agenda_add_absence")
def add_absence(request, payload: AbsenceIn):
    absence = actions.add_absence(by=request.auth, **payload.dict())
    return HttpStatus(201, absence)


@router.delete("/agenda/absences/{absence_id}", response={204: None}, url_name="agenda_remove_absence")
def remove_absence(request, absence_id: int):
    access.require_agenda(request.auth)
    absence = get_object_or_404(Absence, pk=absence_id, counselor=request.auth)
    actions.remove_absence(absence, by=request.auth)
    return HttpStatus(204, None)


@router.get("/agenda/slots", response=list[FreeSlotOut], url_name="agenda_slots")
def list_free_slots(request, start: datetime.date | None = None, days: int = 7):
    """My free slots from `start` (today) over `days` days (at most 62)."""
    access.require_agenda(request.auth)
    if not 1 <= days <= 62:
        raise ValidationError("days must be between 1 and 62")
    start = start or timezone.localdate()
    return [
        {"starts_at": s.starts_at, "ends_at": s.ends_at, "channel": s.channel, "site": s.site_id}
        for organisation_id in request.auth.case_organisation_ids()
        for s in actions.free_slots(
            request.auth, organisation_id=organisation_id, start=start, days=days, not_before=timezone.now()
        )
    ]


@router.get("/agenda/bookings", response=list[BookingOut], url_name="agenda_bookings")
def list_bookings(request, upcoming: bool = True):
    """The appointments people booked with me online (planned and to come, unless upcoming=false)."""
    access.require_agenda(request.auth)
    booked = (
        access.appointments(request.auth)
        .filter(with_user=request.auth, booking__isnull=False)
        .select_related("episode__person", "booking")
    )
    if upcoming:
        booked = booked.filter(status=Appointment.Status.PLANNED, scheduled_at__gte=timezone.now())
    return [
        {
            "appointment": a.pk,
            "person": str(a.episode.person.public_id),
            "scheduled_at": a.scheduled_at,
            "duration_minutes": a.duration_minutes,
            "channel": a.channel,
            "status": a.status,
            "booked_at": a.booking.created_at,
        }
        for a in booked.order_by("scheduled_at")[:500]
    ]
