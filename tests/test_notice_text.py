"""Notices are codes with numbers, put in words by report/notice_text: each code renders to the
English sentence the steps used to write themselves (typed here, not read from the module), and
to Chinese with ``--lang zh``."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from uplift_lab import analysis_notices, outcomes
from uplift_lab.notices import Notice
from uplift_lab.orders import OrderCounting
from uplift_lab.report.labels import ZH_LABELS
from uplift_lab.report.notice_text import CODES, order_counting_lines, render_notice

COUNTING = OrderCounting(
    rows_read=10_000, orders_counted=8_000, dropped_by_status={"cancelled": 1200, "已关闭": 0},
    unpaid_rows=4, line_item_rows=3, fully_refunded=5, partly_refunded=6, refunded_amount=12.5,
    refund_rows=7,
)  # fmt: skip

UNREADABLE_DETAILS = (
    {"arm": "sms", "segment": "silent", "control_n": 1234, "kind": "lift", "lift_pp": 1.234,
     "half_width_pp": 3.2, "few": ((3, 1234, "control"),)},
    {"arm": "edm", "segment": "active", "control_n": 12, "kind": "empty_arm"},
    {"arm": "edm", "segment": "new", "control_n": 0, "kind": "no_conversions"},
    {"arm": "sms", "segment": "churned", "control_n": 50, "kind": "lift", "lift_pp": -10.0,
     "half_width_pp": 23.3, "few": ((2, 50, "control"), (447, 450, "sms"))},
)  # fmt: skip

ENGLISH = [
    (
        Notice("note", "intent_to_treat"),
        "Intent to treat: customers are analysed by their assigned arm, whether or not the "
        "message was delivered (failed sends and opt-outs stay in their treated arm).",
    ),
    (
        Notice("note", "rows_needed"),
        "Analysed from aggregated cells (sufficient statistics per segment x arm): the "
        "whale-share check, the revenue cap and the daily response curve need one row per "
        "customer and were skipped.",
    ),
    (
        Notice("note", "rows_needed_conversion_only"),
        "Analysed from aggregated cells (sufficient statistics per segment x arm): the daily "
        "response curve needs one row per customer and was skipped.",
    ),
    (
        Notice("warning", "no_conversion"),
        "No customer of the experiment converted: check the outcomes file (ids, --start, "
        "--window-days) before reading anything below.",
    ),
    (
        Notice("warning", "whale_share", {"share": 0.734}),
        "Revenue is dominated by a few buyers: the top 1% of buyers hold 73% of revenue, so "
        "revenue effects are fragile. Compare with --cap-revenue 0.999.",
    ),
    (
        Notice("warning", "unadjusted", {"comparisons": 12}),
        "p-values are NOT adjusted for the 12 comparisons: some 'significant' segments are "
        "expected by chance. Use --adjust holm or bh.",
    ),
    (
        Notice(
            "critical",
            "srm",
            {
                "segment": "silent",
                "observed": {"control": 1234, "sms": 98765},
                "expected": {"control": 0.1, "sms": 0.9},
                "p_value": 1.234e-9,
            },
        ),  # fmt: skip
        "SAMPLE RATIO MISMATCH in segment 'silent': observed control 1,234, sms 98,765 vs "
        "designed control 10.0%, sms 90.0% (chi-square p = 1.2e-09). The split is not what was "
        "designed: find the cause (lost customers, a filter applied to one arm, a re-run "
        "assignment) before trusting any number below.",
    ),
    (
        Notice("warning", "srm_unknown", {"arms": ("holdout", "sms", "edm")}),
        "Sample ratio mismatch could not be checked: the designed arm fractions are unknown. "
        "Pass them, e.g. --expected 'holdout=0.333,sms=0.333,edm=0.333' for an even split (or "
        "analyse a design folder).",
    ),
    (
        Notice(
            "note",
            "where_compared",
            {"one_each": True, "where": (("sms", ("a|sms", "c|sms")), ("edm", ("b|edm",)))},
        ),
        "Each stratum holds the control and one channel, so each channel is compared only with "
        "the control of its own strata: sms in 'a|sms', 'c|sms'; edm in 'b|edm'.",
    ),
    (
        Notice(
            "note", "where_compared", {"one_each": False, "where": (("sms", ("a",)), ("mms", ()))}
        ),
        "Each arm is compared only in the segments it was assigned to: sms in 'a'; mms in no "
        "segment.",
    ),
    (
        Notice(
            "warning",
            "holdout_too_small",
            {
                "unreadable": 4,
                "comparisons": 10,
                "control": "control",
                "min_count": 5,
                "name_arms": True,
                "details": UNREADABLE_DETAILS,
            },
        ),  # fmt: skip
        "Holdout too small to read in 4 of 10 comparison(s) against control, marked † in the "
        "tables (the CI crosses zero and is wider, each way, than a quarter of the control's "
        "rate, or an arm has fewer than 5 conversions or non-conversions, too few for the normal "
        "approximation): sms in 'silent' (1,234 control) "
        "lift +1.23 pp ±3.20 (3 conversion(s) of 1,234 in control); edm in 'active' (12 control) "
        "one arm is empty; edm in 'new' (0 control) no conversions to compare; sms in 'churned' "
        "(50 control) lift -10.00 pp ±23.30 (2 conversion(s) of 50 in control, 447 "
        "conversion(s) of 450 in sms). A bigger holdout (or a longer window) is needed to read "
        "them; the overall rows pool them with the rest.",
    ),
    (
        Notice(
            "warning",
            "holdout_too_small",
            {
                "unreadable": 1,
                "comparisons": 3,
                "control": "holdout",
                "min_count": 5,
                "name_arms": False,
                "details": UNREADABLE_DETAILS[:1],
            },
        ),  # fmt: skip
        "Holdout too small to read in 1 of 3 comparison(s) against holdout, marked † in the "
        "tables (the CI crosses zero and is wider, each way, than a quarter of the control's "
        "rate, or an arm has fewer than 5 conversions or non-conversions, too few for the normal "
        "approximation): 'silent' (1,234 control) lift "
        "+1.23 pp ±3.20 (3 conversion(s) of 1,234 in control). A bigger holdout (or a longer "
        "window) is needed to read them; the overall rows pool them with the rest.",
    ),
    (
        Notice(
            "warning",
            "window_not_covered",
            {
                "last_order": "2026-05-14",
                "window_first": "2026-05-01",
                "window_last": "2026-05-20",
                "covered_days": 14,
                "window_days": 20,
            },
        ),  # fmt: skip
        "The orders file ends on 2026-05-14, inside the response window (2026-05-01 to "
        "2026-05-20): only 14 of its 20 days are covered, so later responses are missing in "
        "both arms and the lift reads low. Export orders up to the window's end, or pass "
        "--window-days 14.",
    ),
    (
        Notice(
            "warning",
            "window_not_started",
            {"last_order": "2026-05-14", "window_first": "2026-06-01", "window_last": "2026-06-07"},
        ),  # fmt: skip
        "The orders file ends on 2026-05-14, before the response window (2026-06-01 to "
        "2026-06-07) starts: no response can be measured. Check --start, or export the orders "
        "of the window.",
    ),
    (
        Notice(
            "warning",
            "window_not_started",
            {"last_order": None, "window_first": "2026-06-01", "window_last": "2026-06-07"},
        ),
        "The orders file has no order, before the response window (2026-06-01 to 2026-06-07) "
        "starts: no response can be measured. Check --start, or export the orders of the "
        "window.",
    ),
    (
        Notice("note", "unknown_customers", {"rows": 12345}),
        "12,345 outcome row(s) of customers who are not in the experiment were ignored.",
    ),
    (
        Notice(
            "warning",
            "cycle_stages_fall_back",
            {
                "repeat_buyers": 1999,
                "min_repeat_buyers": 2000,
                "active_days": 30,
                "silent_days": 90,
                "churn_days": 180,
            },
        ),  # fmt: skip
        "only 1,999 customers ordered on two different days before the as-of date (cycle stages "
        "need 2,000), so lifecycle uses the day rules (active 30, silent 90, churn 180 days); "
        "pass --thresholds fixed to silence this",
    ),
    (
        Notice(
            "warning",
            "customers_match_no_buyer",
            {"customers": 3, "buyers": 2, "examples": ("123", "00123")},
        ),
        "none of the customer table's 3 ids is one of the 2 buyers' (e.g. '123' against "
        "'00123'): the two files write ids otherwise (leading zeros, spaces, case), so no "
        "customer has both orders and attributes; make the id columns alike",
    ),
    (
        Notice("warning", "negative_monetary", {"customers": 2}),
        "2 customer(s) have a negative monetary value: refund rows netted below their purchases "
        "in the window (refunds of orders before it, or of orders the file lacks)",
    ),
    (
        Notice("warning", "as_of_after_orders", {"days": 4990}),
        "the latest order is 4,990 days before the as-of date, so every customer reads as "
        "lapsed; check --as-of (the campaign's start) and that the file holds the recent orders",
    ),
    (
        Notice("note", "as_of_from_orders", {"as_of": "2026-10-20", "latest": "2026-10-19 21:33"}),
        "no --as-of given: segmented as of 2026-10-20, the day after the latest counted order "
        "(2026-10-19 21:33); pass --as-of to segment as of another date",
    ),
    (
        Notice("note", "orders_counted", dataclasses.asdict(COUNTING)),
        "Orders: 3 extra line-item row(s) merged into their order; 1,200 row(s) with status "
        "'cancelled' not counted; 0 row(s) with status '已关闭' not counted; 4 unpaid row(s) (no "
        "payment time) not counted; 5 fully refunded order(s) not counted; 6 partly refunded "
        "order(s) counted at their net; 7 refund row(s) netted into customer totals.",
    ),
]


@pytest.mark.parametrize(("notice", "english"), ENGLISH, ids=[n.code for n, _ in ENGLISH])
def test_each_code_renders_the_old_english_sentence(notice: Notice, english: str) -> None:
    assert render_notice(notice) == english


def test_every_code_is_in_the_table() -> None:
    assert {notice.code for notice, _ in ENGLISH} == CODES


@pytest.mark.parametrize(("notice", "english"), ENGLISH, ids=[n.code for n, _ in ENGLISH])
def test_each_code_renders_in_chinese_too(notice: Notice, english: str) -> None:
    chinese = render_notice(notice, ZH_LABELS)
    assert chinese != english
    assert any("\u4e00" <= char <= "\u9fff" for char in chinese)


def test_a_chinese_notice_keeps_its_numbers_and_translates_its_labels() -> None:
    notice = Notice("warning", "unadjusted", {"comparisons": 12})
    assert render_notice(notice, ZH_LABELS) == (
        "p 值未针对 12 次比较做校正：部分“显著”的细分可能只是偶然。请使用 --adjust holm 或 bh。"
    )
    where = Notice("note", "where_compared", {"one_each": False, "where": (("sms", ("silent",)),)})
    assert render_notice(where, ZH_LABELS) == "每个组只在其被分配到的细分中比较：'沉默'中的 短信。"


def test_steps_give_codes_and_numbers_not_sentences() -> None:
    assert analysis_notices.whale_notice(0.8) == Notice("warning", "whale_share", {"share": 0.8})
    assert analysis_notices.unknown_customers_notice(0) is None
    times = pd.Series(pd.to_datetime(["2026-05-14 08:00"]))
    short = outcomes.window_coverage_notice(times, pd.Timestamp("2026-05-01"), 20)
    assert short == Notice(
        "warning",
        "window_not_covered",
        {"last_order": "2026-05-14", "window_first": "2026-05-01", "window_last": "2026-05-20",
         "covered_days": 14, "window_days": 20},
    )  # fmt: skip


def test_order_counting_lines_say_only_what_changed() -> None:
    assert order_counting_lines(OrderCounting(rows_read=5, orders_counted=5)) == []
    assert not OrderCounting(rows_read=5, orders_counted=5).changed_anything
    few = OrderCounting(rows_read=5, orders_counted=4, fully_refunded=1, refund_rows=1)
    assert few.changed_anything
    assert order_counting_lines(few) == [
        "1 fully refunded order(s) not counted",
        "1 refund row(s) netted into customer totals",
    ]
    assert order_counting_lines(few, ZH_LABELS) == [
        "1 笔全额退款订单未计入",
        "1 行退款记录已从客户合计中扣除",
    ]
