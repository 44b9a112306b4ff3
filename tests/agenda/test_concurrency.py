"""No double booking when requests race: several people (or one person twice) post the same slot
at the same moment, in parallel threads with their own database connections. Runs on SQLite
(the CI default) and on PostgreSQL (DATABASE_URL=postgres://…).

SQLite's in-memory test database (shared cache) locks tables instead of waiting, unlike the file
database the application runs on (WAL, IMMEDIATE transactions, busy timeout): for the race, the
test database is copied to a file and the threads connect to that file, as in production."""

import contextlib
import datetime
import sqlite3
import threading
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse

from parcours.agenda.models import Booking
from parcours.cases.models import Appointment
from tests.agenda.factories import weekly_hours
from tests.cases.factories import EpisodeFactory
from tests.portal.factories import PersonAccountFactory, log_in_person

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
SLOT = datetime.datetime(2026, 3, 11, 10, 0, tzinfo=PARIS)
THREADS = 4


@contextlib.contextmanager
def _file_database(tmp_path):
    """On SQLite in memory: threads (new connections) use a file copy of the test database."""
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield
        return
    connection.ensure_connection()
    path = tmp_path / "race.sqlite3"
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    original = connection.settings_dict["NAME"]
    connection.settings_dict["NAME"] = str(path)  # shared by the wrappers the threads create
    try:
        yield
    finally:
        connection.settings_dict["NAME"] = original


def _in_thread(function):
    """Run a read in a new thread: it sees the same database as the racing threads."""
    result = []

    def run():
        try:
            result.append(function())
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return result[0]


def _race(posts) -> list[int]:
    """Run each (client, data) post in its own thread, all released at once; their statuses."""
    barrier = threading.Barrier(len(posts))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def run(client, data):
        try:
            barrier.wait()
            response = client.post(reverse("portal:book"), data)
            statuses.append(response.status_code)
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=post) for post in posts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return statuses


@pytest.mark.django_db(transaction=True)
def test_parallel_bookings_of_one_slot_give_one_appointment(counselor, organisation, tmp_path):
    with time_machine.travel(datetime.datetime(2026, 3, 9, 10, 0, tzinfo=PARIS), tick=True):
        weekly_hours(counselor, organisation)
        posts = []
        for _ in range(THREADS):
            episode = EpisodeFactory(organisation=organisation, referent=counselor)
            client = Client()
            log_in_person(client, PersonAccountFactory(person=episode.person))
            posts.append((client, {"episode": str(episode.public_id), "slot": "2026-03-11T09:00:00Z"}))
        with _file_database(tmp_path):
            statuses = _race(posts)
            planned = _in_thread(
                lambda: Appointment.objects.filter(
                    with_user=counselor, scheduled_at=SLOT, status="planned"
                ).count()
            )
            bookings = _in_thread(lambda: Booking.objects.filter(is_active=True).count())
        assert statuses == [302] * THREADS  # the winner to their appointments, the others back to the slots
        assert (planned, bookings) == (1, 1)


@pytest.mark.django_db(transaction=True)
def test_one_person_double_clicking_books_once(counselor, organisation, tmp_path):
    with time_machine.travel(datetime.datetime(2026, 3, 9, 10, 0, tzinfo=PARIS), tick=True):
        weekly_hours(counselor, organisation)
        episode = EpisodeFactory(organisation=organisation, referent=counselor)
        account = PersonAccountFactory(person=episode.person)
        posts = []
        for _ in range(2):
            client = Client()
            log_in_person(client, account)
            posts.append((client, {"episode": str(episode.public_id), "slot": "2026-03-11T09:00:00Z"}))
        with _file_database(tmp_path):
            statuses = _race(posts)
            planned = _in_thread(
                lambda: Appointment.objects.filter(episode=episode, status="planned").count()
            )
        assert statuses == [302, 302]
        assert planned == 1
