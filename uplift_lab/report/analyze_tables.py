"""The tables of an analysis report: number formatting and one :class:`Section` per table (arms,
lifts, capped and CUPED revenue, the sample-ratio check). Every output renders these sections, so
the terminal and the shared files never disagree."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from uplift_lab.analysis_inputs import ALL_SEGMENTS
from uplift_lab.analysis_results import Analysis, Comparison, OverallEffect
from uplift_lab.report.labels import EN, Labels

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


def is_missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def fmt_percent(value: float | None, digits: int = 3) -> str:
    return DASH if is_missing(value) else f"{value * 100:.{digits}f}%"


def fmt_points(value: float | None, digits: int = 2) -> str:
    return DASH if is_missing(value) else f"{value * 100:+.{digits}f} pp"


def fmt_signed_percent(value: float | None, digits: int = 1) -> str:
    return DASH if is_missing(value) else f"{value * 100:+.{digits}f}%"


def fmt_number(value: float | None, digits: int = 2, signed: bool = False) -> str:
    if is_missing(value):
        return DASH
    return f"{value:+,.{digits}f}" if signed else f"{value:,.{digits}f}"


def fmt_count(value: float | None) -> str:
    return DASH if is_missing(value) else f"{int(round(value)):,}"


def fmt_p(value: float | None) -> str:
    if is_missing(value):
        return DASH
    return "<0.0001" if value < 0.0001 else f"{value:.4f}"


def _ci(low: float, high: float, fmt) -> str:
    if is_missing(low) or is_missing(high):
        return ""
    return f" [{fmt(low)}, {fmt(high)}]"


def _points_ci(value: float, low: float, high: float) -> str:
    inner = _ci(low, high, lambda v: f"{v * 100:+.2f}")
    return fmt_points(value) + inner


def _relative_ci(value: float, low: float, high: float) -> str:
    return fmt_signed_percent(value) + _ci(low, high, lambda v: f"{v * 100:+.1f}%")


def money_ci(value: float, low: float, high: float, digits: int = 2) -> str:
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


def segment_label(comparison: Comparison, labels: Labels = EN) -> str:
    """The segment, marked when its holdout is too small to read."""
    mark = f" {UNREADABLE_MARK}" if comparison.too_small_to_read else ""
    return labels.value(comparison.segment) + mark


NO_SPREAD_NOTE = (
    " An arm with no spread in a segment (no buyer, or all bought) has its standard error "
    "from both arms' pooled variance."
)


def no_spread_note(analysis: Analysis, arm: str, metric: str, labels: Labels = EN) -> str:
    """The note on :func:`uplift_lab.stats.mean_variances` where a segment's arm had no spread
    (a mean of 0, or 1 for conversion: the values are all equal)."""
    edges = (0.0, 1.0) if metric == "conversion" else (0.0,)
    found = any(
        getattr(c, metric).control_mean in edges or getattr(c, metric).treatment_mean in edges
        for c in comparisons_of(analysis, arm)
        if c.control_n >= 2 and c.treated_n >= 2
    )
    return labels(NO_SPREAD_NOTE) if found else ""


def unreadable_note(analysis: Analysis, arm: str, labels: Labels = EN) -> str:
    unreadable = any(c.too_small_to_read for c in comparisons_of(analysis, arm))
    return labels(UNREADABLE_NOTE) if unreadable else ""


def comparisons_of(analysis: Analysis, arm: str) -> list[Comparison]:
    return [c for c in analysis.comparisons if c.arm == arm]


def overall_of(analysis: Analysis, arm: str) -> OverallEffect:
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
    for c in comparisons_of(analysis, arm):
        e = getattr(c, metric)
        rows.append(
            (
                segment_label(c, labels),
                level(e.control_mean),
                level(e.treatment_mean),
                lift(e.difference, e.ci_low, e.ci_high),
                _relative_ci(e.relative_lift, e.relative_ci_low, e.relative_ci_high),
                fmt_p(e.p_value),
                fmt_p(getattr(c, f"{metric}_p_adjusted")),
            )
        )
    o = overall_of(analysis, arm)
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


def versus_title(title: str, analysis: Analysis, arm: str, labels: Labels) -> str:
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
    note = labels(note) + no_spread_note(analysis, arm, "conversion", labels)
    note += unreadable_note(analysis, arm, labels)
    title = versus_title("Conversion: {arm} vs {control}", analysis, arm, labels)
    return Section(title, _lift_columns(analysis, labels), rows, note)


def revenue_section(analysis: Analysis, arm: str, labels: Labels = EN) -> Section:
    rows = _lift_rows(
        analysis,
        arm,
        "revenue",
        lambda value: labels.money(fmt_number(value, 3)),
        lambda *values: labels.money(money_ci(*values)),
        labels,
    )
    note = (
        "Revenue per customer (non-buyers count as 0); Welch t-test and CI; relative lift with a "
        "delta-method CI; (overall) = stratified." + _adjust_note(analysis)
    )
    note = labels(note) + no_spread_note(analysis, arm, "revenue", labels)
    note += unreadable_note(analysis, arm, labels)
    title = versus_title("Revenue per customer: {arm} vs {control}", analysis, arm, labels)
    return Section(title, _lift_columns(analysis, labels), rows, note)


def capped_section(analysis: Analysis, arm: str, labels: Labels = EN) -> Section | None:
    if analysis.cap_threshold is None:
        return None
    money = labels.money
    rows = []
    for c in comparisons_of(analysis, arm):
        raw, capped = c.revenue, c.revenue_capped
        rows.append(
            (
                segment_label(c, labels),
                money(money_ci(raw.difference, raw.ci_low, raw.ci_high)),
                money(money_ci(capped.difference, capped.ci_low, capped.ci_high)),
                fmt_p(capped.p_value),
            )
        )
    o = overall_of(analysis, arm)
    rows.append(
        (
            labels(OVERALL_LABEL),
            money(money_ci(o.revenue.difference, o.revenue.ci_low, o.revenue.ci_high)),
            money(
                money_ci(
                    o.revenue_capped.difference, o.revenue_capped.ci_low, o.revenue_capped.ci_high
                )
            ),
            fmt_p(o.revenue_capped.p_value),
        )
    )
    title = versus_title("Revenue per customer, capped: {arm} vs {control}", analysis, arm, labels)
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
    for c in comparisons_of(analysis, arm):
        raw, cuped = c.revenue, c.revenue_cuped
        e = cuped.effect
        rows.append(
            (
                segment_label(c, labels),
                money(money_ci(raw.difference, raw.ci_low, raw.ci_high)),
                money(money_ci(e.difference, e.ci_low, e.ci_high)),
                fmt_p(e.p_value),
                fmt_percent(cuped.variance_reduction, 1),
            )
        )
    o = overall_of(analysis, arm)
    rows.append(
        (
            labels(OVERALL_LABEL),
            money(money_ci(o.revenue.difference, o.revenue.ci_low, o.revenue.ci_high)),
            money(
                money_ci(
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
    title = versus_title("Revenue per customer, CUPED: {arm} vs {control}", analysis, arm, labels)
    return Section(title, columns, tuple(rows), note)


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
