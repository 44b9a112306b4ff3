"""JSON API for diagnoses, action plans and orientations of an episode.

Same access rules and actions as the pages: the episode goes through `access.episode_for` (404), changes
need a counselor or manager of the episode's organisation (403), sensitive answers, barriers and
actions are left out for readers who may not see them. Register with `api.add_router("/", router)`.
"""

import datetime
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from ninja import Field, Path, Router, Schema, Status

from parcours.cases import access
from parcours.cases.models import Approach, Intensity, SupportEpisode
from parcours.diagnosis import actions
from parcours.diagnosis import questionnaire as q
from parcours.diagnosis.forms import SectionForm, api_data_for_section
from parcours.diagnosis.models import (
    SENSITIVE_BARRIERS,
    Action,
    Barrier,
    BarrierKind,
    Diagnosis,
    Orientation,
    Severity,
)
from parcours.diagnosis.orientation import facts_for, latest_diagnosis, score_band_for, suggest
from parcours.diagnosis.suggestions import plan_overview

router = Router(tags=["diagnostic"])

MAX_ID = 2**63 - 1
NO_NUL = r"^[^\x00]*$"


class BarrierOut(Schema):
    id: int
    kind: BarrierKind
    severity: Severity
    note: str


class DiagnosisOut(Schema):
    public_id: uuid.UUID
    questionnaire: str
    questionnaire_version: int
    by_person: bool
    status: Diagnosis.Status
    answers: dict[str, Any]
    barriers: list[BarrierOut]
    digital_autonomy: str
    digital_points: int | None
    created_at: datetime.datetime
    completed_at: datetime.datetime | None


class DiagnosisIn(Schema):
    answers: dict[str, Any] = Field(default_factory=dict)
    complete: bool = True


class ActionOut(Schema):
    id: int
    goal: str
    owner: Action.Owner
    due_on: datetime.date | None
    status: Action.Status
    barrier: int | None = Field(None, alias="barrier_id")
    career_goal: str
    suggestion_key: str
    version: int


class SuggestionOut(Schema):
    barrier: int
    kind: BarrierKind
    key: str
    goal: str


class PlanOut(Schema):
    actions: list[ActionOut]
    suggestions: list[SuggestionOut]


class ActionIn(Schema):
    goal: str = Field("", max_length=300, pattern=NO_NUL)
    owner: Action.Owner = Action.Owner.PERSON
    due_on: datetime.date | None = None
    barrier: int | None = Field(None, ge=1, le=MAX_ID)
    career_goal: str = Field("", max_length=200, pattern=NO_NUL)
    suggestion: str | None = Field(None, max_length=60, description="accept this suggestion of `barrier`")


class ActionPatch(Schema):
    status: Action.Status
    version: int | None = Field(None, ge=1, le=MAX_ID)


class SuggestionSchema(Schema):
    intensity: Intensity
    approach: Approach
    rule: str | None
    barrier_kinds: list[str]
    barrier_count: int
    digital_autonomy: str
    score_band: str | None


class OrientationOut(Schema):
    id: int
    suggested_intensity: Intensity
    suggested_approach: Approach
    chosen_intensity: Intensity
    chosen_approach: Approach
    follows_suggestion: bool
    reason: str
    services: list[str]
    decided_by: str
    decided_at: datetime.datetime


class OrientationPage(Schema):
    suggestion: SuggestionSchema
    history: list[OrientationOut]


class OrientationIn(Schema):
    chosen_intensity: Intensity
    chosen_approach: Approach
    reason: str = Field("", max_length=2000, pattern=NO_NUL)
    services: list[str] = Field(default_factory=list, max_length=50)
    version: int | None = Field(None, ge=1, le=MAX_ID)


def _plain(value):
    return getattr(value, "value", value)


def _diagnosis_out(diagnosis: Diagnosis, can_see: bool) -> dict:
    version = diagnosis.questionnaire_version
    return {
        "public_id": diagnosis.public_id,
        "questionnaire": version.questionnaire.slug,
        "questionnaire_version": version.number,
        "by_person": diagnosis.by_person,
        "status": diagnosis.status,
        "answers": diagnosis.visible_answers(can_see),
        "barriers": [b for b in diagnosis.barriers.all() if can_see or b.kind not in SENSITIVE_BARRIERS],
        "digital_autonomy": diagnosis.digital_autonomy,
        "digital_points": diagnosis.digital_points,
        "created_at": diagnosis.created_at,
        "completed_at": diagnosis.completed_at,
    }


@router.get("/episodes/{public_id}/diagnoses", response=list[DiagnosisOut], url_name="diagnosis_list")
def list_diagnoses(request, public_id: uuid.UUID):
    """The episode's diagnoses, newest first (at most 50), answers labelled by their own version."""
    episode = access.episode_for(request.auth, public_id)
    access.log_read(episode.person, user=request.auth, route="api:diagnosis_list")
    can_see = access.can_see_sensitive(request.auth, episode)
    diagnoses = (
        Diagnosis.objects.filter(episode=episode)
        .select_related("questionnaire_version__questionnaire")
        .prefetch_related("barriers")
        .order_by("-created_at", "-pk")[:50]
    )
    return [_diagnosis_out(d, can_see) for d in diagnoses]


def _validate_answers(version, answers: dict, can_see: bool) -> dict[str, dict]:
    """Per section id, the cleaned answers; every problem reported at once as a 400."""
    by_id = q.question_map(version.definition)
    unknown = sorted(set(answers) - set(by_id))
    errors = [f"{qid}: unknown question" for qid in unknown]
    hidden = sorted(qid for qid in answers if qid in by_id and not q.is_visible(by_id[qid], can_see))
    if hidden:
        raise PermissionDenied("only the referent or a granted member may answer sensitive questions")
    cleaned = {}
    for section in q.sections(version.definition):
        form = SectionForm(api_data_for_section(section, answers), section=section, can_see_sensitive=can_see)
        if form.is_valid():
            cleaned[section["id"]] = form.answers()
        else:
            for field, messages in form.errors.items():
                errors.extend(f"{field}: {m}" for m in messages)
    if errors:
        raise ValidationError(errors)
    return cleaned


@router.post("/episodes/{public_id}/diagnoses", response={201: DiagnosisOut}, url_name="diagnosis_create")
def create_diagnosis(request, public_id: uuid.UUID, payload: DiagnosisIn):
    """A diagnosis with the person, on the current questionnaire version; `complete` (default true)
    derives barriers, skills and digital autonomy at once."""
    user = request.auth
    episode = access.episode_for(request.auth, public_id)
    access.require_manage(user, episode)
    can_see = access.can_see_sensitive(user, episode)
    version = actions.current_version()
    cleaned = _validate_answers(version, payload.answers, can_see)
    diagnosis = actions.start_diagnosis(episode, by=user, questionnaire_version=version)
    for section_id, answers in cleaned.items():
        if answers:
            diagnosis = actions.save_answers(diagnosis, by=user, section_id=section_id, answers=answers)
    if payload.complete:
        actions.complete_diagnosis(diagnosis, by=user)
    diagnosis = (
        Diagnosis.objects.select_related("questionnaire_version__questionnaire")
        .prefetch_related("barriers")
        .get(pk=diagnosis.pk)
    )
    return Status(201, _diagnosis_out(diagnosis, can_see))


def _plan_out(episode: SupportEpisode, can_see: bool) -> dict:
    context = plan_overview(episode, can_see)
    return {
        "actions": context["actions"],
        "suggestions": [
            {"barrier": s["barrier"].pk, "kind": s["barrier"].kind, "key": s["key"], "goal": s["goal"]}
            for s in context["suggestions"]
        ],
    }


@router.get("/episodes/{public_id}/action-plan", response=PlanOut, url_name="action_plan")
def get_action_plan(request, public_id: uuid.UUID):
    episode = access.episode_for(request.auth, public_id)
    access.log_read(episode.person, user=request.auth, route="api:action_plan")
    return _plan_out(episode, access.can_see_sensitive(request.auth, episode))


@router.post("/episodes/{public_id}/action-plan/actions", response={201: ActionOut}, url_name="action_add")
def add_action(request, public_id: uuid.UUID, payload: ActionIn):
    """A new action; with `suggestion` (and `barrier`), accept that suggested action in one call."""
    user = request.auth
    episode = access.episode_for(request.auth, public_id)
    access.require_manage(user, episode)
    can_see = access.can_see_sensitive(user, episode)
    barrier = None
    if payload.barrier is not None:
        barrier = (
            Barrier.objects.filter(diagnosis__episode=episode)
            .for_reader(can_see)
            .select_related("diagnosis")
            .filter(pk=payload.barrier)
            .first()
        )
        if barrier is None:
            raise ValidationError("unknown barrier for this episode")
    if payload.suggestion:
        if barrier is None:
            raise ValidationError("accepting a suggestion needs its barrier")
        action = actions.accept_suggested_action(episode, by=user, barrier=barrier, key=payload.suggestion)
    else:
        if payload.due_on and payload.due_on < episode.started_on:
            raise ValidationError("the due date cannot be before the start of the episode")
        action = actions.add_action(
            episode,
            by=user,
            goal=payload.goal,
            owner=_plain(payload.owner),
            due_on=payload.due_on,
            barrier=barrier,
            career_goal=payload.career_goal,
        )
    return Status(201, action)


@router.patch(
    "/episodes/{public_id}/action-plan/actions/{action_id}", response=ActionOut, url_name="action_update"
)
def update_action(
    request, public_id: uuid.UUID, payload: ActionPatch, action_id: int = Path(..., ge=1, le=MAX_ID)
):
    user = request.auth
    episode = access.episode_for(request.auth, public_id)
    can_see = access.can_see_sensitive(user, episode)
    action = get_object_or_404(Action.objects.filter(plan__episode=episode).for_reader(can_see), pk=action_id)
    access.require_manage(user, episode)
    return actions.change_action_status(
        action, by=user, status=_plain(payload.status), expected_version=payload.version
    )


def _orientation_out(orientation: Orientation) -> dict:
    return {
        "id": orientation.pk,
        "suggested_intensity": orientation.suggested_intensity,
        "suggested_approach": orientation.suggested_approach,
        "chosen_intensity": orientation.chosen_intensity,
        "chosen_approach": orientation.chosen_approach,
        "follows_suggestion": orientation.follows_suggestion,
        "reason": orientation.reason,
        "services": orientation.services,
        "decided_by": str(orientation.decided_by),
        "decided_at": orientation.decided_at,
    }


@router.get("/episodes/{public_id}/orientation", response=OrientationPage, url_name="orientation")
def get_orientation(request, public_id: uuid.UUID):
    """The suggestion of the rules table for the latest completed diagnosis, and every decision
    taken so far, newest first."""
    episode = access.episode_for(request.auth, public_id)
    access.log_read(episode.person, user=request.auth, route="api:orientation")
    can_see = access.can_see_sensitive(request.auth, episode)
    suggestion = suggest(
        facts_for(episode, latest_diagnosis(episode), score_band_for(episode), can_see_sensitive=can_see)
    )
    facts = suggestion.facts.as_dict()
    facts["barrier_kinds"] = [k for k in facts["barrier_kinds"] if can_see or k not in SENSITIVE_BARRIERS]
    history = (
        Orientation.objects.filter(episode=episode)
        .select_related("decided_by")
        .order_by("-decided_at", "-pk")
    )
    return {
        "suggestion": {
            "intensity": suggestion.intensity,
            "approach": suggestion.approach,
            "rule": suggestion.rule.name if suggestion.rule else None,
            **facts,
        },
        "history": [_orientation_out(o) for o in history[:50]],
    }


@router.post(
    "/episodes/{public_id}/orientation", response={201: OrientationOut}, url_name="orientation_decide"
)
def decide_orientation(request, public_id: uuid.UUID, payload: OrientationIn):
    """Decide the intensity and approach; a reason is required when they differ from the suggestion."""
    user = request.auth
    episode = access.episode_for(request.auth, public_id)
    access.require_manage(user, episode)
    if any(len(s) > 200 or "\x00" in s for s in payload.services):
        raise ValidationError("each service is a text of at most 200 characters")
    orientation = actions.decide_orientation(
        episode,
        by=user,
        chosen_intensity=_plain(payload.chosen_intensity),
        chosen_approach=_plain(payload.chosen_approach),
        reason=payload.reason,
        services=payload.services,
        expected_version=payload.version,
    )
    orientation.decided_by = user
    return Status(201, _orientation_out(orientation))
