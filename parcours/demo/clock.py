"""Dates along each history: the demo calls the action functions as a counselor would have, at the
moment they would have, so that every row and CaseEvent they write carries that moment (not the
load time). ``at`` freezes the clock of the standard library (time-machine) for one call."""

import datetime
import random

import time_machine
from django.utils import timezone

WORKING_HOURS = (9, 17)


def at(moment: datetime.datetime) -> time_machine.travel:
    """``with at(moment): action(...)``: the actions see ``moment`` as now."""
    return time_machine.travel(moment, tick=False)


def during_working_hours(day: datetime.date, rng: random.Random) -> datetime.datetime:
    """An aware datetime on ``day`` between 9:00 and 17:00 local time, never in the future."""
    moment = timezone.make_aware(
        datetime.datetime.combine(day, datetime.time(rng.randrange(*WORKING_HOURS), rng.randrange(0, 60, 5)))
    )
    return min(moment, timezone.now() - datetime.timedelta(minutes=5))


def later(moment: datetime.datetime, rng: random.Random, days: tuple[int, int]) -> datetime.datetime | None:
    """A working-hours moment ``days`` (inclusive range) after ``moment``; None if it is still to come."""
    day = timezone.localdate(moment) + datetime.timedelta(days=rng.randint(*days))
    if day > timezone.localdate():
        return None
    result = max(during_working_hours(day, rng), moment + datetime.timedelta(minutes=10))
    return result if result < timezone.now() else None
