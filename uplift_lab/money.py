"""Money: what a treated arm earned against its holdout, in currency, net of campaign costs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


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


def comparison_money(
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
    return money_from_totals(
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


def money_from_totals(
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
    """Money from totals already summed (one comparison, or several segments by sum_money)."""
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


def sum_money(parts: Sequence[Money], *, by_revenue: bool = True) -> Money:
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
    return money_from_totals(
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
