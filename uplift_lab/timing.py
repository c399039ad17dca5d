"""When customers respond: send vs holdout conversion by hour of day or by day of the window.

A campaign's report read the response before and after 19:00 separately and saw old customers'
orders jump right after the SMS: send time matters and is measured here, not guessed. A customer
"responds in" a slice (hour 19, or day 3 of the window) when they have at least one counted order
in it, so each slice is its own two-proportion comparison of the same arms
(:func:`uplift_lab.stats.proportion_difference`); slices are not additive (one customer may
respond in several).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from uplift_lab import stats
from uplift_lab.contracts import AMOUNT, ARM, CUSTOMER_ID, ORDER_TIME

UNITS = ("hour", "day")


@dataclass(frozen=True, slots=True)
class SliceResponse:
    """One arm against the control in one slice: hour of day 0-23, or day 1..N of the window."""

    unit: str
    slice: int
    arm: str
    treated: int
    treated_responded: int
    control: int
    control_responded: int
    effect: stats.EffectResult


def response_by_time(
    assignment: pd.DataFrame,
    control: str,
    orders: pd.DataFrame,
    begin: pd.Timestamp,
    window_days: int,
    unit: str,
    *,
    alpha: float = 0.05,
    ci: str = "newcombe",
) -> tuple[SliceResponse, ...]:
    """Per slice and treated arm, the share of each arm's customers with an order in the slice.

    ``assignment`` has ``customer_id`` and ``arm``; ``orders`` the canonical order columns.
    Orders count in ``[begin, begin + window_days)`` with a non-negative amount (refund rows are
    not orders).
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")
    arms = assignment[[CUSTOMER_ID, ARM]].astype({CUSTOMER_ID: str, ARM: str})
    end = begin + pd.Timedelta(days=window_days)
    times = pd.to_datetime(orders[ORDER_TIME])
    in_window = (times >= begin) & (times < end) & (orders[AMOUNT] >= 0)
    window, window_times = orders[in_window], times[in_window]
    if unit == "hour":
        slices, labels = window_times.dt.hour.to_numpy(), list(range(24))
    else:
        days = (window_times.dt.normalize() - begin.normalize()).dt.days.to_numpy() + 1
        slices, labels = days, list(range(1, window_days + 1))
    hits = pd.DataFrame({CUSTOMER_ID: window[CUSTOMER_ID].astype(str).to_numpy(), "slice": slices})
    hits = hits.drop_duplicates().merge(arms, on=CUSTOMER_ID, how="inner")
    counts = hits.groupby(["slice", ARM]).size()
    sizes = arms[ARM].value_counts()
    treated_arms = sorted(arm for arm in sizes.index if arm != control)
    n_control = int(sizes.get(control, 0))
    results = []
    for label in labels:
        control_hits = int(counts.get((label, control), 0))
        for arm in treated_arms:
            arm_hits = int(counts.get((label, arm), 0))
            effect = stats.proportion_difference(
                stats.SampleStats(n_control, float(control_hits), float(control_hits)),
                stats.SampleStats(int(sizes[arm]), float(arm_hits), float(arm_hits)),
                alpha=alpha,
                ci=ci,
            )
            results.append(
                SliceResponse(
                    unit,
                    int(label),
                    arm,
                    int(sizes[arm]),
                    arm_hits,
                    n_control,
                    control_hits,
                    effect,
                )
            )
    return tuple(results)


def best_slices(responses: Sequence[SliceResponse]) -> dict[str, int]:
    """Per treated arm, the slice with the largest lift whose CI lies above 0 (absent if none)."""
    best: dict[str, tuple[float, int]] = {}
    for response in responses:
        effect = response.effect
        if effect.error or not np.isfinite(effect.ci_low) or effect.ci_low <= 0:
            continue
        if response.arm not in best or effect.difference > best[response.arm][0]:
            best[response.arm] = (effect.difference, response.slice)
    return {arm: value[1] for arm, value in best.items()}


# --------------------------------------------------------------------------------------------
# Hours since the send

SINCE_SEND = "since_send"
SINCE_SEND_HOURS = 24  # one-hour slices 0..23 after each customer's send
SEND_GROUP, HOLDOUT_GROUP = "send", "holdout"


def response_since_send(
    reference: pd.DataFrame,
    orders: pd.DataFrame,
    label: str,
    *,
    hours: int = SINCE_SEND_HOURS,
    alpha: float = 0.05,
    ci: str = "newcombe",
) -> tuple[SliceResponse, ...]:
    """Per hour elapsed since each customer's send, send vs holdout response.

    ``reference`` has ``customer_id``, ``group`` (``send`` / ``holdout``), ``send_time`` (the
    holdout's is the send time it is aligned to) and ``until`` (orders from then on are not read,
    e.g. the next touch or the window end). Slice ``h`` counts a customer who has a counted order
    (amount >= 0) in ``[send_time + h hours, send_time + h + 1 hours)`` before ``until``. Each
    result carries ``label`` (a touch or an arm) as its ``arm``.
    """
    groups = reference["group"].astype(str)
    n_send, n_held = int((groups == SEND_GROUP).sum()), int((groups == HOLDOUT_GROUP).sum())
    ref = reference[[CUSTOMER_ID, "group", "send_time", "until"]].astype(
        {CUSTOMER_ID: str, "group": str}
    )
    counted = orders.loc[orders[AMOUNT] >= 0, [CUSTOMER_ID, ORDER_TIME]].astype({CUSTOMER_ID: str})
    joined = counted.merge(ref, on=CUSTOMER_ID, how="inner")
    elapsed = (joined[ORDER_TIME] - joined["send_time"]) / pd.Timedelta(hours=1)
    keep = (elapsed >= 0) & (elapsed < hours) & (joined[ORDER_TIME] < joined["until"])
    hits = pd.DataFrame(
        {
            CUSTOMER_ID: joined.loc[keep, CUSTOMER_ID],
            "group": joined.loc[keep, "group"],
            "slice": np.floor(elapsed[keep].to_numpy()).astype("int64"),
        }
    ).drop_duplicates()
    counts = hits.groupby(["slice", "group"]).size()
    results = []
    for hour in range(hours):
        sent_hits = int(counts.get((hour, SEND_GROUP), 0))
        held_hits = int(counts.get((hour, HOLDOUT_GROUP), 0))
        effect = stats.proportion_difference(
            stats.SampleStats(n_held, float(held_hits), float(held_hits)),
            stats.SampleStats(n_send, float(sent_hits), float(sent_hits)),
            alpha=alpha,
            ci=ci,
        )
        results.append(
            SliceResponse(SINCE_SEND, hour, label, n_send, sent_hits, n_held, held_hits, effect)
        )
    return tuple(results)


def holdout_reference_time(send_times: pd.Series) -> pd.Timestamp:
    """The send time a holdout is aligned to when each sent customer has their own: the median
    of the arm's send times (the lower middle one for an even count, an actual send time)."""
    ordered = pd.Series(pd.to_datetime(send_times).dropna().sort_values().to_numpy())
    if ordered.empty:
        raise ValueError("no send times")
    return pd.Timestamp(ordered.iloc[(len(ordered) - 1) // 2])


# --------------------------------------------------------------------------------------------
# A recommended send hour per segment

RECOMMEND_RULE = (
    "the hour of day with the largest lift among those whose CI at alpha / 24 (Bonferroni over "
    "the 24 hours) lies above both 0 and the mean lift of the 24 hours (timing, not only the "
    "message, matters), with at least 5 responders in send and holdout in that hour; none such: "
    "no clear best hour"
)
MIN_HOUR_RESPONDERS = 5  # per group, in the recommended hour (the normal approximation's rule)


@dataclass(frozen=True, slots=True)
class SendHourAdvice:
    """Per segment and treated arm: the best measured hour of day and whether it is clear.

    ``hour`` is the recommendation (None: no clear best hour); ``best_hour`` the hour with the
    largest measured lift, its ``lift`` and Bonferroni-adjusted CI ``ci_low``..``ci_high``;
    ``mean_lift`` the mean lift of the 24 hours, the bar a recommended hour's CI must clear."""

    segment: str
    arm: str
    hour: int | None
    best_hour: int | None
    mean_lift: float
    lift: float
    ci_low: float
    ci_high: float
    treated: int
    control: int


def recommended_send_hours(
    assignment: pd.DataFrame,
    control: str,
    orders: pd.DataFrame,
    begin: pd.Timestamp,
    window_days: int,
    *,
    segment_column: str,
    alpha: float = 0.05,
    ci: str = "newcombe",
) -> tuple[SendHourAdvice, ...]:
    """Per segment (values of ``segment_column`` in ``assignment``) and treated arm, the hour of
    day to send: see :data:`RECOMMEND_RULE` (24 looks at the data, so each CI is at alpha/24)."""
    advice = []
    for segment, members in assignment.groupby(segment_column, sort=True):
        slices = response_by_time(
            members, control, orders, begin, window_days, "hour", alpha=alpha / 24, ci=ci
        )
        for arm in sorted({s.arm for s in slices}):
            own = [s for s in slices if s.arm == arm]
            finite = [s for s in own if not s.effect.error and np.isfinite(s.effect.difference)]
            best = max(finite, key=lambda s: s.effect.difference, default=None)
            mean_lift = float(np.mean([s.effect.difference for s in finite])) if finite else np.nan
            bar = max(0.0, mean_lift) if finite else np.inf
            clear = [
                s
                for s in finite
                if np.isfinite(s.effect.ci_low)
                and s.effect.ci_low > bar
                and min(s.treated_responded, s.control_responded) >= MIN_HOUR_RESPONDERS
            ]
            pick = max(clear, key=lambda s: s.effect.difference, default=None)
            shown = pick or best
            advice.append(
                SendHourAdvice(
                    segment=str(segment),
                    arm=arm,
                    hour=None if pick is None else pick.slice,
                    best_hour=None if shown is None else shown.slice,
                    mean_lift=mean_lift,
                    lift=float("nan") if shown is None else shown.effect.difference,
                    ci_low=float("nan") if shown is None else shown.effect.ci_low,
                    ci_high=float("nan") if shown is None else shown.effect.ci_high,
                    treated=own[0].treated,
                    control=own[0].control,
                )
            )
    return tuple(advice)
