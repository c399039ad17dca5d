"""The ``--engine``, ``--spark-master`` and ``--table`` options, shared by the commands that run
on Spark (segment, design, analyze, score, target). The Spark code lives in uplift_lab.spark."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from uplift_lab.errors import InputError


class Engine(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


EngineOption = Annotated[
    Engine,
    typer.Option(
        "--engine",
        help="Where the computation runs: duckdb (this machine, the default) or spark (a Spark "
        "session; pip install -e '.\\[spark]'). Both give the same result.",
        case_sensitive=False,
    ),
]
SparkMasterOption = Annotated[
    str,
    typer.Option(
        "--spark-master",
        help="Spark master URL for --engine spark: local[*], local[2], spark://host:7077, yarn "
        "(under spark-submit the session it starts is used).",
    ),
]
TableOption = Annotated[
    str | None,
    typer.Option(
        "--table",
        help="With --engine spark: read this warehouse table (db.table) instead of a file.",
    ),
]
DEFAULT_MASTER = "local[*]"


def spark_for(engine: Engine, master: str, table: str | None = None) -> Any:
    """The Spark session for ``--engine spark`` (None for duckdb; --table needs spark)."""
    if engine != Engine.spark:
        if table is not None:
            raise InputError(f"--table {table} needs --engine spark (DuckDB reads files)")
        return None
    from uplift_lab.spark.session import spark_session

    return spark_session(master)


def refuse_on_spark(engine: Engine, **options: object) -> None:
    """One line naming the first given option that --engine spark does not support."""
    if engine != Engine.spark:
        return
    for flag, value in options.items():
        if value not in (None, False, [], ()):
            name = "--" + flag.replace("_", "-")
            raise InputError(
                f"{name} is not supported with --engine spark yet. Leave it out, or use "
                "--engine duckdb"
            )
