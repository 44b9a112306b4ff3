"""Per-person explanations: contributions per original feature and plain-language top factors.

Contributions are on the log-odds (logit) scale of the *uncalibrated* model score:

* logistic model: ``coefficient x standardised value``, summed over the one-hot / missing-indicator
  columns of each original feature. With the intercept they add up exactly to the model's logit;
  a contribution is the change in log-odds relative to the average person of the training data.
* LightGBM: exact TreeSHAP values from ``Booster.predict(..., pred_contrib=True)`` (Lundberg et al.
  2020), summed the same way; with the expected value they add up exactly to the raw score.

A contribution of +0.42 multiplies the odds of long-term unemployment by exp(0.42) = 1.52.
The calibration step (monotone) is not part of the decomposition.

References
----------
Lundberg, S. M. et al. (2020). From local explanations to global understanding with explainable AI
for trees. Nature Machine Intelligence 2, 56-67.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from parcours.stats.errors import BadInputError
from parcours.stats.profiling.preprocessing import TabularEncoder

_TEMPLATES = {
    "fr": {
        "high": "{label} au-dessus de la moyenne ({value})",
        "low": "{label} en dessous de la moyenne ({value})",
        "missing": "{label} : non renseigné",
        "level": "{label} : {value}",
        "up": "augmente le risque",
        "down": "diminue le risque",
    },
    "en": {
        "high": "{label} above average ({value})",
        "low": "{label} below average ({value})",
        "missing": "{label}: missing",
        "level": "{label}: {value}",
        "up": "raises the risk",
        "down": "lowers the risk",
    },
}
LANGUAGES = tuple(_TEMPLATES)


def aggregate_columns(contributions: np.ndarray, feature_of_column: np.ndarray, features: Sequence[str]):
    """Sum column-level contributions into one column per original feature.

    Parameters
    ----------
    contributions : ndarray, shape (n_rows, n_columns)
    feature_of_column : ndarray of str, shape (n_columns,)
    features : sequence of str
        Output order.

    Returns
    -------
    ndarray, shape (n_rows, len(features))
    """
    position = {name: i for i, name in enumerate(features)}
    owner = np.array([position[f] for f in feature_of_column])
    out = np.zeros((contributions.shape[0], len(features)))
    for k in range(len(features)):
        out[:, k] = contributions[:, owner == k].sum(axis=1)
    return out


def _label(labels: Mapping[str, object] | None, feature: str, language: str) -> str:
    if not labels or feature not in labels:
        return feature
    entry = labels[feature]
    if isinstance(entry, Mapping):
        return str(entry.get(language) or entry.get("fr") or feature)
    return str(entry)


def _format_value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


@dataclass
class Factor:
    """One feature's contribution to one person's score."""

    feature: str
    value: object
    contribution: float
    text: str
    effect: str

    def to_dict(self) -> dict[str, object]:
        value = self.value
        if isinstance(value, np.generic):
            value = value.item()
        return {
            "feature": self.feature,
            "value": value,
            "contribution": self.contribution,
            "text": self.text,
            "effect": self.effect,
        }


@dataclass
class Explanation:
    """Decomposition of one person's score: ``base + sum(contributions) == raw_score`` (logit scale)."""

    model: str
    base: float
    raw_score: float
    risk: float
    contributions: dict[str, float]
    factors: list[Factor]

    def to_dict(self) -> dict[str, object]:
        return {
            "model": self.model,
            "base": self.base,
            "raw_score": self.raw_score,
            "risk": self.risk,
            "contributions": self.contributions,
            "top_factors": [f.to_dict() for f in self.factors],
        }

    def summary(self) -> str:
        return "; ".join(f.text for f in self.factors)


def describe_factors(
    encoder: TabularEncoder,
    record: Mapping[str, object],
    contributions: Mapping[str, float],
    *,
    top: int = 3,
    language: str = "fr",
    labels: Mapping[str, object] | None = None,
) -> list[Factor]:
    """The ``top`` features with the largest absolute contribution, as plain-language factors.

    Parameters
    ----------
    encoder : TabularEncoder
        The fitted encoder (knows which features are numeric and their training means).
    record : mapping
        The person's raw values.
    contributions : mapping {feature: contribution}
    top : int, default 3
    language : {"fr", "en"}
    labels : mapping, optional
        Human names per feature, either a string or {"fr": ..., "en": ...}.

    Returns
    -------
    list of Factor, e.g. text "Durée de chômage antérieure au-dessus de la moyenne (18) (+0.42)"
    """
    if language not in _TEMPLATES:
        raise BadInputError(f"unknown language '{language}' (available: {', '.join(LANGUAGES)})")
    words = _TEMPLATES[language]
    ranked = sorted(contributions.items(), key=lambda kv: -abs(kv[1]))[:top]
    factors = []
    for feature, value in ranked:
        kind, raw = encoder.describe_value(record, feature)
        label = _label(labels, feature, language)
        shown = "" if raw is None else _format_value(raw)
        text = words[kind].format(label=label, value=shown) + f" ({value:+.2f})"
        factors.append(Factor(feature, raw, float(value), text, words["up" if value > 0 else "down"]))
    return factors


def records_of(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Rows of a DataFrame as plain dicts with missing values as None."""
    clean = frame.astype("object").where(frame.notna(), None)
    return clean.to_dict(orient="records")
