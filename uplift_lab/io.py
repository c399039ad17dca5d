"""The only module that touches files: CSV (with encodings) and Parquet in, atomic writes out.

Every reader turns a low-level failure (missing file, undecodable bytes, malformed CSV) into an
:class:`~uplift_lab.errors.InputError` naming the file and the fix. Every writer writes to a
temporary file next to the target and renames it, so a failed run never leaves half a file.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from uplift_lab.errors import InputError, input_error

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
PARQUET_SUFFIXES = (".parquet", ".pq")
AUTO_ENCODINGS = ("utf-8", "gb18030")  # GB18030 is a superset of GBK/GB2312 (Chinese back-ends)
ENCODING_FIX = "Pass the file's encoding, e.g. --encoding gbk (or utf-8, gb18030, latin-1)"
_SNIFF_BYTES = 1 << 20


def table_format(path: Path) -> str:
    """Return ``"csv"`` or ``"parquet"`` from a file name, or raise InputError."""
    suffix = Path(path).suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    raise input_error(path, f"unknown file type '{suffix}'", "Use a .csv or .parquet file")


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
) -> pa.Table:
    read_options = pa_csv.ReadOptions(encoding=encoding, block_size=16 << 20)
    types = {name: pa.string() for name in string_columns}
    types.update({name: pa.dictionary(pa.int32(), pa.string()) for name in dictionary_columns})
    convert_options = pa_csv.ConvertOptions(
        column_types=types,
        strings_can_be_null=True,
        include_columns=list(columns) if columns is not None else None,
    )
    table = pa_csv.read_csv(path, read_options=read_options, convert_options=convert_options)
    _ = table.column_names  # decodes the header: raises UnicodeDecodeError in a wrong encoding
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
    """Read a CSV or Parquet file into an Arrow table.

    ``string_columns`` are read as text (ids keep leading zeros and never become floats).
    ``encoding`` applies to CSV only; ``None`` detects UTF-8, UTF-8 with BOM and GBK/GB18030.
    ``columns`` (all must exist) limits what is read; ``dictionary_columns`` are text read as
    dictionaries (a status column of ten million rows and a handful of values).
    """
    path = _check_readable(path)
    kind = table_format(path)
    if kind == "parquet":
        try:
            table = pq.read_table(
                path,
                columns=list(columns) if columns is not None else None,
                read_dictionary=list(dictionary_columns) or None,
            )
        except (pa.ArrowException, OSError) as exc:
            raise input_error(path, f"not a readable Parquet file ({_first_line(exc)})") from None
        casts = [name for name in string_columns if name in table.column_names]
        for name in casts:
            index = table.column_names.index(name)
            table = table.set_column(index, name, table.column(name).cast(pa.string()))
        return table

    chosen = normalize_encoding(encoding)
    auto = chosen is None
    chosen = chosen or detect_encoding(path)
    options = (string_columns, columns, dictionary_columns)
    try:
        return _read_csv_arrow(path, chosen, *options)
    except (UnicodeDecodeError, pa.ArrowInvalid) as exc:
        text = _first_line(exc)
        undecodable = isinstance(exc, UnicodeDecodeError) or "UTF8" in text or "utf-8" in text
        if undecodable and auto and chosen.startswith("utf"):
            try:  # the first MiB was ASCII, the rest is not UTF-8: most likely a GBK export
                return _read_csv_arrow(path, "gb18030", *options)
            except (UnicodeDecodeError, pa.ArrowInvalid):
                pass
        if undecodable:
            raise input_error(path, f"is not valid {chosen} text", ENCODING_FIX) from None
        raise input_error(
            path, f"malformed CSV ({text})", "Fix the file or export it again"
        ) from None


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
    """Write a DataFrame as CSV (UTF-8) or Parquet, chosen by extension, atomically."""
    path = Path(path)
    kind = table_format(path)
    with atomic_path(path) as tmp:
        if kind == "parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
    return path


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


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file (a column map), turning a missing or malformed file into an InputError."""
    import tomllib

    path = _check_readable(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise input_error(path, f"not valid TOML ({_first_line(exc)})", "Fix the file") from None
    except UnicodeDecodeError:
        raise input_error(path, "is not UTF-8 text", "Save the column map as UTF-8") from None


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def atomic_directory(path: Path, *, force: bool = False) -> Iterator[Path]:
    """Build a folder in a temporary sibling and move it into place only when all of it is written.

    An existing non-empty folder is refused unless ``force``; with ``force`` it is replaced only
    after the new one is complete, so a failed run leaves the old folder untouched.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise input_error(path, "exists and is not a folder", "Choose another --out")
    if path.exists() and any(path.iterdir()) and not force:
        raise input_error(
            path, "already exists and is not empty", "Use --force to replace it, or another --out"
        )
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
    if table_format(path) == "parquet":
        try:
            return list(pq.ParquetFile(path).schema_arrow.names)
        except (pa.ArrowException, OSError) as exc:
            raise input_error(path, f"not a readable Parquet file ({_first_line(exc)})") from None
    chosen = normalize_encoding(encoding) or detect_encoding(path)
    try:
        with open(path, encoding=chosen, newline="") as handle:
            header = handle.readline()
    except UnicodeDecodeError:
        raise input_error(path, f"is not valid {chosen} text", ENCODING_FIX) from None
    import csv

    return next(csv.reader([header]), [])


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
    if table_format(path) == "parquet":
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
    convert_options = pa_csv.ConvertOptions(
        column_types={name: pa.string() for name in string_columns},
        strings_can_be_null=True,
        include_columns=wanted,
    )
    try:
        reader = pa_csv.open_csv(path, read_options=read_options, convert_options=convert_options)
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
    kind = table_format(path)
    rows = 0
    with atomic_path(path) as tmp:
        writer = None
        try:
            for number, frame in enumerate(frames):
                rows += len(frame)
                if kind == "parquet":
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
                        encoding="utf-8",
                        lineterminator="\n",
                    )
        finally:
            if writer is not None:
                writer.close()
    return rows
