"""Impact analysis of an experiment: the DataFrame from queries.py goes to the science core
(parcours.stats.evaluation); the results are stored as a versioned ImpactReport. Pages only read
stored reports."""

from __future__ import annotations

import datetime
import hashlib
import logging
import math

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from parcours.evaluation.models import SMALL_CELL_THRESHOLD, Experiment, ImpactReport
from parcours.evaluation.queries import COVARIATES, OUTCOMES, experiment_frame
from parcours.stats.errors import BadInputError
from parcours.stats.evaluation import (
    cost_per_additional_employed,
    estimate_displacement,
    estimate_heterogeneity,
    estimate_itt,
    estimate_late,
    minimum_detectable_effect,
    net_present_value,
    randomization_test,
)

logger = logging.getLogger(__name__)
N_PERMUTATIONS = 2000


def _clean(value):
    """JSON-ready: numpy scalars to Python, NaN and infinities to None."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _effect(result) -> dict:
    return _clean(result.to_dict())


def _section(fn):
    """Run one part of the analysis; bad input becomes a readable message, not a failure."""
    try:
        return fn()
    except BadInputError as exc:
        return {"error": str(exc)}


def analyse_outcome(experiment: Experiment, df: pd.DataFrame, outcome: str, arm_costs: dict) -> dict:
    data = df[df[outcome].notna()]
    clustered = experiment.design in (Experiment.Design.CLUSTER, Experiment.Design.TWO_LEVEL) or (
        experiment.unit != Experiment.Unit.INDIVIDUAL
    )
    cluster = "cluster" if clustered else None
    out: dict = {"n": len(data), "n_treated": int(data["treatment"].sum())}
    out["n_control"] = out["n"] - out["n_treated"]
    if min(out["n_treated"], out["n_control"]) < SMALL_CELL_THRESHOLD:
        out["error"] = f"fewer than {SMALL_CELL_THRESHOLD} people in an arm with an observed outcome"
        return out
    covariates = [c for c in (experiment.covariates or COVARIATES) if c in data and data[c].nunique() > 1]
    itt = _section(lambda: estimate_itt(data, outcome, "treatment", cluster=cluster))
    out["itt"] = itt if isinstance(itt, dict) else _effect(itt)
    adjusted = _section(
        lambda: estimate_itt(data, outcome, "treatment", covariates=covariates, cluster=cluster)
    )
    out["itt_adjusted"] = adjusted if isinstance(adjusted, dict) else _effect(adjusted)
    out["covariates"] = covariates

    def ri():
        strata = data["stratum"].to_numpy() if (data["stratum"] != "").any() else None
        result = randomization_test(
            data[outcome].to_numpy(),
            data["treatment"].to_numpy(),
            strata=strata,
            clusters=data["cluster"].to_numpy() if clustered else None,
            n_permutations=N_PERMUTATIONS,
            random_state=experiment.seed,
        )
        return {
            "statistic": result.statistic,
            "pvalue": result.pvalue,
            "n_permutations": result.n_permutations,
            "exact": result.exact,
        }

    out["randomisation"] = _clean(_section(ri))
    if data["took_up"].notna().any():
        late_data = data.assign(took_up=data["took_up"].fillna(0.0))
        late = _section(lambda: estimate_late(late_data, outcome, "took_up", "treatment", cluster=cluster))
        out["late"] = late if isinstance(late, dict) else _effect(late)
    heterogeneity = {}
    for subgroup in experiment.subgroups or []:
        if subgroup not in data:
            heterogeneity[subgroup] = {"error": f"unknown subgroup {subgroup!r}"}
            continue

        def het(subgroup=subgroup):
            result = estimate_heterogeneity(
                data.assign(**{subgroup: data[subgroup].astype(str)}),
                outcome,
                "treatment",
                subgroup,
                cluster=cluster,
            )
            return {
                "effects": {
                    str(k): _effect(v)
                    if min(v.n_treated, v.n_control) >= SMALL_CELL_THRESHOLD
                    else {"error": f"fewer than {SMALL_CELL_THRESHOLD} people in an arm: not shown"}
                    for k, v in result.effects.items()
                },
                "test": _clean(result.test.to_dict()),
            }

        heterogeneity[subgroup] = _section(het)
    out["heterogeneity"] = heterogeneity
    if experiment.design == Experiment.Design.TWO_LEVEL:

        def displacement():
            result = estimate_displacement(data, outcome, "treatment", "cluster", "share")
            return {
                "on_treated": _effect(result.on_treated),
                "on_untreated": _effect(result.on_untreated),
                "within_cluster": _effect(result.within_cluster),
                "no_displacement_test": _clean(result.no_displacement_test.to_dict()),
                "by_share": _clean(result.by_share.to_dict(orient="records")),
            }

        out["displacement"] = _section(displacement)
    control_mean = float(data.loc[data["treatment"] == 0, outcome].mean())
    out["control_mean"] = control_mean

    def mde():
        baseline = min(max(control_mean, 0.01), 0.99)
        return minimum_detectable_effect(
            n_per_arm=out["n_control"], baseline=baseline, ratio=out["n_treated"] / out["n_control"]
        ).to_dict()

    out["mde"] = _clean(_section(mde))
    if "estimate" in out["itt"]:
        incremental = arm_costs["treatment"] - arm_costs["control"]
        est = out["itt"]

        def cost():
            ce = cost_per_additional_employed(
                incremental, est["estimate"], est["std_err"], df=est.get("df"), ci_method="transform"
            )
            npv = net_present_value(
                est["estimate"],
                value_per_person_month=experiment.value_per_employed_month,
                incremental_cost=incremental,
                annual_discount_rate=experiment.discount_rate,
                horizon_months=experiment.horizon_months,
                participants=out["n_treated"],
                effect_ci=(est["ci_low"], est["ci_high"]),
            )
            return {
                "incremental_cost": incremental,
                "cost_per_additional_employed": ce.to_dict(),
                "npv": npv.to_dict(),
            }

        out["cost_benefit"] = _clean(_section(cost))
    return out


def analyse(experiment: Experiment, as_of: datetime.date | None = None) -> tuple[dict, int, str]:
    as_of = as_of or timezone.localdate()
    df = experiment_frame(experiment, as_of)
    arms = sorted(experiment.arms.all(), key=lambda a: a.position)
    results: dict = {"as_of": as_of.isoformat(), "design": experiment.design, "arms": {}, "outcomes": {}}
    if df.empty:
        return results, 0, ""
    digest = hashlib.sha256(
        pd.util.hash_pandas_object(df.drop(columns=["assigned_on"]), index=False).values.tobytes()
    )
    counts = df.groupby("arm_position").size().to_dict()
    for arm in arms:
        results["arms"][arm.name] = {
            "position": arm.position,
            "n": int(counts.get(arm.position, 0)),
            "cost_per_participant": arm.cost_per_participant,
        }
    control = arms[0]
    for arm in arms[1:]:
        subset = df[df["arm_position"].isin([0, arm.position])].copy()
        subset["treatment"] = (subset["arm_position"] == arm.position).astype(int)
        costs = {"control": control.cost_per_participant, "treatment": arm.cost_per_participant}
        for outcome in experiment.outcomes:
            key = outcome if len(arms) == 2 else f"{outcome} — {arm.name}"
            if outcome not in OUTCOMES:
                results["outcomes"][key] = {"error": f"unknown outcome {outcome!r}"}
                continue
            results["outcomes"][key] = analyse_outcome(experiment, subset, outcome, costs)
    return _clean(results), len(df), digest.hexdigest()


@transaction.atomic
def run_analysis(experiment: Experiment, *, by=None, as_of: datetime.date | None = None) -> ImpactReport:
    """Analyse the experiment and store the results as a new ImpactReport version."""
    experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
    results, n, digest = analyse(experiment, as_of)
    number = (experiment.reports.aggregate(m=Max("number"))["m"] or 0) + 1
    report = ImpactReport.objects.create(
        experiment=experiment,
        number=number,
        as_of=as_of or timezone.localdate(),
        results=results,
        n=n,
        data_hash=digest,
        created_by=by,
    )
    if experiment.status == Experiment.Status.CLOSED:
        experiment.status = Experiment.Status.ANALYSED
        experiment.save(update_fields=["status", "updated_at"])
    logger.info("experiment=%s impact_report=%s n=%s", experiment.pk, report.pk, n)
    return report
