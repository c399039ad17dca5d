"""Excel: the first sheet of .xlsx/.xls read into Arrow, and byte-stable .xlsx written."""

from __future__ import annotations

import datetime
import io as stdlib_io
import re
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from uplift_lab.errors import input_error
from uplift_lab.io.files import _first_line
from uplift_lab.io.layout import PEEK_LINES, header_row, title_text, warn_title_lines


def _read_excel_arrow(
    path: Path, kind: str, string_columns: Sequence[str], *, warn: bool = True
) -> pa.Table:
    """The first sheet of an Excel file; ``string_columns`` as text, other cells as typed (the
    lines above its header skipped, with a notice unless ``warn`` is false)."""
    engine = "openpyxl" if kind == "xlsx" else "xlrd"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl: "workbook contains no default style"
            top = pd.read_excel(path, sheet_name=0, engine=engine, header=None, nrows=PEEK_LINES)
            rows = [[None if pd.isna(cell) else cell for cell in row] for row in top.values]
            skipped = header_row(rows)
            frame = pd.read_excel(
                path,
                sheet_name=0,
                engine=engine,
                header=skipped,
                dtype={name: "object" for name in string_columns},
            )
    except ImportError as exc:
        raise input_error(
            path, f"cannot read {kind} files ({_first_line(exc)})", "Save it as .xlsx or .csv"
        ) from None
    except Exception as exc:  # zipfile.BadZipFile, xlrd.XLRDError, KeyError, ValueError ...
        raise input_error(
            path, f"not a readable Excel file ({_first_line(exc)})", "Save it again from Excel"
        ) from None
    if warn:
        warn_title_lines(path, skipped, title_text(rows[0]) if skipped else "")
    frame.columns = [str(name) for name in frame.columns]
    for name in [name for name in string_columns if name in frame.columns]:
        frame[name] = frame[name].map(_cell_text)
    columns = {}
    for name in frame.columns:
        try:
            columns[name] = pa.array(frame[name], from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # a column mixing types, e.g. dates and text
            columns[name] = pa.array(frame[name].map(_cell_text), type=pa.string())
    return pa.table(columns) if columns else pa.table({})


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


def xlsx_bytes(frame: pd.DataFrame) -> bytes:
    """One sheet of ``frame`` as .xlsx bytes, byte-identical for identical frames.

    Ids and other text stay text cells (a sending tool then keeps leading zeros and long phone
    numbers); openpyxl's creation/modification times and the zip entries' times are fixed.
    """
    buffer = stdlib_io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            frame.to_excel(writer, index=False, sheet_name="Sheet1")
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
