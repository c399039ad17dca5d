"""The multiple-choice knapsack behind ``target``: at most one option per customer, within budget.

Solved by the incremental-efficiency greedy on each customer's upper convex hull of options
(Sinha & Zoltners 1979), which is the LP relaxation's optimum up to one fractional item, plus a
fill pass with the budget that is left. The LP value is reported as an upper bound, so the gap to
the best possible plan is known (see :mod:`uplift_lab.target`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

NO_CHANNEL = -1
BUDGET_ROUNDING = 1e-12  # relative slack for float sums of message costs
_MAX_FILL_STEPS = 10_000
_HULL_CHUNK = 1 << 14  # rows per block: temporaries stay in cache


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
    usable = _usable_options(profit, cost, allowed, min_expected_profit)
    steps = _greedy_steps(profit, cost, usable)

    cum_cost = np.cumsum(steps.cost)
    cum_profit = np.cumsum(steps.profit)
    auto_budget = float(cum_cost[-1]) if len(cum_cost) else 0.0
    curve_budget, curve_profit = _profit_curve(
        cum_cost, cum_profit, auto_budget, curve_points, budget_value
    )
    # Costs summed in floating point (6 x 0.010000000000000002 > 0.06): a plan that fits the
    # budget up to rounding fits it.
    fit_budget = budget_value + BUDGET_ROUNDING * max(1.0, abs(budget_value))
    taken_steps, prefix_cost, lp_bound = _greedy_prefix(cum_cost, cum_profit, steps, fit_budget)
    del cum_cost, cum_profit

    taken = np.zeros(len(steps.cost), dtype=bool)
    taken[:taken_steps] = True
    taken = _fill_remaining(
        taken, taken_steps, steps.cost, steps.customer, steps.level, fit_budget - prefix_cost, n
    )
    choice, entry_order = _choices_from_steps(taken, steps.customer, steps.level, steps.option, n)
    if max_customers is not None and np.count_nonzero(choice >= 0) > max_customers:
        choice, entry_order = _limit_customers(
            profit, cost, usable, choice, max_customers, fit_budget
        )

    rows = np.flatnonzero(choice >= 0)
    spent = float(cost[rows, choice[rows]].sum())
    total_profit = float(profit[rows, choice[rows]].sum())
    exact = _single_channel_equal_costs(cost, usable)
    gap = 0.0 if exact else max(lp_bound - total_profit, 0.0)
    reason = stop_reason(budget_value, max_customers, len(rows), taken_steps, len(steps.cost))
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


def _usable_options(
    profit: np.ndarray, cost: np.ndarray, allowed: np.ndarray | None, min_expected_profit: float
) -> np.ndarray:
    """(n, k) bool: options with a finite cost >= 0 and enough expected profit, where allowed."""
    n, k = profit.shape
    usable = profit > 0 if min_expected_profit <= 0 else profit >= min_expected_profit
    usable &= np.isfinite(profit) & np.isfinite(cost) & (cost >= 0)
    if allowed is not None:
        usable &= np.asarray(allowed, dtype=bool).reshape(n, k)
    return usable


@dataclass(frozen=True, slots=True)
class _Steps:
    """Every customer's hull increments, best efficiency first (the greedy's buying order)."""

    cost: np.ndarray
    profit: np.ndarray
    option: np.ndarray
    level: np.ndarray
    customer: np.ndarray


def _greedy_steps(profit: np.ndarray, cost: np.ndarray, usable: np.ndarray) -> _Steps:
    """The hull increments of all customers sorted by decreasing efficiency."""
    k = profit.shape[1]
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
    return _Steps(step_cost, step_profit, step_option, step_level, order)


def _greedy_prefix(
    cum_cost: np.ndarray, cum_profit: np.ndarray, steps: _Steps, fit_budget: float
) -> tuple[int, float, float]:
    """Steps bought in order until the budget: their count and cost, and the LP bound.

    The LP relaxation buys the same prefix plus the fitting fraction of the next step.
    """
    taken_steps = int(np.searchsorted(cum_cost, fit_budget, side="right"))
    prefix_profit = float(cum_profit[taken_steps - 1]) if taken_steps else 0.0
    prefix_cost = float(cum_cost[taken_steps - 1]) if taken_steps else 0.0
    lp_bound = prefix_profit
    if taken_steps < len(steps.cost):
        remaining = fit_budget - prefix_cost
        lp_bound += remaining / steps.cost[taken_steps] * steps.profit[taken_steps]
    return taken_steps, prefix_cost, lp_bound


def _profit_curve(
    cum_cost: np.ndarray, cum_profit: np.ndarray, auto_budget: float, points: int, budget: float
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy profit at evenly spaced budgets (to the one buying every gain) and at ``budget``."""
    budgets = np.linspace(0.0, auto_budget, max(points, 2))
    if math.isfinite(budget) and budget < auto_budget:
        budgets = np.unique(np.append(budgets, budget))
    tolerance = BUDGET_ROUNDING * np.maximum(1.0, np.abs(budgets))  # as the plan's own fit
    index = np.searchsorted(cum_cost, budgets + tolerance, side="right") - 1
    profits = np.where(index >= 0, cum_profit[np.maximum(index, 0)] if len(cum_profit) else 0, 0.0)
    return budgets, np.asarray(profits, dtype=np.float64)


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


def stop_reason(
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
    fit = budget + BUDGET_ROUNDING * max(1.0, abs(budget))  # float sums: as the plan's own fit
    count = int(np.searchsorted(cum_cost, fit, side="right"))
    picked = order[:count]
    return picked, float(profit[picked].sum()), float(cum_cost[count - 1]) if count else 0.0
