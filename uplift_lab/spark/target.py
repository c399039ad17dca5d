"""``target --engine spark``: the send plan with the options valued and selected by Spark.

Every (customer, channel) option is valued per partition by the single-machine functions
(:func:`uplift_lab.target.channel_scores`, :func:`~uplift_lab.target.option_economics`,
:func:`~uplift_lab.target.opt_in_mask`), so a profit or a cost is the same float on both
engines. Then, without collecting the options to the driver:

- one channel: the greedy by profit per cost is a global threshold on that efficiency. Spark
  buckets the efficiencies by approximate quantiles and sums cost per bucket; every bucket above
  the one where the cumulative cost crosses the budget is taken, that boundary bucket is solved
  exactly on the driver by :func:`~uplift_lab.target.select_offers`, and the budget left is
  filled in efficiency order from the options below that fit (as ``select_offers`` fills). The
  plan is the single-machine plan, customer for customer (up to ties and float rounding);
- several channels: the Lagrangian relaxation. For a price ``lam`` on cost every customer takes
  the option maximising ``profit - lam x cost`` (if positive); the spend falls with ``lam``, and
  the smallest ``lam`` whose plan fits the budget is found by bisection over distributed sums
  (a grid of prices per pass). The dual value ``lam x budget + sum max(0, best profit -
  lam x cost)`` bounds every plan from above, so the reported gap covers the single-machine plan
  too: the two plans' profits differ by at most their reported gaps.

Refused with one line: --where (a DuckDB condition), --max-customers and --policy segments.
The RFM/random comparison at the plan's budget is left out (a random permutation of every
customer is a single-machine idea): the comparison table holds the plan's own row.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from uplift_lab.contracts import CUSTOMER_ID, LIFECYCLE
from uplift_lab.errors import InputError
from uplift_lab.target import (
    ALL_SEGMENT,
    BUDGET_ROUNDING,
    MODEL_VALUED,
    NO_CHANNEL,
    OPT_IN_COLUMNS,
    UPLIFT_POLICY,
    CampaignPlan,
    Channel,
    Selection,
    TargetConfig,
    channel_scores,
    needed_score_columns,
    opt_in_mask,
    option_economics,
    select_offers,
    stop_reason,
    summarize_by_segment,
)

ROWS_PER_BUCKET = 20_000  # boundary buckets come to the driver: keep them small
MAX_BUCKETS = 10_000
FILL_ROWS = 10_000  # options below the boundary the fill may look at (select_offers: 10,000 steps)
PRICES_PER_PASS = 64
PRICE_PASSES = 5  # the price bracket shrinks 63x per pass
CURVE_POINTS = 21
_IN_SEGMENTS, _ELIGIBLE, _OPTED_IN = "ul_in_segments", "ul_eligible", "ul_opted_in"
_EFFICIENCY, _BUCKET, _BEST = "ul_efficiency", "ul_bucket", "ul_best"


def _column(kind: str, j: int) -> str:
    return f"ul_{kind}_{j}"


def _opt_in_column(channel: Channel) -> str:
    return OPT_IN_COLUMNS.get(channel.name, f"{channel.name}_opt_in")


def option_frame(scores: Any, config: TargetConfig, segments: Any | None = None) -> Any:
    """Per scored customer: segment, the eligibility flags and per channel j the expected
    revenue, profit and cost and whether the option may be chosen (``ul_usable_j``)."""
    from pyspark.sql import functions as F

    channels = config.channels
    needed_score_columns(pd.DataFrame(columns=scores.columns), "scores", channels)
    wanted = [LIFECYCLE, *dict.fromkeys(_opt_in_column(c) for c in channels)]
    if segments is None:
        joined = scores.withColumn(_IN_SEGMENTS, F.lit(True))
        attributes = [c for c in wanted if c in scores.columns]
    else:
        attributes = [c for c in wanted if c in segments.columns]
        if config.eligible is not None and LIFECYCLE not in attributes:
            raise InputError(
                f"segments file: missing column '{LIFECYCLE}' needed by --eligible. Pass the "
                "output of uplift-lab segment, or --eligible all"
            )
        side = segments.select(CUSTOMER_ID, *attributes).withColumn(_IN_SEGMENTS, F.lit(True))
        joined = scores.drop(*[c for c in attributes if c in scores.columns]).join(
            side, on=CUSTOMER_ID, how="left"
        )
    k = len(channels)
    fields = [f"{CUSTOMER_ID} string", "segment string"]
    fields += [f"{flag} boolean" for flag in (_IN_SEGMENTS, _ELIGIBLE, _OPTED_IN)]
    for j in range(k):
        fields += [f"{_column(kind, j)} double" for kind in ("revenue", "profit", "cost")]
        fields.append(f"{_column('usable', j)} boolean")
    has_lifecycle, from_segments = LIFECYCLE in attributes, segments is not None

    def value(chunks: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:  # no Spark objects in here
        for chunk in chunks:
            yield _value_options(chunk, config, attributes, has_lifecycle, from_segments)

    return joined.mapInPandas(value, schema=", ".join(fields))


def _value_options(
    chunk: pd.DataFrame, config: TargetConfig, attributes: list[str], lifecycle: bool, joined: bool
) -> pd.DataFrame:
    """One partition's options, by the single-machine functions (see plan_campaign)."""
    channels = config.channels
    found = chunk[_IN_SEGMENTS].fillna(False).to_numpy(dtype=bool)
    eligible = found.copy()
    if config.eligible is not None and joined:
        eligible &= chunk[LIFECYCLE].isin(config.eligible).to_numpy()
    flags = chunk[[c for c in attributes if c != LIFECYCLE]].copy()
    for column in flags.columns:  # not in the segments file: not opted in
        flags[column] = flags[column].where(found, 0)
    opted_in = opt_in_mask(flags, channels, "segments file")
    revenue, p_convert = channel_scores(chunk, channels)
    profit, cost = option_economics(
        revenue,
        p_convert,
        [c.message_cost for c in channels],
        [c.coupon for c in channels],
        config.margin,
    )
    usable = profit > 0 if config.min_expected_profit <= 0 else profit >= config.min_expected_profit
    usable &= np.isfinite(profit) & np.isfinite(cost) & (cost >= 0)
    usable &= opted_in & eligible[:, None]
    segment = chunk[LIFECYCLE].astype(object) if lifecycle else ALL_SEGMENT
    out = {
        CUSTOMER_ID: chunk[CUSTOMER_ID].to_numpy(),
        "segment": segment,
        _IN_SEGMENTS: found,
        _ELIGIBLE: eligible,
        _OPTED_IN: opted_in.any(axis=1),
    }
    for j in range(len(channels)):
        out[_column("revenue", j)] = revenue[:, j]
        out[_column("profit", j)] = profit[:, j]
        out[_column("cost", j)] = cost[:, j]
        out[_column("usable", j)] = usable[:, j]
    return pd.DataFrame(out, index=chunk.index)


def plan_campaign_spark(
    scores: Any, config: TargetConfig, segments: Any | None = None
) -> CampaignPlan:
    """:func:`uplift_lab.target.plan_campaign` with the options valued and chosen by Spark
    (``scores`` and ``segments`` Spark DataFrames with text ``customer_id``)."""
    from pyspark.sql import functions as F

    for flag, given in (("--where", config.where), ("--max-customers", config.max_customers)):
        if given is not None:
            raise InputError(
                f"{flag} is not supported with target --engine spark yet. Leave it out, or use "
                "--engine duckdb"
            )
    k = len(config.channels)
    options = option_frame(scores, config, segments).cache()
    try:
        any_usable = F.lit(False)
        for j in range(k):
            any_usable = any_usable | F.col(_column("usable", j))
        counts = options.agg(
            F.count(F.lit(1)).alias("scored"),
            F.sum(F.col(_IN_SEGMENTS).cast("int")).alias("in_segments"),
            F.sum(F.col(_ELIGIBLE).cast("int")).alias("eligible"),
            F.sum((F.col(_ELIGIBLE) & ~F.col(_OPTED_IN)).cast("int")).alias("opted_out"),
            F.sum((F.col(_ELIGIBLE) & F.col(_OPTED_IN) & ~any_usable).cast("int")).alias("none"),
        ).first()
        if not counts["eligible"]:
            wanted = ", ".join(config.eligible or ()) or "any"
            raise InputError(
                f"no eligible customers: none of the {counts['scored']} scored customers is in "
                f"the segments file with lifecycle {wanted}. Check --eligible (e.g. --eligible "
                "all) and the ids"
            )
        usable = options.where(any_usable)
        if k == 1:
            picked, selection = _one_channel(usable, config.budget)
        else:
            picked, selection = _several_channels(usable, config.budget, k)
    finally:
        options.unpersist()
    selected = _selected(picked, config.channels)
    comparison = pd.DataFrame.from_records(
        [
            {
                "policy": UPLIFT_POLICY,
                "customers": selection.n_selected,
                "cost": selection.spent,
                "expected_profit": selection.expected_profit,
            }
        ]
    )
    return CampaignPlan(
        config=config,
        selection=selection,
        selected=selected,
        by_segment=summarize_by_segment(selected),
        curve=pd.DataFrame(
            {"budget": selection.curve_budget, "expected_profit": selection.curve_profit}
        ),
        comparison=comparison,
        n_scored=int(counts["scored"]),
        n_eligible=int(counts["eligible"]),
        n_not_in_segments=int(counts["scored"] - (counts["in_segments"] or 0)),
        n_opted_out=int(counts["opted_out"] or 0),
        n_no_profitable_option=int(counts["none"] or 0),
        comparison_picks={},
        comparison_valued_by=MODEL_VALUED,
    )


def _selected(picked: pd.DataFrame, channels: Sequence[Channel]) -> pd.DataFrame:
    """The plan's rows as :func:`uplift_lab.target.plan_campaign` gives them (rank order)."""
    names = np.array([c.name for c in channels], dtype=object)
    return pd.DataFrame(
        {
            CUSTOMER_ID: picked[CUSTOMER_ID].to_numpy(dtype=object),
            "segment": picked["segment"].to_numpy(dtype=object),
            "channel": names[picked["choice"].to_numpy(dtype=np.int64)],
            "expected_cost": picked["cost"].to_numpy(dtype=np.float64),
            "expected_incremental_revenue": picked["revenue"].to_numpy(dtype=np.float64),
            "expected_profit": picked["profit"].to_numpy(dtype=np.float64),
            "rank": np.arange(1, len(picked) + 1, dtype=np.int64),
        }
    )


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


def _one_channel(usable: Any, budget: float | None) -> tuple[pd.DataFrame, Selection]:
    from pyspark.sql import functions as F

    profit, cost = F.col(_column("profit", 0)), F.col(_column("cost", 0))
    options = usable.select(
        CUSTOMER_ID,
        "segment",
        F.col(_column("revenue", 0)).alias("revenue"),
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


def _bucketed(options: Any, buckets: int) -> Any:
    """``options`` with a bucket index: higher bucket, higher efficiency (approximate quantile
    edges; ties stay in one bucket)."""
    from pyspark.sql import functions as F

    if buckets <= 1:
        return options.withColumn(_BUCKET, F.lit(0))
    probabilities = [i / buckets for i in range(1, buckets)]
    finite = options.where(F.col(_EFFICIENCY) < math.inf)
    edges = sorted(set(finite.approxQuantile(_EFFICIENCY, probabilities, 0.25 / buckets)))
    return options.withColumn(_BUCKET, _bucket_index(edges))


def _bucket_index(edges: list[float]) -> Any:
    """How many ``edges`` lie at or below the efficiency (a balanced tree of CASEs)."""
    from pyspark.sql import functions as F

    def index(lo: int, hi: int) -> Any:  # the count is in [lo, hi]
        if lo == hi:
            return F.lit(lo)
        mid = (lo + hi + 1) // 2  # the count is >= mid iff efficiency >= edges[mid - 1]
        return F.when(F.col(_EFFICIENCY) >= edges[mid - 1], index(mid, hi)).otherwise(
            index(lo, mid - 1)
        )

    return index(0, len(edges))


def _histogram(bucketed: Any) -> pd.DataFrame:
    """Per bucket (best first): options, cost and profit, and the cost of the buckets above."""
    from pyspark.sql import functions as F

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


def _collect(bucketed: Any, condition: Any | None) -> pd.DataFrame:
    frame = bucketed if condition is None else bucketed.where(condition)
    return frame.select(
        CUSTOMER_ID, "segment", "revenue", "profit", "cost", _EFFICIENCY, _BUCKET
    ).toPandas()


def _boundary(histogram: pd.DataFrame, budget: float) -> pd.Series:
    """The bucket in which the cumulative cost (best first) passes ``budget``."""
    passes = histogram["cost_above"] + histogram["cost"] > budget
    return histogram[passes].iloc[0]


def _threshold_plan(
    bucketed: Any, histogram: pd.DataFrame, budget: float, fit: float
) -> tuple[pd.DataFrame, float]:
    """Buckets above the boundary, the boundary solved exactly, then the fill from below."""
    from pyspark.sql import functions as F

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
    bucketed: Any, histogram: pd.DataFrame, budgets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy profit (no fill) at each budget: its boundary bucket's rows, in order.

    A budget that buys a whole number of messages exactly (13.45 = 269 x 0.05) buys them all
    here, as in select_offers; the single-machine curve compares without that rounding slack and
    may count one message fewer at such a point."""
    from pyspark.sql import functions as F

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


def _price_sums(usable: Any, k: int, prices: np.ndarray) -> np.ndarray:
    """Per price: spend, profit and the sum of max(0, best profit - price x cost), (3, G)."""
    from pyspark.sql import functions as F

    columns = [_column(kind, j) for kind in ("profit", "cost", "usable") for j in range(k)]

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


def _several_channels(usable: Any, budget: float | None, k: int) -> tuple[pd.DataFrame, Selection]:
    from pyspark.sql import functions as F

    efficiency = [  # CASE first: Spark 4 (ANSI) refuses a division by zero
        F.when(
            F.col(_column("usable", j)) & (F.col(_column("cost", j)) > 0),
            F.col(_column("profit", j)) / F.col(_column("cost", j)),
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


def _picks_at(usable: Any, k: int, price: float) -> pd.DataFrame:
    """Every customer's option at ``price``, collected in rank order."""
    revenue = [_column("revenue", j) for j in range(k)]
    profit = [_column("profit", j) for j in range(k)]
    cost = [_column("cost", j) for j in range(k)]
    allowed = [_column("usable", j) for j in range(k)]
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
