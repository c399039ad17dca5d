"""Predictions of fitted learners, from their LightGBM boosters only.

The formulas are scikit-uplift's (see :mod:`uplift_lab.uplift.models`), re-implemented on the
boosters so that a model loaded from booster text files predicts exactly what was fitted in
memory. Bagged learners predict the mean of their members.
"""

from __future__ import annotations

import numpy as np

from uplift_lab.uplift.models import (
    DIRECT_KINDS,
    VALUE_KINDS,
    ArmModel,
    ArmPrediction,
    Learner,
    bag_members,
    ensemble_parts,
    is_bagged,
    predict_booster,
)


def treated_and_control_predictions(
    learner: Learner, matrix: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Predicted outcome if treated and if not, for the S- and T-learners (from boosters only)."""
    if is_bagged(learner):
        pairs = [treated_and_control_predictions(m, matrix) for m in bag_members(learner)]
        return np.mean([p[0] for p in pairs], axis=0), np.mean([p[1] for p in pairs], axis=0)
    boosters = learner.boosters
    if learner.kind in DIRECT_KINDS:
        p_control = direct_control_prediction(learner, matrix)
        return p_control + direct_effect_prediction(learner, matrix), p_control
    if learner.kind == "solo":
        ones = np.ones((len(matrix), 1))
        if_treated = np.hstack([matrix, matrix * ones, ones])
        if_control = np.hstack([matrix, matrix * 0.0, ones * 0.0])
        return predict_booster(boosters["solo"], if_treated), predict_booster(
            boosters["solo"], if_control
        )
    control = predict_booster(boosters["control"], matrix)
    if learner.kind == "two":
        return predict_booster(boosters["treated"], matrix), control
    if learner.kind == "two-ddr":
        return predict_booster(boosters["treated"], np.column_stack([matrix, control])), control
    raise ValueError(f"learner '{learner.kind}' has no per-arm predictions")


def direct_effect_prediction(learner: Learner, matrix: np.ndarray) -> np.ndarray:
    """Uplift of the X- or DR-learner (the effect model(s), weighted by the treated share), or
    the ensemble's mean of its parts."""
    boosters = learner.boosters
    if learner.kind == "ensemble":
        return np.mean([predict_learner(part, matrix) for part in ensemble_parts(learner)], axis=0)
    if learner.kind == "dr":
        return predict_booster(boosters["effect"], matrix)
    share = float(learner.params["treated_share"])
    effect_t = predict_booster(boosters["effect_treated"], matrix)
    return share * predict_booster(boosters["effect_control"], matrix) + (1.0 - share) * effect_t


def direct_control_prediction(learner: Learner, matrix: np.ndarray) -> np.ndarray:
    """Outcome without treatment of the X-learner (its control model) or the DR-learner (the
    mean of its two cross-fitted control models)."""
    if learner.kind == "x":
        return predict_booster(learner.boosters["control"], matrix)
    if learner.kind == "ensemble":
        return predict_booster(learner.boosters["x.control"], matrix)
    return (
        predict_booster(learner.boosters["control_0"], matrix)
        + predict_booster(learner.boosters["control_1"], matrix)
    ) / 2.0


def class_transformation_predictions(
    learner: Learner, matrix: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(p_treated, p_control)`` of the class-transformation learner, for any treated share."""
    share = float(learner.params.get("treated_share", 0.5))
    p_z = predict_booster(learner.boosters["ct"], matrix)
    p_control = predict_booster(learner.boosters["control"], matrix)
    p_treated = np.clip((p_z - (1.0 - share) * (1.0 - p_control)) / share, 0.0, 1.0)
    return p_treated, p_control


def predict_learner(learner: Learner, matrix: np.ndarray) -> np.ndarray:
    """Uplift predicted by one learner (conversion-probability or revenue difference)."""
    if is_bagged(learner):
        return np.mean([predict_learner(m, matrix) for m in bag_members(learner)], axis=0)
    if learner.kind == "ct":
        p_treated, p_control = class_transformation_predictions(learner, matrix)
        return p_treated - p_control
    if learner.kind == "ct-reg":
        return predict_booster(learner.boosters["ct-reg"], matrix)
    if learner.kind in DIRECT_KINDS:
        return direct_effect_prediction(learner, matrix)
    if learner.kind in VALUE_KINDS:
        raise ValueError(f"the {learner.kind} learner needs the conversion uplift: use predict_arm")
    treated, control = treated_and_control_predictions(learner, matrix)
    return treated - control


def predict_value(learner: Learner, matrix: np.ndarray) -> np.ndarray:
    """Expected order value of a converter (the decomposition's factor), floored at 0."""
    members = bag_members(learner)
    value = np.mean([predict_booster(m.boosters["value"], matrix) for m in members], axis=0)
    return np.maximum(value, 0.0)


def _conversion_prediction(
    conversion: Learner, matrix: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(uplift, p_control, p_treated)`` of one (unbagged) conversion learner."""
    if conversion.kind == "ct":
        p_treated, p_control = class_transformation_predictions(conversion, matrix)
        return p_treated - p_control, p_control, p_treated
    if conversion.kind in DIRECT_KINDS:
        # The effect model is the uplift; p_treated is kept a probability.
        p_control = direct_control_prediction(conversion, matrix)
        uplift = direct_effect_prediction(conversion, matrix)
        return uplift, p_control, np.clip(p_control + uplift, 0.0, 1.0)
    p_treated, p_control = treated_and_control_predictions(conversion, matrix)
    return p_treated - p_control, p_control, p_treated


def predict_arm(model: ArmModel, matrix: np.ndarray) -> ArmPrediction:
    """Conversion uplift, p_control, p_treated and revenue uplift for one treated arm."""
    parts = [_conversion_prediction(m, matrix) for m in bag_members(model.conversion)]
    uplift, p_control, p_treated = (np.mean(column, axis=0) for column in zip(*parts, strict=True))
    revenue = order_value = None
    if model.revenue is not None:
        if model.revenue.kind == "decomposition":
            order_value = predict_value(model.revenue, matrix)
            revenue = uplift * order_value
        elif model.revenue.kind == "conv-value":
            order_value = np.full(len(uplift), model.revenue.params["order_value"])
            revenue = uplift * order_value
        else:
            revenue = predict_learner(model.revenue, matrix)
    return ArmPrediction(uplift, p_control, p_treated, revenue, order_value)
