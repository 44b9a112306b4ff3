"""Impact estimators for randomised experiments.

* :func:`estimate_itt` / :class:`ITTEstimator` — intention-to-treat effect: OLS of the outcome
  on the random assignment, optionally adjusted for baseline covariates (Lin 2013 interacted
  adjustment by default, or plain additive), with classical, HC2 (default) or cluster-robust
  (CR1) standard errors.
* :func:`estimate_late` / :class:`LATEEstimator` — local average treatment effect (effect on
  compliers) by 2SLS, take-up instrumented by assignment (Wald estimator without covariates).
* :func:`estimate_heterogeneity` — pre-registered subgroup effects and the test that they are equal.
* :func:`estimate_displacement` — effects on treated and on untreated people in treated clusters
  relative to pure-control clusters in a two-level design, overall and by treated share.

References
----------
Lin, W. (2013). Agnostic notes on regression adjustments to experimental data: reexamining
Freedman's critique. Annals of Applied Statistics 7(1), 295-318.

Imbens, G. W. and Rubin, D. B. (2015). Causal Inference for Statistics, Social, and Biomedical
Sciences. Cambridge University Press, chapters 6-7.

Angrist, J. D., Imbens, G. W. and Rubin, D. B. (1996). Identification of causal effects using
instrumental variables. Journal of the American Statistical Association 91(434), 444-455.

Crépon, B., Duflo, E., Gurgand, M., Rathelot, R. and Zamora, P. (2013). Do labor market policies
have displacement effects? Evidence from a clustered randomized experiment. Quarterly Journal of
Economics 128(2), 531-580.

Cameron, A. C. and Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
Journal of Human Resources 50(2), 317-372.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from parcours.stats.errors import BadInputError
from parcours.stats.evaluation.inference import (
    EffectResult,
    WaldTest,
    critical_value,
    two_sided_pvalue,
    wald_test,
)
from parcours.stats.evaluation.regression import SE_TYPES, LinearFit, fit_2sls, fit_ols

ADJUSTMENTS = ("lin", "additive")

# --------------------------------------------------------------------------- input checks


def _where(data: pd.DataFrame, position: int) -> str:
    return f"{data.index.name or 'row'} {data.index[position]}"


def get_column(data: pd.DataFrame, name: str, role: str) -> pd.Series:
    """The column ``name`` or a BadInputError listing the available ones."""
    if not isinstance(data, pd.DataFrame):
        raise BadInputError(f"expected a DataFrame, got {type(data).__name__}")
    if name not in data.columns:
        available = ", ".join(map(str, data.columns))
        raise BadInputError(f"unknown {role} column {name!r} (available: {available})")
    return data[name]


def numeric_column(data: pd.DataFrame, name: str, role: str) -> np.ndarray:
    """Float values of a column; non-numeric or missing values are an error that says where."""
    col = get_column(data, name, role)
    if col.dtype == bool:
        col = col.astype(np.int8)
    values = pd.to_numeric(col, errors="coerce")
    bad = values.isna().to_numpy() & col.notna().to_numpy()
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise BadInputError(f"{role} column {name!r} is not numeric ({_where(data, pos)}: {col.iloc[pos]!r})")
    arr = values.to_numpy(dtype=float, na_value=np.nan)
    missing = np.isnan(arr)
    if missing.any():
        pos = int(np.flatnonzero(missing)[0])
        raise BadInputError(
            f"{role} column {name!r} has {int(missing.sum())} missing value(s) (first at {_where(data, pos)})"
        )
    if np.isinf(arr).any():
        pos = int(np.flatnonzero(np.isinf(arr))[0])
        raise BadInputError(f"{role} column {name!r} has an infinite value at {_where(data, pos)}")
    return arr


def binary_column(data: pd.DataFrame, name: str, role: str, *, both_arms: bool = True) -> np.ndarray:
    """0/1 values of an assignment column, with both arms non-empty."""
    arr = numeric_column(data, name, role)
    bad = ~np.isin(arr, (0.0, 1.0))
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise BadInputError(f"{role} column {name!r} must be 0/1, found {arr[pos]:g} at {_where(data, pos)}")
    if both_arms:
        n1 = int(arr.sum())
        if n1 == 0:
            raise BadInputError(f"{role} column {name!r} has no treated units (all 0): an arm is empty")
        if n1 == len(arr):
            raise BadInputError(f"{role} column {name!r} has no control units (all 1): an arm is empty")
    return arr


def label_column(data: pd.DataFrame, name: str, role: str) -> np.ndarray:
    """Labels (cluster, stratum, subgroup) without missing values."""
    col = get_column(data, name, role)
    missing = col.isna().to_numpy()
    if missing.any():
        pos = int(np.flatnonzero(missing)[0])
        raise BadInputError(
            f"{role} column {name!r} has {int(missing.sum())} missing value(s) (first at {_where(data, pos)})"
        )
    return col.to_numpy()


def covariate_matrix(data: pd.DataFrame, names) -> np.ndarray | None:
    if not names:
        return None
    names = list(names)
    duplicated = {c for c in names if names.count(c) > 1}
    if duplicated:
        raise BadInputError(f"covariate listed twice: {', '.join(sorted(duplicated))}")
    return np.column_stack([numeric_column(data, c, "covariate") for c in names])


def _resolve_se(se: str | None, has_cluster: bool) -> str:
    if se is None:
        return "cluster" if has_cluster else "hc2"
    se = se.lower()
    if se not in SE_TYPES:
        raise BadInputError(f"unknown standard error type {se!r} (expected one of: {', '.join(SE_TYPES)})")
    if se == "cluster" and not has_cluster:
        raise BadInputError("cluster standard errors need a cluster column (--cluster)")
    return se


def _check_lengths(n: int, **arrays) -> None:
    for name, arr in arrays.items():
        if arr is not None and len(arr) != n:
            raise BadInputError(f"{name} has {len(arr)} rows, expected {n}")


def _as_2d(covariates, n: int) -> np.ndarray | None:
    if covariates is None:
        return None
    x = np.asarray(covariates, dtype=float)
    x = x.reshape(n, -1) if x.ndim == 1 else x
    if x.shape[1] == 0:
        return None
    if not np.isfinite(x).all():
        raise BadInputError("covariates contain missing or infinite values")
    return x


def _effect_from_fit(
    fit: LinearFit, index: int, *, n_treated: int, n_control: int, method: str, alpha: float, extra: dict
) -> EffectResult:
    return EffectResult(
        estimate=float(fit.params[index]),
        std_err=float(np.sqrt(fit.cov[index, index])),
        n=fit.nobs,
        n_treated=n_treated,
        n_control=n_control,
        method=method,
        se_type=fit.se_type,
        df=fit.df_inference,
        n_clusters=fit.n_clusters,
        alpha=alpha,
        extra=extra,
    )


# --------------------------------------------------------------------------- ITT


class ITTEstimator:
    """Intention-to-treat effect by OLS of the outcome on the random assignment.

    Parameters
    ----------
    se : {"hc2", "classical", "hc0", "hc1", "cluster"}
        Standard errors. HC2 is the default for individual randomisation: without covariates
        it equals the conservative Neyman variance ``s1^2/n1 + s0^2/n0``. Use "cluster" (CR1)
        when clusters were randomised.
    adjustment : {"lin", "additive"}
        How covariates enter. ``"lin"``: centred covariates and their interactions with the
        assignment (Lin 2013), consistent and never less precise asymptotically than the
        difference in means even when effects vary with the covariates. ``"additive"``: the
        classic ``y ~ d + x`` (ANCOVA), which can lose precision under imbalanced designs.
    alpha : float
        Default level of the confidence interval.
    use_t : bool
        t reference distribution with ``n - k`` (or ``G - 1`` with clusters) degrees of freedom;
        False for the normal.

    Attributes
    ----------
    result_ : EffectResult
    coef_ : ndarray
        All coefficients, named by ``feature_names_``.
    cov_ : ndarray
    feature_names_ : list of str

    References
    ----------
    Lin, W. (2013). Annals of Applied Statistics 7(1), 295-318.
    Imbens, G. W. and Rubin, D. B. (2015), chapter 7.
    """

    def __init__(self, se: str = "hc2", adjustment: str = "lin", alpha: float = 0.05, use_t: bool = True):
        self.se = se
        self.adjustment = adjustment
        self.alpha = alpha
        self.use_t = use_t

    def fit(self, outcome, treatment, covariates=None, clusters=None, covariate_names=None) -> ITTEstimator:
        """Estimate the effect.

        Parameters
        ----------
        outcome : array_like of shape (n,)
        treatment : array_like of 0/1, shape (n,)
        covariates : array_like of shape (n, p), optional
            Baseline (pre-assignment) covariates.
        clusters : array_like of shape (n,), optional
            Cluster labels for ``se="cluster"``.
        covariate_names : list of str, optional

        Returns
        -------
        self
        """
        if self.adjustment not in ADJUSTMENTS:
            raise BadInputError(f"unknown adjustment {self.adjustment!r} (expected 'lin' or 'additive')")
        se = _resolve_se(self.se, clusters is not None)
        y = np.asarray(outcome, dtype=float)
        d = np.asarray(treatment, dtype=float)
        n = len(y)
        _check_lengths(n, treatment=d, clusters=clusters)
        x = _as_2d(covariates, n)
        if not np.isin(d, (0.0, 1.0)).all():
            raise BadInputError("treatment must be 0/1")
        n_treated = int(d.sum())
        if n_treated in (0, n):
            raise BadInputError("treatment has an empty arm")
        names = ["const", "treatment"]
        columns = [np.ones(n), d]
        if x is not None:
            # Centring makes the treatment coefficient the average effect under Lin's
            # interactions and keeps the normal equations well conditioned.
            xc = x - x.mean(axis=0)
            cov_names = list(covariate_names or [f"x{j}" for j in range(x.shape[1])])
            columns.append(xc)
            names += cov_names
            if self.adjustment == "lin":
                columns.append(xc * d[:, None])
                names += [f"treatment:{c}" for c in cov_names]
        design = np.column_stack(columns)
        fit = fit_ols(y, design, se_type=se, clusters=clusters, use_t=self.use_t)
        if x is None:
            kind = "difference in means"
        else:
            kind = "Lin-adjusted" if self.adjustment == "lin" else "covariate-adjusted (additive)"
        self.coef_ = fit.params
        self.cov_ = fit.cov
        self.feature_names_ = names
        self.result_ = _effect_from_fit(
            fit,
            1,
            n_treated=n_treated,
            n_control=n - n_treated,
            method=f"ITT, OLS, {kind}",
            alpha=self.alpha,
            extra={"control_mean": float(y[d == 0].mean()), "treated_mean": float(y[d == 1].mean())},
        )
        return self


def estimate_itt(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    *,
    covariates=None,
    cluster: str | None = None,
    se: str | None = None,
    adjustment: str = "lin",
    alpha: float = 0.05,
    use_t: bool = True,
) -> EffectResult:
    """Intention-to-treat effect from a DataFrame, with column checks.

    Parameters
    ----------
    data : DataFrame
    outcome, treatment : str
        Column names; the treatment is the random assignment (0/1).
    covariates : list of str, optional
    cluster : str, optional
        Cluster column; implies ``se="cluster"`` unless ``se`` is given.
    se : {"hc2", "classical", "hc0", "hc1", "cluster"}, optional
        Defaults to "cluster" with a cluster column, "hc2" otherwise.
    adjustment : {"lin", "additive"}
    alpha : float
    use_t : bool

    Returns
    -------
    EffectResult
    """
    if len(data) == 0:
        raise BadInputError("no data rows")
    se = _resolve_se(se, cluster is not None)
    y = numeric_column(data, outcome, "outcome")
    d = binary_column(data, treatment, "treatment")
    x = covariate_matrix(data, covariates)
    clusters = label_column(data, cluster, "cluster") if cluster else None
    est = ITTEstimator(se=se, adjustment=adjustment, alpha=alpha, use_t=use_t)
    result = est.fit(y, d, x, clusters, covariate_names=covariates).result_
    result.extra.update({"outcome": outcome, "treatment": treatment, "covariates": list(covariates or [])})
    if x is not None:
        result.extra["adjustment"] = adjustment
    return result


# --------------------------------------------------------------------------- LATE


class LATEEstimator:
    """Local average treatment effect by two-stage least squares.

    The take-up (treatment actually received) is instrumented by the random assignment.
    Without covariates this is the Wald estimator ``ITT_y / ITT_takeup``: the effect on
    compliers under independence, exclusion and monotonicity (Angrist, Imbens & Rubin 1996).
    Covariates enter additively (centred) in both stages.

    Parameters
    ----------
    se : {"hc2", "classical", "hc0", "hc1", "cluster"}
        HC2 uses the leverages of the projected regressors (as ``estimatr::iv_robust``).
    alpha : float
    use_t : bool

    Attributes
    ----------
    result_ : EffectResult
        The LATE; ``extra`` holds the first stage (compliance difference), its F statistic and
        the ITT on the outcome (reduced form).
    coef_, cov_ : ndarray

    References
    ----------
    Angrist, J. D., Imbens, G. W. and Rubin, D. B. (1996). JASA 91(434), 444-455.
    """

    def __init__(self, se: str = "hc2", alpha: float = 0.05, use_t: bool = True):
        self.se = se
        self.alpha = alpha
        self.use_t = use_t

    def fit(self, outcome, takeup, instrument, covariates=None, clusters=None) -> LATEEstimator:
        """Estimate the LATE.

        Parameters
        ----------
        outcome : array_like of shape (n,)
        takeup : array_like of shape (n,)
            Treatment received (usually 0/1).
        instrument : array_like of 0/1, shape (n,)
            Random assignment.
        covariates : array_like of shape (n, p), optional
        clusters : array_like of shape (n,), optional

        Returns
        -------
        self
        """
        se = _resolve_se(self.se, clusters is not None)
        y = np.asarray(outcome, dtype=float)
        t = np.asarray(takeup, dtype=float)
        z = np.asarray(instrument, dtype=float)
        n = len(y)
        _check_lengths(n, takeup=t, instrument=z, clusters=clusters)
        if not np.isin(z, (0.0, 1.0)).all():
            raise BadInputError("instrument (random assignment) must be 0/1")
        n_assigned = int(z.sum())
        if n_assigned in (0, n):
            raise BadInputError("instrument has an empty arm")
        x = _as_2d(covariates, n)
        exog = [np.ones(n)] if x is None else [np.ones(n), x - x.mean(axis=0)]
        regressors = np.column_stack([exog[0], t, *exog[1:]])
        instruments = np.column_stack([exog[0], z, *exog[1:]])
        fit, _ = fit_2sls(y, regressors, instruments, se_type=se, clusters=clusters, use_t=self.use_t)
        first = fit_ols(t, instruments, se_type=se, clusters=clusters, use_t=self.use_t)
        reduced = fit_ols(y, instruments, se_type=se, clusters=clusters, use_t=self.use_t)
        first_se = float(np.sqrt(first.cov[1, 1]))
        self.coef_ = fit.params
        self.cov_ = fit.cov
        self.result_ = _effect_from_fit(
            fit,
            1,
            n_treated=n_assigned,
            n_control=n - n_assigned,
            method="LATE, 2SLS (take-up instrumented by assignment)"
            + ("" if x is None else ", covariate-adjusted"),
            alpha=self.alpha,
            extra={
                "first_stage": float(first.params[1]),
                "first_stage_std_err": first_se,
                "first_stage_f": float((first.params[1] / first_se) ** 2),
                "itt": float(reduced.params[1]),
                "itt_std_err": float(np.sqrt(reduced.cov[1, 1])),
                "n_takeup": int(np.sum(t > 0)),
            },
        )
        return self


def estimate_late(
    data: pd.DataFrame,
    outcome: str,
    takeup: str,
    instrument: str,
    *,
    covariates=None,
    cluster: str | None = None,
    se: str | None = None,
    alpha: float = 0.05,
    use_t: bool = True,
) -> EffectResult:
    """LATE from a DataFrame: ``takeup`` instrumented by the random assignment ``instrument``.

    ``n_treated`` / ``n_control`` of the result count units by assignment (the instrument),
    ``extra["n_takeup"]`` those who took the treatment up.

    Returns
    -------
    EffectResult
    """
    if len(data) == 0:
        raise BadInputError("no data rows")
    se = _resolve_se(se, cluster is not None)
    y = numeric_column(data, outcome, "outcome")
    t = numeric_column(data, takeup, "treatment (take-up)")
    z = binary_column(data, instrument, "instrument")
    x = covariate_matrix(data, covariates)
    clusters = label_column(data, cluster, "cluster") if cluster else None
    result = LATEEstimator(se=se, alpha=alpha, use_t=use_t).fit(y, t, z, x, clusters).result_
    if abs(result.extra["first_stage"]) < 1e-12:
        raise BadInputError(f"assignment {instrument!r} does not move take-up {takeup!r}: no first stage")
    result.extra.update(
        {
            "outcome": outcome,
            "treatment": takeup,
            "instrument": instrument,
            "covariates": list(covariates or []),
        }
    )
    return result


# --------------------------------------------------------------------------- heterogeneity


@dataclass
class HeterogeneityResult:
    """Subgroup effects from one fully interacted regression and the test that they are equal.

    Attributes
    ----------
    effects : dict
        Subgroup label -> :class:`EffectResult`.
    test : WaldTest
        ``H0``: the effect is the same in every subgroup (F with ``G - 1`` restrictions).
    """

    effects: dict
    test: WaldTest
    subgroup: str

    def table(self, alpha: float | None = None) -> pd.DataFrame:
        rows = []
        for label, res in self.effects.items():
            low, high = res.conf_int(alpha)
            rows.append(
                {
                    self.subgroup: label,
                    "estimate": res.estimate,
                    "std_err": res.std_err,
                    "ci_low": low,
                    "ci_high": high,
                    "pvalue": res.pvalue,
                    "n_treated": res.n_treated,
                    "n_control": res.n_control,
                }
            )
        return pd.DataFrame(rows)

    def summary(self) -> str:
        t = self.test
        return (
            f"Effects by {self.subgroup}\n{self.table().to_string(index=False)}\n"
            f"Equality of effects: F({t.df_num}, {t.df_denom}) = {t.statistic:.4g}, p = {t.pvalue:.4g}"
        )


def estimate_heterogeneity(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    subgroup: str,
    *,
    covariates=None,
    cluster: str | None = None,
    se: str | None = None,
    alpha: float = 0.05,
    use_t: bool = True,
) -> HeterogeneityResult:
    """Pre-registered heterogeneity: the ITT in each subgroup and an interaction test.

    The regression is ``y = sum_g a_g 1[g] + sum_g b_g d 1[g] + x'c``: ``b_g`` is the effect in
    subgroup ``g``. Without covariates each ``b_g`` equals the subgroup difference in means
    with the same standard error as a separate regression. The interaction test is the Wald
    test of ``b_1 = ... = b_G`` with the chosen robust covariance.

    Returns
    -------
    HeterogeneityResult
    """
    if len(data) == 0:
        raise BadInputError("no data rows")
    se = _resolve_se(se, cluster is not None)
    y = numeric_column(data, outcome, "outcome")
    d = binary_column(data, treatment, "treatment")
    groups = label_column(data, subgroup, "subgroup")
    x = covariate_matrix(data, covariates)
    clusters = label_column(data, cluster, "cluster") if cluster else None
    codes, labels = pd.factorize(groups, sort=True)
    g = len(labels)
    if g < 2:
        raise BadInputError(f"subgroup column {subgroup!r} has a single value")
    dummies = np.zeros((len(y), g))
    dummies[np.arange(len(y)), codes] = 1.0
    for j, label in enumerate(labels):
        n1 = int(d[codes == j].sum())
        if n1 == 0 or n1 == int((codes == j).sum()):
            raise BadInputError(f"subgroup {subgroup}={label!r} has an empty arm")
    blocks = [dummies, dummies * d[:, None]]
    if x is not None:
        blocks.append(x - x.mean(axis=0))
    fit = fit_ols(y, np.column_stack(blocks), se_type=se, clusters=clusters, use_t=use_t)
    effects = {}
    for j, label in enumerate(labels):
        mask = codes == j
        n1 = int(d[mask].sum())
        effects[label] = _effect_from_fit(
            fit,
            g + j,
            n_treated=n1,
            n_control=int(mask.sum()) - n1,
            method=f"ITT in {subgroup}={label}",
            alpha=alpha,
            extra={},
        )
    r = np.zeros((g - 1, fit.k))
    for j in range(1, g):
        r[j - 1, g + j] = 1.0
        r[j - 1, g] = -1.0
    test = wald_test(fit.params, fit.cov, r, fit.df_inference, f"equal effects across {subgroup}")
    return HeterogeneityResult(effects=effects, test=test, subgroup=subgroup)


# --------------------------------------------------------------------------- displacement


@dataclass
class DisplacementResult:
    """Direct and spillover effects in a two-level (treated share) design.

    Attributes
    ----------
    on_treated : EffectResult
        Treated people in treated clusters vs everyone in pure-control (0 %) clusters.
    on_untreated : EffectResult
        Untreated people in treated clusters vs pure-control clusters: the displacement
        (spillover) effect, negative when the treated take jobs from the others.
    within_cluster : EffectResult
        Treated vs untreated in the same treated clusters: what an ordinary individual
        experiment would report; it overstates the net gain when displacement is negative.
    by_share : DataFrame
        One row per (treated share, group) with estimate, std_err, CI, p-value and n.
    no_displacement_test : WaldTest
        Joint test that the effect on untreated people is zero at every share.
    """

    on_treated: EffectResult
    on_untreated: EffectResult
    within_cluster: EffectResult
    by_share: pd.DataFrame
    no_displacement_test: WaldTest

    def summary(self) -> str:
        t = self.no_displacement_test
        return "\n".join(
            [
                self.on_treated.summary(),
                self.on_untreated.summary(),
                self.within_cluster.summary(),
                "By treated share:",
                self.by_share.to_string(index=False),
                f"No displacement at any share: F({t.df_num}, {t.df_denom}) = {t.statistic:.4g}, "
                f"p = {t.pvalue:.4g}",
            ]
        )


def _contrast(fit: LinearFit, weights: np.ndarray) -> tuple[float, float]:
    return float(weights @ fit.params), float(np.sqrt(weights @ fit.cov @ weights))


def estimate_displacement(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    cluster: str,
    share: str,
    *,
    covariates=None,
    strata: str | None = None,
    alpha: float = 0.05,
    use_t: bool = True,
) -> DisplacementResult:
    """Effects on treated and untreated people relative to pure-control clusters.

    Following Crépon et al. (2013), clusters (territories) were randomised to a treated share
    ``p`` (e.g. 0, 25, 50, 75, 100 %) and people within clusters to treatment. With ``T`` the
    individual assignment and ``U = (1 - T) 1[p > 0]`` (untreated in a treated cluster):

    * pooled: ``y = a + b T + c U + x'g (+ strata effects)``; ``b`` is the effect on the treated,
      ``c`` the displacement effect on the untreated, both against 0 % clusters;
    * by share: ``y = a + sum_p b_p T 1[p] + sum_p c_p U 1[p] + ...``.

    Standard errors are cluster-robust (CR1) at the level of randomisation of shares, with a
    t(G - 1) reference. Pooled coefficients average the share-specific effects with weights
    proportional to the group sizes at each share.

    Parameters
    ----------
    data : DataFrame
    outcome, treatment, cluster, share : str
        Columns; ``share`` is the cluster's randomised treated share in [0, 1].
    covariates : list of str, optional
        Added (centred, additively).
    strata : str, optional
        Cluster-level strata of the share randomisation; entered as fixed effects.
    alpha : float
    use_t : bool

    Returns
    -------
    DisplacementResult

    References
    ----------
    Crépon, B., Duflo, E., Gurgand, M., Rathelot, R. and Zamora, P. (2013). QJE 128(2), 531-580.
    """
    if len(data) == 0:
        raise BadInputError("no data rows")
    y = numeric_column(data, outcome, "outcome")
    t = binary_column(data, treatment, "treatment")
    clusters = label_column(data, cluster, "cluster")
    p = numeric_column(data, share, "treated share")
    if ((p < 0) | (p > 1)).any():
        raise BadInputError(f"treated share column {share!r} must lie in [0, 1]")
    frame = pd.DataFrame({"c": clusters, "p": p})
    if (frame.groupby("c", sort=False)["p"].nunique() > 1).any():
        raise BadInputError(f"treated share {share!r} varies within a cluster")
    pure = p == 0
    if not pure.any():
        raise BadInputError("no pure-control clusters (treated share 0): displacement is not identified")
    if (t[pure] == 1).any():
        raise BadInputError("treated units found in pure-control clusters (share 0)")
    u = (1 - t) * (~pure)
    if u.sum() == 0:
        raise BadInputError("no untreated units in treated clusters: displacement is not identified")
    x = covariate_matrix(data, covariates)
    extra_cols = []
    if strata:
        s_codes, s_labels = pd.factorize(label_column(data, strata, "strata"), sort=True)
        for j in range(1, len(s_labels)):
            extra_cols.append((s_codes == j).astype(float))
    if x is not None:
        extra_cols.extend((x - x.mean(axis=0)).T)
    n_pure = int(pure.sum())

    pooled = fit_ols(
        y,
        np.column_stack([np.ones(len(y)), t, u, *extra_cols]),
        se_type="cluster",
        clusters=clusters,
        use_t=use_t,
    )

    def effect(index_weights, n_treated, n_control, method):
        est, sd = _contrast(pooled, index_weights)
        return EffectResult(
            estimate=est,
            std_err=sd,
            n=pooled.nobs,
            n_treated=n_treated,
            n_control=n_control,
            method=method,
            se_type="cluster",
            df=pooled.df_inference,
            n_clusters=pooled.n_clusters,
            alpha=alpha,
        )

    k = pooled.k
    n_t, n_u = int(t.sum()), int(u.sum())
    on_treated = effect(np.eye(k)[1], n_t, n_pure, "Effect on treated vs pure-control clusters")
    on_untreated = effect(
        np.eye(k)[2], n_u, n_pure, "Displacement: untreated in treated clusters vs pure-control clusters"
    )
    within = effect(np.eye(k)[1] - np.eye(k)[2], n_t, n_u, "Treated vs untreated within treated clusters")

    shares = sorted(set(np.round(p[~pure], 12)))
    cols, meta = [np.ones(len(y))], []
    for sh in shares:
        in_share = np.isclose(p, sh)
        for group, indicator in (("treated", t), ("untreated", 1 - t)):
            col = indicator * in_share
            if col.sum() > 0:
                cols.append(col)
                meta.append((sh, group, int(col.sum()), len(set(clusters[in_share]))))
    by = fit_ols(y, np.column_stack([*cols, *extra_cols]), se_type="cluster", clusters=clusters, use_t=use_t)
    q = critical_value(alpha, by.df_inference)
    rows = []
    for j, (sh, group, n_group, n_cl) in enumerate(meta, start=1):
        est, sd = float(by.params[j]), float(np.sqrt(by.cov[j, j]))
        rows.append(
            {
                "share": sh,
                "group": group,
                "estimate": est,
                "std_err": sd,
                "ci_low": est - q * sd,
                "ci_high": est + q * sd,
                "pvalue": two_sided_pvalue(est / sd, by.df_inference),
                "n": n_group,
                "n_clusters": n_cl,
            }
        )
    untreated_idx = [j for j, m in enumerate(meta, start=1) if m[1] == "untreated"]
    r = np.zeros((len(untreated_idx), by.k))
    for row, j in enumerate(untreated_idx):
        r[row, j] = 1.0
    test = wald_test(by.params, by.cov, r, by.df_inference, "no effect on untreated at any share")
    return DisplacementResult(
        on_treated=on_treated,
        on_untreated=on_untreated,
        within_cluster=within,
        by_share=pd.DataFrame(rows),
        no_displacement_test=test,
    )
