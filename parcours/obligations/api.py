"""Obligations and sanction procedures in the JSON API; same actions and access as the pages.
Procedures are a sensitive section: readers of the file who are neither the referent nor granted
the sensitive sections get 403."""

from __future__ import annotations

import datetime
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.responses import Status as HttpStatus

from parcours.cases import access
from parcours.obligations import actions
from parcours.obligations.models import Obligation, SanctionProcedure, Status

router = Router(tags=["engagements et sanctions"])


class ObligationIn(Schema):
    activity_hours_per_week: int = 0
    job_search_actions_per_month: int = 0
    attend_appointments: bool = True
    other: str = ""
    agreed_on: datetime.date | None = None


class ObligationOut(ObligationIn):
    version: int
    agreed_on: datetime.date


class StepOut(Schema):
    from_status: str
    to_status: Status
    at: datetime.datetime
    is_override: bool
    by_person: bool


class ProcedureOut(Schema):
    id: int
    status: Status
    obligation_version: int
    breach: str
    period_start: datetime.date
    shortfalls: list[str]
    override_reason: str
    observations_due_on: datetime.date | None
    decision: str
    decision_label: str
    radiation_months: int
    decision_reasons: str
    decided_on: datetime.date | None
    appeal_due_on: datetime.date | None
    observations_expired_on: datetime.date | None
    final_on: datetime.date | None
    steps: list[StepOut]


class BreachIn(Schema):
    breach: str
    evidence: str
    period_start: datetime.date


def _procedure(procedure: SanctionProcedure) -> dict:
    data = {
        field: getattr(procedure, field)
        for field in ProcedureOut.model_fields
        if field not in {"steps", "obligation_version"}
    }
    steps = [{f: getattr(s, f) for f in StepOut.model_fields} for s in procedure.steps.all()]
    return {**data, "obligation_version": procedure.obligation.version, "steps": steps}


@router.get("/episodes/{public_id}/obligations", response=list[ObligationOut])
def list_obligations(request, public_id: uuid.UUID):
    episode = access.episode_for(request.auth, public_id)
    access.log_read(episode.person, user=request.auth, route="api:obligations:list")
    return Obligation.objects.filter(episode=episode).order_by("-version")


@router.post("/episodes/{public_id}/obligations", response={201: ObligationOut})
def agree_obligations(request, public_id: uuid.UUID, payload: ObligationIn):
    episode = access.episode_for(request.auth, public_id)
    access.require_team(request.auth, episode)
    return HttpStatus(201, actions.agree_obligations(episode, by=request.auth, **payload.dict()))


@router.get("/episodes/{public_id}/sanction-procedures", response=list[ProcedureOut])
def list_procedures(request, public_id: uuid.UUID):
    episode = access.episode_for(request.auth, public_id)
    if not access.can_see_sensitive(request.auth, episode):
        raise PermissionDenied("sanctions are a sensitive section: the referent or a granted member only")
    access.log_read(episode.person, user=request.auth, route="api:obligations:procedures")
    procedures = (
        SanctionProcedure.objects.filter(episode=episode)
        .select_related("obligation")
        .prefetch_related("steps")
    )
    return [_procedure(p) for p in procedures]


@router.post("/episodes/{public_id}/sanction-procedures", response={201: ProcedureOut})
def record_breach(request, public_id: uuid.UUID, payload: BreachIn):
    episode = access.episode_for(request.auth, public_id)
    access.require_team(request.auth, episode)
    procedure = actions.record_breach(episode, by=request.auth, **payload.dict())
    return HttpStatus(201, _procedure(procedure))


class StepIn(Schema):
    """One step of a procedure: notice (override_reason for a manager's override), observations
    (observations), decision (decision: a code of the organisation's ladder, reasons), appeal,
    lift, withdraw, close (close the episode after a decided radiation)."""

    step: str
    override_reason: str = ""
    observations: str = ""
    decision: str = ""
    reasons: str = ""


STEP_ACTIONS = {
    "notice": lambda p, by, d: actions.send_notice(p, by=by, override_reason=d.override_reason),
    "observations": lambda p, by, d: actions.record_observations(p, by=by, observations=d.observations),
    "decision": lambda p, by, d: actions.decide(p, by=by, decision=d.decision, reasons=d.reasons),
    "appeal": lambda p, by, d: actions.appeal(p, by=by),
    "lift": lambda p, by, d: actions.lift(p, by=by),
    "withdraw": lambda p, by, d: actions.withdraw(p, by=by),
    "close": lambda p, by, d: actions.close_after_radiation(p, by=by),
}


@router.get("/sanction-procedures/{procedure_id}", response=ProcedureOut)
def get_procedure(request, procedure_id: int):
    procedure = get_object_or_404(
        SanctionProcedure.objects.visible_to(request.auth).select_related("obligation", "episode__person"),
        pk=procedure_id,
    )
    access.log_read(procedure.episode.person, user=request.auth, route="api:obligations:procedure")
    return _procedure(procedure)


@router.post("/sanction-procedures/{procedure_id}/steps", response={200: ProcedureOut})
def procedure_step(request, procedure_id: int, payload: StepIn):
    """Procedures of episodes the caller may not see in the sensitive section answer 404."""
    procedure = get_object_or_404(
        SanctionProcedure.objects.visible_to(request.auth).select_related("episode"), pk=procedure_id
    )
    access.require_team(request.auth, procedure.episode)
    if payload.step not in STEP_ACTIONS:
        raise ValidationError(f"unknown step {payload.step!r} (one of {', '.join(STEP_ACTIONS)})")
    STEP_ACTIONS[payload.step](procedure, request.auth, payload)
    procedure = SanctionProcedure.objects.select_related("obligation").get(pk=procedure.pk)
    return _procedure(procedure)
