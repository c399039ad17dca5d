"""Calibration of predicted uplift on the cross-validation (out-of-fold) predictions.

A model's uplift scores rank customers, but their level is often wrong: boosted T-/S-learners
spread their predictions far wider than the true effects (every fold's noise looks like
heterogeneity), so the planned profit of a send list comes out several times too high. The fix
used here is the *best linear predictor* regression of Chernozhukov, Demirer, Duflo and
Fernandez-Val ("Generic machine learning inference on heterogeneous treatment effects in
randomized experiments", 2018), fitted on the held-out predictions ``s`` of a randomized campaign
with treated share ``e``::

    y = a0 + a1 * b + beta1 * (t - e) + beta2 * (t - e) * (s - mean(s)) + noise

(``b`` the held-out control-outcome prediction, a variance-reducing covariate). ``beta1`` is the
average effect and ``beta2`` the calibration slope (1: the scores' spread is right; 0.3: they
are 3x over-confident). The calibrated uplift is ``beta1 + beta2 * (s - mean(s))``.

Why this and not per-decile means or isotonic regression: with 2 numbers per arm it cannot
overfit the noise of ten deciles (a decile of a 3% conversion campaign has a standard error of
the size of the uplift itself), it keeps the ranking, so Qini and the send order are unchanged
(a slope near 0 is floored at 0.01, so levels are about the average effect and the order is
kept; only a slope whose 95% CI lies below 0, a ranking shown to be backwards, becomes 0: every
customer gets the average effect), and it is plain numbers in model.json. The per-decile
comparison of raw and calibrated predictions with the observed uplift and its 95% CI is kept
beside it, so the fit can be checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

METHOD = "blp_linear"
THROUGH_CONVERSION = "through_conversion"  # the decomposition: calibrated conversion x value
N_BINS = 10
# A slope not shown to be negative is floored here: the levels are then (nearly) the average
# effect, and the scores' order, which a noisy slope cannot tell apart from none, breaks the ties.
MIN_SLOPE = 0.01
Z_95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class UpliftCalibration:
    """``calibrated = intercept + slope x raw`` for one arm and outcome, with its evidence.

    ``slope_fitted`` is the regression's calibration slope before a negative one is set to 0;
    ``method`` ``through_conversion`` (the decomposition's revenue) means calibrated =
    calibrated conversion uplift x expected order value, ``intercept`` then its mean offset;
    ``deciles`` compares, per raw-score decile, the mean raw and calibrated predictions with
    the observed uplift (treated mean - control mean) and its 95% CI.
    """

    intercept: float
    slope: float
    slope_fitted: float
    average_effect: float
    n: int
    deciles: tuple[dict, ...]
    method: str = METHOD

    def apply(self, raw: np.ndarray) -> np.ndarray:
        if self.method == THROUGH_CONVERSION:
            raise ValueError("a through-conversion calibration applies to the conversion uplift")
        return self.intercept + self.slope * np.asarray(raw, dtype=np.float64)

    def to_json(self) -> dict:
        return {
            "method": self.method,
            "intercept": self.intercept,
            "slope": self.slope,
            "slope_fitted": self.slope_fitted,
            "average_effect": self.average_effect,
            "n": self.n,
            "deciles": [dict(row) for row in self.deciles],
        }

    @classmethod
    def from_json(cls, payload: dict) -> UpliftCalibration:
        method = payload.get("method")
        if method not in (METHOD, THROUGH_CONVERSION):
            raise ValueError(f"unknown calibration method {method!r}")
        return cls(
            float(payload["intercept"]),
            float(payload["slope"]),
            float(payload["slope_fitted"]),
            float(payload["average_effect"]),
            int(payload["n"]),
            tuple(dict(row) for row in payload.get("deciles", ())),
            method,
        )


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def decile_table(
    raw: np.ndarray, outcome: np.ndarray, treatment: np.ndarray, calibrated: np.ndarray
) -> tuple[dict, ...]:
    """Per decile of ``raw`` (highest first): n, mean raw and calibrated prediction, observed
    uplift with its 95% CI (Welch standard error; None where an arm is missing)."""
    order = np.argsort(-raw, kind="stable")
    rows = []
    for number, part in enumerate(np.array_split(order, N_BINS), start=1):
        y, t = outcome[part], treatment[part]
        treated, control = y[t == 1], y[t == 0]
        observed = se = np.nan
        if len(treated) > 1 and len(control) > 1:
            observed = treated.mean() - control.mean()
            se = np.sqrt(treated.var(ddof=1) / len(treated) + control.var(ddof=1) / len(control))
        rows.append(
            {
                "decile": number,
                "n": int(len(part)),
                "raw": float(raw[part].mean()),
                "calibrated": float(calibrated[part].mean()),
                "observed": _finite(observed),
                "ci_low": _finite(observed - Z_95 * se),
                "ci_high": _finite(observed + Z_95 * se),
            }
        )
    return tuple(rows)


def fit_uplift_calibration(
    raw: np.ndarray,
    outcome: np.ndarray,
    treatment: np.ndarray,
    baseline: np.ndarray | None = None,
) -> UpliftCalibration:
    """Fit the linear calibration of held-out uplift predictions ``raw`` (see the module doc).

    ``treatment`` is 0/1 from a randomized campaign; ``baseline`` (optional) is the held-out
    prediction of the outcome without the message, used only to reduce the variance.
    """
    raw = np.asarray(raw, dtype=np.float64)
    y = np.asarray(outcome, dtype=np.float64)
    t = np.asarray(treatment, dtype=np.float64)
    e = t.mean()
    centred = raw - raw.mean()
    columns = [np.ones_like(y), t - e, (t - e) * centred]
    if baseline is not None:
        columns.append(np.asarray(baseline, dtype=np.float64))
    design = np.column_stack(columns)
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    average, slope_fitted = float(coefficients[1]), float(coefficients[2])
    if not np.isfinite(slope_fitted) or raw.std() == 0:
        slope_fitted = 0.0
    slope = _kept_slope(slope_fitted, _slope_upper_bound(design, y, coefficients))
    intercept = average - slope * float(raw.mean())
    calibrated = intercept + slope * raw
    deciles = decile_table(raw, y, t.astype(np.int64), calibrated)
    return UpliftCalibration(intercept, slope, slope_fitted, average, int(len(y)), deciles)


def _slope_upper_bound(design: np.ndarray, y: np.ndarray, coefficients: np.ndarray) -> float:
    """The upper end of the slope's 95% CI (OLS, homoscedastic standard error)."""
    residual = y - design @ coefficients
    dof = max(len(y) - design.shape[1], 1)
    try:
        inverse = np.linalg.inv(design.T @ design)
    except np.linalg.LinAlgError:
        return np.inf
    se = float(np.sqrt(max(residual @ residual / dof * inverse[2, 2], 0.0)))
    return float(coefficients[2]) + Z_95 * se if np.isfinite(se) else np.inf


def _kept_slope(slope_fitted: float, upper: float) -> float:
    """The slope applied: the fitted one, floored at :data:`MIN_SLOPE` so that a slope that is
    small only by noise keeps the model's order; 0 only where the ranking is shown to be
    backwards (the CI lies below 0): then everyone gets the average effect."""
    if upper < 0:
        return 0.0
    return max(slope_fitted, MIN_SLOPE)


def _through_conversion(frame: pd.DataFrame, conversion: dict) -> UpliftCalibration:
    """The decomposition's revenue calibration: calibrated conversion uplift x expected order
    value (what ``score`` applies), with its per-decile evidence against observed revenue.

    Binary conversions pin the calibration slope far better than heavy-tailed revenue, whose
    own slope is noisy enough to come out 0 and flatten the ranking. ``slope`` is then the
    conversion slope (the factor the spread of revenue uplift is scaled by).
    """
    fitted = UpliftCalibration.from_json(conversion)
    raw = frame["uplift_revenue"].to_numpy(dtype=np.float64)
    value = frame["order_value"].to_numpy(dtype=np.float64)
    calibrated = fitted.apply(frame["uplift_conversion"].to_numpy()) * value
    y = frame["revenue"].to_numpy(dtype=np.float64)
    t = frame["treatment"].to_numpy().astype(np.int64)
    deciles = decile_table(raw, y, t, calibrated)
    average = float(y[t == 1].mean() - y[t == 0].mean()) if 0 < t.sum() < len(t) else 0.0
    return UpliftCalibration(
        float(calibrated.mean() - fitted.slope * raw.mean()),
        fitted.slope,
        fitted.slope_fitted,
        average,
        int(len(y)),
        deciles,
        THROUGH_CONVERSION,
    )


def calibrate_held_out(
    cv_predictions: pd.DataFrame, arms: Sequence[str]
) -> dict[str, dict[str, dict]]:
    """Calibration of each arm's chosen conversion (and revenue) uplift, as JSON-ready dicts.

    ``cv_predictions`` are training's held-out predictions (columns ``arm``, ``treatment``,
    ``conversion``, ``uplift_conversion``, ``p_control`` and, when a revenue model was chosen,
    ``revenue`` and ``uplift_revenue``). Returns ``{arm: {"conversion": ..., "revenue": ...}}``.
    """
    result: dict[str, dict[str, dict]] = {}
    for arm in arms:
        frame = cv_predictions[cv_predictions["arm"] == arm]
        treatment = frame["treatment"].to_numpy()
        entry = {
            "conversion": fit_uplift_calibration(
                frame["uplift_conversion"].to_numpy(),
                frame["conversion"].to_numpy(),
                treatment,
                frame["p_control"].to_numpy(),
            ).to_json()
        }
        # order_value: only where this arm's revenue learner is a value kind (the column of
        # the concatenated arms is empty, NaN, for the others)
        if (
            "order_value" in frame.columns
            and frame["order_value"].notna().all()
            and ("revenue" in frame.columns)
        ):
            entry["revenue"] = _through_conversion(frame, entry["conversion"]).to_json()
        elif "uplift_revenue" in frame.columns and "revenue" in frame.columns:
            entry["revenue"] = fit_uplift_calibration(
                frame["uplift_revenue"].to_numpy(), frame["revenue"].to_numpy(), treatment
            ).to_json()
        result[str(arm)] = entry
    return result
