"""``parcours privacy purge|export|rotate-key|generate-key``: the retention policy, the person's
right of access, and the keys of the encryption at rest.

- purge (daily, from the scheduler): archive the closed files past their delay, anonymise the
  archived ones past theirs, delete the expired access logs (parcours/privacy/actions.py).
  ``--dry-run`` changes nothing and prints what would be done.
- export PERSON: everything Parcours holds about the person (the portal's "download my data"
  builder), as PERSON.json and PERSON.pdf in --output-dir; the read is logged in the person's
  access log under the --by user's name.
- rotate-key: re-encrypt every encrypted column with the first key of FIELD_ENCRYPTION_KEYS (put
  the new key first, run this, then remove the old key); generate-key prints a new key.
"""

import json
import uuid
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from parcours.accounts.models import User
from parcours.cases import access
from parcours.cli import AreaCommand, BadInput
from parcours.ops import encryption
from parcours.people.models import Person
from parcours.portal.export import person_data, person_data_pdf
from parcours.privacy import actions


class Command(AreaCommand):
    help = "Personal data: retention purge, export of a person's data."

    def add_verbs(self):
        purge = self.verb(
            "purge", "apply the retention policy: archive, anonymise, delete old access logs", json=True
        )
        purge.add_argument("--dry-run", action="store_true", help="change nothing; count what would be done")

        export = self.verb("export", "write everything held about PERSON as JSON and PDF", json=True)
        export.add_argument("person", metavar="PERSON", help="the person's public id (UUID)")
        export.add_argument("--by", required=True, help="username of the staff member answering the request")
        export.add_argument(
            "--output-dir", type=Path, default=Path("."), help="where to write (default: here)"
        )

        self.verb(
            "rotate-key",
            "re-encrypt every encrypted column with the first FIELD_ENCRYPTION_KEYS key",
            json=True,
        )
        self.verb("generate-key", "print a new encryption key (for FIELD_ENCRYPTION_KEYS)")

    def verb_rotate_key(self, options):
        rows = {}
        for model, fields in encryption.encrypted_fields().items():
            with transaction.atomic():
                rows[model._meta.label] = encryption.reencrypt(model, fields)
        return {"rows": rows}

    def verb_generate_key(self, options):
        from cryptography.fernet import Fernet

        self.stdout.write(Fernet.generate_key().decode())

    def verb_purge(self, options):
        return actions.purge(dry_run=options["dry_run"])

    def verb_export(self, options):
        try:
            public_id = uuid.UUID(options["person"])
        except ValueError as exc:
            raise BadInput(f"PERSON must be a person's public id (UUID), got {options['person']!r}") from exc
        person = Person.objects.filter(public_id=public_id).first()
        if person is None:
            raise BadInput(f"no person with public id {public_id}")
        by = User.objects.filter(username=options["by"], is_active=True).first()
        if by is None:
            raise BadInput(f"--by: no active user {options['by']!r}")
        directory = options["output_dir"]
        if not directory.is_dir():
            raise BadInput(f"--output-dir: {directory} is not a directory")
        json_path = directory / f"{public_id}.json"
        pdf_path = directory / f"{public_id}.pdf"
        for path in (json_path, pdf_path):
            if path.exists():
                raise BadInput(f"{path}: already exists")
        json_path.write_text(json.dumps(person_data(person), ensure_ascii=False, indent=2, default=str))
        pdf_path.write_bytes(person_data_pdf(person))
        access.log_read(person, user=by, route="privacy export")
        return {"json": str(json_path), "pdf": str(pdf_path)}

    def handle(self, *args, **options):
        try:
            return super().handle(*args, **options)
        except ValidationError as exc:
            raise BadInput(" ".join(exc.messages)) from exc
