"""Synthetic job-seeker tables with a known outcome model, for tests, benchmarks and demos.

Nothing here is real data: the tables only mimic the shape of a public employment service
register (age, sex, education, prior unemployment, region...).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from parcours.stats.errors import BadInputError
from parcours.stats.profiling.metrics import expit

EDUCATION = ["sans diplôme", "CAP-BEP", "bac", "bac+2", "bac+3 et plus"]
EDUCATION_EFFECT = np.array([0.6, 0.3, 0.0, -0.3, -0.5])
KINDS = ("realistic", "linear", "interaction")


def make_profiling_table(
    n: int, kind: str = "realistic", *, missing_rate: float = 0.05, random_state: int | None = 0
) -> pd.DataFrame:
    """Simulated register of ``n`` people with a binary ``long_term`` outcome.

    Parameters
    ----------
    n : int
    kind : {"realistic", "linear", "interaction"}
        ``realistic``: mixed numeric/categorical predictors, missing values, a registration date,
        groups ``sex``, ``age_band`` and ``disability``; the true logit is additive (plus a mild
        age curvature). ``linear``: five standard-normal predictors ``x1..x5`` with a purely linear
        logit. ``interaction``: the logit is ``3 * sign(x1 * x2)`` (an XOR pattern that no
        additive model can capture).
    missing_rate : float
        Share of missing values in ``prior_months`` and ``education`` (realistic only).
    random_state : int

    Returns
    -------
    DataFrame
        Includes ``true_risk``, the probability the outcome was drawn from (drop it before fitting).
    """
    if kind not in KINDS:
        raise BadInputError(f"unknown kind '{kind}' (available: {', '.join(KINDS)})")
    if n <= 0:
        raise BadInputError(f"n must be positive, got {n}")
    rng = np.random.default_rng(random_state)
    if kind in ("linear", "interaction"):
        X = rng.standard_normal((n, 5))
        if kind == "linear":
            z = -0.5 + X @ np.array([1.0, -0.8, 0.6, 0.4, 0.0])
        else:
            z = 3.0 * np.sign(X[:, 0] * X[:, 1])
        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(1, 6)])
        frame["group"] = np.where(rng.random(n) < 0.5, "A", "B")
    else:
        age = rng.integers(18, 65, size=n)
        sex = np.where(rng.random(n) < 0.48, "F", "M")
        edu_code = rng.choice(len(EDUCATION), size=n, p=[0.15, 0.25, 0.25, 0.15, 0.20])
        prior = rng.gamma(1.5, 6.0, size=n)  # months unemployed in the last 3 years
        contracts = rng.poisson(2.0, size=n)
        disability = (rng.random(n) < 0.08).astype(int)
        regions = np.array([f"R{i:02d}" for i in range(13)] + ["R98", "R99"])
        weights = np.r_[np.full(13, 0.99 / 13), 0.007, 0.003]
        region = rng.choice(regions, size=n, p=weights / weights.sum())
        date = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 3 * 365, size=n), unit="D")
        centred_age = (age - 40) / 10
        z = (
            -1.2
            + 0.35 * centred_age
            + 0.15 * centred_age**2
            + EDUCATION_EFFECT[edu_code]
            + 0.06 * (prior - 9)
            - 0.15 * (contracts - 2)
            + 0.5 * disability
        )
        edu = np.array(EDUCATION, dtype=object)[edu_code]
        prior_obs = prior.copy()
        if missing_rate > 0:
            prior_obs[rng.random(n) < missing_rate] = np.nan
            edu[rng.random(n) < missing_rate] = None
        frame = pd.DataFrame(
            {
                "registered_on": date.strftime("%Y-%m-%d"),
                "age": age,
                "sex": sex,
                "education": edu,
                "prior_months": np.round(prior_obs, 1),
                "n_contracts": contracts,
                "region": region,
                "disability": disability,
                "age_band": pd.cut(age, [0, 25, 50, 200], right=False, labels=["<25", "25-49", "50+"]).astype(
                    str
                ),
            }
        )
    p = expit(z)
    frame["true_risk"] = p
    frame["long_term"] = (rng.random(n) < p).astype(int)
    return frame
