"""`design`: a customer table -> an experiment folder (assignment.parquet, design.json).

Reads the customers (with DuckDB/pandas, or with Spark through :mod:`uplift_lab.io.spark` for
``--engine spark``) and, with ``--baseline-from``, a past ``analyze`` report.json; calls the
pure step (:func:`uplift_lab.design.design_experiment` or
:func:`uplift_lab.spark.design.design_experiment_spark`) with one
:class:`~uplift_lab.design_spec.DesignSpec`; writes the folder through
:func:`uplift_lab.experiment.write_experiment`. An existing non-empty folder is refused before
any work unless ``force``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from uplift_lab import io
from uplift_lab.contracts import CUSTOMER_ID, validate_customers
from uplift_lab.design import ExperimentDesign, baselines_from_report, design_experiment
from uplift_lab.design_spec import DesignSpec, resolve_spec
from uplift_lab.errors import literal, usage_error
from uplift_lab.workflows.experiment_folder import refuse_existing, write_experiment


def read_baseline_report(path: Path) -> dict[str, float]:
    """Control conversion rate per segment of a past ``analyze`` report.json ("all": overall)."""
    return baselines_from_report(io.read_json(path), source=path)


def _spec(
    spec: DesignSpec | None, baseline_from: Path | None, changes: dict[str, Any]
) -> DesignSpec:
    """The spec (or its fields as keywords), with the control rates of ``baseline_from``."""
    spec = resolve_spec(spec, changes)
    if baseline_from is not None:
        spec = spec.with_fields(baseline_report=read_baseline_report(Path(baseline_from)))
    return spec


def create_experiment(
    input_path: Path | None,
    *,
    out: Path,
    spec: DesignSpec | None = None,
    force: bool = False,
    encoding: str | None = None,
    customer_col: str = CUSTOMER_ID,
    baseline_from: Path | None = None,
    spark: Any = None,
    table: str | None = None,
    **changes: Any,
) -> tuple[ExperimentDesign, dict[str, Any]]:
    """Read a customer table, design the experiment, write the folder ``out``; return both.

    ``spec`` (or its fields as keywords) says what to design; ``baseline_from`` is a past
    report.json whose control rates become the baselines. With a ``spark`` session the
    customers are read and assigned by Spark (``input_path`` may be a folder, or None with a
    catalog ``table``): :func:`create_experiment_spark`.
    """
    if spark is not None:
        from uplift_lab.spark.session import spark_errors

        with spark_errors(input_path or f"table {table}"):
            return create_experiment_spark(
                input_path,
                out=out,
                spark=spark,
                table=table,
                spec=_spec(spec, baseline_from, changes),
                force=force,
                encoding=encoding,
                customer_col=customer_col,
            )
    spec = _spec(spec, baseline_from, changes)
    input_path, out = Path(input_path), Path(out)
    refuse_existing(out, force)
    frame = io.read_table(input_path, encoding=encoding, string_columns=[customer_col])
    customers = validate_customers(frame, input_path, customer_col=customer_col, read_signup=False)
    design = design_experiment(customers, spec, source=input_path)
    meta = write_experiment(
        design,
        out,
        input_file=str(input_path),
        input_sha256=io.sha256_file(input_path),
        force=force,
    )
    return design, meta


def create_experiment_spark(
    input_path: Path | None,
    *,
    out: Path,
    spark: Any,
    table: str | None = None,
    spec: DesignSpec | None = None,
    force: bool = False,
    encoding: str | None = None,
    customer_col: str = CUSTOMER_ID,
    **changes: Any,
) -> tuple[ExperimentDesign, dict[str, Any]]:
    """:func:`create_experiment` reading and assigning the customers with Spark."""
    from uplift_lab.io import spark as spark_io  # optional: pyspark
    from uplift_lab.spark.design import design_experiment_spark

    spec = resolve_spec(spec, changes)
    out = Path(out)
    refuse_existing(out, force)
    source = spark_io.input_label(input_path, table)
    frame = spark_io.read_frame(
        spark, input_path, table=table, string_columns=[customer_col], encoding=encoding
    )
    if customer_col != CUSTOMER_ID:
        if customer_col not in frame.columns:
            raise usage_error(
                source, f"missing column '{literal(customer_col)}'", "Map it with {customer_col}"
            )
        frame = frame.drop(CUSTOMER_ID).withColumnRenamed(customer_col, CUSTOMER_ID)
    design = design_experiment_spark(frame, spec, source=source)
    is_file = input_path is not None and Path(input_path).is_file()
    meta = write_experiment(
        design,
        out,
        input_file=str(input_path) if input_path is not None else f"table {table}",
        input_sha256=io.sha256_file(Path(input_path)) if is_file else None,
        force=force,
    )
    return design, meta
