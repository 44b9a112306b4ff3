"""``parcours diagnosis load-questionnaires|load-orientation-rules``.

- load-questionnaires: load every questionnaire definition (JSON) of --dir (default: the files
  shipped in parcours/diagnosis/questionnaires/). Idempotent; a changed file under an existing
  version number is refused (exit 2): publish it as a new version.
- load-orientation-rules: fill the orientation rules table from --file (default: the shipped
  parcours/diagnosis/orientation_rules.json) when it is empty; administrators then edit it in the
  admin. --replace deletes the existing rules first.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from parcours.cli import AreaCommand, BadInput
from parcours.diagnosis.loader import QUESTIONNAIRE_DIR, load_questionnaires
from parcours.diagnosis.models import OrientationRule
from parcours.diagnosis.questionnaire import QuestionnaireError
from parcours.stats.tabular import read_json

RULES_FILE = Path(__file__).resolve().parents[2] / "orientation_rules.json"
RULE_FIELDS = {f.name for f in OrientationRule._meta.get_fields()} - {"id", "updated_at"}


class Command(AreaCommand):
    help = "Diagnosis data: load questionnaire versions and the default orientation rules."

    def add_verbs(self):
        questionnaires = self.verb("load-questionnaires", "load the questionnaire JSON files", json=True)
        questionnaires.add_argument("--dir", type=Path, default=QUESTIONNAIRE_DIR)
        rules = self.verb("load-orientation-rules", "fill the orientation rules table", json=True)
        rules.add_argument("--file", type=Path, default=RULES_FILE)
        rules.add_argument("--replace", action="store_true", help="delete the existing rules first")

    def handle(self, *args, **options):
        try:
            super().handle(*args, **options)
        except (QuestionnaireError, ValidationError, OSError, ValueError) as exc:
            message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            raise BadInput(message) from exc

    def emit(self, result):
        if self.options["json"]:
            return super().emit(result)
        for key, value in result.items():
            self.stdout.write(f"{key}: {', '.join(map(str, value)) if isinstance(value, list) else value}")
        return None

    def verb_load_questionnaires(self, options):
        return load_questionnaires(options["dir"]).as_dict()

    def verb_load_orientation_rules(self, options):
        return self.load_rules(options["file"], replace=options["replace"])

    @transaction.atomic
    def load_rules(self, path: Path, *, replace: bool) -> dict:
        """All or nothing: one transaction, rolled back by the first invalid rule."""
        rows = read_json(path, name=path.name)
        if not isinstance(rows, list) or not rows:
            raise BadInput(f"{path.name}: expected a non-empty list of rules")
        if replace:
            OrientationRule.objects.all().delete()
        elif OrientationRule.objects.exists():
            return {
                "created": 0,
                "skipped": "the table already has rules (edit them in the admin, or --replace)",
            }
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                raise BadInput(f"{path.name}: rule {index}: expected an object")
            unknown = set(row) - RULE_FIELDS
            if unknown:
                raise BadInput(f"{path.name}: rule {index}: unknown fields {sorted(unknown)}")
            rule = OrientationRule(**row)
            try:
                rule.full_clean()
            except ValidationError as exc:
                raise BadInput(f"{path.name}: rule {index}: {exc.message_dict}") from exc
            rule.save()
        return {"created": len(rows)}
