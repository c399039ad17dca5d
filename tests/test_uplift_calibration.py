"""Calibration of predicted uplift: checked on simulated campaigns whose true uplift is known."""

from __future__ import annotations

import numpy as np
import pytest

from uplift_lab.uplift.calibration import (
    N_BINS,
    UpliftCalibration,
    decile_table,
    fit_uplift_calibration,
)


def _campaign(n: int, seed: int, over_confidence: float = 3.0):
    """A 50/50 campaign with true uplift 0.01 + 0.06 x and a model spreading it ``over_confidence``
    times too wide (plus noise): the over-confident model of a boosted T-learner."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=n)
    true_uplift = 0.01 + 0.06 * x
    p_control = 0.05 + 0.05 * rng.uniform(size=n)
    treatment = (rng.uniform(size=n) < 0.5).astype(np.int64)
    converted = (rng.uniform(size=n) < p_control + treatment * true_uplift).astype(np.float64)
    mean = true_uplift.mean()
    raw = mean + over_confidence * (true_uplift - mean) + rng.normal(0, 0.01, size=n)
    return raw, converted, treatment, p_control, true_uplift


def _per_decile_truth(raw: np.ndarray, truth: np.ndarray) -> np.ndarray:
    order = np.argsort(-raw, kind="stable")
    return np.array([truth[part].mean() for part in np.array_split(order, N_BINS)])


def test_calibration_coefficients_are_the_least_squares_blp_regression() -> None:
    import statsmodels.api as sm

    raw, y, t, p_control, _ = _campaign(20_000, seed=1)
    fitted = fit_uplift_calibration(raw, y, t, p_control)
    e = t.mean()
    design = np.column_stack([np.ones_like(y), t - e, (t - e) * (raw - raw.mean()), p_control])
    reference = sm.OLS(y, design).fit().params
    assert fitted.average_effect == pytest.approx(reference[1], rel=1e-9)
    assert fitted.slope_fitted == pytest.approx(reference[2], rel=1e-9)
    assert fitted.intercept == pytest.approx(reference[1] - reference[2] * raw.mean(), rel=1e-9)


def test_calibrated_deciles_match_the_true_uplift_far_better_than_an_over_confident_model() -> None:
    raw, y, t, p_control, truth = _campaign(60_000, seed=2)
    fitted = fit_uplift_calibration(raw, y, t, p_control)
    # 3x over-confident: the slope is near 1/3 (its standard error here is about 0.03).
    assert fitted.slope == pytest.approx(1 / 3, abs=0.1)
    true_deciles = _per_decile_truth(raw, truth)
    raw_deciles = np.array([row["raw"] for row in fitted.deciles])
    calibrated_deciles = np.array([row["calibrated"] for row in fitted.deciles])
    raw_error = np.abs(raw_deciles - true_deciles).mean()
    calibrated_error = np.abs(calibrated_deciles - true_deciles).mean()
    assert calibrated_error < raw_error / 3
    # The truth of each decile lies within the observed uplift's 95% CI about as often as it
    # should, and the calibrated prediction lies in that CI where the raw one mostly does not.
    inside = [
        row["ci_low"] <= value <= row["ci_high"]
        for row, value in zip(fitted.deciles, calibrated_deciles, strict=True)
    ]
    raw_inside = [
        row["ci_low"] <= value <= row["ci_high"]
        for row, value in zip(fitted.deciles, raw_deciles, strict=True)
    ]
    assert sum(inside) >= 8 and sum(inside) > sum(raw_inside) + 3


def test_a_model_that_ranks_backwards_gets_the_average_effect_for_everyone() -> None:
    raw, y, t, p_control, truth = _campaign(20_000, seed=3)
    fitted = fit_uplift_calibration(-raw, y, t, p_control)
    assert fitted.slope_fitted < 0 and fitted.slope == 0.0
    observed = y[t == 1].mean() - y[t == 0].mean()
    np.testing.assert_allclose(fitted.apply(-raw), fitted.average_effect)
    assert fitted.average_effect == pytest.approx(observed, abs=0.005)


def test_decile_table_observed_uplift_is_the_difference_of_arm_means() -> None:
    raw = np.arange(100, dtype=float)
    t = np.tile([0, 1], 50)
    y = (np.arange(100) % 4 == 1).astype(float)  # treated rows alternate 1, 0
    rows = decile_table(raw, y, t, raw)
    top = np.arange(90, 100)  # highest raw first
    expected = y[top][t[top] == 1].mean() - y[top][t[top] == 0].mean()
    assert rows[0]["observed"] == pytest.approx(expected)
    assert rows[0]["raw"] == pytest.approx(raw[top].mean()) and rows[0]["n"] == 10


def test_calibration_round_trips_through_json() -> None:
    raw, y, t, p_control, _ = _campaign(5_000, seed=4)
    fitted = fit_uplift_calibration(raw, y, t, p_control)
    again = UpliftCalibration.from_json(fitted.to_json())
    np.testing.assert_array_equal(again.apply(raw), fitted.apply(raw))


def test_decomposition_revenue_is_calibrated_through_its_conversion_part() -> None:
    """Heavy-tailed revenue pins the BLP slope badly (here its own fit flattens the ranking);
    the decomposition's revenue is calibrated conversion uplift x order value instead, which
    keeps the order-value ranking and lands on the true revenue uplift per decile."""
    import pandas as pd

    from uplift_lab.uplift.calibration import calibrate_held_out

    raw, converted, t, p_control, true_uplift = _campaign(40_000, seed=5)
    rng = np.random.default_rng(6)
    order_value = rng.gamma(2.0, 50.0, size=len(raw)) + 10.0
    # a converter's spend: lognormal noise around its expected order value (heavy tail)
    spend = order_value * rng.lognormal(-0.5, 1.0, size=len(raw))
    frame = pd.DataFrame(
        {
            "arm": "send",
            "treatment": t,
            "conversion": converted,
            "revenue": converted * spend,
            "uplift_conversion": raw,
            "p_control": p_control,
            "uplift_revenue": raw * order_value,
            "order_value": order_value,
        }
    )
    entry = calibrate_held_out(frame, ["send"])["send"]
    revenue = UpliftCalibration.from_json(entry["revenue"])
    conversion = UpliftCalibration.from_json(entry["conversion"])
    assert revenue.method == "through_conversion" and revenue.slope == conversion.slope
    calibrated = conversion.apply(raw) * order_value
    parts = np.array_split(np.argsort(-raw * order_value, kind="stable"), N_BINS)
    np.testing.assert_allclose(
        [row["calibrated"] for row in revenue.deciles], [calibrated[part].mean() for part in parts]
    )
    # the ranking by revenue survives calibration (no flat line)
    assert np.corrcoef(calibrated, raw * order_value)[0, 1] > 0.8
    # and its level matches the truth: the true revenue uplift is uplift x E[spend]
    true_revenue = true_uplift * order_value * np.exp(-0.5 + 0.5)
    assert abs(calibrated.mean() - true_revenue.mean()) < 0.15 * true_revenue.mean()
    with pytest.raises(ValueError, match="conversion uplift"):
        revenue.apply(raw)


def test_an_arm_without_a_value_learner_keeps_its_own_revenue_calibration() -> None:
    """Held-out frames of several arms are concatenated: order_value is NaN for an arm whose
    revenue learner is not a value kind, and that arm's revenue is calibrated on its own."""
    import json

    import pandas as pd

    from uplift_lab.uplift.calibration import calibrate_held_out

    raw, converted, t, p_control, _ = _campaign(4000, seed=8)
    base = pd.DataFrame(
        {"treatment": t, "conversion": converted, "revenue": converted * 50.0,
         "uplift_conversion": raw, "p_control": p_control, "uplift_revenue": raw * 50.0}
    )  # fmt: skip
    frames = pd.concat(
        [base.assign(arm="sms", order_value=50.0), base.assign(arm="edm")], ignore_index=True
    )
    result = calibrate_held_out(frames, ["sms", "edm"])
    assert result["sms"]["revenue"]["method"] == "through_conversion"
    assert result["edm"]["revenue"]["method"] == "deciles_shrunk"  # its own, not via conversion
    json.dumps(result, allow_nan=False)  # finite everywhere: model.json must be valid JSON


def test_a_slope_near_zero_by_noise_keeps_the_order_of_the_scores() -> None:
    """Scores with no signal give a slope near 0 (either sign): it is floored, not zeroed, so the
    send order stays the model's (a ranking that later data may well confirm), and the levels
    are about the average effect."""
    from uplift_lab.uplift.calibration import MIN_SLOPE

    rng = np.random.default_rng(9)
    _, y, t, p_control, _ = _campaign(20_000, seed=9)
    raw = rng.normal(0.03, 0.5, size=len(y))  # unrelated to the outcome: slope ~ 0 +- noise
    fitted = fit_uplift_calibration(raw, y, t, p_control)
    assert abs(fitted.slope_fitted) < 0.1
    assert fitted.slope == pytest.approx(max(fitted.slope_fitted, MIN_SLOPE)) and fitted.slope > 0
    calibrated = fitted.apply(raw)
    assert np.array_equal(np.argsort(calibrated, kind="stable"), np.argsort(raw, kind="stable"))
    # a slope pinned below 0 is different: there the order is backwards and is dropped
    backwards = fit_uplift_calibration(
        -_campaign(20_000, seed=3)[0], *_campaign(20_000, seed=3)[1:4]
    )
    assert backwards.slope == 0.0


def test_deciles_the_data_cannot_fault_keep_the_models_level_and_exact_ones_take_over() -> None:
    from uplift_lab.uplift.calibration import shrunk_decile_levels

    rng = np.random.default_rng(0)
    raw = np.sort(rng.normal(size=1000))
    parts = np.array_split(np.arange(1000), N_BINS)
    means = np.array([raw[part].mean() for part in parts])
    # noisy pseudo-outcomes centred on the model's own decile means: tau = 0, knots = the model's
    centred = raw.copy()
    for part, mean in zip(parts, means, strict=True):
        noise = rng.normal(0, 5, len(part))
        centred[part] = mean + noise - noise.mean()
    knots, levels, tau = shrunk_decile_levels(raw, centred)
    assert tau == 0 and np.allclose(knots, means) and np.allclose(levels, means)
    # noiseless pseudo-outcomes (each decile a constant, rising): the observed levels win
    exact = np.repeat(np.linspace(0.0, 0.09, N_BINS), [len(part) for part in parts])
    _, levels, tau = shrunk_decile_levels(raw, exact)
    assert tau > 0 and np.allclose(levels, np.linspace(0.0, 0.09, N_BINS))
