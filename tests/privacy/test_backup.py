"""parcours backup create|restore round-trips a demo database: every table's row count and content
checksum after the restore equal those at the backup (SQLite here, PostgreSQL when DATABASE_URL
points to one: CI runs the suite on both)."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from parcours.cases.models import Contact
from parcours.people.models import Person
from parcours.privacy import backup


def _run(*args) -> dict:
    out = io.StringIO()
    call_command("backup", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.django_db(transaction=True)
def test_backup_then_restore_gives_back_every_table_exactly(tmp_path):
    call_command("demo", people=12, seed=3, verbosity=0)
    before = backup.fingerprints()
    assert before["people_person"]["rows"] >= 12
    assert before["cases_contact"]["rows"] > 0
    path = tmp_path / ("parcours.dump" if connection.vendor == "postgresql" else "parcours.sqlite3")

    created = _run("create", str(path), "--fingerprints")

    assert created["engine"] == connection.vendor
    assert created["bytes"] == path.stat().st_size > 0
    assert created["tables"] == before
    # the database changes after the backup: a person renamed, contacts deleted, a person added
    Person.objects.filter(pk=Person.objects.order_by("pk").first().pk).update(first_name="Changé")
    deleted, _ = Contact.objects.filter(pk__in=Contact.objects.values("pk")[:5]).delete()
    assert deleted >= 5
    changed = backup.fingerprints()
    assert changed["people_person"] != before["people_person"]
    assert changed["cases_contact"]["rows"] == before["cases_contact"]["rows"] - 5

    restored = _run("restore", str(path), "--yes")

    assert restored == {"engine": connection.vendor, "path": str(path)}
    assert backup.fingerprints() == before


@pytest.mark.django_db
def test_restore_needs_confirmation_and_a_real_backup(tmp_path):
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("bonjour")
    with pytest.raises(CommandError, match="add --yes to confirm") as error:
        _run("restore", str(not_a_backup))
    assert error.value.returncode == 2
    with pytest.raises(CommandError, match="not a") as error:
        _run("restore", str(not_a_backup), "--yes")
    assert error.value.returncode == 2
    with pytest.raises(CommandError, match="no such file"):
        _run("restore", str(tmp_path / "missing"), "--yes")


@pytest.mark.django_db
def test_create_never_overwrites_a_file(tmp_path):
    existing = tmp_path / "backup"
    existing.write_text("earlier backup")
    with pytest.raises(CommandError, match="already exists") as error:
        _run("create", str(existing))
    assert error.value.returncode == 2
    assert existing.read_text() == "earlier backup"
