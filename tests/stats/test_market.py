"""Tests of the market core: salary parsing, quartiles, tension levels, the capture metric by
hand, and the hiring model against the naive baseline on synthetic data with a known structure."""

import datetime

import numpy as np
import pandas as pd
import pytest

from parcours.stats.errors import BadInputError
from parcours.stats.market import capture_at, compute_tension, parse_salary, summarise_salaries
from parcours.stats.market.hiring import (
    build_features,
    evaluate_hiring_model,
    make_hiring_data,
    occupation_split,
)
from parcours.stats.market.tension import quintile_levels


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mensuel de 1800.00 Euros à 2100.00 Euros sur 12 mois", (1800.0, 2100.0, "monthly")),
        ("Mensuel de 1800.00 Euros sur 12 mois", (1800.0, 1800.0, "monthly")),
        ("Mensuel de 2400 Euros sur 13 mois", (2600.0, 2600.0, "monthly")),
        ("Horaire de 11.65 Euros", (1766.96, 1766.96, "hourly")),
        ("Horaire de 11,88 Euros à 13,00 Euros sur 12 mois", (1801.84, 1971.71, "hourly")),
        ("Annuel de 24000.00 Euros à 30000.00 Euros sur 12 mois", (2000.0, 2500.0, "annual")),
        ("Mensuel de 1 850,50 Euros", (1850.5, 1850.5, "monthly")),
    ],
)
def test_salary_texts_are_converted_to_monthly_euros(text, expected):
    parsed = parse_salary(text)
    assert (parsed.min_monthly, parsed.max_monthly, parsed.period) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["", None, "Selon profil", "A négocier", "Cachet de 150 Euros"])
def test_salary_texts_without_an_amount_give_none(text):
    assert parse_salary(text) is None


def test_salary_quartiles_match_numpy_and_share_counts_ties_half():
    summary = summarise_salaries([1800, 1900, 2000, 2000, 2100, 2200, np.nan], expected=2000, min_n=5)
    assert (summary.n, summary.q1, summary.median, summary.q3) == (6, 1925.0, 2000.0, 2075.0)
    assert summary.share_below == pytest.approx((2 + 1) / 6)
    assert not summary.small_sample and summary.position == "within"
    assert summarise_salaries([2000], expected=2500).small_sample
    assert summarise_salaries([], expected=2500).n == 0


def test_quintile_levels_split_twenty_values_in_fives():
    levels = quintile_levels(pd.Series(np.arange(20.0)))
    assert list(levels) == [1] * 4 + [2] * 4 + [3] * 4 + [4] * 4 + [5] * 4


def test_tension_on_a_hand_built_fixture():
    start, end = datetime.date(2024, 1, 1), datetime.date(2025, 1, 1)
    offers = pd.DataFrame(
        {"rome_code": ["A"] * 10 + ["B"] * 2 + ["C"] * 5 + ["A"], "territory": [1] * 17 + [1],
         "posted_on": ["2024-05-01"] * 17 + ["2023-12-31"]}
    )  # fmt: skip
    seekers = pd.DataFrame(
        {"person": list(range(5)) + list(range(5, 15)) + [20, 21, 21], "rome_code": ["A"] * 5 + ["B"] * 10 + ["C"] * 3,
         "territory": [1] * 18}
    )  # fmt: skip
    hires = pd.DataFrame(
        {"rome_code": ["A", "A", "B", None], "territory": [1] * 4, "hired_on": ["2024-02-01"] * 4}
    )
    table = compute_tension(offers, seekers, hires, start=start, end=end, min_seekers=5).set_index(
        "rome_code"
    )
    # A: 10 offers / 5 seekers = 2.0, 2 hires / 5 = 0.4 ; B: 2 / 10 = 0.2, 1 / 10 = 0.1 ; C: 2 seekers (too few).
    assert table.loc["A", ["offers", "seekers", "hires"]].tolist() == [10, 5, 2]
    assert (table.loc["A", "ratio"], table.loc["B", "ratio"]) == (2.0, 0.2)
    assert (table.loc["A", "level"], table.loc["B", "level"]) == (5, 3)  # ranks 1.0 and 0.5 of two cells
    assert pd.isna(table.loc["C", "level"]) and table.loc["C", "seekers"] == 2
    with pytest.raises(BadInputError):
        compute_tension(offers.drop(columns="posted_on"), seekers, hires, start=start, end=end)


def test_capture_at_ten_percent_computed_by_hand():
    actual = [5, 0, 1, 4, 0, 0, 0, 0, 0, 10]
    score = [9, 8, 1, 2, 0, 0, 0, 0, 0, 3]
    # Top 10 % of ten units is one unit: the first (score 9) made 5 of the 20 hires.
    assert capture_at(actual, score, share=0.10) == 0.25
    # Top 30 %: units 0, 1 and 9 (scores 9, 8, 3) made 5 + 0 + 10 = 15 of 20.
    assert capture_at(actual, score, share=0.30) == 0.75
    # Ties are broken by input order: units 4 and 5 both score 0, unit 4 comes first.
    assert capture_at([0, 0, 0, 0, 1, 2], [5, 5, 5, 5, 0, 0], share=0.75) == pytest.approx(1 / 3)
    assert np.isnan(capture_at([0, 0], [1, 2]))


def test_features_only_read_hires_before_the_cutoff():
    hires = pd.DataFrame(
        {"establishment": [1, 1, 1, 1, 2], "hired_on": ["2024-12-15", "2024-08-01", "2023-03-01", "2025-01-02", "2023-01-10"],
         "rome_code": ["A", "A", "B", "A", "C"]}
    )  # fmt: skip
    est = pd.DataFrame({"establishment": [1, 2, 3], "naf": ["8710A", "5610A", ""]})
    f = build_features(hires, est, "2025-01-01", with_target=True).set_index("establishment")
    assert f.loc[1, ["h3", "h6", "h12", "h24", "target"]].tolist() == [1, 2, 2, 3, 1]
    # Season: the same six calendar months (Jan–Jun) one and two years earlier.
    assert (f.loc[1, "season"], f.loc[2, "season"]) == (1, 1)
    assert f.loc[3, ["h24", "active_months"]].tolist() == [0, 0]
    split = occupation_split(f.reset_index().assign(expected=[3.0, 1.0, 0.0]), hires, "2025-01-01")
    assert split.set_index(["establishment", "rome_code"])["expected"].to_dict() == {
        (1, "A"): 2.0,
        (1, "B"): 1.0,
        (2, "C"): 1.0,
    }


@pytest.mark.parametrize("kind", ["glm", "lightgbm"])
def test_hiring_model_captures_more_hires_than_the_naive_baseline(kind):
    # Seasonal sectors, growing and declining firms, heavy-tailed sizes (see make_hiring_data):
    # the last six months alone miss the season and are noisy for small firms.
    hires, establishments = make_hiring_data(1500, start="2020-01-01", months=48, random_state=7)
    evaluation = evaluate_hiring_model(hires, establishments, "2023-07-01", kind=kind, random_state=0)
    assert evaluation.capture_model > evaluation.capture_baseline + 0.01
    assert evaluation.poisson_deviance_model < evaluation.poisson_deviance_baseline
    assert evaluation.n_establishments == 1500 and evaluation.actual_hires > 0


def test_hiring_model_refuses_bad_input():
    est = pd.DataFrame({"establishment": [1, 1], "naf": ["a", "b"]})
    with pytest.raises(BadInputError):
        build_features(pd.DataFrame({"establishment": [], "hired_on": []}), est, "2024-01-01")
    with pytest.raises(BadInputError):
        build_features(
            pd.DataFrame({"establishment": [1], "hired_on": ["not a date"]}), est.iloc[:1], "2024-01-01"
        )
