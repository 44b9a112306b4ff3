"""Tension per occupation × territory, from the data the platform holds (definition v1).

Definition v1 (documented in ``docs/market.md``), for a period [start, end):

- ``offers``: distinct offers posted in the period (duplicates across sources counted once);
- ``seekers``: distinct people with an open support episode at the end of the period whose target
  occupations include the occupation;
- ``hires``: hires declared in the period for the occupation;
- ``ratio`` = offers / seekers and ``hires_per_seeker`` = hires / seekers;
- ``score`` = mean of the percentile ranks of ``ratio`` and ``hires_per_seeker`` among the cells
  of the same computation that have at least ``min_seekers`` seekers;
- ``level`` 1 (low tension) to 5 (very high) = the quintile of ``score`` among those cells, as
  the Dares/France Travail "tensions sur le marché du travail" indicator is put on a 1–5 scale by
  quintiles. Cells with fewer than ``min_seekers`` seekers get no ratio and no level: a ratio of
  two offers to one seeker says nothing.

The Dares indicator combines more components (tension ratio, hiring intensity, employment
conditions, mismatch...); v1 keeps the two the platform can measure itself.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from parcours.stats.errors import BadInputError

TENSION_DEFINITION_VERSION = 1
KEYS = ["rome_code", "territory"]


def _require(frame: pd.DataFrame, name: str, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise BadInputError(f"{name}: missing column(s) {', '.join(missing)}")


def _in_period(dates: pd.Series, start: datetime.date, end: datetime.date) -> pd.Series:
    values = pd.to_datetime(dates)
    return (values >= pd.Timestamp(start)) & (values < pd.Timestamp(end))


def quintile_levels(values: pd.Series) -> pd.Series:
    """Levels 1–5 by quintile of ``values`` (NaN stay NaN).

    The level of a value is ``ceil(5 × p)`` where ``p`` is its percentile rank (ties averaged),
    so that each level holds a fifth of the cells when there are no ties.
    """
    ranks = values.rank(pct=True, method="average")
    return np.ceil(ranks * 5).clip(1, 5)


def compute_tension(
    offers: pd.DataFrame,
    seekers: pd.DataFrame,
    hires: pd.DataFrame,
    *,
    start: datetime.date,
    end: datetime.date,
    min_seekers: int = 5,
) -> pd.DataFrame:
    """Compute the tension indicator per occupation × territory.

    Parameters
    ----------
    offers : DataFrame
        One row per distinct offer: ``rome_code``, ``territory``, ``posted_on``.
    seekers : DataFrame
        One row per (person, target occupation): ``person``, ``rome_code``, ``territory`` (the
        snapshot of open episodes at the end of the period).
    hires : DataFrame
        One row per hire: ``rome_code``, ``territory``, ``hired_on``. Rows without an
        occupation are ignored.
    start, end : date
        The period, end excluded.
    min_seekers : int, default 5
        Cells with fewer seekers get no ratio and no level.

    Returns
    -------
    DataFrame
        ``rome_code, territory, offers, seekers, hires, ratio, hires_per_seeker, score, level``,
        one row per cell with at least one offer, seeker or hire, sorted by the keys.
    """
    if end <= start:
        raise BadInputError("the period must end after it starts")
    _require(offers, "offers", [*KEYS, "posted_on"])
    _require(seekers, "seekers", ["person", *KEYS])
    _require(hires, "hires", [*KEYS, "hired_on"])
    posted = offers[_in_period(offers["posted_on"], start, end)]
    hired = hires[
        _in_period(hires["hired_on"], start, end) & hires["rome_code"].notna() & (hires["rome_code"] != "")
    ]
    counts = [
        posted.groupby(KEYS).size().rename("offers"),
        seekers.drop_duplicates(["person", *KEYS]).groupby(KEYS).size().rename("seekers"),
        hired.groupby(KEYS).size().rename("hires"),
    ]
    table = pd.concat(counts, axis=1).fillna(0).astype("int64").reset_index()
    if table.empty:
        return pd.DataFrame(
            columns=[*KEYS, "offers", "seekers", "hires", "ratio", "hires_per_seeker", "score", "level"]
        )
    enough = table["seekers"] >= min_seekers
    table["ratio"] = np.where(enough, table["offers"] / table["seekers"].where(enough, 1), np.nan)
    table["hires_per_seeker"] = np.where(enough, table["hires"] / table["seekers"].where(enough, 1), np.nan)
    score = (
        table.loc[enough, "ratio"].rank(pct=True, method="average")
        + table.loc[enough, "hires_per_seeker"].rank(pct=True, method="average")
    ) / 2
    table["score"] = score
    table["level"] = quintile_levels(table["score"]).astype("Int64")
    return table.sort_values(KEYS).reset_index(drop=True)
