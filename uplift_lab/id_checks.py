"""Checks of id columns: ids a spreadsheet has already damaged, refused before they merge
customers, and a cheap screen for repeated ids.

Excel shows a long number in scientific notation (``1.23457E+14``) and keeps 15 significant
digits of it; saved as CSV, or kept as numbers in a workbook, phone numbers, order numbers and
18-digit member ids become values that several customers share. Such ids cannot be repaired,
so they are refused with the fix (export the column as text), never silently merged.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from uplift_lab.errors import input_error

SCIENTIFIC = r"^\s*-?\d+(\.\d+)?[eE]\+?\d+\s*$"
LARGEST_EXACT_ID = 10**15  # Excel keeps 15 significant digits: a float id this large lost some
ID_AS_TEXT_FIX = (
    "Export the file again with the id column formatted as text (in Excel: Format Cells > Text "
    "before pasting or saving), or use another id column"
)


def refuse_mangled_ids(ids: pa.ChunkedArray | pa.Array | pd.Series, column: str, source: object):
    """Refuse ids written in scientific notation, or float ids of 16 or more digits."""
    values = ids if isinstance(ids, pa.Array | pa.ChunkedArray) else pa.array(ids, from_pandas=True)
    kind = values.type
    if pa.types.is_dictionary(kind):
        values, kind = values.cast(kind.value_type), kind.value_type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        mangled = pc.fill_null(pc.match_substring_regex(values, SCIENTIFIC), False)
        if pc.any(mangled).as_py():
            example = pc.filter(values, mangled)[0].as_py()
            raise input_error(
                source,
                f"column '{column}' has {pc.sum(mangled).as_py():,} id(s) in scientific notation "
                f"such as '{example.strip()}': a spreadsheet shortened them, so different "
                "customers may share one id",
                ID_AS_TEXT_FIX,
            )
    elif pa.types.is_floating(kind):
        large = pc.fill_null(pc.greater_equal(pc.abs(values), float(LARGEST_EXACT_ID)), False)
        if pc.any(large).as_py():
            example = int(pc.filter(values, large)[0].as_py())
            raise input_error(
                source,
                f"column '{column}' has id(s) of 16 or more digits stored as numbers, e.g. "
                f"{example}, whose last digits are lost",
                ID_AS_TEXT_FIX,
            )


def may_have_duplicates(ids: pa.ChunkedArray) -> bool:
    """A cheap screen for repeated ids; only a positive screen pays for the exact check.

    Whole-number ids (int64) are checked exactly: ids in ascending order (most exports) in one
    comparison pass, ids in a compact range with one bincount, others with a sort. Text ids:
    whether two share a 64-bit hash (DuckDB, parallel), sorted in numpy (exact distinct counts
    over tens of millions of strings take seconds).
    """
    if pa.types.is_integer(ids.type):
        if _ascending(ids):
            return False
        values = ids.to_numpy()
        low, high = int(values.min()), int(values.max())
        if high - low < 4 * len(values):
            return bool(np.bincount(values - low).max() > 1)
        keys = np.sort(values)
        return bool(np.any(keys[1:] == keys[:-1]))
    with duckdb.connect() as con:
        con.register("ids", pa.table({"id": ids}))
        hashes = con.sql("SELECT hash(id) AS h FROM ids").to_arrow_table().column("h")
    keys = np.sort(hashes.to_numpy())
    return bool(np.any(keys[1:] == keys[:-1]))


def _ascending(ids: pa.ChunkedArray) -> bool:
    """Whether whole-number ids without nulls strictly increase (checked chunk by chunk, so ten
    million ids are compared in place)."""
    previous = None
    for chunk in ids.chunks:
        if not len(chunk):
            continue
        values = chunk.to_numpy(zero_copy_only=False)
        if previous is not None and not values[0] > previous:
            return False
        if not bool(np.all(values[1:] > values[:-1])):
            return False
        previous = values[-1]
    return True


def ids_certainly_unique(ids: pa.ChunkedArray) -> bool:
    """True when no id is empty and none repeats, by a cheap screen (False means "not shown",
    not "repeated": the exact check of :func:`validate_orders_arrow` then decides)."""
    if pa.types.is_dictionary(ids.type):
        ids = ids.cast(ids.type.value_type)
    if ids.null_count:
        return False
    if pa.types.is_signed_integer(ids.type):
        return not may_have_duplicates(ids.cast(pa.int64()))
    if pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type):
        if pc.any(pc.equal(ids, "")).as_py():
            return False
        return not may_have_duplicates(ids)
    return False
