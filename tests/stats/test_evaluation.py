"""Tests of the evaluation core: each estimator against published or independently computed values.

Tolerances are explicit. "Same numbers as statsmodels" means rtol 1e-9 (the benchmark checks
1e-8 on a million rows); published values are compared at the precision they were printed.
"""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.sandbox.regression.gmm import IV2SLS
from statsmodels.stats import sandwich_covariance as sw
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize, samplesize_proportions_2indep_onetail

from parcours.stats.errors import BadInputError
from parcours.stats.evaluation import (
    ITTEstimator,
    LATEEstimator,
    SequentialAssigner,
    achieved_power,
    cli,
    cluster_assignment,
    complete_assignment,
    cost_per_additional_employed,
    cost_per_participant,
    estimate_displacement,
    estimate_heterogeneity,
    estimate_itt,
    estimate_late,
    hashed_assign,
    minimum_detectable_effect,
    net_present_value,
    randomization_test,
    sample_size,
    sequential_assign,
    simple_assignment,
    stratified_assignment,
    two_level_assignment,
)

RTOL_SM = 1e-9
NSW_COVARIATES = ["age", "educ", "black", "hisp", "marr", "nodegree", "re74", "re75"]


@pytest.fixture(scope="module")
def nsw():
    """Dehejia-Wahba (1999) experimental NSW sample, shipped by the `causaldata` PyPI package."""
    causaldata = pytest.importorskip("causaldata")
    data = causaldata.nsw_mixtape.load_pandas().data
    # Stored as float32/int8; the published figures were computed in double precision.
    return data.astype(dict.fromkeys(["re74", "re75", "re78", *NSW_COVARIATES], float))


def _sm_ols(y, x, **fit_kwargs):
    return sm.OLS(np.asarray(y, float), np.asarray(x, float)).fit(use_t=True, **fit_kwargs)


# --------------------------------------------------------------------------- (a) NSW / LaLonde


def test_nsw_itt_reproduces_dehejia_wahba_published_estimate_and_standard_error(nsw):
    # Dehejia & Wahba (1999, JASA, Table 3, "NSW" row): 1,794 (633); 185 treated, 260 controls.
    res = estimate_itt(nsw, "re78", "treat", se="classical")
    assert (res.n, res.n_treated, res.n_control) == (445, 185, 260)
    assert abs(res.estimate - 1794) < 0.5
    assert abs(res.std_err - 633) < 0.5


def test_nsw_itt_hc2_matches_statsmodels(nsw):
    res = estimate_itt(nsw, "re78", "treat")
    ref = _sm_ols(nsw["re78"], sm.add_constant(nsw["treat"].astype(float)), cov_type="HC2")
    assert res.se_type == "hc2"
    np.testing.assert_allclose(res.estimate, ref.params[1], rtol=RTOL_SM)
    np.testing.assert_allclose(res.std_err, ref.bse[1], rtol=RTOL_SM)
    np.testing.assert_allclose(res.pvalue, ref.pvalues[1], rtol=1e-7)
    np.testing.assert_allclose(res.conf_int(0.1), ref.conf_int(0.1)[1], rtol=RTOL_SM)
    assert res.estimate == pytest.approx(1794.34, abs=0.01)
    assert res.std_err == pytest.approx(671.0, abs=0.05)  # HC2 is larger than the classical 633


def test_hc2_without_covariates_is_the_neyman_variance(nsw):
    y, d = nsw["re78"].to_numpy(), nsw["treat"].to_numpy()
    neyman = y[d == 1].var(ddof=1) / (d == 1).sum() + y[d == 0].var(ddof=1) / (d == 0).sum()
    res = estimate_itt(nsw, "re78", "treat", se="hc2")
    np.testing.assert_allclose(res.std_err**2, neyman, rtol=1e-12)
    np.testing.assert_allclose(res.estimate, y[d == 1].mean() - y[d == 0].mean(), rtol=1e-12)


def test_lin_adjustment_matches_statsmodels_interacted_regression(nsw):
    x = nsw[NSW_COVARIATES].to_numpy()
    xc = x - x.mean(axis=0)
    d = nsw["treat"].to_numpy(float)
    design = np.column_stack([np.ones(len(d)), d, xc, xc * d[:, None]])
    ref = _sm_ols(nsw["re78"], design, cov_type="HC2")
    res = estimate_itt(nsw, "re78", "treat", covariates=NSW_COVARIATES)
    np.testing.assert_allclose(res.estimate, ref.params[1], rtol=RTOL_SM)
    np.testing.assert_allclose(res.std_err, ref.bse[1], rtol=RTOL_SM)
    assert res.method == "ITT, OLS, Lin-adjusted"


def test_additive_adjustment_matches_statsmodels_ancova(nsw):
    ref = _sm_ols(nsw["re78"], sm.add_constant(nsw[["treat", *NSW_COVARIATES]].astype(float)), cov_type="HC2")
    res = estimate_itt(nsw, "re78", "treat", covariates=NSW_COVARIATES, adjustment="additive")
    np.testing.assert_allclose(res.estimate, ref.params[1], rtol=RTOL_SM)
    np.testing.assert_allclose(res.std_err, ref.bse[1], rtol=RTOL_SM)


def test_classical_and_hc1_match_statsmodels(nsw):
    x = sm.add_constant(nsw[["treat", "age", "educ"]].astype(float))
    for se, cov_type in (("classical", "nonrobust"), ("hc1", "HC1"), ("hc0", "HC0")):
        ref = _sm_ols(nsw["re78"], x, cov_type=cov_type)
        res = estimate_itt(nsw, "re78", "treat", covariates=["age", "educ"], adjustment="additive", se=se)
        np.testing.assert_allclose(res.std_err, ref.bse[1], rtol=RTOL_SM)


# --------------------------------------------------------------------------- (b) clusters


def _clustered_data(seed=3, n_clusters=60, size=40, effect=0.3):
    rng = np.random.default_rng(seed)
    cluster = np.repeat(np.arange(n_clusters), size)
    d = cluster_assignment(cluster, random_state=seed)
    x = rng.normal(size=len(cluster))
    y = effect * d + 0.5 * x + rng.normal(0, 0.7, n_clusters)[cluster] + rng.normal(size=len(cluster))
    return pd.DataFrame({"y": y, "d": d, "x": x, "territory": [f"T{c:03d}" for c in cluster]})


def test_cluster_robust_se_matches_statsmodels_cr1_with_t_on_g_minus_1():
    df = _clustered_data()
    codes = pd.factorize(df["territory"])[0]
    ref = _sm_ols(df["y"], sm.add_constant(df[["d", "x"]]), cov_type="cluster", cov_kwds={"groups": codes})
    res = estimate_itt(df, "y", "d", covariates=["x"], adjustment="additive", cluster="territory")
    assert res.se_type == "cluster" and res.n_clusters == 60 and res.df == 59
    np.testing.assert_allclose(res.estimate, ref.params[1], rtol=RTOL_SM)
    np.testing.assert_allclose(res.std_err, ref.bse[1], rtol=RTOL_SM)
    np.testing.assert_allclose(res.pvalue, ref.pvalues[1], rtol=1e-7)
    np.testing.assert_allclose(res.conf_int(), ref.conf_int()[1], rtol=RTOL_SM)


def test_cluster_se_by_hand_formula():
    # CR1 = G/(G-1) (n-1)/(n-k) (X'X)^-1 sum_g (X_g'u_g)(X_g'u_g)' (X'X)^-1, no covariates.
    df = _clustered_data(seed=5, n_clusters=12, size=7)
    y, d = df["y"].to_numpy(), df["d"].to_numpy(float)
    x = np.column_stack([np.ones(len(y)), d])
    beta = np.linalg.solve(x.T @ x, x.T @ y)
    u = y - x @ beta
    meat = sum(
        np.outer(x[g].T @ u[g], x[g].T @ u[g])
        for g in (df["territory"] == t for t in df["territory"].unique())
    )
    bread = np.linalg.inv(x.T @ x)
    n, k, g = len(y), 2, 12
    cov = g / (g - 1) * (n - 1) / (n - k) * bread @ meat @ bread
    res = estimate_itt(df, "y", "d", cluster="territory")
    np.testing.assert_allclose(res.std_err, math.sqrt(cov[1, 1]), rtol=1e-10)


def test_cluster_se_needs_a_cluster_column():
    with pytest.raises(BadInputError, match="cluster"):
        estimate_itt(_clustered_data(), "y", "d", se="cluster")


# --------------------------------------------------------------------------- (c) IV / LATE


def _noncompliance(seed=1, n=3000):
    rng = np.random.default_rng(seed)
    z = rng.integers(0, 2, n).astype(float)
    complier = rng.random(n) < 0.6
    t = z * complier  # one-sided non-compliance
    x = rng.normal(size=(n, 2))
    y = 1 + 2.0 * t + x @ np.array([0.5, -0.3]) + rng.normal(size=n) * (1 + t)
    return pd.DataFrame(
        {"y": y, "takeup": t, "assigned": z, "x1": x[:, 0], "x2": x[:, 1], "g": rng.integers(0, 50, n)}
    )


def test_late_equals_hand_wald_estimator_and_delta_method_se():
    df = _noncompliance()
    y, t, z = df["y"].to_numpy(), df["takeup"].to_numpy(), df["assigned"].to_numpy()
    itt_y = y[z == 1].mean() - y[z == 0].mean()
    itt_t = t[z == 1].mean() - t[z == 0].mean()
    wald = itt_y / itt_t
    res = estimate_late(df, "y", "takeup", "assigned", se="hc0")
    np.testing.assert_allclose(res.estimate, wald, rtol=1e-12)
    # Delta method for ITT_y / ITT_t with residuals u = y - LATE t: equals the HC0 2SLS sandwich,
    # and with ddof=1 group variances the HC2 one (leverages 1/n1, 1/n0 of the projected design).
    u = y - wald * t
    for se, ddof in (("hc0", 0), ("hc2", 1)):
        var = u[z == 1].var(ddof=ddof) / (z == 1).sum() + u[z == 0].var(ddof=ddof) / (z == 0).sum()
        got = estimate_late(df, "y", "takeup", "assigned", se=se).std_err
        np.testing.assert_allclose(got, math.sqrt(var) / itt_t, rtol=1e-10)
    assert res.extra["first_stage"] == pytest.approx(itt_t, rel=1e-12)
    assert res.extra["itt"] == pytest.approx(itt_y, rel=1e-12)
    assert (res.n_treated, res.n_control) == (int(z.sum()), int(len(z) - z.sum()))


def test_late_matches_statsmodels_2sls_classical_robust_and_clustered():
    df = _noncompliance(seed=2)
    n = len(df)
    xc = df[["x1", "x2"]].to_numpy() - df[["x1", "x2"]].to_numpy().mean(axis=0)
    regressors = np.column_stack([np.ones(n), df["takeup"], xc])
    instruments = np.column_stack([np.ones(n), df["assigned"], xc])
    ref = IV2SLS(df["y"].to_numpy(), regressors, instruments).fit()
    res = estimate_late(df, "y", "takeup", "assigned", covariates=["x1", "x2"], se="classical")
    np.testing.assert_allclose(res.estimate, ref.params[1], rtol=RTOL_SM)
    np.testing.assert_allclose(res.std_err, ref.bse[1], rtol=RTOL_SM)
    # Robust and clustered sandwiches from statsmodels' own functions on (x_hat u, (X_hat'X_hat)^-1).
    xhat = ref._results.exog_hat
    scores = xhat * (df["y"].to_numpy() - regressors @ ref.params)[:, None]
    hinv = np.linalg.inv(xhat.T @ xhat)
    hc0 = sw.cov_white_simple((scores, hinv), use_correction=False)
    cr1 = sw.cov_cluster((scores, hinv), df["g"].to_numpy())
    got_hc0 = estimate_late(df, "y", "takeup", "assigned", covariates=["x1", "x2"], se="hc0").std_err
    got_cr1 = estimate_late(df, "y", "takeup", "assigned", covariates=["x1", "x2"], cluster="g")
    np.testing.assert_allclose(got_hc0, math.sqrt(hc0[1, 1]), rtol=RTOL_SM)
    np.testing.assert_allclose(got_cr1.std_err, math.sqrt(cr1[1, 1]), rtol=RTOL_SM)
    assert got_cr1.df == 49


def test_late_recovers_the_complier_effect():
    res = estimate_late(_noncompliance(seed=4, n=20000), "y", "takeup", "assigned")
    low, high = res.conf_int(0.01)
    assert low < 2.0 < high
    assert res.extra["first_stage"] == pytest.approx(0.6, abs=0.02)


def test_late_rejects_an_instrument_that_does_not_move_takeup():
    df = _noncompliance()
    df["takeup"] = 1.0  # everyone treated whatever the assignment: no first stage
    with pytest.raises(BadInputError, match="collinear"):
        estimate_late(df, "y", "takeup", "assigned")


# --------------------------------------------------------------------------- (d) randomisation inference


def test_randomization_p_value_close_to_t_test_on_large_sample():
    rng = np.random.default_rng(7)
    n = 4000
    d = complete_assignment(n, random_state=8)
    y = 0.06 * d + rng.normal(size=n)
    ri = randomization_test(y, d, n_permutations=4000, random_state=9)
    welch = stats.ttest_ind(y[d == 1], y[d == 0], equal_var=False).pvalue
    assert not ri.exact
    # Monte Carlo s.e. of the p-value is at most 0.008 with 4000 draws.
    assert abs(ri.pvalue - welch) < 0.03
    assert ri.statistic == pytest.approx(y[d == 1].mean() - y[d == 0].mean(), rel=1e-12)


def test_randomization_p_value_is_exact_on_an_enumerable_example():
    y = np.array([3.0, 5.0, 9.0, 1.0, 2.0, 4.0])
    d = np.array([0, 1, 1, 0, 0, 1])
    observed = y[d == 1].mean() - y[d == 0].mean()
    null = [y[list(c)].mean() - np.delete(y, list(c)).mean() for c in itertools.combinations(range(6), 3)]
    expected = np.mean(np.abs(null) >= abs(observed) - 1e-12)
    ri = randomization_test(y, d)
    assert ri.exact and ri.n_permutations == 20
    assert ri.pvalue == pytest.approx(expected, abs=1e-15)
    assert ri.pvalue == pytest.approx(0.1, abs=1e-15)  # the observed assignment and its mirror image


def test_stratified_monte_carlo_matches_exact_enumeration_within_strata():
    rng = np.random.default_rng(11)
    strata = np.repeat([0, 1], 8)
    d = np.concatenate([stratified_assignment(np.zeros(8), random_state=s) for s in (1, 2)])
    y = 0.8 * d + 2.0 * strata + rng.normal(size=16)
    exact = randomization_test(y, d, strata=strata, exact=True)
    assert exact.n_permutations == math.comb(8, 4) ** 2
    mc = randomization_test(y, d, strata=strata, exact=False, n_permutations=20000, random_state=12)
    assert abs(mc.pvalue - exact.pvalue) < 0.015  # MC s.e. <= 0.0036


def test_cluster_randomization_test_permutes_whole_clusters():
    y = np.array([1.0, 2.0, 4.0, 5.0, 3.0, 3.5, 8.0, 9.0])
    cluster = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    d = np.array([0, 0, 1, 1, 0, 0, 1, 1])
    observed = y[d == 1].mean() - y[d == 0].mean()
    null = []
    for treated in itertools.combinations(range(4), 2):
        z = np.isin(cluster, treated)
        null.append(y[z].mean() - y[~z].mean())
    ri = randomization_test(y, d, clusters=cluster)
    assert ri.n_permutations == 6
    assert ri.pvalue == pytest.approx(np.mean(np.abs(null) >= abs(observed) - 1e-12), abs=1e-15)
    with pytest.raises(BadInputError, match="within a cluster"):
        randomization_test(y, [0, 1, 1, 1, 0, 0, 1, 1], clusters=cluster)


# --------------------------------------------------------------------------- heterogeneity


def test_heterogeneity_matches_subgroup_regressions_and_statsmodels_wald(nsw):
    het = estimate_heterogeneity(nsw, "re78", "treat", "black")
    for value in (0, 1):
        sub = nsw[nsw["black"] == value]
        separate = estimate_itt(sub, "re78", "treat")
        np.testing.assert_allclose(het.effects[value].estimate, separate.estimate, rtol=1e-10)
        np.testing.assert_allclose(het.effects[value].std_err, separate.std_err, rtol=1e-10)
    black = nsw["black"].to_numpy(float)
    d = nsw["treat"].to_numpy(float)
    design = np.column_stack([1 - black, black, d * (1 - black), d * black])
    ref = _sm_ols(nsw["re78"], design, cov_type="HC2")
    wald = ref.wald_test(np.array([[0, 0, -1, 1]]), use_f=True, scalar=True)
    np.testing.assert_allclose(het.test.statistic, wald.statistic, rtol=1e-9)
    np.testing.assert_allclose(het.test.pvalue, wald.pvalue, rtol=1e-7)


# --------------------------------------------------------------------------- (e) power


def test_binary_sample_size_matches_the_closed_formula():
    za, zb = stats.norm.ppf(0.975), stats.norm.ppf(0.8)
    p0, p1 = 0.275, 0.300
    expected = (za + zb) ** 2 * (p0 * (1 - p0) + p1 * (1 - p1)) / 0.025**2
    res = sample_size(0.025, baseline=0.275)
    assert res.n_per_arm_exact == pytest.approx(expected, rel=1e-12)
    assert res.n_per_arm == math.ceil(expected) == 5142
    assert res.n_treatment == res.n_control == res.n_per_arm


def test_arcsine_sample_size_matches_statsmodels_normal_ind_power():
    for ratio in (1.0, 2.0):
        h = proportion_effectsize(0.30, 0.275)
        ref = NormalIndPower().solve_power(effect_size=h, alpha=0.05, power=0.8, ratio=ratio)
        res = sample_size(0.025, baseline=0.275, method="arcsine", ratio=ratio)
        # statsmodels also counts the far tail of the two-sided test (~3e-6 relative here).
        assert res.n_per_arm_exact == pytest.approx(ref, rel=1e-5)


def test_pooled_sample_size_matches_statsmodels_samplesize_proportions():
    res = sample_size(0.025, baseline=0.275, method="pooled", ratio=2.0)
    # statsmodels' sample 1 is the treated arm and its ratio is n_control / n_treated.
    ref = samplesize_proportions_2indep_onetail(0.025, 0.275, 0.8, ratio=0.5, alpha=0.05)
    assert res.n_per_arm_exact * 2.0 == pytest.approx(ref, rel=1e-12)


def test_continuous_sample_size_against_cohen_power_primer_table():
    # Cohen (1992, Psychological Bulletin 112(1), Table 2): two-sample t test, two-sided 0.05,
    # power 0.80: 393 per group for d = 0.2, 64 for 0.5, 26 for 0.8. Cohen's values carry a
    # small-sample t correction that the normal formula lacks: at most one person apart.
    for d, cohen in ((0.2, 393), (0.5, 64), (0.8, 26)):
        n = sample_size(d, sd=1.0).n_per_arm
        assert 0 <= cohen - n <= 1
    assert sample_size(0.2, sd=1.0).n_per_arm == 393


def test_mde_inverts_sample_size_and_power_is_recovered():
    for method in ("normal", "pooled", "arcsine"):
        n = sample_size(0.025, baseline=0.275, method=method).n_per_arm_exact
        mde = minimum_detectable_effect(n, baseline=0.275, method=method).mde
        assert mde == pytest.approx(0.025, rel=1e-8)
        assert achieved_power(0.025, n, baseline=0.275, method=method) == pytest.approx(0.8, abs=1e-5)
    sd_mde = minimum_detectable_effect(500, sd=2.0).mde
    assert sd_mde == pytest.approx(
        (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * 2.0 * math.sqrt(2 / 500), rel=1e-12
    )
    ref_power = NormalIndPower().power(proportion_effectsize(0.3, 0.275), nobs1=5000, alpha=0.05, ratio=1)
    assert achieved_power(0.025, 5000, baseline=0.275, method="arcsine") == pytest.approx(
        ref_power, rel=1e-10
    )


def test_clustered_design_multiplies_by_the_design_effect():
    plain = sample_size(0.025, baseline=0.275)
    clustered = sample_size(0.025, baseline=0.275, icc=0.05, cluster_size=20)
    assert clustered.design_effect == pytest.approx(1 + 19 * 0.05)
    assert clustered.clusters_per_arm == math.ceil(plain.n_per_arm_exact * 1.95 / 20)
    assert clustered.n_per_arm == clustered.clusters_per_arm * 20
    mde = minimum_detectable_effect(clusters_per_arm=100, cluster_size=20, icc=0.05, sd=1.0)
    expected = (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * math.sqrt(2 * 1.95 / 2000)
    assert mde.mde == pytest.approx(expected, rel=1e-12)


def test_power_rejects_bad_input():
    with pytest.raises(BadInputError, match="proportion"):
        sample_size(0.9, baseline=0.275)
    with pytest.raises(BadInputError, match="both"):
        sample_size(0.025, baseline=0.275, icc=0.05)
    with pytest.raises(BadInputError, match="either"):
        sample_size(0.025)


# --------------------------------------------------------------------------- cost-benefit


def test_cost_per_additional_employed_with_delta_and_transformed_ci():
    per_person = cost_per_participant(
        {"treatment": 1_500_000.0, "control": 200_000.0}, {"treatment": 1000, "control": 1000}
    )
    assert per_person == {"treatment": 1500.0, "control": 200.0}
    incremental = per_person["treatment"] - per_person["control"]
    res = cost_per_additional_employed(incremental, 0.05, 0.02, df=None)
    assert res.estimate == pytest.approx(1300 / 0.05)
    assert res.std_err == pytest.approx(1300 * 0.02 / 0.05**2)
    q = stats.norm.ppf(0.975)
    assert res.ci_low == pytest.approx(26000 - q * 10400)
    tr = cost_per_additional_employed(incremental, 0.05, 0.02, ci_method="transform")
    assert (tr.ci_low, tr.ci_high) == pytest.approx((1300 / (0.05 + q * 0.02), 1300 / (0.05 - q * 0.02)))
    imprecise = cost_per_additional_employed(incremental, 0.01, 0.02, ci_method="transform")
    assert math.isinf(imprecise.ci_low) and math.isinf(imprecise.ci_high)


def test_net_present_value_by_hand_and_annuity_formula():
    res = net_present_value(
        0.04,
        value_per_person_month=1800.0,
        incremental_cost=1300.0,
        annual_discount_rate=0.03,
        horizon_months=24,
        participants=1000,
        effect_ci=(0.01, 0.07),
    )
    by_hand = sum(0.04 * 1800.0 / 1.03 ** (m / 12) for m in range(1, 25)) - 1300.0
    delta = 1.03 ** (-1 / 12)
    annuity = 0.04 * 1800.0 * delta * (1 - delta**24) / (1 - delta) - 1300.0
    assert res.npv == pytest.approx(by_hand, rel=1e-12)
    assert res.npv == pytest.approx(annuity, rel=1e-12)
    assert res.npv_total == pytest.approx(1000 * by_hand)
    assert res.additional_months == pytest.approx(0.96)
    assert res.npv_low < res.npv < res.npv_high
    # At the break-even value the NPV is zero.
    zero = net_present_value(
        0.04,
        value_per_person_month=res.break_even_value,
        incremental_cost=1300.0,
        annual_discount_rate=0.03,
        horizon_months=24,
    )
    assert zero.npv == pytest.approx(0.0, abs=1e-9)


# --------------------------------------------------------------------------- (f) two-level design


def test_two_level_assignment_respects_shares_and_is_reproducible():
    clusters = np.repeat([f"zone{i}" for i in range(50)], np.arange(50) % 7 + 20)
    a = two_level_assignment(clusters, random_state=42)
    b = two_level_assignment(clusters, random_state=42)
    c = two_level_assignment(clusters, random_state=43)
    pd.testing.assert_frame_equal(a, b)
    assert not a["treatment"].equals(c["treatment"])
    per_cluster = a.groupby("cluster").agg(
        share=("share", "first"), n=("share", "size"), treated=("treatment", "sum")
    )
    assert (a.groupby("cluster")["share"].nunique() == 1).all()
    # 50 clusters over 5 shares: complete randomisation gives exactly 10 clusters per share.
    assert per_cluster["share"].value_counts().sort_index().tolist() == [10] * 5
    expected = per_cluster["n"] * per_cluster["share"]
    assert ((per_cluster["treated"] - expected).abs() < 1).all()
    assert (per_cluster.loc[per_cluster["share"] == 0, "treated"] == 0).all()
    full = per_cluster[per_cluster["share"] == 1]
    assert (full["treated"] == full["n"]).all()


def test_displacement_estimator_recovers_a_negative_spillover_on_controls():
    rng = np.random.default_rng(2013)
    n_clusters, size = 250, 80
    clusters = np.repeat(np.arange(n_clusters), size)
    design = two_level_assignment(clusters, random_state=7)
    t, share = design["treatment"].to_numpy(), design["share"].to_numpy()
    direct, spill = 0.10, -0.06  # spillover on untreated people, proportional to the treated share
    u = (1 - t) * (share > 0)
    y = (
        0.3
        + direct * t
        + spill * share * u / 0.5
        + rng.normal(0, 0.1, n_clusters)[clusters]
        + rng.normal(0, 0.4, len(t))
    )
    df = pd.DataFrame({"y": y, "t": t, "zone": clusters, "share": share})
    res = estimate_displacement(df, "y", "t", "zone", "share")
    # Pooled spillover truth: mean of spill * share / 0.5 over untreated people in treated clusters.
    pooled_truth = spill * np.mean(share[u == 1]) / 0.5
    assert res.on_untreated.ci_low < pooled_truth < res.on_untreated.ci_high
    assert res.on_untreated.ci_high < 0  # displacement detected
    assert res.on_treated.ci_low < direct < res.on_treated.ci_high
    by = res.by_share.set_index(["share", "group"])
    for s in (0.25, 0.5, 0.75):
        row = by.loc[(s, "untreated")]
        assert row["ci_low"] < spill * s / 0.5 < row["ci_high"]
    assert res.no_displacement_test.pvalue < 0.01
    # Same numbers as statsmodels' cluster-robust OLS of y on T and U.
    ref = _sm_ols(
        y, np.column_stack([np.ones(len(y)), t, u]), cov_type="cluster", cov_kwds={"groups": clusters}
    )
    np.testing.assert_allclose(
        [res.on_treated.estimate, res.on_untreated.estimate], ref.params[1:], rtol=RTOL_SM
    )
    np.testing.assert_allclose([res.on_treated.std_err, res.on_untreated.std_err], ref.bse[1:], rtol=RTOL_SM)


def test_displacement_needs_pure_control_clusters():
    df = pd.DataFrame(
        {"y": [1.0, 2, 3, 4], "t": [0, 1, 0, 1], "zone": [1, 1, 2, 2], "share": [0.5, 0.5, 0.5, 0.5]}
    )
    with pytest.raises(BadInputError, match="pure-control"):
        estimate_displacement(df, "y", "t", "zone", "share")


# --------------------------------------------------------------------------- (g) assignment balance


def test_stratified_assignment_is_balanced_within_every_stratum():
    rng = np.random.default_rng(0)
    strata = rng.choice(["A", "B", "C", "D"], size=1001)
    d = stratified_assignment(strata, random_state=1)
    for s in "ABCD":
        n1 = int(d[strata == s].sum())
        assert abs(2 * n1 - (strata == s).sum()) <= 1
    three = stratified_assignment(
        strata, [0.5, 0.25, 0.25], arms=["control", "coaching", "workshop"], random_state=2
    )
    for s in "ABCD":
        counts = pd.Series(three[strata == s]).value_counts()
        size = (strata == s).sum()
        for arm, p in (("control", 0.5), ("coaching", 0.25), ("workshop", 0.25)):
            assert math.floor(size * p) <= counts.get(arm, 0) <= math.ceil(size * p)


def test_stratified_assignment_gives_each_unit_its_nominal_probability():
    # Strata of size 3 with p = 1/2: the leftover unit must not favour either arm.
    hits = np.zeros(3)
    reps = 3000
    for seed in range(reps):
        hits += stratified_assignment(np.zeros(3), random_state=seed)
    assert np.all(np.abs(hits / reps - 0.5) < 0.03)  # binomial s.e. 0.009


def test_simple_and_cluster_assignment_are_reproducible():
    assert np.array_equal(
        simple_assignment(100, [0.3, 0.7], random_state=5), simple_assignment(100, [0.3, 0.7], random_state=5)
    )
    clusters = np.repeat(np.arange(20), 5)
    d = cluster_assignment(clusters, random_state=3, strata=clusters % 2)
    assert (pd.Series(d).groupby(clusters).nunique() == 1).all()
    assert d.reshape(20, 5)[:, 0][0::2].sum() == 5 and d.reshape(20, 5)[:, 0][1::2].sum() == 5


def test_sequential_assignment_is_deterministic_and_balanced_per_block():
    arms = [
        sequential_assign(i, seed="s3cret", experiment_id=17, stratum="75011", allocation=(2, 2))
        for i in range(40)
    ]
    again = [
        sequential_assign(i, seed="s3cret", experiment_id=17, stratum="75011", allocation=(2, 2))
        for i in range(40)
    ]
    other = [
        sequential_assign(i, seed="s3cret", experiment_id=18, stratum="75011", allocation=(2, 2))
        for i in range(40)
    ]
    assert arms == again and arms != other
    for block in range(10):
        assert sum(arms[4 * block : 4 * block + 4]) == 2
    # Independent recomputation of block 3: slots sorted by SHA-256 of the documented key.
    import hashlib

    def key(slot):
        raw = "\x1f".join(map(str, ("slot", "s3cret", 17, "75011", "3.0", slot))).encode()
        return int.from_bytes(hashlib.sha256(raw).digest()[:8], "big")

    order = sorted(range(4), key=key)
    assert arms[12:16] == [[0, 0, 1, 1][o] for o in order]


def test_sequential_assigner_is_idempotent_and_keeps_strata_balanced():
    assigner = SequentialAssigner(seed=1, experiment_id="exp-1", allocation=(1, 1), blocks_per_size=(1, 2))
    people = [(f"p{i}", "youth" if i % 3 else "adult") for i in range(300)]
    first = {pid: assigner.assign(pid, stratum) for pid, stratum in people}
    assert all(assigner.assign(pid, stratum) == first[pid] for pid, stratum in people)
    for stratum in ("youth", "adult"):
        arms = [first[pid] for pid, s in people if s == stratum]
        running = np.cumsum(np.where(np.array(arms) == 1, 1, -1))
        assert np.abs(running).max() <= 2  # blocks of at most 4 (2 per arm)
    replay = SequentialAssigner(seed=1, experiment_id="exp-1", allocation=(1, 1), blocks_per_size=(1, 2))
    assert all(replay.assign(pid, stratum) == first[pid] for pid, stratum in people)


def test_hashed_assignment_has_the_requested_probabilities():
    arms = np.array(
        [hashed_assign(f"person-{i}", seed=9, experiment_id=1, probabilities=(0.7, 0.3)) for i in range(5000)]
    )
    assert abs(arms.mean() - 0.3) < 0.025  # s.e. 0.0065
    assert hashed_assign("person-1", seed=9, experiment_id=1) == hashed_assign(
        "person-1", seed=9, experiment_id=1
    )


# --------------------------------------------------------------------------- (h) CLI (pure functions)


@pytest.fixture
def csv_file(tmp_path):
    def write(text, name="data.csv"):
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return write


def _estimate_options(path, **extra):
    return {"data": path, "outcome": "y", "treatment": "d", "json": True, **extra}


def test_cli_estimate_document_has_the_contract_fields(nsw, tmp_path):
    path = tmp_path / "nsw.csv"
    nsw.to_csv(path, index=False)
    doc = cli.run_estimate({"data": str(path), "outcome": "re78", "treatment": "treat"})
    for key in (
        "estimate",
        "std_err",
        "ci_low",
        "ci_high",
        "n",
        "n_treated",
        "n_control",
        "method",
        "pvalue",
    ):
        assert key in doc
    assert doc["estimate"] == pytest.approx(1794.34, abs=0.01)
    assert (doc["n_treated"], doc["n_control"]) == (185, 260)
    out = cli.run("estimate", {"data": str(path), "outcome": "re78", "treatment": "treat", "json": True})
    assert out.count("\n") == 0 and '"std_err"' in out
    text = cli.run("estimate", {"data": str(path), "outcome": "re78", "treatment": "treat", "json": False})
    assert "ITT" in text and "95% CI" in text


@pytest.mark.parametrize(
    ("content", "options", "message"),
    [
        ("y,d\n1,0\n2,1\n", {"outcome": "foo"}, "unknown outcome column 'foo' (available: y, d)"),
        ("y,d\n1,0\nabc,1\n3,1\n", {}, "outcome column 'y' is not numeric (line 3: 'abc')"),
        ("y,d\n1,0\n2,2\n3,1\n", {}, "treatment column 'd' must be 0/1, found 2 at line 3"),
        ("y,d\n1,1\n2,1\n", {}, "has no control units"),
        ("y,d\n1,0\n2,0\n", {}, "has no treated units"),
        ("", {}, "empty file"),
        ("y,d\n", {}, "header only, no data row"),
        ("y,d\n1,0\n2,1\n3", {}, ":4: truncated last line: 1 field(s) where the header has 2"),
        ("y,d\n1;0\n2;1\n", {}, ":2: wrong delimiter (';' in the row)"),
        ("y,d\n1,0,7\n2,1\n", {}, ":2: wrong number of fields: 3 field(s) where the header has 2"),
        ("y,d\n1,0\n,1\n3,1\n", {}, "outcome column 'y' has 1 missing value(s) (first at line 3)"),
        ("y,d\n1,0\n2,1\n3,1\n", {"se": "cluster"}, "--se cluster requires --cluster"),
        ("y,d\n1,0\n2,1\n3,1\n", {"covariates": "a,,b"}, "--covariates has an empty item"),
        ("y,d\n1,0\n2,1\n3,1\n", {"instrument": "z"}, "unknown instrument column 'z'"),
    ],
)
def test_cli_estimate_bad_input_gives_one_line_message(csv_file, content, options, message):
    with pytest.raises(BadInputError) as info:
        cli.run_estimate(_estimate_options(csv_file(content), **options))
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_cli_missing_file_is_bad_input(tmp_path):
    with pytest.raises(BadInputError, match="no such file"):
        cli.run_estimate(_estimate_options(str(tmp_path / "nope.csv")))


def test_cli_cluster_alone_implies_cluster_se_and_instrument_gives_late(csv_file):
    df = _clustered_data(n_clusters=10, size=6)
    df["takeup"] = df["d"] * (df["x"] > -1)
    path = csv_file(df.to_csv(index=False))
    doc = cli.run_estimate({"data": path, "outcome": "y", "treatment": "d", "cluster": "territory"})
    assert doc["se_type"] == "cluster" and doc["n_clusters"] == 10
    late = cli.run_estimate({"data": path, "outcome": "y", "treatment": "takeup", "instrument": "d"})
    assert late["method"].startswith("LATE")
    assert (late["n_treated"], late["n_control"]) == (int(df["d"].sum()), int((1 - df["d"]).sum()))


def test_cli_power_documents():
    doc = cli.run_power({"baseline": 0.275, "effect": 0.025})
    assert doc["n_per_arm"] == 5142 and doc["mode"] == "sample_size"
    clustered = cli.run_power({"baseline": 0.275, "effect": 0.025, "icc": 0.05, "cluster_size": 20})
    assert clustered["clusters_per_arm"] == math.ceil(doc["n_per_arm_exact"] * 1.95 / 20)
    mde = cli.run_power({"sd": 1.0, "n_per_arm": 393})
    assert mde["mode"] == "mde" and mde["mde"] == pytest.approx(0.2, abs=0.001)
    pw = cli.run_power({"baseline": 0.275, "effect": 0.025, "n_per_arm": 5142})
    assert pw["achieved_power"] == pytest.approx(0.8, abs=0.001)
    assert cli.to_json({"a": float("nan"), "b": np.float64(1.5)}) == '{"a": null, "b": 1.5}'


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"effect": 0.025}, "give --baseline P"),
        ({"baseline": 0.275}, "give --effect D"),
        ({"baseline": 0.275, "sd": 1.0, "effect": 0.1}, "not both"),
        ({"baseline": 0.275, "effect": 0.025, "icc": 0.05}, "--icc and --cluster-size"),
        ({"baseline": 1.5, "effect": 0.025}, "baseline proportion must be in (0, 1)"),
        ({"baseline": 0.275, "effect": 0.025, "alpha": 2.0}, "alpha must be in (0, 1)"),
    ],
)
def test_cli_power_bad_input(options, message):
    with pytest.raises(BadInputError) as info:
        cli.run_power(options)
    assert message in str(info.value)


def test_itt_estimator_follows_sklearn_conventions():
    est = ITTEstimator(se="classical", adjustment="additive")
    assert (
        est.fit([1.0, 2.0, 3.0, 5.0, 4.0], [0, 1, 0, 1, 1], covariates=[[1.0], [0.0], [2.0], [1.0], [3.0]])
        is est
    )
    assert est.result_.se_type == "classical" and len(est.coef_) == 3
    assert est.feature_names_ == ["const", "treatment", "x0"]
    df = _noncompliance()
    late = LATEEstimator(se="hc0")
    assert late.fit(df["y"], df["takeup"], df["assigned"]) is late
    assert late.result_.estimate == pytest.approx(
        estimate_late(df, "y", "takeup", "assigned").estimate, rel=1e-12
    )
    with pytest.raises(BadInputError, match="collinear"):
        ITTEstimator(adjustment="additive").fit(
            np.arange(8.0),
            [0, 1] * 4,
            covariates=np.column_stack([np.sin(np.arange(8.0)), 2 * np.sin(np.arange(8.0)) + 1]),
        )
