"""The notices of design, import-campaign, target, the model's evaluation and the data readers:
each code renders to the English sentence its step used to write itself (typed here, not read
from the module), and each step gives codes and numbers, not sentences."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from uplift_lab import io
from uplift_lab.campaign_import import combine_send_log, import_campaign
from uplift_lab.design import design_experiment
from uplift_lab.errors import DataWarning
from uplift_lab.notices import Notice
from uplift_lab.outcomes import join_outcomes
from uplift_lab.power import OVERALL, mde_per_stratum
from uplift_lab.report.notice_text import render_notice
from uplift_lab.report.step_notice_text import CODES
from uplift_lab.target import Channel, TargetConfig, guard_channels, split_holdout
from uplift_lab.timeparse import parse_times
from uplift_lab.uplift.evaluate import evaluate_scores
from uplift_lab.uplift.guardrails import verdict_notices
from uplift_lab.uplift.metrics import uplift_curve_metrics
from uplift_lab.uplift.verdict import NOT_USEFUL, USEFUL

SEND_REVENUE = {"arm": "send", "control": "control", "outcome": "revenue"}
VERDICT = "inconclusive: its Qini 0.042 is above 0, but p = 0.128. Collect more"

ENGLISH = [
    # design
    (
        Notice(
            "warning", "design_small_holdout", {"stratum": "silent", "n": 30, "min_holdout": 35}
        ),
        "stratum 'silent': holdout of 30 customer(s) is below --min-holdout 35; its lift cannot "
        "be read",
    ),
    (
        Notice(
            "warning",
            "mde_above_target",
            {"stratum": "silent", "arm": "sms", "mde": 0.0347, "target_lift": 0.03},
        ),
        "stratum 'silent', arm 'sms': minimum detectable lift 3.47% is larger than the target "
        "lift 3.00%",
    ),
    (
        Notice(
            "warning",
            "mde_above_target",
            {"stratum": OVERALL, "arm": "send", "mde": None, "target_lift": 0.01},
        ),
        "overall, arm 'send': minimum detectable lift not detectable is larger than the target "
        "lift 1.00%",
    ),
    (
        Notice(
            "warning",
            "imbalanced_covariate",
            {
                "stratum": "silent",
                "arm": "send",
                "covariate": "rfm_r",
                "smd": 0.1412,
                "threshold": 0.1,
                "noise": 0.0468,
            },
        ),  # fmt: skip
        "stratum 'silent', arm 'send': covariate 'rfm_r' is imbalanced (SMD +0.141, |SMD| > 0.1; "
        "chance alone gives SMDs of about ±0.047 here)",
    ),
    (
        Notice(
            "warning",
            "imbalanced_in_small_holdouts",
            {"covariates": 9, "threshold": 0.1, "min_holdout": 200},
        ),
        "9 covariate(s) with |SMD| > 0.1 in strata whose holdout is below --min-holdout 200 "
        "(small groups differ by chance; design.json)",
    ),
    (
        Notice(
            "warning", "target_small_holdout", {"stratum": "silent|sms", "n": 4, "min_holdout": 200}
        ),
        "stratum 'silent|sms': holdout of 4 customer(s) is below 200; its lift cannot be read on "
        "its own",
    ),
    # target
    (
        Notice("warning", "no_model"),
        "no --model given: whether the scores' model beats random targeting is not checked (pass "
        "--model MODEL_DIR, the folder train wrote)",
    ),
    (
        Notice("warning", "scores_not_used", {"scores": "out/scores.parquet"}),
        "--policy segments: out/scores.parquet is not used (no model needed)",
    ),
    (
        Notice(
            "warning",
            "channel_dropped",
            {"channel": "sms", "verdict": "not useful: Qini 0.01.", "kept_anyway": False},
        ),
        "channel 'sms' dropped: its model is not useful: Qini 0.01. Its customers can still get "
        "the other channels",
    ),
    (
        Notice(
            "warning",
            "channel_dropped",
            {"channel": "sms", "verdict": "not useful: Qini 0.01.", "kept_anyway": True},
        ),
        "channel 'sms' dropped: its model is not useful: Qini 0.01. Its customers can still get "
        "the other channels (kept: --accept-weak-model)",
    ),
    (
        Notice("warning", "channel_inconclusive", {"channel": "edm", "verdict": VERDICT}),
        "channel 'edm' kept, but its model is not shown to beat random targeting (inconclusive: "
        "its Qini 0.042 is above 0, but p = 0.128): its calibrated predictions lean on the "
        "average effect the past campaign measured, and this send's holdout will tell",
    ),
    (
        Notice("warning", "channels_unchecked", {"channels": ("push", "app")}),
        "channel(s) push, app: the model has no arm of that name, so their scores are not checked",
    ),
    (
        Notice("warning", "not_in_segments", {"customers": 1234}),
        "1,234 scored customer(s) are not in the segments file and are not eligible",
    ),
    (
        Notice("warning", "no_holdout"),
        "--holdout 0: no holdout, so nobody will be able to measure what this campaign earned",
    ),
    (
        Notice(
            "warning",
            "small_send_holdouts",
            {
                "small": 6,
                "holdouts": 6,
                "min_holdout": 200,
                "smallest": "semi_active|mms",
                "size": 4,
            },
        ),
        "6 of 6 segment x channel holdouts have fewer than 200 customers (smallest: "
        "'semi_active|mms' with 4): read their lifts together (overall per channel), not one by "
        "one",
    ),
    (
        Notice("warning", "none_picked_in_past", {"past": "past.csv"}),
        "past.csv: none of the past campaign's customers is picked by this plan",
    ),
    (
        Notice(
            "warning",
            "predicted_against_measured",
            {
                "predicted": 594.012,
                "picks": 1499,
                "measured": -134.13,
                "confidence": 0.95,
                "ci_low": -1525.28,
                "ci_high": 257.01,
                "side": "above",
            },
        ),
        "the plan predicts 594.01 profit for its 1,499 picks that were in the past campaign; the "
        "campaign measured -134.13 for them (95% CI -1,525.28 to 257.01): the prediction is above "
        "what was measured, so the plan's expected profit is not borne out (the model's levels "
        "are off, or the customers have changed since)",
    ),
    (
        Notice(
            "warning",
            "predicted_against_measured",
            {
                "predicted": 10.0,
                "picks": 9,
                "measured": 12.5,
                "confidence": 0.9,
                "ci_low": 1.0,
                "ci_high": 20.0,
                "side": "inside",
            },
        ),
        "the plan predicts 10.00 profit for its 9 picks that were in the past campaign; the "
        "campaign measured 12.50 for them (90% CI 1.00 to 20.00): consistent",
    ),
    # the data readers
    (
        Notice(
            "warning",
            "mixed_offsets",
            {
                "source": "shopify.csv",
                "column": "Paid at",
                "offsets": ("-05:00", "-04:00"),
                "target": "-05:00",
            },
        ),
        "shopify.csv: column 'Paid at' mixes the offsets -05:00, -04:00, one hour apart: a zone "
        "with summer time (daylight saving) writes them so. All times were converted to -05:00, "
        "the offset of its first value, which moves the other season's times by an hour (and some "
        "across midnight). Pass --timezone with the shop's zone (e.g. America/New_York, "
        "Europe/Berlin) to keep its calendar days",
    ),
    (
        Notice(
            "warning",
            "mixed_offsets",
            {
                "source": "orders.csv",
                "column": "paid",
                "offsets": ("+00:00", "+01:00", "+05:30", "+08:00", "-05:00"),
                "target": "+08:00",
            },
        ),
        "orders.csv: column 'paid' mixes time-zone offsets (+00:00, +01:00, +05:30, +08:00 ...); "
        "all times were converted to +08:00, the offset of its first value. Pass --timezone (e.g. "
        "Asia/Shanghai) to choose the shop's zone",
    ),
    (
        Notice(
            "warning", "garbled_header", {"path": "o.csv", "header": "め絪腹", "encoding": "gbk"}
        ),
        "o.csv: its header reads as 'め絪腹' in gbk, which looks garbled; if these are not the "
        "column names, pass the file's encoding, e.g. --encoding big5 (or gbk, gb18030, utf-16)",
    ),
    (
        Notice(
            "warning", "arm_without_outcomes", {"arm": "sms", "customers": 5117, "expected": 460.5}
        ),
        "arm 'sms': none of its 5,117 customers has an outcome row, where the other arms' rate "
        "gives about 460: its ids are most likely written otherwise than the outcomes' (e.g. "
        "'+86 138...' against '138...', or lost leading zeros); make the two id columns alike, "
        "or its rates read as zero",
    ),
    (
        Notice(
            "warning",
            "status_unmatched",
            {
                "option": "--exclude-status",
                "status": "canceled",
                "column": "status",
                "present": "'cancelled', 'paid'",
            },
        ),  # fmt: skip
        "--exclude-status 'canceled' matches no row of column 'status' (its statuses: "
        "'cancelled', 'paid'); check the spelling",
    ),
    (
        Notice(
            "note",
            "thousands_dots",
            {"path": "o.csv", "column": "Betrag", "example": "1.042"},
        ),
        "o.csv: column 'Betrag' read '1.042' with its dots as thousands separators (as a "
        'semicolon file writes them); if they are decimal points, add decimal = "." to the '
        "file's section of a --columns map",
    ),
    (
        Notice(
            "note",
            "title_lines_skipped",
            {"path": "o.xlsx", "lines": 2, "first": "订单报表", "header_line": 3},
        ),
        "o.xlsx: 2 line(s) above the column names skipped (a title such as '订单报表'); the "
        "header read is line 3",
    ),
    (
        Notice(
            "note",
            "other_sheets_not_read",
            {"path": "r.xlsx", "sheet": "Year 2009-2010", "others": "'Year 2010-2011'"},
        ),
        "r.xlsx: read its first sheet 'Year 2009-2010'; its other sheet(s) 'Year 2010-2011' are "
        'not read (choose one with sheet = "NAME" in the file\'s section of the --columns map, '
        'or stack them all with sheet = "*")',
    ),
    (
        Notice(
            "warning",
            "product_line_rows",
            {"source": "purchases.csv", "repeated": "1,204", "rows": "2,000"},
        ),
        "purchases.csv: 1,204 of its first 2,000 rows repeat another row's customer, time and "
        "amount: one row per product line? Each row counts as an order (frequency and monetary "
        'count every line). Map the order id and line_items = "first" in a --columns map to '
        "count each order once",
    ),
    (
        Notice(
            "note",
            "outcomes_id_column",
            {"source": "uplift_train.csv", "column": "client_id", "id_col": "customer_id"},
        ),
        "uplift_train.csv: no column 'customer_id' (the scores' id): its column 'client_id', "
        "named like a customer id, is joined with the scores' 'customer_id'",
    ),
    (
        Notice("note", "borrowed_score", {"channels": ("edm",), "arms": ("SMS",)}),
        "channel(s) 'edm': no model of their own (the scores' arms: SMS), so they are valued by "
        "the shared uplift_revenue as if they moved customers as much; pass --response "
        "CHANNEL=FACTOR (e.g. edm=0.35) where a channel moves them less",
    ),
    (
        Notice("note", "arm_as_channel", {"analysis": "r.json", "arm": "send", "channel": "sms"}),
        "r.json: its one treated arm 'send' is read as the channel 'sms' (the one channel given)",
    ),
    (
        Notice("note", "default_baseline", {"baseline": 0.03}),
        "the power figures assume a 3% response rate in every stratum (the default): pass "
        "--baseline-from REPORT.json (a past analyze report: each segment's control rate), "
        "--baseline-col COL or --baseline RATE for the shop's own rates",
    ),
    (
        Notice("warning", "validated_on_training_data", {"past": "hill.csv", "model": "m"}),
        "hill.csv is the file m was trained on: valued on it, the plan and the rules are judged "
        "on outcomes the model has seen, so the comparison is not independent (pass a later "
        "campaign, or one held out from training)",
    ),
    (
        Notice("note", "utc_times", {"source": "send_log.csv", "column": "send_time"}),
        "send_log.csv: column 'send_time' is written in UTC (Z or +00:00), so days and hours are "
        "UTC's; pass --timezone with the shop's zone (e.g. Asia/Shanghai) to read them on the "
        "shop's clock",
    ),
    (
        Notice(
            "warning",
            "sends_outside_window",
            {
                "outside": 6007,
                "sends": 6007,
                "start": "2026-08-01",
                "end": "2026-08-07",
                "first": "2026-08-21 10:05",
                "last": "2026-08-21 11:59",
            },
        ),  # fmt: skip
        "6007 of 6007 send(s) fall outside the response window 2026-08-01 to 2026-08-07 (sends "
        "from 2026-08-21 10:05 to 2026-08-21 11:59): a start after the sends leaves out the "
        "orders they caused, one before them measures days no message was in. Check --start and "
        "--window-days",
    ),
    (
        Notice(
            "note",
            "send_status_unread",
            {"source": "log.csv", "column": "status", "statuses": "delivered 5,539, failed 468"},
        ),
        "log.csv: column 'status' (delivered 5,539, failed 468) is not read: every logged send "
        "stays in its arm, delivered or not (intent to treat: what sending achieves, failures "
        "included)",
    ),
    (
        Notice("note", "ids_not_unique", {"source": "sb.csv", "column": "ID"}),
        "sb.csv: column 'ID' is named like a customer id but repeats or misses values, so the "
        "model and the scores are keyed by row number (row 0, 1, ...); pass --id-col to name the "
        "id",
    ),
    (
        Notice("note", "id_from_column", {"source": "starbucks.csv", "column": "ID"}),
        "starbucks.csv: column 'ID' is named like a customer id and its values are unique: it "
        "keys the model and the scores. Pass --id-col to choose another",
    ),
    (
        Notice(
            "note",
            "outcome_labels",
            {"source": "gerber.csv", "column": "voted", "positive": "Yes", "negative": "No"},
        ),
        "gerber.csv: outcome column 'voted' holds only 'Yes' and 'No': 'Yes' is read as "
        "converted (1), 'No' as not (0)",
    ),
    (
        Notice(
            "note",
            "arm_case_folded",
            {"path": "log.csv", "column": "channel", "labels": "'SMS', 'Sms', 'sms'", "arm": "sms"},
        ),
        "log.csv: column 'channel' has the labels 'SMS', 'Sms', 'sms', which differ only in "
        "letter case: read as one arm 'sms'",
    ),
    (
        Notice(
            "note",
            "implied_control",
            {"source": "criteo.csv", "column": "treatment", "control": "0", "arm": "1"},
        ),
        "criteo.csv: column 'treatment' holds only '0' and '1', a treatment indicator: '0' is "
        "read as the control (holdout) arm. Pass --control to choose otherwise",
    ),
    (
        Notice(
            "note", "money_text", {"source": "o.csv", "column": "amount", "example": "$1,234.50"}
        ),
        "o.csv: column 'amount' holds money written as text (e.g. '$1,234.50'), read as numbers "
        "without the currency sign and thousands separators",
    ),
    (
        Notice(
            "note",
            "excel_serial_dates",
            {
                "source": "o.csv",
                "column": "date",
                "example": 45123.5,
                "date": "2023-07-16 12:00:00",
            },
        ),
        "o.csv: column 'date' holds Excel serial dates (days since 1899-12-30, e.g. 45123.5 = "
        "2023-07-16 12:00:00), read as dates. Format the column as dates in the spreadsheet if "
        "they are not",
    ),
    (
        Notice("note", "unix_times", {"source": "events.csv", "column": "timestamp", "unit": "ms"}),
        "events.csv: column 'timestamp' holds Unix times in milliseconds (since 1970-01-01 UTC), "
        "read as UTC wall-clock times. Pass --timezone (e.g. Asia/Shanghai) for the shop's "
        "calendar days",
    ),
    (
        Notice("warning", "named_feature_after_send", {"features": "visited (p = 1e-40)"}),
        "named feature(s) visited (p = 1e-40) differ between the arms far beyond chance: "
        "measured after the send, or the arms were not randomized over them. Kept because "
        "--features names them, but a model that learns an outcome of the send ranks by it "
        "(leave them out of --features)",
    ),
    (
        Notice(
            "warning",
            "named_feature_decides_outcome",
            {"features": "conversion (1,234 rows other than 0, all converted)"},
        ),
        "named feature(s) conversion (1,234 rows other than 0, all converted): every row away "
        "from its most common value converted, far beyond chance, so it is another outcome of "
        "the send. Kept because --features names it, but it is not known before a send (leave "
        "it out of --features)",
    ),
    # the model's evaluation
    (
        Notice("note", "no_arm_in_set", {"missing": "control"}),
        "no control customers in this set: no metric can be computed",
    ),
    (
        Notice("note", "outcome_constant"),
        "the outcome does not vary: Qini and AUUC are undefined",
    ),
    (
        Notice("note", "no_arm_in_top_k", {"k": 0.1, "missing": "treated", "top": 1234}),
        "uplift@10%: no treated customers among the top 1234, so uplift and incremental outcome "
        "there cannot be measured",
    ),
    (
        Notice("note", "bootstrap_subsample", {"rows": 200000, "total": 1234567}),
        "customer bootstrap on a stratified subsample of 200,000 of 1,234,567 rows, intervals "
        "rescaled to the full size (m-out-of-n bootstrap)",
    ),
    (
        Notice("note", "no_rfm_baseline", {"rfm_col": "rfm_score"}),
        "no RFM baseline: the data has neither 'rfm_score' nor two of recency/frequency/monetary",
    ),
    (
        Notice("note", "rfm_rule_columns", {"columns": ("recency", "frequency")}),
        "RFM rule ranks by recency, frequency",
    ),
    (
        Notice("note", "no_purchase_baseline", {"column": "p_control"}),
        "no purchase-probability baseline: no 'p_control' column",
    ),
    (
        Notice(
            "warning",
            "model_not_useful",
            {
                "arm": "sms",
                "control": "control",
                "outcome": "revenue",
                "verdict": "not useful: Qini 0.01",
            },
        ),
        "Warning: the chosen model for sms vs control, revenue does not beat random targeting on "
        "the held-out folds (not useful: Qini 0.01). `target --model` drops this channel; "
        "`target --policy segments` targets by the measured effects instead.",
    ),
    (
        Notice(
            "note",
            "model_not_shown_useful",
            {
                "arm": "sms",
                "control": "control",
                "outcome": "conversion",
                "verdict": "inconclusive",
            },
        ),
        "Note: the chosen model for sms vs control, conversion is not shown to beat random "
        "targeting (inconclusive).",
    ),
    (
        Notice(
            "warning",
            "model_not_beating_rfm",
            {**SEND_REVENUE, "estimate": 0.1341, "ci_low": -0.0182, "ci_high": 0.312},
        ),
        "Warning: the chosen model for send vs control, revenue is not shown to beat the RFM "
        "rule: its Qini minus the RFM rule's is +0.134 (95% CI -0.018 to +0.312).",
    ),
    (
        Notice(
            "warning",
            "model_not_beating_rfm",
            {**SEND_REVENUE, "estimate": None, "ci_low": None, "ci_high": None},
        ),
        "Warning: the chosen model for send vs control, revenue is not shown to beat the RFM "
        "rule: its Qini minus the RFM rule's is n/a.",
    ),
    # import-campaign
    (
        Notice(
            "critical",
            "imported_srm",
            {
                "where": "tiny",
                "observed": {"control": 22, "sms": 1068},
                "expected": {"control": 0.5, "sms": 0.5},
                "p_value": 2.66e-16,
            },
        ),  # fmt: skip
        "SAMPLE RATIO MISMATCH in stratum 'tiny': observed control 22, sms 1,068 vs --expected "
        "control 50.0%, sms 50.0% (chi-square p = 2.7e-16). The split is not what was intended: "
        "find the cause (customers lost from one arm, a filter, a re-run) before trusting any "
        "analysis",
    ),
    (
        Notice(
            "critical",
            "imported_srm",
            {
                "where": OVERALL,
                "observed": {"control": 627, "edm": 1223},
                "expected": {"control": 0.5, "edm": 0.5},
                "p_value": 3.7e-222,
            },
        ),  # fmt: skip
        "SAMPLE RATIO MISMATCH overall: observed control 627, edm 1,223 vs --expected control "
        "50.0%, edm 50.0% (chi-square p = 3.7e-222). The split is not what was intended: find "
        "the cause (customers lost from one arm, a filter, a re-run) before trusting any analysis",
    ),
    (
        Notice(
            "warning", "imported_small_holdout", {"stratum": "all", "n": 1999, "min_holdout": 2000}
        ),
        "stratum 'all': holdout of 1,999 customer(s) is below 2000; its lift cannot be read",
    ),
    (
        Notice("note", "untimed_sends", {"sends": 259, "column": "send_time"}),
        "259 send(s) without a send time in column 'send_time' (failed deliveries, as a send log "
        "writes them) kept in their arm: intent to treat",
    ),
    (
        Notice("note", "repeated_sends", {"sends": 1234}),
        "1,234 repeated send(s) of the same customer on the same channel collapsed (first send "
        "kept)",
    ),
]


@pytest.mark.parametrize(("notice", "english"), ENGLISH, ids=[n.code for n, _ in ENGLISH])
def test_each_code_renders_the_old_english_sentence(notice: Notice, english: str) -> None:
    assert notice.code in CODES
    assert render_notice(notice) == english


def test_no_code_is_left_out_of_the_table() -> None:
    assert CODES - {notice.code for notice, _ in ENGLISH} == set()


def _customers(sizes: dict[str, int], seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    strata = np.repeat(list(sizes), list(sizes.values()))
    return pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(len(strata))],
            "lifecycle": strata,
            "recency": rng.exponential(60, len(strata)),
            "frequency": rng.poisson(3, len(strata)).astype(float),
        }
    )


def test_design_gives_codes_for_small_holdouts_and_imbalance() -> None:
    design = design_experiment(_customers({"big": 400, "small": 60}), name="n", min_holdout=35)
    assert design.small_holdouts == {"small": 6}
    assert design.warnings[0] == Notice(
        "warning", "design_small_holdout", {"stratum": "small", "n": 6, "min_holdout": 35}
    )
    flagged = design.balance.flagged
    in_small = flagged["stratum"] == "small"
    assert in_small.any() and (~in_small).any()
    loud = [n for n in design.warnings if n.code == "imbalanced_covariate"]
    assert [(n.params["stratum"], n.params["covariate"]) for n in loud] == list(
        zip(flagged["stratum"][~in_small], flagged["covariate"][~in_small], strict=True)
    )
    assert design.warnings[-1] == Notice(
        "warning",
        "imbalanced_in_small_holdouts",
        {"covariates": int(in_small.sum()), "threshold": 0.1, "min_holdout": 35},
    )


def test_power_gives_a_code_per_mde_above_the_target() -> None:
    counts = {"a": {"control": 100, "sms": 900}, "b": {"control": 5000, "sms": 5000}}
    report = mde_per_stratum(counts, {"a": 0.05, "b": 0.05}, target_lift=0.02)
    assert [n.code for n in report.warnings] == ["mde_above_target"]
    (notice,) = report.warnings
    assert notice.params["stratum"] == "a" and notice.params["arm"] == "sms"
    assert notice.params["mde"] > 0.02 and notice.params["target_lift"] == 0.02


def test_target_holdout_gives_a_code_per_small_holdout() -> None:
    selected = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(300)],
            "channel": ["sms"] * 300,
            "segment": ["a"] * 300,
            "expected_cost": 0.05,
            "expected_incremental_revenue": 1.0,
            "expected_profit": 0.5,
            "rank": range(1, 301),
        }
    )
    split = split_holdout(selected, 0.1, name="t", salt="s", min_holdout=200)
    (notice,) = split.design.warnings
    assert notice.code == "target_small_holdout" and notice.params["min_holdout"] == 200
    assert notice.params["n"] == split.design.small_holdouts[notice.params["stratum"]] < 200


def test_target_guardrails_give_codes_with_the_verdicts() -> None:
    config = TargetConfig(channels=(Channel("sms", 0.05), Channel("push", 0.0)), budget=9.0,
                          margin=0.3)  # fmt: skip
    verdicts = {
        "sms": {"revenue": {"verdict": NOT_USEFUL, "text": "no better."}},
        "edm": {"revenue": {"verdict": USEFUL, "text": "useful."}},
    }
    _, notices = guard_channels(config, verdicts, accept_weak_model=True, source="m")
    assert notices == (
        Notice("warning", "channel_dropped",
               {"channel": "sms", "verdict": "no better.", "kept_anyway": False}),
        Notice("warning", "channels_unchecked", {"channels": ("push",)}),
    )  # fmt: skip


def test_mixed_offsets_warn_with_a_code_not_a_sentence() -> None:
    values = pa.array(["2026-05-03 10:00:00+08:00", "2026-05-03 23:30:00+00:00"])
    with pytest.warns(DataWarning) as caught:
        parse_times(values, "orders.csv", "paid")
    assert [warning.message.notice for warning in caught] == [
        Notice("warning", "mixed_offsets", {"source": "orders.csv", "column": "paid",
               "offsets": ("+00:00", "+08:00"), "target": "+08:00"})
    ]  # fmt: skip


def test_a_garbled_header_warns_with_a_code_not_a_sentence(tmp_path) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes("客戶編號,訂單時間\nC1,2026-05-01\n".encode("big5"))
    with pytest.warns(DataWarning) as caught:
        io.read_table(path)
    (notice,) = [warning.message.notice for warning in caught]
    assert notice.code == "garbled_header" and notice.params["path"] == str(path)
    assert notice.params["encoding"] == "gb18030" and "," in notice.params["header"]


def test_uplift_metrics_give_codes_for_an_arm_missing_from_the_top() -> None:
    outcome = np.array([1, 0, 1, 0, 1, 0, 0, 1, 0, 0] * 2)
    treatment = np.array([1] * 4 + [0, 1] * 8)
    metrics = uplift_curve_metrics(outcome, -np.arange(20.0), treatment, ks=(0.2, 0.5))
    assert metrics.notes == (
        Notice("note", "no_arm_in_top_k", {"k": 0.2, "missing": "control", "top": 4}),
    )
    constant = uplift_curve_metrics(np.zeros(20), -np.arange(20.0), treatment, ks=(0.5,))
    assert constant.notes == (Notice("note", "outcome_constant"),)


def test_evaluation_gives_codes_for_its_baselines() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "score": rng.normal(size=400),
            "converted": rng.integers(0, 2, 400),
            "arm": np.where(np.arange(400) % 2 == 0, "sms", "control"),
            "recency": rng.integers(1, 300, 400),
            "frequency": rng.integers(1, 9, 400),
        }
    )
    evaluation = evaluate_scores(
        frame, score_cols=["score"], outcome_col="converted", treatment_col="arm",
        control="control", n_splits=2, n_bootstrap=0,
    )  # fmt: skip
    assert evaluation.notes == (
        Notice("note", "rfm_rule_columns", {"columns": ("recency", "frequency")}),
        Notice("note", "no_purchase_baseline", {"column": "p_control"}),
    )


def test_train_verdicts_give_codes() -> None:
    difference = {"estimate": 0.02, "ci_low": -0.03, "ci_high": 0.08}
    verdicts = {  # fmt: skip
        "sms": {
            "conversion": {"verdict": NOT_USEFUL, "text": "no better."},
            "revenue": {
                "verdict": "inconclusive",
                "beats_rfm": False,
                "rfm_difference": difference,
            },
        }
    }
    where = {"arm": "sms", "control": "control"}
    assert verdict_notices(verdicts, "control") == [
        Notice("warning", "model_not_useful",
               {**where, "outcome": "conversion", "verdict": "no better."}),
        Notice("note", "model_not_shown_useful",
               {**where, "outcome": "revenue", "verdict": "inconclusive"}),
        Notice("warning", "model_not_beating_rfm", {**where, "outcome": "revenue", **difference}),
    ]  # fmt: skip


def test_import_campaign_gives_codes_for_srm_and_small_holdouts() -> None:
    frame = pd.DataFrame(
        {"customer_id": [f"c{i}" for i in range(1000)], "arm": ["control"] * 100 + ["sms"] * 900}
    )
    campaign = import_campaign(
        frame, name="past", source="c.csv", expected={"control": 0.5, "sms": 0.5}
    )
    srm, small = campaign.warnings
    assert srm.level == "critical" and srm.code == "imported_srm"
    assert srm.params["where"] == OVERALL
    assert srm.params["observed"] == {"control": 100, "sms": 900}
    assert small == Notice(
        "warning", "imported_small_holdout", {"stratum": "all", "n": 100, "min_holdout": 200}
    )


def test_send_log_gives_a_code_for_repeated_sends() -> None:
    sends = pd.DataFrame({"customer_id": ["a", "a", "a"], "channel": ["sms"] * 3})
    _, notes = combine_send_log(
        sends, pd.DataFrame({"customer_id": ["h"]}), send_source="s", holdout_source="h",
        send_time_col=None,
    )  # fmt: skip
    assert notes == [Notice("note", "repeated_sends", {"sends": 2})]


def test_send_log_keeps_untimed_sends_in_their_arm_and_folds_label_case() -> None:
    sends = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "c"],
            "channel": ["SMS", "sms", "sms", "Sms"],
            "send_time": ["2026-06-01 10:00", "", "2026-06-01 11:00", ""],
        }
    )
    with pytest.warns(DataWarning) as caught:
        table, notes = combine_send_log(
            sends, pd.DataFrame({"customer_id": ["h"]}), send_source="s", holdout_source="h"
        )
    folded = [w.message.notice for w in caught if w.message.notice.code == "arm_case_folded"]
    assert folded[0].params["arm"] == "sms" and "'SMS', 'Sms', 'sms'" in folded[0].params["labels"]
    assert sorted(table["arm"]) == ["control", "sms", "sms", "sms"]
    assert table.set_index("customer_id").loc["b", "send_time"] is pd.NaT
    assert str(table.set_index("customer_id").loc["c", "send_time"]) == "2026-06-01 11:00:00"
    assert Notice("note", "untimed_sends", {"column": "send_time", "sends": 2}) in notes


def test_an_arm_none_of_whose_ids_has_an_outcome_is_named_where_chance_cannot_explain_it():
    assignment = pd.DataFrame(
        {
            "customer_id": [f"+86 {i}" for i in range(500)] + [str(i) for i in range(500, 600)],
            "segment": "all",
            "arm": ["sms"] * 500 + ["control"] * 100,
        }
    )
    buyers = [str(i) for i in range(500, 520)] + [str(i) for i in range(20)]  # sms ids: '+86 i'
    outcomes = pd.DataFrame({"customer_id": buyers, "converted": 1.0, "revenue": 10.0})
    with pytest.warns(DataWarning) as caught:
        join_outcomes(assignment, outcomes)
    (notice,) = [
        w.message.notice for w in caught if w.message.notice.code == "arm_without_outcomes"
    ]
    assert notice.params == {"arm": "sms", "customers": 500, "expected": pytest.approx(100.0)}
    # a small arm with no buyer, where the others' rate gives fewer than 10: chance, no warning
    small = assignment.iloc[490:].reset_index(drop=True)  # 10 sms, 100 control (20 buyers)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        join_outcomes(small, outcomes)
