"""The words of every notice (:class:`~uplift_lab.notices.Notice`): a step gives a code and its
numbers, :func:`render_notice` fills the code's English template through
:class:`~uplift_lab.report.labels.Labels`, so ``--lang zh`` renders it from labels.py's table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from uplift_lab.notices import Notice
from uplift_lab.orders import OrderCounting
from uplift_lab.report.labels import EN, Labels
from uplift_lab.report.step_notice_text import CODES as STEP_CODES
from uplift_lab.report.step_notice_text import render_step_notice

INTENT_TO_TREAT = (
    "Intent to treat: customers are analysed by their assigned arm, whether or not the message "
    "was delivered (failed sends and opt-outs stay in their treated arm)."
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
NO_CONVERSION = (
    "No customer of the experiment converted: check the outcomes file (ids, --start, "
    "--window-days) before reading anything below."
)
SRM = (
    "SAMPLE RATIO MISMATCH in segment '{segment}': observed {observed} vs designed {designed} "
    "(chi-square p = {p_value:.2g}). The split is not what was designed: find the cause (lost "
    "customers, a filter applied to one arm, a re-run assignment) before trusting any number "
    "below."
)
SRM_UNKNOWN = (
    "Sample ratio mismatch could not be checked: the designed arm fractions are unknown. Pass "
    "them, e.g. --expected '{example}' for an even split (or analyse a design folder)."
)
HOLDOUT_TOO_SMALL = (
    "Holdout too small to read in {unreadable} of {comparisons} comparison(s) against "
    "{control}, marked † in the tables (the CI crosses zero and is wider, each way, than a "
    "quarter of the control's rate, or an arm has fewer than {min_count} conversions or "
    "non-conversions, too few for the normal approximation): "
    "{details}. A bigger holdout (or a longer window) is needed to read them; the overall rows "
    "pool them with the rest."
)
WHALE_SHARE = (
    "Revenue is dominated by a few buyers: the top 1% of buyers hold {share:.0%} of revenue, so "
    "revenue effects are fragile. Compare with --cap-revenue 0.999."
)
UNADJUSTED = (
    "p-values are NOT adjusted for the {comparisons} comparisons: some 'significant' segments "
    "are expected by chance. Use --adjust holm or bh."
)
COMPARED_PER_STRATUM = (
    "Each stratum holds the control and one channel, so each channel is compared only with the "
    "control of its own strata: {where}."
)
COMPARED_WHERE_ASSIGNED = "Each arm is compared only in the segments it was assigned to: {where}."
WINDOW_NOT_STARTED = (
    "The orders file {shown}, before the response window ({window_first} to {window_last}) "
    "starts: no response can be measured. Check --start, or export the orders of the window."
)
WINDOW_NOT_COVERED = (
    "The orders file ends on {last_order}, inside the response window ({window_first} to "
    "{window_last}): only {covered_days} of its {window_days} days are covered, so later "
    "responses are missing in both arms and the lift reads low. Export orders up to the "
    "window's end, or pass --window-days {covered_days}."
)
UNKNOWN_CUSTOMERS = (
    "{rows:,} outcome row(s) of customers who are not in the experiment were ignored."
)
ORDERS_COUNTED = "Orders: {lines}."
CYCLE_STAGES_FALL_BACK = (
    "only {repeat_buyers:,} customers ordered on two different days before the as-of date "
    "(cycle stages need {min_repeat_buyers:,}), so lifecycle uses the day rules (active "
    "{active_days}, silent {silent_days}, churn {churn_days} days); pass --thresholds fixed to "
    "silence this"
)
CUSTOMERS_MATCH_NO_BUYER = (
    "none of the customer table's {customers:,} ids is one of the {buyers:,} buyers' (e.g. "
    "{examples[0]!r} against {examples[1]!r}): the two files write ids otherwise (leading zeros, "
    "spaces, case), so no customer has both orders and attributes; make the id columns alike"
)
NEGATIVE_MONETARY = (
    "{customers:,} customer(s) have a negative monetary value: refund rows netted below their "
    "purchases in the window (refunds of orders before it, or of orders the file lacks)"
)
AS_OF_AFTER_ORDERS = (
    "the latest order is {days:,} days before the as-of date, so every customer reads as lapsed; "
    "check --as-of (the campaign's start) and that the file holds the recent orders"
)
AS_OF_FROM_ORDERS = (
    "no --as-of given: segmented as of {as_of}, the day after the latest counted order "
    "({latest}); pass --as-of to segment as of another date"
)

TEMPLATES: dict[str, str] = {
    "intent_to_treat": INTENT_TO_TREAT,
    "rows_needed": ROWS_NEEDED,
    "rows_needed_conversion_only": ROWS_NEEDED_CONVERSION_ONLY,
    "no_conversion": NO_CONVERSION,
    "whale_share": WHALE_SHARE,
    "unadjusted": UNADJUSTED,
    "window_not_covered": WINDOW_NOT_COVERED,
    "unknown_customers": UNKNOWN_CUSTOMERS,
    "cycle_stages_fall_back": CYCLE_STAGES_FALL_BACK,
    "customers_match_no_buyer": CUSTOMERS_MATCH_NO_BUYER,
    "negative_monetary": NEGATIVE_MONETARY,
    "as_of_after_orders": AS_OF_AFTER_ORDERS,
    "as_of_from_orders": AS_OF_FROM_ORDERS,
}
"""The codes whose parameters fill their template as they are."""

Params = Mapping[str, Any]


def render_notice(notice: Notice, labels: Labels = EN) -> str:
    """The text of ``notice`` in the language of ``labels`` (English by default)."""
    if notice.code in TEMPLATES:
        return labels(TEMPLATES[notice.code], **notice.params)
    if notice.code in STEP_CODES:
        return render_step_notice(notice, labels)
    return _RENDERERS[notice.code](notice.params, labels)


def notice_texts(notices: Iterable[Notice], labels: Labels = EN) -> tuple[str, ...]:
    """The text of each of ``notices``, in their order."""
    return tuple(render_notice(notice, labels) for notice in notices)


def _srm(params: Params, labels: Labels) -> str:
    observed = ", ".join(f"{labels.value(a)} {n:,}" for a, n in params["observed"].items())
    designed = ", ".join(f"{labels.value(a)} {f:.1%}" for a, f in params["expected"].items())
    return labels(
        SRM,
        segment=labels.value(params["segment"]),
        observed=observed,
        designed=designed,
        p_value=params["p_value"],
    )


def _srm_unknown(params: Params, labels: Labels) -> str:
    """An --expected value naming the real arms (an even split) in the hint."""
    arms = params["arms"]
    example = ",".join(f"{arm}={1 / len(arms):.3g}" for arm in arms)
    return labels(SRM_UNKNOWN, example=example)


def _where_compared(params: Params, labels: Labels) -> str:
    parts = [
        labels(
            "{arm} in {where}",
            arm=labels.value(arm),
            where=", ".join(f"'{labels.value(s)}'" for s in strata)
            if strata
            else labels("no segment"),
        )
        for arm, strata in params["where"]
    ]
    lead = COMPARED_PER_STRATUM if params["one_each"] else COMPARED_WHERE_ASSIGNED
    return labels(lead, where="; ".join(parts))


def _holdout_too_small(params: Params, labels: Labels) -> str:
    details = "; ".join(
        _unreadable_detail(detail, params["name_arms"], labels) for detail in params["details"]
    )
    return labels(
        HOLDOUT_TOO_SMALL,
        unreadable=params["unreadable"],
        comparisons=params["comparisons"],
        control=labels.value(params["control"]),
        min_count=params["min_count"],
        details=details,
    )


def _unreadable_detail(detail: Params, name_arm: bool, labels: Labels) -> str:
    where = labels(
        "'{segment}' ({control_n:,} control)",
        segment=labels.value(detail["segment"]),
        control_n=detail["control_n"],
    )
    if name_arm:
        where = labels("{arm} in {where}", arm=labels.value(detail["arm"]), where=where)
    if detail["kind"] == "empty_arm":
        return labels("{where} one arm is empty", where=where)
    if detail["kind"] == "no_conversions":
        return labels("{where} no conversions to compare", where=where)
    text = labels(
        "{where} lift {lift:+.2f} pp ±{half_width:.2f}",
        where=where,
        lift=detail["lift_pp"],
        half_width=detail["half_width_pp"],
    )
    few = _few_counts(detail["few"], labels)
    return text + (labels(" ({counts})", counts=few) if few else "")


def _few_counts(few: Sequence[tuple[int, int, str]], labels: Labels) -> str:
    return ", ".join(
        labels(
            "{conversions} conversion(s) of {n:,} in {arm}",
            conversions=conversions,
            n=n,
            arm=labels.value(arm),
        )
        for conversions, n, arm in few
    )


def _window_not_started(params: Params, labels: Labels) -> str:
    last = params["last_order"]
    shown = labels("has no order") if last is None else labels("ends on {date}", date=last)
    return labels(
        WINDOW_NOT_STARTED,
        shown=shown,
        window_first=params["window_first"],
        window_last=params["window_last"],
    )


def _orders_counted(params: Params, labels: Labels) -> str:
    return labels(ORDERS_COUNTED, lines="; ".join(_counting_lines(params, labels)))


def order_counting_lines(counting: OrderCounting, labels: Labels = EN) -> list[str]:
    """What the order rules changed, one short sentence each (empty when nothing changed)."""
    return _counting_lines(dataclasses.asdict(counting), labels)


def _counting_lines(counting: Params, labels: Labels) -> list[str]:
    lines = []
    if n := counting["line_item_rows"]:
        lines.append(labels("{n:,} extra line-item row(s) merged into their order", n=n))
    if n := counting.get("rows_without_customer"):
        lines.append(labels("{n:,} row(s) without a customer id (guest orders) not counted", n=n))
    for status, n in counting["dropped_by_status"].items():
        lines.append(labels("{n:,} row(s) with status '{status}' not counted", n=n, status=status))
    if n := counting["unpaid_rows"]:
        lines.append(labels("{n:,} unpaid row(s) (no payment time) not counted", n=n))
    if n := counting["fully_refunded"]:
        lines.append(labels("{n:,} fully refunded order(s) not counted", n=n))
    if n := counting["partly_refunded"]:
        lines.append(labels("{n:,} partly refunded order(s) counted at their net", n=n))
    if n := counting.get("refund_rows_linked"):
        lines.append(labels("{n:,} refund row(s) netted into the order whose id they repeat", n=n))
    if n := counting["refund_rows"]:
        lines.append(labels("{n:,} refund row(s) netted into customer totals", n=n))
    return lines


_RENDERERS: dict[str, Callable[[Params, Labels], str]] = {
    "srm": _srm,
    "srm_unknown": _srm_unknown,
    "where_compared": _where_compared,
    "holdout_too_small": _holdout_too_small,
    "window_not_started": _window_not_started,
    "orders_counted": _orders_counted,
}
"""The codes whose parameters are lists or choices, put in words first."""

CODES = frozenset(TEMPLATES) | frozenset(_RENDERERS)
"""Every notice code of the analysis (the other steps' codes: step_notice_text.CODES)."""
