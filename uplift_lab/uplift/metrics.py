"""Uplift curve metrics: Qini/AUUC, uplift@k, incremental outcome vs random, fold summaries.

Pure computation over arrays. Outcomes may be binary (conversion) or real-valued (revenue):
scikit-uplift's metrics accept binary outcomes only, so the curves are implemented here with the
same definitions and tested against scikit-uplift on binary data and against a brute force on
revenue. Decile calibration (predicted vs observed uplift per score bin) is here too.

Ordering and ties (one rule everywhere): customers are sorted by descending score; a stable
mergesort of the ascending scores is reversed, so tied customers appear in reverse input order
(scikit-uplift's convention). Curves have one point at the end of each block of tied scores, so
the Qini coefficient and AUUC do not depend on the order of tied customers. The top-k metrics
(uplift@k, incremental@k) take the first ``int(n * k)`` customers of that order, exactly as
scikit-uplift's ``uplift_at_k``; a tie block cut by k is split by input order, which is why the
baselines carry a seeded random tie-break (:mod:`uplift_lab.uplift.baselines`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from uplift_lab.notices import Notice

DEFAULT_KS = (0.1, 0.2, 0.3, 0.5)


# --------------------------------------------------------------------------- curves


def as_arrays(
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


def descending_order(score: np.ndarray) -> np.ndarray:
    """Indices by descending score; ties in reverse input order (scikit-uplift's convention)."""
    return np.argsort(score, kind="mergesort")[::-1]


def block_ends(*sorted_keys: np.ndarray) -> np.ndarray:
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


def from_origin(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.r_[0.0, x], np.r_[0.0, y]


def _score_cumulative(y: np.ndarray, s: np.ndarray, t: np.ndarray) -> _Cumulative:
    order = descending_order(s)
    return _cumulative(y, t, order, block_ends(s[order]))


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
    y, s, t = as_arrays(outcome, uplift, treatment)
    cum = _score_cumulative(y, s, t)
    share, incremental = from_origin(cum.n_all / len(y), cum.qini())
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
    return _cumulative(y, t, order, block_ends(group[order], within[order]))


@dataclass(frozen=True, slots=True)
class PerfectAreas:
    """Areas above the diagonal of the perfect Qini and uplift curves of one held-out set.

    They depend on outcomes and arms only, so they are computed once per set and shared by
    every score evaluated on it.
    """

    qini: float
    qini_end: float
    uplift: float
    uplift_end: float


def perfect_areas(y: np.ndarray, t: np.ndarray) -> PerfectAreas:
    qini_cum, uplift_cum = _perfect_qini_cumulative(y, t), _perfect_uplift_cumulative(y, t)
    x_q, y_q = from_origin(qini_cum.n_all, qini_cum.qini())
    x_u, y_u = from_origin(uplift_cum.n_all, uplift_cum.uplift_gain())
    return PerfectAreas(
        qini=_area_above_diagonal(x_q, y_q, float(y_q[-1])),
        qini_end=float(y_q[-1]),
        uplift=_area_above_diagonal(x_u, y_u, float(y_u[-1])),
        uplift_end=float(y_u[-1]),
    )


def _normalized_areas(actual: _Cumulative, perfect: PerfectAreas) -> tuple[float, float]:
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
    y, s, t = as_arrays(outcome, uplift, treatment)
    return _normalized_areas(_score_cumulative(y, s, t), perfect_areas(y, t))[0]


def auuc(outcome: Sequence[float], uplift: Sequence[float], treatment: Sequence[int]) -> float:
    """Normalized area under the uplift curve, as scikit-uplift's ``uplift_auc_score``."""
    y, s, t = as_arrays(outcome, uplift, treatment)
    return _normalized_areas(_score_cumulative(y, s, t), perfect_areas(y, t))[1]


# --------------------------------------------------------------------------- metrics


@dataclass(frozen=True, slots=True)
class UpliftMetrics:
    """How well one score ranks customers by uplift on one held-out set.

    ``incremental_at_k`` is the Qini curve's value at the top k (treated outcome sum - control
    sum x n_t / n_c among them); ``random_at_k`` is what random targeting of the same number of
    customers captures in expectation. ``uplift_at_k`` is treated mean - control mean among the
    top k ("overall" strategy); NaN with a note in ``notes`` when an arm is missing there
    (:class:`~uplift_lab.notices.Notice`, put in words by uplift_lab.report.notice_text).
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
    notes: tuple[Notice, ...] = field(default=())


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
    y, s, t = as_arrays(outcome, uplift, treatment)
    return metrics_and_cumulative(y, s, t, tuple(ks), perfect_areas(y, t))[0]


def metrics_and_cumulative(
    y: np.ndarray, s: np.ndarray, t: np.ndarray, ks: tuple[float, ...], perfect: PerfectAreas
) -> tuple[UpliftMetrics, _Cumulative]:
    """The metrics, and the score's cumulative sums (for its curve), on validated arrays."""
    for k in ks:
        if not 0 < k < 1:
            raise ValueError(f"The 'ks' parameter must hold shares in (0, 1). Got {k} instead.")
    n = len(y)
    n_treated = int(t.sum())
    n_control = n - n_treated
    notes: list[Notice] = []
    if n_treated == 0 or n_control == 0:
        missing = "treated" if n_treated == 0 else "control"
        notes.append(Notice("note", "no_arm_in_set", {"missing": missing}))
    order = descending_order(s)
    actual = _cumulative(y, t, order, block_ends(s[order]))
    qini, area_uplift = _normalized_areas(actual, perfect)
    if math.isnan(qini) and not notes:
        notes.append(Notice("note", "outcome_constant"))
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
            params = {"k": k, "missing": missing, "top": n_top}
            notes.append(Notice("note", "no_arm_in_top_k", params))
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
    y, s, t = as_arrays(outcome, uplift, treatment)
    if not 1 <= n_bins <= len(y):
        raise ValueError(f"The 'n_bins' parameter must be in [1, {len(y)}]. Got {n_bins} instead.")
    order = descending_order(s)
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
