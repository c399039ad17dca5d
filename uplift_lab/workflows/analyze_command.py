"""The `analyze` command's one workflow: pick the path its input asks for (an experiment folder
with its outcomes, on DuckDB or Spark; a flat table; a table of aggregated cells) and return the
analysis, with the touches of a schedule and the response per hour or day where asked."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from uplift_lab.analysis_results import Analysis, AnalysisOptions
from uplift_lab.columnmap import InputSpec, resolve_inputs
from uplift_lab.contracts import AMOUNT, CUSTOMER_ID, ORDER_TIME
from uplift_lab.errors import UsageError, usage_error
from uplift_lab.outcomes import CONVERTED, REVENUE
from uplift_lab.timeparse import TimeParsing
from uplift_lab.workflows.analyze import FlatColumns, analyze_cells_file, analyze_flat_file
from uplift_lab.workflows.experiment_folder import load_experiment
from uplift_lab.workflows.inputs import read_column_map
from uplift_lab.workflows.timing import analyze_folder


@dataclass(frozen=True, slots=True)
class OrderReading:
    """How an orders file is read: a preset or column map, status and refund rules, dates."""

    preset: str | None = None
    columns: Path | None = None  # a column map file
    status_col: str | None = None
    paid_status: tuple[str, ...] = ()
    exclude_status: tuple[str, ...] = ()
    refund_col: str | None = None
    refund_rows: bool = False
    date_format: str | None = None
    dayfirst: bool | None = None
    timezone: str | None = None


@dataclass(frozen=True, slots=True)
class AnalyzeRequest:
    """What `analyze` is asked to read and which steps to add (the CLI's options, parsed)."""

    input_path: Path
    outcomes: Path | None = None
    table: str | None = None  # a warehouse table of outcomes (Spark)
    aggregated: bool = False
    control: str | None = None  # as given (None: from design.json, else refused for a table)
    arm_col: str = "arm"
    conversion_col: str = CONVERTED
    positive: str | None = None
    revenue_col: str | None = None
    segment_col: str | None = None
    covariate: str | None = None
    start: str | None = None
    window_days: int | None = None
    customer_col: str = CUSTOMER_ID
    time_col: str = ORDER_TIME
    amount_col: str = AMOUNT
    encoding: str | None = None
    orders: OrderReading = OrderReading()
    schedule_dir: Path | None = None
    unit: str | None = None  # "hour" or "day": the response per slice of the window


def run_analyze(request: AnalyzeRequest, options: AnalysisOptions, spark: Any = None) -> Analysis:
    """The analysis ``request`` asks for (``spark``: a session for --engine spark)."""
    _check_steps(request)
    if spark is not None:
        return _analyze_on_spark(spark, request, options)
    if request.aggregated:
        return _analyze_aggregated(request, options)
    if request.input_path.is_dir():
        return _analyze_folder(request, options)
    if request.outcomes is not None:
        raise UsageError(
            "{outcomes} is for experiment folders; a flat table already holds the outcomes"
        )
    columns = FlatColumns(
        arm=request.arm_col,
        conversion=request.conversion_col,
        revenue=request.revenue_col,
        segment=request.segment_col,
        covariate=request.covariate,
        positive=request.positive,
    )
    return analyze_flat_file(request.input_path, columns, options, encoding=request.encoding)


def _check_steps(request: AnalyzeRequest) -> None:
    """--schedule, --by-hour and --by-day go with an experiment folder (and an orders file)."""
    on_folder = not request.aggregated and request.input_path.is_dir()
    if request.schedule_dir is not None and not on_folder:
        raise UsageError(
            "{schedule} goes with an experiment folder and an orders file ({outcomes=ORDERS})"
        )
    if request.unit is not None and not on_folder:
        raise UsageError(
            f"{{by_{request.unit}}} goes with an experiment folder and an orders file "
            "({outcomes=ORDERS})"
        )


def _analyze_folder(request: AnalyzeRequest, options: AnalysisOptions) -> Analysis:
    """An experiment folder against its outcomes (a per-customer table or an orders file)."""
    if request.positive is not None:
        raise UsageError("{positive} is for flat tables; outcomes files hold 0/1 conversions")
    if request.outcomes is None:
        raise usage_error(
            request.input_path,
            "an experiment folder needs {outcomes=FILE} (per-customer outcomes or an orders file)",
        )
    return analyze_folder(
        request.input_path,
        request.outcomes,
        options,
        schedule_dir=request.schedule_dir,
        unit=request.unit,
        start=request.start,
        window_days=request.window_days,
        conversion_col=request.conversion_col,
        revenue_col=request.revenue_col,
        customer_col=request.customer_col,
        time_col=request.time_col,
        amount_col=request.amount_col,
        covariate=request.covariate,
        encoding=request.encoding,
        inputs=_order_inputs(request),
    )


def _order_inputs(request: AnalyzeRequest) -> InputSpec:
    """The InputSpec of the orders options (read only for an experiment folder)."""
    orders = request.orders
    return resolve_inputs(
        preset=orders.preset,
        columns=read_column_map(orders.columns) if orders.columns is not None else None,
        customer_col=request.customer_col,
        time_col=request.time_col,
        amount_col=request.amount_col,
        status_col=orders.status_col,
        paid_statuses=orders.paid_status,
        excluded_statuses=orders.exclude_status,
        refund_col=orders.refund_col,
        refund_rows=orders.refund_rows,
        parsing=TimeParsing(
            date_format=orders.date_format, dayfirst=orders.dayfirst, timezone=orders.timezone
        ),
    )


def _analyze_on_spark(spark: Any, request: AnalyzeRequest, options: AnalysisOptions) -> Analysis:
    """--engine spark: an experiment folder and its outcomes (a file, folder or --table)."""
    from uplift_lab.spark.session import spark_errors

    input_path, outcomes, table = request.input_path, request.outcomes, request.table
    if not input_path.is_dir():
        raise usage_error(
            input_path,
            "{engine=spark} analyses an experiment folder with {outcomes} (or {table}); a flat "
            "table is analysed with {engine=duckdb}",
        )
    if (outcomes is None) == (table is None):
        raise usage_error(input_path, "pass the outcomes with {outcomes} or {table}, one of them")
    with spark_errors(outcomes or f"table {table}"):
        return analyze_folder_on_spark(
            spark,
            input_path,
            outcomes,
            options,
            table=table,
            start=request.start,
            window_days=request.window_days,
            conversion_col=request.conversion_col,
            revenue_col=request.revenue_col,
            customer_col=request.customer_col,
            covariate=request.covariate,
            encoding=request.encoding,
        )


def analyze_folder_on_spark(
    spark: Any,
    folder: Path,
    outcomes: Path | None,
    options: AnalysisOptions,
    *,
    table: str | None = None,
    start: str | None = None,
    window_days: int | None = None,
    conversion_col: str = CONVERTED,
    revenue_col: str | None = REVENUE,
    customer_col: str = CUSTOMER_ID,
    covariate: str | None = None,
    encoding: str | None = None,
) -> Analysis:
    """:func:`uplift_lab.workflows.analyze.analyze_experiment_folder` with the outcomes
    (``outcomes`` a file or folder, or warehouse ``table``) read and reduced by Spark
    (:func:`uplift_lab.spark.analyze.analyze_experiment_spark`)."""
    from uplift_lab.io import spark as spark_io  # optional: pyspark
    from uplift_lab.spark.analyze import analyze_experiment_spark, check_spark_options

    experiment = load_experiment(folder)
    check_spark_options(options, experiment.path)  # refused before the outcomes are read
    frame = spark_io.read_frame(
        spark, outcomes, table=table, string_columns=[customer_col], encoding=encoding
    )
    if customer_col != CUSTOMER_ID and customer_col in frame.columns:
        frame = frame.drop(CUSTOMER_ID).withColumnRenamed(customer_col, CUSTOMER_ID)
    return analyze_experiment_spark(
        experiment,
        frame,
        options,
        source=spark_io.input_label(outcomes, table),
        start=start,
        window_days=window_days,
        conversion_col=conversion_col,
        revenue_col=revenue_col,
        covariate=covariate,
    )


def _analyze_aggregated(request: AnalyzeRequest, options: AnalysisOptions) -> Analysis:
    """--aggregated: refuse the options that need rows, then analyse the cells table."""
    input_path = request.input_path
    if input_path.is_dir():
        raise usage_error(
            input_path, "{aggregated} reads a table of cells (CSV/Parquet), not a folder"
        )
    for name, given in (("outcomes", request.outcomes), ("positive", request.positive),
                        ("cap_quantile", options.cap_quantile)):  # fmt: skip
        if given is not None:
            need = "one row per customer" if name == "cap_quantile" else "a per-customer table"
            raise UsageError(
                f"{{{name}}} needs {need}, and {{aggregated}} reads cells (sufficient statistics "
                f"per segment x arm). Leave out {{{name}}}, or analyse the per-customer table"
            )
    if not options.control:
        raise usage_error(input_path, "{aggregated} needs {control=LABEL} (the holdout arm)")
    return analyze_cells_file(
        input_path,
        options,
        arm_column=request.arm_col,
        segment_column=request.segment_col,
        encoding=request.encoding,
    )
