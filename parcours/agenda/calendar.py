"""Appointments as iCalendar (RFC 5545), through the icalendar library: the person's files and
feed (/moi/rendez-vous.ics) and the counselor's private feed share this builder."""

import datetime

from django.conf import settings
from django.urls import reverse
from icalendar import Calendar, Event

from parcours.cases.models import Appointment


def _host() -> str:
    return settings.SITE_URL.split("//", 1)[-1].split("/", 1)[0] or "parcours"


def appointment_event(appointment: Appointment, *, for_counselor: bool = False) -> Event:
    event = Event()
    # A stable UID: a re-download updates the same entry in the calendar.
    event.add("uid", f"appointment-{appointment.pk}@{_host()}")
    event.add("dtstamp", appointment.updated_at)
    event.add("dtstart", appointment.scheduled_at)
    event.add("dtend", appointment.scheduled_at + datetime.timedelta(minutes=appointment.duration_minutes))
    details = [str(appointment.get_channel_display())]
    if for_counselor:
        # The counselor's feed ends up in third-party calendars: no name, no purpose, only the
        # address of the file (which asks for a login).
        event.add("summary", "Rendez-vous Parcours")
        details.append(
            settings.SITE_URL.rstrip("/")
            + reverse("people:detail", kwargs={"public_id": appointment.episode.person.public_id})
        )
    else:
        event.add("summary", f"Rendez-vous {appointment.episode.organisation.name}")
        if appointment.purpose:
            details.append(appointment.purpose)
    event.add("description", " — ".join(details))
    if appointment.site_id:
        event.add("location", ", ".join(filter(None, [appointment.site.name, appointment.site.address])))
    if appointment.status == Appointment.Status.CANCELLED:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
    return event


def calendar_for(
    appointments, *, name: str = "Mes rendez-vous Parcours", for_counselor: bool = False
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Parcours//Rendez-vous//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for appointment in appointments:
        calendar.add_component(appointment_event(appointment, for_counselor=for_counselor))
    return calendar.to_ical()
