"""Fairness audit of a risk score across protected groups.

For every group column (sex, age band, nationality group, disability...) and every level of it,
the audit reports on held-out predictions:

* ``n`` and ``small`` (True when ``n < min_group_size``: estimates are then too noisy to act on);
* ``selection_rate``: share flagged as high risk, i.e. with predicted risk >= the decision threshold;
* ``tpr`` (true positive rate: among people who did become long-term unemployed, the share flagged)
  and ``fpr`` (false positive rate: among those who did not, the share flagged);
* ``auc`` and ``brier`` within the group;
* calibration within the group: ``mean_predicted`` against ``observed`` (and their difference);

and across levels the ``equal_opportunity_difference`` (max - min TPR), the
``selection_rate_difference`` (demographic parity difference) and the ``fpr_difference``, computed
over the levels that are not small and contain both outcomes.

Point estimates are computed with fairlearn's :class:`~fairlearn.metrics.MetricFrame`; confidence
intervals come from a nonparametric bootstrap of rows (percentile intervals) with the decision
threshold held fixed.

References
----------
Hardt, M., Price, E. and Srebro, N. (2016). Equality of opportunity in supervised learning.
Advances in Neural Information Processing Systems 29.
Weerts, H. et al. (2023). Fairlearn: Assessing and improving fairness of AI systems.
Journal of Machine Learning Research 24(257), 1-8.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame

from parcours.stats.errors import BadInputError
from parcours.stats.profiling.metrics import (
    RankedScores,
    brier_score,
    iter_bootstrap_weights,
    percentile_interval,
    roc_auc,
)

MISSING_GROUP = "(missing)"
_RATES = ("selection_rate", "tpr", "fpr", "mean_predicted", "observed", "calibration_gap", "auc", "brier")
_DIFFERENCES = ("equal_opportunity_difference", "selection_rate_difference", "fpr_difference")


def _nanmean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else float("nan")


def _group_metrics(y, p, *, threshold) -> dict[str, float]:
    """Every per-group figure in one call: fairlearn's MetricFrame converts its inputs once per
    metric function, so one function returning a dict is several times faster than seven."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    flagged = p >= threshold
    return {
        "n": len(y),
        "selection_rate": _nanmean(flagged),
        "tpr": _nanmean(flagged[y == 1]),
        "fpr": _nanmean(flagged[y == 0]),
        "mean_predicted": _nanmean(p),
        "observed": _nanmean(y),
        "brier": brier_score(y, p),
        "auc": roc_auc(y, p),
    }


def decision_threshold(p: np.ndarray, threshold: float | None = None, top_fraction: float = 0.3) -> float:
    """The risk above which a person is flagged: ``threshold`` if given, else the ``1 - top_fraction``
    quantile of ``p`` (default: the 30 % most at risk are flagged)."""
    if threshold is not None:
        return float(threshold)
    if not 0 < top_fraction < 1:
        raise BadInputError(f"top_fraction must be in (0, 1), got {top_fraction}")
    return float(np.quantile(np.asarray(p, dtype=float), 1 - top_fraction))


@dataclass
class GroupAudit:
    """Audit of one group column. ``estimate`` is the equal-opportunity difference."""

    column: str
    levels: dict[str, dict[str, object]]
    differences: dict[str, dict[str, object]]
    min_group_size: int
    replicates: dict[str, np.ndarray] = field(repr=False, default_factory=dict)

    @property
    def estimate(self) -> float:
        return float(self.differences["equal_opportunity_difference"]["estimate"])

    @property
    def std_err(self) -> float:
        reps = self.replicates.get("equal_opportunity_difference", np.array([]))
        reps = reps[np.isfinite(reps)]
        return float(np.std(reps, ddof=1)) if reps.size > 1 else float("nan")

    def conf_int(self, alpha: float = 0.05) -> tuple[float, float]:
        """Percentile bootstrap interval of the equal-opportunity difference."""
        return percentile_interval(self.replicates.get("equal_opportunity_difference", np.array([])), alpha)

    def to_dict(self) -> dict[str, object]:
        return {"levels": self.levels, **self.differences, "min_group_size": self.min_group_size}

    def summary(self) -> str:
        lines = [f"{self.column}: equal-opportunity difference {self.estimate:.3f}"]
        for level, row in self.levels.items():
            flag = " (small group)" if row["small"] else ""
            lines.append(
                f"  {level}: n={row['n']}{flag} selection={row['selection_rate']:.3f} "
                f"tpr={row['tpr']:.3f} fpr={row['fpr']:.3f} "
                f"predicted={row['mean_predicted']:.3f} observed={row['observed']:.3f}"
            )
        return "\n".join(lines)


@dataclass
class FairnessAudit:
    """Result of :func:`fairness_audit`: one :class:`GroupAudit` per group column."""

    threshold: float
    threshold_rule: str
    groups: dict[str, GroupAudit]
    n_boot: int
    alpha: float

    def to_dict(self) -> dict[str, object]:
        return {
            "threshold": self.threshold,
            "threshold_rule": self.threshold_rule,
            "n_boot": self.n_boot,
            "confidence_level": 1 - self.alpha,
            "groups": {name: audit.to_dict() for name, audit in self.groups.items()},
        }

    def summary(self) -> str:
        head = f"decision threshold {self.threshold:.4f} ({self.threshold_rule})"
        return "\n".join([head, *(a.summary() for a in self.groups.values())])


def _group_codes(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    text = values.astype("object").where(values.notna(), MISSING_GROUP).map(str)
    codes, uniques = pd.factorize(text, sort=True)
    return codes.astype(np.int64), [str(u) for u in uniques]


def _ci(samples: np.ndarray, alpha: float) -> list[float]:
    return list(percentile_interval(samples, alpha))


def _spread(values: np.ndarray, eligible: np.ndarray) -> float:
    chosen = values[eligible]
    chosen = chosen[np.isfinite(chosen)]
    if chosen.size < 2:
        return float("nan")
    return float(chosen.max() - chosen.min())


def fairness_audit(
    y: np.ndarray,
    p: np.ndarray,
    groups: pd.DataFrame,
    *,
    threshold: float | None = None,
    top_fraction: float = 0.3,
    min_group_size: int = 30,
    n_boot: int = 200,
    alpha: float = 0.05,
    random_state: int | None = 0,
) -> FairnessAudit:
    """Per-group metrics and between-group differences of a risk score (see module docstring).

    Parameters
    ----------
    y : array of {0, 1}
        Observed outcome (1 = the adverse outcome the score predicts).
    p : array of float
        Held-out predicted probabilities.
    groups : DataFrame
        One column per protected attribute, aligned with ``y``; missing values form their own
        level ``"(missing)"``.
    threshold : float, optional
        Flag people with ``p >= threshold``. Default: the top ``top_fraction`` of ``p``.
    top_fraction : float, default 0.3
    min_group_size : int, default 30
        Levels with fewer rows are flagged ``small`` and left out of the differences.
    n_boot : int, default 200
        Bootstrap replicates for the confidence intervals (0 disables them).
    alpha : float, default 0.05
    random_state : int

    Returns
    -------
    FairnessAudit
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    if len(groups) != y.size or p.size != y.size:
        raise BadInputError(f"groups ({len(groups)} rows), y ({y.size}) and p ({p.size}) must be aligned")
    thr = decision_threshold(p, threshold, top_fraction)
    rule = f"p >= {threshold}" if threshold is not None else f"top {top_fraction:.0%} of predicted risk"
    selected = (p >= thr).astype(float)
    sq = (p - y) ** 2

    metric = partial(_group_metrics, threshold=thr)
    columns: dict[str, tuple[np.ndarray, list[str], pd.DataFrame]] = {}
    for name in groups.columns:
        codes, levels = _group_codes(groups[name])
        frame = MetricFrame(
            metrics={"all": metric}, y_true=y, y_pred=p, sensitive_features=pd.Series(codes, name=str(name))
        )
        by_group = pd.DataFrame(list(frame.by_group["all"]), index=frame.by_group.index)
        columns[str(name)] = (codes, levels, by_group)

    # Bootstrap: per replicate, weighted per-level sums for every column.
    reps: dict[str, dict[str, list[np.ndarray]]] = {c: {m: [] for m in _RATES} for c in columns}
    ranked = {
        c: [
            (rows, RankedScores(y[rows], p[rows]))
            for rows in (np.flatnonzero(codes == k) for k in range(len(levels)))
        ]
        for c, (codes, levels, _) in columns.items()
    }
    for w in iter_bootstrap_weights(y.size, n_boot, random_state):
        for c, (codes, levels, _) in columns.items():
            k = len(levels)
            with np.errstate(invalid="ignore", divide="ignore"):
                n_g = np.bincount(codes, w, minlength=k)
                pos = np.bincount(codes, w * y, minlength=k)
                sel = np.bincount(codes, w * selected, minlength=k)
                tp = np.bincount(codes, w * y * selected, minlength=k)
                sump = np.bincount(codes, w * p, minlength=k)
                sumsq = np.bincount(codes, w * sq, minlength=k)
                r = reps[c]
                r["selection_rate"].append(sel / n_g)
                r["tpr"].append(tp / pos)
                r["fpr"].append((sel - tp) / (n_g - pos))
                r["mean_predicted"].append(sump / n_g)
                r["observed"].append(pos / n_g)
                r["calibration_gap"].append((sump - pos) / n_g)
                r["brier"].append(sumsq / n_g)
                r["auc"].append(np.array([rs.auc(w[rows]) for rows, rs in ranked[c]]))

    audits = {}
    for c, (_, levels, by_group) in columns.items():
        stacked = {m: np.vstack(v) if v else np.empty((0, len(levels))) for m, v in reps[c].items()}
        rows: dict[str, dict[str, object]] = {}
        eligible = np.zeros(len(levels), dtype=bool)
        for k, level in enumerate(levels):
            g = by_group.loc[k]
            n_k = int(g["n"])
            observed = float(g["observed"])
            eligible[k] = n_k >= min_group_size and 0 < observed < 1
            row: dict[str, object] = {"n": n_k, "small": n_k < min_group_size}
            for m in _RATES:
                gap = m == "calibration_gap"
                row[m] = float(g["mean_predicted"]) - observed if gap else float(g[m])
                row[f"{m}_ci"] = _ci(stacked[m][:, k], alpha) if n_boot else [float("nan")] * 2
            rows[level] = row
        point = {m: np.array([float(rows[lv][m]) for lv in levels]) for m in ("tpr", "selection_rate", "fpr")}
        source = {
            "equal_opportunity_difference": "tpr",
            "selection_rate_difference": "selection_rate",
            "fpr_difference": "fpr",
        }
        differences: dict[str, dict[str, object]] = {}
        diff_reps: dict[str, np.ndarray] = {}
        for d in _DIFFERENCES:
            m = source[d]
            diff_reps[d] = np.array([_spread(row, eligible) for row in stacked[m]])
            differences[d] = {
                "estimate": _spread(point[m], eligible),
                "ci": _ci(diff_reps[d], alpha) if n_boot else [float("nan")] * 2,
                "levels_compared": [lv for lv, ok in zip(levels, eligible, strict=True) if ok],
            }
        audits[c] = GroupAudit(c, rows, differences, min_group_size, diff_reps)
    return FairnessAudit(thr, rule, audits, n_boot, alpha)
