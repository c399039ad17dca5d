"""Every command has help text; --version works."""

from __future__ import annotations

import pytest
import typer.main

from uplift_lab import __version__
from uplift_lab.cli import app


def test_version_flag(runner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_every_command_has_help_text(runner) -> None:
    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        assert (command.help or "").strip(), f"command {name} has no help text"
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, name


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["segment", "nosuch.csv", "--out", "s.parquet"], "file 'nosuch.csv' does not exist"),
        (["segment", "--nosuch"], "No such option: --nosuch"),
        (["analyze", ".", "--window-days", "0"], "'--window-days'"),
        (["segment"], "Missing argument 'ORDERS'"),
        (["frobnicate"], "No such command 'frobnicate'"),
    ],
)
def test_usage_errors_are_one_error_line_with_exit_2(runner, argv, expected) -> None:
    """Like every input error: one line, no usage box, and where to look."""
    result = runner.invoke(app, argv)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ") and expected in lines[0]
    assert "--help" in lines[0] and "╭" not in result.output


def test_no_arguments_still_prints_the_help(runner) -> None:
    result = runner.invoke(app, [])
    assert "Commands" in result.output and "segment" in result.output


def test_a_table_wider_than_the_terminal_is_printed_whole_not_cut(monkeypatch) -> None:
    """Ten number columns at 80 columns (a pipe's width): every number is printed whole, where
    rich's own print cuts the last ones at the edge."""
    from io import StringIO

    from rich.console import Console
    from rich.table import Table

    from uplift_lab.cli import _common
    from uplift_lab.report.tables import keep_numbers_whole

    def table() -> Table:
        grid = Table("model")
        for k in range(10):
            grid.add_column(f"@{k}0%", justify="right")
        grid.add_row("conv-value*", *(f"-0.01{k}7" for k in range(10)))
        return keep_numbers_whole(grid)

    cut = Console(file=StringIO(), width=80)
    cut.print(table())
    assert "-0.0197" not in cut.file.getvalue()  # what the plain print did
    whole = Console(file=StringIO(), width=80)
    monkeypatch.setattr(_common, "console", whole)
    _common.print_table(table())
    printed = whole.file.getvalue()
    assert all(f"-0.01{k}7" in printed for k in range(10)), printed
