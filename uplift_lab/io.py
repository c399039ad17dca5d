"""The only module that touches files: CSV (with encodings) and Parquet in, atomic writes out.

(One query elsewhere reads a Parquet file itself: segment's DuckDB aggregation, through the
table expression :func:`parquet_sql` gives, after this module has checked the file.)

Every reader turns a low-level failure (missing file, undecodable bytes, malformed CSV) into an
:class:`~uplift_lab.errors.InputError` naming the file and the fix. Every writer writes to a
temporary file next to the target and renames it, so a failed run never leaves half a file.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime
import hashlib
import json
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from uplift_lab.errors import DataWarning, InputError, input_error

CSV_SUFFIXES = (".csv", ".txt")  # .txt: tab-separated when its header has tabs, no commas
TSV_SUFFIXES = (".tsv", ".tab")
PARQUET_SUFFIXES = (".parquet", ".pq")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
XLS_SUFFIXES = (".xls",)
AUTO_ENCODINGS = ("utf-8", "gb18030")  # GB18030 is a superset of GBK/GB2312 (Chinese back-ends)
ENCODING_FIX = (
    "Pass the file's encoding, e.g. --encoding gbk (or gb18030, big5, utf-16, utf-8, latin-1)"
)
GARBLED_HEADER_HINT = (
    "its header reads as {header!r} in {encoding}, which looks garbled; if these are not the "
    "column names, pass the file's encoding, e.g. --encoding big5 (or gbk, gb18030, utf-16)"
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
        raise input_error(
            path,
            "is not a text file (it has NUL bytes)",
            "If it is UTF-16 text without a byte-order mark pass --encoding utf-16-le; "
            "otherwise pass a .csv, .tsv, .xlsx or .parquet file",
        )
    for encoding in AUTO_ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            decoder.decode(sample, final=len(sample) < _SNIFF_BYTES)
        except UnicodeDecodeError:
            continue
        return encoding
    raise input_error(path, "cannot tell the text encoding", ENCODING_FIX)


def _check_readable(path: Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise input_error(path, "file not found", "Check the path")
    if path.is_dir():
        raise input_error(path, "is a folder, not a file", "Pass a .csv or .parquet file")
    if path.stat().st_size == 0:
        raise input_error(path, "file is empty", "Pass a file with a header row and data")
    return path


def _read_csv_arrow(
    path: Path,
    encoding: str,
    string_columns: Sequence[str],
    columns: Sequence[str] | None = None,
    dictionary_columns: Sequence[str] = (),
    delimiter: str = ",",
) -> pa.Table:
    read_options = pa_csv.ReadOptions(encoding=encoding, block_size=16 << 20)
    types = {name: pa.string() for name in string_columns}
    types.update({name: pa.dictionary(pa.int32(), pa.string()) for name in dictionary_columns})
    convert_options = pa_csv.ConvertOptions(
        column_types=types,
        strings_can_be_null=True,
        include_columns=list(columns) if columns is not None else None,
    )
    table = pa_csv.read_csv(
        path,
        read_options=read_options,
        parse_options=pa_csv.ParseOptions(delimiter=delimiter),
        convert_options=convert_options,
    )
    _ = table.column_names  # decodes the header: raises UnicodeDecodeError in a wrong encoding
    aware = [f.name for f in table.schema if pa.types.is_timestamp(f.type) and f.type.tz]
    if aware:
        # Arrow moves "+08:00" times to UTC and drops the offset, which sets the shop's calendar
        # day; keep such columns as text for uplift_lab.timeparse (rare, so a second read).
        table = _read_csv_arrow(
            path, encoding, [*string_columns, *aware], columns, dictionary_columns, delimiter
        )
    for field in table.schema:
        if pa.types.is_binary(field.type) or pa.types.is_large_binary(field.type):
            # Arrow infers binary when a text column is not valid in the chosen encoding.
            raise UnicodeDecodeError(encoding, b"", 0, 1, f"column '{field.name}' is not text")
    return table


def read_arrow(
    path: Path,
    *,
    encoding: str | None = None,
    string_columns: Sequence[str] = (),
    columns: Sequence[str] | None = None,
    dictionary_columns: Sequence[str] = (),
) -> pa.Table:
    """Read a CSV, TSV, Parquet or Excel (.xlsx, .xls: the first sheet) file into Arrow.

    ``string_columns`` are read as text (ids keep leading zeros and never become floats).
    ``encoding`` applies to CSV/TSV only; ``None`` detects UTF-8, UTF-8 with BOM, UTF-16 with
    BOM and GBK/GB18030, and warns (:class:`~uplift_lab.errors.DataWarning`) when the header
    looks garbled in the detected encoding.
    ``columns`` (all must exist) limits what is read; ``dictionary_columns`` are text read as
    dictionaries (a status column of ten million rows and a handful of values).
    """
    path = _check_readable(path)
    kind = table_format(path)
    if kind == "parquet":
        try:
            table = _read_parquet(path, columns, dictionary_columns)
        except (pa.ArrowException, OSError) as exc:
            raise input_error(path, f"not a readable Parquet file ({_first_line(exc)})") from None
        return _with_text_columns(table, string_columns)
    if kind in ("xlsx", "xls"):
        table = _read_excel_arrow(path, kind, string_columns)
        if columns is not None:
            table = table.select([name for name in columns if name in table.column_names])
        return table

    chosen = normalize_encoding(encoding)
    auto = chosen is None
    chosen = chosen or detect_encoding(path)
    delimiter = _delimiter(path, kind, chosen)
    options = (string_columns, columns, dictionary_columns, delimiter)
    try:
        table = _read_csv_arrow(path, chosen, *options)
    except (UnicodeDecodeError, pa.ArrowInvalid) as exc:
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
            raise input_error(path, f"is not valid {chosen} text", ENCODING_FIX) from None
        if table is None:
            raise input_error(
                path, f"malformed CSV ({text})", "Fix the file or export it again"
            ) from None
    if auto:
        _warn_if_garbled(path, table.column_names, chosen)
    return table


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
    for name in [name for name in string_columns if name in table.column_names]:
        index = table.column_names.index(name)
        table = table.set_column(index, name, table.column(name).cast(pa.string()))
    return table


def _delimiter(path: Path, kind: str, encoding: str) -> str:
    """Tab for .tsv, and for a .txt whose first line has tabs but no commas; else comma."""
    if kind == "tsv":
        return "\t"
    if Path(path).suffix.lower() != ".txt":
        return ","
    try:
        with open(path, encoding=encoding, errors="replace", newline="") as handle:
            header = handle.readline()
    except (OSError, LookupError):
        return ","
    return "\t" if "\t" in header and "," not in header else ","


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


def _warn_if_garbled(path: Path, names: Sequence[str], encoding: str) -> None:
    if _looks_garbled(names, encoding):
        header = ",".join(map(str, names))[:60]
        message = GARBLED_HEADER_HINT.format(header=header, encoding=encoding)
        warnings.warn(DataWarning(f"{path}: {message}"), stacklevel=3)


def _read_excel_arrow(path: Path, kind: str, string_columns: Sequence[str]) -> pa.Table:
    """The first sheet of an Excel file; ``string_columns`` as text, other cells as typed."""
    engine = "openpyxl" if kind == "xlsx" else "xlrd"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl: "workbook contains no default style"
            frame = pd.read_excel(
                path,
                sheet_name=0,
                engine=engine,
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


def read_table(
    path: Path,
    *,
    encoding: str | None = None,
    string_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """Read a CSV or Parquet file into a pandas DataFrame (see :func:`read_arrow`)."""
    return read_arrow(path, encoding=encoding, string_columns=string_columns).to_pandas()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it over ``path``, else delete."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_current_umask())  # mkstemp makes 0600; outputs follow the umask
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


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


_XLSX_TIME = (1980, 1, 1, 0, 0, 0)  # fixed zip and document times: same table, same bytes


def xlsx_bytes(frame: pd.DataFrame) -> bytes:
    """One sheet of ``frame`` as .xlsx bytes, byte-identical for identical frames.

    Ids and other text stay text cells (a sending tool then keeps leading zeros and long phone
    numbers); openpyxl's creation/modification times and the zip entries' times are fixed.
    """
    import io as stdlib_io
    import zipfile

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


def write_text(text: str, path: Path) -> Path:
    """Write UTF-8 text atomically."""
    with atomic_path(Path(path)) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes(data: bytes, path: Path) -> Path:
    """Write bytes atomically."""
    with atomic_path(Path(path)) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def to_json_text(payload: Any) -> str:
    """Serialise to stable, readable JSON (sorted keys; numpy/pandas scalars and dates handled)."""
    return (
        json.dumps(payload, indent=2, sort_keys=True, default=_json_default, allow_nan=False) + "\n"
    )


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


def write_json(payload: Any, path: Path) -> Path:
    """Write JSON atomically (see :func:`to_json_text`)."""
    return write_text(to_json_text(payload), path)


def read_json(path: Path) -> Any:
    """Read a JSON file, turning a missing or malformed file into an InputError."""
    path = _check_readable(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise input_error(path, f"not valid JSON ({_first_line(exc)})") from None


def read_bytes(path: Path) -> bytes:
    """A file's bytes, as they are (an empty file gives b"")."""
    return Path(path).read_bytes()


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file (column map, tag rules); a missing or malformed file is an InputError."""
    import tomllib

    path = _check_readable(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise input_error(path, f"not valid TOML ({_first_line(exc)})", "Fix the file") from None
    except UnicodeDecodeError:
        raise input_error(path, "is not UTF-8 text", "Save the file as UTF-8") from None


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def refuse_existing_folder(path: Path, *, force: bool = False) -> None:
    """Refuse an output folder that is a file, or that exists with files in it unless ``force``
    (commands call it before any work; :func:`atomic_directory` checks again)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise input_error(path, "exists and is not a folder", "Choose another --out")
    if path.exists() and any(path.iterdir()) and not force:
        raise input_error(
            path, "already exists and is not empty", "Use --force to replace it, or another --out"
        )


@contextlib.contextmanager
def atomic_directory(path: Path, *, force: bool = False) -> Iterator[Path]:
    """Build a folder in a temporary sibling and move it into place only when all of it is written.

    An existing non-empty folder is refused unless ``force``; with ``force`` it is replaced only
    after the new one is complete, so a failed run leaves the old folder untouched.
    """
    path = Path(path)
    refuse_existing_folder(path, force=force)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    os.chmod(staging, 0o777 & ~_current_umask())  # mkdtemp makes 0700
    try:
        yield staging
        if path.exists():
            retired = Path(
                tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent)
            )
            os.replace(path, retired / path.name)
            os.replace(staging, path)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, path)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


# --- Streaming (added for `score`: tables larger than memory, read and written in batches) ---


def table_column_names(path: Path, *, encoding: str | None = None) -> list[str]:
    """Column names of a CSV or Parquet file, reading only its header or schema."""
    path = _check_readable(path)
    kind = table_format(path)
    if kind == "parquet":
        try:
            return list(pq.ParquetFile(path).schema_arrow.names)
        except (pa.ArrowException, OSError) as exc:
            raise input_error(path, f"not a readable Parquet file ({_first_line(exc)})") from None
    if kind in ("xlsx", "xls"):
        return _read_excel_arrow(path, kind, ()).column_names
    chosen = normalize_encoding(encoding) or detect_encoding(path)
    try:
        with open(path, encoding=chosen, newline="") as handle:
            header = handle.readline()
    except UnicodeDecodeError:
        raise input_error(path, f"is not valid {chosen} text", ENCODING_FIX) from None
    import csv

    return next(csv.reader([header], delimiter=_delimiter(path, kind, chosen)), [])


def parquet_schema(path: Path) -> pa.Schema:
    """The Arrow schema of a Parquet file (its footer only)."""
    path = _check_readable(path)
    try:
        return pq.ParquetFile(path).schema_arrow
    except (pa.ArrowException, OSError) as exc:
        raise input_error(path, f"not a readable Parquet file ({_first_line(exc)})") from None


def parquet_column_facts(path: Path, name: str) -> tuple[int | None, Any]:
    """(number of nulls, smallest value) of a Parquet column from the statistics in its footer,
    without reading the data; ``None`` for what a row group does not record."""
    try:
        metadata = pq.ParquetFile(_check_readable(path)).metadata
        index = metadata.schema.to_arrow_schema().get_field_index(name)
        if index < 0:
            return None, None
        nulls, smallest = 0, None
        for group in range(metadata.num_row_groups):
            stats = metadata.row_group(group).column(index).statistics
            if stats is None or not stats.has_null_count:
                return None, None
            nulls += stats.null_count
            if smallest is not False:
                if not stats.has_min_max:
                    smallest = False  # unknown from here on
                elif smallest is None or stats.min < smallest:
                    smallest = stats.min
        return nulls, (None if smallest is False else smallest)
    except (pa.ArrowException, OSError, TypeError):
        return None, None


def parquet_rows(path: Path) -> int:
    """Number of rows of a Parquet file, from its footer."""
    path = _check_readable(path)
    try:
        return pq.ParquetFile(path).metadata.num_rows
    except (pa.ArrowException, OSError) as exc:
        raise input_error(path, f"not a readable Parquet file ({_first_line(exc)})") from None


def parquet_sql(path: Path) -> str:
    """The file as a DuckDB table expression, ``read_parquet('...')`` (the path quoted), for a
    query that reads it while it aggregates (segment's orders)."""
    quoted = str(Path(path)).replace("'", "''")
    return f"read_parquet('{quoted}')"


def iter_table_batches(
    path: Path,
    *,
    columns: Sequence[str] | None = None,
    string_columns: Sequence[str] = (),
    batch_rows: int = 500_000,
    encoding: str | None = None,
) -> Iterator[pd.DataFrame]:
    """Yield a CSV or Parquet file as DataFrames of about ``batch_rows`` rows.

    ``columns`` (all must exist; check with :func:`table_column_names`) limits what is read.
    ``string_columns`` are read as text, as in :func:`read_arrow`.
    """
    path = _check_readable(path)
    wanted = list(columns) if columns is not None else None
    kind = table_format(path)
    if kind in ("xlsx", "xls"):  # sheets fit in memory (Excel stops at 1,048,576 rows)
        table = read_arrow(path, string_columns=string_columns)
        table = table.select(wanted) if wanted is not None else table
        for start in range(0, max(table.num_rows, 1), batch_rows):
            yield table.slice(start, batch_rows).to_pandas()
        return
    if kind == "parquet":
        try:
            handle = pq.ParquetFile(path)
            for batch in handle.iter_batches(batch_size=batch_rows, columns=wanted):
                table = pa.Table.from_batches([batch])
                for name in string_columns:
                    if name in table.column_names:
                        index = table.column_names.index(name)
                        table = table.set_column(index, name, table.column(name).cast(pa.string()))
                yield table.to_pandas()
        except (pa.ArrowException, OSError) as exc:
            raise input_error(path, f"not a readable Parquet file ({_first_line(exc)})") from None
        return
    chosen = normalize_encoding(encoding) or detect_encoding(path)
    read_options = pa_csv.ReadOptions(encoding=chosen, block_size=64 << 20)
    parse_options = pa_csv.ParseOptions(delimiter=_delimiter(path, kind, chosen))
    convert_options = pa_csv.ConvertOptions(
        column_types={name: pa.string() for name in string_columns},
        strings_can_be_null=True,
        include_columns=wanted,
    )
    try:
        reader = pa_csv.open_csv(
            path,
            read_options=read_options,
            parse_options=parse_options,
            convert_options=convert_options,
        )
        pending: list[pa.RecordBatch] = []
        pending_rows = 0
        for batch in reader:
            pending.append(batch)
            pending_rows += batch.num_rows
            if pending_rows >= batch_rows:
                yield pa.Table.from_batches(pending).to_pandas()
                pending, pending_rows = [], 0
        if pending:
            yield pa.Table.from_batches(pending).to_pandas()
    except UnicodeDecodeError:
        raise input_error(path, f"is not valid {chosen} text", ENCODING_FIX) from None
    except pa.ArrowInvalid as exc:
        text = _first_line(exc)
        if "UTF8" in text or "utf-8" in text:
            raise input_error(path, f"is not valid {chosen} text", ENCODING_FIX) from None
        raise input_error(
            path, f"malformed CSV ({text})", "Fix the file or export it again"
        ) from None


def write_table_batches(frames: Iterable[pd.DataFrame], path: Path) -> int:
    """Write DataFrames with equal columns as one CSV or Parquet file, atomically; return rows.

    Nothing is left at ``path`` if writing fails midway.
    """
    path = Path(path)
    kind = output_format(path)
    if kind == "xlsx":  # one sheet, written at once
        pending = list(frames)
        frames = [pd.concat(pending, ignore_index=True)] if pending else []
    rows = 0
    with atomic_path(path) as tmp:
        writer = None
        try:
            for number, frame in enumerate(frames):
                rows += len(frame)
                if kind == "xlsx":
                    tmp.write_bytes(xlsx_bytes(frame))
                elif kind == "parquet":
                    table = pa.Table.from_pandas(frame, preserve_index=False)
                    if writer is None:
                        writer = pq.ParquetWriter(tmp, table.schema)
                    writer.write_table(table)
                else:
                    frame.to_csv(
                        tmp,
                        mode="w" if number == 0 else "a",
                        header=number == 0,
                        index=False,
                        sep="\t" if kind == "tsv" else ",",
                        encoding="utf-8",
                        lineterminator="\n",
                    )
        finally:
            if writer is not None:
                writer.close()
    return rows
