"""Employment outcomes and post-hire check-ins in the JSON API; same actions and access as the pages."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.responses import Status as HttpStatus

from parcours.cases import access
from parcours.outcomes import actions
from parcours.outcomes.models import CheckIn, ContractType, EmploymentOutcome, Source, WageBand

router = Router(tags=["emploi et suivi après l'embauche"])


class CheckInOut(Schema):
    id: int
    horizon_months: int
    due_on: datetime.date
    status: CheckIn.Status
    respondent: str
    still_employed: bool | None
    same_employer: bool | None
    weekly_hours: Decimal | None
    difficulties: list[str]


class OutcomeOut(Schema):
    id: int
    kind: EmploymentOutcome.Kind
    contract_type: ContractType
    contract_months: int | None
    weekly_hours: Decimal
    start_on: datetime.date
    end_on: datetime.date | None
    job_title: str
    rome_code: str
    siret: str
    employer_name: str
    employer_email: str
    wage_band: WageBand
    source: Source
    reported_on: datetime.date
    is_durable: bool
    checkins: list[CheckInOut]


class OutcomeIn(Schema):
    kind: EmploymentOutcome.Kind = EmploymentOutcome.Kind.HIRE
    contract_type: ContractType
    contract_months: int | None = None
    weekly_hours: Decimal
    start_on: datetime.date
    end_on: datetime.date | None = None
    job_title: str
    rome_code: str = ""
    siret: str = ""
    employer_name: str = ""
    employer_email: str = Field("", max_length=254)
    wage_band: WageBand = WageBand.UNKNOWN
    source: Source = Source.COUNSELOR
    reported_on: datetime.date | None = None


class CurrentJobIn(Schema):
    """The job of a person employed at intake (POST /persons with status employed or
    self_employed): recorded as an outcome of kind current_job."""

    job_title: str = Field(..., min_length=1, max_length=200)
    contract_type: ContractType
    contract_months: int | None = Field(None, ge=1, le=120)
    weekly_hours: Decimal = Field(..., ge=0, le=80, decimal_places=1)
    start_on: datetime.date
    employer_name: str = Field("", max_length=200)
    siret: str = Field("", max_length=20)
    employer_email: str = Field("", max_length=254)
    wage_band: WageBand = WageBand.UNKNOWN


class AnswerIn(Schema):
    still_employed: bool
    same_employer: bool | None = None
    weekly_hours: Decimal | None = Field(None, ge=0, le=80, decimal_places=1)
    difficulties: list[str] = []
    contract_type: ContractType | None = Field(
        None, description="a new contract with the same employer (same_employer true)"
    )
    contract_months: int | None = Field(None, ge=1, le=120)
    changed_on: datetime.date | None = Field(
        None, description="since when the new contract or hours apply (default: the check-in's due date)"
    )


def _checkin_out(checkin: CheckIn, can_see_sensitive: bool) -> dict:
    data = {field: getattr(checkin, field) for field in CheckInOut.model_fields}
    return {**data, "difficulties": checkin.visible_difficulties(can_see_sensitive)}


def _out(outcome: EmploymentOutcome, can_see_sensitive: bool) -> dict:
    data = {field: getattr(outcome, field) for field in OutcomeOut.model_fields if field != "checkins"}
    return {**data, "checkins": [_checkin_out(c, can_see_sensitive) for c in outcome.checkins.all()]}


@router.get("/episodes/{public_id}/outcomes", response=list[OutcomeOut])
def list_outcomes(request, public_id: uuid.UUID):
    episode = access.episode_for(request.auth, public_id)
    access.log_read(episode.person, user=request.auth, route="api:outcomes:list")
    sensitive = access.can_see_sensitive(request.auth, episode)
    outcomes = EmploymentOutcome.objects.filter(episode=episode).prefetch_related("checkins")
    return [_out(o, sensitive) for o in outcomes]


@router.post("/episodes/{public_id}/outcomes", response={201: OutcomeOut})
def record_outcome(request, public_id: uuid.UUID, payload: OutcomeIn):
    episode = access.episode_for(request.auth, public_id)
    access.require_team(request.auth, episode)
    outcome = actions.record_outcome(episode, by=request.auth, **payload.dict())
    return HttpStatus(201, _out(outcome, access.can_see_sensitive(request.auth, episode)))


@router.post("/checkins/{checkin_id}/answer", response=CheckInOut)
def answer_checkin(request, checkin_id: int, payload: AnswerIn):
    checkin = get_object_or_404(
        CheckIn.objects.visible_to(request.auth).select_related("outcome__episode"), pk=checkin_id
    )
    access.require_team(request.auth, checkin.outcome.episode)
    answers = payload.dict()
    answers["contract_type"] = answers["contract_type"] or ""
    checkin = actions.answer_checkin(
        checkin, by=request.auth, respondent=CheckIn.Respondent.COUNSELOR, **answers
    )
    return _checkin_out(checkin, access.can_see_sensitive(request.auth, checkin.outcome.episode))
