"""Benchmark: job-title normaliser vs a character n-gram TF-IDF baseline on the full ROME set.

Standalone (no Django). Run from the repository root:

    .venv/bin/python bench/bench_normalise.py [--rome-dir DIR] [--queries 5000] [--single 300]

Fits :class:`JobTitleNormaliser` on every fiche label and appellation form of the official
ROME 4.0 set (``ROME_DATA_DIR``, default ``../shared/data/rome4``; the shipped sample when the
official files are absent, with a warning), then times, in the same process and on the same
typed-looking queries (official appellations passed through the evaluation noise model):

- batch throughput of ``query_batch`` (titles per second, wall and CPU time),
- single-title latency of ``query`` (median and 95th percentile),
- the same two figures for the baseline ``TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4))``,
- fit time and the size of the saved artefact.

Goals: >= 2,000 titles/s in batch and <= 20 ms per single title. The machine is shared: the
load average is printed with the figures, and CPU-time throughput is less sensitive to it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from parcours.stats.labour.evaluate import add_noise  # noqa: E402
from parcours.stats.labour.normalise import BaselineCharTfidf, JobTitleNormaliser  # noqa: E402
from parcours.stats.labour.rome import read_rome  # noqa: E402

SAMPLE = ROOT / "parcours" / "labour" / "fixtures" / "rome_sample"
BATCH_GOAL = 2000.0
SINGLE_GOAL_MS = 20.0


def timed(func, *args, **kwargs):
    """(result, wall seconds, CPU seconds of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = func(*args, **kwargs)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def latencies(query, texts) -> np.ndarray:
    out = np.empty(len(texts))
    for i, text in enumerate(texts):
        start = time.perf_counter()
        query(text, top=5)
        out[i] = time.perf_counter() - start
    return out * 1000.0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    default_dir = os.environ.get("ROME_DATA_DIR", str(ROOT.parent / "shared" / "data" / "rome4"))
    parser.add_argument("--rome-dir", default=default_dir, help="official ROME folder (default: %(default)s)")
    parser.add_argument("--queries", type=int, default=5000, help="titles in the batch run")
    parser.add_argument("--single", type=int, default=300, help="titles queried one at a time")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rome_dir = Path(args.rome_dir)
    if not (rome_dir.is_dir() and any(rome_dir.glob("unix_referentiel_code_rome_v*_utf8.csv"))):
        print(f"warning: no official ROME files in {rome_dir}; using the shipped sample", file=sys.stderr)
        rome_dir = SAMPLE
    referential = read_rome(rome_dir)
    labels, codes = referential.label_pairs()
    code_labels = {c: o.label for c, o in referential.occupations.items()}
    texts = referential.code_texts()
    rng = np.random.default_rng(args.seed)
    pool = [t.label for t in referential.job_titles]
    queries = [add_noise(pool[i], rng) for i in rng.integers(len(pool), size=args.queries)]
    singles = queries[: args.single]

    print(f"ROME version {referential.version} from {rome_dir}")
    print(f"labels: {len(labels)}, codes: {len(code_labels)}, queries: {len(queries)} (noisy appellations)")
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")

    model, fit_wall, _ = timed(JobTitleNormaliser().fit, labels, codes, code_labels, texts)
    baseline, base_fit_wall, _ = timed(BaselineCharTfidf().fit, labels, codes)
    with tempfile.TemporaryDirectory() as tmp:
        path, save_wall, _ = timed(model.save, Path(tmp) / "normaliser.joblib")
        size_mb = path.stat().st_size / 1e6
        _, load_wall, _ = timed(JobTitleNormaliser.load, path)
    print(
        f"\nfit: normaliser {fit_wall:.2f} s (baseline {base_fit_wall:.2f} s); "
        f"saved {size_mb:.1f} MB in {save_wall:.2f} s, loaded in {load_wall:.2f} s"
    )

    model.query_batch(queries[:200])  # warm-up (imports, caches)
    baseline.query_batch(queries[:200])
    _, ours_wall, ours_cpu = timed(model.query_batch, queries)
    threads = os.cpu_count() or 1
    _, par_wall, par_cpu = timed(model.query_batch, queries, n_threads=threads)
    _, base_wall, base_cpu = timed(baseline.query_batch, queries)
    ours_rate, base_rate = len(queries) / ours_wall, len(queries) / base_wall
    par_rate = len(queries) / par_wall
    print("\nbatch (titles/s)          wall       cpu")
    print(f"  normaliser         {ours_rate:>8.0f}  {len(queries) / ours_cpu:>8.0f}")
    print(
        f"  normaliser, {threads} thr  {par_rate:>8.0f}  {len(queries) / par_cpu:>8.0f}  (what the CLI uses)"
    )
    print(f"  baseline           {base_rate:>8.0f}  {len(queries) / base_cpu:>8.0f}")
    print(
        f"  ratio normaliser / baseline: {ours_rate / base_rate:.2f}x (wall), {base_cpu / ours_cpu:.2f}x (cpu)"
    )

    ours_ms = latencies(model.query, singles)
    base_ms = latencies(baseline.query, singles)
    print("\nsingle title (ms)     median      p95")
    print(f"  normaliser         {np.median(ours_ms):>7.2f}  {np.percentile(ours_ms, 95):>7.2f}")
    print(f"  baseline           {np.median(base_ms):>7.2f}  {np.percentile(base_ms, 95):>7.2f}")
    print(f"  ratio normaliser / baseline (median): {np.median(ours_ms) / np.median(base_ms):.2f}x")

    batch_ok = max(ours_rate, par_rate) >= BATCH_GOAL
    single_ok = np.median(ours_ms) <= SINGLE_GOAL_MS
    print(
        f"\ngoal batch >= {BATCH_GOAL:.0f}/s: {'met' if batch_ok else 'MISSED'}; "
        f"goal single <= {SINGLE_GOAL_MS:.0f} ms (median): {'met' if single_ok else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
