"""Budgeted multi-channel targeting: who gets which message to maximize incremental profit.

Each customer gets at most one channel. An option (customer i, channel c) has an expected cost
``w = message cost + P(convert | sent) x coupon`` (the coupon is paid on every redemption,
including sales that would have happened anyway) and an expected profit
``v = incremental revenue x margin - w``. The plan maximizes the sum of ``v`` subject to the sum of
``w`` staying within the budget: a multiple-choice knapsack.

It is solved by the incremental-efficiency greedy on each customer's upper convex hull of options
(Sinha & Zoltners 1979), which is the LP relaxation's optimum up to one fractional item, plus a
fill pass with the budget that is left. The LP value is reported as an upper bound, so the gap to
the best possible plan is known. One channel with one message cost per customer (no coupon) is the
case where the greedy is exactly optimal: sort by profit, stop at the budget. With a coupon the
expected cost differs per customer (it grows with P(convert | sent)), so even one channel is a 0/1
knapsack: sorting by profit per cost is then optimal only up to the one customer that no longer
fits, and the reported gap (at most that customer's profit) says how much that can be.

Options with expected profit <= 0 (sleeping dogs, or messages that cost more than they earn) and
channels a customer opted out of are never part of any plan.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from uplift_lab import contracts
from uplift_lab.contracts import CUSTOMER_ID, LIFECYCLE
from uplift_lab.errors import InputError, input_error
from uplift_lab.timeparse import parse_date_option

if TYPE_CHECKING:  # for annotations only; run-time imports stay inside the functions
    from uplift_lab.design import ExperimentDesign
    from uplift_lab.policy import PolicyValue

UPLIFT_REVENUE = "uplift_revenue"
UPLIFT_CONVERSION = "uplift_conversion"
P_CONTROL = "p_control"
P_TREATED = "p_treated"
RFM_SCORE = "rfm_score"
CONTROL_ARM = contracts.CONTROL_ARM
DEFAULT_ELIGIBLE = ("semi_active", "silent")
ALL_SEGMENT = "all"
NO_CHANNEL = -1
OPT_IN_COLUMNS = {
    "sms": "sms_opt_in",
    "mms": "sms_opt_in",
    "edm": "email_opt_in",
    "email": "email_opt_in",
}
SEND_LIST_COLUMNS = (
    CUSTOMER_ID,
    "channel",
    "expected_incremental_revenue",
    "expected_profit",
    "rank",
)
UPLIFT_POLICY = "uplift (this plan)"
RFM_POLICY = "RFM rule (rfm_score)"
RANDOM_POLICY = "random"
MODEL_VALUED = "model"
IPW_VALUED = "ipw"
_MAX_FILL_STEPS = 10_000
_HULL_CHUNK = 1 << 14  # rows per block: temporaries stay in cache


# --------------------------------------------------------------------------------------------
# Pure core over arrays
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Selection:
    """The chosen option per customer and how good the plan provably is.

    ``choice[i]`` is the channel index for customer ``i`` or ``-1`` (no message); ``entry_order[i]``
    is the position at which the greedy first picked customer ``i`` (0 = best), ``-1`` if never.
    ``lp_bound`` is the LP-relaxation optimum: no plan within the budget can earn more.
    ``optimality_gap`` bounds how much a perfect solver could add (0 when the plan is provably
    optimal). ``stop_reason`` says why budget was left unspent.
    """

    choice: np.ndarray
    entry_order: np.ndarray
    budget: float
    spent: float
    expected_profit: float
    lp_bound: float
    optimality_gap: float
    exact: bool
    stop_reason: str
    auto_budget: float
    curve_budget: np.ndarray = field(repr=False)
    curve_profit: np.ndarray = field(repr=False)

    @property
    def n_selected(self) -> int:
        """Number of customers who get a message."""
        return int(np.count_nonzero(self.choice >= 0))

    @property
    def unspent(self) -> float:
        """Budget left over (0 with ``--budget auto``)."""
        return 0.0 if math.isinf(self.budget) else max(self.budget - self.spent, 0.0)


def option_economics(
    incremental_revenue: np.ndarray,
    p_convert_if_sent: np.ndarray,
    message_cost: Sequence[float],
    coupon: Sequence[float],
    margin: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Expected profit and expected cost of every (customer, channel) option.

    Parameters
    ----------
    incremental_revenue, p_convert_if_sent : arrays of shape (n, k)
        Expected incremental revenue if messaged on channel c, and P(convert | sent on c).
    message_cost, coupon : length k
        Cost per message and coupon value per redemption of each channel.
    margin : float
        Share of revenue that is profit.

    Returns
    -------
    (profit, cost): arrays of shape (n, k).
    """
    message = np.asarray(message_cost, dtype=np.float64)
    coupons = np.asarray(coupon, dtype=np.float64)
    cost = p_convert_if_sent * coupons + message
    profit = incremental_revenue * margin
    profit -= cost
    return profit, cost


def _hull_increments(
    profit: np.ndarray, cost: np.ndarray, usable: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each customer's upper convex hull of options from (cost 0, profit 0), as increments.

    Returns arrays of shape (n, k): incremental cost, incremental profit, efficiency (profit per
    cost, +inf for free upgrades), the option reached, and whether the increment exists.
    Efficiencies strictly decrease along each customer's hull, which the greedy relies on.
    Works in chunks of customers so temporaries stay small at tens of millions of customers.
    """
    n, k = profit.shape
    inc_cost = np.zeros((n, k))
    inc_profit = np.zeros((n, k))
    inc_eff = np.full((n, k), -np.inf)
    inc_option = np.full((n, k), NO_CHANNEL, dtype=np.int16)
    inc_valid = np.zeros((n, k), dtype=bool)
    for lo in range(0, n, _HULL_CHUNK):
        hi = min(lo + _HULL_CHUNK, n)
        _hull_chunk(
            profit[lo:hi],
            cost[lo:hi],
            usable[lo:hi],
            (inc_cost[lo:hi], inc_profit[lo:hi], inc_eff[lo:hi], inc_option[lo:hi]),
            inc_valid[lo:hi],
        )
    # Guard against rounding: a later hull step must sort strictly after an earlier one.
    for level in range(1, k):
        below = np.nextafter(inc_eff[:, level - 1], -np.inf)
        np.minimum(inc_eff[:, level], below, out=inc_eff[:, level], where=inc_valid[:, level])
    return inc_cost, inc_profit, inc_eff, inc_option, inc_valid


def _hull_chunk(
    profit: np.ndarray,
    cost: np.ndarray,
    usable: np.ndarray,
    out: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    valid: np.ndarray,
) -> None:
    """Hull increments of a block of customers, written into ``out`` and ``valid`` views."""
    inc_cost, inc_profit, inc_eff, inc_option = out
    n, k = profit.shape
    rows = np.arange(n)
    prev_cost = np.zeros(n)
    prev_profit = np.zeros(n)
    slope = np.empty((n, k))
    for level in range(k):
        gain = profit - prev_profit[:, None]
        extra = cost - prev_cost[:, None]
        candidate = gain > 0
        candidate &= usable
        candidate &= extra >= 0
        slope.fill(-np.inf)
        with np.errstate(divide="ignore"):
            np.divide(gain, extra, out=slope, where=candidate)  # +inf for free upgrades
        best = np.argmax(slope, axis=1)
        best_slope = slope[rows, best]
        found = best_slope > -np.inf
        if not found.any():
            break
        # Ties (collinear options) give equal efficiencies; _hull_increments orders them.
        new_cost = cost[rows, best]
        new_profit = profit[rows, best]
        inc_cost[:, level] = np.where(found, new_cost - prev_cost, 0.0)
        inc_profit[:, level] = np.where(found, new_profit - prev_profit, 0.0)
        inc_eff[:, level] = best_slope
        inc_option[:, level] = np.where(found, best, NO_CHANNEL)
        valid[:, level] = found
        prev_cost = np.where(found, new_cost, prev_cost)
        prev_profit = np.where(found, new_profit, prev_profit)


def select_offers(
    profit: np.ndarray,
    cost: np.ndarray,
    allowed: np.ndarray | None = None,
    *,
    budget: float | None,
    max_customers: int | None = None,
    min_expected_profit: float = 0.0,
    curve_points: int = 21,
) -> Selection:
    """Choose at most one channel per customer to maximize expected profit within the budget.

    Parameters
    ----------
    profit, cost : arrays of shape (n, k)
        Expected profit and expected cost of each option (see :func:`option_economics`).
    allowed : bool array (n, k), optional
        False where a customer may not get a channel (opt-out, not eligible).
    budget : float or None
        Total expected cost allowed; ``None`` (``--budget auto``) spends while profit > 0.
    max_customers : int, optional
        At most this many customers get a message.
    min_expected_profit : float
        Options with a lower expected profit are never chosen (options <= 0 never are).

    Returns
    -------
    Selection
    """
    profit = np.asarray(profit, dtype=np.float64)
    cost = np.asarray(cost, dtype=np.float64)
    if profit.ndim == 1:
        profit, cost = profit[:, None], cost[:, None]
    n, k = profit.shape
    budget_value = math.inf if budget is None else float(budget)
    usable = profit > 0 if min_expected_profit <= 0 else profit >= min_expected_profit
    usable &= np.isfinite(profit) & np.isfinite(cost) & (cost >= 0)
    if allowed is not None:
        usable &= np.asarray(allowed, dtype=bool).reshape(n, k)

    inc_cost, inc_profit, inc_eff, inc_option, inc_valid = _hull_increments(profit, cost, usable)
    flat = np.flatnonzero(inc_valid.ravel())
    del inc_valid
    # Efficiencies strictly decrease along a customer's hull, so any sort keeps its levels in
    # order; quicksort is deterministic for a given input (customers come sorted by id).
    key = inc_eff.ravel()[flat]
    del inc_eff
    np.negative(key, out=key)
    order = flat[np.argsort(key)]
    del flat, key
    step_cost = inc_cost.ravel()[order]
    step_profit = inc_profit.ravel()[order]
    del inc_cost, inc_profit
    step_option = inc_option.ravel()[order]
    del inc_option
    step_level = (order % k).astype(np.int16)
    order //= k
    step_customer = order
    del order

    cum_cost = np.cumsum(step_cost)
    cum_profit = np.cumsum(step_profit)
    auto_budget = float(cum_cost[-1]) if len(cum_cost) else 0.0
    curve_budget, curve_profit = _profit_curve(
        cum_cost, cum_profit, auto_budget, curve_points, budget_value
    )

    # Costs summed in floating point (6 x 0.010000000000000002 > 0.06): a plan that fits the
    # budget up to rounding fits it.
    fit_budget = budget_value + BUDGET_ROUNDING * max(1.0, abs(budget_value))
    taken_steps = int(np.searchsorted(cum_cost, fit_budget, side="right"))
    prefix_profit = float(cum_profit[taken_steps - 1]) if taken_steps else 0.0
    prefix_cost = float(cum_cost[taken_steps - 1]) if taken_steps else 0.0
    lp_bound = prefix_profit
    if taken_steps < len(step_cost):
        remaining = fit_budget - prefix_cost
        lp_bound += remaining / step_cost[taken_steps] * step_profit[taken_steps]
    del cum_cost, cum_profit

    taken = np.zeros(len(step_cost), dtype=bool)
    taken[:taken_steps] = True
    taken = _fill_remaining(
        taken, taken_steps, step_cost, step_customer, step_level, fit_budget - prefix_cost, n
    )
    choice, entry_order = _choices_from_steps(taken, step_customer, step_level, step_option, n)

    if max_customers is not None and np.count_nonzero(choice >= 0) > max_customers:
        choice, entry_order = _limit_customers(
            profit, cost, usable, choice, max_customers, fit_budget
        )

    rows = np.flatnonzero(choice >= 0)
    spent = float(cost[rows, choice[rows]].sum())
    total_profit = float(profit[rows, choice[rows]].sum())
    exact = _single_channel_equal_costs(cost, usable)
    gap = 0.0 if exact else max(lp_bound - total_profit, 0.0)
    reason = _stop_reason(budget_value, max_customers, len(rows), taken_steps, len(step_cost))
    return Selection(
        choice=choice,
        entry_order=entry_order,
        budget=budget_value,
        spent=spent,
        expected_profit=total_profit,
        lp_bound=float(max(lp_bound, total_profit)),
        optimality_gap=float(gap),
        exact=exact,
        stop_reason=reason,
        auto_budget=auto_budget,
        curve_budget=curve_budget,
        curve_profit=curve_profit,
    )


def _profit_curve(
    cum_cost: np.ndarray, cum_profit: np.ndarray, auto_budget: float, points: int, budget: float
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy profit at evenly spaced budgets (to the one buying every gain) and at ``budget``."""
    budgets = np.linspace(0.0, auto_budget, max(points, 2))
    if math.isfinite(budget) and budget < auto_budget:
        budgets = np.unique(np.append(budgets, budget))
    index = np.searchsorted(cum_cost, budgets, side="right") - 1
    profits = np.where(index >= 0, cum_profit[np.maximum(index, 0)] if len(cum_profit) else 0, 0.0)
    return budgets, np.asarray(profits, dtype=np.float64)


BUDGET_ROUNDING = 1e-12  # relative slack for float sums of message costs


def _fill_remaining(
    taken: np.ndarray,
    start: int,
    step_cost: np.ndarray,
    step_customer: np.ndarray,
    step_level: np.ndarray,
    remaining: float,
    n: int,
) -> np.ndarray:
    """Spend what the greedy prefix left on later steps that still fit, best efficiency first.

    A step is only usable when the customer's previous hull level is already taken.
    """
    if start >= len(step_cost) or not math.isfinite(remaining):
        return taken
    level_reached = np.bincount(step_customer[:start], minlength=n).astype(np.int16)
    candidates = start + np.flatnonzero(step_cost[start:] <= remaining)
    for _ in range(_MAX_FILL_STEPS):
        if len(candidates) == 0:
            break
        fits = step_cost[candidates] <= remaining
        fits &= level_reached[step_customer[candidates]] == step_level[candidates]
        fits &= ~taken[candidates]
        if not fits.any():
            break
        position = candidates[int(np.argmax(fits))]
        taken[position] = True
        remaining -= step_cost[position]
        level_reached[step_customer[position]] += 1
        candidates = candidates[step_cost[candidates] <= remaining]
    return taken


def _choices_from_steps(
    taken: np.ndarray,
    step_customer: np.ndarray,
    step_level: np.ndarray,
    step_option: np.ndarray,
    n: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Per customer: the option of the highest hull level taken, and the greedy entry position."""
    choice = np.full(n, NO_CHANNEL, dtype=np.int16)
    entry_order = np.full(n, -1, dtype=np.int64)
    positions = np.flatnonzero(taken)
    # Levels of one customer are taken in increasing order, so the last write wins correctly.
    level_order = np.argsort(step_level[positions], kind="stable")
    ordered = positions[level_order]
    choice[step_customer[ordered]] = step_option[ordered]
    entries = positions[step_level[positions] == 0]
    entry_order[step_customer[entries]] = np.arange(len(entries))
    return choice, entry_order


def _limit_customers(
    profit: np.ndarray,
    cost: np.ndarray,
    usable: np.ndarray,
    choice: np.ndarray,
    max_customers: int,
    budget: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Keep the ``max_customers`` most profitable picks, then re-plan the budget among them."""
    rows = np.flatnonzero(choice >= 0)
    chosen_profit = profit[rows, choice[rows]]
    keep = rows[np.argsort(-chosen_profit, kind="stable")[:max_customers]]
    restricted = np.zeros_like(usable)
    restricted[keep] = usable[keep]
    again = select_offers(profit, cost, restricted, budget=budget, curve_points=2)
    return again.choice, again.entry_order


def _single_channel_equal_costs(cost: np.ndarray, usable: np.ndarray) -> bool:
    """True when only one channel is usable and every option costs the same (greedy is exact)."""
    used_channels = np.flatnonzero(usable.any(axis=0))
    if len(used_channels) != 1:
        return len(used_channels) == 0
    costs = cost[usable[:, used_channels[0]], used_channels[0]]
    return bool(np.all(costs == costs[0]))


def _stop_reason(
    budget: float,
    max_customers: int | None,
    n_selected: int,
    taken_steps: int,
    total_steps: int,
) -> str:
    """Why the plan stopped spending, in words for the report."""
    if total_steps == 0:
        return "no customer has a channel with positive expected profit"
    if max_customers is not None and n_selected >= max_customers:
        return f"--max-customers {max_customers} reached"
    if math.isinf(budget) or taken_steps >= total_steps:
        return (
            "every customer with positive expected profit is selected; the rest would lose money"
            " (negative uplift or cost above gain)"
        )
    return "budget exhausted: the next best message does not fit in what is left"


def rank_policy(
    order: np.ndarray, profit: np.ndarray, cost: np.ndarray, budget: float
) -> tuple[np.ndarray, float, float]:
    """Send to customers in ``order`` (one fixed option each) until the next does not fit.

    This is how a rule (RFM score, random) spends a budget: it ignores uplift, so it also pays
    for sleeping dogs. Returns the picked customer indices, expected profit and spend.
    """
    cum_cost = np.cumsum(cost[order])
    count = int(np.searchsorted(cum_cost, budget, side="right"))
    picked = order[:count]
    return picked, float(profit[picked].sum()), float(cum_cost[count - 1]) if count else 0.0


# --------------------------------------------------------------------------------------------
# Channels and scores: from validated frames to option arrays
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Channel:
    """A way to reach a customer: cost per message, coupon per redemption, response factor."""

    name: str
    message_cost: float
    coupon: float = 0.0
    response: float = 1.0


@dataclass(frozen=True, slots=True)
class TargetConfig:
    """Everything the plan depends on besides the data (recorded in design.json)."""

    channels: tuple[Channel, ...]
    budget: float | None
    margin: float
    eligible: tuple[str, ...] | None = DEFAULT_ELIGIBLE
    max_customers: int | None = None
    min_expected_profit: float = 0.0
    where: str | None = None  # DuckDB SQL condition over the segments columns (--where)

    def as_dict(self) -> dict:
        """Plain-JSON view for design.json's ``campaign`` entry."""
        return {
            "channels": {
                c.name: {"message_cost": c.message_cost, "coupon": c.coupon, "response": c.response}
                for c in self.channels
            },
            "budget": "auto" if self.budget is None else self.budget,
            "margin": self.margin,
            "eligible": list(self.eligible) if self.eligible is not None else None,
            "max_customers": self.max_customers,
            "min_expected_profit": self.min_expected_profit,
            "where": self.where,
        }


def parse_channels(
    specs: Mapping[str, Mapping[str, str]],
    responses: Mapping[str, str],
    default_coupon: float,
) -> tuple[Channel, ...]:
    """Build channels from parsed ``--channel`` specs ``{name: {"cost": .., "coupon": ..}}``."""
    if not specs:
        raise InputError("--channel: no channel given. Add e.g. --channel sms=0.05")
    unknown = sorted(set(responses) - set(specs))
    if unknown:
        raise InputError(
            f"--response: unknown channel(s) {', '.join(unknown)}. "
            f"Channels given with --channel: {', '.join(specs)}"
        )
    channels = []
    for name, fields in specs.items():
        message_cost = _non_negative(fields.get("cost"), f"--channel {name}=COST")
        coupon = _non_negative(fields.get("coupon", default_coupon), f"--channel {name},coupon")
        response = _non_negative(responses.get(name, 1.0), f"--response {name}")
        channels.append(Channel(name, message_cost, coupon, response))
    return tuple(channels)


def _non_negative(value: object, option: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{option}: expected a number >= 0, got '{value}'") from None
    if not math.isfinite(number) or number < 0:
        raise InputError(f"{option}: expected a number >= 0, got '{value}'")
    return number


def read_scores(path: Path, encoding: str | None = None) -> pd.DataFrame:
    """Read a score file with its ids as ``customer_id`` (text).

    ``score`` writes the model's id column first, under the name it had in training (``ID``,
    ``row``, ...): without a ``customer_id`` column, that first column is the id.
    """
    from uplift_lab import io

    names = io.table_column_names(path, encoding=encoding)
    id_col = CUSTOMER_ID if CUSTOMER_ID in names or not names else names[0]
    if id_col.startswith((UPLIFT_REVENUE, UPLIFT_CONVERSION, P_CONTROL, P_TREATED, "raw_")):
        id_col = CUSTOMER_ID  # no id column at all: validate_scores says customer_id is missing
    frame = io.read_table(path, encoding=encoding, string_columns=[id_col])
    return frame.rename(columns={id_col: CUSTOMER_ID}) if id_col != CUSTOMER_ID else frame


def validate_scores(
    frame: pd.DataFrame, source: object, channels: Sequence[Channel]
) -> pd.DataFrame:
    """Canonical score table: text ids, and every score column the channels need as float."""
    contracts.require_columns(frame, (CUSTOMER_ID,), source)
    out = frame.copy()
    out[CUSTOMER_ID] = contracts.ids_as_text(frame, CUSTOMER_ID, source, unique=True)
    if len(out) == 0:
        raise input_error(source, "has no rows", "Score some customers first (uplift-lab score)")
    for column in _needed_score_columns(frame, source, channels):
        out[column] = contracts.numeric_column(frame, column, source)
    return out


def _needed_score_columns(
    frame: pd.DataFrame, source: object, channels: Sequence[Channel]
) -> list[str]:
    needed: list[str] = []
    for channel in channels:
        own_revenue = f"{UPLIFT_REVENUE}_{channel.name}"
        if own_revenue in frame.columns:
            needed.append(own_revenue)
        elif UPLIFT_REVENUE in frame.columns:
            needed.append(UPLIFT_REVENUE)
        else:
            raise input_error(
                source,
                f"missing column '{own_revenue}' (or '{UPLIFT_REVENUE}') for channel "
                f"'{channel.name}'",
                "Pass the output of uplift-lab score (a revenue uplift model)",
            )
        if channel.coupon > 0:
            needed.extend(_conversion_columns(frame, source, channel))
    return list(dict.fromkeys(needed))


def _conversion_columns(frame: pd.DataFrame, source: object, channel: Channel) -> list[str]:
    own = f"{UPLIFT_CONVERSION}_{channel.name}"
    if f"{P_TREATED}_{channel.name}" in frame.columns:
        return [f"{P_TREATED}_{channel.name}"]
    if P_CONTROL in frame.columns and own in frame.columns:
        return [P_CONTROL, own]
    if P_CONTROL in frame.columns and UPLIFT_CONVERSION in frame.columns:
        return [P_CONTROL, UPLIFT_CONVERSION]
    if P_TREATED in frame.columns:
        return [P_TREATED]
    raise input_error(
        source,
        f"a coupon on channel '{channel.name}' needs P(convert | sent), but the file has neither "
        f"'{P_CONTROL}' with '{UPLIFT_CONVERSION}' nor '{P_TREATED}'",
        "Score with a conversion model, or drop the coupon",
    )


def channel_scores(
    scores: pd.DataFrame, channels: Sequence[Channel]
) -> tuple[np.ndarray, np.ndarray]:
    """Expected incremental revenue and P(convert | sent) per customer and channel, (n, k).

    A channel's own columns (``uplift_revenue_<channel>``; ``p_treated_<channel>``, else
    ``p_control + uplift_conversion_<channel>``) win; otherwise the single score is scaled by the
    channel's response factor (``p_control + uplift_conversion x response``, else ``p_treated``).
    """
    n, k = len(scores), len(channels)
    revenue = np.empty((n, k))
    p_convert = np.zeros((n, k))
    for j, channel in enumerate(channels):
        own = f"{UPLIFT_REVENUE}_{channel.name}"
        if own in scores.columns:
            revenue[:, j] = scores[own].to_numpy(dtype=np.float64)
        else:
            revenue[:, j] = scores[UPLIFT_REVENUE].to_numpy(dtype=np.float64) * channel.response
        if channel.coupon > 0:
            p_convert[:, j] = _p_convert(scores, channel)
    return revenue, p_convert


def _p_convert(scores: pd.DataFrame, channel: Channel) -> np.ndarray:
    own = f"{UPLIFT_CONVERSION}_{channel.name}"
    if f"{P_TREATED}_{channel.name}" in scores.columns:
        p = scores[f"{P_TREATED}_{channel.name}"].to_numpy(np.float64)
    elif P_CONTROL in scores.columns and own in scores.columns:
        p = scores[P_CONTROL].to_numpy(np.float64) + scores[own].to_numpy(np.float64)
    elif P_CONTROL in scores.columns and UPLIFT_CONVERSION in scores.columns:
        uplift = scores[UPLIFT_CONVERSION].to_numpy(np.float64) * channel.response
        p = scores[P_CONTROL].to_numpy(np.float64) + uplift
    else:
        p = scores[P_TREATED].to_numpy(np.float64)
    return np.clip(p, 0.0, 1.0)


def opt_in_mask(customers: pd.DataFrame, channels: Sequence[Channel], source: object) -> np.ndarray:
    """(n, k) bool: may customer i be messaged on channel c? (``sms_opt_in=0`` -> no sms/mms).

    Opt-in columns read 1/0, true/false, yes/no, y/n or 是/否 (:func:`contracts.yes_no_flags`).
    """
    allowed = np.ones((len(customers), len(channels)), dtype=bool)
    for j, channel in enumerate(channels):
        column = OPT_IN_COLUMNS.get(channel.name, f"{channel.name}_opt_in")
        if column not in customers.columns:
            continue
        allowed[:, j] = contracts.yes_no_flags(customers, column, source)
    return allowed


# --------------------------------------------------------------------------------------------
# The campaign plan over frames
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CampaignPlan:
    """A targeting decision and everything the report shows about it.

    ``selected``: one row per customer picked (before the holdout): customer_id, segment,
    channel, expected_cost, expected_incremental_revenue, expected_profit, rank (1 = best).
    ``by_segment``: segment x channel counts, cost, incremental revenue, profit, ROI.
    ``curve``: expected profit as a function of budget. ``comparison``: the same budget spent by
    uplift, RFM rule and random. Counts explain who was left out and why.
    """

    config: TargetConfig
    selection: Selection
    selected: pd.DataFrame
    by_segment: pd.DataFrame
    curve: pd.DataFrame
    comparison: pd.DataFrame
    n_scored: int
    n_eligible: int
    n_not_in_segments: int
    n_opted_out: int
    n_no_profitable_option: int
    comparison_picks: Mapping[str, pd.Series] = field(default_factory=dict, repr=False)
    comparison_valued_by: str = MODEL_VALUED


def plan_campaign(
    scores: pd.DataFrame,
    config: TargetConfig,
    segments: pd.DataFrame | None = None,
    *,
    seed: int = 0,
    only_channel: pd.Series | None = None,
) -> CampaignPlan:
    """Pick who gets which channel within budget (see module docstring).

    ``scores`` and ``segments`` are validated frames (:func:`validate_scores`,
    ``contracts.validate_customers``). Customers are processed in customer_id order, so the plan
    does not depend on file order. ``seed`` drives only the random-targeting comparison.
    ``only_channel`` (customer_id -> channel name) allows each listed customer that channel only
    and nobody else a message (the segments policy).
    """
    channels = config.channels
    scored = scores.sort_values(CUSTOMER_ID, kind="stable").reset_index(drop=True)
    n_scored = len(scored)
    attributes, in_segments = _customer_attributes(scored, segments, channels)
    n_not_in_segments = int((~in_segments).sum())
    eligible = in_segments.copy()
    if config.eligible is not None and segments is not None:
        if LIFECYCLE not in attributes.columns:
            raise input_error(
                "segments file",
                f"missing column '{LIFECYCLE}' needed by --eligible",
                "Pass the output of uplift-lab segment, or --eligible all",
            )
        eligible &= attributes[LIFECYCLE].isin(config.eligible).to_numpy()
    if config.where is not None:
        eligible &= _where_eligible(scored, segments, config.where)
    n_eligible = int(eligible.sum())
    if n_eligible == 0:
        wanted = ", ".join(config.eligible or ()) or "any"
        where = f' and --where "{config.where}"' if config.where is not None else ""
        raise InputError(
            f"no eligible customers: none of the {n_scored} scored customers is in the segments "
            f"file with lifecycle {wanted}{where}. Check --eligible (e.g. --eligible all)"
            f"{', --where' if where else ''} and the ids"
        )
    opted_in = opt_in_mask(attributes, channels, "segments file")
    allowed = opted_in & eligible[:, None]
    reachable_by_rules = allowed.copy()
    if only_channel is not None:
        wanted = scored[CUSTOMER_ID].map(only_channel).to_numpy(dtype=object)
        allowed &= wanted[:, None] == np.array([c.name for c in channels], dtype=object)[None, :]
    n_opted_out = int((eligible & ~opted_in.any(axis=1)).sum())

    revenue, p_convert = channel_scores(scored, channels)
    profit, cost = option_economics(
        revenue,
        p_convert,
        [c.message_cost for c in channels],
        [c.coupon for c in channels],
        config.margin,
    )
    selection = select_offers(
        profit,
        cost,
        allowed,
        budget=config.budget,
        max_customers=config.max_customers,
        min_expected_profit=config.min_expected_profit,
    )
    usable_any = (allowed & (profit > 0)).any(axis=1)
    n_no_profit = int((eligible & opted_in.any(axis=1) & ~usable_any).sum())

    segment = (
        attributes[LIFECYCLE]
        if LIFECYCLE in attributes.columns
        else pd.Series(ALL_SEGMENT, index=scored.index, dtype="str")
    )
    selected = _selected_frame(scored, selection, segment, channels, revenue, profit, cost)
    comparison, picks = _compare_policies(
        attributes, selection, reachable_by_rules, profit, cost, channels, seed=seed
    )
    ids = scored[CUSTOMER_ID].to_numpy()
    names = np.array([c.name for c in channels], dtype=object)
    comparison_picks = {
        policy: pd.Series(names[chosen], index=ids[rows], dtype=object)
        for policy, (rows, chosen) in picks.items()
    }
    curve = pd.DataFrame(
        {"budget": selection.curve_budget, "expected_profit": selection.curve_profit}
    )
    return CampaignPlan(
        config=config,
        selection=selection,
        selected=selected,
        by_segment=summarize_by_segment(selected),
        curve=curve,
        comparison=comparison,
        n_scored=n_scored,
        n_eligible=n_eligible,
        n_not_in_segments=n_not_in_segments,
        n_opted_out=n_opted_out,
        n_no_profitable_option=n_no_profit,
        comparison_picks=comparison_picks,
    )


def _where_eligible(scored: pd.DataFrame, segments: pd.DataFrame | None, where: str) -> np.ndarray:
    """True per scored customer whose segments row satisfies ``where`` (absent: False)."""
    from uplift_lab.tags import where_mask

    if segments is None:
        raise InputError(
            "--where: the condition reads the columns of --segments FILE; pass it (e.g. the "
            "output of uplift-lab segment)"
        )
    passes = where_mask(segments, where)
    take, found = _segment_positions(scored, segments)
    return found & passes[take]


def _segment_positions(
    scored: pd.DataFrame, segments: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Row of each scored customer in ``segments`` (0 where absent) and whether it is there."""
    import pyarrow as pa
    import pyarrow.compute as pc

    position = pc.index_in(
        pa.array(scored[CUSTOMER_ID], pa.string()),
        value_set=pa.array(segments[CUSTOMER_ID], pa.string()),
    )
    position = position.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    found = position >= 0
    return np.where(found, position, 0), found


def _customer_attributes(
    scored: pd.DataFrame, segments: pd.DataFrame | None, channels: Sequence[Channel]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Lifecycle, opt-ins and rfm_score aligned with ``scored``, and who is in the segments file.

    Without a segments file they come from the score table itself (when present). Customers
    missing from the segments file get no lifecycle and no opt-in (they are not eligible).
    """
    wanted = [LIFECYCLE, RFM_SCORE]
    for channel in channels:
        wanted.append(OPT_IN_COLUMNS.get(channel.name, f"{channel.name}_opt_in"))
    wanted = list(dict.fromkeys(wanted))
    if segments is None:
        present = [c for c in wanted if c in scored.columns]
        return scored[present].copy(), np.ones(len(scored), dtype=bool)
    take, found = _segment_positions(scored, segments)
    columns = {}
    for column in (c for c in wanted if c in segments.columns):
        values = segments[column].take(take).reset_index(drop=True)
        if column != LIFECYCLE:  # opt-ins 0 and rfm_score NaN when not in the file
            if column == RFM_SCORE:
                values = contracts.numeric_column(
                    segments, column, "segments file", allow_missing=True
                )
            else:  # an opt-in column: 1/0, yes/no, 是/否 ...
                flags = contracts.yes_no_flags(segments, column, "segments file")
                values = pd.Series(flags.astype(np.float64), index=segments.index)
            values = values.take(take).reset_index(drop=True)
            values = values.where(found, 0.0 if column != RFM_SCORE else np.nan)
        else:
            values = values.where(found)
        columns[column] = values
    return pd.DataFrame(columns, index=scored.index), found


def _selected_frame(
    scored: pd.DataFrame,
    selection: Selection,
    segment: pd.Series,
    channels: Sequence[Channel],
    revenue: np.ndarray,
    profit: np.ndarray,
    cost: np.ndarray,
) -> pd.DataFrame:
    rows = np.flatnonzero(selection.choice >= 0)
    rows = rows[np.argsort(selection.entry_order[rows], kind="stable")]
    chosen = selection.choice[rows].astype(np.int64)
    names = np.array([c.name for c in channels], dtype=object)
    return pd.DataFrame(
        {
            CUSTOMER_ID: scored[CUSTOMER_ID].to_numpy()[rows],
            "segment": segment.iloc[rows].to_numpy(dtype=object),
            "channel": names[chosen],
            "expected_cost": cost[rows, chosen],
            "expected_incremental_revenue": revenue[rows, chosen],
            "expected_profit": profit[rows, chosen],
            "rank": np.arange(1, len(rows) + 1, dtype=np.int64),
        }
    )


def summarize_by_segment(selected: pd.DataFrame) -> pd.DataFrame:
    """Per segment x channel: customers, cost, expected incremental revenue and profit, ROI."""
    grouped = (
        selected.groupby(["segment", "channel"], sort=True, observed=True)
        .agg(
            customers=(CUSTOMER_ID, "size"),
            cost=("expected_cost", "sum"),
            expected_incremental_revenue=("expected_incremental_revenue", "sum"),
            expected_profit=("expected_profit", "sum"),
        )
        .reset_index()
    )
    total = pd.DataFrame(
        {
            "segment": ["total"],
            "channel": ["all"],
            "customers": [len(selected)],
            "cost": [selected["expected_cost"].sum()],
            "expected_incremental_revenue": [selected["expected_incremental_revenue"].sum()],
            "expected_profit": [selected["expected_profit"].sum()],
        }
    )
    table = pd.concat([grouped, total], ignore_index=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["roi"] = np.where(table["cost"] > 0, table["expected_profit"] / table["cost"], np.nan)
    return table


def _compare_policies(
    attributes: pd.DataFrame,
    selection: Selection,
    allowed: np.ndarray,
    profit: np.ndarray,
    cost: np.ndarray,
    channels: Sequence[Channel],
    *,
    seed: int,
) -> pd.DataFrame:
    """The plan's budget spent by uplift, by RFM score and at random, valued by the model.

    Rules have no channel choice: each customer gets the first listed channel they may receive.
    Also returns each policy's picks (row indices, channel indices), so they can be valued
    independently of the model on a past campaign (:func:`value_comparison_on_past`).
    """
    budget = selection.spent
    reachable = allowed.any(axis=1)
    first_channel = np.argmax(allowed, axis=1)
    rows = np.arange(len(attributes))
    rule_profit = np.where(reachable, profit[rows, first_channel], 0.0)
    rule_profit = np.nan_to_num(rule_profit, nan=0.0)  # unmeasured (segments policy): 0
    rule_cost = np.where(reachable, cost[rows, first_channel], 0.0)
    candidates = np.flatnonzero(reachable)
    plan_rows = np.flatnonzero(selection.choice >= 0)
    picks = {UPLIFT_POLICY: (plan_rows, selection.choice[plan_rows].astype(np.int64))}
    records = [
        {
            "policy": UPLIFT_POLICY,
            "customers": selection.n_selected,
            "cost": selection.spent,
            "expected_profit": selection.expected_profit,
        }
    ]
    if RFM_SCORE in attributes.columns:
        rfm = attributes[RFM_SCORE].to_numpy(dtype=np.float64)[candidates]
        order = candidates[np.argsort(-np.nan_to_num(rfm, nan=-np.inf), kind="stable")]
        picked, value, spent = rank_policy(order, rule_profit, rule_cost, budget)
        picks[RFM_POLICY] = (picked, first_channel[picked])
        records.append(
            {
                "policy": RFM_POLICY,
                "customers": len(picked),
                "cost": spent,
                "expected_profit": value,
            }
        )
    order = np.random.default_rng(seed).permutation(candidates)
    picked, value, spent = rank_policy(order, rule_profit, rule_cost, budget)
    picks[RANDOM_POLICY] = (picked, first_channel[picked])
    records.append(
        {"policy": RANDOM_POLICY, "customers": len(picked), "cost": spent, "expected_profit": value}
    )
    return pd.DataFrame.from_records(records), picks


def value_comparison_on_past(
    plan: CampaignPlan, past: pd.DataFrame, config: TargetConfig, control: str = CONTROL_ARM
) -> CampaignPlan:
    """The compared policies valued by IPW on a past randomized campaign, not by the model.

    Each policy's picks are valued with :func:`uplift_lab.policy.ipw_policy_value_by_arm` on the
    past campaign's customers (the model's scores play no part). Adds the columns
    ``ipw_profit``, ``ipw_ci_low``, ``ipw_ci_high`` and ``n_picked_in_past``.
    """
    from dataclasses import replace

    columns: dict[str, list] = {
        "n_picked_in_past": [], "ipw_profit": [], "ipw_ci_low": [], "ipw_ci_high": []
    }  # fmt: skip
    for name in plan.comparison["policy"]:
        chosen = past[CUSTOMER_ID].map(plan.comparison_picks.get(name, pd.Series(dtype=object)))
        value = _ipw_value_of_channels(chosen, past, config, control)
        columns["n_picked_in_past"].append(value.n_picked)
        columns["ipw_profit"].append(value.incremental_profit.value)
        columns["ipw_ci_low"].append(value.incremental_profit.ci_low)
        columns["ipw_ci_high"].append(value.incremental_profit.ci_high)
    comparison = plan.comparison.assign(**columns)
    return replace(plan, comparison=comparison, comparison_valued_by=IPW_VALUED)


# --------------------------------------------------------------------------------------------
# Guardrails: channels whose model is "not useful", and the segments policy (no model)
# --------------------------------------------------------------------------------------------

WEAK_MODEL_FIX = (
    "Target by the effects measured on the past campaign instead (--policy segments --analysis"
    " reports/PAST/report.json), or pass --accept-weak-model to send on these scores anyway"
)


@dataclass(frozen=True, slots=True)
class ChannelCheck:
    """Which channels keep their model's scores, and why the others were dropped."""

    kept: tuple[Channel, ...]
    dropped: tuple[tuple[str, str], ...]  # (channel, the verdict's sentence)
    unchecked: tuple[str, ...]
    inconclusive: tuple[tuple[str, str], ...] = ()  # kept, not shown to beat random


def check_channel_models(
    channels: Sequence[Channel], verdicts: Mapping[str, Mapping[str, Mapping]]
) -> ChannelCheck:
    """Drop each channel whose model's held-out verdict (from ``train``) is "not useful".

    A channel is judged by the arm of the same name; a model with one treated arm judges every
    channel (they all use its single score). The revenue verdict counts when revenue was
    modelled (that is the score ``target`` spends on), else the conversion one
    (:func:`uplift_lab.uplift.guardrails.target_outcome`). "Inconclusive" channels are kept
    and listed: their Qini is above random's, but the held-out data cannot show it.
    """
    from uplift_lab.uplift.evaluate import INCONCLUSIVE, NOT_USEFUL
    from uplift_lab.uplift.guardrails import target_outcome

    kept, dropped, unchecked, inconclusive = [], [], [], []
    for channel in channels:
        arm = channel.name if channel.name in verdicts else None
        if arm is None and len(verdicts) == 1:
            arm = next(iter(verdicts))
        entry = target_outcome(verdicts, arm) if arm is not None else None
        if entry is None:
            unchecked.append(channel.name)
            kept.append(channel)
        elif entry["verdict"] == NOT_USEFUL:
            dropped.append((channel.name, str(entry["text"])))
        else:
            kept.append(channel)
            if entry["verdict"] == INCONCLUSIVE:
                inconclusive.append((channel.name, str(entry["text"])))
    return ChannelCheck(tuple(kept), tuple(dropped), tuple(unchecked), tuple(inconclusive))


@dataclass(frozen=True, slots=True)
class SegmentEffects:
    """Measured profit per message of every segment x channel of a past campaign's analysis.

    ``table``: segment, channel, treated_n, control_n, incremental_revenue_per_customer (its CI),
    conversion_rate_sent, profit_per_message (at the target's margin and costs, from the point
    estimate or the CI's lower bound: ``effect``), best (the segment's best channel, if any).
    """

    table: pd.DataFrame
    effect: str


SEGMENT_EFFECTS = ("estimate", "ci_low")


def segment_effects(
    analysis: Mapping, channels: Sequence[Channel], margin: float, *, effect: str = "estimate"
) -> SegmentEffects:
    """Per segment x channel profit per message, from ``analyze``'s report.json comparisons.

    Profit per message = margin x incremental revenue per customer - message cost - coupon x
    conversion rate of the sent. ``effect="estimate"`` uses the measured difference (the unbiased
    estimate of what a message earns), ``"ci_low"`` its lower confidence bound (send only where
    a gain is shown). A segment label ``stage|channel`` (strata of a target holdout) counts as
    the segment ``stage``. Without per-segment comparisons the overall effect holds for all.
    """
    if effect not in SEGMENT_EFFECTS:
        raise InputError(f"--segment-effect: expected estimate or ci_low, got '{effect}'")
    by_name = {c.name: c for c in channels}
    rows = []
    comparisons = analysis.get("comparisons") or []
    if not any(item.get("segment") not in (None, ALL_SEGMENT) for item in comparisons):
        comparisons = [{**item, "segment": ALL_SEGMENT} for item in analysis.get("overall") or []]
    for item in comparisons:
        channel = by_name.get(str(item.get("arm")))
        revenue = item.get("revenue") or {}
        if channel is None or revenue.get("difference") is None:
            continue
        segment = str(item["segment"])
        head, _, tail = segment.rpartition("|")
        if head and tail == channel.name:
            segment = head
        uplift = revenue["difference"] if effect == "estimate" else revenue.get("ci_low")
        if uplift is None:  # no interval (too few customers): not measured well enough
            continue
        conversion = (item.get("conversion") or {}).get("treatment_mean") or 0.0
        profit = margin * float(uplift) - channel.message_cost - channel.coupon * conversion
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
                "profit_per_message": profit,
            }
        )
    if not rows:
        raise InputError(
            "--analysis: the report has no comparison of the --channel channels against control"
            f" (channels: {', '.join(by_name)}). Pass analyze's report.json of a past campaign"
            " whose arms are named like the channels"
        )
    table = pd.DataFrame.from_records(rows)
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
    return SegmentEffects(table=table, effect=effect)


def _pool_rows(group: pd.DataFrame) -> pd.Series:
    weight = group["weight"].to_numpy(dtype=np.float64)
    out = {}
    pooled = ("incremental_revenue_per_customer", "conversion_rate_sent", "profit_per_message")
    for column in pooled:
        out[column] = float(np.average(group[column].to_numpy(dtype=np.float64), weights=weight))
    for column in ("ci_low", "ci_high"):
        values = pd.to_numeric(group[column], errors="coerce").to_numpy(dtype=np.float64)
        out[column] = float(np.average(values, weights=weight)) if len(group) == 1 else np.nan
    out["treated_n"] = int(group["treated_n"].sum())
    out["control_n"] = int(group["control_n"].sum())
    return pd.Series(out)


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
    only the segment's best channel, and only where its profit per message is positive; the
    planner then ranks by profit per cost within the budget.
    """
    table = effects.table.set_index("segment")
    segment = segments[segment_col].astype("string").fillna("")
    if set(table.index) == {ALL_SEGMENT}:
        segment = pd.Series(ALL_SEGMENT, index=segments.index, dtype="string")
    out = pd.DataFrame({CUSTOMER_ID: segments[CUSTOMER_ID].to_numpy()})
    best = table[table["best"]]["channel"]
    allowed = pd.Series(segment.map(best).to_numpy(dtype=object), index=out[CUSTOMER_ID])
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


# --------------------------------------------------------------------------------------------
# Holdout: through the design code, so analyze reads the campaign like any experiment
# --------------------------------------------------------------------------------------------

HOLDOUT_STRATA = ("segment", "channel")
BALANCE_COLUMNS = ("expected_incremental_revenue", "expected_profit")


@dataclass(frozen=True, slots=True)
class HoldoutSplit:
    """The plan split into a send list and a holdout, stratified by segment and channel.

    ``design`` is the experiment (arm = channel name or ``control``) to write with
    ``design.write_experiment``; it is None when ``fraction`` is 0. ``send_list`` has the
    :data:`SEND_LIST_COLUMNS` of the customers to message, ranked 1..n.
    """

    fraction: float
    design: ExperimentDesign | None
    send_list: pd.DataFrame
    holdout_counts: dict[tuple[str, str], int]
    n_send: int
    send_cost: float


def split_holdout(
    selected: pd.DataFrame,
    fraction: float,
    *,
    name: str,
    salt: str | None = None,
    min_holdout: int = 200,
) -> HoldoutSplit:
    """Keep a random ``fraction`` of the selected customers out of the send, exactly per stratum.

    The assignment uses ``uplift_lab.design.assign`` (salted SHA-256 ranking, exact counts per
    segment x channel), then the ``send`` arm is renamed to each stratum's channel.
    """
    from uplift_lab import design

    if not 0 <= fraction < 1:
        raise InputError(f"--holdout: must be in [0, 1), got {fraction:g}")
    if len(selected) == 0:
        raise InputError(
            "nothing to send: no eligible customer has a channel with positive expected profit"
            " within the budget. Check the budget, --eligible and the scores"
        )
    if fraction == 0:
        send = selected.assign(rank=np.arange(1, len(selected) + 1, dtype=np.int64))
        return HoldoutSplit(
            fraction=0.0,
            design=None,
            send_list=send[list(SEND_LIST_COLUMNS)].reset_index(drop=True),
            holdout_counts={},
            n_send=len(send),
            send_cost=float(send["expected_cost"].sum()),
        )
    frame = selected[[CUSTOMER_ID, *HOLDOUT_STRATA, *BALANCE_COLUMNS]]
    design.check_experiment_name(name)
    raw = design.assign(frame, name=name, strata=HOLDOUT_STRATA, holdout=fraction, salt=salt)
    channel_of_stratum = {label: label.split(design.STRATUM_SEPARATOR)[-1] for label in raw.counts}
    assignment = raw.assignment.copy()
    is_send = (assignment[contracts.ARM] == contracts.SEND_ARM).to_numpy()
    channel_arm = assignment[contracts.STRATUM].map(channel_of_stratum).to_numpy(dtype=object)
    assignment[contracts.ARM] = np.where(is_send, channel_arm, CONTROL_ARM).astype(str)
    assignment[contracts.ARM] = assignment[contracts.ARM].astype(
        raw.assignment[contracts.ARM].dtype
    )

    def relabel(arms: Mapping[str, object], label: str) -> dict:
        return {
            (channel_of_stratum[label] if arm == contracts.SEND_ARM else arm): value
            for arm, value in arms.items()
        }

    counts = {label: relabel(arms, label) for label, arms in raw.counts.items()}
    fractions = {label: relabel(arms, label) for label, arms in raw.fractions.items()}
    channel_names = list(dict.fromkeys(selected["channel"]))
    result = design.Assignment(
        name=raw.name,
        salt=raw.salt,
        strata=raw.strata,
        arms=(CONTROL_ARM, *channel_names),
        control_arm=CONTROL_ARM,
        assignment=assignment,
        counts=counts,
        fractions=fractions,
        source_rows=raw.source_rows,
    )
    rows = frame.iloc[raw.source_rows].reset_index(drop=True)
    power = design.mde_per_stratum(
        counts, {label: design.DEFAULT_BASELINE for label in counts}, control_arm=CONTROL_ARM
    )
    balance = design.balance_per_stratum(
        rows[list(BALANCE_COLUMNS)],
        assignment[contracts.STRATUM].to_numpy(),
        assignment[contracts.ARM].to_numpy(),
        control_arm=CONTROL_ARM,
        stratum_order=list(counts),
    )
    # Each stratum has one channel: drop the balance rows of arms that stratum cannot have.
    table = balance.table
    own_arm = table[contracts.STRATUM].map(channel_of_stratum) == table[contracts.ARM]
    balance = design.BalanceReport(
        threshold=balance.threshold,
        covariates=balance.covariates,
        table=table[own_arm.to_numpy()].reset_index(drop=True),
    )
    small = {
        label: arms[CONTROL_ARM]
        for label, arms in counts.items()
        if arms[CONTROL_ARM] < min_holdout
    }
    warnings = tuple(
        f"stratum '{label}': holdout of {n} customer(s) is below {min_holdout};"
        " its lift cannot be read on its own"
        for label, n in small.items()
    )
    experiment = design.ExperimentDesign(
        assignment=result,
        power=power,
        balance=balance,
        min_holdout=min_holdout,
        small_holdouts=small,
        warnings=warnings,
        baseline_source="default",
    )
    held_ids = assignment.loc[~is_send, CUSTOMER_ID]
    send = selected[~selected[CUSTOMER_ID].isin(held_ids)]
    send = send.assign(rank=np.arange(1, len(send) + 1, dtype=np.int64))
    holdout_counts = {
        tuple(label.split(design.STRATUM_SEPARATOR)): arms[CONTROL_ARM]
        for label, arms in counts.items()
    }
    return HoldoutSplit(
        fraction=float(fraction),
        design=experiment,
        send_list=send[list(SEND_LIST_COLUMNS)].reset_index(drop=True),
        holdout_counts=holdout_counts,
        n_send=len(send),
        send_cost=float(send["expected_cost"].sum()),
    )


# --------------------------------------------------------------------------------------------
# The whole command: read, plan, split, validate, write (everything checked before any write)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TargetOutcome:
    """What ``run_target`` decided and wrote, for the CLI to print."""

    plan: CampaignPlan
    split: HoldoutSplit
    validation: PolicyValue | None
    summary: dict
    warnings: tuple[str, ...]
    written: tuple[Path, ...]
    segment_effects: SegmentEffects | None = None


def _check_options(
    config: TargetConfig,
    out: Path,
    holdout: float,
    experiment: Path | None,
    force: bool,
) -> None:
    from uplift_lab import io

    io.output_format(out)
    if not 0 < config.margin <= 1:
        raise InputError(
            f"--margin: must be in (0, 1] (share of revenue that is profit), got {config.margin:g}"
        )
    if not 0 <= holdout < 1:
        raise InputError(f"--holdout: must be in [0, 1), got {holdout:g}. Use e.g. --holdout 0.1")
    if holdout > 0 and experiment is None:
        raise InputError(
            "--experiment: a holdout needs an experiment folder to record it. "
            "Add --experiment experiments/NAME (or --holdout 0 to send to everyone selected)"
        )
    if experiment is not None:
        from uplift_lab import design

        design.check_experiment_name(Path(experiment).name)
        if experiment.exists() and (not experiment.is_dir() or any(experiment.iterdir())):
            if not force:
                raise input_error(
                    experiment,
                    "already exists and is not empty",
                    "Use --force to replace it, or another --experiment",
                )


POLICIES = ("model", "segments")


def _read_verdicts(model_dir: Path) -> dict:
    """The per-arm verdicts train stored in model.json (computed now for older models)."""
    from uplift_lab import io
    from uplift_lab.uplift import guardrails
    from uplift_lab.uplift.store import CV_PREDICTIONS_FILE, read_model_description

    description = read_model_description(model_dir)
    cv_metrics = description.get("cv_metrics") or {}
    verdicts = cv_metrics.get(guardrails.VERDICTS_KEY)
    if verdicts is None:
        predictions_path = Path(model_dir) / CV_PREDICTIONS_FILE
        if not predictions_path.is_file():
            raise input_error(
                model_dir,
                f"model.json has no verdicts and there is no {CV_PREDICTIONS_FILE}",
                "Retrain it with this uplift-lab (train stores the verdicts)",
            )
        predictions = io.read_table(predictions_path, string_columns=["arm", "assigned_arm"])
        verdicts = guardrails.chosen_model_verdicts(
            cv_metrics,
            predictions,
            id_col=str(description["id_col"]),
            arms=description["arms"],
            control=str(description["control"]),
        )
    return verdicts


def _guard_channels(
    config: TargetConfig, model_dir: Path | None, accept_weak_model: bool, warnings: list[str]
) -> TargetConfig:
    """Drop the channels whose model is "not useful"; refuse when none is left."""
    from dataclasses import replace

    if model_dir is None:
        warnings.append(
            "no --model given: whether the scores' model beats random targeting is not checked"
            " (pass --model MODEL_DIR, the folder train wrote)"
        )
        return config
    check = check_channel_models(config.channels, _read_verdicts(Path(model_dir)))
    for name, text in check.dropped:
        warnings.append(
            f"channel '{name}' dropped: its model is {text} Its customers can still get the"
            " other channels"
            + ("" if not accept_weak_model or check.kept else " (kept: --accept-weak-model)")
        )
    for name, text in check.inconclusive:
        warnings.append(
            f"channel '{name}' kept, but its model is not shown to beat random targeting"
            f" ({_first_clause(text)}): its calibrated predictions lean on the average effect"
            " the past campaign measured, and this send's holdout will tell"
        )
    if check.unchecked:
        warnings.append(
            f"channel(s) {', '.join(check.unchecked)}: the model has no arm of that name, so"
            " their scores are not checked"
        )
    if not check.kept:
        if not accept_weak_model:
            names = ", ".join(name for name, _ in check.dropped)
            raise input_error(
                model_dir,
                f'the model is "not useful" (no better than random targeting on its held-out'
                f" folds) for every channel ({names})",
                WEAK_MODEL_FIX,
            )
        return config
    return replace(config, channels=check.kept)


def _first_clause(text: str) -> str:
    """A verdict sentence up to its first full stop (the advice after it is for evaluate)."""
    return text.split(". ")[0].rstrip(".")


def _segment_policy_inputs(
    analysis_file: Path | None,
    segments: pd.DataFrame | None,
    config: TargetConfig,
    effect: str,
    encoding: str | None,
) -> tuple[pd.DataFrame, pd.Series, SegmentEffects]:
    from uplift_lab import io

    if analysis_file is None:
        raise InputError(
            "--policy segments: needs --analysis, the report.json analyze wrote for the past"
            " campaign. Add --analysis reports/PAST/report.json"
        )
    if segments is None:
        raise InputError(
            "--policy segments: needs --segments (the customers to send to, with their"
            " lifecycle). Add --segments segments.parquet"
        )
    if LIFECYCLE not in segments.columns:
        raise input_error("segments file", f"missing column '{LIFECYCLE}'", "Pass segment output")
    analysis = io.read_json(Path(analysis_file))
    if not isinstance(analysis, dict) or "comparisons" not in analysis:
        raise input_error(analysis_file, "is not an analyze report", "Pass analyze's report.json")
    effects = segment_effects(analysis, config.channels, config.margin, effect=effect)
    scores, only = segment_policy_scores(effects, segments, config.channels, config.margin)
    return scores, only, effects


def run_target(
    scores_file: Path | None,
    config: TargetConfig,
    *,
    out: Path,
    model_dir: Path | None = None,
    accept_weak_model: bool = False,
    policy: str = "model",
    analysis_file: Path | None = None,
    segment_effect: str = "estimate",
    segments_file: Path | None = None,
    holdout: float = 0.1,
    experiment: Path | None = None,
    salt: str | None = None,
    start: str | None = None,
    report_dir: Path | None = None,
    validate_on: Path | None = None,
    validate_control: str = CONTROL_ARM,
    validate_stratum_col: str | None = None,
    seed: int = 0,
    force: bool = False,
    encoding: str | None = None,
    with_columns: Sequence[str] = (),
) -> TargetOutcome:
    """Read scores (and segments), plan the campaign, split the holdout, write every output.

    ``with_columns`` (e.g. phone, nickname) are joined from the segments file onto the send list,
    as text, for the sending tool. The send list is .csv, .tsv, .parquet or .xlsx by ``out``.

    Every input and option is checked before the first file is written, so a bad run writes
    nothing. Outputs: the send list ``out``, the experiment folder, and optionally ``report_dir``.
    """
    from uplift_lab import io
    from uplift_lab import policy as off_policy
    from uplift_lab.experiment import write_experiment
    from uplift_lab.report import target_report

    out = Path(out)
    _check_options(config, out, holdout, experiment, force)
    if policy not in POLICIES:
        raise InputError(f"--policy: expected model or segments, got '{policy}'")
    if segment_effect not in SEGMENT_EFFECTS:
        raise InputError(f"--segment-effect: expected estimate or ci_low, got '{segment_effect}'")
    if policy == "model" and scores_file is None:
        raise InputError(
            "target: no SCORES file given. Pass the output of uplift-lab score, or"
            " --policy segments --analysis reports/PAST/report.json"
        )
    start_date = None
    if start is not None:
        parsed = parse_date_option(start, "--start", "2026-11-01")
        start_date = parsed.date().isoformat()

    scores = None
    if policy == "model":
        scores_file = Path(scores_file)
        scores = validate_scores(read_scores(scores_file, encoding), scores_file, config.channels)
    segments = None
    if segments_file is not None:
        segments_file = Path(segments_file)
        segments = contracts.validate_customers(
            io.read_table(
                segments_file, encoding=encoding, string_columns=[CUSTOMER_ID, *with_columns]
            ),
            segments_file,
            read_signup=False,
        )
        _check_segment_columns(segments, segments_file, config)
    _check_send_list_columns(with_columns, segments, segments_file)
    past = None
    if validate_on is not None:
        past = off_policy.validate_past_campaign(
            io.read_table(validate_on, encoding=encoding, string_columns=[CUSTOMER_ID]),
            validate_on,
            control=validate_control,
            stratum_col=validate_stratum_col,
        )

    # Inputs are valid: now the guardrails (a weak model's channels go; none left: refuse).
    warnings: list[str] = []
    only_channel = effects = None
    if policy == "segments":
        scores, only_channel, effects = _segment_policy_inputs(
            analysis_file, segments, config, segment_effect, encoding
        )
        if scores_file is not None:
            warnings.append(f"--policy segments: {scores_file} is not used (no model needed)")
    else:
        config = _guard_channels(config, model_dir, accept_weak_model, warnings)

    plan = plan_campaign(scores, config, segments, seed=seed, only_channel=only_channel)
    if policy == "segments":
        plan = _relabel_plan_policy(plan, SEGMENTS_POLICY)
    if past is not None:
        plan = value_comparison_on_past(plan, past, config, validate_control)
    if plan.n_not_in_segments:
        warnings.append(
            f"{plan.n_not_in_segments:,} scored customer(s) are not in the segments file and are"
            " not eligible"
        )
    name = Path(experiment).name if experiment is not None else out.stem
    split = split_holdout(plan.selected, holdout, name=name, salt=salt)
    if holdout == 0:
        warnings.append(
            "--holdout 0: no holdout, so nobody will be able to measure what this campaign earned"
        )
    if split.design is not None and split.design.small_holdouts:
        small = split.design.small_holdouts
        label, size = min(small.items(), key=lambda item: item[1])
        warnings.append(
            f"{len(small)} of {len(split.holdout_counts)} segment x channel holdouts have fewer"
            f" than {split.design.min_holdout} customers (smallest: '{label}' with {size}):"
            " read their lifts together (overall per channel), not one by one"
        )
    validation = None
    if past is not None:
        validation = _validate_on_past(plan, past, config, validate_control)
        if validation.n_picked == 0:
            warnings.append(
                f"{validate_on}: none of the past campaign's customers is picked by this plan"
            )
        else:
            warnings.append(predicted_against_measured(plan, past, validation))

    summary = target_report.summary_dict(plan, split, validation)
    summary["policy"] = policy
    if effects is not None:
        summary["segment_effect"] = effects.effect
        summary["segment_effects"] = target_report.records(effects.table)
    summary["send_list"] = str(out)
    summary["experiment"] = str(experiment) if split.design is not None else None
    written: list[Path] = []
    if split.design is not None:
        campaign = {
            **config.as_dict(),
            "start": start_date,
            "send_list": str(out),
            "scores_file": str(scores_file) if scores_file is not None else None,
            "policy": policy,
            "segments_file": str(segments_file) if segments_file else None,
            "holdout": holdout,
            "expected_cost": plan.selection.spent,
            "expected_profit": plan.selection.expected_profit,
        }
        write_experiment(
            split.design,
            experiment,
            input_file=str(scores_file if policy == "model" else segments_file),
            input_sha256=io.sha256_file(scores_file if policy == "model" else segments_file),
            force=force,
            campaign=campaign,
        )
        written.append(Path(experiment))
    written.append(io.write_table(_send_list_with(split.send_list, segments, with_columns), out))
    if report_dir is not None:
        written.extend(
            _write_report(Path(report_dir), plan, summary, target_report.curve_png(plan))
        )
    return TargetOutcome(
        plan=plan,
        split=split,
        validation=validation,
        segment_effects=effects,
        summary=summary,
        warnings=tuple(warnings),
        written=tuple(written),
    )


def _check_send_list_columns(
    columns: Sequence[str], segments: pd.DataFrame | None, source: Path | None
) -> None:
    """Refuse --with-columns without --segments, naming a column it lacks or one it would
    overwrite."""
    if not columns:
        return
    if segments is None:
        raise InputError(
            "--with-columns: the columns come from --segments FILE; pass it (e.g. the output "
            "of uplift-lab segment with --customers, which carries the customer attributes)"
        )
    for column in columns:
        if column in SEND_LIST_COLUMNS:
            raise InputError(
                f"--with-columns: '{column}' is already a send-list column; drop it from the list"
            )
        if column not in segments.columns:
            shown = ", ".join(map(str, segments.columns[:20]))
            raise input_error(
                source,
                f"missing column '{column}' asked for by --with-columns",
                f"The file has: {shown}. Add it (segment --customers passes customer attributes "
                "through) or drop it from --with-columns",
            )


def _send_list_with(
    send_list: pd.DataFrame, segments: pd.DataFrame | None, columns: Sequence[str]
) -> pd.DataFrame:
    """The send list with ``columns`` of each customer's segments row appended, in order."""
    if not columns or segments is None:
        return send_list
    extra = segments[[CUSTOMER_ID, *columns]]
    return send_list.merge(extra, on=CUSTOMER_ID, how="left", validate="one_to_one")


SEGMENTS_POLICY = "segments (this plan)"


def _relabel_plan_policy(plan: CampaignPlan, label: str) -> CampaignPlan:
    """Name this plan's row of the comparison after the policy that made it."""
    from dataclasses import replace

    policies = plan.comparison["policy"].replace(UPLIFT_POLICY, label)
    comparison = plan.comparison.assign(policy=policies)
    picks = {(label if k == UPLIFT_POLICY else k): v for k, v in plan.comparison_picks.items()}
    return replace(plan, comparison=comparison, comparison_picks=picks)


def _check_segment_columns(segments: pd.DataFrame, source: Path, config: TargetConfig) -> None:
    if config.eligible is not None:
        if LIFECYCLE not in segments.columns:
            raise input_error(
                source,
                f"missing column '{LIFECYCLE}' needed by --eligible",
                "Pass the output of uplift-lab segment, or --eligible all",
            )
        present = set(segments[LIFECYCLE].dropna().astype(str))
        unknown = [stage for stage in config.eligible if stage not in present]
        if len(unknown) == len(config.eligible):
            raise input_error(
                source,
                f"no customer has lifecycle {', '.join(config.eligible)} "
                f"(the file has: {', '.join(sorted(present)[:10])})",
                "Fix --eligible, e.g. --eligible semi_active,silent or --eligible all",
            )
    opt_in_mask(segments, config.channels, source)  # 0/1 check of the opt-in columns
    if RFM_SCORE in segments.columns:
        contracts.numeric_column(segments, RFM_SCORE, source, allow_missing=True)


def _validate_on_past(
    plan: CampaignPlan, past: pd.DataFrame, config: TargetConfig, control: str = CONTROL_ARM
):
    chosen = plan.selected.set_index(CUSTOMER_ID)["channel"]
    return _ipw_value_of_channels(past[CUSTOMER_ID].map(chosen), past, config, control)


def predicted_against_measured(plan: CampaignPlan, past: pd.DataFrame, validation) -> str:
    """One sentence: the plan's predicted profit for its picks that were in the past campaign
    against what the campaign measured for them (IPW, :func:`_validate_on_past`), and whether
    the prediction lies inside the measurement's CI."""
    in_past = plan.selected[CUSTOMER_ID].isin(past[CUSTOMER_ID])
    predicted = float(plan.selected.loc[in_past, "expected_profit"].sum())
    measured = validation.incremental_profit
    where = (
        f"the plan predicts {predicted:,.2f} profit for its {int(in_past.sum()):,} picks that"
        f" were in the past campaign; the campaign measured {measured.value:,.2f} for them"
        f" ({validation.confidence:.0%} CI {measured.ci_low:,.2f} to {measured.ci_high:,.2f})"
    )
    if measured.ci_low <= predicted <= measured.ci_high:
        return f"{where}: consistent"
    side = "above" if predicted > measured.ci_high else "below"
    return (
        f"{where}: the prediction is {side} what was measured, so the plan's expected profit is"
        " not borne out (the model's levels are off, or the customers have changed since)"
    )


def _ipw_value_of_channels(
    channel_of: pd.Series, past: pd.DataFrame, config: TargetConfig, control: str
):
    """IPW value on the past campaign of sending each past customer ``channel_of`` (NaN: none)."""
    from uplift_lab import policy

    return policy.ipw_policy_value_by_arm(
        channel_of.to_numpy(dtype=object),
        past["arm"].to_numpy(),
        past["revenue"].to_numpy(),
        past["converted"].to_numpy(),
        past["stratum"].to_numpy(),
        control=control,
        margin=config.margin,
        message_cost={c.name: c.message_cost for c in config.channels},
        coupon={c.name: c.coupon for c in config.channels},
    )


def _write_report(folder: Path, plan: CampaignPlan, summary: dict, png: bytes) -> list[Path]:
    from uplift_lab import io

    folder.mkdir(parents=True, exist_ok=True)
    return [
        io.write_json(summary, folder / "summary.json"),
        io.write_table(plan.by_segment, folder / "by_segment.csv"),
        io.write_table(plan.curve, folder / "profit_curve.csv"),
        io.write_bytes(png, folder / "profit_curve.png"),
        io.write_table(plan.comparison, folder / "comparison.csv"),
    ]
