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
