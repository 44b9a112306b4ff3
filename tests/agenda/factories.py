import datetime

from parcours.agenda import actions
from tests.organisations.factories import SiteFactory


def weekly_hours(
    counselor, organisation, *, weekday=2, start=(9, 0), end=(12, 0), minutes=60, site=True, **kw
):
    """Publish weekly hours through the action (default: Wednesdays 9:00-12:00 on site, 1 h slots)."""
    return actions.add_availability_rule(
        by=counselor,
        organisation=organisation,
        weekday=weekday,
        start_time=datetime.time(*start),
        end_time=datetime.time(*end),
        slot_minutes=minutes,
        channel="in_person" if site else "video",
        site=SiteFactory(organisation=organisation) if site else None,
        valid_from=kw.pop("valid_from", datetime.date(2026, 1, 1)),
        **kw,
    )
