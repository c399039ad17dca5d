"""``score --engine spark``: LightGBM text boosters broadcast, applied per partition.

The model folder's files (LightGBM text boosters, model.json, manifest.json) are broadcast as
text; each Python worker writes them to a private temporary folder once and loads them with
:func:`uplift_lab.uplift.store.load_model` (so the manifest check runs there too, and nothing
is unpickled from the folder). ``mapInPandas`` then calls
:func:`uplift_lab.uplift.train.score_frame`, the function ``score`` calls on DuckDB batches, on
each Arrow batch of a partition: the same code gives the same scores.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from uplift_lab import io
from uplift_lab.errors import input_error
from uplift_lab.spark import io as spark_io
from uplift_lab.uplift.data import ROW_ID

_LOADED: dict[str, Any] = {}  # per Python worker: model folder digest -> loaded model


def model_files(folder: Path) -> dict[str, bytes]:
    """Every file of a model folder (the manifest lists them all, so all travel)."""
    return {
        path.name: path.read_bytes()
        for path in sorted(Path(folder).iterdir())
        if path.is_file() and not path.name.startswith(".")
    }


def _model_from_files(files: dict[str, bytes], as_of: str | None) -> Any:
    """Load (once per worker process) the model whose files are ``files``."""
    from uplift_lab.uplift.store import load_model, with_reference_date

    digest = hashlib.sha256(b"".join(k.encode() + v for k, v in sorted(files.items()))).hexdigest()
    key = f"{digest}:{as_of}"
    if key not in _LOADED:
        folder = Path(tempfile.mkdtemp(prefix="uplift-lab-model-"))
        for name, data in files.items():
            (folder / name).write_bytes(data)
        model = load_model(folder)  # checks every file against manifest.json again
        _LOADED[key] = with_reference_date(model, as_of) if as_of is not None else model
    return _LOADED[key]


def score_spark(
    spark: Any,
    model_dir: Path,
    customers: Path | None,
    out: Path,
    *,
    table: str | None = None,
    encoding: str | None = None,
    as_of: str | None = None,
) -> tuple[int, tuple[str, ...]]:
    """Score customers (a file, folder or warehouse table) with Spark; write ``out`` via io.py.

    Returns (rows, columns). The rows keep the input's order (Spark keeps partition order of a
    file); ids must be unique, as on DuckDB.
    """
    from pyspark.sql import functions as F

    from uplift_lab.uplift.store import load_model, with_reference_date
    from uplift_lab.uplift.train import score_frame

    model = load_model(model_dir)  # the driver checks the whole folder first
    if as_of is not None:
        model = with_reference_date(model, as_of)
    source = spark_io.input_label(customers, table)
    if model.id_col == ROW_ID:
        raise input_error(
            model_dir,
            "was trained without an id column (ids are row numbers), which --engine spark "
            "cannot number in a distributed table",
            "Train with --id-col, or use --engine duckdb",
        )
    text_columns = [model.id_col] + [s.name for s in model.specs if s.kind == "categorical"]
    frame = spark_io.read_frame(
        spark, customers, table=table, string_columns=text_columns, encoding=encoding
    )
    features = [spec.name for spec in model.specs]
    missing = [name for name in features if name not in frame.columns]
    if missing:
        raise input_error(
            source,
            f"missing feature column(s) {', '.join(missing)} that the model was trained on",
            "Add them with the same names as in training",
        )
    if model.id_col not in frame.columns:
        raise input_error(
            source,
            f"missing id column '{model.id_col}' (the model's id column)",
            "Add it, with the same name as in training",
        )
    frame = frame.select(model.id_col, *features)
    counts = frame.agg(
        F.count(F.lit(1)).alias("rows"), F.countDistinct(model.id_col).alias("ids")
    ).first()
    if counts["rows"] == 0:
        raise input_error(source, "has no rows", "Pass a file with at least one customer")
    if counts["ids"] != counts["rows"]:
        raise input_error(
            source,
            f"column '{model.id_col}' has {counts['rows'] - counts['ids']} duplicate id(s)",
            "Each customer must appear once; deduplicate the file",
        )
    probe = score_frame(model, frame.limit(10).toPandas(), source)
    schema = pa.Schema.from_pandas(probe, preserve_index=False)
    from pyspark.sql.pandas.types import from_arrow_schema

    spark_schema = from_arrow_schema(schema)
    files = spark.sparkContext.broadcast(model_files(model_dir))
    label = str(source)

    def score_batches(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        scorer = _model_from_files(files.value, as_of)
        for batch in batches:
            yield score_frame(scorer, batch, label)

    scored = frame.mapInPandas(score_batches, schema=spark_schema)
    table_out = spark_io.to_arrow(scored).cast(schema)
    result = table_out.to_pandas()
    io.write_table(result, out)
    return len(result), tuple(result.columns)
