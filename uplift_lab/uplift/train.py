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

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from uplift_lab import __version__
from uplift_lab.contracts import ids_as_text
from uplift_lab.errors import input_error
from uplift_lab.uplift.calibration import UpliftCalibration, calibrate_held_out
from uplift_lab.uplift.data import ROW_ID, TrainingData
from uplift_lab.uplift.features import FeatureSpec, encode_features
from uplift_lab.uplift.models import (
    CONVERSION_KINDS,
    ENSEMBLE_PARTS,
    REVENUE_KINDS,
    VALUE_KINDS,
    ArmModel,
    Learner,
    LightGBMSettings,
    bagged_learner,
    binned_rows,
    ensemble_learner,
    fit_arm_model,
    fit_conversion_value,
    fit_learner,
    fit_value_model,
    mean_order_value,
    predict_arm,
    predict_learner,
    predict_value,
    without_wrappers,
)

KS = (0.1, 0.2, 0.3, 0.5)
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
PROPENSITY_MAX_ROWS = 50_000  # AUC standard error ~0.003 there, far below the 0.1 margin
# Short names of evaluate's baselines in the candidates table (evaluate.py's score names as keys).
BASELINE_KINDS = {
    "random": "random",
    "rfm_rule": "RFM rule",
    "purchase_probability": "purchase prob.",
}
NOT_RANDOMIZED_FIX = (
    "Uplift models need a randomized campaign. Drop features that decided who was sent, "
    "or pass --allow-observational if you accept biased estimates"
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


def curve_metrics(outcome: np.ndarray, uplift: np.ndarray, treatment: np.ndarray) -> dict:
    """Qini coefficient, AUUC and uplift@k of a ranking on one held-out fold (evaluate.py)."""
    from uplift_lab.uplift.metrics import uplift_curve_metrics

    metrics = uplift_curve_metrics(outcome, uplift, treatment, ks=KS)
    result = {"qini": float(metrics.qini_coefficient), "auuc": float(metrics.auuc)}
    for k, value in metrics.uplift_at_k.items():
        result[f"uplift_at_{round(float(k) * 100)}"] = float(value)
    return result


def propensity_auc(
    matrix: np.ndarray, treatment: np.ndarray, categorical: list[int], settings: LightGBMSettings
) -> float:
    """Cross-validated (3-fold) AUC of a LightGBM model predicting treatment from the features.

    Near 0.5 for a randomized campaign; clearly above means the features decided who was sent.
    """
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    from uplift_lab.uplift.models import feature_frame, feature_names, lightgbm_estimator

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


def run_in_threads(function, items: Sequence, workers: int) -> None:
    """``function(item)`` for every item, on ``workers`` threads (in order when 1).

    LightGBM releases the GIL while it trains, so threads that each fit on one core keep
    both cores busy; on a loaded machine this is also much faster than LightGBM's own
    OpenMP threads, which spin while they wait for each other.
    """
    if workers <= 1:
        for item in items:
            function(item)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(function, items))


def fold_ids(data: TrainingData, n_folds: int, seed: int) -> np.ndarray:
    """Fold number per row, stratified by arm x conversion (so every fold has every cell)."""
    from sklearn.model_selection import StratifiedKFold

    strata = pd.Series(data.arm).astype(str) + "|" + pd.Series(data.conversion).astype(str)
    counts = strata.value_counts()
    if counts.min() < n_folds:
        raise input_error(
            "training data",
            f"the cell '{counts.idxmin()}' (arm|converted) has only {counts.min()} row(s),"
            f" fewer than {n_folds} folds",
            "Use fewer --folds or more data",
        )
    folds = np.empty(len(strata), dtype=np.int64)
    splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    for number, (_, test) in enumerate(splitter.split(np.zeros(len(strata)), strata)):
        folds[test] = number
    return folds


def _candidates(
    choice: str, kinds: Sequence[str], option: str, auto: Sequence[str]
) -> tuple[str, ...]:
    if choice == "auto":
        return tuple(auto)
    if choice not in kinds:
        raise input_error(option, f"unknown model '{choice}'", f"Use auto or {', '.join(kinds)}")
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
    if n_folds < 2:
        raise input_error("--folds", f"must be at least 2, got {n_folds}")
    if final not in FINAL_MODELS:
        raise input_error("--final", f"must be one of {', '.join(FINAL_MODELS)}, got '{final}'")
    conversion_kinds = _candidates(
        conversion_model, CONVERSION_KINDS, "--model", AUTO_CONVERSION_KINDS
    )
    revenue_kinds = _candidates(revenue_model, REVENUE_KINDS, "--revenue-model", AUTO_REVENUE_KINDS)
    if data.revenue is None:
        revenue_kinds = ()
    matrix = data.matrix()
    categorical = [j for j, spec in enumerate(data.specs) if spec.kind == "categorical"]
    step = progress or (lambda text: None)

    aucs: dict[str, float] = {}
    for arm in data.arms:
        rows = (data.arm == arm) | (data.arm == data.control)
        step(f"randomization check ({arm})")
        treatment = (data.arm[rows] == arm).astype(np.int64)
        aucs[arm] = propensity_auc(matrix[rows], treatment, categorical, settings)
    worst = max(aucs, key=aucs.get)
    if aucs[worst] > PROPENSITY_AUC_LIMIT and not allow_observational:
        raise input_error(
            "training data",
            f"treatment looks non-random: a model predicts arm '{worst}' vs '{data.control}'"
            f" from the features with AUC {aucs[worst]:.3f} (> {PROPENSITY_AUC_LIMIT})",
            NOT_RANDOMIZED_FIX,
        )

    folds = fold_ids(data, n_folds, settings.seed)
    frames, records = [], []
    choice: dict[str, dict[str, str | None]] = {}
    arm_models = []
    for arm in data.arms:
        rows = np.flatnonzero((data.arm == arm) | (data.arm == data.control))
        treatment = (data.arm[rows] == arm).astype(np.int64)
        fold_of_row = folds[rows]
        predictions, fold_learners = _held_out_predictions(
            data, matrix, rows, treatment, fold_of_row, n_folds, categorical, settings,
            conversion_kinds, revenue_kinds, lambda fold, arm=arm: step(
                f"cross-validation ({arm}, fold {fold + 1}/{n_folds})"
            ),
        )  # fmt: skip
        arm_records = _score_candidates(
            arm, predictions, data, rows, treatment, fold_of_row, n_folds, "conversion"
        )
        best_conversion = _best(arm_records)
        best_revenue = None
        if revenue_kinds:
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
            revenue_records = _score_candidates(
                arm, predictions, data, rows, treatment, fold_of_row, n_folds, "revenue"
            )
            best_revenue = _best(revenue_records)
            arm_records += revenue_records
        records += arm_records
        choice[arm] = {"conversion": best_conversion, "revenue": best_revenue}
        frames.append(
            _held_out_frame(data, arm, rows, treatment, fold_of_row, predictions, choice[arm])
        )
        if final == "bag":
            arm_model = bagged_arm_model(
                arm, fold_learners, best_conversion, best_revenue, data, rows
            )
        else:
            step(f"final fit ({arm})")
            arm_model = fit_arm_model(
                arm,
                matrix[rows],
                data.conversion[rows],
                data.revenue[rows] if data.revenue is not None else None,
                treatment,
                categorical,
                best_conversion,
                best_revenue,
                settings,
            )
        arm_models.append(without_wrappers(arm_model))
    candidates = pd.DataFrame.from_records(records)
    cv_predictions = pd.concat(frames, ignore_index=True)
    baseline_list = [
        record
        for arm, frame in zip(data.arms, frames, strict=True)
        for target in ("conversion", "revenue")
        if target in frame.columns
        for record in baseline_records(arm, frame, target, n_folds, settings.seed)
    ]
    baselines = pd.DataFrame.from_records(baseline_list)
    # ---- calibration (uplift/calibration.py): fitted on the out-of-fold predictions above ----
    step("calibration")
    calibration = calibrate_held_out(cv_predictions, data.arms)
    model = UpliftModel(
        id_col=data.id_col,
        control=data.control,
        arms=data.arms,
        specs=data.specs,
        arm_models=tuple(arm_models),
        settings=settings,
        training_sha256=data.source_sha256,
        n_rows=data.n_rows,
        cv_metrics={
            "folds": n_folds,
            "choice": choice,
            # The record lists, not the frames: a frame turns an undefined metric (None) into
            # NaN, which is not valid JSON (uplift@k when an arm is absent from a top k).
            "candidates": _json_records(records),
            "propensity_auc": aucs,
            "rfm_columns": dict(data.rfm_columns),
            "baselines": _json_records(baseline_list),
        },
        meta={"uplift_lab_version": __version__},
        id_kind=data.id_kind,
        value_per_conversion=value_per_conversion,
        calibration=calibration,
        feature_choice={
            "dropped": {reason: list(columns) for reason, columns in data.dropped_features.items()},
            "reference_date": data.reference_date or None,
            "reference_origin": data.reference_origin or None,
        },
    )
    return TrainResult(model, candidates, aucs, cv_predictions, baselines)


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
        raise input_error("--value-per-conversion", f"must be a positive amount, got {value:g}")
    if data.revenue is not None:
        raise input_error(
            "--value-per-conversion",
            "replaces the revenue column, but one was given too",
            "Pass either --revenue-col (spend per customer) or --value-per-conversion V",
        )


def baseline_records(
    arm: str, frame: pd.DataFrame, target: str, n_folds: int, seed: int
) -> list[dict]:
    """Held-out metrics of the targeting rules a model must beat, as candidate-like records.

    ``frame`` is one arm's held-out predictions; the rules are those of ``evaluate`` (random,
    the RFM rule when RFM columns exist, purchase probability from the held-out ``p_control``),
    with the same seeded tie-breaks, so ``evaluate --seed`` equal to the training seed shows the
    same numbers.
    """
    from uplift_lab.uplift.baselines import baseline_scores

    scores = baseline_scores(frame, response_proba=frame["p_control"].to_numpy(), seed=seed)
    outcome = frame[target].to_numpy(dtype=np.float64)
    treatment = frame["treatment"].to_numpy()
    fold_of_row = frame["fold"].to_numpy()
    records = []
    for name in scores.columns:
        per_fold = []
        for number in range(n_folds):
            held_out = fold_of_row == number
            score = scores[name].to_numpy()[held_out]
            per_fold.append(curve_metrics(outcome[held_out], score, treatment[held_out]))
        record = {"arm": arm, "target": target, "kind": BASELINE_KINDS.get(name, name)}
        for key in per_fold[0]:
            values = np.array([metrics[key] for metrics in per_fold])
            finite = values[np.isfinite(values)]
            record[key] = _finite_or_none(finite.mean() if len(finite) else None)
            if key == "qini":
                record["qini_sd"] = _finite_or_none(finite.std(ddof=1) if len(finite) > 1 else None)
        records.append(record)
    return records


def _json_records(records: list[dict]) -> list[dict]:
    """Metric records with every non-finite float as None (model.json must be valid JSON)."""
    return [
        {
            key: _finite_or_none(value) if isinstance(value, float | np.floating) else value
            for key, value in record.items()
        }
        for record in records
    ]


def _finite_or_none(value) -> float | None:
    """A float for JSON, or None for an undefined metric (NaN is not valid JSON)."""
    if value is None or not np.isfinite(value):
        return None
    return float(value)


def selection_score(fold_values: Sequence[float]) -> float:
    """Mean over held-out folds minus one standard error of that mean (the "one-SE" rule).

    A learner whose Qini swings from fold to fold is less likely to repeat its mean on new
    customers than one with the same mean and a small spread, so the spread counts against it.
    NaN folds (a metric undefined on that fold) are left out; fewer than two finite folds give
    the mean alone, none give -inf.
    """
    values = np.asarray(fold_values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return float("-inf")
    if len(values) == 1:
        return float(values[0])
    return float(values.mean() - values.std(ddof=1) / np.sqrt(len(values)))


def select_candidate(fold_qinis: Mapping[str, Sequence[float]]) -> str:
    """The candidate with the highest :func:`selection_score` of its per-fold Qini.

    Ties go to the earlier candidate in the mapping's order (the simpler kind).
    """
    names = list(fold_qinis)
    scores = [selection_score(fold_qinis[name]) for name in names]
    return names[max(range(len(names)), key=lambda i: (scores[i], -i))]


def _best(records: list[dict]) -> str:
    return select_candidate({record["kind"]: record["qini_folds"] for record in records})


def _score_candidates(
    arm, predictions, data, rows, treatment, fold_of_row, n_folds, target
) -> list[dict]:
    """Mean (and spread) over held-out folds of each candidate's curve metrics."""
    outcome = data.conversion[rows] if target == "conversion" else data.revenue[rows]
    records = []
    for name, uplift in predictions.items():
        kind_target, _, kind = name.partition(":")
        if kind_target != target:
            continue
        per_fold = []
        for number in range(n_folds):
            held_out = fold_of_row == number
            per_fold.append(curve_metrics(outcome[held_out], uplift[held_out], treatment[held_out]))
        record = {"arm": arm, "target": target, "kind": kind}
        for key in per_fold[0]:
            values = np.array([metrics[key] for metrics in per_fold])
            record[key] = _finite_or_none(np.nanmean(values) if np.isfinite(values).any() else None)
            if key == "qini":
                finite = values[np.isfinite(values)]
                record["qini_sd"] = _finite_or_none(finite.std(ddof=1) if len(finite) > 1 else None)
                record["qini_selection"] = _finite_or_none(selection_score(values))
                record["qini_folds"] = [_finite_or_none(value) for value in values]
        records.append(record)
    return records


def _held_out_predictions(
    data, matrix, rows, treatment, fold_of_row, n_folds, categorical, settings,
    conversion_kinds, revenue_kinds, on_fold,
) -> dict[str, np.ndarray]:  # fmt: skip
    """Fit every candidate on K-1 folds and predict the held-out fold, for every fold.

    Returns the held-out predictions and the fitted fold learners, both keyed
    ``conversion:<kind>`` and ``revenue:<kind>``; the decomposition's order-value model is kept
    as ``value`` and multiplied by the chosen conversion learner afterwards. Folds run
    in parallel threads (LightGBM releases the GIL), each booster on one thread, so that two
    cores are busy even with trees too small for LightGBM's own threading to pay.
    """
    x = matrix[rows]
    converted = data.conversion[rows]
    revenue = data.revenue[rows] if data.revenue is not None else None
    names = [f"conversion:{kind}" for kind in conversion_kinds]
    names += [f"p_control:{kind}" for kind in conversion_kinds]
    names += [f"revenue:{kind}" for kind in revenue_kinds if kind not in VALUE_KINDS]
    if "decomposition" in revenue_kinds:
        names.append("value")
    if "conv-value" in revenue_kinds:
        names.append("mean_value")
    predictions = {name: np.zeros(len(rows)) for name in names}
    members: dict[str, list] = {}  # "<target>:<kind>" / "value" -> the K fold learners
    workers = fold_workers(n_folds, settings)
    fold_settings = replace(settings, n_jobs=1) if workers > 1 else settings

    def run_fold(fold: int) -> None:
        on_fold(fold)
        train, test = fold_of_row != fold, fold_of_row == fold
        binned = binned_rows(x[train], categorical, fold_settings)  # shared by every booster
        conversion = _fold_learners(
            "conversion", conversion_kinds, x[train], converted[train], treatment[train],
            categorical, fold_settings, binned,
        )  # fmt: skip
        uplift, p_control = _fold_predictions(conversion, x[test])
        for kind, learner in conversion:
            predictions[f"conversion:{kind}"][test] = uplift[kind]
            predictions[f"p_control:{kind}"][test] = p_control[kind]
            members.setdefault(f"conversion:{kind}", [None] * n_folds)[fold] = learner
        if "decomposition" in revenue_kinds:
            value = fit_value_model(
                x[train], revenue[train], converted[train], categorical, fold_settings,
                refit=False, binned=binned,
            )  # fmt: skip
            predictions["value"][test] = predict_value(value, x[test])
            members.setdefault("value", [None] * n_folds)[fold] = value
        if "conv-value" in revenue_kinds:
            predictions["mean_value"][test] = mean_order_value(revenue[train], converted[train])
        learners = _fold_learners(
            "revenue", [kind for kind in revenue_kinds if kind not in VALUE_KINDS], x[train],
            revenue[train] if revenue is not None else None, treatment[train], categorical,
            fold_settings, binned,
        )  # fmt: skip
        uplift, _ = _fold_predictions(learners, x[test], "revenue")
        for kind, learner in learners:
            predictions[f"revenue:{kind}"][test] = uplift[kind]
            members.setdefault(f"revenue:{kind}", [None] * n_folds)[fold] = learner

    run_in_threads(run_fold, range(n_folds), workers)
    return predictions, members


def fold_workers(n_folds: int, settings: LightGBMSettings) -> int:
    """Folds fitted at once: one per core LightGBM may use (``settings.n_jobs``), at most K."""
    cores = os.cpu_count() or 1
    return int(max(1, min(n_folds, settings.n_jobs, cores)))


def _fold_predictions(learners, matrix, target: str = "conversion") -> tuple[dict, dict]:
    """Held-out uplift and p_control of each ``(kind, learner)``; the ensemble's are read off
    its parts' (the mean of the T-, X- and DR-learners' uplift, the X-learner's control model),
    which are predicted once."""
    uplift, p_control = {}, {}
    fitted = dict(learners)
    for kind, learner in learners:
        if kind == "ensemble" and all(part in fitted for part in ("two", *ENSEMBLE_PARTS)):
            continue
        if target != "conversion":
            uplift[kind] = predict_learner(learner, matrix)
            continue
        held_out = predict_arm(ArmModel("", learner, None), matrix)
        uplift[kind], p_control[kind] = held_out.uplift_conversion, held_out.p_control
    if "ensemble" in fitted and "ensemble" not in uplift:
        uplift["ensemble"] = np.mean([uplift[part] for part in ("two", *ENSEMBLE_PARTS)], axis=0)
        p_control["ensemble"] = p_control.get("x")
    return uplift, p_control


def _fold_learners(target, kinds, x, y, treatment, categorical, settings, binned=None):
    """``(kind, learner)`` for each kind on one fold's training rows (early-stopped boosters).

    When both are candidates, the T-learner is the X-learner's first stage (the same two
    outcome models), so it is read off the X-learner instead of fitted twice.
    """
    if not kinds:
        return []
    fitted = {}
    # The ensemble's parts are fitted once and shared with the T-, X- and DR-candidates.
    needed = [*ENSEMBLE_PARTS] if "ensemble" in kinds else []
    needed += [kind for kind in kinds if kind not in needed and kind != "ensemble"]
    for kind in needed:
        if kind == "two" and "x" in needed:
            continue
        fitted[kind] = fit_learner(
            kind, target, x, y, treatment, categorical, settings, refit=False, binned=binned
        )
        if kind == "x" and "two" in needed:
            stage = fitted["x"].boosters
            roles = {"treated": stage["treated"], "control": stage["control"]}
            fitted["two"] = Learner("two", target, roles)
    if "ensemble" in kinds:
        fitted["ensemble"] = ensemble_learner(fitted["x"], fitted["dr"])
    return [(kind, fitted[kind]) for kind in kinds]


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


RAW_PREFIX = "raw_"  # uncalibrated scores: raw_uplift_conversion, raw_uplift_revenue_<arm>, ...


def _arm_uplift(model: UpliftModel, arm: str, prediction) -> dict[str, np.ndarray]:
    """One arm's uplift columns: calibrated when the model has a calibration (the raw
    predictions beside them), revenue as V x conversion when the model has a value V, and the
    decomposition's revenue as calibrated conversion uplift x expected order value."""
    calibration = (model.calibration or {}).get(arm, {})

    def calibrated(raw: np.ndarray, target: str) -> np.ndarray:
        fitted = calibration.get(target)
        return raw if fitted is None else UpliftCalibration.from_json(fitted).apply(raw)

    conversion, revenue = f"uplift_conversion_{arm}", f"uplift_revenue_{arm}"
    raw = {conversion: prediction.uplift_conversion}
    out = {conversion: calibrated(prediction.uplift_conversion, "conversion")}
    if model.value_per_conversion is not None:
        raw[revenue] = model.value_per_conversion * raw[conversion]
        out[revenue] = model.value_per_conversion * out[conversion]
    elif prediction.order_value is not None:
        # The decomposition calibrates through its conversion part (binary outcomes pin the
        # slope far better than heavy-tailed revenue, whose noisy slope can flatten the ranking).
        raw[revenue] = prediction.uplift_revenue
        out[revenue] = out[conversion] * prediction.order_value
    elif prediction.uplift_revenue is not None:
        raw[revenue] = prediction.uplift_revenue
        out[revenue] = calibrated(prediction.uplift_revenue, "revenue")
    if calibration:
        out.update({RAW_PREFIX + name: values for name, values in raw.items()})
    return out


def score_matrix(model: UpliftModel, matrix: np.ndarray) -> dict[str, np.ndarray]:
    """Score encoded customers: per-arm columns, and plain ones when there is one treated arm.

    ``uplift_*`` columns are calibrated (see uplift/calibration.py) when the model holds a
    calibration; the model's own predictions are then kept as ``raw_uplift_*``.
    """
    columns: dict[str, np.ndarray] = {}
    p_controls = []
    for arm_model in model.arm_models:
        prediction = predict_arm(arm_model, matrix)
        columns.update(_arm_uplift(model, arm_model.arm, prediction))
        columns[f"p_treated_{arm_model.arm}"] = prediction.p_treated
        p_controls.append(prediction.p_control)
    plain: dict[str, np.ndarray] = {}
    arm = model.arm_models[0].arm
    single = len(model.arm_models) == 1
    names = ["uplift_conversion", "uplift_revenue"]

    def arm_columns(wanted: list[str]) -> dict[str, np.ndarray]:
        return {name: columns[f"{name}_{arm}"] for name in wanted if f"{name}_{arm}" in columns}

    if single:
        plain.update(arm_columns(names))
    # Each arm's model estimates p_control from the same control customers; report their mean.
    plain["p_control"] = np.mean(p_controls, axis=0)
    if single:
        plain["p_treated"] = columns[f"p_treated_{arm}"]
        plain.update(arm_columns([RAW_PREFIX + name for name in names]))
    return {**plain, **columns}


def _typed_ids(text: pd.Series, model: UpliftModel, source: object):
    """The ids as the model's training data had them: int64 for integer ids, else text."""
    if model.id_kind != "integer":
        return pd.array(text.to_numpy(dtype=object), dtype="string")
    plain = text.str.fullmatch(r"-?(?:0|[1-9][0-9]{0,17})")
    if not plain.all():
        raise input_error(
            source,
            f"column '{model.id_col}' has '{text[~plain].iloc[0]}', but the model was trained "
            "with integer ids",
            "Score a file with the same kind of ids as in training",
        )
    return pd.array(text.astype("int64").to_numpy(), dtype=np.int64)


def score_frame(
    model: UpliftModel, frame: pd.DataFrame, source: object, *, row_offset: int = 0
) -> pd.DataFrame:
    """Score one batch of customers: the id column followed by :func:`score_matrix`'s columns.

    A model trained without an id column (ids were row numbers) numbers the rows again,
    starting at ``row_offset``.
    """
    matrix = encode_features(frame, model.specs, source)
    if model.id_col in frame.columns:
        text = ids_as_text(frame, model.id_col, source, unique=True)
        ids = _typed_ids(text, model, source)
    elif model.id_col == ROW_ID:
        ids = pd.array(np.arange(row_offset, row_offset + len(frame), dtype=np.int64))
        if model.id_kind != "integer":  # a model saved before ids kept their type
            ids = ids.astype("string")
    else:
        raise input_error(source, f"missing id column '{model.id_col}'", "Add it")
    out = pd.DataFrame({model.id_col: ids})
    for name, values in score_matrix(model, matrix).items():
        out[name] = values
    return out


def evaluate_held_out(
    cv_predictions: pd.DataFrame,
    description: dict,
    *,
    seed: int = 0,
    source: object = "cv_predictions.parquet",
) -> list:
    """Evaluate every candidate and the baselines on training's held-out predictions.

    One :class:`~uplift_lab.uplift.evaluate.ModelEvaluation` per treated arm and outcome
    (conversion, and revenue when it was modelled), with CIs over the CV folds (Nadeau-Bengio
    corrected for their shared training data).
    """
    from uplift_lab.uplift.evaluate import evaluate_scores

    folds = int(description["cv_metrics"]["folds"])
    id_col = str(description["id_col"])
    evaluations = []
    for arm in description["arms"]:
        frame = cv_predictions[cv_predictions["arm"] == arm].reset_index(drop=True)
        for target in ("conversion", "revenue"):
            prefix = f"uplift_{target}__"
            columns = [name for name in frame.columns if name.startswith(prefix)]
            if not columns or target not in frame.columns:
                continue
            labels = {name: f"{name[len(prefix) :]} ({target})" for name in columns}
            chosen = description["cv_metrics"]["choice"][arm][target]
            labels[f"{prefix}{chosen}"] += " [chosen]"
            evaluation = evaluate_scores(
                frame.drop(columns=[id_col], errors="ignore"),
                score_cols=columns,
                outcome_col=target,
                treatment_col="assigned_arm",
                control=str(description["control"]),
                treated=str(arm),
                fold_col="fold",
                test_to_train_ratio=1.0 / (folds - 1),
                response_col="p_control",
                labels=labels,
                seed=seed,
                source=source,
            )
            evaluations.append((str(arm), target, evaluation))
    return evaluations
