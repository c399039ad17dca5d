"""Rows of an order log that are not one order each: line items, line amounts, guest rows.

A retail log writes one row per product (UCI Online Retail: InvoiceNo, Quantity, UnitPrice,
CustomerID); a Shopify export repeats its order over its line items. These turn such rows into
one row per order for :func:`uplift_lab.orders.count_orders`. Reads no file.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from uplift_lab.errors import input_error, usage_error


def rows_with_customer(table: pa.Table, customer_col: str) -> tuple[pa.Table, int]:
    """The rows whose customer id is there (not missing, not empty text), and how many were not."""
    ids = table.column(customer_col)
    if pa.types.is_dictionary(ids.type):
        ids = ids.cast(ids.type.value_type)
    empty = pc.is_null(ids)
    if pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type):
        empty = pc.or_kleene(empty, pc.equal(ids, ""))
    n_empty = int(pc.sum(empty).as_py() or 0)
    if not n_empty:
        return table, 0
    return table.filter(pc.invert(pc.fill_null(empty, True))), n_empty


def missing_customer_error(table: pa.Table, customer_col: str, n_empty: int, path: object):
    """The empty-id error of an orders file, with the way to leave guest orders out."""
    ids = table.column(customer_col)
    present = pc.is_valid(ids)
    if pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type):
        present = pc.and_kleene(present, pc.not_equal(ids, ""))
    first = int(pc.index(pc.fill_null(present, False), False).as_py()) + 1
    return usage_error(
        path,
        f"column '{customer_col}' has {n_empty} empty id(s) (first at data row {first})",
        "Remove or fill those rows; if they are orders without a customer (guest checkouts), "
        "leave them out with skip_missing_customer = true in the [orders] section of a "
        "{columns=map.toml}",
    )


def numbers(table: pa.Table, name: str, path: object) -> np.ndarray:
    """A numeric column as float64 (missing as NaN), or an InputError naming it."""
    values = table.column(name)
    if not (pa.types.is_integer(values.type) or pa.types.is_floating(values.type)):
        example = next((value for value in values.to_pylist() if value is not None), None)
        raise input_error(
            path,
            f"column '{name}' is not numeric (e.g. {example!r})",
            "Write it as plain numbers (a preset or clean_text = true reads money as text)",
        )
    return values.cast(pa.float64()).to_numpy()


def with_line_amounts(
    table: pa.Table, quantity_col: str, price_col: str, label: str, path: object
) -> pa.Table:
    """The amount of each row as quantity x unit price, in a column named ``label``."""
    amounts = numbers(table, quantity_col, path) * numbers(table, price_col, path)
    table = table.drop_columns([name for name in (quantity_col, price_col) if name != quantity_col])
    return table.set_column(
        table.column_names.index(quantity_col), label, pa.array(np.round(amounts, 6))
    )


def summed_per_order(
    table: pa.Table, order_col: str, money: Sequence[str], path: object
) -> tuple[pa.Table, int]:
    """One row per order id: the ``money`` columns summed over its rows (its line items), every
    other value from its first row, orders in the order of their first rows."""
    ids = table.column(order_col)
    if ids.null_count:
        raise input_error(
            path,
            f"column '{order_col}' has {ids.null_count} empty order id(s)",
            "Every line item needs the id of its order",
        )
    codes = pc.dictionary_encode(ids.combine_chunks()).indices.to_numpy(zero_copy_only=False)
    _, first = np.unique(codes, return_index=True)
    if len(first) == table.num_rows:
        return table, 0
    rows = np.sort(first)
    position = np.empty(len(first), dtype=np.int64)  # code -> place of its order in the output
    position[codes[rows]] = np.arange(len(rows))
    orders = table.take(pa.array(rows))
    for name in money:
        values = numbers(table, name, path)
        totals = np.bincount(position[codes], weights=values, minlength=len(rows))
        orders = orders.set_column(
            orders.column_names.index(name), name, pa.array(np.round(totals, 6))
        )
    return orders, table.num_rows - len(rows)


def first_row_per_order(table: pa.Table, order_col: str) -> tuple[pa.Table, int]:
    """Keep the first row of each order id (the row with the order's totals)."""
    ids = table.column(order_col)
    codes = pc.dictionary_encode(ids.combine_chunks()).indices.to_numpy(zero_copy_only=False)
    _, first = np.unique(codes, return_index=True)
    if len(first) == table.num_rows:
        return table, 0
    rows = np.sort(first)
    return table.take(pa.array(rows)), table.num_rows - len(rows)
