"""Benchmark of person → offers matching on PostgreSQL with one million offers.

    .venv/bin/python bench/bench_matching.py [--offers 1000000] [--queries 200] [--seed 0]

Standalone: uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/parcours_bench_market),
creates the database with ``createdb`` if missing, migrates, bulk-loads the synthetic offers with
COPY (psycopg 3) when the table holds fewer than ``--offers`` rows, runs ANALYZE, then measures
p50/p95 of a top-20 matching (``parcours.market.matching.match_offers``: rome_code IN (...) and a
bounding box on the partial index, ≤ 2,000 candidates ranked in numpy, one fetch of the 20) for
``--queries`` random people, against a baseline measured in the same process: a plain indexed
``SELECT ... WHERE rome_code = X LIMIT 20``. Target: p95 ≤ 50 ms.

Offers are spread over France's population centres (a mixture around 60 cities), 500 ROME codes
with a Zipf-like popularity, so dense cities and popular occupations are represented.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from benchdb import ensure_database  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/parcours_bench_market")
os.environ.setdefault("PARCOURS_EPHEMERAL_SECRET_KEY", "true")

# (latitude, longitude, weight) of large French cities, approximate.
CITIES = [
    (48.857, 2.352, 30),
    (45.764, 4.836, 8),
    (43.296, 5.370, 8),
    (43.605, 1.444, 6),
    (43.710, 7.262, 5),
    (47.218, -1.554, 5),
    (48.573, 7.752, 4),
    (43.611, 3.877, 4),
    (44.838, -0.579, 5),
    (50.629, 3.057, 6),
    (48.117, -1.678, 3),
    (49.258, 4.032, 2),
    (45.439, 4.387, 2),
    (43.125, 5.930, 2),
    (45.188, 5.724, 3),
    (47.322, 5.041, 2),
    (47.473, -0.551, 2),
    (49.494, 0.108, 2),
    (45.777, 3.087, 2),
    (48.692, 6.184, 2),
    (49.895, 2.302, 1),
    (47.902, 1.909, 2),
    (43.700, 7.270, 1),
    (47.390, 0.689, 2),
    (49.443, 1.099, 2),
    (46.580, 0.340, 1),
    (43.949, 4.805, 1),
    (49.119, 6.176, 1),
    (42.698, 2.895, 1),
    (46.160, -1.151, 1),
]


def synthetic_offers(n: int, rng: np.random.Generator, start_id: int):
    weights = np.array([c[2] for c in CITIES], dtype=float)
    city = rng.choice(len(CITIES), size=n, p=weights / weights.sum())
    lat = np.array([c[0] for c in CITIES])[city] + rng.normal(0, 0.25, n)
    lon = np.array([c[1] for c in CITIES])[city] + rng.normal(0, 0.35, n)
    codes = rome_codes()
    popularity = 1 / np.arange(1, len(codes) + 1) ** 0.8
    code_idx = rng.choice(len(codes), size=n, p=popularity / popularity.sum())
    contracts = np.array(["CDI", "CDD", "MIS", "SAI"])[rng.choice(4, size=n, p=[0.45, 0.3, 0.15, 0.1])]
    days = rng.integers(0, 120, n)
    return city, lat, lon, np.array(codes)[code_idx], contracts, days


def rome_codes() -> list[str]:
    letters = "ABCDEFGHIJKLMN"
    return [f"{letters[i % 14]}{1100 + (i * 37) % 900:04d}" for i in range(500)]


def load_offers(target: int, seed: int) -> None:
    from django.db import connection

    from parcours.market.models import JobOffer

    have = JobOffer.objects.count()
    if have >= target:
        print(f"{have:,} offers already loaded")
        return
    rng = np.random.default_rng(seed)
    n = target - have
    started = time.perf_counter()
    columns = [
        "source",
        "external_id",
        "title",
        "description",
        "rome_code",
        "rome_label",
        "job_title_label",
        "employer_name",
        "employer_siret",
        "naf_code",
        "place_label",
        "commune_insee",
        "postcode",
        "latitude",
        "longitude",
        "contract_type",
        "contract_label",
        "hours_label",
        "full_time",
        "salary_label",
        "positions",
        "experience",
        "skills",
        "skill_keys",
        "posted_at",
        "is_active",
        "dedup_key",
        "created_at",
        "updated_at",
    ]
    chunk = 200_000
    with connection.cursor() as cursor:
        raw = cursor.connection  # psycopg 3 connection
        for offset in range(0, n, chunk):
            size = min(chunk, n - offset)
            _city, lat, lon, codes, contracts, days = synthetic_offers(size, rng, have + offset)
            buffer = io.StringIO()
            for i in range(size):
                ident = have + offset + i
                posted = f"2025-{1 + days[i] // 30:02d}-{1 + days[i] % 28:02d} 09:00:00+00"
                buffer.write(
                    f"bench\t{ident}\tOffre {codes[i]} {ident}\t\t{codes[i]}\t\t\tEmployeur {ident % 50000}\t\t\t\t\t\t"
                    f"{lat[i]:.5f}\t{lon[i]:.5f}\t{contracts[i]}\t\t\t{'t' if i % 4 else 'f'}\t\t1\t\t[]\t\t{posted}\tt\t\t{posted}\t{posted}\n"
                )
            buffer.seek(0)
            with raw.cursor().copy(f"COPY market_joboffer ({', '.join(columns)}) FROM STDIN") as copy:
                while data := buffer.read(1 << 20):
                    copy.write(data)
            raw.commit()
            print(f"  loaded {offset + size:,}/{n:,} offers", flush=True)
    # Autovacuum does this in production; after a bulk COPY the visibility map must be set for
    # index-only scans.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE market_joboffer")
    print(f"loaded {n:,} offers in {time.perf_counter() - started:.1f}s")


def percentile(values, q) -> float:
    return float(np.percentile(np.array(values) * 1000, q))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
        print("this benchmark needs PostgreSQL (DATABASE_URL=postgres://...)", file=sys.stderr)
        return 2
    ensure_database(url)
    import importlib

    import django

    if "parcours.market" not in importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"]).INSTALLED_APPS:
        # Before the app is wired in config/settings.py: the same settings plus the app.
        os.environ["DJANGO_SETTINGS_MODULE"] = "tests.market.settings_market"
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    load_offers(args.offers, args.seed)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE market_joboffer")

    from parcours.market.matching import Criteria, match_offers

    rng = np.random.default_rng(args.seed + 1)
    _city, lat, lon, codes, _contracts, _days = synthetic_offers(args.queries, rng, 0)
    people = [
        Criteria(
            rome_codes=[codes[i], codes[(i + 7) % args.queries]],
            decided_codes={codes[i]},
            latitude=float(lat[i]),
            longitude=float(lon[i]),
            radius_km=30,
            contract_types={"CDI"},
            full_time=True,
        )
        for i in range(args.queries)
    ]
    for c in people[:10]:  # warm-up: connection, plans, caches
        match_offers(c)
    match_times, baseline_times, found = [], [], []
    with connection.cursor() as cursor:
        for c in people:
            t0 = time.perf_counter()
            results = match_offers(c)
            match_times.append(time.perf_counter() - t0)
            found.append(len(results))
            t0 = time.perf_counter()
            cursor.execute(
                "SELECT id, title, rome_code, latitude, longitude FROM market_joboffer WHERE rome_code = %s LIMIT 20",
                [c.rome_codes[0]],
            )
            cursor.fetchall()
            baseline_times.append(time.perf_counter() - t0)
        cursor.execute("SELECT count(*) FROM market_joboffer WHERE is_active AND duplicate_of_id IS NULL")
        active = cursor.fetchone()[0]
    m50, m95 = percentile(match_times, 50), percentile(match_times, 95)
    b50, b95 = percentile(baseline_times, 50), percentile(baseline_times, 95)
    print(
        f"offers (active canonical): {active:,}; queries: {args.queries}; mean results per query: {np.mean(found):.1f}"
    )
    print(f"matching top-20  p50 {m50:.1f} ms  p95 {m95:.1f} ms  (target p95 <= 50 ms)")
    print(f"baseline SELECT  p50 {b50:.1f} ms  p95 {b95:.1f} ms")
    print(f"ratio matching/baseline  p50 x{m50 / b50:.1f}  p95 x{m95 / b95:.1f}")
    return 0 if m95 <= 50 else 1


if __name__ == "__main__":
    sys.exit(main())
