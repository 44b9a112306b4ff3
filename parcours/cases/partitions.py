"""Monthly partitions of the two tables that grow forever: ``CaseEvent`` and ``AccessLog``
(PostgreSQL only; SQLite keeps plain tables and every function here does nothing there).

Declarative range partitioning on the ``at`` column, one partition per calendar month (UTC
bounds), named ``<table>_yYYYYmMM``, plus a ``<table>_default`` partition that catches a row
outside every month (a clock far off, a bulk load of old data) so that no write ever fails:

- migration ``cases.0008`` turns the existing tables into partitioned ones
  (:func:`partition_table`): same columns, indexes, foreign keys and append-only trigger, rows
  copied into the months they belong to;
- the daily job ``parcours cases partitions`` (:func:`ensure_partitions`) creates the months
  ahead (3 by default) and, when the default partition holds rows of a month, creates that month
  and moves them there;
- retention (``parcours privacy purge``) drops whole months of access logs past their keeping
  period (:func:`drop_partitions_before`) instead of deleting row by row.

What partitioning needs from the schema: PostgreSQL requires the partition key in every unique
constraint, so the primary key becomes ``(id, at)``; ``id`` stays unique because a single
sequence gives it (PostgreSQL 15 has no identity column on a partitioned table, so the column
takes ``nextval`` of a sequence it owns). Django still sees ``id`` as the primary key; nothing
points to these tables with a foreign key.
"""

from __future__ import annotations

import datetime
import logging
import re
from dataclasses import dataclass

from django.db import connection as default_connection
from django.db import transaction

from parcours.cases.append_only import rewriting_audit

logger = logging.getLogger(__name__)

#: Table and partition names in the SQL below come from here and from dates, never from input.
TABLES = ("cases_caseevent", "cases_accesslog")
COLUMN = "at"
MONTHS_AHEAD = 3
_MONTH_NAME = re.compile(r"_y(?P<year>\d{4})m(?P<month>\d{2})$")


@dataclass(frozen=True)
class Partition:
    name: str
    start: datetime.date | None  # None for the default partition
    end: datetime.date | None

    @property
    def is_default(self) -> bool:
        return self.start is None


def supported(connection=None) -> bool:
    return (connection or default_connection).vendor == "postgresql"


def month_start(day: datetime.date | datetime.datetime) -> datetime.date:
    return datetime.date(day.year, day.month, 1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def partition_name(table: str, month: datetime.date) -> str:
    return f"{table}_y{month.year:04d}m{month.month:02d}"


def is_partitioned(table: str, connection=None) -> bool:
    connection = connection or default_connection
    if not supported(connection):
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE c.relname = %s AND pg_table_is_visible(c.oid)",
            [table],
        )
        return cursor.fetchone() is not None


def partitions(table: str, connection=None) -> list[Partition]:
    """The partitions of ``table``, by month, the default one last."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s AND pg_table_is_visible(p.oid)",
            [table],
        )
        names = [row[0] for row in cursor.fetchall()]
    found = []
    for name in names:
        match = _MONTH_NAME.search(name)
        if match:
            start = datetime.date(int(match["year"]), int(match["month"]), 1)
            found.append(Partition(name, start, add_months(start, 1)))
        else:
            found.append(Partition(name, None, None))
    return sorted(found, key=lambda p: (p.is_default, p.start or datetime.date.max))


def _bound(day: datetime.date) -> str:
    return f"{day.isoformat()} 00:00:00+00"


def _create_month(cursor, table: str, month: datetime.date) -> str:
    name = partition_name(table, month)
    cursor.execute(
        f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF "{table}" '
        f"FOR VALUES FROM ('{_bound(month)}') TO ('{_bound(add_months(month, 1))}')"
    )
    return name


def _months_with_rows(cursor, relation: str) -> list[datetime.date]:
    cursor.execute(
        f"SELECT DISTINCT date_trunc('month', \"{COLUMN}\" AT TIME ZONE 'UTC')::date "  # noqa: S608
        f'FROM "{relation}" ORDER BY 1'
    )
    return [row[0] for row in cursor.fetchall()]


# --------------------------------------------------------------------------- the migration


def partition_table(table: str, *, connection=None, now: datetime.datetime | None = None) -> None:
    """Turn the plain ``table`` into a table partitioned by month on ``at``, keeping its name,
    columns, defaults, indexes (same names), foreign keys (same names), triggers (the
    append-only one, with pgtrigger's comment) and rows. One transaction (the migration's)."""
    connection = connection or default_connection
    if not supported(connection) or is_partitioned(table, connection):
        return
    old = f"{table}_unpartitioned"
    sequence = f"{table}_id_seq"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND schemaname = current_schema()",
            [table],
        )
        indexes = [(n, d) for n, d in cursor.fetchall() if not n.endswith("_pkey")]
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('f', 'c', 'u')",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT tgname, pg_get_triggerdef(oid), obj_description(oid, 'pg_trigger') FROM pg_trigger "
            "WHERE tgrelid = %s::regclass AND NOT tgisinternal",
            [table],
        )
        triggers = cursor.fetchall()
        cursor.execute(f'ALTER TABLE "{table}" RENAME TO "{old}"')
        for name, _definition in indexes:
            cursor.execute(f'ALTER INDEX "{name}" RENAME TO "{name}_old"')
        for name, _definition in constraints:
            cursor.execute(f'ALTER TABLE "{old}" RENAME CONSTRAINT "{name}" TO "{name}_old"')
        cursor.execute(f'ALTER TABLE "{old}" RENAME CONSTRAINT "{table}_pkey" TO "{table}_pkey_old"')
        for name, _definition, _comment in triggers:
            cursor.execute(f'DROP TRIGGER "{name}" ON "{old}"')
        # columns and NOT NULLs; the id default is replaced by a sequence the table owns
        cursor.execute(
            f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS) PARTITION BY RANGE ("{COLUMN}")'
        )
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{old}"')  # noqa: S608
        next_id = cursor.fetchone()[0]
        cursor.execute(f'ALTER TABLE "{old}" ALTER COLUMN id DROP IDENTITY IF EXISTS')
        cursor.execute(f'CREATE SEQUENCE IF NOT EXISTS "{sequence}" START WITH {int(next_id)}')
        cursor.execute(f'ALTER TABLE "{table}" ALTER COLUMN id SET DEFAULT nextval(\'"{sequence}"\')')
        cursor.execute(f'ALTER SEQUENCE "{sequence}" OWNED BY "{table}".id')
        cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_pkey" PRIMARY KEY (id, "{COLUMN}")')
        cursor.execute(f'CREATE TABLE "{table}_default" PARTITION OF "{table}" DEFAULT')
        months = set(_months_with_rows(cursor, old))
        today = month_start(now or datetime.datetime.now(datetime.UTC))
        months |= {add_months(today, n) for n in range(MONTHS_AHEAD + 1)}
        for month in sorted(months):
            _create_month(cursor, table, month)
        cursor.execute(f'INSERT INTO "{table}" SELECT * FROM "{old}"')  # noqa: S608
        # the definitions were read before the renames: they name the new table already
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        cursor.execute(f'DROP TABLE "{old}"')
        for name, definition, comment in triggers:
            cursor.execute(definition)
            if comment is not None:
                cursor.execute(f'COMMENT ON TRIGGER "{name}" ON "{table}" IS %s', [comment])
    logger.info("partitioned table=%s months=%s", table, len(months))


# --------------------------------------------------------------------------- the daily job


def ensure_partitions(
    *,
    now: datetime.datetime | None = None,
    months_ahead: int = MONTHS_AHEAD,
    since: datetime.date | None = None,
    connection=None,
) -> dict[str, dict]:
    """Create the partitions of the coming months (of every month from ``since`` when given:
    a bulk load of past data calls it first) and, for any month whose rows sit in the default
    partition, that month's partition with its rows moved in. Idempotent. Returns, per table,
    the partitions created and the rows moved out of the default partition."""
    connection = connection or default_connection
    result: dict[str, dict] = {}
    if not supported(connection):
        return result
    today = month_start(now or datetime.datetime.now(datetime.UTC))
    for table in TABLES:
        if not is_partitioned(table, connection):
            continue
        existing = {p.start for p in partitions(table, connection)}
        created, moved = [], 0
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            stray = [m for m in _months_with_rows(cursor, f"{table}_default") if m not in existing]
            if stray:
                moved = _move_out_of_default(cursor, table, stray)
                created += [partition_name(table, m) for m in stray]
                existing |= set(stray)
            month = min(month_start(since), today) if since else today
            while month <= add_months(today, months_ahead):
                if month not in existing:
                    created.append(_create_month(cursor, table, month))
                    existing.add(month)
                month = add_months(month, 1)
        result[table] = {"created": created, "moved_from_default": moved, "partitions": len(existing) + 1}
        if created or moved:
            logger.info("partitions table=%s created=%s moved=%s", table, len(created), moved)
    return result


def _move_out_of_default(cursor, table: str, months: list[datetime.date]) -> int:
    """PostgreSQL refuses a new partition while the default one holds rows of its range: detach
    the default partition, create the months, move their rows (the audit trigger is skipped for
    this move only: rows change partition, not content), attach it back."""
    default = f"{table}_default"
    cursor.execute(f'ALTER TABLE "{table}" DETACH PARTITION "{default}"')
    for month in months:
        _create_month(cursor, table, month)
    ranges = " OR ".join(
        f"(\"{COLUMN}\" >= '{_bound(m)}' AND \"{COLUMN}\" < '{_bound(add_months(m, 1))}')" for m in months
    )
    with rewriting_audit("partitions:move_from_default"):
        cursor.execute(f'INSERT INTO "{table}" SELECT * FROM "{default}" WHERE {ranges}')  # noqa: S608
        moved = cursor.rowcount
        cursor.execute(f'DELETE FROM "{default}" WHERE {ranges}')  # noqa: S608
    cursor.execute(f'ALTER TABLE "{table}" ATTACH PARTITION "{default}" DEFAULT')
    return moved


# --------------------------------------------------------------------------- retention


def drop_partitions_before(table: str, cutoff: datetime.datetime, *, connection=None) -> int:
    """Drop the monthly partitions of ``table`` that end on or before ``cutoff`` (every row in
    them is older); returns the number of rows they held. The caller deletes what remains before
    ``cutoff`` row by row (the month that straddles it, the default partition)."""
    connection = connection or default_connection
    if not supported(connection) or not is_partitioned(table, connection):
        return 0
    limit = cutoff.astimezone(datetime.UTC).date()
    dropped = 0
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for partition in partitions(table, connection):
            if partition.is_default or partition.end > limit:
                continue
            cursor.execute(f'SELECT count(*) FROM "{partition.name}"')  # noqa: S608
            dropped += cursor.fetchone()[0]
            cursor.execute(f'ALTER TABLE "{table}" DETACH PARTITION "{partition.name}"')
            cursor.execute(f'DROP TABLE "{partition.name}"')
            logger.info("partition dropped table=%s partition=%s", table, partition.name)
    return dropped
