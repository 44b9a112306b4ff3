"""Every state change of the evaluation app: one function each, keyword-only actor."""

from __future__ import annotations

import hashlib
import json
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from parcours.accounts.models import Role
from parcours.cases.locking import check_version, lock_for_update, save_with_version
from parcours.evaluation.assignment import STRATA_FIELDS
from parcours.evaluation.indicators import FORMULAS
from parcours.evaluation.models import (
    Arm,
    Assignment,
    CounselorReply,
    Experiment,
    Indicator,
    IndicatorVersion,
    TakeUp,
)
from parcours.evaluation.queries import OUTCOMES, SUBGROUPS

logger = logging.getLogger(__name__)


def _require_analyst(user, organisation_id: int) -> None:
    if organisation_id not in user.organisation_ids(frozenset({Role.ANALYST})):
        raise PermissionDenied("only an analyst of the organisation may do this")


def validate_design(experiment: Experiment, arms: list[dict]) -> None:
    errors = []
    if len(arms) < 2:
        errors.append("an experiment needs at least two arms (the first is the control group)")
    if any(int(a.get("weight", 1)) < 1 for a in arms):
        errors.append("arm weights must be at least 1")
    if experiment.design == Experiment.Design.TWO_LEVEL:
        if len(arms) != 2:
            errors.append("a two-level design has exactly two arms (control and treatment)")
        shares = experiment.shares or []
        if (
            len(shares) < 2
            or any(not 0 <= float(s) <= 1 for s in shares)
            or 0 not in [float(s) for s in shares]
        ):
            errors.append("a two-level design needs at least two treated shares in [0, 1], including 0")
        if experiment.unit == Experiment.Unit.INDIVIDUAL:
            errors.append("a two-level design randomises clusters: choose territory or site as the unit")
    if experiment.design == Experiment.Design.CLUSTER and experiment.unit == Experiment.Unit.INDIVIDUAL:
        errors.append("a cluster design randomises clusters: choose territory or site as the unit")
    if experiment.design == Experiment.Design.STRATIFIED and not experiment.strata_fields:
        errors.append("a stratified design needs at least one stratification variable")
    unknown = set(experiment.strata_fields or []) - STRATA_FIELDS
    if unknown:
        errors.append(f"unknown stratification variables: {', '.join(sorted(unknown))}")
    if not experiment.outcomes:
        errors.append("pre-register at least one outcome")
    unknown = set(experiment.outcomes or []) - set(OUTCOMES)
    if unknown:
        errors.append(f"unknown outcomes: {', '.join(sorted(unknown))}")
    unknown = set(experiment.subgroups or []) - set(SUBGROUPS)
    if unknown:
        errors.append(f"unknown subgroups: {', '.join(sorted(unknown))}")
    if experiment.ends_on < experiment.starts_on:
        errors.append("the experiment ends before it starts")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_experiment(*, by, organisation, arms: list[dict], **fields) -> Experiment:
    """A draft experiment with its arms (``[{"name", "weight", "cost_per_participant"}]``, the
    first being the control group)."""
    _require_analyst(by, organisation.pk)
    experiment = Experiment(organisation=organisation, created_by=by, **fields)
    validate_design(experiment, arms)
    experiment.save()
    for position, arm in enumerate(arms):
        Arm.objects.create(
            experiment=experiment,
            position=position,
            name=arm["name"],
            weight=int(arm.get("weight", 1)),
            cost_per_participant=float(arm.get("cost_per_participant", 0)),
        )
    logger.info("experiment=%s created by=%s", experiment.pk, by.pk)
    return experiment


def preregistration_document(experiment: Experiment) -> dict:
    return {
        "title": experiment.title,
        "question": experiment.question,
        "organisation": experiment.organisation_id,
        "eligibility": experiment.eligibility,
        "unit": experiment.unit,
        "design": experiment.design,
        "strata_fields": experiment.strata_fields,
        "shares": experiment.shares,
        "outcomes": experiment.outcomes,
        "subgroups": experiment.subgroups,
        "covariates": experiment.covariates,
        "starts_on": experiment.starts_on.isoformat(),
        "ends_on": experiment.ends_on.isoformat(),
        "arms": [
            {
                "position": a.position,
                "name": a.name,
                "weight": a.weight,
                "cost_per_participant": a.cost_per_participant,
            }
            for a in experiment.arms.order_by("position")
        ],
        "cost_benefit": {
            "value_per_employed_month": experiment.value_per_employed_month,
            "discount_rate": experiment.discount_rate,
            "horizon_months": experiment.horizon_months,
        },
    }


def _change_status(experiment: Experiment, status: str, by, expected_version: int | None, extra=()):
    experiment = lock_for_update(experiment)
    _require_analyst(by, experiment.organisation_id)
    check_version(experiment, expected_version)
    if status not in Experiment.TRANSITIONS[experiment.status]:
        raise ValidationError(f"{experiment.status} -> {status} is not allowed")
    return experiment


@transaction.atomic
def register_experiment(experiment: Experiment, *, by, expected_version: int | None = None) -> Experiment:
    """Freeze the pre-registration: from now on design, arms, outcomes and seed cannot change.
    The frozen document and its SHA-256 are stored (and published)."""
    experiment = _change_status(experiment, Experiment.Status.REGISTERED, by, expected_version)
    arms = [{"name": a.name, "weight": a.weight} for a in experiment.arms.all()]
    validate_design(experiment, arms)
    document = preregistration_document(experiment)
    experiment.preregistration = document
    experiment.preregistration_hash = hashlib.sha256(
        json.dumps(document, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    experiment.registered_at = timezone.now()
    experiment.status = Experiment.Status.REGISTERED
    experiment.version += 1
    # The last save allowed on the design fields: the status is still draft in the database.
    experiment.save()
    logger.info("experiment=%s registered by=%s", experiment.pk, by.pk)
    return experiment


@transaction.atomic
def start_experiment(experiment: Experiment, *, by, expected_version: int | None = None) -> Experiment:
    experiment = _change_status(experiment, Experiment.Status.RUNNING, by, expected_version)
    experiment.status = Experiment.Status.RUNNING
    save_with_version(experiment, ["status"])
    return experiment


@transaction.atomic
def close_experiment(experiment: Experiment, *, by, expected_version: int | None = None) -> Experiment:
    experiment = _change_status(experiment, Experiment.Status.CLOSED, by, expected_version)
    experiment.status = Experiment.Status.CLOSED
    save_with_version(experiment, ["status"])
    return experiment


@transaction.atomic
def record_take_up(assignment: Assignment, *, by, took_up: bool) -> TakeUp:
    """Whether the person actually received the arm's service (recorded once)."""
    if assignment.episode.organisation_id not in by.case_organisation_ids() + by.organisation_ids(
        frozenset({Role.ANALYST})
    ):
        raise PermissionDenied("not a member of the episode's organisation")
    if TakeUp.objects.filter(assignment=assignment).exists():
        raise ValidationError("take-up is already recorded for this assignment")
    return TakeUp.objects.create(assignment=assignment, took_up=took_up, recorded_by=by)


@transaction.atomic
def revise_indicator(
    indicator: Indicator, *, by, formula_key: str, parameters: dict, notes: str, valid_from=None
) -> IndicatorVersion:
    """Propose a new version (a new formula or new parameters); values of the previous versions
    are kept. The proposed version is computed with the others but published only once activated
    (activate_indicator_version)."""
    if formula_key not in FORMULAS:
        raise ValidationError(f"unknown formula {formula_key!r}")
    if not isinstance(parameters, dict):
        raise ValidationError("parameters must be a JSON object")
    if not notes.strip():
        raise ValidationError("say what changes in the new version")
    indicator = Indicator.objects.select_for_update().get(pk=indicator.pk)
    number = (indicator.versions.aggregate(m=Max("number"))["m"] or 0) + 1
    version = IndicatorVersion.objects.create(
        indicator=indicator,
        number=number,
        formula_key=formula_key,
        parameters=parameters,
        notes=notes,
        valid_from=valid_from or timezone.localdate(),
        created_by=by,
    )
    logger.info("indicator=%s version=%s proposed by=%s", indicator.pk, number, getattr(by, "pk", None))
    return version


@transaction.atomic
def activate_indicator_version(version: IndicatorVersion, *, by) -> IndicatorVersion:
    """Publish a proposed version: it becomes the indicator's current version (the older ones stay
    published side by side). An analyst's decision, logged."""
    version = IndicatorVersion.objects.select_for_update().get(pk=version.pk)
    if version.activated_at is not None:
        raise ValidationError(f"{version} is already active")
    version.activated_at, version.activated_by = timezone.now(), by
    version.save(update_fields=["activated_at", "activated_by"])
    logger.info("indicator_version=%s activated by=%s", version.pk, getattr(by, "pk", None))
    return version


@transaction.atomic
def save_reply(
    *, by, organisation, period: str, text: str, expected_version: int | None = None
) -> CounselorReply:
    """The counselor's comment on their results of a period (right of reply)."""
    if organisation.pk not in by.case_organisation_ids():
        raise PermissionDenied("not a member of this organisation")
    text = text.strip()
    if not text:
        raise ValidationError("the comment is empty")
    reply = (
        CounselorReply.objects.select_for_update()
        .filter(counselor=by, organisation=organisation, period=period)
        .first()
    )
    if reply is None:
        return CounselorReply.objects.create(
            counselor=by, organisation=organisation, period=period, text=text
        )
    check_version(reply, expected_version)
    reply.text = text
    save_with_version(reply, ["text"])
    return reply
