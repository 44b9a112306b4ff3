"""`make bench`: run every benchmark script in turn; each prints its figures and its ratios
against a baseline measured in the same process.

Usage: python bench/run_all.py [--only NAME ...] [--quick]
  --quick  smaller sizes, for a smoke run (the figures in docs/ come from full runs)
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# name -> (script, full-size args, quick args)
BENCHES = {
    "foundation": ("bench_foundation.py", [], ["--people", "20000"]),
    # on a copy of the database the foundation benchmark just loaded
    "partition_migration": ("bench_partition_migration.py", [], []),
    "profiling": ("bench_profiling.py", [], ["--n", "100000", "--score-rows", "100000"]),
    "normalise": ("bench_normalise.py", [], ["--queries", "1000"]),
    "evaluation": ("bench_evaluation.py", [], ["--n", "100000"]),
    "matching": ("bench_matching.py", [], ["--offers", "100000"]),
    "indicators": ("bench_indicators.py", [], ["--episodes", "100000"]),
    "load": ("bench_load.py", [], ["--quick"]),
    "replica": ("replica.py", [], ["--people", "600"]),
}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", action="append", choices=sorted(BENCHES), help="run only this benchmark")
    parser.add_argument("--quick", action="store_true", help="smaller sizes for a smoke run")
    args = parser.parse_args()
    failures = []
    for name in args.only or list(BENCHES):
        script, full, quick = BENCHES[name]
        path = HERE / script
        if not path.exists():
            print(f"== {name}: {script} is missing", file=sys.stderr)
            failures.append(name)
            continue
        print(f"\n== {name} ({script})", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(path), *(quick if args.quick else full)], check=False)
        print(f"-- {name}: exit {result.returncode} in {time.perf_counter() - started:.1f} s", flush=True)
        if result.returncode:
            failures.append(name)
    if failures:
        print(f"failed: {', '.join(failures)}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
