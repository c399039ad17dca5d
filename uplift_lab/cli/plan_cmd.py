"""CLI for `uplift-lab plan`: last promotion's GMV split and this year's targets and reach."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from uplift_lab.cli._common import (
    AmountColOption,
    ColumnsOption,
    CustomerColOption,
    DateFormatOption,
    DayFirstOption,
    EncodingOption,
    ExcludeStatusOption,
    InputFile,
    JsonOption,
    Lang,
    LangOption,
    PaidStatusOption,
    PresetOption,
    RefundColOption,
    RefundRowsOption,
    StatusColOption,
    TimeColOption,
    TimezoneOption,
    console,
    order_inputs,
    report_errors,
    spinner,
    time_parsing,
)

PLAN_HELP = (
    "Plan a promotion's targets from the last one: its GMV, orders and buyers split into "
    "returning customers (a counted order before the window's first day) and new ones (first "
    "order inside the window); returning GMV target = last returning GMV x (1 + --growth), new "
    "GMV target = last new GMV x (1 + --new-growth); with --analysis (an analyze report.json) "
    "the customers to message and the message cost per segment: extra returning buyers (= "
    "returning buyers x growth) split over the segments with a positive measured lift in "
    "proportion to their customers, customers to message = extra conversions / measured "
    "conversion lift, cost = that x the arm's cost per message. Writes plan.json, plan.md, "
    "plan.png and plan.html into --out."
)


def register(app: typer.Typer) -> None:
    """Add the `plan` command to ``app``."""

    @app.command("plan", help=PLAN_HELP)
    @report_errors
    def plan(
        orders: InputFile,
        promo: Annotated[
            str,
            typer.Option(
                "--promo",
                metavar="START:END",
                help="Last promotion's window, YYYY-MM-DD:YYYY-MM-DD, both days included.",
            ),
        ],
        growth: Annotated[
            float,
            typer.Option(
                "--growth", help="Growth of returning customers' GMV, a fraction: 0.2 = +20%."
            ),
        ],
        out: Annotated[
            Path,
            typer.Option("--out", file_okay=False, help="Output folder (refused if it exists)."),
        ],
        new_growth: Annotated[
            float | None,
            typer.Option(
                "--new-growth",
                help="Growth of new customers' GMV (default: --growth).",
                show_default=False,
            ),
        ] = None,
        analysis: Annotated[
            Path | None,
            typer.Option(
                "--analysis",
                exists=True,
                dir_okay=False,
                help="A past campaign's report.json (analyze --out): lifts and costs per "
                "segment give the customers to message.",
            ),
        ] = None,
        customer_col: CustomerColOption = "customer_id",
        time_col: TimeColOption = "order_time",
        amount_col: AmountColOption = "amount",
        preset: PresetOption = None,
        columns: ColumnsOption = None,
        status_col: StatusColOption = None,
        paid_status: PaidStatusOption = None,
        exclude_status: ExcludeStatusOption = None,
        refund_col: RefundColOption = None,
        refund_rows: RefundRowsOption = False,
        encoding: EncodingOption = "auto",
        date_format: DateFormatOption = None,
        dayfirst: DayFirstOption = None,
        timezone: TimezoneOption = None,
        force: Annotated[bool, typer.Option("--force", help="Replace an existing --out.")] = False,
        as_json: JsonOption = False,
        lang: LangOption = Lang.en,
    ) -> None:
        from uplift_lab import io
        from uplift_lab.report.labels import labels_for
        from uplift_lab.report.notice_text import order_counting_lines
        from uplift_lab.report.plan_report import caveat_lines, overview, tables, terminal_table
        from uplift_lab.workflows.plan import plan_files

        inputs = order_inputs(
            preset,
            columns,
            customer_col,
            time_col,
            amount_col,
            status_col,
            paid_status,
            exclude_status,
            refund_col,
            refund_rows,
            time_parsing(date_format, dayfirst, timezone),
        )
        with spinner("Planning the promotion..."):
            result = plan_files(
                orders,
                promo=promo,
                growth=growth,
                out=out,
                new_growth=new_growth,
                analysis=analysis,
                inputs=inputs,
                encoding=encoding,
                force=force,
                labels=labels_for(lang),
            )
        if as_json:
            typer.echo(io.to_json_text(result.payload), nl=False)
            return
        labels = labels_for(lang)
        for table in tables(result.plan, labels):
            console.print(terminal_table(table))
        for line in caveat_lines(result.plan, labels):
            console.print(line)
        console.print(overview(result.plan, labels))
        for line in order_counting_lines(result.counting, labels):
            console.print(line)
        console.print(labels("Wrote plan.json, plan.md, plan.png and plan.html to {out}", out=out))
