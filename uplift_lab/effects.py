"""Effects of each treated arm against the control from per-cell moments: per segment (the
tests, p-values adjusted across comparisons, readability, money) and overall (stratified by
segment size). The core of :func:`uplift_lab.analyze.analyze_cells`."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from uplift_lab import stats
from uplift_lab.analysis_notices import cell_sample, too_few_counts, too_wide_to_read
from uplift_lab.analysis_results import (
    NO_REVENUE,
    AnalysisOptions,
    Comparison,
    OverallEffect,
    RelativeLift,
)
from uplift_lab.money import Money, comparison_money, sum_money

_NAN3 = (math.nan, math.nan, math.nan)
_EMPTY_PAIRED = stats.PairedSampleStats(0, 0.0, 0.0, 0.0, 0.0, 0.0)
NO_REVENUE_EFFECT = stats.EffectResult(
    *(math.nan,) * 10, method="no revenue column", error=NO_REVENUE, relative_error=NO_REVENUE
)


def with_money(options: AnalysisOptions) -> bool:
    """Whether money is reported: a cost, a coupon or a margin was given."""
    return bool(options.costs) or bool(options.coupons) or options.margin is not None


@dataclass(frozen=True, slots=True)
class CellMoments:
    """The per-cell statistics each effect needs: conversion, revenue, capped revenue and the
    (covariate, revenue) pairs of CUPED (None when absent)."""

    conversion: Mapping[tuple[str, str], stats.SampleStats]
    revenue: Mapping[tuple[str, str], stats.SampleStats]
    capped: Mapping[tuple[str, str], stats.SampleStats] | None
    paired: Mapping[tuple[str, str], stats.PairedSampleStats] | None


@dataclass(frozen=True, slots=True)
class SegmentEffect:
    """One treated arm against control in one segment, before the p-value adjustment."""

    segment: str
    arm: str
    control_n: int
    treated_n: int
    conversion: stats.EffectResult
    revenue: stats.EffectResult
    capped: stats.EffectResult | None
    cuped: stats.CupedResult | None


def segment_effects(
    moments: CellMoments,
    options: AnalysisOptions,
    segments: Sequence[str],
    treated: Sequence[str],
    has_revenue: bool,
) -> tuple[list[SegmentEffect], bool]:
    """The effects of every treated arm in every segment it belongs to, and whether some arm
    was left out of a segment (not designed there)."""
    effects = []
    absent = False
    for segment in segments:
        for arm in treated:
            if not _arm_in_segment(options, moments.conversion, segment, arm):
                absent = True
                continue
            effects.append(_segment_effect(moments, options, segment, arm, has_revenue))
    return effects, absent


def _segment_effect(
    moments: CellMoments, options: AnalysisOptions, segment: str, arm: str, has_revenue: bool
) -> SegmentEffect:
    control, alpha = options.control, options.alpha
    c_conv = cell_sample(moments.conversion, segment, control)
    t_conv = cell_sample(moments.conversion, segment, arm)
    conversion = stats.proportion_difference(c_conv, t_conv, alpha=alpha, ci=options.ci)
    revenue = stats.mean_difference(
        cell_sample(moments.revenue, segment, control),
        cell_sample(moments.revenue, segment, arm),
        alpha=alpha,
    )
    if not has_revenue:
        revenue = NO_REVENUE_EFFECT
    capped = None
    if moments.capped is not None:
        capped = stats.mean_difference(
            cell_sample(moments.capped, segment, control),
            cell_sample(moments.capped, segment, arm),
            alpha=alpha,
        )
    cuped = None
    if moments.paired is not None:
        cuped = stats.cuped_difference(
            moments.paired.get((segment, control), _EMPTY_PAIRED),
            moments.paired.get((segment, arm), _EMPTY_PAIRED),
            alpha=alpha,
        )
    return SegmentEffect(segment, arm, c_conv.n, t_conv.n, conversion, revenue, capped, cuped)


def adjusted_comparisons(
    effects: Sequence[SegmentEffect],
    conv: Mapping[tuple[str, str], stats.SampleStats],
    options: AnalysisOptions,
) -> list[Comparison]:
    """The effects with p-values adjusted across all comparisons, the readability flag and
    the money of each."""
    conv_adjusted = stats.adjust_p_values([e.conversion.p_value for e in effects], options.adjust)
    rev_adjusted = stats.adjust_p_values([e.revenue.p_value for e in effects], options.adjust)
    counts_money = with_money(options)
    comparisons = []
    for index, effect in enumerate(effects):
        segment, arm, conversion = effect.segment, effect.arm, effect.conversion
        half_width = (conversion.ci_high - conversion.ci_low) / 2
        control = cell_sample(conv, segment, options.control)
        unreadable = bool(
            conversion.error is not None
            or math.isnan(half_width)
            or too_wide_to_read(half_width, conversion.difference, control)
            or too_few_counts(control)
            or too_few_counts(cell_sample(conv, segment, arm))
        )
        money = _effect_money(effect, conv, options) if counts_money else None
        comparisons.append(
            Comparison(
                segment=segment,
                arm=arm,
                control_n=effect.control_n,
                treated_n=effect.treated_n,
                conversion=conversion,
                revenue=effect.revenue,
                conversion_p_adjusted=conv_adjusted[index],
                revenue_p_adjusted=rev_adjusted[index],
                revenue_capped=effect.capped,
                revenue_cuped=effect.cuped,
                money=money,
                too_small_to_read=unreadable,
            )
        )
    return comparisons


def _effect_money(
    effect: SegmentEffect,
    conv: Mapping[tuple[str, str], stats.SampleStats],
    options: AnalysisOptions,
) -> Money:
    """The money of one comparison: its lifts times the treated customers, net of costs."""
    arm, conversion, revenue = effect.arm, effect.conversion, effect.revenue
    return comparison_money(
        effect.treated_n,
        int(round(cell_sample(conv, effect.segment, arm).sum)),
        (conversion.difference, conversion.ci_low, conversion.ci_high),
        (revenue.difference, revenue.ci_low, revenue.ci_high),
        options.costs.get(arm, options.costs.get("*", 0.0)),
        options.coupons.get(arm, options.coupons.get("*", 0.0)),
        1.0 if options.margin is None else options.margin,
    )


def _arm_in_segment(
    options: AnalysisOptions,
    conv: Mapping[tuple[str, str], stats.SampleStats],
    segment: str,
    arm: str,
) -> bool:
    """Whether ``arm`` belongs in ``segment``: designed there (a target campaign gives each
    segment x channel stratum one channel), or, without a design, has customers there."""
    designed = (options.expected_fractions or {}).get(segment)
    if designed is not None:
        return designed.get(arm, 0.0) > 0
    return cell_sample(conv, segment, arm).n > 0


def overall_effect(
    arm: str,
    comparisons: Sequence[Comparison],
    options: AnalysisOptions,
    report_money: bool,
    moments: CellMoments,
    has_revenue: bool = True,
) -> OverallEffect:
    """The stratified (segment-size weighted) effects of ``arm`` over its comparisons."""
    sizes = [c.control_n + c.treated_n for c in comparisons]
    conv, rev, control = moments.conversion, moments.revenue, options.control

    def relative(
        cells: Mapping[tuple[str, str], stats.SampleStats], binary: bool = False
    ) -> RelativeLift:
        lift, low, high, error = stats.stratified_relative_lift(
            sizes,
            [cell_sample(cells, c.segment, control) for c in comparisons],
            [cell_sample(cells, c.segment, arm) for c in comparisons],
            alpha=options.alpha,
            binary=binary,
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
    if report_money:
        money = sum_money([c.money for c in comparisons], by_revenue=has_revenue)
    revenue_relative = relative(rev) if has_revenue else RelativeLift(*_NAN3, NO_REVENUE)
    return OverallEffect(
        arm=arm,
        control_n=sum(c.control_n for c in comparisons),
        treated_n=sum(c.treated_n for c in comparisons),
        conversion=combine([c.conversion for c in comparisons]),
        revenue=revenue,
        conversion_relative=relative(conv, binary=True),
        revenue_relative=revenue_relative,
        revenue_capped=capped,
        revenue_cuped=cuped,
        cuped_variance_reduction=reduction,
        money=money,
    )
