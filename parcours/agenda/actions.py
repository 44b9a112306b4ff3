"""Every change to a counselor's agenda and every booking. Views, the API, the portal, the reminder
jobs and the demo call these functions.

A booking creates its Appointment through `cases.actions.plan_appointment` (never another way);
the Booking row beside it holds the slot. Two people racing for one slot: the counselor's row is
locked (select_for_update, PostgreSQL) or the write transaction is taken at once (SQLite,
IMMEDIATE), the slot is checked free again inside the lock, and the unique constraint on active
bookings stops anything that got through."""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from parcours.agenda.models import (
    Absence,
    AppointmentLink,
    AvailabilityRule,
    Booking,
    BookingSettings,
    CalendarFeed,
)
from parcours.cases import access
from parcours.cases import actions as case_actions
from parcours.cases.models import Appointment, CaseEvent, SupportEpisode
from parcours.messaging import actions as messaging
from parcours.messaging.models import OutboundMessage
from parcours.organisations.models import Site

logger = logging.getLogger(__name__)

EVENT_CONFIRMED = "appointment_confirmed"
EVENT_SELF_BOOKED = "appointment_self_booked"
SELF_BOOKED_PURPOSE = "Réservé en ligne par la personne"


class SlotUnavailable(ValidationError):
    """The slot is not (or no longer) free: taken by someone else, out of hours, too soon."""


# --- Availability ---------------------------------------------------------------------------------


@transaction.atomic
def add_availability_rule(
    *,
    by,
    organisation,
    weekday: int,
    start_time: datetime.time,
    end_time: datetime.time,
    channel: str,
    slot_minutes: int = 45,
    site: Site | None = None,
    valid_from: datetime.date | None = None,
    valid_until: datetime.date | None = None,
) -> AvailabilityRule:
    """Weekly hours of `by` (their own agenda), in one of their organisations."""
    access.require_agenda(by, organisation.pk)
    rule = AvailabilityRule(
        counselor=by,
        organisation=organisation,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        slot_minutes=slot_minutes,
        channel=channel,
        site=site,
        valid_from=valid_from or timezone.localdate(),
        valid_until=valid_until,
    )
    rule.full_clean()
    rule.save()
    logger.info("availability_rule=%s added by=%s", rule.pk, by.pk)
    return rule


@transaction.atomic
def remove_availability_rule(rule: AvailabilityRule, *, by) -> None:
    """Stop offering these hours. Appointments already booked stay (the counselor moves them)."""
    if rule.counselor_id != by.pk:
        raise ValidationError("only the counselor removes their own hours")
    logger.info("availability_rule=%s removed by=%s", rule.pk, by.pk)
    rule.delete()


@transaction.atomic
def add_absence(*, by, starts_at: datetime.datetime, ends_at: datetime.datetime, reason: str = "") -> Absence:
    access.require_agenda(by)
    if ends_at <= starts_at:
        raise ValidationError("an absence ends after it starts")
    absence = Absence.objects.create(counselor=by, starts_at=starts_at, ends_at=ends_at, reason=reason[:100])
    logger.info("absence=%s added by=%s", absence.pk, by.pk)
    return absence


@transaction.atomic
def remove_absence(absence: Absence, *, by) -> None:
    if absence.counselor_id != by.pk:
        raise ValidationError("only the counselor removes their own absence")
    absence.delete()


# --- Free slots -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    channel: str
    site_id: int | None
    rule_id: int
    site_name: str = ""

    @property
    def key(self) -> str:
        """How forms and the API name a slot: its start, ISO 8601 in UTC."""
        return self.starts_at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def get_channel_display(self) -> str:
        return str(dict(AvailabilityRule._meta.get_field("channel").choices)[self.channel])


def parse_slot_key(raw: str) -> datetime.datetime | None:
    try:
        value = datetime.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return value if timezone.is_aware(value) else None


def free_slots(
    counselor,
    *,
    organisation_id: int,
    start: datetime.date,
    days: int,
    not_before: datetime.datetime | None = None,
) -> list[Slot]:
    """The counselor's free slots from `start` over `days` days, in that organisation: the weekly
    hours, minus absences, minus planned appointments (booked or planned by staff), minus what
    starts before `not_before`. Four queries, whatever the number of days."""
    end = start + datetime.timedelta(days=days)
    window_start = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    window_end = timezone.make_aware(datetime.datetime.combine(end, datetime.time.min))
    rules = list(
        AvailabilityRule.objects.filter(
            counselor=counselor, organisation_id=organisation_id, valid_from__lt=end
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=start))
        .select_related("site")
    )
    if not rules:
        return []
    busy = [
        (a.starts_at, a.ends_at)
        for a in Absence.objects.filter(
            counselor=counselor, starts_at__lt=window_end, ends_at__gt=window_start
        )
    ]
    longest = max(r.slot_minutes for r in rules)
    for scheduled_at, minutes in Appointment.objects.filter(
        with_user=counselor,
        status=Appointment.Status.PLANNED,
        scheduled_at__lt=window_end,
        scheduled_at__gt=window_start - datetime.timedelta(minutes=max(longest, 240)),
    ).values_list("scheduled_at", "duration_minutes"):
        busy.append((scheduled_at, scheduled_at + datetime.timedelta(minutes=minutes)))
    slots: dict[datetime.datetime, Slot] = {}
    for offset in range(days):
        day = start + datetime.timedelta(days=offset)
        for rule in rules:
            if (
                rule.weekday != day.weekday()
                or rule.valid_from > day
                or (rule.valid_until and rule.valid_until < day)
            ):
                continue
            for slot_start, slot_end in rule.slots_on(day):
                if not_before is not None and slot_start < not_before:
                    continue
                if any(b_start < slot_end and slot_start < b_end for b_start, b_end in busy):
                    continue
                slots.setdefault(
                    slot_start,
                    Slot(
                        starts_at=slot_start,
                        ends_at=slot_end,
                        channel=rule.channel,
                        site_id=rule.site_id,
                        rule_id=rule.pk,
                        site_name=rule.site.name if rule.site_id else "",
                    ),
                )
    return [slots[k] for k in sorted(slots)]


def booking_window(organisation_id: int, now: datetime.datetime | None = None):
    """(first bookable instant, first day, number of days) under the organisation's rules."""
    now = now or timezone.now()
    rules = BookingSettings.for_organisation(organisation_id)
    not_before = now + datetime.timedelta(hours=rules.booking_notice_hours)
    first_day = timezone.localtime(now).date()
    return not_before, first_day, rules.horizon_days + 1


def bookable_episodes(person):
    """The person's open episodes whose organisation lets people book online."""
    episodes = list(
        SupportEpisode.objects.filter(person=person)
        .open()
        .select_related("organisation", "referent")
        .order_by("started_on", "pk")
    )
    off = set(
        BookingSettings.objects.filter(
            organisation_id__in=[e.organisation_id for e in episodes], self_booking=False
        ).values_list("organisation_id", flat=True)
    )
    return [e for e in episodes if e.organisation_id not in off]


def bookable_slots(episode: SupportEpisode, *, now: datetime.datetime | None = None) -> list[Slot]:
    """The slots the person may book for this episode: their referent's free slots."""
    if not BookingSettings.for_organisation(episode.organisation_id).self_booking or not episode.is_open:
        return []
    not_before, first_day, days = booking_window(episode.organisation_id, now)
    return free_slots(
        episode.referent,
        organisation_id=episode.organisation_id,
        start=first_day,
        days=days,
        not_before=not_before,
    )


# --- Booking --------------------------------------------------------------------------------------


def _lock_counselor(counselor_id: int) -> None:
    # Serialises bookings with the same counselor on PostgreSQL; on SQLite the IMMEDIATE
    # transaction already holds the database's write lock.
    get_user_model().objects.select_for_update().filter(pk=counselor_id).first()


def _tell_counselor(appointment: Appointment, subject: str, what: str) -> None:
    local = timezone.localtime(appointment.scheduled_at)
    messaging.queue_message(
        user=appointment.with_user,
        kind=OutboundMessage.Kind.APPOINTMENT_CHANGED,
        subject=f"[Parcours] {subject}",
        body=(
            f"{what} : rendez-vous du {local:%d/%m/%Y à %H:%M}.\n\n"
            + settings.SITE_URL.rstrip("/")
            + reverse("agenda:agenda")
            + f"?jour={local.date().isoformat()}&vue=jour"
        ),
        organisation=appointment.episode.organisation,
    )


@transaction.atomic
def book_slot(
    episode: SupportEpisode, *, starts_at: datetime.datetime, now: datetime.datetime | None = None
) -> Appointment:
    """The person books one of their referent's free slots: an appointment planned through
    cases.actions.plan_appointment (by=None: the person), the slot held by a Booking."""
    counselor = episode.referent
    _lock_counselor(counselor.pk)
    episode = SupportEpisode.objects.select_related("referent", "organisation", "person").get(pk=episode.pk)
    if episode.referent_id != counselor.pk:
        raise SlotUnavailable("the referent changed; reload the page")
    slot = next((s for s in bookable_slots(episode, now=now) if s.starts_at == starts_at), None)
    if slot is None:
        raise SlotUnavailable("this slot is not free any more")
    appointment = case_actions.plan_appointment(
        episode,
        by=None,
        scheduled_at=slot.starts_at,
        channel=slot.channel,
        with_user=counselor,
        duration_minutes=int((slot.ends_at - slot.starts_at).total_seconds() // 60),
        purpose=SELF_BOOKED_PURPOSE,
        site=Site.objects.filter(pk=slot.site_id).first() if slot.site_id else None,
    )
    # Bookings whose appointment staff have since cancelled or closed no longer hold the slot.
    Booking.objects.filter(counselor=counselor, starts_at=slot.starts_at, is_active=True).exclude(
        appointment__status=Appointment.Status.PLANNED
    ).update(is_active=False)
    try:
        with transaction.atomic():
            Booking.objects.create(
                appointment=appointment, counselor=counselor, starts_at=slot.starts_at, rule_id=slot.rule_id
            )
    except IntegrityError as exc:
        raise SlotUnavailable("this slot was just taken") from exc
    _tell_counselor(appointment, "Rendez-vous réservé en ligne", "Une personne a réservé un créneau")
    logger.info("appointment=%s self_booked counselor=%s", appointment.pk, counselor.pk)
    return appointment


def release_booking(appointment: Appointment) -> None:
    """A cancelled appointment frees its slot. (When staff cancel or mark it through cases, the
    booking is released by the next booking of that slot, see book_slot.)"""
    Booking.objects.filter(appointment=appointment, is_active=True).update(is_active=False)


def cancel_notice_hours(organisation_id: int) -> int:
    return BookingSettings.for_organisation(organisation_id).cancel_notice_hours


def can_cancel(appointment: Appointment, now: datetime.datetime | None = None) -> bool:
    """Online cancellation, within the organisation's notice (BookingSettings)."""
    now = now or timezone.now()
    notice = datetime.timedelta(hours=cancel_notice_hours(appointment.episode.organisation_id))
    return appointment.status == Appointment.Status.PLANNED and appointment.scheduled_at - now >= notice


@transaction.atomic
def cancel_by_person(appointment: Appointment, *, now: datetime.datetime | None = None) -> Appointment:
    """The person cancels (portal, API or reminder link) within the organisation's notice; the
    slot is free again and the counselor told."""
    if not can_cancel(appointment, now):
        raise ValidationError("too late to cancel online: call your counselor")
    appointment = case_actions.cancel_appointment(
        appointment, by=None, cancelled_by=Appointment.CancelledBy.PERSON
    )
    release_booking(appointment)
    _tell_counselor(appointment, "Rendez-vous annulé par la personne", "La personne a annulé")
    return appointment


@transaction.atomic
def rebook(
    appointment: Appointment, *, starts_at: datetime.datetime, now: datetime.datetime | None = None
) -> Appointment:
    """Move an appointment to another free slot: the new one is booked, then the old one
    cancelled (both or neither)."""
    if not can_cancel(appointment, now):
        raise ValidationError("too late to move this appointment online: call your counselor")
    new = book_slot(appointment.episode, starts_at=starts_at, now=now)
    cancel_by_person(appointment, now=now)
    return new


@transaction.atomic
def confirm_by_person(appointment: Appointment) -> Appointment:
    if appointment.status != Appointment.Status.PLANNED:
        raise ValidationError("this appointment is no longer planned")
    CaseEvent.objects.create(
        person_id=appointment.episode.person_id,
        episode=appointment.episode,
        actor=None,
        kind=CaseEvent.Kind.OTHER,
        data={"what": EVENT_CONFIRMED, "appointment": appointment.pk, "by_person": True},
    )
    return appointment


def confirmed_ids(appointment_ids) -> set[int]:
    """Which of these appointments the person confirmed (one query)."""
    return {
        data["appointment"]
        for data in CaseEvent.objects.filter(
            kind=CaseEvent.Kind.OTHER, data__what=EVENT_CONFIRMED, data__appointment__in=list(appointment_ids)
        ).values_list("data", flat=True)
    }


# --- One-time links in reminders ------------------------------------------------------------------


def issue_appointment_link(appointment: Appointment) -> str:
    """A new one-time link token for this appointment, valid until it starts."""
    token = AppointmentLink.new_token()
    AppointmentLink.objects.create(
        appointment=appointment,
        token_hash=AppointmentLink.hash_token(token),
        expires_at=appointment.scheduled_at,
    )
    return token


def link_for(token: str) -> AppointmentLink | None:
    """The link if the token is known (used or not; the caller checks is_usable)."""
    return (
        AppointmentLink.objects.select_related(
            "appointment__episode__organisation", "appointment__episode__referent", "appointment__site"
        )
        .filter(token_hash=AppointmentLink.hash_token(token))
        .first()
    )


@transaction.atomic
def use_link(link: AppointmentLink, *, action: str, starts_at: datetime.datetime | None = None):
    """Confirm, cancel or rebook through a one-time link: the link is spent by the first action
    that succeeds (locked, so two clicks cannot both act)."""
    link = AppointmentLink.objects.select_for_update().get(pk=link.pk)
    if not link.is_usable():
        raise ValidationError("this link has expired or was already used")
    appointment = link.appointment
    if action == "confirm":
        result = confirm_by_person(appointment)
    elif action == "cancel":
        result = cancel_by_person(appointment)
    elif action == "rebook" and starts_at is not None:
        result = rebook(appointment, starts_at=starts_at)
    else:
        raise ValidationError("unknown action")
    link.used_at, link.used_for = timezone.now(), action
    link.save(update_fields=["used_at", "used_for"])
    return result


# --- The counselor's private calendar feed --------------------------------------------------------


@transaction.atomic
def make_calendar_feed(*, by) -> str:
    """A new private feed address for `by` (the old one stops working). Returns the token, shown once."""
    access.require_agenda(by)
    token = AppointmentLink.new_token()
    CalendarFeed.objects.update_or_create(
        counselor=by, defaults={"token_hash": CalendarFeed.hash_token(token), "created_at": timezone.now()}
    )
    logger.info("calendar_feed made by=%s", by.pk)
    return token


@transaction.atomic
def revoke_calendar_feed(*, by) -> None:
    CalendarFeed.objects.filter(counselor=by).delete()
    logger.info("calendar_feed revoked by=%s", by.pk)


def feed_owner(token: str):
    feed = (
        CalendarFeed.objects.select_related("counselor")
        .filter(token_hash=CalendarFeed.hash_token(token))
        .first()
    )
    if feed is None or not feed.counselor.is_active:
        return None
    now = timezone.now()
    if feed.last_used_at is None or (now - feed.last_used_at).total_seconds() > 3600:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    return feed.counselor
