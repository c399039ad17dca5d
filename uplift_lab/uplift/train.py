"""Training loop: randomization check, K-fold cross-validated candidates, model choice, final fit.

Every candidate learner is scored on held-out folds only (folds stratified by arm x outcome);
``auto`` picks, per treated arm and outcome, the learner with the highest held-out Qini mean minus
one standard error over the folds (:func:`selection_score`), so that a learner whose Qini swings
from fold to fold does not win on one lucky fold. The final model of each chosen learner is the
mean of its K fold models (bagging: lower variance than one refit on all rows, and no further
training); ``final="refit"`` refits on all rows instead. The held-out predictions are kept so
that ``evaluate`` can report on them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from uplift_lab import __version__
from uplift_lab.errors import Named, ParameterError, literal, usage_error
from uplift_lab.uplift.calibration import calibrate_held_out
from uplift_lab.uplift.cross_fit import (
    ArmFits,
    ArmRows,
    cross_fit,
    fold_learners,
    fold_workers,
    run_in_threads,
)
from uplift_lab.uplift.data import TrainingData
from uplift_lab.uplift.features import FeatureSpec
from uplift_lab.uplift.learners import fit_arm_model, fit_conversion_value
from uplift_lab.uplift.models import (
    CONVERSION_KINDS,
    REVENUE_KINDS,
    VALUE_KINDS,
    ArmModel,
    Learner,
    LightGBMSettings,
    bagged_learner,
    feature_frame,
    feature_names,
    lightgbm_estimator,
    without_wrappers,
)
from uplift_lab.uplift.post_treatment import arm_association
from uplift_lab.uplift.selection import (
    baseline_records,
    best_candidate,
    score_candidates,
)

_fold_learners = fold_learners  # experiments/hillstrom/bag_vs_refit.py fits folds through it

# Candidates of ``auto``. solo, two-ddr, ct and ct-reg stay available by name but are not
# tried by default: on the Hillstrom half split none of them ranked the test half better than
# the best of the T-, X- and DR-learners and their ensemble (visit uplift@30% 0.065-0.071 vs
# 0.073; spend 711-3,874 vs 4,000), and fitted through scikit-uplift they cost most of the
# training time. The T-learner is free next to the X-learner (its first stage).
AUTO_CONVERSION_KINDS = ("two", "x", "dr", "ensemble")
AUTO_REVENUE_KINDS = ("two", "x", "dr", "ensemble", "decomposition", "conv-value")
FINAL_MODELS = ("bag", "refit")  # the K fold models' mean, or one refit on all rows
PROPENSITY_AUC_LIMIT = 0.6
# Feature columns copied into the held-out predictions as they are (for reading the report);
# the RFM-rule baseline's columns come from TrainingData.rfm_values.
BASELINE_FEATURES = ("lifecycle",)
PROPENSITY_CHANCE_DRAWS = 10  # reshuffles of the arms that measure what chance gives
PROPENSITY_CHANCE_Z = 4.0  # a small campaign's AUC must exceed chance by this many sds
PROPENSITY_MAX_ROWS = 50_000  # AUC standard error ~0.003 there, far below the 0.1 margin
NOT_RANDOMIZED_FIX = (  # a UsageError template (the CLI reads --allow-observational)
    "Uplift models need a randomized campaign. Drop features that decided who was sent, "
    "or pass {allow_observational} if you accept biased estimates"
)


@dataclass(frozen=True)
class UpliftModel:
    """A trained uplift model: one :class:`ArmModel` per treated arm, plus what scoring needs."""

    id_col: str
    control: str
    arms: tuple[str, ...]
    specs: tuple[FeatureSpec, ...]
    arm_models: tuple[ArmModel, ...]
    settings: LightGBMSettings
    training_sha256: str
    n_rows: int
    cv_metrics: dict
    meta: dict
    id_kind: str = "text"  # "integer": score writes the ids as int64
    value_per_conversion: float | None = None  # uplift_revenue = this x uplift_conversion
    calibration: dict | None = None  # {arm: {target: UpliftCalibration JSON}} (calibration.py)
    feature_choice: dict | None = None  # dropped columns by reason, date reference

    @property
    def categorical(self) -> list[int]:
        return [j for j, spec in enumerate(self.specs) if spec.kind == "categorical"]


@dataclass(frozen=True)
class TrainResult:
    """The trained model, every candidate's held-out scores, and the held-out predictions."""

    model: UpliftModel
    candidates: pd.DataFrame
    propensity_auc: dict[str, float]
    cv_predictions: pd.DataFrame
    baselines: pd.DataFrame | None = None


def propensity_auc(
    matrix: np.ndarray, treatment: np.ndarray, categorical: list[int], settings: LightGBMSettings
) -> float:
    """Cross-validated (3-fold) AUC of a LightGBM model predicting treatment from the features.

    Near 0.5 for a randomized campaign; clearly above means the features decided who was sent.
    """
    rng = np.random.default_rng(settings.seed)
    rows = np.arange(len(treatment))
    if len(rows) > PROPENSITY_MAX_ROWS:
        rows = np.sort(rng.choice(rows, PROPENSITY_MAX_ROWS, replace=False))
    names = feature_names(matrix.shape[1])
    frame = feature_frame(matrix[rows], names)
    target = treatment[rows]
    if np.bincount(target, minlength=2).min() < 3:
        return 0.5
    scores = np.zeros(len(rows))
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=settings.seed)
    cats = [names[j] for j in categorical] or "auto"
    workers = fold_workers(3, settings)
    one_thread = replace(settings, n_jobs=1) if workers > 1 else settings

    def run_fold(split) -> None:
        train, test = split
        model = lightgbm_estimator("conversion", one_thread.params(len(train)), 100)
        model.fit(frame.iloc[train], target[train], categorical_feature=cats)
        scores[test] = model.predict_proba(frame.iloc[test])[:, 1]

    run_in_threads(run_fold, list(folds.split(frame, target)), workers)
    return float(roc_auc_score(target, scores))


def chance_propensity_auc(
    matrix: np.ndarray, treatment: np.ndarray, categorical: list[int], settings: LightGBMSettings
) -> tuple[float, float]:
    """Mean and standard deviation of :func:`propensity_auc` over seeded reshuffles of the arms:
    what chance alone gives on these rows (on a few hundred customers the cross-validated AUC
    of random arms spreads about +-0.05, so 0.6 alone is no evidence there)."""
    rng = np.random.default_rng(settings.seed + 1)
    draws = [
        propensity_auc(matrix, rng.permutation(treatment), categorical, settings)
        for _ in range(PROPENSITY_CHANCE_DRAWS)
    ]
    return float(np.mean(draws)), float(np.std(draws, ddof=1))


def chance_matters(treatment: np.ndarray) -> bool:
    """Whether the AUC limit lies within 8 of chance's standard deviations (Mann-Whitney's,
    which the cross-validated AUC's exceeds): a small campaign, where chance is measured."""
    n_treated = int(treatment.sum())
    n_control = len(treatment) - n_treated
    if min(n_treated, n_control) == 0:
        return False
    sd = np.sqrt((n_treated + n_control + 1) / (12.0 * n_treated * n_control))
    return PROPENSITY_AUC_LIMIT - 0.5 < 8 * sd


def fold_ids(data: TrainingData, n_folds: int, seed: int) -> np.ndarray:
    """Fold number per row, stratified by arm x conversion (so every fold has every cell)."""
    strata = pd.Series(data.arm).astype(str) + "|" + pd.Series(data.conversion).astype(str)
    counts = strata.value_counts()
    if counts.min() < n_folds:
        cell = str(counts.idxmin()).removesuffix(".0")  # 'control|1', not 'control|1.0'
        raise usage_error(
            "training data",
            f"the cell '{literal(cell)}' (arm|converted) has only {counts.min()}"
            f" row(s), fewer than {n_folds} folds",
            "Use fewer {n_folds} or more data",
        )
    folds = np.empty(len(strata), dtype=np.int64)
    splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    for number, (_, test) in enumerate(splitter.split(np.zeros(len(strata)), strata)):
        folds[test] = number
    return folds


def _candidates(
    choice: str, kinds: Sequence[str], parameter: str, auto: Sequence[str]
) -> tuple[str, ...]:
    if choice == "auto":
        return tuple(auto)
    if choice not in kinds:
        raise ParameterError(
            parameter, f"must be 'auto' or one of {', '.join(kinds)}", choice, example="auto"
        )
    return (choice,)


def train_uplift_model(
    data: TrainingData,
    *,
    conversion_model: str = "auto",
    revenue_model: str = "auto",
    n_folds: int = 5,
    settings: LightGBMSettings | None = None,
    allow_observational: bool = False,
    progress=None,
    value_per_conversion: float | None = None,
    final: str = "bag",
) -> TrainResult:
    """Check randomization, cross-validate the candidates, pick, and build the final model.

    ``final`` ``"bag"`` (default) keeps the chosen learners' K fold models and predicts their
    mean (:func:`bagged_arm_model`); ``"refit"`` fits the chosen learners again on all rows.

    ``progress`` (optional) is called with a short text before each step, for the CLI.
    ``value_per_conversion`` (instead of a revenue column) values every incremental conversion
    at that amount: ``score`` then writes ``uplift_revenue = V x uplift_conversion``.
    """
    settings = settings or LightGBMSettings()
    _check_value_per_conversion(value_per_conversion, data)
    conversion_kinds, revenue_kinds = _checked_candidates(
        data, conversion_model, revenue_model, n_folds, final
    )
    matrix = data.matrix()
    categorical = [j for j, spec in enumerate(data.specs) if spec.kind == "categorical"]
    step = progress or (lambda text: None)
    aucs = _randomization_check(data, matrix, categorical, settings, allow_observational, step)
    folds = fold_ids(data, n_folds, settings.seed)
    plan = _Plan(data, matrix, categorical, settings, n_folds, conversion_kinds, revenue_kinds)
    arm_rows = [_arm_rows(data, arm, folds) for arm in data.arms]
    fits = cross_fit(
        data, matrix, categorical, settings, n_folds, arm_rows, conversion_kinds, revenue_kinds,
        lambda arm, fold: step(f"cross-validation ({arm}, fold {fold + 1}/{n_folds})"),
    )  # fmt: skip
    arms = [
        _train_arm(plan, rows, fit, final, step) for rows, fit in zip(arm_rows, fits, strict=True)
    ]
    records = [record for arm in arms for record in arm.records]
    choice = {arm.arm: arm.choice for arm in arms}
    frames = [arm.frame for arm in arms]
    cv_predictions = pd.concat(frames, ignore_index=True)
    baseline_list = _baseline_list(data, frames, n_folds, settings.seed)
    # ---- calibration (uplift/calibration.py): fitted on the out-of-fold predictions above ----
    step("calibration")
    calibration = calibrate_held_out(cv_predictions, data.arms)
    model = UpliftModel(
        id_col=data.id_col,
        control=data.control,
        arms=data.arms,
        specs=data.specs,
        arm_models=tuple(arm.model for arm in arms),
        settings=settings,
        training_sha256=data.source_sha256,
        n_rows=data.n_rows,
        cv_metrics={
            "folds": n_folds,
            "choice": choice,
            # The record lists, not the frames (io.write_json writes an undefined metric,
            # NaN: uplift@k when an arm is absent from a top k, as null).
            "candidates": records,
            "propensity_auc": aucs,
            "rfm_columns": dict(data.rfm_columns),
            "baselines": baseline_list,
        },
        meta={"uplift_lab_version": __version__},
        id_kind=data.id_kind,
        value_per_conversion=value_per_conversion,
        calibration=calibration,
        feature_choice=_feature_choice(data),
    )
    candidates = pd.DataFrame.from_records(records)
    baselines = pd.DataFrame.from_records(baseline_list)
    return TrainResult(model, candidates, aucs, cv_predictions, baselines)


def _checked_candidates(
    data: TrainingData, conversion_model: str, revenue_model: str, n_folds: int, final: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The conversion and revenue learners to cross-validate (no revenue ones without a revenue
    column), after checking ``n_folds`` and ``final``."""
    if n_folds < 2:
        raise ParameterError("n_folds", "must be at least 2", n_folds)
    if final not in FINAL_MODELS:
        raise ParameterError("final", f"must be one of {', '.join(FINAL_MODELS)}", final)
    conversion_kinds = _candidates(
        conversion_model, CONVERSION_KINDS, "conversion_model", AUTO_CONVERSION_KINDS
    )
    revenue_kinds = _candidates(revenue_model, REVENUE_KINDS, "revenue_model", AUTO_REVENUE_KINDS)
    return conversion_kinds, () if data.revenue is None else revenue_kinds


def _baseline_list(
    data: TrainingData, frames: Sequence[pd.DataFrame], n_folds: int, seed: int
) -> list[dict]:
    """The baselines' records of every arm and outcome, on the out-of-fold predictions."""
    return [
        record
        for arm, frame in zip(data.arms, frames, strict=True)
        for target in ("conversion", "revenue")
        if target in frame.columns
        for record in baseline_records(arm, frame, target, n_folds, seed)
    ]


def _feature_choice(data: TrainingData) -> dict:
    """Which default features were left out and why, and the date the day counts start from."""
    return {
        "dropped": {reason: list(columns) for reason, columns in data.dropped_features.items()},
        "reference_date": data.reference_date or None,
        "reference_origin": data.reference_origin or None,
    }


def _randomization_check(
    data: TrainingData,
    matrix: np.ndarray,
    categorical: list[int],
    settings: LightGBMSettings,
    allow_observational: bool,
    step,
) -> dict[str, float]:
    """Propensity AUC per treated arm; refuses non-random arms unless ``allow_observational``."""
    aucs: dict[str, float] = {}
    for arm in data.arms:
        rows = (data.arm == arm) | (data.arm == data.control)
        step(f"randomization check ({arm})")
        treatment = (data.arm[rows] == arm).astype(np.int64)
        aucs[arm] = propensity_auc(matrix[rows], treatment, categorical, settings)
    if allow_observational:
        return aucs
    for arm in sorted(aucs, key=aucs.get, reverse=True):
        if aucs[arm] <= PROPENSITY_AUC_LIMIT:
            break
        rows = (data.arm == arm) | (data.arm == data.control)
        treatment = (data.arm[rows] == arm).astype(np.int64)
        chance = ""
        if chance_matters(treatment):
            step(f"randomization check ({arm}): what chance gives")
            mean, sd = chance_propensity_auc(matrix[rows], treatment, categorical, settings)
            if aucs[arm] - mean <= PROPENSITY_CHANCE_Z * max(sd, 1e-9):
                continue  # within what reshuffled arms give on this few customers
            chance = f"; reshuffled arms give {mean:.3f} +- {sd:.3f} on these {len(treatment)} rows"
        raise usage_error(
            "training data",
            f"treatment looks non-random: a model predicts arm '{literal(arm)}' vs "
            f"'{literal(data.control)}' from the features with AUC {aucs[arm]:.3f} "
            f"(> {PROPENSITY_AUC_LIMIT}{chance}){_telling_features(data, rows)}",
            NOT_RANDOMIZED_FIX,
        )
    return aucs


def _telling_features(data: TrainingData, rows: np.ndarray, shown: int = 3) -> str:
    """The features that tell the arms apart most (Cramer's V of at least 0.1), for the
    refusal to name what to drop (an exposure flag, a rule's input), or ``""``."""
    arm = data.arm[rows]
    strengths = {
        str(name): arm_association(data.features[name].to_numpy()[rows], arm).cramers_v
        for name in data.features.columns
    }
    strong = sorted((v, name) for name, v in strengths.items() if v >= 0.1)[::-1][:shown]
    if not strong:
        return ""
    named = ", ".join(f"'{literal(name)}' (Cramer's V {v:.2f})" for v, name in strong)
    return f"; telling the arms apart most: {named}"


@dataclass(frozen=True, slots=True, eq=False)
class _Plan:
    """What every arm's training shares: the data, its matrix, the settings and candidates."""

    data: TrainingData
    matrix: np.ndarray
    categorical: list[int]
    settings: LightGBMSettings
    n_folds: int
    conversion_kinds: tuple[str, ...]
    revenue_kinds: tuple[str, ...]


@dataclass(frozen=True, slots=True, eq=False)
class _ArmTraining:
    """One treated arm's candidates' records, the choice, held-out predictions and final model."""

    arm: str
    records: list[dict]
    choice: dict[str, str | None]
    frame: pd.DataFrame
    model: ArmModel


def _arm_rows(data: TrainingData, arm: str, folds: np.ndarray) -> ArmRows:
    """The rows of ``arm`` and control, their treatment and folds."""
    rows = np.flatnonzero((data.arm == arm) | (data.arm == data.control))
    return ArmRows(arm, rows, (data.arm[rows] == arm).astype(np.int64), folds[rows])


def _train_arm(plan: _Plan, arm_rows: ArmRows, fits: ArmFits, final: str, step) -> _ArmTraining:
    """Score the cross-validated candidates of one arm vs control, choose, build its final model."""
    data, n_folds = plan.data, plan.n_folds
    arm, rows, treatment = arm_rows.arm, arm_rows.rows, arm_rows.treatment
    fold_of_row = arm_rows.fold_of_row
    predictions, members = fits.predictions, fits.members
    held_out = (data, rows, treatment, fold_of_row, n_folds)
    records = score_candidates(arm, predictions, *held_out, "conversion")
    best_conversion = best_candidate(records)
    best_revenue = None
    if plan.revenue_kinds:
        _add_value_revenue(predictions, plan.revenue_kinds, best_conversion)
        revenue_records = score_candidates(arm, predictions, *held_out, "revenue")
        best_revenue = best_candidate(revenue_records)
        records += revenue_records
    choice = {"conversion": best_conversion, "revenue": best_revenue}
    frame = _held_out_frame(data, arm, rows, treatment, fold_of_row, predictions, choice)
    if final == "bag":
        model = bagged_arm_model(arm, members, best_conversion, best_revenue, data, rows)
    else:
        step(f"final fit ({arm})")
        model = fit_arm_model(
            arm, plan.matrix[rows], data.conversion[rows],
            data.revenue[rows] if data.revenue is not None else None, treatment,
            plan.categorical, best_conversion, best_revenue, plan.settings,
        )  # fmt: skip
    return _ArmTraining(arm, records, choice, frame, without_wrappers(model))


def _add_value_revenue(predictions: dict, revenue_kinds: Sequence[str], best_conversion: str):
    """The revenue candidates that multiply the chosen conversion uplift by an order value."""
    if "decomposition" in revenue_kinds:
        order_value = np.maximum(predictions.pop("value"), 0.0)
        predictions["order_value:decomposition"] = order_value
        predictions["revenue:decomposition"] = (
            predictions[f"conversion:{best_conversion}"] * order_value
        )
    if "conv-value" in revenue_kinds:
        mean_value = predictions.pop("mean_value")
        predictions["order_value:conv-value"] = mean_value
        predictions["revenue:conv-value"] = (
            predictions[f"conversion:{best_conversion}"] * mean_value
        )


def bagged_arm_model(
    arm: str,
    fold_learners: Mapping[str, list[Learner]],
    conversion_kind: str,
    revenue_kind: str | None,
    data: TrainingData,
    rows: np.ndarray,
) -> ArmModel:
    """The final model of one arm as the mean of its K cross-validation fold models.

    The fold models are already fitted (each on K-1 folds, early-stopped on its own
    validation rows); averaging them is bagging over overlapping subsamples, which lowers the
    variance of the ranking that a single refit on all rows would have, at no training cost.
    ``conv-value`` (no booster) takes the converters' mean value over all rows.
    """
    conversion = bagged_learner(fold_learners[f"conversion:{conversion_kind}"])
    revenue = None
    if revenue_kind == "conv-value":
        revenue = fit_conversion_value(data.revenue[rows], data.conversion[rows])
    elif revenue_kind == "decomposition":
        revenue = bagged_learner(fold_learners["value"])
    elif revenue_kind is not None:
        revenue = bagged_learner(fold_learners[f"revenue:{revenue_kind}"])
    return ArmModel(arm, conversion, revenue)


def _check_value_per_conversion(value: float | None, data: TrainingData) -> None:
    if value is None:
        return
    if not np.isfinite(value) or value <= 0:
        raise ParameterError("value_per_conversion", "must be a positive amount", value)
    if data.revenue is not None:
        raise usage_error(
            Named("value_per_conversion"),
            "replaces the revenue column, but one was given too",
            "Pass either {revenue_col} (spend per customer) or {value_per_conversion=V}",
        )


def _held_out_frame(data, arm, rows, treatment, fold_of_row, predictions, chosen) -> pd.DataFrame:
    """Held-out predictions of one arm's customers (and control), one column per candidate."""
    frame = pd.DataFrame(
        {
            data.id_col: data.ids[rows],
            "arm": arm,
            "assigned_arm": data.arm[rows],
            "treatment": treatment,
            "fold": fold_of_row,
            "conversion": data.conversion[rows],
        }
    )
    if data.revenue is not None:
        frame["revenue"] = data.revenue[rows]
    for column in BASELINE_FEATURES:
        if column in data.features.columns:
            frame[column] = data.features[column].to_numpy()[rows]
    if data.rfm_values is not None:
        for column in data.rfm_values.columns:
            frame[column] = data.rfm_values[column].to_numpy()[rows]
    for name, uplift in predictions.items():
        target, kind = name.split(":")
        if target not in ("p_control", "order_value"):
            frame[f"uplift_{target}__{kind}"] = uplift
    frame["p_control"] = predictions[f"p_control:{chosen['conversion']}"]
    frame["uplift_conversion"] = predictions[f"conversion:{chosen['conversion']}"]
    if chosen["revenue"]:
        frame["uplift_revenue"] = predictions[f"revenue:{chosen['revenue']}"]
        if chosen["revenue"] in VALUE_KINDS:
            frame["order_value"] = predictions[f"order_value:{chosen['revenue']}"]
    return frame
