"""CLI for `uplift-lab segment`: order log -> one row per customer (lifecycle, RFM, spend band)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from uplift_lab.cli._common import (
    DateOptions,
    EncodingOption,
    JsonOption,
    Lang,
    LangOption,
    OrderColumns,
    OrderRules,
    console,
    option_groups,
    order_inputs,
    print_table,
    report_errors,
    spinner,
    split_list,
    warn,
)
from uplift_lab.cli._engine import (
    DEFAULT_MASTER,
    Engine,
    EngineOption,
    SparkMasterOption,
    TableOption,
    spark_for,
)

SEGMENT_HELP = (
    "Segment customers from an order log: recency, frequency, monetary, AOV, tenure, lifecycle "
    "stage, RFM scores and classes, spend band, tags (consumption_level, purchase_activity, "
    "loyalty, plus --tags rules); one row per customer written to --out (.parquet "
    "or .csv; an existing file is replaced atomically). Orders and events at or after --as-of "
    "are ignored.\n\n"
)


LIFECYCLE_RULES = (  # the rules of uplift_lab.segment, as --help shows them
    "Lifecycle (R = recency_days: calendar days from the last order's date to the as-of date; "
    "n = orders before as-of; first matching rule wins). "
    "--thresholds cycle (default; needs 200 customers who ordered on two different days, else "
    "the day rules apply with a notice): G = expected_gap_days, the customer's own mean gap "
    "between order dates shrunk toward their main category's and the shop's (empirical Bayes; "
    "one order day: the category's or shop's prior gap), overdue_ratio = R / G; "
    "potential = never ordered; churned = R/G > 6; silent = R/G > 3; semi_active = R/G > 1.5 "
    "(--cycle-cutoffs 1.5,3,6); new = n = 1; active = repeat buyer with R/G <= 1.5. "
    "--thresholds fixed (implied by --active-days/--silent-days/--churn-days): "
    "potential = known from --customers (signup_time before as-of, if given) or --events "
    "but n = 0; "
    "churned = R > churn-days; "
    "silent = silent-days < R <= churn-days; "
    "semi_active = active-days < R <= silent-days, or a repeat buyer with R <= active-days who "
    "is overdue (R > overdue-factor x own mean gap between orders); "
    "new = n = 1 and R <= active-days; "
    "active = n >= 2, R <= active-days, not overdue. "
    "--thresholds auto: active/silent/churn = ceil(1x/3x/6x) the shop's purchase cycle, "
    "the median over repeat buyers of their mean days between order dates."
)


class ThresholdMode(StrEnum):
    cycle = "cycle"
    fixed = "fixed"
    auto = "auto"


def _segment_help() -> str:
    return SEGMENT_HELP + LIFECYCLE_RULES


def _bands(text: str) -> tuple[float, ...]:
    from uplift_lab.errors import InputError

    try:
        return tuple(float(item) for item in split_list(text))
    except ValueError:
        raise InputError(f"--bands must be numbers such as 10,20,35; got '{text}'") from None


def _cycle_cutoffs(text: str) -> tuple[float, ...]:
    from uplift_lab.errors import InputError

    try:
        return tuple(float(item) for item in split_list(text))
    except ValueError:
        raise InputError(
            f"--cycle-cutoffs must be three numbers such as 1.5,3,6; got '{text}'"
        ) from None


def _consumption_cutoffs(text: str) -> tuple[float, ...] | None:
    from uplift_lab.errors import InputError

    if text.strip().lower() == "terciles":
        return None
    try:
        return tuple(float(item) for item in split_list(text))
    except ValueError:
        raise InputError(
            f"--consumption-cutoffs must be 'terciles' or two amounts such as 50,150; got '{text}'"
        ) from None


def _refuse_overwriting_inputs(out: Path, inputs: list[Path | None]) -> None:
    from uplift_lab.errors import input_error

    for path in inputs:
        if path is not None and out.resolve() == path.resolve():
            raise input_error(out, "--out is one of the input files", "Choose another --out")


def _segment_config(
    thresholds: ThresholdMode | None,
    given: dict[str, int],
    lookback_days: int,
    overdue_factor: float,
    cycle_cutoffs: str,
    bands: str,
    consumption_cutoffs: str,
):
    """The SegmentConfig of the options; day options imply (and only go with) fixed."""
    from uplift_lab.errors import InputError
    from uplift_lab.segment import SegmentConfig

    if thresholds in (ThresholdMode.auto, ThresholdMode.cycle) and given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        raise InputError(
            f"{flags} cannot be combined with --thresholds {thresholds.value}; drop one "
            "(day options imply --thresholds fixed)"
        )
    if thresholds is None:
        thresholds = ThresholdMode.fixed if given else ThresholdMode.cycle
    return SegmentConfig(
        lookback_days=lookback_days,
        thresholds=thresholds.value,
        overdue_factor=overdue_factor,
        cycle_cutoffs=_cycle_cutoffs(cycle_cutoffs),
        bands=_bands(bands),
        consumption_cutoffs=_consumption_cutoffs(consumption_cutoffs),
        **given,
    )


def _orders_argument(ctx: typer.Context, param: typer.CallbackParam, value: Path | None):
    """ORDERS as click checks a required existing file, but optional with --table (Spark)."""
    import importlib

    if ctx.resilient_parsing:
        return value
    if value is None:
        if ctx.params.get("table") is None:  # --table, when given, is processed before
            # the click typer runs on (typer vendors one): its own "Missing argument 'ORDERS'"
            click_errors = importlib.import_module(typer.BadParameter.__module__)
            raise click_errors.MissingParameter(ctx=ctx, param=param)
        return value
    if not value.exists():
        raise typer.BadParameter(f"file '{value}' does not exist.", ctx=ctx, param=param)
    return value


def _check_spark_inputs(inputs) -> None:
    """The order rules Spark does not support, refused in one line (where pyspark is installed;
    without it, starting the session says so)."""
    from uplift_lab.spark.session import pyspark_available

    if pyspark_available():
        from uplift_lab.spark.segment import check_spark_inputs

        check_spark_inputs(inputs.orders)


def _spark_errors(spark, orders: Path | None, table: str | None):
    """Spark's failures as one line naming the input (nothing to catch on DuckDB)."""
    if spark is None:
        import contextlib

        return contextlib.nullcontext()
    from uplift_lab.spark.session import spark_errors

    return spark_errors(orders or f"table {table}")


OrdersArgument = Annotated[
    Path | None,
    typer.Argument(
        callback=_orders_argument,
        help="Order log: CSV, TSV, Parquet or Excel file (with --engine spark also a "
        "folder of Parquet/CSV files, or none with --table).",
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Segment as of this date (YYYY-MM-DD, midnight) or datetime; "
        "later orders are ignored.",
        show_default="the day after the latest counted order (said in a note)",
    ),
]
OutOption = Annotated[
    Path,
    typer.Option(
        "--out", dir_okay=False, help="Output file, .parquet or .csv (replaced atomically)."
    ),
]
CustomersOption = Annotated[
    Path | None,
    typer.Option(
        "--customers",
        exists=True,
        dir_okay=False,
        help="Customer table (customer_id + attributes, passed through); adds "
        "never-buying 'potential' customers.",
    ),
]
EventsOption = Annotated[
    Path | None,
    typer.Option(
        "--events",
        exists=True,
        dir_okay=False,
        help="Activity events (customer_id, event_time, event_type): adds potential "
        "customers and days_since_last_event.",
    ),
]
LookbackDaysOption = Annotated[
    int, typer.Option("--lookback-days", help="Window of frequency and monetary, in days.")
]
ActiveDaysOption = Annotated[
    int | None, typer.Option("--active-days", help="Active window in days (default 30).")
]
SilentDaysOption = Annotated[
    int | None,
    typer.Option("--silent-days", help="Silent after more than this many days (default 90)."),
]
ChurnDaysOption = Annotated[
    int | None,
    typer.Option("--churn-days", help="Churned after more than this many days (default 180)."),
]
ThresholdsOption = Annotated[
    ThresholdMode | None,
    typer.Option(
        "--thresholds",
        help="cycle: stages by expected gaps passed, each customer's own "
        "purchase cycle (day rules below 200 repeat buyers); fixed: the day options "
        "above (implied by them); auto: day cut-offs from the shop's median purchase "
        "cycle interval (1x/3x/6x).",
    ),
]
CycleCutoffsOption = Annotated[
    str,
    typer.Option(
        "--cycle-cutoffs",
        help="Expected gaps since the last order that end active, semi_active and "
        "silent (--thresholds cycle).",
    ),
]
CategoryColOption = Annotated[
    str | None,
    typer.Option(
        "--category-col",
        help="Order column of the product category (default: 'category' when "
        "present): main category level of the purchase cycle and the columns "
        "main_category, main_category_share, categories_bought.",
    ),
]
OverdueFactorOption = Annotated[
    float,
    typer.Option(
        "--overdue-factor",
        help="A repeat buyer is semi_active when recency exceeds this many times its "
        "own mean gap between orders (0: off).",
    ),
]
BandsOption = Annotated[
    str,
    typer.Option("--bands", help="Spend band edges on AOV: 10,20,35 gives <10, 10-20, 20-35, 35+."),
]
ConsumptionCutoffsOption = Annotated[
    str,
    typer.Option(
        "--consumption-cutoffs",
        help="consumption_level on AOV: 'terciles' (of the buyers) or two amounts, "
        "e.g. 50,150: <50 low, 50-150 mid, 150+ high.",
    ),
]
TagsOption = Annotated[
    Path | None,
    typer.Option(
        "--tags",
        exists=True,
        dir_okay=False,
        help='TOML file of tag rules, name = "SQL over the segment columns", e.g. '
        'big_spender = "aov >= 100": a boolean or CASE expression evaluated by '
        "DuckDB; each adds a column named as the rule.",
    ),
]


@option_groups
def segment(
    orders: OrdersArgument = None,
    *,
    as_of: AsOfOption = None,
    out: OutOption,
    customers: CustomersOption = None,
    events: EventsOption = None,
    order_cols: OrderColumns,
    order_rules: OrderRules,
    encoding: EncodingOption = "auto",
    dates: DateOptions,
    lookback_days: LookbackDaysOption = 365,
    active_days: ActiveDaysOption = None,
    silent_days: SilentDaysOption = None,
    churn_days: ChurnDaysOption = None,
    thresholds: ThresholdsOption = None,
    cycle_cutoffs: CycleCutoffsOption = "1.5,3,6",
    category_col: CategoryColOption = None,
    overdue_factor: OverdueFactorOption = 3.0,
    bands: BandsOption = "10,20,35",
    consumption_cutoffs: ConsumptionCutoffsOption = "terciles",
    tags: TagsOption = None,
    as_json: JsonOption = False,
    lang: LangOption = Lang.en,
    engine: EngineOption = Engine.duckdb,
    spark_master: SparkMasterOption = DEFAULT_MASTER,
    table: TableOption = None,
) -> None:
    from uplift_lab import io
    from uplift_lab.errors import InputError
    from uplift_lab.workflows.segment import segment_files

    io.output_format(out)  # refuse an unknown extension before any work
    if (orders is None) == (table is None):
        raise InputError("segment: pass ORDERS (an order log) or --table, one of them")
    if orders is not None and orders.is_dir() and engine != Engine.spark:
        raise InputError(f"{orders}: is a folder; pass a file, or use --engine spark")
    _refuse_overwriting_inputs(out, [orders, customers, events, tags])
    days = {"active_days": active_days, "silent_days": silent_days, "churn_days": churn_days}
    given = {name: value for name, value in days.items() if value is not None}
    config = _segment_config(
        thresholds, given, lookback_days, overdue_factor, cycle_cutoffs, bands,
        consumption_cutoffs,
    )  # fmt: skip
    inputs = order_inputs(order_cols, order_rules, dates)
    if engine == Engine.spark:  # refused before the Spark session takes its half-minute
        _check_spark_inputs(inputs)
    spark = spark_for(engine, spark_master, table)
    with spinner("Segmenting customers..."), _spark_errors(spark, orders, table):
        result = segment_files(
            orders, as_of, customers_path=customers, events_path=events,
            customer_col=order_cols.customer_col, time_col=order_cols.time_col,
            amount_col=order_cols.amount_col, category_col=category_col, encoding=encoding,
            config=config, inputs=inputs, tags_path=tags, spark=spark, table=table, out=out,
        )  # fmt: skip
    _print_segments(result, out, as_json, lang)


def _print_segments(result, out: Path, as_json: bool, lang: Lang) -> None:
    """The notices, then the summary as JSON or as tables, notes and counting lines."""
    from uplift_lab import io
    from uplift_lab.report.labels import labels_for
    from uplift_lab.report.notice_text import render_notice
    from uplift_lab.report.segment_report import (
        segment_counting_lines,
        segment_summary_json,
        segment_summary_note,
        segment_summary_tables,
    )

    for notice in result.notices:
        warn(render_notice(notice, labels_for(lang)))
    if as_json:
        typer.echo(io.to_json_text(segment_summary_json(result, out)), nl=False)
        return
    labels = labels_for(lang)
    for table in segment_summary_tables(result, labels):
        print_table(table)
    console.print(segment_summary_note(result, labels))
    for line in segment_counting_lines(result, labels):
        console.print(line)
    written = f"{len(result.table):,}"
    console.print(labels("Wrote {customers} customers to {out}", customers=written, out=out))


def register(app: typer.Typer) -> None:
    """Add the `segment` command to ``app``."""
    app.command("segment", help=_segment_help())(report_errors(segment))
