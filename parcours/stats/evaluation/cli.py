"""Pure (Django-free) logic of ``parcours evaluation estimate`` and ``parcours evaluation power``.

The management command only builds an argparse parser with :func:`add_estimate_arguments` /
:func:`add_power_arguments`, calls :func:`run` with the parsed options and maps
:class:`~parcours.stats.errors.BadInputError` to exit code 2. Everything here can be tested
without Django.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from parcours.stats.errors import BadInputError
from parcours.stats.evaluation.estimate import ADJUSTMENTS, estimate_itt, estimate_late
from parcours.stats.evaluation.power import METHODS, achieved_power, minimum_detectable_effect, sample_size
from parcours.stats.evaluation.regression import SE_TYPES
from parcours.stats.tabular import check_csv

CLI_SE_TYPES = ("classical", "hc2", "cluster", "hc1", "hc0")


# --------------------------------------------------------------------------- argument parsing


def add_estimate_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``parcours evaluation estimate``."""
    parser.add_argument("--data", required=True, metavar="FILE.csv", help="CSV file, one row per person")
    parser.add_argument("--outcome", required=True, metavar="COL", help="numeric outcome column")
    parser.add_argument(
        "--treatment",
        required=True,
        metavar="COL",
        help="0/1 random assignment; with --instrument, the treatment actually received (take-up)",
    )
    parser.add_argument("--covariates", metavar="a,b,c", help="baseline covariates, comma-separated")
    parser.add_argument(
        "--adjustment", choices=ADJUSTMENTS, default="lin", help="covariate adjustment (default lin)"
    )
    parser.add_argument("--cluster", metavar="COL", help="cluster column (implies --se cluster)")
    parser.add_argument(
        "--instrument",
        metavar="COL",
        help="0/1 random assignment instrumenting the take-up: estimate the LATE",
    )
    parser.add_argument(
        "--se", choices=CLI_SE_TYPES, help="standard errors (default hc2, or cluster when --cluster is given)"
    )
    parser.add_argument("--alpha", type=float, default=0.05, help="1 - confidence level (default 0.05)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def add_power_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``parcours evaluation power``."""
    parser.add_argument("--baseline", type=float, metavar="P", help="control proportion of a binary outcome")
    parser.add_argument("--sd", type=float, help="standard deviation of a continuous outcome")
    parser.add_argument(
        "--effect", type=float, metavar="D", help="effect in outcome units (0.025 = +2.5 points)"
    )
    parser.add_argument("--n-per-arm", type=float, metavar="N", help="control-arm size: returns the MDE")
    parser.add_argument(
        "--clusters-per-arm", type=float, metavar="K", help="control-arm clusters: returns the MDE"
    )
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--power", type=float, default=0.8)
    parser.add_argument("--ratio", type=float, default=1.0, help="n_treatment / n_control (default 1)")
    parser.add_argument("--icc", type=float, help="intra-cluster correlation (clustered design)")
    parser.add_argument(
        "--cluster-size", type=float, metavar="M", help="people per cluster (clustered design)"
    )
    parser.add_argument("--method", choices=METHODS, default="normal", help="binary-outcome variance formula")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def parse_list(text: str | None, option: str) -> list[str]:
    """``"a, b,c"`` -> ``["a", "b", "c"]``; an empty item is an error."""
    if text is None:
        return []
    items = [part.strip() for part in text.split(",")]
    if any(not item for item in items):
        raise BadInputError(f"{option} has an empty item in {text!r} (expected a,b,c)")
    return items


# --------------------------------------------------------------------------- data


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV file checked by the shared reader (:mod:`parcours.stats.tabular`: UTF-8, every
    row as wide as the header, no truncation, at least one data row; errors name file and line).
    Rows are indexed by their line number in the file (header = line 1)."""
    _, delimiter, _ = check_csv(path)
    try:
        data = pd.read_csv(path, sep=delimiter, encoding="utf-8-sig", low_memory=False)
    except (pd.errors.ParserError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "parse error"
        raise BadInputError(f"cannot parse CSV {str(path)!r}: {first}") from None
    data.index = pd.RangeIndex(2, len(data) + 2, name="line")
    return data


# --------------------------------------------------------------------------- commands


def run_estimate(options: dict) -> dict:
    """Estimate the ITT (or the LATE with an instrument); return the JSON document."""
    data = read_table(options["data"])
    covariates = parse_list(options.get("covariates"), "--covariates")
    cluster = options.get("cluster")
    se = options.get("se")
    if se is not None and se not in SE_TYPES:
        raise BadInputError(f"unknown --se {se!r} (expected one of: {', '.join(CLI_SE_TYPES)})")
    if se == "cluster" and not cluster:
        raise BadInputError("--se cluster requires --cluster COL")
    alpha = float(options.get("alpha", 0.05))
    if not 0 < alpha < 1:
        raise BadInputError(f"--alpha must be in (0, 1), got {alpha}")
    instrument = options.get("instrument")
    if instrument:
        if instrument == options["treatment"]:
            raise BadInputError("--instrument must differ from --treatment (the take-up)")
        result = estimate_late(
            data,
            options["outcome"],
            options["treatment"],
            instrument,
            covariates=covariates,
            cluster=cluster,
            se=se,
            alpha=alpha,
        )
    else:
        result = estimate_itt(
            data,
            options["outcome"],
            options["treatment"],
            covariates=covariates,
            cluster=cluster,
            se=se,
            adjustment=options.get("adjustment") or "lin",
            alpha=alpha,
        )
    doc = result.to_dict()
    doc["cluster"] = cluster
    doc["text"] = result.summary()
    return doc


def run_power(options: dict) -> dict:
    """Sample size (``effect``), minimum detectable effect (sizes) or power (both)."""
    get = options.get
    common = {
        "baseline": get("baseline"),
        "sd": get("sd"),
        "alpha": float(get("alpha") or 0.05),
        "ratio": float(get("ratio") or 1.0),
        "icc": get("icc"),
        "cluster_size": get("cluster_size"),
        "method": get("method") or "normal",
    }
    if (common["icc"] is None) != (common["cluster_size"] is None):
        raise BadInputError("a clustered design needs both --icc and --cluster-size")
    if get("baseline") is not None and get("sd") is not None:
        raise BadInputError("give --baseline (binary outcome) or --sd (continuous outcome), not both")
    if get("baseline") is None and get("sd") is None:
        raise BadInputError("give --baseline P for a binary outcome or --sd S for a continuous one")
    effect, n, k = get("effect"), get("n_per_arm"), get("clusters_per_arm")
    if n is not None and k is not None:
        raise BadInputError("give --n-per-arm or --clusters-per-arm, not both")
    if k is not None and common["cluster_size"] is None:
        raise BadInputError("--clusters-per-arm needs --icc and --cluster-size")
    power = float(get("power") or 0.8)
    if effect is None and n is None and k is None:
        raise BadInputError("give --effect D (sample size) or --n-per-arm N (minimum detectable effect)")
    if effect is not None and (n is not None or k is not None):
        size = n if n is not None else k * common["cluster_size"]
        value = achieved_power(effect, size, **common)
        doc = {"mode": "power", "effect": effect, "n_per_arm": size, "achieved_power": value, **common}
        doc["text"] = f"Power to detect {effect:g} with {size:g} per arm (control): {value:.4f}"
        return doc
    if effect is not None:
        result = sample_size(effect, power=power, **common)
        mode = "sample_size"
    else:
        result = minimum_detectable_effect(n, clusters_per_arm=k, power=power, **common)
        mode = "mde"
    doc = {"mode": mode, **result.to_dict()}
    doc["text"] = result.summary()
    return doc


def run(verb: str, options: dict) -> str:
    """Run a verb and return what to print: one JSON object with ``json``, else readable text."""
    if verb == "estimate":
        doc = run_estimate(options)
    elif verb == "power":
        doc = run_power(options)
    else:
        raise BadInputError(f"unknown verb {verb!r} (expected estimate or power)")
    text = doc.pop("text")
    return to_json(doc) if options.get("json") else text


def _clean(value):
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def to_json(doc: dict) -> str:
    """One-line JSON; NaN and infinities become null (strict JSON)."""
    return json.dumps(_clean(doc), allow_nan=False, ensure_ascii=False)
