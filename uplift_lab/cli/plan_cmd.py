"""CLI for `uplift-lab plan`: last promotion's GMV split and this year's targets and reach."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from uplift_lab.cli._common import (
    DateOptions,
    EncodingOption,
    InputFile,
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


PromoOption = Annotated[
    str,
    typer.Option(
        "--promo",
        metavar="START:END",
        help="Last promotion's window, YYYY-MM-DD:YYYY-MM-DD, both days included.",
    ),
]
GrowthOption = Annotated[
    float,
    typer.Option("--growth", help="Growth of returning customers' GMV, a fraction: 0.2 = +20%."),
]
OutOption = Annotated[
    Path, typer.Option("--out", file_okay=False, help="Output folder (refused if it exists).")
]
NewGrowthOption = Annotated[
    float | None,
    typer.Option(
        "--new-growth",
        help="Growth of new customers' GMV (default: --growth).",
        show_default=False,
    ),
]
AnalysisOption = Annotated[
    Path | None,
    typer.Option(
        "--analysis",
        exists=True,
        dir_okay=False,
        help="A past campaign's report.json (analyze --out): lifts and costs per "
        "segment give the customers to message.",
    ),
]
ForceOption = Annotated[bool, typer.Option("--force", help="Replace an existing --out.")]


@option_groups
def plan(
    orders: InputFile,
    *,
    promo: PromoOption,
    growth: GrowthOption,
    out: OutOption,
    new_growth: NewGrowthOption = None,
    analysis: AnalysisOption = None,
    order_cols: OrderColumns,
    order_rules: OrderRules,
    encoding: EncodingOption = "auto",
    dates: DateOptions,
    force: ForceOption = False,
    as_json: JsonOption = False,
    lang: LangOption = Lang.en,
) -> None:
    from uplift_lab import io
    from uplift_lab.report.labels import labels_for
    from uplift_lab.report.notice_text import order_counting_lines
    from uplift_lab.report.plan_report import caveat_lines, overview, tables, terminal_table
    from uplift_lab.workflows.plan import plan_files

    inputs = order_inputs(order_cols, order_rules, dates)
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
        print_table(terminal_table(table))
    for line in caveat_lines(result.plan, labels):
        console.print(line)
    console.print(overview(result.plan, labels))
    for line in order_counting_lines(result.counting, labels):
        console.print(line)
    console.print(labels("Wrote plan.json, plan.md, plan.png and plan.html to {out}", out=out))


def register(app: typer.Typer) -> None:
    """Add the `plan` command to ``app``."""
    app.command("plan", help=PLAN_HELP)(report_errors(plan))
