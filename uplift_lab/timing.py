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
    ci: str = "wald",
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
