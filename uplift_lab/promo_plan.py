"""Promotion targets: last promotion's GMV split into returning and new customers, this year's
targets from a growth assumption, and (with a past analysis) the customers to message per segment.

Pure computation over the counted orders (:func:`uplift_lab.orders.load_orders`) and the JSON of
``analyze --out``; the ``plan`` workflow reads and writes the files.

Definitions (the promo window is ``start 00:00`` to ``end 24:00``, both days included):

* a window buyer is a customer with a counted order in the window; **returning** when the
  customer has a counted order before the window's first day, else **new** (first order inside
  the window). Orders after the window are ignored.
* GMV is the sum of the window's counted amounts (net of refunds; declared refund rows in the
  window net into their customer's group, refund rows of customers without a window order are
  left out); orders are the window's rows with a non-negative amount.
* targets: returning GMV target = last returning GMV x (1 + growth); new GMV target = last new
  GMV x (1 + new_growth), new_growth defaulting to growth; total = the sum.
* reach (with a past analysis): the extra returning GMV (target - last) becomes extra
  conversions at last promotion's GMV per returning buyer (extra conversions = returning buyers x
  growth), split over the segments with a positive measured conversion lift in proportion to
  their customers in the analysis; per segment customers to message = ceil(extra conversions /
  measured conversion lift) and message cost = customers to message x the arm's cost per
  message. Assumptions: without extra messages returning customers repeat last promotion's GMV;
  each extra conversion brings last promotion's GMV per returning buyer; the measured lift holds
  this year. The expected extra GMV shown beside it uses the measured incremental revenue per
  messaged customer instead (a cross-check of the two valuations).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from uplift_lab.contracts import AMOUNT, CUSTOMER_ID, ORDER_TIME
from uplift_lab.errors import InputError, ParameterError, UsageError, literal, usage_error

RETURNING = "returning"
NEW = "new"
WINDOW_FORMAT = "YYYY-MM-DD:YYYY-MM-DD"
ANALYZE_REPORT_FIX = "Pass the report.json that `uplift-lab analyze --out DIR` writes"
WINDOW_FIX = (
    f"Use {{promo={WINDOW_FORMAT}}}, e.g. {{promo=2025-11-01:2025-11-11}} (both days included)"
)


@dataclass(frozen=True, slots=True)
class PromoWindow:
    """The promotion's first and last day (both included)."""

    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def stop(self) -> pd.Timestamp:
        """The first moment after the window (midnight after the last day)."""
        return self.end + pd.Timedelta(days=1)

    def label(self) -> str:
        return f"{self.start:%Y-%m-%d}:{self.end:%Y-%m-%d}"


def parse_promo_window(text: str) -> PromoWindow:
    """``YYYY-MM-DD:YYYY-MM-DD`` as a window; refused unless both are dates and end >= start."""
    parts = str(text).strip().split(":")
    days = []
    for part in parts if len(parts) == 2 else ():
        try:
            days.append(pd.Timestamp(datetime.strptime(part.strip(), "%Y-%m-%d")))
        except ValueError:
            break
    if len(days) != 2:
        raise UsageError(
            f"{{promo}}: '{literal(text)}' is not a window {WINDOW_FORMAT}. {WINDOW_FIX}"
        )
    if days[1] < days[0]:
        raise UsageError(
            f"{{promo}}: the window ends before it starts ({literal(text)}). "
            "Give the first day first, "
            f"e.g. {{promo={days[1]:%Y-%m-%d}:{days[0]:%Y-%m-%d}}}"
        )
    return PromoWindow(days[0], days[1])


def check_growth(value: float, parameter: str = "growth") -> float:
    """A growth rate as a fraction (0.2 = +20%); below -1 would be a negative target."""
    value = float(value)
    if not math.isfinite(value) or value < -1:
        raise ParameterError(
            parameter, "must be a fraction >= -1 (0.2 for +20%, -1 for nothing)", value
        )
    return value


@dataclass(frozen=True, slots=True)
class GroupTotals:
    """GMV, orders and buyers of one customer group in the window."""

    gmv: float
    orders: int
    customers: int

    @property
    def gmv_per_customer(self) -> float:
        return self.gmv / self.customers if self.customers else math.nan

    @property
    def average_order_value(self) -> float:
        return self.gmv / self.orders if self.orders else math.nan

    def __add__(self, other: GroupTotals) -> GroupTotals:
        return GroupTotals(
            self.gmv + other.gmv, self.orders + other.orders, self.customers + other.customers
        )


@dataclass(frozen=True, slots=True)
class PromoSplit:
    """Last promotion's totals split into returning and new customers."""

    window: PromoWindow
    returning: GroupTotals
    new: GroupTotals
    orders_before: int  # counted orders before the window (the history that tells returning)

    @property
    def total(self) -> GroupTotals:
        return self.returning + self.new


def promo_split(orders: pd.DataFrame, window: PromoWindow, source: object = "orders") -> PromoSplit:
    """Split the window's counted orders into returning and new customers (module docstring).

    ``orders`` is the canonical frame (customer_id, order_time, amount) of counted orders.
    A window without orders is refused.
    """
    times = orders[ORDER_TIME]
    purchase = orders[AMOUNT] >= 0
    inside = (times >= window.start) & (times < window.stop)
    before = times < window.start
    buyers = orders.loc[inside & purchase, CUSTOMER_ID].unique()
    if len(buyers) == 0:
        first, last = times.min(), times.max()
        raise UsageError(
            f"{source}: no counted orders in the promo window {window.label()}; the orders run "
            f"from {first:%Y-%m-%d} to {last:%Y-%m-%d}. Check {{promo}} (and {{time_col}})"
        )
    earlier = set(orders.loc[before & purchase, CUSTOMER_ID].unique())
    window_rows = orders.loc[inside & orders[CUSTOMER_ID].isin(buyers)]
    is_returning = window_rows[CUSTOMER_ID].isin(earlier)

    def totals(rows: pd.DataFrame) -> GroupTotals:
        return GroupTotals(
            gmv=float(rows[AMOUNT].sum()),
            orders=int((rows[AMOUNT] >= 0).sum()),
            customers=int(rows.loc[rows[AMOUNT] >= 0, CUSTOMER_ID].nunique()),
        )

    return PromoSplit(
        window=window,
        returning=totals(window_rows[is_returning]),
        new=totals(window_rows[~is_returning]),
        orders_before=int((before & purchase).sum()),
    )


@dataclass(frozen=True, slots=True)
class PromoTargets:
    """This year's GMV targets from last promotion's split and the growth assumptions."""

    growth: float
    new_growth: float
    returning_gmv: float
    new_gmv: float
    extra_returning_gmv: float  # returning target - last returning GMV
    extra_returning_customers: float  # at last promotion's GMV per returning buyer

    @property
    def total_gmv(self) -> float:
        return self.returning_gmv + self.new_gmv


def promo_targets(
    split: PromoSplit, growth: float, new_growth: float | None = None
) -> PromoTargets:
    """Returning target = last returning GMV x (1 + growth); new likewise with ``new_growth``."""
    growth = check_growth(growth)
    new_growth = growth if new_growth is None else check_growth(new_growth, "new_growth")
    returning = split.returning.gmv * (1 + growth)
    extra = returning - split.returning.gmv
    per_buyer = split.returning.gmv_per_customer
    return PromoTargets(
        growth=growth,
        new_growth=new_growth,
        returning_gmv=returning,
        new_gmv=split.new.gmv * (1 + new_growth),
        extra_returning_gmv=extra,
        extra_returning_customers=extra / per_buyer if per_buyer and per_buyer > 0 else 0.0,
    )


@dataclass(frozen=True, slots=True)
class SegmentEffect:
    """One segment's measured effect in a past analysis (its cheapest arm per extra conversion)."""

    segment: str
    arm: str
    customers: int  # treated + control in the analysis
    conversion_lift: float  # absolute difference of conversion rates, send - control
    lift_ci_low: float
    revenue_lift: float  # incremental revenue per messaged customer
    cost_per_message: float | None
    too_small_to_read: bool = False


@dataclass(frozen=True, slots=True)
class SegmentReach:
    """Customers to message in one segment for its share of the extra conversions."""

    effect: SegmentEffect
    share: float  # of the extra conversions
    extra_conversions: float
    customers_to_message: int | None  # None: no positive lift, not planned
    message_cost: float | None
    expected_extra_gmv: float | None  # customers to message x measured incremental revenue

    @property
    def more_than_segment(self) -> bool:
        return (self.customers_to_message or 0) > self.effect.customers

    def caveats(self) -> tuple[str, ...]:
        notes = []
        if self.customers_to_message is None:
            notes.append("no lift: not planned")
        elif self.effect.lift_ci_low <= 0:
            notes.append("lift CI includes 0")
        if self.effect.too_small_to_read:
            notes.append("small holdout")
        if self.more_than_segment:
            notes.append("> segment size")
        return tuple(notes)


@dataclass(frozen=True, slots=True)
class PromoReach:
    """Per segment reach and the totals."""

    source: str
    segments: tuple[SegmentReach, ...]

    @property
    def customers_to_message(self) -> int:
        return sum(r.customers_to_message or 0 for r in self.segments)

    @property
    def message_cost(self) -> float | None:
        costs = [r.message_cost for r in self.segments if r.customers_to_message]
        return None if any(c is None for c in costs) else float(sum(costs))


@dataclass(frozen=True, slots=True)
class PromoPlan:
    """Everything ``plan`` computes: the split, the targets and (optionally) the reach."""

    split: PromoSplit
    targets: PromoTargets
    reach: PromoReach | None = None


def _number(value: Any) -> float:
    return (
        float(value) if isinstance(value, int | float) and not isinstance(value, bool) else math.nan
    )


def segment_effects(
    report: Mapping[str, Any], source: object = "report.json"
) -> list[SegmentEffect]:
    """The per-segment effects of an ``analyze`` report.json (its ``overall`` when unsegmented).

    Per segment the arm with the lowest cost per extra conversion (highest lift when costs are
    unknown) among arms with a positive lift; else the arm with the highest lift.
    """
    if not isinstance(report, Mapping) or not isinstance(report.get("comparisons"), list):
        raise usage_error(source, "not an analyze report (no 'comparisons')", ANALYZE_REPORT_FIX)
    costs = (report.get("options") or {}).get("costs") or {}
    rows = report["comparisons"] or [dict(c, segment="all") for c in report.get("overall") or []]
    if not rows:
        raise InputError(f"{source}: the report has no comparisons to read a lift from")
    by_segment: dict[str, list[SegmentEffect]] = {}
    for row in rows:
        try:
            conversion, revenue = row["conversion"], row.get("revenue") or {}
            arm = str(row["arm"])
            money = row.get("money") or {}
            cost = costs.get(arm, money.get("cost_per_message"))
            effect = SegmentEffect(
                segment=str(row["segment"]),
                arm=arm,
                customers=int(row["treated_n"]) + int(row["control_n"]),
                conversion_lift=_number(conversion.get("difference")),
                lift_ci_low=_number(conversion.get("ci_low")),
                revenue_lift=_number(revenue.get("difference")),
                cost_per_message=None if cost is None else float(cost),
                too_small_to_read=bool(row.get("too_small_to_read", False)),
            )
        except (KeyError, TypeError, ValueError):
            raise usage_error(
                source,
                "a comparison lacks segment, arm, treated_n, control_n or conversion",
                ANALYZE_REPORT_FIX,
            ) from None
        by_segment.setdefault(effect.segment, []).append(effect)
    return [_cheapest(effects) for effects in by_segment.values()]


def _lift_or_lowest(effect: SegmentEffect) -> float:
    return effect.conversion_lift if math.isfinite(effect.conversion_lift) else -math.inf


def _cheapest(effects: Sequence[SegmentEffect]) -> SegmentEffect:
    positive = [e for e in effects if e.conversion_lift > 0]
    if not positive:
        return max(effects, key=_lift_or_lowest)
    if all(e.cost_per_message is not None for e in positive):
        return min(positive, key=lambda e: e.cost_per_message / e.conversion_lift)
    return max(positive, key=lambda e: e.conversion_lift)


def promo_reach(
    targets: PromoTargets, effects: Sequence[SegmentEffect], source: str = "report.json"
) -> PromoReach:
    """Customers to message per segment for the extra returning conversions (module docstring)."""
    planned = [e for e in effects if e.conversion_lift > 0]
    base = sum(e.customers for e in planned)
    needed = max(targets.extra_returning_customers, 0.0)
    rows = []
    for effect in effects:
        if effect not in planned:
            rows.append(SegmentReach(effect, 0.0, 0.0, None, None, None))
            continue
        share = effect.customers / base if base else 0.0
        extra = needed * share
        count = math.ceil(extra / effect.conversion_lift - 1e-9) if extra > 0 else 0
        cost = None if effect.cost_per_message is None else count * effect.cost_per_message
        gmv = count * effect.revenue_lift if math.isfinite(effect.revenue_lift) else None
        rows.append(SegmentReach(effect, share, extra, count, cost, gmv))
    return PromoReach(source=source, segments=tuple(rows))


def promo_plan(
    orders: pd.DataFrame,
    window: PromoWindow,
    growth: float,
    *,
    new_growth: float | None = None,
    report: Mapping[str, Any] | None = None,
    source: object = "orders",
    report_source: str = "report.json",
) -> PromoPlan:
    """The split, the targets and, with an analyze ``report``, the reach per segment."""
    growth = check_growth(growth)
    if new_growth is not None:
        check_growth(new_growth, "new_growth")
    effects = segment_effects(report, report_source) if report is not None else None
    split = promo_split(orders, window, source)
    targets = promo_targets(split, growth, new_growth)
    reach = promo_reach(targets, effects, report_source) if effects is not None else None
    return PromoPlan(split, targets, reach)
