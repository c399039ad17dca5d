"""Rows of an order log that are not one order each: line items, line amounts, guest rows.

A retail log writes one row per product (UCI Online Retail: InvoiceNo, Quantity, UnitPrice,
CustomerID); a Shopify export repeats its order over its line items. These turn such rows into
one row per order for :func:`uplift_lab.orders.count_orders`. Reads no file.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from uplift_lab.contracts import AMOUNT, CUSTOMER_ID, ORDER_TIME
from uplift_lab.errors import DataWarning, input_error, usage_error
from uplift_lab.notices import Notice


def empty_customers(table: pa.Table, customer_col: str) -> pa.ChunkedArray:
    """Per row, whether its customer id is missing or empty text."""
    ids = table.column(customer_col)
    if pa.types.is_dictionary(ids.type):
        ids = ids.cast(ids.type.value_type)
    empty = pc.is_null(ids)
    if pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type):
        empty = pc.or_kleene(empty, pc.equal(ids, ""))
    return pc.fill_null(empty, True)


def missing_customer_error(customer_col: str, empty: pa.ChunkedArray, path: object):
    """The empty-id error of an orders file, with the way to leave guest orders out."""
    n_empty = int(pc.sum(empty).as_py())
    first = int(pc.index(empty, True).as_py()) + 1
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
        present = pc.drop_null(values)
        example = present[0].as_py() if len(present) else None
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
    table = table.drop_columns([price_col])
    return table.set_column(
        table.column_names.index(quantity_col), label, pa.array(np.round(amounts, 6))
    )


def _first_rows(table: pa.Table, order_col: str) -> tuple[np.ndarray, np.ndarray]:
    """Per row the code of its order id, and the rows that are each order's first, in file order
    (Arrow numbers the ids in order of first appearance, so code ``k`` is order ``k``)."""
    ids = table.column(order_col).combine_chunks()
    codes = pc.dictionary_encode(ids).indices.to_numpy(zero_copy_only=False)
    _, first = np.unique(codes, return_index=True)
    return codes, first


def summed_per_order(
    table: pa.Table, order_col: str, money: Sequence[str], path: object
) -> tuple[pa.Table, int]:
    """One row per order id: the ``money`` columns summed over its rows (its line items), every
    other value from its first row, orders in the order of their first rows."""
    if table.column(order_col).null_count:
        raise input_error(
            path,
            f"column '{order_col}' has {table.column(order_col).null_count} empty order id(s)",
            "Every line item needs the id of its order",
        )
    codes, first = _first_rows(table, order_col)
    if len(first) == table.num_rows:
        return table, 0
    orders = table.take(pa.array(first))
    for name in money:
        totals = np.bincount(codes, weights=numbers(table, name, path), minlength=len(first))
        orders = orders.set_column(
            orders.column_names.index(name), name, pa.array(np.round(totals, 6))
        )
    return orders, table.num_rows - len(first)


def first_row_per_order(table: pa.Table, order_col: str) -> tuple[pa.Table, int]:
    """Keep the first row of each order id (the row with the order's totals)."""
    _, first = _first_rows(table, order_col)
    if len(first) == table.num_rows:
        return table, 0
    return table.take(pa.array(first)), table.num_rows - len(first)


PRODUCT_LINE_SAMPLE = 200_000  # the first rows looked at for repeated orders
PRODUCT_LINE_SHARE = 0.05  # this share of them repeating another row: a log of product lines


def warn_if_product_lines(orders: pa.Table, path: object) -> None:
    """A notice when many of the first rows repeat another row's customer, time and amount: one
    row per product line (X5's purchases.csv repeats each transaction's sum on every product),
    so each line would count as an order and frequency and monetary double. The first rows
    only: a log's lines of one order sit together, and the check stays cheap."""
    head = orders.slice(0, PRODUCT_LINE_SAMPLE).select([CUSTOMER_ID, ORDER_TIME, AMOUNT])
    if head.num_rows < 20:
        return
    repeated = (
        head.num_rows - head.group_by([CUSTOMER_ID, ORDER_TIME, AMOUNT]).aggregate([]).num_rows
    )
    if repeated >= PRODUCT_LINE_SHARE * head.num_rows:
        params = {"source": str(path), "repeated": f"{repeated:,}", "rows": f"{head.num_rows:,}"}
        warnings.warn(DataWarning(Notice("warning", "product_line_rows", params)), stacklevel=3)
