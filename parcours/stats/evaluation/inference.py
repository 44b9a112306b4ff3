"""Results objects and randomisation inference.

:class:`EffectResult` is what every impact estimator returns (statsmodels-like: ``estimate``,
``std_err``, ``conf_int(alpha)``, ``pvalue``, ``summary()``); :class:`WaldTest` is a joint test;
:func:`randomization_test` gives Fisher's exact p-value of the sharp null of no effect by
re-randomising the treatment as the design did (within strata, by cluster).

References
----------
Imbens, G. W. and Rubin, D. B. (2015). Causal Inference for Statistics, Social, and Biomedical
Sciences. Cambridge University Press, chapter 5 (Fisher's exact p-values).

Rosenbaum, P. R. (2002). Covariance adjustment in randomized experiments and observational
studies. Statistical Science 17(3), 286-327.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from parcours.stats.errors import BadInputError


def critical_value(alpha: float, df: float | None) -> float:
    if not 0 < alpha < 1:
        raise BadInputError(f"alpha must be in (0, 1), got {alpha}")
    if df is None:
        return float(stats.norm.ppf(1 - alpha / 2))
    return float(stats.t.ppf(1 - alpha / 2, df))


def two_sided_pvalue(z: float, df: float | None) -> float:
    if not np.isfinite(z):
        return float("nan")
    if df is None:
        return float(2 * stats.norm.sf(abs(z)))
    return float(2 * stats.t.sf(abs(z), df))


@dataclass
class EffectResult:
    """One estimated effect with its uncertainty.

    Attributes
    ----------
    estimate : float
        Point estimate in the outcome's units (e.g. percentage points as a fraction for a 0/1
        outcome, euros for earnings).
    std_err : float
    n, n_treated, n_control : int
        Observations used; treated/control are counted by the randomised assignment.
    method : str
        Human-readable name of the estimator (e.g. ``"ITT, OLS, Lin-adjusted"``).
    se_type : str
        ``classical``, ``hc0``, ``hc1``, ``hc2`` or ``cluster``.
    df : float or None
        Degrees of freedom of the t reference distribution; None means normal.
    n_clusters : int or None
    alpha : float
        Default level used by :attr:`ci_low` / :attr:`ci_high` and :meth:`summary`.
    extra : dict
        Estimator-specific figures (first stage, control mean, ...).
    """

    estimate: float
    std_err: float
    n: int
    n_treated: int
    n_control: int
    method: str
    se_type: str
    df: float | None = None
    n_clusters: int | None = None
    alpha: float = 0.05
    extra: dict = field(default_factory=dict)

    @property
    def tstat(self) -> float:
        return self.estimate / self.std_err if self.std_err > 0 else float("nan")

    @property
    def pvalue(self) -> float:
        """Two-sided p-value of the null of no effect."""
        return two_sided_pvalue(self.tstat, self.df)

    def conf_int(self, alpha: float | None = None) -> tuple[float, float]:
        """Two-sided ``1 - alpha`` confidence interval (t or normal reference)."""
        q = critical_value(self.alpha if alpha is None else alpha, self.df)
        return (self.estimate - q * self.std_err, self.estimate + q * self.std_err)

    @property
    def ci_low(self) -> float:
        return self.conf_int()[0]

    @property
    def ci_high(self) -> float:
        return self.conf_int()[1]

    def to_dict(self) -> dict:
        """Plain JSON-ready dict (the CLI's ``--json`` document)."""
        low, high = self.conf_int()
        out = {
            "estimate": self.estimate,
            "std_err": self.std_err,
            "ci_low": low,
            "ci_high": high,
            "alpha": self.alpha,
            "pvalue": self.pvalue,
            "tstat": self.tstat,
            "n": self.n,
            "n_treated": self.n_treated,
            "n_control": self.n_control,
            "n_clusters": self.n_clusters,
            "method": self.method,
            "se_type": self.se_type,
            "df": self.df,
        }
        out.update(self.extra)
        return out

    def summary(self) -> str:
        low, high = self.conf_int()
        level = round(100 * (1 - self.alpha), 6)
        ref = "normal" if self.df is None else f"t({self.df:g})"
        lines = [
            self.method,
            f"  estimate   {self.estimate:.6g}",
            f"  std. err.  {self.std_err:.6g}  ({self.se_type}; reference {ref})",
            f"  {level:g}% CI     [{low:.6g}, {high:.6g}]",
            f"  p-value    {self.pvalue:.4g}",
            f"  n          {self.n}  (treated {self.n_treated}, control {self.n_control}"
            + (f"; {self.n_clusters} clusters)" if self.n_clusters else ")"),
        ]
        for key, value in self.extra.items():
            if isinstance(value, float):
                lines.append(f"  {key:<10} {value:.6g}")
            elif isinstance(value, (int, str)):
                lines.append(f"  {key:<10} {value}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


@dataclass
class WaldTest:
    """Joint test ``R b = 0`` reported as an F statistic (``chi2 / q``).

    Attributes
    ----------
    statistic : float
        ``F = (Rb)' (R V R')^{-1} (Rb) / q``.
    df_num : int
        Number of restrictions ``q``.
    df_denom : float or None
        Denominator degrees of freedom; None means the ``chi2(q) / q`` reference.
    """

    statistic: float
    df_num: int
    df_denom: float | None
    hypothesis: str

    @property
    def pvalue(self) -> float:
        if self.df_denom is None:
            return float(stats.chi2.sf(self.statistic * self.df_num, self.df_num))
        return float(stats.f.sf(self.statistic, self.df_num, self.df_denom))

    def to_dict(self) -> dict:
        return {
            "hypothesis": self.hypothesis,
            "statistic": self.statistic,
            "df_num": self.df_num,
            "df_denom": self.df_denom,
            "pvalue": self.pvalue,
        }


def wald_test(
    params: np.ndarray, cov: np.ndarray, r: np.ndarray, df: float | None, hypothesis: str
) -> WaldTest:
    """Wald test of ``r @ params = 0``."""
    r = np.atleast_2d(r)
    rb = r @ params
    rvr = r @ cov @ r.T
    stat = float(rb @ np.linalg.solve(rvr, rb)) / r.shape[0]
    return WaldTest(statistic=stat, df_num=r.shape[0], df_denom=df, hypothesis=hypothesis)


# --------------------------------------------------------------------------- randomisation inference


@dataclass
class RandomizationResult:
    """Fisher randomisation test of the sharp null of no effect for anyone.

    Attributes
    ----------
    statistic : float
        Observed test statistic.
    pvalue : float
        Two-sided p-value ``P(|T*| >= |T_obs|)``. Exact enumeration counts the observed
        assignment among all; Monte Carlo uses ``(1 + #{|T*| >= |T_obs|}) / (1 + B)``, which is a
        valid p-value for any ``B``.
    n_permutations : int
        Number of assignments compared (all of them when ``exact``).
    exact : bool
    null_distribution : ndarray
    """

    statistic: float
    pvalue: float
    n_permutations: int
    exact: bool
    statistic_name: str
    null_distribution: np.ndarray = field(repr=False)

    def summary(self) -> str:
        kind = "exact enumeration" if self.exact else "Monte Carlo"
        return (
            f"Randomisation test ({self.statistic_name}, {kind}, {self.n_permutations} assignments)\n"
            f"  observed   {self.statistic:.6g}\n  p-value    {self.pvalue:.4g}"
        )


def _strata_codes(strata, n: int) -> np.ndarray:
    if strata is None:
        return np.zeros(n, dtype=np.intp)
    codes, _ = pd.factorize(np.asarray(strata))
    if (codes < 0).any():
        raise BadInputError("strata contain missing values")
    return codes.astype(np.intp)


def _residualise(y: np.ndarray, covariates: np.ndarray | None) -> np.ndarray:
    if covariates is None:
        return y
    x = np.column_stack([np.ones(len(y)), covariates])
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    return y - x @ coef


def _stat_batch(z: np.ndarray, y: np.ndarray, w: np.ndarray, y2: np.ndarray | None) -> np.ndarray:
    """Statistic for a batch of assignments ``z`` (B x G) over units/cluster totals.

    ``y`` are outcome totals, ``w`` unit counts per column (1 for individuals). For the
    studentised statistic ``y2`` holds the totals of squares (individual level only).
    """
    n1 = z @ w
    n0 = w.sum() - n1
    s1 = z @ y
    s0 = y.sum() - s1
    m1, m0 = s1 / n1, s0 / n0
    diff = m1 - m0
    if y2 is None:
        return diff
    q1 = z @ y2
    q0 = y2.sum() - q1
    v1 = (q1 - n1 * m1**2) / (n1 - 1)
    v0 = (q0 - n0 * m0**2) / (n0 - 1)
    return diff / np.sqrt(v1 / n1 + v0 / n0)


def _enumerate(z_obs: np.ndarray, strata: np.ndarray, limit: int) -> np.ndarray | None:
    """All assignments with the same number treated per stratum, or None if more than ``limit``."""
    groups = [np.flatnonzero(strata == s) for s in np.unique(strata)]
    sizes = [(len(g), int(z_obs[g].sum())) for g in groups]
    # Cheap log-size check first: exact binomials of large strata have huge numbers of digits.
    log_total = sum(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) for n, k in sizes)
    if log_total > math.log(limit) + 1:
        return None
    total = math.prod(math.comb(n, k) for n, k in sizes)
    if total > limit:
        return None
    per_stratum = [list(itertools.combinations(g, int(z_obs[g].sum()))) for g in groups]
    out = np.zeros((total, len(z_obs)))
    for row, combo in enumerate(itertools.product(*per_stratum)):
        for treated in combo:
            out[row, list(treated)] = 1.0
    return out


def randomization_test(
    outcome,
    treatment,
    *,
    strata=None,
    clusters=None,
    covariates=None,
    statistic: str = "diff",
    n_permutations: int = 10_000,
    exact: str | bool = "auto",
    random_state=None,
    batch_size: int = 256,
) -> RandomizationResult:
    """Fisher exact p-value by re-randomisation that respects strata and clusters.

    Parameters
    ----------
    outcome : array_like of shape (n,)
    treatment : array_like of 0/1, shape (n,)
    strata : array_like, optional
        Assignment is permuted within each stratum (the number treated per stratum is kept).
        With clusters, strata must be constant within a cluster.
    clusters : array_like, optional
        Whole clusters are permuted (treatment must be constant within a cluster); the
        statistic stays the individual-level difference in means.
    covariates : array_like of shape (n, p), optional
        The outcome is first residualised on these (without the treatment), which keeps the
        test exact under the sharp null while gaining power (Rosenbaum 2002).
    statistic : {"diff", "t"}
        Difference in means, or the difference studentised by the Neyman (HC2) standard error
        (individual randomisation only).
    n_permutations : int
        Number of Monte Carlo draws when not enumerating.
    exact : {"auto", True, False}
        Enumerate all assignments; "auto" does so when there are at most ``n_permutations``.
    random_state : int, Generator or None
    batch_size : int
        Assignments evaluated per matrix product (memory ``batch_size x n``).

    Returns
    -------
    RandomizationResult

    References
    ----------
    Imbens, G. W. and Rubin, D. B. (2015), chapter 5.
    """
    y = np.asarray(outcome, dtype=float)
    z = np.asarray(treatment, dtype=float)
    n = len(y)
    if len(z) != n:
        raise BadInputError("outcome and treatment have different lengths")
    if not np.isin(z, (0.0, 1.0)).all():
        raise BadInputError("treatment must be 0/1 for a randomisation test")
    if statistic not in ("diff", "t"):
        raise BadInputError(f"unknown statistic {statistic!r} (expected 'diff' or 't')")
    if covariates is not None:
        y = _residualise(y, np.asarray(covariates, dtype=float).reshape(n, -1))
    strata_codes = _strata_codes(strata, n)

    if clusters is not None:
        if statistic == "t":
            raise BadInputError("the studentised statistic is for individual randomisation; use 'diff'")
        codes, uniq = pd.factorize(np.asarray(clusters))
        g = len(uniq)
        w = np.bincount(codes, minlength=g).astype(float)
        zc = np.bincount(codes, weights=z, minlength=g) / w
        if not np.isin(zc, (0.0, 1.0)).all():
            raise BadInputError("treatment varies within a cluster; clusters must be assigned whole")
        sc = np.bincount(codes, weights=strata_codes, minlength=g) / w
        if not np.array_equal(sc, np.round(sc)) or np.any(
            strata_codes != np.round(sc).astype(np.intp)[codes]
        ):
            raise BadInputError("strata vary within a cluster; stratify clusters, not individuals")
        units_y = np.bincount(codes, weights=y, minlength=g)
        units_z, units_w, units_strata, units_y2 = zc, w, np.round(sc).astype(np.intp), None
    else:
        units_y, units_z, units_w, units_strata = y, z, np.ones(n), strata_codes
        units_y2 = y**2 if statistic == "t" else None

    if units_z.sum() == 0 or units_z.sum() == len(units_z):
        raise BadInputError("randomisation test needs both treated and control units")
    observed = float(_stat_batch(units_z[None, :], units_y, units_w, units_y2)[0])

    draws = None
    if exact in (True, "auto"):
        draws = _enumerate(units_z, units_strata, n_permutations if exact == "auto" else 10**7)
        if draws is None and exact is True:
            raise BadInputError("too many assignments to enumerate (more than 10 million)")
    tol = 1e-10 * max(1.0, abs(observed))
    if draws is not None:
        null = np.concatenate(
            [
                _stat_batch(draws[i : i + batch_size], units_y, units_w, units_y2)
                for i in range(0, len(draws), batch_size)
            ]
        )
        pvalue = float(np.mean(np.abs(null) >= abs(observed) - tol))
        return RandomizationResult(observed, pvalue, len(null), True, statistic, null)

    rng = np.random.default_rng(random_state)
    m = len(units_z)
    # Sorting (stratum, uniform key) permutes within strata; the treated positions are then
    # carried by the observed vector sorted by stratum.
    order = np.argsort(units_strata, kind="stable")
    z_sorted = units_z[order]
    offsets = units_strata[order].astype(float) * 2.0
    chunks = []
    for start in range(0, n_permutations, batch_size):
        b = min(batch_size, n_permutations - start)
        keys = rng.random((b, m)) + offsets[None, :]
        perm = np.argsort(keys, axis=1)  # positions, within stratum blocks, in random order
        zb = np.empty((b, m))
        rows = np.arange(b)[:, None]
        zb[rows, order[perm]] = z_sorted[None, :]
        chunks.append(_stat_batch(zb, units_y, units_w, units_y2))
    null = np.concatenate(chunks)
    count = int(np.sum(np.abs(null) >= abs(observed) - tol))
    pvalue = (1 + count) / (1 + n_permutations)
    return RandomizationResult(observed, float(pvalue), n_permutations, False, statistic, null)
