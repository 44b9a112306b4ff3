"""The one place where experiment data leaves the ORM: assignments → a pandas DataFrame.

One row per assigned person. Outcomes are measured from the episode the person was assigned in
(until an EmploymentOutcome model exists): "employed within H months" = the episode ended with an
employment end reason (durable: CDI or 6 months and more) at most H months after assignment.
People whose horizon has not yet passed on ``as_of`` get a missing outcome (NaN) and are
left out of that outcome's estimates.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils import timezone

from parcours.cases.models import EndReason
from parcours.evaluation.dbfunctions import DaysBetween
from parcours.evaluation.models import Assignment, Experiment

# Pre-registrable outcomes: code -> (horizon in days, end reasons counted)
EMPLOYED = [EndReason.EMPLOYED_DURABLE, EndReason.EMPLOYED_SHORT]
OUTCOMES = {
    "employment_3m": (91, EMPLOYED),
    "employment_6m": (182, EMPLOYED),
    "employment_12m": (365, EMPLOYED),
    "durable_employment_6m": (182, [EndReason.EMPLOYED_DURABLE]),
    "durable_employment_12m": (365, [EndReason.EMPLOYED_DURABLE]),
}
COVARIATES = ["age", "female", "minimum_income", "priority_area", "disability"]
SUBGROUPS = ["sex", "age_band", "minimum_income", "priority_area", "intensity"]

COLUMNS = [
    "assignment",
    "arm_position",
    "cluster",
    "stratum",
    "share",
    "assigned_on",
    "birth_date",
    "sex",
    "minimum_income",
    "priority_area",
    "disability",
    "intensity",
    "site",
    "end_reason",
    "days_to_end",
    "took_up",
]


def experiment_frame(experiment: Experiment, as_of: datetime.date | None = None) -> pd.DataFrame:
    """DataFrame of an experiment: treatment (0/1 vs the control arm), arm, cluster, stratum,
    share, covariates, subgroups, take-up and every pre-registrable outcome."""
    as_of = as_of or timezone.localdate()
    rows = (
        Assignment.objects.filter(experiment=experiment)
        .annotate(
            days_to_end=Case(
                When(
                    Q(episode__ended_on__isnull=False), then=DaysBetween("episode__ended_on", "assigned_on")
                ),
                default=Value(None),
                output_field=IntegerField(),
            )
        )
        .values_list(
            "pk",
            F("arm__position"),
            "cluster_key",
            "stratum",
            "share",
            "assigned_on",
            F("person__birth_date"),
            F("person__sex"),
            F("person__minimum_income"),
            F("person__priority_area"),
            F("person__disability_recognition"),
            F("episode__intensity"),
            F("episode__site_id"),
            F("episode__end_reason"),
            "days_to_end",
            F("take_up__took_up"),
        )
        .order_by("pk")
    )
    df = pd.DataFrame.from_records(list(rows), columns=COLUMNS)
    if df.empty:
        return df
    df["treatment"] = (df["arm_position"] > 0).astype(int)
    df["assigned_on"] = pd.to_datetime(df["assigned_on"])
    birth = pd.to_datetime(df["birth_date"])
    age = df["assigned_on"].dt.year - birth.dt.year
    before_birthday = (df["assigned_on"].dt.month < birth.dt.month) | (
        (df["assigned_on"].dt.month == birth.dt.month) & (df["assigned_on"].dt.day < birth.dt.day)
    )
    df["age"] = (age - before_birthday.astype(int)).astype(float)
    df["age_band"] = np.select([df["age"] < 26, df["age"] < 50], ["<26", "26-49"], "50+")
    df["female"] = (df["sex"] == "F").astype(float)
    for column in ("minimum_income", "priority_area", "disability"):
        df[column] = df[column].astype(float)
    df["cluster"] = df["cluster"].where(df["cluster"] != "", "unit-" + df["assignment"].astype(str))
    df["took_up"] = df["took_up"].astype(float)
    elapsed = (pd.Timestamp(as_of) - df["assigned_on"]).dt.days
    days_to_end = pd.to_numeric(df["days_to_end"], errors="coerce")
    for code, (horizon, reasons) in OUTCOMES.items():
        hit = df["end_reason"].isin([str(r) for r in reasons]) & (days_to_end <= horizon)
        df[code] = np.where(elapsed >= horizon, hit.astype(float), np.nan)
    return df.drop(columns=["birth_date", "days_to_end"])
