"""Health and readiness endpoints, in JSON, reachable without login, free of personal data.

- ``/health/``: the primary database answers and the task queue is readable. 503 if either fails;
  ``degraded`` (still 200) when the oldest waiting task waits longer than ``TASKS_MAX_WAIT_SECONDS``
  (no worker running, or too few): the application still serves pages, the workers need a look.
- ``/health/ready/``: the same, plus every migration applied and the replica (when configured)
  answering, with its replay lag. A load balancer sends traffic to an app server only when ready:
  during an upgrade the new code waits for its migrations.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

OK, DEGRADED, ERROR = "ok", "degraded", "error"


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        result = check()
    except DatabaseError as exc:
        # The class only: a driver's message may carry connection details.
        result = {"status": ERROR, "error": type(exc).__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_database(alias: str = "default") -> dict:
    def run():
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"status": OK}

    return _timed(run)


def check_tasks() -> dict:
    """The queue's backlog: how many tasks wait, and for how long the oldest has waited."""
    name = type(task_backends[DEFAULT_TASK_BACKEND_ALIAS]).__name__

    def run():
        from django_tasks_db.models import DBTaskResult

        if name != "DatabaseBackend":
            return {"status": OK, "backend": name}
        ready = DBTaskResult.objects.ready()
        oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
        waiting = round((timezone.now() - oldest).total_seconds()) if oldest else 0
        late = waiting > settings.TASKS_MAX_WAIT_SECONDS
        return {
            "status": DEGRADED if late else OK,
            "backend": name,
            "waiting": ready.count(),
            "oldest_waiting_seconds": waiting,
        }

    return _timed(run)


_migrated = False


def check_migrations() -> dict:
    """Every migration of the code is applied on the primary (remembered once true)."""

    def run():
        # A per-process cache: migrations are not unapplied under a running server.
        global _migrated
        if not _migrated:
            executor = MigrationExecutor(connections["default"])
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
            if pending:
                return {"status": ERROR, "pending": len(pending)}
            _migrated = True
        return {"status": OK}

    return _timed(run)


def check_replica() -> dict:
    def run():
        connection = connections["replica"]
        lag = None
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # No lag when everything received is replayed (an idle primary sends nothing, and
                # the last replayed commit can be old); else the age of the last replayed commit.
                cursor.execute(
                    "SELECT pg_is_in_recovery(), CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() "
                    "THEN 0 ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END"
                )
                in_recovery, lag = cursor.fetchone()
                if not in_recovery:
                    return {"status": ERROR, "error": "not a replica"}
            else:
                cursor.execute("SELECT 1")
        return {"status": OK, "lag_seconds": None if lag is None else round(float(lag), 1)}

    return _timed(run)


def _answer(checks: dict) -> JsonResponse:
    statuses = {check["status"] for check in checks.values()}
    status = ERROR if ERROR in statuses else DEGRADED if DEGRADED in statuses else OK
    return JsonResponse({"status": status, "checks": checks}, status=503 if status == ERROR else 200)


@login_not_required
@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    return _answer({"database": check_database(), "tasks": check_tasks()})


@login_not_required
@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    checks = {"database": check_database(), "tasks": check_tasks(), "migrations": check_migrations()}
    if settings.ANALYTICS_DATABASE != "default":
        checks["replica"] = check_replica()
    return _answer(checks)
