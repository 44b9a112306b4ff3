"""Slot generation and booking with a frozen clock (time-machine): weekly hours cut into slots,
absences, planned appointments, the organisation's notice and horizon, cancel and rebook."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from parcours.agenda import actions
from parcours.agenda.models import Booking, BookingSettings
from parcours.cases import actions as case_actions
from parcours.cases.models import Appointment, CaseEvent
from parcours.messaging.models import OutboundMessage
from tests.agenda.factories import weekly_hours
from tests.cases.factories import AppointmentFactory

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
MONDAY = datetime.datetime(2026, 3, 9, 10, 0, tzinfo=PARIS)  # Monday 9 March 2026, 10:00
WEDNESDAY = datetime.date(2026, 3, 11)


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=PARIS)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def starts(slots):
    return [s.starts_at for s in slots]


def test_weekly_hours_are_cut_into_slots_on_their_weekday(clock, counselor, organisation):
    weekly_hours(counselor, organisation, minutes=45)  # 9:00-12:00 in 45 min: 9:00, 9:45, 10:30, 11:15
    slots = actions.free_slots(
        counselor, organisation_id=organisation.pk, start=datetime.date(2026, 3, 9), days=7
    )
    assert starts(slots) == [
        at(WEDNESDAY, 9),
        at(WEDNESDAY, 9, 45),
        at(WEDNESDAY, 10, 30),
        at(WEDNESDAY, 11, 15),
    ]
    assert slots[0].ends_at == at(WEDNESDAY, 9, 45)
    assert slots[0].key == "2026-03-11T08:00:00Z"  # UTC (Paris is UTC+1 in March)


def test_absences_and_planned_appointments_take_slots_away(clock, counselor, organisation, episode):
    weekly_hours(counselor, organisation)  # 9, 10, 11 on Wednesdays
    actions.add_absence(by=counselor, starts_at=at(WEDNESDAY, 9, 30), ends_at=at(WEDNESDAY, 10, 15))
    AppointmentFactory(
        episode=episode, with_user=counselor, scheduled_at=at(WEDNESDAY, 11, 30), duration_minutes=30
    )
    slots = actions.free_slots(counselor, organisation_id=organisation.pk, start=WEDNESDAY, days=1)
    assert starts(slots) == []  # 9:00-10:00 and 10:00-11:00 meet the absence, 11:00-12:00 the appointment
    slots = actions.free_slots(counselor, organisation_id=organisation.pk, start=WEDNESDAY, days=8)
    assert starts(slots) == [at(WEDNESDAY + datetime.timedelta(days=7), h) for h in (9, 10, 11)]


def test_cancelled_appointments_free_their_slot(clock, counselor, organisation, episode):
    weekly_hours(counselor, organisation)
    appointment = AppointmentFactory(episode=episode, with_user=counselor, scheduled_at=at(WEDNESDAY, 10))
    assert at(WEDNESDAY, 10) not in starts(actions.bookable_slots(episode))
    case_actions.cancel_appointment(appointment, by=counselor, cancelled_by="staff")
    assert at(WEDNESDAY, 10) in starts(actions.bookable_slots(episode))


def test_validity_dates_bound_the_rule(clock, counselor, organisation):
    weekly_hours(
        counselor, organisation, valid_from=datetime.date(2026, 3, 12), valid_until=datetime.date(2026, 3, 20)
    )
    slots = actions.free_slots(
        counselor, organisation_id=organisation.pk, start=datetime.date(2026, 3, 9), days=21
    )
    assert sorted({s.starts_at.date() for s in slots}) == [datetime.date(2026, 3, 18)]


def test_notice_and_horizon_follow_the_organisation(clock, counselor, organisation, episode):
    weekly_hours(counselor, organisation, weekday=0)  # Mondays: today 9-12, it is 10:00
    # Default notice (24 h): nothing today; default horizon (28 days): 4 more Mondays.
    assert sorted({s.starts_at.date() for s in actions.bookable_slots(episode)}) == [
        datetime.date(2026, 3, 16),
        datetime.date(2026, 3, 23),
        datetime.date(2026, 3, 30),
        datetime.date(2026, 4, 6),
    ]
    BookingSettings.objects.create(organisation=organisation, booking_notice_hours=0, horizon_days=7)
    assert starts(actions.bookable_slots(episode))[:2] == [
        at(datetime.date(2026, 3, 9), 10),
        at(datetime.date(2026, 3, 9), 11),
    ]
    assert max(starts(actions.bookable_slots(episode))).date() == datetime.date(2026, 3, 16)
    BookingSettings.objects.filter(organisation=organisation).update(self_booking=False)
    assert actions.bookable_slots(episode) == []


def test_book_slot_plans_the_appointment_through_cases(clock, counselor, organisation, episode):
    rule = weekly_hours(counselor, organisation)
    appointment = actions.book_slot(episode, starts_at=at(WEDNESDAY, 10))
    assert (appointment.with_user, appointment.scheduled_at, appointment.duration_minutes) == (
        counselor,
        at(WEDNESDAY, 10),
        60,
    )
    assert (appointment.channel, appointment.site, appointment.created_by) == ("in_person", rule.site, None)
    event = CaseEvent.objects.get(kind=CaseEvent.Kind.APPOINTMENT_PLANNED)
    assert event.actor is None and event.data["by_person"] is True
    assert Booking.objects.get().rule == rule
    assert OutboundMessage.objects.get(user=counselor).kind == "appointment_changed"
    assert at(WEDNESDAY, 10) not in starts(actions.bookable_slots(episode))
    with pytest.raises(actions.SlotUnavailable):
        actions.book_slot(episode, starts_at=at(WEDNESDAY, 10))
    with pytest.raises(actions.SlotUnavailable):
        actions.book_slot(episode, starts_at=at(WEDNESDAY, 10, 30))  # not a slot start


def test_cancel_frees_the_slot_and_respects_the_notice(clock, counselor, organisation, episode):
    weekly_hours(counselor, organisation)
    appointment = actions.book_slot(episode, starts_at=at(WEDNESDAY, 9))
    BookingSettings.objects.create(organisation=organisation, cancel_notice_hours=72)
    with pytest.raises(ValidationError):
        actions.cancel_by_person(appointment)  # 47 hours before, the organisation asks 72
    BookingSettings.objects.filter(organisation=organisation).update(cancel_notice_hours=24)
    actions.cancel_by_person(appointment)
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancelled_by) == ("cancelled", "person")
    assert Booking.objects.get().is_active is False
    again = actions.book_slot(episode, starts_at=at(WEDNESDAY, 9))  # the slot is free again
    assert again.pk != appointment.pk


def test_staff_cancellation_lets_the_slot_be_booked_again(clock, counselor, organisation, episode):
    weekly_hours(counselor, organisation)
    first = actions.book_slot(episode, starts_at=at(WEDNESDAY, 9))
    case_actions.cancel_appointment(first, by=counselor, cancelled_by="staff")
    second = actions.book_slot(episode, starts_at=at(WEDNESDAY, 9))
    assert list(Booking.objects.filter(is_active=True).values_list("appointment", flat=True)) == [second.pk]


def test_rebook_moves_the_appointment(clock, counselor, organisation, episode):
    weekly_hours(counselor, organisation)
    old = actions.book_slot(episode, starts_at=at(WEDNESDAY, 9))
    new = actions.rebook(old, starts_at=at(WEDNESDAY, 11))
    old.refresh_from_db()
    assert old.status == "cancelled" and new.scheduled_at == at(WEDNESDAY, 11)
    with pytest.raises(actions.SlotUnavailable):
        actions.rebook(new, starts_at=at(WEDNESDAY, 11, 30))
    new.refresh_from_db()
    assert new.status == Appointment.Status.PLANNED  # a failed rebook leaves the appointment as it was


def test_only_case_staff_keep_an_agenda(clock, analyst, organisation, other_organisation, counselor):
    with pytest.raises(PermissionDenied):
        weekly_hours(analyst, organisation)
    with pytest.raises(PermissionDenied):
        weekly_hours(counselor, other_organisation)  # not one of her organisations


def test_in_person_hours_need_a_site_of_the_organisation(clock, counselor, organisation):
    with pytest.raises(ValidationError):
        actions.add_availability_rule(
            by=counselor,
            organisation=organisation,
            weekday=1,
            start_time=datetime.time(9),
            end_time=datetime.time(10),
            channel="in_person",
        )
