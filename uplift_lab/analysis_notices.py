"""What an analysis notices: a broken split, an unreadable holdout, a few whales, unadjusted
p-values, and where each arm was compared. Each function returns the :class:`Notice` (or None):
a code and its numbers; :mod:`uplift_lab.report.notice_text` puts them in words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from uplift_lab import stats
from uplift_lab.analysis_results import Comparison, SegmentSrm
from uplift_lab.notices import Notice

SRM_ALPHA = 0.001
WHALE_SHARE = 0.5
MIN_NORMAL_COUNT = 5  # conversions and non-conversions per arm for a normal-approximation CI

Moments = Mapping[tuple[str, str], stats.SampleStats]  # per (segment, arm) cell
_EMPTY = stats.SampleStats(0, 0.0, 0.0)


def cell_sample(moments: Moments, segment: str, arm: str) -> stats.SampleStats:
    """The statistics of one (segment, arm) cell; an absent cell is empty."""
    return moments.get((segment, arm), _EMPTY)


UNREADABLE_RELATIVE_LIFT = 0.25  # a CI across 0 wider than this share of the control's rate


def too_wide_to_read(half_width: float, difference: float, control: stats.SampleStats) -> bool:
    """A conversion lift whose 95% CI crosses zero and is wider, each way, than a quarter of
    the control's own rate: the holdout cannot tell no effect from a 25% relative lift (a
    message worth sending), so more customers are needed to read it. A CI that crosses zero
    but is narrower reads: no effect of that size, whichever way the estimate came out (before,
    every such CI was marked, so a true null was unreadable however big the holdout)."""
    rate = control.mean if control.n else 0.0
    return half_width > abs(difference) and half_width > UNREADABLE_RELATIVE_LIFT * rate


def too_few_counts(sample: stats.SampleStats) -> bool:
    """Fewer than MIN_NORMAL_COUNT conversions or non-conversions: the normal approximation
    behind the Wald CI and the z-test fails (they can even disagree about zero)."""
    conversions = round(sample.sum)
    return min(conversions, sample.n - conversions) < MIN_NORMAL_COUNT


def rows_needed_notice(has_revenue: bool) -> Notice:
    """The note of an analysis from aggregated cells: what needed one row per customer."""
    return Notice("note", "rows_needed" if has_revenue else "rows_needed_conversion_only")


def intent_to_treat_notice() -> Notice:
    """The note, always last, that customers are analysed by their assigned arm."""
    return Notice("note", "intent_to_treat")


def where_compared_notice(
    compared: Sequence[tuple[str, str]], treated: Sequence[str], segments: Sequence[str]
) -> Notice:
    """Say where each treated arm is compared (``compared``: its (segment, arm) pairs), when
    some arms were not assigned everywhere (a `target` campaign gives each 'segment|channel'
    stratum the control and one channel)."""
    where = {arm: [segment for segment, a in compared if a == arm] for arm in treated}
    one_each = all(sum(segment in strata for strata in where.values()) == 1 for segment in segments)
    return Notice(
        "note",
        "where_compared",
        {
            "one_each": one_each,
            "where": tuple((arm, tuple(strata)) for arm, strata in where.items()),
        },
    )


def srm_notices(srm: Sequence[SegmentSrm]) -> list[Notice]:
    """A critical notice per segment whose split is not the designed one."""
    return [
        Notice(
            "critical",
            "srm",
            {
                "segment": check.segment,
                "observed": dict(check.result.observed),
                "expected": dict(check.result.expected),
                "p_value": check.result.p_value,
            },
        )
        for check in srm
        if check.result.p_value < SRM_ALPHA
    ]


def srm_unknown_notice(arms: Sequence[str]) -> Notice:
    """The warning when the designed fractions are unknown (no SRM check)."""
    return Notice("warning", "srm_unknown", {"arms": tuple(arms)})


def unreadable_notice(
    comparisons: Sequence[Comparison], conv: Moments, control: str, treated: Sequence[str]
) -> Notice | None:
    """The warning listing the comparisons whose holdout is too small to read, or None."""
    unreadable = sorted(
        (c for c in comparisons if c.too_small_to_read), key=lambda c: treated.index(c.arm)
    )
    if not unreadable:
        return None
    return Notice(
        "warning",
        "holdout_too_small",
        {
            "unreadable": len(unreadable),
            "comparisons": len(comparisons),
            "control": control,
            "min_count": MIN_NORMAL_COUNT,
            "name_arms": len(treated) > 1,
            "details": tuple(_unreadable_detail(c, conv, control) for c in unreadable),
        },
    )


def _unreadable_detail(comparison: Comparison, conv: Moments, control: str) -> dict[str, object]:
    """One unreadable comparison: where, why (``kind``), and its lift and counts when it has one."""
    c = comparison.conversion
    detail: dict[str, object] = {
        "arm": comparison.arm,
        "segment": comparison.segment,
        "control_n": comparison.control_n,
    }
    if c.error == stats.EMPTY_ARM:
        return {**detail, "kind": "empty_arm"}
    if c.error is not None:
        return {**detail, "kind": "no_conversions"}
    few = tuple(
        (int(round(sample.sum)), sample.n, arm)
        for arm in (control, comparison.arm)
        if too_few_counts(sample := cell_sample(conv, comparison.segment, arm))
    )
    return {
        **detail,
        "kind": "lift",
        "lift_pp": c.difference * 100,
        "half_width_pp": (c.ci_high - c.ci_low) / 2 * 100,
        "few": few,
    }


def no_conversion_notice() -> Notice:
    return Notice("warning", "no_conversion")


def whale_notice(share: float) -> Notice | None:
    """A warning when the top 1% of buyers hold more than WHALE_SHARE of revenue, or None."""
    if not share > WHALE_SHARE:  # NaN (no rows, no revenue) says nothing
        return None
    return Notice("warning", "whale_share", {"share": share})


def unadjusted_notice(comparisons: int) -> Notice:
    return Notice("warning", "unadjusted", {"comparisons": comparisons})


def unknown_customers_notice(rows: int) -> Notice | None:
    """The note that outcome rows of customers outside the experiment were ignored, or None."""
    return Notice("note", "unknown_customers", {"rows": rows}) if rows else None
