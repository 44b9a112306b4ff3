"""``parcours diagnosis load-questionnaires|load-orientation-rules``.

- load-questionnaires: load every questionnaire definition (JSON) of --dir (default: the files
  shipped in parcours/diagnosis/questionnaires/). Idempotent; a changed file under an existing
  version number is refused (exit 2): publish it as a new version.
- load-orientation-rules: fill the orientation rules table from --file (default: the shipped
  parcours/diagnosis/orientation_rules.json) when it is empty; administrators then edit it in the
  admin. --replace deletes the existing rules first.
"""

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from parcours.diagnosis.loader import QUESTIONNAIRE_DIR, load_questionnaires
from parcours.diagnosis.models import OrientationRule
from parcours.diagnosis.questionnaire import QuestionnaireError

EXIT_BAD_INPUT = 2
RULES_FILE = Path(__file__).resolve().parents[2] / "orientation_rules.json"
RULE_FIELDS = {f.name for f in OrientationRule._meta.get_fields()} - {"id", "updated_at"}


class Command(BaseCommand):
    help = "Diagnosis data: load questionnaire versions and the default orientation rules."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        questionnaires = sub.add_parser("load-questionnaires", help="load the questionnaire JSON files")
        questionnaires.add_argument("--dir", type=Path, default=QUESTIONNAIRE_DIR)
        questionnaires.add_argument("--json", action="store_true", help="print one JSON document")
        rules = sub.add_parser("load-orientation-rules", help="fill the orientation rules table")
        rules.add_argument("--file", type=Path, default=RULES_FILE)
        rules.add_argument("--replace", action="store_true", help="delete the existing rules first")
        rules.add_argument("--json", action="store_true", help="print one JSON document")

    def handle(self, *args, **options):
        try:
            if options["action"] == "load-questionnaires":
                result = load_questionnaires(options["dir"]).as_dict()
            else:
                result = self.load_rules(options["file"], replace=options["replace"])
        except (QuestionnaireError, ValidationError, OSError, ValueError) as exc:
            message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            raise CommandError(message, returncode=EXIT_BAD_INPUT) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            for key, value in result.items():
                self.stdout.write(
                    f"{key}: {', '.join(map(str, value)) if isinstance(value, list) else value}"
                )

    @transaction.atomic
    def load_rules(self, path: Path, *, replace: bool) -> dict:
        rows = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(rows, list):
            raise ValueError(f"{path.name}: expected a list of rules")
        if replace:
            OrientationRule.objects.all().delete()
        elif OrientationRule.objects.exists():
            return {
                "created": 0,
                "skipped": "the table already has rules (edit them in the admin, or --replace)",
            }
        for index, row in enumerate(rows):
            unknown = set(row) - RULE_FIELDS
            if unknown:
                raise ValueError(f"{path.name}: rule {index}: unknown fields {sorted(unknown)}")
            rule = OrientationRule(**row)
            try:
                rule.full_clean()
            except ValidationError as exc:
                raise ValueError(f"{path.name}: rule {index}: {exc.message_dict}") from exc
            rule.save()
        return {"created": len(rows)}
