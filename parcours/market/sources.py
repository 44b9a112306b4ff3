"""What the market app reads from the apps below it: target occupations and declared skills from
``parcours.labour`` (career projects) and skills from ``parcours.diagnosis``.

One function per fact, each taking many episodes at once (one query, never one per row).
"""

from __future__ import annotations

from collections import defaultdict

from parcours.diagnosis.models import Skill
from parcours.labour.models import CareerProject, TargetOccupation


def target_occupations(episode_ids) -> dict[int, list[tuple[str, bool]]]:
    """``{episode_id: [(rome_code, is_decided), ...]}`` from labour career projects."""
    result: dict[int, list[tuple[str, bool]]] = defaultdict(list)
    ids = list(episode_ids)
    if not ids:
        return result
    rows = TargetOccupation.objects.filter(project__episode_id__in=ids).values_list(
        "project__episode_id", "occupation__rome_code", "status"
    )
    for episode_id, code, status in rows.order_by("pk"):
        result[episode_id].append((code, status in CareerProject.DECIDED))
    return result


def declared_skills(episode_ids, person_ids) -> dict[int, list[str]]:
    """``{episode_id: [skill label, ...]}`` from the career project and the diagnosis."""
    ids = list(episode_ids)
    result: dict[int, list[str]] = defaultdict(list)
    if ids:
        for episode_id, skills in CareerProject.objects.filter(episode_id__in=ids).values_list(
            "episode_id", "declared_skills"
        ):
            for item in skills or []:
                label = item.get("label") if isinstance(item, dict) else item
                if label:
                    result[episode_id].append(str(label))
    person_to_episodes: dict[int, list[int]] = defaultdict(list)
    for episode_id, person_id in zip(ids, person_ids, strict=True):
        person_to_episodes[person_id].append(episode_id)
    if person_to_episodes:
        for person_id, label in Skill.objects.filter(person_id__in=list(person_to_episodes)).values_list(
            "person_id", "label"
        ):
            for episode_id in person_to_episodes[person_id]:
                result[episode_id].append(label)
    return result
