"""Honest validation of uplift scores: every model and baseline on held-out customers.

:func:`evaluate_scores` puts the pieces together: the curve metrics per fold and pooled
(:mod:`uplift_lab.uplift.metrics`), the customer bootstrap (:mod:`uplift_lab.uplift.bootstrap`),
the baselines (:mod:`uplift_lab.uplift.baselines`) and the verdicts
(:mod:`uplift_lab.uplift.verdict`). Everything here is pure computation over DataFrames.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats

from uplift_lab.analysis_inputs import yes_no_outcome
from uplift_lab.contracts import check_labels, numeric_column, require_columns
from uplift_lab.errors import ParameterError, input_error, literal, usage_error
from uplift_lab.notices import Notice
from uplift_lab.uplift.baselines import (
    BASELINE_LABELS,
    PURCHASE_PROBABILITY,
    RANDOM,
    RFM_RULE,
    baseline_scores,
    rfm_rule_columns,
)
from uplift_lab.uplift.bootstrap import (
    BOOTSTRAP_MAX_ROWS,
    BOOTSTRAP_REPLICATES,
    bootstrap_replicates,
    bootstrap_summary,
)
from uplift_lab.uplift.metrics import (
    DEFAULT_KS,
    PerfectAreas,
    UpliftMetrics,
    decile_calibration,
    from_origin,
    metrics_and_cumulative,
    metrics_as_row,
    perfect_areas,
    summarize_folds,
)
from uplift_lab.uplift.verdict import Verdict, judge_usefulness, random_order_verdict
from uplift_lab.uplift.verdict_text import verdict_sentence

CURVE_POINTS_KEPT = 2001  # Qini curve points kept per score for plots (not for metrics)

# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True, slots=True)
class ScoreEvaluation:
    """One score (model or baseline) evaluated on held-out data.

    ``folds`` hold the metrics per fold and ``summary`` their mean and CI over folds (does the
    learning algorithm generalize?); ``pooled`` the metrics on all held-out rows together and
    ``bootstrap`` their customer-level bootstrap CIs (does this model's held-out ranking beat
    random?), which the verdict uses; ``replicates`` are the bootstrap replicates (paired across
    scores). ``curve_*`` is the pooled Qini curve at up to CURVE_POINTS_KEPT points for plots.
    """

    name: str
    label: str
    folds: tuple[UpliftMetrics, ...]
    summary: pd.DataFrame
    pooled: UpliftMetrics
    calibration: pd.DataFrame
    curve_share: np.ndarray
    curve_incremental: np.ndarray
    verdict_data: Verdict
    is_baseline: bool
    bootstrap: pd.DataFrame | None = None
    replicates: pd.DataFrame | None = None

    @property
    def verdict(self) -> str:
        """The verdict's English sentence ("useful: ..."); the reports say ``verdict_data``
        in their language."""
        return verdict_sentence(self.verdict_data)

    @property
    def verdict_word(self) -> str:
        """ "useful", "inconclusive" or "not useful"."""
        return self.verdict_data.word


@dataclass(frozen=True, slots=True)
class ModelEvaluation:
    """Every model and baseline evaluated on one outcome, with CIs over folds and customers."""

    outcome: str
    binary_outcome: bool
    scores: tuple[ScoreEvaluation, ...]
    ks: tuple[float, ...]
    n: int
    n_treated: int
    n_control: int
    n_folds: int
    fold_source: str
    best_model: str | None
    notes: tuple[Notice, ...]  # put in words by uplift_lab.report.notice_text
    test_to_train_ratio: float | None = None
    n_bootstrap: int = 0
    bootstrap_rows: int = 0

    def score(self, name: str) -> ScoreEvaluation:
        """The evaluation of the score called ``name``."""
        for item in self.scores:
            if item.name == name:
                return item
        raise KeyError(name)

    def best_baseline(self, metric: str = "qini_coefficient") -> ScoreEvaluation | None:
        """The baseline with the highest mean ``metric`` over folds (None without baselines)."""
        baselines = [item for item in self.scores if item.is_baseline]
        means = [item.summary.loc[metric, "mean"] for item in baselines]
        if not baselines or not np.isfinite(means).any():
            return None
        return baselines[int(np.nanargmax(means))]

    def difference(
        self, name: str, other: str, metric: str = "qini_coefficient", confidence: float = 0.95
    ) -> tuple[float, float, float]:
        """Mean and CI of ``metric`` of ``name`` minus ``other``, paired fold by fold.

        Both scores were evaluated on the same folds, so the per-fold differences cancel the
        folds' shared noise; the interval uses the same (corrected) t rule as the summaries.
        """
        first = np.array([metrics_as_row(m)[metric] for m in self.score(name).folds])
        second = np.array([metrics_as_row(m)[metric] for m in self.score(other).folds])
        differences = (first - second)[np.isfinite(first - second)]
        count = len(differences)
        if count < 2:
            mean = float(differences.mean()) if count else math.nan
            return mean, math.nan, math.nan
        mean, sd = float(differences.mean()), float(differences.std(ddof=1))
        factor = 1.0 / count + (self.test_to_train_ratio or 0.0)
        half = stats.t.ppf(0.5 + confidence / 2, count - 1) * sd * math.sqrt(factor)
        return mean, mean - half, mean + half

    def bootstrap_difference(
        self, name: str, other: str, metric: str = "qini_coefficient", confidence: float = 0.95
    ) -> tuple[float, float, float]:
        """Pooled ``metric`` of ``name`` minus ``other`` with a paired customer-bootstrap CI.

        Both scores were evaluated on the same bootstrap replicates, so the difference of their
        replicates is the bootstrap distribution of the difference. NaNs without a bootstrap.
        """
        first, second = self.score(name), self.score(other)
        if first.replicates is None or second.replicates is None:
            return math.nan, math.nan, math.nan
        estimate = float(first.bootstrap.loc[metric, "estimate"]) - float(
            second.bootstrap.loc[metric, "estimate"]
        )
        differences = (first.replicates[metric] - second.replicates[metric]).to_numpy()
        differences = differences[np.isfinite(differences)]
        if len(differences) < 2:
            return estimate, math.nan, math.nan
        tail = (1.0 - confidence) / 2.0
        low, high = np.quantile(differences, [tail, 1.0 - tail])
        return estimate, float(low), float(high)

    def comparison_table(self) -> pd.DataFrame:
        """One row per score: Qini, AUUC, uplift@k and incremental@k vs random, with CIs.

        ``<metric>``, ``<metric>_ci_low``/``_ci_high``: mean and CI over folds;
        ``pooled_<metric>`` and its ``_ci_low``/``_ci_high``: the pooled held-out value and its
        customer-level bootstrap CI (what the verdict uses), when a bootstrap was run.
        """
        rows = []
        for item in self.scores:
            row: dict[str, object] = {"score": item.name, "label": item.label}
            for metric, stat in item.summary.iterrows():
                row[f"{metric}"] = stat["mean"]
                row[f"{metric}_ci_low"] = stat["ci_low"]
                row[f"{metric}_ci_high"] = stat["ci_high"]
            if item.bootstrap is not None:
                for metric, stat in item.bootstrap.iterrows():
                    row[f"pooled_{metric}"] = stat["estimate"]
                    row[f"pooled_{metric}_ci_low"] = stat["ci_low"]
                    row[f"pooled_{metric}_ci_high"] = stat["ci_high"]
            row["verdict"] = item.verdict_word
            rows.append(row)
        return pd.DataFrame(rows)


def treatment_indicator(
    frame: pd.DataFrame,
    treatment_col: str,
    control: str,
    source: object,
    *,
    treated: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(keep, is_treated)``: rows in the compared arms and 1/0 for treated/control.

    With more than one treated arm, ``treated`` must name the one to compare against control.
    """
    require_columns(frame, (treatment_col,), source)
    labels = frame[treatment_col].astype("string").str.strip()  # ' Control' is 'Control'
    present = sorted(set(labels.dropna()))
    if control not in present:
        raise usage_error(
            source,
            f"column '{literal(treatment_col)}' has no '{literal(control)}' (control) rows; it has "
            f"{literal(', '.join(present[:5]) or 'no labels')}",
            "Pass the control label with {control}",
        )
    others = [label for label in present if label != control]
    if treated is None:
        if len(others) != 1:
            raise usage_error(
                source,
                f"column '{literal(treatment_col)}' has {len(others)} treated labels "
                f"({literal(', '.join(others[:5]) or 'none')}) besides '{literal(control)}'",
                "Name the treated arm to evaluate with {treated}",
            )
        treated = others[0]
    check_labels(labels, present, source, treatment_col)
    if treated not in present:
        raise input_error(
            source,
            f"column '{treatment_col}' has no '{treated}' rows",
            f"Use one of {', '.join(others)}",
        )
    keep = labels.isin([control, treated]).to_numpy(dtype=bool)
    is_treated = (labels == treated).to_numpy(dtype=bool)
    return keep, is_treated[keep].astype("int64")


def _assign_folds(
    is_treated: np.ndarray, outcome: np.ndarray, n_splits: int, seed: int
) -> np.ndarray:
    """Random folds stratified by treatment x (outcome > 0), seeded.

    Within each cell the rows are shuffled and dealt to the folds in turn, so every fold gets
    an equal share (+-1) of every cell, however small the cell.
    """
    rng = np.random.default_rng(seed)
    strata = is_treated * 2 + (outcome > 0)
    folds = np.empty(len(outcome), dtype="int64")
    offset = 0
    for cell in np.unique(strata):
        members = rng.permutation(np.flatnonzero(strata == cell))
        folds[members] = (np.arange(len(members)) + offset) % n_splits
        offset += len(members)  # the next cell starts where this one stopped: balanced sizes
    return folds


@dataclass(frozen=True, slots=True)
class _HeldOutSets:
    """Rows of each fold and the perfect-curve areas of each fold and of all rows."""

    fold_rows: tuple[np.ndarray, ...]
    fold_perfect: tuple[PerfectAreas, ...]
    pooled_perfect: PerfectAreas


def _held_out_sets(y: np.ndarray, t: np.ndarray, folds: np.ndarray) -> _HeldOutSets:
    rows = tuple(np.flatnonzero(folds == f) for f in np.unique(folds))
    return _HeldOutSets(
        fold_rows=rows,
        fold_perfect=tuple(perfect_areas(y[r], t[r]) for r in rows),
        pooled_perfect=perfect_areas(y, t),
    )


def _evaluate_one(
    name: str,
    label: str,
    score: np.ndarray,
    y: np.ndarray,
    t: np.ndarray,
    sets: _HeldOutSets,
    *,
    ks: tuple[float, ...],
    n_bins: int,
    test_to_train_ratio: float | None,
    is_baseline: bool,
    replicates: pd.DataFrame | None = None,
) -> ScoreEvaluation:
    per_fold = tuple(
        metrics_and_cumulative(y[rows], score[rows], t[rows], ks, perfect)[0]
        for rows, perfect in zip(sets.fold_rows, sets.fold_perfect, strict=True)
    )
    summary = summarize_folds(per_fold, test_to_train_ratio=test_to_train_ratio)
    pooled, cumulative = metrics_and_cumulative(y, score, t, ks, sets.pooled_perfect)
    calibration = decile_calibration(y, score, t, n_bins=n_bins)
    bootstrap = None
    if replicates is not None:
        bootstrap = bootstrap_summary(replicates, metrics_as_row(pooled))
    if is_baseline and name == RANDOM:  # a random order cannot beat random: show chance's size
        verdict = random_order_verdict(pooled.qini_coefficient)
    else:
        verdict = judge_usefulness(
            calibration, summary, percentage_points=pooled.binary_outcome, bootstrap=bootstrap
        )
    share, incremental = from_origin(cumulative.n_all / len(y), cumulative.qini())
    if len(share) > CURVE_POINTS_KEPT:  # for plots: linear between tie-block ends
        grid = np.linspace(0.0, 1.0, CURVE_POINTS_KEPT)
        share, incremental = grid, np.interp(grid, share, incremental)
    return ScoreEvaluation(
        name=name,
        label=label,
        folds=per_fold,
        summary=summary,
        pooled=pooled,
        calibration=calibration,
        curve_share=share,
        curve_incremental=incremental,
        verdict_data=verdict,
        is_baseline=is_baseline,
        bootstrap=bootstrap,
        replicates=replicates,
    )


def evaluate_scores(
    frame: pd.DataFrame,
    *,
    score_cols: Sequence[str],
    outcome_col: str,
    treatment_col: str,
    control: str,
    treated: str | None = None,
    fold_col: str | None = None,
    n_splits: int = 5,
    test_to_train_ratio: float | None = None,
    ks: Sequence[float] = DEFAULT_KS,
    n_bins: int = 10,
    rfm_col: str = "rfm_score",
    response_col: str | None = "p_control",
    labels: Mapping[str, str] | None = None,
    seed: int = 0,
    source: object = "scores",
    n_bootstrap: int = BOOTSTRAP_REPLICATES,
    bootstrap_max_rows: int = BOOTSTRAP_MAX_ROWS,
) -> ModelEvaluation:
    """Evaluate model scores and the baselines on held-out customers of a randomized campaign.

    ``frame`` has one row per held-out customer (or per customer and repeat): the scores, the
    outcome and the arm. With ``fold_col`` (out-of-fold predictions from cross-validation) the
    CIs are over those folds (pass ``test_to_train_ratio`` = 1/(K-1) to correct for their shared
    training data); without it, the rows are split into ``n_splits`` seeded random parts,
    stratified by arm x outcome, and the CIs are over the parts (independent held-out sets).
    Baselines: random, the RFM rule (when RFM columns exist) and purchase probability (when
    ``response_col`` is in ``frame``).

    The verdicts use a customer-level, arm-stratified bootstrap (``n_bootstrap`` seeded
    replicates; 0 = none, then the fold CI) of the pooled held-out metrics: "does this ranking
    beat random on these customers?". The fold CIs answer "would the learning algorithm
    generalize?" and are kept in each score's ``summary``.
    """
    data, is_treated, outcome, scores = _compared_rows(
        frame, score_cols, outcome_col, treatment_col, control, treated, n_bins, source
    )
    folds, fold_source = _evaluation_folds(
        data, is_treated, outcome, fold_col, n_splits, seed, source
    )
    n_folds = int(len(np.unique(folds)))
    if n_folds < 2:
        raise input_error(source, "fewer than 2 folds", "Use at least 2 folds for a CI")
    baselines, notes = _baselines_with_notes(data, score_cols, rfm_col, response_col, seed, source)
    ks = tuple(ks)
    t = is_treated.astype("float64")
    replicates, bootstrap_rows = _bootstrap(
        outcome, t, scores, baselines, ks, n_bootstrap, bootstrap_max_rows, seed, notes
    )
    sets = _held_out_sets(outcome, t, folds)
    common = dict(ks=ks, n_bins=n_bins, test_to_train_ratio=test_to_train_ratio)
    evaluated = [
        _evaluate_one(name, (labels or {}).get(name, name), score, outcome, t, sets,
                      is_baseline=False, replicates=replicates.get(name), **common)
        for name, score in scores.items()
    ] + [
        _evaluate_one(name, BASELINE_LABELS[name], baselines[name].to_numpy(), outcome, t, sets,
                      is_baseline=True, replicates=replicates.get(name), **common)
        for name in baselines.columns
    ]  # fmt: skip
    return ModelEvaluation(
        outcome=outcome_col,
        binary_outcome=bool(np.isin(outcome, (0.0, 1.0)).all()),
        scores=tuple(evaluated),
        ks=ks,
        n=len(data),
        n_treated=int(is_treated.sum()),
        n_control=int(len(data) - is_treated.sum()),
        n_folds=n_folds,
        fold_source=fold_source,
        test_to_train_ratio=test_to_train_ratio,
        best_model=_best_model(evaluated),
        notes=tuple(notes),
        n_bootstrap=n_bootstrap,
        bootstrap_rows=bootstrap_rows,
    )


def _compared_rows(
    frame: pd.DataFrame,
    score_cols: Sequence[str],
    outcome_col: str,
    treatment_col: str,
    control: str,
    treated: str | None,
    n_bins: int,
    source: object,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """The rows of the compared arms, which of them are treated, their outcome and each score
    (validated: the columns exist and are numeric, and there are enough rows for ``n_bins``)."""
    require_columns(frame, [*score_cols, outcome_col], source)
    if not score_cols:
        raise usage_error(source, "no score columns to evaluate", "Pass {score_cols}")
    keep, is_treated = treatment_indicator(frame, treatment_col, control, source, treated=treated)
    data = frame.loc[keep].reset_index(drop=True)
    if len(data) < 2 * n_bins:
        raise input_error(
            source, f"only {len(data)} rows in the compared arms", f"Need at least {2 * n_bins}"
        )
    data = yes_no_outcome(data, outcome_col, source)  # 'Yes'/'No' (a 0/1 outcome in words)
    outcome = numeric_column(data, outcome_col, source, allow_negative=False).to_numpy()
    scores = {
        name: numeric_column(data, name, source).to_numpy() for name in dict.fromkeys(score_cols)
    }
    return data, is_treated, outcome, scores


def _bootstrap(
    outcome: np.ndarray,
    t: np.ndarray,
    scores: Mapping[str, np.ndarray],
    baselines: pd.DataFrame,
    ks: tuple[float, ...],
    n_bootstrap: int,
    max_rows: int,
    seed: int,
    notes: list[Notice],
) -> tuple[dict[str, pd.DataFrame], int]:
    """The customer bootstrap's replicates of every score and baseline and how many rows it drew
    from (none with ``n_bootstrap`` 0); a note is added to ``notes`` when it ran on a subsample."""
    if n_bootstrap <= 0:
        return {}, 0
    all_scores = {**scores, **{name: baselines[name].to_numpy() for name in baselines}}
    replicates, rows = bootstrap_replicates(
        outcome, t, all_scores, ks=ks, n_replicates=n_bootstrap, max_rows=max_rows, seed=seed
    )
    if rows < len(outcome):
        notes.append(Notice("note", "bootstrap_subsample", {"rows": rows, "total": len(outcome)}))
    return replicates, rows


def _evaluation_folds(
    data: pd.DataFrame,
    is_treated: np.ndarray,
    outcome: np.ndarray,
    fold_col: str | None,
    n_splits: int,
    seed: int,
    source: object,
) -> tuple[np.ndarray, str]:
    """The fold of every row and where the folds came from (``fold_col``, or random parts)."""
    if fold_col is not None:
        require_columns(data, (fold_col,), source)
        folds = pd.factorize(data[fold_col], sort=True)[0]
        return folds, f"held-out folds in column '{fold_col}'"
    if not 2 <= n_splits <= len(data) // 2:
        raise ParameterError("n_splits", f"must be between 2 and {len(data) // 2}", n_splits)
    folds = _assign_folds(is_treated, outcome, n_splits, seed)
    return folds, f"{n_splits} random parts of the held-out data (seed {seed})"


def _baselines_with_notes(
    data: pd.DataFrame,
    score_cols: Sequence[str],
    rfm_col: str,
    response_col: str | None,
    seed: int,
    source: object,
) -> tuple[pd.DataFrame, list[Notice]]:
    """The baselines' scores (RFM columns made numeric in ``data``) and notes on missing ones."""
    notes: list[Notice] = []
    response = None
    if response_col and response_col in data.columns and response_col not in score_cols:
        response = numeric_column(data, response_col, source).to_numpy()
    for column in rfm_rule_columns(data, rfm_col=rfm_col):
        data[column] = numeric_column(data, column, source, allow_missing=True)
    baselines = baseline_scores(data, rfm_col=rfm_col, response_proba=response, seed=seed)
    if RFM_RULE not in baselines.columns:
        notes.append(Notice("note", "no_rfm_baseline", {"rfm_col": rfm_col}))
    else:
        columns = tuple(rfm_rule_columns(data, rfm_col=rfm_col))
        notes.append(Notice("note", "rfm_rule_columns", {"columns": columns}))
    if PURCHASE_PROBABILITY not in baselines.columns:
        notes.append(Notice("note", "no_purchase_baseline", {"column": response_col}))
    return baselines, notes


def _best_model(evaluated: Sequence[ScoreEvaluation]) -> str | None:
    """The model (not baseline) with the highest mean Qini over folds (None if none is finite)."""
    models = [item for item in evaluated if not item.is_baseline]
    qini_means = [item.summary.loc["qini_coefficient", "mean"] for item in models]
    return models[int(np.nanargmax(qini_means))].name if np.isfinite(qini_means).any() else None


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
            # the verdict a report leads with is the chosen model's (what score and target use),
            # not the one that happens to rank first on the held-out rows
            evaluation = replace(evaluation, best_model=f"{prefix}{chosen}")
            evaluations.append((str(arm), target, evaluation))
    return evaluations
