"""Discrimination and calibration metrics, with bootstrap confidence intervals.

All bootstrap computations use *frequency weights*: a bootstrap replicate is the vector of
how many times each row was drawn, so every replicate of every metric is an O(n) weighted sum
(no re-sorting, no copying of the data). The AUC is computed as the weighted Mann-Whitney
statistic on the unique scores (ties count one half), which equals ``sklearn.metrics.roc_auc_score``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from parcours.stats.errors import BadInputError

_EPS = 1e-12


def logit(p: np.ndarray) -> np.ndarray:
    """Log-odds of probabilities clipped to [1e-12, 1 - 1e-12]."""
    p = np.clip(np.asarray(p, dtype=float), _EPS, 1 - _EPS)
    return np.log(p) - np.log1p(-p)


def expit(z: np.ndarray) -> np.ndarray:
    """Logistic function, overflow-safe."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))


class RankedScores:
    """Unique-score index of one score vector, reused for many weighted AUCs.

    Parameters
    ----------
    y : array of {0, 1}
    score : array of float
    """

    def __init__(self, y: np.ndarray, score: np.ndarray):
        y = np.asarray(y, dtype=float)
        _, inverse = np.unique(np.asarray(score, dtype=float), return_inverse=True)
        self.n_unique = int(inverse.max()) + 1 if inverse.size else 0
        self.pos_rows = np.flatnonzero(y == 1)
        self.neg_rows = np.flatnonzero(y != 1)
        self.pos_rank = inverse[self.pos_rows]
        self.neg_rank = inverse[self.neg_rows]

    def auc(self, weights: np.ndarray | None = None) -> float:
        """Weighted ROC AUC (nan when one class has zero weight)."""
        if weights is None:
            pos = np.bincount(self.pos_rank, minlength=self.n_unique).astype(float)
            neg = np.bincount(self.neg_rank, minlength=self.n_unique).astype(float)
        else:
            w = np.asarray(weights, dtype=float)
            pos = np.bincount(self.pos_rank, weights=w[self.pos_rows], minlength=self.n_unique)
            neg = np.bincount(self.neg_rank, weights=w[self.neg_rows], minlength=self.n_unique)
        total_pos, total_neg = pos.sum(), neg.sum()
        if total_pos <= 0 or total_neg <= 0:
            return float("nan")
        below = np.cumsum(neg) - neg
        return float(np.dot(pos, below + 0.5 * neg) / (total_pos * total_neg))


def roc_auc(y: np.ndarray, score: np.ndarray, weights: np.ndarray | None = None) -> float:
    """ROC AUC (area under the ROC curve), ties counted one half.

    Parameters
    ----------
    y : array of {0, 1}
    score : array of float
        Higher means more at risk.
    weights : array, optional
        Frequency weights.

    Returns
    -------
    float
        nan when only one class is present.

    References
    ----------
    Hanley, J. A. and McNeil, B. J. (1982). The meaning and use of the area under a receiver
    operating characteristic (ROC) curve. Radiology 143(1), 29-36.
    """
    return RankedScores(y, score).auc(weights)


def brier_score(y: np.ndarray, p: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Mean squared difference between predicted probability and outcome.

    References
    ----------
    Brier, G. W. (1950). Verification of forecasts expressed in terms of probability.
    Monthly Weather Review 78(1), 1-3.
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    if y.size == 0:
        return float("nan")
    return float(np.average((p - y) ** 2, weights=weights))


def calibration_curve(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> list[dict[str, float]]:
    """Binned reliability curve on quantile bins of the predicted probability.

    Parameters
    ----------
    y : array of {0, 1}
    p : array of float
    n_bins : int, default 10
        Number of (at most) equal-count bins; bins with tied edges are merged.

    Returns
    -------
    list of dict
        One entry per non-empty bin: ``n``, ``lower``, ``upper``, ``mean_predicted``, ``observed``.
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    edges = np.unique(np.quantile(p, np.linspace(0, 1, n_bins + 1)))
    if edges.size < 2:
        edges = np.array([p.min(), p.max()])
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, edges.size - 2)
    out = []
    for b in range(edges.size - 1):
        mask = which == b
        if not mask.any():
            continue
        out.append(
            {
                "n": int(mask.sum()),
                "lower": float(edges[b]),
                "upper": float(edges[b + 1]),
                "mean_predicted": float(p[mask].mean()),
                "observed": float(y[mask].mean()),
            }
        )
    return out


@dataclass
class CalibrationFit:
    """Logistic recalibration ``logit P(y=1) = intercept + slope * logit(p)``.

    A perfectly calibrated model has slope 1 and intercept 0; a slope below 1 means predictions
    are too extreme (overfitting), above 1 too timid.
    """

    intercept: float
    slope: float
    covariance: np.ndarray = field(repr=False)
    n: int = 0

    @property
    def std_err(self) -> np.ndarray:
        return np.sqrt(np.diag(self.covariance))

    def conf_int(self, alpha: float = 0.05) -> np.ndarray:
        """Wald intervals, rows (intercept, slope), columns (lower, upper)."""
        z = stats.norm.ppf(1 - alpha / 2)
        est = np.array([self.intercept, self.slope])
        return np.column_stack([est - z * self.std_err, est + z * self.std_err])

    def summary(self) -> str:
        ci = self.conf_int()
        return (
            f"calibration slope {self.slope:.3f} [{ci[1, 0]:.3f}, {ci[1, 1]:.3f}], "
            f"intercept {self.intercept:.3f} [{ci[0, 0]:.3f}, {ci[0, 1]:.3f}] (n={self.n})"
        )


def calibration_slope_intercept(y: np.ndarray, p: np.ndarray, max_iter: int = 50) -> CalibrationFit:
    """Fit the logistic recalibration model by Newton-Raphson (maximum likelihood, no penalty).

    Parameters
    ----------
    y : array of {0, 1}
    p : array of float
        Predicted probabilities.

    Returns
    -------
    CalibrationFit

    References
    ----------
    Cox, D. R. (1958). Two further applications of a model for binary regression.
    Biometrika 45(3/4), 562-565.
    Van Calster, B. et al. (2016). A calibration hierarchy for risk models was defined: from
    utopia to empirical data. Journal of Clinical Epidemiology 74, 167-176.
    """
    y = np.asarray(y, dtype=float)
    if y.size == 0 or y.min() == y.max():
        nan = float("nan")
        return CalibrationFit(nan, nan, np.full((2, 2), nan), int(y.size))
    X = np.column_stack([np.ones_like(y), logit(p)])
    beta = np.array([0.0, 1.0])
    cov = np.full((2, 2), np.nan)
    for _ in range(max_iter):
        mu = expit(X @ beta)
        w = mu * (1 - mu)
        hess = X.T @ (X * w[:, None])
        grad = X.T @ (y - mu)
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    mu = expit(X @ beta)
    hess = X.T @ (X * (mu * (1 - mu))[:, None])
    with contextlib.suppress(np.linalg.LinAlgError):  # singular: keep nan standard errors
        cov = np.linalg.inv(hess)
    return CalibrationFit(float(beta[0]), float(beta[1]), cov, int(y.size))


def bootstrap_weights(n: int, n_boot: int, random_state: int | np.random.Generator | None) -> np.ndarray:
    """Frequency weights of ``n_boot`` nonparametric bootstrap replicates, shape (n_boot, n)."""
    rng = np.random.default_rng(random_state)
    out = np.empty((n_boot, n), dtype=np.float64)
    for b in range(n_boot):
        out[b] = np.bincount(rng.integers(0, n, size=n), minlength=n)
    return out


def iter_bootstrap_weights(n: int, n_boot: int, random_state: int | np.random.Generator | None):
    """Yield the replicates of :func:`bootstrap_weights` one at a time (constant memory)."""
    rng = np.random.default_rng(random_state)
    for _ in range(n_boot):
        yield np.bincount(rng.integers(0, n, size=n), minlength=n).astype(np.float64)


def percentile_interval(samples: np.ndarray, alpha: float = 0.05) -> tuple[float, float]:
    """Percentile bootstrap interval ignoring nan replicates (nan if none are finite)."""
    samples = np.asarray(samples, dtype=float)
    samples = samples[np.isfinite(samples)]
    if samples.size == 0:
        return float("nan"), float("nan")
    lo, hi = np.quantile(samples, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


@dataclass
class AUCComparison:
    """Paired comparison of two scores on the same rows: ``estimate = AUC(b) - AUC(a)``."""

    auc_a: float
    auc_b: float
    estimate: float
    replicates: np.ndarray = field(repr=False)

    @property
    def std_err(self) -> float:
        finite = self.replicates[np.isfinite(self.replicates)]
        return float(np.std(finite, ddof=1)) if finite.size > 1 else float("nan")

    def conf_int(self, alpha: float = 0.05) -> tuple[float, float]:
        """Percentile bootstrap interval of the AUC difference."""
        return percentile_interval(self.replicates, alpha)

    def summary(self) -> str:
        lo, hi = self.conf_int()
        return (
            f"AUC {self.auc_a:.4f} -> {self.auc_b:.4f}: difference {self.estimate:+.4f} "
            f"[{lo:+.4f}, {hi:+.4f}] ({self.replicates.size} paired bootstrap replicates)"
        )


def paired_auc_difference(
    y: np.ndarray,
    score_a: np.ndarray,
    score_b: np.ndarray,
    n_boot: int = 500,
    random_state: int | None = 0,
) -> AUCComparison:
    """Paired bootstrap of ``AUC(score_b) - AUC(score_a)``: both scores see the same resampled rows.

    Parameters
    ----------
    y : array of {0, 1}
    score_a, score_b : array of float
        Held-out (out-of-fold or test-period) scores of the two models for the same rows.
    n_boot : int, default 500
    random_state : int
    """
    y = np.asarray(y)
    if not (len(y) == len(score_a) == len(score_b)):
        raise BadInputError("y, score_a and score_b must have the same length")
    a, b = RankedScores(y, score_a), RankedScores(y, score_b)
    auc_a, auc_b = a.auc(), b.auc()
    reps = np.array([b.auc(w) - a.auc(w) for w in iter_bootstrap_weights(len(y), n_boot, random_state)])
    return AUCComparison(auc_a, auc_b, auc_b - auc_a, reps)


def summarise_predictions(
    y: np.ndarray, p: np.ndarray, n_boot: int = 200, n_bins: int = 10, random_state: int | None = 0
) -> dict[str, object]:
    """Overall metrics of one probability vector, as a JSON-ready dict.

    Returns
    -------
    dict
        ``n``, ``prevalence``, ``auc`` (+ ``auc_ci``), ``brier`` (+ ``brier_ci``),
        ``calibration_slope``/``calibration_intercept`` (+ Wald CIs), ``calibration_curve``.
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    ranked = RankedScores(y, p)
    sq = (p - y) ** 2
    aucs, briers = [], []
    for w in iter_bootstrap_weights(y.size, n_boot, random_state):
        aucs.append(ranked.auc(w))
        briers.append(float(np.dot(w, sq) / w.sum()))
    fit = calibration_slope_intercept(y, p)
    ci = fit.conf_int()
    return {
        "n": int(y.size),
        "prevalence": float(y.mean()),
        "auc": ranked.auc(),
        "auc_ci": list(percentile_interval(np.array(aucs))),
        "brier": brier_score(y, p),
        "brier_ci": list(percentile_interval(np.array(briers))),
        "calibration_slope": fit.slope,
        "calibration_slope_ci": [float(ci[1, 0]), float(ci[1, 1])],
        "calibration_intercept": fit.intercept,
        "calibration_intercept_ci": [float(ci[0, 0]), float(ci[0, 1])],
        "calibration_curve": calibration_curve(y, p, n_bins),
    }
