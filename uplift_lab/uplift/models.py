"""Uplift meta-learners: scikit-uplift wrappers fitted on LightGBM base learners.

Fitting goes through scikit-uplift (``SoloModel``, ``TwoModels``, ``ClassTransformation``,
``ClassTransformationReg``); what is kept afterwards is only the LightGBM boosters, and
prediction is re-implemented here from the boosters with the same formulas as scikit-uplift, so
that a model saved as booster text files (store.py) predicts exactly what was fitted in memory:

- ``solo``: S-learner with treatment interaction: one model on ``[X, X * t, t]``,
  uplift = f([X, X, 1]) - f([X, 0 * X, 0]).
- ``two`` / ``two-ddr``: T-learner, one model per arm; ``ddr`` feeds the control model's
  prediction to the treated model as an extra feature (``ddr_control``).
- ``ct``: class transformation z = y*t + (1-y)*(1-t). scikit-uplift's uplift 2 P(z=1) - 1 holds
  for a 50/50 split only; since P(z=1) = p p_t + (1 - p)(1 - p_c) with p the treated share, a
  control-only model for p_c gives p_t = (P(z=1) - (1 - p)(1 - p_c)) / p for any split (the two
  agree at p = 0.5), so that the uplift keeps its scale (incremental conversion probability).
- ``ct-reg``: transformed outcome y (t - p) / (p (1 - p)) regressed on X, p = share treated.
- ``x``: X-learner (Kunzel et al. 2019) fitted on LightGBM directly: the T-learner's two
  outcome models, then imputed effects y - mu0(x) (treated) and mu1(x) - y (control), each
  regressed on X; uplift = p tau_control(x) + (1 - p) tau_treated(x), p = share treated (the
  propensity of a randomized campaign).
- ``dr``: DR-learner (Kennedy 2023): outcome models mu0, mu1 cross-fitted on two halves, so
  each row's pseudo-outcome mu1 - mu0 + t (y - mu1) / p - (1 - t) (y - mu0) / (1 - p) uses
  models that did not see it; the pseudo-outcome is regressed on X. p_control is the mean of
  the two control models.
- ``ensemble``: the mean uplift of the T-, X- and DR-learners (the T-learner is the X-learner's
  first stage, so two learners are fitted); averaging learners with different errors lowers
  the variance of the ranking.
- ``decomposition`` (revenue only): uplift_conversion x E[order value | converted].

Each booster's number of rounds is chosen by early stopping on a validation fold (20% of the
rows it is trained on); the booster is then refitted on all of them with that number. Inside
cross-validation (``refit=False``) the early-stopped booster itself is kept (one training per
booster instead of two).

A *bagged* learner (:func:`bagged_learner`) holds several fitted learners of one kind, e.g. the
K cross-validation fold models, under the roles ``bag<i>.<role>``; it predicts their mean
(``params['bag_size']`` says how many). Every prediction function here averages over them.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

CONVERSION_KINDS = ("solo", "two", "two-ddr", "ct", "x", "dr", "ensemble")
REVENUE_KINDS = (
    "solo", "two", "two-ddr", "ct-reg", "x", "dr", "ensemble", "decomposition", "conv-value"
)  # fmt: skip
# Revenue learners that multiply the arm's conversion uplift by an order value (a model of it,
# or the training converters' mean), so that revenue is calibrated through conversion.
VALUE_KINDS = ("decomposition", "conv-value")
# Roles of the boosters each directly fitted learner stores (store.py reads these names).
X_ROLES = ("treated", "control", "effect_treated", "effect_control")
DR_ROLES = ("control_0", "control_1", "effect")
# The ensemble stores its X- and DR-learner's boosters as "x.<role>" and "dr.<role>"; its
# T-learner is the X-learner's first stage.
ENSEMBLE_PARTS = ("x", "dr")
DIRECT_KINDS = ("x", "dr", "ensemble")  # fitted on LightGBM directly, predicted by effect models
INTERACTION_SUFFIX = "_treatment_interaction"
BAG_SIZE = "bag_size"  # params key of a bagged learner: how many members it averages
BAG_PREFIX = "bag"  # member i's boosters and params are stored as "bag<i>.<name>"


@dataclass(frozen=True, slots=True)
class LightGBMSettings:
    """LightGBM defaults for small, noisy marketing data: shallow trees, large leaves, slow rate."""

    learning_rate: float = 0.05
    num_leaves: int = 4
    min_child_samples: int = 100
    max_rounds: int = 300
    early_stopping_rounds: int = 15
    validation_share: float = 0.2
    n_jobs: int = 2
    seed: int = 0

    def params(self, n_rows: int) -> dict[str, Any]:
        # Small data sets (tests, thin strata) cannot afford 100 rows per leaf.
        min_child = int(min(self.min_child_samples, max(5, n_rows // 20)))
        return {
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_child_samples": min_child,
            "subsample": 1.0,
            "colsample_bytree": 1.0,
            "reg_lambda": 1.0,
            "random_state": self.seed,
            "deterministic": True,
            "force_row_wise": True,
            "n_jobs": self.n_jobs,
            "verbose": -1,
        }


@dataclass(frozen=True)
class Learner:
    """A fitted meta-learner: its kind, target ('conversion'/'revenue') and boosters by role.

    ``wrapper`` is the in-memory scikit-uplift object (None after loading from disk); only the
    boosters are stored.
    """

    kind: str
    target: str
    boosters: Mapping[str, Any]
    params: Mapping[str, float] = field(default_factory=dict)
    wrapper: Any = None


@dataclass(frozen=True)
class ArmModel:
    """Uplift of one treated arm against control: a conversion learner and a revenue learner."""

    arm: str
    conversion: Learner
    revenue: Learner | None


@dataclass(frozen=True, slots=True)
class ArmPrediction:
    """Per-customer predictions for one treated arm."""

    uplift_conversion: np.ndarray
    p_control: np.ndarray
    p_treated: np.ndarray
    uplift_revenue: np.ndarray | None
    # The decomposition's E[order value | converted]: revenue uplift = conversion uplift x this.
    order_value: np.ndarray | None = None


def feature_names(n_features: int) -> list[str]:
    """Internal feature names f0..f{n-1} (LightGBM and scikit-uplift need plain text names)."""
    return [f"f{j}" for j in range(n_features)]


def feature_frame(matrix: np.ndarray, names: list[str]) -> pd.DataFrame:
    """The encoded matrix as a DataFrame with internal names (what the wrappers are fitted on)."""
    return pd.DataFrame(matrix, columns=names, copy=False)


def lightgbm_estimator(target: str, params: Mapping[str, Any], rounds: int) -> Any:
    """An unfitted LGBMClassifier (conversion) or LGBMRegressor (revenue) with ``rounds`` trees."""
    import lightgbm as lgb

    cls = lgb.LGBMClassifier if target == "conversion" else lgb.LGBMRegressor
    return cls(n_estimators=int(rounds), **params)


def rounds_by_early_stopping(
    matrix: pd.DataFrame,
    y: np.ndarray,
    target: str,
    settings: LightGBMSettings,
    categorical: list[str],
) -> int:
    """Number of boosting rounds that minimises the loss on a held-out 20% validation fold."""
    import lightgbm as lgb

    n = len(y)
    rng = np.random.default_rng(settings.seed)
    order = rng.permutation(n)
    n_valid = int(round(n * settings.validation_share))
    if n_valid < 20 or n - n_valid < 20:
        return max(10, settings.max_rounds // 10)
    valid, train = np.sort(order[:n_valid]), np.sort(order[n_valid:])
    if target == "conversion" and (len(np.unique(y[train])) < 2 or len(np.unique(y[valid])) < 2):
        return 10
    estimator = lightgbm_estimator(target, settings.params(len(train)), settings.max_rounds)
    estimator.fit(
        matrix.iloc[train],
        y[train],
        eval_X=matrix.iloc[valid],
        eval_y=y[valid],
        categorical_feature=categorical or "auto",
        callbacks=[lgb.early_stopping(settings.early_stopping_rounds, verbose=False)],
    )
    return int(max(estimator.best_iteration_ or settings.max_rounds, 5))


def _solo_design(frame: pd.DataFrame, treatment: np.ndarray) -> pd.DataFrame:
    """The S-learner's design matrix as scikit-uplift builds it: [X, X * t, t]."""
    interaction = frame.mul(treatment, axis=0)
    interaction = interaction.rename(columns=lambda name: name + INTERACTION_SUFFIX)
    return pd.concat([frame, interaction], axis=1).assign(treatment=treatment)


def _check_fit_inputs(y: np.ndarray, treatment: np.ndarray, target: str) -> None:
    if len(np.unique(treatment)) != 2:
        raise ValueError("treatment must hold both 0 and 1")
    if target == "conversion" and len(np.unique(y)) != 2:
        raise ValueError("conversion outcome must hold both 0 and 1")


def _booster_params(target: str, settings: LightGBMSettings, n_rows: int) -> dict[str, Any]:
    params = dict(settings.params(n_rows))
    params["objective"] = "binary" if target == "conversion" else "regression"
    # The rows are binned once for boosters with different leaf sizes (binned_rows).
    params["feature_pre_filter"] = False
    return params


def binned_rows(matrix: np.ndarray, categorical: list[int], settings: LightGBMSettings) -> Any:
    """``matrix`` binned once as a LightGBM Dataset, for :func:`train_booster`'s ``binned``.

    Every booster of one cross-validation fold (outcome, effect and value models, both
    targets) trains on a subset of these rows; LightGBM's subsets share the bin boundaries, so
    the rows are binned once per fold instead of once per booster.
    """
    import lightgbm as lgb

    params = _booster_params("conversion", settings, len(matrix))
    names = feature_names(matrix.shape[1])
    return lgb.Dataset(
        np.asarray(matrix, dtype=np.float64),
        label=np.zeros(len(matrix)),
        feature_name=names,
        categorical_feature=[names[j] for j in categorical] or "auto",
        params=params,
        free_raw_data=True,
    ).construct()


def _rows_of(binned: Any, rows: np.ndarray, y: np.ndarray, params: dict[str, Any]) -> Any:
    """The ``rows`` (sorted) of a binned Dataset with labels ``y``."""
    part = binned.subset(rows.tolist(), params=params).construct()
    part.set_label(y)
    return part


def train_booster(
    matrix: np.ndarray,
    y: np.ndarray,
    target: str,
    settings: LightGBMSettings,
    categorical: list[int],
    *,
    refit: bool = True,
    rows: np.ndarray | None = None,
    binned: Any = None,
) -> Any:
    """One LightGBM booster on ``matrix`` (internal names f0..), rounds by early stopping.

    ``rows`` (sorted indices; None: all) selects the rows it trains on, ``y`` their labels;
    ``binned`` is :func:`binned_rows` of ``matrix`` when several boosters share it. The 80/20
    early-stopping split and the refit on all rows are subsets of the same binned Dataset.
    ``target`` 'conversion' fits a binary model on 0/1 labels, anything else a least-squares
    regression (outcomes, imputed effects, pseudo-outcomes). ``refit=False`` returns the
    early-stopped booster (cross-validation).
    """
    import lightgbm as lgb

    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    rows = np.arange(n) if rows is None else np.asarray(rows, dtype=np.int64)
    if len(rows) != n or np.any(np.diff(rows) <= 0):
        raise ValueError("rows must be sorted, distinct, one per label")
    params = _booster_params(target, settings, n)
    if binned is None:
        binned = binned_rows(matrix, categorical, settings)
    order = np.random.default_rng(settings.seed).permutation(n)
    n_valid = int(round(n * settings.validation_share))
    if n_valid < 20 or n - n_valid < 20:
        full = _rows_of(binned, rows, y, params)
        return lgb.train(params, full, num_boost_round=max(10, settings.max_rounds // 10))
    valid, train = np.sort(order[:n_valid]), np.sort(order[n_valid:])
    if target == "conversion" and (len(np.unique(y[train])) < 2 or len(np.unique(y[valid])) < 2):
        return lgb.train(params, _rows_of(binned, rows, y, params), num_boost_round=10)
    booster = lgb.train(
        params,
        _rows_of(binned, rows[train], y[train], params),
        num_boost_round=settings.max_rounds,
        valid_sets=[_rows_of(binned, rows[valid], y[valid], params)],
        callbacks=[lgb.early_stopping(settings.early_stopping_rounds, verbose=False)],
    )
    rounds = int(max(booster.best_iteration or settings.max_rounds, 5))
    if not refit:
        booster.best_iteration = rounds  # predict() uses the first ``rounds`` trees
        return booster
    return lgb.train(params, _rows_of(binned, rows, y, params), num_boost_round=rounds)


def ensemble_learner(x_learner: Learner, dr_learner: Learner) -> Learner:
    """The ensemble of a fitted X- and DR-learner (boosters and params under prefixes)."""
    boosters, params = {}, {}
    for part in (x_learner, dr_learner):
        boosters.update({f"{part.kind}.{role}": b for role, b in part.boosters.items()})
        params.update({f"{part.kind}.{key}": value for key, value in part.params.items()})
    return Learner("ensemble", x_learner.target, boosters, params)


def ensemble_parts(learner: Learner) -> list[Learner]:
    """The T-, X- and DR-learners inside an ensemble."""
    parts = []
    for kind in ENSEMBLE_PARTS:
        prefix = kind + "."
        boosters = {
            k[len(prefix) :]: b for k, b in learner.boosters.items() if k.startswith(prefix)
        }
        params = {k[len(prefix) :]: v for k, v in learner.params.items() if k.startswith(prefix)}
        parts.append(Learner(kind, learner.target, boosters, params))
    first_stage = {role: parts[0].boosters[role] for role in ("treated", "control")}
    return [Learner("two", learner.target, first_stage), *parts]


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
    effect_t = y[treated] - _predict(model_c, matrix[treated])
    effect_c = _predict(model_t, matrix[control]) - y[control]
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
            out[predict_rows] = _predict(model, matrix[predict_rows])
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
    from sklift.models import ClassTransformation, ClassTransformationReg, SoloModel, TwoModels

    y = np.asarray(y, dtype=np.float64)
    treatment = np.asarray(treatment, dtype=np.int64)
    _check_fit_inputs(y, treatment, target)
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
    names = feature_names(matrix.shape[1])
    cat_names = [names[j] for j in categorical]
    frame = feature_frame(matrix, names)
    params = settings.params(len(y))
    if kind == "solo":
        design = _solo_design(frame, treatment)
        cats = cat_names + [name + INTERACTION_SUFFIX for name in cat_names]
        rounds = rounds_by_early_stopping(design, y, target, settings, cats)
        estimator = lightgbm_estimator(target, params, rounds)
        wrapper = SoloModel(estimator, method="treatment_interaction")
        fit_params = {"categorical_feature": cats or "auto"}
        wrapper.fit(frame, y, treatment, estimator_fit_params=fit_params)
        return Learner(kind, target, {"solo": wrapper.estimator.booster_}, wrapper=wrapper)
    if kind in ("two", "two-ddr"):
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
    if kind == "ct" and target == "conversion":
        transformed = (y == treatment).astype(np.float64)
        rounds = rounds_by_early_stopping(frame, transformed, target, settings, cat_names)
        wrapper = ClassTransformation(lightgbm_estimator(target, params, rounds))
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
    if kind == "ct-reg" and target == "revenue":
        share = float(treatment.mean())
        transformed = y * (treatment - share) / (share * (1 - share))
        rounds = rounds_by_early_stopping(frame, transformed, target, settings, cat_names)
        estimator = lightgbm_estimator(target, params, rounds)
        wrapper = ClassTransformationReg(estimator, propensity_val=share)
        wrapper.fit(
            frame, y, treatment, estimator_fit_params={"categorical_feature": cat_names or "auto"}
        )
        return Learner(
            kind, target, {"ct-reg": wrapper.estimator.booster_}, {"propensity": share}, wrapper
        )
    raise ValueError(f"unknown {target} learner kind '{kind}'")


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


def bagged_learner(members: list[Learner]) -> Learner:
    """One learner predicting the mean of ``members`` (fitted learners of one kind and target).

    Used for the final model: the mean of the K cross-validation fold models varies less than
    one model refitted on all rows (bagging, Breiman 1996), and costs no further training.
    """
    kinds = {(member.kind, member.target) for member in members}
    if len(kinds) != 1 or any(is_bagged(member) for member in members):
        raise ValueError("a bag holds unbagged learners of one kind and target")
    if len(members) == 1:
        return members[0]
    boosters, params = {}, {BAG_SIZE: float(len(members))}
    for index, member in enumerate(members):
        prefix = f"{BAG_PREFIX}{index}."
        boosters.update({prefix + role: b for role, b in member.boosters.items()})
        params.update({prefix + key: value for key, value in member.params.items()})
    kind, target = kinds.pop()
    return Learner(kind, target, boosters, params)


def is_bagged(learner: Learner) -> bool:
    return BAG_SIZE in learner.params


def bag_members(learner: Learner) -> list[Learner]:
    """The learners a bagged learner averages (the learner itself when it is not bagged)."""
    if not is_bagged(learner):
        return [learner]
    members = []
    for index in range(int(learner.params[BAG_SIZE])):
        prefix = f"{BAG_PREFIX}{index}."
        boosters = {
            k[len(prefix) :]: b for k, b in learner.boosters.items() if k.startswith(prefix)
        }
        params = {k[len(prefix) :]: v for k, v in learner.params.items() if k.startswith(prefix)}
        members.append(Learner(learner.kind, learner.target, boosters, params))
    return members


def _predict(booster: Any, matrix: np.ndarray) -> np.ndarray:
    """A booster's predictions. Off the main thread (training's parallel folds) LightGBM is
    held to one thread: its OpenMP predict, entered from several Python threads at once, can
    crash the process (seen as exit 139 in `train`)."""
    if threading.current_thread() is not threading.main_thread():
        return np.asarray(booster.predict(matrix, num_threads=1), dtype=np.float64)
    return np.asarray(booster.predict(matrix), dtype=np.float64)


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
        return _predict(boosters["solo"], if_treated), _predict(boosters["solo"], if_control)
    control = _predict(boosters["control"], matrix)
    if learner.kind == "two":
        return _predict(boosters["treated"], matrix), control
    if learner.kind == "two-ddr":
        return _predict(boosters["treated"], np.column_stack([matrix, control])), control
    raise ValueError(f"learner '{learner.kind}' has no per-arm predictions")


def direct_effect_prediction(learner: Learner, matrix: np.ndarray) -> np.ndarray:
    """Uplift of the X- or DR-learner (the effect model(s), weighted by the treated share), or
    the ensemble's mean of its parts."""
    boosters = learner.boosters
    if learner.kind == "ensemble":
        return np.mean([predict_learner(part, matrix) for part in ensemble_parts(learner)], axis=0)
    if learner.kind == "dr":
        return _predict(boosters["effect"], matrix)
    share = float(learner.params["treated_share"])
    effect_t = _predict(boosters["effect_treated"], matrix)
    return share * _predict(boosters["effect_control"], matrix) + (1.0 - share) * effect_t


def direct_control_prediction(learner: Learner, matrix: np.ndarray) -> np.ndarray:
    """Outcome without treatment of the X-learner (its control model) or the DR-learner (the
    mean of its two cross-fitted control models)."""
    if learner.kind == "x":
        return _predict(learner.boosters["control"], matrix)
    if learner.kind == "ensemble":
        return _predict(learner.boosters["x.control"], matrix)
    return (
        _predict(learner.boosters["control_0"], matrix)
        + _predict(learner.boosters["control_1"], matrix)
    ) / 2.0


def class_transformation_predictions(
    learner: Learner, matrix: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(p_treated, p_control)`` of the class-transformation learner, for any treated share."""
    share = float(learner.params.get("treated_share", 0.5))
    p_z = _predict(learner.boosters["ct"], matrix)
    p_control = _predict(learner.boosters["control"], matrix)
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
        return _predict(learner.boosters["ct-reg"], matrix)
    if learner.kind in DIRECT_KINDS:
        return direct_effect_prediction(learner, matrix)
    if learner.kind in VALUE_KINDS:
        raise ValueError(f"the {learner.kind} learner needs the conversion uplift: use predict_arm")
    treated, control = treated_and_control_predictions(learner, matrix)
    return treated - control


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


def predict_value(learner: Learner, matrix: np.ndarray) -> np.ndarray:
    """Expected order value of a converter (the decomposition's factor), floored at 0."""
    members = bag_members(learner)
    value = np.mean([_predict(m.boosters["value"], matrix) for m in members], axis=0)
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
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=threads) as pool:
            learners = list(pool.map(fit, targets))
    else:
        learners = [fit(target) for target in targets]
    return ArmModel(arm, learners[0], learners[1] if with_revenue else None)


def without_wrappers(model: ArmModel) -> ArmModel:
    """The same model keeping only boosters (what store.py writes and reads)."""
    revenue = replace(model.revenue, wrapper=None) if model.revenue else None
    return replace(model, conversion=replace(model.conversion, wrapper=None), revenue=revenue)
