import datetime
import uuid

import pytest
from django.db import OperationalError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from parcours.ops import health

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def waiting_task(minutes_ago: int) -> DBTaskResult:
    result = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="parcours.evaluation.tasks.compute_indicators_task",
        backend_name="default",
        run_after=timezone.now() - datetime.timedelta(minutes=minutes_ago),
    )
    DBTaskResult.objects.filter(pk=result.pk).update(
        enqueued_at=timezone.now() - datetime.timedelta(minutes=minutes_ago)
    )
    return result


@pytest.mark.django_db
def test_health_answers_ok_in_json_without_login(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "tasks"}
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["tasks"] == {
        "status": "ok",
        "backend": "ImmediateBackend",
        "ms": body["checks"]["tasks"]["ms"],
    }
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_health_counts_waiting_tasks_of_the_database_queue(client, settings):
    settings.TASKS = DB_TASKS
    waiting_task(minutes_ago=2)
    waiting_task(minutes_ago=1)
    tasks = client.get("/health/").json()["checks"]["tasks"]
    assert tasks["status"] == "ok"
    assert tasks["backend"] == "DatabaseBackend"
    assert tasks["waiting"] == 2
    assert 119 <= tasks["oldest_waiting_seconds"] <= 125


@pytest.mark.django_db
def test_health_is_degraded_but_up_when_a_task_waits_too_long(client, settings):
    settings.TASKS = DB_TASKS
    settings.TASKS_MAX_WAIT_SECONDS = 600
    waiting_task(minutes_ago=11)
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["tasks"]["status"] == "degraded"


@pytest.mark.django_db
def test_health_answers_503_when_the_database_fails(client, monkeypatch):
    class Broken:
        def cursor(self):
            raise OperationalError("connection to server at 10.0.0.5 failed: password authentication")

    class Connections(dict):
        def __missing__(self, alias):
            return Broken()

    monkeypatch.setattr(health, "connections", Connections())
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"] == {
        "status": "error",
        "error": "OperationalError",
        "ms": body["checks"]["database"]["ms"],
    }
    # The driver's message (host, user) never leaves the server.
    assert b"10.0.0.5" not in response.content


@pytest.mark.django_db
def test_health_only_answers_get(client):
    assert client.post("/health/").status_code == 405


@pytest.mark.django_db
def test_health_is_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/health/").status_code == 200
    assert client.get("/health/ready/").status_code == 200
    assert client.get("/comptes/connexion/").status_code == 301


@pytest.mark.django_db
def test_ready_checks_migrations(client, monkeypatch):
    monkeypatch.setattr(health, "_migrated", False)
    response = client.get("/health/ready/")
    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"database", "tasks", "migrations"}
    assert response.json()["checks"]["migrations"]["status"] == "ok"


@pytest.mark.django_db
def test_ready_answers_503_while_migrations_are_pending(client, monkeypatch):
    monkeypatch.setattr(health, "_migrated", False)
    monkeypatch.setattr(
        health.MigrationExecutor,
        "migration_plan",
        lambda self, targets: [("cases", "9999_next"), ("people", "9999")],
    )
    response = client.get("/health/ready/")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"]["status"] == "error"
    assert response.json()["checks"]["migrations"]["pending"] == 2


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_ready_checks_the_replica_when_there_is_one(client, settings):
    settings.ANALYTICS_DATABASE = "replica"
    checks = client.get("/health/ready/").json()["checks"]
    assert set(checks) == {"database", "tasks", "migrations", "replica"}
    # In tests the replica alias mirrors the primary: on PostgreSQL it is not in recovery.
    from django.db import connection

    expected = "error" if connection.vendor == "postgresql" else "ok"
    assert checks["replica"]["status"] == expected


@pytest.mark.django_db
def test_health_response_carries_the_request_id(client):
    request_id = str(uuid.uuid4())
    response = client.get("/health/", headers={"X-Request-ID": request_id})
    assert response["X-Request-ID"] == request_id
