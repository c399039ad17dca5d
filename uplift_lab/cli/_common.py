"""What every command shares: consoles, the error guard, and common options.

Commands only parse options, call one library function and print. Heavy libraries (lightgbm,
sklift, matplotlib) are imported inside the command bodies so ``uplift-lab --help`` stays fast.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar, get_type_hints

import typer
from rich.console import Console
from rich.markup import escape

from uplift_lab.errors import DataWarning, ParameterError, UpliftLabError, UsageError
from uplift_lab.report.labels import Lang, labels_for

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])


def print_table(table: Any) -> None:
    """Print a table whole: where its numbers need more than the terminal's width (80 columns
    when piped), it is printed as wide as it draws instead of cut at the edge (rich crops the
    last column otherwise: -0.017 shown as -0.01)."""
    from uplift_lab.report.tables import drawn_width

    needed = drawn_width(table, console.width)
    console.print(table, width=max(console.width, needed), crop=False)


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
            with warnings.catch_warnings():
                warnings.simplefilter("always", DataWarning)
                show = _data_warnings_as_lines(warnings.showwarning, kwargs.get("lang", Lang.en))
                warnings.showwarning = show
                return func(*args, **kwargs)
        except UpliftLabError as exc:
            message = " ".join(error_message(exc).split())  # always exactly one line
            err_console.print(f"[bold red]error:[/] {escape(message)}")
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err_console.print(f"[bold yellow]{INTERRUPTED}[/]")
            raise typer.Exit(INTERRUPTED_EXIT_CODE) from None

    return wrapper  # type: ignore[return-value]


# Library parameters whose flag is not "--" + the name with "_" as "-" (an argument in capitals).
FLAG_OF_PARAMETER = {
    "baseline_by_stratum": "--baseline",  # design (--baseline STRATUM=RATE)
    "baseline_column": "--baseline-col",  # design
    "cap_quantile": "--cap-revenue",  # analyze
    "costs": "--cost",  # analyze
    "coupons": "--coupon",  # analyze
    "covariate_name": "--covariate",  # analyze
    "control_arm": "--control",  # design
    "conversion_model": "--model",  # train
    "customers_path": "--customers",  # segment
    "dayfirst": "--dayfirst or --monthfirst",  # dates: a flag pair sets True / False
    "excluded_statuses": "--exclude-status",  # orders
    "expected_fractions": "--expected",  # analyze
    "holdout_by_stratum": "--holdout",  # design (--holdout STRATUM=FRACTION)
    "master": "--spark-master",  # --engine spark (spark.session.spark_session)
    "n_folds": "--folds",  # train
    "n_splits": "--splits",  # evaluate
    "out_dir": "--out",  # synth
    "paid_statuses": "--paid-status",  # orders
}


def flag_of(parameter: str) -> str:
    """The flag (or argument) that sets a library parameter: ``margin`` -> ``--margin``.

    An item of a mapping parameter (``arms[control]``) is set by the mapping's flag.
    """
    name = parameter.split("[", 1)[0]
    return FLAG_OF_PARAMETER.get(name, "--" + name.replace("_", "-"))


def flag_with_value(parameter: str, value: str | None = None) -> str:
    """A parameter as the CLI writes it: ``--start``, or ``--start 2026-06-01`` with a value."""
    flag = flag_of(parameter)
    return flag if value is None else f"{flag} {value}"


def error_message(exc: UpliftLabError) -> str:
    """The error as the CLI says it: a ParameterError as "--holdout: must be RULE. Got VALUE
    instead.", its example and fix naming flags too; a UsageError with its parameters as flags;
    any other error as it is."""
    if isinstance(exc, UsageError):
        return exc.render(flag_with_value)
    if not isinstance(exc, ParameterError):
        return str(exc)
    flag = flag_of(exc.parameter)
    example = None if exc.example is None else f"{flag} {exc.example}"
    return f"{flag}: " + exc.sentence(None, example, flag_of)


def _data_warnings_as_lines(
    show_other: Callable[..., None], lang: Lang = Lang.en
) -> Callable[..., None]:
    """A ``warnings.showwarning`` printing a library's DataWarning as one ``warning:`` line, in
    the command's ``--lang`` (its ``lang`` argument; English without one)."""

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        if issubclass(category, DataWarning):
            warn(" ".join(_data_warning_text(message, lang).split()))
        else:
            show_other(message, category, filename, lineno, file, line)

    return show


def _data_warning_text(warning: Warning | str, lang: Lang = Lang.en) -> str:
    """A DataWarning's notice in words (its text when it carries none)."""
    from uplift_lab.notices import Notice
    from uplift_lab.report.notice_text import render_notice

    notice = getattr(warning, "notice", None)
    return render_notice(notice, labels_for(lang)) if isinstance(notice, Notice) else str(warning)


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
LangOption = Annotated[
    Lang,
    typer.Option(
        "--lang",
        help="Language of the printed tables and the Markdown/HTML reports: en, or zh for "
        "Chinese labels and ¥ amounts. CSV, Parquet and JSON outputs keep their English "
        "column names and keys.",
    ),
]
WideOption = Annotated[
    bool,
    typer.Option(
        "--wide", help="Print every table column, even where the table is wider than the terminal."
    ),
]
ForceExperimentOption = Annotated[
    bool, typer.Option("--force", help="Replace an existing experiment folder.")
]
ForceOutFolderOption = Annotated[
    bool, typer.Option("--force", help="Replace an existing --out folder.")
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

# --- Which orders count, presets and column maps (uplift_lab.orders, uplift_lab.columnmap) ---

PresetOption = Annotated[
    str | None,
    typer.Option(
        "--preset",
        help="Read the orders file as a shop back-end's export: taobao, shopify, woocommerce or "
        "youzan (`uplift-lab presets` lists their columns and rules). Its buyer column becomes "
        "customer_id; --customer-col then names the id column of the other files.",
    ),
]
ColumnsOption = Annotated[
    Path | None,
    typer.Option(
        "--columns",
        exists=True,
        dir_okay=False,
        help="Column map (TOML): per input kind (\\[orders], \\[customers], \\[events], "
        "\\[campaign]) the file's column names -> canonical names, plus status/refund rules, "
        "date_format, dayfirst and timezone, names (a file without header line), sheet "
        "(a workbook's) and event_types (see README).",
    ),
]
StatusColOption = Annotated[
    str | None,
    typer.Option("--status-col", help="Order status column; use with --paid-status or "
                 "--exclude-status."),
]  # fmt: skip
PaidStatusOption = Annotated[
    list[str] | None,
    typer.Option(
        "--paid-status",
        help="A status whose orders count (repeatable); rows of any other status are dropped.",
    ),
]
ExcludeStatusOption = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude-status",
        help="A status whose orders do not count, e.g. cancelled (repeatable).",
    ),
]
RefundColOption = Annotated[
    str | None,
    typer.Option(
        "--refund-col",
        help="Refund amount per order: net = amount - refund; a fully refunded order is not "
        "a purchase nor a conversion.",
    ),
]
RefundRowsOption = Annotated[
    bool,
    typer.Option(
        "--refund-rows",
        help="Negative amounts are refund rows: netted into the customer's totals, never an "
        "order (without it a negative amount is refused).",
    ),
]


# --- Option groups: options several commands share, declared once ---


class OptionGroup:
    """Base of a frozen dataclass of options that several commands share.

    A command parameter annotated with a group (``dates: DateOptions``) stands, in the command
    line and its ``--help``, for the group's fields in their order; see :func:`option_groups`.
    """


@dataclass(frozen=True)
class OrderColumns(OptionGroup):
    """--customer-col, --time-col, --amount-col: the order log's column names."""

    customer_col: CustomerColOption = "customer_id"
    time_col: TimeColOption = "order_time"
    amount_col: AmountColOption = "amount"


@dataclass(frozen=True)
class OrderRules(OptionGroup):
    """--preset, --columns and the status/refund rules: which orders count."""

    preset: PresetOption = None
    columns: ColumnsOption = None
    status_col: StatusColOption = None
    paid_status: PaidStatusOption = None
    exclude_status: ExcludeStatusOption = None
    refund_col: RefundColOption = None
    refund_rows: RefundRowsOption = False


@dataclass(frozen=True)
class DateOptions(OptionGroup):
    """--date-format, --dayfirst/--monthfirst, --timezone: how date/time values are read."""

    date_format: DateFormatOption = None
    dayfirst: DayFirstOption = None
    timezone: TimezoneOption = None


def option_groups(func: F) -> F:
    """Let a command take :class:`OptionGroup` parameters: typer sees each group's fields in its
    place (same names, help and defaults), and the command gets the group built from them."""
    signature = inspect.signature(func, eval_str=True)
    groups = {
        name: param.annotation
        for name, param in signature.parameters.items()
        if isinstance(param.annotation, type) and issubclass(param.annotation, OptionGroup)
    }
    parameters = []
    for name, param in signature.parameters.items():
        if name not in groups:
            parameters.append(param)
            continue
        hints = get_type_hints(groups[name], include_extras=True)
        parameters.extend(
            inspect.Parameter(
                field.name, param.kind, default=field.default, annotation=hints[field.name]
            )
            for field in dataclasses.fields(groups[name])
        )

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for name, group in groups.items():
            values = {field.name: kwargs.pop(field.name) for field in dataclasses.fields(group)}
            kwargs[name] = group(**values)
        return func(*args, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def time_parsing(dates: DateOptions):
    """The :class:`~uplift_lab.timeparse.TimeParsing` of the --date-format/--dayfirst/--timezone
    options (imported here so ``--help`` stays fast)."""
    from uplift_lab.timeparse import TimeParsing

    return TimeParsing(
        date_format=dates.date_format, dayfirst=dates.dayfirst, timezone=dates.timezone
    )


def order_inputs(order_cols: OrderColumns, rules: OrderRules, dates: DateOptions):
    """The :class:`uplift_lab.columnmap.InputSpec` of a command's order options."""
    from uplift_lab.columnmap import preset_named, resolve_inputs
    from uplift_lab.workflows.inputs import read_column_map

    if rules.preset:
        preset_named(rules.preset)  # an unknown preset is named before a bad column map
    return resolve_inputs(
        preset=rules.preset,
        columns=read_column_map(rules.columns) if rules.columns is not None else None,
        customer_col=order_cols.customer_col,
        time_col=order_cols.time_col,
        amount_col=order_cols.amount_col,
        status_col=rules.status_col,
        paid_statuses=tuple(rules.paid_status or ()),
        excluded_statuses=tuple(rules.exclude_status or ()),
        refund_col=rules.refund_col,
        refund_rows=rules.refund_rows,
        parsing=time_parsing(dates),
    )
