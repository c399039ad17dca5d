"""Honest validation of uplift scores: Qini/AUUC, uplift@k, decile calibration, baselines.

Everything here is pure computation over arrays and DataFrames. Outcomes may be binary
(conversion) or real-valued (revenue): scikit-uplift's metrics accept binary outcomes only, so the
curves are implemented here with the same definitions and tested against scikit-uplift on binary
data and against a brute force on revenue.

Ordering and ties (one rule everywhere): customers are sorted by descending score; a stable
mergesort of the ascending scores is reversed, so tied customers appear in reverse input order
(scikit-uplift's convention). Curves have one point at the end of each block of tied scores, so
the Qini coefficient and AUUC do not depend on the order of tied customers. The top-k metrics
(uplift@k, incremental@k) take the first ``int(n * k)`` customers of that order, exactly as
scikit-uplift's ``uplift_at_k``; a tie block cut by k is split by input order, which is why the
baselines built here carry a seeded random tie-break.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from uplift_lab.contracts import check_labels, numeric_column, require_columns
from uplift_lab.errors import input_error

DEFAULT_KS = (0.1, 0.2, 0.3, 0.5)
CURVE_POINTS_KEPT = 2001  # Qini curve points kept per score for plots (not for metrics)
RANDOM = "random"
RFM_RULE = "rfm_rule"
PURCHASE_PROBABILITY = "purchase_probability"
BASELINE_LABELS = {
    RANDOM: "baseline: random targeting",
    RFM_RULE: "baseline: RFM rule",
    PURCHASE_PROBABILITY: "baseline: purchase probability",
}
# Column names accepted for each RFM part, in order of preference; lower recency is better.
# "history" is past spend in the Hillstrom e-mail data set (no frequency column there).
RFM_PARTS = (("recency_days", "recency"), ("frequency", "n_orders"), ("monetary", "history"))
RECENCY_NAMES = RFM_PARTS[0]


# --------------------------------------------------------------------------- curves


def _as_arrays(
    outcome: Sequence[float], uplift: Sequence[float], treatment: Sequence[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = np.asarray(outcome, dtype="float64")
    s = np.asarray(uplift, dtype="float64")
    t = np.asarray(treatment)
    if not (y.ndim == s.ndim == t.ndim == 1) or not (len(y) == len(s) == len(t)):
        raise ValueError(
            f"outcome, uplift and treatment must be 1-d of equal length; "
            f"got {y.shape}, {s.shape}, {t.shape}"
        )
    if len(y) == 0:
        raise ValueError("outcome, uplift and treatment are empty")
    if not np.isin(t, (0, 1)).all():
        raise ValueError("treatment must hold 0 (control) and 1 (treated) only")
    if not (np.isfinite(y).all() and np.isfinite(s).all()):
        raise ValueError("outcome and uplift must be finite (no NaN or inf)")
    return y, s, t.astype("float64")


def _descending_order(score: np.ndarray) -> np.ndarray:
    """Indices by descending score; ties in reverse input order (scikit-uplift's convention)."""
    return np.argsort(score, kind="mergesort")[::-1]


def _block_ends(*sorted_keys: np.ndarray) -> np.ndarray:
    """Positions (0-based) of the last customer of each block of equal sorted keys."""
    n = len(sorted_keys[0])
    change = np.zeros(max(n - 1, 0), dtype=bool)
    for key in sorted_keys:
        change |= key[1:] != key[:-1]
    return np.r_[np.flatnonzero(change), n - 1]


@dataclass(frozen=True, slots=True)
class _Cumulative:
    """Cumulative counts and sums along an ordering, read at the end of each tie block."""

    n_all: np.ndarray
    n_treated: np.ndarray
    sum_treated: np.ndarray
    sum_control: np.ndarray

    @property
    def n_control(self) -> np.ndarray:
        return self.n_all - self.n_treated

    def qini(self) -> np.ndarray:
        """Treated sum - control sum x n_t / n_c (ratio taken as 0 while no control is seen)."""
        n_c = self.n_control
        ratio = np.divide(self.n_treated, n_c, out=np.zeros_like(self.n_treated), where=n_c != 0)
        return self.sum_treated - self.sum_control * ratio

    def uplift_gain(self) -> np.ndarray:
        """(treated mean - control mean) x n: scikit-uplift's "uplift curve"."""
        n_t, n_c = self.n_treated, self.n_control
        mean_t = np.divide(
            self.sum_treated, n_t, out=np.zeros_like(self.sum_treated), where=n_t != 0
        )
        mean_c = np.divide(
            self.sum_control, n_c, out=np.zeros_like(self.sum_control), where=n_c != 0
        )
        return (mean_t - mean_c) * self.n_all


def _cumulative(y: np.ndarray, t: np.ndarray, order: np.ndarray, ends: np.ndarray) -> _Cumulative:
    y_sorted, t_sorted = y[order], t[order]
    return _Cumulative(
        n_all=(ends + 1).astype("float64"),
        n_treated=np.cumsum(t_sorted)[ends],
        sum_treated=np.cumsum(y_sorted * t_sorted)[ends],
        sum_control=np.cumsum(y_sorted * (1.0 - t_sorted))[ends],
    )


def _from_origin(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.r_[0.0, x], np.r_[0.0, y]


def _score_cumulative(y: np.ndarray, s: np.ndarray, t: np.ndarray) -> _Cumulative:
    order = _descending_order(s)
    return _cumulative(y, t, order, _block_ends(s[order]))


def uplift_curve(
    outcome: Sequence[float], uplift: Sequence[float], treatment: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Qini-style incremental outcome curve of a ranking.

    Parameters
    ----------
    outcome : conversion (0/1) or revenue per customer.
    uplift : predicted uplift (any score; higher is targeted first).
    treatment : 1 for treated, 0 for control.

    Returns
    -------
    share_targeted, incremental : the share of customers targeted (from 0 to 1, one point at the
        end of each block of tied scores) and, among them, treated outcome sum - control outcome
        sum x n_treated / n_control (the Qini curve; scikit-uplift's ``qini_curve`` divided by n
        on the x axis).
    """
    y, s, t = _as_arrays(outcome, uplift, treatment)
    cum = _score_cumulative(y, s, t)
    share, incremental = _from_origin(cum.n_all / len(y), cum.qini())
    return share, incremental


def _area_above_diagonal(x: np.ndarray, curve: np.ndarray, end_value: float) -> float:
    return float(np.trapezoid(curve, x) - x[-1] * end_value / 2.0)


def _perfect_qini_cumulative(y: np.ndarray, t: np.ndarray) -> _Cumulative:
    """Best ordering for the Qini curve: treated by outcome desc, ..., control by outcome asc."""
    return _score_cumulative(y, y * t - y * (1.0 - t), t)


def _perfect_uplift_cumulative(y: np.ndarray, t: np.ndarray) -> _Cumulative:
    """scikit-uplift's perfect uplift-curve ordering, extended to real outcomes.

    Groups in order: treated with a positive outcome (by outcome desc), control with zero
    outcome, then control with a positive outcome (by outcome asc) and treated with zero outcome,
    whichever group is larger first (``cr_num > tn_num`` in scikit-uplift). On 0/1 outcomes this
    is exactly scikit-uplift's ``perfect_uplift_curve``.
    """
    positive = y > 0
    control_responders = int(np.sum(positive & (t == 0)))
    treated_non_responders = int(np.sum(~positive & (t == 1)))
    group = np.where(t == 1, np.where(positive, 3, 0), np.where(positive, 0, 2))
    if control_responders > treated_non_responders:
        group = np.where((t == 0) & positive, 1, group)
    else:
        group = np.where((t == 1) & ~positive, 1, group)
    within = np.where(t == 1, y, -y)  # treated: larger first; control: smaller first
    order = np.lexsort((-within, -group))
    return _cumulative(y, t, order, _block_ends(group[order], within[order]))


@dataclass(frozen=True, slots=True)
class _PerfectAreas:
    """Areas above the diagonal of the perfect Qini and uplift curves of one held-out set.

    They depend on outcomes and arms only, so they are computed once per set and shared by
    every score evaluated on it.
    """

    qini: float
    qini_end: float
    uplift: float
    uplift_end: float


def _perfect_areas(y: np.ndarray, t: np.ndarray) -> _PerfectAreas:
    qini_cum, uplift_cum = _perfect_qini_cumulative(y, t), _perfect_uplift_cumulative(y, t)
    x_q, y_q = _from_origin(qini_cum.n_all, qini_cum.qini())
    x_u, y_u = _from_origin(uplift_cum.n_all, uplift_cum.uplift_gain())
    return _PerfectAreas(
        qini=_area_above_diagonal(x_q, y_q, float(y_q[-1])),
        qini_end=float(y_q[-1]),
        uplift=_area_above_diagonal(x_u, y_u, float(y_u[-1])),
        uplift_end=float(y_u[-1]),
    )


def _normalized_areas(actual: _Cumulative, perfect: _PerfectAreas) -> tuple[float, float]:
    """(Qini coefficient, AUUC): the actual curves' areas over the perfect ones (NaN if 0)."""
    x = np.r_[0.0, actual.n_all]
    qini_area = _area_above_diagonal(x, np.r_[0.0, actual.qini()], perfect.qini_end)
    uplift_area = _area_above_diagonal(x, np.r_[0.0, actual.uplift_gain()], perfect.uplift_end)
    qini = qini_area / perfect.qini if perfect.qini != 0.0 else math.nan
    auuc_value = uplift_area / perfect.uplift if perfect.uplift != 0.0 else math.nan
    return qini, auuc_value


def qini_coefficient(
    outcome: Sequence[float], uplift: Sequence[float], treatment: Sequence[int]
) -> float:
    """Area between the Qini curve and the random line over that of the perfect ranking.

    Same normalization as scikit-uplift's ``qini_auc_score(negative_effect=True)``; NaN when the
    outcome has no variation (the perfect area is zero).
    """
    y, s, t = _as_arrays(outcome, uplift, treatment)
    return _normalized_areas(_score_cumulative(y, s, t), _perfect_areas(y, t))[0]


def auuc(outcome: Sequence[float], uplift: Sequence[float], treatment: Sequence[int]) -> float:
    """Normalized area under the uplift curve, as scikit-uplift's ``uplift_auc_score``."""
    y, s, t = _as_arrays(outcome, uplift, treatment)
    return _normalized_areas(_score_cumulative(y, s, t), _perfect_areas(y, t))[1]


# --------------------------------------------------------------------------- metrics


@dataclass(frozen=True, slots=True)
class UpliftMetrics:
    """How well one score ranks customers by uplift on one held-out set.

    ``incremental_at_k`` is the Qini curve's value at the top k (treated outcome sum - control
    sum x n_t / n_c among them); ``random_at_k`` is what random targeting of the same number of
    customers captures in expectation. ``uplift_at_k`` is treated mean - control mean among the
    top k ("overall" strategy); NaN with a line in ``notes`` when an arm is missing there.
    """

    qini_coefficient: float
    auuc: float
    uplift_at_k: dict[float, float]
    incremental_at_k: dict[float, float]
    random_at_k: dict[float, float]
    total_incremental: float
    n: int
    n_treated: int
    n_control: int
    binary_outcome: bool
    notes: tuple[str, ...] = field(default=())


def _top_k_stats(
    y: np.ndarray, t: np.ndarray, order: np.ndarray, n_top: int
) -> tuple[int, int, float, float]:
    top = order[:n_top]
    t_top, y_top = t[top], y[top]
    n_t = int(t_top.sum())
    return n_t, n_top - n_t, float(np.sum(y_top * t_top)), float(np.sum(y_top * (1 - t_top)))


def uplift_curve_metrics(
    outcome: Sequence[float],
    uplift: Sequence[float],
    treatment: Sequence[int],
    *,
    ks: Sequence[float] = DEFAULT_KS,
) -> UpliftMetrics:
    """Qini coefficient, AUUC and the top-k metrics of a score on one held-out set."""
    y, s, t = _as_arrays(outcome, uplift, treatment)
    return _curve_metrics(y, s, t, tuple(ks), _perfect_areas(y, t))[0]


def _curve_metrics(
    y: np.ndarray, s: np.ndarray, t: np.ndarray, ks: tuple[float, ...], perfect: _PerfectAreas
) -> tuple[UpliftMetrics, _Cumulative]:
    """The metrics, and the score's cumulative sums (for its curve), on validated arrays."""
    for k in ks:
        if not 0 < k < 1:
            raise ValueError(f"The 'ks' parameter must hold shares in (0, 1). Got {k} instead.")
    n = len(y)
    n_treated = int(t.sum())
    n_control = n - n_treated
    notes: list[str] = []
    if n_treated == 0 or n_control == 0:
        missing = "treated" if n_treated == 0 else "control"
        notes.append(f"no {missing} customers in this set: no metric can be computed")
    order = _descending_order(s)
    actual = _cumulative(y, t, order, _block_ends(s[order]))
    qini, area_uplift = _normalized_areas(actual, perfect)
    if math.isnan(qini) and not notes:
        notes.append("the outcome does not vary: Qini and AUUC are undefined")
    total = float(actual.qini()[-1])

    uplift_at_k: dict[float, float] = {}
    incremental_at_k: dict[float, float] = {}
    random_at_k: dict[float, float] = {}
    for k in ks:
        n_top = int(n * k)
        n_t, n_c, sum_t, sum_c = _top_k_stats(y, t, order, n_top)
        random_at_k[k] = total * n_top / n
        if n_t == 0 or n_c == 0:
            missing = "treated" if n_t == 0 else "control"
            notes.append(
                f"uplift@{k:.0%}: no {missing} customers among the top {n_top}, "
                "so uplift and incremental outcome there cannot be measured"
            )
            uplift_at_k[k] = math.nan
            incremental_at_k[k] = math.nan
            continue
        uplift_at_k[k] = sum_t / n_t - sum_c / n_c
        incremental_at_k[k] = sum_t - sum_c * n_t / n_c
    binary = bool(np.isin(y, (0.0, 1.0)).all())
    metrics = UpliftMetrics(
        qini_coefficient=qini,
        auuc=area_uplift,
        uplift_at_k=uplift_at_k,
        incremental_at_k=incremental_at_k,
        random_at_k=random_at_k,
        total_incremental=total,
        n=n,
        n_treated=n_treated,
        n_control=n_control,
        binary_outcome=binary,
        notes=tuple(notes),
    )
    return metrics, actual


def metrics_as_row(metrics: UpliftMetrics) -> dict[str, float]:
    """Flatten metrics to ``{name: value}`` (``uplift_at_10%`` etc.) for tables and JSON.

    Besides the raw incremental outcome at k (which grows with the size of the set), the
    ``*_per_1000_at_k`` entries divide it by the set's size (x 1000), so that folds and data
    sets of different sizes can be averaged and compared.
    """
    row = {"qini_coefficient": metrics.qini_coefficient, "auuc": metrics.auuc}
    for k, value in metrics.uplift_at_k.items():
        row[f"uplift_at_{k:.0%}"] = value
    per_1000 = 1000.0 / metrics.n
    for k, value in metrics.incremental_at_k.items():
        random = metrics.random_at_k[k]
        row[f"incremental_at_{k:.0%}"] = value
        row[f"random_at_{k:.0%}"] = random
        row[f"incremental_per_1000_at_{k:.0%}"] = value * per_1000
        row[f"random_per_1000_at_{k:.0%}"] = random * per_1000
        row[f"gain_over_random_per_1000_at_{k:.0%}"] = (value - random) * per_1000
    return row


def summarize_folds(
    folds: Sequence[UpliftMetrics],
    *,
    confidence: float = 0.95,
    test_to_train_ratio: float | None = None,
) -> pd.DataFrame:
    """Mean and t confidence interval of each metric over folds or repeated splits.

    Folds of one cross-validation share training data, so their metrics are positively
    correlated and the naive interval is too narrow; pass ``test_to_train_ratio`` (1/(K-1) for
    K-fold) to widen it with Nadeau and Bengio's (2003) corrected variance,
    ``(1/J + n_test/n_train) * s^2``. Metrics that are NaN in some folds are averaged over the
    others; ``n_folds`` says how many counted.

    Returns a DataFrame indexed by metric name with columns mean, ci_low, ci_high, sd, n_folds.
    """
    if not folds:
        raise ValueError("summarize_folds needs at least one UpliftMetrics")
    table = pd.DataFrame([metrics_as_row(m) for m in folds])
    rows = {}
    for name in table.columns:
        values = table[name].to_numpy(dtype="float64")
        values = values[np.isfinite(values)]
        count = len(values)
        mean = float(values.mean()) if count else math.nan
        sd = float(values.std(ddof=1)) if count > 1 else math.nan
        low = high = math.nan
        if count > 1:
            variance_factor = 1.0 / count + (test_to_train_ratio or 0.0)
            half = stats.t.ppf(0.5 + confidence / 2, count - 1) * sd * math.sqrt(variance_factor)
            low, high = mean - half, mean + half
        rows[name] = {"mean": mean, "ci_low": low, "ci_high": high, "sd": sd, "n_folds": count}
    return pd.DataFrame.from_dict(rows, orient="index")


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
        ends=_block_ends(sorted_key),
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
    y, s, t = _as_arrays(outcome, score, treatment)
    weights = np.atleast_2d(np.asarray(weights, dtype="float64"))
    order = _descending_order(s)
    actual = _sorted_score(y, t, order, s[order])
    perfect_key = y * t - y * (1.0 - t)
    perfect_order = _descending_order(perfect_key)
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
    perfect_order = _descending_order(perfect_key)
    perfect = _sorted_score(y, t, perfect_order, perfect_key[perfect_order])
    prepared = {}
    for name, values in scores.items():
        s = np.asarray(values, dtype="float64")[rows]
        order = _descending_order(s)
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


# --------------------------------------------------------------------------- calibration


def _welch_interval(
    mean_t: float, var_t: float, n_t: int, mean_c: float, var_c: float, n_c: int, level: float
) -> tuple[float, float]:
    if n_t < 2 or n_c < 2:
        return math.nan, math.nan
    a, b = var_t / n_t, var_c / n_c
    se = math.sqrt(a + b)
    if se == 0.0:
        return math.nan, math.nan
    df = (a + b) ** 2 / (a * a / (n_t - 1) + b * b / (n_c - 1))
    half = stats.t.ppf(0.5 + level / 2, df) * se
    diff = mean_t - mean_c
    return diff - half, diff + half


def decile_calibration(
    outcome: Sequence[float],
    uplift: Sequence[float],
    treatment: Sequence[int],
    n_bins: int = 10,
    *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Predicted vs observed uplift per bin of predicted uplift (bin 1 = highest predicted).

    Bins are equal-count slices of the descending order (so always ``n_bins`` of them). Observed
    uplift = treated mean - control mean in the bin, with a Welch t interval; the interval is NaN
    (and ``note`` says why) when an arm has fewer than 2 customers or both arms have zero variance.
    """
    y, s, t = _as_arrays(outcome, uplift, treatment)
    if not 1 <= n_bins <= len(y):
        raise ValueError(f"The 'n_bins' parameter must be in [1, {len(y)}]. Got {n_bins} instead.")
    order = _descending_order(s)
    bins = np.empty(len(y), dtype="int64")
    for index, members in enumerate(np.array_split(order, n_bins)):
        bins[members] = index
    treated = t == 1
    counts_t = np.bincount(bins[treated], minlength=n_bins)
    counts_c = np.bincount(bins[~treated], minlength=n_bins)
    sums_t = np.bincount(bins[treated], weights=y[treated], minlength=n_bins)
    sums_c = np.bincount(bins[~treated], weights=y[~treated], minlength=n_bins)
    squares_t = np.bincount(bins[treated], weights=y[treated] ** 2, minlength=n_bins)
    squares_c = np.bincount(bins[~treated], weights=y[~treated] ** 2, minlength=n_bins)
    predicted = np.bincount(bins, weights=s, minlength=n_bins) / np.bincount(bins)

    records = []
    for b in range(n_bins):
        n_t, n_c = int(counts_t[b]), int(counts_c[b])
        mean_t = sums_t[b] / n_t if n_t else math.nan
        mean_c = sums_c[b] / n_c if n_c else math.nan
        var_t = (squares_t[b] - n_t * mean_t**2) / (n_t - 1) if n_t > 1 else math.nan
        var_c = (squares_c[b] - n_c * mean_c**2) / (n_c - 1) if n_c > 1 else math.nan
        var_t, var_c = max(var_t, 0.0), max(var_c, 0.0)  # rounding can give -1e-17
        low, high = _welch_interval(mean_t, var_t, n_t, mean_c, var_c, n_c, confidence)
        note = ""
        if n_t < 2 or n_c < 2:
            note = "fewer than 2 customers in an arm"
        elif math.isnan(low):
            note = "no variation in either arm"
        records.append(
            {
                "bin": b + 1,
                "n": n_t + n_c,
                "n_treated": n_t,
                "n_control": n_c,
                "predicted_uplift": float(predicted[b]),
                "treated_mean": mean_t,
                "control_mean": mean_c,
                "observed_uplift": mean_t - mean_c,
                "ci_low": low,
                "ci_high": high,
                "note": note,
            }
        )
    return pd.DataFrame.from_records(records)


USEFUL, INCONCLUSIVE, NOT_USEFUL = "useful", "inconclusive", "not useful"
INCONCLUSIVE_ADVICE = (
    "A larger holdout would tell: `uplift-lab target` keeps a random holdout in every send, so "
    "the next campaign measures this model's uplift directly."
)


def _qini_evidence(
    metrics: UpliftMetrics | Sequence[UpliftMetrics] | pd.DataFrame,
    bootstrap: pd.DataFrame | None,
) -> tuple[float, float, float, str]:
    """(Qini, CI low, CI high, what the CI is over) from the best evidence given."""
    if bootstrap is not None and "qini_coefficient" in bootstrap.index:
        row = bootstrap.loc["qini_coefficient"]
        where = f"customer bootstrap, {int(row['n_replicates'])} replicates"
        return float(row["estimate"]), float(row["ci_low"]), float(row["ci_high"]), where
    if isinstance(metrics, UpliftMetrics):
        return metrics.qini_coefficient, math.nan, math.nan, ""
    summary = metrics if isinstance(metrics, pd.DataFrame) else summarize_folds(metrics)
    row = summary.loc["qini_coefficient"]
    return float(row["mean"]), float(row["ci_low"]), float(row["ci_high"]), "over folds"


def usefulness_verdict(
    calibration: pd.DataFrame,
    metrics: UpliftMetrics | Sequence[UpliftMetrics] | pd.DataFrame,
    *,
    percentage_points: bool = False,
    bootstrap: pd.DataFrame | None = None,
) -> str:
    """Say in words whether a score is useful for targeting, and why: one of three verdicts.

    The question is one-sided: does targeting by this score beat random targeting (whose Qini
    coefficient is 0)? It is answered by the Qini coefficient over all held-out customers:

    - "useful": a one-sided test of "better than random" rejects at 5% (Qini / its standard
      error > 1.645) and the top bin's observed uplift beats the bottom bin's.
    - "not useful": the Qini coefficient is not above 0 (by the data's best estimate, targeting
      by the score does no better than random), or it is undefined, or the top and bottom bins
      cannot be compared.
    - "inconclusive": the Qini coefficient is above 0 but not shown to be (or the top bin does
      not beat the bottom one, a far noisier comparison of a tenth of the customers each): the
      data cannot tell the score from random. The sentence gives the one-sided p-value and the
      smallest Qini this data would show with 80% power.

    A score with no signal is thus "not useful" about half of the time, "inconclusive" otherwise
    and "useful" in 5%: "inconclusive" is a lack of evidence, not evidence of harm.
    The Qini CI is the customer-level ``bootstrap`` table's (a :func:`bootstrap_summary`) when
    given, else the one over folds: ``metrics`` is one UpliftMetrics, a list of them (one per
    fold) or a ``summarize_folds`` table. ``percentage_points`` prints uplifts of a 0/1 outcome
    as "+1.23 pp".
    """

    def shown(value: float) -> str:
        return f"{100 * value:+.2f} pp" if percentage_points else f"{value:+.4g}"

    top, bottom = calibration.iloc[0], calibration.iloc[-1]
    top_value, bottom_value = float(top["observed_uplift"]), float(bottom["observed_uplift"])
    qini, low, high, where = _qini_evidence(metrics, bootstrap)
    qini_text = f"Qini coefficient {qini:.3f}"
    if not math.isnan(low):
        qini_text += f" (95% CI {low:.3f} to {high:.3f}, {where})"
    bins_beat = (
        not math.isnan(top_value) and not math.isnan(bottom_value) and top_value > bottom_value
    )
    bins_text = (
        f"its top bin's observed uplift ({shown(top_value)}) "
        f"{'beats' if bins_beat else 'does not beat'} its bottom bin's ({shown(bottom_value)})"
    )
    reasons = []
    if math.isnan(top_value) or math.isnan(bottom_value):
        reasons.append(
            "the top or bottom bin lacks treated or control customers, so they cannot be compared"
        )
    if math.isnan(qini):
        reasons.append("the Qini coefficient is undefined (the outcome does not vary)")
    elif qini <= 0:
        if not math.isnan(top_value) and not math.isnan(bottom_value) and not bins_beat:
            reasons.append(bins_text)
        reasons.append(f"the {qini_text} is not above 0")
    if reasons:
        return (
            f"{NOT_USEFUL}: "
            + "; ".join(reasons)
            + ". Targeting by this score is not shown to beat random targeting."
        )
    test = better_than_random_test(qini, low, high)
    if test is not None and test.p_value >= BETTER_THAN_RANDOM_ALPHA:
        return (
            f"{INCONCLUSIVE}: {bins_text} and the {qini_text} is above 0, but a one-sided test"
            f" of 'better than random' gives p = {test.p_value:.3f} (below"
            f" {BETTER_THAN_RANDOM_ALPHA:g} needed), so this held-out data cannot tell it from"
            f" random targeting (it would show a Qini of {test.detectable:.3f} or more 80% of the"
            f" time). {INCONCLUSIVE_ADVICE}"
        )
    if not bins_beat:
        return (
            f"{INCONCLUSIVE}: the {qini_text} is above 0, but {bins_text}, so this held-out data"
            f" does not agree with itself. {INCONCLUSIVE_ADVICE}"
        )
    p_text = (
        "" if test is None else f" (one-sided test of 'better than random': p = {test.p_value:.3f})"
    )
    return f"{USEFUL}: {bins_text} and the {qini_text} is above 0{p_text}."


BETTER_THAN_RANDOM_ALPHA = 0.05
POWER = 0.80


@dataclass(frozen=True, slots=True)
class BetterThanRandomTest:
    """One-sided z-test of H0 "Qini coefficient <= 0 (random's)" from a 95% CI.

    ``standard_error`` is the CI's width / (2 x 1.96); ``detectable`` the smallest true Qini
    the test rejects with probability :data:`POWER` at :data:`BETTER_THAN_RANDOM_ALPHA`.
    """

    z: float
    p_value: float
    standard_error: float
    detectable: float


def better_than_random_test(qini: float, low: float, high: float) -> BetterThanRandomTest | None:
    """The one-sided test behind the verdict (None without a finite, non-empty CI)."""
    if not all(math.isfinite(v) for v in (qini, low, high)) or high <= low:
        return None
    se = (high - low) / (2.0 * stats.norm.ppf(0.975))
    z = qini / se
    detectable = (stats.norm.ppf(1 - BETTER_THAN_RANDOM_ALPHA) + stats.norm.ppf(POWER)) * se
    return BetterThanRandomTest(float(z), float(stats.norm.sf(z)), float(se), float(detectable))


# --------------------------------------------------------------------------- baselines


def _seeded_tiebreak(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random(n)


def _rank_score(primary: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """Scores in (0, 1] ordering by ``primary`` then ``tiebreak``, with no ties left."""
    primary = np.where(np.isnan(primary), -np.inf, primary)  # missing values rank last
    order = np.lexsort((tiebreak, primary))
    score = np.empty(len(primary), dtype="float64")
    score[order] = np.arange(1, len(primary) + 1) / len(primary)
    return score


def rfm_rule_columns(frame: pd.DataFrame, *, rfm_col: str = "rfm_score") -> list[str]:
    """Columns the RFM rule uses: ``rfm_col``, else at least two of recency/frequency/monetary."""
    if rfm_col in frame.columns:
        return [rfm_col]
    found = [next((n for n in names if n in frame.columns), None) for names in RFM_PARTS]
    found = [name for name in found if name is not None]
    return found if len(found) >= 2 else []


def rfm_rule_score(frame: pd.DataFrame, *, rfm_col: str = "rfm_score") -> np.ndarray | None:
    """What teams do today: higher RFM total first.

    Uses ``rfm_col`` when present, else the sum of the percentile ranks of recency (fewer days
    first), frequency and monetary (those present, at least two). Missing values (e.g. no
    order yet) rank last. None when no RFM columns are available.
    """
    columns = rfm_rule_columns(frame, rfm_col=rfm_col)
    if not columns:
        return None
    if columns == [rfm_col]:
        return frame[rfm_col].to_numpy(dtype="float64")
    ranks = []
    for name in columns:
        values = frame[name].astype("float64")
        values = -values if name in RECENCY_NAMES else values
        ranks.append(values.rank(pct=True, na_option="top").to_numpy())
    return np.sum(ranks, axis=0)


def baseline_scores(
    frame: pd.DataFrame,
    *,
    rfm_col: str = "rfm_score",
    response_proba: Sequence[float] | None = None,
    seed: int,
) -> pd.DataFrame:
    """Scores of the targeting rules a model must beat, aligned with ``frame``'s rows.

    Columns: ``random`` (seeded), ``rfm_rule`` (when RFM columns exist: see
    :func:`rfm_rule_score`) and ``purchase_probability`` (when ``response_proba`` is given, e.g.
    a score file's ``p_control``). Coarse scores get a seeded random tie-break, as a team
    picking among equal RFM scores would, so top-k cuts never depend on file order.
    """
    n = len(frame)
    scores = {RANDOM: _rank_score(_seeded_tiebreak(n, seed), np.zeros(n))}
    rfm = rfm_rule_score(frame, rfm_col=rfm_col)
    if rfm is not None:
        scores[RFM_RULE] = _rank_score(rfm, _seeded_tiebreak(n, seed + 1))
    if response_proba is not None:
        proba = np.asarray(response_proba, dtype="float64")
        if proba.shape != (n,):
            raise ValueError(f"response_proba must have {n} values, got shape {proba.shape}")
        scores[PURCHASE_PROBABILITY] = _rank_score(proba, _seeded_tiebreak(n, seed + 2))
    return pd.DataFrame(scores, index=frame.index)


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
    verdict: str
    is_baseline: bool
    bootstrap: pd.DataFrame | None = None
    replicates: pd.DataFrame | None = None

    @property
    def verdict_word(self) -> str:
        """ "useful", "inconclusive" or "not useful"."""
        return self.verdict.split(":")[0]


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
    notes: tuple[str, ...]
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
    labels = frame[treatment_col].astype("string")
    present = sorted(set(labels.dropna()))
    if control not in present:
        raise input_error(
            source,
            f"column '{treatment_col}' has no '{control}' (control) rows; it has "
            f"{', '.join(present[:5]) or 'no labels'}",
            "Pass the control label with --control",
        )
    others = [label for label in present if label != control]
    if treated is None:
        if len(others) != 1:
            raise input_error(
                source,
                f"column '{treatment_col}' has {len(others)} treated labels "
                f"({', '.join(others[:5]) or 'none'}) besides '{control}'",
                "Name the treated arm to evaluate with --treated",
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
    fold_perfect: tuple[_PerfectAreas, ...]
    pooled_perfect: _PerfectAreas


def _held_out_sets(y: np.ndarray, t: np.ndarray, folds: np.ndarray) -> _HeldOutSets:
    rows = tuple(np.flatnonzero(folds == f) for f in np.unique(folds))
    return _HeldOutSets(
        fold_rows=rows,
        fold_perfect=tuple(_perfect_areas(y[r], t[r]) for r in rows),
        pooled_perfect=_perfect_areas(y, t),
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
        _curve_metrics(y[rows], score[rows], t[rows], ks, perfect)[0]
        for rows, perfect in zip(sets.fold_rows, sets.fold_perfect, strict=True)
    )
    summary = summarize_folds(per_fold, test_to_train_ratio=test_to_train_ratio)
    pooled, cumulative = _curve_metrics(y, score, t, ks, sets.pooled_perfect)
    calibration = decile_calibration(y, score, t, n_bins=n_bins)
    bootstrap = None
    if replicates is not None:
        bootstrap = bootstrap_summary(replicates, metrics_as_row(pooled))
    verdict = usefulness_verdict(
        calibration, summary, percentage_points=pooled.binary_outcome, bootstrap=bootstrap
    )
    if is_baseline and name == RANDOM:  # a random order cannot beat random: show chance's size
        verdict = (
            f"{NOT_USEFUL}: a random order by construction; its Qini coefficient "
            f"{pooled.qini_coefficient:.3f} shows how far chance alone moves the metric here."
        )
    share, incremental = _from_origin(cumulative.n_all / len(y), cumulative.qini())
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
        verdict=verdict,
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
    require_columns(frame, [*score_cols, outcome_col], source)
    if not score_cols:
        raise input_error(source, "no score columns to evaluate", "Pass --score-cols")
    keep, is_treated = treatment_indicator(frame, treatment_col, control, source, treated=treated)
    data = frame.loc[keep].reset_index(drop=True)
    if len(data) < 2 * n_bins:
        raise input_error(
            source, f"only {len(data)} rows in the compared arms", f"Need at least {2 * n_bins}"
        )
    outcome = numeric_column(data, outcome_col, source, allow_negative=False).to_numpy()
    scores = {
        name: numeric_column(data, name, source).to_numpy() for name in dict.fromkeys(score_cols)
    }
    notes: list[str] = []
    if fold_col is not None:
        require_columns(data, (fold_col,), source)
        folds = pd.factorize(data[fold_col], sort=True)[0]
        fold_source = f"held-out folds in column '{fold_col}'"
    else:
        if not 2 <= n_splits <= len(data) // 2:
            raise input_error(
                "--splits", f"must be between 2 and {len(data) // 2}", f"Got {n_splits}"
            )
        folds = _assign_folds(is_treated, outcome, n_splits, seed)
        fold_source = f"{n_splits} random parts of the held-out data (seed {seed})"
    n_folds = int(len(np.unique(folds)))
    if n_folds < 2:
        raise input_error(source, "fewer than 2 folds", "Use at least 2 folds for a CI")

    response = None
    if response_col and response_col in data.columns and response_col not in score_cols:
        response = numeric_column(data, response_col, source).to_numpy()
    for column in rfm_rule_columns(data, rfm_col=rfm_col):
        data[column] = numeric_column(data, column, source, allow_missing=True)
    baselines = baseline_scores(data, rfm_col=rfm_col, response_proba=response, seed=seed)
    if RFM_RULE not in baselines.columns:
        notes.append(
            f"no RFM baseline: the data has neither '{rfm_col}' nor two of "
            "recency/frequency/monetary"
        )
    else:
        notes.append(f"RFM rule ranks by {', '.join(rfm_rule_columns(data, rfm_col=rfm_col))}")
    if PURCHASE_PROBABILITY not in baselines.columns:
        notes.append(f"no purchase-probability baseline: no '{response_col}' column")

    ks = tuple(ks)
    t = is_treated.astype("float64")
    sets = _held_out_sets(outcome, t, folds)
    common = dict(ks=ks, n_bins=n_bins, test_to_train_ratio=test_to_train_ratio)
    replicates: dict[str, pd.DataFrame] = {}
    bootstrap_rows = 0
    if n_bootstrap > 0:
        all_scores = {**scores, **{name: baselines[name].to_numpy() for name in baselines}}
        replicates, bootstrap_rows = bootstrap_replicates(
            outcome,
            t,
            all_scores,
            ks=ks,
            n_replicates=n_bootstrap,
            max_rows=bootstrap_max_rows,
            seed=seed,
        )
        if bootstrap_rows < len(data):
            notes.append(
                f"customer bootstrap on a stratified subsample of {bootstrap_rows:,} of "
                f"{len(data):,} rows, intervals rescaled to the full size (m-out-of-n bootstrap)"
            )
    evaluated = [
        _evaluate_one(
            name,
            (labels or {}).get(name, name),
            score,
            outcome,
            t,
            sets,
            is_baseline=False,
            replicates=replicates.get(name),
            **common,
        )
        for name, score in scores.items()
    ]
    evaluated += [
        _evaluate_one(
            name,
            BASELINE_LABELS[name],
            baselines[name].to_numpy(),
            outcome,
            t,
            sets,
            is_baseline=True,
            replicates=replicates.get(name),
            **common,
        )
        for name in baselines.columns
    ]
    models = [item for item in evaluated if not item.is_baseline]
    qini_means = [item.summary.loc["qini_coefficient", "mean"] for item in models]
    best = models[int(np.nanargmax(qini_means))].name if np.isfinite(qini_means).any() else None
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
        best_model=best,
        notes=tuple(notes),
        n_bootstrap=n_bootstrap,
        bootstrap_rows=bootstrap_rows,
    )
