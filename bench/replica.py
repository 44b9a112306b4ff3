"""A real PostgreSQL streaming replica on this machine, and the proof that the router uses it.

Creates a throw-away primary (port 5491) and, with pg_basebackup, a hot standby streaming from it
(port 5492), both under one temporary folder, with every statement logged. Loads the demo
territory on the primary, then computes the indicators, the profiling training set and a
transparency page with DATABASE_URL=primary and DATABASE_REPLICA_URL=replica, opens one person
page, and counts in each server's log the statements that read the episodes table. Stops both
servers and removes the folder at the end (also on failure).

No container: the PostgreSQL binaries of the machine (PG_BIN, default /usr/lib/postgresql/15/bin),
run as the ``postgres`` system user when started as root (initdb refuses root).

Usage: python bench/replica.py [--people 2000] [--keep]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PRIMARY_PORT, REPLICA_PORT = 5491, 5492

# What the child process does with both URLs set: the analytical work, then one case-file read.
WORKLOAD = """
import datetime, django
django.setup()
from django.db import connections
from django.test import Client
from parcours.accounts.models import User
from parcours.evaluation.indicators import compute_indicators
from parcours.people.models import Person
from parcours.profiling.dataset import training_frame
from parcours.ops.health import check_replica
print("replica", check_replica())
stored = compute_indicators(period=str(datetime.date.today().year))
print("indicator values stored on the primary:", sum(stored.values()))
print("training rows read:", len(training_frame()))
client = Client()
print("transparency page:", client.get("/transparence/").status_code)
person = Person.objects.filter(episodes__ended_on__isnull=True).first()
user = person.episodes.first().referent
client.force_login(user)
print("person page:", client.get(f"/personnes/{person.public_id}/").status_code)
"""


def run(cmd: list[str], *, as_postgres: bool = False, **kwargs) -> subprocess.CompletedProcess:
    if as_postgres and os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=True, **kwargs)


def pg_ctl(data: Path, port: int, log: Path, action: str) -> None:
    options = f"-p {port} -k {data.parent} -c listen_addresses=127.0.0.1 -c log_statement=all"
    run(
        [str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", action],
        as_postgres=True,
        stdout=subprocess.DEVNULL,
    )


STATEMENT = re.compile(r"(?:statement|execute [^:]*): (.*)")


def statements(log: Path, since: int) -> list[str]:
    """The statements logged after byte ``since`` of the log."""
    with log.open("rb") as f:
        f.seek(since)
        text = f.read().decode(errors="replace")
    # Simple-protocol statements log as "statement: ...", extended-protocol ones (server-side
    # cursors of .iterator()) as "execute <name>: ...".
    found = (STATEMENT.search(line) for line in text.splitlines())
    return [match.group(1) for match in found if match]


def reads_of(lines: list[str], fragment: str) -> int:
    return sum(
        1
        for line in lines
        if line.lstrip().upper().startswith(("SELECT", "WITH", "DECLARE")) and fragment in line
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument(
        "--keep", action="store_true", help="leave the servers running (and print how to stop)"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="parcours-replica-"))
    os.chmod(folder, 0o777)  # noqa: S103 - the postgres user writes its clusters and sockets here
    primary, replica = folder / "primary", folder / "replica"
    primary_log, replica_log = folder / "primary.log", folder / "replica.log"
    started = []
    try:
        run(
            [str(PG_BIN / "initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust"],
            as_postgres=True,
            stdout=subprocess.DEVNULL,
        )
        pg_ctl(primary, PRIMARY_PORT, primary_log, "start")
        started.append(primary)
        primary_url = f"postgres://postgres@127.0.0.1:{PRIMARY_PORT}/parcours"
        replica_url = f"postgres://postgres@127.0.0.1:{REPLICA_PORT}/parcours"
        run(
            [
                str(PG_BIN / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(PRIMARY_PORT),
                "-U",
                "postgres",
                "parcours",
            ]
        )
        # DEBUG: the workload renders pages without collectstatic.
        env = {**os.environ, "DATABASE_URL": primary_url, "DEBUG": "true"}
        env.pop("DATABASE_REPLICA_URL", None)
        print(f"primary on {PRIMARY_PORT}: migrate and load the demo ({args.people} people)", flush=True)
        t0 = time.perf_counter()
        manage = [sys.executable, str(ROOT / "manage.py")]
        run([*manage, "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT)
        run(
            [*manage, "demo", "--people", str(args.people), "--noinput"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        print(f"  {time.perf_counter() - t0:.0f} s", flush=True)
        print(f"replica on {REPLICA_PORT}: pg_basebackup -R (streaming, hot standby)", flush=True)
        run(
            [
                str(PG_BIN / "pg_basebackup"),
                "-h",
                "127.0.0.1",
                "-p",
                str(PRIMARY_PORT),
                "-U",
                "postgres",
                "-D",
                str(replica),
                "-R",
                "--checkpoint=fast",
                "-X",
                "stream",
            ],
            as_postgres=True,
        )
        pg_ctl(replica, REPLICA_PORT, replica_log, "start")
        started.append(replica)
        # Count only what the workload does: the logs from here on.
        primary_from, replica_from = primary_log.stat().st_size, replica_log.stat().st_size
        print("workload with DATABASE_REPLICA_URL set:", flush=True)
        workload_env = {
            **env,
            "DATABASE_REPLICA_URL": replica_url,
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        run([sys.executable, "-c", WORKLOAD], env=workload_env, cwd=ROOT)
        time.sleep(1)  # the servers flush their logs
        on_primary, on_replica = statements(primary_log, primary_from), statements(replica_log, replica_from)
        print(f"{'statements':<58} {'replica':>8} {'primary':>8}")
        rows = [
            ("all statements", lambda lines: len(lines)),
            ("reads of cases_supportepisode", lambda lines: reads_of(lines, "cases_supportepisode")),
            (
                "indicator aggregates (GROUP BY e.organisation_id)",
                lambda lines: reads_of(lines, "GROUP BY e.organisation_id"),
            ),
            ("training set (prior episodes subquery)", lambda lines: reads_of(lines, "prior_episodes")),
            (
                "writes (INSERT/UPDATE/DELETE)",
                lambda lines: sum(
                    1 for line in lines if line.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
                ),
            ),
            (
                "access log of the person page (INSERT INTO cases_accesslog)",
                lambda lines: sum(1 for line in lines if 'INSERT INTO "cases_accesslog"' in line),
            ),
        ]
        for label, count in rows:
            print(f"{label:<58} {count(on_replica):>8} {count(on_primary):>8}")
        analytic = reads_of(on_replica, "GROUP BY e.organisation_id")
        ok = analytic > 0 and reads_of(on_primary, "GROUP BY e.organisation_id") == 0
        print("router: analytical reads went to the replica" if ok else "router: FAILED", flush=True)
        if args.keep:
            print(f"kept in {folder}; stop with: pg_ctl -D {replica} stop; pg_ctl -D {primary} stop")
            started.clear()
        return 0 if ok else 1
    finally:
        for data in reversed(started):
            pg_ctl(data, 0, folder / "stop.log", "stop")
        if started or not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
