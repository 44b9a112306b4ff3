"""Benchmark: the counselor's portfolio and person pages on a 1-million-people territory.

Run from the repository root (``make bench``):

    .venv/bin/python bench/bench_foundation.py [--people 1000000]
        [--database-url postgres://postgres@127.0.0.1:5432/parcours_bench] [--reuse]

It migrates the database, loads the demo territory (``parcours demo``) if the database holds
fewer people than asked (``--reuse`` measures whatever is there instead), ANALYZEs it, then
measures, for the demo counselor ``conseillere``, the server time (median and p95 over
``--requests`` calls after ``--warmup`` calls) and the number of SQL queries of:

- a bare Django view doing one ``SELECT 1`` through the ORM (the baseline),
- the portfolio page (``cases:portfolio``),
- the person page (``people:detail``) of a person in her portfolio.

Every view is called the same way: the function resolved from the URL, with a RequestFactory
request that went through the session, messages and htmx middleware, the user set and the
response rendered, so the ratio to the baseline measures the page's own work (queries,
templates), not the test client. As under ``parcours serve``, the objects of the start-up are frozen
out of the garbage collector first. Pages whose URL does not exist yet are reported as such.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/parcours_bench"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--reuse", action="store_true", help="never (re)load the demo; measure what is there")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    return parser.parse_args()


def setup_django(database_url: str) -> None:
    if database_url.startswith("postgres"):
        from benchdb import ensure_database

        ensure_database(database_url)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    os.environ.setdefault("TASKS_IMMEDIATE", "true")
    import django

    django.setup()
    from django.conf import settings

    # Plain static storage: the manifest of hashed names only exists after collectstatic, and
    # static URLs are not what this benchmark measures.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def prepare_database(people: int, seed: int, reuse: bool) -> int:
    from django.core.management import call_command
    from django.db import connection

    from parcours.people.models import Person

    call_command("migrate", verbosity=0)
    present = Person.objects.count()
    if present < people and not reuse:
        print(f"loading the demo territory: {people:,} people (found {present:,})", file=sys.stderr)
        began = time.monotonic()
        call_command("demo", people=people, seed=seed, reset=True, interactive=False, verbosity=1)
        print(f"demo loaded in {time.monotonic() - began:.0f} s", file=sys.stderr)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return Person.objects.count()


def build_request(path: str, user):
    from django.contrib.messages.middleware import MessageMiddleware
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.test import RequestFactory
    from django_htmx.middleware import HtmxDetails

    request = RequestFactory().get(path)
    SessionMiddleware(lambda r: None).process_request(request)
    MessageMiddleware(lambda r: None).process_request(request)
    request.htmx = HtmxDetails(request)
    request.user = user
    request.LANGUAGE_CODE = "fr"
    return request


def call_view(view, path: str, user, kwargs: dict) -> int:
    response = view(build_request(path, user), **kwargs)
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}")
    return len(response.content)


def measure(name: str, view, path: str, user, kwargs: dict, requests: int, warmup: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        call_view(view, path, user, kwargs)
    with CaptureQueriesContext(connection) as queries:
        size = call_view(view, path, user, kwargs)
    timings = []
    for _ in range(requests):
        began = time.perf_counter()
        call_view(view, path, user, kwargs)
        timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    return {
        "page": name,
        "median": statistics.median(timings),
        "p95": p95,
        "queries": len(queries),
        "bytes": size,
    }


def bare_view(request):
    """Baseline: the least a Django view on this database does (one SELECT 1 through the ORM)."""
    from django.http import HttpResponse

    from parcours.accounts.models import User

    User.objects.filter(pk=request.user.pk).exists()
    return HttpResponse("ok")


def main() -> int:
    args = parse_args()
    setup_django(args.database_url)
    from django.db import connection
    from django.urls import NoReverseMatch, resolve, reverse
    from django.utils import translation

    from parcours.accounts.models import User
    from parcours.cases.models import SupportEpisode
    from parcours.people.models import Person

    people = prepare_database(args.people, args.seed, args.reuse)
    # As `parcours serve` does before forking its workers (parcours/ops/server.py): the objects of
    # the start-up are frozen out of the garbage collector's full collections.
    from parcours.ops.server import freeze_startup_objects

    freeze_startup_objects()
    translation.activate("fr")
    user = User.objects.get(username="conseillere")
    portfolio = SupportEpisode.objects.open().filter(referent=user)
    episode = portfolio.order_by("next_contact_due", "pk").first()
    print(
        f"database: {connection.vendor} {connection.settings_dict['NAME']} — {people:,} people, "
        f"{SupportEpisode.objects.count():,} episodes; portfolio of {user.username}: {portfolio.count()} open episodes"
    )
    results = [
        measure("bare view (SELECT 1)", bare_view, "/bench/bare/", user, {}, args.requests, args.warmup)
    ]
    pages = [("portfolio (cases:portfolio)", "cases:portfolio", {})]
    if episode is not None:
        person = Person.objects.get(pk=episode.person_id)
        pages.append(("person (people:detail)", "people:detail", {"public_id": person.public_id}))
    missing = []
    for name, url_name, kwargs in pages:
        try:
            path = reverse(url_name, kwargs=kwargs)
        except NoReverseMatch:
            missing.append(url_name)
            continue
        match = resolve(path)
        results.append(measure(name, match.func, path, user, match.kwargs, args.requests, args.warmup))

    base = results[0]["median"]
    print(f"\n{'page':<30} {'median ms':>10} {'p95 ms':>10} {'queries':>8} {'ratio':>8} {'KiB':>8}")
    for r in results:
        print(
            f"{r['page']:<30} {r['median']:>10.2f} {r['p95']:>10.2f} {r['queries']:>8} "
            f"{r['median'] / base:>8.1f} {r['bytes'] / 1024:>8.1f}"
        )
    for url_name in missing:
        print(f"{url_name:<30} {'not available yet (no such URL)':>40}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
