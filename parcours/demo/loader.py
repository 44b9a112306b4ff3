"""Write the demo territory: reference data and staff through the ORM, people and their history
in bulk (COPY on PostgreSQL, executemany on SQLite), one chunk of people at a time so that
memory stays bounded whatever the number of people.

Ids of the bulk tables are pre-assigned from the current maximum and the PostgreSQL sequences
are reset at the end, so the load must not run while other processes create people or case
rows in the same database (it is meant for a demo or benchmark database).
"""

import concurrent.futures
import contextlib
import datetime
import functools
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from parcours.accounts.models import Membership, Role, User
from parcours.cases import partitions
from parcours.demo import reference as ref
from parcours.demo.generator import INTENSITIES, Clock, Ids, Territory, skeleton
from parcours.demo.history import generate_chunk
from parcours.ops.encryption import EncryptedJSONField, EncryptedTextField, encrypt
from parcours.organisations.models import Organisation, Postcode, Site
from parcours.organisations.models import Territory as TerritoryModel
from parcours.people.models import Person

logger = logging.getLogger(__name__)

CHUNK_SIZE = 20_000  # people per chunk; part of the seed's meaning (same seed + chunk size → same data)
DEMO_PORTFOLIO_TARGET = 90  # open episodes wanted in a demo counselor's portfolio
DEMO_PORTFOLIO_MAX_SHARE = 0.8  # at most this share of their organisation's episodes
MIN_COUNSELORS = 2  # so that every organisation can hand episodes over
MANAGER_SPAN = 12  # counselors per manager
PARALLEL_WRITERS = 2  # threads that write (the machine this was tuned on has 2 cores)
DROP_INDEXES_FROM = (
    100_000  # PostgreSQL loads of this many people into empty tables rebuild indexes at the end
)

# Write order respects foreign keys.
TABLES = [
    "people.person",
    "people.statusperiod",
    "people.consent",
    "cases.supportepisode",
    "cases.stagetransition",
    "cases.referentassignment",
    "cases.followupmember",
    "cases.contact",
    "cases.appointment",
    "cases.caseevent",
]
ID_KEYS = {label: label.split(".")[1] for label in TABLES}


@dataclass
class LoadResult:
    people: int
    seconds: float
    rows: dict[str, int]


# --- Reference data and staff ----------------------------------------------------------------
def _territories() -> tuple[np.ndarray, dict[str, TerritoryModel]]:
    code, name, population = ref.REGION
    region, _ = TerritoryModel.objects.update_or_create(
        level=TerritoryModel.Level.REGION, insee_code=code, defaults={"name": name, "population": population}
    )
    departements = {}
    for code, (name, population) in ref.DEPARTEMENTS.items():
        departements[code], _ = TerritoryModel.objects.update_or_create(
            level=TerritoryModel.Level.DEPARTEMENT,
            insee_code=code,
            defaults={"name": name, "population": population, "parent": region},
        )
    communes = {}
    for code, name, postcode, lat, lon, population, dep, _qpv in ref.COMMUNES:
        communes[name], _ = TerritoryModel.objects.update_or_create(
            level=TerritoryModel.Level.COMMUNE,
            insee_code=code,
            defaults={
                "name": name,
                "latitude": lat,
                "longitude": lon,
                "population": population,
                "parent": departements[dep],
            },
        )
        for other in (postcode, *ref.OTHER_POSTCODES.get(code, ())):
            Postcode.objects.get_or_create(code=other, commune=communes[name])
    return np.asarray([communes[c[1]].pk for c in ref.COMMUNES]), {**communes, **departements}


def _organisations(places: dict[str, TerritoryModel]) -> tuple[list[Organisation], list[list[Site]]]:
    organisations, sites = [], []
    commune_coords = {c[1]: (c[3], c[4]) for c in ref.COMMUNES}
    for spec in ref.ORGANISATIONS:
        organisation, _ = Organisation.objects.update_or_create(
            name=spec.name,
            defaults={
                "kind": spec.kind,
                "territory": places[spec.commune],
                "email": f"contact@{spec.key}.example.org",
                "phone": "03 20 00 00 00",
            },
        )
        served = [places[spec.serves_departement]] if spec.serves_departement else []
        served += [places[s[2]] for s in spec.sites]
        organisation.served_territories.set(served)
        org_sites = []
        for site_name, address, commune in spec.sites:
            lat, lon = commune_coords[commune]
            site, _ = Site.objects.update_or_create(
                organisation=organisation,
                name=site_name,
                defaults={"address": address, "commune": places[commune], "latitude": lat, "longitude": lon},
            )
            org_sites.append(site)
        organisations.append(organisation)
        sites.append(org_sites)
    return organisations, sites


@functools.cache
def _demo_password_hash() -> str:
    return make_password(ref.DEMO_PASSWORD)  # hashed once per process: the hash is slow on purpose


def _demo_logins(organisations: list[Organisation], sites: list[list[Site]]) -> dict[str, User]:
    password = _demo_password_hash()
    users = {}
    for login in ref.DEMO_LOGINS:
        user, _ = User.objects.update_or_create(
            username=login.username,
            defaults={
                "first_name": login.first_name,
                "last_name": login.last_name,
                "email": f"{login.username}@example.org",
                "password": password,
                "is_staff": login.is_staff,
                "is_superuser": login.is_superuser,
                "is_active": True,
            },
        )
        o = ref.ORG_INDEX[login.organisation]
        Membership.objects.update_or_create(
            user=user,
            organisation=organisations[o],
            role=login.role,
            defaults={"site": sites[o][0], "is_active": True},
        )
        users[login.username] = user
    return users


def _staff(
    organisations: list[Organisation],
    sites: list[list[Site]],
    demo_users: dict[str, User],
    expected_open: np.ndarray,
) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """Counselors and managers of every organisation, sized on the expected open caseload.

    Generated staff have deterministic usernames (``<org>.conseiller00001``) and names that do not
    depend on the seed, and no usable password."""
    wanted: list[tuple[int, str, str]] = []  # (organisation index, role, username)
    named = {o: {Role.COUNSELOR: [], Role.MANAGER: []} for o in range(len(organisations))}
    for login in ref.DEMO_LOGINS:
        if login.role in (Role.COUNSELOR, Role.MANAGER):
            named[ref.ORG_INDEX[login.organisation]][login.role].append(login.username)
    sizes = {}
    for o, spec in enumerate(ref.ORGANISATIONS):
        counselors = max(
            MIN_COUNSELORS, math.ceil(expected_open[o] / spec.caseload), len(named[o][Role.COUNSELOR])
        )
        managers = max(1, math.ceil(counselors / MANAGER_SPAN), len(named[o][Role.MANAGER]))
        sizes[o] = (counselors, managers)
        for i in range(counselors - len(named[o][Role.COUNSELOR])):
            wanted.append((o, Role.COUNSELOR, f"{spec.key}.conseiller{i + 1:05d}"))
        for i in range(managers - len(named[o][Role.MANAGER])):
            wanted.append((o, Role.MANAGER, f"{spec.key}.responsable{i + 1:03d}"))
    existing = dict(User.objects.filter(username__in=[w[2] for w in wanted]).values_list("username", "pk"))
    name_rng = np.random.default_rng(20160601)  # staff names do not depend on the demo seed
    first = name_rng.choice(ref.FEMALE_FIRST_NAMES + ref.MALE_FIRST_NAMES, len(wanted))
    last = name_rng.choice(ref.LAST_NAMES, len(wanted))
    joined = timezone.now()
    new_users = [
        User(
            username=username,
            first_name=str(first[i]),
            last_name=str(last[i]),
            email=f"{username}@example.org",
            password="!demo-unusable",  # noqa: S106 - "!" prefix: unusable password
            date_joined=joined,
        )
        for i, (_o, _role, username) in enumerate(wanted)
        if username not in existing
    ]
    User.objects.bulk_create(new_users, batch_size=1000)
    ids = dict(User.objects.filter(username__in=[w[2] for w in wanted]).values_list("username", "pk"))
    for login, user in demo_users.items():
        ids[login] = user.pk
    Membership.objects.bulk_create(
        [
            Membership(
                user_id=ids[username],
                organisation=organisations[o],
                role=role,
                site=sites[o][i % len(sites[o])],
            )
            for i, (o, role, username) in enumerate(wanted)
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    counselors, weights, managers = [], [], []
    for o in range(len(organisations)):
        names = named[o][Role.COUNSELOR] + [w[2] for w in wanted if w[0] == o and w[1] == Role.COUNSELOR]
        pool = np.asarray([ids[u] for u in names], dtype=np.int64)
        p = np.full(len(pool), 1.0 / len(pool))
        if named[o][Role.COUNSELOR] and len(pool) > 1:
            # The demo counselor gets a portfolio of about DEMO_PORTFOLIO_TARGET people.
            share = min(DEMO_PORTFOLIO_MAX_SHARE, DEMO_PORTFOLIO_TARGET / max(expected_open[o], 1.0))
            p[0] = share
            p[1:] = (1 - share) / (len(pool) - 1)
        counselors.append(pool)
        weights.append(p)
        manager_names = named[o][Role.MANAGER] + [w[2] for w in wanted if w[0] == o and w[1] == Role.MANAGER]
        managers.append(ids[manager_names[0]])
    return counselors, weights, np.asarray(managers, dtype=np.int64)


def prepare_territory(people: int, seed: int, today) -> Territory:
    commune_ids, places = _territories()
    organisations, sites = _organisations(places)
    demo_users = _demo_logins(organisations, sites)
    # Size the staff on the open episodes of the first chunk, scaled to the whole population.
    sample = min(people, CHUNK_SIZE)
    today_day = (today - datetime.date(1970, 1, 1)).days
    sk = skeleton(np.random.default_rng([seed, 0]), sample, today_day) if sample else None
    expected_open = np.zeros(len(organisations))
    if sk is not None:
        np.add.at(expected_open, sk.org[~sk.closed], people / sample)
    counselors, weights, managers = _staff(organisations, sites, demo_users, expected_open)
    site_communes = [
        np.asarray([ref.COMMUNE_INDEX[s[2]] for s in spec.sites], dtype=np.int64)
        for spec in ref.ORGANISATIONS
    ]
    return Territory(
        today=today,
        org_ids=np.asarray([o.pk for o in organisations], dtype=np.int64),
        commune_ids=commune_ids,
        sites=[np.asarray([s.pk for s in org_sites], dtype=np.int64) for org_sites in sites],
        site_communes=site_communes,
        counselors=counselors,
        counselor_weights=weights,
        managers=managers,
        target_days={i: settings.PARCOURS_CONTACT_TARGET_DAYS[i] for i in INTENSITIES},
    )


# --- Bulk writing ----------------------------------------------------------------------------
def _columns(model) -> list[str]:
    return [f.column for f in model._meta.concrete_fields]


def _check_columns(label: str, model, frame: pd.DataFrame) -> None:
    expected = set(_columns(model))
    if set(frame.columns) != expected:
        missing = sorted(expected - set(frame.columns))
        extra = sorted(set(frame.columns) - expected)
        raise RuntimeError(
            f"demo generator out of date for {label}: missing columns {missing}, unknown columns {extra}"
        )


def _copy_text(frame: pd.DataFrame) -> str:
    """COPY text format built column-wise with numpy: tab-separated, \\N for NULL. The generator
    never produces tabs, newlines or backslashes, so no value needs escaping."""
    columns = []
    for name in frame.columns:
        values = frame[name]
        missing = values.isna().to_numpy()
        if pd.api.types.is_datetime64_any_dtype(values):
            text = np.datetime_as_string(values.to_numpy(), unit="s", timezone="UTC")
        elif pd.api.types.is_bool_dtype(values):
            text = np.where(values.to_numpy(), "t", "f")
        elif pd.api.types.is_integer_dtype(values):
            text = np.asarray(
                list(map(str, values.to_numpy(dtype=np.int64, na_value=0).tolist())), dtype=object
            )
        else:
            text = values.to_numpy(dtype=object)
        if missing.any():
            text = np.where(missing, "\\N", text)
        columns.append(text.tolist())
    return "\n".join(map("\t".join, zip(*columns, strict=True))) + "\n"


def _copy_postgres(model, frame: pd.DataFrame) -> None:
    """COPY FROM STDIN: one round trip per table and chunk, parsed by the server in C."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in frame.columns)
    with (
        connection.cursor() as cursor,
        cursor.connection.cursor() as raw,
        raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        copy.write(_copy_text(frame))


def _insert_many(model, frame: pd.DataFrame) -> None:
    """executemany with the values Django itself would store (text dates, hex UUIDs, JSON text)."""
    converted = {}
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            text = np.datetime_as_string(values.to_numpy(), unit="s").astype(object)
            text = np.char.replace(text.astype(str), "T", " ").astype(object)
            text[values.isna().to_numpy()] = None
            converted[column] = text
        else:
            as_object = values.astype(object).to_numpy().copy()
            as_object[values.isna().to_numpy()] = None
            converted[column] = as_object
    rows = list(zip(*converted.values(), strict=True))
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in frame.columns)
    placeholders = ", ".join(["%s"] * len(frame.columns))
    # Table and column names come from the model's metadata, quoted; values are parameters.
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])


def _encrypted(model, frame: pd.DataFrame) -> pd.DataFrame:
    """The columns encrypted at rest (parcours/ops/encryption.py) encrypted as the ORM would: the
    bulk writes below bypass the fields (JSON columns arrive as JSON text, encrypted as such)."""
    columns = [
        f.column
        for f in model._meta.concrete_fields
        if isinstance(f, (EncryptedTextField, EncryptedJSONField))
    ]
    if not columns or not len(frame):
        return frame
    frame = frame.copy()
    for column in columns:
        frame[column] = frame[column].map(lambda v: encrypt(v) if isinstance(v, str) and v else v)
    return frame


def write_chunk(frames: dict[str, pd.DataFrame]) -> dict[str, int]:
    counts = {}
    for label in TABLES:
        model = apps.get_model(label)
        frame = frames[label]
        _check_columns(label, model, frame)
        frame = _encrypted(model, frame[_columns(model)])
        if len(frame):
            if connection.vendor == "postgresql":
                _copy_postgres(model, frame)
            else:
                _insert_many(model, frame)
        counts[label] = len(frame)
    return counts


def prepare_copy(frames: dict[str, pd.DataFrame]) -> list[tuple[str, str, str, int]]:
    """The client's share of a PostgreSQL chunk (checks, encryption, COPY text), done ahead so that
    :func:`copy_prepared` only streams: (table, columns, text, rows) in write order."""
    prepared = []
    for label in TABLES:
        model = apps.get_model(label)
        frame = frames[label]
        _check_columns(label, model, frame)
        frame = _encrypted(model, frame[_columns(model)])
        table = connection.ops.quote_name(model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in frame.columns)
        prepared.append((label, table, columns, _copy_text(frame) if len(frame) else "", len(frame)))
    return prepared


def copy_prepared(prepared, *, skip_fk_triggers: bool) -> dict[str, int]:
    """One chunk's COPYs in one transaction, on this thread's connection; the server parses and
    writes while the calling thread waits on the socket (the GIL is released)."""
    counts = {}
    with transaction.atomic():
        if skip_fk_triggers:
            _skip_fk_triggers()
        with connection.cursor() as cursor, cursor.connection.cursor() as raw:
            for label, table, columns, text, rows in prepared:
                if rows:
                    with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        copy.write(text)
                counts[label] = rows
    return counts


def _first_ids() -> dict[str, int]:
    return {
        ID_KEYS[label]: (apps.get_model(label).objects.aggregate(m=Max("id"))["m"] or 0) + 1
        for label in TABLES
    }


def _finish_postgres() -> None:
    models = [apps.get_model(label) for label in TABLES]
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
        # Fresh statistics: the planner must know the tables are large before the first request.
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _secondary_indexes() -> list[tuple[str, str]]:
    """(name, definition) of the indexes of the bulk tables that back no constraint."""
    tables = [apps.get_model(label)._meta.db_table for label in TABLES]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
            ORDER BY i.tablename, i.indexname
            """,
            [tables],
        )
        return cursor.fetchall()


@contextlib.contextmanager
def _without_secondary_indexes(enabled: bool):
    """Large loads into empty tables: drop the secondary indexes and build them once at the end
    (a sort per index instead of millions of random inserts), on :data:`PARALLEL_WRITERS`
    connections at once. They are rebuilt even if the load fails; the definitions are logged so
    they can be restored by hand after a hard kill."""
    if not enabled:
        yield
        return
    indexes = _secondary_indexes()
    with connection.cursor() as cursor:
        for name, definition in indexes:
            logger.info("demo drops index=%s definition=%r", name, definition)
            cursor.execute(f"DROP INDEX IF EXISTS {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        _build_indexes([definition for _name, definition in indexes])


def _build_indexes(definitions: list[str]) -> None:
    """Build the indexes on PARALLEL_WRITERS threads, each with its own connection (one core each
    on the server); the largest tables' indexes are shared out first."""

    def build(batch: list[str]) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET maintenance_work_mem = '512MB'")
                for definition in batch:
                    cursor.execute(definition)
        finally:
            connection.close()

    # pg_indexes writes a partitioned table's index "ON ONLY parent", which would build no
    # partition's index and leave the parent's invalid: build it on the whole table
    definitions = [d.replace(" ON ONLY ", " ON ", 1) for d in definitions]
    batches = [definitions[i::PARALLEL_WRITERS] for i in range(PARALLEL_WRITERS)]
    with concurrent.futures.ThreadPoolExecutor(PARALLEL_WRITERS) as pool:
        for future in [pool.submit(build, batch) for batch in batches if batch]:
            future.result()


def _is_superuser() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        return bool(cursor.fetchone()[0])


def _skip_fk_triggers() -> None:
    """Foreign keys are checked by triggers, queued until commit for Django's deferred
    constraints: on tens of millions of rows they cost more than the load itself. The generator
    only writes ids it has just created or read from the database (the SQLite tests run with
    foreign keys enforced), so for this transaction the triggers are skipped (superuser only)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")


# --- Reset -----------------------------------------------------------------------------------
RESET_ROOTS = ("people.person", "cases.supportepisode")
PSEUDONYMISED = ("evaluation.surveyresponse",)


def delete_case_data() -> None:
    """Delete every person and everything hanging off them (episodes, contacts, events...).
    Reference data and staff stay: they are updated in place by the next load. Survey answers
    go too: pseudonymised, they point to nobody, but their keys are those of the people."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            tables = ", ".join(
                connection.ops.quote_name(apps.get_model(label)._meta.db_table)
                for label in (*RESET_ROOTS, *PSEUDONYMISED)
            )
            # CASCADE also empties tables of other apps that point to people or episodes.
            cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        return
    # SQLite: the same as TRUNCATE ... CASCADE. Every table that points, directly or not, to a
    # person or an episode is emptied (case files, diagnoses, referrals, scores, assignments...)
    # with raw deletes: a reset is not a user action, and some rows refuse ORM deletes by design.
    roots = [apps.get_model(label) for label in RESET_ROOTS]
    models = _dependent_models(roots) + [apps.get_model(label) for label in PSEUDONYMISED]
    with connection.constraint_checks_disabled(), transaction.atomic():
        for model in models:
            model._base_manager.all()._raw_delete(connection.alias)


def _dependent_models(roots) -> list:
    seen = list(roots)
    stack = list(roots)
    while stack:
        model = stack.pop()
        for relation in model._meta.related_objects:
            related = relation.related_model
            through = getattr(relation, "through", None)
            for candidate in (related, through):
                if candidate is not None and candidate not in seen:
                    seen.append(candidate)
                    stack.append(candidate)
        for field in model._meta.many_to_many:
            through = field.remote_field.through
            if through not in seen:
                seen.append(through)
    return seen


# --- Entry point -----------------------------------------------------------------------------
def _load_pipelined(people, seed, territory, ids, clock, skip_fk_triggers, totals, progress) -> None:
    """PostgreSQL, large loads into empty tables: this thread generates and prepares chunk n+1
    while a writer thread streams chunk n (its own connection, one transaction per chunk), so the
    client's Python and the server's COPY run on the two cores at once. At most one chunk waits."""

    def write(prepared) -> dict[str, int]:
        return copy_prepared(prepared, skip_fk_triggers=skip_fk_triggers)

    def done(future, size) -> None:
        for label, count in future.result().items():
            totals[label] += count
        if progress:
            progress(size)

    pending = None
    with concurrent.futures.ThreadPoolExecutor(1) as writer:
        try:
            for index, start in enumerate(range(0, people, CHUNK_SIZE)):
                size = min(CHUNK_SIZE, people - start)
                frames = generate_chunk(np.random.default_rng([seed, index]), size, territory, ids, clock)
                prepared = prepare_copy(frames)
                del frames
                if pending is not None:
                    done(*pending)  # the writer is free: at most one chunk in memory besides this one
                pending = (writer.submit(write, prepared), size)
            if pending is not None:
                done(*pending)
        finally:
            # `connection` is per thread: close the writer's own, from the writer thread
            writer.submit(lambda: connection.close()).result()


def load_demo(
    *,
    people: int,
    seed: int,
    today=None,
    progress: Callable[[int], None] | None = None,
    pipeline: bool | None = None,
) -> LoadResult:
    """Load ``people`` generated people and their history. ``pipeline`` (default: the large
    PostgreSQL loads that also drop the indexes) overlaps generation and writing on two threads."""
    began = time.monotonic()
    today = today or timezone.localdate()
    with transaction.atomic():
        territory = prepare_territory(people, seed, today)
    clock = Clock(today)
    if connection.vendor == "postgresql":
        # every month the generator can write to gets its partition first: rows are copied
        # straight into their month, none into the default partition (parcours/cases/partitions.py)
        partitions.ensure_partitions(
            since=datetime.date(1970, 1, 1) + datetime.timedelta(days=clock.first_day)
        )
    ids = Ids(_first_ids())
    skip_fk_triggers = connection.vendor == "postgresql" and _is_superuser()
    totals = dict.fromkeys(TABLES, 0)
    drop_indexes = (
        connection.vendor == "postgresql" and people >= DROP_INDEXES_FROM and not Person.objects.exists()
    )
    pipelined = drop_indexes if pipeline is None else pipeline and connection.vendor == "postgresql"
    with _without_secondary_indexes(drop_indexes):
        if pipelined:
            _load_pipelined(people, seed, territory, ids, clock, skip_fk_triggers, totals, progress)
        else:
            for index, start in enumerate(range(0, people, CHUNK_SIZE)):
                size = min(CHUNK_SIZE, people - start)
                frames = generate_chunk(np.random.default_rng([seed, index]), size, territory, ids, clock)
                with transaction.atomic():
                    if skip_fk_triggers:
                        _skip_fk_triggers()
                    counts = write_chunk(frames)
                for label, count in counts.items():
                    totals[label] += count
                del frames
                if progress:
                    progress(size)
    if connection.vendor == "postgresql":
        _finish_postgres()
    seconds = time.monotonic() - began
    logger.info("demo loaded people=%s seconds=%.1f", people, seconds)
    return LoadResult(people=people, seconds=seconds, rows=totals)
