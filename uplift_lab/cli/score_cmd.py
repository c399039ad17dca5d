"""CLI: `score` (a model folder and customers -> one row of scores per customer)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from uplift_lab.cli._common import EncodingOption, console, report_errors, spinner
from uplift_lab.cli._engine import (
    DEFAULT_MASTER,
    Engine,
    EngineOption,
    SparkMasterOption,
    TableOption,
    spark_for,
)

SCORE_HELP = (
    "Score customers with a trained model: one row per customer with uplift_conversion, "
    "uplift_revenue (expected incremental revenue if messaged), p_control, p_treated, plus "
    "per-arm columns (uplift_conversion_<arm>, ...). Uplift columns are calibrated on the "
    "training's held-out predictions; the model's raw predictions are kept as raw_uplift_*. "
    "Ids keep their type (integer ids stay integers). Reads and writes in batches, so millions "
    "of customers fit in memory. Missing feature columns are an error; extra columns are ignored."
)


def register(app: typer.Typer) -> None:
    """Add the `score` command to ``app``."""

    @app.command("score", help=SCORE_HELP)
    @report_errors
    def score(
        model_dir: Annotated[
            Path,
            typer.Argument(exists=True, file_okay=False, help="Model folder written by train."),
        ],
        out: Annotated[
            Path,
            typer.Option("--out", dir_okay=False, help="Scores file, .parquet or .csv (atomic)."),
        ],
        customers: Annotated[
            Path | None,
            typer.Argument(
                exists=True,
                dir_okay=True,
                help="Customers to score (CSV/Parquet), with features (with --engine spark also "
                "a folder of them, or none with --table).",
            ),
        ] = None,
        batch_rows: Annotated[
            int, typer.Option("--batch-rows", help="Customers scored per batch (memory bound).")
        ] = 500_000,
        as_of: Annotated[
            str | None,
            typer.Option(
                "--as-of",
                help="Date features count days before this date (the next campaign's start). "
                "Default: the training's reference date.",
            ),
        ] = None,
        force: Annotated[
            bool,
            typer.Option("--force", help="Replace an existing --out that is not a scores file."),
        ] = False,
        encoding: EncodingOption = "auto",
        engine: EngineOption = Engine.duckdb,
        spark_master: SparkMasterOption = DEFAULT_MASTER,
        table: TableOption = None,
    ) -> None:
        from uplift_lab.errors import InputError
        from uplift_lab.workflows.score import score_customers

        if (customers is None) == (table is None):
            raise InputError("score: pass CUSTOMERS (a file) or --table, one of them")
        if customers is not None and customers.is_dir() and engine != Engine.spark:
            raise InputError(f"{customers}: is a folder; pass a file, or use --engine spark")
        spark = spark_for(engine, spark_master, table)
        if spark is not None:
            from uplift_lab.spark.session import spark_errors

            with spark_errors(customers or f"table {table}"), spinner("scoring on Spark"):
                summary = score_customers(model_dir, customers, out, encoding=encoding, as_of=as_of,
                                          spark=spark, table=table, force=force)  # fmt: skip
        else:
            with spinner(f"scoring {customers.name}"):
                summary = score_customers(
                    model_dir, customers, out, batch_rows=batch_rows, encoding=encoding,
                    as_of=as_of, force=force,
                )  # fmt: skip
        console.print(f"Scored {summary.rows:,} customers -> {summary.out}")
        console.print(f"Columns: {', '.join(summary.columns)}")
