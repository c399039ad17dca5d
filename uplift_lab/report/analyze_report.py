"""Render an :class:`~uplift_lab.analyze.Analysis`: terminal tables, Markdown, HTML and JSON.

The numbers are formatted once into :class:`Section` tables, and every output (rich, Markdown,
HTML) renders the same sections, so the terminal and the shared files never disagree.
"""

from __future__ import annotations

import base64
import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from uplift_lab import __version__, io
from uplift_lab.analysis_inputs import ALL_SEGMENTS
from uplift_lab.analysis_results import Analysis, Comparison, OverallEffect
from uplift_lab.report.labels import EN, Labels
from uplift_lab.report.rendering import template_environment

DASH = "—"
OVERALL_LABEL = "(overall)"


@dataclass(frozen=True, slots=True)
class Section:
    """One table of the report: a title, column headers, formatted rows and an optional note."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""
    numeric_from: int = 1  # columns from this index on are right-justified


# ---------------------------------------------------------------------------------------------
# Number formatting


def _bad(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def fmt_percent(value: float | None, digits: int = 3) -> str:
    return DASH if _bad(value) else f"{value * 100:.{digits}f}%"


def fmt_points(value: float | None, digits: int = 2) -> str:
    return DASH if _bad(value) else f"{value * 100:+.{digits}f} pp"


def fmt_signed_percent(value: float | None, digits: int = 1) -> str:
    return DASH if _bad(value) else f"{value * 100:+.{digits}f}%"


def fmt_number(value: float | None, digits: int = 2, signed: bool = False) -> str:
    if _bad(value):
        return DASH
    return f"{value:+,.{digits}f}" if signed else f"{value:,.{digits}f}"


def fmt_count(value: float | None) -> str:
    return DASH if _bad(value) else f"{int(round(value)):,}"


def fmt_p(value: float | None) -> str:
    if _bad(value):
        return DASH
    return "<0.0001" if value < 0.0001 else f"{value:.4f}"


def _ci(low: float, high: float, fmt) -> str:
    if _bad(low) or _bad(high):
        return ""
    return f" [{fmt(low)}, {fmt(high)}]"


def _points_ci(value: float, low: float, high: float) -> str:
    inner = _ci(low, high, lambda v: f"{v * 100:+.2f}")
    return fmt_points(value) + inner


def _relative_ci(value: float, low: float, high: float) -> str:
    return fmt_signed_percent(value) + _ci(low, high, lambda v: f"{v * 100:+.1f}%")


def _money_ci(value: float, low: float, high: float, digits: int = 2) -> str:
    return fmt_number(value, digits, signed=True) + _ci(low, high, lambda v: f"{v:+,.{digits}f}")


# ---------------------------------------------------------------------------------------------
# Sections


def _adjust_label(analysis: Analysis, labels: Labels = EN) -> str:
    return labels(
        {"holm": "p (Holm)", "bh": "p (BH)", "none": "p (unadjusted)"}[analysis.options.adjust]
    )


def _adjust_note(analysis: Analysis) -> str:
    count = len(analysis.comparisons)
    if analysis.options.adjust == "none":
        return " p-values NOT adjusted for multiple comparisons."
    name = {"holm": "Holm", "bh": "Benjamini-Hochberg"}[analysis.options.adjust]
    return f" {name}-adjusted across all {count} segment x arm comparisons."


def arms_section(analysis: Analysis, labels: Labels = EN) -> Section:
    control_mark = f" ({labels.value('control')})"
    rows = [
        (
            labels.value(s.arm) + (control_mark if s.arm == analysis.control != "control" else ""),
            fmt_count(s.n),
            fmt_count(s.conversions),
            fmt_percent(s.conversion_rate),
            labels.money(fmt_number(s.revenue)),
            labels.money(fmt_number(s.revenue_per_customer, 3)),
            labels.money(fmt_number(s.average_order_value)),
        )
        for s in analysis.arm_summaries
        if s.segment == ALL_SEGMENTS
    ]
    columns = tuple(
        map(
            labels,
            (
                "Arm",
                "Customers",
                "Conversions",
                "Conv. rate",
                "Revenue",
                "Rev. per customer",
                "AOV",
            ),
        )
    )
    note = (
        "AOV = revenue / orders in the window"
        if analysis.data_notes.get("orders_in_window") is not None
        else "AOV = revenue per converted customer (no orders column in the cells)"
        if analysis.data_notes.get("mode") == "aggregated cells"
        else "AOV = revenue per converted customer (no order counts in a per-customer table)"
    )
    if not analysis.has_revenue:
        columns, rows = columns[:4], [row[:4] for row in rows]
        note = "No revenue column: conversion only"
    if not _every_arm_everywhere(analysis):
        note += (
            ". The arms went to different segments, so these pooled rows are not comparisons: "
            "read the lifts in the per-arm tables below"
        )
    return Section(labels("Arms (all segments)"), columns, tuple(rows), labels(note + "."))


def _every_arm_everywhere(analysis: Analysis) -> bool:
    compared = {(c.segment, c.arm) for c in analysis.comparisons}
    return all((s, a) in compared for s in analysis.segments for a in analysis.treated_arms)


def segment_arms_section(analysis: Analysis, labels: Labels = EN) -> Section:
    rows = [
        (
            labels.value(s.segment),
            labels.value(s.arm),
            fmt_count(s.n),
            fmt_count(s.conversions),
            fmt_percent(s.conversion_rate),
            labels.money(fmt_number(s.revenue_per_customer, 3)),
            labels.money(fmt_number(s.average_order_value)),
        )
        for s in analysis.arm_summaries
        if s.segment != ALL_SEGMENTS and _belongs(analysis, s.segment, s.arm, s.n)
    ]
    columns = tuple(
        map(
            labels,
            (
                "Segment",
                "Arm",
                "Customers",
                "Conversions",
                "Conv. rate",
                "Rev. per customer",
                "AOV",
            ),
        )
    )
    note = (
        "" if _every_arm_everywhere(analysis) else labels("Only the arms assigned in each segment.")
    )
    if not analysis.has_revenue:
        columns, rows = columns[:5], [row[:5] for row in rows]
    return Section(labels("Arms per segment"), columns, tuple(rows), note, numeric_from=2)


def _belongs(analysis: Analysis, segment: str, arm: str, n: int) -> bool:
    """An arm's row in a segment is worth a line if it has customers or was compared there
    (an arm never assigned to a segment would only be a row of zeros and dashes)."""
    compared = any(c.segment == segment and c.arm == arm for c in analysis.comparisons)
    return n > 0 or arm == analysis.control or compared


UNREADABLE_MARK = "†"
UNREADABLE_NOTE = f" {UNREADABLE_MARK} = holdout too small to read (see the warning above)."


def _segment_label(comparison: Comparison, labels: Labels = EN) -> str:
    """The segment, marked when its holdout is too small to read."""
    mark = f" {UNREADABLE_MARK}" if comparison.too_small_to_read else ""
    return labels.value(comparison.segment) + mark


def _unreadable_note(analysis: Analysis, arm: str, labels: Labels = EN) -> str:
    unreadable = any(c.too_small_to_read for c in _comparisons(analysis, arm))
    return labels(UNREADABLE_NOTE) if unreadable else ""


def _comparisons(analysis: Analysis, arm: str) -> list[Comparison]:
    return [c for c in analysis.comparisons if c.arm == arm]


def _overall(analysis: Analysis, arm: str) -> OverallEffect:
    return next(o for o in analysis.overall if o.arm == arm)


def _lift_rows(
    analysis: Analysis,
    arm: str,
    metric: str,
    level: Callable[[float], str],
    lift: Callable[[float, float, float], str],
    labels: Labels = EN,
) -> tuple[tuple[str, ...], ...]:
    """Per-segment rows and the stratified overall row of one metric ("conversion"/"revenue")."""
    rows = []
    for c in _comparisons(analysis, arm):
        e = getattr(c, metric)
        rows.append(
            (
                _segment_label(c, labels),
                level(e.control_mean),
                level(e.treatment_mean),
                lift(e.difference, e.ci_low, e.ci_high),
                _relative_ci(e.relative_lift, e.relative_ci_low, e.relative_ci_high),
                fmt_p(e.p_value),
                fmt_p(getattr(c, f"{metric}_p_adjusted")),
            )
        )
    o = _overall(analysis, arm)
    s, r = getattr(o, metric), getattr(o, f"{metric}_relative")
    rows.append(
        (
            labels(OVERALL_LABEL),
            "",
            "",
            lift(s.difference, s.ci_low, s.ci_high),
            _relative_ci(r.lift, r.ci_low, r.ci_high),
            fmt_p(s.p_value),
            "",
        )
    )
    return tuple(rows)


def _lift_columns(analysis: Analysis, labels: Labels = EN) -> tuple[str, ...]:
    return (
        *map(labels, ("Segment", "Control", "Treated", "Lift [95% CI]", "Rel. lift [95% CI]", "p")),
        _adjust_label(analysis, labels),
    )


def _versus(title: str, analysis: Analysis, arm: str, labels: Labels) -> str:
    """A section title "<what>: <arm> vs <control>" in the labels' language."""
    return labels(title, arm=labels.value(arm), control=labels.value(analysis.control))


def conversion_section(analysis: Analysis, arm: str, labels: Labels = EN) -> Section:
    rows = _lift_rows(analysis, arm, "conversion", fmt_percent, _points_ci, labels)
    method = "Wald" if analysis.options.ci == "wald" else "Newcombe"
    note = (
        f"Difference of proportions ({method} CI), two-proportion z-test; relative lift with a "
        "delta-method CI; (overall) = stratified: segment-size weighted average of segment lifts."
        + _adjust_note(analysis)
    )
    note = labels(note) + _unreadable_note(analysis, arm, labels)
    title = _versus("Conversion: {arm} vs {control}", analysis, arm, labels)
    return Section(title, _lift_columns(analysis, labels), rows, note)


def revenue_section(analysis: Analysis, arm: str, labels: Labels = EN) -> Section:
    rows = _lift_rows(
        analysis,
        arm,
        "revenue",
        lambda value: labels.money(fmt_number(value, 3)),
        lambda *values: labels.money(_money_ci(*values)),
        labels,
    )
    note = (
        "Revenue per customer (non-buyers count as 0); Welch t-test and CI; relative lift with a "
        "delta-method CI; (overall) = stratified." + _adjust_note(analysis)
    )
    note = labels(note) + _unreadable_note(analysis, arm, labels)
    title = _versus("Revenue per customer: {arm} vs {control}", analysis, arm, labels)
    return Section(title, _lift_columns(analysis, labels), rows, note)


def capped_section(analysis: Analysis, arm: str, labels: Labels = EN) -> Section | None:
    if analysis.cap_threshold is None:
        return None
    money = labels.money
    rows = []
    for c in _comparisons(analysis, arm):
        raw, capped = c.revenue, c.revenue_capped
        rows.append(
            (
                _segment_label(c, labels),
                money(_money_ci(raw.difference, raw.ci_low, raw.ci_high)),
                money(_money_ci(capped.difference, capped.ci_low, capped.ci_high)),
                fmt_p(capped.p_value),
            )
        )
    o = _overall(analysis, arm)
    rows.append(
        (
            labels(OVERALL_LABEL),
            money(_money_ci(o.revenue.difference, o.revenue.ci_low, o.revenue.ci_high)),
            money(
                _money_ci(
                    o.revenue_capped.difference, o.revenue_capped.ci_low, o.revenue_capped.ci_high
                )
            ),
            fmt_p(o.revenue_capped.p_value),
        )
    )
    title = _versus("Revenue per customer, capped: {arm} vs {control}", analysis, arm, labels)
    note = (
        f"Each customer's revenue capped at {fmt_number(analysis.cap_threshold)} (the "
        f"{analysis.options.cap_quantile:g} quantile of all arms pooled), shown next to the "
        "uncapped lift."
    )
    columns = tuple(
        map(labels, ("Segment", "Lift uncapped [95% CI]", "Lift capped [95% CI]", "p (capped)"))
    )
    return Section(title, columns, tuple(rows), note)


def cuped_section(analysis: Analysis, arm: str, labels: Labels = EN) -> Section | None:
    if not analysis.comparisons or analysis.comparisons[0].revenue_cuped is None:
        return None
    money = labels.money
    rows = []
    for c in _comparisons(analysis, arm):
        raw, cuped = c.revenue, c.revenue_cuped
        e = cuped.effect
        rows.append(
            (
                _segment_label(c, labels),
                money(_money_ci(raw.difference, raw.ci_low, raw.ci_high)),
                money(_money_ci(e.difference, e.ci_low, e.ci_high)),
                fmt_p(e.p_value),
                fmt_percent(cuped.variance_reduction, 1),
            )
        )
    o = _overall(analysis, arm)
    rows.append(
        (
            labels(OVERALL_LABEL),
            money(_money_ci(o.revenue.difference, o.revenue.ci_low, o.revenue.ci_high)),
            money(
                _money_ci(
                    o.revenue_cuped.difference, o.revenue_cuped.ci_low, o.revenue_cuped.ci_high
                )
            ),
            fmt_p(o.revenue_cuped.p_value),
            fmt_percent(o.cuped_variance_reduction, 1),
        )
    )
    name = analysis.options.covariate_name or "covariate"
    note = (
        f"CUPED with covariate '{name}' (measured before the campaign): revenue adjusted by "
        "theta x (covariate - its mean), theta from both arms pooled."
    )
    columns = tuple(
        map(
            labels,
            ("Segment", "Lift raw [95% CI]", "Lift CUPED [95% CI]", "p (CUPED)", "Var. reduction"),
        )
    )
    title = _versus("Revenue per customer, CUPED: {arm} vs {control}", analysis, arm, labels)
    return Section(title, columns, tuple(rows), note)


def money_section(analysis: Analysis, arm: str, labels: Labels = EN) -> Section | None:
    comparisons = _comparisons(analysis, arm)
    if not comparisons or comparisons[0].money is None:
        return None
    money = labels.money
    entries = [(_segment_label(c, labels), c.money) for c in comparisons]
    entries.append((labels(OVERALL_LABEL), _overall(analysis, arm).money))
    with_coupon = any(m.coupon_cost > 0 or m.coupon_per_conversion > 0 for _, m in entries)

    def amounts(attr: str) -> list[str]:
        """One cost column, with the same decimals on every row (none from 1,000 up)."""
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
                _money_ci(
                    m.incremental_conversions,
                    m.incremental_conversions_low,
                    m.incremental_conversions_high,
                    0,
                ),
                money(
                    _money_ci(
                        m.incremental_revenue,
                        m.incremental_revenue_low,
                        m.incremental_revenue_high,
                        0,
                    )
                ),
                *costs,
                money(
                    _money_ci(
                        m.incremental_profit, m.incremental_profit_low, m.incremental_profit_high, 0
                    )
                ),
                fmt_signed_percent(m.roi, 0),
                money(fmt_number(m.cost_per_incremental_conversion)),
            )
        )
    margin_note = (
        "no --margin given: all incremental revenue counted as profit"
        if analysis.options.margin is None
        else f"margin {analysis.options.margin:g}"
    )
    price = comparisons[0].money
    cost_note = f"message cost = {fmt_number(price.cost_per_message, 2)} x treated customers"
    if with_coupon:
        cost_note += (
            f"; coupon cost = {fmt_number(price.coupon_per_conversion, 2)} x conversions in the "
            "treated arm (every redemption, including sales that would have happened anyway)"
        )
    profit = (
        "incremental revenue x margin - message cost - coupon cost"
        if with_coupon
        else ("incremental revenue x margin - cost")
    )
    note = (
        "Incremental = lift x treated customers, with [95% CI]; (overall) = sum over segments; "
        f"{cost_note}; profit = {profit}; ROI = profit / cost; {margin_note}."
    )
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
    if not analysis.has_revenue:  # conversion only: revenue, profit and ROI are unknown
        keep = [i for i, name in enumerate(columns) if name not in _REVENUE_MONEY_COLUMNS]
        columns = tuple(columns[i] for i in keep)
        rows = [tuple(row[i] for i in keep) for row in rows]
        note = (
            "Incremental conversions = lift x treated customers, with [95% CI]; (overall) = sum "
            f"over segments; {cost_note}. No revenue column: revenue, profit and ROI unknown."
        )
    note = labels(note) + _unreadable_note(analysis, arm, labels)
    title = _versus("Money: {arm} vs {control}", analysis, arm, labels)
    return Section(title, tuple(map(labels, columns)), tuple(rows), note)


_REVENUE_MONEY_COLUMNS = ("Incr. revenue", "Incr. profit", "ROI")


def _verdict(
    arm: str, what: str, value: str, low: float, high: float, text, labels: Labels = EN
) -> str:
    """The verdict on one channel in words, from the sign of its CI."""
    interval = labels(
        "{value} (95% CI {low} to {high})", value=text(value), low=text(low), high=text(high)
    )
    values = {"arm": labels.value(arm), "what": labels(what), "interval": interval}
    if _bad(low) or _bad(high):
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
    rounded = value if _bad(value) else float(round(value, digits)) + 0.0
    return _money_ci(rounded, low, high, digits)


def summary_section(analysis: Analysis, labels: Labels = EN) -> Section:
    """What each channel earned in total, with CIs, and the verdict in words: the report's top.

    The verdict is on incremental profit when costs and margin are known (money), else on
    incremental conversions.
    """
    rows = []
    amount = labels.money
    for arm in analysis.treated_arms:
        overall = _overall(analysis, arm)
        money = overall.money if analysis.has_revenue else None
        if money is not None:
            conversions = _total_ci(
                money.incremental_conversions,
                money.incremental_conversions_low,
                money.incremental_conversions_high,
                0,
            )
            revenue = amount(
                _total_ci(
                    money.incremental_revenue,
                    money.incremental_revenue_low,
                    money.incremental_revenue_high,
                    0,
                )
            )
            profit = amount(
                _total_ci(
                    money.incremental_profit,
                    money.incremental_profit_low,
                    money.incremental_profit_high,
                    0,
                )
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
        else:
            n = overall.treated_n
            effect, rev = overall.conversion, overall.revenue
            conversions = _total_ci(effect.difference * n, effect.ci_low * n, effect.ci_high * n, 0)
            revenue = (
                amount(_total_ci(rev.difference * n, rev.ci_low * n, rev.ci_high * n, 0))
                if rev is not None
                else labels("- (no revenue column)")
            )
            profit = labels(
                "- (no --cost/--margin)" if analysis.has_revenue else "- (no revenue column)"
            )
            verdict = _verdict(
                arm,
                "conversions",
                effect.difference * n,
                effect.ci_low * n,
                effect.ci_high * n,
                lambda v: fmt_number(v, 0),
                labels,
            )
        rows.append(
            (
                labels.value(arm),
                fmt_count(overall.treated_n),
                conversions,
                revenue,
                profit,
                verdict,
            )
        )
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


def srm_section(analysis: Analysis, labels: Labels = EN) -> Section | None:
    if not analysis.srm:
        return None
    rows = []
    for check in analysis.srm:
        r = check.result
        rows.append(
            (
                labels.value(check.segment),
                ", ".join(f"{labels.value(arm)} {n:,}" for arm, n in r.observed.items()),
                ", ".join(f"{labels.value(arm)} {f:.1%}" for arm, f in r.expected.items()),
                fmt_number(r.statistic, 2),
                fmt_p(r.p_value),
            )
        )
    columns = tuple(map(labels, ("Segment", "Observed", "Designed", "Chi-square", "p")))
    note = labels("Sample ratio mismatch: chi-square goodness of fit vs the designed fractions.")
    return Section(labels("Sample ratio check"), columns, tuple(rows), note, numeric_from=3)


def _without_overall(section: Section, labels: Labels = EN) -> Section:
    rows = tuple(row for row in section.rows if row[0] != labels(OVERALL_LABEL))
    return dataclasses.replace(section, rows=rows)


def sections(analysis: Analysis, labels: Labels = EN) -> list[Section]:
    """Every table of the report, in reading order (no overall row with a single segment)."""
    out = _sections(analysis, labels)
    if len(analysis.segments) == 1:
        out = [_without_overall(section, labels) for section in out]
    return out


def _sections(analysis: Analysis, labels: Labels = EN) -> list[Section]:
    return [block for kind, block in _layout(analysis, labels) if kind == "table"]


def _layout(analysis: Analysis, labels: Labels = EN) -> list[tuple[str, Any]]:
    """The report in reading order: ("table", Section) and ("figure", figure stem) blocks, each
    figure right after the tables it illustrates."""
    out: list[tuple[str, Any]] = [("table", arms_section(analysis, labels)), ("figure", "daily")]
    if len(analysis.segments) > 1:
        out.append(("table", segment_arms_section(analysis, labels)))
    out.append(("figure", "conversion"))
    for index, arm in enumerate(analysis.treated_arms, start=1):
        tables = [conversion_section(analysis, arm, labels)]
        if analysis.has_revenue:
            tables += [
                revenue_section(analysis, arm, labels),
                capped_section(analysis, arm, labels),
                cuped_section(analysis, arm, labels),
            ]
        tables.append(money_section(analysis, arm, labels))
        out.extend(("table", table) for table in tables if table)
        out += [("figure", f"lift_{index}"), ("figure", f"revenue_lift_{index}")]
    srm = srm_section(analysis, labels)
    if srm:
        out.append(("table", srm))
    return out


def _blocks(
    analysis: Analysis, figure_names: Sequence[str], labels: Labels = EN
) -> list[tuple[str, Any]]:
    """The layout with the sections as shown (see :func:`sections`) and only existing figures,
    then the timing tables and figures (the terminal prints those as tables of their own)."""
    shown = iter(sections(analysis, labels))
    blocks = []
    for kind, block in _layout(analysis, labels):
        if kind == "table":
            blocks.append((kind, next(shown)))
        elif block in figure_names:
            blocks.append((kind, block))
    timing = _timing_layout(analysis, labels)
    return blocks + [(k, b) for k, b in timing if k == "table" or b in figure_names]


def _timing_layout(analysis: Analysis, labels: Labels = EN) -> list[tuple[str, Any]]:
    """Touches of a schedule, response by hour/day, send hours, hours since the send."""
    from uplift_lab.report.schedule_report import touches_rows
    from uplift_lab.report.timing_report import by_time_rows, localized, send_hour_rows

    def section(table) -> Section:
        table = localized(table, labels)
        return Section(table.title, table.columns, table.rows, table.caption, table.numeric_from)

    alpha = analysis.options.alpha
    out: list[tuple[str, Any]] = []
    if analysis.touches:
        out.append(("table", section(touches_rows(analysis.touches, alpha))))
    if analysis.by_time:
        out += [("table", section(by_time_rows(analysis.by_time, alpha))), ("figure", "by_time")]
    if analysis.send_hours:
        out.append(("table", section(send_hour_rows(analysis.send_hours, alpha))))
    if analysis.since_send:
        out.append(("table", section(by_time_rows(analysis.since_send, alpha))))
        out.append(("figure", "since_send"))
    return out


# ---------------------------------------------------------------------------------------------
# JSON


def _clean(value: Any) -> Any:
    """Make a value JSON-safe: NaN/inf -> None, tuples -> lists, DataFrames -> records."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return _clean(value.to_dict(orient="records"))
    if hasattr(value, "item") and not isinstance(value, str):
        return _clean(value.item())
    return value


def report_payload(analysis: Analysis) -> dict[str, Any]:
    """Every number of the analysis as a JSON-ready dict."""
    fields = {f.name: getattr(analysis, f.name) for f in dataclasses.fields(analysis)}
    payload = {
        name: dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value
        for name, value in fields.items()
    }
    for name in ("arm_summaries", "comparisons", "overall", "srm", "notices", "touches"):
        payload[name] = [dataclasses.asdict(item) for item in fields[name]]
    if not analysis.has_revenue:  # a conversion-only campaign measured no money: null, not 0
        for row in payload["arm_summaries"]:
            row.update(revenue=None, revenue_per_customer=None, average_order_value=None)
    if not payload["touches"]:  # only an analysis with --schedule has touches
        del payload["touches"]
    from uplift_lab.report.timing_report import by_time_payload, send_hours_payload

    for name in ("by_time", "since_send"):  # only with --by-hour / --by-day (and send times)
        del payload[name]
        if fields[name]:
            payload[name] = by_time_payload(fields[name])
    del payload["send_hours"]
    if analysis.send_hours:  # only with --by-hour
        payload["send_hours"] = send_hours_payload(analysis.send_hours)
    payload["uplift_lab_version"] = __version__
    payload["intent_to_treat"] = True
    return _clean(payload)


# ---------------------------------------------------------------------------------------------
# Terminal


def overview(analysis: Analysis, labels: Labels = EN) -> str:
    """One line: what is compared with what, in how many segments, at which confidence."""
    count = len(analysis.segments)
    return labels(
        "Control arm: {control}; treated arm(s): {treated}; {count} segment{s}; {level}% "
        "confidence intervals.",
        control=labels.value(analysis.control),
        treated=", ".join(map(labels.value, analysis.treated_arms)),
        count=count,
        s="s" if count != 1 else "",
        level=f"{(1 - analysis.options.alpha) * 100:g}",
    )


# Columns left out first when a table does not fit the terminal (``--wide`` keeps them all).
NARROW_DROP_ORDER = (
    "Chi-square",
    "Designed",
    "p",
    "Cost per incr. conv.",
    "Rel. lift [95% CI]",
    "ROI",
    "Control",
    "Treated",
    "AOV",
    "Message cost",
    "Coupon cost",
    "Var. reduction",
    "Revenue",
    "Rev. per customer",
    "Conversions",
    "Cost",  # the caption says what it is (message cost x treated customers); --wide shows it
)


def _terminal_table(section: Section, shown: Sequence[int], labels: Labels = EN):
    """A rich Table of the section's columns ``shown``; numbers are never cut."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    table = Table(
        title=section.title,
        title_justify="left",
        title_style="bold",
        caption=section.note or None,
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
        padding=(0, 1, 0, 0),
    )
    # The CI goes on its own line in the cell: narrower columns, no random wrapping.
    rows = [[escape(cell).replace(" [", "\n[") for cell in row] for row in section.rows]
    for index in shown:
        column = section.columns[index]
        widest = max((len(line) for row in rows for line in row[index].split("\n")), default=1)
        # A header wider than its numbers breaks before its "[95% CI]", not inside it.
        header = column if len(column) <= widest else column.replace(" [", "\n[")
        longest_word = max(len(word) for word in header.split())
        table.add_column(
            escape(header),
            justify="right" if index >= section.numeric_from else "left",
            # Numbers are never cut; headers wrap between words, never inside one.
            min_width=max(widest, longest_word),
        )
    for row in rows:
        overall = row[0] == labels(OVERALL_LABEL)
        table.add_row(*(row[i] for i in shown), style="bold" if overall else None)
    return table


def fitted_table(section: Section, console, *, wide: bool = False, labels: Labels = EN):
    """The section as a table that fits ``console``'s width, and the columns left out for it.

    Columns go in :data:`NARROW_DROP_ORDER` until the table fits; with ``wide`` (or when even
    the narrowest table is too wide) every remaining column is kept and printed whole.
    """
    from io import StringIO

    from rich.cells import cell_len
    from rich.console import Console

    shown = list(range(len(section.columns)))
    dropped: list[str] = []

    def width(columns):
        """Drawn, not measured: rich's measure can be a few columns short of the drawing."""
        table = _terminal_table(section, columns, labels)
        probe = Console(width=console.width, file=StringIO(), color_system=None)
        with probe.capture() as captured:
            probe.print(table, crop=False)
        lines = captured.get().splitlines() or [""]
        return table, max(cell_len(line.rstrip()) for line in lines)

    table, needed = width(shown)
    for name in () if wide else map(labels, NARROW_DROP_ORDER):
        if needed <= console.width:
            break
        if name in section.columns and section.columns.index(name) > 0:
            shown.remove(section.columns.index(name))
            dropped.append(name)
            table, needed = width(shown)
    return table, needed, dropped


def print_analysis(analysis: Analysis, console, *, wide: bool = False, labels: Labels = EN) -> None:
    """Print warnings and every section as rich tables that fit the terminal (see --wide)."""
    from rich.markup import escape

    console.print(labels("[bold]Campaign analysis[/] of {source}", source=escape(analysis.source)))
    console.print(escape(overview(analysis, labels)))
    for notice in analysis.notices:
        style = {"critical": "bold white on red", "warning": "bold yellow", "note": "dim"}
        label = {"critical": "!!! ", "warning": labels("warning: "), "note": ""}[notice.level]
        console.print(f"[{style[notice.level]}]{label}[/]{escape(notice.message)}")
    for section in sections(analysis, labels):
        table, needed, dropped = fitted_table(section, console, wide=wide, labels=labels)
        # Never crop numbers: a table wider than the terminal is printed whole.
        console.print(table, width=max(console.width, needed), crop=False)
        if dropped:
            left_out = labels(
                "(left out at this width: {columns}; --wide shows them)", columns=", ".join(dropped)
            )
            console.print(escape(left_out), style="dim")
        console.print()


# ---------------------------------------------------------------------------------------------
# Markdown and HTML


def figures(analysis: Analysis) -> dict[str, bytes]:
    """The report's PNG figures by file stem."""
    from uplift_lab.report import plots

    out: dict[str, bytes] = {}
    for index, arm in enumerate(analysis.treated_arms):
        comparisons = _comparisons(analysis, arm)
        overall = _overall(analysis, arm)
        labels = [_segment_label(c) for c in comparisons] + [OVERALL_LABEL]
        conversion = [c.conversion for c in comparisons] + [overall.conversion]
        out[f"lift_{index + 1}"] = plots.lift_with_ci_png(
            labels,
            [e.difference * 100 for e in conversion],
            [e.ci_low * 100 for e in conversion],
            [e.ci_high * 100 for e in conversion],
            title=f"Conversion lift, {arm} vs {analysis.control} (95% CI)",
            xlabel="lift in percentage points",
        )
        if not analysis.has_revenue:
            continue
        revenue = [c.revenue for c in comparisons] + [overall.revenue]
        out[f"revenue_lift_{index + 1}"] = plots.lift_with_ci_png(
            labels,
            [e.difference for e in revenue],
            [e.ci_low for e in revenue],
            [e.ci_high for e in revenue],
            title=f"Revenue per customer lift, {arm} vs {analysis.control} (95% CI)",
            xlabel="lift in revenue per customer (Welch CI)",
        )
    rates = pd.DataFrame(
        [
            {"segment": s.segment, "arm": s.arm, "rate": s.conversion_rate * 100}
            for s in analysis.arm_summaries
            if s.segment != ALL_SEGMENTS or len(analysis.segments) == 1
        ]
    ).pivot(index="segment", columns="arm", values="rate")[list(analysis.arms)]
    out["conversion"] = plots.grouped_bars_png(
        rates, title="Conversion rate per arm and segment", ylabel="conversion rate (%)"
    )
    from uplift_lab.report.timing_report import response_curves_png

    for name in ("by_time", "since_send"):
        if getattr(analysis, name):
            out[name] = response_curves_png(getattr(analysis, name), analysis.options.alpha)
    if analysis.daily is not None and len(analysis.daily):
        daily = analysis.daily.pivot(
            index="day", columns="arm", values="cumulative_conversion_rate"
        )
        out["daily"] = plots.lines_png(
            daily[list(analysis.arms)] * 100,
            title="Cumulative response over the window",
            xlabel="day of the response window",
            ylabel="customers converted (%)",
        )
    return out


FIGURE_CAPTIONS = {
    "conversion": "Conversion rate per arm and segment",
    "daily": "Cumulative response per arm over the days of the window",
    "by_time": "Send vs holdout response per slice of the window, with CIs",
    "since_send": "Send vs holdout response by hours since the send, with CIs",
}


def _md_table(section: Section) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    align = ["---:" if i >= section.numeric_from else ":---" for i in range(len(section.columns))]
    lines = [
        "| " + " | ".join(map(cell, section.columns)) + " |",
        "| " + " | ".join(align) + " |",
    ]
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in section.rows]
    return "\n".join(lines)


def _context(analysis: Analysis, labels: Labels = EN) -> dict[str, Any]:
    return {
        "analysis": analysis,
        "title": labels("Campaign analysis: {source}", source=analysis.source),
        "headings": {name: labels(name) for name in ("Warnings", "Data")},
        "generated": labels("Generated by uplift-lab {version}.", version=__version__),
        "html_lang": labels.html_lang,
        "data_notes": [
            (labels(key.replace("_", " ")), value)
            for key, value in sorted(analysis.data_notes.items())
        ],
        "overview": overview(analysis, labels),
        "critical": [n for n in analysis.notices if n.level == "critical"],
        "warnings": [n for n in analysis.notices if n.level == "warning"],
        "notes": [n for n in analysis.notices if n.level == "note"],
        "version": __version__,
        "md_table": _md_table,
        "summary": summary_section(analysis, labels),
        "overall_label": labels(OVERALL_LABEL),
    }


def render_markdown(analysis: Analysis, figure_names: list[str], labels: Labels = EN) -> str:
    """report.md: the same sections as Markdown tables, figures linked as PNG files."""
    context = _context(analysis, labels)
    context["blocks"] = _blocks(analysis, figure_names, labels)
    context["figures"] = {
        name: (f"{name}.png", _caption(analysis, name, labels)) for name in figure_names
    }
    return template_environment().get_template("analyze.md.j2").render(**context)


def render_html(analysis: Analysis, images: Mapping[str, bytes], labels: Labels = EN) -> str:
    """report.html: self-contained, with the figures embedded as base64 PNG."""
    context = _context(analysis, labels)
    context["blocks"] = _blocks(analysis, list(images), labels)
    context["figures"] = {
        name: (base64.b64encode(data).decode("ascii"), _caption(analysis, name, labels))
        for name, data in images.items()
    }
    return template_environment().get_template("analyze.html.j2").render(**context)


def _caption(analysis: Analysis, name: str, labels: Labels = EN) -> str:
    for prefix, what in (("lift_", "Conversion"), ("revenue_lift_", "Revenue per customer")):
        if name.startswith(prefix):
            arm = analysis.treated_arms[int(name.removeprefix(prefix)) - 1]
            return _versus(
                what + " lift per segment, {arm} vs {control}, with 95% CI", analysis, arm, labels
            )
    return labels(FIGURE_CAPTIONS.get(name, name))


def write_report(analysis: Analysis, out_dir: Path, labels: Labels = EN) -> Path:
    """Write report.md, report.html, report.json and the PNG figures into ``out_dir``.

    The folder is built beside the target and swapped in only when complete, so a failed run
    leaves no half report (and an existing report is replaced only by a complete one).
    """
    images = figures(analysis)
    markdown = render_markdown(analysis, list(images), labels)
    html = render_html(analysis, images, labels)
    payload = report_payload(analysis)
    with io.atomic_directory(Path(out_dir), force=True) as staging:
        io.write_json(payload, staging / "report.json")
        io.write_text(markdown, staging / "report.md")
        io.write_text(html, staging / "report.html")
        for name, data in images.items():
            io.write_bytes(data, staging / f"{name}.png")
    return Path(out_dir)
