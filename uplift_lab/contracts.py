"""Column names and validation of the tables uplift-lab reads.

Validation happens once, at the edge, and returns a canonical frame (canonical column names,
customer ids as strings, parsed times, numeric amounts), so the pure steps never re-check input.
Every failure is an :class:`InputError` naming the file, the column and the fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from uplift_lab.errors import input_error

CUSTOMER_ID = "customer_id"
ORDER_ID = "order_id"
ORDER_TIME = "order_time"
AMOUNT = "amount"
EVENT_TIME = "event_time"
EVENT_TYPE = "event_type"
LIFECYCLE = "lifecycle"
STRATUM = "stratum"
ARM = "arm"
CONTROL_ARM = "control"
SEND_ARM = "send"

LIFECYCLE_STAGES = ("potential", "new", "active", "semi_active", "silent", "churned")
EVENT_TYPES = ("visit", "search", "favorite", "cart")


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
    fix = f"The file has: {available}{more}"
    if option_hint:
        flag = {
            CUSTOMER_ID: "--customer-col",
            ORDER_TIME: "--time-col",
            AMOUNT: "--amount-col",
        }.get(option_hint)
        if flag:
            fix += f". Map it with {flag} NAME"
    return input_error(source, f"missing column '{column}'", fix)


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
        raise input_error(
            source,
            f"column '{column}' has {int((values < 0).sum())} negative value(s), e.g. {example:g}",
            "Amounts must be >= 0; remove refunds or net them out first",
        )
    return values


def datetime_column(frame: pd.DataFrame, column: str, source: object) -> pd.Series:
    """Return ``frame[column]`` as naive datetime64[ns]; unparseable or empty values are errors."""
    values = frame[column]
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values
    else:
        parsed = pd.to_datetime(values, errors="coerce", format="mixed")
        bad = parsed.isna() & values.notna()
        if bad.any():
            example = values[bad].iloc[0]
            raise input_error(
                source,
                f"column '{column}' has values that are not dates, e.g. '{example}'",
                "Use ISO dates such as 2026-06-18 or 2026-06-18 20:00:00",
            )
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(None)
    if parsed.isna().any():
        raise input_error(
            source,
            f"column '{column}' has {int(parsed.isna().sum())} empty date(s)",
            "Fill or remove those rows",
        )
    return parsed.astype("datetime64[ns]")


def validate_orders(
    frame: pd.DataFrame,
    source: object,
    *,
    customer_col: str = CUSTOMER_ID,
    time_col: str = ORDER_TIME,
    amount_col: str = AMOUNT,
    allow_refunds: bool = False,
) -> pd.DataFrame:
    """Canonical order log: ``customer_id`` (text), ``order_time`` (datetime), ``amount`` (float).

    Optional ``order_id`` must be unique when present. Negative amounts are refused unless
    ``allow_refunds`` (the analysis nets refunds per customer; segmentation does not).
    """
    frame = rename_to_canonical(
        frame, {CUSTOMER_ID: customer_col, ORDER_TIME: time_col, AMOUNT: amount_col}, source
    )
    require_columns(frame, (CUSTOMER_ID, ORDER_TIME, AMOUNT), source)
    out = frame.copy()
    out[CUSTOMER_ID] = ids_as_text(frame, CUSTOMER_ID, source, unique=False)
    out[ORDER_TIME] = datetime_column(frame, ORDER_TIME, source)
    out[AMOUNT] = numeric_column(frame, AMOUNT, source, allow_negative=allow_refunds)
    if ORDER_ID in frame.columns:
        out[ORDER_ID] = ids_as_text(frame, ORDER_ID, source, unique=True)
    return out


def validate_customers(
    frame: pd.DataFrame, source: object, *, customer_col: str = CUSTOMER_ID
) -> pd.DataFrame:
    """Canonical customer table: unique text ``customer_id`` plus any attributes."""
    frame = rename_to_canonical(frame, {CUSTOMER_ID: customer_col}, source)
    require_columns(frame, (CUSTOMER_ID,), source)
    out = frame.copy()
    out[CUSTOMER_ID] = ids_as_text(frame, CUSTOMER_ID, source, unique=True)
    if len(out) == 0:
        raise input_error(source, "has no rows", "Pass a file with at least one customer")
    return out


def validate_events(
    frame: pd.DataFrame, source: object, *, customer_col: str = CUSTOMER_ID
) -> pd.DataFrame:
    """Canonical activity events: ``customer_id``, ``event_time`` and ``event_type``."""
    frame = rename_to_canonical(frame, {CUSTOMER_ID: customer_col}, source)
    require_columns(frame, (CUSTOMER_ID, EVENT_TIME, EVENT_TYPE), source)
    out = frame.copy()
    out[CUSTOMER_ID] = ids_as_text(frame, CUSTOMER_ID, source, unique=False)
    out[EVENT_TIME] = datetime_column(frame, EVENT_TIME, source)
    unknown = sorted(set(out[EVENT_TYPE].dropna().astype(str)) - set(EVENT_TYPES))
    if unknown or out[EVENT_TYPE].isna().any():
        shown = ", ".join(unknown[:5]) if unknown else "empty values"
        raise input_error(
            source,
            f"column '{EVENT_TYPE}' has unexpected labels: {shown}",
            f"Use one of {', '.join(EVENT_TYPES)}",
        )
    return out


def check_labels(
    values: pd.Series, allowed: Sequence[str], source: object, column: str, fix: str | None = None
) -> None:
    """Raise InputError if ``values`` holds a label outside ``allowed`` (or an empty value)."""
    if values.isna().any():
        raise input_error(source, f"column '{column}' has empty values", fix or "Fill them")
    unknown = sorted(set(values.astype(str)) - set(map(str, allowed)))
    if unknown:
        raise input_error(
            source,
            f"column '{column}' has unexpected labels: {', '.join(unknown[:5])}"
            f" (expected {', '.join(map(str, allowed))})",
            fix,
        )
