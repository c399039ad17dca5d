"""CLI for `uplift-lab presets`: the shop back-end exports that --preset reads."""

from __future__ import annotations

import typer

from uplift_lab.cli._common import JsonOption, console, print_table, report_errors

PRESETS_HELP = (
    "List the back-end presets of --preset (segment, analyze, train, evaluate): which column "
    "of the export becomes which canonical column, and which orders count."
)


def register(app: typer.Typer) -> None:
    """Add the `presets` command to ``app``."""

    @app.command("presets", help=PRESETS_HELP)
    @report_errors
    def presets(as_json: JsonOption = False) -> None:
        from rich import box
        from rich.table import Table

        from uplift_lab import io
        from uplift_lab.columnmap import PRESETS

        if as_json:
            payload = {
                name: {
                    "title": preset.title,
                    "columns": preset.mapping(),
                    "counted_statuses": list(preset.orders.rules.paid_statuses),
                    "notes": preset.notes,
                }
                for name, preset in PRESETS.items()
            }
            typer.echo(io.to_json_text(payload), nl=False)
            return
        for name, preset in PRESETS.items():
            console.print(f"[bold]--preset {name}[/]: {preset.title}")
            table = Table(box=box.SIMPLE_HEAD)
            table.add_column("canonical")
            table.add_column("export column")
            for canonical, column in preset.mapping().items():
                table.add_row(canonical, column)
            print_table(table)
            console.print(preset.notes, markup=False)
            console.print()
