"""The ``--engine``, ``--spark-master`` and ``--table`` options, shared by the commands that run
on Spark (segment, design, analyze, score, target). The Spark code lives in uplift_lab.spark."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
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


def run_target_spark(
    spark: Any,
    scores_file: Path | None,
    config: Any,
    *,
    out: Path,
    table: str | None = None,
    segments_file: Path | None = None,
    holdout: float = 0.1,
    experiment: Path | None = None,
    salt: str | None = None,
    start: str | None = None,
    report_dir: Path | None = None,
    force: bool = False,
    encoding: str | None = None,
) -> Any:
    """``target --engine spark``: :func:`uplift_lab.target.run_target`'s outputs (send list,
    holdout experiment folder, report) from the plan Spark computes
    (:func:`uplift_lab.spark.target.plan_campaign_spark`). Scores from a file or ``--table``."""
    from uplift_lab import design, io
    from uplift_lab import target as target_lib
    from uplift_lab.contracts import CUSTOMER_ID
    from uplift_lab.report import target_report
    from uplift_lab.spark import io as spark_io
    from uplift_lab.spark.session import spark_errors
    from uplift_lab.spark.target import plan_campaign_spark
    from uplift_lab.timeparse import parse_date_option

    out = Path(out)
    target_lib._check_options(config, out, holdout, experiment, force)
    if scores_file is None and table is None:
        raise InputError(
            "target: no SCORES file given. Pass the output of uplift-lab score, or --table"
        )
    start_date = None
    if start is not None:
        start_date = parse_date_option(start, "--start", "2026-11-01").date().isoformat()
    source = spark_io.input_label(scores_file, table)
    with spark_errors(source):
        scores = spark_io.read_frame(
            spark, scores_file, table=table, string_columns=[CUSTOMER_ID], encoding=encoding
        )
        segments = None
        if segments_file is not None:
            segments = spark_io.read_frame(
                spark, segments_file, string_columns=[CUSTOMER_ID], encoding=encoding
            )
        plan = plan_campaign_spark(scores, config, segments)
    warnings = []
    if plan.n_not_in_segments:
        warnings.append(
            f"{plan.n_not_in_segments:,} scored customer(s) are not in the segments file and are"
            " not eligible"
        )
    name = Path(experiment).name if experiment is not None else out.stem
    split = target_lib.split_holdout(plan.selected, holdout, name=name, salt=salt)
    summary = target_report.summary_dict(plan, split, None)
    summary.update(policy="model", engine="spark", send_list=str(out))
    summary["experiment"] = str(experiment) if split.design is not None else None
    written: list[Path] = []
    if split.design is not None:
        campaign = {
            **config.as_dict(),
            "start": start_date,
            "send_list": str(out),
            "scores_file": source,
            "policy": "model",
            "segments_file": str(segments_file) if segments_file else None,
            "holdout": holdout,
            "expected_cost": plan.selection.spent,
            "expected_profit": plan.selection.expected_profit,
        }
        is_file = scores_file is not None and Path(scores_file).is_file()
        design.write_experiment(
            split.design,
            experiment,
            input_file=source,
            input_sha256=io.sha256_file(scores_file) if is_file else None,
            force=force,
            campaign=campaign,
        )
        written.append(Path(experiment))
    written.append(io.write_table(split.send_list, out))
    if report_dir is not None:
        png = target_report.curve_png(plan)
        written.extend(target_lib._write_report(Path(report_dir), plan, summary, png))
    return target_lib.TargetOutcome(
        plan=plan,
        split=split,
        validation=None,
        summary=summary,
        warnings=tuple(warnings),
        written=tuple(written),
    )
