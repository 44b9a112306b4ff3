"""Public transparency pages (no login): indicators with small-cell suppression, experiments with
their pre-registration and results, model cards, open-data CSV and the printable PDF report."""

import re

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from parcours.evaluation.charts import svg_chart
from parcours.evaluation.models import SMALL_CELL_THRESHOLD, Dimension, Experiment, Granularity, Indicator
from parcours.evaluation.reports import (
    indicator_csv,
    latest_year_values,
    organisation_report_pdf,
    published_values,
    side_by_side,
)
from parcours.ops.routers import analytics
from parcours.organisations.models import Organisation
from parcours.profiling.models import ProfilingModel

PUBLIC_STATUSES = [
    Experiment.Status.REGISTERED,
    Experiment.Status.RUNNING,
    Experiment.Status.CLOSED,
    Experiment.Status.ANALYSED,
]


def published_model_cards() -> list[dict]:
    """Model cards are public (no personal data): the active model first, then the others."""
    models = ProfilingModel.objects.order_by("-is_active", "-created_at", "-pk").only(
        "version", "created_at", "is_active"
    )[:20]
    return [
        {
            "model": m,
            "url": reverse("profiling:model_card_public", kwargs={"version": m.version}),
        }
        for m in models
    ]


@login_not_required
@analytics()  # public figures: the read replica when there is one
def index(request: HttpRequest) -> HttpResponse:
    indicators = list(Indicator.objects.filter(is_public=True).order_by("code"))
    latest = latest_year_values(dimension=Dimension.ALL, indicator_ids=[i.pk for i in indicators])
    experiments = (
        Experiment.objects.filter(status__in=PUBLIC_STATUSES)
        .select_related("organisation")
        .order_by("-registered_at")[:50]
    )
    organisations = Organisation.objects.order_by("name").only("public_id", "name")[:500]
    context = {
        "rows": [{"indicator": i, "value": latest.get(i.pk)} for i in indicators],
        "experiments": experiments,
        "organisations": organisations,
        "model_cards": published_model_cards(),
        "language": get_language() or "fr",
        "threshold": SMALL_CELL_THRESHOLD,
    }
    return render(request, "transparency/index.html", context)


@login_not_required
@analytics()  # public figures: the read replica when there is one
def indicator(request: HttpRequest, code: str) -> HttpResponse:
    indicator = get_object_or_404(Indicator, code=code, is_public=True)
    versions = list(indicator.versions.filter(activated_at__isnull=False).order_by("number"))
    values = published_values(
        indicator, dimension=Dimension.ALL, granularity=Granularity.QUARTER, active_only=True
    )
    labels, series = side_by_side(values, versions)
    language = get_language() or "fr"
    chart = svg_chart(
        labels,
        series,
        title=indicator.name(language),
        desc=_(
            "Valeurs trimestrielles de l'ensemble des organisations, une courbe par version de la formule."
        ),
        unit="%" if indicator.unit == "%" else "",
    )
    table = [
        {"label": label, "values": [series[f"v{v.number}"][i] for v in versions]}
        for i, label in enumerate(labels)
    ]
    context = {
        "indicator": indicator,
        "versions": versions,
        "chart": chart,
        "table": table,
        "bounds": [v for v in values if v.version.formula_key == "observed_employment"],
        "language": language,
        "threshold": SMALL_CELL_THRESHOLD,
    }
    return render(request, "transparency/indicator.html", context)


@login_not_required
@analytics()  # public figures: the read replica when there is one
def indicator_csv_export(request: HttpRequest, code: str) -> HttpResponse:
    indicator = get_object_or_404(Indicator, code=code, is_public=True)
    response = HttpResponse(indicator_csv(indicator), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="parcours-{indicator.code}.csv"'
    return response


@login_not_required
@analytics()  # public figures: the read replica when there is one
def experiment(request: HttpRequest, public_id) -> HttpResponse:
    experiment = get_object_or_404(Experiment.objects.filter(status__in=PUBLIC_STATUSES), public_id=public_id)
    report = experiment.reports.order_by("-number").first()
    context = {
        "experiment": experiment,
        "report": report if report and report.is_publishable else None,
        "threshold": SMALL_CELL_THRESHOLD,
    }
    return render(request, "transparency/experiment.html", context)


@login_not_required
@analytics()  # public figures: the read replica when there is one
def report_pdf(request: HttpRequest, public_id, year: str) -> HttpResponse:
    if not re.fullmatch(r"\d{4}", year):
        raise Http404
    organisation = get_object_or_404(Organisation, public_id=public_id)
    pdf = organisation_report_pdf(organisation, int(year))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="parcours-rapport-{year}.pdf"'
    return response
