"""CLI for `uplift-lab demo`: the whole loop on a generated shop, as the commands a user would type.

Each step prints the exact `uplift-lab ...` line and runs it in-process through the real CLI, so the
demo doubles as a walkthrough: copy any line to repeat a step by hand on the files it leaves.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from uplift_lab.cli._common import (
    INTERRUPTED_EXIT_CODE,
    Lang,
    LangOption,
    console,
    report_errors,
)
from uplift_lab.report.labels import EN, Labels, labels_for

CHANNELS = ("sms=0.05", "mms=0.20", "edm=0.01")  # the first is what RFM/random would send
RESPONSE = "mms=1.4,edm=0.35"  # channel effect relative to SMS, as earlier tests measured it
WITHOUT_LANG = ("synth", "score")  # steps that print no report


_CLI: list[typer.Typer] = []  # the app demo is registered on: its steps run through it


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command to ``app`` (and run the demo's steps through that same app)."""
    _CLI[:] = [app]
    app.command("demo")(demo)


def _run_step(title: str, argv: list[str], lang: Lang = Lang.en) -> None:
    """Print a step's command line and run it through the real CLI; stop the demo if it fails.

    With ``lang`` other than English every step that prints a report gets ``--lang``."""
    from uplift_lab.errors import UpliftLabError

    app = _CLI[0]

    if lang is not Lang.en and argv[0] not in WITHOUT_LANG:
        argv = [*argv, "--lang", lang.value]
    console.print()
    console.rule(f"[bold]{title}")
    console.print(f"[bold cyan]$ uplift-lab {shlex.join(argv)}[/]")
    exit_code = app(argv, standalone_mode=False, prog_name="uplift-lab")
    if exit_code == INTERRUPTED_EXIT_CODE:  # the step said so in one line; stop the demo there
        raise typer.Exit(INTERRUPTED_EXIT_CODE)
    if exit_code:
        raise UpliftLabError(f"the demo stopped: step '{title}' failed (exit code {exit_code})")


def default_report_folder(lang: Lang) -> Path:
    """reports/demo for English; reports/demo-<lang> otherwise (the committed English report
    stays as it is when the demo runs in another language)."""
    return Path("reports/demo" if lang is Lang.en else f"reports/demo-{lang.value}")


@report_errors
def demo(
    out: Annotated[
        Path,
        typer.Option("--out", help="Working folder for the shop, segments, models and lists."),
    ] = Path("demo-output"),
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Where the final campaign report lands (reports/demo; reports/demo-zh with "
            "--lang zh, so a Chinese run leaves the English report as it is).",
            show_default=False,
        ),
    ] = None,
    customers: Annotated[
        int, typer.Option("--customers", min=2_000, help="Customers in the generated shop.")
    ] = 40_000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the generated shop.")] = 0,
    budget: Annotated[
        float,
        typer.Option(
            "--budget",
            min=1.0,
            help="Message budget of the new campaign (200 reaches about 30% of the eligible "
            "customers of a 40,000-customer shop by SMS).",
        ),
    ] = 200.0,
    lang: LangOption = Lang.en,
) -> None:
    """Run the whole loop on a generated shop, each step printed as the command that repeats it:
    synth -> segment -> analyze the past SMS campaign -> train uplift models on it -> evaluate ->
    score today's customers -> design (power) -> target semi-active and silent customers within a
    budget, keeping a holdout -> draw the campaign's outcome from the planted truth -> analyze it
    -> compare predicted, measured and true incremental profit -> the past SMS as a schedule, its
    response by hour of day and hours since the send -> this year's promotion targets. Re-running
    replaces its files."""
    from uplift_lab.synth import PAST_CAMPAIGN_NAME
    from uplift_lab.workflows import demo as workflow

    report = report or default_report_folder(lang)
    shop_dir = out / "shop"
    campaign = out / "experiments" / "double11"
    meta = _shop_and_segments(out, shop_dir, customers, seed, lang)
    _model_steps(out, shop_dir, shop_dir / PAST_CAMPAIGN_NAME, meta, lang)
    _target_step(out, campaign, meta["as_of"], budget, lang)

    console.print()
    console.rule("[bold]9. The campaign goes out (outcomes drawn from the shop's planted truth)")
    draw = workflow.draw_campaign_outcomes(out, campaign, customers=customers, seed=seed)
    console.print(
        f"{int(draw.outcomes['converted'].sum()):,} of {len(draw.outcomes):,} customers bought "
        f"within {meta['campaign']['window_days']} days; outcomes in {draw.path}"
    )
    _run_step(
        "10. What did the new campaign earn, per segment and channel, against its holdout?",
        # --force: the demo's report folder, whose other files (plan/, send_time/, the loop's
        # summary) the steps after this one write again
        ["analyze", str(campaign), "--outcomes", str(draw.path), "--out", str(report), "--force"],
        lang=lang,
    )

    loop = workflow.check_the_loop(out, report, draw.shop, seed=seed)
    labels = labels_for(lang)
    _print_profit_checks(loop.checks, labels)
    _print_policies(loop.policies, labels)
    _timing_steps(out, report, shop_dir, meta, lang)
    summary = workflow.write_loop_summary(loop, report)
    console.print(f"\nReports: {report}/report.html and {summary}; every file: {out}/.")


def _shop_and_segments(out: Path, shop_dir: Path, customers: int, seed: int, lang: Lang) -> dict:
    """Steps 1-2: generate the shop, segment today's customers; the shop's shop.json."""
    from uplift_lab.workflows import demo as workflow

    _run_step(
        "1. A generated shop with one past SMS campaign (10% holdout per segment)",
        ["synth", "--customers", str(customers), "--seed", str(seed), "--out", str(shop_dir)],
        lang=lang,
    )
    meta = workflow.read_shop_meta(shop_dir)
    tags = workflow.write_tag_rules(out)
    _run_step(
        "2. Segment today's customers: lifecycle stage, RFM, spend band, tags",
        # --thresholds fixed: this shop's planted effects follow the day-rule stages it was
        # generated with (synth.py); on a real shop the default, cycle stages, applies.
        ["segment", str(shop_dir / "orders.csv"), *_history(shop_dir), "--as-of", meta["as_of"],
         "--thresholds", "fixed", "--tags", str(tags), "--out", str(out / "segments.parquet")],
        lang=lang,
    )  # fmt: skip
    return meta


def _history(shop_dir: Path) -> list[str]:
    """The customer and event files of the shop, as segment and train take them."""
    return [
        "--customers",
        str(shop_dir / "customers.csv"),
        "--events",
        str(shop_dir / "events.csv"),
    ]


def _model_steps(out: Path, shop_dir: Path, past: Path, meta: dict, lang: Lang) -> None:
    """Steps 3-7: analyze the past SMS, train on it, evaluate, score today's customers, power."""
    start, window = meta["campaign"]["start"], str(meta["campaign"]["window_days"])
    models = out / "models" / "past_sms"
    _run_step(
        "3. What did the past SMS campaign earn, per lifecycle stage?",
        ["analyze", str(past), "--outcomes", str(shop_dir / "orders.csv"),
         "--out", str(out / "reports" / "past_sms")], lang=lang,
    )  # fmt: skip
    _run_step(
        "4. Learn who responds because of the message (features as of the campaign start)",
        ["train", "--experiment", str(past), "--orders", str(shop_dir / "orders.csv"),
         *_history(shop_dir), "--start", start, "--window-days", window,
         "--revenue-model", "decomposition", "--out", str(models), "--force"], lang=lang,
    )  # fmt: skip
    _run_step(
        "5. Is the model worth using? Held-out folds vs random, RFM rule, purchase probability",
        ["evaluate", str(models), "--out", str(out / "reports" / "model"), "--force"],
        lang=lang,
    )
    _run_step(
        "6. Score today's customers",
        ["score", str(models), str(out / "segments.parquet"), "--out", str(out / "scores.parquet")],
        lang=lang,
    )
    _run_step(
        "7. How small a lift can a 10% holdout read? (power per segment, from step 3's rates)",
        ["design", str(out / "segments.parquet"), "--name", "double11_power_check",
         "--segments", "semi_active,silent", "--baseline-from",
         str(out / "reports" / "past_sms" / "report.json"), "--target-lift", "0.03",
         "--out", str(out / "experiments" / "double11_power_check"), "--force"], lang=lang,
    )  # fmt: skip


def _target_step(out: Path, campaign: Path, as_of: str, budget: float, lang: Lang) -> None:
    """Step 8: the send list for the budget, 10% held out, as the experiment ``campaign``."""
    from uplift_lab.synth import MARGIN

    channels = [arg for channel in CHANNELS for arg in ("--channel", channel)]
    _run_step(
        f"8. Who gets which message for a budget of {budget:g}? (10% held out)",
        ["target", str(out / "scores.parquet"), "--segments", str(out / "segments.parquet"),
         "--budget", f"{budget:g}", *channels, "--response", RESPONSE,
         "--margin", f"{MARGIN:g}", "--holdout", "0.1", "--experiment", str(campaign),
         "--start", as_of, "--out", str(out / "sendlist.csv"),
         "--report", str(out / "reports" / "target"), "--force"], lang=lang,
    )  # fmt: skip


def _timing_steps(out: Path, report: Path, shop_dir: Path, meta: dict, lang: Lang) -> None:
    """Send time and promotion targets: the past SMS as a schedule, its response by hour of day
    and hours since the send, and this year's targets from last year's window."""
    import pandas as pd

    from uplift_lab.synth import PAST_CAMPAIGN_NAME
    from uplift_lab.workflows.demo import write_past_sms_touch

    start = meta["campaign"]["start"]
    past = shop_dir / PAST_CAMPAIGN_NAME
    touches = write_past_sms_touch(out)
    _run_step(
        "13. The past SMS as a schedule: one touch at 00:00 on its first day",
        ["schedule", "--segments", str(shop_dir / "campaign.csv"), "--touches", str(touches),
         "--experiment", str(past), "--start", start, "--out", str(out / "schedules" / "past_sms"),
         "--force"], lang=lang,
    )  # fmt: skip
    _run_step(
        "14. Send time: by hour, a send hour per segment, hours since the send",
        ["analyze", str(past), "--outcomes", str(shop_dir / "orders.csv"), "--schedule",
         str(out / "schedules" / "past_sms"), "--by-hour", "--out", str(report / "send_time")],
        lang=lang,
    )  # fmt: skip
    end = pd.Timestamp(start) + pd.Timedelta(days=int(meta["campaign"]["window_days"]) - 1)
    _run_step(
        "15. This year's targets: the past window's GMV +20%, reach from its lifts",
        ["plan", str(shop_dir / "orders.csv"), "--promo", f"{start}:{end.date().isoformat()}",
         "--growth", "0.2", "--analysis", str(out / "reports" / "past_sms" / "report.json"),
         "--out", str(report / "plan"), "--force"], lang=lang,
    )  # fmt: skip


def _print_profit_checks(checks: list, labels: Labels = EN) -> None:
    from rich.table import Table

    from uplift_lab.report.tables import keep_numbers_whole

    console.print()
    console.rule("[bold]11. Predicted vs measured vs true incremental profit of the send")
    table = Table(show_edge=False, header_style="bold")
    money = labels.money
    for name in ("channel", "sent", "predicted", "measured [95% CI]", "true (planted)"):
        table.add_column(labels(name), justify="left" if name == "channel" else "right")
    for check in checks:
        table.add_row(
            labels.value(check.channel),
            f"{check.n_sent:,}",
            money(f"{check.predicted:,.0f}"),
            money(f"{check.measured:,.0f} [{check.measured_low:,.0f}, {check.measured_high:,.0f}]"),
            money(f"{check.planted:,.0f}"),
        )
    table.add_row(
        labels("total"),
        f"{sum(c.n_sent for c in checks):,}",
        money(f"{sum(c.predicted for c in checks):,.0f}"),
        money(f"{sum(c.measured for c in checks):,.0f}"),
        money(f"{sum(c.planted for c in checks):,.0f}"),
    )
    console.print(keep_numbers_whole(table))
    console.print(
        labels(
            "predicted = sum of expected profit in the send list (the model); measured = "
            "analyze's incremental profit against the holdout; true = the shop's planted effect."
        )
    )


def _print_policies(policies, labels: Labels = EN) -> None:
    from rich.table import Table

    from uplift_lab.report.tables import keep_numbers_whole

    console.print()
    console.rule("[bold]12. The same spend on today's rules, valued by the planted truth")
    table = Table(show_edge=False, header_style="bold")
    for name in ("policy", "customers", "cost", "true incremental profit"):
        table.add_column(labels(name), justify="left" if name == "policy" else "right")
    for row in policies.itertuples():
        table.add_row(
            labels.value(row.policy),
            f"{row.customers:,}",
            labels.money(f"{row.cost:,.2f}"),
            labels.money(f"{row.true_incremental_profit:,.0f}"),
        )
    console.print(keep_numbers_whole(table))
