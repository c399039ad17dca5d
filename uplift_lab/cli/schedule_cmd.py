"""CLI for `uplift-lab schedule`: a multi-touch plan -> per-touch send lists."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from uplift_lab.cli._common import (
    EncodingOption,
    JsonOption,
    Lang,
    LangOption,
    console,
    print_table,
    report_errors,
    warn,
)

HELP = """Turn a multi-touch plan into per-touch send lists, without the experiment's holdout.

--touches is a TOML file of \\[\\[touch]] entries: name, channel, day (days from --start, may be
negative), time ("HH:MM"), optional segments (values of a segment column), column (which
column of --segments, default lifecycle) and cost (per message; or a \\[costs] table of
channel = cost). Every treated customer of the experiment (any treated arm) in a touch's
segments gets the touch; the control arm (the holdout) gets none. Writes OUT/<touch>.csv
(customer_id, channel, send_time), OUT/holdout/<touch>.csv (the held-out customers of the
touch's segments) and OUT/schedule.json (touches, send times, counts, costs and the
experiment's assignment SHA-256, which analyze --schedule checks). The experiment folder is
only read.
"""


def schedule(
    segments: Annotated[
        Path,
        typer.Option(
            "--segments",
            exists=True,
            dir_okay=False,
            help="Customer table from `segment` (customer_id and the segment columns).",
        ),
    ],  # fmt: skip
    touches: Annotated[
        Path,
        typer.Option(
            "--touches",
            exists=True,
            dir_okay=False,
            help="Touch plan (TOML, \\[\\[touch]] entries).",
        ),
    ],
    experiment: Annotated[
        Path,
        typer.Option(
            "--experiment",
            exists=True,
            file_okay=False,
            help="Experiment folder (design or import-campaign): its control arm is held out.",
        ),
    ],  # fmt: skip
    start: Annotated[
        str, typer.Option("--start", help="Campaign day 0, e.g. 2026-11-11 (day = 0).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder to write, e.g. schedules/double11.")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out.")] = False,
    encoding: EncodingOption = "auto",
    as_json: JsonOption = False,
    lang: LangOption = Lang.en,
) -> None:
    """Turn a multi-touch plan into per-touch send lists, without the experiment's holdout."""
    from uplift_lab import io
    from uplift_lab.report.labels import labels_for
    from uplift_lab.report.schedule_report import schedule_table
    from uplift_lab.workflows.schedule import make_schedule

    result = make_schedule(
        segments, touches, experiment, start=start, out=out, force=force, encoding=encoding
    )
    if result.schedule.customers_not_segmented:
        warn(
            f"{result.schedule.customers_not_segmented:,} customer(s) of the experiment are not "
            f"in {segments} and get no touch"
        )
    if as_json:
        typer.echo(io.to_json_text({**result.meta, "out": str(out)}), nl=False)
        return
    labels = labels_for(lang)
    print_table(schedule_table(result.meta, labels))
    control = labels.value(result.meta["control_arm"])
    held_out = labels("Holdout ({control}) held out of every touch.", control=control)
    console.print(f"{held_out} {labels(POLICY_LINE)}")
    count = len(result.meta["touches"])
    console.print(
        labels("Wrote {count} send list(s) and schedule.json to {out}/.", count=count, out=out)
    )


POLICY_LINE = "Every treated customer of a touch's segments gets it, whatever its channel."


def register(app: typer.Typer) -> None:
    """Add `schedule` to the app."""
    app.command("schedule", help=HELP)(report_errors(schedule))
