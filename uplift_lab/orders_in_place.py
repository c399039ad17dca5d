"""The order rules of :mod:`uplift_lab.orders` applied to a Parquet file in place: which rows
count and their net amounts, without copying the rows that count (the id and time columns stay
in the file, for DuckDB to aggregate). Where the file's schema or values do not allow it, these
step aside for :func:`uplift_lab.orders.count_orders`, which then says what is wrong. Reads no
file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from uplift_lab.errors import InputError
from uplift_lab.orders import (
    CATEGORY,
    ORDER_ID,
    OrderCounting,
    OrderSource,
    apply_rules,
    clean_name,
)


@dataclass(frozen=True, slots=True)
class CountedInPlace:
    """The counted orders of a Parquet file, left where they are: per row of the file whether
    it counts (``keep``) and its amount net of refunds. The id and time columns are not read
    into memory; :func:`uplift_lab.workflows.segment.segment_files` aggregates them from the
    file."""

    path: Path
    customer_col: str
    time_col: str
    keep: pa.ChunkedArray
    amounts: pa.ChunkedArray
    counting: OrderCounting
    earliest_time: datetime | None = None  # the time column's smallest value, by its statistics


_IN_PLACE_TIME_UNITS = ("s", "ms", "us")


@dataclass(frozen=True, slots=True)
class InPlacePlan:
    """What the in-place counting of a Parquet file reads, once its schema allows it."""

    id_col: str | None  # the order id column, checked for repeats before counting
    read: list[str]  # the amount and the rules' columns (not the customer id nor the time)
    dictionary: list[str]  # the status, dictionary-encoded


def in_place_plan(source: OrderSource, schema: pa.Schema) -> InPlacePlan | None:
    """Whether a Parquet file of ``schema`` can be counted in place by ``source``'s rules.

    Only when its id column is text and its time column a naive timestamp, read by rules that
    need nothing else of those two columns (no unpaid rule, line items or text cleaning), and it
    has no order category (``category_col``, or a ``category`` column: the general path carries
    the category to segment's purchase cycles). ``None``: :func:`count_orders` reads the file.
    """
    rules = source.rules
    if source.category_col or source.clean_text or rules.line_item_col or source.line_amount:
        return None
    if rules.skip_missing_customer:
        return None
    if rules.unpaid_when_time_empty:
        return None
    names = schema.names
    if len(set(names)) != len(names) or any(clean_name(name) != name for name in names):
        return None
    if CATEGORY in names:  # the category rides along: the general path carries it
        return None
    id_col = source.order_id_col or (ORDER_ID if ORDER_ID in names else None)
    needed = [source.customer_col, source.time_col, source.amount_col]
    needed += [name for name in (rules.status_col, rules.refund_col, id_col) if name]
    if not set(needed) <= set(names) or len(set(needed)) != len(needed):
        return None
    ids, times = schema.field(source.customer_col).type, schema.field(source.time_col).type
    if not (pa.types.is_string(ids) or pa.types.is_large_string(ids)):
        return None
    if not (pa.types.is_timestamp(times) and times.tz is None):
        return None
    if times.unit not in _IN_PLACE_TIME_UNITS:
        return None
    read = [name for name in needed if name not in (source.customer_col, source.time_col, id_col)]
    return InPlacePlan(id_col, read, [rules.status_col] if rules.status_col else [])


def count_in_place(
    table: pa.Table, path: Path, source: OrderSource, earliest_time: object = None
) -> CountedInPlace | None:
    """The status and refund rules over the columns of :class:`InPlacePlan` ``table``; ``None``
    where load_orders would refuse a counted amount or a rule (it then says why)."""
    rules = source.rules
    money = [table.column(name).type for name in (source.amount_col, rules.refund_col) if name]
    if not all(pa.types.is_integer(kind) or pa.types.is_floating(kind) for kind in money):
        return None
    try:
        ruled = apply_rules(table, source, path)
    except InputError:
        return None
    keep = ruled.keep
    if keep is None:
        keep = pa.chunked_array([pa.array(np.ones(table.num_rows, dtype=bool))])
    amounts = ruled.table.column(source.amount_col).cast(pa.float64())
    n_counted, n_refund_rows = _counted_amounts(amounts, keep, allow_negative=rules.refund_rows)
    if n_counted is None:  # an amount validation would refuse
        return None
    counting = OrderCounting(
        rows_read=table.num_rows,
        orders_counted=0,
        dropped_by_status=ruled.dropped,
        unpaid_rows=ruled.unpaid,
    )
    if ruled.netted is not None:
        counting = replace(
            counting,
            fully_refunded=ruled.netted.fully_refunded,
            partly_refunded=ruled.netted.partly_refunded,
            refunded_amount=ruled.netted.refunded_amount,
        )
    if rules.refund_rows:
        counting = replace(counting, refund_rows=n_refund_rows)
    counting = replace(counting, orders_counted=n_counted - counting.refund_rows)
    return CountedInPlace(
        path=Path(path),
        customer_col=source.customer_col,
        time_col=source.time_col,
        keep=keep,
        amounts=amounts,
        counting=counting,
        earliest_time=earliest_time if isinstance(earliest_time, datetime) else None,
    )


def _counted_amounts(
    amounts: pa.ChunkedArray, keep: pa.ChunkedArray, *, allow_negative: bool
) -> tuple[int | None, int]:
    """(rows counted, counted rows with a negative amount), or (None, 0) if a counted amount is
    missing, infinite or (unless allowed) negative: what the amount validation of load_orders
    refuses (:func:`uplift_lab.contracts.amounts_arrow`), checked in place, chunk by chunk."""
    n_counted = n_negative = 0
    offset = 0
    for chunk in amounts.chunks:
        values = chunk.to_numpy(zero_copy_only=False)  # a missing value reads as NaN
        counted = keep.slice(offset, len(values)).to_numpy()
        offset += len(values)
        with np.errstate(invalid="ignore"):
            if (counted & ~np.isfinite(values)).any():
                return None, 0
            negative = int((counted & (values < 0)).sum())
        if negative and not allow_negative:
            return None, 0
        n_counted += int(counted.sum())
        n_negative += negative
    return n_counted, n_negative
