"""Salaries of job offers: parsing France Travail's text into monthly euros, and the distribution
of offers' salaries against a person's expectation.

France Travail's "Offres d'emploi v2" API gives the salary as free text in ``salaire.libelle``:
``"Mensuel de 1800.00 Euros à 2100.00 Euros sur 12 mois"``, ``"Horaire de 11.65 Euros"``,
``"Annuel de 24000.00 Euros sur 12 mois"``... Conversions to a gross monthly amount:

- hourly × 151.67 (the legal full-time month: 35 h × 52 / 12);
- annual / 12;
- monthly × months / 12 when "sur N mois" says N ≠ 12 (a 13th month raises the monthly average).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

HOURS_PER_MONTH = 151.67

_AMOUNT = r"(\d[\d\s\u202f\u00a0]*(?:[.,]\d+)?)"
_PATTERN = re.compile(
    rf"^\s*(?P<period>mensuel|horaire|annuel|hebdomadaire)\s+de\s+{_AMOUNT}\s*(?:euros?|€)"
    rf"(?:\s*(?:à|a|-)\s*{_AMOUNT}\s*(?:euros?|€))?"
    r"(?:\s+sur\s+(?P<months>\d+(?:[.,]\d+)?)\s+mois)?",
    re.IGNORECASE,
)
_WEEKS_PER_MONTH = 52 / 12


@dataclass(frozen=True)
class SalaryRange:
    """A salary converted to gross monthly euros.

    Attributes
    ----------
    min_monthly, max_monthly : float
        Bounds in gross euros per month (equal when the text gives one amount).
    period : str
        ``"monthly"``, ``"hourly"``, ``"annual"`` or ``"weekly"``: the unit of the text.
    """

    min_monthly: float
    max_monthly: float
    period: str

    @property
    def mid_monthly(self) -> float:
        return (self.min_monthly + self.max_monthly) / 2


def _number(text: str) -> float:
    return float(re.sub(r"[\s\u202f\u00a0]", "", text).replace(",", "."))


def parse_salary(text: str | None) -> SalaryRange | None:
    """Parse a France Travail salary text into gross monthly euros.

    Parameters
    ----------
    text : str or None
        The ``salaire.libelle`` of an offer.

    Returns
    -------
    SalaryRange or None
        None when the text gives no amount ("Selon profil", "A négocier", empty): that is not an
        error, most offers do not state a salary.

    Examples
    --------
    >>> parse_salary("Horaire de 11.65 Euros").min_monthly
    1766.96
    """
    if not text:
        return None
    match = _PATTERN.search(text.strip())
    if not match:
        return None
    period = match.group("period").lower()
    low = _number(match.group(2))
    high = _number(match.group(3)) if match.group(3) else low
    if high < low:
        low, high = high, low
    if period == "horaire":
        factor, unit = HOURS_PER_MONTH, "hourly"
    elif period == "annuel":
        factor, unit = 1 / 12, "annual"
    elif period == "hebdomadaire":
        factor, unit = _WEEKS_PER_MONTH, "weekly"
    else:
        months = _number(match.group("months")) if match.group("months") else 12.0
        factor, unit = months / 12, "monthly"
    return SalaryRange(round(low * factor, 2), round(high * factor, 2), unit)


@dataclass(frozen=True)
class SalarySummary:
    """The distribution of offers' salaries, and where an expectation stands in it.

    Attributes
    ----------
    n : int
        Number of offers with a salary.
    q1, median, q3 : float or None
        Quartiles (linear interpolation, numpy's default), None when ``n == 0``.
    share_below : float or None
        Share of offers paying strictly less than the expectation (ties count half), None
        without an expectation or without offers.
    small_sample : bool
        True when ``n < min_n``: the figures are shown with a warning.
    """

    n: int
    q1: float | None
    median: float | None
    q3: float | None
    expected: float | None
    share_below: float | None
    small_sample: bool
    min_n: int

    @property
    def position(self) -> str | None:
        """``"above"`` (expectation above the third quartile), ``"below"`` (under the first),
        ``"within"``, or None."""
        if self.expected is None or self.n == 0:
            return None
        if self.expected > self.q3:
            return "above"
        if self.expected < self.q1:
            return "below"
        return "within"


def summarise_salaries(values, expected: float | None = None, *, min_n: int = 20) -> SalarySummary:
    """Quartiles of offers' monthly salaries and the share of offers below an expectation.

    Parameters
    ----------
    values : array-like of float
        One monthly salary per offer (the middle of its range); NaN are dropped.
    expected : float, optional
        The person's expected gross monthly salary.
    min_n : int, default 20
        Below this many offers the summary is flagged ``small_sample``: with fewer than about
        twenty values the quartiles move a lot when one offer is added.

    Returns
    -------
    SalarySummary
    """
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    n = int(arr.size)
    if n == 0:
        return SalarySummary(0, None, None, None, expected, None, True, min_n)
    q1, median, q3 = (float(v) for v in np.percentile(arr, [25, 50, 75]))
    share = None
    if expected is not None:
        share = float((np.sum(arr < expected) + 0.5 * np.sum(arr == expected)) / n)
    return SalarySummary(n, q1, median, q3, expected, share, n < min_n, min_n)
