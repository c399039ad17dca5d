"""Cross-fitting: every candidate learner of every treated arm on K-1 folds, predicted on the
held-out fold.

The work is cut into units, one per (arm, fold, fitted learner: the X-learner, the DR-learner,
the order-value model, ...), and the units of all arms share one pool of threads, each booster
on one core (LightGBM releases the GIL while it trains). Units of one fold per thread would
leave a core idle for the last fold of every arm (5 folds on 2 cores take 3 rounds); small
units keep both cores busy to the end. Every booster is trained exactly as one fold per thread
trained it (same rows, bins, settings and seed), so the models do not depend on the schedule.

A fold's rows are binned once, by the first unit that needs them, into one LightGBM Dataset
shared by every booster of that fold (:func:`~uplift_lab.uplift.models.binned_rows`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from uplift_lab.uplift.learners import fit_learner, fit_value_model, mean_order_value
from uplift_lab.uplift.models import (
    ENSEMBLE_PARTS,
    VALUE_KINDS,
    ArmModel,
    Learner,
    LightGBMSettings,
    binned_rows,
    ensemble_learner,
)
from uplift_lab.uplift.predict import predict_arm, predict_learner, predict_value


@dataclass(frozen=True, slots=True, eq=False)
class ArmRows:
    """One treated arm's cross-validation rows: its and the control's rows of the training data,
    their 0/1 treatment and their fold numbers."""

    arm: str
    rows: np.ndarray
    treatment: np.ndarray
    fold_of_row: np.ndarray


@dataclass(frozen=True, slots=True, eq=False)
class ArmFits:
    """One arm's held-out predictions (``conversion:<kind>``, ``p_control:<kind>``,
    ``revenue:<kind>``, ``value``, ``mean_value``) and fold learners (``<target>:<kind>`` and
    ``value``, a list of K learners each)."""

    predictions: dict[str, np.ndarray]
    members: dict[str, list]


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


def fold_workers(n_folds: int, settings: LightGBMSettings) -> int:
    """Boosters fitted at once: one per core LightGBM may use (``settings.n_jobs``), at most K.

    With more than one, every booster is fitted on one thread (``n_jobs=1``).
    """
    cores = os.cpu_count() or 1
    return int(max(1, min(n_folds, settings.n_jobs, cores)))


def fitted_kinds(kinds: Sequence[str]) -> list[str]:
    """The learners to fit for the candidates ``kinds`` (one target): the ensemble's parts once,
    shared with the X- and DR-candidates; the T-learner is read off the X-learner's first stage
    when both are candidates."""
    needed = [*ENSEMBLE_PARTS] if "ensemble" in kinds else []
    needed += [kind for kind in kinds if kind not in needed and kind != "ensemble"]
    return [kind for kind in needed if not (kind == "two" and "x" in needed)]


def fit_kind(kind, target, x, y, treatment, categorical, settings, binned, with_two: bool):
    """``{kind: learner}`` of one fitted kind (early-stopped boosters, ``refit=False``), plus the
    T-learner read off the X-learner's first stage when ``with_two``."""
    learner = fit_learner(
        kind, target, x, y, treatment, categorical, settings, refit=False, binned=binned
    )
    fitted = {kind: learner}
    if kind == "x" and with_two:
        roles = {"treated": learner.boosters["treated"], "control": learner.boosters["control"]}
        fitted["two"] = Learner("two", target, roles)
    return fitted


def assemble(kinds: Sequence[str], fitted: dict[str, Learner]) -> list[tuple[str, Learner]]:
    """``(kind, learner)`` for each candidate kind, the ensemble made of its fitted parts."""
    if "ensemble" in kinds:
        fitted = {**fitted, "ensemble": ensemble_learner(fitted["x"], fitted["dr"])}
    return [(kind, fitted[kind]) for kind in kinds]


def fold_learners(target, kinds, x, y, treatment, categorical, settings, binned=None):
    """``(kind, learner)`` for each kind on one fold's training rows (early-stopped boosters)."""
    if not kinds:
        return []
    needed = fitted_kinds(kinds)
    fitted: dict[str, Learner] = {}
    for kind in needed:
        with_two = "two" in kinds
        fitted.update(
            fit_kind(kind, target, x, y, treatment, categorical, settings, binned, with_two)
        )
    return assemble(kinds, fitted)


def fold_predictions(learners, matrix, target: str = "conversion") -> tuple[dict, dict]:
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


class _Fold:
    """One (arm, fold): its training rows binned on first use, the learners its units fitted,
    and how many units are still to finish (the last one predicts the held-out rows)."""

    def __init__(self, x: np.ndarray, fold_of_row: np.ndarray, fold: int, units: dict):
        self.train, self.test = fold_of_row != fold, fold_of_row == fold
        self.x = x
        self.fitted: dict[str, dict[str, Learner]] = {"conversion": {}, "revenue": {}}
        self.remaining = dict(units)  # target -> units left
        self.lock = threading.Lock()
        self.binned = None
        self.started = False

    def binned_train(self, categorical, settings):
        with self.lock:
            if self.binned is None:
                self.binned = binned_rows(self.x[self.train], categorical, settings)
            return self.binned

    def done(self, target: str) -> bool:
        """Count one finished unit of ``target``; True for the last one."""
        with self.lock:
            self.remaining[target] -= 1
            if sum(self.remaining.values()) == 0:
                self.binned = None  # every booster of the fold is trained
            return self.remaining[target] == 0


def cross_fit(
    data, matrix, categorical, settings: LightGBMSettings, n_folds: int,
    arms: Sequence[ArmRows], conversion_kinds, revenue_kinds, on_fold,
) -> list[ArmFits]:  # fmt: skip
    """Fit every candidate on K-1 folds and predict the held-out fold, for every fold and arm.

    The decomposition's order-value model is kept as ``value`` (multiplied by the chosen
    conversion learner afterwards), the converters' mean order value as ``mean_value``.
    ``on_fold(arm, fold)`` is called when a fold's first unit starts.
    """
    workers = fold_workers(n_folds, settings)
    fold_settings = replace(settings, n_jobs=1) if workers > 1 else settings
    revenue_fits = [kind for kind in revenue_kinds if kind not in VALUE_KINDS]
    groups = [("conversion", kind) for kind in fitted_kinds(conversion_kinds)]
    groups += [("revenue", kind) for kind in (fitted_kinds(revenue_fits) if revenue_fits else [])]
    if "decomposition" in revenue_kinds:
        groups.append(("value", "decomposition"))  # small: last, to fill the cores at the end
    units_of = {target: sum(1 for t, _ in groups if t == target) for target, _ in groups}
    converted = data.conversion
    revenue = data.revenue
    fits, folds, units = [], [], []
    for index, arm in enumerate(arms):
        x = matrix[arm.rows]
        fits.append(ArmFits(_empty_predictions(arm, conversion_kinds, revenue_kinds), {}))
        folds.append([_Fold(x, arm.fold_of_row, fold, units_of) for fold in range(n_folds)])
        units += [(index, fold, target, kind) for target, kind in groups for fold in range(n_folds)]
        if "conv-value" in revenue_kinds:
            for fold in folds[index]:
                rows = arm.rows[fold.train]
                fits[index].predictions["mean_value"][fold.test] = mean_order_value(
                    revenue[rows], converted[rows]
                )

    def run(unit) -> None:
        index, number, target, kind = unit
        arm, fold, fit = arms[index], folds[index][number], fits[index]
        with fold.lock:
            first, fold.started = not fold.started, True
        if first:
            on_fold(arm.arm, number)
        rows = arm.rows[fold.train]
        binned = fold.binned_train(categorical, fold_settings)
        x_train, treatment = fold.x[fold.train], arm.treatment[fold.train]
        if target == "value":
            value = fit_value_model(
                x_train, revenue[rows], converted[rows], categorical, fold_settings,
                refit=False, binned=binned,
            )  # fmt: skip
            fit.predictions["value"][fold.test] = predict_value(value, fold.x[fold.test])
            fit.members.setdefault("value", [None] * n_folds)[number] = value
            fold.done(target)
            return
        kinds = conversion_kinds if target == "conversion" else revenue_fits
        y = converted[rows] if target == "conversion" else revenue[rows]
        learners = fit_kind(
            kind, target, x_train, y, treatment, categorical, fold_settings, binned, "two" in kinds
        )
        with fold.lock:
            fold.fitted[target].update(learners)
        if fold.done(target):
            _predict_fold(fit, fold, number, n_folds, target, kinds)

    run_in_threads(run, units, workers)
    return fits


def _empty_predictions(arm: ArmRows, conversion_kinds, revenue_kinds) -> dict[str, np.ndarray]:
    names = [f"conversion:{kind}" for kind in conversion_kinds]
    names += [f"p_control:{kind}" for kind in conversion_kinds]
    names += [f"revenue:{kind}" for kind in revenue_kinds if kind not in VALUE_KINDS]
    if "decomposition" in revenue_kinds:
        names.append("value")
    if "conv-value" in revenue_kinds:
        names.append("mean_value")
    return {name: np.zeros(len(arm.rows)) for name in names}


def _predict_fold(fit: ArmFits, fold: _Fold, number: int, n_folds: int, target, kinds) -> None:
    """The held-out predictions of one fold's candidates of ``target`` (all fitted)."""
    learners = assemble(kinds, fold.fitted[target])
    uplift, p_control = fold_predictions(learners, fold.x[fold.test], target)
    for kind, learner in learners:
        fit.predictions[f"{target}:{kind}"][fold.test] = uplift[kind]
        if target == "conversion":
            fit.predictions[f"p_control:{kind}"][fold.test] = p_control[kind]
        fit.members.setdefault(f"{target}:{kind}", [None] * n_folds)[number] = learner
