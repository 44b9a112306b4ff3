"""The analytics router. In tests the ``replica`` alias mirrors the primary (same database);
a test routes to it by setting ANALYTICS_DATABASE as DATABASE_REPLICA_URL does."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.db import connections, router
from django.test.utils import CaptureQueriesContext

from parcours.accounts.models import User
from parcours.cases.models import Contact, SupportEpisode
from parcours.evaluation.indicators import compute_indicators
from parcours.ops.routers import analytics, analytics_connection
from parcours.people.models import Person
from parcours.profiling.dataset import training_frame
from tests.cases.factories import EpisodeFactory


@pytest.fixture
def with_replica(settings):
    settings.ANALYTICS_DATABASE = "replica"


def test_reads_stay_on_the_primary_outside_analytics(with_replica):
    assert SupportEpisode.objects.all().db == "default"
    assert Person.objects.all().db == "default"


def test_analytical_reads_go_to_the_replica(with_replica):
    with analytics() as alias:
        assert alias == "replica"
        assert SupportEpisode.objects.all().db == "replica"
        assert Contact.objects.filter(pk=1).db == "replica"
        assert analytics_connection().alias == "replica"
    assert SupportEpisode.objects.all().db == "default"
    assert analytics_connection().alias == "default"


def test_writes_stay_on_the_primary_even_inside_analytics(with_replica):
    with analytics():
        assert router.db_for_write(SupportEpisode) == "default"
        assert router.db_for_write(Person) == "default"


def test_sessions_accounts_and_the_task_queue_stay_on_the_primary_inside_analytics(with_replica):
    from django_tasks_db.models import DBTaskResult

    with analytics():
        assert Session.objects.all().db == "default"
        assert User.objects.all().db == "default"
        assert DBTaskResult.objects.all().db == "default"


def test_without_a_replica_analytics_reads_the_primary(settings):
    assert settings.ANALYTICS_DATABASE == "default"
    with analytics() as alias:
        assert alias == "default"
        assert SupportEpisode.objects.all().db == "default"


def test_analytics_decorates_a_function():
    @analytics()
    def inside():
        from parcours.ops.routers import in_analytics

        return in_analytics()

    assert inside() is True


def test_migrations_run_on_the_primary_only():
    assert router.allow_migrate("default", "cases") is True
    assert router.allow_migrate("replica", "cases") is False


def _tables(queries) -> str:
    return " ".join(q["sql"] for q in queries)


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_indicator_computation_reads_the_episodes_on_the_replica_and_writes_on_the_primary(with_replica):
    EpisodeFactory(started_on=datetime.date(2025, 1, 6))
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        stored = compute_indicators(period="2025", as_of=datetime.date(2025, 6, 30))
    assert sum(stored.values()) > 0
    replica_sql, primary_sql = _tables(on_replica.captured_queries), _tables(on_primary.captured_queries)
    assert "cases_supportepisode" in replica_sql
    assert "cases_supportepisode" not in primary_sql
    assert "INSERT" not in replica_sql
    assert 'INSERT INTO "evaluation_indicatorvalue"' in primary_sql


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_profiling_training_set_is_read_on_the_replica(with_replica):
    EpisodeFactory(started_on=datetime.date(2023, 1, 6))
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        frame = training_frame(today=datetime.date(2025, 6, 30))
    assert len(frame) == 1
    assert "cases_supportepisode" in _tables(on_replica.captured_queries)
    assert "cases_supportepisode" not in _tables(on_primary.captured_queries)


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_public_transparency_page_reads_the_replica(client, with_replica):
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        response = client.get("/transparence/")
    assert response.status_code == 200
    assert "evaluation_indicator" in _tables(on_replica.captured_queries)


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_territorial_coverage_is_read_on_the_replica(with_replica):
    from parcours.catalogue.reports import coverage_for
    from tests.organisations.factories import TerritoryFactory

    commune = TerritoryFactory(insee_code="59350", name="Lille")
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        coverage_for([commune])
    assert "catalogue_partnershipconvention" in _tables(on_replica.captured_queries)
    assert "catalogue_" not in _tables(on_primary.captured_queries)
