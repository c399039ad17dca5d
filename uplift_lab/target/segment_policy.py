"""The segments policy: target by the effects a past campaign measured, no model needed.

``analyze``'s report.json gives each segment x channel's incremental revenue per customer; at
the target's margin and costs that is a profit per message, and each segment whose best channel
earns a positive one gets that channel (:func:`segment_policy_scores` feeds the planner).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from uplift_lab.contracts import CUSTOMER_ID, LIFECYCLE
from uplift_lab.errors import ParameterError, UsageError, literal
from uplift_lab.stats import shrink_toward
from uplift_lab.target.channels import P_TREATED, UPLIFT_REVENUE, Channel, opt_in_mask
from uplift_lab.target.plan import ALL_SEGMENT


@dataclass(frozen=True, slots=True)
class SegmentEffects:
    """Measured profit per message of every segment x channel of a past campaign's analysis.

    ``table``: segment, channel, treated_n, control_n, incremental_revenue_per_customer (its CI),
    conversion_rate_sent, profit_per_message (at the target's margin and costs, from the point
    estimate or the CI's lower bound: ``effect``), best (the segment's best channel, if any).
    """

    table: pd.DataFrame
    effect: str
    arm_of_channel: Mapping[str, str] = field(default_factory=dict)  # channel -> report's arm


SEGMENT_EFFECTS = ("shrunk", "estimate", "ci_low")
Z_95 = 1.959963984540054
MIN_SEGMENTS_TO_SHRINK = 3  # fewer segments of a channel cannot estimate the spread between them


def segment_effects(
    analysis: Mapping, channels: Sequence[Channel], margin: float, *, effect: str = "shrunk"
) -> SegmentEffects:
    """Per segment x channel profit per message, from ``analyze``'s report.json comparisons.

    Profit per message = margin x incremental revenue per customer - message cost - coupon x
    conversion rate of the sent. ``effect="shrunk"`` (the default) uses each segment's measured
    difference shrunk toward its channel's mean over segments (empirical Bayes,
    :func:`shrunk_effects`): picking the segments whose noisy estimates came out highest
    otherwise promises more than they earn (the winner's curse). ``"estimate"`` uses the
    measured difference as it is (unbiased for one segment chosen in advance), ``"ci_low"`` its
    lower confidence bound (send only where a gain is shown). A segment label ``stage|channel``
    (strata of a target holdout) counts as the segment ``stage``. Without per-segment
    comparisons the overall effect holds for all.
    """
    if effect not in SEGMENT_EFFECTS:
        raise ParameterError("effect", "must be 'shrunk', 'estimate' or 'ci_low'", effect)
    by_name = {c.name: c for c in channels}
    rows = []
    comparisons = analysis.get("comparisons") or []
    if not any(item.get("segment") not in (None, ALL_SEGMENT) for item in comparisons):
        comparisons = [{**item, "segment": ALL_SEGMENT} for item in analysis.get("overall") or []]
    arms = sorted({str(item.get("arm")) for item in comparisons if item.get("arm") is not None})
    arm_of_channel, channel_of_arm = {}, by_name
    if len(arms) == 1 and len(channels) == 1 and arms[0] not in by_name:
        # one send (design's default arm 'send') and one channel: the send was that channel
        arm_of_channel = {channels[0].name: arms[0]}
        channel_of_arm = {arms[0]: channels[0]}
    for item in comparisons:
        channel = channel_of_arm.get(str(item.get("arm")))
        revenue = item.get("revenue") or {}
        if channel is None or revenue.get("difference") is None:
            continue
        segment = str(item["segment"])
        head, _, tail = segment.rpartition("|")
        if head and tail == channel.name:
            segment = head
        if revenue.get("ci_low") is None:  # no interval (too few customers): not measured well
            continue  # enough, neither for its lower bound nor for its noise when shrinking
        conversion = (item.get("conversion") or {}).get("treatment_mean") or 0.0
        rows.append(
            {
                "segment": segment,
                "channel": channel.name,
                "treated_n": int(item.get("treated_n") or 0),
                "control_n": int(item.get("control_n") or 0),
                "incremental_revenue_per_customer": float(revenue["difference"]),
                "ci_low": revenue.get("ci_low"),
                "ci_high": revenue.get("ci_high"),
                "conversion_rate_sent": float(conversion),
            }
        )
    if not rows:
        raise UsageError(
            "{analysis}: the report has no comparison of the {channel} channels against control"
            f" (channels: {literal(', '.join(c.name for c in channels))}; the report's arms:"
            f" {literal(', '.join(arms) or 'none')}). Pass analyze's report.json of a past"
            " campaign whose arms are named like the channels (or one channel for a report of"
            " one arm)"
        )
    table = pd.DataFrame.from_records(rows)
    if effect == "shrunk":
        table["incremental_revenue_shrunk"] = _shrunk_per_channel(table)
    uplift = {
        "shrunk": "incremental_revenue_shrunk",
        "estimate": "incremental_revenue_per_customer",
        "ci_low": "ci_low",
    }[effect]
    costs = table["channel"].map(lambda name: by_name[name].message_cost)
    coupons = table["channel"].map(lambda name: by_name[name].coupon)
    table["profit_per_message"] = (
        margin * table[uplift].astype("float64") - costs - coupons * table["conversion_rate_sent"]
    )
    # Several rows of one segment x channel (strata stage|channel of different channels) pool
    # by treated size.
    table = (
        table.assign(weight=table["treated_n"].clip(lower=1))
        .groupby(["segment", "channel"], sort=True)
        .apply(_pool_rows, include_groups=False)
        .reset_index()
    )
    ratio = table["profit_per_message"] / table["channel"].map(
        lambda name: max(by_name[name].message_cost, 1e-12)
    )
    table["profit_per_cost"] = ratio
    best = table[table["profit_per_message"] > 0].sort_values(
        ["segment", "profit_per_message", "channel"], ascending=[True, False, True]
    )
    best_channel = best.drop_duplicates("segment").set_index("segment")["channel"]
    table["best"] = table["segment"].map(best_channel) == table["channel"]
    return SegmentEffects(table=table, effect=effect, arm_of_channel=arm_of_channel)


def shrunk_effects(estimate: np.ndarray, standard_error: np.ndarray) -> np.ndarray:
    """Each estimate shrunk toward their precision-weighted mean by its noise (empirical Bayes,
    :func:`uplift_lab.stats.shrink_toward`, as the calibration's deciles): where the spread
    between segments is no more than their noise, every segment gets the mean. Fewer than
    ``MIN_SEGMENTS_TO_SHRINK`` estimates stay as they are."""
    estimate = np.asarray(estimate, dtype=np.float64)
    variance = np.asarray(standard_error, dtype=np.float64) ** 2
    if len(estimate) < MIN_SEGMENTS_TO_SHRINK or not np.all(variance > 0):
        return estimate.copy()
    center = np.average(estimate, weights=1.0 / variance)
    return shrink_toward(estimate, np.full_like(estimate, center), variance)[0]


def _shrunk_per_channel(table: pd.DataFrame) -> np.ndarray:
    """Each row's measured effect shrunk across the segments of its channel."""
    standard_error = (table["ci_high"] - table["ci_low"]).astype("float64") / (2 * Z_95)
    shrunk = table["incremental_revenue_per_customer"].to_numpy(dtype=np.float64).copy()
    for rows in table.groupby("channel").indices.values():
        shrunk[rows] = shrunk_effects(shrunk[rows], standard_error.to_numpy()[rows])
    return shrunk


def _pool_rows(group: pd.DataFrame) -> pd.Series:
    weight = group["weight"].to_numpy(dtype=np.float64)
    out = {}
    pooled = ["incremental_revenue_per_customer", "conversion_rate_sent", "profit_per_message"]
    if "incremental_revenue_shrunk" in group:
        pooled.append("incremental_revenue_shrunk")
    for column in pooled:
        out[column] = float(np.average(group[column].to_numpy(dtype=np.float64), weights=weight))
    for column in ("ci_low", "ci_high"):
        values = pd.to_numeric(group[column], errors="coerce").to_numpy(dtype=np.float64)
        out[column] = float(np.average(values, weights=weight)) if len(group) == 1 else np.nan
    out["treated_n"] = int(group["treated_n"].sum())
    out["control_n"] = int(group["control_n"].sum())
    return pd.Series(out)


def _best_receivable_channel(
    table: pd.DataFrame, segment: pd.Series, segments: pd.DataFrame, channels: Sequence[Channel]
) -> np.ndarray:
    """Per customer, the first channel of the segment's profitable ones (best first, as
    ``segment_effects`` ranks them) that the customer may receive; None where there is none."""
    profitable = table[table["profit_per_message"] > 0].reset_index()
    ranked = profitable.sort_values(
        ["segment", "profit_per_message", "channel"], ascending=[True, False, True]
    )
    ranked["rank"] = ranked.groupby("segment").cumcount()
    may = opt_in_mask(segments, channels, "segments file")
    column_of = {c.name: j for j, c in enumerate(channels)}
    chosen = np.full(len(segments), None, dtype=object)
    rows = np.arange(len(segments))
    for rank in range(int(ranked["rank"].max()) + 1 if len(ranked) else 0):
        at_rank = ranked[ranked["rank"] == rank].set_index("segment")["channel"]
        channel = segment.map(at_rank).to_numpy(dtype=object)
        has = pd.notna(channel) & pd.isna(chosen)
        j = np.array([column_of.get(name, -1) if pd.notna(name) else -1 for name in channel])
        receivable = has & (j >= 0) & may[rows, np.maximum(j, 0)]
        chosen[receivable] = channel[receivable]
    return chosen


def segment_policy_scores(
    effects: SegmentEffects,
    segments: pd.DataFrame,
    channels: Sequence[Channel],
    margin: float,
    segment_col: str = LIFECYCLE,
) -> tuple[pd.DataFrame, pd.Series]:
    """Scores valued by the measured effects, and each customer's one allowed channel.

    Every customer of a measured segment gets ``uplift_revenue_<channel>`` = (profit per message
    + costs) / margin (so the planner's expected profit is the measured one; NaN where the
    segment x channel was not measured). The returned Series (customer_id -> channel) allows
    one channel: the segment's best one the customer may receive (opt-ins), and only where its
    profit per message is positive, so a customer who opted out of SMS still gets the
    segment's profitable e-mail; the planner then ranks by profit per cost within the budget.
    """
    table = effects.table.set_index("segment")
    segment = segments[segment_col].astype("string").fillna("")
    if set(table.index) == {ALL_SEGMENT}:
        segment = pd.Series(ALL_SEGMENT, index=segments.index, dtype="string")
    out = pd.DataFrame({CUSTOMER_ID: segments[CUSTOMER_ID].to_numpy()})
    allowed = pd.Series(
        _best_receivable_channel(table, segment, segments, channels),
        index=out[CUSTOMER_ID],
        dtype=object,
    )
    by_name = {c.name: c for c in channels}
    for channel in channels:
        mine = table[table["channel"] == channel.name]
        profit = segment.map(mine["profit_per_message"]).astype("float64").to_numpy()
        conversion = segment.map(mine["conversion_rate_sent"]).astype("float64").to_numpy()
        cost = by_name[channel.name].message_cost + by_name[channel.name].coupon * conversion
        out[f"{UPLIFT_REVENUE}_{channel.name}"] = (profit + cost) / margin
        if channel.coupon > 0:
            out[f"{P_TREATED}_{channel.name}"] = np.nan_to_num(conversion)
    return out, allowed.dropna()
