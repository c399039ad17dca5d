"""How ``target --engine spark`` chooses among the valued options, without collecting them.

- one channel: the greedy by profit per cost is a global threshold on that efficiency. Spark
  buckets the efficiencies by approximate quantiles and sums cost per bucket; every bucket above
  the one where the cumulative cost crosses the budget is taken, that boundary bucket is solved
  exactly on the driver by :func:`~uplift_lab.target.select_offers`, and the budget left is
  filled in efficiency order from the options below that fit (as ``select_offers`` fills);
- several channels: the Lagrangian relaxation, the price of cost found by bisection over
  distributed sums (a grid of prices per pass); its dual value bounds every plan from above.

The options are the frame :func:`uplift_lab.spark.target.option_frame` values, with per channel
``j`` the columns :func:`option_column` names.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from uplift_lab.contracts import CUSTOMER_ID
from uplift_lab.target import (
    BUDGET_ROUNDING,
    NO_CHANNEL,
    Selection,
    select_offers,
    stop_reason,
)

ROWS_PER_BUCKET = 20_000  # boundary buckets come to the driver: keep them small
MAX_BUCKETS = 10_000
FILL_ROWS = 10_000  # options below the boundary the fill may look at (select_offers: 10,000 steps)
PRICES_PER_PASS = 64
PRICE_PASSES = 5  # the price bracket shrinks 63x per pass
CURVE_POINTS = 21
_EFFICIENCY, _BUCKET = "ul_efficiency", "ul_bucket"


def option_column(kind: str, j: int) -> str:
    """The column of channel ``j``'s ``kind`` (revenue, profit, cost, usable) of an option."""
    return f"ul_{kind}_{j}"


def _in_rank_order(picked: pd.DataFrame) -> pd.DataFrame:
    """Best first-step efficiency first, ties by customer id (select_offers' entry order)."""
    ordered = picked.sort_values(CUSTOMER_ID, kind="stable")
    order = np.argsort(-ordered["rank_key"].to_numpy(dtype=np.float64), kind="stable")
    return ordered.iloc[order].reset_index(drop=True)


def _selection(
    picked: pd.DataFrame,
    *,
    budget: float | None,
    lp_bound: float,
    exact: bool,
    stopped: tuple[int, int],
    auto_budget: float,
    curve: tuple[np.ndarray, np.ndarray],
) -> Selection:
    """A Selection over the chosen customers only (``choice`` in rank order, no ``-1`` rows)."""
    budget_value = math.inf if budget is None else float(budget)
    spent = float(picked["cost"].sum())
    profit = float(picked["profit"].sum())
    return Selection(
        choice=picked["choice"].to_numpy(dtype=np.int16),
        entry_order=np.arange(len(picked), dtype=np.int64),
        budget=budget_value,
        spent=spent,
        expected_profit=profit,
        lp_bound=float(max(lp_bound, profit)),
        optimality_gap=0.0 if exact else float(max(lp_bound - profit, 0.0)),
        exact=exact,
        stop_reason=stop_reason(budget_value, None, len(picked), *stopped),
        auto_budget=auto_budget,
        curve_budget=curve[0],
        curve_profit=curve[1],
    )


def _curve_budgets(auto_budget: float, budget: float | None) -> np.ndarray:
    budgets = np.linspace(0.0, auto_budget, CURVE_POINTS)
    if budget is not None and budget < auto_budget:
        budgets = np.unique(np.append(budgets, float(budget)))
    return budgets


# --------------------------------------------------------------------------------------------
# One channel: a threshold on profit per cost
# --------------------------------------------------------------------------------------------


def one_channel_plan(usable: DataFrame, budget: float | None) -> tuple[pd.DataFrame, Selection]:
    """The plan of one channel: a threshold on profit per cost, the boundary solved exactly."""
    profit, cost = F.col(option_column("profit", 0)), F.col(option_column("cost", 0))
    options = usable.select(
        CUSTOMER_ID,
        "segment",
        F.col(option_column("revenue", 0)).alias("revenue"),
        profit.alias("profit"),
        cost.alias("cost"),
        F.when(cost > 0, profit / cost).otherwise(F.lit(math.inf)).alias(_EFFICIENCY),
    )
    totals = options.agg(
        F.count(F.lit(1)).alias("n"),
        F.min("cost").alias("low"),
        F.max("cost").alias("high"),
    ).first()
    n = int(totals["n"])
    exact = n == 0 or totals["low"] == totals["high"]
    fit = math.inf if budget is None else budget + BUDGET_ROUNDING * max(1.0, abs(budget))
    buckets = max(1, min(MAX_BUCKETS, n // ROWS_PER_BUCKET))
    bucketed = _bucketed(options, buckets).cache()
    try:
        histogram = _histogram(bucketed)
        auto_budget = float(histogram["cost"].sum())  # the boundary's sums, in its order
        if fit >= auto_budget:  # everything fits: every usable option is taken
            picked = _collect(bucketed, None)
            lp_bound, stopped = float(picked["profit"].sum()), (n, n)
        else:
            picked, lp_bound = _threshold_plan(bucketed, histogram, budget, fit)
            stopped = (len(picked), n)
        curve = _one_channel_curve(bucketed, histogram, _curve_budgets(auto_budget, budget))
    finally:
        bucketed.unpersist()
    picked = _in_rank_order(picked.assign(choice=0, rank_key=picked[_EFFICIENCY]))
    selection = _selection(
        picked,
        budget=budget,
        lp_bound=lp_bound,
        exact=exact,
        stopped=stopped,
        auto_budget=auto_budget,
        curve=curve,
    )
    return picked, selection


def _bucketed(options: DataFrame, buckets: int) -> DataFrame:
    """``options`` with a bucket index: higher bucket, higher efficiency (approximate quantile
    edges; ties stay in one bucket)."""
    if buckets <= 1:
        return options.withColumn(_BUCKET, F.lit(0))
    probabilities = [i / buckets for i in range(1, buckets)]
    finite = options.where(F.col(_EFFICIENCY) < math.inf)
    edges = sorted(set(finite.approxQuantile(_EFFICIENCY, probabilities, 0.25 / buckets)))
    return options.withColumn(_BUCKET, _bucket_index(edges))


def _bucket_index(edges: list[float]) -> Column:
    """How many ``edges`` lie at or below the efficiency (a balanced tree of CASEs)."""

    def index(lo: int, hi: int) -> Column:  # the count is in [lo, hi]
        if lo == hi:
            return F.lit(lo)
        mid = (lo + hi + 1) // 2  # the count is >= mid iff efficiency >= edges[mid - 1]
        return F.when(F.col(_EFFICIENCY) >= edges[mid - 1], index(mid, hi)).otherwise(
            index(lo, mid - 1)
        )

    return index(0, len(edges))


def _histogram(bucketed: DataFrame) -> pd.DataFrame:
    """Per bucket (best first): options, cost and profit, and the cost of the buckets above."""
    table = (
        bucketed.groupBy(_BUCKET)
        .agg(
            F.count(F.lit(1)).alias("n"),
            F.sum("cost").alias("cost"),
            F.sum("profit").alias("profit"),
        )
        .toPandas()
        .sort_values(_BUCKET, ascending=False, ignore_index=True)
    )
    table["cost_above"] = table["cost"].cumsum() - table["cost"]
    table["profit_above"] = table["profit"].cumsum() - table["profit"]
    return table


def _collect(bucketed: DataFrame, condition: Column | None) -> pd.DataFrame:
    frame = bucketed if condition is None else bucketed.where(condition)
    return frame.select(
        CUSTOMER_ID, "segment", "revenue", "profit", "cost", _EFFICIENCY, _BUCKET
    ).toPandas()


def _boundary(histogram: pd.DataFrame, budget: float) -> pd.Series:
    """The bucket in which the cumulative cost (best first) passes ``budget``."""
    passes = histogram["cost_above"] + histogram["cost"] > budget
    return histogram[passes].iloc[0]


def _threshold_plan(
    bucketed: DataFrame, histogram: pd.DataFrame, budget: float, fit: float
) -> tuple[pd.DataFrame, float]:
    """Buckets above the boundary, the boundary solved exactly, then the fill from below."""
    edge = _boundary(histogram, fit)
    bucket = int(edge[_BUCKET])
    above = _collect(bucketed, F.col(_BUCKET) > bucket)
    inside = _collect(bucketed, F.col(_BUCKET) == bucket).sort_values(
        CUSTOMER_ID, ignore_index=True
    )
    left = budget - float(edge["cost_above"])
    exact = select_offers(inside["profit"].to_numpy(), inside["cost"].to_numpy(), budget=left)
    taken = inside[exact.choice >= 0]
    lp_bound = float(edge["profit_above"]) + exact.lp_bound
    remaining = left - exact.spent
    below = (
        bucketed.where((F.col(_BUCKET) < bucket) & (F.col("cost") <= remaining))
        .orderBy(F.col(_EFFICIENCY).desc(), F.col(CUSTOMER_ID))
        .limit(FILL_ROWS)
        .select(CUSTOMER_ID, "segment", "revenue", "profit", "cost", _EFFICIENCY, _BUCKET)
        .toPandas()
    )
    fill = np.zeros(len(below), dtype=bool)
    slack = remaining + BUDGET_ROUNDING * max(1.0, abs(budget))
    for i, cost in enumerate(below["cost"].to_numpy()):  # select_offers' fill, in order
        if cost <= slack:
            fill[i] = True
            slack -= cost
    return pd.concat([above, taken, below[fill]], ignore_index=True), lp_bound


def _one_channel_curve(
    bucketed: DataFrame, histogram: pd.DataFrame, budgets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy profit (no fill) at each budget: its boundary bucket's rows, in order.

    A budget that buys a whole number of messages exactly (13.45 = 269 x 0.05) buys them all
    here, as in select_offers; the single-machine curve compares without that rounding slack and
    may count one message fewer at such a point."""
    total = float(histogram["cost"].sum())
    needed = {int(_boundary(histogram, b)[_BUCKET]) for b in budgets if b < total}
    rows = _collect(bucketed, F.col(_BUCKET).isin(sorted(needed))) if needed else None
    profits = []
    for budget in budgets:
        if budget >= total:
            profits.append(float(histogram["profit"].sum()))
            continue
        edge = _boundary(histogram, budget)
        inside = rows[rows[_BUCKET] == edge[_BUCKET]].sort_values(CUSTOMER_ID)
        order = np.argsort(-inside[_EFFICIENCY].to_numpy(), kind="stable")
        cost = float(edge["cost_above"]) + np.cumsum(inside["cost"].to_numpy()[order])
        profit = float(edge["profit_above"]) + np.cumsum(inside["profit"].to_numpy()[order])
        fit = budget + BUDGET_ROUNDING * max(1.0, abs(budget))  # as select_offers fits a budget
        count = int(np.searchsorted(cost, fit, side="right"))
        profits.append(float(profit[count - 1]) if count else float(edge["profit_above"]))
    return np.asarray(budgets, dtype=np.float64), np.asarray(profits, dtype=np.float64)


# --------------------------------------------------------------------------------------------
# Several channels: the price of cost found by bisection
# --------------------------------------------------------------------------------------------


def _price_sums(usable: DataFrame, k: int, prices: np.ndarray) -> np.ndarray:
    """Per price: spend, profit and the sum of max(0, best profit - price x cost), (3, G)."""
    columns = [option_column(kind, j) for kind in ("profit", "cost", "usable") for j in range(k)]

    def sums(chunks: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        total = np.zeros((3, len(prices)))
        for chunk in chunks:
            profit = chunk[columns[:k]].to_numpy(dtype=np.float64)
            cost = chunk[columns[k : 2 * k]].to_numpy(dtype=np.float64)
            allowed = chunk[columns[2 * k :]].to_numpy(dtype=bool)
            for g, price in enumerate(prices):
                choice, value = _best_at(profit, cost, allowed, price)
                rows = np.flatnonzero(choice >= 0)
                total[0, g] += cost[rows, choice[rows]].sum()
                total[1, g] += profit[rows, choice[rows]].sum()
                total[2, g] += value[rows].sum()
        yield pd.DataFrame({"sums": [total.ravel().tolist()]})

    parts = usable.select(*columns).mapInPandas(sums, schema="sums array<double>")
    rows = parts.agg(F.collect_list("sums")).first()[0]
    return np.sum(np.asarray(rows, dtype=np.float64).reshape(-1, 3, len(prices)), axis=0)


def _best_at(
    profit: np.ndarray, cost: np.ndarray, allowed: np.ndarray, price: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per customer the option maximising profit - price x cost (-1 when none is positive)."""
    value = np.where(allowed, profit - price * cost, -np.inf)
    choice = np.argmax(value, axis=1)
    best = value[np.arange(len(value)), choice]
    return np.where(best > 0, choice, NO_CHANNEL), np.maximum(best, 0.0)


def several_channels_plan(
    usable: DataFrame, budget: float | None, k: int
) -> tuple[pd.DataFrame, Selection]:
    """The plan of ``k`` channels: every customer's best option at the price of cost found by
    bisection, the smallest whose plan fits ``budget``; the dual value bounds the gap."""
    efficiency = [  # CASE first: Spark 4 (ANSI) refuses a division by zero
        F.when(
            F.col(option_column("usable", j)) & (F.col(option_column("cost", j)) > 0),
            F.col(option_column("profit", j)) / F.col(option_column("cost", j)),
        )
        for j in range(k)
    ]
    top = usable.agg(F.max(F.greatest(*efficiency))).first()[0]
    at_zero = _price_sums(usable, k, np.array([0.0]))[:, 0]
    auto_budget = float(at_zero[0])
    fit = math.inf if budget is None else budget + BUDGET_ROUNDING * max(1.0, abs(budget))
    price, dual = 0.0, float(at_zero[2])
    evaluated = [(0.0, at_zero)]
    if fit < auto_budget:
        low, high = 0.0, float(top or 0.0) * (1 + 1e-9) + 1e-12
        dual = math.inf
        for _ in range(PRICE_PASSES):
            prices = np.linspace(low, high, PRICES_PER_PASS)
            sums = _price_sums(usable, k, prices)
            evaluated += [(p, sums[:, g]) for g, p in enumerate(prices)]
            dual = min(dual, float(np.min(prices * budget + sums[2])))
            fits = np.flatnonzero(sums[0] <= fit)
            first = int(fits[0])  # the highest price always fits (nothing is worth it)
            low, high = float(prices[max(first - 1, 0)]), float(prices[first])
            if first == 0:
                break
        price = high
    picked = _picks_at(usable, k, price)
    exact_none = len(picked) == 0
    selection = _selection(
        picked,
        budget=budget,
        lp_bound=dual if budget is not None else float(picked["profit"].sum()),
        exact=exact_none,
        stopped=(len(picked), len(picked) if fit >= auto_budget else len(picked) + 1),
        auto_budget=auto_budget,
        curve=_price_curve(evaluated, _curve_budgets(auto_budget, budget)),
    )
    return picked, selection


def _picks_at(usable: DataFrame, k: int, price: float) -> pd.DataFrame:
    """Every customer's option at ``price``, collected in rank order."""
    revenue = [option_column("revenue", j) for j in range(k)]
    profit = [option_column("profit", j) for j in range(k)]
    cost = [option_column("cost", j) for j in range(k)]
    allowed = [option_column("usable", j) for j in range(k)]
    fields = f"{CUSTOMER_ID} string, segment string, choice int, revenue double, profit double, "
    fields += "cost double, rank_key double"

    def pick(chunks: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for chunk in chunks:
            p = chunk[profit].to_numpy(dtype=np.float64)
            c = chunk[cost].to_numpy(dtype=np.float64)
            ok = chunk[allowed].to_numpy(dtype=bool)
            choice, _ = _best_at(p, c, ok, price)
            rows = np.flatnonzero(choice >= 0)
            chosen = choice[rows]
            with np.errstate(divide="ignore", invalid="ignore"):
                slopes = np.where(ok, np.where(c > 0, p / c, np.inf), -np.inf)
            yield pd.DataFrame(
                {
                    CUSTOMER_ID: chunk[CUSTOMER_ID].to_numpy()[rows],
                    "segment": chunk["segment"].to_numpy()[rows],
                    "choice": chosen.astype(np.int32),
                    "revenue": chunk[revenue].to_numpy(dtype=np.float64)[rows, chosen],
                    "profit": p[rows, chosen],
                    "cost": c[rows, chosen],
                    "rank_key": slopes[rows].max(axis=1),  # the first hull step's efficiency
                }
            )

    frame = usable.select(CUSTOMER_ID, "segment", *revenue, *profit, *cost, *allowed)
    return _in_rank_order(frame.mapInPandas(pick, schema=fields).toPandas())


def _price_curve(
    evaluated: list[tuple[float, np.ndarray]], budgets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Profit at each budget: the best evaluated price plan that fits it (0 when none)."""
    spend = np.array([sums[0] for _, sums in evaluated])
    profit = np.array([sums[1] for _, sums in evaluated])
    values = [
        float(profit[spend <= b + BUDGET_ROUNDING * max(1.0, b)].max(initial=0.0)) for b in budgets
    ]
    return np.asarray(budgets, dtype=np.float64), np.asarray(values, dtype=np.float64)
