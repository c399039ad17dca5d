"""What every command shares: consoles, the error guard, and common options.

Commands only parse options, call one library function and print. Heavy libraries (lightgbm,
sklift, matplotlib) are imported inside the command bodies so ``uplift-lab --help`` stays fast.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from uplift_lab.errors import UpliftLabError

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])


INTERRUPTED = "interrupted; nothing was written"
INTERRUPTED_EXIT_CODE = 130  # 128 + SIGINT, what shells report for Ctrl-C


def report_errors(func: F) -> F:
    """Turn an UpliftLabError raised by a command into one line on stderr and its exit code.

    Ctrl-C gives one line too and exit code 130: outputs are written to temporary files that are
    removed on the way out, so an interrupted command leaves nothing behind.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UpliftLabError as exc:
            message = " ".join(str(exc).split())  # always exactly one line
            err_console.print(f"[bold red]error:[/] {escape(message)}")
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err_console.print(f"[bold yellow]{INTERRUPTED}[/]")
            raise typer.Exit(INTERRUPTED_EXIT_CODE) from None

    return wrapper  # type: ignore[return-value]


def warn(message: str) -> None:
    """Print a one-line warning on stderr."""
    err_console.print(f"[bold yellow]warning:[/] {escape(message)}")


def parse_key_values(items: list[str] | None, option: str) -> dict[str, str]:
    """Parse repeated or comma-joined ``key=value`` options (``--cost sms=0.05,edm=0.01``)."""
    from uplift_lab.errors import InputError

    result: dict[str, str] = {}
    for item in items or []:
        for part in item.split(","):
            part = part.strip()
            if not part:
                continue
            key, sep, value = part.partition("=")
            if not sep or not key.strip() or not value.strip():
                raise InputError(f"{option}: expected NAME=VALUE, got '{part}'")
            result[key.strip()] = value.strip()
    return result


def split_list(value: str | None) -> list[str]:
    """Split a comma-separated option into its non-empty items."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]


InputFile = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or Parquet file.")
]
EncodingOption = Annotated[
    str,
    typer.Option(
        "--encoding",
        help="Text encoding of CSV inputs: auto (UTF-8, UTF-8 with BOM, GBK/GB18030), "
        "or a name such as utf-8, gbk, gb18030.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the summary as JSON for scripts.")]
WideOption = Annotated[
    bool,
    typer.Option(
        "--wide", help="Print every table column, even where the table is wider than the terminal."
    ),
]


def spinner(description: str):
    """A transient spinner on stderr for steps that take seconds; silent when stderr is not a
    terminal, so scripts and CI logs see only results and one-line errors."""
    from rich.progress import Progress, SpinnerColumn, TextColumn

    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )
    progress.add_task(description, total=None)
    return progress


CustomerColOption = Annotated[
    str,
    typer.Option(
        "--customer-col", help="Customer id column of the input files (real exports rename it)."
    ),
]
TimeColOption = Annotated[str, typer.Option("--time-col", help="Order time column of the orders.")]
AmountColOption = Annotated[
    str, typer.Option("--amount-col", help="Order amount column of the orders.")
]
