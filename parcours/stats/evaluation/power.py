"""Sample size, minimum detectable effect and power of two-arm experiments.

Effects are in the outcome's own units: for a binary outcome ``effect=0.025`` means +2.5
percentage points over ``baseline=0.275``. ``ratio`` is ``n_treatment / n_control``.

Formulas (two-sided test at level ``alpha``, power ``1 - beta``, ``z_a = z_{1-alpha/2}``,
``z_b = z_{1-beta}``, ``r = ratio``):

* continuous outcome, standard deviation ``sd``:
  ``n_control = (z_a + z_b)^2 sd^2 (1 + 1/r) / effect^2``;
* binary outcome, ``p0 = baseline``, ``p1 = baseline + effect`` ("normal" method, unpooled
  variances, e.g. Duflo, Glennerster & Kremer 2007, eq. 3 with arm-specific variances):
  ``n_control = (z_a + z_b)^2 (p0 (1 - p0) + p1 (1 - p1) / r) / effect^2``;
* binary outcome, "pooled" method (Fleiss, Levin & Paik 2003, eq. 4.14 without continuity
  correction; ``statsmodels.stats.proportion.samplesize_proportions_2indep_onetail``): the null
  variance uses the pooled proportion ``pbar = (r p1 + p0) / (1 + r)``,
  ``n_control = (z_a sqrt(pbar (1 - pbar) (1 + 1/r)) + z_b sqrt(p0 (1 - p0) + p1 (1 - p1) / r))^2 / effect^2``;
* binary outcome, "arcsine" method (Cohen's h, as ``statsmodels`` ``NormalIndPower`` with
  ``proportion_effectsize``): ``h = 2 asin(sqrt(p1)) - 2 asin(sqrt(p0))``,
  ``n_control = (z_a + z_b)^2 (1 + 1/r) / h^2``;
* clustered design with ``m`` people per cluster and intra-cluster correlation ``icc``: every
  size is multiplied by the design effect ``1 + (m - 1) icc`` and ``clusters = ceil(n / m)``.

The far tail of the two-sided test (rejecting in the wrong direction) is ignored, as in the
textbook formulas; it changes the required size by less than 1e-5 relative at usual levels.

References
----------
Duflo, E., Glennerster, R. and Kremer, M. (2007). Using randomization in development economics
research: a toolkit. Handbook of Development Economics 4, 3895-3962 (section 4).

Fleiss, J. L., Levin, B. and Paik, M. C. (2003). Statistical Methods for Rates and Proportions,
3rd ed., Wiley, section 4.2.

Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed., chapter 6.

Donner, A. and Klar, N. (2000). Design and Analysis of Cluster Randomization Trials in Health
Research (design effect).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from scipy import optimize, stats

from parcours.stats.errors import BadInputError

METHODS = ("normal", "pooled", "arcsine")


@dataclass
class PowerResult:
    """Sizes or detectable effect of a two-arm design.

    Attributes
    ----------
    outcome : {"binary", "continuous"}
    effect : float or None
        The effect the design is sized for (input), or the MDE (output of MDE mode).
    mde : float or None
        Minimum detectable effect when sizes were given.
    n_per_arm : int
        Size of the control arm (equal to each arm when ``ratio == 1``), individuals.
    n_control, n_treatment, n_total : int
    n_per_arm_exact : float
        Unrounded control-arm size before clustering.
    design_effect : float
    clusters_per_arm, clusters_control, clusters_treatment : int or None
        Only for clustered designs; ``clusters_per_arm`` is the control arm's.
    """

    outcome: str
    method: str
    alpha: float
    power: float
    ratio: float
    baseline: float | None
    sd: float | None
    effect: float | None
    mde: float | None
    n_per_arm: int
    n_control: int
    n_treatment: int
    n_total: int
    n_per_arm_exact: float
    design_effect: float
    icc: float | None
    cluster_size: float | None
    clusters_per_arm: int | None
    clusters_control: int | None
    clusters_treatment: int | None

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        lines = [f"Power calculation ({self.outcome} outcome, {self.method} method)"]
        if self.baseline is not None:
            lines.append(f"  baseline            {self.baseline:g}")
        if self.sd is not None:
            lines.append(f"  standard deviation  {self.sd:g}")
        if self.mde is not None:
            lines.append(f"  minimum detectable effect  {self.mde:.6g}")
        else:
            lines.append(f"  effect              {self.effect:g}")
        lines += [
            f"  alpha {self.alpha:g}, power {self.power:g}, ratio treatment/control {self.ratio:g}",
            f"  n per arm           {self.n_per_arm} (control {self.n_control}, treatment {self.n_treatment}; "
            f"total {self.n_total})",
        ]
        if self.clusters_per_arm is not None:
            lines.append(
                f"  design effect       {self.design_effect:.4g} (icc {self.icc:g}, cluster size {self.cluster_size:g})"
            )
            lines.append(
                f"  clusters per arm    {self.clusters_per_arm} (control {self.clusters_control}, "
                f"treatment {self.clusters_treatment})"
            )
        return "\n".join(lines)


def _check_common(alpha: float, power: float, ratio: float) -> None:
    if not 0 < alpha < 1:
        raise BadInputError(f"alpha must be in (0, 1), got {alpha}")
    if not 0 < power < 1:
        raise BadInputError(f"power must be in (0, 1), got {power}")
    if not ratio > 0 or not math.isfinite(ratio):
        raise BadInputError(f"ratio (treatment/control) must be positive, got {ratio}")


def _check_outcome(baseline: float | None, sd: float | None, method: str) -> str:
    if (baseline is None) == (sd is None):
        raise BadInputError(
            "give either a baseline proportion (binary outcome) or a standard deviation (continuous)"
        )
    if method not in METHODS:
        raise BadInputError(f"unknown method {method!r} (expected one of: {', '.join(METHODS)})")
    if baseline is not None:
        if not 0 < baseline < 1:
            raise BadInputError(f"baseline proportion must be in (0, 1), got {baseline}")
        return "binary"
    if not sd > 0 or not math.isfinite(sd):
        raise BadInputError(f"standard deviation must be positive, got {sd}")
    if method != "normal":
        raise BadInputError("the arcsine method is for binary outcomes")
    return "continuous"


def design_effect(icc: float | None, cluster_size: float | None) -> float:
    """``1 + (m - 1) icc`` (1 without clustering)."""
    if icc is None and cluster_size is None:
        return 1.0
    if icc is None or cluster_size is None:
        raise BadInputError(
            "a clustered design needs both the intra-cluster correlation and the cluster size"
        )
    if not 0 <= icc <= 1:
        raise BadInputError(f"intra-cluster correlation must be in [0, 1], got {icc}")
    if not cluster_size >= 1:
        raise BadInputError(f"cluster size must be at least 1, got {cluster_size}")
    return 1.0 + (cluster_size - 1.0) * icc


def _z_sum(alpha: float, power: float) -> float:
    return float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))


def _moments(
    outcome: str, method: str, baseline, sd, effect: float, ratio: float
) -> tuple[float, float, float]:
    """``(delta, sd_null, sd_alt)``: the (possibly transformed) effect and the standard deviations
    of its estimator under the null and the alternative, times ``sqrt(n_control)``."""
    if outcome == "continuous":
        s = sd * math.sqrt(1.0 + 1.0 / ratio)
        return effect, s, s
    p0, p1 = baseline, baseline + effect
    if not 0 < p1 < 1:
        raise BadInputError(f"baseline + effect = {p1:g} is not a proportion in (0, 1)")
    if method == "arcsine":
        h = 2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p0))
        s = math.sqrt(1.0 + 1.0 / ratio)
        return h, s, s
    alt = math.sqrt(p0 * (1 - p0) + p1 * (1 - p1) / ratio)
    if method == "normal":
        return effect, alt, alt
    pbar = (ratio * p1 + p0) / (1 + ratio)
    return effect, math.sqrt(pbar * (1 - pbar) * (1 + 1.0 / ratio)), alt


def _n_exact(
    outcome: str, method: str, baseline, sd, effect: float, ratio: float, alpha: float, power: float
) -> float:
    """Unrounded control-arm size of an individually randomised design (far tail ignored)."""
    delta, sd_null, sd_alt = _moments(outcome, method, baseline, sd, effect, ratio)
    za = float(stats.norm.ppf(1 - alpha / 2))
    zb = float(stats.norm.ppf(power))
    return (za * sd_null + zb * sd_alt) ** 2 / delta**2


def _result(outcome, method, alpha, power, ratio, baseline, sd, effect, mde, n_exact, icc, cluster_size):
    deff = design_effect(icc, cluster_size)
    n_c_exact = n_exact * deff
    n_control = math.ceil(n_c_exact - 1e-9)
    n_treatment = math.ceil(n_c_exact * ratio - 1e-9)
    clusters_c = clusters_t = None
    if icc is not None:
        clusters_c = math.ceil(n_c_exact / cluster_size - 1e-9)
        clusters_t = math.ceil(n_c_exact * ratio / cluster_size - 1e-9)
        n_control = math.ceil(clusters_c * cluster_size - 1e-9)
        n_treatment = math.ceil(clusters_t * cluster_size - 1e-9)
    return PowerResult(
        outcome=outcome,
        method=method,
        alpha=alpha,
        power=power,
        ratio=ratio,
        baseline=baseline,
        sd=sd,
        effect=effect,
        mde=mde,
        n_per_arm=n_control,
        n_control=n_control,
        n_treatment=n_treatment,
        n_total=n_control + n_treatment,
        n_per_arm_exact=n_exact,
        design_effect=deff,
        icc=icc,
        cluster_size=cluster_size,
        clusters_per_arm=clusters_c,
        clusters_control=clusters_c,
        clusters_treatment=clusters_t,
    )


def sample_size(
    effect: float,
    *,
    baseline: float | None = None,
    sd: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    icc: float | None = None,
    cluster_size: float | None = None,
    method: str = "normal",
) -> PowerResult:
    """Sample size per arm to detect ``effect`` with a two-sided test.

    Parameters
    ----------
    effect : float
        Effect in the outcome's units (a difference of proportions for a binary outcome).
    baseline : float, optional
        Control-group proportion of a binary outcome.
    sd : float, optional
        Standard deviation of a continuous outcome.
    alpha, power : float
    ratio : float
        ``n_treatment / n_control``.
    icc, cluster_size : float, optional
        Intra-cluster correlation and people per cluster, for cluster randomisation.
    method : {"normal", "arcsine"}
        Variance formula for a binary outcome (see module docstring).

    Returns
    -------
    PowerResult
        ``n_per_arm`` is the control arm (each arm when ``ratio == 1``); with clusters, arms are
        whole clusters (``clusters_per_arm``) and the sizes are ``clusters x cluster_size``.
    """
    _check_common(alpha, power, ratio)
    outcome = _check_outcome(baseline, sd, method)
    if not math.isfinite(effect) or effect == 0:
        raise BadInputError("effect must be a non-zero number")
    n_exact = _n_exact(outcome, method, baseline, sd, effect, ratio, alpha, power)
    return _result(
        outcome, method, alpha, power, ratio, baseline, sd, effect, None, n_exact, icc, cluster_size
    )


def minimum_detectable_effect(
    n_per_arm: float | None = None,
    *,
    clusters_per_arm: float | None = None,
    baseline: float | None = None,
    sd: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    icc: float | None = None,
    cluster_size: float | None = None,
    method: str = "normal",
) -> PowerResult:
    """Smallest (positive) effect detectable with the given sizes.

    Parameters
    ----------
    n_per_arm : float, optional
        Individuals in the control arm (the treatment arm has ``ratio`` times as many).
    clusters_per_arm : float, optional
        Clusters in the control arm, instead of ``n_per_arm`` (needs ``cluster_size``).
    baseline, sd, alpha, power, ratio, icc, cluster_size, method
        As in :func:`sample_size`.

    Returns
    -------
    PowerResult
        With ``mde`` set. For a binary outcome the MDE is an increase over the baseline solved
        with the arm-specific variance of ``baseline + mde``.
    """
    _check_common(alpha, power, ratio)
    outcome = _check_outcome(baseline, sd, method)
    if (n_per_arm is None) == (clusters_per_arm is None):
        raise BadInputError("give either n_per_arm or clusters_per_arm")
    deff = design_effect(icc, cluster_size)
    if clusters_per_arm is not None:
        if cluster_size is None:
            raise BadInputError("clusters_per_arm needs a cluster size")
        n_per_arm = clusters_per_arm * cluster_size
    if not n_per_arm >= 2:
        raise BadInputError(f"n per arm must be at least 2, got {n_per_arm}")
    # The design's information is that of n / deff independent people per control arm.
    n_eff = n_per_arm / deff
    if outcome == "continuous":
        mde = (_z_sum(alpha, power)) * sd * math.sqrt((1 + 1 / ratio) / n_eff)
    else:
        # The required size falls as the effect grows: solve n_exact(d) = n_eff on (0, 1 - p0).
        upper = 1 - baseline - 1e-9
        if _n_exact(outcome, method, baseline, sd, upper, ratio, alpha, power) > n_eff:
            raise BadInputError("sample too small: no detectable effect below a proportion of 1")
        mde = optimize.brentq(
            lambda d: _n_exact(outcome, method, baseline, sd, d, ratio, alpha, power) - n_eff,
            1e-9,
            upper,
            xtol=1e-15,
            rtol=1e-13,
        )
    return _result(
        outcome,
        method,
        alpha,
        power,
        ratio,
        baseline,
        sd,
        float(mde),
        float(mde),
        float(n_per_arm) / deff,
        icc,
        cluster_size,
    )


def achieved_power(
    effect: float,
    n_per_arm: float,
    *,
    baseline: float | None = None,
    sd: float | None = None,
    alpha: float = 0.05,
    ratio: float = 1.0,
    icc: float | None = None,
    cluster_size: float | None = None,
    method: str = "normal",
) -> float:
    """Power of the two-sided test (both tails) for ``effect`` with ``n_per_arm`` in control.

    Returns
    -------
    float
    """
    _check_common(alpha, 0.5, ratio)
    outcome = _check_outcome(baseline, sd, method)
    n_eff = n_per_arm / design_effect(icc, cluster_size)
    delta, sd_null, sd_alt = _moments(outcome, method, baseline, sd, effect, ratio)
    za = float(stats.norm.ppf(1 - alpha / 2))
    shift = abs(delta) * math.sqrt(n_eff)
    upper = stats.norm.sf((za * sd_null - shift) / sd_alt)
    lower = stats.norm.cdf((-za * sd_null - shift) / sd_alt)
    return float(upper + lower)
