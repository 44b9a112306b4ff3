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
from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, ExtractYear, TruncDate, TruncMonth
from django.utils import timezone

from parcours.cases.models import Contact, EndReason, SupportEpisode
from parcours.catalogue.models import Referral, ReferralStatus
from parcours.evaluation.dbfunctions import AddDays, DaysBetween
from parcours.evaluation.models import Dimension, Granularity, Indicator, IndicatorValue, IndicatorVersion
from parcours.ops.routers import analytics, analytics_connection
from parcours.outcomes.models import DURABLE_MONTHS, CheckIn, ContractChange, ContractType, EmploymentOutcome

logger = logging.getLogger(__name__)

EMPLOYED = [EndReason.EMPLOYED_DURABLE, EndReason.EMPLOYED_SHORT]
DURABLE = [EndReason.EMPLOYED_DURABLE]

# Each computation returns a queryset of dicts: organisation, site, territory, month, num, den, n.
FORMULAS: dict[str, Callable] = {}
# Formulas whose months are snapshots of a stock (the same episodes month after month): their
# quarters and years sum the snapshots for the value, and take the largest month for n.
STOCK_FORMULAS = {"contact_lapse_rate"}


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
    with analytics_connection().cursor() as cursor:
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


@formula("contact_lapse_rate")
def contact_lapse_rate(start, end, as_of):
    """Share of open episodes whose contact has lapsed, one snapshot per month: on the month's
    last day (or ``as_of`` for the current month), among the episodes open that day (started on or
    before it, not ended before it), those whose last counted contact up to that day is older than
    their contact target. "Counted" is the intensity check's rule (parcours.cases.intensity:
    contacts with other organisations under the person's case-file consent valid that day; remote
    contacts only for "autonomous online"); the target is the episode's current one.

    Cells by the episode's organisation, site and commune at opening, in the snapshot's month;
    num: lapsed, den = n: open. One query per month (the contact log is read through the
    (episode, occurred_at) index)."""
    from parcours.cases import intensity as contact_rule

    rows: dict[tuple, list[int]] = {}
    month = datetime.date(start.year, start.month, 1)
    while month < end and month <= as_of:
        following = (month + datetime.timedelta(days=32)).replace(day=1)
        day = min(following - datetime.timedelta(days=1), as_of)
        episodes = (
            SupportEpisode.objects.filter(started_on__lte=day)
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=day))
            .annotate(counted=contact_rule.last_counted_contact(before=_day_after(day)))
            .only("organisation_id", "site_id", "commune_id", "started_on", "contact_target_days")
            .order_by()
        )
        for episode in episodes.iterator(chunk_size=5000):
            cell = rows.setdefault(
                (episode.organisation_id, episode.site_id, episode.commune_id, month), [0, 0]
            )
            cell[0] += contact_rule.is_lapsed(episode, episode.counted, day)
            cell[1] += 1
        month = following
    return [
        {"org": org, "site_key": site, "territory_key": commune, "month": m, "num": num, "den": den, "n": den}
        for (org, site, commune, m), (num, den) in rows.items()
    ]


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

    qs = SupportEpisode.objects.filter(
        end_reason__in=EMPLOYED,
        ended_on__gte=start,
        ended_on__lt=end,
        ended_on__lte=as_of - datetime.timedelta(days=horizon_days),
    ).annotate(
        kept=Case(When(Exists(came_back), then=Value(0)), default=Value(1), output_field=IntegerField())
    )
    return _cells(qs, "ended_on").annotate(num=Sum("kept"), den=Count("pk"), n=Count("pk"))


def _durable_at_due():
    """Whether the contract valid at the check-in's due date is durable (docs/after_hire.md): the
    latest contract change in force by then, else the terms before the first change, else the
    outcome's own contract. The same rule as parcours.outcomes.actions.terms_at."""
    in_force = ContractChange.objects.filter(
        outcome_id=OuterRef("outcome_id"), effective_on__lte=OuterRef("due_on")
    ).order_by("-effective_on", "-pk")
    later = ContractChange.objects.filter(
        outcome_id=OuterRef("outcome_id"), effective_on__gt=OuterRef("due_on")
    ).order_by("effective_on", "pk")
    recorded = Case(
        When(
            Q(outcome__contract_type__in=[ContractType.CDI, ContractType.BUSINESS_CREATION])
            | Q(outcome__contract_months__gte=DURABLE_MONTHS),
            then=Value(True),
        ),
        default=Value(False),
        output_field=BooleanField(),
    )
    return Coalesce(
        Subquery(in_force.values("durable")[:1], output_field=BooleanField()),
        Subquery(later.values("before_durable")[:1], output_field=BooleanField()),
        recorded,
        output_field=BooleanField(),
    )


@formula("observed_employment")
def observed_employment(
    start, end, as_of, *, horizon_months: int, durable_only: bool = False, same_job: bool = False
):
    """Observed employment at ``horizon_months`` after a hire, counted in PEOPLE, from the
    post-hire check-ins due in the period (docs/after_hire.md). Per person, horizon and calendar
    year of the due date, one check-in stands for the person: their latest answered one (latest
    due date, then latest recorded), or, when none is answered, their latest due one; the person
    is counted in that check-in's month, organisation, site and territory. num: people whose
    check-in says still employed (in a durable job — the contract valid at the due date — when
    ``durable_only``; with the same employer when ``same_job``); den: people who answered; n:
    people with a check-in due. The value is the share among respondents; the response coverage
    is den / n; unknowns counted both ways give the bounds num / n and (num + n - den) / n. An
    unanswered check-in is never counted as unemployed."""
    answered = Q(status=CheckIn.Status.ANSWERED)
    employed = answered & Q(still_employed=True)
    if durable_only:
        employed &= Q(durable_at_due=True)
    if same_job:  # the employer's link asks whether the person still works in their establishment
        employed &= Q(same_employer=True) | Q(respondent=CheckIn.Respondent.EMPLOYER)
    answered_rank = Case(When(answered, then=Value(1)), default=Value(0), output_field=IntegerField())
    due = CheckIn.objects.filter(
        horizon_months=horizon_months,
        outcome__kind=EmploymentOutcome.Kind.HIRE,
        due_on__gte=start,
        due_on__lt=end,
        due_on__lte=as_of,
    )
    # another check-in of the same person, horizon and year that stands before this one
    ranks_higher = (
        due.filter(
            outcome__episode__person_id=OuterRef("outcome__episode__person_id"),
            due_on__year=OuterRef("due_year"),
        )
        .annotate(rank=answered_rank)
        .filter(
            Q(rank__gt=OuterRef("rank"))
            | Q(rank=OuterRef("rank"), due_on__gt=OuterRef("due_on"))
            | Q(rank=OuterRef("rank"), due_on=OuterRef("due_on"), pk__gt=OuterRef("pk"))
        )
    )
    qs = (
        due.annotate(rank=answered_rank, due_year=ExtractYear("due_on"))
        .filter(~Exists(ranks_higher))
        .annotate(durable_at_due=_durable_at_due())
        .annotate(
            is_employed=Case(When(employed, then=Value(1)), default=Value(0), output_field=IntegerField()),
            is_answered=Case(When(answered, then=Value(1)), default=Value(0), output_field=IntegerField()),
        )
    )
    return _cells(
        qs,
        "due_on",
        organisation="outcome__episode__organisation_id",
        site="outcome__episode__site_id",
        territory="outcome__episode__commune_id",
    ).annotate(num=Sum("is_employed"), den=Sum("is_answered"), n=Count("pk"))


@formula("referral_completion")
def referral_completion(start, end, as_of):
    """Share of referrals proposed in the period and now settled that were completed."""
    settled = [
        ReferralStatus.COMPLETED,
        ReferralStatus.ABANDONED,
        ReferralStatus.REFUSED,
        ReferralStatus.EXPIRED,
    ]
    qs = Referral.objects.filter(
        proposed_at__date__gte=start,
        proposed_at__date__lt=end,
        proposed_at__date__lte=as_of,
        status__in=settled,
    ).annotate(
        done=Case(
            When(status=ReferralStatus.COMPLETED, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
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
    valid_from: datetime.date = datetime.date(2024, 1, 1)


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
        "contact_lapse_rate",
        "Taux de rupture de contact",
        "Contact lapse rate",
        "Part des accompagnements en cours dont le dernier contact compté est plus ancien que le rythme "
        "de contact de leur intensité (relevé le dernier jour de chaque mois ; les contacts des autres "
        "structures comptent quand la personne consent au partage de son dossier ; en « autonome en "
        "ligne », seuls les messages, visioconférences et rendez-vous réservés par la personne comptent).",
        "Share of open episodes whose last counted contact is older than their intensity's contact "
        "target (snapshot on the last day of each month; contacts with other organisations count when "
        'the person consents to share their file; for "autonomous online", only messages, video '
        "contacts and self-booked appointments count).",
        "%",
        "accompagnements en cours le dernier jour du mois",
        "contact_lapse_rate",
        {"scale": 100},
        higher_is_better=False,
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
        "same_job_12m",
        "Toujours dans le même emploi à 12 mois",
        "Still in the same job at 12 months",
        "Part des personnes embauchées qui, au point de suivi des 12 mois, travaillent toujours chez le "
        "même employeur, parmi celles qui ont répondu ; publiée avec la couverture des réponses et les "
        "bornes qui comptent les sans-réponse dans un sens puis dans l'autre.",
        "Share of hired people who, at the 12-month check-in, still work for the same employer, among "
        "those who answered; published with the response coverage and the bounds counting non-answers "
        "both ways.",
        "%",
        "points de suivi à 12 mois après une embauche, dus sur la période",
        "observed_employment",
        {"horizon_months": 12, "same_job": True, "scale": 100},
        valid_from=datetime.date(2026, 1, 1),
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


# Version 2 of the employment indicators: observed after the hire instead of the proxy of version 1
# (why an episode closed). Their months are those of the check-ins (1, 3, 6, 12 by default).
OBSERVED_NOTES = (
    "Emploi observé {months} mois après l'embauche, d'après les points de suivi (réponses de la "
    "personne, du conseiller·ère ou de l'employeur){durable}. Valeur : part des répondants en emploi ; "
    "couverture = réponses / points dus ; bornes : sans-réponse comptés sans emploi, puis en emploi."
)


SAME_JOB_NOTES = (
    "Toujours dans le même emploi (même employeur) {months} mois après l'embauche, d'après les points "
    "de suivi. Valeur : part des répondants ; couverture = réponses / points dus ; bornes : "
    "sans-réponse comptés hors de cet emploi, puis dans cet emploi."
)


def _ensure_observed_version(indicator: Indicator, parameters: dict, notes: str) -> None:
    """Add the observed version of an indicator once (activated: shipped with Parcours)."""
    if indicator.versions.filter(formula_key="observed_employment").exists():
        return
    number = (indicator.versions.aggregate(m=Max("number"))["m"] or 0) + 1
    IndicatorVersion.objects.create(
        indicator=indicator,
        number=number,
        formula_key="observed_employment",
        parameters=parameters,
        valid_from=datetime.date(2026, 1, 1),
        notes=notes,
        activated_at=timezone.now(),
    )


def _observed_parameters(d: Definition) -> tuple[dict, str] | None:
    """The observed version that replaces a shipped proxy, if any: (parameters, notes)."""
    if d.formula_key == "return_to_employment":
        months, durable = {91: 3, 182: 6, 365: 12}[d.parameters["horizon_days"]], d.parameters["durable_only"]
        notes = OBSERVED_NOTES.format(
            months=months,
            durable=" ; emploi durable : CDI, création d'entreprise ou contrat de 6 mois et plus"
            if durable
            else "",
        )
        return {"horizon_months": months, "durable_only": durable, "scale": 100}, notes
    if d.code == "retention_after_hire":
        return {"horizon_months": 6, "same_job": True, "scale": 100}, SAME_JOB_NOTES.format(months=6)
    return None


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
                valid_from=d.valid_from,
                notes="Version initiale.",
                activated_at=timezone.now(),
            )
        observed = _observed_parameters(d)
        if observed is not None:
            _ensure_observed_version(indicator, *observed)
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
    with analytics():  # the read replica when there is one (parcours.ops.routers)
        rows = fn(start, end, as_of, **params)
        if rows is None:
            return pd.DataFrame(columns=VALUE_COLUMNS)
        rows = list(rows)
    cells = pd.DataFrame.from_records(
        rows, columns=["org", "site_key", "territory_key", "month", "num", "den", "n", "grouping_set"]
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
            if version.formula_key in STOCK_FORMULAS and granularity != Granularity.MONTH:
                # Monthly snapshots of the same episodes: a quarter's n is its largest month
                # (the episodes counted at least once), never the sum of episode-months, so that
                # the small-cell rule still counts people.
                monthly = frame.groupby([*keys, "month"], as_index=False)[["n"]].sum()
                grouped["n"] = monthly.groupby(keys, as_index=False)["n"].max()["n"].to_numpy()
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
