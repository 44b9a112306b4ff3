"""Load questionnaire definitions (JSON files) into Questionnaire / QuestionnaireVersion rows.

A loaded version is immutable: loading the same file again does nothing, loading a different
content under an existing version number is refused (publish it as a new number instead), so a
diagnosis always reads with the labels it was answered with.
"""

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from parcours.diagnosis.models import Questionnaire, QuestionnaireVersion
from parcours.diagnosis.questionnaire import QuestionnaireError, validate_definition
from parcours.stats.tabular import read_json

logger = logging.getLogger(__name__)

QUESTIONNAIRE_DIR = Path(__file__).resolve().parent / "questionnaires"


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"created": self.created, "unchanged": self.unchanged}


def checksum(definition: dict) -> str:
    return hashlib.sha256(json.dumps(definition, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def read_definition(path: Path) -> dict:
    """Parse and validate one file (the shared reader refuses binary, non-UTF-8 and malformed
    JSON with file:line)."""
    return validate_definition(read_json(path, name=path.name), path.name)


@transaction.atomic
def load_definition(definition: dict, source: str = "definition") -> tuple[QuestionnaireVersion, bool]:
    """Store one definition; return (version, created)."""
    validate_definition(definition, source)
    questionnaire, _ = Questionnaire.objects.get_or_create(slug=definition["slug"])
    digest = checksum(definition)
    existing = QuestionnaireVersion.objects.filter(
        questionnaire=questionnaire, number=definition["version"]
    ).first()
    if existing is not None:
        if existing.checksum != digest:
            raise QuestionnaireError(
                f"{source}: {definition['slug']} v{definition['version']} is already loaded with a different "
                "content; a published version never changes, give the new content a new version number"
            )
        return existing, False
    version = QuestionnaireVersion.objects.create(
        questionnaire=questionnaire, number=definition["version"], definition=definition, checksum=digest
    )
    logger.info("questionnaire=%s version=%s loaded", questionnaire.slug, version.number)
    return version, True


@transaction.atomic
def load_questionnaires(directory: Path = QUESTIONNAIRE_DIR) -> LoadReport:
    """Load every *.json file of `directory` (all or nothing)."""
    paths = sorted(Path(directory).glob("*.json"))
    if not paths:
        raise QuestionnaireError(f"{directory}: no *.json questionnaire file")
    report = LoadReport()
    for path in paths:
        version, created = load_definition(read_definition(path), path.name)
        (report.created if created else report.unchanged).append(
            f"{version.questionnaire.slug} v{version.number}"
        )
    return report
