"""uplift_lab.stats against scipy / statsmodels called here on the same data, and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from uplift_lab import stats


def binary(count: int, n: int) -> stats.SampleStats:
    return stats.SampleStats.from_values(np.r_[np.ones(count), np.zeros(n - count)])


def test_sample_stats_mean_variance_and_add_match_numpy() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.gamma(2.0, 3.0, 50), rng.gamma(2.0, 3.0, 70)
    pooled = stats.SampleStats.from_values(a) + stats.SampleStats.from_values(b)
    both = np.r_[a, b]
    assert pooled.n == 120
    assert pooled.mean == pytest.approx(both.mean())
    assert pooled.variance == pytest.approx(both.var(ddof=1))


@pytest.mark.parametrize("ci, sm_method", [("wald", "wald"), ("newcombe", "newcomb")])
@pytest.mark.parametrize("counts", [(30, 1000, 45, 9000), (3, 200, 40, 1800), (0, 50, 9, 450)])
def test_proportion_ci_matches_statsmodels(ci, sm_method, counts) -> None:
    count_c, n_c, count_t, n_t = counts
    result = stats.proportion_difference(binary(count_c, n_c), binary(count_t, n_t), ci=ci)
    low, high = confint_proportions_2indep(count_t, n_t, count_c, n_c, method=sm_method)
    assert result.difference == pytest.approx(count_t / n_t - count_c / n_c)
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), rel=1e-9, abs=1e-12)


def test_proportion_p_value_matches_pooled_ztest() -> None:
    result = stats.proportion_difference(binary(30, 1000), binary(45, 900))
    _, p_value = proportions_ztest([45, 30], [900, 1000])
    assert result.p_value == pytest.approx(p_value, rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    n_c=st.integers(2, 500),
    n_t=st.integers(2, 500),
    data=st.data(),
)
def test_newcombe_interval_mirrors_when_success_and_failure_swap(n_c, n_t, data) -> None:
    count_c = data.draw(st.integers(0, n_c))
    count_t = data.draw(st.integers(0, n_t))
    if count_c + count_t in (0, n_c + n_t):
        return  # pooled variance zero: degenerate, covered elsewhere
    direct = stats.proportion_difference(binary(count_c, n_c), binary(count_t, n_t), ci="newcombe")
    mirrored = stats.proportion_difference(
        binary(n_c - count_c, n_c), binary(n_t - count_t, n_t), ci="newcombe"
    )
    assert direct.ci_low == pytest.approx(-mirrored.ci_high, abs=1e-12)
    assert direct.ci_high == pytest.approx(-mirrored.ci_low, abs=1e-12)
    assert direct.ci_low <= direct.difference <= direct.ci_high


def test_welch_matches_scipy_ttest_and_its_ci() -> None:
    rng = np.random.default_rng(7)
    control = rng.lognormal(1.0, 1.0, 300)
    treatment = rng.lognormal(1.1, 1.3, 2000)
    result = stats.mean_difference(
        stats.SampleStats.from_values(control), stats.SampleStats.from_values(treatment)
    )
    reference = sps.ttest_ind(treatment, control, equal_var=False)
    ci = reference.confidence_interval(0.95)
    assert result.difference == pytest.approx(treatment.mean() - control.mean())
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-9)
    assert (result.ci_low, result.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-9)


def test_relative_lift_log_scale_delta_method_closed_form() -> None:
    rng = np.random.default_rng(3)
    control, treatment = rng.normal(10, 4, 400), rng.normal(11, 5, 600)
    result = stats.mean_difference(
        stats.SampleStats.from_values(control), stats.SampleStats.from_values(treatment)
    )
    m_c, m_t = control.mean(), treatment.mean()
    se_mean_c = control.std(ddof=1) / math.sqrt(400)
    se_mean_t = treatment.std(ddof=1) / math.sqrt(600)
    # Var(log m_t - log m_c): gradient (1/m_t, -1/m_c) applied to the diagonal covariance.
    se_log = math.sqrt((se_mean_t / m_t) ** 2 + (se_mean_c / m_c) ** 2)
    assert result.relative_lift == pytest.approx(m_t / m_c - 1)
    z = sps.norm.ppf(0.975)
    assert result.relative_ci_low == pytest.approx(math.exp(math.log(m_t / m_c) - z * se_log) - 1)
    assert result.relative_ci_high == pytest.approx(math.exp(math.log(m_t / m_c) + z * se_log) - 1)
    # Wider than the naive "absolute CI / control mean", which ignores the control's noise.
    naive_half = (result.ci_high - result.ci_low) / 2 / m_c
    assert (result.relative_ci_high - result.relative_ci_low) / 2 > naive_half


@pytest.mark.parametrize(
    ("control", "treated"),
    [((2, 1602), (40, 1840)), ((534, 3342), (5318, 30074)), ((0, 50), (3, 60))],
)
def test_conversion_relative_lift_is_statsmodels_log_ratio_interval(control, treated) -> None:
    """Katz's log interval of the risk ratio, minus 1 (statsmodels), and above -100% even with
    2 control conversions, where a linear interval around the ratio reached below it."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    c = stats.SampleStats.from_values([1.0] * control[0] + [0.0] * (control[1] - control[0]))
    t = stats.SampleStats.from_values([1.0] * treated[0] + [0.0] * (treated[1] - treated[0]))
    result = stats.proportion_difference(c, t, ci="newcombe")
    if control[0] == 0:
        assert result.relative_error == stats.ZERO_CONTROL_MEAN
        return
    low, high = confint_proportions_2indep(*treated, *control, compare="ratio", method="log")
    assert (result.relative_ci_low, result.relative_ci_high) == pytest.approx(
        (low - 1, high - 1), rel=1e-12
    )
    assert result.relative_ci_low > -1
    if result.ci_low > 0:  # an all-positive absolute CI: a relative one above 0 too
        assert result.relative_ci_low > 0


def test_relative_lift_ci_covers_truth_about_95_percent() -> None:
    rng = np.random.default_rng(11)
    true_lift = 0.5  # p_t = 0.06 vs p_c = 0.04
    covered = 0
    runs = 400
    for _ in range(runs):
        c = binary(int(rng.binomial(2000, 0.04)), 2000)
        t = binary(int(rng.binomial(4000, 0.06)), 4000)
        r = stats.proportion_difference(c, t)
        covered += r.relative_ci_low <= true_lift <= r.relative_ci_high
    assert 0.92 <= covered / runs <= 0.98


@pytest.mark.parametrize("method, sm_method", [("holm", "holm"), ("bh", "fdr_bh")])
def test_adjust_p_values_matches_multipletests_and_keeps_nan(method, sm_method) -> None:
    raw = [0.01, 0.04, math.nan, 0.03, 0.2]
    adjusted = stats.adjust_p_values(raw, method)
    expected = multipletests([0.01, 0.04, 0.03, 0.2], method=sm_method)[1]
    assert math.isnan(adjusted[2])
    assert [adjusted[i] for i in (0, 1, 3, 4)] == pytest.approx(list(expected))


def test_adjust_p_values_none_returns_raw() -> None:
    assert stats.adjust_p_values([0.01, 0.5], "none") == [0.01, 0.5]


def test_srm_uses_designed_fractions_like_scipy_chisquare() -> None:
    observed = {"control": 1080, "send": 8920}
    result = stats.sample_ratio_mismatch(observed, {"control": 0.1, "send": 0.9})
    reference = sps.chisquare([1080, 8920], [1000, 9000])
    assert result.statistic == pytest.approx(reference.statistic)
    assert result.p_value == pytest.approx(reference.pvalue)
    # The same counts are a huge mismatch against 50/50 but fine against 10/90.
    fine = stats.sample_ratio_mismatch(
        {"control": 1003, "send": 8997}, {"control": 0.1, "send": 0.9}
    )
    assert fine.p_value > 0.5


def test_srm_arm_not_in_design_is_total_mismatch() -> None:
    result = stats.sample_ratio_mismatch(
        {"control": 10, "send": 90, "oops": 1}, {"control": 0.1, "send": 0.9}
    )
    assert result.p_value == 0.0


def test_stratified_effect_closed_form_and_simpson() -> None:
    # Treatment better in both strata, but pooled comparison says worse (Simpson's paradox):
    # the treated arm is concentrated in the low-converting stratum.
    strata = [  # (count_c, n_c, count_t, n_t)
        (80, 100, 850, 1000),  # high stratum: 0.80 -> 0.85
        (100, 1000, 15, 100),  # low stratum: 0.10 -> 0.15
    ]
    results = [stats.proportion_difference(binary(a, b), binary(c, d)) for a, b, c, d in strata]
    sizes = [b + d for _, b, _, d in strata]
    overall = stats.stratified_effect(
        sizes, [r.difference for r in results], [r.standard_error for r in results]
    )
    w = np.array(sizes) / sum(sizes)
    assert overall.difference == pytest.approx(0.05)
    expected_se = math.sqrt(sum((w[i] * results[i].standard_error) ** 2 for i in range(2)))
    assert overall.standard_error == pytest.approx(expected_se)
    pooled = stats.proportion_difference(binary(180, 1100), binary(865, 1100))
    assert pooled.difference > 0  # sanity: here pooled is positive too
    flipped = [  # treated mostly in low stratum
        (800, 1000, 85, 100),
        (10, 100, 150, 1000),
    ]
    pooled_flipped = stats.proportion_difference(binary(810, 1100), binary(235, 1100))
    assert pooled_flipped.difference < 0
    res = [stats.proportion_difference(binary(a, b), binary(c, d)) for a, b, c, d in flipped]
    strat = stats.stratified_effect(
        [1100, 1100], [r.difference for r in res], [r.standard_error for r in res]
    )
    assert strat.difference == pytest.approx(0.05)


def test_cuped_matches_welch_on_explicitly_adjusted_values() -> None:
    rng = np.random.default_rng(5)
    x_c, x_t = rng.gamma(2, 10, 500), rng.gamma(2, 10, 1500)
    y_c = 0.8 * x_c + rng.normal(0, 5, 500)
    y_t = 0.8 * x_t + 2 + rng.normal(0, 5, 1500)
    result = stats.cuped_difference(
        stats.PairedSampleStats.from_values(x_c, y_c), stats.PairedSampleStats.from_values(x_t, y_t)
    )
    x, y = np.r_[x_c, x_t], np.r_[y_c, y_t]
    theta = np.cov(x, y, ddof=1)[0, 1] / np.var(x, ddof=1)
    adjust = lambda xs, ys: ys - theta * (xs - x.mean())  # noqa: E731
    reference = sps.ttest_ind(adjust(x_t, y_t), adjust(x_c, y_c), equal_var=False)
    ci = reference.confidence_interval(0.95)
    assert result.theta == pytest.approx(theta)
    assert result.effect.p_value == pytest.approx(reference.pvalue, rel=1e-6)
    assert (result.effect.ci_low, result.effect.ci_high) == pytest.approx((ci.low, ci.high))
    adjusted_all = np.r_[adjust(x_c, y_c), adjust(x_t, y_t)]
    assert result.variance_reduction == pytest.approx(1 - adjusted_all.var(ddof=1) / y.var(ddof=1))


def test_cuped_unbiased_and_lower_variance_over_seeds() -> None:
    true_effect = 1.5
    raw_estimates, cuped_estimates = [], []
    for seed in range(300):
        rng = np.random.default_rng(seed)
        x = rng.gamma(2, 5, 1200)
        arm = rng.random(1200) < 0.5
        y = 0.9 * x + rng.normal(0, 4, 1200) + true_effect * arm
        control = stats.PairedSampleStats.from_values(x[~arm], y[~arm])
        treatment = stats.PairedSampleStats.from_values(x[arm], y[arm])
        raw_estimates.append(stats.mean_difference(control.y, treatment.y).difference)
        cuped_estimates.append(stats.cuped_difference(control, treatment).effect.difference)
    cuped_estimates = np.array(cuped_estimates)
    # Unbiased: the mean over seeds is within 3 Monte Carlo standard errors of the truth.
    mc_se = cuped_estimates.std(ddof=1) / math.sqrt(len(cuped_estimates))
    assert abs(cuped_estimates.mean() - true_effect) < 3 * mc_se
    assert cuped_estimates.var() < 0.5 * np.var(raw_estimates)


def test_degenerate_data_returns_error_codes_not_exceptions() -> None:
    empty = stats.SampleStats(0, 0.0, 0.0)
    some = binary(3, 10)
    assert stats.proportion_difference(empty, some).error == stats.EMPTY_ARM
    assert stats.mean_difference(some, empty).error == stats.EMPTY_ARM
    assert stats.proportion_difference(binary(0, 10), binary(0, 20)).error == stats.ZERO_VARIANCE
    constant = stats.SampleStats.from_values([5.0] * 10)
    assert stats.mean_difference(constant, constant).error == stats.ZERO_VARIANCE
    zero_control = stats.mean_difference(stats.SampleStats.from_values([0.0, 0.0, 0.0]), some)
    assert zero_control.error is None and not math.isnan(zero_control.p_value)
    assert zero_control.relative_error == stats.ZERO_CONTROL_MEAN
    no_control_buyers = stats.proportion_difference(binary(0, 100), binary(5, 100))
    assert no_control_buyers.error is None and no_control_buyers.difference == 0.05
    assert no_control_buyers.relative_error == stats.ZERO_CONTROL_MEAN
    assert math.isnan(zero_control.relative_lift)
    no_x_var = stats.PairedSampleStats.from_values([1.0] * 5, [1.0, 2, 3, 4, 5])
    assert stats.cuped_difference(no_x_var, no_x_var).error == stats.ZERO_VARIANCE


def test_pooled_quantile_cap_uses_both_arms() -> None:
    a, b = np.arange(100.0), np.arange(100.0, 200.0)
    assert stats.pooled_quantile_cap([a, b], 0.5) == pytest.approx(np.quantile(np.r_[a, b], 0.5))


def test_top_share_brute_force() -> None:
    values = np.r_[np.zeros(50), np.ones(99), 1000.0]
    # 100 buyers: the top 1 holds 1000 / 1099.
    assert stats.top_share(values) == pytest.approx(1000 / 1099)


def test_stratified_relative_lift_with_one_stratum_equals_delta_method() -> None:
    rng = np.random.default_rng(21)
    c = stats.SampleStats.from_values(rng.normal(10, 3, 300))
    t = stats.SampleStats.from_values(rng.normal(11, 4, 900))
    lift, low, high, error = stats.stratified_relative_lift([1200], [c], [t])
    assert error is None
    assert (lift, low, high) == pytest.approx(stats.relative_lift_ci(c, t)[:3])


def test_stratified_relative_lift_covers_truth_about_95_percent() -> None:
    rng = np.random.default_rng(22)
    # Two strata: control rates 0.02 and 0.20, lifts +0.01 and +0.03, sizes 3000 and 1000.
    w = np.array([0.75, 0.25])
    truth = (w @ [0.01, 0.03]) / (w @ [0.02, 0.20])
    covered, runs = 0, 400
    for _ in range(runs):
        controls, treatments = [], []
        for n, p_c, lift in ((3000, 0.02, 0.01), (1000, 0.20, 0.03)):
            n_c = n // 5
            controls.append(binary(int(rng.binomial(n_c, p_c)), n_c))
            treatments.append(binary(int(rng.binomial(n - n_c, p_c + lift)), n - n_c))
        _, low, high, _ = stats.stratified_relative_lift([3000, 1000], controls, treatments)
        covered += low <= truth <= high
    assert 0.92 <= covered / runs <= 0.98


def test_an_arm_without_spread_does_not_make_a_null_effect_significant() -> None:
    """No effect by construction (both arms buy at 10%, spend exponential): where the holdout
    of 8 happened to have no buyer, textbook Welch (scipy) on its zero variance calls the lift
    significant most of the time; with the pooled variance for the spread-less arm the test
    keeps (about) its 5% level, and the conversion SE a stratified overall pools covers the
    true difference at least 95% of the time where the Wald SE does not."""
    rng = np.random.default_rng(0)
    welch_rejects = pooled_rejects = covered = wald_covered = draws = 0
    while draws < 400:
        control = np.where(rng.random(8) < 0.1, rng.exponential(100, 8), 0.0)
        treated = np.where(rng.random(71) < 0.1, rng.exponential(100, 71), 0.0)
        if control.any() or not treated.any():
            continue
        draws += 1
        c, t = stats.SampleStats.from_values(control), stats.SampleStats.from_values(treated)
        welch_rejects += sps.ttest_ind(treated, control, equal_var=False).pvalue < 0.05
        pooled_rejects += stats.mean_difference(c, t).p_value < 0.05
        conversion = stats.proportion_difference(
            stats.SampleStats.from_values(control > 0), stats.SampleStats.from_values(treated > 0)
        )
        covered += abs(conversion.difference) <= 1.96 * conversion.standard_error
        p_t = (treated > 0).mean()
        wald_covered += abs(conversion.difference) <= 1.96 * math.sqrt(p_t * (1 - p_t) / 71)
    assert welch_rejects / draws > 0.3
    assert pooled_rejects / draws <= 0.06
    assert covered / draws >= 0.95 > wald_covered / draws


def test_mean_variances_pool_only_an_arm_without_spread() -> None:
    spread = stats.SampleStats.from_values([0.0, 3.0, 5.0, 0.0])
    flat = stats.SampleStats.from_values([0.0] * 6)
    pooled = (3 * np.var([0.0, 3.0, 5.0, 0.0], ddof=1) + 5 * 0.0) / 8
    assert stats.mean_variances(flat, spread) == pytest.approx((pooled / 6, spread.variance / 4))
    both = stats.SampleStats.from_values([1.0, 2.0, 4.0])
    assert stats.mean_variances(both, spread) == pytest.approx(
        (both.variance / 3, spread.variance / 4)
    )
    assert stats.mean_variances(flat, flat) == (0.0, 0.0)
