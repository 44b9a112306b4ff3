"""Benchmark of the profiling core (no Django): training, batch scoring and single-row scoring.

    .venv/bin/python bench/bench_profiling.py [--n 1000000] [--calls 1000] [--seed 0]

Generates a synthetic register with a known outcome model (parcours.stats.profiling.simulate),
then times:

* training the full pipeline (comparison, adoption rule, calibration, fairness audit, refit) on
  N rows, with the rule as is, and with LightGBM imposed (so that its refit is timed too);
* batch scoring of 1,000,000 rows (encoding included) with each model;
* single-row scoring of a dict (median and p95 over ``--calls`` calls).

Machines are noisy, so every figure is also given as a ratio against a baseline measured in the
same process on the same data: plain scikit-learn ``LogisticRegression().fit`` /
``predict_proba`` on the already-encoded matrix (no encoding, no comparison, no calibration).
The baseline fit is timed before and after each training and its median is used; training is
also reported in CPU seconds (all threads), which a shared machine disturbs less than wall time.
Targets: training <= 180 s, batch 1M rows <= 30 s, single row <= 10 ms.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sklearn.linear_model import LogisticRegression

from parcours.stats.profiling import ProfilingModel
from parcours.stats.profiling.simulate import make_profiling_table

GROUPS = ["sex", "age_band", "disability"]


def timed(func, *args, **kwargs):
    result, wall, _ = timed_cpu(func, *args, **kwargs)
    return result, wall


def timed_cpu(func, *args, **kwargs):
    """Result, wall-clock seconds and CPU seconds of this process (all threads)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = func(*args, **kwargs)
    return result, time.perf_counter() - start, time.process_time() - cpu


def per_call(func, items) -> np.ndarray:
    out = np.empty(len(items))
    for i, item in enumerate(items):
        start = time.perf_counter()
        func(item)
        out[i] = time.perf_counter() - start
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="training rows (default 1,000,000)")
    parser.add_argument("--score-rows", type=int, default=1_000_000, help="batch scoring rows")
    parser.add_argument("--calls", type=int, default=1000, help="single-row calls")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    table, t_gen = timed(make_profiling_table, args.n, random_state=args.seed)
    table = table.drop(columns="true_risk")
    scoring = table if args.score_rows == args.n else make_profiling_table(args.score_rows, random_state=99)
    print(f"generated {args.n:,} training rows in {t_gen:.1f}s")

    X = y = None
    base_fits: list[tuple[float, float]] = []

    def time_baseline_fit():
        nonlocal X, y
        if X is not None:
            _, wall, cpu = timed_cpu(LogisticRegression(max_iter=1000).fit, X, y)
            base_fits.append((wall, cpu))

    rows = []
    models = {}
    for label, force in (("rule", None), ("lightgbm imposed", "lightgbm")):
        time_baseline_fit()
        model, t_fit, cpu_fit = timed_cpu(
            ProfilingModel(
                "long_term", groups=GROUPS, date="registered_on", force_model=force, random_state=args.seed
            ).fit,
            table,
        )
        models[label] = model
        rows.append((f"train [{label}] -> {model.chosen_} (wall)", t_fit, "fit"))
        rows.append((f"train [{label}] -> {model.chosen_} (CPU)", cpu_fit, "fit_cpu"))
        print(f"train [{label}]: chosen={model.chosen_} in {t_fit:.1f}s, CPU {cpu_fit:.1f}s")
        print(f"  {model.adoption_['reason']}")
        if X is None:
            X = model.encoder_.transform(table)
            y = table["long_term"].to_numpy()
            time_baseline_fit()
        report = model.evaluation_report()
        print(
            f"  held-out AUC {report['auc']:.4f} (logistic {report['baseline_auc']:.4f}, "
            f"LightGBM {report['challenger_auc']:.4f}), Brier {report['brier']:.4f}, "
            f"calibration slope {report['calibration_slope']:.3f}"
        )

    # Baseline, same process, same data: plain sklearn logistic on the encoded matrix.
    encoder = models["rule"].encoder_
    time_baseline_fit()
    baseline = LogisticRegression(max_iter=1000).fit(X, y)
    t_base_fit = float(np.median([wall for wall, _ in base_fits]))
    cpu_base_fit = float(np.median([cpu for _, cpu in base_fits]))
    X_score = encoder.transform(scoring) if scoring is not table else X
    _, t_base_batch = timed(baseline.predict_proba, X_score)
    single_X = [X_score[i : i + 1] for i in range(args.calls)]
    base_single = per_call(baseline.predict_proba, single_X)

    records = scoring.head(args.calls).to_dict(orient="records")
    for model in models.values():
        _, t_batch = timed(model.predict_risk, scoring)
        rows.append((f"batch {len(scoring):,} rows [{model.chosen_}]", t_batch, "batch"))
        single = per_call(model.score_record, records)
        rows.append((f"single row median [{model.chosen_}]", float(np.median(single)), "single"))
        rows.append((f"single row p95 [{model.chosen_}]", float(np.quantile(single, 0.95)), "single95"))

    baselines = {
        "fit": t_base_fit,
        "fit_cpu": cpu_base_fit,
        "batch": t_base_batch,
        "single": float(np.median(base_single)),
        "single95": float(np.quantile(base_single, 0.95)),
    }
    print()
    print(f"baseline (sklearn LogisticRegression on the encoded {X.shape[0]:,} x {X.shape[1]} matrix):")
    print(
        f"  fit {t_base_fit:.2f}s wall / {cpu_base_fit:.2f}s CPU (median of {len(base_fits)}), predict_proba {len(scoring):,} rows {t_base_batch:.3f}s, "
    )
    print(
        f"  single-row predict_proba median {baselines['single'] * 1e3:.3f} ms, p95 {baselines['single95'] * 1e3:.3f} ms"
    )
    print()
    print(f"{'measure':<45} {'time':>12} {'x baseline':>11}")
    for name, seconds, kind in rows:
        shown = f"{seconds * 1e3:.3f} ms" if kind.startswith("single") else f"{seconds:.2f} s"
        print(f"{name:<45} {shown:>12} {seconds / baselines[kind]:>10.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
