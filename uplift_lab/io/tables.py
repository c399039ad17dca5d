"""Whole tables: CSV/TSV (encodings detected), Parquet and Excel read; tables written."""

from __future__ import annotations

import codecs
import json
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from uplift_lab.errors import DataWarning, InputError, input_error, usage_error
from uplift_lab.file_layout import DEFAULT_FILE_LAYOUT, FileLayout
from uplift_lab.io.excel import _read_excel_arrow, xlsx_bytes
from uplift_lab.io.files import _check_readable, _first_line, atomic_path
from uplift_lab.io.layout import (
    CsvLayout,
    check_header,
    csv_layout,
    warn_title_lines,
    whole_number_columns,
    without_point_zero,
)
from uplift_lab.money_text import comma_decimal_columns
from uplift_lab.notices import Notice

CSV_SUFFIXES = (".csv", ".txt")  # .txt: tab-separated when its header has tabs, no commas
TSV_SUFFIXES = (".tsv", ".tab")
PARQUET_SUFFIXES = (".parquet", ".pq")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
XLS_SUFFIXES = (".xls",)
AUTO_ENCODINGS = ("utf-8", "gb18030")  # GB18030 is a superset of GBK/GB2312 (Chinese back-ends)
ENCODING_FIX = (
    "Pass the file's encoding, e.g. {encoding=gbk} (or gb18030, big5, utf-16, utf-8, cp1252 for a"
    " Windows export in a Western language)"
)
_SNIFF_BYTES = 1 << 20


def table_format(path: Path) -> str:
    """Return ``"csv"``, ``"tsv"``, ``"parquet"``, ``"xlsx"`` or ``"xls"`` from a file name, or
    raise InputError."""
    suffix = Path(path).suffix.lower()
    for kind, suffixes in (
        ("csv", CSV_SUFFIXES),
        ("tsv", TSV_SUFFIXES),
        ("parquet", PARQUET_SUFFIXES),
        ("xlsx", XLSX_SUFFIXES),
        ("xls", XLS_SUFFIXES),
    ):
        if suffix in suffixes:
            return kind
    raise input_error(
        path, f"unknown file type '{suffix}'", "Use a .csv, .tsv, .parquet, .xlsx or .xls file"
    )


def output_format(path: Path) -> str:
    """The format :func:`write_table` writes for ``path`` (legacy .xls cannot be written)."""
    kind = table_format(path)
    if kind == "xls":
        raise input_error(path, "legacy .xls cannot be written", "Write .xlsx instead")
    return kind


def normalize_encoding(encoding: str | None) -> str | None:
    """Validate a user-given encoding name; ``None``/``"auto"`` means detect."""
    if encoding is None or encoding.lower() == "auto":
        return None
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InputError(
            f"unknown encoding '{encoding}'. Use e.g. utf-8, utf-8-sig, gbk, gb18030 or auto"
        ) from None


def detect_encoding(path: Path) -> str:
    """Guess a CSV's encoding from its first MiB: a UTF-8 BOM, valid UTF-8, else GB18030.

    Strict UTF-8 decoding almost never succeeds on GBK bytes, so trying UTF-8 first and GB18030
    second is reliable for the exports this tool meets; anything else must be named by the user.
    """
    with open(path, "rb") as handle:
        sample = handle.read(_SNIFF_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text" export
    if b"\x00" in sample[:4096]:
        raise usage_error(
            path,
            "is not a text file (it has NUL bytes)",
            "If it is UTF-16 text without a byte-order mark pass {encoding=utf-16-le}; "
            "otherwise pass a .csv, .tsv, .xlsx or .parquet file",
        )
    for encoding in AUTO_ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            decoder.decode(sample, final=len(sample) < _SNIFF_BYTES)
        except UnicodeDecodeError:
            continue
        return encoding
    raise usage_error(path, "cannot tell the text encoding", ENCODING_FIX)


DEFAULT_LAYOUT = CsvLayout()


def _read_csv_arrow(
    path: Path,
    encoding: str,
    string_columns: Sequence[str],
    columns: Sequence[str] | None = None,
    dictionary_columns: Sequence[str] = (),
    layout: CsvLayout = DEFAULT_LAYOUT,
    names: Sequence[str] = (),
) -> pa.Table:
    if layout.whitespace:  # dictionary columns are text, as Arrow's reader reads them
        text = [*string_columns, *dictionary_columns]
        table = text_frame_arrow(whitespace_text(path, encoding, text, columns, layout, names))
        for name in [name for name in dictionary_columns if name in table.column_names]:
            index = table.column_names.index(name)
            table = table.set_column(index, name, pc.dictionary_encode(table.column(name)))
        return table
    read_options = pa_csv.ReadOptions(
        encoding=encoding,
        block_size=16 << 20,
        skip_rows=layout.skip_rows,
        column_names=list(names) or None,
    )
    types = {name: pa.string() for name in string_columns}
    types.update({name: pa.dictionary(pa.int32(), pa.string()) for name in dictionary_columns})
    convert_options = pa_csv.ConvertOptions(
        column_types=types,
        strings_can_be_null=True,
        include_columns=list(columns) if columns is not None else None,
        decimal_point=layout.decimal_point,
    )
    table = pa_csv.read_csv(
        path,
        read_options=read_options,
        parse_options=pa_csv.ParseOptions(delimiter=layout.delimiter),
        convert_options=convert_options,
    )
    _ = table.column_names  # decodes the header: raises UnicodeDecodeError in a wrong encoding
    aware = [f.name for f in table.schema if pa.types.is_timestamp(f.type) and f.type.tz]
    if aware:
        # Arrow moves "+08:00" times to UTC and drops the offset, which sets the shop's calendar
        # day; keep such columns as text for uplift_lab.timeparse (rare, so a second read).
        table = _read_csv_arrow(
            path, encoding, [*string_columns, *aware], columns, dictionary_columns, layout, names
        )
    for field in table.schema:
        if pa.types.is_binary(field.type) or pa.types.is_large_binary(field.type):
            # Arrow infers binary when a text column is not valid in the chosen encoding.
            raise UnicodeDecodeError(encoding, b"", 0, 1, f"column '{field.name}' is not text")
    return table


def whitespace_text(
    path: Path,
    encoding: str,
    string_columns: Sequence[str],
    columns: Sequence[str] | None,
    layout: CsvLayout,
    names: Sequence[str],
    chunk_rows: int | None = None,
) -> pd.DataFrame | Iterable[pd.DataFrame]:
    """Text aligned with runs of spaces (CDNOW's master file) as a DataFrame, or an iterator of
    DataFrames of ``chunk_rows`` rows: split by pandas, whose C reader splits on ``\\s+``
    (Arrow's splits on one character). ``string_columns`` stay text, other columns typed."""
    return pd.read_csv(
        path,
        sep=r"\s+",
        encoding=encoding,
        skiprows=layout.skip_rows,
        header=None if names else 0,
        names=list(names) or None,
        usecols=list(columns) if columns is not None else None,
        dtype={name: str for name in string_columns},
        keep_default_na=False,
        na_values=[""],
        chunksize=chunk_rows,
    )


def text_frame_arrow(frame: pd.DataFrame) -> pa.Table:
    """A DataFrame pandas read from text as Arrow reads text: its text columns ``string`` (pandas
    gives ``large_string``), no pandas metadata."""
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    large = [field.name for field in table.schema if pa.types.is_large_string(field.type)]
    return table.cast(
        pa.schema([pa.field(f.name, pa.string()) if f.name in large else f for f in table.schema])
    )


def read_arrow(
    path: Path,
    *,
    encoding: str | None = None,
    string_columns: Sequence[str] = (),
    columns: Sequence[str] | None = None,
    dictionary_columns: Sequence[str] = (),
    file_layout: FileLayout = DEFAULT_FILE_LAYOUT,
) -> pa.Table:
    """Read a CSV, TSV, whitespace-aligned text, Parquet or Excel (.xlsx, .xls: the first sheet
    unless ``file_layout`` names one) file into Arrow.

    ``string_columns`` are read as text (ids keep leading zeros and never become floats).
    ``encoding`` applies to CSV/TSV only; ``None`` detects UTF-8, UTF-8 with BOM, UTF-16 with
    BOM and GBK/GB18030, and warns (:class:`~uplift_lab.errors.DataWarning`) when the header
    looks garbled in the detected encoding.
    ``columns`` (all must exist) limits what is read; ``dictionary_columns`` are text read as
    dictionaries (a status column of ten million rows and a handful of values).
    ``file_layout.names`` name the columns of a file without a header line; a text file whose
    first line looks like data is refused without them.
    """
    path = _check_readable(path)
    kind = table_format(path)
    refuse_names_of_parquet(path, kind, file_layout)
    if kind == "parquet":
        try:
            table = _read_parquet(path, columns, dictionary_columns)
        except (pa.ArrowException, OSError) as exc:
            raise input_error(path, f"not a readable Parquet file ({_first_line(exc)})") from None
        return _with_text_columns(table, string_columns)
    if kind in ("xlsx", "xls"):
        table = _read_excel_arrow(path, kind, string_columns, file_layout=file_layout)
        if columns is not None:
            table = table.select([name for name in columns if name in table.column_names])
        return table

    chosen = normalize_encoding(encoding)
    auto = chosen is None
    chosen = chosen or detect_encoding(path)
    layout = csv_layout(path, kind, chosen)
    if file_layout.decimal:
        layout = replace(layout, decimal_point=file_layout.decimal)
    check_header(path, layout.header, file_layout.names, layout.skip_rows + 1)
    options = (string_columns, columns, dictionary_columns, layout, file_layout.names)
    try:
        table = _read_csv_arrow(path, chosen, *options)
    except (UnicodeDecodeError, pa.ArrowInvalid, pd.errors.ParserError) as exc:
        text = _first_line(exc)
        undecodable = isinstance(exc, UnicodeDecodeError) or "UTF8" in text or "utf-8" in text
        table = None
        if undecodable and auto and chosen.startswith("utf-8"):
            try:  # the first MiB was ASCII, the rest is not UTF-8: most likely a GBK export
                table = _read_csv_arrow(path, "gb18030", *options)
                chosen = "gb18030"
            except (UnicodeDecodeError, pa.ArrowInvalid):
                pass
        if table is None and undecodable:
            raise usage_error(path, f"is not valid {chosen} text", ENCODING_FIX) from None
        if table is None:
            raise input_error(
                path, f"malformed CSV ({text})", "Fix the file or export it again"
            ) from None
    if auto:
        _warn_if_garbled(path, table.column_names, chosen)
    warn_title_lines(path, layout.skip_rows, layout.title)
    if layout.decimal_point == "," or (layout.delimiter == ";" and not file_layout.decimal):
        table, dots_only = comma_decimal_columns(
            table,
            [*string_columns, *dictionary_columns],
            decimal_comma_seen=layout.decimal_point == ",",
        )
        _note_thousands_dots(path, dots_only)
    return without_point_zero(table, whole_number_columns(table, string_columns))


def refuse_names_of_parquet(path: Path, kind: str, file_layout: FileLayout) -> None:
    """A Parquet file names its columns: a column map's ``names`` for it is a mistake."""
    if kind == "parquet" and file_layout.names:
        raise input_error(
            path,
            "a Parquet file names its own columns, so the column map's names = [...] cannot apply",
            "Remove names, and map its columns in the section's columns table",
        )


def _read_parquet(
    path: Path, columns: Sequence[str] | None, dictionary_columns: Sequence[str]
) -> pa.Table:
    """A Parquet file, memory-mapped: its bytes are read from the page cache in place instead of
    being copied into fresh buffers first (on ten million orders about a second less, most of it
    kernel time); a file system that cannot map files is read the ordinary way."""
    options = {
        "columns": list(columns) if columns is not None else None,
        "read_dictionary": list(dictionary_columns) or None,
    }
    try:
        return pq.read_table(path, memory_map=True, **options)
    except OSError:
        return pq.read_table(path, **options)


def _with_text_columns(table: pa.Table, string_columns: Sequence[str]) -> pa.Table:
    """``string_columns`` of a Parquet table as text; the pandas metadata written with the file
    says so too (else pandas rebuilds an ``Int64`` id column from text and fails)."""
    cast = [name for name in string_columns if name in table.column_names]
    for name in cast:
        index = table.column_names.index(name)
        table = table.set_column(index, name, table.column(name).cast(pa.string()))
    metadata = dict(table.schema.metadata or {})
    if cast and b"pandas" in metadata:
        pandas = json.loads(metadata[b"pandas"])
        for column in pandas.get("columns", []):
            if column.get("field_name") in cast:
                column.update(pandas_type="object", numpy_type="str", metadata=None)
        metadata[b"pandas"] = json.dumps(pandas).encode()
        table = table.replace_schema_metadata(metadata)
    return table


def _looks_garbled(names: Sequence[str], encoding: str) -> bool:
    """Whether column names decoded in ``encoding`` look like another encoding's bytes.

    Replacement or control characters, kana or private-use code points in a header, or, read
    as GBK/GB18030, mostly characters outside GB2312 (Big5 bytes decode so): real headers are
    plain words.
    """
    text = "".join(map(str, names))
    odd = [c for c in text if c == "\ufffd" or (ord(c) < 32 and c not in "\t\r\n")]
    odd += [c for c in text if 0x3040 <= ord(c) <= 0x30FF or 0xE000 <= ord(c) <= 0xF8FF]
    if odd:
        return True
    if codecs.lookup(encoding).name not in ("gb18030", "gbk"):
        return False
    wide = [c for c in text if ord(c) > 127]
    if len(wide) < 2:
        return False
    rare = sum(1 for c in wide if not _in_gb2312(c))
    return rare / len(wide) > 0.3


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _note_thousands_dots(path: Path, columns: Sequence[tuple[str, str]]) -> None:
    """A note per column whose dots were read as thousands separators (semicolon file)."""
    for column, example in columns:
        params = {"path": str(path), "column": column, "example": example.strip()}
        warnings.warn(DataWarning(Notice("note", "thousands_dots", params)), stacklevel=3)


def _warn_if_garbled(path: Path, names: Sequence[str], encoding: str) -> None:
    if _looks_garbled(names, encoding):
        header = ",".join(map(str, names))[:60]
        params = {"path": str(path), "header": header, "encoding": encoding}
        warnings.warn(DataWarning(Notice("warning", "garbled_header", params)), stacklevel=3)


def read_table(
    path: Path,
    *,
    encoding: str | None = None,
    string_columns: Sequence[str] = (),
    file_layout: FileLayout = DEFAULT_FILE_LAYOUT,
) -> pd.DataFrame:
    """Read a CSV or Parquet file into a pandas DataFrame (see :func:`read_arrow`)."""
    table = read_arrow(
        path, encoding=encoding, string_columns=string_columns, file_layout=file_layout
    )
    return table.to_pandas()


def write_table(frame: pd.DataFrame, path: Path) -> Path:
    """Write a DataFrame as CSV/TSV (UTF-8), Parquet or .xlsx, chosen by extension, atomically."""
    path = Path(path)
    kind = output_format(path)
    with atomic_path(path) as tmp:
        if kind == "parquet":
            frame.to_parquet(tmp, index=False)
        elif kind == "xlsx":
            tmp.write_bytes(xlsx_bytes(frame))
        else:
            sep = "\t" if kind == "tsv" else ","
            frame.to_csv(tmp, index=False, sep=sep, encoding="utf-8", lineterminator="\n")
    return path
