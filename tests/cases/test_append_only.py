"""CaseEvent and AccessLog are append-only (issue 14, part 5): the ORM refuses every update and
delete on every database; on PostgreSQL the database itself refuses them too (pgtrigger), even in
raw SQL. The one escape hatch, for the retention policy, is `rewriting_audit`."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models.deletion import ProtectedError

from parcours.cases import actions
from parcours.cases.append_only import AppendOnlyError, rewriting_audit
from parcours.cases.models import AccessLog, CaseEvent

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="triggers exist on PostgreSQL only"
)


@pytest.fixture
def audit_rows(episode, counselor):
    actions.record_contact(episode, by=counselor, channel="phone", summary="Appel")
    event = CaseEvent.objects.filter(episode=episode).latest("pk")
    log = AccessLog.objects.create(person=episode.person, user=counselor, route="test:read")
    return event, log


@pytest.mark.parametrize("which", [0, 1], ids=["case_event", "access_log"])
def test_orm_refuses_to_save_an_existing_audit_row(audit_rows, which):
    row = audit_rows[which]
    model = type(row)
    if model is CaseEvent:
        row.kind = CaseEvent.Kind.OTHER
    else:
        row.route = "rewritten"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        model.objects.filter(pk=row.pk).update(at=row.at)
    with pytest.raises(AppendOnlyError):
        model.objects.bulk_update([row], ["at"])
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        model.objects.filter(pk=row.pk).delete()
    with pytest.raises(AppendOnlyError):
        model.objects.all().delete()
    fresh = model.objects.get(pk=row.pk)
    assert (fresh.kind if model is CaseEvent else fresh.route) != "rewritten"
    assert model.objects.filter(pk=row.pk).exists()


def test_new_audit_rows_are_still_written(episode, counselor):
    before = CaseEvent.objects.count(), AccessLog.objects.count()
    actions.record_contact(episode, by=counselor, channel="phone", summary="Appel")
    AccessLog.objects.bulk_create([AccessLog(person=episode.person, user=counselor, route="x")])
    assert (CaseEvent.objects.count(), AccessLog.objects.count()) == (before[0] + 1, before[1] + 1)


def test_deleting_a_person_episode_or_user_with_an_audit_trail_is_refused(audit_rows, episode, counselor):
    # A cascade would delete audit rows behind the ORM guard: the foreign keys are PROTECT.
    for obj in (episode.person, episode, counselor):
        with pytest.raises(ProtectedError), transaction.atomic():
            obj.delete()
    assert CaseEvent.objects.filter(pk=audit_rows[0].pk).exists()


def test_the_escape_hatch_lets_the_retention_policy_through(audit_rows):
    event, log = audit_rows
    with rewriting_audit("test:retention"):
        AccessLog.objects.filter(pk=log.pk).delete()
        CaseEvent.objects.filter(pk=event.pk).update(data={})
    assert not AccessLog.objects.filter(pk=log.pk).exists()
    assert CaseEvent.objects.get(pk=event.pk).data == {}
    with pytest.raises(AppendOnlyError):  # and only inside the block
        CaseEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(ValueError), rewriting_audit(""):
        pass


@on_postgresql
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE cases_caseevent SET kind = 'other' WHERE id = %s",
        "DELETE FROM cases_caseevent WHERE id = %s",
        "UPDATE cases_accesslog SET route = 'rewritten' WHERE id = %s",
        "DELETE FROM cases_accesslog WHERE id = %s",
    ],
)
def test_postgresql_refuses_raw_updates_and_deletes(audit_rows, sql):
    event, log = audit_rows
    pk = event.pk if "caseevent" in sql else log.pk
    with (
        pytest.raises(DatabaseError, match="Cannot update or delete rows"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [pk])
    assert CaseEvent.objects.get(pk=event.pk).kind == event.kind
    assert AccessLog.objects.get(pk=log.pk).route == "test:read"


@on_postgresql
def test_postgresql_escape_hatch_skips_the_trigger_for_raw_sql_too(audit_rows):
    _event, log = audit_rows
    with rewriting_audit("test:retention"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM cases_accesslog WHERE id = %s", [log.pk])
    assert not AccessLog.objects.filter(pk=log.pk).exists()
