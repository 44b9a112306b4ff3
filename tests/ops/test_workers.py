"""The database task queue with two worker processes on PostgreSQL: every task runs exactly once.

django-tasks-db claims a task with SELECT ... FOR UPDATE SKIP LOCKED, so two workers never take
the same row. SQLite has no row locks (its workers serialise on the database lock): PostgreSQL only.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from tests.ops.worker_tasks import record_run

ROOT = Path(__file__).resolve().parents[2]
TASKS = 30


@pytest.mark.django_db(transaction=True)
def test_two_workers_run_each_task_exactly_once(settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("row locks (SKIP LOCKED) need PostgreSQL")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    ids = {str(record_run.enqueue(number).id) for number in range(TASKS)}
    assert DBTaskResult.objects.ready().count() == TASKS

    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    log = tmp_path / "runs.txt"
    log.touch()
    base_env = {
        **os.environ,
        "PARCOURS_TESTING": "false",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-only",
        "FIELD_ENCRYPTION_KEYS": "ZmllbGQtZW5jcnlwdGlvbi1rZXktZm9yLXRlc3RzLTE=",  # a valid Fernet key: required when DEBUG is off
        "PARCOURS_TASK_LOG": str(log),
    }
    workers = [
        subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "db_worker", "--batch", "--interval", "0.1", "--worker-id", name],
            cwd=ROOT,
            env={**base_env, "PARCOURS_WORKER_NAME": name},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("w1", "w2")
    ]
    try:
        for worker in workers:
            _, err = worker.communicate(timeout=240)
            assert worker.returncode == 0, err
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()

    runs = [line.split() for line in log.read_text().splitlines()]
    assert sorted(int(number) for number, _ in runs) == list(range(TASKS))  # each once, none lost
    assert {name for _, name in runs} == {"w1", "w2"}  # both worked
    results = DBTaskResult.objects.filter(id__in=ids)
    assert results.successful().count() == TASKS
    assert all(len(result.worker_ids) == 1 for result in results)
