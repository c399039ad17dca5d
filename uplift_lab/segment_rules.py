"""The rules of ``segment``: its options, lifecycle stages by day thresholds, RFM scores and
classes, spend bands (pure functions over arrays; the stages by purchase cycle are in
:mod:`uplift_lab.cycles`). :mod:`uplift_lab.segment` documents the rules in full."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from uplift_lab.contracts import LIFECYCLE_STAGES
from uplift_lab.cycles import DEFAULT_CYCLE_CUTOFFS
from uplift_lab.errors import ParameterError
from uplift_lab.ranks import smaller_counts
from uplift_lab.rfm_classes import RFM_CLASSES

NO_SPEND_BAND = "none"
MIN_REPEAT_BUYERS = 200  # fewer repeat buyers than this: too few cycles to learn, day rules apply
THRESHOLD_MODES = ("cycle", "fixed", "auto")
AUTO_MULTIPLIERS = (1.0, 3.0, 6.0)


@dataclass(frozen=True, slots=True)
class SegmentConfig:
    """Options of :func:`segment_customers`; an invalid value raises a ParameterError."""

    lookback_days: int = 365
    active_days: int = 30
    silent_days: int = 90
    churn_days: int = 180
    thresholds: str = "cycle"
    overdue_factor: float = 3.0
    cycle_cutoffs: tuple[float, ...] = DEFAULT_CYCLE_CUTOFFS
    min_repeat_buyers: int = MIN_REPEAT_BUYERS
    bands: tuple[float, ...] = (10.0, 20.0, 35.0)
    rfm_high_score: int = 3
    consumption_cutoffs: tuple[float, ...] | None = None  # None: AOV terciles of the buyers

    def __post_init__(self) -> None:
        if self.thresholds not in THRESHOLD_MODES:
            _bad_option("thresholds", "be 'cycle', 'fixed' or 'auto'", self.thresholds)
        cutoffs = tuple(self.cycle_cutoffs)
        if (
            len(cutoffs) != 3
            or any(not (math.isfinite(c) and c > 0) for c in cutoffs)
            or list(cutoffs) != sorted(set(cutoffs))
        ):
            _bad_option(
                "cycle_cutoffs", "be three increasing positive numbers such as 1.5,3,6", cutoffs
            )
        if self.min_repeat_buyers < 1:
            _bad_option("min_repeat_buyers", "be at least 1", self.min_repeat_buyers)
        if self.lookback_days < 1:
            _bad_option("lookback_days", "be at least 1", self.lookback_days)
        if self.active_days < 1:
            _bad_option("active_days", "be at least 1", self.active_days)
        if self.silent_days <= self.active_days:
            _bad_option(
                "silent_days", f"exceed {{active_days}} ({self.active_days})", self.silent_days
            )
        if self.churn_days <= self.silent_days:
            _bad_option(
                "churn_days", f"exceed {{silent_days}} ({self.silent_days})", self.churn_days
            )
        if not (self.overdue_factor >= 0 and math.isfinite(self.overdue_factor)):
            _bad_option("overdue_factor", "be >= 0 (0 turns the rule off)", self.overdue_factor)
        edges = tuple(self.bands)
        if (
            not edges
            or any(not math.isfinite(e) for e in edges)
            or list(edges) != sorted(set(edges))
        ):
            _bad_option("bands", "be increasing numbers such as 10,20,35", edges)
        if not 1 <= self.rfm_high_score <= 5:
            _bad_option("rfm_high_score", "be between 1 and 5", self.rfm_high_score)
        if self.consumption_cutoffs is not None:
            cuts = tuple(self.consumption_cutoffs)
            if (
                len(cuts) != 2
                or any(not math.isfinite(c) for c in cuts)
                or list(cuts) != sorted(set(cuts))
            ):
                _bad_option(
                    "consumption_cutoffs",
                    "be two increasing AOV amounts such as 50,150 (or 'terciles')",
                    cuts,
                )


def _bad_option(parameter: str, rule: str, value: object) -> None:
    raise ParameterError(parameter, f"must {rule}", value)


@dataclass(frozen=True, slots=True)
class LifecycleThresholds:
    """The cut-offs actually used and where they came from: ``cycle`` (``cycle_cutoffs`` in
    expected gaps), ``fixed`` or ``auto`` (the day cut-offs)."""

    active_days: int
    silent_days: int
    churn_days: int
    source: str = "fixed"
    median_interval_days: float | None = None
    cycle_cutoffs: tuple[float, ...] | None = None
    repeat_buyers: int | None = None


def quintile_scores(values: np.ndarray) -> np.ndarray:
    """Scores 1-5: ``1 + floor(5 x share of values strictly smaller)`` (larger is better).

    Tied values share a score whatever the row order; the smallest value always scores 1.
    """
    values = np.asarray(values, dtype="float64")
    if len(values) == 0:
        return np.zeros(0, dtype="int64")
    return 1 + (5 * smaller_counts(values)) // len(values)


def spend_band_labels(edges: Sequence[float]) -> list[str]:
    """Labels of the bands cut at ``edges``: (10, 20, 35) -> <10, 10-20, 20-35, 35+."""
    shown = [f"{edge:g}" for edge in edges]
    inner = [f"{low}-{high}" for low, high in zip(shown[:-1], shown[1:], strict=True)]
    return [f"<{shown[0]}", *inner, f"{shown[-1]}+"]


def spend_bands(aov: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    """Band label per value; a value equal to an edge goes to the band above it, NaN to 'none'."""
    labels = np.array([*spend_band_labels(edges), NO_SPEND_BAND], dtype=object)
    return labels[band_codes(aov, edges)]


def band_codes(aov: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    """Index into ``spend_band_labels(edges) + ['none']`` per value (NaN -> 'none')."""
    aov = np.asarray(aov, dtype="float64")
    index = np.searchsorted(np.asarray(edges, dtype="float64"), aov, side="right")
    return np.where(np.isnan(aov), len(edges) + 1, np.minimum(index, len(edges)))


def derive_thresholds(median_interval_days: float) -> LifecycleThresholds:
    """Active/silent/churn cut-offs from a shop's median inter-purchase interval."""
    active, silent, churn = (math.ceil(m * median_interval_days) for m in AUTO_MULTIPLIERS)
    active = max(active, 1)
    silent = max(silent, active + 1)
    churn = max(churn, silent + 1)
    return LifecycleThresholds(active, silent, churn, "auto", float(median_interval_days))


def lifecycle_stages(
    recency_days: np.ndarray,
    n_orders: np.ndarray,
    own_gap_days: np.ndarray,
    thresholds: LifecycleThresholds,
    overdue_factor: float,
) -> np.ndarray:
    """Stage per customer by the module's rules (``own_gap_days`` NaN when not measurable)."""
    codes = lifecycle_codes(recency_days, n_orders, own_gap_days, thresholds, overdue_factor)
    return np.array(LIFECYCLE_STAGES, dtype=object)[codes]


def lifecycle_codes(
    recency_days: np.ndarray,
    n_orders: np.ndarray,
    own_gap_days: np.ndarray,
    thresholds: LifecycleThresholds,
    overdue_factor: float,
) -> np.ndarray:
    """Index into :data:`LIFECYCLE_STAGES` per customer (see :func:`lifecycle_stages`)."""
    recency = np.asarray(recency_days, dtype="float64")
    n_orders = np.asarray(n_orders)
    gap = np.asarray(own_gap_days, dtype="float64")
    stage = {name: code for code, name in enumerate(LIFECYCLE_STAGES)}
    with np.errstate(invalid="ignore"):
        overdue = (
            (overdue_factor > 0)
            & (n_orders >= 2)
            & ~np.isnan(gap)
            & (recency > overdue_factor * gap)
        )
        return np.select(
            [
                n_orders == 0,
                recency > thresholds.churn_days,
                recency > thresholds.silent_days,
                recency > thresholds.active_days,
                overdue,
                n_orders == 1,
            ],
            [
                stage["potential"],
                stage["churned"],
                stage["silent"],
                stage["semi_active"],
                stage["semi_active"],
                stage["new"],
            ],
            stage["active"],
        )


def rfm_class_codes(
    scores: dict[str, np.ndarray], bought: np.ndarray, high_score: int
) -> np.ndarray:
    """Index into the RFM classes (then ``no_purchase``) per customer."""
    high = [scores[name] >= high_score for name in ("rfm_r", "rfm_f", "rfm_m")]
    codes = np.full(len(bought), len(RFM_CLASSES), dtype=np.int32)
    for code, (_, _, (r_high, f_high, m_high)) in enumerate(RFM_CLASSES):
        match = bought & (high[0] == r_high) & (high[1] == f_high) & (high[2] == m_high)
        codes[match] = code
    return codes
