"""What every command shares: consoles, the error guard, and common options.

Commands only parse options, call one library function and print. Heavy libraries (lightgbm,
sklift, matplotlib) are imported inside the command bodies so ``uplift-lab --help`` stays fast.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from uplift_lab.errors import DataWarning, UpliftLabError

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])


def report_errors(func: F) -> F:
    """Turn an UpliftLabError raised by a command into one line on stderr and its exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always", DataWarning)
                warnings.showwarning = _data_warnings_as_lines(warnings.showwarning)
                return func(*args, **kwargs)
        except UpliftLabError as exc:
            message = " ".join(str(exc).split())  # always exactly one line
            err_console.print(f"[bold red]error:[/] {escape(message)}")
            raise typer.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


def _data_warnings_as_lines(show_other: Callable[..., None]) -> Callable[..., None]:
    """A ``warnings.showwarning`` printing a library's DataWarning as one ``warning:`` line."""

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        if issubclass(category, DataWarning):
            warn(" ".join(str(message).split()))
        else:
            show_other(message, category, filename, lineno, file, line)

    return show


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
            if key.strip() in result:
                raise InputError(
                    f"{option}: '{key.strip()}' is given twice ({key.strip()}="
                    f"{result[key.strip()]} and {key.strip()}={value.strip()}); give each name once"
                )
            result[key.strip()] = value.strip()
    return result


def split_list(value: str | None) -> list[str]:
    """Split a comma-separated option into its non-empty items."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]


InputFile = Annotated[
    Path,
    typer.Argument(
        exists=True, dir_okay=False, readable=True, help="CSV, TSV, Parquet or Excel file."
    ),
]
EncodingOption = Annotated[
    str,
    typer.Option(
        "--encoding",
        help="Text encoding of CSV/TSV inputs: auto (UTF-8, UTF-8/UTF-16 with BOM, GBK/GB18030), "
        "or a name such as utf-8, gbk, gb18030, big5, utf-16.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the summary as JSON for scripts.")]


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

DateFormatOption = Annotated[
    str | None,
    typer.Option(
        "--date-format",
        metavar="FORMAT",
        help="strftime format of every date/time value, e.g. '%d/%m/%Y %H:%M' (default: ISO, or "
        "one format read from the data; a column that reads both day- and month-first is "
        "refused).",
    ),
]
DayFirstOption = Annotated[
    bool | None,
    typer.Option(
        "--dayfirst/--monthfirst",
        help="Read 05/03/2026 as 5 March (--dayfirst) or May 3 (--monthfirst) (default: decided "
        "from the data).",
        show_default=False,
    ),
]
TimezoneOption = Annotated[
    str | None,
    typer.Option(
        "--timezone",
        metavar="ZONE",
        help="The shop's IANA time zone, e.g. Asia/Shanghai: times with an offset (+08:00, Z) "
        "are converted to it; naive times are its wall clock (default: as written; offsets to "
        "the first value's).",
        show_default=False,
    ),
]


def time_parsing(date_format: str | None, dayfirst: bool | None, timezone: str | None):
    """The :class:`~uplift_lab.timeparse.TimeParsing` of the --date-format/--dayfirst/--timezone
    options (imported here so ``--help`` stays fast)."""
    from uplift_lab.timeparse import TimeParsing

    return TimeParsing(date_format=date_format, dayfirst=dayfirst, timezone=timezone)
