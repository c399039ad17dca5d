"""Refunds of the order rules (:mod:`uplift_lab.orders`): net = amount - refund, full refunds
dropped, a refund above the amount or a negative one refused. Numeric refunds are netted in the
pass of the status rule, refunds written as text after validation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from uplift_lab import contracts
from uplift_lab.contracts import AMOUNT, ORDER_ID
from uplift_lab.errors import InputError, input_error


@dataclass(frozen=True, slots=True)
class Netted:
    amounts: pa.ChunkedArray  # the amount column net of refunds
    keep: pa.ChunkedArray  # rows counted by the earlier rules and not fully refunded
    fully_refunded: int
    partly_refunded: int
    refunded_amount: float


def net_numeric_refunds(
    table: pa.Table,
    amount_col: str,
    refund_col: str,
    keep: pa.ChunkedArray | None,
    path: object,
) -> Netted | None:
    """Net the refunds in the pass of the status rule when amount and refund are numbers, so
    that full refunds drop out in the same filter (one copy of ten million rows, not two).

    Only rows the earlier rules count are checked and counted. ``None`` when either column is
    text (then :func:`net_refunds` nets after validation).
    """
    amount = table.column(amount_col)
    refund = table.column(refund_col)
    numeric = all(
        pa.types.is_floating(values.type) or pa.types.is_integer(values.type)
        for values in (amount, refund)
    )
    if not numeric:
        return None
    amount = amount.cast(pa.float64())
    refund = refund.cast(pa.float64())
    n_bad, bad_example, first_over = 0, None, None
    nets, keeps, refunded_values = [], [], []
    fully = partly = 0
    offset = 0
    # Chunk by chunk (about a million rows each): the temporaries of one chunk are reused by the
    # next instead of ten-million-row arrays each (the same results as one pass over all rows).
    for chunk in amount.chunks:
        length = len(chunk)
        amounts = chunk.to_numpy(zero_copy_only=False)
        refunds = pc.fill_null(refund.slice(offset, length), 0.0).to_numpy()
        if keep is None:
            counted = np.ones(length, dtype=bool)
        else:
            counted = np.array(keep.slice(offset, length).to_numpy(), dtype=bool)  # writable
        with np.errstate(invalid="ignore"):
            if length and not (np.isfinite(refunds).all() and refunds.min() >= 0):
                bad = counted & ~(np.isfinite(refunds) & (refunds >= 0))
                if bad.any():
                    if bad_example is None:
                        bad_example = refunds[np.flatnonzero(bad)[0]]
                    n_bad += int(bad.sum())
            rows = np.flatnonzero(refunds > 0)  # the only rows a refund can change or refuse
            some_amounts, some_refunds = amounts[rows], refunds[rows]
            # a refund row's refund cell does not apply: a negative amount is no purchase
            refunded = counted[rows] & ~(some_amounts < 0)
            if first_over is None:
                over = np.flatnonzero(refunded & (some_refunds - some_amounts > 1e-9))
                if len(over):
                    first_over = (some_refunds[over[0]], some_amounts[over[0]])
            full = refunded & (some_amounts > 0) & (some_refunds >= some_amounts - 1e-9)
        # only refunded orders change: a declared refund row (negative amount) keeps its amount
        net = np.array(amounts, dtype=np.float64)  # a copy
        net[rows[refunded]] = np.maximum(some_amounts - some_refunds, 0.0)[refunded]
        counted[rows[full]] = False
        nets.append(pa.array(net))
        keeps.append(pa.array(counted))
        refunded_values.append(some_refunds[refunded])
        fully += int(full.sum())
        partly += int((refunded & ~full).sum())
        offset += length
    if n_bad:
        raise input_error(
            path,
            f"column '{refund_col}' has {n_bad} negative or infinite "
            f"refund(s), e.g. {bad_example:g}",
            "Refund amounts are >= 0 (an empty value means no refund)",
        )
    if first_over is not None:
        raise over_refund_error(path, refund_col, amount_col, *first_over)
    values = np.concatenate(refunded_values) if refunded_values else np.zeros(0)
    return Netted(
        amounts=pa.chunked_array(nets, type=pa.float64()),
        keep=pa.chunked_array(keeps, type=pa.bool_()),
        fully_refunded=fully,
        partly_refunded=partly,
        refunded_amount=float(values.sum()),
    )


def over_refund_error(
    path: object, refund_col: str, amount_col: str, refund: float, amount: float
) -> InputError:
    return input_error(
        path,
        f"column '{refund_col}' refunds more than the order's "
        f"'{amount_col}' ({refund:g} > {amount:g})",
        "Check that the two columns are the refund and the amount paid of the same order",
    )


def refund_amounts(table: pa.Table, column: str, path: object) -> pa.ChunkedArray:
    """The refund column as amounts >= 0; an empty value means no refund."""
    values = table.column(column)
    if pa.types.is_null(values.type):
        values = values.cast(pa.float64())
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        values = pc.if_else(pc.equal(values, ""), pa.scalar(None, values.type), values)
    filled = pa.table({column: values})
    if pa.types.is_floating(values.type) or pa.types.is_integer(values.type):
        filled = pa.table({column: pc.fill_null(values.cast(pa.float64()), 0.0)})
        return contracts.amounts_arrow(filled, column, path)
    frame = pd.DataFrame({column: filled.column(column).to_pandas()})
    checked = contracts.numeric_column(
        frame, column, path, allow_negative=False, allow_missing=True
    ).fillna(0.0)
    return pa.chunked_array([pa.array(checked.to_numpy(), type=pa.float64())])


def net_refunds(
    orders: pa.Table, refund: pa.ChunkedArray, amount_col: str, refund_col: str, path: object
) -> tuple[pa.Table, int, int, float]:
    """net = amount - refund; fully refunded orders dropped; a refund above the amount refused.

    Returns the orders, the fully and the partly refunded orders and the amount refunded."""
    amounts = orders.column(AMOUNT).to_numpy()
    refunds = refund.to_numpy()  # >= 0 and complete: checked by refund_amounts
    purchase = amounts >= 0  # a refund row's refund cell does not apply
    over = np.flatnonzero(purchase & (refunds - amounts > 1e-9))
    if len(over):
        row = int(over[0])
        raise over_refund_error(path, refund_col, amount_col, refunds[row], amounts[row])
    refunded = purchase & (refunds > 0)
    full = refunded & (refunds >= amounts - 1e-9) & (amounts > 0)
    n_full = int(full.sum())
    n_refunded = int(refunded.sum())
    refunded_amount = float(refunds[refunded].sum())
    net = pa.array(np.where(refunded, np.maximum(amounts - refunds, 0.0), amounts))
    orders = orders.set_column(orders.column_names.index(AMOUNT), AMOUNT, net)
    if n_full:
        orders = orders.filter(pa.array(~full))
    return orders, n_full, n_refunded - n_full, refunded_amount


def refunds_by_order(orders: pa.Table) -> tuple[pa.Table, pa.ChunkedArray, int]:
    """Refund rows (negative amounts) that repeat a purchase's ``order_id``, as a refund per
    purchase: the orders without those rows, each remaining row's refund (>= 0; 0 for the
    rest) and how many refund rows were linked, for :func:`net_refunds` to net as it nets a
    refund column. Refund rows naming no purchase stay (netted per customer).

    ERPs write a return as a negative line under the order's own number; counting the order
    as a purchase and the refund only in the customer's money would keep a returned order as
    an order and a conversion.
    """
    ids = orders.column(ORDER_ID).cast(pa.string())
    amounts = orders.column(AMOUNT).to_numpy()
    refund_row = amounts < 0
    no_refund = pa.chunked_array([pa.array(np.zeros(len(amounts)))])
    if not refund_row.any():
        return orders, no_refund, 0
    purchase_ids = pc.filter(ids, pa.array(~refund_row))
    refund_ids = pc.filter(ids, pa.array(refund_row))
    linked = pc.is_valid(pc.index_in(refund_ids, value_set=purchase_ids)).to_numpy(
        zero_copy_only=False
    )
    if not linked.any():
        return orders, no_refund, 0
    sums = (
        pa.table({"id": refund_ids, "refund": pa.array(-amounts[refund_row])})
        .filter(pa.array(linked))
        .group_by("id")
        .aggregate([("refund", "sum")])
    )
    at = pc.fill_null(pc.index_in(ids, value_set=sums.column("id")), -1).to_numpy()
    found = ~refund_row & (at >= 0)
    refunds = np.zeros(len(amounts))
    refunds[found] = sums.column("refund_sum").to_numpy()[at[found]]
    keep = np.ones(len(amounts), dtype=bool)
    keep[np.flatnonzero(refund_row)[linked]] = False  # netted into their order from now on
    mask = pa.array(keep)
    return orders.filter(mask), pa.chunked_array([pa.array(refunds[keep])]), int(linked.sum())
