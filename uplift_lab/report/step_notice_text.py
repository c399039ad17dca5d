"""The words of the notices of design, import-campaign, target, the model's evaluation and the
data readers: a step gives a code and its numbers (:class:`~uplift_lab.notices.Notice`),
:func:`~uplift_lab.report.notice_text.render_notice` fills the code's English template here
through :class:`~uplift_lab.report.labels.Labels` (the analysis's codes live in notice_text).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from uplift_lab.notices import Notice
from uplift_lab.power import OVERALL
from uplift_lab.report.labels import Labels
from uplift_lab.uplift.verdict_data import Verdict
from uplift_lab.uplift.verdict_text import verdict_clause, verdict_sentence

# design
DESIGN_SMALL_HOLDOUT = (
    "stratum '{stratum}': holdout of {n} customer(s) is below --min-holdout {min_holdout}; its "
    "lift cannot be read"
)
MDE_ABOVE_TARGET = (
    "{where}, arm '{arm}': minimum detectable lift {mde} is larger than the target lift "
    "{target_lift:.2%}"
)
IMBALANCED_COVARIATE = (
    "stratum '{stratum}', arm '{arm}': covariate '{covariate}' is imbalanced (SMD {smd:+.3f}, "
    "|SMD| > {threshold:g}; chance alone gives SMDs of about ±{noise:.3f} here)"
)
IMBALANCED_IN_SMALL_HOLDOUTS = (
    "{covariates} covariate(s) with |SMD| > {threshold:g} in strata whose holdout is below "
    "--min-holdout {min_holdout} (small groups differ by chance; design.json)"
)
TARGET_SMALL_HOLDOUT = (
    "stratum '{stratum}': holdout of {n} customer(s) is below {min_holdout}; its lift cannot be "
    "read on its own"
)
# target
NO_MODEL = (
    "no --model given: whether the scores' model beats random targeting is not checked (pass "
    "--model MODEL_DIR, the folder train wrote)"
)
BORROWED_SCORE = (
    "channel(s) {channels}: no model of their own (the scores' arms: {arms}), so they are valued "
    "by the shared uplift_revenue as if they moved customers as much; pass --response "
    "CHANNEL=FACTOR (e.g. {example}=0.35) where a channel moves them less"
)
ARM_AS_CHANNEL = (
    "{analysis}: its one treated arm '{arm}' is read as the channel '{channel}' (the one "
    "channel given)"
)
DEFAULT_BASELINE_NOTE = (
    "the power figures assume a {baseline:.0%} response rate in every stratum (the default): "
    "pass --baseline-from REPORT.json (a past analyze report: each segment's control rate), "
    "--baseline-col COL or --baseline RATE for the shop's own rates"
)
VALIDATED_ON_TRAINING_DATA = (
    "{past} is the file {model} was trained on: valued on it, the plan and the rules are judged "
    "on outcomes the model has seen, so the comparison is not independent (pass a later "
    "campaign, or one held out from training)"
)
SENDS_OUTSIDE_WINDOW = (
    "{outside} of {sends} send(s) fall outside the response window {start} to {end} (sends "
    "from {first} to {last}): a start after the sends leaves out the orders they caused, one "
    "before them measures days no message was in. Check --start and --window-days"
)
SEND_STATUS_UNREAD = (
    "{source}: column '{column}' ({statuses}) is not read: every logged send stays in its arm, "
    "delivered or not (intent to treat: what sending achieves, failures included)"
)
SCORES_NOT_USED = "--policy segments: {scores} is not used (no model needed)"
CHANNEL_DROPPED = (
    "channel '{channel}' dropped: its model is {verdict} Its customers can still get the other "
    "channels"
)
KEPT_ANYWAY = " (kept: --accept-weak-model)"
CHANNEL_INCONCLUSIVE = (
    "channel '{channel}' kept, but its model is not shown to beat random targeting ({clause}): "
    "its calibrated predictions lean on the average effect the past campaign measured, and this "
    "send's holdout will tell"
)
CHANNELS_UNCHECKED = (
    "channel(s) {channels}: the model has no arm of that name, so their scores are not checked"
)
NOT_IN_SEGMENTS = (
    "{customers:,} scored customer(s) are not in the segments file and are not eligible"
)
NO_HOLDOUT = "--holdout 0: no holdout, so nobody will be able to measure what this campaign earned"
SMALL_SEND_HOLDOUTS = (
    "{small} of {holdouts} segment x channel holdouts have fewer than {min_holdout} customers "
    "(smallest: '{smallest}' with {size}): read their lifts together (overall per channel), not "
    "one by one"
)
NONE_PICKED_IN_PAST = "{past}: none of the past campaign's customers is picked by this plan"
PREDICTED_VS_MEASURED = (
    "the plan predicts {predicted:,.2f} profit for its {picks:,} picks that were in the past "
    "campaign; the campaign measured {measured:,.2f} for them ({confidence:.0%} CI "
    "{ci_low:,.2f} to {ci_high:,.2f})"
)
CONSISTENT = "{where}: consistent"
NOT_BORNE_OUT = (
    "{where}: the prediction is {side} what was measured, so the plan's expected profit is not "
    "borne out (the model's levels are off, or the customers have changed since)"
)
# the data readers
MIXED_OFFSETS = (
    "{source}: column '{column}' mixes time-zone offsets ({shown}); all times were converted to "
    "{target}, the offset of its first value. Pass --timezone (e.g. Asia/Shanghai) to choose the "
    "shop's zone"
)
SUMMER_TIME_OFFSETS = (
    "{source}: column '{column}' mixes the offsets {shown}, one hour apart: a zone with summer "
    "time (daylight saving) writes them so. All times were converted to {target}, the offset of "
    "its first value, which moves the other season's times by an hour (and some across "
    "midnight). Pass --timezone with the shop's zone (e.g. America/New_York, Europe/Berlin) to "
    "keep its calendar days"
)
UTC_TIMES = (
    "{source}: column '{column}' is written in UTC (Z or +00:00), so days and hours are UTC's; "
    "pass --timezone with the shop's zone (e.g. Asia/Shanghai) to read them on the shop's clock"
)
GARBLED_HEADER = (
    "{path}: its header reads as {header!r} in {encoding}, which looks garbled; if these are not "
    "the column names, pass the file's encoding, e.g. --encoding big5 (or gbk, gb18030, utf-16)"
)
ARM_CASE_FOLDED = (
    "{path}: column '{column}' has the labels {labels}, which differ only in letter case: read "
    "as one arm '{arm}'"
)
IMPLIED_CONTROL = (
    "{source}: column '{column}' holds only '{control}' and '{arm}', a treatment indicator: "
    "'{control}' is read as the control (holdout) arm. Pass --control to choose otherwise"
)
OUTCOMES_ID_COLUMN = (
    "{source}: no column '{id_col}' (the scores' id): its column '{column}', named like a "
    "customer id, is joined with the scores' '{id_col}'"
)
PRODUCT_LINE_ROWS = (
    "{source}: {repeated} of its first {rows} rows repeat another row's customer, time and "
    "amount: one row per product line? Each row counts as an order (frequency and monetary "
    'count every line). Map the order id and line_items = "first" in a --columns map to count '
    "each order once"
)
ID_FROM_COLUMN = (
    "{source}: column '{column}' is named like a customer id and its values are unique: it "
    "keys the model and the scores. Pass --id-col to choose another"
)
IDS_NOT_UNIQUE = (
    "{source}: column '{column}' is named like a customer id but repeats or misses values, so "
    "the model and the scores are keyed by row number (row 0, 1, ...); pass --id-col to name "
    "the id"
)
OUTCOME_LABELS = (
    "{source}: outcome column '{column}' holds only '{positive}' and '{negative}': "
    "'{positive}' is read as converted (1), '{negative}' as not (0)"
)
MONEY_TEXT = (
    "{source}: column '{column}' holds money written as text (e.g. '{example}'), read as numbers "
    "without the currency sign and thousands separators"
)
EXCEL_SERIAL_DATES = (
    "{source}: column '{column}' holds Excel serial dates (days since 1899-12-30, e.g. {example} "
    "= {date}), read as dates. Format the column as dates in the spreadsheet if they are not"
)
UNIX_TIMES = (
    "{source}: column '{column}' holds Unix times in {unit} (since 1970-01-01 UTC), read as UTC "
    "wall-clock times. Pass --timezone (e.g. Asia/Shanghai) for the shop's calendar days"
)
TITLE_LINES_SKIPPED = (
    "{path}: {lines} line(s) above the column names skipped (a title such as {first!r}); the "
    "header read is line {header_line}"
)
ARM_WITHOUT_OUTCOMES = (
    "arm '{arm}': none of its {customers:,} customers has an outcome row, where the other arms' "
    "rate gives about {expected:,.0f}: its ids are most likely written otherwise than the "
    "outcomes' (e.g. '+86 138...' against '138...', or lost leading zeros); make the two id "
    "columns alike, or its rates read as zero"
)
STATUS_UNMATCHED = (
    "{option} '{status}' matches no row of column '{column}' (its statuses: {present}); check "
    "the spelling"
)
THOUSANDS_DOTS = (
    "{path}: column {column!r} read {example!r} with its dots as thousands separators (as a "
    'semicolon file writes them); if they are decimal points, add decimal = "." to the file\'s '
    "section of a --columns map"
)
OTHER_SHEETS_NOT_READ = (
    "{path}: read its first sheet {sheet!r}; its other sheet(s) {others} are not read (choose "
    'one with sheet = "NAME" in the file\'s section of the --columns map, or stack them all with '
    'sheet = "*")'
)
NAMED_FEATURE_AFTER_SEND = (
    "named feature(s) {features} differ between the arms far beyond chance: measured after the "
    "send, or the arms were not randomized over them. Kept because --features names them, but a "
    "model that learns an outcome of the send ranks by it (leave them out of --features)"
)
NAMED_FEATURE_DECIDES_OUTCOME = (
    "named feature(s) {features}: every row away from its most common value converted, far "
    "beyond chance, so it is another outcome of the send. Kept because --features names it, but "
    "it is not known before a send (leave it out of --features)"
)
# the model's evaluation
NO_ARM_IN_SET = "no {missing} customers in this set: no metric can be computed"
OUTCOME_CONSTANT = "the outcome does not vary: Qini and AUUC are undefined"
NO_ARM_IN_TOP_K = (
    "uplift@{k:.0%}: no {missing} customers among the top {top}, so uplift and incremental "
    "outcome there cannot be measured"
)
BOOTSTRAP_SUBSAMPLE = (
    "customer bootstrap on a stratified subsample of {rows:,} of {total:,} rows, intervals "
    "rescaled to the full size (m-out-of-n bootstrap)"
)
NO_RFM_BASELINE = (
    "no RFM baseline: the data has neither '{rfm_col}' nor two of recency/frequency/monetary"
)
RFM_RULE_COLUMNS = "RFM rule ranks by {columns}"
NO_PURCHASE_BASELINE = "no purchase-probability baseline: no '{column}' column"
MODEL_NOT_USEFUL = (
    "Warning: the chosen model for {arm} vs {control}, {outcome} does not beat random targeting "
    "on the held-out folds ({verdict}). `target --model` drops this channel; `target --policy "
    "segments` targets by the measured effects instead."
)
MODEL_NOT_SHOWN_USEFUL = (
    "Note: the chosen model for {arm} vs {control}, {outcome} is not shown to beat random "
    "targeting ({verdict})."
)
MODEL_NOT_BEATING_RFM = (
    "Warning: the chosen model for {arm} vs {control}, {outcome} is not shown to beat the RFM "
    "rule: its Qini minus the RFM rule's is {shown}{interval}."
)
# import-campaign
IMPORTED_SRM = (
    "SAMPLE RATIO MISMATCH {place}: observed {observed} vs --expected {intended} (chi-square p = "
    "{p_value:.2g}). The split is not what was intended: find the cause (customers lost from one "
    "arm, a filter, a re-run) before trusting any analysis"
)
IMPORTED_SMALL_HOLDOUT = (
    "stratum '{stratum}': holdout of {n:,} customer(s) is below {min_holdout}; its lift cannot "
    "be read"
)
UNTIMED_SENDS = (
    "{sends:,} send(s) without a send time in column '{column}' (failed deliveries, as a send "
    "log writes them) kept in their arm: intent to treat"
)
REPEATED_SENDS = (
    "{sends:,} repeated send(s) of the same customer on the same channel collapsed (first send "
    "kept)"
)

TEMPLATES: dict[str, str] = {
    "design_small_holdout": DESIGN_SMALL_HOLDOUT,
    "default_baseline": DEFAULT_BASELINE_NOTE,
    "imbalanced_covariate": IMBALANCED_COVARIATE,
    "imbalanced_in_small_holdouts": IMBALANCED_IN_SMALL_HOLDOUTS,
    "target_small_holdout": TARGET_SMALL_HOLDOUT,
    "no_model": NO_MODEL,
    "send_status_unread": SEND_STATUS_UNREAD,
    "sends_outside_window": SENDS_OUTSIDE_WINDOW,
    "validated_on_training_data": VALIDATED_ON_TRAINING_DATA,
    "arm_as_channel": ARM_AS_CHANNEL,
    "scores_not_used": SCORES_NOT_USED,
    "not_in_segments": NOT_IN_SEGMENTS,
    "no_holdout": NO_HOLDOUT,
    "small_send_holdouts": SMALL_SEND_HOLDOUTS,
    "none_picked_in_past": NONE_PICKED_IN_PAST,
    "garbled_header": GARBLED_HEADER,
    "title_lines_skipped": TITLE_LINES_SKIPPED,
    "thousands_dots": THOUSANDS_DOTS,
    "status_unmatched": STATUS_UNMATCHED,
    "arm_without_outcomes": ARM_WITHOUT_OUTCOMES,
    "other_sheets_not_read": OTHER_SHEETS_NOT_READ,
    "implied_control": IMPLIED_CONTROL,
    "arm_case_folded": ARM_CASE_FOLDED,
    "utc_times": UTC_TIMES,
    "outcome_labels": OUTCOME_LABELS,
    "id_from_column": ID_FROM_COLUMN,
    "ids_not_unique": IDS_NOT_UNIQUE,
    "product_line_rows": PRODUCT_LINE_ROWS,
    "outcomes_id_column": OUTCOMES_ID_COLUMN,
    "money_text": MONEY_TEXT,
    "excel_serial_dates": EXCEL_SERIAL_DATES,
    "named_feature_after_send": NAMED_FEATURE_AFTER_SEND,
    "named_feature_decides_outcome": NAMED_FEATURE_DECIDES_OUTCOME,
    "no_arm_in_set": NO_ARM_IN_SET,
    "outcome_constant": OUTCOME_CONSTANT,
    "no_arm_in_top_k": NO_ARM_IN_TOP_K,
    "bootstrap_subsample": BOOTSTRAP_SUBSAMPLE,
    "no_rfm_baseline": NO_RFM_BASELINE,
    "no_purchase_baseline": NO_PURCHASE_BASELINE,
    "imported_small_holdout": IMPORTED_SMALL_HOLDOUT,
    "repeated_sends": REPEATED_SENDS,
    "untimed_sends": UNTIMED_SENDS,
}
"""The codes whose parameters fill their template as they are (the data values among them, see
:data:`VALUES`, in the report's language)."""

VALUES = frozenset({"stratum", "smallest", "arm", "control", "channel", "outcome", "missing"})
"""The parameters that are data values (strata, arms, channels, outcomes): shown through
:meth:`Labels.value <uplift_lab.report.labels.Labels.value>`, so ``--lang zh`` names them as the
tables do."""

Params = Mapping[str, Any]


def _values(params: Params, labels: Labels) -> dict[str, Any]:
    """``params`` with the data values (:data:`VALUES`) in the language of ``labels``."""
    return {key: labels.value(v) if key in VALUES else v for key, v in params.items()}


def _stratum(stratum: object, labels: Labels, lead: str = "stratum '{stratum}'") -> str:
    """'overall' for the overall row, else ``lead`` naming the stratum."""
    if stratum == OVERALL:
        return labels("overall")
    return labels(lead, stratum=labels.value(stratum))


def _mde_above_target(params: Params, labels: Labels) -> str:
    mde = params["mde"]
    shown = labels("not detectable") if mde is None or math.isnan(mde) else f"{mde:.2%}"
    return labels(
        MDE_ABOVE_TARGET,
        where=_stratum(params["stratum"], labels),
        arm=labels.value(params["arm"]),
        mde=shown,
        target_lift=params["target_lift"],
    )


def _imported_srm(params: Params, labels: Labels) -> str:
    return labels(
        IMPORTED_SRM,
        place=_stratum(params["where"], labels, "in stratum '{stratum}'"),
        observed=", ".join(f"{labels.value(a)} {n:,}" for a, n in params["observed"].items()),
        intended=", ".join(f"{labels.value(a)} {f:.1%}" for a, f in params["expected"].items()),
        p_value=params["p_value"],
    )


def _verdict(params: Params, labels: Labels) -> str:
    """The model's verdict in the language of ``labels`` from its data (``reason``); the stored
    English sentence as it is when there is no data (an older model folder)."""
    if params.get("reason") is None:
        return str(params["verdict"])
    return verdict_sentence(Verdict.from_dict(params["reason"]), labels)


def _channel_dropped(params: Params, labels: Labels) -> str:
    channel = labels.value(params["channel"])
    text = labels(CHANNEL_DROPPED, channel=channel, verdict=_verdict(params, labels))
    return text + (labels(KEPT_ANYWAY) if params["kept_anyway"] else "")


def _channel_inconclusive(params: Params, labels: Labels) -> str:
    """The verdict's sentence up to its first full stop (the advice after it is for evaluate)."""
    if params.get("reason") is None:
        clause = str(params["verdict"]).split(". ")[0].rstrip(".")
    else:
        clause = verdict_clause(Verdict.from_dict(params["reason"]), labels)
    return labels(CHANNEL_INCONCLUSIVE, channel=labels.value(params["channel"]), clause=clause)


def _channels_unchecked(params: Params, labels: Labels) -> str:
    channels = ", ".join(labels.value(channel) for channel in params["channels"])
    return labels(CHANNELS_UNCHECKED, channels=channels)


def _predicted_against_measured(params: Params, labels: Labels) -> str:
    where = labels(
        PREDICTED_VS_MEASURED,
        **{key: params[key] for key in ("predicted", "picks", "measured", "confidence")},
        ci_low=params["ci_low"],
        ci_high=params["ci_high"],
    )
    if params["side"] == "inside":
        return labels(CONSISTENT, where=where)
    return labels(NOT_BORNE_OUT, where=where, side=labels(params["side"]))


def _offset_minutes(text: str) -> int | None:
    """Minutes east of UTC of an offset written ``+08:00`` (None for anything else)."""
    if len(text) != 6 or text[0] not in "+-" or text[3] != ":":
        return None
    minutes = 60 * int(text[1:3]) + int(text[4:6])
    return minutes if text[0] == "+" else -minutes


def _mixed_offsets(params: Params, labels: Labels) -> str:
    offsets = params["offsets"]
    shown = ", ".join(offsets[:4]) + (" ..." if len(offsets) > 4 else "")
    minutes = [_offset_minutes(str(offset)) for offset in offsets]
    summer_time = len(minutes) == 2 and None not in minutes and abs(minutes[0] - minutes[1]) == 60
    return labels(
        SUMMER_TIME_OFFSETS if summer_time else MIXED_OFFSETS,
        source=params["source"],
        column=params["column"],
        shown=shown,
        target=params["target"],
    )


UNIX_UNIT_WORDS = {"s": "seconds", "ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds"}


def _unix_times(params: Params, labels: Labels) -> str:
    unit = labels(UNIX_UNIT_WORDS[params["unit"]])
    return labels(UNIX_TIMES, source=params["source"], column=params["column"], unit=unit)


def _rfm_rule_columns(params: Params, labels: Labels) -> str:
    return labels(RFM_RULE_COLUMNS, columns=", ".join(params["columns"]))


def _model_not_beating_rfm(params: Params, labels: Labels) -> str:
    estimate, low, high = params["estimate"], params["ci_low"], params["ci_high"]
    shown = labels("n/a") if estimate is None else f"{estimate:+.3f}"
    interval = (
        "" if low is None else labels(" (95% CI {low:+.3f} to {high:+.3f})", low=low, high=high)
    )
    where = _values({key: params[key] for key in ("arm", "control", "outcome")}, labels)
    return labels(MODEL_NOT_BEATING_RFM, **where, shown=shown, interval=interval)


def _model_not_useful(params: Params, labels: Labels) -> str:
    where = _values({key: params[key] for key in ("arm", "control", "outcome")}, labels)
    return labels(MODEL_NOT_USEFUL, **where, verdict=_verdict(params, labels))


def _model_not_shown_useful(params: Params, labels: Labels) -> str:
    """The verdict is a word of the verdicts' table (inconclusive), named as the tables do."""
    values = {**_values(params, labels), "verdict": labels.value(params["verdict"])}
    return labels(MODEL_NOT_SHOWN_USEFUL, **values)


def _borrowed_score(params: Params, labels: Labels) -> str:
    channels = ", ".join(f"'{name}'" for name in params["channels"])
    return labels(
        BORROWED_SCORE,
        channels=channels,
        arms=", ".join(params["arms"]),
        example=params["channels"][0],
    )


RENDERERS: dict[str, Callable[[Params, Labels], str]] = {
    "model_not_useful": _model_not_useful,
    "model_not_beating_rfm": _model_not_beating_rfm,
    "model_not_shown_useful": _model_not_shown_useful,
    "rfm_rule_columns": _rfm_rule_columns,
    "mixed_offsets": _mixed_offsets,
    "unix_times": _unix_times,
    "mde_above_target": _mde_above_target,
    "channel_dropped": _channel_dropped,
    "channel_inconclusive": _channel_inconclusive,
    "channels_unchecked": _channels_unchecked,
    "predicted_against_measured": _predicted_against_measured,
    "imported_srm": _imported_srm,
    "borrowed_score": _borrowed_score,
}
"""The codes whose parameters are put in words first."""

CODES = frozenset(TEMPLATES) | frozenset(RENDERERS)
"""Every notice code of these steps."""


def render_step_notice(notice: Notice, labels: Labels) -> str:
    """The text of one of these steps' notices (a code of :data:`CODES`)."""
    if notice.code in TEMPLATES:
        return labels(TEMPLATES[notice.code], **_values(notice.params, labels))
    return RENDERERS[notice.code](notice.params, labels)
