"""Which orders count: one definition for every command that reads an order log.

A shop's export holds closed, unpaid and refunded orders next to the real purchases. The rules
here decide, once, what becomes recency, frequency, monetary, model features and campaign
outcomes (`segment`, `analyze`, `train --experiment`, `evaluate --scores --orders` all read
their orders with :func:`uplift_lab.workflows.orders.load_orders`, which applies
:func:`count_orders` to what it read):

* status: with ``paid_statuses`` only rows of those statuses count; with ``excluded_statuses``
  every row but those. Dropped rows are counted per status for the summary.
* unpaid: with ``unpaid_when_time_empty`` (presets whose order time is the payment time) a row
  without an order time is an unpaid order, dropped and counted, instead of an error.
* refund column: net = amount - refund. A fully refunded order (refund = amount > 0) is not a
  purchase and not a conversion: it is dropped and counted. A partly refunded one counts with
  its net. A refund above the amount is an error.
* refund rows: negative amounts are refunds only where declared (``refund_rows``); they net into
  the customer's money totals but are not orders (they set neither recency nor frequency).
  Undeclared negative amounts are refused with the hint to pass ``--refund-rows``.
* line items: with ``line_item_col`` repeated rows of one order id are line items of the order.
  By default (Shopify) the first row carries the order's totals and is the one kept; with
  ``sum_line_items`` (a retail log of one row per product, e.g. UCI Online Retail) the rows'
  amounts and refunds are summed into the order, its other values taken from its first row.
* line amounts: with ``quantity_col`` and ``unit_price_col`` a row's amount is quantity x unit
  price (the file has no amount column).
* rows without a customer: with ``skip_missing_customer`` (guest checkouts) a row whose customer
  id is empty is not counted, and counted in the summary; otherwise it is an error.

:func:`in_place_plan` and :func:`count_in_place` apply the same rules to a Parquet file without
copying the rows that count (:func:`uplift_lab.workflows.orders.count_orders_in_place`); where they
cannot, or the file would be refused, they step aside for load_orders. Reads no file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from uplift_lab import contracts
from uplift_lab.contracts import AMOUNT, CUSTOMER_ID, ORDER_ID, ORDER_TIME
from uplift_lab.errors import InputError, UsageError, literal, usage_error, with_value
from uplift_lab.file_layout import DEFAULT_FILE_LAYOUT, FileLayout
from uplift_lab.id_checks import ids_certainly_unique
from uplift_lab.order_lines import (
    empty_customers,
    first_row_per_order,
    missing_customer_error,
    summed_per_order,
    warn_if_product_lines,
    with_line_amounts,
)
from uplift_lab.order_status import name_unmatched_statuses, status_key
from uplift_lab.refunds import (
    Netted,
    net_numeric_refunds,
    net_refunds,
    refund_amounts,
    refunds_by_order,
)
from uplift_lab.timeparse import DEFAULT_TIME_PARSING, TimeParsing

STATUS = "status"
REFUND = "refund"
CATEGORY = "category"
QUANTITY = "quantity"
UNIT_PRICE = "unit_price"
ORDER_COLUMNS = (
    CUSTOMER_ID,
    ORDER_TIME,
    AMOUNT,
    ORDER_ID,
    CATEGORY,
    STATUS,
    REFUND,
    QUANTITY,
    UNIT_PRICE,
)
"""Canonical names a column of an orders file can be mapped to."""

EMPTY_STATUS = "(empty)"
REFUND_ROWS_FIX = "If those rows are refunds, pass {refund_rows} to net them into the totals"
"""The fix of undeclared negative amounts (a :class:`~uplift_lab.errors.UsageError` template)."""
_MONEY_NOISE = r"[¥￥$€£,\s]"  # currency signs and thousands separators of money written as text


@dataclass(frozen=True, slots=True)
class OrderRules:
    """Which rows of an orders file are counted orders (see the module docstring).

    Column names are the file's own (after header spaces are stripped).
    """

    status_col: str | None = None
    paid_statuses: tuple[str, ...] = ()
    excluded_statuses: tuple[str, ...] = ()
    refund_col: str | None = None
    refund_rows: bool = False
    unpaid_when_time_empty: bool = False
    line_item_col: str | None = None
    sum_line_items: bool = False
    skip_missing_customer: bool = False
    statuses_given: bool = False  # by the user (not a preset): one matching no row is named

    def __post_init__(self) -> None:
        if self.paid_statuses and self.excluded_statuses:
            raise UsageError(
                "{paid_statuses} and {excluded_statuses} cannot be combined; list either the "
                "statuses that count or the ones that do not"
            )
        if (self.paid_statuses or self.excluded_statuses) and not self.status_col:
            raise UsageError("{paid_statuses}/{excluded_statuses} need {status_col=COLUMN}")
        if self.status_col and not (self.paid_statuses or self.excluded_statuses):
            raise UsageError(
                f"{with_value('status_col', self.status_col)} needs {{paid_statuses=VALUE}} "
                "(repeatable) or {excluded_statuses=VALUE}"
            )

    @property
    def active(self) -> bool:
        """Whether any rule beyond the plain order log applies."""
        return (
            bool(self.status_col or self.refund_col or self.refund_rows or self.line_item_col)
            or self.unpaid_when_time_empty
            or self.skip_missing_customer
        )


def line_amount_label(quantity_col: str, unit_price_col: str) -> str:
    """How messages name an amount that is quantity x unit price ("Quantity x UnitPrice")."""
    return f"{quantity_col} x {unit_price_col}"


@dataclass(frozen=True, slots=True)
class OrderSource:
    """How to read one orders file: its column names, the counting rules and the date parsing.

    ``customer_col``, ``time_col``, ``amount_col`` and the optional ``order_id_col`` /
    ``category_col`` are the file's names of the canonical columns; with ``quantity_col`` and
    ``unit_price_col`` the amount is their product and ``amount_col`` is its label in messages
    (:func:`line_amount_label`). ``clean_text`` (presets)
    trims spaces and tabs around text values (ids guarded by a trailing tab) and reads money
    written as text ("1,299.00", "¥35"). ``layout``: a header-less file's column names, the
    workbook sheet read.
    """

    customer_col: str = CUSTOMER_ID
    time_col: str = ORDER_TIME
    amount_col: str = AMOUNT
    order_id_col: str | None = None
    category_col: str | None = None
    rules: OrderRules = field(default_factory=OrderRules)
    parsing: TimeParsing = DEFAULT_TIME_PARSING
    clean_text: bool = False
    quantity_col: str | None = None
    unit_price_col: str | None = None
    layout: FileLayout = DEFAULT_FILE_LAYOUT

    @property
    def line_amount(self) -> tuple[str, str] | None:
        """(quantity column, unit price column) when the amount is their product."""
        if self.quantity_col and self.unit_price_col:
            return self.quantity_col, self.unit_price_col
        return None

    def file_columns(self) -> list[str]:
        """The file's columns the canonical table is made of (the amount's two factors where
        the amount is their product)."""
        names = [name for name in self.renames() if name != self.amount_col or not self.line_amount]
        return [*names, *(self.line_amount or ())]

    def parameter_of_column(self) -> dict[str, str]:
        """``{file column: the parameter that names it}`` (``customer_col``, ...), for errors."""
        rules = self.rules
        pairs = {
            self.customer_col: "customer_col",
            self.time_col: "time_col",
            self.amount_col: "amount_col",
            rules.status_col: "status_col",
            rules.refund_col: "refund_col",
            self.category_col: "category_col",
        }
        return {column: parameter for column, parameter in pairs.items() if column}

    def renames(self) -> dict[str, str]:
        """``{file column: canonical column}`` of the mapped columns."""
        pairs = {
            self.customer_col: CUSTOMER_ID,
            self.time_col: ORDER_TIME,
            self.amount_col: AMOUNT,
        }
        if self.order_id_col:
            pairs[self.order_id_col] = ORDER_ID
        if self.category_col:
            pairs[self.category_col] = CATEGORY
        return pairs


@dataclass(frozen=True, slots=True)
class OrderCounting:
    """What the rules did to a file: rows read, dropped per reason, refunds netted."""

    rows_read: int
    orders_counted: int
    dropped_by_status: Mapping[str, int] = field(default_factory=dict)
    unpaid_rows: int = 0
    line_item_rows: int = 0
    rows_without_customer: int = 0
    fully_refunded: int = 0
    partly_refunded: int = 0
    refunded_amount: float = 0.0
    refund_rows: int = 0
    refund_rows_linked: int = 0  # refund rows netted into the order whose id they repeat

    def to_json(self) -> dict:
        """The counts by rule (``rows_without_customer`` only where such rows were skipped)."""
        payload = {
            "rows_read": self.rows_read,
            "orders_counted": self.orders_counted,
            "dropped_by_status": dict(self.dropped_by_status),
            "unpaid_rows": self.unpaid_rows,
            "line_item_rows_collapsed": self.line_item_rows,
            "fully_refunded_orders": self.fully_refunded,
            "partly_refunded_orders": self.partly_refunded,
            "refunded_amount": round(self.refunded_amount, 6),
            "refund_rows": self.refund_rows,
        }
        if self.rows_without_customer:
            payload["rows_without_customer"] = self.rows_without_customer
        if self.refund_rows_linked:
            payload["refund_rows_netted_into_their_order"] = self.refund_rows_linked
        return payload

    @property
    def changed_anything(self) -> bool:
        """Whether a rule dropped, merged or netted anything (then reports say what)."""
        return bool(
            self.line_item_rows
            or self.rows_without_customer
            or self.dropped_by_status
            or self.unpaid_rows
            or self.fully_refunded
            or self.partly_refunded
            or self.refund_rows
        )


@dataclass(frozen=True, slots=True)
class CountedOrders:
    """The counted orders (canonical Arrow table) and how they were counted."""

    table: pa.Table
    counting: OrderCounting

    def frame(self) -> pd.DataFrame:
        """The orders as the canonical pandas frame of :func:`contracts.validate_orders`."""
        out = self.table.to_pandas()
        out[ORDER_TIME] = out[ORDER_TIME].astype("datetime64[ns]")
        return out


@dataclass(frozen=True, slots=True)
class ColumnsToRead:
    """Which columns of an orders file :func:`count_orders` needs, and how each is read."""

    columns: list[str] | None  # None: all, so that a missing one is reported with what it has
    text: list[str]  # read as text (ids, labels; money and times written as text with clean_text)
    dictionary: list[str]  # the status, dictionary-encoded


def columns_to_read(names: Sequence[object], source: OrderSource) -> ColumnsToRead:
    """The columns of a file with header ``names`` that the rules of ``source`` read."""
    cleaned = {name: clean_name(name) for name in names}
    text_columns = [name for name in names if cleaned[name] in _text_column_names(source)]
    status = [name for name in names if cleaned[name] == source.rules.status_col]
    needed = _needed_columns(source)
    read = None
    if needed <= set(cleaned.values()):
        read = [name for name in names if cleaned[name] in needed | {ORDER_ID, CATEGORY}]
    return ColumnsToRead(read, [name for name in text_columns if name not in status], status)


def _needed_columns(source: OrderSource) -> set[str]:
    rules = source.rules
    wanted = {*source.file_columns(), rules.status_col, rules.refund_col, rules.line_item_col}
    return {name for name in wanted if name}


def _text_column_names(source: OrderSource) -> set[str]:
    rules = source.rules
    names = {source.customer_col, source.order_id_col, rules.status_col, rules.line_item_col}
    names |= {source.category_col or CATEGORY}  # category codes are labels, never numbers
    if source.clean_text:  # money as text is cleaned as text, never half-inferred
        names |= {source.amount_col, rules.refund_col, source.time_col, *(source.line_amount or ())}
    return {name for name in names if name}


def clean_name(name: object) -> str:
    return str(name).strip().strip("\ufeff").strip()


def count_orders(
    raw: pa.Table, path: object, source: OrderSource, *, core_only: bool = False
) -> CountedOrders:
    """Apply ``source``'s columns and rules to an orders table read from ``path``.

    ``core_only``: leave out the checked order ids (see
    :func:`uplift_lab.workflows.orders.load_orders`).
    """
    rules = source.rules
    table = _select(_strip_header(raw), source, path)
    del raw  # the columns no rule needs are freed now
    rows_read = table.num_rows
    table, without_customer, line_items = _one_row_per_order(table, source, path)
    ruled = apply_rules(table, source, path)
    table, keep, dropped, unpaid, netted = (
        ruled.table,
        ruled.keep,
        ruled.dropped,
        ruled.unpaid,
        ruled.netted,
    )
    del ruled

    renames = source.renames()
    for canonical in (ORDER_ID, CATEGORY):  # present under their canonical names
        if canonical in table.column_names and canonical not in renames.values():
            renames[canonical] = canonical  # order_id is still checked for duplicates
    if core_only and keep is not None:
        id_col = next((name for name, canonical in renames.items() if canonical == ORDER_ID), None)
        if id_col is not None and ids_certainly_unique(table.column(id_col)):
            del renames[id_col]  # every row's id is there and unique, so the counted rows' are
    text_refund = rules.refund_col if rules.refund_col and netted is None else None
    # only the columns still needed are filtered (the status and numeric refunds are done)
    table = table.select(list(dict.fromkeys([*renames, *([text_refund] if text_refund else [])])))
    if keep is not None and not pc.all(keep).as_py():
        table = table.filter(keep)
    refund = None
    if text_refund:  # text money: netted after validation
        refund = refund_amounts(table, text_refund, path)
    canonical = table.select(list(renames)).rename_columns(list(renames.values()))
    # (not with a text refund column: its amounts are aligned to these rows, netted below)
    link_refunds = rules.refund_rows and ORDER_ID in canonical.column_names and refund is None
    try:
        canonical = contracts.validate_orders_arrow(
            canonical,
            path,
            allow_refunds=rules.refund_rows,
            parsing=source.parsing,
            keep_order_id=link_refunds or not core_only,
        )
        linked_rows, by_order = 0, None
        if link_refunds:  # refund rows under their order's id net into that order
            canonical, order_refunds, linked_rows = refunds_by_order(canonical)
            if linked_rows:
                by_order = net_refunds(canonical, order_refunds, AMOUNT, "refund rows", path)
                canonical = by_order[0]
            if core_only:
                canonical = canonical.drop_columns([ORDER_ID])
    except InputError as exc:
        raise _in_file_terms(exc, renames) from None

    counting = OrderCounting(rows_read=rows_read, orders_counted=0, dropped_by_status=dropped)
    counting = replace(
        counting,
        unpaid_rows=unpaid,
        line_item_rows=line_items,
        rows_without_customer=without_customer,
    )
    if refund is not None:
        canonical, fully, partly, refunded = net_refunds(
            canonical, refund, source.amount_col, rules.refund_col, path
        )
        counting = replace(
            counting, fully_refunded=fully, partly_refunded=partly, refunded_amount=refunded
        )
    if netted is not None:
        counting = replace(
            counting,
            fully_refunded=netted.fully_refunded,
            partly_refunded=netted.partly_refunded,
            refunded_amount=netted.refunded_amount,
        )
    if by_order is not None:
        _, fully, partly, refunded = by_order
        counting = replace(
            counting,
            fully_refunded=counting.fully_refunded + fully,
            partly_refunded=counting.partly_refunded + partly,
            refunded_amount=counting.refunded_amount + refunded,
            refund_rows_linked=linked_rows,
        )
    if rules.refund_rows:
        n_refund_rows = int(pc.sum(pc.less(canonical.column(AMOUNT), 0.0)).as_py() or 0)
        counting = replace(counting, refund_rows=n_refund_rows)
    orders_counted = canonical.num_rows - counting.refund_rows
    if not rules.line_item_col:
        warn_if_product_lines(canonical, path)
    return CountedOrders(canonical, replace(counting, orders_counted=orders_counted))


def _one_row_per_order(
    table: pa.Table, source: OrderSource, path: object
) -> tuple[pa.Table, int, int]:
    """The selected rows as orders: text cleaned (presets), rows without a customer left out
    (or refused), line amounts multiplied and line items merged; with the rows left out and
    the rows merged."""
    rules = source.rules
    if source.clean_text:
        table = _trimmed_text(table)
        for money in (source.amount_col, rules.refund_col, *(source.line_amount or ())):
            if money and money in table.column_names:
                table = _set(table, money, _money_text(table.column(money)))
    empty = empty_customers(table, source.customer_col)
    without_customer = int(pc.sum(empty).as_py() or 0)
    if without_customer and not rules.skip_missing_customer:
        raise missing_customer_error(source.customer_col, empty, path)
    if without_customer:
        table = table.filter(pc.invert(empty))
    if source.line_amount:
        table = with_line_amounts(table, *source.line_amount, source.amount_col, path)
    line_items = 0
    if rules.line_item_col and rules.sum_line_items:
        money = [name for name in (source.amount_col, rules.refund_col) if name]
        table, line_items = summed_per_order(table, rules.line_item_col, money, path)
    elif rules.line_item_col:
        table, line_items = first_row_per_order(table, rules.line_item_col)
    return table, without_customer, line_items


@dataclass(frozen=True, slots=True)
class _Ruled:
    table: pa.Table  # the amount column net of numeric refunds
    keep: pa.ChunkedArray | None  # rows the status, unpaid and refund rules count (None: all)
    dropped: dict[str, int]
    unpaid: int
    netted: Netted | None  # None: no refund column, or refunds written as text


def apply_rules(table: pa.Table, source: OrderSource, path: object) -> _Ruled:
    """The status, unpaid and (numeric) refund rules: which rows count and their net amounts.

    One mask for all of them, so that the rows are copied once, by whoever needs them copied.
    """
    rules = source.rules
    keep = None
    dropped: dict[str, int] = {}
    if rules.status_col:
        keep, dropped = _status_mask(table.column(rules.status_col), rules)
    unpaid = 0
    if rules.unpaid_when_time_empty:
        times = table.column(source.time_col)
        empty = pc.is_null(times)
        if pa.types.is_string(times.type) or pa.types.is_large_string(times.type):
            empty = pc.or_kleene(empty, pc.equal(times, ""))
        paid = pc.invert(pc.fill_null(empty, True))
        unpaid_rows = pc.invert(paid) if keep is None else pc.and_not(keep, paid)
        unpaid = int(pc.sum(unpaid_rows).as_py() or 0)  # no rows: a sum of nothing is null
        keep = paid if keep is None else pc.and_(keep, paid)
    netted = None
    if rules.refund_col:
        netted = net_numeric_refunds(table, source.amount_col, rules.refund_col, keep, path)
        if netted is not None:
            table, keep = _set(table, source.amount_col, netted.amounts), netted.keep
    return _Ruled(table, keep, dropped, unpaid, netted)


def _strip_header(table: pa.Table) -> pa.Table:
    """Header names without surrounding spaces (exports pad them); clashes keep the raw name."""
    cleaned = [clean_name(name) for name in table.column_names]
    if len(set(cleaned)) != len(cleaned):
        return table
    return table.rename_columns(cleaned)


def _select(table: pa.Table, source: OrderSource, path: object) -> pa.Table:
    """Only the columns the rules and the canonical table need; a missing one is an error."""
    rules = source.rules
    wanted = [*source.file_columns(), rules.status_col, rules.refund_col, rules.line_item_col]
    names = table.column_names
    parameters = source.parameter_of_column()
    for name in wanted:
        if name and name not in names:
            shown = ", ".join(names[:20]) + (" ..." if len(names) > 20 else "")
            fix = f"The file has: {literal(shown)}"
            if name in parameters:
                mapped = f"{{{parameters[name]}=NAME}}"
                fix += f". Map it with {mapped}, a {{preset}} or {{columns=map.toml}}"
            raise usage_error(path, f"missing column '{literal(name)}'", fix)
    keep = list(dict.fromkeys(name for name in wanted if name))
    for canonical, mapped in ((ORDER_ID, source.order_id_col), (CATEGORY, source.category_col)):
        if canonical in names and mapped is None and canonical not in keep:
            keep.append(canonical)  # a column already under its canonical name rides along
    return table.select(keep)


def _set(table: pa.Table, name: str, values) -> pa.Table:
    return table.set_column(table.column_names.index(name), name, values)


def _trimmed_text(table: pa.Table) -> pa.Table:
    """Text values without surrounding spaces or tabs; empty text becomes missing."""
    for name in table.column_names:
        values = table.column(name)
        if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
            trimmed = pc.utf8_trim(values, characters=" \t\r\n\u3000")
            trimmed = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, trimmed.type), trimmed)
            table = _set(table, name, trimmed)
    return table


def _money_text(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Money written as text as numbers where every value reads as one (else left as text,
    so that validation names a bad value)."""
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return values
    plain = pc.replace_substring_regex(values, _MONEY_NOISE, "")
    try:
        return pc.cast(plain, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return values


def _status_mask(
    status: pa.ChunkedArray, rules: OrderRules
) -> tuple[pa.ChunkedArray, dict[str, int]]:
    """Which rows' status counts, and the rows dropped per status.

    Worked out on the dictionary of distinct statuses (a handful), so ten million rows cost
    one hash pass and one lookup per chunk (no copy of the column); statuses are compared
    without surrounding spaces and with full-width punctuation as ASCII (:func:`status_key`).
    """
    if not pa.types.is_dictionary(status.type):
        if not (pa.types.is_string(status.type) or pa.types.is_large_string(status.type)):
            status = status.cast(pa.string())
        status = pc.dictionary_encode(status)
    chunks = status.unify_dictionaries().chunks
    if not chunks:
        chunks = [
            pa.DictionaryArray.from_arrays(pa.array([], pa.int32()), pa.array([], pa.string()))
        ]
    dictionary = chunks[0].dictionary
    if not pa.types.is_string(dictionary.type):
        dictionary = dictionary.cast(pa.string())
    labels = pc.utf8_trim(dictionary, characters=" \t\r\n\u3000").to_pylist()
    listed = {status_key(label) for label in rules.paid_statuses or rules.excluded_statuses}
    member = np.array([status_key(label) in listed for label in labels], dtype=bool)
    if rules.statuses_given:
        name_unmatched_statuses(rules, labels)
    # the last entry stands for an empty status: not a paid one, and not an excluded one
    counted_label = np.append(member if rules.paid_statuses else ~member, not rules.paid_statuses)
    lookup = pa.array(counted_label)
    per_label = np.zeros(len(counted_label), dtype=np.int64)
    keep = []
    for chunk in chunks:
        codes = chunk.indices
        if codes.null_count:
            codes = pc.fill_null(codes, len(labels))
        keep.append(pc.take(lookup, codes))
        per_label += np.bincount(codes.to_numpy(zero_copy_only=False), minlength=len(counted_label))
    names = [*labels, EMPTY_STATUS]
    dropped = {}
    for index in np.argsort(-per_label, kind="stable"):
        if per_label[index] and not counted_label[index]:
            dropped[names[index]] = dropped.get(names[index], 0) + int(per_label[index])
    return pa.chunked_array(keep, type=pa.bool_()), dropped


def _in_file_terms(exc: InputError, renames: Mapping[str, str]) -> InputError:
    """The validation message with the file's column names instead of the canonical ones (a
    UsageError's template, so that it still names parameters in the caller's words)."""
    usage = isinstance(exc, UsageError)
    message = exc.template if usage else str(exc)
    for user_name, canonical in renames.items():
        if user_name != canonical:
            if usage:
                canonical, user_name = literal(canonical), literal(user_name)
            message = message.replace(f"column '{canonical}'", f"column '{user_name}'")
    return UsageError(message) if usage else InputError(message)
