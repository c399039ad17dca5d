"""Column names and validation of the tables uplift-lab reads.

Validation happens once, at the edge, and returns a canonical frame (canonical column names,
customer ids as strings, parsed times, numeric amounts), so the pure steps never re-check input.
Every failure is an :class:`InputError` naming the file, the column and the fix.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from uplift_lab.errors import DataWarning, input_error, literal, usage_error
from uplift_lab.id_checks import may_have_duplicates, refuse_mangled_ids
from uplift_lab.money_text import money_from_text
from uplift_lab.notices import Notice
from uplift_lab.timeparse import DEFAULT_TIME_PARSING, TimeParsing, parse_times

CUSTOMER_ID = "customer_id"
ORDER_ID = "order_id"
ORDER_TIME = "order_time"
AMOUNT = "amount"
EVENT_TIME = "event_time"
EVENT_TYPE = "event_type"
SIGNUP_TIME = "signup_time"
SIGNUP_ALIASES = ("signup_time", "signup_date", "register_time", "注册时间")
LIFECYCLE = "lifecycle"
STRATUM = "stratum"
ARM = "arm"
CONTROL_ARM = "control"
SEND_ARM = "send"

NEGATIVE_AMOUNT_FIX = (
    "Amounts must be >= 0; if those rows are refunds, pass {refund_rows} to net them into the "
    "customer's totals (or use {refund_col} with a refund column)"
)
"""The fix of negative amounts (a :class:`~uplift_lab.errors.UsageError` template)."""

LIFECYCLE_STAGES = ("potential", "new", "active", "semi_active", "silent", "churned")
EVENT_TYPES = ("visit", "search", "favorite", "cart", "consult")


def rename_to_canonical(
    frame: pd.DataFrame, mapping: Mapping[str, str], source: object
) -> pd.DataFrame:
    """Rename user column names to canonical ones (``{canonical: user_name}``).

    A user name that is not in the file is an error that lists what the file has.
    """
    renames = {}
    for canonical, user_name in mapping.items():
        if user_name == canonical:
            continue
        if user_name not in frame.columns:
            raise _missing_column(frame, user_name, source, option_hint=canonical)
        if canonical in frame.columns:
            frame = frame.drop(columns=canonical)
        renames[user_name] = canonical
    return frame.rename(columns=renames)


def _missing_column(
    frame: pd.DataFrame, column: str, source: object, option_hint: str | None = None
) -> Exception:
    available = ", ".join(map(str, frame.columns[:20]))
    more = " ..." if len(frame.columns) > 20 else ""
    fix = f"The file has: {literal(available)}{more}"
    if option_hint:
        parameter = {
            CUSTOMER_ID: "customer_col",
            ORDER_TIME: "time_col",
            AMOUNT: "amount_col",
        }.get(option_hint)
        if parameter:
            fix += f". Map it with {{{parameter}=NAME}}"
    return usage_error(source, f"missing column '{literal(column)}'", fix)


def require_columns(frame: pd.DataFrame, columns: Iterable[str], source: object) -> None:
    """Raise InputError for the first of ``columns`` that ``frame`` lacks."""
    for column in columns:
        if column not in frame.columns:
            raise _missing_column(frame, column, source, option_hint=column)


def ids_as_text(frame: pd.DataFrame, column: str, source: object, *, unique: bool) -> pd.Series:
    """Return ``frame[column]`` as strings; NaN ids (and duplicates if ``unique``) are errors."""
    ids = frame[column]
    missing = ids.isna()
    if missing.any():
        row = int(np.flatnonzero(missing.to_numpy())[0])
        raise input_error(
            source,
            f"column '{column}' has {int(missing.sum())} empty id(s) (first at data row {row + 1})",
            "Remove or fill those rows",
        )
    refuse_mangled_ids(ids, column, source)
    if pd.api.types.is_float_dtype(ids):
        if not np.all(np.mod(ids.to_numpy(), 1) == 0):
            raise input_error(source, f"column '{column}' has non-integer numeric ids", None)
        ids = ids.astype("int64")
    text = ids.astype(str)
    if unique:
        duplicated = text.duplicated()
        if duplicated.any():
            example = text[duplicated].iloc[0]
            raise input_error(
                source,
                f"column '{column}' has {int(duplicated.sum())} duplicate id(s), e.g. '{example}'",
                "Each id must appear once; deduplicate the file",
            )
    return text


def numeric_column(
    frame: pd.DataFrame,
    column: str,
    source: object,
    *,
    allow_negative: bool = True,
    allow_missing: bool = False,
) -> pd.Series:
    """Return ``frame[column]`` as float64, rejecting text, NaN and (optionally) negatives."""
    values = frame[column]
    if values.dtype == bool:
        values = values.astype("int64")
    if not pd.api.types.is_numeric_dtype(values):
        converted = pd.to_numeric(values, errors="coerce")
        bad = converted.isna() & values.notna()
        if bad.any():
            example = values[bad].iloc[0]
            raise input_error(
                source,
                f"column '{column}' must be numeric but has text such as '{example}'",
                "Fix those values (no currency signs or thousands separators)",
            )
        values = converted
    values = values.astype("float64")
    if not allow_missing and values.isna().any():
        raise input_error(
            source,
            f"column '{column}' has {int(values.isna().sum())} missing value(s)",
            "Fill them (e.g. 0) or remove the rows",
        )
    if not np.isfinite(values.dropna().to_numpy()).all():
        raise input_error(source, f"column '{column}' has infinite values", "Remove them")
    if not allow_negative and (values < 0).any():
        example = values[values < 0].iloc[0]
        raise usage_error(
            source,
            f"column '{literal(column)}' has {int((values < 0).sum())} negative value(s), "
            f"e.g. {example:g}",
            NEGATIVE_AMOUNT_FIX,
        )
    return values


TRUE_WORDS = ("1", "true", "yes", "y", "是")
FALSE_WORDS = ("0", "false", "no", "n", "否")


def yes_no_flags(frame: pd.DataFrame, column: str, source: object) -> np.ndarray:
    """``frame[column]`` as bool: 1/0, true/false, yes/no, y/n, 是/否 (any case, stray spaces).

    Anything else, empty values included, is refused with the distinct values seen.
    """
    values = frame[column]
    if values.dtype == bool:
        return values.to_numpy()
    words = values.map(_flag_word)
    known = words.isin(TRUE_WORDS + FALSE_WORDS)
    if not known.all():
        seen = sorted({repr(v) if v is not None else "empty" for v in values[~known].map(_raw)})
        shown = ", ".join(seen[:6]) + (" ..." if len(seen) > 6 else "")
        raise input_error(
            source,
            f"column '{column}' has {int((~known).sum())} value(s) that are not yes/no: {shown}",
            "Use 1/0, true/false, yes/no, y/n or 是/否",
        )
    return words.isin(TRUE_WORDS).to_numpy()


def _raw(value: object) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    return value


def _flag_word(value: object) -> str | None:
    value = _raw(value)
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return "1" if value else "0"
    if isinstance(value, int | float | np.integer | np.floating):
        return {1: "1", 0: "0"}.get(float(value), str(value))
    return str(value).strip().lower()


def datetime_column(
    frame: pd.DataFrame,
    column: str,
    source: object,
    parsing: TimeParsing = DEFAULT_TIME_PARSING,
    *,
    allow_missing: bool = False,
    label: str | None = None,
) -> pd.Series:
    """Return ``frame[column]`` as naive wall-clock datetime64[ns] (see
    :func:`uplift_lab.timeparse.parse_times`); unparseable (and, unless ``allow_missing``, empty)
    values are errors. ``label`` is the column's name in the user's file, for messages."""
    values = frame[column]
    try:
        array = pa.chunked_array([pa.array(values, from_pandas=True)])
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # e.g. dates mixed with numbers (Excel)
        array = pa.chunked_array([pa.array(values.map(_text_or_none), type=pa.string())])
    parsed = parse_times(array, source, label or column, parsing)
    if parsed.null_count and not allow_missing:
        raise input_error(
            source,
            f"column '{label or column}' has {parsed.null_count} empty date(s)",
            "Fill or remove those rows",
        )
    out = pd.Series(parsed.to_pandas(), index=frame.index, name=column)
    try:
        return out.astype("datetime64[ns]")
    except (OverflowError, pd.errors.OutOfBoundsDatetime):
        raise input_error(
            source,
            f"column '{label or column}' has dates outside 1678-2262, e.g. '{out.min()}'",
            "Fix those values",
        ) from None


def _text_or_none(value: object) -> str | None:
    """A cell of a mixed-type column as text (dates in ISO form), for one parse of the column."""
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def validate_orders(
    frame: pd.DataFrame,
    source: object,
    *,
    customer_col: str = CUSTOMER_ID,
    time_col: str = ORDER_TIME,
    amount_col: str = AMOUNT,
    allow_refunds: bool = False,
    parsing: TimeParsing = DEFAULT_TIME_PARSING,
) -> pd.DataFrame:
    """Canonical order log: ``customer_id`` (text), ``order_time`` (datetime), ``amount`` (float).

    Optional ``order_id`` must be unique when present. Negative amounts are refused unless
    ``allow_refunds`` (the analysis nets refunds per customer; segmentation does not).
    The rules are :func:`validate_orders_arrow`'s (one implementation for both table kinds).
    """
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise input_error(
            source, f"a column mixes types ({str(exc).splitlines()[0]})", "Export it again"
        ) from None
    out = validate_orders_arrow(
        table,
        source,
        customer_col=customer_col,
        time_col=time_col,
        amount_col=amount_col,
        allow_refunds=allow_refunds,
        parsing=parsing,
    ).to_pandas()
    out[ORDER_TIME] = out[ORDER_TIME].astype("datetime64[ns]")
    return out


def validate_customers(
    frame: pd.DataFrame,
    source: object,
    *,
    customer_col: str = CUSTOMER_ID,
    signup_col: str | None = None,
    parsing: TimeParsing = DEFAULT_TIME_PARSING,
    read_signup: bool = True,
) -> pd.DataFrame:
    """Canonical customer table: unique text ``customer_id`` plus any attributes.

    The signup column (``signup_col``, else the first of :data:`SIGNUP_ALIASES` present) becomes
    ``signup_time``, parsed like order times: an unreadable value is an error, an empty one
    means unknown (NaT). ``read_signup=False`` leaves it alone (commands that do not use it).
    """
    frame = rename_to_canonical(frame, {CUSTOMER_ID: customer_col}, source)
    require_columns(frame, (CUSTOMER_ID,), source)
    signup_label = signup_col or next((c for c in SIGNUP_ALIASES if c in frame.columns), None)
    if not read_signup:
        signup_label = None
    if signup_label is not None:
        if signup_label not in frame.columns:
            raise _missing_column(frame, signup_label, source)
        frame = rename_to_canonical(frame, {SIGNUP_TIME: signup_label}, source)
    out = frame.copy()
    out[CUSTOMER_ID] = ids_as_text(frame, CUSTOMER_ID, source, unique=True)
    if signup_label is not None:
        out[SIGNUP_TIME] = datetime_column(
            frame, SIGNUP_TIME, source, parsing, allow_missing=True, label=signup_label
        )
    if len(out) == 0:
        raise input_error(source, "has no rows", "Pass a file with at least one customer")
    return out


def validate_events(
    frame: pd.DataFrame,
    source: object,
    *,
    customer_col: str = CUSTOMER_ID,
    parsing: TimeParsing = DEFAULT_TIME_PARSING,
) -> pd.DataFrame:
    """Canonical activity events: ``customer_id``, ``event_time`` and ``event_type``."""
    frame = rename_to_canonical(frame, {CUSTOMER_ID: customer_col}, source)
    require_columns(frame, (CUSTOMER_ID, EVENT_TIME, EVENT_TYPE), source)
    out = frame.copy()
    out[CUSTOMER_ID] = ids_as_text(frame, CUSTOMER_ID, source, unique=False)
    unknown = sorted(set(out[EVENT_TYPE].dropna().astype(str)) - set(EVENT_TYPES))
    if unknown or out[EVENT_TYPE].isna().any():
        shown = ", ".join(unknown[:5]) if unknown else "empty values"
        raise usage_error(
            source,
            f"column '{EVENT_TYPE}' has unexpected labels: {literal(shown)}",
            f"Use one of {', '.join(EVENT_TYPES)}, or map them in {{columns}} [events.event_types]",
        )
    out[EVENT_TIME] = datetime_column(frame, EVENT_TIME, source, parsing)  # after: its notices
    return out


def check_labels(
    values: pd.Series, allowed: Sequence[str], source: object, column: str, fix: str | None = None
) -> None:
    """Raise InputError if ``values`` holds a label outside ``allowed`` (or an empty value);
    ``fix`` is a :class:`~uplift_lab.errors.UsageError` template (it may name parameters)."""
    if values.isna().any():
        problem = f"column '{literal(column)}' has empty values"
        raise usage_error(source, problem, fix or "Fill them")
    unknown = sorted(set(values.astype(str)) - set(map(str, allowed)))
    if unknown:
        raise usage_error(
            source,
            f"column '{literal(column)}' has unexpected labels: {literal(', '.join(unknown[:5]))}"
            f" (expected {literal(', '.join(map(str, allowed)))})",
            fix,
        )


def validate_orders_arrow(
    table: pa.Table,
    source: object,
    *,
    customer_col: str = CUSTOMER_ID,
    time_col: str = ORDER_TIME,
    amount_col: str = AMOUNT,
    allow_refunds: bool = False,
    parsing: TimeParsing = DEFAULT_TIME_PARSING,
    keep_order_id: bool = True,
) -> pa.Table:
    """Canonical order log as an Arrow table, by the rules and messages of :func:`validate_orders`.

    Checked with Arrow compute kernels, so tens of millions of orders validate in seconds without a
    pandas copy. Returns ``customer_id`` (string), ``order_time`` (naive ``timestamp[us]``) and
    ``amount`` (float64) plus the other columns unchanged. ``keep_order_id=False`` checks the
    ``order_id`` column (no empty or repeated id) and then leaves it out, for callers that do
    not use it (segmentation): ten million ids need not be turned into text.
    """
    names = table.column_names
    header = pd.DataFrame(columns=names)
    mapping = {CUSTOMER_ID: customer_col, ORDER_TIME: time_col, AMOUNT: amount_col}
    for canonical, user_name in mapping.items():
        if user_name == canonical:
            continue
        if user_name not in names:
            raise _missing_column(header, user_name, source, option_hint=canonical)
        if canonical in names:
            table = table.drop_columns([canonical])
        table = table.rename_columns(
            [canonical if name == user_name else name for name in table.column_names]
        )
        names = table.column_names
    require_columns(pd.DataFrame(columns=names), (CUSTOMER_ID, ORDER_TIME, AMOUNT), source)
    table = _set_arrow_column(table, CUSTOMER_ID, _arrow_ids(table, CUSTOMER_ID, source))
    table = _set_arrow_column(
        table, ORDER_TIME, _arrow_times(table, ORDER_TIME, source, parsing, label=time_col)
    )
    table = _set_arrow_column(
        table, AMOUNT, _arrow_amounts(table, AMOUNT, source, allow_negative=allow_refunds)
    )
    if ORDER_ID in names:
        order_ids = _arrow_ids(table, ORDER_ID, source, as_text=False)
        purchase_ids = order_ids
        if allow_refunds:  # a refund row may repeat its order's id (netted into that order)
            purchase_ids = order_ids.filter(pc.greater_equal(table.column(AMOUNT), 0.0))
        if may_have_duplicates(purchase_ids):
            counts = pc.value_counts(purchase_ids.cast(pa.string()))
            repeated = counts.filter(pc.greater(counts.field("counts"), 1))
            if len(repeated):
                n_extra = pc.sum(repeated.field("counts")).as_py() - len(repeated)
                raise input_error(
                    source,
                    f"column '{ORDER_ID}' has {n_extra} duplicate id(s), "
                    f"e.g. '{repeated.field('values')[0].as_py()}'",
                    "Each id must appear once; deduplicate the file",
                )
        if keep_order_id:
            table = _set_arrow_column(table, ORDER_ID, order_ids.cast(pa.string()))
        else:
            table = table.drop_columns([ORDER_ID])
    return table


def _set_arrow_column(table: pa.Table, name: str, values: pa.ChunkedArray) -> pa.Table:
    return table.set_column(table.column_names.index(name), name, values)


def _first_true_row(mask: pa.ChunkedArray) -> int:
    return int(pc.index(mask, True).as_py())


def _arrow_ids(
    table: pa.Table, column: str, source: object, *, as_text: bool = True
) -> pa.ChunkedArray:
    """Ids as non-empty strings; integral floats lose their '.0'. ``as_text=False`` leaves
    whole-number ids as int64 (checked, not converted)."""
    ids = table.column(column)
    kind = ids.type
    if pa.types.is_dictionary(kind):
        ids, kind = ids.cast(kind.value_type), kind.value_type
    empty = pc.is_null(ids)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        empty = pc.or_kleene(empty, pc.equal(ids, ""))
    n_empty = pc.sum(empty).as_py() or 0
    if n_empty:
        raise input_error(
            source,
            f"column '{column}' has {n_empty} empty id(s) "
            f"(first at data row {_first_true_row(pc.fill_null(empty, True)) + 1})",
            "Remove or fill those rows",
        )
    refuse_mangled_ids(ids, column, source)
    if pa.types.is_floating(kind):
        if not pc.all(pc.equal(pc.floor(ids), ids)).as_py():
            raise input_error(source, f"column '{column}' has non-integer numeric ids", None)
        ids = ids.cast(pa.int64())
    if not as_text and pa.types.is_signed_integer(ids.type):
        return ids.cast(pa.int64())
    try:
        return ids.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise input_error(
            source, f"column '{column}' has values of type {kind} that cannot be ids"
        ) from None


def _arrow_times(
    table: pa.Table,
    column: str,
    source: object,
    parsing: TimeParsing = DEFAULT_TIME_PARSING,
    label: str | None = None,
) -> pa.ChunkedArray:
    """Naive wall-clock timestamps (see :func:`~uplift_lab.timeparse.parse_times`)."""
    parsed = parse_times(table.column(column), source, label or column, parsing)
    if parsed.null_count:
        raise input_error(
            source,
            f"column '{label or column}' has {parsed.null_count} empty date(s)",
            "Fill or remove those rows",
        )
    return parsed


def _arrow_amounts(
    table: pa.Table, column: str, source: object, *, allow_negative: bool
) -> pa.ChunkedArray:
    """Amounts as float64 without missing, infinite or (unless allowed) negative values."""
    values = table.column(column)
    kind = values.type
    if not (
        pa.types.is_null(kind)
        or pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_decimal(kind)
        or pa.types.is_boolean(kind)
    ):
        money = money_from_text(values)
        if money is not None:  # "$1,234.50": read, and said
            example = literal(pc.drop_null(values)[0].as_py())
            params = {"source": str(source), "column": column, "example": example}
            warnings.warn(DataWarning(Notice("note", "money_text", params)), stacklevel=3)
            return _arrow_amounts(
                table.set_column(table.schema.get_field_index(column), column, money),
                column,
                source,
                allow_negative=allow_negative,
            )
        frame = pd.DataFrame({column: values.to_pandas()})
        checked = numeric_column(frame, column, source, allow_negative=allow_negative)
        return pa.chunked_array([pa.array(checked.to_numpy(), type=pa.float64())])
    if pa.types.is_boolean(kind):
        values = values.cast(pa.int64())
    amounts = values.cast(pa.float64())
    n_missing = amounts.null_count + (pc.sum(pc.is_nan(amounts)).as_py() or 0)
    if n_missing:
        raise input_error(
            source,
            f"column '{column}' has {n_missing} missing value(s)",
            "Fill them (e.g. 0) or remove the rows",
        )
    if not pc.all(pc.is_finite(amounts)).as_py() and len(amounts):
        raise input_error(source, f"column '{column}' has infinite values", "Remove them")
    if not allow_negative:
        negative = pc.less(amounts, 0.0)
        n_negative = pc.sum(negative).as_py() or 0
        if n_negative:
            example = amounts[_first_true_row(negative)].as_py()
            raise usage_error(
                source,
                f"column '{literal(column)}' has {n_negative} negative value(s), e.g. {example:g}",
                NEGATIVE_AMOUNT_FIX,
            )
    return amounts


def amounts_arrow(
    table: pa.Table, column: str, source: object, *, allow_negative: bool = False
) -> pa.ChunkedArray:
    """A money column as float64 by the order-amount rules (no missing, infinite or, unless
    allowed, negative values)."""
    return _arrow_amounts(table, column, source, allow_negative=allow_negative)
