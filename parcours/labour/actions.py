"""Every change to a career project: one function per state change, keyword-only actor, each
records a CaseEvent (kind OTHER, ``data["what"]`` names the change, titled for the timeline in
apps.py; ids only, never free text).

Used by the HTML views, the API and the admin alike.
"""

from __future__ import annotations

import datetime
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from parcours.cases.locking import lock_for_update, save_with_version
from parcours.cases.models import CaseEvent, SupportEpisode
from parcours.labour.models import CareerProject, Occupation, TargetOccupation, WorkPlacement

logger = logging.getLogger(__name__)

MAX_DECLARED_SKILLS = 100


def _event(episode_or_project, *, by, what: str, **data) -> None:
    episode = (
        episode_or_project.episode if isinstance(episode_or_project, CareerProject) else episode_or_project
    )
    CaseEvent.objects.create(
        person_id=episode.person_id,
        episode=episode,
        actor=by,
        kind=CaseEvent.Kind.OTHER,
        data={"what": what, **data},
    )


def _require_open(episode: SupportEpisode) -> None:
    if not episode.is_open:
        raise ValidationError("the episode is closed")


@transaction.atomic
def start_career_project(episode: SupportEpisode, *, by) -> CareerProject:
    """The episode's career project, created on first use (idempotent)."""
    project = CareerProject.objects.filter(episode=episode).first()
    if project is not None:
        return project
    _require_open(episode)
    project = CareerProject.objects.create(episode=episode, created_by=by)
    _event(episode, by=by, what="career_project.started", project=project.pk)
    logger.info("career_project=%s started episode=%s by=%s", project.pk, episode.pk, by.pk)
    return project


def clean_skill_labels(skills: list[str]) -> list[str]:
    """Trimmed, de-duplicated (case-insensitively), non-empty skill labels, in the given order."""
    out: dict[str, str] = {}
    for label in skills:
        label = " ".join(str(label).split())[:200]
        if label:
            out.setdefault(label.casefold(), label)
    return list(out.values())


@transaction.atomic
def update_declared_skills(
    project: CareerProject, *, by, skills: list[str], expected_version: int | None = None
) -> CareerProject:
    """Replace the skills declared on the career project page (formal or informal)."""
    skills = clean_skill_labels(skills)
    if len(skills) > MAX_DECLARED_SKILLS:
        raise ValidationError(f"at most {MAX_DECLARED_SKILLS} skills")
    project = lock_for_update(project, expected_version)
    _require_open(project.episode)
    project.declared_skills = skills
    save_with_version(project, ["declared_skills"])
    _event(project, by=by, what="career_project.skills_updated", project=project.pk, count=len(skills))
    return project


@transaction.atomic
def add_target_occupation(
    project: CareerProject, *, by, occupation: Occupation, status: str = CareerProject.Status.TO_EXPLORE
) -> TargetOccupation:
    """Add an occupation to explore (TO_EXPLORE) or one found along the way (DISCOVERED)."""
    if status not in (CareerProject.Status.TO_EXPLORE, CareerProject.Status.DISCOVERED):
        raise ValidationError(
            "a new target occupation is to explore or discovered; confirm or revise it later"
        )
    _require_open(project.episode)
    if not occupation.is_active:
        raise ValidationError("this occupation is no longer in the referential")
    if TargetOccupation.objects.filter(project=project, occupation=occupation).exists():
        raise ValidationError("this occupation is already in the project")
    target = TargetOccupation.objects.create(project=project, occupation=occupation, status=status)
    if status == CareerProject.Status.DISCOVERED:
        target.decided_at, target.decided_by = timezone.now(), by
        target.save(update_fields=["decided_at", "decided_by"])
    _event(
        project,
        by=by,
        what="career_project.target_added",
        target=target.pk,
        occupation=occupation.rome_code,
        status=status,
    )
    return target


@transaction.atomic
def decide_target_occupation(
    target: TargetOccupation,
    *,
    by,
    status: str,
    evidence: str,
    placements: list[WorkPlacement] | None = None,
    expected_version: int | None = None,
) -> TargetOccupation:
    """Record the outcome for a target occupation: CONFIRMED, REVISED, DISCOVERED (or back to
    TO_EXPLORE), with the evidence (text, and work placements of the same project)."""
    if status not in CareerProject.Status.values:
        raise ValidationError(f"unknown status {status!r}")
    if status in CareerProject.DECIDED and not evidence.strip() and not placements:
        raise ValidationError("say what supports this decision (evidence or a work placement)")
    target = lock_for_update(target, expected_version)
    project = target.project
    _require_open(project.episode)
    placements = list(placements or [])
    if any(p.project_id != project.pk for p in placements):
        raise ValidationError("a work placement of another project cannot support this decision")
    previous = target.status
    target.status = status
    target.evidence = evidence.strip()
    if status in CareerProject.DECIDED:
        target.decided_at, target.decided_by = timezone.now(), by
    else:
        target.decided_at, target.decided_by = None, None
    save_with_version(target, ["status", "evidence", "decided_at", "decided_by"])
    target.evidence_placements.set(placements)
    _event(
        project,
        by=by,
        what="career_project.target_decided",
        target=target.pk,
        occupation=target.occupation.rome_code,
        **{"from": previous, "to": status},
        placements=[p.pk for p in placements],
    )
    return target


@transaction.atomic
def remove_target_occupation(target: TargetOccupation, *, by) -> None:
    """Drop an occupation still to explore (decided ones stay: they are the project's history)."""
    target = lock_for_update(target, None)
    _require_open(target.project.episode)
    if target.status != CareerProject.Status.TO_EXPLORE:
        raise ValidationError("only an occupation still to explore can be removed")
    project, pk, code = target.project, target.pk, target.occupation.rome_code
    target.delete()
    _event(project, by=by, what="career_project.target_removed", target=pk, occupation=code)


def _check_placement_dates(starts_on: datetime.date, ends_on: datetime.date) -> None:
    if ends_on < starts_on:
        raise ValidationError("the placement cannot end before it starts")
    if (ends_on - starts_on).days > 366:
        raise ValidationError("a work placement lasts at most a year")


@transaction.atomic
def plan_work_placement(
    project: CareerProject,
    *,
    by,
    objective: str,
    occupation: Occupation,
    host_name: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    host_establishment: str = "",
) -> WorkPlacement:
    if objective not in WorkPlacement.Objective.values:
        raise ValidationError(f"unknown objective {objective!r}")
    if not host_name.strip():
        raise ValidationError("the host organisation is required")
    _check_placement_dates(starts_on, ends_on)
    _require_open(project.episode)
    placement = WorkPlacement.objects.create(
        project=project,
        objective=objective,
        occupation=occupation,
        host_name=host_name.strip(),
        host_establishment=host_establishment.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=by,
    )
    _event(
        project,
        by=by,
        what="career_project.placement_planned",
        placement=placement.pk,
        occupation=occupation.rome_code,
        objective=objective,
    )
    return placement


def _check_score(value: int | None, name: str) -> None:
    if value is not None and not 1 <= value <= 5:
        raise ValidationError(f"{name} must be between 1 and 5")


@transaction.atomic
def assess_work_placement(
    placement: WorkPlacement,
    *,
    by,
    host_score: int | None,
    host_comment: str = "",
    person_score: int | None,
    person_comment: str = "",
    expected_version: int | None = None,
) -> WorkPlacement:
    """Record the end assessment by the host and by the person (either may be missing, not both)."""
    _check_score(host_score, "host_score")
    _check_score(person_score, "person_score")
    if host_score is None and person_score is None:
        raise ValidationError("give at least the host's or the person's assessment")
    placement = lock_for_update(placement, expected_version)
    _require_open(placement.project.episode)
    if placement.starts_on > timezone.localdate():
        raise ValidationError("a placement cannot be assessed before it starts")
    placement.host_score, placement.host_comment = host_score, host_comment.strip()
    placement.person_score, placement.person_comment = person_score, person_comment.strip()
    placement.assessed_at = timezone.now()
    save_with_version(
        placement, ["host_score", "host_comment", "person_score", "person_comment", "assessed_at"]
    )
    _event(
        placement.project,
        by=by,
        what="career_project.placement_assessed",
        placement=placement.pk,
        host_score=host_score,
        person_score=person_score,
    )
    return placement
