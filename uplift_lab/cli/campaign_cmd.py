"""CLI for `uplift-lab import-campaign`: a past campaign's plain files -> an experiment folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from uplift_lab.cli._common import (
    DateOptions,
    EncodingOption,
    ForceExperimentOption,
    JsonOption,
    Lang,
    LangOption,
    console,
    err_console,
    option_groups,
    parse_key_values,
    print_table,
    report_errors,
    time_parsing,
    warn,
)
from uplift_lab.errors import InputError

HELP = """Import a past campaign kept as a plain file into an experiment folder.

FILE has one row per customer with an id and an arm label (customer_id,arm: what SMS platforms
and CRM tools export). Or pass --send-log (id, channel, send time) with --holdout-list (ids held
out): the channel becomes the arm, the holdout list the control arm. Writes OUT/assignment.parquet
and OUT/design.json (marked imported, with the SHA-256 of input and assignment, the measured arm
fractions and the campaign's --start and --window-days), which analyze, train --experiment and
evaluate read like a designed experiment. --expected checks the split (sample ratio mismatch).

Example: uplift-lab import-campaign sms_export.csv --control control --start 2026-06-01
--window-days 14 --expected control=0.1,sms=0.45,edm=0.45 --out experiments/june_sms
"""


def _parse_fractions(text: str | None) -> dict[str, float] | None:
    if not text:
        return None
    fractions = {}
    for arm, value in parse_key_values([text], "--expected").items():
        try:
            fractions[arm] = float(value)
        except ValueError:
            raise InputError(f"--expected {arm}: '{value}' is not a number") from None
    return fractions


FileArgument = Annotated[
    Path | None,
    typer.Argument(
        exists=True,
        dir_okay=False,
        metavar="FILE",
        help="Campaign table (CSV/Parquet), one row per customer with an id and an arm. "
        "Leave out with --send-log.",
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", help="Experiment folder to write, e.g. experiments/june_sms."),
]
StartOption = Annotated[
    str | None,
    typer.Option(
        "--start",
        help="First day of the response window, e.g. 2026-06-01; with --send-log it may be "
        "left out: the day of the first send.",
    ),
]
WindowDaysOption = Annotated[
    int, typer.Option("--window-days", min=1, help="Response window in days.")
]
ArmColOption = Annotated[str, typer.Option("--arm-col", help="FILE: arm label column.")]
ControlOption = Annotated[
    str | None,
    typer.Option(
        "--control",
        help="Label of the holdout (control) arm. Default: 'control', or 0 (False, No) of an "
        "arm column holding just 0 and 1.",
    ),
]
IdColOption = Annotated[str, typer.Option("--id-col", help="Customer id column.")]
StrataColOption = Annotated[
    str | None,
    typer.Option(
        "--strata-col",
        help="FILE: column whose values were randomized separately (default: one stratum).",
    ),
]
ExpectedOption = Annotated[
    str | None,
    typer.Option(
        "--expected",
        help="Intended arm fractions, e.g. control=0.1,sms=0.45,edm=0.45: other labels are "
        "refused and the split is checked (chi-square, loud when p < 0.001).",
    ),
]
SendLogOption = Annotated[
    Path | None,
    typer.Option(
        "--send-log",
        exists=True,
        dir_okay=False,
        help="Instead of FILE: the log of sends (id, channel, send time).",
    ),
]
HoldoutListOption = Annotated[
    Path | None,
    typer.Option(
        "--holdout-list",
        exists=True,
        dir_okay=False,
        help="With --send-log: the customers held out (an id column).",
    ),
]
ChannelColOption = Annotated[
    str, typer.Option("--channel-col", help="With --send-log: the channel column (the arm).")
]
SendTimeColOption = Annotated[
    str | None,
    typer.Option(
        "--send-time-col",
        help="Send time column, kept as send_time in the assignment; with --send-log, "
        "send_time is used if the log has it.",
    ),
]


@option_groups
def import_campaign(
    file: FileArgument = None,
    *,
    out: OutOption = None,
    start: StartOption = None,
    window_days: WindowDaysOption = 14,
    arm_col: ArmColOption = "arm",
    control: ControlOption = None,
    id_col: IdColOption = "customer_id",
    strata_col: StrataColOption = None,
    expected: ExpectedOption = None,
    send_log: SendLogOption = None,
    holdout_list: HoldoutListOption = None,
    channel_col: ChannelColOption = "channel",
    send_time_col: SendTimeColOption = None,
    force: ForceExperimentOption = False,
    encoding: EncodingOption = "auto",
    dates: DateOptions,
    as_json: JsonOption = False,
    lang: LangOption = Lang.en,
) -> None:
    """Import a past campaign kept as a plain file into an experiment folder."""
    from uplift_lab import io
    from uplift_lab.report.labels import labels_for
    from uplift_lab.workflows import import_campaign as workflow

    if out is None:
        raise InputError("import-campaign needs --out FOLDER, e.g. --out experiments/june_sms")
    if (file is None) == (send_log is None):
        raise InputError("import-campaign: pass either FILE or --send-log FILE --holdout-list FILE")
    fractions = _parse_fractions(expected)
    if send_log is not None:
        if holdout_list is None:
            raise InputError("--send-log needs --holdout-list FILE (the control arm)")
        if strata_col is not None:
            raise InputError("--strata-col is for FILE; a send log is imported as one stratum")
        result = workflow.import_send_log(
            send_log, holdout_list, out=out, start=start, window_days=window_days,
            channel_col=channel_col, send_time_col=send_time_col or "send_time", id_col=id_col,
            control=control or "control", expected=fractions, force=force, encoding=encoding,
            parsing=time_parsing(dates),
        )  # fmt: skip
    else:
        if holdout_list is not None:
            raise InputError("--holdout-list goes with --send-log, not with FILE")
        result = workflow.import_campaign_file(
            file, out=out, start=start, window_days=window_days, arm_col=arm_col,
            control=control, id_col=id_col, strata_col=strata_col, expected=fractions,
            send_time_col=send_time_col, force=force, encoding=encoding,
            parsing=time_parsing(dates),
        )  # fmt: skip
    _print_warnings(result.campaign, labels_for(lang))
    if as_json:
        typer.echo(io.to_json_text({**result.meta, "out": str(out)}), nl=False)
        return
    _print_summary(result, out, labels_for(lang))


def _print_warnings(campaign, labels) -> None:
    """Sample-ratio mismatches (the critical notices) loud, white on red, first; the other
    warnings as usual."""
    from uplift_lab.report.notice_text import render_notice

    for notice in campaign.warnings:
        if notice.level == "critical":
            err_console.print(f"[bold white on red]!!! {escape(render_notice(notice, labels))}[/]")
    for notice in campaign.warnings:
        if notice.level != "critical":
            warn(render_notice(notice, labels))


def _print_summary(result, out: Path, labels) -> None:
    """The split table, whether it matches --expected, the response window, what was written."""
    campaign = result.campaign
    print_table(_split_table(campaign, labels))
    if campaign.expected is not None and not campaign.mismatches:
        check = campaign.srm["(overall)"]
        console.print(
            labels(
                "Split matches --expected (chi-square p = {p}; a mismatch is p < 0.001).",
                p=f"{check.p_value:.3g}",
            )
        )
    elif campaign.expected is None:
        console.print(labels("Split not checked: pass --expected ARM=FRACTION,... to check it."))
    window = result.meta["campaign"]
    console.print(
        labels(
            "Campaign start {start}, response window {days} days (analyze and train use them "
            "by default).",
            start=window["start"],
            days=window["window_days"],
        )
    )
    console.print(
        labels("Wrote {out}/assignment.parquet and {out}/design.json (imported).", out=out)
    )


def _split_table(campaign, labels):
    """Customers per stratum and arm, with the measured share of each arm."""
    from rich import box
    from rich.table import Table

    table = Table(
        title=labels(
            "Imported '{name}': {n} customers",
            name=campaign.name,
            n=f"{len(campaign.assignment):,}",
        ),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column(labels("stratum"))
    for arm in campaign.arms:
        table.add_column(labels.value(arm), justify="right")
    rows = list(campaign.counts.items())
    if len(rows) > 1:
        rows.append(("(overall)", campaign.overall_counts))
    for stratum, counts in rows:
        total = sum(counts.values()) or 1
        table.add_row(
            labels.value(stratum),
            *(f"{counts[arm]:,} ({counts[arm] / total:.1%})" for arm in campaign.arms),
        )
    if campaign.expected is not None:
        table.add_row(
            labels("expected"),
            *(f"{campaign.expected.get(arm, 0.0):.1%}" for arm in campaign.arms),
        )
    return table


def register(app: typer.Typer) -> None:
    """Add `import-campaign` to the app."""
    app.command("import-campaign", help=HELP)(report_errors(import_campaign))
