"""Empirical-Bayes shrinkage of per-segment effects (the segments policy's default)."""

from __future__ import annotations

import numpy as np

from uplift_lab.target.segment_policy import shrunk_effects


def test_equal_noise_gives_the_james_stein_type_factor() -> None:
    d = np.array([4.0, 1.0, -1.0, 0.0])
    v = 1.0
    m = d.mean()
    tau2 = max(0.0, np.mean((d - m) ** 2) - v)  # 3.5 - 1
    np.testing.assert_allclose(
        shrunk_effects(d, np.full(4, np.sqrt(v))), m + tau2 / (tau2 + v) * (d - m), rtol=1e-12
    )


def test_no_spread_beyond_the_noise_gives_every_segment_the_mean() -> None:
    d, se = np.array([0.1, -0.1, 0.05]), np.array([1.0, 1.0, 1.0])
    np.testing.assert_allclose(shrunk_effects(d, se), np.full(3, d.mean()), rtol=1e-12)


def test_two_segments_stay_as_measured() -> None:
    d = np.array([3.0, -1.0])
    np.testing.assert_array_equal(shrunk_effects(d, np.array([1.0, 2.0])), d)


def test_shrinkage_beats_the_raw_estimates_and_the_winners_curse_on_simulated_truth() -> None:
    """True effects drawn per segment, estimates with known noise: shrunk estimates are closer
    to the truth, and the segment picked as best promises less beyond its true effect."""
    rng = np.random.default_rng(0)
    raw_error, shrunk_error, raw_curse, shrunk_curse = [], [], [], []
    for _ in range(2000):
        truth = rng.normal(1.0, 1.0, size=6)
        se = rng.uniform(0.5, 3.0, size=6)
        estimate = truth + rng.normal(size=6) * se
        shrunk = shrunk_effects(estimate, se)
        raw_error.append(np.mean((estimate - truth) ** 2))
        shrunk_error.append(np.mean((shrunk - truth) ** 2))
        best_raw, best_shrunk = np.argmax(estimate), np.argmax(shrunk)
        raw_curse.append(estimate[best_raw] - truth[best_raw])
        shrunk_curse.append(shrunk[best_shrunk] - truth[best_shrunk])
    assert np.mean(shrunk_error) < 0.7 * np.mean(raw_error)
    assert np.mean(shrunk_curse) < 0.5 * np.mean(raw_curse)
