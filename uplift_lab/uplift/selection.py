"""Scoring and choosing the candidates of cross-validation: held-out metrics per fold.

Every candidate learner, and the baselines it must beat, is scored on held-out folds only;
``auto`` picks the highest held-out Qini mean minus one standard error over the folds
(:func:`selection_score`), so that a learner whose Qini swings from fold to fold does not win
on one lucky fold.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from uplift_lab.uplift.baselines import baseline_scores
from uplift_lab.uplift.metrics import (
    PerfectAreas,
    as_arrays,
    metrics_and_cumulative,
    perfect_areas,
)

KS = (0.1, 0.2, 0.3, 0.5)
# Short names of evaluate's baselines in the candidates table (evaluate.py's score names as keys).
BASELINE_KINDS = {
    "random": "random",
    "rfm_rule": "RFM rule",
    "purchase_probability": "purchase prob.",
}


def curve_metrics(
    outcome: np.ndarray,
    uplift: np.ndarray,
    treatment: np.ndarray,
    perfect: PerfectAreas | None = None,
) -> dict:
    """Qini coefficient, AUUC and uplift@k of a ranking on one held-out fold (evaluate.py).

    ``perfect`` is :func:`held_out_folds`' perfect areas of this fold (computed when None).
    """
    y, s, t = as_arrays(outcome, uplift, treatment)
    metrics = metrics_and_cumulative(y, s, t, KS, perfect or perfect_areas(y, t))[0]
    result = {"qini": float(metrics.qini_coefficient), "auuc": float(metrics.auuc)}
    for k, value in metrics.uplift_at_k.items():
        result[f"uplift_at_{round(float(k) * 100)}"] = float(value)
    return result


def held_out_folds(
    outcome: np.ndarray, treatment: np.ndarray, fold_of_row: np.ndarray, n_folds: int
) -> list[tuple[np.ndarray, PerfectAreas]]:
    """Each held-out fold's rows (a mask) and perfect Qini and uplift areas, which depend on
    outcomes and arms only: computed once for every score ranked on the fold."""
    folds = []
    for number in range(n_folds):
        held_out = fold_of_row == number
        y, _, t = as_arrays(outcome[held_out], outcome[held_out], treatment[held_out])
        folds.append((held_out, perfect_areas(y, t)))
    return folds


def baseline_records(
    arm: str, frame: pd.DataFrame, target: str, n_folds: int, seed: int
) -> list[dict]:
    """Held-out metrics of the targeting rules a model must beat, as candidate-like records.

    ``frame`` is one arm's held-out predictions; the rules are those of ``evaluate`` (random,
    the RFM rule when RFM columns exist, purchase probability from the held-out ``p_control``),
    with the same seeded tie-breaks, so ``evaluate --seed`` equal to the training seed shows the
    same numbers.
    """
    scores = baseline_scores(frame, response_proba=frame["p_control"].to_numpy(), seed=seed)
    outcome = frame[target].to_numpy(dtype=np.float64)
    treatment = frame["treatment"].to_numpy()
    folds = held_out_folds(outcome, treatment, frame["fold"].to_numpy(), n_folds)
    records = []
    for name in scores.columns:
        per_fold = []
        for held_out, perfect in folds:
            score = scores[name].to_numpy()[held_out]
            per_fold.append(curve_metrics(outcome[held_out], score, treatment[held_out], perfect))
        record = {"arm": arm, "target": target, "kind": BASELINE_KINDS.get(name, name)}
        for key in per_fold[0]:
            values = np.array([metrics[key] for metrics in per_fold])
            record[key] = _mean(values)
            if key == "qini":
                record["qini_sd"] = _sd(values)
        records.append(record)
    return records


def _mean(values: np.ndarray) -> float:
    """The mean of the finite values, NaN when there are none (an undefined metric)."""
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if len(finite) else float("nan")


def _sd(values: np.ndarray) -> float:
    """The standard deviation of the finite values, NaN with fewer than two."""
    finite = values[np.isfinite(values)]
    return float(finite.std(ddof=1)) if len(finite) > 1 else float("nan")


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


def best_candidate(records: list[dict]) -> str:
    return select_candidate({record["kind"]: record["qini_folds"] for record in records})


def score_candidates(
    arm, predictions, data, rows, treatment, fold_of_row, n_folds, target
) -> list[dict]:
    """Mean (and spread) over held-out folds of each candidate's curve metrics."""
    outcome = data.conversion[rows] if target == "conversion" else data.revenue[rows]
    folds = held_out_folds(outcome, treatment, fold_of_row, n_folds)
    records = []
    for name, uplift in predictions.items():
        kind_target, _, kind = name.partition(":")
        if kind_target != target:
            continue
        per_fold = []
        for held_out, perfect in folds:
            per_fold.append(
                curve_metrics(outcome[held_out], uplift[held_out], treatment[held_out], perfect)
            )
        record = {"arm": arm, "target": target, "kind": kind}
        for key in per_fold[0]:
            values = np.array([metrics[key] for metrics in per_fold])
            record[key] = float(np.nanmean(values)) if np.isfinite(values).any() else math.nan
            if key == "qini":
                record["qini_sd"] = _sd(values)
                record["qini_selection"] = selection_score(values)
                record["qini_folds"] = [float(value) for value in values]
        records.append(record)
    return records
