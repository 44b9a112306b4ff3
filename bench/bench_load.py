"""Load test: `parcours serve` on PostgreSQL under Locust (headless, 127.0.0.1 only).

1. Creates the database if needed and loads the demo territory when it is empty
   (``parcours demo --people N``); collects the static files once.
2. Picks counselors who are referents of open episodes (their people, episodes and name prefixes)
   and creates one API token, into an accounts file for bench/locustfile.py.
3. Starts ``parcours serve --workers W`` (production settings, persistent connections).
4. Phase "single user": one counselor, no think time (the page targets are single-user figures).
   Phase "mixed": counselors and API clients together (``--users``).
   Each phase is bounded by --run-time and --max-requests.
5. Prints requests/s, p50/p95/p99 and errors per endpoint, and each p50/p95 as a ratio to the bare
   request of the same phase (/health/: one SELECT 1 through Django, JSON, served the same way).

Usage: python bench/bench_load.py [--people 100000] [--users 10] [--run-time 60] [--quick]
  DATABASE_URL (default postgres://postgres@127.0.0.1:5432/parcours_bench_load)
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from benchdb import ensure_database  # noqa: E402

PREPARE = """
import json, sys, django
django.setup()
from parcours.accounts.models import ApiToken
from parcours.cases.models import SupportEpisode
from parcours.demo import reference as ref
n = int(sys.argv[1])
referents = list(
    SupportEpisode.objects.filter(ended_on__isnull=True, referent__isnull=False)
    .order_by("?").values_list("referent", flat=True).distinct()[: n * 4]
)[:n]
counselors = []
for referent in referents:
    rows = list(
        SupportEpisode.objects.filter(referent_id=referent, ended_on__isnull=True)
        .values_list("referent__username", "public_id", "person__public_id", "person__last_name")[:50]
    )
    counselors.append({
        "username": rows[0][0],
        "episodes": [str(r[1]) for r in rows],
        "people": [str(r[2]) for r in rows],
        "prefixes": sorted({r[3][:2] for r in rows if r[3]}),
    })
# Demo counselors other than the fixed demo logins have no usable password: give the chosen ones
# the demo password (this database is the benchmark's own).
from django.contrib.auth.hashers import make_password
from parcours.accounts.models import User
User.objects.filter(pk__in=referents).update(password=make_password(ref.DEMO_PASSWORD))
first = counselors[0]
token_user = SupportEpisode.objects.filter(public_id=first["episodes"][0]).values_list("referent", flat=True).get()
from parcours.accounts.models import User
_, key = ApiToken.generate(User.objects.get(pk=token_user), "bench_load")
print(json.dumps({"password": ref.DEMO_PASSWORD, "counselors": counselors, "api_token": key, "api_account": first}))
"""

COLUMNS = ("Requests/s", "50%", "95%", "99%")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, check=True, **kwargs
    )


def wait_until_up(url: str, server: subprocess.Popen, seconds: int = 180) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 - loopback
                return
        except OSError:
            if server.poll() is not None:
                raise RuntimeError("parcours serve stopped") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"parcours serve did not answer within {seconds} s") from None
            time.sleep(1)


def run_phase(
    name: str,
    host: str,
    env: dict,
    users: int,
    run_time: int,
    max_requests: int,
    classes: list[str],
    out: Path,
) -> list[dict]:
    prefix = out / name.replace(" ", "_")
    command = [
        sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless", "--only-summary",
        "--host", host, "-u", str(users), "-r", str(max(1, users)), "--run-time", f"{run_time}s",
        "--csv", str(prefix), "--stop-timeout", "10", "--loglevel", "WARNING", *classes,
    ]  # fmt: skip
    subprocess.run(
        command, env={**env, "LOAD_MAX_REQUESTS": str(max_requests)}, check=False, stdout=subprocess.DEVNULL
    )
    with open(f"{prefix}_stats.csv", newline="") as f:
        return list(csv.DictReader(f))


def report(name: str, rows: list[dict]) -> None:
    bare = next((r for r in rows if r["Name"] == "bare (health)"), None)
    base50, base95 = (float(bare["50%"]), float(bare["95%"])) if bare else (None, None)
    print(f"\n{name}")
    print(
        f"{'endpoint':<20} {'requests':>8} {'errors':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'p50/bare':>8} {'p95/bare':>8}"
    )
    for r in rows:
        label = "all" if r["Name"] == "Aggregated" else r["Name"]
        ratios = (
            f"{float(r['50%']) / base50:>8.1f} {float(r['95%']) / base95:>8.1f}"
            if base50 and label != "all"
            else f"{'':>8} {'':>8}"
        )
        print(
            f"{label:<20} {int(r['Request Count']):>8} {int(r['Failure Count']):>6} {float(r['Requests/s']):>7.1f} "
            f"{float(r['50%']):>7.0f} {float(r['95%']):>7.0f} {float(r['99%']):>7.0f} {ratios}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=10, help="simulated users of the mixed phase")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: 2 x CPU + 1)")
    parser.add_argument("--run-time", type=int, default=60, help="seconds per phase")
    parser.add_argument("--max-requests", type=int, default=20_000, help="requests per phase at most")
    parser.add_argument("--quick", action="store_true", help="2,000 people, 20 s per phase")
    args = parser.parse_args()
    if args.quick:
        args.people, args.run_time = 2_000, 20
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/parcours_bench_load")
    if not url.startswith("postgres"):
        print("bench_load needs PostgreSQL (DATABASE_URL=postgres://...)", file=sys.stderr)
        return 2
    ensure_database(url)
    static = ROOT / "var" / "bench-static"
    env = {
        **os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-only", "SECURE_SSL": "false",
        "DB_CONN_MAX_AGE": "60", "TASKS_IMMEDIATE": "true", "STATIC_ROOT": str(static), "AXES_ENABLED": "false",
        "DB_PARALLEL_WORKERS_PER_GATHER": os.environ.get("DB_PARALLEL_WORKERS_PER_GATHER", "0"),
    }  # fmt: skip
    env.pop("DATABASE_REPLICA_URL", None)
    manage(env, "migrate", "--noinput", "-v", "0")
    started = time.perf_counter()
    manage({**env, "DEBUG": "true"}, "demo", "--people", str(args.people), "--if-empty", "--noinput")
    print(
        f"database ready in {time.perf_counter() - started:.0f} s ({args.people} people asked)",
        file=sys.stderr,
    )
    if not (static / "staticfiles.json").exists():
        manage(env, "collectstatic", "--noinput", "-v", "0")
    accounts = subprocess.run(
        [sys.executable, "-c", PREPARE, "20"], env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    out = Path(tempfile.mkdtemp(prefix="parcours-load-"))
    (out / "accounts.json").write_text(accounts)
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    serve = [sys.executable, "-m", "parcours", "serve", "--bind", f"127.0.0.1:{port}"]
    if args.workers:
        serve += ["--workers", str(args.workers)]
    server = subprocess.Popen(serve, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"{host}/health/", server)
        locust_env = {**os.environ, "LOAD_ACCOUNTS": str(out / "accounts.json")}
        load = os.getloadavg()[0]
        single = run_phase(
            "single user", host, locust_env, 1, args.run_time, args.max_requests, ["Counselor"], out
        )
        report(
            f"single counselor, no think time, {args.run_time} s (load average before: {load:.1f})", single
        )
        load = os.getloadavg()[0]
        mixed = run_phase("mixed", host, locust_env, args.users, args.run_time, args.max_requests, [], out)
        report(
            f"mixed: {args.users} users (counselors 8 : API clients 2), no think time, {args.run_time} s (load average before: {load:.1f})",
            mixed,
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
