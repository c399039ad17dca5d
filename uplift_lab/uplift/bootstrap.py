"""Customer-level bootstrap of the pooled held-out metrics (arm-stratified, paired across scores).

Every score is evaluated on the same seeded replicates, so differences between scores are paired.
Above ``BOOTSTRAP_MAX_ROWS`` rows the replicates resample a stratified subsample and the
intervals are rescaled to the full size (m-out-of-n bootstrap).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from uplift_lab.uplift.metrics import (
    DEFAULT_KS,
    as_arrays,
    block_ends,
    descending_order,
    metrics_as_row,
    uplift_curve_metrics,
)

# --------------------------------------------------------------------------- bootstrap

BOOTSTRAP_REPLICATES = 200
BOOTSTRAP_MAX_ROWS = 100_000  # above this, replicates resample a stratified subsample
_BOOTSTRAP_CHUNK_CELLS = 2_000_000  # replicate x row cells held at once (bounds memory)


def bootstrap_metric_names(ks: Sequence[float]) -> list[str]:
    """Metrics the customer-level bootstrap gives intervals for (names as in metrics_as_row)."""
    names = ["qini_coefficient"]
    names += [f"uplift_at_{k:.0%}" for k in ks]
    names += [f"incremental_per_1000_at_{k:.0%}" for k in ks]
    names += [f"gain_over_random_per_1000_at_{k:.0%}" for k in ks]
    return names


@dataclass(frozen=True, slots=True)
class _SortedScore:
    """One score's descending order over the resampled rows and the arrays in that order."""

    order: np.ndarray
    ends: np.ndarray
    treated: np.ndarray
    outcome_treated: np.ndarray
    outcome_control: np.ndarray


def _sorted_score(
    y: np.ndarray, t: np.ndarray, order: np.ndarray, sorted_key: np.ndarray
) -> _SortedScore:
    return _SortedScore(
        order=order,
        ends=block_ends(sorted_key),
        treated=t[order],
        outcome_treated=(y * t)[order],
        outcome_control=(y * (1.0 - t))[order],
    )


def _weighted_cumulative(weights: np.ndarray, sorted_score: _SortedScore) -> tuple[np.ndarray, ...]:
    """Per replicate (row of ``weights``): cumulative n, n treated, treated and control sums."""
    w = weights[:, sorted_score.order]
    sums = []
    for values in (
        sorted_score.treated,
        sorted_score.outcome_treated,
        sorted_score.outcome_control,
    ):
        product = np.multiply(w, values)
        sums.append(np.cumsum(product, axis=1, out=product))
    return (np.cumsum(w, axis=1, out=w), *sums)


def _qini_at(n_all, n_treated, sum_treated, sum_control) -> np.ndarray:
    n_control = n_all - n_treated
    ratio = np.divide(n_treated, n_control, out=np.zeros_like(n_treated), where=n_control != 0)
    return sum_treated - sum_control * ratio


def _qini_area(cumulative: tuple[np.ndarray, ...], ends: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per replicate: area above the diagonal of the Qini curve, and the curve's end value."""
    if len(ends) == cumulative[0].shape[1]:  # no ties: every position ends a block
        n_all, n_t, s_t, s_c = cumulative
    else:
        n_all, n_t, s_t, s_c = (column[:, ends] for column in cumulative)
    curve = _qini_at(n_all, n_t, s_t, s_c)
    end = curve[:, -1]
    # Trapezoids from the origin (0, 0) through every block end.
    area = n_all[:, 0] * curve[:, 0] / 2.0
    area += np.sum(np.diff(n_all, axis=1) * (curve[:, 1:] + curve[:, :-1]), axis=1) / 2.0
    return area - n_all[:, -1] * end / 2.0, end


def _values_before(cumulative: np.ndarray, rows: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``cumulative[row, at - 1]``, 0 where ``at`` is 0: the sum over positions before ``at``."""
    return np.where(at > 0, cumulative[rows, np.maximum(at - 1, 0)], 0.0)


def resampled_metrics(
    weights: np.ndarray,
    outcome: np.ndarray,
    treatment: np.ndarray,
    score: np.ndarray,
    *,
    ks: Sequence[float] = DEFAULT_KS,
) -> pd.DataFrame:
    """The metrics of ``bootstrap_metric_names`` on reweighted data, one row per weight row.

    ``weights[b, i]`` is how many times customer ``i`` is drawn in replicate ``b``: the result
    equals :func:`uplift_curve_metrics` on the data with each row repeated that many times (a
    drawn customer's copies tie with each other, so the tie rule is unchanged). Vectorized over
    replicates; used by :func:`bootstrap_replicates`.
    """
    y, s, t = as_arrays(outcome, score, treatment)
    weights = np.atleast_2d(np.asarray(weights, dtype="float64"))
    order = descending_order(s)
    actual = _sorted_score(y, t, order, s[order])
    perfect_key = y * t - y * (1.0 - t)
    perfect_order = descending_order(perfect_key)
    perfect = _sorted_score(y, t, perfect_order, perfect_key[perfect_order])
    return _resampled_metrics(weights, actual, perfect, tuple(ks))


def _resampled_metrics(
    weights: np.ndarray, actual: _SortedScore, perfect: _SortedScore, ks: tuple[float, ...]
) -> pd.DataFrame:
    perfect_area, _ = _qini_area(_weighted_cumulative(weights, perfect), perfect.ends)
    cumulative = _weighted_cumulative(weights, actual)
    area, total = _qini_area(cumulative, actual.ends)
    with np.errstate(invalid="ignore", divide="ignore"):
        columns = {"qini_coefficient": np.where(perfect_area != 0, area / perfect_area, np.nan)}
    n_all = cumulative[0]
    size = n_all[:, -1]
    rows = np.arange(len(weights))
    # Rows of n_all are non-decreasing and end at size <= width, so shifting row b by
    # b * (width + 1) makes the flattened array sorted: one searchsorted finds every cut.
    width = n_all.shape[1]
    shift = rows * float(width + 1)
    flat = (n_all + shift[:, None]).ravel()
    uplift, incremental, gain = {}, {}, {}
    for k in ks:
        n_top = np.floor(size * k)  # int(n * k), as for the point estimate
        at = np.searchsorted(flat, n_top + shift, side="left") - rows * width
        at = np.minimum(at, width - 1)  # the first position whose cumulative n reaches n_top
        partial = n_top - _values_before(n_all, rows, at)  # copies at the cut inside the top
        top_t = _values_before(cumulative[1], rows, at) + partial * actual.treated[at]
        top_c = n_top - top_t
        sum_t = _values_before(cumulative[2], rows, at) + partial * actual.outcome_treated[at]
        sum_c = _values_before(cumulative[3], rows, at) + partial * actual.outcome_control[at]
        with np.errstate(invalid="ignore", divide="ignore"):
            valid = (top_t > 0) & (top_c > 0)
            uplift[k] = np.where(valid, sum_t / top_t - sum_c / top_c, np.nan)
            value = np.where(valid, sum_t - sum_c * top_t / top_c, np.nan)
        incremental[k] = value * 1000.0 / size
        gain[k] = (value - total * n_top / size) * 1000.0 / size
    for k in ks:
        columns[f"uplift_at_{k:.0%}"] = uplift[k]
    for k in ks:
        columns[f"incremental_per_1000_at_{k:.0%}"] = incremental[k]
    for k in ks:
        columns[f"gain_over_random_per_1000_at_{k:.0%}"] = gain[k]
    return pd.DataFrame(columns)


def _stratified_counts(
    rng: np.random.Generator, groups: Sequence[np.ndarray], n_rows: int, n_replicates: int
) -> np.ndarray:
    """Draw counts (replicates x rows): each group resampled with replacement to its own size."""
    counts = np.zeros((n_replicates, n_rows))
    offsets = np.arange(n_replicates)[:, None]
    for members in groups:
        if len(members) == 0:
            continue
        draws = rng.integers(0, len(members), size=(n_replicates, len(members)))
        flat = np.bincount(
            (draws + offsets * len(members)).ravel(), minlength=n_replicates * len(members)
        )
        counts[:, members] = flat.reshape(n_replicates, len(members))
    return counts


def bootstrap_replicates(
    outcome: Sequence[float],
    treatment: Sequence[int],
    scores: Mapping[str, Sequence[float]],
    *,
    ks: Sequence[float] = DEFAULT_KS,
    n_replicates: int = BOOTSTRAP_REPLICATES,
    max_rows: int = BOOTSTRAP_MAX_ROWS,
    seed: int = 0,
) -> tuple[dict[str, pd.DataFrame], int]:
    """Customer-level bootstrap of every score's pooled held-out metrics, paired across scores.

    Customers are resampled with replacement within each arm (so both arms keep their sizes);
    every score is evaluated on the same replicates, so differences between scores are paired.
    Above ``max_rows`` customers, each replicate resamples a fixed stratified subsample of
    ``max_rows`` and the deviations are shrunk by sqrt(m / n) (the m-out-of-n bootstrap),
    which bounds the cost on millions of customers.

    Returns ``({score: replicates}, rows resampled)``: each DataFrame has one row per replicate
    and the columns of :func:`bootstrap_metric_names`, already centred on the full data's
    estimate (``estimate + scale * (replicate - subsample estimate)``), so percentiles of a
    column, or of the difference of two scores' columns, are 95%-style intervals.
    """
    if n_replicates < 1:
        raise ValueError(f"The 'n_replicates' parameter must be >= 1. Got {n_replicates} instead.")
    y_all = np.asarray(outcome, dtype="float64")
    t_all = np.asarray(treatment).astype("float64")
    ks = tuple(ks)
    rng = np.random.default_rng(seed)
    n = len(y_all)
    rows = np.arange(n)
    if n > max_rows:
        treated_rows, control_rows = np.flatnonzero(t_all == 1), np.flatnonzero(t_all == 0)
        n_treated = int(round(max_rows * len(treated_rows) / n))
        rows = np.sort(
            np.r_[
                rng.choice(treated_rows, n_treated, replace=False),
                rng.choice(control_rows, max_rows - n_treated, replace=False),
            ]
        )
    y, t = y_all[rows], t_all[rows]
    scale = math.sqrt(len(rows) / n)
    perfect_key = y * t - y * (1.0 - t)
    perfect_order = descending_order(perfect_key)
    perfect = _sorted_score(y, t, perfect_order, perfect_key[perfect_order])
    prepared = {}
    for name, values in scores.items():
        s = np.asarray(values, dtype="float64")[rows]
        order = descending_order(s)
        prepared[name] = _sorted_score(y, t, order, s[order])
    groups = (np.flatnonzero(t == 1), np.flatnonzero(t == 0))
    chunk = max(1, _BOOTSTRAP_CHUNK_CELLS // len(rows))
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in prepared}
    for start in range(0, n_replicates, chunk):
        counts = _stratified_counts(rng, groups, len(rows), min(chunk, n_replicates - start))
        for name, sorted_score in prepared.items():
            parts[name].append(_resampled_metrics(counts, sorted_score, perfect, ks))
    ones = np.ones((1, len(rows)))
    result = {}
    for name, sorted_score in prepared.items():
        replicates = pd.concat(parts[name], ignore_index=True)
        if scale != 1.0:
            subsample = _resampled_metrics(ones, sorted_score, perfect, ks).iloc[0]
            full = pd.Series(
                metrics_as_row(
                    uplift_curve_metrics(
                        y_all, np.asarray(scores[name], dtype="float64"), t_all, ks=ks
                    )
                )
            )[replicates.columns]
            replicates = full + scale * (replicates - subsample)
        result[name] = replicates
    return result, len(rows)


def bootstrap_summary(
    replicates: pd.DataFrame, estimates: Mapping[str, float], *, confidence: float = 0.95
) -> pd.DataFrame:
    """Percentile interval of each metric from its (centred) bootstrap replicates.

    Returns a DataFrame indexed by metric with columns estimate (the pooled held-out value),
    ci_low, ci_high, se (replicates' standard deviation) and n_replicates (finite ones).
    """
    tail = (1.0 - confidence) / 2.0
    rows = {}
    for name in replicates.columns:
        values = replicates[name].to_numpy(dtype="float64")
        values = values[np.isfinite(values)]
        low = high = se = math.nan
        if len(values) >= 2:
            low, high = (float(q) for q in np.quantile(values, [tail, 1.0 - tail]))
            se = float(values.std(ddof=1))
        rows[name] = {
            "estimate": float(estimates.get(name, math.nan)),
            "ci_low": low,
            "ci_high": high,
            "se": se,
            "n_replicates": len(values),
        }
    return pd.DataFrame.from_dict(rows, orient="index")
