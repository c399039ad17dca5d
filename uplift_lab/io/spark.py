"""Spark's readers: inputs of ``--engine spark`` as Spark DataFrames (outputs go through io).

An input is a Parquet or CSV file, a directory of them (what Spark and Hive write), or a
warehouse table (``--table db.orders``). Identifier columns are read as text, as on DuckDB (a
CSV's ``007`` stays ``007``). The Spark steps (:mod:`uplift_lab.spark`) take the frames these
readers open and return results to the driver, which the workflows write with
:mod:`uplift_lab.io` (atomic writes, the same bytes as the DuckDB path).

This module needs pyspark: ``import uplift_lab.io`` never imports it; only the workflows'
Spark branches do, after :func:`uplift_lab.spark.session.spark_session` has started a session
(the one place a missing pyspark becomes a one-line error).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet  # noqa: F401  (pa.parquet.read_schema)
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from uplift_lab.errors import UsageError, input_error, literal, usage_error


def input_label(path: Path | str | None, table: str | None) -> str:
    """What error messages call the input: the path, or ``table db.orders``."""
    return f"table {table}" if table else str(path)


def input_format(path: Path) -> str:
    """``parquet`` or ``csv``: how Spark reads ``path`` (a file, or a folder of them)."""
    if path.is_dir():
        names = [p.name.lower() for p in path.rglob("*") if p.is_file() and p.name[0] not in "._"]
        if any(name.endswith(".parquet") for name in names):
            return "parquet"
        if any(name.endswith((".csv", ".csv.gz", ".txt")) for name in names):
            return "csv"
        raise input_error(
            path, "is a folder without .parquet or .csv files", "Pass a file, or a folder of them"
        )
    suffix = "".join(path.suffixes[-2:]).lower()
    if path.suffix.lower() == ".parquet":
        return "parquet"
    if path.suffix.lower() in (".csv", ".txt") or suffix.endswith(".csv.gz"):
        return "csv"
    raise usage_error(
        path,
        f"{{engine=spark}} reads Parquet or CSV, not '{literal(path.suffix or path.name)}'",
        "Convert it (uplift-lab reads Excel with {engine=duckdb}), or pass a folder of Parquet",
    )


def read_frame(
    spark: SparkSession,
    path: Path | str | None,
    *,
    table: str | None = None,
    string_columns: Sequence[str] = (),
    encoding: str | None = None,
) -> DataFrame:
    """A Spark DataFrame of ``path`` (file or folder) or of warehouse ``table``.

    ``string_columns`` are read as text (CSV: not inferred; Parquet/tables: cast).
    """
    if table:
        try:
            frame = spark.table(table)
        except Exception:
            raise UsageError(
                f"{{table}} {literal(table)}: no such table in the Spark catalog. Check the name "
                "(db.table) and that the session sees the warehouse (spark-submit on the cluster)"
            ) from None
    else:
        path = Path(path)
        if not path.exists():
            raise input_error(path, "does not exist", "Check the path")
        kind = input_format(path)
        if kind == "parquet":
            frame = _timestamps_from_nanos(spark.read.parquet(str(path)), path)
        else:
            if encoding and encoding.lower().replace("-", "") not in ("utf8", "auto"):
                options = {"encoding": encoding}
            else:
                options = {"encoding": "UTF-8"}
            reader = spark.read.options(header=True, multiLine=False, **options)
            inferred = reader.options(inferSchema=True).csv(str(path)).schema
            schema = StructType(
                [
                    StructField(f.name, StringType(), True)
                    if f.name in string_columns
                    else StructField(f.name, f.dataType, True)
                    for f in inferred.fields
                ]
            )
            frame = reader.schema(schema).csv(str(path))
    for column in string_columns:
        if column in frame.columns and frame.schema[column].dataType != StringType():
            frame = frame.withColumn(column, F.col(column).cast("string"))
    return frame


def _parquet_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*.parquet") if p.name[0] not in "._")


def _timestamps_from_nanos(frame: DataFrame, path: Path) -> DataFrame:
    """Parquet written by pandas stores nanosecond timestamps, which Spark reads as longs
    (``spark.sql.legacy.parquet.nanosAsLong``): turn them back into timestamps (microseconds)."""
    files = _parquet_files(path)
    if not files:
        return frame
    schema = pa.parquet.read_schema(files[0])
    for field in schema:
        if pa.types.is_timestamp(field.type) and field.type.unit == "ns":
            if field.name in frame.columns:
                micros = F.floor(F.col(field.name) / 1000).cast("long")
                frame = frame.withColumn(field.name, F.timestamp_micros(micros))
    return frame
