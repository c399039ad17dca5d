"""Generic rich-table helpers: a DataFrame as a terminal table with pre-formatted numbers.

Numbers are formatted here (never by rich) and right-justified, so columns line up and the
same value always prints the same way.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from io import StringIO
from numbers import Integral, Real
from typing import Any

import pandas as pd
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

Formatter = str | Callable[[Any], str]
MISSING = "-"


def format_count(value: Any) -> str:
    """An integer with thousands separators: 12,345."""
    return MISSING if _is_missing(value) else f"{int(value):,}"


def format_share(value: Any) -> str:
    """A share as a percentage with one decimal: 0.1234 -> 12.3%."""
    return MISSING if _is_missing(value) else f"{100 * float(value):.1f}%"


def format_number(value: Any, decimals: int = 1) -> str:
    """A float with thousands separators and fixed decimals."""
    return MISSING if _is_missing(value) else f"{float(value):,.{decimals}f}"


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _formatter(spec: Formatter | None, value: Any) -> str:
    if callable(spec):
        return spec(value)
    if _is_missing(value):
        return MISSING
    if isinstance(spec, str):
        return format(value, spec)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Integral):
        return format_count(value)
    if isinstance(value, Real):
        return format_number(value, 2)
    return str(value)


def dataframe_table(
    frame: pd.DataFrame,
    *,
    title: str | None = None,
    formats: Mapping[str, Formatter] | None = None,
    headers: Mapping[str, str] | None = None,
    caption: str | None = None,
    **table_options: Any,
) -> Table:
    """Render ``frame`` as a rich Table.

    ``formats`` maps a column to a format spec (``",.2f"``) or a function returning text;
    numeric columns are right-justified, text columns left-justified. ``headers`` renames
    columns for display. Missing values show as ``-``. Other keyword arguments go to
    :class:`rich.table.Table` (e.g. ``box``).
    """
    formats = dict(formats or {})
    headers = dict(headers or {})
    table = Table(title=title, caption=caption, title_justify="left", **table_options)
    numeric = {
        column: pd.api.types.is_numeric_dtype(frame[column])
        and not pd.api.types.is_bool_dtype(frame[column])
        for column in frame.columns
    }
    for column in frame.columns:
        justify = "right" if numeric[column] else "left"
        table.add_column(headers.get(column, str(column)), justify=justify, no_wrap=True)
    for row in frame.itertuples(index=False, name=None):
        table.add_row(
            *(
                _formatter(formats.get(column), value)
                for column, value in zip(frame.columns, row, strict=True)
            )
        )
    return table


def drawn_width(renderable: Any, width: int) -> int:
    """How many columns ``renderable`` takes when drawn at ``width`` uncropped: drawn, not
    measured, since rich's measure can be a few columns short of the drawing."""
    probe = Console(width=width, file=StringIO(), color_system=None)
    with probe.capture() as captured:
        probe.print(renderable, crop=False)
    return max((cell_len(line.rstrip()) for line in captured.get().splitlines()), default=0)


def keep_numbers_whole(table: Table) -> Table:
    """Let a narrow terminal wrap headers and text, never cut a number.

    Every right-justified (number) column gets a minimum width of its widest cell (or its
    longest header word) and may wrap its header between words; text columns fold. Rich then
    narrows the text and headers first, so ``3.0…`` or ``select…`` cannot happen.
    """
    for column in table.columns:
        if column.justify != "right":
            column.overflow = "fold"
            continue
        cells = [str(cell) for cell in column.cells]
        widest = max((len(line) for cell in cells for line in cell.split("\n")), default=1)
        header_words = str(column.header).split() or [""]
        column.no_wrap = False
        column.min_width = max(widest, max(len(word) for word in header_words))
    return table


def percent_text(share: float) -> str:
    """A share as a percentage with two decimals ("4.53%"); "-" when undefined."""
    return MISSING if not math.isfinite(share) else f"{100 * share:.2f}%"


def points_text(difference: float) -> str:
    """A difference of shares in signed percentage points ("+1.71"); "-" when undefined."""
    return MISSING if not math.isfinite(difference) else f"{100 * difference:+.2f}"
