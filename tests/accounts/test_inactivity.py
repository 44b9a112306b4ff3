"""Issue 14, accounts: a staff session idle for more than SESSION_INACTIVITY_TIMEOUT is logged out."""

import datetime

import time_machine
from django.test import override_settings
from django.urls import reverse

from parcours.accounts.middleware import LAST_ACTIVITY_KEY

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
PORTFOLIO = "/accompagnements/"


@override_settings(SESSION_INACTIVITY_TIMEOUT=30 * 60)
def test_a_session_idle_for_more_than_30_minutes_is_logged_out(client, counselor):
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(counselor)
        assert client.session[LAST_ACTIVITY_KEY] == int(START.timestamp())
        assert client.get(reverse("cases:portfolio")).status_code == 200
        clock.shift(datetime.timedelta(minutes=29))
        assert client.get(reverse("cases:portfolio")).status_code == 200  # activity: the clock restarts
        clock.shift(datetime.timedelta(minutes=29))
        assert client.get(reverse("cases:portfolio")).status_code == 200
        clock.shift(datetime.timedelta(minutes=31))
        response = client.get(reverse("cases:portfolio"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
        assert "_auth_user_id" not in client.session
        login_page = client.get(response["Location"])
        assert "30 minutes d&#x27;inactivité" in login_page.content.decode()


def test_the_first_request_after_login_does_not_write_the_session(client, counselor):
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(counselor)
        key = client.session.session_key
        clock.shift(datetime.timedelta(seconds=30))
        client.get(reverse("cases:portfolio"))
        # Within a minute of the last stamp, the stamp is not rewritten.
        assert client.session[LAST_ACTIVITY_KEY] == int(START.timestamp())
        assert client.session.session_key == key
        clock.shift(datetime.timedelta(seconds=61))
        client.get(reverse("cases:portfolio"))
        assert client.session[LAST_ACTIVITY_KEY] == int(START.timestamp()) + 91


def test_the_portal_session_of_a_person_is_not_affected(client, person):
    from tests.portal.factories import PersonAccountFactory, log_in_person

    log_in_person(client, PersonAccountFactory(person=person))
    with time_machine.travel(datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(hours=2)):
        assert client.get(reverse("portal:home")).status_code == 200
