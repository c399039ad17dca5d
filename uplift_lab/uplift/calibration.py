"""Calibration of predicted uplift on the cross-validation (out-of-fold) predictions.

A model's uplift scores rank customers, but their level can be wrong either way: boosted T-/S-
learners often spread their predictions wider than the true effects (every fold's noise looks
like heterogeneity), and regularised learners can also pull a strong segment's effect toward the
average. The calibration applied is per decile of the held-out score, shrunk toward the model
(empirical Bayes), then made monotone:

1. per decile ``d`` of the held-out predictions ``s``: the observed uplift ``o_d``, the mean of
   the doubly robust (AIPW) pseudo-outcome ``s + t (y - m0 - s) / e - (1 - t) (y - m0) / (1 - e)``
   of a randomized campaign with treated share ``e`` (``m0`` the held-out control-outcome
   prediction, else the control mean): unbiased for the decile's mean effect whatever the model,
   with its standard error ``se_d``;
2. the calibration error of the model ``o_d - r_d`` (``r_d`` the decile's mean prediction) is
   taken as drawn with variance ``tau^2``, estimated by moments: ``mean((o_d - r_d)^2 - se_d^2)``
   (0 when the deciles are within their noise of the model); each decile's calibrated level is
   the posterior mean ``r_d + tau^2 / (tau^2 + se_d^2) (o_d - r_d)``: the model's own level
   where the data cannot show it wrong, the observed uplift where they can;
3. pool-adjacent-violators (weights: decile sizes) makes the levels non-decreasing in ``s``;
   between decile means the calibration is linear, beyond the end ones flat, and a 1e-6 x raw
   term keeps the model's order inside flat stretches (so Qini and the send order do not change).

Why not the single-slope *best linear predictor* (Chernozhukov, Demirer, Duflo and Fernandez-Val
2018) used before: with a past campaign of a few thousand controls its slope has a standard error
of about 0.5, and a slope near 0 by noise set everyone's level near the average effect, so a plan
confined to a strong segment predicted a third of what it made. Its fit is still reported
(``slope_fitted``, ``average_effect``) and a slope whose 95% CI lies below 0 (a ranking shown to
be backwards) still gives everyone the average effect. The per-decile comparison of raw and
calibrated predictions with the observed uplift and its 95% CI is kept beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression

from uplift_lab.finite import finite_or_none
from uplift_lab.stats import shrink_toward

METHOD = "deciles_shrunk"
LINEAR = "blp_linear"  # models saved before deciles_shrunk; and the backwards-ranking fallback
THROUGH_CONVERSION = "through_conversion"  # the decomposition: calibrated conversion x value
N_BINS = 10
# A slope not shown to be negative is floored here: the levels are then (nearly) the average
# effect, and the scores' order, which a noisy slope cannot tell apart from none, breaks the ties.
MIN_SLOPE = 0.01
Z_95 = 1.959963984540054
TIE_SLOPE = 1e-6  # keeps the model's order where the calibrated levels are flat


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
    knots_raw: tuple[float, ...] = ()
    knots_calibrated: tuple[float, ...] = ()
    shrinkage_sd: float | None = None  # tau: the model's calibration error the deciles show

    def apply(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw, dtype=np.float64)
        if self.method == THROUGH_CONVERSION:
            raise ValueError("a through-conversion calibration applies to the conversion uplift")
        if self.method == METHOD:
            return np.interp(raw, self.knots_raw, self.knots_calibrated) + TIE_SLOPE * raw
        return self.intercept + self.slope * raw

    def to_json(self) -> dict:
        return {
            "method": self.method,
            "intercept": self.intercept,
            "slope": self.slope,
            "slope_fitted": self.slope_fitted,
            "average_effect": self.average_effect,
            "n": self.n,
            "deciles": [dict(row) for row in self.deciles],
            "knots_raw": list(self.knots_raw),
            "knots_calibrated": list(self.knots_calibrated),
            "shrinkage_sd": self.shrinkage_sd,
        }

    @classmethod
    def from_json(cls, payload: dict) -> UpliftCalibration:
        method = payload.get("method")
        if method not in (METHOD, LINEAR, THROUGH_CONVERSION):
            raise ValueError(f"unknown calibration method {method!r}")
        shrinkage = payload.get("shrinkage_sd")
        return cls(
            float(payload["intercept"]),
            float(payload["slope"]),
            float(payload["slope_fitted"]),
            float(payload["average_effect"]),
            int(payload["n"]),
            tuple(dict(row) for row in payload.get("deciles", ())),
            method,
            tuple(float(v) for v in payload.get("knots_raw", ())),
            tuple(float(v) for v in payload.get("knots_calibrated", ())),
            None if shrinkage is None else float(shrinkage),
        )


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
                "observed": finite_or_none(observed),
                "ci_low": finite_or_none(observed - Z_95 * se),
                "ci_high": finite_or_none(observed + Z_95 * se),
            }
        )
    return tuple(rows)


def fit_uplift_calibration(
    raw: np.ndarray,
    outcome: np.ndarray,
    treatment: np.ndarray,
    baseline: np.ndarray | None = None,
) -> UpliftCalibration:
    """Fit the calibration of held-out uplift predictions ``raw`` (see the module doc).

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
    upper = _slope_upper_bound(design, y, coefficients)
    treated = t == 1
    if upper < 0 or raw.std() == 0 or treated.all() or not treated.any():
        # a ranking shown to be backwards (or no ranking): the average effect for everyone
        slope = _kept_slope(slope_fitted, upper)
        intercept = average - slope * float(raw.mean())
        calibrated = intercept + slope * raw
        deciles = decile_table(raw, y, t.astype(np.int64), calibrated)
        return UpliftCalibration(
            intercept, slope, slope_fitted, average, int(len(y)), deciles, LINEAR
        )
    m0 = (
        np.asarray(baseline, dtype=np.float64)
        if baseline is not None
        else np.full_like(y, y[~treated].mean())
    )
    pseudo = raw + t * (y - m0 - raw) / e - (1 - t) * (y - m0) / (1 - e)
    knots_raw, knots_calibrated, tau = shrunk_decile_levels(raw, pseudo)
    slope = _kept_slope(slope_fitted, upper)  # the BLP's, reported beside the deciles
    fitted = UpliftCalibration(
        average - slope * float(raw.mean()),
        slope,
        slope_fitted,
        average,
        int(len(y)),
        (),
        METHOD,
        knots_raw,
        knots_calibrated,
        tau,
    )
    deciles = decile_table(raw, y, t.astype(np.int64), fitted.apply(raw))
    return replace(fitted, deciles=deciles)


def shrunk_decile_levels(
    raw: np.ndarray, pseudo: np.ndarray, n_bins: int = N_BINS
) -> tuple[tuple[float, ...], tuple[float, ...], float]:
    """(mean raw score, calibrated level) per decile, ascending, and tau (module doc, 1-3).

    ``pseudo`` is an unbiased per-customer signal of the effect (the AIPW pseudo-outcome).
    Deciles with equal mean scores are merged, so the knots increase strictly.
    """
    order = np.argsort(raw, kind="stable")
    parts = [part for part in np.array_split(order, n_bins) if len(part) > 1]
    level = np.array([raw[part].mean() for part in parts])
    observed = np.array([pseudo[part].mean() for part in parts])
    noise = np.array([pseudo[part].var(ddof=1) / len(part) for part in parts])
    size = np.array([len(part) for part in parts], dtype=np.float64)
    posterior, tau2 = shrink_toward(observed, level, noise)
    monotone = IsotonicRegression().fit(level, posterior, sample_weight=size).predict(level)
    knots, inverse = np.unique(level, return_inverse=True)
    values = np.bincount(inverse, weights=monotone * size) / np.bincount(inverse, weights=size)
    return tuple(map(float, knots)), tuple(map(float, values)), float(np.sqrt(tau2))


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
