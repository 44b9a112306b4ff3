"""Suggested actions per barrier kind: a data table (suggested_actions.json), fr and en."""

import functools
import json
from pathlib import Path

from parcours.cases.models import SupportEpisode
from parcours.diagnosis.models import Action, ActionPlan, BarrierKind
from parcours.diagnosis.orientation import latest_diagnosis
from parcours.diagnosis.questionnaire import QuestionnaireError, text

SUGGESTIONS_FILE = Path(__file__).resolve().parent / "suggested_actions.json"


def validate_suggestions(table: dict, source: str = "suggested_actions.json") -> dict:
    if not isinstance(table, dict):
        raise QuestionnaireError(f"{source}: must be an object keyed by barrier kind")
    keys = set()
    for kind, items in table.items():
        if kind not in BarrierKind.values:
            raise QuestionnaireError(f"{source}: unknown barrier kind {kind!r}")
        for item in items:
            key = item.get("key")
            if not isinstance(key, str) or not key or len(key) > 60 or key in keys:
                raise QuestionnaireError(
                    f"{source}: {kind}: every suggestion needs a unique 'key' (60 chars max)"
                )
            keys.add(key)
            goal = item.get("goal", {})
            if not all(isinstance(goal.get(lang), str) and goal[lang].strip() for lang in ("fr", "en")):
                raise QuestionnaireError(f"{source}: {key}: 'goal' needs 'fr' and 'en'")
            if item.get("owner", Action.Owner.PERSON) not in Action.Owner.values:
                raise QuestionnaireError(f"{source}: {key}: owner must be one of {Action.Owner.values}")
            days = item.get("due_in_days")
            if days is not None and (not isinstance(days, int) or days < 0):
                raise QuestionnaireError(f"{source}: {key}: due_in_days must be a positive integer")
    return table


@functools.cache
def suggestion_table() -> dict:
    return validate_suggestions(json.loads(SUGGESTIONS_FILE.read_text(encoding="utf-8")))


def suggestions_for(kind: str) -> list[dict]:
    return suggestion_table().get(kind, [])


def find_suggestion(kind: str, key: str) -> dict | None:
    return next((s for s in suggestions_for(kind) if s["key"] == key), None)


def goal_text(suggestion: dict, language: str | None = None) -> str:
    return text(suggestion["goal"], language)


def plan_overview(episode: SupportEpisode, can_see_sensitive: bool) -> dict:
    """Actions (sensitive ones filtered), the barriers of the latest diagnosis and their
    suggestions not yet accepted. A bounded number of queries whatever the plan's size."""
    plan = ActionPlan.objects.filter(episode=episode).first()
    plan_actions = (
        list(Action.objects.filter(plan=plan).for_reader(can_see_sensitive).select_related("barrier"))
        if plan
        else []
    )
    diagnosis = latest_diagnosis(episode)
    barriers = list(diagnosis.barriers.for_reader(can_see_sensitive)) if diagnosis else []
    accepted = {(a.barrier_id, a.suggestion_key) for a in plan_actions if a.suggestion_key}
    suggested = []
    for barrier in barriers:
        for suggestion in suggestions_for(barrier.kind):
            if (barrier.pk, suggestion["key"]) not in accepted:
                suggested.append(
                    {
                        "barrier": barrier,
                        "key": suggestion["key"],
                        "goal": goal_text(suggestion),
                        "owner": Action.Owner(suggestion.get("owner", Action.Owner.PERSON)).label,
                        "due_in_days": suggestion.get("due_in_days"),
                    }
                )
    return {
        "plan": plan,
        "actions": plan_actions,
        "barriers": barriers,
        "suggestions": suggested,
        "diagnosis": diagnosis,
    }
