"""option_groups: a command's group parameter stands for the group's options, in its place."""

from __future__ import annotations

from typing import Annotated

import typer
from typer.testing import CliRunner

from uplift_lab.cli._common import DateOptions, OrderColumns, option_groups


def _app() -> tuple[typer.Typer, dict]:
    """A one-command app whose command records what it was called with."""
    app = typer.Typer()
    seen: dict = {}

    @app.command()
    @option_groups
    def command(
        first: Annotated[str, typer.Option("--first")] = "a",
        *,
        dates: DateOptions,
        last: Annotated[int, typer.Option("--last")] = 0,
        columns: OrderColumns,
    ) -> None:
        seen.update(first=first, dates=dates, last=last, columns=columns)

    return app, seen


def test_a_group_arrives_built_from_its_flags():
    app, seen = _app()

    result = CliRunner().invoke(app, ["--timezone", "Asia/Shanghai", "--dayfirst", "--last", "3"])

    assert result.exit_code == 0, result.output
    assert seen["dates"] == DateOptions(date_format=None, dayfirst=True, timezone="Asia/Shanghai")
    assert seen["last"] == 3


def test_a_group_left_out_arrives_with_the_fields_defaults():
    app, seen = _app()

    result = CliRunner().invoke(app, [])

    assert result.exit_code == 0, result.output
    assert seen["columns"] == OrderColumns("customer_id", "order_time", "amount")
    assert seen["dates"] == DateOptions(None, None, None)


def test_help_lists_a_group_s_options_where_the_group_stands():
    app, _ = _app()

    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})

    flags = ["--first", "--date-format", "--dayfirst", "--timezone", "--last", "--customer-col",
             "--time-col", "--amount-col"]  # fmt: skip
    positions = [result.output.index(flag) for flag in flags]
    assert positions == sorted(positions)
