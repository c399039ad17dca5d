"""Uplift meta-learners on LightGBM base learners: settings, learners, boosters and bags.

Fitting (:mod:`uplift_lab.uplift.learners`) goes through scikit-uplift (``SoloModel``,
``TwoModels``, ``ClassTransformation``, ``ClassTransformationReg``) or LightGBM directly; what
is kept afterwards is only the LightGBM boosters, and prediction
(:mod:`uplift_lab.uplift.predict`) is re-implemented from the boosters with the same formulas as
scikit-uplift, so that a model saved as booster text files (store.py) predicts exactly what was
fitted in memory:

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

import lightgbm as lgb
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


def solo_design(frame: pd.DataFrame, treatment: np.ndarray) -> pd.DataFrame:
    """The S-learner's design matrix as scikit-uplift builds it: [X, X * t, t]."""
    interaction = frame.mul(treatment, axis=0)
    interaction = interaction.rename(columns=lambda name: name + INTERACTION_SUFFIX)
    return pd.concat([frame, interaction], axis=1).assign(treatment=treatment)


def check_fit_inputs(y: np.ndarray, treatment: np.ndarray, target: str) -> None:
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


def predict_booster(booster: Any, matrix: np.ndarray) -> np.ndarray:
    """A booster's predictions. Off the main thread (training's parallel folds) LightGBM is
    held to one thread: its OpenMP predict, entered from several Python threads at once, can
    crash the process (seen as exit 139 in `train`)."""
    if threading.current_thread() is not threading.main_thread():
        return np.asarray(booster.predict(matrix, num_threads=1), dtype=np.float64)
    return np.asarray(booster.predict(matrix), dtype=np.float64)


def without_wrappers(model: ArmModel) -> ArmModel:
    """The same model keeping only boosters (what store.py writes and reads)."""
    revenue = replace(model.revenue, wrapper=None) if model.revenue else None
    return replace(model, conversion=replace(model.conversion, wrapper=None), revenue=revenue)
