"""The money tables of an analysis report: what each treated arm earned against its holdout
(per segment and overall), and the summary at the top with the verdict in words."""

from __future__ import annotations

from collections.abc import Callable

from uplift_lab.analysis_results import Analysis, OverallEffect
from uplift_lab.money import Money
from uplift_lab.report.analyze_tables import (
    OVERALL_LABEL,
    Section,
    comparisons_of,
    fmt_count,
    fmt_number,
    fmt_signed_percent,
    is_missing,
    money_ci,
    overall_of,
    segment_label,
    unreadable_note,
    versus_title,
)
from uplift_lab.report.labels import EN, Labels


def money_section(analysis: Analysis, arm: str, labels: Labels = EN) -> Section | None:
    """Incremental conversions, revenue, costs, profit and ROI of ``arm`` per segment and
    overall (None without money assumptions)."""
    comparisons = comparisons_of(analysis, arm)
    if not comparisons or comparisons[0].money is None:
        return None
    entries = [(segment_label(c, labels), c.money) for c in comparisons]
    entries.append((labels(OVERALL_LABEL), overall_of(analysis, arm).money))
    with_coupon = any(m.coupon_cost > 0 or m.coupon_per_conversion > 0 for _, m in entries)
    rows = _money_rows(entries, with_coupon, labels.money)
    cost_note = _cost_note(comparisons[0].money, with_coupon)
    cost_columns = ("Message cost", "Coupon cost", "Total cost") if with_coupon else ("Cost",)
    columns = (
        "Segment",
        "Treated",
        "Incr. conv.",
        "Incr. revenue",
        *cost_columns,
        "Incr. profit",
        "ROI",
        "Cost per incr. conv.",
    )
    if analysis.has_revenue:
        note = _money_note(analysis, cost_note, with_coupon)
    else:  # conversion only: revenue, profit and ROI are unknown
        keep = [i for i, name in enumerate(columns) if name not in _REVENUE_MONEY_COLUMNS]
        columns = tuple(columns[i] for i in keep)
        rows = [tuple(row[i] for i in keep) for row in rows]
        note = (
            "Incremental conversions = lift x treated customers, with [95% CI]; (overall) = sum "
            f"over segments; {cost_note}. No revenue column: revenue, profit and ROI unknown."
        )
    note = labels(note) + unreadable_note(analysis, arm, labels)
    title = versus_title("Money: {arm} vs {control}", analysis, arm, labels)
    return Section(title, tuple(map(labels, columns)), tuple(rows), note)


def _money_rows(
    entries: list[tuple[str, Money]], with_coupon: bool, money: Callable[[str], str]
) -> list[tuple[str, ...]]:
    """One row per (label, Money) entry; each cost column with the same decimals on every
    row (none from 1,000 up)."""

    def amounts(attr: str) -> list[str]:
        values = [getattr(m, attr) for _, m in entries]
        digits = 0 if max(abs(v) for v in values) >= 1000 else 2
        return [money(fmt_number(v, digits)) for v in values]

    cost_attrs = ("message_cost", "coupon_cost", "cost") if with_coupon else ("cost",)
    cost_cells = list(zip(*(amounts(attr) for attr in cost_attrs), strict=True))
    rows = []
    for (segment, m), costs in zip(entries, cost_cells, strict=True):
        rows.append(
            (
                segment,
                fmt_count(m.treated_n),
                _whole_ci(m, "incremental_conversions"),
                money(_whole_ci(m, "incremental_revenue")),
                *costs,
                money(_whole_ci(m, "incremental_profit")),
                fmt_signed_percent(m.roi, 0),
                money(fmt_number(m.cost_per_incremental_conversion)),
            )
        )
    return rows


def _whole_ci(m: Money, attr: str) -> str:
    """A Money amount with its CI, in whole units."""
    return money_ci(getattr(m, attr), getattr(m, f"{attr}_low"), getattr(m, f"{attr}_high"), 0)


def _cost_note(price: Money, with_coupon: bool) -> str:
    note = f"message cost = {fmt_number(price.cost_per_message, 2)} x treated customers"
    if with_coupon:
        note += (
            f"; coupon cost = {fmt_number(price.coupon_per_conversion, 2)} x conversions in the "
            "treated arm (every redemption, including sales that would have happened anyway)"
        )
    return note


def _money_note(analysis: Analysis, cost_note: str, with_coupon: bool) -> str:
    margin_note = (
        "no --margin given: all incremental revenue counted as profit"
        if analysis.options.margin is None
        else f"margin {analysis.options.margin:g}"
    )
    profit = (
        "incremental revenue x margin - message cost - coupon cost"
        if with_coupon
        else ("incremental revenue x margin - cost")
    )
    return (
        "Incremental = lift x treated customers, with [95% CI]; (overall) = sum over segments; "
        f"{cost_note}; profit = {profit}; ROI = profit / cost; {margin_note}."
    )


_REVENUE_MONEY_COLUMNS = ("Incr. revenue", "Incr. profit", "ROI")


def _verdict(
    arm: str, what: str, value: str, low: float, high: float, text, labels: Labels = EN
) -> str:
    """The verdict on one channel in words, from the sign of its CI."""
    interval = labels(
        "{value} (95% CI {low} to {high})", value=text(value), low=text(low), high=text(high)
    )
    values = {"arm": labels.value(arm), "what": labels(what), "interval": interval}
    if is_missing(low) or is_missing(high):
        return labels(
            "{arm}: not measurable ({what} has no interval: an arm or holdout is too small).",
            **values,
        )
    if low > 0:
        return labels("{arm} paid off: its incremental {what} {interval} is above 0.", **values)
    if high < 0:
        return labels("{arm} lost: its incremental {what} {interval} is below 0.", **values)
    return labels(
        "{arm} is inconclusive: its incremental {what} {interval} covers 0; a larger holdout "
        "would tell.",
        **values,
    )


def _total_ci(value: float, low: float, high: float, digits: int = 0) -> str:
    """A whole-number total with its CI; a total that rounds to 0 prints +0, never -0."""
    rounded = value if is_missing(value) else float(round(value, digits)) + 0.0
    return money_ci(rounded, low, high, digits)


def summary_section(analysis: Analysis, labels: Labels = EN) -> Section:
    """What each channel earned in total, with CIs, and the verdict in words: the report's top.

    The verdict is on incremental profit when costs and margin are known (money), else on
    incremental conversions.
    """
    rows = []
    for arm in analysis.treated_arms:
        overall = overall_of(analysis, arm)
        money = overall.money if analysis.has_revenue else None
        if money is not None:
            totals = _money_totals(arm, money, labels)
        else:
            totals = _conversion_totals(analysis, arm, overall, labels)
        rows.append((labels.value(arm), fmt_count(overall.treated_n), *totals))
    columns = (
        "Channel",
        "Treated",
        "Incr. conversions",
        "Incr. revenue",
        "Incr. profit",
        "Verdict",
    )
    note = labels(
        "Totals over all segments against the holdout ({control}), with 95% CIs; the verdict "
        "reads the profit CI when costs and margin are known, else the conversions'.",
        control=labels.value(analysis.control),
    )
    return Section(
        labels("Summary: what each channel earned"), tuple(map(labels, columns)), tuple(rows), note
    )


def _money_totals(arm: str, money: Money, labels: Labels) -> tuple[str, str, str, str]:
    """Incremental conversions, revenue and profit with CIs, and the verdict on the profit."""
    amount = labels.money

    def total(attr: str) -> str:
        return _total_ci(
            getattr(money, attr), getattr(money, f"{attr}_low"), getattr(money, f"{attr}_high"), 0
        )

    verdict = _verdict(
        arm,
        "profit",
        money.incremental_profit,
        money.incremental_profit_low,
        money.incremental_profit_high,
        lambda v: amount(fmt_number(v, 0)),
        labels,
    )
    return (
        total("incremental_conversions"),
        amount(total("incremental_revenue")),
        amount(total("incremental_profit")),
        verdict,
    )


def _conversion_totals(
    analysis: Analysis, arm: str, overall: OverallEffect, labels: Labels
) -> tuple[str, str, str, str]:
    """Without money: the lifts times the treated customers, and the verdict on conversions."""
    amount = labels.money
    n = overall.treated_n
    effect, rev = overall.conversion, overall.revenue
    conversions = _total_ci(effect.difference * n, effect.ci_low * n, effect.ci_high * n, 0)
    revenue = (
        amount(_total_ci(rev.difference * n, rev.ci_low * n, rev.ci_high * n, 0))
        if rev is not None
        else labels("- (no revenue column)")
    )
    profit = labels("- (no --cost/--margin)" if analysis.has_revenue else "- (no revenue column)")
    verdict = _verdict(
        arm,
        "conversions",
        effect.difference * n,
        effect.ci_low * n,
        effect.ci_high * n,
        lambda v: fmt_number(v, 0),
        labels,
    )
    return conversions, revenue, profit, verdict
