"""Command-line layer of ``parcours profiling train|evaluate``, free of Django.

The Django management command (``parcours/profiling/management/commands/profiling.py``) only
wires these functions to ``BaseCommand``; the same commands also run without Django as
``python -m parcours.stats.profiling.cli train|evaluate ...``.

Contract::

    parcours profiling train    --data FILE.csv --target COL [--features a,b,c] [--group COL ...]
                                [--date COL] [--seed N] --out MODEL_DIR [--json]
    parcours profiling evaluate --data FILE.csv --target COL [--features a,b,c] [--group COL ...]
                                [--date COL] [--seed N] --json

Exit codes: 0 success, 2 bad input (one-line message on stderr), 1 anything else.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from parcours.stats.errors import BadInputError
from parcours.stats.profiling.card import json_ready
from parcours.stats.profiling.models import ProfilingModel
from parcours.stats.profiling.persistence import save_model
from parcours.stats.tabular import check_csv

EXIT_BAD_INPUT = 2
_DELIMITERS = (",", ";", "\t", "|")


def split_list(value: str | None, option: str = "--features") -> list[str] | None:
    """``"a, b,c"`` -> ``["a", "b", "c"]``; None stays None; an empty list is bad input."""
    if value is None:
        return None
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise BadInputError(f"{option} is empty: give a comma-separated list of columns")
    return items


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV file (delimiter , ; tab or | detected from the header) into a DataFrame.

    The shared reader (:mod:`parcours.stats.tabular`) checks it first: UTF-8, no binary data,
    every row as wide as the header, no truncated last line, at least one data row; each failure
    is a ``BadInputError`` naming the file and line.
    """
    _, delimiter, _ = check_csv(path)
    try:
        frame = pd.read_csv(path, sep=delimiter, encoding="utf-8-sig", low_memory=False)
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        reason = " ".join(str(exc).split())
        raise BadInputError(f"unreadable CSV '{path}': {reason}") from exc
    return frame


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``train`` and ``evaluate``."""
    parser.add_argument("--data", required=True, help="CSV file of historical spells (one row per person)")
    parser.add_argument("--target", required=True, help="binary outcome column (1 = long-term unemployment)")
    parser.add_argument("--features", help="predictor columns a,b,c (default: all other columns)")
    parser.add_argument(
        "--group", action="append", default=[], help="protected attribute to audit (repeat the option)"
    )
    parser.add_argument("--date", help="date column: evaluate on the latest 25%% of rows (temporal split)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--positive", help="target value meaning the adverse outcome (default: 1 / larger)")
    parser.add_argument("--categorical", help="numeric code columns to one-hot encode anyway a,b,c")
    parser.add_argument("--threshold", type=float, help="decision threshold on the risk (default: top 30%%)")
    parser.add_argument("--top-fraction", type=float, default=0.3, help="share flagged when no threshold")
    parser.add_argument("--min-group-size", type=int, default=30, help="groups below this n are flagged")
    parser.add_argument("--source", help="name of the data source for the model card (default: file name)")
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    add_common_arguments(parser)
    parser.add_argument("--out", required=True, help="MODEL_DIR to write the model and its card to")
    parser.add_argument("--version", default="1", help="model version recorded in the card")


def add_evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    add_common_arguments(parser)


def _positive(value: str | None, frame: pd.DataFrame, target: str) -> object | None:
    """Convert ``--positive`` text to the target column's type when it is numeric."""
    if value is None or target not in frame.columns:
        return value
    if pd.api.types.is_numeric_dtype(frame[target]):
        try:
            number = float(value)
        except ValueError as exc:
            raise BadInputError(f"--positive {value!r} is not a value of numeric target '{target}'") from exc
        return int(number) if number.is_integer() else number
    return value


def model_from_options(options: dict, frame: pd.DataFrame) -> ProfilingModel:
    """Build the (unfitted) model from parsed command options."""
    data = options["data"]
    if options.get("top_fraction") is not None and not 0 < options["top_fraction"] < 1:
        raise BadInputError(f"--top-fraction must be between 0 and 1, got {options['top_fraction']}")
    return ProfilingModel(
        target=options["target"],
        features=split_list(options.get("features")),
        groups=list(options.get("group") or []),
        date=options.get("date"),
        categorical=split_list(options.get("categorical"), "--categorical") or (),
        positive=_positive(options.get("positive"), frame, options["target"]),
        threshold=options.get("threshold"),
        top_fraction=options.get("top_fraction") or 0.3,
        min_group_size=options.get("min_group_size") or 30,
        source=options.get("source") or Path(data).name,
        version=str(options.get("version") or "1"),
        random_state=options.get("seed", 0),
    )


def run_evaluate(options: dict) -> dict[str, object]:
    """Fit on ``--data`` and return the held-out evaluation report (JSON-ready)."""
    frame = read_table(options["data"])
    model = model_from_options(options, frame).fit(frame)
    return json_ready(model.evaluation_report())


def run_train(options: dict) -> dict[str, object]:
    """Fit on ``--data``, save to ``--out`` and return a JSON-ready summary."""
    frame = read_table(options["data"])
    out = Path(options["out"])
    if out.exists() and not out.is_dir():
        raise BadInputError(f"--out '{out}' exists and is not a directory")
    model = model_from_options(options, frame).fit(frame)
    path = save_model(model, out)
    report = model.evaluation_report()
    return json_ready(
        {
            "model_dir": str(path),
            "files": sorted(p.name for p in path.iterdir()),
            "model": report["model"],
            "why": model.adoption_["reason"],
            "n": report["n"],
            "auc": report["auc"],
            "brier": report["brier"],
            "calibration_slope": report["calibration_slope"],
            "baseline_auc": report["baseline_auc"],
            "challenger_auc": report["challenger_auc"],
            "version": model.version,
        }
    )


def human_summary(result: dict[str, object]) -> str:
    """A few readable lines for runs without ``--json``."""
    lines = [
        f"model: {result['model']} (n={result['n']})",
        f"AUC {result['auc']:.4f} (logistic baseline {result['baseline_auc']:.4f}), "
        f"Brier {result['brier']:.4f}, calibration slope {result['calibration_slope']:.3f}",
    ]
    if "model_dir" in result:
        lines.append(f"saved to {result['model_dir']}: {', '.join(result['files'])}")
    for column, audit in (result.get("groups") or {}).items():
        eod = audit["equal_opportunity_difference"]
        if eod["estimate"] is not None:
            lines.append(f"{column}: equal-opportunity difference {eod['estimate']:.3f}")
    return "\n".join(lines)


def dumps(result: dict[str, object]) -> str:
    """One JSON document (nan already mapped to null)."""
    return json.dumps(result, ensure_ascii=False, allow_nan=False)


def log_to_stderr(level: int = logging.INFO) -> Callable[[], None]:
    """Send the profiling progress log to stderr; returns a function that removes the handler."""
    logger = logging.getLogger("parcours.stats.profiling")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("profiling %(message)s"))
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(level)

    def remove() -> None:
        logger.removeHandler(handler)
        logger.setLevel(previous)

    return remove


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="profiling", description="Statistical profiling (decision support)")
    sub = parser.add_subparsers(dest="action", required=True)
    add_train_arguments(sub.add_parser("train", help="fit, compare, audit and save a model"))
    add_evaluate_arguments(sub.add_parser("evaluate", help="fit and report held-out metrics"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Standalone entry point (no Django); returns the exit code."""
    options = vars(build_parser().parse_args(argv))
    remove = log_to_stderr()
    try:
        result = run_train(options) if options["action"] == "train" else run_evaluate(options)
    except BadInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        remove()
    print(dumps(result) if options["json"] else human_summary(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
