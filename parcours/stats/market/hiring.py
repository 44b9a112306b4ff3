"""Hires per establishment over the next months, from hiring declarations (the hidden job market).

Most hires are made without a published offer. Parcours predicts, for each establishment, the
number of hires over the next ``horizon`` months (6 by default) from its own past declarations,
so that a counselor can show a person the companies likely to hire in an occupation.

Features at a cutoff month ``M`` (only hires before ``M`` are read):

- ``h3``, ``h6``, ``h12``, ``h24``: hires in the last 3, 6, 12 and 24 months;
- ``trend``: ``h6 − (h12 − h6)``, the last six months against the six before;
- ``season``: hires in the same calendar months as the predicted window, one and two years
  earlier (``[M−12, M−6)`` and ``[M−24, M−18)`` for a 6-month horizon);
- ``active_months``: months with at least one hire in the last 24 (a size proxy when the
  headcount is unknown), or ``size`` when the establishments table gives it;
- ``naf_division``: the first two characters of the NAF code (the sector);
- ``month_sin``, ``month_cos``: the calendar month of ``M`` (where the window falls in the year).

Models (``kind``):

- ``"glm"`` (default): a Poisson GLM (log link, ridge penalty ``alpha``) on ``log1p`` of the
  counts, the trend sign, the size proxy, one-hot sector and sector × calendar-month terms. Its
  coefficients can be read and published.
- ``"lightgbm"``: gradient-boosted trees with the Poisson objective on the same features.

The naive baseline is ``h6``: "will hire as many as in the last six months".

Evaluation is on a later period: train on cutoffs before ``C`` whose target windows end by ``C``,
predict at ``C``, and compare with the hires actually declared in ``[C, C + horizon)`` by the
*capture rate at 10 %*: the share of all actual hires made by the 10 % of establishments ranked
highest. A counselor calls a few companies; what matters is that they are the right ones.

References
----------
McCullagh, P. and Nelder, J. A. (1989). *Generalized Linear Models*, 2nd ed., ch. 6 (Poisson).
Ke, G. et al. (2017). LightGBM: a highly efficient gradient boosting decision tree. NeurIPS.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from parcours.stats.errors import BadInputError

FEATURES = ["h3", "h6", "h12", "h24", "trend", "season", "active_months", "month_sin", "month_cos"]


def month_index(value) -> int:
    """Months since year 0 of a date-like value (``2024-03-15`` → ``2024 × 12 + 2``)."""
    ts = pd.Timestamp(value)
    return ts.year * 12 + ts.month - 1


def month_start(index: int) -> datetime.date:
    return datetime.date(index // 12, index % 12 + 1, 1)


def _hire_months(hires: pd.DataFrame) -> pd.DataFrame:
    """Hires as (establishment, month index[, rome_code]); computed once per call chain."""
    if "month" in hires.columns and "hired_on" not in hires.columns:
        return hires
    missing = [c for c in ("establishment", "hired_on") if c not in hires.columns]
    if missing:
        raise BadInputError(f"hires: missing column(s) {', '.join(missing)}")
    dates = pd.to_datetime(pd.Series(hires["hired_on"].to_numpy()), errors="coerce")
    if dates.isna().any():
        raise BadInputError(f"hires: {int(dates.isna().sum())} row(s) with an invalid hired_on")
    out = pd.DataFrame(
        {
            "establishment": hires["establishment"].to_numpy(),
            "month": (dates.dt.year * 12 + dates.dt.month - 1).to_numpy(),
        }
    )
    if "rome_code" in hires.columns:
        out["rome_code"] = hires["rome_code"].fillna("").astype(str).to_numpy()
    return out


def _counts(months: pd.DataFrame, ids: pd.Index, low: int, high: int) -> np.ndarray:
    window = months[(months["month"] >= low) & (months["month"] < high)]
    return window.groupby("establishment").size().reindex(ids, fill_value=0).to_numpy(dtype=float)


def build_features(
    hires: pd.DataFrame, establishments: pd.DataFrame, as_of, *, horizon: int = 6, with_target: bool = False
) -> pd.DataFrame:
    """Features of every establishment at the cutoff ``as_of`` (see the module docstring).

    Parameters
    ----------
    hires : DataFrame
        ``establishment``, ``hired_on`` (and optionally ``rome_code``), one row per hire.
    establishments : DataFrame
        ``establishment``, ``naf`` and optionally ``size`` (headcount).
    as_of : date-like
        The cutoff; its month is the first predicted month. Hires of that month and later are
        never read unless ``with_target``.
    horizon : int, default 6
        Months predicted.
    with_target : bool, default False
        Add ``target``: hires in ``[M, M + horizon)``.

    Returns
    -------
    DataFrame indexed like ``establishments`` with ``establishment``, ``naf_division`` and
    :data:`FEATURES` (plus ``target``).
    """
    for column in ("establishment", "naf"):
        if column not in establishments.columns:
            raise BadInputError(f"establishments: missing column {column}")
    months = _hire_months(hires)
    ids = pd.Index(establishments["establishment"].to_numpy())
    if ids.has_duplicates:
        raise BadInputError("establishments: duplicate establishment ids")
    m = month_index(as_of)
    frame = pd.DataFrame({"establishment": ids})
    for k in (3, 6, 12, 24):
        frame[f"h{k}"] = _counts(months, ids, m - k, m)
    frame["trend"] = frame["h6"] - (frame["h12"] - frame["h6"])
    frame["season"] = _counts(months, ids, m - 12, m - 12 + horizon) + _counts(
        months, ids, m - 24, m - 24 + horizon
    )
    if "size" in establishments.columns and establishments["size"].notna().all():
        frame["active_months"] = establishments["size"].to_numpy(dtype=float)
    else:
        recent = months[(months["month"] >= m - 24) & (months["month"] < m)]
        frame["active_months"] = (
            recent.groupby("establishment")["month"]
            .nunique()
            .reindex(ids, fill_value=0)
            .to_numpy(dtype=float)
        )
    angle = 2 * math.pi * (m % 12) / 12
    frame["month_sin"] = math.sin(angle)
    frame["month_cos"] = math.cos(angle)
    frame["naf_division"] = establishments["naf"].fillna("").astype(str).str[:2].to_numpy()
    if with_target:
        frame["target"] = _counts(months, ids, m, m + horizon)
    return frame


def capture_at(actual, score, share: float = 0.10) -> float:
    """Share of the actual total captured by the ``share`` of units ranked highest by ``score``.

    The top is ``ceil(share × n)`` units (at least one); ties are broken by input order, so the
    result does not depend on the sort algorithm.

    Parameters
    ----------
    actual, score : array-like
        Actual hires and the ranking score of each unit.
    share : float, default 0.10

    Returns
    -------
    float
        NaN when there is no actual hire at all.

    Examples
    --------
    >>> capture_at([5, 0, 1, 4, 0, 0, 0, 0, 0, 0], [9, 8, 1, 2, 0, 0, 0, 0, 0, 0], share=0.2)
    0.5
    """
    actual = np.asarray(actual, dtype=float)
    score = np.asarray(score, dtype=float)
    if actual.shape != score.shape:
        raise BadInputError("actual and score must have the same length")
    if not 0 < share <= 1:
        raise BadInputError("share must be in (0, 1]")
    total = actual.sum()
    if actual.size == 0 or total == 0:
        return float("nan")
    top = max(1, math.ceil(share * actual.size))
    order = np.lexsort((np.arange(actual.size), -score))[:top]
    return float(actual[order].sum() / total)


class HiringModel:
    """Predict hires per establishment over the next ``horizon`` months.

    Parameters
    ----------
    kind : {"glm", "lightgbm"}, default "glm"
    horizon : int, default 6
    alpha : float, default 1e-3
        Ridge penalty of the GLM (on standardised columns).
    random_state : int, default 0

    Attributes
    ----------
    columns_ : list of str
        Design columns of the GLM (or features of LightGBM).
    divisions_ : list of str
        NAF divisions seen in training (others fall in "other").
    estimator_ : fitted scikit-learn or LightGBM estimator
    n_train_ : int
    """

    def __init__(self, kind: str = "glm", horizon: int = 6, alpha: float = 1e-3, random_state: int = 0):
        self.kind = kind
        self.horizon = horizon
        self.alpha = alpha
        self.random_state = random_state

    def _design(self, features: pd.DataFrame) -> pd.DataFrame:
        division = features["naf_division"].where(features["naf_division"].isin(self.divisions_), "other")
        if self.kind == "lightgbm":
            design = features[FEATURES].copy()
            design["naf_division"] = pd.Categorical(division, categories=[*self.divisions_, "other"])
            return design
        design = pd.DataFrame(index=features.index)
        for column in ("h3", "h6", "h12", "h24", "season", "active_months"):
            design[f"log_{column}"] = np.log1p(features[column])
        design["trend_sign"] = np.sign(features["trend"])
        design["never_hired"] = (features["h24"] == 0).astype(float)
        for div in self.divisions_:
            is_div = (division == div).astype(float)
            design[f"naf_{div}"] = is_div
            # Seasonal profile of the sector: where the window falls in the year, per sector.
            design[f"naf_{div}_sin"] = is_div * features["month_sin"]
            design[f"naf_{div}_cos"] = is_div * features["month_cos"]
        design["month_sin"] = features["month_sin"]
        design["month_cos"] = features["month_cos"]
        return design

    def fit(self, hires: pd.DataFrame, establishments: pd.DataFrame, cutoffs) -> HiringModel:
        """Fit on the panel of establishments × training cutoffs.

        Parameters
        ----------
        hires, establishments : DataFrame
            As in :func:`build_features`.
        cutoffs : sequence of date-like
            Training cutoffs; each needs ``horizon`` months of known hires after it.

        Returns
        -------
        self
        """
        if self.kind not in {"glm", "lightgbm"}:
            raise BadInputError(f"unknown model kind {self.kind!r} (glm or lightgbm)")
        cutoffs = list(cutoffs)
        if not cutoffs:
            raise BadInputError("at least one training cutoff is needed")
        hires = _hire_months(hires)
        panel = pd.concat(
            [
                build_features(hires, establishments, c, horizon=self.horizon, with_target=True)
                for c in cutoffs
            ],
            ignore_index=True,
        )
        counts = panel["naf_division"].value_counts()
        # Sectors with too few establishments share one "other" coefficient.
        self.divisions_ = sorted(counts[counts >= 20 * len(cutoffs)].index)
        design = self._design(panel)
        self.columns_ = list(design.columns)
        y = panel["target"].to_numpy()
        if self.kind == "lightgbm":
            import lightgbm as lgb

            self.estimator_ = lgb.LGBMRegressor(
                objective="poisson",
                n_estimators=300,
                learning_rate=0.05,
                num_leaves=15,
                min_child_samples=20,
                subsample=0.8,
                subsample_freq=1,
                random_state=self.random_state,
                verbose=-1,
            ).fit(design, y)
        else:
            from sklearn.linear_model import PoissonRegressor
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import StandardScaler

            self.estimator_ = make_pipeline(
                StandardScaler(), PoissonRegressor(alpha=self.alpha, max_iter=1000)
            ).fit(design.to_numpy(), y)
        self.n_train_ = len(panel)
        return self

    def predict(self, hires: pd.DataFrame, establishments: pd.DataFrame, as_of) -> pd.DataFrame:
        """Expected hires in ``[as_of, as_of + horizon)`` for every establishment.

        Returns
        -------
        DataFrame
            :func:`build_features` columns plus ``expected`` (the model) and ``baseline`` (``h6``).
        """
        features = build_features(hires, establishments, as_of, horizon=self.horizon)
        design = self._design(features)
        matrix = design if self.kind == "lightgbm" else design.to_numpy()
        features["expected"] = np.clip(self.estimator_.predict(matrix), 0, None)
        features["baseline"] = features["h6"]
        return features


@dataclass(frozen=True)
class HiringEvaluation:
    """Capture rates of the model and of the naive baseline on a later period."""

    cutoff: datetime.date
    horizon: int
    share: float
    n_establishments: int
    actual_hires: int
    capture_model: float
    capture_baseline: float
    poisson_deviance_model: float
    poisson_deviance_baseline: float

    def as_dict(self) -> dict:
        return {
            "cutoff": self.cutoff.isoformat(),
            "horizon_months": self.horizon,
            "top_share": self.share,
            "n_establishments": self.n_establishments,
            "actual_hires": self.actual_hires,
            "capture_model": round(self.capture_model, 4),
            "capture_baseline": round(self.capture_baseline, 4),
            "poisson_deviance_model": round(self.poisson_deviance_model, 4),
            "poisson_deviance_baseline": round(self.poisson_deviance_baseline, 4),
        }


def _mean_poisson_deviance(y: np.ndarray, mu: np.ndarray) -> float:
    mu = np.clip(mu, 1e-6, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(y / mu), 0.0)
    return float(np.mean(2 * (term - (y - mu))))


def training_cutoffs(cutoff, *, horizon: int = 6, n: int = 3) -> list[datetime.date]:
    """The ``n`` cutoffs ``C − horizon``, ``C − 2·horizon``… whose target windows end by ``C``."""
    m = month_index(cutoff)
    return [month_start(m - k * horizon) for k in range(1, n + 1)]


def evaluate_hiring_model(
    hires: pd.DataFrame,
    establishments: pd.DataFrame,
    cutoff,
    *,
    kind: str = "glm",
    horizon: int = 6,
    n_cutoffs: int = 3,
    share: float = 0.10,
    random_state: int = 0,
) -> HiringEvaluation:
    """Train before ``cutoff``, predict at ``cutoff``, score on the hires of the next months.

    Only hires before the cutoff are given to the model; the hires of ``[cutoff,
    cutoff + horizon)`` are the truth.

    Returns
    -------
    HiringEvaluation
    """
    m = month_index(cutoff)
    hires = _hire_months(hires)
    before = hires[hires["month"] < m]
    model = HiringModel(kind=kind, horizon=horizon, random_state=random_state).fit(
        before, establishments, training_cutoffs(cutoff, horizon=horizon, n=n_cutoffs)
    )
    predicted = model.predict(before, establishments, cutoff)
    truth = build_features(hires, establishments, cutoff, horizon=horizon, with_target=True)[
        "target"
    ].to_numpy()
    return HiringEvaluation(
        cutoff=month_start(m),
        horizon=horizon,
        share=share,
        n_establishments=len(truth),
        actual_hires=int(truth.sum()),
        capture_model=capture_at(truth, predicted["expected"].to_numpy(), share),
        capture_baseline=capture_at(truth, predicted["baseline"].to_numpy(), share),
        poisson_deviance_model=_mean_poisson_deviance(truth, predicted["expected"].to_numpy()),
        poisson_deviance_baseline=_mean_poisson_deviance(truth, predicted["baseline"].to_numpy()),
    )


def occupation_split(
    predictions: pd.DataFrame, hires: pd.DataFrame, as_of, *, months: int = 24
) -> pd.DataFrame:
    """Split each establishment's expected hires across the occupations it hired in.

    An establishment's expected hires in an occupation are its total expected hires times the
    share of that occupation among its hires of the last ``months`` months with a known
    occupation.

    Returns
    -------
    DataFrame
        ``establishment, rome_code, expected, past_12, past_24`` (past hires in that occupation
        over 12 and ``months`` months), one row per establishment × occupation seen.
    """
    m = month_index(as_of)
    hm = _hire_months(hires)
    if "rome_code" not in hm.columns:
        return pd.DataFrame(columns=["establishment", "rome_code", "expected", "past_12", "past_24"])
    recent = hm[(hm["month"] >= m - months) & (hm["month"] < m) & (hm["rome_code"] != "")]
    by_code = recent.groupby(["establishment", "rome_code"]).agg(
        past_24=("month", "size"), past_12=("month", lambda s: int((s >= m - 12).sum()))
    )
    by_code = by_code.reset_index()
    totals = by_code.groupby("establishment")["past_24"].transform("sum")
    expected = predictions.set_index("establishment")["expected"]
    by_code["expected"] = (
        by_code["establishment"].map(expected).fillna(0).to_numpy() * by_code["past_24"] / totals
    )
    return by_code[["establishment", "rome_code", "expected", "past_12", "past_24"]]


# Sectors of the synthetic data: (NAF code, seasonal amplitude, peak month 0–11, occupations).
SYNTHETIC_SECTORS = [
    ("5610A", 0.9, 6, ["G1602", "G1803"]),  # restaurants: summer
    ("0111Z", 1.0, 8, ["A1401"]),  # crops: harvest
    ("4711D", 0.6, 11, ["D1106", "D1507"]),  # retail: December
    ("8710A", 0.0, 0, ["J1501", "K1302"]),  # care homes: flat
    ("4321A", 0.4, 3, ["F1602", "F1703"]),  # construction: spring
    ("4941A", 0.2, 9, ["N4101"]),  # road haulage
    ("7820Z", 0.3, 5, ["N1103", "K2204", "M1607"]),  # temporary work agencies
]


def make_hiring_data(
    n_establishments: int = 3000, *, start="2020-01-01", months: int = 48, random_state: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Synthetic hiring declarations with a known structure, for tests, benchmarks and the demo.

    Each establishment has a base monthly rate (log-normal, heavy-tailed like firm sizes), a
    sector with a seasonal profile (amplitude, peak month), and a growth trend; monthly hires are
    Poisson with rate ``base × (1 + amplitude × cos(2π (month − peak) / 12)) × exp(growth × t)``.

    Returns
    -------
    (hires, establishments)
        ``hires``: ``establishment, hired_on, rome_code``; ``establishments``:
        ``establishment, naf, base_rate, growth``.
    """
    rng = np.random.default_rng(random_state)
    sector = rng.integers(0, len(SYNTHETIC_SECTORS), n_establishments)
    base = np.exp(rng.normal(-1.6, 1.1, n_establishments))
    growth = rng.normal(0, 0.25, n_establishments) / 12
    m0 = month_index(start)
    amp = np.array([s[1] for s in SYNTHETIC_SECTORS])[sector]
    peak = np.array([s[2] for s in SYNTHETIC_SECTORS])[sector]
    rows_est, rows_month = [], []
    for t in range(months):
        calendar = (m0 + t) % 12
        rate = base * (1 + amp * np.cos(2 * np.pi * (calendar - peak) / 12)) * np.exp(growth * t)
        counts = rng.poisson(np.clip(rate, 0, None))
        idx = np.repeat(np.arange(n_establishments), counts)
        rows_est.append(idx)
        rows_month.append(np.full(idx.size, m0 + t))
    est = np.concatenate(rows_est)
    month = np.concatenate(rows_month)
    day = rng.integers(1, 29, est.size)
    hired_on = pd.to_datetime({"year": month // 12, "month": month % 12 + 1, "day": day})
    # Each establishment hires in one to three occupations of its sector.
    pools = [np.array(s[3], dtype=object) for s in SYNTHETIC_SECTORS]
    pick = rng.integers(0, 3, est.size)
    codes = np.array(
        [pools[s][p % len(pools[s])] for s, p in zip(sector[est], pick, strict=True)], dtype=object
    )
    hires = pd.DataFrame({"establishment": est, "hired_on": hired_on.dt.date, "rome_code": codes})
    establishments = pd.DataFrame(
        {
            "establishment": np.arange(n_establishments),
            "naf": [SYNTHETIC_SECTORS[s][0] for s in sector],
            "base_rate": base,
            "growth": growth,
        }
    )
    return hires, establishments
