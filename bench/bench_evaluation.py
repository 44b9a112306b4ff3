"""Benchmark: parcours ITT estimator vs statsmodels OLS on 1 million simulated people.

Standalone (no Django). Run from the repository root:

    .venv/bin/python bench/bench_evaluation.py [--n 1000000] [--repeat 3]

For each design (HC2 additive, HC2 Lin-interacted, cluster-robust CR1) it times
``ITTEstimator.fit`` from raw arrays (building and centring the design matrix is included) and
``statsmodels OLS(y, X).fit(cov_type=...)`` on a design matrix built beforehand (not timed,
which favours statsmodels), in the same process, best of ``--repeat`` runs. It prints both
times, their ratio and the largest relative difference of the estimate and standard error.
The acceptance bar is a ratio <= 1.5 with differences <= 1e-8 relative.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import statsmodels.api as sm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from parcours.stats.evaluation import ITTEstimator


def simulate(n: int, n_clusters: int, seed: int = 20240613):
    """Job-seeker-like data: age, education years, prior earnings, female, prior unemployment."""
    rng = np.random.default_rng(seed)
    cluster = rng.integers(0, n_clusters, size=n)
    cluster_effect = rng.normal(0, 0.3, size=n_clusters)[cluster]
    age = rng.uniform(18, 60, n)
    educ = rng.integers(8, 18, n).astype(float)
    earnings = rng.gamma(2.0, 9000.0, n)
    female = rng.integers(0, 2, n).astype(float)
    months_unemployed = rng.exponential(10.0, n)
    x = np.column_stack([age, educ, earnings, female, months_unemployed])
    # Cluster-randomised assignment so that the cluster-robust comparison is meaningful.
    d = (rng.random(n_clusters) < 0.5).astype(float)[cluster]
    y = (
        0.2
        + 0.04 * d
        + 0.002 * (age - 40)
        + 0.01 * educ
        + 2e-6 * earnings
        - 0.05 * female
        - 0.004 * months_unemployed
        + 0.02 * d * female
        + cluster_effect
        + rng.normal(0, 1, n)
    )
    return y, d, x, cluster


def best_of(repeat: int, fn):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-300)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--clusters", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    y, d, x, cluster = simulate(args.n, args.clusters)
    xc = x - x.mean(axis=0)
    designs = {
        "additive": np.column_stack([np.ones(args.n), d, x]),
        "lin": np.column_stack([np.ones(args.n), d, xc, xc * d[:, None]]),
    }
    cases = [
        ("HC2, additive covariates", "hc2", "additive", "HC2", {}),
        ("HC2, Lin interacted covariates", "hc2", "lin", "HC2", {}),
        ("CR1 cluster, additive covariates", "cluster", "additive", "cluster", {"groups": cluster}),
    ]
    print(f"n = {args.n:,}, clusters = {args.clusters:,}, covariates = {x.shape[1]}, best of {args.repeat}")
    print(
        f"{'case':<34} {'parcours s':>11} {'statsmodels s':>14} {'ratio':>7} {'rel.diff est':>13} {'rel.diff se':>12}"
    )
    worst_ratio, worst_diff = 0.0, 0.0
    for label, se, adjustment, cov_type, kwds in cases:
        design = designs[adjustment]
        t_ours, est = best_of(
            args.repeat,
            lambda se=se, adjustment=adjustment: ITTEstimator(se=se, adjustment=adjustment).fit(
                y, d, x, cluster if se == "cluster" else None
            ),
        )
        t_sm, res = best_of(
            args.repeat,
            lambda design=design, cov_type=cov_type, kwds=kwds: sm.OLS(y, design).fit(
                cov_type=cov_type, cov_kwds=kwds or None, use_t=True
            ),
        )
        d_est = rel(est.result_.estimate, res.params[1])
        d_se = rel(est.result_.std_err, res.bse[1])
        ratio = t_ours / t_sm
        worst_ratio, worst_diff = max(worst_ratio, ratio), max(worst_diff, d_est, d_se)
        print(f"{label:<34} {t_ours:>11.3f} {t_sm:>14.3f} {ratio:>7.2f} {d_est:>13.2e} {d_se:>12.2e}")
    ok = worst_ratio <= 1.5 and worst_diff <= 1e-8
    print(
        f"worst ratio {worst_ratio:.2f} (bar 1.5), worst relative difference {worst_diff:.1e} (bar 1e-8): "
        + ("OK" if ok else "FAIL")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
