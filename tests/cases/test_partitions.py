"""CaseEvent and AccessLog partitioned by month on PostgreSQL (issue 16, part 5): the migration,
the daily job that creates the coming months and empties the default partition, and retention
that drops whole months. SQLite keeps plain tables: the job says so and does nothing."""

import datetime
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from parcours.cases import actions, partitions
from parcours.cases.models import AccessLog, CaseEvent
from parcours.privacy.actions import delete_expired_access_logs

UTC = datetime.UTC
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitions exist on PostgreSQL only"
)


def _at(year, month, day=10):
    return datetime.datetime(year, month, day, 12, tzinfo=UTC)


def _names(table):
    return [p.name for p in partitions.partitions(table)]


def test_month_arithmetic():
    assert partitions.add_months(datetime.date(2026, 11, 1), 3) == datetime.date(2027, 2, 1)
    assert partitions.add_months(datetime.date(2026, 1, 1), -1) == datetime.date(2025, 12, 1)
    assert partitions.month_start(datetime.datetime(2026, 12, 31, 23, tzinfo=UTC)) == datetime.date(
        2026, 12, 1
    )
    assert (
        partitions.partition_name("cases_accesslog", datetime.date(2027, 3, 1)) == "cases_accesslog_y2027m03"
    )


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite behaviour")
def test_on_sqlite_the_job_does_nothing_and_says_so(db):
    out = StringIO()
    call_command("cases", "partitions", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"database": "sqlite", "partitioned": False}
    assert not partitions.is_partitioned("cases_caseevent")
    assert partitions.ensure_partitions() == {}
    assert partitions.drop_partitions_before("cases_accesslog", _at(2030, 1)) == 0


def test_a_bad_option_exits_2(db):
    with pytest.raises(CommandError) as caught:
        call_command("cases", "partitions", "--months-ahead", "-1", stderr=StringIO())
    assert caught.value.returncode == 2


@on_postgresql
@pytest.mark.parametrize("table", partitions.TABLES)
def test_the_migration_partitions_both_tables_by_month(db, table):
    assert partitions.is_partitioned(table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'",
            [table],
        )
        assert cursor.fetchone()[0] == "PRIMARY KEY (id, at)"
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        assert cursor.fetchone()[0] == f"public.{table}_id_seq"
        cursor.execute(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'", [table]
        )
        assert cursor.fetchone()[0] == (3 if table == "cases_caseevent" else 2)
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [table]
        )
        assert [row[0] for row in cursor.fetchall()] == [
            "pgtrigger_append_only_320b9" if table == "cases_caseevent" else "pgtrigger_append_only_28716"
        ]
    names = _names(table)
    assert names[-1] == f"{table}_default"
    this_month = partitions.month_start(datetime.datetime.now(UTC))
    assert partitions.partition_name(table, this_month) in names


@on_postgresql
def test_rows_land_in_their_month_and_stay_append_only(episode, counselor):
    partitions.ensure_partitions(now=_at(2031, 1))
    log = AccessLog.objects.create(person=episode.person, user=counselor, route="test:read", at=_at(2031, 2))
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM cases_accesslog WHERE id = %s", [log.pk])
        assert cursor.fetchone()[0] == "cases_accesslog_y2031m02"
        with pytest.raises(DatabaseError), transaction.atomic():
            cursor.execute("UPDATE cases_accesslog SET route = 'x' WHERE id = %s", [log.pk])
        with pytest.raises(DatabaseError), transaction.atomic():
            cursor.execute("DELETE FROM cases_accesslog_y2031m02 WHERE id = %s", [log.pk])
    second = AccessLog.objects.create(
        person=episode.person, user=counselor, route="test:read", at=_at(2031, 2)
    )
    assert second.pk > log.pk  # one sequence for all the months


@on_postgresql
def test_the_job_creates_the_coming_months_once(db):
    first = partitions.ensure_partitions(now=_at(2032, 11), months_ahead=3)
    for table in partitions.TABLES:
        assert first[table]["created"] == [
            f"{table}_y2032m11", f"{table}_y2032m12", f"{table}_y2033m01", f"{table}_y2033m02"
        ]  # fmt: skip
    again = partitions.ensure_partitions(now=_at(2032, 11), months_ahead=3)
    assert all(
        again[table]["created"] == [] and again[table]["moved_from_default"] == 0
        for table in partitions.TABLES
    )


@on_postgresql
def test_rows_of_a_month_without_partition_are_moved_out_of_the_default_one(episode, counselor):
    actions.record_contact(episode, by=counselor, channel="phone", summary="Appel")
    old = [
        AccessLog.objects.create(person=episode.person, user=counselor, route="r", at=_at(2019, 5, day))
        for day in (3, 28)
    ]
    assert not any("y2019m05" in name for name in _names("cases_accesslog"))
    out = StringIO()
    call_command("cases", "partitions", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["partitioned"] is True
    moved = report["tables"]["cases_accesslog"]
    assert moved["moved_from_default"] == 2 and "cases_accesslog_y2019m05" in moved["created"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_accesslog_default")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT id FROM cases_accesslog_y2019m05 ORDER BY id")
        assert [row[0] for row in cursor.fetchall()] == [log.pk for log in old]
        # the default partition is attached again and still refuses rewrites
        cursor.execute(
            "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'cases_accesslog_default'"
        )
        assert cursor.fetchone()[0] == "DEFAULT"
    assert AccessLog.objects.filter(pk__in=[log.pk for log in old]).count() == 2
    assert CaseEvent.objects.filter(episode=episode).exists()


@on_postgresql
def test_retention_drops_whole_months_and_deletes_the_rest_row_by_row(episode, counselor, settings):
    settings.PARCOURS_RETENTION = {**settings.PARCOURS_RETENTION, "access_log_days": 365}
    now = _at(2030, 6, 15)  # cutoff 2029-06-15 12:00
    rows = {
        at: AccessLog.objects.create(person=episode.person, user=counselor, route="r", at=at)
        for at in (_at(2029, 4, 2), _at(2029, 5, 30), _at(2029, 6, 1), _at(2029, 6, 20), _at(2030, 6, 1))
    }
    partitions.ensure_partitions(now=now)
    # the rows were written in this test's transaction: their deferred foreign-key checks must run
    # before a table can be dropped (real expired rows were committed long ago)
    connection.check_constraints()
    assert delete_expired_access_logs(now=now) == 3
    names = _names("cases_accesslog")
    assert "cases_accesslog_y2029m04" not in names and "cases_accesslog_y2029m05" not in names
    assert "cases_accesslog_y2029m06" in names  # straddles the cutoff: rows deleted one by one
    kept = set(AccessLog.objects.filter(pk__in=[r.pk for r in rows.values()]).values_list("at", flat=True))
    assert kept == {_at(2029, 6, 20), _at(2030, 6, 1)}
