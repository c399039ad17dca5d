"""`segment`: an order log (and customer, event and tag files) -> the segment table.

Reads and validates the files, counts the orders (:mod:`uplift_lab.orders`), calls the pure
step (:func:`uplift_lab.segment.segment_customers`, or the same aggregation over the counted
rows of a Parquet file where they are) and, with ``--tags``, adds the rule columns. A Parquet
file whose id and time columns need no cleaning is aggregated in place: the order rules mark
the rows that count (:func:`uplift_lab.workflows.orders.count_orders_in_place`) and DuckDB
reads the ids and times from the file in the same pass as it groups them. With a Spark
session, the orders are read by Spark (:mod:`uplift_lab.io.spark`), then counted and aggregated
by Spark (:mod:`uplift_lab.spark.segment`), the same query.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from uplift_lab import io
from uplift_lab.columnmap import InputSpec, resolve_inputs
from uplift_lab.contracts import AMOUNT, CUSTOMER_ID, ORDER_TIME
from uplift_lab.errors import InputError, input_error, usage_error
from uplift_lab.notices import Notice
from uplift_lab.orders_in_place import CountedInPlace
from uplift_lab.segment import (
    SegmentConfig,
    SegmentResult,
    _segment,
    parse_as_of,
    segment_customers,
    with_tag_rules,
)
from uplift_lab.tags import parse_tag_rules
from uplift_lab.timeparse import DEFAULT_TIME_PARSING, TimeParsing
from uplift_lab.workflows.inputs import read_customers_and_events
from uplift_lab.workflows.orders import count_orders_in_place, load_orders


def segment_files(
    orders_path: Path | None,
    as_of: str | date | datetime | pd.Timestamp | None,
    *,
    customers_path: Path | None = None,
    events_path: Path | None = None,
    customer_col: str = CUSTOMER_ID,
    time_col: str = ORDER_TIME,
    amount_col: str = AMOUNT,
    category_col: str | None = None,
    encoding: str | None = None,
    config: SegmentConfig | None = None,
    inputs: InputSpec | None = None,
    parsing: TimeParsing = DEFAULT_TIME_PARSING,
    tags_path: Path | None = None,
    spark: Any = None,
    table: str | None = None,
    out: Path | None = None,
) -> SegmentResult:
    """Read, validate and segment files (the CLI's one call); errors name the file and column.
    With ``out`` the segment table is written there (atomically, .parquet or .csv).

    ``inputs`` (a preset or column map, :func:`uplift_lab.columnmap.resolve_inputs`) says how
    each file is read, which orders count and how its dates read; without it the three column
    names and ``parsing`` (formats, the shop's time zone) apply. The orders' ``category``
    column (or ``category_col``, which must then exist, or the preset's) feeds the main
    category level of the purchase cycles. ``tags_path`` (TOML, ``name = "SQL expression"``)
    adds one column per rule (:mod:`uplift_lab.tags`); it is read before the orders. With
    ``spark`` (a SparkSession) the orders (a file, a folder of them, or warehouse ``table``)
    are counted and aggregated by Spark. ``as_of=None`` segments as of the day after the latest
    counted order (an export's own date, as near as the file tells it), with a notice.
    """
    config = config or SegmentConfig()
    rules = parse_tag_rules(io.read_toml(tags_path), tags_path) if tags_path else ()
    if inputs is None:
        inputs = resolve_inputs(
            customer_col=customer_col, time_col=time_col, amount_col=amount_col, parsing=parsing
        )
    if category_col is not None:
        inputs = replace(inputs, orders=replace(inputs.orders, category_col=category_col))
    if as_of is not None:
        as_of = parse_as_of(as_of, inputs.orders.parsing.timezone)
    if spark is not None:
        if as_of is None:
            raise usage_error(
                orders_path or table, "needs an as-of date on Spark", "Pass {as_of=2026-06-18}"
            )
        result = _segment_on_spark(
            spark, orders_path, table, as_of, inputs, customers_path, events_path, encoding, config
        )
    else:
        result = _segment_on_duckdb(
            orders_path, as_of, inputs, customers_path, events_path, encoding, config
        )
    if rules:  # the tags read the segment table only, whichever way the orders were counted
        result = with_tag_rules(result, rules, tags_path)
    if out is not None:
        io.write_table(result.table, out)
    return result


def _segment_on_spark(
    spark: Any,
    orders_path: Path | None,
    table: str | None,
    as_of: pd.Timestamp,
    inputs: InputSpec,
    customers_path: Path | None,
    events_path: Path | None,
    encoding: str | None,
    config: SegmentConfig,
) -> SegmentResult:
    """The orders (a file, a folder of them, or warehouse ``table``) read as a Spark frame and
    counted and aggregated by Spark (:func:`uplift_lab.spark.segment.segment_on_spark`)."""
    from uplift_lab.io import spark as spark_io  # optional: pyspark
    from uplift_lab.spark.segment import check_spark_inputs, order_text_columns, segment_on_spark

    check_spark_inputs(inputs.orders)  # refused before any file is read
    customers, events = read_customers_and_events(inputs, customers_path, events_path, encoding)
    csv = table is None and spark_io.input_format(Path(orders_path)) == "csv"
    orders = spark_io.read_frame(
        spark,
        orders_path,
        table=table,
        string_columns=order_text_columns(inputs.orders, csv=csv),
        encoding=encoding,
    )
    return segment_on_spark(
        orders,
        as_of,
        inputs.orders,
        label=spark_io.input_label(orders_path, table),
        customers=customers,
        events=events,
        config=config,
    )


def _segment_on_duckdb(
    orders_path: Path,
    as_of: pd.Timestamp,
    inputs: InputSpec,
    customers_path: Path | None,
    events_path: Path | None,
    encoding: str | None,
    config: SegmentConfig,
) -> SegmentResult:
    """The orders counted in place where they can be, else read and counted in memory (always
    when the as-of date is to be read off the counted orders)."""
    in_place = None if as_of is None else count_orders_in_place(orders_path, inputs.orders)
    counted, notices = None, ()
    if in_place is None:
        counted = load_orders(orders_path, inputs.orders, encoding=encoding, core_only=True)
    if as_of is None:
        as_of, notices = _as_of_after_latest_order(counted.table, orders_path)
    customers, events = read_customers_and_events(inputs, customers_path, events_path, encoding)
    if in_place is not None:
        kept = in_place.amounts.filter(in_place.keep)
        result = _segment(
            lambda con: _install_in_place(con, in_place),
            as_of,
            earliest_order=in_place.earliest_time,
            refund_rows=bool(len(kept)) and pc.min(kept).as_py() < 0,
            has_category=False,  # a file with a category column is not segmented in place
            customers=customers,
            events=events,
            config=config,
        )
        if len(result.table):
            return replace(result, counting=in_place.counting)
        # no customer: the general path says why, in the words it always uses
        counted = load_orders(orders_path, inputs.orders, encoding=encoding, core_only=True)
    orders = counted.table
    result = segment_customers(orders, as_of, customers=customers, events=events, config=config)
    if len(result.table) == 0:
        raise _no_customers_error(orders_path, orders, as_of)
    return replace(result, counting=counted.counting, notices=(*notices, *result.notices))


def _as_of_after_latest_order(orders: pa.Table, path: Path) -> tuple[pd.Timestamp, tuple]:
    """Midnight after the latest counted order (so every order counts), and the notice saying
    so; an order log with no counted order is refused as ever."""
    if orders.num_rows == 0:
        raise _no_customers_error(path, orders, pd.NaT)
    latest = pd.Timestamp(pc.max(orders.column(ORDER_TIME)).as_py())
    as_of = latest.normalize() + pd.Timedelta(days=1)
    params = {"as_of": as_of.date().isoformat(), "latest": latest.strftime("%Y-%m-%d %H:%M")}
    return as_of, (Notice("note", "as_of_from_orders", params),)


def _install_in_place(con, counted: CountedInPlace) -> None:
    """The relation ``orders`` as the counted rows of the file itself: DuckDB reads the id and
    time columns from it while it aggregates, matched row by row (POSITIONAL JOIN, which keeps
    the file's row order) with the rules' verdict and net amount per row."""
    if io.parquet_rows(counted.path) != len(counted.keep):
        raise input_error(counted.path, "changed while it was being read", "Run the command again")
    con.register("counted_rows", pa.table({"keep": counted.keep, "amount": counted.amounts}))
    customer, time = _sql_name(counted.customer_col), _sql_name(counted.time_col)
    con.sql(
        f"""
        CREATE TEMP VIEW orders AS
        SELECT file.{customer} AS customer_id,
               CAST(file.{time} AS TIMESTAMP) AS order_time,
               counted_rows.amount AS amount
        FROM (SELECT {customer}, {time} FROM {io.parquet_sql(counted.path)}) AS file
        POSITIONAL JOIN counted_rows
        WHERE counted_rows.keep
        """
    )


def _sql_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _no_customers_error(path: Path, orders: pa.Table, as_of: pd.Timestamp) -> InputError:
    if orders.num_rows == 0:
        return usage_error(path, "has no orders", "Pass a file with orders, or {customers_path}")
    times = orders.column(ORDER_TIME)
    first = pd.Timestamp(pc.min(times).as_py()).date()
    last = pd.Timestamp(pc.max(times).as_py()).date()
    return usage_error(
        path,
        f"has no orders before {{as_of={as_of}}} (its orders run from {first} to {last})",
        "Use a later {as_of}, or pass {customers_path}",
    )
