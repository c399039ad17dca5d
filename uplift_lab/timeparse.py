"""How the date and time columns of a user's file are read.

One format for a whole column (never value-by-value guessing), and the shop's wall-clock time
zone, so day boundaries (recency, response windows, as-of) are the shop's calendar days.

The result is always naive wall-clock time: naive values stay as written (they are the shop's
local time, in ``--timezone`` if given); zone-aware values are converted to ``--timezone``, or
without it to the offset of the column's first value. ISO 8601 text and typed timestamps take
Arrow's vectorised cast; other text is read with one strftime format for every value, chosen as
:func:`parse_times` describes.
"""

from __future__ import annotations

import datetime
import re
import warnings
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.tseries.api import guess_datetime_format

from uplift_lab.errors import (
    DataWarning,
    InputError,
    ParameterError,
    UsageError,
    input_error,
    literal,
    usage_error,
    with_value,
)
from uplift_lab.notices import Notice
from uplift_lab.numeric_times import (
    as_numbers,
    digits_only,
    excel_serial_times,
    numeric_times,
)


@dataclass(frozen=True, slots=True)
class TimeParsing:
    """Options for parsing a file's date/time columns.

    ``date_format``: a strftime format used for every value (``"%d/%m/%Y %H:%M"``).
    ``dayfirst``: ``True``/``False`` forces day-first / month-first; ``None`` decides from the
    data and refuses a column where both readings parse every value but disagree.
    ``timezone``: an IANA zone (``"Asia/Shanghai"``); naive values are wall-clock times there and
    zone-aware values are converted to it. ``None`` keeps naive values as written and converts
    aware values to the offset of the column's first value.
    """

    date_format: str | None = None
    dayfirst: bool | None = None
    timezone: str | None = None

    def __post_init__(self) -> None:
        if self.timezone is not None:
            check_timezone(self.timezone)
        if self.date_format is not None and "%" not in self.date_format:
            raise ParameterError(
                "date_format",
                "must hold strftime codes (a % directive), such as %d/%m/%Y %H:%M",
                self.date_format,
            )


DEFAULT_TIME_PARSING = TimeParsing()

ISO_FIX = "Use ISO dates such as 2026-06-18 or 2026-06-18 20:00:00, or pass {date_format}"
"""The fix of values that are not dates (a :class:`~uplift_lab.errors.UsageError` template)."""
# Formats pandas cannot guess but Chinese back-ends write; tried when guessing finds nothing.
EXTRA_FORMATS = (
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
    "%Y%m%d",
    "%Y%m%d%H%M%S",
)
# An offset only counts after a time of day, so the "-03" of "2026-05-03" is not one.
_OFFSET_PATTERN = r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?P<offset>Z|z|UTC|[+-]\d{2}(?::?\d{2})?)$"


_ISO_SAMPLE = 2048


def parse_date_option(value: object, parameter: str, example: str = "2026-06-01") -> pd.Timestamp:
    """The date parameter ``parameter`` (``start``, ``as_of``) in ISO 8601 only, e.g. 2026-06-01 or
    2026-06-01 08:00: never guessed (``pd.Timestamp("June")`` is June 1st of the year 1 and
    "1/2/2026" could be either month)."""
    if isinstance(value, pd.Timestamp | datetime.datetime | datetime.date):
        return pd.Timestamp(value)
    try:
        stamp = pd.to_datetime(str(value).strip(), format="ISO8601")
    except (ValueError, TypeError, OverflowError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise UsageError(
            f"{{{parameter}}}: '{literal(value)}' is not an ISO date. "
            f"Use YYYY-MM-DD, e.g. {{{parameter}={example}}}"
        )
    return stamp


def check_timezone(name: str) -> zoneinfo.ZoneInfo:
    """The IANA zone ``name``, or a UsageError naming the parameter and an example."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"{{timezone}}: unknown time zone '{literal(name)}'. Use an IANA name such as "
            "Asia/Shanghai, Europe/Berlin or UTC"
        ) from None


def parse_times(
    values: pa.ChunkedArray | pa.Array,
    source: object,
    column: str,
    parsing: TimeParsing = DEFAULT_TIME_PARSING,
) -> pa.ChunkedArray:
    """A date/time column as naive wall-clock ``timestamp[us]`` (nulls kept for the caller).

    Text without ``date_format`` is read as ISO 8601 if every value is ISO; otherwise one format
    is guessed from the first value, in its day-first and month-first readings, and a reading is
    used only if it parses every value. If both do and give different dates, the column is
    refused (pass ``--dayfirst``/``--monthfirst`` or ``--date-format``). With ``date_format``
    every value must fit it, except that a column entirely in ISO 8601 is read as ISO (a
    format given for one file does not break another that is unambiguous). A column mixing
    times with and without an offset is refused; mixed offsets warn with
    :class:`~uplift_lab.errors.DataWarning`.
    """
    if isinstance(values, pa.Array):
        values = pa.chunked_array([values])
    kind = values.type
    if pa.types.is_dictionary(kind):
        values, kind = values.cast(kind.value_type), kind.value_type
    if pa.types.is_null(kind) or pa.types.is_date(kind):
        return pc.cast(values, pa.timestamp("us"), safe=False)
    if pa.types.is_timestamp(kind):
        return _wall_clock(values, parsing)
    if pa.types.is_large_string(kind):
        values, kind = values.cast(pa.string()), pa.string()
    if not pa.types.is_string(kind):
        return _numbers_as_times(values, source, column, parsing)
    if parsing.date_format is None:
        iso = _iso_instants(values, aware=False)  # the fast path: naive ISO 8601, vectorised
        if iso is not None:
            return iso
    values = pc.utf8_trim_whitespace(values)
    if parsing.date_format is None and digits_only(values):  # 20260528, 1779926400: numbers
        return _numbers_as_times(values, source, column, parsing)
    values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
    if values.null_count == len(values):
        return pc.cast(values, pa.timestamp("us"))
    offsets = pc.struct_field(pc.extract_regex(values, _OFFSET_PATTERN), "offset")
    n_valid = len(values) - values.null_count
    n_aware = len(values) - offsets.null_count
    if n_aware and n_aware != n_valid:
        naive = pc.and_(pc.is_null(offsets), pc.is_valid(values))
        example = values.filter(naive)[0].as_py()
        raise input_error(
            source,
            f"column '{column}' mixes times with and without a time-zone offset, "
            f"e.g. '{example}' has none",
            "Export all times in one form (with or without +08:00)",
        )
    try:
        if not n_aware:
            return _parse_with_one_format(values, source, column, parsing)
        instants = _aware_instants(values, source, column, parsing)
    except InputError:
        instants = _iso_instants(values, aware=bool(n_aware)) if parsing.date_format else None
        if instants is None:
            raise
    return _wall_clock(instants, parsing, offsets=offsets, source=source, column=column)


def _numbers_as_times(
    values: pa.ChunkedArray, source: object, column: str, parsing: TimeParsing
) -> pa.ChunkedArray:
    """A column of numbers (or digits) as times: with ``date_format`` its digits read with that
    format, else the one form :func:`~uplift_lab.numeric_times.numeric_times` finds (YYYYMMDD,
    YYYYMMDDhhmmss, Unix time). Unix instants become wall clock in ``parsing.timezone``, or UTC
    with a notice (the shop's calendar days need its zone)."""
    serial = excel_serial_times(values) if parsing.date_format is None else None
    if serial is not None:
        example = pc.drop_null(values)[0].as_py()
        params = {"source": str(source), "column": column, "example": example,
                  "date": str(pc.drop_null(serial.stamps)[0].as_py())}  # fmt: skip
        warnings.warn(DataWarning(Notice("note", "excel_serial_dates", params)), stacklevel=3)
        return serial.stamps
    numbers = as_numbers(values)
    if numbers is None:
        example = literal(_first_valid(values))
        raise usage_error(
            source, f"column '{literal(column)}' has values that are not dates, e.g. '{example}'",
            ISO_FIX,
        )  # fmt: skip
    if parsing.date_format is not None:
        text = pc.cast(numbers, pa.string())
        width = _digits_width(parsing.date_format)
        if width:  # 1072025 of %d%m%Y lost its leading zero to the number
            text = pc.utf8_lpad(text, width=width, padding="0")
        return _parse_with_one_format(text, source, column, parsing)
    read = numeric_times(numbers)
    if read is None:
        low, high = pc.min_max(numbers).values()
        raise usage_error(
            source,
            f"column '{literal(column)}' holds numbers ({low.as_py()} to {high.as_py()}) that are "
            "neither dates written as YYYYMMDD nor Unix times in one unit",
            ISO_FIX,
        )
    unit = read.unix_unit
    if unit is None:
        return read.stamps
    if parsing.timezone is None:
        params = {"source": str(source), "column": column, "unit": unit}
        warnings.warn(DataWarning(Notice("note", "unix_times", params)), stacklevel=3)
    return _wall_clock(read.stamps, parsing)


_DIGIT_WIDTHS = {"d": 2, "m": 2, "Y": 4, "H": 2, "M": 2, "S": 2}


def _digits_width(fmt: str) -> int:
    """The digits a format of fixed-width codes only (``%d%m%Y``) writes, else 0."""
    if not re.fullmatch(r"(?:%[dmYHMS])+", fmt):
        return 0
    return sum(_DIGIT_WIDTHS[code] for code in fmt[1::2])


def _iso_instants(values: pa.ChunkedArray, *, aware: bool) -> pa.ChunkedArray | None:
    """The column read as ISO 8601 (UTC instants if ``aware``), or None if it is not ISO.

    A sample is cast first: Arrow's cast is fast on ISO text but slow to fail on other text.
    """
    kind = pa.timestamp("us", "UTC" if aware else None)
    try:
        pc.cast(values.slice(0, _ISO_SAMPLE), kind)
        return pc.cast(values, kind)
    except pa.ArrowInvalid:
        return None


def _first_valid(values: pa.ChunkedArray) -> object:
    valid = values.filter(pc.is_valid(values))
    return valid[0].as_py() if len(valid) else None


def _aware_instants(
    values: pa.ChunkedArray, source: object, column: str, parsing: TimeParsing
) -> pa.ChunkedArray:
    """Zone-aware text as UTC instants (ISO vectorised, else one format with %z)."""
    if parsing.date_format is None:
        iso = _iso_instants(values, aware=True)
        if iso is not None:
            return iso
    text = values.to_pandas().str.replace(r"(?:Z|z|UTC)$", "+00:00", regex=True)
    chunk = pa.chunked_array([pa.array(text, type=pa.string())])
    return _parse_with_one_format(chunk, source, column, parsing, aware=True)


def _wall_clock(
    stamps: pa.ChunkedArray,
    parsing: TimeParsing,
    *,
    offsets: pa.ChunkedArray | None = None,
    source: object = None,
    column: str = "",
) -> pa.ChunkedArray:
    """Naive wall-clock times: a typed zone stays its own unless ``parsing.timezone`` is given;
    instants from text go to ``parsing.timezone`` or the first value's offset."""
    stamps = pc.cast(stamps, pa.timestamp("us", stamps.type.tz), safe=False)
    if stamps.type.tz is None:
        return stamps
    target = parsing.timezone
    if target is None and offsets is not None:
        distinct = pc.unique(pc.drop_null(offsets)).to_pylist()
        normal = sorted({_normal_offset(text) for text in distinct})
        target = _normal_offset(_first_valid(offsets))
        if len(normal) > 1:
            params = {"source": str(source), "column": column, "offsets": tuple(normal)}
            notice = Notice("warning", "mixed_offsets", {**params, "target": target})
            warnings.warn(DataWarning(notice), stacklevel=2)
        elif normal == ["+00:00"]:  # a platform's log in UTC: its clock, not the shop's
            notice = Notice("note", "utc_times", {"source": str(source), "column": column})
            warnings.warn(DataWarning(notice), stacklevel=2)
    if target is None:
        return pc.local_timestamp(stamps)
    return pc.local_timestamp(stamps.cast(pa.timestamp("us", target)))


def _normal_offset(text: str) -> str:
    """'+0800' / '+08' / 'Z' -> '+08:00' / '+00:00' (Arrow's fixed-offset zone names)."""
    if text in ("Z", "z", "UTC"):
        return "+00:00"
    digits = text[1:].replace(":", "")
    hours, minutes = digits[:2], digits[2:4] or "00"
    return f"{text[0]}{hours}:{minutes}"


def _try_formats(
    values: pa.Array, valid: pa.Array, formats: Sequence[str], aware: bool
) -> tuple[dict[str, pa.Array], dict[str, tuple[int, object]]]:
    """Each format's reading of every value, or (where some value does not fit) how many do not
    and the first of them."""
    readings, failures = {}, {}
    for fmt in formats:
        parsed = _strptime(values, fmt, aware)
        bad = pc.and_(pc.is_null(parsed), valid)
        n_bad = pc.sum(bad).as_py() or 0
        if n_bad:
            failures[fmt] = (n_bad, values.filter(bad)[0].as_py())
        else:
            readings[fmt] = parsed
    return readings, failures


def _readings_differ(readings: Mapping[str, pa.Array]) -> pa.Array | None:
    """Where the first two readings give other dates (day-first vs month-first), else None."""
    if len(readings) < 2:
        return None
    a, b = list(readings.values())[:2]
    differ = pc.fill_null(pc.not_equal(a, b), False)
    return differ if pc.any(differ).as_py() else None


def _given_format_fix(
    values: pa.Array, valid: pa.Array, first: str, parsing: TimeParsing, aware: bool
) -> str:
    """The fix when the given date format fails: the format the values are written in, where
    one reads every value (an export re-saved by Excel writes 1/21/2026 21:00); a question
    where day-first and month-first both do; else a plain 'pass the right one'."""
    readings, _ = _try_formats(values, valid, _candidate_formats(first, parsing.dayfirst), aware)
    if _readings_differ(readings) is not None:
        return (
            "Every value reads both day-first and month-first, with other dates: pass "
            "{dayfirst} (or the right {date_format})"
        )
    if readings:
        quoted = f"'{next(iter(readings))}'"
        return (
            f"Every value reads as {literal(quoted)} (a file re-saved by a spreadsheet?): "
            f"pass {with_value('date_format', quoted)}"
        )
    return f"Fix it, or pass the right {{date_format}} (now '{literal(parsing.date_format)}')"


def _parse_with_one_format(
    values: pa.ChunkedArray,
    source: object,
    column: str,
    parsing: TimeParsing,
    *,
    aware: bool = False,
) -> pa.ChunkedArray:
    """Parse text with one strftime format for every value (given, or chosen from the data)."""
    values = values.combine_chunks()
    valid = pc.is_valid(values)
    first = str(_first_valid(pa.chunked_array([values])))
    if parsing.date_format is not None:
        candidates = [parsing.date_format]
    else:
        candidates = _candidate_formats(first, parsing.dayfirst)
    if not candidates:
        raise usage_error(
            source,
            f"column '{literal(column)}' has values that are not dates, e.g. '{literal(first)}'",
            ISO_FIX,
        )
    readings, failures = _try_formats(values, valid, candidates, aware)
    if not readings:
        fmt, (_, example) = min(failures.items(), key=lambda item: item[1][0])
        quoted_format = f"'{fmt}'"
        fix = (
            _given_format_fix(values, valid, first, parsing, aware)
            if parsing.date_format
            else ISO_FIX
            if fmt == "ISO8601"
            else f"{ISO_FIX} (e.g. {with_value('date_format', quoted_format)})"
        )
        how = (
            f"read as {literal(fmt)}, the date format given (an option, a preset or a map)"
            if parsing.date_format
            else f"read as {literal(fmt)} from its first value '{literal(first)}'"
        )
        raise usage_error(
            source,
            f"column '{literal(column)}' has values that are not dates in one format, e.g. "
            f"'{literal(example)}' ({how})",
            fix,
        )
    differ = _readings_differ(readings)
    if differ is not None:
        example = values.filter(differ)[0].as_py()
        fmt_a, fmt_b = list(readings)[:2]
        day_first, month_first = sorted((fmt_a, fmt_b), key=_is_day_first, reverse=True)
        raise usage_error(
            source,
            f"column '{literal(column)}' reads as day-first ({literal(day_first)}) and as "
            f"month-first ({literal(month_first)}) with different dates, e.g. "
            f"'{literal(example)}'",
            "Pass {dayfirst} (or {date_format}) to say which",
        )
    return pa.chunked_array([next(iter(readings.values()))])


def _strptime(values: pa.Array, fmt: str, aware: bool) -> pa.Array:
    """``values`` read with ``fmt`` as ``timestamp[us]`` (UTC if ``aware``), null where they do
    not fit. Arrow's vectorised strptime, or pandas with the same format where Arrow parses
    nothing with it (%f, "ISO8601")."""
    kind = pa.timestamp("us", "UTC" if aware else None)
    parsed = None
    if fmt != "ISO8601":
        try:
            parsed = pc.strptime(values, format=fmt, unit="us", error_is_null=True)
            parsed = parsed.cast(kind) if parsed.type.tz or not aware else None
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            parsed = None
    if parsed is not None and parsed.null_count < len(values):
        return parsed  # Arrow knows the format: a value it leaves null does not fit it
    nothing = pa.nulls(len(values), kind)
    if not _pandas_strptime(values.slice(0, _ISO_SAMPLE), fmt, aware).notna().any():
        return nothing  # pandas cannot read the first values either: not this format
    parsed = _pandas_strptime(values, fmt, aware)
    return pa.array(parsed.dt.as_unit("us"), type=kind, from_pandas=True)


def _pandas_strptime(values: pa.Array, fmt: str, aware: bool) -> pd.Series:
    text = values.to_pandas()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pd.to_datetime(text, format=fmt, errors="coerce", utc=aware)
        except (ValueError, TypeError):  # e.g. a format without %z on aware values
            return pd.Series(
                pd.NaT, index=text.index, dtype="datetime64[us, UTC]" if aware else "datetime64[us]"
            )


def _is_day_first(fmt: str) -> bool:
    return fmt.find("%d") < fmt.find("%m")


def _swap_day_month(fmt: str) -> str:
    return fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


def _candidate_formats(first: str, dayfirst: bool | None) -> list[str]:
    """The formats worth trying on a column whose first value is ``first``.

    Year-first formats read year-month-day only; day/month formats come in both orders unless
    ``dayfirst`` fixes one.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        guesses = [guess_datetime_format(first, dayfirst=flag) for flag in (False, True)]
    guesses = [fmt for fmt in guesses if fmt]
    if not guesses:
        guesses = [
            fmt for fmt in EXTRA_FORMATS if _strptime(pa.array([first]), fmt, False).null_count == 0
        ]
    candidates: list[str] = []
    for fmt in guesses:
        has_both = "%d" in fmt and "%m" in fmt
        year_first = has_both and re.match(r"^\W*%[Yy]", fmt) is not None
        if year_first:
            ymd = fmt if fmt.find("%m") < fmt.find("%d") else _swap_day_month(fmt)
            options = ["ISO8601", ymd] if ymd.startswith("%Y-%m-%d") else [ymd]
        elif has_both:
            options = [fmt, _swap_day_month(fmt)]
            if dayfirst is not None:
                options = [f for f in options if _is_day_first(f) == dayfirst]
        else:
            options = [fmt]
        candidates += [f for f in options if f not in candidates]
    return candidates
