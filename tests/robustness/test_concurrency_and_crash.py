"""Contested writes and a crash, on the database the suite runs on (SQLite or PostgreSQL), through
the action functions in a separate process (tests/robustness/writer.py): issue 14, part 11.

- Concurrency: 8 threads x 200 writes on the same episode: contacts (never refused) and intensity
  changes under the optimistic lock. No acknowledged write is lost, nothing appears that was not
  acknowledged, every conflict is reported (ConcurrentEditError) and overwrites nothing: the
  episode's version moved exactly once per accepted change.
- Crash: the writer is killed with SIGKILL in the middle of its writes. Every acknowledged write is
  in the database, at most one unacknowledged write per thread (committed, then killed before its
  acknowledgement) is there too, every contact has its case event (one transaction), and the
  database is consistent (SQLite integrity and foreign-key checks; no orphan rows).
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from parcours.accounts.models import Role
from tests.accounts.factories import member
from tests.cases.factories import EpisodeFactory
from tests.organisations.factories import OrganisationFactory

pytestmark = [pytest.mark.robustness, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
THREADS, WRITES = 8, 200


@pytest.fixture
def target(tmp_path):
    """An episode and its referent, committed, and the environment of a process that reaches the
    same database (SQLite: the in-memory test database copied to a file with the backup API)."""
    organisation = OrganisationFactory(name="Robustesse")
    counselor = member(organisation, Role.COUNSELOR, username="writer")
    episode = EpisodeFactory(organisation=organisation, referent=counselor)
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        path = tmp_path / "robust.sqlite3"
        connection.ensure_connection()
        copy = sqlite3.connect(path)
        connection.connection.backup(copy)
        copy.close()
        url = f"sqlite:///{path}"
    else:
        user = f"{db['USER']}:{db['PASSWORD']}" if db["PASSWORD"] else db["USER"]
        url = f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "PARCOURS_TESTING": "false",
        "DEBUG": "false",
        "SECRET_KEY": "test-only",
        # the key this test process encrypts with: both sides read each other's sensitive text
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
    }
    return episode, counselor, env


def _writer(env, *args) -> list[str]:
    return [sys.executable, "-m", "tests.robustness.writer", *(str(a) for a in args)]


def _check(env, episode) -> dict:
    run = subprocess.run(  # noqa: S603
        _writer(env, "check", episode.pk), cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def _acks(path: Path) -> dict[str, list[str]]:
    acks: dict[str, list[str]] = {"contact": [], "change": [], "conflict": []}
    for line in path.read_text().splitlines():
        kind, tag = line.split(" ")
        acks[kind].append(tag)
    return acks


def test_contested_writes_lose_nothing_and_report_conflicts(target, tmp_path):
    episode, counselor, env = target
    ack = tmp_path / "ack.txt"
    run = subprocess.run(  # noqa: S603
        _writer(env, "contend", episode.pk, counselor.pk, THREADS, WRITES, ack),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    totals = json.loads(run.stdout.strip().splitlines()[-1])
    assert totals["errors"] == []
    acks = _acks(ack)
    assert len(acks["contact"]) + len(acks["change"]) + len(acks["conflict"]) == THREADS * WRITES
    assert len(acks["contact"]) == THREADS * WRITES // 2

    state = _check(env, episode)
    assert state["contact_summaries"] == sorted(acks["contact"])  # none lost, none invented
    assert state["contact_event_ids"] == state["contact_ids"]
    assert state["change_reasons"] == sorted(acks["change"])  # conflicts wrote nothing
    assert state["version"] == episode.version + len(acks["change"])  # no change overwritten
    assert state["intensity"] == state["last_change_to"]
    assert state["integrity"] == ["ok"] and state["foreign_key_violations"] == []
    print(  # the figures for the report (pytest -s)
        f"\n{connection.vendor}: {THREADS * WRITES} writes, {len(acks['contact'])} contacts, "
        f"{len(acks['change'])} changes, {len(acks['conflict'])} conflicts"
    )


def test_kill_9_during_writes_loses_no_acknowledged_write(target, tmp_path):
    episode, counselor, env = target
    ack = tmp_path / "ack.txt"
    ack.touch()
    writer = subprocess.Popen(  # noqa: S603
        _writer(env, "contend", episode.pk, counselor.pk, 4, 100_000, ack),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        while len(ack.read_text().splitlines()) < 400:
            assert writer.poll() is None, writer.stderr.read()[-3000:]
            assert time.monotonic() < deadline, "the writer acknowledged too few writes"
            time.sleep(0.05)
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        if writer.poll() is None:
            writer.kill()
        writer.wait(timeout=60)
        writer.stderr.close()
    assert writer.returncode == -signal.SIGKILL

    acks = _acks(ack)
    state = _check(env, episode)
    stored = set(state["contact_summaries"])
    assert set(acks["contact"]) <= stored  # every acknowledged contact survived
    assert len(stored - set(acks["contact"])) <= 4  # at most one in flight per thread
    assert set(acks["change"]) <= set(state["change_reasons"])
    assert state["contact_event_ids"] == state["contact_ids"]  # contact and event: one transaction
    assert state["version"] == episode.version + len(state["change_reasons"])
    assert state["integrity"] == ["ok"] and state["foreign_key_violations"] == []
    print(f"\n{connection.vendor}: killed after {sum(len(v) for v in acks.values())} acknowledged writes")
