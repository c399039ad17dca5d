"""Excel: a sheet of .xlsx/.xls (the first, one named, or all stacked) read into Arrow, and
byte-stable .xlsx written."""

from __future__ import annotations

import contextlib
import datetime
import io as stdlib_io
import re
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from uplift_lab.errors import DataWarning, InputError, input_error
from uplift_lab.file_layout import ALL_SHEETS, DEFAULT_FILE_LAYOUT, FileLayout
from uplift_lab.id_checks import refuse_mangled_ids
from uplift_lab.io.files import _first_line
from uplift_lab.io.layout import (
    PEEK_LINES,
    check_header,
    header_row,
    title_text,
    warn_title_lines,
)
from uplift_lab.notices import Notice


@contextlib.contextmanager
def _workbook(path: Path, kind: str) -> Iterator[pd.ExcelFile]:
    """The workbook open for reading; a failure to read it (in the block too) is one line."""
    engine = "openpyxl" if kind == "xlsx" else "xlrd"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl: "workbook contains no default style"
            with pd.ExcelFile(path, engine=engine) as book:
                yield book
    except ImportError as exc:
        raise input_error(
            path, f"cannot read {kind} files ({_first_line(exc)})", "Save it as .xlsx or .csv"
        ) from None
    except InputError:
        raise
    except Exception as exc:  # zipfile.BadZipFile, xlrd.XLRDError, KeyError, ValueError ...
        raise input_error(
            path, f"not a readable Excel file ({_first_line(exc)})", "Save it again from Excel"
        ) from None


def excel_column_names(
    path: Path, kind: str, file_layout: FileLayout = DEFAULT_FILE_LAYOUT
) -> list[str]:
    """The column names of the (first) sheet :func:`_read_excel_arrow` reads, from its first
    :data:`PEEK_LINES` rows only (a whole sheet of a million rows takes minutes to read)."""
    with _workbook(path, kind) as book:
        sheet = sheets_to_read(path, [str(name) for name in book.sheet_names], file_layout.sheet)
        if not sheet:
            return []
        _, skipped = _sheet_top(book, path, sheet[0], file_layout)
        if file_layout.names:
            return list(file_layout.names)
        header = book.parse(sheet[0], header=skipped, nrows=0)  # named as the full read names
    return [str(name) for name in header.columns]


def _read_excel_arrow(
    path: Path,
    kind: str,
    string_columns: Sequence[str],
    *,
    warn: bool = True,
    file_layout: FileLayout = DEFAULT_FILE_LAYOUT,
) -> pa.Table:
    """A sheet of an Excel file (the first unless ``file_layout.sheet`` names one, or every
    sheet stacked); ``string_columns`` as text, other cells as typed. The lines above its header
    are skipped, and, unless ``warn`` is false, a notice names them and the sheets not read."""
    with _workbook(path, kind) as book:
        sheets = [str(name) for name in book.sheet_names]
        chosen = sheets_to_read(path, sheets, file_layout.sheet)
        read = [_read_sheet(book, path, name, string_columns, file_layout) for name in chosen]
    if warn:
        _, skipped, title = read[0]
        warn_title_lines(path, skipped, title)
        if file_layout.sheet is None and len(sheets) > 1:
            params = {"path": str(path), "sheet": sheets[0], "others": _quoted(sheets[1:])}
            warnings.warn(
                DataWarning(Notice("note", "other_sheets_not_read", params)), stacklevel=3
            )
    frame = _stacked(
        path, [(name, frame) for name, (frame, _, _) in zip(chosen, read, strict=True)]
    )
    for name in [name for name in string_columns if name in frame.columns]:
        _refuse_long_numbers(frame[name], name, path)
        frame[name] = frame[name].map(_cell_text)
    columns = {}
    for name in frame.columns:
        try:
            columns[name] = pa.array(frame[name], from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # a column mixing types, e.g. dates and text
            columns[name] = pa.array(frame[name].map(_cell_text), type=pa.string())
    return pa.table(columns) if columns else pa.table({})


def sheets_to_read(path: Path, sheets: Sequence[str], sheet: str | None) -> list[str]:
    """The names of the sheets read: the first, the one named, or all (:data:`ALL_SHEETS`)."""
    if sheet is None:
        return list(sheets[:1])
    if sheet == ALL_SHEETS:
        return list(sheets)
    if sheet not in sheets:
        raise input_error(
            path,
            f"has no sheet '{sheet}'",
            f'Its sheets are {_quoted(sheets)}: name one with sheet = "..." in the column map, '
            f'or sheet = "{ALL_SHEETS}" for all',
        )
    return [sheet]


def _read_sheet(
    book: pd.ExcelFile,
    path: Path,
    sheet: str,
    string_columns: Sequence[str],
    file_layout: FileLayout,
) -> tuple[pd.DataFrame, int, str]:
    """(the sheet below its header, the lines skipped above it, the first of them as text)."""
    top, skipped = _sheet_top(book, path, sheet, file_layout)
    names = file_layout.names
    frame = book.parse(
        sheet,
        header=None if names else skipped,
        skiprows=skipped if names else None,
        names=list(names) or None,
        dtype={name: "object" for name in string_columns},
    )
    frame.columns = [str(name) for name in frame.columns]
    return frame, skipped, title_text(top.iloc[0].tolist()) if skipped else ""


def _sheet_top(
    book: pd.ExcelFile, path: Path, sheet: str, file_layout: FileLayout
) -> tuple[pd.DataFrame, int]:
    """(the sheet's first :data:`PEEK_LINES` rows, empty cells None; the index of its header
    row), the header checked against ``file_layout.names`` (:func:`check_header`)."""
    top = book.parse(sheet, header=None, nrows=PEEK_LINES)
    top = top.astype(object).where(top.notna(), None)
    rows = top.values.tolist()
    skipped = header_row(rows)
    check_header(path, rows[skipped] if rows else [], file_layout.names, skipped + 1)
    return top, skipped


def _stacked(path: Path, frames: Sequence[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """The sheets' rows one below the other; refused unless every sheet has the first's
    columns (an empty sheet is left out)."""
    kept = [(name, frame) for name, frame in frames if len(frame.columns)]
    if len(kept) <= 1:
        return kept[0][1] if kept else frames[0][1]
    first_name, first = kept[0]
    for name, frame in kept[1:]:
        if list(frame.columns) != list(first.columns):
            extra = [c for c in frame.columns if c not in first.columns] or list(frame.columns)
            missing = [c for c in first.columns if c not in frame.columns] or list(first.columns)
            raise input_error(
                path,
                f"sheet '{name}' has column '{extra[0]}' where sheet '{first_name}' has "
                f"'{missing[0]}', so the sheets cannot be stacked (sheet = \"{ALL_SHEETS}\")",
                f'Name one sheet, e.g. sheet = "{first_name}", or give the sheets one header',
            )
    return pd.concat([frame for _, frame in kept], ignore_index=True)


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def _refuse_long_numbers(cells: pd.Series, column: str, path: Path) -> None:
    """A text column (ids) with cells stored as numbers: refused where one has 16 or more
    digits (:func:`uplift_lab.id_checks.refuse_mangled_ids`; Excel keeps 15)."""
    numbers = [float(v) for v in cells if isinstance(v, int | float) and not isinstance(v, bool)]
    if numbers:
        refuse_mangled_ids(pa.array(numbers, pa.float64()), column, path)


def _cell_text(value: Any) -> str | None:
    """An Excel cell as text: integral numbers without '.0' (ids), dates in ISO form."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


_XLSX_TIME = (1980, 1, 1, 0, 0, 0)  # fixed zip and document times: same table, same bytes


def _formulas_as_text(sheet, frame: pd.DataFrame) -> None:
    """Text that starts with '=' (a nickname '=1+1', '=HYPERLINK(...)') stays text: openpyxl
    would store it as a live formula for Excel or the sending tool to run."""
    for index, column in enumerate(frame.columns, start=1):
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        if not values.astype("string").str.startswith("=").fillna(False).any():
            continue
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            if cell.data_type == "f":
                cell.data_type = "s"


def xlsx_bytes(frame: pd.DataFrame) -> bytes:
    """One sheet of ``frame`` as .xlsx bytes, byte-identical for identical frames.

    Ids and other text stay text cells (a sending tool then keeps leading zeros and long phone
    numbers), also text that looks like a formula; openpyxl's creation/modification times and
    the zip entries' times are fixed.
    """
    buffer = stdlib_io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            frame.to_excel(writer, index=False, sheet_name="Sheet1")
            _formulas_as_text(writer.sheets["Sheet1"], frame)
            stamp = datetime.datetime(*_XLSX_TIME)
            writer.book.properties.created = stamp
            writer.book.properties.modified = stamp
    fixed = stdlib_io.BytesIO()
    with (
        zipfile.ZipFile(stdlib_io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>1980-01-01T00:00:00Z\g<2>",
                    data,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=_XLSX_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, data)
    return fixed.getvalue()
