"""What a column map says about a file's layout beyond its column names: the names of a file
that has no header line (``names``), the sheet of a workbook to read (``sheet``), the decimal
mark of a text file's numbers (``decimal``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from uplift_lab.errors import input_error

LAYOUT_KEYS = ("names", "sheet", "decimal")
ALL_SHEETS = "*"


@dataclass(frozen=True, slots=True)
class FileLayout:
    """``names``: the file has no header line, these name its columns in order (empty: the file's
    first line names them). ``sheet``: the workbook sheet read (``None``: the first, with a
    notice naming the others; :data:`ALL_SHEETS`: every sheet, stacked, all with one header);
    files that are not workbooks ignore it. ``decimal``: ``"."`` or ``","`` (``None``: read off
    the file's first lines; a semicolon file's ``1.042`` reads as 1042)."""

    names: tuple[str, ...] = ()
    sheet: str | None = None
    decimal: str | None = None


DEFAULT_FILE_LAYOUT = FileLayout()


def file_layout_from_section(section: Mapping, kind: str, path: object) -> FileLayout:
    """The ``names`` and ``sheet`` keys of a column map's ``[kind]`` section, checked."""
    names = section.get("names", [])
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        raise input_error(
            path,
            f"[{kind}] names must be a list of column names, in the file's order",
            'e.g. names = ["customer_id", "order_time", "quantity", "amount"]',
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise input_error(
            path, f"[{kind}] names has '{repeated[0]}' twice", "Name each column once"
        )
    sheet = section.get("sheet")
    if sheet is not None and (not isinstance(sheet, str) or not sheet.strip()):
        raise input_error(
            path,
            f"[{kind}] sheet must be a sheet's name, got {sheet!r}",
            f'e.g. sheet = "Year 2010-2011", or sheet = "{ALL_SHEETS}" for every sheet',
        )
    decimal = section.get("decimal")
    if decimal is not None and decimal not in (".", ","):
        raise input_error(
            path,
            f'[{kind}] decimal must be "." or ",", got {decimal!r}',
            'e.g. decimal = "." when 1.042 means one point zero four two',
        )
    return FileLayout(names=tuple(names), sheet=sheet, decimal=decimal)
