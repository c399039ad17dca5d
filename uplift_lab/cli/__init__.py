"""Segment customers, design send/holdout splits, analyze campaigns, model and target uplift."""

# The uplift-lab command line: one typer app, one module per command group.

from __future__ import annotations

from typing import Annotated

import typer

from uplift_lab import __version__
from uplift_lab.cli import (
    analyze_cmd,
    campaign_cmd,
    demo_cmd,
    design_cmd,
    evaluate_cmd,
    plan_cmd,
    presets_cmd,
    schedule_cmd,
    score_cmd,
    segment_cmd,
    synth_cmd,
    target_cmd,
    train_cmd,
)
from uplift_lab.cli._help import polish_help

app = typer.Typer(
    name="uplift-lab",
    help=__doc__,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"uplift-lab {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Segment customers, design send/holdout splits, analyze campaigns, model and target uplift."""


for _module in (
    synth_cmd,
    segment_cmd,
    design_cmd,
    campaign_cmd,
    analyze_cmd,
    train_cmd,
    score_cmd,
    evaluate_cmd,
    target_cmd,
    schedule_cmd,
    plan_cmd,
    demo_cmd,
    presets_cmd,
):
    _module.register(app)
polish_help(app)  # placeholders, [default: ...], one Example: per command (see cli/_help.py)


def main() -> None:
    """Console-script entry point."""
    app()
