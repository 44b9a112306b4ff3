"""The indicator registry and its computations.

An indicator is data (``Indicator``); each of its versions names a computation registered here
(``formula_key``) with parameters. A computation is ONE aggregate query in the database, grouped
by organisation, site, territory and month (the finest cells); the cells are then summed up to
each dimension (organisation, site, territory, all) and granularity (month, quarter, year) — sums
of numerators and denominators, so the roll-up is exact — and stored as ``IndicatorValue`` rows.
Pages only read stored values.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from parcours.cases.models import Contact, EndReason, SupportEpisode
from parcours.evaluation.dbfunctions import AddDays, DaysBetween
from parcours.evaluation.models import Dimension, Granularity, Indicator, IndicatorValue, IndicatorVersion

logger = logging.getLogger(__name__)

EMPLOYED = [EndReason.EMPLOYED_DURABLE, EndReason.EMPLOYED_SHORT]
DURABLE = [EndReason.EMPLOYED_DURABLE]

# Each computation returns a queryset of dicts: organisation, site, territory, month, num, den, n.
FORMULAS: dict[str, Callable] = {}


def formula(key: str):
    def register(fn):
        FORMULAS[key] = fn
        return fn

    return register


def _cells(qs, month_field: str, *, organisation="organisation_id", site="site_id", territory="commune_id"):
    return qs.values(
        org=F(organisation),
        site_key=F(site),
        territory_key=F(territory),
        month=TruncMonth(month_field),
    )


# The month of a date without time zone arithmetic (a date cast to timestamptz costs a zone
# lookup per row).
MONTH_SQL = "date_trunc('month', e.started_on::timestamp)::date"
# Two groupings, each with the month: (organisation, site) — a site belongs to one organisation,
# so organisations, sites and the whole are sums of these cells — and territory (the episode's
# commune). Each row says its grouping in ``grouping_set`` (the grouping's position here).
# (dimensions read from it, organisation column, site column, territory column, GROUP BY keys)
GROUPINGS = [
    (
        ("organisation", "site", "all"),
        "e.organisation_id",
        "e.site_id",
        "NULL::bigint",
        "e.organisation_id, e.site_id",
    ),
    (("territory",), "NULL::bigint", "NULL::bigint", "e.commune_id", "e.commune_id"),
]
GROUPING_DIMENSIONS = {position: grouping[0] for position, grouping in enumerate(GROUPINGS)}


def _grouped_episodes_sql(
    measures: str,
    measure_params: list,
    where: str,
    where_params: list,
    *,
    join: str = "",
    join_params: list | tuple = (),
) -> list[dict]:
    """PostgreSQL: ``measures`` (num, den, n) over the episodes (alias ``e``) matching ``where``,
    for each grouping of GROUPINGS. The groupings are two plain GROUP BYs under UNION ALL rather
    than GROUPING SETS: PostgreSQL runs those in parallel (partial aggregates), GROUPING SETS
    not — half the time at a million episodes (bench/bench_indicators.py)."""
    # Only fixed SQL fragments of this module and table names go into the text; every value is
    # a query parameter.
    episode = SupportEpisode._meta.db_table
    branches = [
        f"SELECT {org} AS org, {site} AS site_key, {territory} AS territory_key, "  # noqa: S608
        f"{MONTH_SQL} AS month, {grouping} AS grouping_set, {measures} "
        f"FROM {episode} e {join} WHERE {where} GROUP BY {keys}, {MONTH_SQL}"
        for grouping, (_dimensions, org, site, territory, keys) in enumerate(GROUPINGS)
    ]
    params = [*measure_params, *join_params, *where_params] * len(branches)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(branches), params)
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _day_after(as_of: datetime.date) -> datetime.datetime:
    """The first instant after the local day ``as_of``."""
    return timezone.make_aware(datetime.datetime.combine(as_of + datetime.timedelta(days=1), datetime.time()))


FIRST_CONTACT_MEASURES = (
    "SUM(({first} AT TIME ZONE %s)::date - e.started_on) AS num, COUNT(*) AS den, COUNT(*) AS n"
)


@formula("time_to_first_contact")
def time_to_first_contact(start, end, as_of, *, channels=None):
    """Days from the episode's start to its first contact (any channel, or only ``channels``),
    for episodes started in the period that have had a contact by ``as_of``.

    Any channel: read from the episode's denormalised ``first_contact_at`` (kept by
    ``record_contact``), so the computation reads episodes only, never the contact log."""
    if channels:
        return _first_contact_on_channels(start, end, as_of, channels)
    if connection.vendor == "postgresql":
        return _grouped_episodes_sql(
            FIRST_CONTACT_MEASURES.format(first="e.first_contact_at"),
            [settings.TIME_ZONE],
            "e.started_on >= %s AND e.started_on < %s AND e.started_on <= %s AND e.first_contact_at < %s",
            [start, end, as_of, _day_after(as_of)],
        )
    qs = SupportEpisode.objects.filter(
        started_on__gte=start,
        started_on__lt=end,
        started_on__lte=as_of,
        first_contact_at__lt=_day_after(as_of),
    ).annotate(days=DaysBetween(TruncDate("first_contact_at"), "started_on"))
    return _cells(qs, "started_on").annotate(num=Sum("days"), den=Count("pk"), n=Count("pk"))


def _first_contact_on_channels(start, end, as_of, channels):
    """Time to first contact on some channels only: from the contact log (a revised formula)."""
    if connection.vendor == "postgresql":
        # One aggregate over the contacts of those channels (a derived table), not one probe
        # per episode.
        inner = (
            Contact.objects.filter(channel__in=channels, occurred_at__lt=_day_after(as_of))
            .order_by()
            .values("episode_id")
            .annotate(first_at=Min("occurred_at"))
        )
        inner_sql, inner_params = inner.query.sql_with_params()
        return _grouped_episodes_sql(
            FIRST_CONTACT_MEASURES.format(first="f.first_at"),
            [settings.TIME_ZONE],
            "e.started_on >= %s AND e.started_on < %s AND e.started_on <= %s",
            [start, end, as_of],
            join=f"JOIN ({inner_sql}) f ON f.episode_id = e.id",
            join_params=inner_params,
        )
    contacts = Contact.objects.filter(
        episode=OuterRef("pk"), channel__in=channels, occurred_at__lt=_day_after(as_of)
    )
    first = Subquery(contacts.order_by("occurred_at").values("occurred_at")[:1])
    qs = (
        SupportEpisode.objects.filter(started_on__gte=start, started_on__lt=end, started_on__lte=as_of)
        .annotate(first_contact=first)
        .filter(first_contact__isnull=False)
        .annotate(days=DaysBetween(TruncDate("first_contact"), "started_on"))
    )
    return _cells(qs, "started_on").annotate(num=Sum("days"), den=Count("pk"), n=Count("pk"))


@formula("contact_intensity")
def contact_intensity(start, end, as_of, *, min_days: int = 30):
    """Contacts achieved / contacts expected by the intensity target, for episodes started in the
    period and open at least ``min_days`` days by ``as_of`` (or their end). Expected contacts of
    one episode = its days of support / its target interval in days.

    Contacts achieved = the episode's denormalised ``contact_count`` minus its contacts after
    ``as_of`` (none when computing as of today; an index range on ``occurred_at`` otherwise)."""
    later = _day_after(as_of)
    if connection.vendor == "postgresql":
        return _grouped_episodes_sql(
            "SUM(e.contact_count - COALESCE(l.c, 0)) AS num, "
            "SUM((COALESCE(e.ended_on, %s) - e.started_on)::float / e.contact_target_days) AS den, "
            "COUNT(*) AS n",
            [as_of],
            "e.started_on >= %s AND e.started_on < %s AND COALESCE(e.ended_on, %s) - e.started_on >= %s",
            [start, end, as_of, min_days],
            join=f"LEFT JOIN (SELECT episode_id, COUNT(*) AS c FROM {Contact._meta.db_table} "  # noqa: S608
            "WHERE occurred_at >= %s GROUP BY episode_id) l ON l.episode_id = e.id",
            join_params=[later],
        )
    after = Subquery(
        Contact.objects.filter(episode=OuterRef("pk"), occurred_at__gte=later)
        .order_by()
        .values("episode")
        .annotate(c=Count("pk"))
        .values("c")[:1],
        output_field=IntegerField(),
    )
    qs = (
        SupportEpisode.objects.filter(started_on__gte=start, started_on__lt=end)
        .annotate(days=DaysBetween(Coalesce("ended_on", Value(as_of)), "started_on"))
        .filter(days__gte=min_days)
        .annotate(
            n_contacts=F("contact_count") - Coalesce(after, 0),
            expected=Cast("days", FloatField()) / Cast("contact_target_days", FloatField()),
        )
    )
    return _cells(qs, "started_on").annotate(num=Sum("n_contacts"), den=Sum("expected"), n=Count("pk"))


@formula("return_to_employment")
def return_to_employment(start, end, as_of, *, horizon_days: int, durable_only: bool = False):
    """Share of episodes started in the period that ended in employment (durable: CDI or 6 months
    and more) within ``horizon_days``; only episodes whose horizon has passed by ``as_of``."""
    reasons = DURABLE if durable_only else EMPLOYED
    qs = SupportEpisode.objects.filter(
        started_on__gte=start,
        started_on__lt=end,
        started_on__lte=as_of - datetime.timedelta(days=horizon_days),
    ).annotate(
        employed=Case(
            When(
                Q(
                    end_reason__in=reasons,
                    ended_on__isnull=False,
                    ended_on__lte=AddDays("started_on", horizon_days),
                ),
                then=Value(1),
            ),
            default=Value(0),
            output_field=IntegerField(),
        )
    )
    return _cells(qs, "started_on").annotate(num=Sum("employed"), den=Count("pk"), n=Count("pk"))


@formula("retention_after_hire")
def retention_after_hire(start, end, as_of, *, horizon_days: int = 182):
    """Among episodes closed by a hire in the period, the share of people who did not come back
    into support (a new episode with any organisation) within ``horizon_days`` — a proxy for job
    retention until employment outcomes are recorded as such."""
    came_back = SupportEpisode.objects.filter(
        person_id=OuterRef("person_id"),
        started_on__gt=OuterRef("ended_on"),
        started_on__lte=AddDays(OuterRef("ended_on"), horizon_days),
    )
    from django.db.models import Exists

    qs = SupportEpisode.objects.filter(
        end_reason__in=EMPLOYED,
        ended_on__gte=start,
        ended_on__lt=end,
        ended_on__lte=as_of - datetime.timedelta(days=horizon_days),
    ).annotate(
        kept=Case(When(Exists(came_back), then=Value(0)), default=Value(1), output_field=IntegerField())
    )
    return _cells(qs, "ended_on").annotate(num=Sum("kept"), den=Count("pk"), n=Count("pk"))


@formula("referral_completion")
def referral_completion(start, end, as_of):
    """Share of referrals proposed in the period and now settled that were completed. Needs the
    catalogue app; without it the indicator has no value (None)."""
    if not apps.is_installed("parcours.catalogue"):
        return None
    Referral = apps.get_model("catalogue", "Referral")
    settled = ["completed", "abandoned", "refused", "expired"]
    qs = Referral.objects.filter(
        proposed_at__date__gte=start,
        proposed_at__date__lt=end,
        proposed_at__date__lte=as_of,
        status__in=settled,
    ).annotate(
        done=Case(When(status="completed", then=Value(1)), default=Value(0), output_field=IntegerField())
    )
    return _cells(
        qs,
        "proposed_at",
        organisation="episode__organisation_id",
        site="episode__site_id",
        territory="episode__commune_id",
    ).annotate(num=Sum("done"), den=Count("pk"), n=Count("pk"))


@formula("satisfaction")
def satisfaction(start, end, as_of, *, moments=None):
    """Mean overall satisfaction (1 to 5) of the answers given in the period."""
    from parcours.evaluation.models import SurveyResponse

    qs = SurveyResponse.objects.filter(
        answered_on__gte=start, answered_on__lt=end, answered_on__lte=as_of, overall_score__isnull=False
    )
    if moments:
        qs = qs.filter(moment__in=moments)
    return _cells(qs, "answered_on", territory="site__commune_id").annotate(
        num=Sum("overall_score"), den=Count("pk"), n=Count("pk")
    )


# --------------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class Definition:
    code: str
    name_fr: str
    name_en: str
    definition_fr: str
    definition_en: str
    unit: str
    population: str
    formula_key: str
    parameters: dict
    higher_is_better: bool = True


def _employment(months: int, durable: bool) -> Definition:
    kind_fr = "dans un emploi durable (CDI ou contrat de 6 mois et plus)" if durable else "dans un emploi"
    kind_en = "a durable job (permanent or 6 months or more)" if durable else "a job"
    return Definition(
        code=f"{'durable_' if durable else ''}employment_{months}m",
        name_fr=f"Retour à l'emploi{' durable' if durable else ''} à {months} mois",
        name_en=f"Return to {'durable ' if durable else ''}employment at {months} months",
        definition_fr=(
            f"Part des accompagnements commencés sur la période qui se sont terminés {kind_fr} "
            f"dans les {months} mois suivant leur début."
        ),
        definition_en=f"Share of episodes started in the period that ended in {kind_en} within {months} months.",
        unit="%",
        population=f"accompagnements commencés sur la période, avec au moins {months} mois de recul",
        formula_key="return_to_employment",
        parameters={"horizon_days": {3: 91, 6: 182, 12: 365}[months], "durable_only": durable, "scale": 100},
    )


DEFINITIONS: list[Definition] = [
    Definition(
        "time_to_first_contact",
        "Délai de premier contact",
        "Time to first contact",
        "Nombre moyen de jours entre le début de l'accompagnement et le premier contact.",
        "Mean number of days from the start of the episode to the first contact.",
        "jours",
        "accompagnements commencés sur la période ayant eu au moins un contact",
        "time_to_first_contact",
        {},
        higher_is_better=False,
    ),
    Definition(
        "contact_intensity",
        "Intensité de contact réalisée",
        "Contact intensity achieved",
        "Contacts réalisés rapportés aux contacts attendus selon l'intensité (100 % = cible tenue).",
        "Contacts held over contacts expected from the intensity target (100% = on target).",
        "%",
        "accompagnements commencés sur la période, suivis depuis au moins 30 jours",
        "contact_intensity",
        {"min_days": 30, "scale": 100},
    ),
    Definition(
        "referral_completion",
        "Orientations réalisées",
        "Referral completion",
        "Part des orientations proposées sur la période, désormais closes, qui ont été menées à leur terme.",
        "Share of referrals proposed in the period, now settled, that were completed.",
        "%",
        "orientations proposées sur la période et closes",
        "referral_completion",
        {"scale": 100},
    ),
    *[_employment(m, d) for d in (False, True) for m in (3, 6, 12)],
    Definition(
        "retention_after_hire",
        "Maintien après l'embauche",
        "Retention after hire",
        "Part des personnes sorties en emploi sur la période qui ne sont pas revenues en accompagnement "
        "dans les 6 mois (approximation en attendant l'enregistrement des contrats).",
        "Share of people who left support for a job in the period and did not come back within 6 months.",
        "%",
        "accompagnements clos par une embauche sur la période, avec 6 mois de recul",
        "retention_after_hire",
        {"horizon_days": 182, "scale": 100},
    ),
    Definition(
        "satisfaction",
        "Satisfaction",
        "Satisfaction",
        "Note moyenne de satisfaction globale (1 à 5) des réponses aux enquêtes de la période.",
        "Mean overall satisfaction score (1 to 5) of the survey answers of the period.",
        "/5",
        "réponses aux enquêtes de satisfaction reçues sur la période",
        "satisfaction",
        {},
    ),
]


@transaction.atomic
def ensure_registry() -> list[Indicator]:
    """Create the indicators shipped with Parcours (version 1) if they are missing."""
    out = []
    for d in DEFINITIONS:
        indicator, created = Indicator.objects.get_or_create(
            code=d.code,
            defaults={
                "name_fr": d.name_fr,
                "name_en": d.name_en,
                "definition_fr": d.definition_fr,
                "definition_en": d.definition_en,
                "unit": d.unit,
                "population": d.population,
                "higher_is_better": d.higher_is_better,
            },
        )
        if created:
            IndicatorVersion.objects.create(
                indicator=indicator,
                number=1,
                formula_key=d.formula_key,
                parameters=d.parameters,
                valid_from=datetime.date(2024, 1, 1),
                notes="Version initiale.",
            )
        out.append(indicator)
    return out


# --------------------------------------------------------------------------- computing and storing


def _period_start(month: pd.Series, granularity: str) -> pd.Series:
    if granularity == Granularity.MONTH:
        return month
    months = month.dt.month
    months = months - (months - 1) % 3 if granularity == Granularity.QUARTER else months * 0 + 1
    return pd.to_datetime(pd.DataFrame({"year": month.dt.year, "month": months, "day": 1}))


DIMENSION_COLUMN = {
    Dimension.ALL: None,
    Dimension.ORGANISATION: "org",
    Dimension.SITE: "site_key",
    Dimension.TERRITORY: "territory_key",
}


VALUE_COLUMNS = [
    "dimension",
    "organisation_id",
    "site_id",
    "territory_id",
    "granularity",
    "period_start",
    "value",
    "numerator",
    "denominator",
    "n",
]


def compute_frame(
    version: IndicatorVersion, start: datetime.date, end: datetime.date, as_of: datetime.date | None = None
) -> pd.DataFrame:
    """Compute one indicator version over [start, end): one row per dimension, key, granularity
    and period. One database query; the roll-up sums aggregated cells only (vectorised)."""
    as_of = as_of or timezone.localdate()
    params = dict(version.parameters)
    scale = float(params.pop("scale", 1))
    try:
        fn = FORMULAS[version.formula_key]
    except KeyError as exc:
        raise ValueError(f"unknown formula {version.formula_key!r}") from exc
    rows = fn(start, end, as_of, **params)
    if rows is None:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    cells = pd.DataFrame.from_records(
        list(rows), columns=["org", "site_key", "territory_key", "month", "num", "den", "n", "grouping_set"]
    )
    if cells.empty:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    cells["month"] = pd.to_datetime(
        cells["month"].map(lambda m: m.date() if isinstance(m, datetime.datetime) else m)
    )
    cells[["num", "den"]] = cells[["num", "den"]].astype(float)
    cells["n"] = cells["n"].astype(int)
    parts = []
    for granularity in Granularity.values:
        cells["period"] = _period_start(cells["month"], granularity)
        for dimension, column in DIMENSION_COLUMN.items():
            keys = ["period"] if column is None else [column, "period"]
            if cells["grouping_set"].notna().any():
                # PostgreSQL grouped by (organisation, site) and by territory (GROUPINGS): the
                # rows of the grouping that holds this dimension.
                sets = [g for g, dims in GROUPING_DIMENSIONS.items() if dimension in dims]
                frame = cells[cells["grouping_set"].isin(sets)]
                frame = frame if column is None else frame[frame[column].notna()]
            else:
                frame = cells if column is None else cells[cells[column].notna()]
            grouped = frame.groupby(keys, as_index=False)[["num", "den", "n"]].sum()
            out = pd.DataFrame(
                {
                    "dimension": dimension,
                    "granularity": granularity,
                    "period_start": grouped["period"].dt.date,
                    "numerator": grouped["num"],
                    "denominator": grouped["den"],
                    "n": grouped["n"],
                }
            )
            for name, source in (
                ("organisation_id", "org"),
                ("site_id", "site_key"),
                ("territory_id", "territory_key"),
            ):
                out[name] = grouped[source].astype("Int64") if column == source else None
            out["value"] = (scale * grouped["num"] / grouped["den"]).where(grouped["den"] != 0)
            parts.append(out[VALUE_COLUMNS])
    return pd.concat(parts, ignore_index=True)


def compute_version(
    version: IndicatorVersion, start: datetime.date, end: datetime.date, as_of: datetime.date | None = None
) -> list[IndicatorValue]:
    """Unsaved IndicatorValue rows of one version over [start, end) (see compute_frame)."""
    frame = compute_frame(version, start, end, as_of)
    now = timezone.now()
    frame = frame.astype(object).where(frame.notna(), None)
    return [IndicatorValue(version_id=version.pk, computed_at=now, **row) for row in frame.to_dict("records")]


def year_range(period: str | None, as_of: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The whole years covering ``period`` (YYYY, YYYY-Qn or YYYY-MM), so that quarters and years
    are always computed from all their months; default: the current and the previous year."""
    if not period:
        return datetime.date(as_of.year - 1, 1, 1), datetime.date(as_of.year + 1, 1, 1)
    try:
        year = int(period[:4])
    except ValueError as exc:
        raise ValueError(f"period must look like 2025, 2025-Q1 or 2025-03, got {period!r}") from exc
    if len(period) > 4 and not (
        period[4] == "-" and (period[5:] in {"Q1", "Q2", "Q3", "Q4"} or period[5:].isdigit())
    ):
        raise ValueError(f"period must look like 2025, 2025-Q1 or 2025-03, got {period!r}")
    return datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)


@transaction.atomic
def compute_indicators(
    *, period: str | None = None, as_of: datetime.date | None = None, codes: list[str] | None = None
) -> dict[str, int]:
    """Compute every version of the (selected) indicators over the years of ``period`` and
    replace their stored values there. Returns the number of values stored per version."""
    as_of = as_of or timezone.localdate()
    start, end = year_range(period, as_of)
    ensure_registry()
    versions = IndicatorVersion.objects.select_related("indicator")
    if codes:
        versions = versions.filter(indicator__code__in=codes)
    stored = {}
    for version in versions:
        values = compute_version(version, start, end, as_of)
        IndicatorValue.objects.filter(version=version, period_start__gte=start, period_start__lt=end).delete()
        IndicatorValue.objects.bulk_create(values, batch_size=2000)
        stored[str(version)] = len(values)
        logger.info("indicator_version=%s values=%s start=%s end=%s", version.pk, len(values), start, end)
    return stored
