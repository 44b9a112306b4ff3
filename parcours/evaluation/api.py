"""JSON API of evaluation: indicators and their stored values (suppressed below the small-cell
threshold), experiments and their latest impact report (analysts), the counselor's own survey
results. Same rules as the pages: what the user may not see answers 404."""

import datetime
import uuid

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status as HttpStatus

from parcours.accounts.models import Role
from parcours.evaluation import surveys
from parcours.evaluation.models import (
    Dimension,
    Experiment,
    Granularity,
    Indicator,
    IndicatorValue,
    suppress,
)

router = Router(tags=["évaluation"])
ANALYST = frozenset({Role.ANALYST})


class VersionOut(Schema):
    number: int
    formula_key: str
    parameters: dict
    valid_from: datetime.date
    notes: str


class IndicatorOut(Schema):
    code: str
    name_fr: str
    name_en: str
    definition_fr: str
    definition_en: str
    unit: str
    population: str
    versions: list[VersionOut]


class ValueOut(Schema):
    version: int
    dimension: str
    organisation: uuid.UUID | None
    site: int | None
    territory: str | None
    granularity: str
    period_start: datetime.date
    value: float | None
    n: int | None


class ValuesQuery(Schema):
    dimension: Dimension = Dimension.ALL
    granularity: Granularity = Granularity.YEAR


@router.get("/indicators", url_name="evaluation_indicators", response=list[IndicatorOut])
def list_indicators(request):
    indicators = Indicator.objects.prefetch_related("versions").order_by("code")
    return [
        {
            **{f: getattr(i, f) for f in IndicatorOut.model_fields if f != "versions"},
            "versions": list(i.versions.all()),
        }
        for i in indicators
    ]


@router.get("/indicators/{code}/values", response=list[ValueOut])
def indicator_values(request, code: str, filters: Query[ValuesQuery]):
    """Stored values; a value resting on fewer than 11 people is null (and so is its n)."""
    indicator = get_object_or_404(Indicator, code=code)
    values = (
        IndicatorValue.objects.filter(
            version__indicator=indicator, dimension=filters.dimension, granularity=filters.granularity
        )
        .values_list(
            "version__number",
            "organisation__public_id",
            "site_id",
            "territory__insee_code",
            "period_start",
            "value",
            "n",
        )
        .order_by("period_start", "version__number", "pk")[:5000]
    )
    return [
        {
            "version": number,
            "dimension": filters.dimension,
            "organisation": org,
            "site": site,
            "territory": insee,
            "granularity": filters.granularity,
            "period_start": start,
            "value": suppress(value, n),
            "n": suppress(n, n),
        }
        for number, org, site, insee, start, value, n in values
    ]


class ExperimentOut(Schema):
    public_id: uuid.UUID
    title: str
    status: str
    design: str
    unit: str
    outcomes: list[str]
    preregistration_hash: str


@router.get("/experiments", url_name="evaluation_experiments", response=list[ExperimentOut])
def list_experiments(request):
    org_ids = request.auth.organisation_ids(ANALYST)
    return list(Experiment.objects.filter(organisation_id__in=org_ids).order_by("-created_at")[:200])


class ReportOut(Schema):
    number: int
    as_of: datetime.date
    n: int
    created_at: datetime.datetime
    results: dict


def _experiment(request, public_id) -> Experiment:
    return get_object_or_404(
        Experiment.objects.filter(organisation_id__in=request.auth.organisation_ids(ANALYST)),
        public_id=public_id,
    )


@router.get("/experiments/{public_id}/report", response=ReportOut)
def latest_report(request, public_id: uuid.UUID):
    report = _experiment(request, public_id).reports.order_by("-number").first()
    if report is None:
        raise HttpError(404, "no report yet")
    return report


@router.post("/experiments/{public_id}/analyse", response={202: dict})
def analyse_experiment(request, public_id: uuid.UUID):
    """Queue a new analysis (stored as the next report version)."""
    from parcours.evaluation.tasks import run_analysis_task

    experiment = _experiment(request, public_id)
    if experiment.status in (Experiment.Status.DRAFT, Experiment.Status.REGISTERED):
        raise HttpError(409, "the experiment has not started")
    experiment_id, user_id = experiment.pk, request.auth.pk
    transaction.on_commit(lambda: run_analysis_task.enqueue(experiment_id, user_id))
    return HttpStatus(202, {"queued": True})


@router.get("/surveys/my-results", response=dict)
def my_survey_results(request, period: str = ""):
    """The caller's own satisfaction results (suppressed below the threshold)."""
    from django.db.models import Q

    if not request.auth.case_organisation_ids():
        raise HttpError(404, "not found")
    start, end, label = surveys.period_bounds(period or None, timezone.localdate())
    row = surveys.results_by(None, Q(counselor=request.auth), start, end)[0]
    if row["suppressed"]:
        row = {"suppressed": True}
    return {"period": label or "12m", "results": row}
