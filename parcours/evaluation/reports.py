"""Reading stored indicator values for pages, open-data CSV and the printable PDF report.
Everything published goes through models.suppress (SMALL_CELL_THRESHOLD)."""

from __future__ import annotations

import csv
import datetime
import io

from django.db.models import Max

from parcours.evaluation.models import (
    SMALL_CELL_THRESHOLD,
    Dimension,
    Granularity,
    Indicator,
    IndicatorValue,
    suppress,
)

SECRET = "secret"  # noqa: S105 (what a suppressed cell shows in exports)


def period_label(start: datetime.date, granularity: str) -> str:
    if granularity == Granularity.YEAR:
        return f"{start.year}"
    if granularity == Granularity.QUARTER:
        return f"{start.year}-T{(start.month - 1) // 3 + 1}"
    return f"{start:%Y-%m}"


def rounded(value, unit: str):
    if value is None:
        return None
    return round(value, 1) if unit in {"%", "jours"} else round(value, 2)


OBSERVED = "observed_employment"


def observed_bounds(value: IndicatorValue) -> dict | None:
    """For a value observed through the post-hire check-ins: the response coverage (answers / due)
    and the bounds that count the unknowns both ways — lower: every non-answer without the job,
    upper: every non-answer with it — in the indicator's scale. None for other formulas and for
    cells under the small-cell threshold."""
    version = value.version
    if version.formula_key != OBSERVED or value.n < SMALL_CELL_THRESHOLD or not value.n:
        return None
    scale = float(version.parameters.get("scale", 1))
    n, num, den = value.n, value.numerator, value.denominator
    return {
        "answered": int(den),
        "due": n,
        "coverage": round(100 * den / n, 1),
        "lower": round(scale * num / n, 1),
        "upper": round(scale * (num + n - den) / n, 1),
    }


def published_values(
    indicator: Indicator, *, dimension: str, granularity: str, active_only: bool = False, **scope
):
    """Stored values of every version (every activated one with ``active_only``) of one indicator
    for one scope, oldest period first, with ``published`` set (None when suppressed) and
    ``bounds`` (observed_bounds). One query."""
    values = IndicatorValue.objects.filter(
        version__indicator=indicator, dimension=dimension, granularity=granularity, **scope
    )
    if active_only:
        values = values.filter(version__activated_at__isnull=False)
    out = []
    for v in values.select_related("version").order_by("period_start", "version__number"):
        v.published = rounded(suppress(v.value, v.n), indicator.unit)
        v.label = period_label(v.period_start, granularity)
        v.bounds = observed_bounds(v)
        out.append(v)
    return out


def side_by_side(values, versions) -> tuple[list[str], dict[str, list]]:
    """(period labels, {"v1": [...], "v2": [...]}) for a chart or a table of versions."""
    labels = sorted({v.label for v in values})
    index = {label: i for i, label in enumerate(labels)}
    series = {f"v{version.number}": [None] * len(labels) for version in versions}
    for v in values:
        series[f"v{v.version.number}"][index[v.label]] = v.published
    return labels, series


def latest_year_values(*, dimension: str, indicator_ids=None, **scope) -> dict[int, IndicatorValue]:
    """Per indicator: its current (newest activated) version's value for the latest year stored
    (suppressed), with ``bounds`` for the observed ones."""
    qs = IndicatorValue.objects.filter(
        dimension=dimension, granularity=Granularity.YEAR, version__activated_at__isnull=False, **scope
    )
    if indicator_ids is not None:
        qs = qs.filter(version__indicator_id__in=indicator_ids)
    latest = qs.aggregate(m=Max("period_start"))["m"]
    if latest is None:
        return {}
    out: dict[int, IndicatorValue] = {}
    rows = qs.filter(period_start=latest).select_related("version__indicator").order_by("version__number")
    for v in rows:  # the last (newest) version wins
        v.published = rounded(suppress(v.value, v.n), v.version.indicator.unit)
        v.label = period_label(v.period_start, Granularity.YEAR)
        v.bounds = observed_bounds(v)
        out[v.version.indicator_id] = v
    return out


CSV_COLUMNS = [
    "indicator",
    "version",
    "dimension",
    "organisation",
    "site",
    "territory_insee",
    "granularity",
    "period",
    "value",
    "numerator",
    "denominator",
    "n",
]


def indicator_csv(indicator: Indicator) -> str:
    """Open data: every stored value of the indicator; cells under the threshold are 'secret'."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    values = (
        IndicatorValue.objects.filter(version__indicator=indicator, version__activated_at__isnull=False)
        .exclude(dimension=Dimension.SITE, site__isnull=True)
        .values_list(
            "version__number",
            "dimension",
            "organisation__name",
            "site__name",
            "territory__insee_code",
            "granularity",
            "period_start",
            "value",
            "numerator",
            "denominator",
            "n",
        )
        .order_by("version__number", "dimension", "granularity", "period_start", "pk")
    )
    for number, dimension, org, site, insee, granularity, start, value, num, den, n in values.iterator(2000):
        shown = n >= SMALL_CELL_THRESHOLD
        writer.writerow(
            [
                indicator.code,
                number,
                dimension,
                org or "",
                site or "",
                insee or "",
                granularity,
                period_label(start, granularity),
                rounded(value, indicator.unit)
                if shown and value is not None
                else (SECRET if not shown else ""),
                num if shown else SECRET,
                den if shown else SECRET,
                n if shown else f"<{SMALL_CELL_THRESHOLD}",
            ]
        )
    return out.getvalue()


def _latin(text: str) -> str:
    """The PDF uses the standard fonts (no embedding): keep to Latin-1."""
    return str(text).replace("’", "'").replace("·", ".").encode("latin-1", "replace").decode("latin-1")


def organisation_report_rows(organisation, year: int) -> list[dict]:
    """The figures of the PDF report: one row per public indicator, suppressed."""
    start = datetime.date(year, 1, 1)
    indicators = list(Indicator.objects.filter(is_public=True).order_by("code"))
    values = (
        IndicatorValue.objects.filter(
            organisation=organisation,
            dimension=Dimension.ORGANISATION,
            period_start__year=year,
            version__indicator__in=indicators,
        )
        .select_related("version")
        .order_by("version__number")
    )
    by_indicator: dict[int, dict] = {}
    for v in values:
        entry = by_indicator.setdefault(v.version.indicator_id, {"year": None, "quarters": {}})
        published = rounded(suppress(v.value, v.n), "")
        if v.granularity == Granularity.YEAR and v.period_start == start:
            entry["year"] = (published, v.n)
        elif v.granularity == Granularity.QUARTER:
            entry["quarters"][period_label(v.period_start, Granularity.QUARTER)] = published
    rows = []
    for indicator in indicators:
        entry = by_indicator.get(indicator.pk, {"year": None, "quarters": {}})
        value, n = entry["year"] or (None, 0)
        rows.append({"indicator": indicator, "value": value, "n": n, "quarters": entry["quarters"]})
    return rows


def organisation_report_pdf(organisation, year: int) -> bytes:
    """A printable multi-page PDF (matplotlib's PdfPages: no extra dependency): a summary table,
    then one chart per indicator by quarter. Suppressed figures print as "secret"."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    rows = organisation_report_rows(organisation, year)
    buffer = io.BytesIO()
    # Standard PDF fonts and no compression: the text stays searchable and copyable.
    with (
        matplotlib.rc_context(
            {
                "pdf.use14corefonts": True,
                "pdf.compression": 0,
                "font.family": "sans-serif",
                "font.sans-serif": ["Helvetica"],
            }
        ),
        PdfPages(buffer, metadata={"Title": _latin(f"Parcours - {organisation.name} - {year}")}) as pdf,
    ):
        fig = plt.figure(figsize=(8.27, 11.69))
        fig.text(0.08, 0.95, _latin(f"Rapport de resultats {year}"), fontsize=18, weight="bold")
        fig.text(0.08, 0.92, _latin(organisation.name), fontsize=13)
        fig.text(
            0.08,
            0.89,
            _latin(
                f"Valeurs non publiees (secret) en dessous de {SMALL_CELL_THRESHOLD} personnes ou reponses."
            ),
            fontsize=9,
        )
        y = 0.85
        for row in rows:
            shown = "secret" if row["value"] is None else f"{row['value']} {row['indicator'].unit}"
            fig.text(0.08, y, _latin(row["indicator"].name_fr), fontsize=10)
            fig.text(0.72, y, _latin(shown), fontsize=10, ha="left")
            y -= 0.03
        pdf.savefig(fig)
        plt.close(fig)
        for row in rows:
            quarters = [f"{year}-T{q}" for q in range(1, 5)]
            data = [row["quarters"].get(q) for q in quarters]
            fig, ax = plt.subplots(figsize=(8.27, 5))
            ax.bar(quarters, [d if d is not None else 0 for d in data], color="#1d4ed8")
            for i, d in enumerate(data):
                ax.text(
                    i,
                    d if d is not None else 0,
                    "secret" if d is None else f"{d}",
                    ha="center",
                    va="bottom",
                )
            ax.set_title(_latin(f"{row['indicator'].name_fr} ({row['indicator'].unit})"))
            ax.set_ylabel(_latin(row["indicator"].unit))
            pdf.savefig(fig)
            plt.close(fig)
    return buffer.getvalue()
