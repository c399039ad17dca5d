"""``analyze --engine spark``: per segment x arm sufficient statistics computed by Spark.

The analysis itself is :func:`uplift_lab.analyze.analyze_cells`, the one core both engines call:
Spark only turns an experiment's assignment and its outcomes (a per-customer table, or orders
and a response window) into :class:`uplift_lab.analyze.CellStats` per segment x arm, by the
query of :mod:`uplift_lab.cells_sql` that DuckDB runs for the per-customer path, plus what
the per-customer path reads from rows (the top-1% revenue share and the daily conversion
curve), each as a distributed aggregate. So the report is the per-customer one, computed from a
few rows on the driver.

The response window is :func:`uplift_lab.outcomes.outcomes_from_orders`' definition: orders in
``[start, start + window_days)``; revenue the net sum of amounts, orders the non-negative rows,
converted = at least one order. Order files are read with their canonical columns
(customer_id, order_time, amount); presets, column maps, status/refund rules and time-zone
options are refused with one line (use --engine duckdb for shop exports). The outcomes come
in as a Spark frame, read by :mod:`uplift_lab.workflows.analyze_command` through
:mod:`uplift_lab.io.spark`; the experiment as the workflow loaded and checked it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from uplift_lab import analysis_inputs, cells_sql, contracts
from uplift_lab import analyze as single
from uplift_lab.analysis_notices import unknown_customers_notice
from uplift_lab.contracts import AMOUNT, ARM, CUSTOMER_ID, ORDER_TIME, STRATUM
from uplift_lab.errors import input_error, literal, usage_error
from uplift_lab.experiment import Experiment
from uplift_lab.orders import OrderCounting
from uplift_lab.outcomes import (
    CONVERTED,
    COVARIATE,
    ORDERS,
    PRE_REVENUE,
    REVENUE,
    SEGMENT,
    window_coverage_notice,
)

PRE_PERIOD_DAYS = 365
_DAY = "ul_day"
_ASSIGNED = "ul_assigned"
_OUTCOME = "ul_outcome"

# Counted in the same pass as the cells (cells_sql.cells_query's extra aggregates): what the
# notes and the whale share need.
_CELL_FACTS = {
    "without_outcome": f"sum(1 - {_OUTCOME})",
    "with_outcome": f"sum({_OUTCOME})",
    "negative": f"sum(CASE WHEN {REVENUE} < 0 THEN 1 ELSE 0 END)",
    "positive": f"sum(CASE WHEN {REVENUE} > 0 THEN 1 ELSE 0 END)",
    "total": f"sum(CASE WHEN {REVENUE} > 0 THEN {REVENUE} ELSE 0.0 END)",
}


def _assignment(spark: SparkSession, experiment: Experiment) -> tuple[DataFrame, dict, list[str]]:
    """The experiment's assignment as a Spark frame (checked like analyze reads it)."""
    folder = experiment.path
    assignment, meta = experiment.assignment, dict(experiment.meta)
    table = pd.DataFrame(
        {
            CUSTOMER_ID: contracts.ids_as_text(assignment, CUSTOMER_ID, folder, unique=True),
            SEGMENT: analysis_inputs.segment_labels(assignment, STRATUM, folder),
            ARM: analysis_inputs.arm_labels(assignment, ARM, folder),
        }
    )
    frame = spark.createDataFrame(
        table, schema=f"{CUSTOMER_ID} string, {SEGMENT} string, {ARM} string"
    )
    return frame, meta, sorted(set(table[ARM].astype(str)))


def _window_outcomes(
    orders: DataFrame, start: pd.Timestamp, window_days: int, source: object
) -> tuple[DataFrame, DataFrame, dict]:
    """Per customer converted/revenue/orders in the window, first-order days, and the notes."""
    kinds = dict(orders.dtypes)
    if kinds.get(ORDER_TIME) not in ("timestamp", "timestamp_ntz", "date"):
        raise usage_error(
            source,
            f"column '{ORDER_TIME}' was not read as timestamps by Spark ({kinds.get(ORDER_TIME)})",
            "Write ISO times (2026-08-21 10:00:00), or use {engine=duckdb} for other formats",
        )
    begin = F.lit(start.to_pydatetime()).cast("timestamp")
    end = F.lit((start + pd.Timedelta(days=window_days)).to_pydatetime()).cast("timestamp")
    time = F.col(ORDER_TIME).cast("timestamp")
    amount = F.col(AMOUNT).cast("double")
    in_window = orders.where((time >= begin) & (time < end)).select(
        CUSTOMER_ID, time.alias(ORDER_TIME), amount.alias(AMOUNT)
    )
    purchase = F.col(AMOUNT) >= 0
    per_customer = in_window.groupBy(CUSTOMER_ID).agg(
        F.sum(AMOUNT).alias(REVENUE),
        F.sum(F.when(purchase, 1).otherwise(0)).cast("long").alias(ORDERS),
        F.min(F.when(purchase, F.col(ORDER_TIME))).alias("first_order"),
    )
    per_customer = per_customer.withColumn(
        CONVERTED, (F.col(ORDERS) > 0).cast("double")
    ).withColumn(
        _DAY,
        F.floor((F.unix_micros("first_order") - F.unix_micros(begin)) / (86_400 * 1_000_000)),
    )
    # no refund rows on Spark (refused by _order_counting): every row in the window is an order
    notes = {"orders_in_window": None, "refund_rows": 0, "refund_amount": 0.0}
    window_rows = F.sum(F.when((time >= begin) & (time < end), 1).otherwise(0))
    notes["window_rows"] = window_rows
    return per_customer, in_window, notes


def _pre_revenue(orders: DataFrame, start: pd.Timestamp) -> DataFrame:
    """Net revenue per customer in the 365 days before ``start`` (the CUPED covariate)."""
    time = F.col(ORDER_TIME).cast("timestamp")
    begin = F.lit((start - pd.Timedelta(days=PRE_PERIOD_DAYS)).to_pydatetime()).cast("timestamp")
    before = orders.where((time >= begin) & (time < F.lit(start.to_pydatetime())))
    return before.groupBy(CUSTOMER_ID).agg(F.sum(F.col(AMOUNT).cast("double")).alias(COVARIATE))


def _order_counting(
    orders: DataFrame, source: object, window_rows: Column
) -> tuple[dict, int, pd.Series]:
    """Without rules every row counts: the notes ``load_orders`` gives, after its checks that
    every amount is present, finite and not negative (refund rows need --engine duckdb)."""
    amount = F.col(AMOUNT).cast("double")
    row = orders.agg(
        window_rows.alias("window_rows"),
        F.max(F.col(ORDER_TIME).cast("timestamp")).alias("last_order"),
        F.count(F.lit(1)).alias("rows"),
        F.sum(F.when(amount.isNull() | F.isnan(amount), 1).otherwise(0)).alias("missing"),
        F.sum(F.when(amount < 0, 1).otherwise(0)).alias("negative"),
    ).first()
    if row["missing"]:
        raise input_error(
            source, f"column '{AMOUNT}' has {row['missing']} empty or unreadable amount(s)", None
        )
    if row["negative"]:
        raise usage_error(
            source,
            f"column '{AMOUNT}' has {row['negative']} negative amount(s); refund rows "
            "({refund_rows}) are not supported with {engine=spark} yet",
            "Use {engine=duckdb} {refund_rows}",
        )
    counting = OrderCounting(rows_read=int(row["rows"]), orders_counted=int(row["rows"]))
    last = pd.Series([row["last_order"]], dtype="datetime64[us]").dropna()
    return counting.to_json(), int(row["window_rows"] or 0), last


def _check_orders(orders: DataFrame, source: object) -> None:
    names = orders.columns
    missing = [c for c in (CUSTOMER_ID, ORDER_TIME, AMOUNT) if c not in names]
    if missing:
        raise usage_error(
            source,
            f"missing column '{literal(missing[0])}' ({{engine=spark}} reads orders with the "
            f"canonical columns {CUSTOMER_ID}, {ORDER_TIME}, {AMOUNT}; the file has: "
            f"{literal(', '.join(names[:20]))})",
            "Rename them, or use {engine=duckdb} with {preset}/{columns}",
        )


def _cells(units: DataFrame, measures: list[str]) -> tuple[dict, dict]:
    """CellStats per (segment, arm), and the counts the notes and the whale share need, from
    :func:`uplift_lab.cells_sql.cells_query` (the query DuckDB runs for the per-customer path)
    over the full join of assignment and outcomes (the group with no segment holds the outcome
    rows of customers outside the experiment)."""
    query = cells_sql.cells_query("{units}", measures, extra=_CELL_FACTS)
    frame = units.sparkSession.sql(query, units=units).toPandas()
    cells = {}
    facts = {"unknown": 0, "without_outcome": 0, "negative": 0, "positive": 0, "total": 0.0}
    for row in frame.to_dict("records"):
        if row[SEGMENT] is None or (isinstance(row[SEGMENT], float) and math.isnan(row[SEGMENT])):
            facts["unknown"] += int(row["with_outcome"])
            continue
        for key in ("without_outcome", "negative", "positive"):
            facts[key] += int(row[key])
        facts["total"] += float(row["total"])
        cells[(str(row[SEGMENT]), str(row[ARM]))] = cells_sql.cell_stats(row, measures)
    return cells, facts


def _whale_share(units: DataFrame, positive: int, total: float) -> float:
    """:func:`uplift_lab.stats.top_share` of revenue (top 1% of positive values) in Spark."""
    if not positive:
        return math.nan
    k = max(1, math.ceil(single.WHALE_TOP_FRACTION * positive))
    top = units.where(F.col(REVENUE) > 0).select(REVENUE).orderBy(F.col(REVENUE).desc()).limit(k)
    return float(sum(row[0] for row in top.collect()) / total)


def _daily(units: DataFrame, cells: dict, arms: list[str], days: int) -> pd.DataFrame:
    """Cumulative conversion rate per arm by day of the window (first orders only)."""
    sizes: dict[str, int] = {}
    for (_, arm), cell in cells.items():
        sizes[arm] = sizes.get(arm, 0) + cell.n
    counts = (
        units.where(F.col(_DAY).isNotNull() & (F.col(_DAY) < days))
        .groupBy(ARM, _DAY)
        .count()
        .toPandas()
    )
    rows = []
    for arm in arms:
        mine = counts[counts[ARM] == arm]
        per_day = np.zeros(days)
        per_day[mine[_DAY].to_numpy(int)] = mine["count"].to_numpy(float)
        cumulative = np.cumsum(per_day) / max(int(sizes.get(arm, 0)), 1)
        rows.extend(
            {ARM: arm, "day": day, "cumulative_conversion_rate": float(rate)}
            for day, rate in enumerate(cumulative)
        )
    return pd.DataFrame(rows)


def check_spark_options(options: single.AnalysisOptions, folder: object) -> None:
    """Refuse the options Spark does not compute (before any outcome is read)."""
    if options.cap_quantile is not None:
        raise usage_error(
            folder,
            "{cap_quantile} is not supported with {engine=spark} (a pooled quantile of every "
            "customer's revenue)",
            "Leave it out, or use {engine=duckdb}",
        )


def analyze_experiment_spark(
    experiment: Experiment,
    outcomes: DataFrame,
    options: single.AnalysisOptions,
    *,
    source: str,
    start: str | None = None,
    window_days: int | None = None,
    conversion_col: str = CONVERTED,
    revenue_col: str | None = REVENUE,
    covariate: str | None = None,
) -> single.Analysis:
    """:func:`uplift_lab.analyze.analyze_cells` of ``experiment`` (the folder as the workflow
    read and checked it) against ``outcomes``, a Spark frame with text ``customer_id`` (a
    per-customer table or an orders log, which errors call ``source``), reduced by Spark."""
    folder = experiment.path
    check_spark_options(options, folder)
    assignment, meta, arms_in_folder = _assignment(outcomes.sparkSession, experiment)
    options, from_campaign = _options_from_design(options, meta, set(arms_in_folder))
    notes: dict[str, object] = {"input": str(folder), "outcomes": source}
    if from_campaign:
        notes["money_assumptions_from_design_json"] = ", ".join(from_campaign)
    if conversion_col in outcomes.columns:
        read = _flat_outcomes(outcomes, source, conversion_col, revenue_col, covariate)
    else:
        read = _order_outcomes(outcomes, source, meta, start, window_days, covariate)
    notes.update(read.notes)
    units, has_revenue = _units(assignment, read.per_customer, read.covariate)
    try:
        cells, facts = _reduce(units, options, has_revenue, read.daily_days, notes)
    finally:
        units.unpersist()
    analysis_inputs.check_arms(
        pd.DataFrame({ARM: sorted({arm for _, arm in cells})}),
        options.control,
        Path(folder) / "assignment.parquet",
        ARM,
    )
    unknown = unknown_customers_notice(notes["unknown_customers_ignored"])
    extra = [notice for notice in (read.coverage, unknown) if notice is not None]
    return single.analyze_cells(
        cells,
        options,
        source=str(folder),
        has_revenue=has_revenue,
        rows=facts,
        data_notes=notes,
        extra_notices=extra,
    )


def _options_from_design(
    options: single.AnalysisOptions, meta: dict, arms_present: set[str]
) -> tuple[single.AnalysisOptions, list[str]]:
    """The control, expected fractions, arm order and money assumptions design.json gives."""
    control = options.control or meta.get("control_arm") or contracts.CONTROL_ARM
    fractions = meta.get("fractions") or options.expected_fractions or None
    arm_order = tuple(str(a) for a in meta.get("arms") or ())
    options = replace(options, control=control, expected_fractions=fractions, arm_order=arm_order)
    return analysis_inputs.money_from_campaign(options, meta.get("campaign"), arms_present)


@dataclass(frozen=True)
class _ReadOutcomes:
    """Per-customer outcomes as Spark read them, with what the report says of them."""

    per_customer: DataFrame
    notes: dict
    covariate: DataFrame | None = None  # pre-period revenue (orders + --covariate pre_revenue)
    coverage: Any = None  # the notice when the orders end inside the response window
    daily_days: int | None = None  # the response window, for the daily curve (orders only)


def _flat_outcomes(
    outcomes: DataFrame,
    source: str,
    conversion_col: str,
    revenue_col: str | None,
    covariate: str | None,
) -> _ReadOutcomes:
    """A per-customer outcomes table: 0/1 conversion, optional revenue and covariate columns."""
    if revenue_col is None and REVENUE in outcomes.columns:
        revenue_col = REVENUE
    for column in [CUSTOMER_ID] + ([revenue_col] if revenue_col else []):
        if column not in outcomes.columns:
            raise input_error(source, f"missing column '{column}'", None)
    picked = [F.col(CUSTOMER_ID), F.col(conversion_col).cast("double").alias(CONVERTED)]
    if revenue_col:
        picked.append(F.col(revenue_col).cast("double").alias(REVENUE))
    if covariate:
        if covariate not in outcomes.columns:
            raise input_error(source, f"missing column '{covariate}'", None)
        picked.append(F.col(covariate).cast("double").alias(COVARIATE))
    per_customer = outcomes.select(*picked)
    bad = per_customer.where(~F.col(CONVERTED).isin(0.0, 1.0) | F.col(CONVERTED).isNull())
    if bad.limit(1).count():
        raise usage_error(
            source,
            f"column '{literal(conversion_col)}' must hold 0/1 conversions",
            "Fix the values, or use {engine=duckdb} for yes/no labels",
        )
    return _ReadOutcomes(per_customer, {"mode": "experiment + per-customer outcomes"})


def _order_outcomes(
    outcomes: DataFrame,
    source: str,
    meta: dict,
    start: str | None,
    window_days: int | None,
    covariate: str | None,
) -> _ReadOutcomes:
    """An order log: the response window's outcomes, the order counting and the covariate."""
    _check_orders(outcomes, source)
    begin = analysis_inputs.start_from_campaign(start, meta)
    window = analysis_inputs.window_days_from_campaign(window_days, meta)
    per_customer, _, window_notes = _window_outcomes(outcomes, begin, window, source)
    counting, window_notes["orders_in_window"], last_order = _order_counting(
        outcomes, source, window_notes.pop("window_rows")
    )
    notes = {"order_counting": counting}
    notes.update(
        mode="experiment + orders", window_start=begin.isoformat(), window_days=window,
        **window_notes,
    )  # fmt: skip
    covariate_frame = None
    if covariate:
        if covariate != PRE_REVENUE:
            raise usage_error(
                source,
                f"{{covariate}} '{literal(covariate)}' is not something an orders file has",
                f"With an orders file use {{covariate={PRE_REVENUE}}}",
            )
        covariate_frame = _pre_revenue(outcomes, begin)
    coverage = window_coverage_notice(last_order, begin, window)
    return _ReadOutcomes(per_customer, notes, covariate_frame, coverage, window)


def _units(
    assignment: DataFrame, per_customer: DataFrame, covariate_frame: DataFrame | None
) -> tuple[DataFrame, bool]:
    """Every assigned and every outcome customer in one cached frame (missing outcomes 0)."""
    has_revenue = REVENUE in per_customer.columns
    if not has_revenue:
        per_customer = per_customer.withColumn(REVENUE, F.lit(0.0))
    per_customer = per_customer.withColumn(_OUTCOME, F.lit(1))
    if covariate_frame is not None:  # customers with a covariate only are not outcome rows
        per_customer = per_customer.join(covariate_frame, on=CUSTOMER_ID, how="full")
    matched = assignment.withColumn(_ASSIGNED, F.lit(1)).join(
        per_customer, on=CUSTOMER_ID, how="full"
    )
    fills = {CONVERTED: 0.0, REVENUE: 0.0, _OUTCOME: 0}
    if ORDERS in per_customer.columns:
        fills[ORDERS] = 0
    if covariate_frame is not None:
        fills[COVARIATE] = 0.0
    return matched.fillna(fills).cache(), has_revenue


def _reduce(
    units: DataFrame,
    options: single.AnalysisOptions,
    has_revenue: bool,
    daily_days: int | None,
    notes: dict,
) -> tuple[dict, single.RowFacts]:
    """The cells (the shared SQL) and the row facts Spark can give; counts go into ``notes``."""
    measures = [c for c in cells_sql.UNIT_COLUMNS if c in units.columns]
    cells, facts_by_cell = _cells(units, measures)
    notes["unknown_customers_ignored"] = facts_by_cell["unknown"]
    notes["customers_without_outcome_counted_as_zero"] = facts_by_cell["without_outcome"]
    if has_revenue:
        notes["customers_with_negative_revenue"] = facts_by_cell["negative"]
    arms = single._arm_order(sorted({arm for _, arm in cells}), options)
    assigned = units.where(F.col(_ASSIGNED).isNotNull())
    facts = single.RowFacts(
        whale_share=_whale_share(assigned, facts_by_cell["positive"], facts_by_cell["total"]),
        daily=_daily(assigned, cells, list(arms), daily_days) if daily_days else None,
    )
    return cells, facts
