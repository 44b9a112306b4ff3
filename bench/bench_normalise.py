"""Benchmark: job-title normaliser (semantic stage on and off) vs a character n-gram TF-IDF
baseline on the full ROME set.

Standalone (no Django). Run from the repository root:

    .venv/bin/python bench/bench_normalise.py [--rome-dir DIR] [--queries 5000] [--single 300]

Fits the project's normaliser (:func:`semantic_normaliser`: lexical stages plus the packaged
multilingual sentence encoder) on every fiche label and appellation form of the official ROME
4.0 set (``ROME_DATA_DIR``, which ``make bench`` sets to ``../shared/data/rome4``; the shipped
sample when it is unset or the official files are absent, with a warning), then times, in the same process and on the same
typed-looking queries (official appellations passed through the evaluation noise model):

- batch throughput of ``query_batch`` (titles per second, wall and CPU time), semantic stage on
  and off (``--fast`` in ``parcours labour normalise``); the encoder's query cache is emptied
  before each run, so every distinct title is embedded;
- single-title latency of ``query`` (median and 95th percentile), on and off;
- the same two figures for the baseline ``TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4))``,
- fit time (label embedding included) and the size of the saved artefact.

Goals: batch >= 500 titles/s with the semantic stage, >= 2,000 titles/s without; single title
<= 50 ms at the 95th percentile. The machine is shared: the load average is printed with the
figures, and CPU-time throughput is less sensitive to it.
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
from parcours.stats.labour.normalise import (  # noqa: E402
    BaselineCharTfidf,
    JobTitleNormaliser,
    semantic_normaliser,
)
from parcours.stats.labour.rome import read_rome  # noqa: E402

SAMPLE = ROOT / "parcours" / "labour" / "fixtures" / "rome_sample"
BATCH_GOAL = 500.0
FAST_BATCH_GOAL = 2000.0
SINGLE_GOAL_MS = 50.0


def timed(func, *args, **kwargs):
    """(result, wall seconds, CPU seconds of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = func(*args, **kwargs)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def latencies(query, texts, **kwargs) -> np.ndarray:
    out = np.empty(len(texts))
    for i, text in enumerate(texts):
        start = time.perf_counter()
        query(text, top=5, **kwargs)
        out[i] = time.perf_counter() - start
    return out * 1000.0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    default_dir = os.environ.get("ROME_DATA_DIR", "")  # no default outside the repository
    parser.add_argument("--rome-dir", default=default_dir, help="official ROME folder (default: %(default)s)")
    parser.add_argument("--queries", type=int, default=5000, help="titles in the batch run")
    parser.add_argument("--single", type=int, default=300, help="titles queried one at a time")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rome_dir = Path(args.rome_dir)
    if not (
        args.rome_dir and rome_dir.is_dir() and any(rome_dir.glob("unix_referentiel_code_rome_v*_utf8.csv"))
    ):
        print(
            f"warning: no official ROME files in {args.rome_dir!r} (ROME_DATA_DIR); using the shipped sample",
            file=sys.stderr,
        )
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

    model, fit_wall, _ = timed(semantic_normaliser().fit, labels, codes, code_labels, texts)
    baseline, base_fit_wall, _ = timed(BaselineCharTfidf().fit, labels, codes)
    with tempfile.TemporaryDirectory() as tmp:
        path, save_wall, _ = timed(model.save, Path(tmp) / "normaliser.joblib")
        size_mb = path.stat().st_size / 1e6
        model, load_wall, _ = timed(JobTitleNormaliser.load, path)
    print(
        f"\nfit: normaliser {fit_wall:.2f} s, {len(model.semantic_.vectors)} label vectors "
        f"(baseline {base_fit_wall:.2f} s); saved {size_mb:.1f} MB in {save_wall:.2f} s, loaded in {load_wall:.2f} s"
    )

    model.query_batch(queries[:200])  # warm-up (model load, imports, caches)
    baseline.query_batch(queries[:200])
    threads = os.cpu_count() or 1
    rates = {}
    print("\nbatch (titles/s)                 wall       cpu")
    for name, kwargs in (
        ("semantic", {}),
        (f"semantic, {threads} thr", {"n_threads": threads}),
        ("--fast", {"semantic": False}),
        (f"--fast, {threads} thr", {"semantic": False, "n_threads": threads}),
    ):
        model.encoder.clear_cache()
        _, wall, cpu = timed(model.query_batch, queries, **kwargs)
        rates[name] = (len(queries) / wall, len(queries) / cpu)
        print(f"  {name:<24}{rates[name][0]:>8.0f}  {rates[name][1]:>8.0f}")
    _, base_wall, base_cpu = timed(baseline.query_batch, queries)
    base_rate = len(queries) / base_wall
    print(f"  {'baseline':<24}{base_rate:>8.0f}  {len(queries) / base_cpu:>8.0f}")
    print(
        f"  ratio to baseline (wall): semantic {rates['semantic'][0] / base_rate:.2f}x, "
        f"--fast {rates['--fast'][0] / base_rate:.2f}x"
    )

    model.encoder.clear_cache()
    ours_ms = latencies(model.query, singles)
    fast_ms = latencies(model.query, singles, semantic=False)
    base_ms = latencies(baseline.query, singles)
    print("\nsingle title (ms)     median      p95")
    for name, ms in (("semantic", ours_ms), ("--fast", fast_ms), ("baseline", base_ms)):
        print(f"  {name:<18}{np.median(ms):>7.2f}  {np.percentile(ms, 95):>7.2f}")
    print(
        f"  ratio to baseline (p95): semantic {np.percentile(ours_ms, 95) / np.percentile(base_ms, 95):.2f}x, "
        f"--fast {np.percentile(fast_ms, 95) / np.percentile(base_ms, 95):.2f}x"
    )
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")

    semantic_rate = max(rates["semantic"][0], rates[f"semantic, {threads} thr"][0])
    fast_rate = max(rates["--fast"][0], rates[f"--fast, {threads} thr"][0])
    p95 = np.percentile(ours_ms, 95)
    print(
        f"\ngoal batch >= {BATCH_GOAL:.0f}/s (semantic): {'met' if semantic_rate >= BATCH_GOAL else 'MISSED'}; "
        f"goal batch >= {FAST_BATCH_GOAL:.0f}/s (--fast): {'met' if fast_rate >= FAST_BATCH_GOAL else 'MISSED'}; "
        f"goal single <= {SINGLE_GOAL_MS:.0f} ms (p95): {'met' if p95 <= SINGLE_GOAL_MS else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
