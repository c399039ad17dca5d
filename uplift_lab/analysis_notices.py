"""What an analysis says in words: a broken split, an unreadable holdout, a few whales, unadjusted
p-values, and where each arm was compared. Each function returns the :class:`Notice` (or None)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from uplift_lab import stats
from uplift_lab.analysis_results import Comparison, SegmentSrm
from uplift_lab.notices import Notice

SRM_ALPHA = 0.001
WHALE_SHARE = 0.5
MIN_NORMAL_COUNT = 5  # conversions and non-conversions per arm for a normal-approximation CI

INTENT_TO_TREAT = (
    "Intent to treat: customers are analysed by their assigned arm, whether or not the message "
    "was delivered (failed sends and opt-outs stay in their treated arm)."
)
SRM_FIX = (
    "The split is not what was designed: find the cause (lost customers, a filter applied to one "
    "arm, a re-run assignment) before trusting any number below."
)
ROWS_NEEDED = (
    "Analysed from aggregated cells (sufficient statistics per segment x arm): the whale-share "
    "check, the revenue cap and the daily response curve need one row per customer and were "
    "skipped."
)
ROWS_NEEDED_CONVERSION_ONLY = (
    "Analysed from aggregated cells (sufficient statistics per segment x arm): the daily "
    "response curve needs one row per customer and was skipped."
)

Moments = Mapping[tuple[str, str], stats.SampleStats]  # per (segment, arm) cell
_EMPTY = stats.SampleStats(0, 0.0, 0.0)


def cell_sample(moments: Moments, segment: str, arm: str) -> stats.SampleStats:
    """The statistics of one (segment, arm) cell; an absent cell is empty."""
    return moments.get((segment, arm), _EMPTY)


def too_few_counts(sample: stats.SampleStats) -> bool:
    """Fewer than MIN_NORMAL_COUNT conversions or non-conversions: the normal approximation
    behind the Wald CI and the z-test fails (they can even disagree about zero)."""
    conversions = round(sample.sum)
    return min(conversions, sample.n - conversions) < MIN_NORMAL_COUNT


def rows_needed_notice(has_revenue: bool) -> Notice:
    """The note of an analysis from aggregated cells: what needed one row per customer."""
    return Notice("note", ROWS_NEEDED if has_revenue else ROWS_NEEDED_CONVERSION_ONLY)


def where_compared_notice(
    compared: Sequence[tuple[str, str]], treated: Sequence[str], segments: Sequence[str]
) -> Notice:
    """Say where each treated arm is compared (``compared``: its (segment, arm) pairs), when
    some arms were not assigned everywhere (a `target` campaign gives each 'segment|channel'
    stratum the control and one channel)."""
    where = {arm: [segment for segment, a in compared if a == arm] for arm in treated}
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
    return Notice("note", lead + "; ".join(parts) + ".")


def srm_notices(srm: Sequence[SegmentSrm]) -> list[Notice]:
    """A critical notice per segment whose split is not the designed one."""
    notices = []
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
    return notices


def srm_unknown_notice(arms: Sequence[str]) -> Notice:
    """The warning when the designed fractions are unknown (no SRM check)."""
    return Notice(
        "warning",
        "Sample ratio mismatch could not be checked: the designed arm fractions are "
        f"unknown. Pass them, e.g. --expected '{_fractions_example(arms)}' for an even "
        "split (or analyse a design folder).",
    )


def _fractions_example(arms: Sequence[str]) -> str:
    """An --expected value naming the real arms (an even split)."""
    return ",".join(f"{arm}={1 / len(arms):.3g}" for arm in arms)


def unreadable_notice(
    comparisons: Sequence[Comparison], conv: Moments, control: str, treated: Sequence[str]
) -> Notice | None:
    """The warning listing the comparisons whose holdout is too small to read, or None."""
    unreadable = sorted(
        (c for c in comparisons if c.too_small_to_read), key=lambda c: treated.index(c.arm)
    )
    if not unreadable:
        return None
    details = "; ".join(
        _unreadable_detail(c, conv, control, with_arm=len(treated) > 1) for c in unreadable
    )
    return Notice(
        "warning",
        f"Holdout too small to read in {len(unreadable)} of {len(comparisons)} "
        f"comparison(s) against {control}, marked † in the tables (the CI is wider than "
        f"the lift, or an arm has fewer than {MIN_NORMAL_COUNT} conversions or "
        f"non-conversions, too few for the normal approximation): {details}. A bigger "
        "holdout (or a longer window) is needed to read them; the overall rows pool "
        "them with the rest.",
    )


def _unreadable_detail(
    comparison: Comparison, conv: Moments, control: str, *, with_arm: bool
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
        if too_few_counts(sample := cell_sample(conv, comparison.segment, arm))
    ]
    return detail + (f" ({', '.join(few)})" if few else "")


def no_conversion_notice() -> Notice:
    return Notice(
        "warning",
        "No customer of the experiment converted: check the outcomes file (ids, "
        "--start, --window-days) before reading anything below.",
    )


def whale_notice(share: float) -> Notice | None:
    """A warning when the top 1% of buyers hold more than WHALE_SHARE of revenue, or None."""
    if not share > WHALE_SHARE:  # NaN (no rows, no revenue) says nothing
        return None
    return Notice(
        "warning",
        f"Revenue is dominated by a few buyers: the top 1% of buyers hold {share:.0%} of "
        "revenue, so revenue effects are fragile. Compare with --cap-revenue 0.999.",
    )


def unadjusted_notice(comparisons: int) -> Notice:
    return Notice(
        "warning",
        f"p-values are NOT adjusted for the {comparisons} comparisons: some "
        "'significant' segments are expected by chance. Use --adjust holm or bh.",
    )
