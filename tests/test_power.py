"""uplift_lab.power: the MDE and the holdout needed, against statsmodels and root finding."""

from __future__ import annotations

import math

import pytest
from scipy.optimize import brentq
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from uplift_lab.power import (
    OVERALL,
    holdout_fraction_needed,
    mde_per_stratum,
    minimum_detectable_lift,
)


@pytest.mark.parametrize(
    ("n_treated", "n_control", "baseline", "alpha", "power"),
    [(9000, 1000, 0.03, 0.05, 0.8), (500, 500, 0.1, 0.05, 0.9), (40_000, 2_000, 0.01, 0.01, 0.8)],
)
def test_mde_matches_statsmodels_normal_ind_power(n_treated, n_control, baseline, alpha, power):
    effect = NormalIndPower().solve_power(
        effect_size=None, nobs1=n_treated, alpha=alpha, power=power, ratio=n_control / n_treated
    )
    # Independent inversion of Cohen's h by root finding (the code uses the closed form).
    treated_rate = brentq(
        lambda p: proportion_effectsize(p, baseline) - effect, baseline, 1 - 1e-12
    )
    mde = minimum_detectable_lift(n_treated, n_control, baseline, alpha=alpha, power=power)
    assert mde == pytest.approx(treated_rate - baseline, rel=1e-6)
    achieved = NormalIndPower().power(
        proportion_effectsize(baseline + mde, baseline),
        nobs1=n_treated,
        alpha=alpha,
        ratio=n_control / n_treated,
    )
    assert achieved == pytest.approx(power, abs=1e-4)  # solve_power root-finding tolerance


def test_mde_is_none_when_nothing_is_detectable():
    assert minimum_detectable_lift(3, 2, 0.9, alpha=0.05, power=0.8) is None
    assert minimum_detectable_lift(100, 1, 0.1, alpha=0.05, power=0.8) is None


def test_holdout_needed_reaches_the_target_power():
    n, baseline, lift = 20_000, 0.03, 0.01
    share = holdout_fraction_needed(n, baseline, lift, alpha=0.05, power=0.8)
    effect = proportion_effectsize(baseline + lift, baseline)
    achieved = NormalIndPower().power(
        effect, nobs1=n * (1 - share), alpha=0.05, ratio=share / (1 - share)
    )
    assert achieved == pytest.approx(0.8, abs=1e-4)
    assert 0 < share < 0.5


def test_holdout_needed_is_none_when_even_half_is_too_small():
    n, baseline, lift = 1_000, 0.03, 0.005
    at_half = NormalIndPower().power(
        proportion_effectsize(baseline + lift, baseline), nobs1=n / 2, alpha=0.05, ratio=1.0
    )
    assert at_half < 0.8
    assert holdout_fraction_needed(n, baseline, lift, alpha=0.05, power=0.8) is None


def test_mde_per_stratum_rows_overall_and_warnings():
    counts = {"silent": {"control": 400, "send": 3600}, "active": {"control": 100, "send": 900}}
    report = mde_per_stratum(
        counts, {"silent": 0.02, "active": 0.06}, alpha=0.05, power=0.8, target_lift=0.02
    )
    table = report.table.set_index("stratum")
    for stratum, baseline in (("silent", 0.02), ("active", 0.06)):
        expected = minimum_detectable_lift(
            counts[stratum]["send"], counts[stratum]["control"], baseline, alpha=0.05, power=0.8
        )
        assert table.loc[stratum, "mde"] == pytest.approx(expected)
    overall_baseline = (0.02 * 4000 + 0.06 * 1000) / 5000
    effect = NormalIndPower().solve_power(
        effect_size=None, nobs1=4500, alpha=0.05, power=0.8, ratio=500 / 4500
    )
    expected_overall = math.sin(math.asin(math.sqrt(overall_baseline)) + effect / 2) ** 2
    assert table.loc[OVERALL, "baseline"] == pytest.approx(overall_baseline)
    assert table.loc[OVERALL, "mde"] == pytest.approx(expected_overall - overall_baseline, rel=1e-6)
    above = set(table.index[table["mde_above_target"]])
    assert above == {s for s in table.index if table.loc[s, "mde"] > 0.02}
    assert len(report.warnings) == len(above) > 0
