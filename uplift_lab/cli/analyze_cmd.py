"""CLI for `uplift-lab analyze`: the experiment report."""

from __future__ import annotations

import dataclasses
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from uplift_lab.cli._common import (
    DateOptions,
    EncodingOption,
    ForceOutFolderOption,
    Lang,
    LangOption,
    OrderColumns,
    OrderRules,
    WideOption,
    console,
    option_groups,
    parse_key_values,
    report_errors,
    split_list,
)
from uplift_lab.cli._engine import (
    DEFAULT_MASTER,
    Engine,
    EngineOption,
    SparkMasterOption,
    TableOption,
    refuse_on_spark,
    spark_for,
)
from uplift_lab.errors import InputError

HELP = """Measure what a campaign earned against its holdout, per segment and overall.

INPUT is an experiment folder (from `design` or `import-campaign`; pass --outcomes) or a flat
table with one row per customer (pass --arm-col, --control, --conversion-col, optionally
--revenue-col, --segment-col and --positive for Yes/No outcomes), or, with --aggregated, a
table of per segment x arm sufficient statistics (columns n, conversions, revenue_sum,
revenue_sum_squares; what a warehouse GROUP BY segment, arm returns). Customers are analysed by
assigned arm (intent to treat).
"""

AGGREGATED_HELP = (
    "INPUT holds one row per segment x arm: --arm-col, optional --segment-col, n, conversions, "
    "revenue_sum, revenue_sum_squares (optional: orders; with --covariate: covariate_sum, "
    "covariate_sum_squares, revenue_covariate_sum)."
)


class CiMethod(StrEnum):
    wald = "wald"
    newcombe = "newcombe"


class AdjustMethod(StrEnum):
    holm = "holm"
    bh = "bh"
    none = "none"


def _parse_number(text: str, option: str, *, low: float, high: float | None = None) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{option}: '{text}' is not a number") from None
    if value < low or (high is not None and value > high):
        bound = f">= {low:g}" if high is None else f"in [{low:g}, {high:g}]"
        raise InputError(f"{option} must be {bound}. Got {text} instead.")
    return value


def _parse_per_arm(items: list[str] | None, option: str) -> dict[str, float]:
    """``--cost sms=0.05`` per arm, or ``--cost 0.05`` for every treated arm (key ``*``)."""
    values: dict[str, float] = {}
    for item in items or []:
        if "=" not in item:
            values["*"] = _parse_number(item, option, low=0.0)
    keyed = parse_key_values([item for item in items or [] if "=" in item], option)
    values.update({arm: _parse_number(v, f"{option} {arm}", low=0.0) for arm, v in keyed.items()})
    return values


def _parse_expected(text: str | None) -> dict[str, dict[str, float]] | None:
    if not text:
        return None
    pairs = parse_key_values(split_list(text), "--expected")
    fractions = {arm: _parse_number(v, f"--expected {arm}", low=0.0) for arm, v in pairs.items()}
    if len(fractions) < 2 or sum(fractions.values()) <= 0:
        raise InputError(
            "--expected: give every arm's designed fraction, e.g. control=0.1,send=0.9"
        )
    return {"all": fractions}


InputArgument = Annotated[
    Path,
    typer.Argument(
        exists=True,
        help="Experiment folder (design.json + assignment.parquet) or a flat CSV/Parquet table.",
    ),
]
OutcomesOption = Annotated[
    Path | None,
    typer.Option(
        "--outcomes",
        exists=True,
        dir_okay=True,
        help="With an experiment folder: per-customer outcomes (customer_id, converted, "
        "revenue) or an orders file (customer_id, order_time, amount; refunds negative); "
        "with --engine spark also a folder of them (or --table).",
    ),
]
StartOption = Annotated[
    str | None,
    typer.Option(
        "--start", help="First day of the response window (orders file), e.g. 2026-08-21."
    ),
]
WindowDaysOption = Annotated[
    int | None,
    typer.Option(
        "--window-days",
        min=1,
        help="Length of the response window in days (default: the campaign's window in "
        "design.json, else 7).",
    ),
]
ArmColOption = Annotated[
    str,
    typer.Option(
        "--arm-col", "--treatment-col", help="Flat table: column holding each customer's arm."
    ),
]
ControlOption = Annotated[
    str | None,
    typer.Option(
        "--control",
        help="Label of the control (holdout) arm. Default: from design.json, else 'control'.",
    ),
]
ConversionColOption = Annotated[
    str,
    typer.Option(
        "--conversion-col", "--outcome-col", help="Column with the 0/1 conversion outcome."
    ),
]
PositiveOption = Annotated[
    str | None,
    typer.Option(
        "--positive",
        help="Flat table: the --conversion-col label of a converted customer, for label "
        "outcomes such as Yes/No (--positive Yes).",
    ),
]
RevenueColOption = Annotated[
    str | None,
    typer.Option(
        "--revenue-col",
        help="Column with revenue per customer (default: 'revenue' if the table has it; "
        "without one only conversion is analysed).",
    ),
]
SegmentColOption = Annotated[
    str | None,
    typer.Option("--segment-col", help="Flat table: column to break results down by."),
]
ExpectedOption = Annotated[
    str | None,
    typer.Option(
        "--expected",
        help="Flat table (or a folder whose design.json records none, e.g. imported "
        "without --expected): designed arm fractions for the sample-ratio check, "
        "e.g. control=0.1,send=0.9 (without them SRM cannot be checked).",
    ),
]
CostOption = Annotated[
    list[str] | None,
    typer.Option(
        "--cost",
        help="Cost per message per treated arm, e.g. --cost sms=0.05 (repeatable), "
        "or --cost 0.05 for every treated arm. Default: from design.json's campaign.",
    ),
]
CouponOption = Annotated[
    list[str] | None,
    typer.Option(
        "--coupon",
        help="Coupon value paid per conversion in a treated arm, e.g. --coupon sms=5 "
        "(repeatable), or --coupon 5 for every treated arm. Default: from design.json's "
        "campaign.",
    ),
]
MarginOption = Annotated[
    float | None,
    typer.Option("--margin", min=0.0, max=1.0, help="Share of revenue that is profit, e.g. 0.3."),
]
CovariateOption = Annotated[
    str | None,
    typer.Option(
        "--covariate",
        help="CUPED covariate measured before the campaign: a column of the table, or "
        "'pre_revenue' with an orders file (revenue in the 365 days before --start).",
    ),
]
CapRevenueOption = Annotated[
    float | None,
    typer.Option(
        "--cap-revenue", help="Also show revenue capped at this pooled quantile, e.g. 0.999."
    ),
]
CiOption = Annotated[
    CiMethod,
    typer.Option(
        "--ci",
        help="CI for the difference of conversion rates: newcombe (Newcombe's hybrid score "
        "interval, statsmodels' usual one: it keeps its coverage with few conversions and "
        "agrees with the two-proportion z-test) or wald.",
    ),
]
AdjustOption = Annotated[
    AdjustMethod,
    typer.Option("--adjust", help="p-value adjustment across segments: holm, bh or none."),
]
AlphaOption = Annotated[
    float,
    typer.Option("--alpha", min=0.0001, max=0.5, help="Significance level (CIs are 1-alpha)."),
]
AggregatedOption = Annotated[bool, typer.Option("--aggregated", help=AGGREGATED_HELP)]
ScheduleOption = Annotated[
    Path | None,
    typer.Option(
        "--schedule",
        exists=True,
        file_okay=False,
        help="Folder written by `schedule` for this experiment: per touch, orders from its "
        "send time to the next touch to the same customers (or the window end), send vs "
        "holdout, with the lift.",
    ),
]
ByHourOption = Annotated[
    bool,
    typer.Option(
        "--by-hour",
        help="With an experiment folder and an orders file: send vs holdout response per hour "
        "of day of the orders in the window, lift with CI per hour, a recommended send hour "
        "per segment, and the response by hours since the send where send times are known "
        "(--schedule, or an import's send times).",
    ),
]
ByDayOption = Annotated[
    bool,
    typer.Option(
        "--by-day", help="Like --by-hour, per day of the response window (1 = its first day)."
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Report folder to write (report.md, report.html, report.json, PNGs); "
        "a report analyze wrote there before is replaced; a folder with other files needs --force.",
    ),
]
ReportJsonOption = Annotated[
    bool, typer.Option("--json", help="Print report.json to stdout instead of tables.")
]


@option_groups
def analyze(
    input_path: InputArgument,
    *,
    outcomes: OutcomesOption = None,
    start: StartOption = None,
    window_days: WindowDaysOption = None,
    arm_col: ArmColOption = "arm",
    control: ControlOption = None,
    conversion_col: ConversionColOption = "converted",
    positive: PositiveOption = None,
    revenue_col: RevenueColOption = None,
    segment_col: SegmentColOption = None,
    expected: ExpectedOption = None,
    cost: CostOption = None,
    coupon: CouponOption = None,
    margin: MarginOption = None,
    covariate: CovariateOption = None,
    cap_revenue: CapRevenueOption = None,
    ci: CiOption = CiMethod.newcombe,
    adjust: AdjustOption = AdjustMethod.holm,
    alpha: AlphaOption = 0.05,
    order_cols: OrderColumns,
    dates: DateOptions,
    order_rules: OrderRules,
    aggregated: AggregatedOption = False,
    schedule_dir: ScheduleOption = None,
    by_hour: ByHourOption = False,
    by_day: ByDayOption = False,
    out: OutOption = None,
    force: ForceOutFolderOption = False,
    as_json: ReportJsonOption = False,
    encoding: EncodingOption = "auto",
    wide: WideOption = False,
    lang: LangOption = Lang.en,
    engine: EngineOption = Engine.duckdb,
    spark_master: SparkMasterOption = DEFAULT_MASTER,
    table: TableOption = None,
) -> None:
    """Measure what a campaign earned against its holdout, per segment and overall."""
    from uplift_lab.report.labels import labels_for
    from uplift_lab.workflows.analyze import check_report_folder
    from uplift_lab.workflows.analyze_command import AnalyzeRequest, run_analyze

    if outcomes is not None and outcomes.is_dir() and engine != Engine.spark:
        raise InputError(f"{outcomes}: is a folder; pass a file, or use --engine spark")
    refuse_on_spark(
        engine, aggregated=aggregated, schedule=schedule_dir, by_hour=by_hour, by_day=by_day,
        **dataclasses.asdict(order_rules), **dataclasses.asdict(dates), positive=positive,
        time_col=order_cols.time_col != "order_time", amount_col=order_cols.amount_col != "amount",
    )  # fmt: skip
    if out is not None:
        check_report_folder(out, force=force, inputs=(input_path, outcomes, schedule_dir))
    spark = spark_for(engine, spark_master, table)
    options = _analysis_options(control, alpha, ci, adjust, cap_revenue, cost, coupon, margin,
                                expected, covariate)  # fmt: skip
    if by_hour and by_day:
        raise InputError("--by-hour and --by-day: pass one of them (one table per run)")
    request = AnalyzeRequest(
        input_path=input_path, outcomes=outcomes, table=table, aggregated=aggregated,
        control=control, arm_col=arm_col, conversion_col=conversion_col, positive=positive,
        revenue_col=revenue_col, segment_col=segment_col, covariate=covariate, start=start,
        window_days=window_days, customer_col=order_cols.customer_col,
        time_col=order_cols.time_col, amount_col=order_cols.amount_col, encoding=encoding,
        orders=_order_reading(order_rules, dates), schedule_dir=schedule_dir,
        unit="hour" if by_hour else "day" if by_day else None,
    )  # fmt: skip
    result = run_analyze(request, options, spark)
    _write_and_print(result, out, force, as_json, wide, alpha, labels_for(lang))


def _order_reading(rules: OrderRules, dates: DateOptions):
    """The workflow's OrderReading of the order options."""
    from uplift_lab.workflows.analyze_command import OrderReading

    return OrderReading(
        preset=rules.preset,
        columns=rules.columns,
        status_col=rules.status_col,
        paid_status=tuple(rules.paid_status or ()),
        exclude_status=tuple(rules.exclude_status or ()),
        refund_col=rules.refund_col,
        refund_rows=rules.refund_rows,
        date_format=dates.date_format,
        dayfirst=dates.dayfirst,
        timezone=dates.timezone,
    )


def _write_and_print(
    result, out: Path | None, force: bool, as_json: bool, wide: bool, alpha: float, labels
):
    """The report folder (with --out), then report.json or the tables on stdout."""
    from uplift_lab.io import to_json_text
    from uplift_lab.report import analyze_report
    from uplift_lab.workflows.analyze import write_report

    if out is not None:
        write_report(result, out, labels, force=force)
    if as_json:
        typer.echo(to_json_text(analyze_report.report_payload(result)), nl=False)
        return
    analyze_report.print_analysis(result, console, wide=wide, labels=labels)
    _print_timing(result, alpha, labels)
    if out is not None:
        console.print(
            labels("Report written to {out}/ (report.md, report.html, report.json)", out=out)
        )


def _analysis_options(control, alpha, ci, adjust, cap_revenue, cost, coupon, margin, expected,
                      covariate):  # fmt: skip
    """The AnalysisOptions of the command's options (control "" : from design.json)."""
    from uplift_lab.analysis_results import AnalysisOptions

    if cap_revenue is not None and not 0 < cap_revenue < 1:
        raise InputError(f"--cap-revenue must be in (0, 1), e.g. 0.999. Got {cap_revenue} instead.")
    return AnalysisOptions(
        control=control or "",
        alpha=alpha,
        ci=ci.value,
        adjust=adjust.value,
        cap_quantile=cap_revenue,
        costs=_parse_per_arm(cost, "--cost"),
        coupons=_parse_per_arm(coupon, "--coupon"),
        margin=margin,
        expected_fractions=_parse_expected(expected),
        covariate_name=covariate,
    )


def _print_timing(result, alpha: float, labels) -> None:
    """The tables of --by-hour/--by-day and of a schedule's touches."""
    from uplift_lab.report.timing_report import rich_table, timing_tables

    for formatted in timing_tables(result):
        console.print(rich_table(formatted, labels))
        console.print()
    if result.touches:
        from uplift_lab.report.schedule_report import touch_table

        for touch in result.touches:
            console.print(touch_table(touch, alpha, labels))
            console.print()


def register(app: typer.Typer) -> None:
    """Add `analyze` to the app."""
    app.command("analyze", help=HELP)(report_errors(analyze))
