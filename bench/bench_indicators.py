"""Benchmark: indicator computation over 10 million contacts on PostgreSQL (goal <= 2 s each).

Standalone. Run from the repository root:

    .venv/bin/python bench/bench_indicators.py [--episodes 1000000] [--contacts-per-episode 10] [--repeat 3]

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/parcours_bench_indicators; the
database is created and migrated if needed, and synthetic people, episodes and contacts are
bulk-loaded with COPY (psycopg 3) unless they are already there (loading takes minutes, once).
It then times, best of --repeat, the computation of the contact-intensity and
time-to-first-contact indicators (one aggregate query each, plus the roll-up to every dimension
and granularity) against a baseline measured in the same run: a bare
``SELECT count(*) FROM cases_contact``. It prints the times and their ratios.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from benchdb import ensure_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/parcours_bench_indicators"


def copy_frame(cursor, table: str, frame: pd.DataFrame) -> None:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, na_rep="\\N")
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')") as copy:
        copy.write(buffer.getvalue())


def model_defaults(model, given: dict, n: int) -> pd.DataFrame:
    """Columns for COPY: the given arrays, and every other concrete field at its default."""
    import uuid

    from django.db import connection

    data = {}
    for field in model._meta.concrete_fields:
        if field.primary_key and field.name not in given:
            continue
        if field.attname in given:
            data[field.column] = given[field.attname]
        elif field.name == "public_id":
            data[field.column] = [str(uuid.uuid4()) for _ in range(n)]
        elif field.null:
            data[field.column] = [None] * n
        else:
            default = field.get_default()
            if (
                callable(getattr(field, "auto_now", None))
                or getattr(field, "auto_now", False)
                or getattr(field, "auto_now_add", False)
            ):
                default = datetime.datetime.now(datetime.UTC)
            if field.get_internal_type() == "JSONField":
                value = json.dumps(default)
            else:
                value = field.get_db_prep_save(default, connection)
            data[field.column] = [value] * n
    return pd.DataFrame(data)


def load(n_episodes: int, per_episode: int, seed: int = 7) -> None:
    from django.db import connection, transaction

    from parcours.accounts.models import Membership, Role, User
    from parcours.cases.models import Contact, SupportEpisode
    from parcours.cases.summary import refresh_contact_summary
    from parcours.organisations.models import Organisation, Site, Territory
    from parcours.people.models import Person

    rng = np.random.default_rng(seed)
    with transaction.atomic():
        communes = [
            Territory.objects.get_or_create(
                level="commune", insee_code=f"59{i:03d}", defaults={"name": f"Commune {i}"}
            )[0]
            for i in range(200)
        ]
        orgs = [
            Organisation.objects.create(name=f"Agence {i}", kind="pes", territory=communes[i])
            for i in range(20)
        ]
        sites = [
            Site.objects.create(
                organisation=o, name=f"Site {o.pk}-{j}", commune=communes[(o.pk * 7 + j) % 200]
            )
            for o in orgs
            for j in range(5)
        ]
        users = []
        for o in orgs:
            for j in range(25):
                u = User.objects.create(username=f"bench-{o.pk}-{j}")
                Membership.objects.create(user=u, organisation=o, role=Role.COUNSELOR)
                users.append((o.pk, u.pk))
    print(f"loading {n_episodes} people and episodes, {n_episodes * per_episode} contacts", file=sys.stderr)
    started = time.perf_counter()
    chunk = 200_000
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor
        first_person = Person.objects.count()
        person_communes = np.array([communes[i].pk for i in rng.integers(0, 200, n_episodes)])
        for offset in range(0, n_episodes, chunk):
            n = min(chunk, n_episodes - offset)
            people = model_defaults(
                Person,
                {
                    "first_name": ["Prénom"] * n,
                    "last_name": ["Nom"] * n,
                    "birth_date": pd.to_datetime("1960-01-01")
                    + pd.to_timedelta(rng.integers(0, 15000, n), unit="D"),
                    "commune_id": person_communes[offset : offset + n],
                },
                n,
            )
            copy_frame(cursor, Person._meta.db_table, people)
        person_ids = np.array(
            Person.objects.order_by("pk").values_list("pk", flat=True)[first_person:], dtype=np.int64
        )
        site_index = rng.integers(0, len(sites), n_episodes)
        site_ids = np.array([s.pk for s in sites])[site_index]
        org_of_site = np.array([s.organisation_id for s in sites])[site_index]
        referents = {}
        for org_id, user_id in users:
            referents.setdefault(org_id, []).append(user_id)
        referent_ids = np.array(
            [referents[o][k % 25] for o, k in zip(org_of_site, rng.integers(0, 25, n_episodes), strict=True)]
        )
        start = pd.to_datetime("2023-01-01") + pd.to_timedelta(rng.integers(0, 730, n_episodes), unit="D")
        targets = rng.choice([14, 30, 90], n_episodes)
        ended = rng.random(n_episodes) < 0.5
        length = rng.integers(30, 400, n_episodes)
        end_on = pd.Series(start + pd.to_timedelta(length, unit="D")).where(ended)
        reasons = np.where(
            ended,
            rng.choice(["employed_durable", "employed_short", "training", "no_contact"], n_episodes),
            "",
        )
        first_episode = SupportEpisode.objects.count()
        for offset in range(0, n_episodes, chunk):
            sl = slice(offset, min(offset + chunk, n_episodes))
            n = sl.stop - sl.start
            episodes = model_defaults(
                SupportEpisode,
                {
                    "person_id": person_ids[sl],
                    "organisation_id": org_of_site[sl],
                    "site_id": site_ids[sl],
                    "commune_id": person_communes[sl],
                    "referent_id": referent_ids[sl],
                    "started_on": start[sl].date,
                    "ended_on": end_on[sl].dt.date.values,
                    "end_reason": reasons[sl],
                    "contact_target_days": targets[sl],
                    "stage": np.where(ended[sl], "closed", "job_search"),
                },
                n,
            )
            copy_frame(cursor, SupportEpisode._meta.db_table, episodes)
        episode_ids = np.array(
            SupportEpisode.objects.order_by("pk").values_list("pk", flat=True)[first_episode:], dtype=np.int64
        )
        episode_start = start.values.astype("datetime64[s]")
        contact_columns = None
        for offset in range(0, n_episodes, chunk // per_episode * 5):
            sl = slice(offset, min(offset + chunk // per_episode * 5, n_episodes))
            n = (sl.stop - sl.start) * per_episode
            eids = np.repeat(episode_ids[sl], per_episode)
            days = rng.integers(0, 365, n)
            at = np.repeat(episode_start[sl], per_episode) + (
                days * 86400 + rng.integers(28800, 64800, n)
            ).astype("timedelta64[s]")
            frame = model_defaults(
                Contact,
                {
                    "episode_id": eids,
                    "channel": rng.choice(["in_person", "phone", "email", "video"], n),
                    "occurred_at": pd.to_datetime(at).tz_localize("UTC"),
                    "author_id": np.repeat(referent_ids[sl], per_episode),
                },
                n,
            )
            contact_columns = contact_columns or list(frame.columns)
            copy_frame(cursor, Contact._meta.db_table, frame)
            print(f"  contacts {sl.stop * per_episode:,}", file=sys.stderr, flush=True)
        # COPY bypasses record_contact: rebuild the episodes' denormalised contact summary.
        refreshed = time.perf_counter()
        refresh_contact_summary()
        print(
            f"  contact summary of the episodes in {time.perf_counter() - refreshed:.0f} s", file=sys.stderr
        )
        # That UPDATE left a dead copy of every episode row; compact the table as a real bulk
        # load would be before use.
        cursor.execute(f"VACUUM FULL {SupportEpisode._meta.db_table}")
        cursor.execute("ANALYZE")
    print(f"loaded in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def best_of(repeat: int, fn):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=1_000_000)
    parser.add_argument("--contacts-per-episode", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    if not url.startswith("postgres"):
        print("bench_indicators needs PostgreSQL (DATABASE_URL=postgres://...)", file=sys.stderr)
        return 2
    ensure_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    migrating = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"migrate: {time.perf_counter() - migrating:.1f} s", file=sys.stderr)
    from parcours.cases.models import Contact
    from parcours.evaluation.indicators import compute_frame, ensure_registry
    from parcours.evaluation.models import Indicator

    wanted = args.episodes * args.contacts_per_episode
    if Contact.objects.count() < wanted:
        load(args.episodes, args.contacts_per_episode)
    ensure_registry()

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM cases_contact")
            return cursor.fetchone()[0]

    baseline()  # warm the cache
    t_base, n_contacts = best_of(args.repeat, baseline)
    print(f"contacts: {n_contacts:,}; baseline SELECT count(*): {t_base:.3f} s")
    start, end, as_of = datetime.date(2023, 1, 1), datetime.date(2025, 1, 1), datetime.date(2026, 6, 30)
    status = 0
    for code in ("contact_intensity", "time_to_first_contact"):
        version = Indicator.objects.get(code=code).current_version()
        t, values = best_of(args.repeat, lambda v=version: compute_frame(v, start, end, as_of))
        verdict = "ok" if t <= 2.0 else "SLOWER than the 2 s goal"
        print(
            f"{code}: {t:.3f} s ({len(values):,} values) — {t / t_base:.1f}x the count(*) baseline — {verdict}"
        )
    return status


if __name__ == "__main__":
    sys.exit(main())
