"""Streaming (added for `score`: tables larger than memory, read and written in batches),
and what a Parquet footer tells without reading the data."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from uplift_lab.errors import InputError, input_error, usage_error
from uplift_lab.file_layout import DEFAULT_FILE_LAYOUT, FileLayout
from uplift_lab.io.excel import excel_column_names, xlsx_bytes
from uplift_lab.io.files import _check_readable, _first_line, atomic_path
from uplift_lab.io.layout import (
    CsvLayout,
    check_header,
    csv_layout,
    warn_title_lines,
    whole_number_columns,
    without_point_zero,
)
from uplift_lab.io.tables import (
    ENCODING_FIX,
    detect_encoding,
    normalize_encoding,
    output_format,
    read_arrow,
    refuse_names_of_parquet,
    table_format,
    text_frame_arrow,
    whitespace_text,
)


def refuse_replacing_file(
    path: Path,
    *,
    force: bool = False,
    written_by: str,
    marker: str,
    inputs: Sequence[Path | None] = (),
) -> None:
    """Refuse an output file that is one of the command's ``inputs`` (always), or that exists
    and is not an output of the command (no column starts with ``marker``) unless ``force``: a
    scores file or send list written again is replaced, an orders file named by mistake is not.
    Called before any work."""
    path = Path(path)
    if not path.exists():
        return
    for given in [Path(item) for item in inputs if item is not None]:
        if given.exists() and given.resolve() == path.resolve():
            raise usage_error(path, "is an input of this command", "Choose another {out}")
    if force:
        return
    try:
        names = table_column_names(path)
    except InputError:  # unreadable as a table: certainly not our output
        names = []
    if not any(str(name).startswith(marker) for name in names):
        raise usage_error(
            path,
            f"already exists and is not a {written_by} "
            f"(none of its columns starts with {marker!r})",
            "Use {force} to replace it, or another {out}",
        )


def table_column_names(
    path: Path, *, encoding: str | None = None, file_layout: FileLayout = DEFAULT_FILE_LAYOUT
) -> list[str]:
    """Column names of a CSV or Parquet file, reading only its header or schema (or the
    ``file_layout.names`` of a file without a header line)."""
    path = _check_readable(path)
    kind = table_format(path)
    refuse_names_of_parquet(path, kind, file_layout)
    if kind == "parquet":
        try:
            return list(pq.ParquetFile(path).schema_arrow.names)
        except (pa.ArrowException, OSError) as exc:
            raise input_error(path, f"not a readable Parquet file ({_first_line(exc)})") from None
    if kind in ("xlsx", "xls"):
        return excel_column_names(path, kind, file_layout)
    chosen = normalize_encoding(encoding) or detect_encoding(path)
    layout = csv_layout(path, kind, chosen)
    check_header(path, layout.header, file_layout.names, layout.skip_rows + 1)
    if file_layout.names:
        return list(file_layout.names)
    try:
        with open(path, encoding=chosen, newline="") as handle:
            if layout.whitespace:
                return next(itertools.islice(handle, layout.skip_rows, None), "").split()
            rows = csv.reader(handle, delimiter=layout.delimiter)
            return next(itertools.islice(rows, layout.skip_rows, None), [])
    except UnicodeDecodeError:
        raise usage_error(path, f"is not valid {chosen} text", ENCODING_FIX) from None


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
    file_layout: FileLayout = DEFAULT_FILE_LAYOUT,
) -> Iterator[pd.DataFrame]:
    """Yield a CSV or Parquet file as DataFrames of about ``batch_rows`` rows.

    ``columns`` (all must exist; check with :func:`table_column_names`) limits what is read.
    ``string_columns`` are read as text and ``file_layout`` applies, as in :func:`read_arrow`.
    """
    path = _check_readable(path)
    wanted = list(columns) if columns is not None else None
    kind = table_format(path)
    refuse_names_of_parquet(path, kind, file_layout)
    if kind in ("xlsx", "xls"):  # sheets fit in memory (Excel stops at 1,048,576 rows)
        table = read_arrow(path, string_columns=string_columns, file_layout=file_layout)
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
    layout = csv_layout(path, kind, chosen)
    names = file_layout.names
    check_header(path, layout.header, names, layout.skip_rows + 1)
    warn_title_lines(path, layout.skip_rows, layout.title)
    if layout.whitespace:
        yield from _whitespace_batches(
            path, chosen, string_columns, wanted, layout, names, batch_rows
        )
        return
    read_options = pa_csv.ReadOptions(
        encoding=chosen,
        block_size=64 << 20,
        skip_rows=layout.skip_rows,
        column_names=list(names) or None,
    )
    parse_options = pa_csv.ParseOptions(delimiter=layout.delimiter)
    convert_options = pa_csv.ConvertOptions(
        column_types={name: pa.string() for name in string_columns},
        strings_can_be_null=True,
        include_columns=wanted,
        decimal_point=layout.decimal_point,
    )
    try:
        reader = pa_csv.open_csv(
            path,
            read_options=read_options,
            parse_options=parse_options,
            convert_options=convert_options,
        )
        plain = None  # the whole-number text columns, as the first batch shows them
        for batch in _batches_of(reader, batch_rows):
            if plain is None:
                plain = whole_number_columns(batch, string_columns)
            yield without_point_zero(batch, plain).to_pandas()
    except UnicodeDecodeError:
        raise usage_error(path, f"is not valid {chosen} text", ENCODING_FIX) from None
    except pa.ArrowInvalid as exc:
        text = _first_line(exc)
        if "UTF8" in text or "utf-8" in text:
            raise usage_error(path, f"is not valid {chosen} text", ENCODING_FIX) from None
        raise input_error(
            path, f"malformed CSV ({text})", "Fix the file or export it again"
        ) from None


def _whitespace_batches(
    path: Path,
    encoding: str,
    string_columns: Sequence[str],
    wanted: Sequence[str] | None,
    layout: CsvLayout,
    names: Sequence[str],
    batch_rows: int,
) -> Iterator[pd.DataFrame]:
    """Whitespace-aligned text in DataFrames of ``batch_rows`` rows (see :func:`read_arrow`)."""
    try:
        chunks = whitespace_text(path, encoding, string_columns, wanted, layout, names, batch_rows)
        plain = None
        for chunk in chunks:
            table = text_frame_arrow(chunk)
            if plain is None:
                plain = whole_number_columns(table, string_columns)
            yield without_point_zero(table, plain).to_pandas()
    except UnicodeDecodeError:
        raise usage_error(path, f"is not valid {encoding} text", ENCODING_FIX) from None
    except pd.errors.ParserError as exc:
        raise input_error(
            path, f"malformed text ({_first_line(exc)})", "Fix the file or export it again"
        ) from None


def _batches_of(reader, batch_rows: int) -> Iterator[pa.Table]:
    """The CSV reader's record batches gathered into tables of about ``batch_rows`` rows."""
    pending: list[pa.RecordBatch] = []
    pending_rows = 0
    for batch in reader:
        pending.append(batch)
        pending_rows += batch.num_rows
        if pending_rows >= batch_rows:
            yield pa.Table.from_batches(pending)
            pending, pending_rows = [], 0
    if pending:
        yield pa.Table.from_batches(pending)


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
