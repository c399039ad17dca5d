"""``score --engine spark``: LightGBM text boosters broadcast, applied per partition.

The model folder's files (LightGBM text boosters, model.json, manifest.json) are broadcast as
bytes; each Python worker loads them once, in memory, with
:func:`uplift_lab.uplift.store.model_from_files` (so the manifest check runs there too, and
nothing is unpickled from the folder). ``mapInPandas`` then calls
:func:`uplift_lab.uplift.scoring.score_frame`, the function ``score`` calls on DuckDB batches, on
each Arrow batch of a partition: the same code gives the same scores. The scores come back to
the driver as a DataFrame. :mod:`uplift_lab.workflows.score` opens the customers (through
:mod:`uplift_lab.io.spark`) and writes the scores.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema

from uplift_lab.errors import input_error, usage_error
from uplift_lab.uplift.data import ROW_ID
from uplift_lab.uplift.scoring import score_frame, with_reference_date
from uplift_lab.uplift.store import model_from_files
from uplift_lab.uplift.train import UpliftModel

_LOADED: dict[str, Any] = {}  # per Python worker: model folder digest -> loaded model


def _model_from_files(files: Mapping[str, bytes], as_of: str | None, folder: str) -> Any:
    """Load (once per worker process) the model whose files are ``files``."""
    digest = hashlib.sha256(b"".join(k.encode() + v for k, v in sorted(files.items()))).hexdigest()
    key = f"{digest}:{as_of}"
    if key not in _LOADED:
        model = model_from_files(files, Path(folder))  # checks every file against the manifest
        _LOADED[key] = with_reference_date(model, as_of) if as_of is not None else model
    return _LOADED[key]


def check_spark_model(model: UpliftModel, model_dir: Path) -> None:
    """Refuse a model Spark cannot apply (before the customers are read)."""
    if model.id_col == ROW_ID:
        raise usage_error(
            model_dir,
            "was trained without an id column (ids are row numbers), which {engine=spark} "
            "cannot number in a distributed table",
            "Train with {id_col}, or use {engine=duckdb}",
        )


def score_spark(
    frame: DataFrame,
    model: UpliftModel,
    files: Mapping[str, bytes],
    *,
    source: str,
    model_dir: Path,
    as_of: str | None = None,
) -> pd.DataFrame:
    """Score the customers of ``frame`` (which errors call ``source``) with Spark: one row per
    customer.

    ``model`` is the model loaded (and checked) on the driver, with ``as_of`` applied;
    ``files`` its folder's files, which travel to the executors. ``frame`` has the id and the
    categorical features as text. The rows keep the input's order (Spark keeps partition order
    of a file); ids must be unique, as on DuckDB.
    """
    check_spark_model(model, model_dir)
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
    spark_schema = from_arrow_schema(schema)
    shared = frame.sparkSession.sparkContext.broadcast(dict(files))
    label, folder = str(source), str(model_dir)

    def score_batches(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        scorer = _model_from_files(shared.value, as_of, folder)
        for batch in batches:
            yield score_frame(scorer, batch, label)

    scored = frame.mapInPandas(score_batches, schema=spark_schema)
    table_out = scored.toArrow().cast(schema)
    return table_out.to_pandas()
