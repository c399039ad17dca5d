"""Calibration's trade-off on a simulated campaign: predicted vs true total of the top fifth.

    python benchmarks/bench_calibration_tradeoff.py

A quarter of the customers respond (+6 points, the rest +1); the model knows the segment but adds
noise of its own (sd 0.02 or 0.03, so it spreads its predictions 1.2-1.6x too wide); a 50/50
campaign of 10,000 or 20,000. Prints, per seed, the top fifth's (by score) predicted total over
its true total for the shipped calibration (deciles shrunk toward the model), the single BLP line
it replaced, and the raw model (README, "Calibration").
"""

from __future__ import annotations

import numpy as np

from uplift_lab.uplift.calibration import LINEAR, UpliftCalibration, fit_uplift_calibration


def ratios(n: int, noise: float, seed: int) -> tuple[float, float, float]:
    rng = np.random.default_rng(seed)
    truth = np.where(rng.uniform(size=n) < 0.25, 0.06, 0.01)
    raw = truth + rng.normal(0, noise, n)
    p_control = np.full(n, 0.05)
    t = (rng.uniform(size=n) < 0.5).astype(np.int64)
    y = (rng.uniform(size=n) < p_control + t * truth).astype(float)
    fitted = fit_uplift_calibration(raw, y, t, p_control)
    slope = max(fitted.slope_fitted, 0.01)
    intercept = fitted.average_effect - slope * raw.mean()
    line = UpliftCalibration(intercept, slope, slope, fitted.average_effect, n, (), LINEAR)
    top = np.argsort(-raw)[: n // 5]
    true_total = truth[top].sum()
    return tuple(
        float(values.sum() / true_total)
        for values in (fitted.apply(raw[top]), line.apply(raw[top]), raw[top])
    )


def main() -> None:
    for noise in (0.02, 0.03):
        for n in (10_000, 20_000):
            rows = np.array([ratios(n, noise, seed) for seed in (11, 12, 13, 14, 15)])
            for name, column in zip(("deciles shrunk", "BLP line", "raw"), rows.T, strict=True):
                shown = " ".join(f"{value:.2f}" for value in column)
                print(f"noise {noise}, n {n:>6,}: {name:15s} {shown}")


if __name__ == "__main__":
    main()
