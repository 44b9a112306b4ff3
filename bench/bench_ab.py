"""A/B of two checkouts over HTTP on the same database: the same pages, requests alternated.

On a machine whose speed drifts between runs, the only fair before/after is one where both sides
share the noise. This starts `parcours serve --workers 1` from each checkout against
DATABASE_URL (a loaded benchmark database, e.g. bench_foundation.py's), logs the demo counselor
in once (the session is in the shared database, both servers accept it), then alternates the two
servers request by request and prints median, p95 and p99 for each page and side.

    git worktree add /tmp/before <commit>        # the code to compare against
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/parcours_bench FIELD_ENCRYPTION_KEYS=... \\
        python bench/bench_ab.py --before /tmp/before --after . -n 200 /accompagnements/

Loopback only; the database must be the benchmark's own (nothing is written but sessions and
access logs). Each checkout needs its .venv (a symlink to this one is enough).
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urljoin

import requests

ROOT = Path(__file__).resolve().parent.parent
SERVER_ENV = {
    "SECRET_KEY": "bench-only",
    "SECURE_SSL": "false",
    "DB_CONN_MAX_AGE": "60",
    "DB_PARALLEL_WORKERS_PER_GATHER": "0",
    "TASKS_IMMEDIATE": "true",
    "STATIC_ROOT": str(ROOT / "var" / "bench-static"),
    "AXES_ENABLED": "false",
    "LOG_LEVEL": "WARNING",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(checkout: Path, port: int) -> subprocess.Popen:
    python = checkout / ".venv" / "bin" / "python"
    command = [str(python), "-m", "parcours", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    env = {**os.environ, **SERVER_ENV}
    return subprocess.Popen(
        command, cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def wait_until_up(base: str, process: subprocess.Popen) -> None:
    for _ in range(240):
        if process.poll() is not None:
            raise SystemExit(f"the server of {base} stopped (exit {process.returncode})")
        try:
            if requests.get(urljoin(base, "/health/"), timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{base} did not answer /health/ within 2 minutes")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="checkout of the code to compare against")
    parser.add_argument(
        "--after", type=Path, default=ROOT, help="checkout of the new code (default: this one)"
    )
    parser.add_argument("-n", type=int, default=100, help="requests per page and side")
    parser.add_argument("--username", default="conseillere")
    parser.add_argument("--password", default="parcours-demo")
    parser.add_argument("paths", nargs="+", help="pages to request, e.g. /accompagnements/")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("bench_ab needs DATABASE_URL=postgres://... (a loaded benchmark database)", file=sys.stderr)
        return 2
    sides = {"before": args.before.resolve(), "after": args.after.resolve()}
    bases = {name: f"http://127.0.0.1:{free_port()}" for name in sides}
    servers = {name: start(checkout, int(bases[name].rsplit(":", 1)[1])) for name, checkout in sides.items()}
    try:
        for name, base in bases.items():
            wait_until_up(base, servers[name])
        session = requests.Session()
        login = urljoin(bases["after"], "/comptes/connexion/")
        session.get(login)
        answer = session.post(
            login,
            {
                "username": args.username,
                "password": args.password,
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            allow_redirects=False,
        )
        if answer.status_code != 302:
            print(f"login of {args.username} failed: {answer.status_code}", file=sys.stderr)
            return 2
        print(f"{'page':40} {'side':7} {'median':>8} {'p95':>8} {'p99':>8}  (ms, n={args.n})")
        for path in args.paths:
            times: dict[str, list[float]] = {name: [] for name in sides}
            for base in bases.values():
                for _ in range(5):  # warm-up: templates, connection
                    session.get(urljoin(base, path)).raise_for_status()
            for i in range(args.n):
                order = list(bases.items()) if i % 2 == 0 else list(bases.items())[::-1]
                for name, base in order:
                    started = time.perf_counter()
                    response = session.get(urljoin(base, path))
                    times[name].append((time.perf_counter() - started) * 1000)
                    if response.status_code != 200:
                        print(f"{name} {path}: status {response.status_code}", file=sys.stderr)
                        return 1
            for name, values in times.items():
                print(
                    f"{path:40} {name:7} {percentile(values, 0.5):8.1f} {percentile(values, 0.95):8.1f}"
                    f" {percentile(values, 0.99):8.1f}"
                )
    finally:
        for server in servers.values():
            server.send_signal(signal.SIGTERM)
        for server in servers.values():
            server.wait(timeout=60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
