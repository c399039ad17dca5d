"""``segment --engine spark``: the order log counted and aggregated by Spark.

The aggregation is DuckDB's, the same SQL text (:mod:`uplift_lab.segment_sql`, Spark dialect):
Spark runs it over the counted orders and returns one row per customer, from which
:func:`uplift_lab.segment.segment_relation` builds the customer table (purchase cycles, the
lifecycle stages of every ``--thresholds`` mode, RFM, bands, tags) exactly as on DuckDB.

The order rules of :mod:`uplift_lab.orders` are applied in Spark: column names (``--*-col``,
``--columns`` maps), ``--paid-status``/``--exclude-status`` (statuses compared trimmed),
``--refund-col`` with numbers (net = amount - refund, full refunds dropped, a refund above the
amount refused) and ``--refund-rows``. Times are Parquet/table timestamps or ISO text; naive
times are the shop's wall clock, times with an offset are converted to ``--timezone``. What
needs the single-machine readers is refused with one line naming it: the presets' text
cleaning, unpaid rows and line items, ``--date-format``/``--dayfirst``, refunds written as text.
The orders come in as a Spark frame (read by :mod:`uplift_lab.workflows.segment` through
:mod:`uplift_lab.io.spark`, the text columns :func:`order_text_columns` names); the customer and
event files are read as on DuckDB and handed to Spark.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd
import pyarrow as pa
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from uplift_lab.contracts import AMOUNT, CUSTOMER_ID, ORDER_ID, ORDER_TIME
from uplift_lab.errors import InputError, UsageError, input_error, literal, usage_error
from uplift_lab.order_status import FULL_WIDTH_FORMS, HALF_WIDTH_FORMS, status_key
from uplift_lab.orders import (
    CATEGORY,
    EMPTY_STATUS,
    REFUND_ROWS_FIX,
    OrderCounting,
    OrderSource,
)
from uplift_lab.refunds import over_refund_error
from uplift_lab.segment import (
    OrderRelation,
    SegmentConfig,
    SegmentResult,
    segment_relation,
)
from uplift_lab.segment_sql import SPARK

_TRIM = "^[ \\t\\r\\n\u3000]+|[ \\t\\r\\n\u3000]+$"  # what orders' status rule trims
_OFFSET = "(Z|[+-][0-9]{2}:?[0-9]{2})$"  # an ISO time with a zone offset
_SPARK_ONLY = "Use {engine=duckdb}"


def check_spark_inputs(source: OrderSource) -> None:
    """One line naming the first order rule or date option Spark does not support."""
    rules = source.rules
    unsupported = (
        (source.clean_text, "the text cleaning of presets ({preset}; clean_text in {columns})"),
        (rules.unpaid_when_time_empty, "unpaid rows (unpaid_when_time_empty of presets)"),
        (rules.line_item_col is not None, "line items (line_items of presets and {columns})"),
        (source.line_amount is not None, "quantity x unit_price amounts (in {columns})"),
        (rules.skip_missing_customer, "rows without a customer (skip_missing_customer)"),
        (source.parsing.date_format is not None, "{date_format} (times must be ISO or typed)"),
        (source.parsing.dayfirst is not None, "{dayfirst} (times must be ISO or typed)"),
        (bool(source.layout.names), "files without a header line (names in {columns})"),
        (source.layout.sheet is not None, "workbook sheets (sheet in {columns})"),
    )
    for given, what in unsupported:
        if given:
            raise UsageError(f"{{engine=spark}} does not support {what} yet. {_SPARK_ONLY}")


class SparkConnection:
    """DuckDB's ``register``/``sql(...).to_arrow_table()`` over a SparkSession (temp views)."""

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark

    def register(self, name: str, table: pa.Table) -> None:
        schema = ", ".join(f"`{f.name}` {_spark_type(f.type)}" for f in table.schema)
        frame = table.to_pandas(timestamp_as_object=False)
        self.spark.createDataFrame(frame, schema=schema).createOrReplaceTempView(name)

    def sql(self, text: str) -> _Collected:
        return _Collected(self.spark.sql(text))


class _Collected:
    def __init__(self, frame: DataFrame) -> None:
        self.frame = frame

    def to_arrow_table(self) -> pa.Table:
        """The result as DuckDB returns it: timestamps naive (wall clock, session time UTC)."""
        table = self.frame.toArrow()
        columns = []
        for field, column in zip(table.schema, table.columns, strict=True):
            if pa.types.is_timestamp(field.type) and field.type.tz is not None:
                column = column.cast(pa.timestamp(field.type.unit, tz="UTC")).cast(
                    pa.timestamp("us")
                )
            columns.append(column)
        return pa.table(columns, names=table.column_names)


def _spark_type(kind: pa.DataType) -> str:
    if pa.types.is_timestamp(kind):
        return "timestamp"
    if pa.types.is_boolean(kind):
        return "boolean"
    if pa.types.is_integer(kind):
        return "bigint"
    if pa.types.is_floating(kind):
        return "double"
    return "string"


def order_text_columns(source: OrderSource, *, csv: bool) -> list[str]:
    """The order columns read as text: ids, status, category (and a CSV's times, parsed here,
    so an offset or a bad value is seen)."""
    rules = source.rules
    text = [source.customer_col, rules.status_col, source.category_col or CATEGORY]
    text += [source.order_id_col or ORDER_ID]
    if csv:
        text.append(source.time_col)
    return [t for t in text if t]


def segment_on_spark(
    orders: DataFrame,
    as_of: pd.Timestamp,
    source: OrderSource,
    *,
    label: str,
    customers: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    config: SegmentConfig | None = None,
) -> SegmentResult:
    """:func:`uplift_lab.workflows.segment.segment_files` with the orders (a Spark frame of a
    file, a folder of them or a warehouse table, which errors call ``label``) counted and
    aggregated by Spark."""
    check_spark_inputs(source)
    spark = orders.sparkSession
    orders = _checked_orders(orders, source, label)
    orders = _working_columns(orders, source, label).cache()  # read once, counted many times
    try:
        counted, counting = _counted_orders(orders, source, label)
        counted.createOrReplaceTempView("orders")
        facts = counted.agg(
            F.min(AMOUNT).alias("low"), F.min(ORDER_TIME).alias("first"),
            F.max(ORDER_TIME).alias("last"),
        ).collect()[0]  # fmt: skip
        relation = OrderRelation(
            refund_rows=facts["low"] is not None and facts["low"] < 0,
            has_category=CATEGORY in counted.columns,
            dialect=SPARK,
        )
        result = segment_relation(
            SparkConnection(spark), relation, as_of, customers=customers, events=events,
            config=config,
        )  # fmt: skip
    finally:
        orders.unpersist()
    if len(result.table) == 0:
        raise _no_customers_error(label, counting, facts, as_of)
    return replace(result, counting=counting)


def _checked_orders(frame: DataFrame, source: OrderSource, label: str) -> DataFrame:
    """The orders with their header names trimmed, every needed column present."""
    cleaned = [str(name).strip().strip("\ufeff").strip() for name in frame.columns]
    if len(set(cleaned)) == len(cleaned):
        frame = frame.toDF(*cleaned)
    wanted = source.parameter_of_column()
    for name, parameter in wanted.items():
        if name and name not in frame.columns:
            shown = ", ".join(frame.columns[:20]) + (" ..." if len(frame.columns) > 20 else "")
            fix = f"The file has: {literal(shown)}. Map it with {{{parameter}=NAME}} or a "
            fix += "{columns=map.toml}"
            raise usage_error(label, f"missing column '{literal(name)}'", fix)
    return frame


def _working_columns(orders: DataFrame, source: OrderSource, label: str) -> DataFrame:
    """Canonical id, time and amount, and the columns the rules read (working names)."""
    return orders.select(
        F.col(f"`{source.customer_col}`").cast("string").alias(CUSTOMER_ID),
        _order_times(orders, source, label).alias(ORDER_TIME),
        _amounts(orders, source.amount_col, label).alias(AMOUNT),
        *_rule_columns(orders, source),
    )


def _counted_orders(
    orders: DataFrame, source: OrderSource, label: str
) -> tuple[DataFrame, OrderCounting]:
    """The orders that count (canonical columns) and what the rules did, as load_orders does;
    ``orders`` has the columns of :func:`_working_columns`."""
    rules = source.rules
    frame = orders.withColumn("ul_keep", F.lit(True))
    dropped: dict[str, int] = {}
    if rules.status_col:
        frame, dropped = _status_rule(frame, rules)
    netted = {"fully": 0, "partly": 0, "refunded": 0.0}
    if rules.refund_col:
        frame, netted = _refund_rule(frame, source, label)
    counts = frame.agg(
        F.count(F.lit(1)).alias("rows"),
        F.count_if(F.col("ul_keep")).alias("kept"),
        F.count_if(F.col("ul_keep") & (F.col(AMOUNT) < 0)).alias("refund_rows"),
    ).collect()[0]
    counted = frame.filter(F.col("ul_keep"))
    _validate(counted, source, label)
    refund_rows = counts["refund_rows"] if rules.refund_rows else 0
    counting = OrderCounting(
        rows_read=counts["rows"],
        orders_counted=counts["kept"] - refund_rows,
        dropped_by_status=dropped,
        fully_refunded=netted["fully"],
        partly_refunded=netted["partly"],
        refunded_amount=netted["refunded"],
        refund_rows=refund_rows,
    )
    canonical = [CUSTOMER_ID, ORDER_TIME, AMOUNT]
    if CATEGORY in frame.columns:
        canonical.append(CATEGORY)
    return counted.select(*canonical), counting


def _rule_columns(orders: DataFrame, source: OrderSource) -> list[Column]:
    """The status, refund, order id and category columns under working names."""
    rules = source.rules
    columns = []
    if rules.status_col:
        columns.append(F.col(f"`{rules.status_col}`").cast("string").alias("ul_status"))
    if rules.refund_col:
        columns.append(F.col(f"`{rules.refund_col}`").alias("ul_refund"))
    order_id = source.order_id_col or (ORDER_ID if ORDER_ID in orders.columns else None)
    if order_id:
        columns.append(F.col(f"`{order_id}`").alias("ul_order_id"))
    category = source.category_col or (CATEGORY if CATEGORY in orders.columns else None)
    if category:
        text = F.col(f"`{category}`").cast("string")
        columns.append(F.when(F.trim(text) == "", F.lit(None)).otherwise(text).alias(CATEGORY))
    return columns


def _order_times(orders: DataFrame, source: OrderSource, label: str) -> Column:
    """Wall-clock timestamps: typed ones as they are, ISO text cast; values with an offset
    (text, or zone-aware Parquet) converted to ``--timezone``, refused without it."""
    name, zone = source.time_col, source.parsing.timezone
    kind = dict(orders.dtypes)[name]
    column = F.col(f"`{name}`")
    if kind in ("timestamp", "timestamp_ntz", "date"):
        return column.cast("timestamp")
    if kind != "string":
        raise usage_error(
            label, f"column '{literal(name)}' holds {kind} values, not times", "Pass ISO times"
        )
    with_offset = orders.filter(F.trim(column).rlike(_OFFSET)).limit(1).count()
    if with_offset and zone is None:
        raise usage_error(
            label,
            f"column '{literal(name)}' has times with a zone offset",
            "Pass {timezone} (the shop's zone) with {engine=spark}, or use {engine=duckdb}",
        )
    parsed = F.try_to_timestamp(F.trim(column))
    if with_offset:
        return F.from_utc_timestamp(parsed, zone)
    return parsed


def _amounts(orders: DataFrame, name: str, label: str) -> Column:
    kind = dict(orders.dtypes)[name]
    if kind == "string" or kind.startswith(("date", "timestamp", "bool")):
        raise usage_error(
            label,
            f"column '{literal(name)}' is not numeric ({kind})",
            "Amounts written as text are read with {engine=duckdb} ({preset} or clean_text)",
        )
    return F.col(f"`{name}`").cast("double")


def _status_rule(frame: DataFrame, rules: Any) -> tuple[DataFrame, dict[str, int]]:
    """Rows whose status counts (trimmed, full-width punctuation as ASCII), and the rows
    dropped per status."""
    status = F.regexp_replace(F.col("ul_status"), _TRIM, "")
    listed = [status_key(label) for label in rules.paid_statuses or rules.excluded_statuses]
    member = F.lower(F.translate(status, FULL_WIDTH_FORMS, HALF_WIDTH_FORMS)).isin(listed)
    if rules.paid_statuses:
        counts = F.coalesce(member, F.lit(False))
    else:
        counts = F.coalesce(~member, F.lit(True))  # an empty status is not an excluded one
    frame = frame.withColumn("ul_status", F.coalesce(status, F.lit(EMPTY_STATUS)))
    frame = frame.withColumn("ul_keep", F.col("ul_keep") & counts)
    rows = frame.filter(~counts).groupBy("ul_status").count().collect()
    ordered = sorted(rows, key=lambda row: (-row["count"], row["ul_status"]))
    return frame, {row["ul_status"]: int(row["count"]) for row in ordered}


def _refund_rule(frame: DataFrame, source: OrderSource, label: str) -> tuple[DataFrame, dict]:
    """net = amount - refund; full refunds dropped; bad or excessive refunds refused."""
    kind = dict(frame.dtypes)["ul_refund"]
    if kind == "string" or kind.startswith(("date", "timestamp", "bool")):
        raise usage_error(
            label,
            f"column '{literal(source.rules.refund_col)}' is not numeric ({kind})",
            "Refunds written as text are read with {engine=duckdb}",
        )
    refund = F.coalesce(F.col("ul_refund").cast("double"), F.lit(0.0))
    amount, keep = F.col(AMOUNT), F.col("ul_keep")
    refunded = keep & (refund > 0) & ~(amount < 0)
    full = refunded & (amount > 0) & (refund >= amount - 1e-9)
    bad = keep & ~((refund >= 0) & ~F.isnan(refund) & (F.abs(refund) < float("inf")))
    facts = frame.agg(
        F.count_if(bad).alias("bad"),
        F.first(F.when(bad, refund), ignorenulls=True).alias("bad_example"),
        F.first(F.when(refunded & (refund - amount > 1e-9), F.array(refund, amount)),
                ignorenulls=True).alias("over"),
        F.count_if(full).alias("fully"),
        F.count_if(refunded & ~full).alias("partly"),
        F.sum(F.when(refunded, refund).cast("decimal(38,9)")).alias("refunded"),  # exact
    ).collect()[0]  # fmt: skip
    rule = source.rules.refund_col
    if facts["bad"]:
        raise input_error(
            label,
            f"column '{rule}' has {facts['bad']} negative or infinite refund(s), "
            f"e.g. {facts['bad_example']:g}",
            "Refund amounts are >= 0 (an empty value means no refund)",
        )
    if facts["over"] is not None:
        raise over_refund_error(label, rule, source.amount_col, *facts["over"])
    net = F.when(refunded, F.greatest(amount - refund, F.lit(0.0))).otherwise(amount)
    frame = frame.select("*", (keep & ~full).alias("ul_kept"), net.alias("ul_net"))  # one pass
    frame = frame.drop("ul_keep", AMOUNT).withColumnsRenamed(
        {"ul_kept": "ul_keep", "ul_net": AMOUNT}
    )
    return frame, {
        "fully": int(facts["fully"]),
        "partly": int(facts["partly"]),
        "refunded": float(facts["refunded"] or 0.0),
    }


def _validate(counted: DataFrame, source: OrderSource, label: str) -> None:
    """What load_orders refuses among the counted rows: empty ids or times, missing, infinite
    or (undeclared) negative amounts, repeated order ids."""
    amount = F.col(AMOUNT)
    checks = [
        F.count_if(F.col(CUSTOMER_ID).isNull() | (F.col(CUSTOMER_ID) == "")).alias("ids"),
        F.count_if(F.col(ORDER_TIME).isNull()).alias("times"),
        F.count_if(amount.isNull() | F.isnan(amount) | (F.abs(amount) == float("inf"))).alias(
            "amounts"
        ),
        F.count_if(amount < 0).alias("negative"),
    ]
    has_ids = "ul_order_id" in counted.columns
    if has_ids:
        checks.append(
            (F.count(F.lit(1)) - F.count_distinct(F.col("ul_order_id"))).alias("repeated")
        )
    facts = counted.agg(*checks).collect()[0]
    customer, time = literal(source.customer_col), literal(source.time_col)
    amount_name = literal(source.amount_col)
    problems = (  # UsageError templates (REFUND_ROWS_FIX may name refund_rows)
        (facts["ids"], f"column '{customer}' has {facts['ids']} empty id(s)",
         "Remove or fill those rows"),
        (facts["times"], f"column '{time}' has {facts['times']} empty or unreadable "
         "time(s)", "Use ISO times such as 2026-06-18 20:00:00, or {engine=duckdb}"),
        (facts["amounts"], f"column '{amount_name}' has {facts['amounts']} missing or "
         "infinite amount(s)", "Fill or remove those rows"),
        (facts["negative"] and not source.rules.refund_rows,
         f"column '{amount_name}' has {facts['negative']} negative amount(s)",
         REFUND_ROWS_FIX),
        (has_ids and facts["repeated"] and source.rules.refund_rows,
         f"column '{ORDER_ID}' has repeated or empty ids",
         "Refund rows under their order's id are netted into that order with {engine=duckdb}"),
        (has_ids and facts["repeated"], f"column '{ORDER_ID}' has repeated or empty ids",
         "Each id must appear once; deduplicate the file"),
    )  # fmt: skip
    for found, problem, fix in problems:
        if found:
            raise usage_error(label, problem, fix)


def _no_customers_error(
    label: str, counting: OrderCounting, facts: Any, as_of: pd.Timestamp
) -> InputError:
    if counting.orders_counted + counting.refund_rows == 0:
        return usage_error(label, "has no orders", "Pass a file with orders, or {customers}")
    first = pd.Timestamp(facts["first"]).date()
    last = pd.Timestamp(facts["last"]).date()
    return usage_error(
        label,
        f"has no orders before {{as_of={literal(as_of)}}} (its orders run from {first} to {last})",
        "Use a later {as_of}, or pass {customers}",
    )
