"""Encryption at rest: the sensitive free text and diagnosis answers are stored as Fernet tokens,
read back in clear through the ORM, and `parcours privacy rotate-key` re-encrypts every row so
that the old key can be removed."""

import io
import json

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from parcours.cases import actions as case_actions
from parcours.cases.models import Contact, Section
from parcours.diagnosis.models import Diagnosis
from parcours.obligations import actions as obligations_actions
from parcours.obligations.models import SanctionProcedure
from parcours.ops.encryption import PREFIX, encrypted_fields
from tests.diagnosis.factories import load_shipped_questionnaire

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()


def _raw(model, field: str, pk: int) -> str:
    table = model._meta.db_table
    column = model._meta.get_field(field).column
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE id = %s', [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_the_sensitive_fields_are_the_encrypted_ones():
    found = {f"{m._meta.label}.{f}" for m, fields in encrypted_fields().items() for f in fields}
    assert found == {
        "cases.Contact.summary",
        "diagnosis.Barrier.note",
        "diagnosis.Diagnosis.answers",
        "obligations.SanctionProcedure.breach",
        "obligations.SanctionProcedure.evidence",
        "obligations.SanctionProcedure.override_reason",
        "obligations.SanctionProcedure.observations",
        "obligations.SanctionProcedure.decision_reasons",
    }


def test_a_health_contact_is_stored_encrypted_and_read_in_clear(episode, counselor):
    contact = case_actions.record_contact(
        episode, by=counselor, channel="phone", summary="Suivi psychiatrique en cours", section=Section.HEALTH
    )

    stored = _raw(Contact, "summary", contact.pk)
    assert stored.startswith(PREFIX)
    assert "psychiatrique" not in stored
    assert Contact.objects.get(pk=contact.pk).summary == "Suivi psychiatrique en cours"
    assert list(Contact.objects.filter(pk=contact.pk).values_list("summary", flat=True)) == [
        "Suivi psychiatrique en cours"
    ]


def test_diagnosis_answers_and_sanction_texts_are_encrypted(episode, counselor):
    load_shipped_questionnaire()
    from parcours.diagnosis import actions as diagnosis_actions

    diagnosis = diagnosis_actions.start_diagnosis(episode, by=counselor)
    Diagnosis.objects.filter(pk=diagnosis.pk).update(answers={"health_notes": "Dépression"})
    obligations_actions.agree_obligations(episode, by=counselor, activity_hours_per_week=15)
    procedure = obligations_actions.record_breach(
        episode,
        by=counselor,
        breach="Absence au rendez-vous",
        evidence="Convocation",
        period_start=timezone.localdate(),
    )

    assert "Dépression" not in _raw(Diagnosis, "answers", diagnosis.pk)
    assert Diagnosis.objects.get(pk=diagnosis.pk).answers == {"health_notes": "Dépression"}
    assert "Absence" not in _raw(SanctionProcedure, "breach", procedure.pk)
    assert SanctionProcedure.objects.get(pk=procedure.pk).breach == "Absence au rendez-vous"


def test_rotate_key_then_read_with_only_the_new_key(episode, counselor, settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    contact = case_actions.record_contact(
        episode, by=counselor, channel="phone", summary="Addiction : suivi CSAPA"
    )
    legacy = Contact.objects.create(episode=episode, channel="phone", author=counselor)
    Contact.objects.filter(pk=legacy.pk).update(summary="x")  # encrypted with OLD
    with connection.cursor() as cursor:  # a row written before encryption was switched on
        cursor.execute(
            'UPDATE "cases_contact" SET "summary" = %s WHERE id = %s', ["Texte en clair", legacy.pk]
        )
    before = _raw(Contact, "summary", contact.pk)

    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    out = io.StringIO()
    call_command("privacy", "rotate-key", "--json", stdout=out)

    result = json.loads(out.getvalue())
    assert result["rows"]["cases.Contact"] == Contact.objects.count()
    assert _raw(Contact, "summary", contact.pk) != before
    assert _raw(Contact, "summary", legacy.pk).startswith(PREFIX)
    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    assert Contact.objects.get(pk=contact.pk).summary == "Addiction : suivi CSAPA"
    assert Contact.objects.get(pk=legacy.pk).summary == "Texte en clair"
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    with pytest.raises(ImproperlyConfigured, match="cannot be decrypted"):
        Contact.objects.get(pk=contact.pk)


def test_generate_key_prints_a_fernet_key():
    out = io.StringIO()
    call_command("privacy", "generate-key", stdout=out)
    Fernet(out.getvalue().strip().encode())  # raises on anything but a valid key


def test_production_requires_keys():
    import os
    import subprocess
    import sys

    env = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "PARCOURS_TESTING", "FIELD_ENCRYPTION_KEYS"}
    }
    done = subprocess.run(
        [sys.executable, "-m", "parcours", "check"],
        env={**env, "SECRET_KEY": "x" * 50},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "FIELD_ENCRYPTION_KEYS" in done.stderr


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_the_rows_written_before(episode, counselor):
    from django.db.migrations.executor import MigrationExecutor

    before, after = (
        [("cases", "0005_appointment_booked_by_person")],
        [("cases", "0006_encrypt_sensitive_text")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    old_contact = old_apps.get_model("cases", "Contact")
    pk = old_contact.objects.create(
        episode_id=episode.pk, channel="phone", summary="Sortie de détention", author_id=counselor.pk
    ).pk
    assert _raw(Contact, "summary", pk) == "Sortie de détention"

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert _raw(Contact, "summary", pk).startswith(PREFIX)
    assert Contact.objects.get(pk=pk).summary == "Sortie de détention"
