"""Cost-effectiveness and cost-benefit of a programme evaluated by a randomised experiment.

* :func:`cost_per_participant` — total cost of each arm divided by its number of people.
* :func:`cost_per_additional_employed` — incremental cost per person assigned divided by the
  ITT effect on employment, with a delta-method CI or the CI obtained by transforming the
  effect's CI (exact when costs are known, unbounded when the effect's CI contains 0).
* :func:`net_present_value` — discounted value of the additional employed person-months
  minus the incremental cost.

All costs are per person *assigned* (the ITT population) unless said otherwise: dividing the
incremental cost by the ITT effect gives the cost of one extra person employed through the
offer of the programme, take-up included.

References
----------
Boardman, A. E., Greenberg, D. H., Vining, A. R. and Weimer, D. L. (2018). Cost-Benefit
Analysis: Concepts and Practice, 5th ed., Cambridge University Press (discounting, chapter 6).

Crépon, B., Duflo, E., Gurgand, M., Rathelot, R. and Zamora, P. (2013), section VII (cost of the
programme per additional job).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

from parcours.stats.errors import BadInputError
from parcours.stats.evaluation.inference import EffectResult


def cost_per_participant(total_costs: dict, participants: dict) -> dict:
    """Average cost per person in each arm.

    Parameters
    ----------
    total_costs : dict
        Arm -> total cost of the arm (e.g. counselor time, service purchases), in euros.
    participants : dict
        Arm -> number of people in the arm (assigned, for ITT cost-effectiveness).

    Returns
    -------
    dict
        Arm -> cost per person.
    """
    if set(total_costs) != set(participants):
        raise BadInputError(
            f"costs and participants name different arms: {sorted(total_costs)} vs {sorted(participants)}"
        )
    out = {}
    for arm, cost in total_costs.items():
        n = participants[arm]
        if not n > 0:
            raise BadInputError(f"arm {arm!r} has no participants")
        if cost < 0:
            raise BadInputError(f"arm {arm!r} has a negative cost")
        out[arm] = cost / n
    return out


@dataclass
class CostEffectiveness:
    """Incremental cost per additional person employed.

    Attributes
    ----------
    estimate : float
        ``incremental_cost / effect`` (euros per additional person employed).
    std_err : float
        Delta-method standard error ``|incremental_cost| se(effect) / effect^2``.
    ci_low, ci_high : float
        Confidence interval by ``ci_method``; ``inf`` bounds when unbounded.
    ci_method : {"delta", "transform"}
    """

    estimate: float
    std_err: float
    ci_low: float
    ci_high: float
    ci_method: str
    alpha: float
    incremental_cost: float
    effect: float
    effect_std_err: float

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        level = round(100 * (1 - self.alpha), 6)
        return (
            f"Cost per additional person employed: {self.estimate:,.0f} "
            f"({level:g}% CI [{self.ci_low:,.0f}, {self.ci_high:,.0f}], {self.ci_method})\n"
            f"  incremental cost per person assigned {self.incremental_cost:,.2f}; "
            f"effect {self.effect:.4g} (s.e. {self.effect_std_err:.4g})"
        )


def cost_per_additional_employed(
    incremental_cost: float,
    effect: float | EffectResult,
    effect_std_err: float | None = None,
    *,
    alpha: float = 0.05,
    ci_method: str = "delta",
    df: float | None = None,
) -> CostEffectiveness:
    """Incremental cost per additional person employed and its confidence interval.

    Parameters
    ----------
    incremental_cost : float
        Cost per person assigned to treatment minus cost per person assigned to control.
    effect : float or EffectResult
        ITT effect on the employment rate (a difference of proportions), or its result object.
    effect_std_err : float, optional
        Needed when ``effect`` is a float.
    alpha : float
    ci_method : {"delta", "transform"}
        ``"delta"``: ``estimate +/- q se`` with the delta-method s.e. (symmetric, poor when the
        effect is imprecise). ``"transform"``: ``incremental_cost / [effect CI]`` — exact for a
        known cost since the ratio is monotone in the effect; unbounded (``inf``) when the
        effect's CI contains 0.
    df : float, optional
        t degrees of freedom (taken from the EffectResult when given).

    Returns
    -------
    CostEffectiveness
    """
    if isinstance(effect, EffectResult):
        effect_std_err, df, effect = effect.std_err, effect.df, effect.estimate
    if effect_std_err is None or not effect_std_err >= 0:
        raise BadInputError("the effect's standard error is required")
    if effect == 0:
        raise BadInputError("the effect is zero: cost per additional person employed is undefined")
    if ci_method not in ("delta", "transform"):
        raise BadInputError(f"unknown ci_method {ci_method!r} (expected 'delta' or 'transform')")
    q = float(stats.norm.ppf(1 - alpha / 2) if df is None else stats.t.ppf(1 - alpha / 2, df))
    ratio = incremental_cost / effect
    se = abs(incremental_cost) * effect_std_err / effect**2
    if ci_method == "delta":
        low, high = ratio - q * se, ratio + q * se
    else:
        e_low, e_high = effect - q * effect_std_err, effect + q * effect_std_err
        if e_low <= 0 <= e_high:
            low, high = -math.inf, math.inf
        else:
            low, high = sorted((incremental_cost / e_low, incremental_cost / e_high))
    return CostEffectiveness(ratio, se, low, high, ci_method, alpha, incremental_cost, effect, effect_std_err)


@dataclass
class NetPresentValue:
    """Discounted benefits and costs per person assigned.

    Attributes
    ----------
    npv : float
        ``benefits - incremental_cost`` per person assigned.
    benefits : float
        Discounted value of the additional employed person-months per person assigned.
    additional_months : float
        Undiscounted additional employed person-months per person assigned.
    benefit_cost_ratio : float
    break_even_value : float
        Monetary value per employed person-month at which the NPV is zero.
    npv_total : float or None
        ``npv x participants`` when ``participants`` is given.
    npv_low, npv_high : float or None
        NPV at the bounds of the effect's CI (a constant-effect path only).
    """

    npv: float
    benefits: float
    incremental_cost: float
    additional_months: float
    benefit_cost_ratio: float
    break_even_value: float
    npv_total: float | None
    npv_low: float | None
    npv_high: float | None
    annual_discount_rate: float
    horizon_months: int
    value_per_person_month: float

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        return (
            f"Net present value per person assigned: {self.npv:,.2f} "
            f"(benefits {self.benefits:,.2f} - cost {self.incremental_cost:,.2f})\n"
            f"  {self.additional_months:.4g} additional employed months over {self.horizon_months} months, "
            f"discounted at {100 * self.annual_discount_rate:g}%/year; "
            f"break-even value {self.break_even_value:,.2f} per person-month"
        )


def net_present_value(
    effect_per_month,
    *,
    value_per_person_month: float,
    incremental_cost: float,
    annual_discount_rate: float = 0.025,
    horizon_months: int | None = None,
    participants: int | None = None,
    effect_ci: tuple[float, float] | None = None,
) -> NetPresentValue:
    """Net present value of the programme per person assigned.

    ``NPV = sum_{m=1}^{H} effect_m V / (1 + r)^{m/12} - C``: the effect on the probability of
    being employed in month ``m`` after assignment (ITT, from the experiment or an assumed
    path) times the value ``V`` of an employed person-month (e.g. net earnings plus saved
    benefits and the tax-benefit gain for public finances, per the evaluator's convention),
    discounted monthly at the equivalent of the annual rate ``r``, minus the incremental cost
    ``C`` per person assigned, paid at month 0.

    Parameters
    ----------
    effect_per_month : float or sequence of float
        Effect on the employment rate each month ``1..H``; a scalar is repeated over
        ``horizon_months``.
    value_per_person_month : float
        Euros per additional employed person-month.
    incremental_cost : float
        Euros per person assigned (treatment minus control).
    annual_discount_rate : float
        E.g. 0.025 for 2.5 % a year; use the rate your public-investment guidance prescribes.
    horizon_months : int, optional
        Required with a scalar effect.
    participants : int, optional
        People assigned to treatment, for the programme total.
    effect_ci : (float, float), optional
        CI of a constant effect, to report the NPV at its bounds (NPV is linear in the effect).

    Returns
    -------
    NetPresentValue
    """
    if not annual_discount_rate > -1:
        raise BadInputError("annual discount rate must be greater than -100 %")
    path = np.atleast_1d(np.asarray(effect_per_month, dtype=float))
    if path.size == 1:
        if horizon_months is None or horizon_months < 1:
            raise BadInputError("a constant effect needs a horizon in months (>= 1)")
        path = np.full(int(horizon_months), float(path[0]))
    elif horizon_months is not None and horizon_months != path.size:
        raise BadInputError(f"effect path has {path.size} months but horizon is {horizon_months}")
    if not np.isfinite(path).all():
        raise BadInputError("effect path has missing or infinite values")
    months = np.arange(1, path.size + 1)
    discount = (1.0 + annual_discount_rate) ** (-months / 12.0)
    discounted_months = float(path @ discount)
    benefits = value_per_person_month * discounted_months
    npv = benefits - incremental_cost
    low = high = None
    if effect_ci is not None:
        if np.ptp(path) != 0:
            raise BadInputError("effect_ci applies to a constant effect path only")
        factor = value_per_person_month * float(discount.sum())
        low, high = sorted(
            (factor * effect_ci[0] - incremental_cost, factor * effect_ci[1] - incremental_cost)
        )
    return NetPresentValue(
        npv=npv,
        benefits=benefits,
        incremental_cost=incremental_cost,
        additional_months=float(path.sum()),
        benefit_cost_ratio=benefits / incremental_cost if incremental_cost else math.inf,
        break_even_value=incremental_cost / discounted_months if discounted_months else math.inf,
        npv_total=npv * participants if participants is not None else None,
        npv_low=low,
        npv_high=high,
        annual_discount_rate=annual_discount_rate,
        horizon_months=int(path.size),
        value_per_person_month=value_per_person_month,
    )
