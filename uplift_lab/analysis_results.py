"""The results of an analysis: options in, per-arm summaries, comparisons, overall effects and
the sample-ratio checks out (frozen dataclasses; :mod:`uplift_lab.report.analyze_report` renders
them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from uplift_lab import stats
from uplift_lab.money import Money
from uplift_lab.notices import Notice
from uplift_lab.schedule import TouchResponse
from uplift_lab.timing import SendHourAdvice, SliceResponse

NO_REVENUE = "no_revenue_column"  # error code of revenue effects of a conversion-only campaign


@dataclass(frozen=True, slots=True)
class AnalysisOptions:
    """How to analyse: the control label, CI/adjustment methods and the money assumptions."""

    control: str
    alpha: float = 0.05
    ci: str = "newcombe"  # Newcombe (1998) method 10: Wald undercovers with few conversions
    adjust: str = "holm"
    cap_quantile: float | None = None
    costs: Mapping[str, float] = field(default_factory=dict)
    coupons: Mapping[str, float] = field(default_factory=dict)  # paid per treated conversion
    margin: float | None = None
    expected_fractions: Mapping[str, Mapping[str, float]] | None = None
    covariate_name: str | None = None
    arm_order: tuple[str, ...] = ()  # treated arms in this order first (e.g. design.json's)


@dataclass(frozen=True, slots=True)
class ArmSummary:
    """One arm in one segment: size, conversions and revenue."""

    segment: str
    arm: str
    n: int
    conversions: int
    conversion_rate: float
    revenue: float
    revenue_per_customer: float
    average_order_value: float


@dataclass(frozen=True, slots=True)
class Comparison:
    """One treated arm against control within one segment."""

    segment: str
    arm: str
    control_n: int
    treated_n: int
    conversion: stats.EffectResult
    revenue: stats.EffectResult
    conversion_p_adjusted: float
    revenue_p_adjusted: float
    revenue_capped: stats.EffectResult | None
    revenue_cuped: stats.CupedResult | None
    money: Money | None
    too_small_to_read: bool


@dataclass(frozen=True, slots=True)
class RelativeLift:
    """A relative lift with its delta-method CI (``error`` says why it is NaN)."""

    lift: float
    ci_low: float
    ci_high: float
    error: str | None = None


@dataclass(frozen=True, slots=True)
class OverallEffect:
    """A treated arm against control across segments, stratified (segment-size weighted)."""

    arm: str
    control_n: int
    treated_n: int
    conversion: stats.StratifiedEffect
    revenue: stats.StratifiedEffect
    conversion_relative: RelativeLift
    revenue_relative: RelativeLift
    revenue_capped: stats.StratifiedEffect | None
    revenue_cuped: stats.StratifiedEffect | None
    cuped_variance_reduction: float | None  # 1 - (SE CUPED / SE raw)^2 of the overall effect
    money: Money | None


@dataclass(frozen=True, slots=True)
class SegmentSrm:
    """Sample-ratio check of one segment (``all`` for the whole experiment)."""

    segment: str
    result: stats.SrmResult


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything the report shows."""

    source: str
    control: str
    arms: tuple[str, ...]
    treated_arms: tuple[str, ...]
    segments: tuple[str, ...]
    options: AnalysisOptions
    arm_summaries: tuple[ArmSummary, ...]
    comparisons: tuple[Comparison, ...]
    overall: tuple[OverallEffect, ...]
    srm: tuple[SegmentSrm, ...]
    notices: tuple[Notice, ...]
    cap_threshold: float | None
    data_notes: Mapping[str, object]
    daily: pd.DataFrame | None = None  # arm, day, cumulative conversion rate
    has_revenue: bool = True  # False for conversion-only campaigns (no revenue column)
    touches: tuple[TouchResponse, ...] = ()  # per touch of a schedule (analyze --schedule)
    by_time: tuple[SliceResponse, ...] = ()  # per hour or day of the window (--by-hour/--by-day)
    since_send: tuple[SliceResponse, ...] = ()  # per hour since the send (--by-hour, send times)
    send_hours: tuple[SendHourAdvice, ...] = ()  # a send hour per segment and arm (--by-hour)
