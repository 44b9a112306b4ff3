"""The counselor's agenda pages and private iCalendar feed."""

import datetime
import re
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from parcours.agenda import actions
from parcours.agenda.models import AvailabilityRule, CalendarFeed
from tests.agenda.factories import weekly_hours
from tests.cases.factories import AppointmentFactory, EpisodeFactory
from tests.organisations.factories import SiteFactory

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
MONDAY = datetime.datetime(2026, 3, 9, 8, 0, tzinfo=PARIS)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def test_week_view_lists_appointments_free_slots_and_absences(
    clock, client, counselor, organisation, django_assert_num_queries
):
    weekly_hours(counselor, organisation)  # Wednesdays 9, 10, 11
    for hour in (9, 14):
        AppointmentFactory(
            episode=EpisodeFactory(organisation=organisation, referent=counselor),
            with_user=counselor,
            scheduled_at=datetime.datetime(2026, 3, 11, hour, tzinfo=PARIS),
        )
    actions.add_absence(
        by=counselor,
        starts_at=datetime.datetime(2026, 3, 13, 8, tzinfo=PARIS),
        ends_at=datetime.datetime(2026, 3, 13, 18, tzinfo=PARIS),
    )
    client.force_login(counselor)
    client.get(reverse("agenda:agenda"))  # warm the session
    with django_assert_num_queries(11):
        page = client.get(reverse("agenda:agenda") + "?jour=2026-03-11")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('class="agenda-day"') == 7
    assert "2 créneaux libres" in html  # 10:00 and 11:00 (9:00 is taken)
    assert len(re.findall(r'href="/personnes/[0-9a-f-]{36}/"', html)) == 2
    assert "Absent·e" in html
    day = client.get(reverse("agenda:agenda") + "?jour=2026-03-11&vue=jour").content.decode()
    assert day.count('class="agenda-day"') == 1


def test_counselor_publishes_and_removes_weekly_hours(clock, client, counselor, organisation):
    site = SiteFactory(organisation=organisation)
    client.force_login(counselor)
    data = {
        "form": "rule",
        "rule-organisation": organisation.pk,
        "rule-weekday": 1,
        "rule-start_time": "14:00",
        "rule-end_time": "16:00",
        "rule-slot_minutes": 30,
        "rule-channel": "in_person",
        "rule-site": site.pk,
        "rule-valid_from": "2026-03-09",
    }
    assert client.post(reverse("agenda:availability"), {**data, "rule-site": ""}).status_code == 400
    assert client.post(reverse("agenda:availability"), data).status_code == 302
    rule = AvailabilityRule.objects.get(counselor=counselor)
    assert (rule.weekday, rule.slot_minutes, rule.site) == (1, 30, site)
    assert (
        len(
            actions.free_slots(
                counselor, organisation_id=organisation.pk, start=datetime.date(2026, 3, 10), days=1
            )
        )
        == 4
    )
    assert client.post(reverse("agenda:delete_rule", args=[rule.pk])).status_code == 302
    assert not AvailabilityRule.objects.exists()


def test_counselor_records_an_absence(clock, client, counselor):
    client.force_login(counselor)
    data = {"form": "absence", "absence-starts_at": "2026-03-12T09:00", "absence-ends_at": "2026-03-12T08:00"}
    assert client.post(reverse("agenda:availability"), data).status_code == 400
    data["absence-ends_at"] = "2026-03-12T18:00"
    assert client.post(reverse("agenda:availability"), data).status_code == 302
    assert counselor.absences.get().starts_at == datetime.datetime(2026, 3, 12, 9, tzinfo=PARIS)


def test_private_feed_is_shown_once_replaced_and_revoked(clock, client, counselor, organisation):
    AppointmentFactory(
        episode=EpisodeFactory(organisation=organisation, referent=counselor),
        with_user=counselor,
        scheduled_at=datetime.datetime(2026, 3, 11, 9, tzinfo=PARIS),
        purpose="Santé",
    )
    client.force_login(counselor)
    response = client.post(reverse("agenda:make_feed"), follow=True)
    url = re.search(r"http://testserver(/agenda/flux/[^ <]+\.ics)", response.content.decode()).group(1)
    assert url.split("/")[-1][:-4] not in CalendarFeed.objects.get().token_hash  # only a hash is kept
    client.logout()
    feed = client.get(url)
    assert feed.status_code == 200 and feed["Content-Type"] == "text/calendar; charset=utf-8"
    events = Calendar.from_ical(feed.content).walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["Rendez-vous Parcours"]
    assert "Santé" not in feed.content.decode()  # no purpose (nor name) in a third-party calendar
    client.force_login(counselor)
    client.post(reverse("agenda:make_feed"))
    assert client.get(url).status_code == 404  # replaced
    client.post(reverse("agenda:revoke_feed"))
    assert not CalendarFeed.objects.exists()


def test_agenda_is_in_the_counselor_navigation_only(client, counselor, analyst):
    client.force_login(counselor)
    assert reverse("agenda:agenda") in client.get(reverse("cases:portfolio")).content.decode()
    client.force_login(analyst)
    assert client.get(reverse("agenda:agenda")).status_code == 403
