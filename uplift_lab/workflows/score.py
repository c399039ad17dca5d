"""`score`: a model folder and customers -> one row of scores per customer, written atomically.

On DuckDB the customers are read and written in batches (:func:`score_file`), so millions of
customers fit in memory; with ``--engine spark`` the model's files travel to the executors and
:func:`uplift_lab.spark.score.score_spark` scores each partition with the same
:func:`uplift_lab.uplift.scoring.score_frame`. Either way the scores file is written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from uplift_lab import io
from uplift_lab.errors import ParameterError, input_error, usage_error
from uplift_lab.uplift.data import ROW_ID
from uplift_lab.uplift.scoring import score_frame, with_reference_date
from uplift_lab.uplift.train import UpliftModel
from uplift_lab.workflows.model_folder import load_model


@dataclass(frozen=True, slots=True)
class ScoreSummary:
    """What ``score_file`` wrote."""

    out: Path
    rows: int
    columns: tuple[str, ...]


def score_customers(
    model_dir: Path,
    customers: Path | None,
    out: Path,
    *,
    batch_rows: int = 500_000,
    encoding: str | None = None,
    as_of: str | None = None,
    spark: Any = None,
    table: str | None = None,
    force: bool = False,
) -> ScoreSummary:
    """Load ``model_dir`` and score ``customers`` (or a Spark ``table``) into ``out``; an
    existing ``out`` that is not a scores file is refused unless ``force``."""
    # (an --out that is the customers file is refused by score_file, in its own words)
    io.refuse_replacing_file(out, force=force, written_by="scores file", marker="uplift_")
    if spark is not None:
        rows, columns = score_on_spark(
            spark, model_dir, customers, out, table=table, encoding=encoding, as_of=as_of
        )
        return ScoreSummary(Path(out), rows, columns)
    model = load_model(model_dir)
    return score_file(model, customers, out, batch_rows=batch_rows, encoding=encoding, as_of=as_of)


def _text_columns(model: UpliftModel) -> list[str]:
    """The columns read as text: the id and the categorical features."""
    return [model.id_col] + [s.name for s in model.specs if s.kind == "categorical"]


def _feature_columns(model: UpliftModel, customers: Path, encoding: str | None) -> list[str]:
    """The columns read from ``customers``: the id (when there) and the model's features."""
    available = set(io.table_column_names(customers, encoding=encoding))
    features = [spec.name for spec in model.specs]
    missing = [name for name in features if name not in available]
    if missing:
        raise input_error(
            customers,
            f"missing feature column(s) {', '.join(missing)} that the model was trained on",
            "Add them with the same names as in training",
        )
    has_ids = model.id_col in available
    if not has_ids and model.id_col != ROW_ID:
        raise input_error(
            customers,
            f"missing id column '{model.id_col}' (the model's id column)",
            "Add it, with the same name as in training",
        )
    return ([model.id_col] if has_ids else []) + features


def score_file(
    model: UpliftModel,
    customers: Path,
    out: Path,
    *,
    batch_rows: int = 500_000,
    encoding: str | None = None,
    as_of: str | None = None,
) -> ScoreSummary:
    """Score a customer file in batches of ``batch_rows`` and write one row per customer.

    Only the id and feature columns are read; missing feature columns are an error naming them
    all, extra columns are ignored. Without an id column in training (ids were row numbers), row
    numbers are used again. Integer ids stay integers. Date features count days before the
    training's reference date, or before ``as_of`` (the next campaign's start) when given. The
    output is written atomically.
    """
    if as_of is not None:
        model = with_reference_date(model, as_of)
    if batch_rows < 1:
        raise ParameterError("batch_rows", "must be at least 1", batch_rows)
    if Path(out).resolve() == Path(customers).resolve():
        raise usage_error(out, "{out} is the customers file", "Choose another {out}")
    columns = _feature_columns(model, customers, encoding)
    text_columns = _text_columns(model)

    written = {"columns": ()}

    def batches():
        offset = 0
        id_hashes = []  # 8 bytes per customer: duplicates across batches are found at the end
        for frame in io.iter_table_batches(
            customers,
            columns=columns,
            string_columns=text_columns,
            batch_rows=batch_rows,
            encoding=encoding,
        ):
            scored = score_frame(model, frame, customers, row_offset=offset)
            ids = scored[model.id_col]
            id_hashes.append(pd.util.hash_pandas_object(ids, index=False).to_numpy())
            written["columns"] = tuple(scored.columns)
            yield scored
            offset += len(frame)
        if offset == 0:
            raise input_error(customers, "has no rows", "Pass a file with at least one customer")
        # Raised before the output is moved into place, so no file is left behind.
        _refuse_duplicate_ids(np.concatenate(id_hashes), customers, model.id_col)

    rows = io.write_table_batches(batches(), out)
    return ScoreSummary(Path(out), rows, written["columns"])


def _refuse_duplicate_ids(hashes: np.ndarray, source: object, id_col: str) -> None:
    ordered = np.sort(hashes)
    repeats = int(np.count_nonzero(ordered[1:] == ordered[:-1]))
    if repeats:
        raise input_error(
            source,
            f"column '{id_col}' has {repeats} duplicate id(s)",
            "Each customer must appear once; deduplicate the file",
        )


def model_files(folder: Path) -> dict[str, bytes]:
    """Every file of a model folder (the manifest lists them all, so all travel)."""
    return {
        path.name: io.read_bytes(path)
        for path in sorted(Path(folder).iterdir())
        if path.is_file() and not path.name.startswith(".")
    }


def score_on_spark(
    spark: Any,
    model_dir: Path,
    customers: Path | None,
    out: Path,
    *,
    table: str | None = None,
    encoding: str | None = None,
    as_of: str | None = None,
) -> tuple[int, tuple[str, ...]]:
    """Score customers (a file, folder or warehouse table) with Spark and write ``out``.

    Returns (rows, columns). The rows keep the input's order (Spark keeps partition order of a
    file); ids must be unique, as on DuckDB.
    """
    from uplift_lab.io import spark as spark_io  # optional: pyspark
    from uplift_lab.spark.score import check_spark_model, score_spark

    model = load_model(model_dir)  # the driver checks the whole folder first
    if as_of is not None:
        model = with_reference_date(model, as_of)
    check_spark_model(model, model_dir)
    frame = spark_io.read_frame(
        spark, customers, table=table, string_columns=_text_columns(model), encoding=encoding
    )
    result = score_spark(
        frame, model, model_files(model_dir), source=spark_io.input_label(customers, table),
        model_dir=model_dir, as_of=as_of,
    )  # fmt: skip
    io.write_table(result, out)
    return len(result), tuple(result.columns)
