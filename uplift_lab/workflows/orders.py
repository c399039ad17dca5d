"""Orders files read as every command reads them: the file through :mod:`uplift_lab.io`, the
rules of :mod:`uplift_lab.orders` (which orders count) applied to what was read.

:func:`load_orders` is the one reader of `segment`, `analyze`, `train --experiment`, `plan` and
`evaluate --scores --orders`; :func:`count_orders_in_place` applies the same rules to a Parquet
file without copying the rows that count (segmentation of large files), or steps aside (None)
for :func:`load_orders` where it cannot or the file would be refused.
"""

from __future__ import annotations

from pathlib import Path

from uplift_lab import io
from uplift_lab.id_checks import ids_certainly_unique
from uplift_lab.orders import CountedOrders, OrderSource, columns_to_read, count_orders
from uplift_lab.orders_in_place import CountedInPlace, count_in_place, in_place_plan


def load_orders(
    path: Path,
    source: OrderSource | None = None,
    *,
    encoding: str | None = None,
    core_only: bool = False,
) -> CountedOrders:
    """Read an orders file and keep the orders that count (the one reader of every command).

    ``core_only`` (segmentation): the counted table has only ``customer_id``, ``order_time``,
    ``amount`` and the ``category`` (when there is one: segment's cycles use it); order ids are
    still checked, then left out.
    """
    source = source or OrderSource()
    names = io.table_column_names(path, encoding=encoding, file_layout=source.layout)
    read = columns_to_read(names, source)
    # handed over without a name here, so that count_orders can let go of the columns it is
    # done with (their memory is reused by the next step instead of fresh pages)
    return count_orders(
        io.read_arrow(
            path,
            encoding=encoding,
            string_columns=read.text,
            columns=read.columns,
            dictionary_columns=read.dictionary,
            file_layout=source.layout,
        ),
        path,
        source,
        core_only=core_only,
    )


def count_orders_in_place(path: Path, source: OrderSource | None = None) -> CountedInPlace | None:
    """The rules of :func:`load_orders` (core_only) applied without copying the counted rows.

    Only for a Parquet file the schema screen of :func:`uplift_lab.orders_in_place.in_place_plan`
    admits, whose id and time columns have no empty value (by the file's own statistics). The
    status and refund rules are the same functions as load_orders'; its checks of the counted
    amounts and of the order ids are screens here: whenever one of them does not hold, this
    returns ``None`` and :func:`load_orders` reads the file, so that what is refused is refused
    by the general path and in its words.
    """
    source = source or OrderSource()
    if io.table_format(path) != "parquet" or source.layout.names:
        return None  # (names for a Parquet file: refused by load_orders)
    plan = in_place_plan(source, io.parquet_schema(path))
    if plan is None:
        return None
    id_nulls, smallest_id = io.parquet_column_facts(path, source.customer_col)
    time_nulls, earliest_time = io.parquet_column_facts(path, source.time_col)
    if id_nulls != 0 or time_nulls != 0 or not smallest_id:  # '' would be the smallest id
        return None
    if plan.id_col:  # read alone and let go: its memory serves the next read
        ids = io.read_arrow(path, columns=[plan.id_col]).column(plan.id_col)
        if not ids_certainly_unique(ids):
            return None
        del ids
    table = io.read_arrow(path, columns=plan.read, dictionary_columns=plan.dictionary)
    return count_in_place(table, path, source, earliest_time)
