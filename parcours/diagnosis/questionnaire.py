"""Questionnaire definitions (JSON data, see docs/diagnosis.md): validation, labels, scoring.

A definition is plain data; this module never touches the database, so the loader, the forms, the
API and the tests all read a version through the same few functions.
"""

import datetime
from collections.abc import Iterator
from typing import Any

from django.utils.translation import get_language

LANGUAGES = ("fr", "en")
QUESTION_TYPES = {"text", "textarea", "number", "choice", "multi", "boolean", "date", "skills"}
CHOICE_TYPES = {"choice", "multi"}
SENSITIVE_SECTIONS = {"health", "justice"}
SEVERITIES = {"low", "medium", "high"}
# The barrier kinds are those of models.BarrierKind; repeated here so that this module stays
# free of the ORM (a test checks both lists are equal).
BARRIER_KINDS = (
    "health",
    "housing",
    "mobility",
    "family",
    "finances",
    "language",
    "administrative",
    "justice",
)
# Health and justice barriers are sensitive: their questions must say so in the definition.
SENSITIVE_BARRIER_KINDS = {"health": "health", "justice": "justice"}
SKILL_SOURCES = ("work", "training", "volunteering", "family", "hobby", "other")
SKILL_FIELDS = ("label", "source", "attested_by", "attested_organisation")
DEFAULT_DIGITAL_SCORING = {"autonomous_min": 8, "partial_min": 4}


class QuestionnaireError(ValueError):
    """A questionnaire definition that cannot be loaded; the message says where."""


def current_language() -> str:
    language = (get_language() or "fr").lower()
    return "en" if language.startswith("en") else "fr"


def text(labels: dict | None, language: str | None = None) -> str:
    """The label in the active language, French when the translation is missing."""
    if not labels:
        return ""
    language = language or current_language()
    return labels.get(language) or labels.get("fr") or ""


# --- Validation of a definition ----------------------------------------------------------------


def _check_labels(value: Any, where: str) -> None:
    if not isinstance(value, dict) or any(
        not isinstance(value.get(lang), str) or not value[lang].strip() for lang in LANGUAGES
    ):
        raise QuestionnaireError(f"{where}: a label needs non-empty 'fr' and 'en' texts")


def validate_definition(definition: Any, source: str = "definition") -> dict:
    """Check a definition and return it; raise QuestionnaireError naming the faulty element."""
    if not isinstance(definition, dict):
        raise QuestionnaireError(f"{source}: the file must hold a JSON object")
    slug = definition.get("slug")
    if not isinstance(slug, str) or not slug or not slug.replace("-", "").replace("_", "").isalnum():
        raise QuestionnaireError(f"{source}: 'slug' must be letters, digits, '-' or '_'")
    version = definition.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise QuestionnaireError(f"{source}: 'version' must be a positive integer")
    _check_labels(definition.get("title"), f"{source}: title")
    scoring = definition.get("digital_scoring", DEFAULT_DIGITAL_SCORING)
    if not isinstance(scoring, dict) or not all(
        isinstance(scoring.get(k), int) for k in DEFAULT_DIGITAL_SCORING
    ):
        raise QuestionnaireError(f"{source}: 'digital_scoring' needs integer autonomous_min and partial_min")
    sections = definition.get("sections")
    if not isinstance(sections, list) or not sections:
        raise QuestionnaireError(f"{source}: 'sections' must be a non-empty list")
    seen: set[str] = set()
    for s_index, section in enumerate(sections):
        where = f"{source}: sections[{s_index}]"
        if not isinstance(section, dict) or not isinstance(section.get("id"), str):
            raise QuestionnaireError(f"{where}: a section needs an 'id'")
        _check_labels(section.get("title"), f"{where} ({section['id']}) title")
        questions = section.get("questions")
        if not isinstance(questions, list) or not questions:
            raise QuestionnaireError(f"{where} ({section['id']}): 'questions' must be a non-empty list")
        for question in questions:
            _validate_question(question, where, seen)
    return definition


def _validate_question(question: Any, where: str, seen: set[str]) -> None:
    if not isinstance(question, dict) or not isinstance(question.get("id"), str) or not question["id"]:
        raise QuestionnaireError(f"{where}: a question needs an 'id'")
    qid = question["id"]
    where = f"{where} question {qid}"
    if qid in seen:
        raise QuestionnaireError(f"{where}: duplicate question id")
    seen.add(qid)
    kind = question.get("type")
    if kind not in QUESTION_TYPES:
        raise QuestionnaireError(f"{where}: unknown type {kind!r} (expected one of {sorted(QUESTION_TYPES)})")
    _check_labels(question.get("label"), f"{where} label")
    if "help" in question:
        _check_labels(question["help"], f"{where} help")
    if kind in CHOICE_TYPES:
        choices = question.get("choices")
        if not isinstance(choices, list) or not choices:
            raise QuestionnaireError(f"{where}: 'choices' must be a non-empty list")
        values = set()
        for choice in choices:
            if (
                not isinstance(choice, dict)
                or not isinstance(choice.get("value"), str)
                or not choice["value"]
            ):
                raise QuestionnaireError(f"{where}: every choice needs a 'value'")
            if choice["value"] in values:
                raise QuestionnaireError(f"{where}: duplicate choice {choice['value']!r}")
            values.add(choice["value"])
            _check_labels(choice.get("label"), f"{where} choice {choice['value']}")
            severity = choice.get("severity")
            if severity is not None and severity not in SEVERITIES:
                raise QuestionnaireError(f"{where}: severity must be one of {sorted(SEVERITIES)}")
            points = choice.get("points")
            if points is not None and (not isinstance(points, int) or isinstance(points, bool)):
                raise QuestionnaireError(f"{where}: points must be an integer")
    for key in ("barrier", "barrier_note"):
        if key in question:
            if question[key] not in BARRIER_KINDS:
                raise QuestionnaireError(f"{where}: {key} must be one of {list(BARRIER_KINDS)}")
            expected = SENSITIVE_BARRIER_KINDS.get(question[key])
            if expected and question.get("sensitive") != expected:
                raise QuestionnaireError(
                    f"{where}: a {question[key]} question must be marked sensitive={expected!r}"
                )
    if "barrier" in question and kind != "choice":
        raise QuestionnaireError(f"{where}: a barrier question must be of type 'choice'")
    if question.get("digital") and (kind != "choice" or any("points" not in c for c in question["choices"])):
        raise QuestionnaireError(f"{where}: a digital question is a 'choice' whose every choice has points")
    if "sensitive" in question and question["sensitive"] not in SENSITIVE_SECTIONS:
        raise QuestionnaireError(f"{where}: sensitive must be one of {sorted(SENSITIVE_SECTIONS)}")
    if kind == "number":
        for bound in ("min", "max"):
            if bound in question and not isinstance(question[bound], int):
                raise QuestionnaireError(f"{where}: {bound} must be an integer")
    if kind == "skills":
        items = question.get("max_items", 3)
        if not isinstance(items, int) or not 1 <= items <= 10:
            raise QuestionnaireError(f"{where}: max_items must be between 1 and 10")


# --- Reading a definition ----------------------------------------------------------------------


def sections(definition: dict) -> list[dict]:
    return definition["sections"]


def questions(definition: dict) -> Iterator[dict]:
    for section in definition["sections"]:
        yield from section["questions"]


def question_map(definition: dict) -> dict[str, dict]:
    return {q["id"]: q for q in questions(definition)}


def is_visible(question: dict, can_see_sensitive: bool) -> bool:
    return can_see_sensitive or "sensitive" not in question


def visible_answers(definition: dict, answers: dict, can_see_sensitive: bool) -> dict:
    """Answers without those of sensitive questions for a reader who may not see them. Answers to
    questions unknown to the definition are dropped too (they cannot be labelled nor classified)."""
    by_id = question_map(definition)
    return {
        qid: value
        for qid, value in answers.items()
        if qid in by_id and is_visible(by_id[qid], can_see_sensitive)
    }


def display_value(question: dict, value: Any, language: str | None = None) -> str | list[dict]:
    """An answer as the reader should see it, with the labels of the version it was answered with."""
    kind = question["type"]
    if kind in CHOICE_TYPES:
        labels = {c["value"]: text(c["label"], language) for c in question["choices"]}
        if kind == "multi":
            return ", ".join(labels.get(v, v) for v in value)
        return labels.get(value, value)
    if kind == "boolean":
        return (
            {"fr": "Oui", "en": "Yes"}[language or current_language()]
            if value
            else {"fr": "Non", "en": "No"}[language or current_language()]
        )
    if kind == "date":
        try:
            return datetime.date.fromisoformat(value).strftime("%d/%m/%Y")
        except (TypeError, ValueError):
            return str(value)
    if kind == "skills":
        return list(value)
    return str(value)


def rendered_sections(definition: dict, answers: dict, can_see_sensitive: bool, language: str | None = None):
    """[(section title, [(question label, displayed answer, question)...])...] for a read-only page."""
    result = []
    for section in definition["sections"]:
        rows = []
        for question in section["questions"]:
            if not is_visible(question, can_see_sensitive) or question["id"] not in answers:
                continue
            rows.append(
                (
                    text(question["label"], language),
                    display_value(question, answers[question["id"]], language),
                    question,
                )
            )
        result.append((text(section["title"], language), rows))
    return result


# --- What the answers say ----------------------------------------------------------------------


def detected_barriers(definition: dict, answers: dict) -> list[dict]:
    """[{kind, severity, note, question}] for every barrier question answered with a severity."""
    notes = {
        q["barrier_note"]: answers.get(q["id"], "") for q in questions(definition) if "barrier_note" in q
    }
    found = []
    for question in questions(definition):
        kind = question.get("barrier")
        if not kind or question["id"] not in answers:
            continue
        severity = next(
            (c.get("severity") for c in question["choices"] if c["value"] == answers[question["id"]]), None
        )
        if severity:
            found.append(
                {"kind": kind, "severity": severity, "note": notes.get(kind, ""), "question": question["id"]}
            )
    return found


def digital_score(definition: dict, answers: dict) -> tuple[int, int] | None:
    """(points, maximum) over the digital questions, or None unless every one of them is answered:
    an incomplete check must not label a person as excluded."""
    points = maximum = 0
    digital = [q for q in questions(definition) if q.get("digital")]
    if not digital:
        return None
    for question in digital:
        if question["id"] not in answers:
            return None
        by_value = {c["value"]: c["points"] for c in question["choices"]}
        if answers[question["id"]] not in by_value:
            return None
        points += by_value[answers[question["id"]]]
        maximum += max(by_value.values())
    return points, maximum


def digital_level(definition: dict, answers: dict) -> str | None:
    """'autonomous', 'partial' or 'none' (values of people.models.DigitalAutonomy), None when unknown."""
    score = digital_score(definition, answers)
    if score is None:
        return None
    scoring = definition.get("digital_scoring", DEFAULT_DIGITAL_SCORING)
    if score[0] >= scoring["autonomous_min"]:
        return "autonomous"
    if score[0] >= scoring["partial_min"]:
        return "partial"
    return "none"


def declared_skills(definition: dict, answers: dict) -> list[dict]:
    skills = []
    for question in questions(definition):
        if question["type"] == "skills":
            skills.extend(item for item in answers.get(question["id"], []) if item.get("label"))
    return skills
