"""Fairness of controls: breaches, blocked procedures, overrides and sanctions per group of people,
for the organisations of the reader, with small-cell suppression (docs/obligations.md)."""

import datetime

from django.db.models import Case, CharField, Count, Max, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcours.evaluation.models import SMALL_CELL_THRESHOLD
from parcours.obligations.models import Decision, SanctionProcedure, Status
from parcours.people.models import Sex

MEASURES = ("breaches", "blocked", "overrides", "sanctions")


def _age_band(today: datetime.date):
    def born_before(years: int) -> datetime.date:
        return today.replace(year=today.year - years)

    return Case(
        When(episode__person__birth_date__gt=born_before(26), then=Value("under_26")),
        When(episode__person__birth_date__gt=born_before(50), then=Value("26_49")),
        default=Value("50_plus"),
        output_field=CharField(),
    )


GROUPINGS = {
    "sex": (_("Sexe"), dict(Sex.choices)),
    "age_band": (
        _("Âge"),
        {"under_26": _("Moins de 26 ans"), "26_49": _("26 à 49 ans"), "50_plus": _("50 ans et plus")},
    ),
    "disability": (_("Reconnaissance de handicap (RQTH)"), {True: _("Oui"), False: _("Non")}),
    "priority_area": (_("Quartier prioritaire"), {True: _("Oui"), False: _("Non")}),
}


def procedure_counts(organisation_ids, *, grouping: str, today: datetime.date | None = None) -> list[dict]:
    """One row per group: its label and the MEASURES in order, None where a count is under the
    threshold."""
    if grouping not in GROUPINGS:
        raise ValueError(f"unknown grouping {grouping!r} (available: {', '.join(GROUPINGS)})")
    key = {
        "sex": "episode__person__sex",
        "disability": "episode__person__disability_recognition",
        "priority_area": "episode__person__priority_area",
    }.get(grouping)
    qs = SanctionProcedure.objects.filter(episode__organisation_id__in=organisation_ids)
    if key is None:
        qs, key = qs.annotate(group=_age_band(today or timezone.localdate())), "group"
    sanction = Q(decision__gt="") & ~Q(decision=Decision.NO_SANCTION)
    rows = (
        qs.order_by()
        .values(key)
        .annotate(
            breaches=Count("pk", distinct=True),
            blocked=Count("pk", filter=Q(steps__to_status=Status.BLOCKED), distinct=True),
            overrides=Count("steps", filter=Q(steps__is_override=True)),
            sanctions=Count("pk", filter=sanction, distinct=True),
        )
        .order_by(key)
    )
    labels = GROUPINGS[grouping][1]
    return [
        {
            "group": labels.get(row[key], row[key]),
            "cells": [row[m] if row[m] >= SMALL_CELL_THRESHOLD else None for m in MEASURES],
        }
        for row in rows
    ]


# Months after the decision (or the end of a procedure without sanction) at which the situation
# is read: about 6 months.
AFTER_DAYS = 182


def outcomes_after_sanction(organisation_ids, *, today: datetime.date | None = None) -> list[dict]:
    """Descriptive, not causal: the share of people in a job AFTER_DAYS after a sanction, beside
    people whose breach was recorded but who were not sanctioned (no sanction decided, procedure
    withdrawn or still blocked). The reference date is the decision's, or the procedure's last
    step's; only procedures whose reference date is at least AFTER_DAYS old count. In a job: an
    employment outcome (a hire) of the person that started on or before that date and had not
    ended by it. One row per group: n, in a job, share (%); None under the small-cell threshold.
    Two queries."""
    from parcours.outcomes.models import EmploymentOutcome

    today = today or timezone.localdate()
    cutoff = today - datetime.timedelta(days=AFTER_DAYS)
    procedures = list(
        SanctionProcedure.objects.filter(episode__organisation_id__in=organisation_ids)
        .filter(
            Q(status__in=[Status.DECIDED, Status.APPEALED, Status.LIFTED], decision__gt="")
            | Q(status__in=[Status.WITHDRAWN, Status.BLOCKED])
        )
        .annotate(last_step=Max("steps__at"))
        .values("episode__person_id", "decision", "decided_on", "last_step")
    )
    people = {p["episode__person_id"] for p in procedures}
    jobs: dict[int, list[tuple]] = {}
    for person_id, start, end in EmploymentOutcome.objects.filter(
        episode__person_id__in=people, kind=EmploymentOutcome.Kind.HIRE
    ).values_list("episode__person_id", "start_on", "end_on"):
        jobs.setdefault(person_id, []).append((start, end))
    groups = {"sanctioned": [0, 0], "not_sanctioned": [0, 0]}
    for p in procedures:
        reference = p["decided_on"] or timezone.localtime(p["last_step"]).date()
        if reference > cutoff:
            continue
        read_on = reference + datetime.timedelta(days=AFTER_DAYS)
        sanctioned = bool(p["decision"]) and p["decision"] != Decision.NO_SANCTION
        employed = any(
            start <= read_on and (end is None or end >= read_on)
            for start, end in jobs.get(p["episode__person_id"], [])
        )
        cell = groups["sanctioned" if sanctioned else "not_sanctioned"]
        cell[0] += 1
        cell[1] += int(employed)
    labels = {
        "sanctioned": _("Après une sanction"),
        "not_sanctioned": _("Manquement constaté, sans sanction"),
    }
    rows = []
    for key, (n, employed) in groups.items():
        visible = n >= SMALL_CELL_THRESHOLD
        rows.append(
            {
                "group": labels[key],
                "n": n if visible else None,
                "employed": employed if visible else None,
                "share": round(100 * employed / n, 1) if visible else None,
            }
        )
    return rows
