"""Input checks and the tabular encoder shared by both profiling models.

The encoder turns any historical table into a dense float matrix:

* numeric columns: median imputation, plus a ``<col>__missing`` indicator when the column had
  missing values in the training data;
* text / categorical columns: one-hot encoding, a ``__missing__`` level for missing values and
  rare levels (fewer than ``min_frequency`` rows, or beyond the ``max_levels`` most frequent)
  grouped into ``__other__``; levels unseen in training are scored as ``__other__`` when that
  column exists, otherwise as the reference (all indicators zero);
* every output column is then standardised (centred on its training mean, divided by its
  training standard deviation), so that a logistic coefficient times the encoded value is the
  contribution of that column relative to the average person of the training data.

Each output column remembers the original feature it comes from (``feature_of_column_``), which
is how per-person explanations are aggregated back to the features a counselor knows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from parcours.stats.errors import BadInputError

MISSING_LEVEL = "__missing__"
OTHER_LEVEL = "__other__"


def _available(frame: pd.DataFrame) -> str:
    names = [str(c) for c in frame.columns]
    shown = ", ".join(names[:30])
    return shown + (", ..." if len(names) > 30 else "")


def check_columns(frame: pd.DataFrame, columns: Sequence[str], *, role: str = "column") -> None:
    """Raise :class:`BadInputError` naming the first column of ``columns`` absent from ``frame``.

    Parameters
    ----------
    frame : DataFrame
        The table.
    columns : sequence of str
        Column names that must exist.
    role : str
        Word used in the message ("column", "target column", "group column"...).
    """
    for name in columns:
        if name not in frame.columns:
            raise BadInputError(f"unknown {role} '{name}' (available: {_available(frame)})")


def binary_target(values: pd.Series, name: str, positive: object | None = None) -> tuple[np.ndarray, object]:
    """Map a two-valued column to a 0/1 integer array.

    Parameters
    ----------
    values : Series
        The target column, without missing values.
    name : str
        Column name, for error messages.
    positive : object, optional
        The value that means "1" (the adverse outcome, e.g. still unemployed). Default: 1 for a
        0/1 column, True for a boolean column, otherwise the larger of the two sorted values.

    Returns
    -------
    y : ndarray of int8
    positive : object
        The value mapped to 1.
    """
    levels = pd.unique(values)
    if len(levels) != 2:
        plain = [v.item() if hasattr(v, "item") else v for v in levels]
        shown = ", ".join(repr(v) for v in sorted(plain, key=str)[:10])
        extra = ", ..." if len(levels) > 10 else ""
        raise BadInputError(
            f"target '{name}' is not binary: found values {shown}{extra} ({len(levels)} distinct, need 2)"
        )
    if positive is None:
        as_set = {v.item() if hasattr(v, "item") else v for v in levels}
        if as_set == {0, 1}:
            positive = next(v for v in levels if v == 1)
        else:
            positive = sorted(levels, key=lambda v: (str(type(v)), v))[1]
    elif positive not in set(levels):
        matches = [v for v in levels if str(v) == str(positive)]
        if not matches:
            shown = ", ".join(repr(v) for v in levels)
            raise BadInputError(f"positive value {positive!r} not found in target '{name}' (values: {shown})")
        positive = matches[0]
    y = (values.to_numpy() == positive).astype(np.int8)
    return y, positive.item() if hasattr(positive, "item") else positive


def is_categorical(series: pd.Series) -> bool:
    """True for columns encoded one-hot: anything that is neither numeric nor boolean."""
    return not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series))


@dataclass
class _Numeric:
    name: str
    fill: float
    has_indicator: bool


@dataclass
class _Categorical:
    name: str
    levels: list[str]  # one output column per level, in this order
    index: dict[str, int]
    other: int | None  # position of __other__ in levels, if any
    missing: int | None  # position of __missing__ in levels, if any


def _as_text(series: pd.Series) -> pd.Series:
    """Text view of a categorical column with missing values as :data:`MISSING_LEVEL`."""
    text = series.astype("object")
    mask = series.isna().to_numpy()
    text = text.where(~mask, MISSING_LEVEL).map(str)
    return text


class TabularEncoder:
    """Impute, one-hot encode and standardise a table (see module docstring).

    Parameters
    ----------
    categorical : sequence of str, optional
        Columns to treat as categorical even if numeric (e.g. integer region codes). Text,
        category and object columns are always categorical.
    min_frequency : int, default 20
        Levels seen in fewer training rows are grouped into ``__other__``.
    max_levels : int, default 30
        At most this many levels are kept per categorical column (the most frequent).
    """

    def __init__(self, categorical: Sequence[str] = (), min_frequency: int = 20, max_levels: int = 30):
        self.categorical = categorical
        self.min_frequency = min_frequency
        self.max_levels = max_levels

    def fit(self, frame: pd.DataFrame, features: Sequence[str]) -> TabularEncoder:
        """Learn imputation values, levels and standardisation from ``frame[features]``."""
        check_columns(frame, features, role="feature column")
        if len(frame) == 0:
            raise BadInputError("cannot fit the encoder on an empty table")
        forced = set(self.categorical)
        self.features_ = list(features)
        self.specs_: list[_Numeric | _Categorical] = []
        columns: list[str] = []
        owners: list[str] = []
        for name in self.features_:
            series = frame[name]
            if name in forced or is_categorical(series):
                counts = _as_text(series).value_counts(sort=True)
                frequent = [str(k) for k, c in counts.items() if c >= self.min_frequency]
                frequent = [k for k in frequent if k != MISSING_LEVEL][: self.max_levels]
                levels = list(frequent)
                if MISSING_LEVEL in counts.index:
                    levels.append(MISSING_LEVEL)
                if len(set(levels)) < counts.size:
                    levels.append(OTHER_LEVEL)
                index = {level: i for i, level in enumerate(levels)}
                spec = _Categorical(name, levels, index, index.get(OTHER_LEVEL), index.get(MISSING_LEVEL))
                columns.extend(f"{name}={level}" for level in levels)
                owners.extend([name] * len(levels))
            else:
                values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
                missing = np.isnan(values)
                median = float(np.nanmedian(values)) if not missing.all() else 0.0
                spec = _Numeric(name, median, bool(missing.any()))
                columns.append(name)
                owners.append(name)
                if spec.has_indicator:
                    columns.append(f"{name}__missing")
                    owners.append(name)
            self.specs_.append(spec)
        self.columns_ = columns
        self.feature_of_column_ = np.array(owners, dtype=object)
        raw = self._raw(frame)
        self.mean_ = raw.mean(axis=0)
        std = raw.std(axis=0)
        # A constant column carries no information: scale 1 keeps it at exactly zero.
        self.scale_ = np.where(std > 1e-12, std, 1.0)
        self._build_row_plan()
        return self

    def _raw(self, frame: pd.DataFrame) -> np.ndarray:
        """Imputed, one-hot but not standardised matrix."""
        check_columns(frame, self.features_, role="feature column")
        n = len(frame)
        out = np.zeros((n, len(self.columns_)), dtype=float)
        j = 0
        for spec in self.specs_:
            series = frame[spec.name]
            if isinstance(spec, _Numeric):
                values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
                missing = np.isnan(values)
                out[:, j] = np.where(missing, spec.fill, values)
                j += 1
                if spec.has_indicator:
                    out[:, j] = missing
                    j += 1
            else:
                text = _as_text(series)
                codes = pd.Index(spec.levels).get_indexer(text).astype(np.int64)
                unseen = codes < 0
                if spec.other is not None:
                    codes[unseen] = spec.other
                rows = np.flatnonzero(codes >= 0)
                out[rows, j + codes[rows]] = 1.0
                j += len(spec.levels)
        return out

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Encoded and standardised matrix, shape (n_rows, len(columns_))."""
        raw = self._raw(frame)
        raw -= self.mean_
        raw /= self.scale_
        return raw

    # -- single-row path: plain Python, no pandas (a few microseconds per row) ------------------

    def _build_row_plan(self) -> None:
        plan = []
        j = 0
        for spec in self.specs_:
            if isinstance(spec, _Numeric):
                plan.append(("n", spec.name, j, spec.fill, spec.has_indicator, None, None))
                j += 1 + int(spec.has_indicator)
            else:
                plan.append(("c", spec.name, j, None, None, spec.index, spec.other))
                j += len(spec.levels)
        self._plan = plan
        self._base = -self.mean_ / self.scale_  # standardised value of a zero raw entry

    def transform_record(self, record: Mapping[str, object]) -> np.ndarray:
        """Encode one person given as a mapping {feature: value}; missing keys count as missing.

        Returns
        -------
        ndarray of shape (1, len(columns_))
        """
        if not hasattr(self, "_plan"):
            self._build_row_plan()
        raw = np.zeros(len(self.columns_))
        for kind, name, j, fill, has_indicator, index, other in self._plan:
            value = record.get(name)
            if kind == "n":
                try:
                    number = float(value)  # type: ignore[arg-type]
                except (TypeError, ValueError):
                    number = math.nan
                if math.isnan(number):
                    raw[j] = fill
                    if has_indicator:
                        raw[j + 1] = 1.0
                else:
                    raw[j] = number
            else:
                missing = value is None or (isinstance(value, float) and math.isnan(value))
                level = MISSING_LEVEL if missing else str(value)
                k = index.get(level, other)
                if k is None and missing:
                    k = other
                if k is not None:
                    raw[j + k] = 1.0
        return ((raw - self.mean_) / self.scale_)[None, :]

    def describe_value(self, frame_row: Mapping[str, object], feature: str) -> tuple[str, object]:
        """Classify a person's value of ``feature`` for plain-language text.

        Returns
        -------
        kind : {"high", "low", "missing", "level"}
        value : the raw value (or the level as encoded)
        """
        spec = self.specs_[self.features_.index(feature)]
        value = frame_row.get(feature)
        if isinstance(spec, _Numeric):
            try:
                number = float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                number = math.nan
            if math.isnan(number):
                return "missing", None
            j = self.columns_.index(feature)
            return ("high" if number >= self.mean_[j] else "low"), number
        missing = value is None or (isinstance(value, float) and math.isnan(value))
        if missing:
            return "missing", None
        return "level", value
