"""Money written as text (``$1,234.50``, ``¥35.50``, ``35.50元``), read as numbers only where the
whole column is unambiguous.

Shop back-ends and spreadsheets export amounts with a currency sign or code and thousands
separators. A column is read when every value is one number with at most a currency sign or
code before or after it, and commas only as thousands separators in groups of three before a
decimal point (``1,234.50``; ``1,234`` is one thousand two hundred and thirty-four). Anything
else (a decimal comma ``35,50`` in a comma-separated file, two numbers, a word) is left to the
caller's refusal: a value is never half-read.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

CURRENCY = r"(?:US\$|HK\$|NT\$|R\$|[$¥￥€£₩₹]|RMB|CNY|USD|EUR|GBP|HKD|元)"
MONEY_TEXT = (
    rf"^\s*{CURRENCY}?\s*(?P<number>-?(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?)\s*{CURRENCY}?\s*$"
)
"""One amount: an optional currency before or after, thousands commas in groups of three."""


def money_from_text(values: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """Text amounts as float64 (nulls kept), or None unless every value is one amount of
    :data:`MONEY_TEXT`."""
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return None
    present = pc.drop_null(values)
    if not len(present) or not pc.all(pc.match_substring_regex(present, MONEY_TEXT)).as_py():
        return None
    numbers = pc.struct_field(pc.extract_regex(values, MONEY_TEXT), "number")
    return pc.cast(pc.replace_substring(numbers, ",", ""), pa.float64())


COMMA_DECIMAL_TEXT = (
    rf"^\s*{CURRENCY}?\s*(?P<number>-?(?:\d{{1,3}}(?:\.\d{{3}})+|\d+)(?:,\d+)?)\s*{CURRENCY}?\s*$"
)
"""One amount as comma-decimal locales write it: thousands dots, a decimal comma
(``1.234,50``, ``296,79 €``)."""


SURE_DECIMAL_COMMA = r"(^|[^\d.])\d+,(\d{1,2}|\d{4,})(\D|$)"
"""A comma that no thousands grouping writes (``12,5``, ``3,1415``)."""


def comma_decimal_columns(
    table: pa.Table, keep_text: Sequence[str] = (), *, decimal_comma_seen: bool = True
) -> tuple[pa.Table, list[tuple[str, str]]]:
    """The text columns of a semicolon file that hold only amounts of
    :data:`COMMA_DECIMAL_TEXT`, as float64, and (column, example) of each column read whose
    only marks were thousands dots (``1.042`` read as 1042: the caller notes it).

    Arrow's reader reads a decimal comma but not a thousands dot or a currency sign, so one
    ``1.042,10`` leaves the whole column text. A column is read only when every value is such an
    amount and at least one has the dot or sign (else Arrow would have read it, or it is not
    money); ``keep_text`` (ids) are never read as numbers. Where the file's first lines said
    its decimal mark is a point (``decimal_comma_seen`` False), a column is read only when one
    of its values has a decimal comma for sure (``12,5``: a later line than those looked at).
    """
    dots_only = []
    for index, field in enumerate(table.schema):
        if field.name in keep_text or not pa.types.is_string(field.type):
            continue
        values = table.column(index)
        present = pc.drop_null(values)
        if not len(present):
            continue
        if not pc.all(pc.match_substring_regex(present, COMMA_DECIMAL_TEXT)).as_py():
            continue
        if decimal_comma_seen:
            if not pc.any(pc.match_substring_regex(present, r"[.]|[^\d,\s-]")).as_py():
                continue  # Arrow read its decimal commas: no value it could not read
        elif not pc.any(pc.match_substring_regex(present, SURE_DECIMAL_COMMA)).as_py():
            continue
        has_comma = pc.any(pc.match_substring_regex(present, r",\d")).as_py()
        number = pc.struct_field(pc.extract_regex(values, COMMA_DECIMAL_TEXT), "number")
        plain = pc.replace_substring(pc.replace_substring(number, ".", ""), ",", ".")
        table = table.set_column(index, field.name, pc.cast(plain, pa.float64()))
        if not has_comma:
            dotted = pc.filter(present, pc.match_substring_regex(present, r"\d[.]\d"))
            if len(dotted):
                dots_only.append((field.name, dotted[0].as_py()))
    return table, dots_only
