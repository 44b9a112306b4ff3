"""The indicator registry: list with the latest values, and one indicator's page with its
versions side by side (chart and table). Values are read from storage, never recomputed."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from parcours.evaluation.charts import svg_chart
from parcours.evaluation.models import SMALL_CELL_THRESHOLD, Dimension, Granularity, Indicator
from parcours.evaluation.reports import latest_year_values, published_values, side_by_side
from parcours.organisations.models import Organisation


def _organisations(user):
    org_ids = user.organisation_ids()
    if not org_ids:
        raise PermissionDenied
    return list(Organisation.objects.filter(pk__in=org_ids).order_by("name"))


def _pick(organisations, value):
    return next((o for o in organisations if str(o.public_id) == value), organisations[0])


def indicator_list(request: HttpRequest) -> HttpResponse:
    organisations = _organisations(request.user)
    organisation = _pick(organisations, request.GET.get("organisation"))
    indicators = list(Indicator.objects.order_by("code"))
    mine = latest_year_values(dimension=Dimension.ORGANISATION, organisation=organisation)
    everyone = latest_year_values(dimension=Dimension.ALL)
    rows = [{"indicator": i, "mine": mine.get(i.pk), "all": everyone.get(i.pk)} for i in indicators]
    context = {
        "rows": rows,
        "organisations": organisations,
        "organisation": organisation,
        "language": get_language() or "fr",
        "threshold": SMALL_CELL_THRESHOLD,
    }
    return render(request, "evaluation/indicator_list.html", context)


def indicator_detail(request: HttpRequest, code: str) -> HttpResponse:
    organisations = _organisations(request.user)
    organisation = _pick(organisations, request.GET.get("organisation"))
    indicator = get_object_or_404(Indicator, code=code)
    granularity = request.GET.get("granularity")
    if granularity not in Granularity.values:
        granularity = Granularity.QUARTER
    versions = list(indicator.versions.order_by("number"))
    values = published_values(
        indicator, dimension=Dimension.ORGANISATION, granularity=granularity, organisation=organisation
    )
    labels, series = side_by_side(values, versions)
    language = get_language() or "fr"
    chart = svg_chart(
        labels,
        series,
        title=f"{indicator.name(language)} — {organisation.name}",
        desc=_(
            "Valeurs par période, une courbe par version de la formule. Le tableau qui suit donne les mêmes chiffres."
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
        "organisations": organisations,
        "organisation": organisation,
        "granularity": granularity,
        "granularities": Granularity.choices,
        "chart": chart,
        "table": table,
        "language": language,
        "threshold": SMALL_CELL_THRESHOLD,
    }
    return render(request, "evaluation/indicator_detail.html", context)
