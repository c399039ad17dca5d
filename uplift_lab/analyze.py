"""Campaign analysis: outcomes + assignment -> per-segment effects, money, SRM and warnings.

Pure steps over validated DataFrames (no file I/O, no printing). The statistics come from
:mod:`uplift_lab.stats`; this module aggregates customers into sufficient statistics per
(segment, arm) (:class:`CellStats`), and one core, :func:`analyze_cells`, compares each treated
arm with the control per segment and overall, and says in words what a reader must not miss (a
broken split, an unreadable holdout, a few whales). The core also takes cells straight from a
warehouse (:mod:`uplift_lab.aggregates`).
Customers are analysed by assigned arm (intent to treat), never by delivery.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from uplift_lab import contracts, io, stats
from uplift_lab.columnmap import InputSpec, resolve_inputs
from uplift_lab.contracts import AMOUNT, ARM, CUSTOMER_ID, ORDER_TIME, STRATUM
from uplift_lab.errors import InputError, input_error
from uplift_lab.order_files import load_orders
from uplift_lab.schedule import TouchResponse
from uplift_lab.timeparse import DEFAULT_TIME_PARSING, TimeParsing, parse_date_option
from uplift_lab.timing import SendHourAdvice, SliceResponse

SEGMENT = "segment"
SEND_TIME = "send_time"  # an imported campaign's per-customer send time (assignment column)
CONVERTED = "converted"
REVENUE = "revenue"
ORDERS = "orders"
COVARIATE = "covariate"
PRE_REVENUE = "pre_revenue"  # the covariate an orders file gives: revenue before the window
ALL_SEGMENTS = "all"

DEFAULT_WINDOW_DAYS = 7  # response window when neither --window-days nor design.json says
SRM_ALPHA = 0.001
WHALE_TOP_FRACTION = 0.01
WHALE_SHARE = 0.5
MIN_NORMAL_COUNT = 5  # conversions and non-conversions per arm for a normal-approximation CI
NO_REVENUE = "no_revenue_column"  # error code of revenue effects of a conversion-only campaign
_NAN3 = (math.nan, math.nan, math.nan)

INTENT_TO_TREAT = (
    "Intent to treat: customers are analysed by their assigned arm, whether or not the message "
    "was delivered (failed sends and opt-outs stay in their treated arm)."
)
SRM_FIX = (
    "The split is not what was designed: find the cause (lost customers, a filter applied to one "
    "arm, a re-run assignment) before trusting any number below."
)


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
class OrderOutcomes:
    """Per-customer outcomes in a response window, derived from an order log."""

    per_customer: pd.DataFrame  # customer_id, converted, revenue, orders
    refund_rows: int
    refund_amount: float
    orders_in_window: int
    start: pd.Timestamp
    window_days: int
    daily: pd.DataFrame  # customer_id, day (first order day in the window, 0-based)


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
class Money:
    """What a treated arm earned against its holdout, in currency (lift x treated n).

    ``cost`` is the whole campaign cost of the treated arm: ``message_cost`` (every message sent)
    plus ``coupon_cost`` (the coupon on every conversion of the treated arm, including the sales
    that would have happened anyway: the subsidy is a real cost of a coupon campaign).
    """

    treated_n: int
    cost_per_message: float
    cost: float
    margin: float
    incremental_conversions: float
    incremental_conversions_low: float
    incremental_conversions_high: float
    incremental_revenue: float
    incremental_revenue_low: float
    incremental_revenue_high: float
    incremental_profit: float
    incremental_profit_low: float
    incremental_profit_high: float
    roi: float
    cost_per_incremental_conversion: float
    message_cost: float
    coupon_per_conversion: float
    treated_conversions: int
    coupon_cost: float


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
class Notice:
    """A warning for the reader; ``critical`` ones go at the top, loudly."""

    level: str  # critical | warning | note
    message: str


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


# ---------------------------------------------------------------------------------------------
# Outcomes


def outcomes_from_orders(
    orders: pd.DataFrame, start: pd.Timestamp, window_days: int
) -> OrderOutcomes:
    """Response window [start, start + window_days): converted = at least one counted order in
    it, revenue = net sum of amounts.

    ``orders`` are the counted orders of :func:`uplift_lab.orders.load_orders`: a fully refunded
    order is no longer among them (not a response), a partly refunded one carries its net.
    Declared refund rows (negative amounts, ``--refund-rows``) net into revenue but are not
    orders, so they never make a conversion."""
    if window_days < 1:
        raise ValueError(f"window_days must be >= 1. Got {window_days} instead.")
    end = start + pd.Timedelta(days=window_days)
    times = orders[ORDER_TIME]
    in_window = orders.loc[(times >= start) & (times < end), [CUSTOMER_ID, ORDER_TIME, AMOUNT]]
    purchases = in_window[in_window[AMOUNT] >= 0]
    refunds = in_window[in_window[AMOUNT] < 0]
    revenue = in_window.groupby(CUSTOMER_ID, sort=True)[AMOUNT].sum()
    order_counts = purchases.groupby(CUSTOMER_ID, sort=True).size()
    per_customer = pd.DataFrame({REVENUE: revenue})
    per_customer[ORDERS] = order_counts.reindex(per_customer.index, fill_value=0).astype("int64")
    per_customer[CONVERTED] = (per_customer[ORDERS] > 0).astype("float64")
    per_customer = per_customer.reset_index()[[CUSTOMER_ID, CONVERTED, REVENUE, ORDERS]]
    first = purchases.groupby(CUSTOMER_ID, sort=True)[ORDER_TIME].min()
    daily = pd.DataFrame(
        {CUSTOMER_ID: first.index, "day": ((first - start) // pd.Timedelta(days=1)).to_numpy()}
    )
    return OrderOutcomes(
        per_customer=per_customer,
        refund_rows=len(refunds),
        refund_amount=float(-refunds[AMOUNT].sum()),
        orders_in_window=len(purchases),
        start=start,
        window_days=window_days,
        daily=daily,
    )


def window_coverage_notice(
    order_times: pd.Series, start: pd.Timestamp, window_days: int
) -> Notice | None:
    """A warning when the order log ends before the response window does.

    Orders after the file's end are missing in both arms alike, so conversions are undercounted
    and the lift is diluted (a report read before the window has closed, or a wrong --start).
    """
    end = start + pd.Timedelta(days=window_days)
    last = order_times.max() if len(order_times) else pd.NaT
    if pd.notna(last) and last >= end - pd.Timedelta(days=1):
        return None  # the file reaches into the window's last day
    window = f"{start:%Y-%m-%d} to {end - pd.Timedelta(days=1):%Y-%m-%d}"
    if pd.isna(last) or last < start:
        shown = "has no order" if pd.isna(last) else f"ends on {last:%Y-%m-%d}"
        return Notice(
            "warning",
            f"The orders file {shown}, before the response window ({window}) starts: no "
            "response can be measured. Check --start, or export the orders of the window.",
        )
    covered = (last.normalize() - start.normalize()).days + 1
    return Notice(
        "warning",
        f"The orders file ends on {last:%Y-%m-%d}, inside the response window ({window}): "
        f"only {covered} of its {window_days} days are covered, so later responses are missing "
        "in both arms and the lift reads low. Export orders up to the window's end, or pass "
        f"--window-days {covered}.",
    )


def pre_period_revenue(
    orders: pd.DataFrame, start: pd.Timestamp, lookback_days: int = 365
) -> pd.DataFrame:
    """Net revenue per customer in the ``lookback_days`` before ``start`` (a CUPED covariate)."""
    begin = start - pd.Timedelta(days=lookback_days)
    times = orders[ORDER_TIME]
    before = orders.loc[(times >= begin) & (times < start)]
    revenue = before.groupby(CUSTOMER_ID, sort=True)[AMOUNT].sum()
    return pd.DataFrame({CUSTOMER_ID: revenue.index, COVARIATE: revenue.to_numpy()})


@dataclass(frozen=True, slots=True)
class JoinedUnits:
    """Assignment joined to outcomes, with what the join dropped or filled."""

    units: pd.DataFrame
    unknown_customers: int
    customers_without_outcome: int


def join_outcomes(
    assignment: pd.DataFrame,
    outcomes: pd.DataFrame,
    covariate: pd.DataFrame | None = None,
) -> JoinedUnits:
    """Left-join outcomes onto the assignment (customer_id, segment, arm).

    Assigned customers without an outcome row did not respond: zeros. Outcome rows of customers
    not in the assignment are counted and ignored.
    """
    known = outcomes[CUSTOMER_ID].isin(assignment[CUSTOMER_ID])
    unknown = int((~known).sum())
    columns = [c for c in (CUSTOMER_ID, CONVERTED, REVENUE, ORDERS) if c in outcomes.columns]
    units = assignment[[CUSTOMER_ID, SEGMENT, ARM]].merge(
        outcomes.loc[known, columns], on=CUSTOMER_ID, how="left", validate="one_to_one"
    )
    missing = units[CONVERTED].isna()
    units[CONVERTED] = units[CONVERTED].fillna(0.0)
    if REVENUE in units.columns:
        units[REVENUE] = units[REVENUE].fillna(0.0)
    if ORDERS in units.columns:
        units[ORDERS] = units[ORDERS].fillna(0).astype("int64")
    if covariate is not None:
        units = units.merge(covariate[[CUSTOMER_ID, COVARIATE]], on=CUSTOMER_ID, how="left")
        units[COVARIATE] = units[COVARIATE].fillna(0.0)
    return JoinedUnits(units, unknown, int(missing.sum()))


# ---------------------------------------------------------------------------------------------
# Validation of the analysed table (arms and labels)


def check_arms(units: pd.DataFrame, control: str, source: object, arm_column: str) -> None:
    """The arm column must hold the control and at least one other arm."""
    arms = sorted(units[ARM].astype(str).unique())
    if len(arms) < 2:
        shown = arms[0] if arms else "nothing"
        raise input_error(
            source,
            f"column '{arm_column}' has only one arm ('{shown}'); a comparison needs a control "
            "and at least one treated arm",
            "Pass the full experiment, or the right --arm-col",
        )
    if control not in arms:
        shown = ", ".join(f"'{arm}'" for arm in arms[:20])
        raise input_error(
            source,
            f"control arm '{control}' is not in column '{arm_column}' (arms: {shown})",
            "Pass one of them with --control",
        )


# ---------------------------------------------------------------------------------------------
# The analysis


Cell = tuple[str, str]  # (segment, arm)


@dataclass(frozen=True, slots=True)
class _Cells:
    """Every customer's (segment, arm) cell as one integer code, for fast aggregation."""

    codes: np.ndarray
    labels: tuple[Cell, ...]

    @classmethod
    def of(cls, units: pd.DataFrame) -> _Cells:
        segment_codes, segments = pd.factorize(units[SEGMENT], sort=True)
        arm_codes, arms = pd.factorize(units[ARM], sort=True)
        codes = segment_codes.astype("int64") * len(arms) + arm_codes
        return cls(codes, tuple((str(s), str(a)) for s in segments for a in arms))

    def sums(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.codes, weights=values, minlength=len(self.labels))

    def sample_stats(self, values: np.ndarray) -> dict[Cell, stats.SampleStats]:
        """Sufficient statistics of ``values`` per non-empty cell."""
        values = np.asarray(values, dtype="float64")
        n = np.bincount(self.codes, minlength=len(self.labels))
        total, squares = self.sums(values), self.sums(values * values)
        return {
            cell: stats.SampleStats(int(n[i]), float(total[i]), float(squares[i]))
            for i, cell in enumerate(self.labels)
            if n[i]
        }


_EMPTY = stats.SampleStats(0, 0.0, 0.0)
_EMPTY_PAIRED = stats.PairedSampleStats(0, 0.0, 0.0, 0.0, 0.0, 0.0)
NO_REVENUE_EFFECT = stats.EffectResult(
    *(math.nan,) * 10, method="no revenue column", error=NO_REVENUE, relative_error=NO_REVENUE
)


def _sample(moments: Mapping[Cell, stats.SampleStats], segment: str, arm: str):
    return moments.get((segment, arm), _EMPTY)


def _paired_sample(moments: Mapping[Cell, stats.PairedSampleStats], segment: str, arm: str):
    return moments.get((segment, arm), _EMPTY_PAIRED)


def _money(
    treated_n: int,
    treated_conversions: int,
    conversion_diff: tuple[float, float, float],
    revenue_diff: tuple[float, float, float],
    cost_per_message: float,
    coupon_per_conversion: float,
    margin: float,
) -> Money:
    """Incremental conversions/revenue (lift x treated n) and profit net of all campaign costs:
    profit = incremental revenue x margin - message cost - coupon cost. The costs were actually
    paid (observed), so only the revenue term carries a CI."""
    conv, conv_low, conv_high = (treated_n * v for v in conversion_diff)
    rev, rev_low, rev_high = (treated_n * v for v in revenue_diff)
    message_cost = treated_n * cost_per_message
    coupon_cost = treated_conversions * coupon_per_conversion
    return _money_from_totals(
        treated_n=treated_n,
        treated_conversions=treated_conversions,
        conversions=(conv, conv_low, conv_high),
        revenue=(rev, rev_low, rev_high),
        cost_per_message=cost_per_message,
        message_cost=message_cost,
        coupon_per_conversion=coupon_per_conversion,
        coupon_cost=coupon_cost,
        margin=margin,
    )


def _money_from_totals(
    *,
    treated_n: int,
    treated_conversions: int,
    conversions: tuple[float, float, float],
    revenue: tuple[float, float, float],
    cost_per_message: float,
    message_cost: float,
    coupon_per_conversion: float,
    coupon_cost: float,
    margin: float,
) -> Money:
    conv, conv_low, conv_high = conversions
    rev, rev_low, rev_high = revenue
    cost = message_cost + coupon_cost
    profit = rev * margin - cost
    return Money(
        treated_n=treated_n,
        cost_per_message=cost_per_message,
        cost=cost,
        margin=margin,
        incremental_conversions=conv,
        incremental_conversions_low=conv_low,
        incremental_conversions_high=conv_high,
        incremental_revenue=rev,
        incremental_revenue_low=rev_low,
        incremental_revenue_high=rev_high,
        incremental_profit=profit,
        incremental_profit_low=rev_low * margin - cost,
        incremental_profit_high=rev_high * margin - cost,
        roi=profit / cost if cost > 0 else math.nan,
        cost_per_incremental_conversion=cost / conv if conv > 0 and cost > 0 else math.nan,
        message_cost=message_cost,
        coupon_per_conversion=coupon_per_conversion,
        treated_conversions=treated_conversions,
        coupon_cost=coupon_cost,
    )


def _summaries(
    cells: Mapping[Cell, CellStats], segments: Sequence[str], arms: Sequence[str]
) -> list[ArmSummary]:
    rows = []
    empty = CellStats(0, 0.0)
    # A table without segments has the one segment "all": its rows are the pooled rows already.
    listed = [segment for segment in segments if segment != ALL_SEGMENTS]
    for segment in [*listed, ALL_SEGMENTS]:
        for arm in arms:
            if segment == ALL_SEGMENTS:
                present = [cells[s, arm] for s in segments if (s, arm) in cells]
                cell = sum(present, CellStats(0, 0.0, orders=0.0))
            else:
                cell = cells.get((segment, arm), empty)
            c, r = cell.conversion, cell.revenue
            n_orders = c.sum if cell.orders is None else cell.orders
            rows.append(
                ArmSummary(
                    segment=segment,
                    arm=arm,
                    n=c.n,
                    conversions=int(round(c.sum)),
                    conversion_rate=c.mean,
                    revenue=r.sum,
                    revenue_per_customer=r.mean,
                    average_order_value=r.sum / n_orders if n_orders > 0 else math.nan,
                )
            )
    return rows


def _srm(
    conv: Mapping[Cell, stats.SampleStats],
    segments: Sequence[str],
    expected: Mapping[str, Mapping[str, float]],
) -> list[SegmentSrm]:
    counts = {cell: sample.n for cell, sample in conv.items()}
    results = []
    total_observed: dict[str, int] = {}
    total_expected: dict[str, float] = {}
    for segment in segments:
        fractions = expected.get(segment, expected.get(ALL_SEGMENTS))
        observed = {arm: n for (seg, arm), n in counts.items() if seg == segment}
        if fractions is None:
            continue
        result = stats.sample_ratio_mismatch(observed, fractions)
        results.append(SegmentSrm(segment, result))
        size = sum(observed.values())
        total = sum(fractions.values())
        for arm, n in observed.items():
            total_observed[arm] = total_observed.get(arm, 0) + n
        for arm, fraction in fractions.items():
            total_expected[arm] = total_expected.get(arm, 0.0) + size * fraction / total
    if len(results) > 1:
        results.append(
            SegmentSrm(ALL_SEGMENTS, stats.sample_ratio_mismatch(total_observed, total_expected))
        )
    return results


@dataclass(frozen=True, slots=True)
class CellStats:
    """Sufficient statistics of one segment x arm cell: all the analysis needs of its customers.

    ``n`` customers, ``conversions`` (sum of the 0/1 outcome), ``revenue_sum`` and
    ``revenue_sum_squares`` (of revenue per customer), optionally ``orders`` (for the average
    order value; None: one order per conversion) and, for CUPED of revenue on a pre-period
    covariate x, ``covariate_sum`` (sum x), ``covariate_sum_squares`` (sum x^2) and
    ``revenue_covariate_sum`` (sum x * revenue). CUPED adjusts revenue only, so no
    conversion x covariate moment is needed. Cells pool with ``+`` (gbstats' design).
    """

    n: int
    conversions: float
    revenue_sum: float = 0.0
    revenue_sum_squares: float = 0.0
    orders: float | None = None
    covariate_sum: float | None = None
    covariate_sum_squares: float | None = None
    revenue_covariate_sum: float | None = None

    def __add__(self, other: CellStats) -> CellStats:
        def add(a: float | None, b: float | None) -> float | None:
            return None if a is None or b is None else a + b

        return CellStats(
            self.n + other.n,
            self.conversions + other.conversions,
            self.revenue_sum + other.revenue_sum,
            self.revenue_sum_squares + other.revenue_sum_squares,
            add(self.orders, other.orders),
            add(self.covariate_sum, other.covariate_sum),
            add(self.covariate_sum_squares, other.covariate_sum_squares),
            add(self.revenue_covariate_sum, other.revenue_covariate_sum),
        )

    @property
    def has_covariate(self) -> bool:
        return None not in (
            self.covariate_sum,
            self.covariate_sum_squares,
            self.revenue_covariate_sum,
        )

    @property
    def conversion(self) -> stats.SampleStats:
        """The 0/1 outcome's statistics (its sum of squares is its sum)."""
        return stats.SampleStats(self.n, self.conversions, self.conversions)

    @property
    def revenue(self) -> stats.SampleStats:
        return stats.SampleStats(self.n, self.revenue_sum, self.revenue_sum_squares)

    @property
    def paired(self) -> stats.PairedSampleStats:
        """(covariate, revenue) statistics for CUPED; raises without the covariate moments."""
        if not self.has_covariate:
            raise ValueError("CellStats has no covariate moments")
        return stats.PairedSampleStats(
            self.n,
            self.covariate_sum,
            self.revenue_sum,
            self.covariate_sum_squares,
            self.revenue_sum_squares,
            self.revenue_covariate_sum,
        )


@dataclass(frozen=True, slots=True)
class RowFacts:
    """What only one row per customer can tell: the revenue cap and the capped revenue per cell,
    the top buyers' share of revenue, and the daily response curve. The aggregated path has none."""

    cap_threshold: float | None = None
    capped: Mapping[Cell, stats.SampleStats] | None = None
    whale_share: float = math.nan
    daily: pd.DataFrame | None = None


def cells_from_units(units: pd.DataFrame) -> dict[Cell, CellStats]:
    """Per (segment, arm) sufficient statistics of a per-customer table (as analyze_units reads)."""
    cells = _Cells.of(units)
    n = np.bincount(cells.codes, minlength=len(cells.labels))

    def sums(column: str) -> np.ndarray | None:
        if column not in units.columns:
            return None
        return cells.sums(units[column].to_numpy(dtype="float64"))

    def squares(a: str, b: str) -> np.ndarray | None:
        if a not in units.columns or b not in units.columns:
            return None
        x, y = (units[c].to_numpy(dtype="float64") for c in (a, b))
        return cells.sums(x * y)

    parts = {
        "conversions": sums(CONVERTED),
        "revenue_sum": sums(REVENUE),
        "revenue_sum_squares": squares(REVENUE, REVENUE),
        "orders": sums(ORDERS),
        "covariate_sum": sums(COVARIATE),
        "covariate_sum_squares": squares(COVARIATE, COVARIATE),
        "revenue_covariate_sum": squares(COVARIATE, REVENUE),
    }
    defaults = {"revenue_sum": 0.0, "revenue_sum_squares": 0.0}
    return {
        cell: CellStats(
            int(n[i]),
            **{
                name: float(values[i]) if values is not None else defaults.get(name)
                for name, values in parts.items()
            },
        )
        for i, cell in enumerate(cells.labels)
        if n[i]
    }


def analyze_units(
    units: pd.DataFrame,
    options: AnalysisOptions,
    *,
    source: str,
    data_notes: Mapping[str, object] | None = None,
    daily: pd.DataFrame | None = None,
    window_days: int | None = None,
    extra_notices: Sequence[Notice] = (),
) -> Analysis:
    """Analyse one row per customer: ``segment``, ``arm``, ``converted`` (0/1), optional
    ``revenue`` (absent for a conversion-only campaign), ``orders`` and ``covariate``
    (pre-period value for CUPED of revenue).

    The rows are reduced to per-cell sufficient statistics (:func:`cells_from_units`) and
    analysed by :func:`analyze_cells`, with what only rows give (revenue cap, whale share,
    daily curve) computed here.
    """
    has_revenue = REVENUE in units.columns
    if not has_revenue:
        for given, option in ((options.cap_quantile, "--cap-revenue"), (options.covariate_name,
                              "--covariate")):  # fmt: skip
            if given is not None:
                raise InputError(
                    f"{option} needs a revenue column, and {source} has none (a conversion-only "
                    f"campaign). Pass --revenue-col COLUMN, or leave out {option}"
                )
        units = units.assign(**{REVENUE: 0.0})
    revenue_values = units[REVENUE].to_numpy(dtype="float64")
    cap_threshold = capped = None
    if options.cap_quantile is not None:
        cap_threshold = stats.pooled_quantile_cap([revenue_values], options.cap_quantile)
        capped = _Cells.of(units).sample_stats(np.minimum(revenue_values, cap_threshold))
    arms = _arm_order(sorted(units[ARM].astype(str).unique()), options)
    facts = RowFacts(
        cap_threshold=cap_threshold,
        capped=capped,
        whale_share=stats.top_share(revenue_values, WHALE_TOP_FRACTION),
        daily=_cumulative_daily(units, daily, arms, window_days or 1)
        if daily is not None
        else None,
    )
    return analyze_cells(
        cells_from_units(units),
        options,
        source=source,
        has_revenue=has_revenue,
        rows=facts,
        data_notes=data_notes,
        extra_notices=extra_notices,
    )


def _arm_order(arms_all: Sequence[str], options: AnalysisOptions) -> tuple[str, ...]:
    """The control first, then the treated arms (options.arm_order first, then by name)."""
    control = options.control
    rank = {arm: index for index, arm in enumerate(options.arm_order)}
    treated = sorted(
        (a for a in arms_all if a != control), key=lambda a: (rank.get(a, len(rank)), a)
    )
    return (control, *treated)


ROWS_NEEDED = (
    "Analysed from aggregated cells (sufficient statistics per segment x arm): the whale-share "
    "check, the revenue cap and the daily response curve need one row per customer and were "
    "skipped."
)
ROWS_NEEDED_CONVERSION_ONLY = (
    "Analysed from aggregated cells (sufficient statistics per segment x arm): the daily "
    "response curve needs one row per customer and was skipped."
)


def analyze_cells(
    cells: Mapping[Cell, CellStats],
    options: AnalysisOptions,
    *,
    source: str,
    has_revenue: bool = True,
    rows: RowFacts | None = None,
    data_notes: Mapping[str, object] | None = None,
    extra_notices: Sequence[Notice] = (),
) -> Analysis:
    """Analyse per (segment, arm) sufficient statistics: the one analysis of uplift-lab.

    Parameters
    ----------
    cells
        ``{(segment, arm): CellStats}``; a segment-less experiment has the one segment ``all``.
        CUPED of revenue runs when the cells carry the covariate moments (all of them or none).
    options
        Control label, CI/adjustment methods, money assumptions, designed fractions.
    source
        Where the data came from, for messages and the report.
    has_revenue
        False for a conversion-only campaign (revenue effects carry ``NO_REVENUE``).
    rows
        What the per-customer path adds (cap, whale share, daily curve); None for aggregates,
        which get a note saying what was skipped (``options.cap_quantile`` then raises).

    Per segment and treated arm: conversion (difference of proportions, z-test) and revenue per
    customer (Welch), relative lifts (delta method), p-values adjusted across all segment x arm
    comparisons; overall: the size-weighted stratified effect; SRM against the designed fractions.
    """
    control = options.control
    cells = {cell: c for cell, c in cells.items() if c.n > 0}
    arms = _arm_order(sorted({arm for _, arm in cells}), options)
    treated = arms[1:]
    segments = tuple(sorted({segment for segment, _ in cells}))
    notices: list[Notice] = list(extra_notices)
    for option, given, example in (
        ("--cost", options.costs, "0.05"),
        ("--coupon", options.coupons, "5"),
    ):
        unknown = sorted(set(given) - {*treated, "*"})
        if unknown:
            raise InputError(
                f"{option}: '{unknown[0]}' is not a treated arm (treated arms: "
                f"{', '.join(treated)}). Use e.g. {option} '{treated[0]}={example}'"
            )
    if rows is None:
        if options.cap_quantile is not None:
            raise InputError(
                f"--cap-revenue needs one row per customer (a pooled quantile), and {source} "
                "holds aggregated cells. Leave out --cap-revenue, or analyse the per-customer table"
            )
        notices.append(Notice("note", ROWS_NEEDED if has_revenue else ROWS_NEEDED_CONVERSION_ONLY))
    rows = rows or RowFacts()
    cap_threshold = rows.cap_threshold
    conv = {cell: c.conversion for cell, c in cells.items()}
    rev = {cell: c.revenue for cell, c in cells.items()}
    rev_capped = rows.capped
    paired = None
    with_covariate = [c.has_covariate for c in cells.values()]
    if any(with_covariate):  # CUPED of revenue
        if not all(with_covariate):
            raise ValueError("either every cell or none has the covariate moments")
        paired = {cell: c.paired for cell, c in cells.items()}

    raw_comparisons = []
    absent = False
    for segment in segments:
        for arm in treated:
            if not _arm_in_segment(options, conv, segment, arm):
                absent = True
                continue
            c_conv, t_conv = _sample(conv, segment, control), _sample(conv, segment, arm)
            conversion = stats.proportion_difference(
                c_conv, t_conv, alpha=options.alpha, ci=options.ci
            )
            revenue = stats.mean_difference(
                _sample(rev, segment, control), _sample(rev, segment, arm), alpha=options.alpha
            )
            if not has_revenue:
                revenue = NO_REVENUE_EFFECT
            capped = None
            if rev_capped is not None:
                capped = stats.mean_difference(
                    _sample(rev_capped, segment, control),
                    _sample(rev_capped, segment, arm),
                    alpha=options.alpha,
                )
            cuped = None
            if paired is not None:
                cuped = stats.cuped_difference(
                    _paired_sample(paired, segment, control),
                    _paired_sample(paired, segment, arm),
                    alpha=options.alpha,
                )
            raw_comparisons.append(
                (segment, arm, c_conv.n, t_conv.n, conversion, revenue, capped, cuped)
            )

    if absent:
        notices.append(Notice("note", _where_compared(raw_comparisons, treated, segments)))
    conv_adjusted = stats.adjust_p_values([c[4].p_value for c in raw_comparisons], options.adjust)
    rev_adjusted = stats.adjust_p_values([c[5].p_value for c in raw_comparisons], options.adjust)
    with_money = bool(options.costs) or bool(options.coupons) or options.margin is not None
    margin = 1.0 if options.margin is None else options.margin

    comparisons = []
    for index, (segment, arm, n_c, n_t, conversion, revenue, capped, cuped) in enumerate(
        raw_comparisons
    ):
        half_width = (conversion.ci_high - conversion.ci_low) / 2
        unreadable = bool(
            conversion.error is not None
            or math.isnan(half_width)
            or half_width > abs(conversion.difference)
            or _too_few_counts(_sample(conv, segment, control))
            or _too_few_counts(_sample(conv, segment, arm))
        )
        money = None
        if with_money:
            money = _money(
                n_t,
                int(round(_sample(conv, segment, arm).sum)),
                (conversion.difference, conversion.ci_low, conversion.ci_high),
                (revenue.difference, revenue.ci_low, revenue.ci_high),
                options.costs.get(arm, options.costs.get("*", 0.0)),
                options.coupons.get(arm, options.coupons.get("*", 0.0)),
                margin,
            )
        comparisons.append(
            Comparison(
                segment=segment,
                arm=arm,
                control_n=n_c,
                treated_n=n_t,
                conversion=conversion,
                revenue=revenue,
                conversion_p_adjusted=conv_adjusted[index],
                revenue_p_adjusted=rev_adjusted[index],
                revenue_capped=capped,
                revenue_cuped=cuped,
                money=money,
                too_small_to_read=unreadable,
            )
        )

    overall = [
        _overall(
            arm,
            [c for c in comparisons if c.arm == arm],
            options,
            with_money,
            margin,
            (conv, rev, control),
            has_revenue,
        )
        for arm in treated
    ]

    srm: list[SegmentSrm] = []
    if options.expected_fractions:
        srm = _srm(conv, segments, options.expected_fractions)
        for check in srm:
            if check.result.p_value < SRM_ALPHA:
                observed = ", ".join(f"{a} {n:,}" for a, n in check.result.observed.items())
                designed = ", ".join(f"{a} {f:.1%}" for a, f in check.result.expected.items())
                notices.append(
                    Notice(
                        "critical",
                        f"SAMPLE RATIO MISMATCH in segment '{check.segment}': observed {observed}"
                        f" vs designed {designed} (chi-square p = {check.result.p_value:.2g}). "
                        + SRM_FIX,
                    )
                )
    else:
        notices.append(
            Notice(
                "warning",
                "Sample ratio mismatch could not be checked: the designed arm fractions are "
                f"unknown. Pass them, e.g. --expected '{_fractions_example(arms)}' for an even "
                "split (or analyse a design folder).",
            )
        )

    unreadable = sorted(
        (c for c in comparisons if c.too_small_to_read), key=lambda c: treated.index(c.arm)
    )
    if unreadable:
        details = "; ".join(
            _unreadable_detail(c, conv, control, with_arm=len(treated) > 1) for c in unreadable
        )
        notices.append(
            Notice(
                "warning",
                f"Holdout too small to read in {len(unreadable)} of {len(comparisons)} "
                f"comparison(s) against {control}, marked † in the tables (the CI is wider than "
                f"the lift, or an arm has fewer than {MIN_NORMAL_COUNT} conversions or "
                f"non-conversions, too few for the normal approximation): {details}. A bigger "
                "holdout (or a longer window) is needed to read them; the overall rows pool "
                "them with the rest.",
            )
        )

    if sum(c.conversions for c in cells.values()) == 0:
        notices.append(
            Notice(
                "warning",
                "No customer of the experiment converted: check the outcomes file (ids, "
                "--start, --window-days) before reading anything below.",
            )
        )
    share = rows.whale_share
    if has_revenue and not math.isnan(share) and share > WHALE_SHARE:
        notices.append(
            Notice(
                "warning",
                f"Revenue is dominated by a few buyers: the top 1% of buyers hold {share:.0%} of "
                "revenue, so revenue effects are fragile. Compare with --cap-revenue 0.999.",
            )
        )
    if options.adjust == "none" and len(comparisons) > 1:
        notices.append(
            Notice(
                "warning",
                f"p-values are NOT adjusted for the {len(comparisons)} comparisons: some "
                "'significant' segments are expected by chance. Use --adjust holm or bh.",
            )
        )
    notices.append(Notice("note", INTENT_TO_TREAT))

    return Analysis(
        source=source,
        control=control,
        arms=arms,
        treated_arms=treated,
        segments=segments,
        options=options,
        arm_summaries=tuple(_summaries(cells, segments, arms)),
        comparisons=tuple(comparisons),
        overall=tuple(overall),
        srm=tuple(srm),
        notices=tuple(
            sorted(notices, key=lambda n: ("critical", "warning", "note").index(n.level))
        ),
        cap_threshold=cap_threshold,
        data_notes=dict(data_notes or {}),
        daily=rows.daily,
        has_revenue=has_revenue,
    )


def _arm_in_segment(
    options: AnalysisOptions, conv: Mapping[Cell, stats.SampleStats], segment: str, arm: str
) -> bool:
    """Whether ``arm`` belongs in ``segment``: designed there (a target campaign gives each
    segment x channel stratum one channel), or, without a design, has customers there."""
    designed = (options.expected_fractions or {}).get(segment)
    if designed is not None:
        return designed.get(arm, 0.0) > 0
    return _sample(conv, segment, arm).n > 0


def _fractions_example(arms: Sequence[str]) -> str:
    """An --expected value naming the real arms (an even split)."""
    return ",".join(f"{arm}={1 / len(arms):.3g}" for arm in arms)


def _too_few_counts(sample: stats.SampleStats) -> bool:
    """Fewer than MIN_NORMAL_COUNT conversions or non-conversions: the normal approximation
    behind the Wald CI and the z-test fails (they can even disagree about zero)."""
    conversions = round(sample.sum)
    return min(conversions, sample.n - conversions) < MIN_NORMAL_COUNT


def _unreadable_detail(
    comparison: Comparison,
    conv: Mapping[Cell, stats.SampleStats],
    control: str,
    *,
    with_arm: bool,
) -> str:
    c = comparison.conversion
    where = f"'{comparison.segment}' ({comparison.control_n:,} control)"
    if with_arm:
        where = f"{comparison.arm} in {where}"
    if c.error == stats.EMPTY_ARM:
        return f"{where} one arm is empty"
    if c.error is not None:
        return f"{where} no conversions to compare"
    half = (c.ci_high - c.ci_low) / 2 * 100
    detail = f"{where} lift {c.difference * 100:+.2f} pp ±{half:.2f}"
    few = [
        f"{int(round(sample.sum))} conversion(s) of {sample.n:,} in {arm}"
        for arm in (control, comparison.arm)
        if _too_few_counts(sample := _sample(conv, comparison.segment, arm))
    ]
    return detail + (f" ({', '.join(few)})" if few else "")


def _where_compared(
    raw_comparisons: Sequence[tuple], treated: Sequence[str], segments: Sequence[str]
) -> str:
    """Say where each treated arm is compared, when some arms were not assigned everywhere
    (a `target` campaign gives each 'segment|channel' stratum the control and one channel)."""
    where = {arm: [c[0] for c in raw_comparisons if c[1] == arm] for arm in treated}
    one_each = all(sum(segment in strata for strata in where.values()) == 1 for segment in segments)
    parts = [
        f"{arm} in " + (", ".join(f"'{s}'" for s in strata) if strata else "no segment")
        for arm, strata in where.items()
    ]
    lead = (
        "Each stratum holds the control and one channel, so each channel is compared only with "
        "the control of its own strata: "
        if one_each
        else "Each arm is compared only in the segments it was assigned to: "
    )
    return lead + "; ".join(parts) + "."


def _overall(
    arm: str,
    comparisons: Sequence[Comparison],
    options: AnalysisOptions,
    with_money: bool,
    margin: float,
    moments: tuple[Mapping[Cell, stats.SampleStats], Mapping[Cell, stats.SampleStats], str],
    has_revenue: bool = True,
) -> OverallEffect:
    sizes = [c.control_n + c.treated_n for c in comparisons]
    conv, rev, control = moments

    def relative(cells: Mapping[Cell, stats.SampleStats]) -> RelativeLift:
        lift, low, high, error = stats.stratified_relative_lift(
            sizes,
            [_sample(cells, c.segment, control) for c in comparisons],
            [_sample(cells, c.segment, arm) for c in comparisons],
            alpha=options.alpha,
        )
        return RelativeLift(lift, low, high, error)

    def combine(effects: Sequence[stats.EffectResult]) -> stats.StratifiedEffect:
        return stats.stratified_effect(
            sizes,
            [e.difference for e in effects],
            [e.standard_error for e in effects],
            alpha=options.alpha,
        )

    capped = cuped = None
    if comparisons and comparisons[0].revenue_capped is not None:
        capped = combine([c.revenue_capped for c in comparisons])
    if comparisons and comparisons[0].revenue_cuped is not None:
        cuped = combine([c.revenue_cuped.effect for c in comparisons])
    reduction = None
    revenue = combine([c.revenue for c in comparisons])
    if not has_revenue:  # not an empty arm: the campaign measured no money at all
        revenue = replace(revenue, error=NO_REVENUE)
    if cuped is not None and revenue.standard_error > 0:
        reduction = 1 - (cuped.standard_error / revenue.standard_error) ** 2
    money = None
    if with_money:
        money = _sum_money([c.money for c in comparisons], by_revenue=has_revenue)
    revenue_relative = relative(rev) if has_revenue else RelativeLift(*_NAN3, NO_REVENUE)
    return OverallEffect(
        arm=arm,
        control_n=sum(c.control_n for c in comparisons),
        treated_n=sum(c.treated_n for c in comparisons),
        conversion=combine([c.conversion for c in comparisons]),
        revenue=revenue,
        conversion_relative=relative(conv),
        revenue_relative=revenue_relative,
        revenue_capped=capped,
        revenue_cuped=cuped,
        cuped_variance_reduction=reduction,
        money=money,
    )


def _sum_money(parts: Sequence[Money], *, by_revenue: bool = True) -> Money:
    """Total money over segments; CI from the segments' independent standard errors.

    Segments whose revenue lift has no CI are left out, or, without revenue (a conversion-only
    campaign, where revenue and profit stay NaN), those whose conversion lift has none.
    """
    key = "incremental_revenue_low" if by_revenue else "incremental_conversions_low"
    usable = [m for m in parts if not math.isnan(getattr(m, key))]

    def total_with_ci(attr: str) -> tuple[float, float]:
        total = sum(getattr(m, attr) for m in usable)
        # Segments are independent: half-widths add in quadrature (normal approximation).
        half = math.sqrt(
            sum(((getattr(m, f"{attr}_high") - getattr(m, f"{attr}_low")) / 2) ** 2 for m in usable)
        )
        return total, half

    conv, conv_half = total_with_ci("incremental_conversions")
    rev, rev_half = total_with_ci("incremental_revenue")
    return _money_from_totals(
        treated_n=sum(m.treated_n for m in usable),
        treated_conversions=sum(m.treated_conversions for m in usable),
        conversions=(conv, conv - conv_half, conv + conv_half),
        revenue=(rev, rev - rev_half, rev + rev_half),
        cost_per_message=usable[0].cost_per_message if usable else math.nan,
        message_cost=sum(m.message_cost for m in usable),
        coupon_per_conversion=usable[0].coupon_per_conversion if usable else 0.0,
        coupon_cost=sum(m.coupon_cost for m in usable),
        margin=usable[0].margin if usable else math.nan,
    )


def _cumulative_daily(
    units: pd.DataFrame, daily: pd.DataFrame, arms: Sequence[str], days: int
) -> pd.DataFrame:
    """Cumulative conversion rate per arm by day of the window (first orders only)."""
    first = units[[CUSTOMER_ID, ARM]].merge(daily, on=CUSTOMER_ID, how="inner")
    sizes = units.groupby(ARM).size()
    rows = []
    for arm in arms:
        counts = np.bincount(first.loc[first[ARM] == arm, "day"].to_numpy(int), minlength=days)
        cumulative = np.cumsum(counts[:days]) / max(int(sizes.get(arm, 0)), 1)
        rows.extend(
            {ARM: arm, "day": day, "cumulative_conversion_rate": float(rate)}
            for day, rate in enumerate(cumulative)
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# The edge: read and validate inputs, then analyse (what the CLI calls)


@dataclass(frozen=True, slots=True)
class FlatColumns:
    """Column names of a flat table (one row per customer)."""

    arm: str
    conversion: str
    revenue: str | None = REVENUE  # None: 'revenue' if the table has it, else conversion only
    segment: str | None = None
    covariate: str | None = None
    positive: str | None = None  # label of a converted customer in a text conversion column


def read_experiment(folder: Path) -> tuple[pd.DataFrame, dict]:
    """Return (assignment, design meta) of an experiment folder, refusing an edited assignment."""
    from uplift_lab.design import load_experiment

    experiment = load_experiment(folder)
    return experiment.assignment, dict(experiment.meta)


def arm_labels(frame: pd.DataFrame, column: str, source: object) -> pd.Series:
    """The arm column as text with stray spaces stripped (``' sms'`` is ``'sms'``); empty
    labels are refused."""
    values = frame[column]
    text = values.astype(str).str.strip()
    empty = values.isna() | (text == "")
    if empty.any():
        raise input_error(
            source,
            f"column '{column}' has {int(empty.sum())} empty arm label(s)",
            "Every customer needs an arm; fill or remove those rows",
        )
    return text


def segment_labels(frame: pd.DataFrame, column: str, source: object) -> pd.Series:
    """A segment column as text; an empty label is refused (file, column and fix named)."""
    values = frame[column]
    empty = values.isna() | (values.astype(str).str.strip() == "")
    if empty.any():
        raise input_error(
            source,
            f"column '{column}' has {int(empty.sum())} empty segment label(s)",
            "Fill them (e.g. 'unknown') or remove the rows",
        )
    return values.astype(str)


def _conversion_flags(
    frame: pd.DataFrame, column: str, source: object, positive: str | None = None
) -> pd.Series:
    if positive is not None:
        return _label_flags(frame, column, source, positive)
    raw = frame[column]
    if not (pd.api.types.is_numeric_dtype(raw) or pd.api.types.is_bool_dtype(raw)):
        labels = raw.dropna().astype(str).str.strip()
        if len(labels) and pd.to_numeric(labels, errors="coerce").isna().any():
            distinct = sorted(labels.unique())
            shown = ", ".join(f"'{v}'" for v in distinct[:5])
            raise input_error(
                source,
                f"column '{column}' holds labels ({shown}), not 0/1",
                f"Name the converted label with --positive, e.g. --positive '{distinct[-1]}'",
            )
    values = contracts.numeric_column(frame, column, source)
    bad = ~values.isin([0.0, 1.0])
    if bad.any():
        raise input_error(
            source,
            f"column '{column}' must be 0/1 but has values such as {values[bad].iloc[0]:g}",
            "Pass a 0/1 conversion column with --conversion-col",
        )
    return values


def _label_flags(frame: pd.DataFrame, column: str, source: object, positive: str) -> pd.Series:
    """1.0 where the label is ``positive`` (e.g. Yes), 0.0 for the one other label (No)."""
    values = frame[column]
    text = values.astype(str).str.strip()
    empty = values.isna() | (text == "")
    if empty.any():
        raise input_error(
            source,
            f"column '{column}' has {int(empty.sum())} empty value(s)",
            "Every customer needs an outcome; fill or remove those rows",
        )
    positive = str(positive).strip()
    labels = sorted(text.unique())
    shown = ", ".join(f"'{label}'" for label in labels[:5])
    if positive not in labels:
        raise input_error(
            source,
            f"--positive '{positive}' is not a value of column '{column}' (values: {shown})",
            "Pass the label of a converted customer, e.g. --positive Yes",
        )
    if len(labels) > 2:
        raise input_error(
            source,
            f"column '{column}' has {len(labels)} labels ({shown}); --positive reads a yes/no "
            "column with two",
            "Fix the other labels so that one means converted and one does not",
        )
    return (text == positive).astype("float64")


def _window_days(window_days: int | None, meta: Mapping | None) -> int:
    """--window-days, else the campaign's recorded window, else DEFAULT_WINDOW_DAYS."""
    if window_days is not None:
        return window_days
    recorded = ((meta or {}).get("campaign") or {}).get("window_days")
    if isinstance(recorded, int) and not isinstance(recorded, bool) and recorded >= 1:
        return recorded
    return DEFAULT_WINDOW_DAYS


def _parse_start(start: str | pd.Timestamp | None, meta: Mapping | None) -> pd.Timestamp:
    if start is None and meta:
        start = (meta.get("campaign") or {}).get("start")
    if start is None:
        raise InputError(
            "--start is required with an orders file: the first day of the response window, "
            "e.g. --start 2026-08-21"
        )
    return parse_date_option(start, "--start", "2026-08-21")


def _money_from_campaign(
    options: AnalysisOptions, campaign: Mapping | None, arms: set[str]
) -> tuple[AnalysisOptions, list[str]]:
    """Default --cost, --coupon and --margin from the campaign plan that `target` wrote into
    design.json (each channel: message_cost, coupon per redemption)."""
    used: list[str] = []
    if not isinstance(campaign, Mapping):
        return options, used
    channels = campaign.get("channels") or {}
    if not isinstance(channels, Mapping):
        channels = {}

    def per_channel(key: str) -> dict[str, float]:
        return {
            name: float(spec[key])
            for name, spec in channels.items()
            if name in arms and isinstance(spec, Mapping) and isinstance(spec.get(key), int | float)
        }

    costs = per_channel("message_cost")
    if not options.costs and costs:
        options = replace(options, costs=costs)
        used.append("cost per message")
    coupons = {name: value for name, value in per_channel("coupon").items() if value > 0}
    if not options.coupons and coupons:
        options = replace(options, coupons=coupons)
        used.append("coupon per conversion")
    if options.margin is None and isinstance(campaign.get("margin"), int | float):
        options = replace(options, margin=float(campaign["margin"]))
        used.append("margin")
    return options, used


def analyze_flat_file(
    path: Path,
    columns: FlatColumns,
    options: AnalysisOptions,
    *,
    encoding: str | None = None,
) -> Analysis:
    """Analyse a flat table with an arm column and outcome columns (e.g. a public data set).

    Without a segment column the table is one segment; without a revenue column (``revenue``
    None) only conversion is analysed; ``positive`` reads a text conversion column (Yes/No).
    """
    text_columns = [columns.arm, columns.segment, columns.positive and columns.conversion]
    frame = io.read_table(path, encoding=encoding, string_columns=[c for c in text_columns if c])
    if columns.revenue is None and REVENUE in frame.columns:
        columns = replace(columns, revenue=REVENUE)
    needed = [columns.arm, columns.conversion]
    needed += [c for c in (columns.revenue, columns.segment, columns.covariate) if c]
    contracts.require_columns(frame, needed, path)
    if len(frame) == 0:
        raise input_error(path, "has no rows", "Pass a table with one row per customer")
    units = pd.DataFrame(
        {
            ARM: arm_labels(frame, columns.arm, path),
            SEGMENT: segment_labels(frame, columns.segment, path)
            if columns.segment
            else ALL_SEGMENTS,
            CONVERTED: _conversion_flags(frame, columns.conversion, path, columns.positive),
        }
    )
    if columns.revenue:
        units[REVENUE] = contracts.numeric_column(frame, columns.revenue, path)
    if columns.covariate:
        units[COVARIATE] = contracts.numeric_column(frame, columns.covariate, path)
    segments = set(units[SEGMENT])
    if columns.segment and ALL_SEGMENTS in segments and len(segments) > 1:
        raise input_error(
            path,
            f"column '{columns.segment}' has a segment labelled '{ALL_SEGMENTS}', the name of "
            "the pooled rows",
            "Rename that segment (e.g. 'all_customers')",
        )
    options = replace(options, control=options.control.strip())
    if options.expected_fractions and not options.arm_order:  # arms in the order declared
        declared = dict.fromkeys(a for f in options.expected_fractions.values() for a in f)
        options = replace(options, arm_order=tuple(declared))
    check_arms(units, options.control, path, columns.arm)
    notices = _check_declared_arms(units, options, path, columns.arm)
    notes = {
        "input": str(path),
        "mode": "flat table",
        "rows": len(units),
    }
    if columns.revenue:
        notes["customers_with_negative_revenue"] = int((units[REVENUE] < 0).sum())
    return analyze_units(units, options, source=str(path), data_notes=notes, extra_notices=notices)


TINY_ARM_SHARE = 0.01  # an arm with fewer rows than this share of all rows looks like a typo


def tiny_arm_error(
    labels: pd.Series, source: object, arm_column: str, flag: str = "--expected"
) -> InputError | None:
    """The error for an arm under 1% of the rows (a mistyped label such as 'sned'), or None.

    Only when the arms are not declared: ``flag`` (``--expected``) declares them and accepts a
    small arm on purpose.
    """
    sizes = labels.value_counts()
    tiny = sizes[sizes < TINY_ARM_SHARE * len(labels)]
    if not len(tiny) or len(sizes) < 2:
        return None
    arm, n = str(tiny.index[0]), int(tiny.iloc[0])
    others = f" (and {len(tiny) - 1} more)" if len(tiny) > 1 else ""
    return input_error(
        source,
        f"column '{arm_column}' has an arm '{arm}' with only {n:,} of {len(labels):,} rows "
        f"(under 1%){others}, likely a mistyped label",
        f"Fix or drop those rows, or declare every arm with {flag} ARM=FRACTION,... "
        f"(including '{arm}') to accept it",
    )


def _check_declared_arms(
    units: pd.DataFrame, options: AnalysisOptions, source: object, arm_column: str
) -> list[Notice]:
    """Refuse arm labels outside --expected; without it, refuse an arm under 1% of the rows."""
    declared = sorted({arm for fractions in (options.expected_fractions or {}).values()
                       for arm in fractions})  # fmt: skip
    if declared:
        contracts.check_labels(
            units[ARM], declared, source, arm_column,
            "Fix those labels, or declare every arm in --expected",
        )  # fmt: skip
        return []
    error = tiny_arm_error(units[ARM], source, arm_column)
    if error is not None:
        raise error
    return []


@dataclass(frozen=True, slots=True, eq=False)
class FolderAnalysis:
    """An experiment folder's analysis and the inputs it read, for the steps that add to it
    (``--schedule``, ``--by-hour``) without reading them again: the assignment (customer_id,
    segment, arm, and send_time when the folder records send times) and the counted orders
    (None with a per-customer outcomes table)."""

    analysis: Analysis
    assignment: pd.DataFrame
    orders: pd.DataFrame | None


def analyze_experiment_folder(
    folder: Path, outcomes_path: Path, options: AnalysisOptions, **reading: Any
) -> Analysis:
    """Analyse an experiment folder against an outcomes file; ``reading`` are the keyword
    options of :func:`analyze_experiment_inputs` (which also returns what it read)."""
    return analyze_experiment_inputs(folder, outcomes_path, options, **reading).analysis


def analyze_experiment_inputs(
    folder: Path,
    outcomes_path: Path,
    options: AnalysisOptions,
    *,
    start: str | None = None,
    window_days: int | None = None,
    conversion_col: str = CONVERTED,
    revenue_col: str | None = REVENUE,
    customer_col: str = CUSTOMER_ID,
    time_col: str = ORDER_TIME,
    amount_col: str = AMOUNT,
    covariate: str | None = None,
    encoding: str | None = None,
    inputs: InputSpec | None = None,
    parsing: TimeParsing = DEFAULT_TIME_PARSING,
) -> FolderAnalysis:
    """Analyse an experiment folder against an outcomes file (per-customer table or orders).

    An orders file is read by ``inputs`` (preset, column map, status and refund rules, date
    parsing; see :func:`uplift_lab.orders.load_orders`), else by the column names and
    ``parsing`` (formats, the shop's time zone); with a preset or rules the file is always orders.

    A file with ``conversion_col`` is a per-customer outcome table (``revenue_col`` None: its
    ``revenue`` column if it has one, else conversion only); otherwise it is an order
    log and the response window is [start, start + window_days); both default to the campaign
    entry of design.json (what `target` or the campaign's planner recorded), else 7 days.
    With an order log the only covariate is ``pre_revenue`` (revenue before the window).
    """
    raw_assignment, meta = read_experiment(folder)
    control = options.control or meta.get("control_arm") or contracts.CONTROL_ARM
    # An imported campaign without --expected records no intended fractions: --expected here.
    fractions = meta.get("fractions") or options.expected_fractions or None
    arm_order = tuple(str(a) for a in meta.get("arms") or ())
    options = replace(options, control=control, expected_fractions=fractions, arm_order=arm_order)
    arms_present = set(raw_assignment[ARM].astype(str))
    options, from_campaign = _money_from_campaign(options, meta.get("campaign"), arms_present)
    assignment = pd.DataFrame(
        {
            CUSTOMER_ID: contracts.ids_as_text(raw_assignment, CUSTOMER_ID, folder, unique=True),
            SEGMENT: segment_labels(raw_assignment, STRATUM, folder),
            ARM: arm_labels(raw_assignment, ARM, folder),
        }
    )
    check_arms(assignment, control, Path(folder) / "assignment.parquet", ARM)

    names = [str(name).strip() for name in io.table_column_names(outcomes_path, encoding=encoding)]
    is_order_log = (inputs is not None and (inputs.preset or inputs.orders.rules.active)) or (
        conversion_col not in names
    )
    notes: dict[str, object] = {"input": str(folder), "outcomes": str(outcomes_path)}
    if from_campaign:
        notes["money_assumptions_from_design_json"] = ", ".join(from_campaign)
    covariate_frame = None
    daily = None
    window = None
    counting_lines: list[str] = []
    coverage = None
    orders = None
    if not is_order_log:
        raw = io.read_table(outcomes_path, encoding=encoding, string_columns=[customer_col])
        frame = contracts.rename_to_canonical(raw, {CUSTOMER_ID: customer_col}, outcomes_path)
        if revenue_col is None and REVENUE in frame.columns:
            revenue_col = REVENUE
        contracts.require_columns(
            frame, [CUSTOMER_ID] + ([revenue_col] if revenue_col else []), outcomes_path
        )
        outcomes = pd.DataFrame(
            {
                CUSTOMER_ID: contracts.ids_as_text(frame, CUSTOMER_ID, outcomes_path, unique=True),
                CONVERTED: _conversion_flags(frame, conversion_col, outcomes_path),
            }
        )
        if revenue_col:
            outcomes[REVENUE] = contracts.numeric_column(frame, revenue_col, outcomes_path)
        notes["mode"] = "experiment + per-customer outcomes"
        if covariate:
            contracts.require_columns(frame, (covariate,), outcomes_path)
            covariate_frame = pd.DataFrame(
                {
                    CUSTOMER_ID: outcomes[CUSTOMER_ID],
                    COVARIATE: contracts.numeric_column(frame, covariate, outcomes_path),
                }
            )
    else:
        if inputs is None:
            inputs = resolve_inputs(
                customer_col=customer_col,
                time_col=time_col,
                amount_col=amount_col,
                parsing=parsing,
            )
        counted = load_orders(outcomes_path, inputs.orders, encoding=encoding)
        orders = counted.frame()
        notes["order_counting"] = counted.counting.to_json()
        counting_lines = counted.counting.lines()
        begin = _parse_start(start, meta)
        window_days = _window_days(window_days, meta)
        window = window_days
        derived = outcomes_from_orders(orders, begin, window_days)
        outcomes = derived.per_customer
        daily = derived.daily
        coverage = window_coverage_notice(orders[ORDER_TIME], begin, window_days)
        notes.update(
            mode="experiment + orders",
            window_start=begin.isoformat(),
            window_days=window_days,
            orders_in_window=derived.orders_in_window,
            refund_rows=derived.refund_rows,
            refund_amount=derived.refund_amount,
        )
        if covariate:
            if covariate != PRE_REVENUE:
                kind = (
                    "an order column, not a per-customer value"
                    if covariate in names
                    else "not something an orders file has"
                )
                raise input_error(
                    outcomes_path,
                    f"--covariate '{covariate}' is {kind} (the file has: {', '.join(names[:20])})",
                    f"With an orders file use --covariate {PRE_REVENUE} (revenue in the 365 days "
                    "before --start), or pass a per-customer outcomes table with that column",
                )
            covariate_frame = pre_period_revenue(orders, begin)
    joined = join_outcomes(assignment, outcomes, covariate_frame)
    notes["unknown_customers_ignored"] = joined.unknown_customers
    notes["customers_without_outcome_counted_as_zero"] = joined.customers_without_outcome
    if REVENUE in joined.units.columns:
        notes["customers_with_negative_revenue"] = int((joined.units[REVENUE] < 0).sum())
    extra = []
    if counting_lines:
        extra.append(Notice("note", "Orders: " + "; ".join(counting_lines) + "."))
    if coverage is not None:
        extra.append(coverage)
    if joined.unknown_customers:
        extra.append(
            Notice(
                "note",
                f"{joined.unknown_customers:,} outcome row(s) of customers who are not in the "
                "experiment were ignored.",
            )
        )
    analysis = analyze_units(
        joined.units,
        options,
        source=str(folder),
        data_notes=notes,
        daily=daily,
        window_days=window,
        extra_notices=extra,
    )
    if SEND_TIME in raw_assignment.columns:  # an imported campaign's send times
        assignment = assignment.assign(**{SEND_TIME: pd.to_datetime(raw_assignment[SEND_TIME])})
    return FolderAnalysis(analysis, assignment, orders)
