"""``parcours backup create|restore``: a copy of the whole database with the database's own tools
(SQLite's online backup API, PostgreSQL's pg_dump/pg_restore in custom format). See
docs/deploy.md for the schedule and parcours/privacy/backup.py for how each is made."""

from pathlib import Path

from parcours.cli import AreaCommand, BadInput
from parcours.privacy import backup


class Command(AreaCommand):
    help = "Back up the database, or restore it from a backup."

    def add_verbs(self):
        create = self.verb("create", "write a backup of the database to FILE", json=True)
        create.add_argument("file", metavar="FILE", type=Path)
        create.add_argument(
            "--fingerprints", action="store_true", help="add each table's row count and checksum (--json)"
        )
        restore = self.verb("restore", "replace the database's content with the backup FILE", json=True)
        restore.add_argument("file", metavar="FILE", type=Path)
        restore.add_argument("--yes", action="store_true", help="confirm: the current content is lost")

    def verb_create(self, options):
        result = backup.create_backup(options["file"])
        if options["fingerprints"]:
            result["tables"] = backup.fingerprints()
        return result

    def verb_restore(self, options):
        if not options["yes"]:
            raise BadInput("restore replaces every table's content: add --yes to confirm")
        return backup.restore_backup(options["file"])
