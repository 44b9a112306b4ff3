"""What the market app reads from other apps, behind guards: target occupations and declared skills
from ``parcours.labour`` (career projects) and skills from ``parcours.diagnosis``, when installed.

One function per fact, each taking many episodes at once (one query, never one per row).
"""

from __future__ import annotations

from collections import defaultdict

from django.apps import apps
from django.core.exceptions import FieldError


def _model(app: str, name: str):
    if not apps.is_installed(f"parcours.{app}"):
        return None
    try:
        return apps.get_model(app, name)
    except LookupError:
        return None


# Statuses of a labour TargetOccupation that mean the project is decided (not only "to explore").
DECIDED_STATUSES = {"confirmed", "revised", "discovered"}


def target_occupations(episode_ids) -> dict[int, list[tuple[str, bool]]]:
    """``{episode_id: [(rome_code, is_decided), ...]}`` from labour career projects."""
    target = _model("labour", "TargetOccupation")
    result: dict[int, list[tuple[str, bool]]] = defaultdict(list)
    ids = list(episode_ids)
    if target is None or not ids:
        return result
    try:
        rows = target.objects.filter(project__episode_id__in=ids).values_list(
            "project__episode_id", "occupation__rome_code", "status"
        )
        for episode_id, code, status in rows.order_by("pk"):
            result[episode_id].append((code, status in DECIDED_STATUSES))
    except FieldError:  # the labour schema changed: no targets rather than a crash
        return result
    return result


def declared_skills(episode_ids, person_ids) -> dict[int, list[str]]:
    """``{episode_id: [skill label, ...]}`` from the career project and the diagnosis."""
    ids = list(episode_ids)
    result: dict[int, list[str]] = defaultdict(list)
    project = _model("labour", "CareerProject")
    if project is not None and ids:
        try:
            for episode_id, skills in project.objects.filter(episode_id__in=ids).values_list(
                "episode_id", "declared_skills"
            ):
                for item in skills or []:
                    label = item.get("label") if isinstance(item, dict) else item
                    if label:
                        result[episode_id].append(str(label))
        except FieldError:
            pass
    skill = _model("diagnosis", "Skill")
    person_to_episodes: dict[int, list[int]] = defaultdict(list)
    for episode_id, person_id in zip(ids, person_ids, strict=True):
        person_to_episodes[person_id].append(episode_id)
    if skill is not None and person_to_episodes:
        for person_id, label in skill.objects.filter(person_id__in=list(person_to_episodes)).values_list(
            "person_id", "label"
        ):
            for episode_id in person_to_episodes[person_id]:
                result[episode_id].append(label)
    return result
