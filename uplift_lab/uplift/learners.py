"""Fitting the uplift meta-learners (the kinds and formulas are described in
:mod:`uplift_lab.uplift.models`).

The X-, DR-learner and ensemble are fitted on LightGBM directly; solo, two, two-ddr, ct and
ct-reg go through scikit-uplift's wrappers (``SoloModel``, ``TwoModels``,
``ClassTransformation``, ``ClassTransformationReg``), of which only the boosters are kept.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import numpy as np
from sklift.models import ClassTransformation, ClassTransformationReg, SoloModel, TwoModels

from uplift_lab.uplift.models import (
    DR_ROLES,
    ENSEMBLE_PARTS,
    INTERACTION_SUFFIX,
    X_ROLES,
    ArmModel,
    Learner,
    LightGBMSettings,
    binned_rows,
    check_fit_inputs,
    ensemble_learner,
    feature_frame,
    feature_names,
    lightgbm_estimator,
    predict_booster,
    rounds_by_early_stopping,
    solo_design,
    train_booster,
)


def _fit_x_learner(
    target: str,
    matrix: np.ndarray,
    y: np.ndarray,
    treatment: np.ndarray,
    categorical: list[int],
    settings: LightGBMSettings,
    refit: bool,
    binned: Any = None,
) -> Learner:
    treated, control = treatment == 1, treatment == 0
    binned = binned_rows(matrix, categorical, settings) if binned is None else binned

    def fit(labels: np.ndarray, target: str, arm: np.ndarray) -> Any:
        return train_booster(
            matrix, labels, target, settings, categorical, refit=refit,
            rows=np.flatnonzero(arm), binned=binned,
        )  # fmt: skip

    model_t, model_c = fit(y[treated], target, treated), fit(y[control], target, control)
    effect_t = y[treated] - predict_booster(model_c, matrix[treated])
    effect_c = predict_booster(model_t, matrix[control]) - y[control]
    tau_t, tau_c = fit(effect_t, "effect", treated), fit(effect_c, "effect", control)
    boosters = dict(zip(X_ROLES, (model_t, model_c, tau_t, tau_c), strict=True))
    return Learner("x", target, boosters, {"treated_share": float(treatment.mean())})


def _fit_dr_learner(
    target: str,
    matrix: np.ndarray,
    y: np.ndarray,
    treatment: np.ndarray,
    categorical: list[int],
    settings: LightGBMSettings,
    refit: bool,
    binned: Any = None,
) -> Learner:
    share = float(treatment.mean())
    n = len(y)
    # Two halves stratified by arm: each half's outcome models predict the other half.
    half = np.zeros(n, dtype=np.int64)
    rng = np.random.default_rng(settings.seed + 1)
    for arm in (0, 1):
        rows = np.flatnonzero(treatment == arm)
        half[rng.permutation(rows)[: len(rows) // 2]] = 1
    mu1, mu0 = np.zeros(n), np.zeros(n)
    controls = []
    binned = binned_rows(matrix, categorical, settings) if binned is None else binned
    for part in (0, 1):
        fit_rows, predict_rows = half != part, half == part
        for arm, out in ((1, mu1), (0, mu0)):
            rows = fit_rows & (treatment == arm)
            model = train_booster(
                matrix, y[rows], target, settings, categorical, refit=refit,
                rows=np.flatnonzero(rows), binned=binned,
            )  # fmt: skip
            out[predict_rows] = predict_booster(model, matrix[predict_rows])
            if arm == 0:
                controls.append(model)
    pseudo = mu1 - mu0 + treatment * (y - mu1) / share - (1 - treatment) * (y - mu0) / (1.0 - share)
    effect = train_booster(
        matrix, pseudo, "effect", settings, categorical, refit=refit, binned=binned
    )
    boosters = dict(zip(DR_ROLES, (*controls, effect), strict=True))
    return Learner("dr", target, boosters, {"treated_share": share})


def fit_learner(
    kind: str,
    target: str,
    matrix: np.ndarray,
    y: np.ndarray,
    treatment: np.ndarray,
    categorical: list[int],
    settings: LightGBMSettings,
    *,
    refit: bool = True,
    binned: Any = None,
) -> Learner:
    """Fit one meta-learner of ``kind`` for ``target`` ('conversion' 0/1 or 'revenue' >= 0).

    ``matrix`` is the encoded feature matrix, ``treatment`` is 0/1, ``categorical`` lists the
    column indices that are categorical codes. ``decomposition`` is fitted by
    :func:`fit_value_model` instead. ``refit=False`` (cross-validation) keeps each booster as
    early stopping left it, and fits ``two`` on LightGBM directly (same boosters and formula,
    no scikit-uplift wrapper). ``binned`` (:func:`binned_rows` of ``matrix``) is shared by the
    boosters of the LightGBM-direct learners (x, dr, ensemble, and two with ``refit=False``).
    """
    y = np.asarray(y, dtype=np.float64)
    treatment = np.asarray(treatment, dtype=np.int64)
    check_fit_inputs(y, treatment, target)
    if kind in ("x", "dr", "ensemble") and binned is None:
        binned = binned_rows(matrix, categorical, settings)
    if kind == "x":
        return _fit_x_learner(target, matrix, y, treatment, categorical, settings, refit, binned)
    if kind == "dr":
        return _fit_dr_learner(target, matrix, y, treatment, categorical, settings, refit, binned)
    if kind == "ensemble":
        parts = [
            fit_learner(
                part, target, matrix, y, treatment, categorical, settings, refit=refit,
                binned=binned,
            )
            for part in ENSEMBLE_PARTS
        ]  # fmt: skip
        return ensemble_learner(*parts)
    if kind == "two" and not refit:
        boosters = {
            role: train_booster(
                matrix, y[treatment == arm], target, settings, categorical, refit=False,
                rows=np.flatnonzero(treatment == arm), binned=binned,
            )
            for role, arm in (("treated", 1), ("control", 0))
        }  # fmt: skip
        return Learner("two", target, boosters)
    if kind in WRAPPED_FITS and (kind not in TARGET_ONLY or TARGET_ONLY[kind] == target):
        names = feature_names(matrix.shape[1])
        frame = feature_frame(matrix, names)
        cat_names = [names[j] for j in categorical]
        return WRAPPED_FITS[kind](kind, target, frame, y, treatment, cat_names, settings)
    raise ValueError(f"unknown {target} learner kind '{kind}'")


def _fit_solo(kind, target, frame, y, treatment, cat_names, settings) -> Learner:
    """S-learner with treatment interaction (scikit-uplift's ``SoloModel``)."""
    design = solo_design(frame, treatment)
    cats = cat_names + [name + INTERACTION_SUFFIX for name in cat_names]
    rounds = rounds_by_early_stopping(design, y, target, settings, cats)
    estimator = lightgbm_estimator(target, settings.params(len(y)), rounds)
    wrapper = SoloModel(estimator, method="treatment_interaction")
    fit_params = {"categorical_feature": cats or "auto"}
    wrapper.fit(frame, y, treatment, estimator_fit_params=fit_params)
    return Learner(kind, target, {"solo": wrapper.estimator.booster_}, wrapper=wrapper)


def _fit_two_models(kind, target, frame, y, treatment, cat_names, settings) -> Learner:
    """T-learner, vanilla or with the control prediction as a feature (``TwoModels``)."""
    treated, control = treatment == 1, treatment == 0
    rounds_t = rounds_by_early_stopping(frame[treated], y[treated], target, settings, cat_names)
    rounds_c = rounds_by_early_stopping(frame[control], y[control], target, settings, cat_names)
    wrapper = TwoModels(
        lightgbm_estimator(target, settings.params(int(treated.sum())), rounds_t),
        lightgbm_estimator(target, settings.params(int(control.sum())), rounds_c),
        method="vanilla" if kind == "two" else "ddr_control",
    )
    fit_params = {"categorical_feature": cat_names or "auto"}
    wrapper.fit(
        frame,
        y,
        treatment,
        estimator_trmnt_fit_params=fit_params,
        estimator_ctrl_fit_params=fit_params,
    )
    boosters = {
        "treated": wrapper.estimator_trmnt.booster_,
        "control": wrapper.estimator_ctrl.booster_,
    }
    return Learner(kind, target, boosters, wrapper=wrapper)


def _fit_class_transformation(kind, target, frame, y, treatment, cat_names, settings) -> Learner:
    """Class transformation plus a control-only model (any treated share)."""
    transformed = (y == treatment).astype(np.float64)
    rounds = rounds_by_early_stopping(frame, transformed, target, settings, cat_names)
    wrapper = ClassTransformation(lightgbm_estimator(target, settings.params(len(y)), rounds))
    wrapper.fit(
        frame, y, treatment, estimator_fit_params={"categorical_feature": cat_names or "auto"}
    )
    control = treatment == 0
    rounds_c = rounds_by_early_stopping(frame[control], y[control], target, settings, cat_names)
    control_model = lightgbm_estimator(target, settings.params(int(control.sum())), rounds_c)
    control_model.fit(frame[control], y[control], categorical_feature=cat_names or "auto")
    boosters = {"ct": wrapper.estimator.booster_, "control": control_model.booster_}
    share = {"treated_share": float(treatment.mean())}
    return Learner(kind, target, boosters, share, wrapper=wrapper)


def _fit_transformed_outcome(kind, target, frame, y, treatment, cat_names, settings) -> Learner:
    """Transformed-outcome regression (``ClassTransformationReg``) for revenue."""
    share = float(treatment.mean())
    transformed = y * (treatment - share) / (share * (1 - share))
    rounds = rounds_by_early_stopping(frame, transformed, target, settings, cat_names)
    estimator = lightgbm_estimator(target, settings.params(len(y)), rounds)
    wrapper = ClassTransformationReg(estimator, propensity_val=share)
    wrapper.fit(
        frame, y, treatment, estimator_fit_params={"categorical_feature": cat_names or "auto"}
    )
    return Learner(
        kind, target, {"ct-reg": wrapper.estimator.booster_}, {"propensity": share}, wrapper
    )


# The learners fitted through scikit-uplift's wrappers; ct and ct-reg model one target each.
WRAPPED_FITS = {
    "solo": _fit_solo,
    "two": _fit_two_models,
    "two-ddr": _fit_two_models,
    "ct": _fit_class_transformation,
    "ct-reg": _fit_transformed_outcome,
}
TARGET_ONLY = {"ct": "conversion", "ct-reg": "revenue"}


def fit_value_model(
    matrix: np.ndarray,
    revenue: np.ndarray,
    converted: np.ndarray,
    categorical: list[int],
    settings: LightGBMSettings,
    *,
    refit: bool = True,
    binned: Any = None,
) -> Learner:
    """E[order value | converted] on converters of both arms: the revenue decomposition's factor.

    ``binned`` (:func:`binned_rows` of ``matrix``) is used with ``refit=False``.
    """
    if not refit:
        buyers = np.asarray(converted) == 1
        if buyers.sum() < 2:
            raise ValueError("the decomposition needs converted customers")
        values = np.asarray(revenue, dtype=np.float64)[buyers]
        booster = train_booster(
            matrix, values, "revenue", settings, categorical, refit=False,
            rows=np.flatnonzero(buyers), binned=binned,
        )  # fmt: skip
        return Learner("decomposition", "revenue", {"value": booster})
    names = feature_names(matrix.shape[1])
    cat_names = [names[j] for j in categorical]
    buyers = np.asarray(converted) == 1
    frame = feature_frame(matrix[buyers], names)
    values = np.asarray(revenue, dtype=np.float64)[buyers]
    if len(values) < 2:
        raise ValueError("the decomposition needs converted customers")
    rounds = rounds_by_early_stopping(frame, values, "revenue", settings, cat_names)
    model = lightgbm_estimator("revenue", settings.params(len(values)), rounds)
    model.fit(frame, values, categorical_feature=cat_names or "auto")
    return Learner("decomposition", "revenue", {"value": model.booster_}, wrapper=model)


def mean_order_value(revenue: np.ndarray, converted: np.ndarray) -> float:
    """Mean revenue of converted customers (both arms): the ``conv-value`` factor, which
    ranks revenue exactly as the conversion uplift does."""
    buyers = np.asarray(converted) == 1
    if buyers.sum() < 1:
        raise ValueError("the conv-value learner needs converted customers")
    return float(np.maximum(np.asarray(revenue, dtype=np.float64)[buyers].mean(), 0.0))


def fit_conversion_value(revenue: np.ndarray, converted: np.ndarray) -> Learner:
    """Revenue uplift = conversion uplift x the converters' mean order value (no booster)."""
    return Learner(
        "conv-value", "revenue", {}, {"order_value": mean_order_value(revenue, converted)}
    )


def fit_arm_model(
    arm: str,
    matrix: np.ndarray,
    converted: np.ndarray,
    revenue: np.ndarray | None,
    treatment: np.ndarray,
    categorical: list[int],
    conversion_kind: str,
    revenue_kind: str | None,
    settings: LightGBMSettings,
) -> ArmModel:
    """Fit the conversion learner and (when revenue is given) the revenue learner of one arm.

    With ``settings.n_jobs`` > 1 the two are fitted at once on threads of one core each
    (LightGBM releases the GIL), which stays fast on a machine other jobs keep busy.
    """
    with_revenue = revenue is not None and revenue_kind is not None
    threads = 2 if with_revenue and settings.n_jobs > 1 else 1
    each = replace(settings, n_jobs=1) if threads > 1 else settings

    def fit(target: str) -> Learner:
        if target == "conversion":
            return fit_learner(
                conversion_kind, "conversion", matrix, converted, treatment, categorical, each
            )
        if revenue_kind == "decomposition":
            return fit_value_model(matrix, revenue, converted, categorical, each)
        if revenue_kind == "conv-value":
            return fit_conversion_value(revenue, converted)
        return fit_learner(revenue_kind, "revenue", matrix, revenue, treatment, categorical, each)

    targets = ["conversion", "revenue"] if with_revenue else ["conversion"]
    if threads > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            learners = list(pool.map(fit, targets))
    else:
        learners = [fit(target) for target in targets]
    return ArmModel(arm, learners[0], learners[1] if with_revenue else None)
