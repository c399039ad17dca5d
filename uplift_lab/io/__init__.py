"""The only package that touches files: CSV (with encodings), Parquet and Excel in, atomic writes
out, strict JSON (one sanitizer: NaN becomes null), TOML read.

(One query elsewhere reads a Parquet file itself: segment's DuckDB aggregation, through the
table expression :func:`parquet_sql` gives, after this package has checked the file.)

Every reader turns a low-level failure (missing file, undecodable bytes, malformed CSV) into an
:class:`~uplift_lab.errors.InputError` naming the file and the fix. Every writer writes to a
temporary file next to the target and renames it, so a failed run never leaves half a file.
Callers import this package (``from uplift_lab import io``); its modules are
:mod:`~uplift_lab.io.tables` (whole tables), :mod:`~uplift_lab.io.stream` (batches, Parquet
footers), :mod:`~uplift_lab.io.excel`, :mod:`~uplift_lab.io.documents` (JSON, TOML) and
:mod:`~uplift_lab.io.files` (atomic files and folders, hashes). The readers of ``--engine
spark``, :mod:`~uplift_lab.io.spark`, need pyspark: that module is imported by itself
(``from uplift_lab.io import spark as spark_io``), never by this package.
"""

from __future__ import annotations

from uplift_lab.io.documents import json_ready, read_json, read_toml, to_json_text, write_json
from uplift_lab.io.excel import xlsx_bytes
from uplift_lab.io.files import (
    atomic_directory,
    atomic_path,
    read_bytes,
    refuse_existing_folder,
    sha256_file,
    write_bytes,
    write_text,
)
from uplift_lab.io.stream import (
    iter_table_batches,
    parquet_column_facts,
    parquet_rows,
    parquet_schema,
    parquet_sql,
    refuse_replacing_file,
    table_column_names,
    write_table_batches,
)
from uplift_lab.io.tables import (
    AUTO_ENCODINGS,
    CSV_SUFFIXES,
    ENCODING_FIX,
    PARQUET_SUFFIXES,
    TSV_SUFFIXES,
    XLS_SUFFIXES,
    XLSX_SUFFIXES,
    detect_encoding,
    normalize_encoding,
    output_format,
    read_arrow,
    read_table,
    table_format,
    write_table,
)

__all__ = [
    "AUTO_ENCODINGS",
    "CSV_SUFFIXES",
    "ENCODING_FIX",
    "PARQUET_SUFFIXES",
    "TSV_SUFFIXES",
    "XLSX_SUFFIXES",
    "XLS_SUFFIXES",
    "atomic_directory",
    "atomic_path",
    "detect_encoding",
    "iter_table_batches",
    "json_ready",
    "normalize_encoding",
    "output_format",
    "parquet_column_facts",
    "parquet_rows",
    "parquet_schema",
    "parquet_sql",
    "read_arrow",
    "read_bytes",
    "read_json",
    "read_table",
    "read_toml",
    "refuse_existing_folder",
    "sha256_file",
    "refuse_replacing_file",
    "table_column_names",
    "table_format",
    "to_json_text",
    "write_bytes",
    "write_json",
    "write_table",
    "write_table_batches",
    "write_text",
    "xlsx_bytes",
]
