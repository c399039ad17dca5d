"""Date and time columns written as numbers, read by the one form their range allows.

Warehouse exports, trackers and old logs write times as numbers: ``20260528`` (YYYYMMDD, as
CDNOW and many ERP dumps do), ``20260528143000`` (YYYYMMDDhhmmss), or Unix time in seconds
(``1779926400``, Taobao's UserBehavior), milliseconds (``1779926400000``, RetailRocket),
microseconds or nanoseconds. The ranges do not overlap: YYYYMMDD of the years 1900-2100 lies
below 10^8, Unix seconds from 1973 on above it, and each finer Unix unit a thousand times
higher. So one form is read off the column's smallest and largest value, and it must read every
value; a column whose numbers span two forms is refused, never read value by value.

Calendar forms are wall-clock dates as written; Unix times are instants (UTC), returned zone-aware
for :mod:`uplift_lab.timeparse` to turn into the shop's wall clock.

Excel's serial dates (days since 1899-12-30, a fraction the time of day: ``45123.5``), what a
spreadsheet saves for a date cell formatted as a number, are read where every value lies in the
years 2000 to 2099 (36,526 to 73,050), a range no other form reaches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

CALENDAR_FORMS = (
    ("%Y%m%d", 19_000_101, 21_001_231),
    ("%Y%m%d%H%M%S", 19_000_101_000_000, 21_001_231_235_959),
)
_UNIX_SECONDS = (100_000_000, 4_102_444_800)  # 1973-03-03 to 2100-01-01
EXCEL_SERIALS = (36_526, 73_051)  # 2000-01-01 to 2099-12-31 as days since 1899-12-30
EXCEL_EPOCH = np.datetime64("1899-12-30T00:00:00", "us")
MICROS_PER_DAY = 86_400 * 10**6
UNIX_UNITS = (("s", 1), ("ms", 10**3), ("us", 10**6), ("ns", 10**9))


@dataclass(frozen=True, slots=True)
class NumericTimes:
    """A numeric column read as times: ``stamps`` are ``timestamp[us]`` (naive for a calendar
    form, UTC for Unix time); ``form`` is the strftime format or ``unix_<unit>``."""

    stamps: pa.ChunkedArray
    form: str

    @property
    def unix_unit(self) -> str | None:
        """``"s"``, ``"ms"``, ``"us"`` or ``"ns"`` for Unix time, else None."""
        return self.form.removeprefix("unix_") if self.form.startswith("unix_") else None


def excel_serial_times(values: pa.ChunkedArray) -> NumericTimes | None:
    """Integer or float Excel serial dates of the years 2000-2099 as wall-clock times (to the
    millisecond; a fraction is the time of day), or None where any value is outside them."""
    kind = values.type
    if not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
        return None
    days = pc.drop_null(values).to_numpy(zero_copy_only=False).astype("float64")
    if not len(days) or not np.isfinite(days).all():
        return None
    if days.min() < EXCEL_SERIALS[0] or days.max() >= EXCEL_SERIALS[1]:
        return None
    everything = values.to_numpy(zero_copy_only=False).astype("float64")  # nulls: NaN
    # to the millisecond: a serial's double carries about 10 decimals of a day (~10 us of
    # rounding noise), and Excel keeps times to the millisecond
    millis = np.round(np.nan_to_num(everything) * (MICROS_PER_DAY // 1000)).astype("int64")
    micros = millis * 1000
    stamps = pa.array(EXCEL_EPOCH + micros.astype("timedelta64[us]"), mask=np.isnan(everything))
    return NumericTimes(pa.chunked_array([stamps]), "excel_serial")


def digits_only(values: pa.ChunkedArray) -> bool:
    """Whether every value of a text column is a run of ASCII digits (nulls aside)."""
    present = pc.drop_null(values)
    return len(present) > 0 and bool(pc.all(pc.match_substring_regex(present, r"^[0-9]+$")).as_py())


def as_numbers(values: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """An integer, float or digits-only text column as int64 (a float must be whole), or None."""
    kind = values.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        if not digits_only(values):
            return None
        try:
            return pc.cast(values, pa.int64())
        except (pa.ArrowInvalid, OverflowError):
            return None
    if pa.types.is_integer(kind):
        return pc.cast(values, pa.int64())
    if pa.types.is_floating(kind):
        present = pc.drop_null(values).to_numpy(zero_copy_only=False)
        if not (np.isfinite(present).all() and (np.mod(present, 1) == 0).all()):
            return None
        if len(present) and np.abs(present).max() >= 2**63:
            return None
        return pc.cast(values, pa.int64(), safe=False)
    return None


def numeric_times(values: pa.ChunkedArray) -> NumericTimes | None:
    """The one form of :data:`CALENDAR_FORMS` or Unix time that reads every value, or None.

    ``values``: int64 (see :func:`as_numbers`). None when the range fits no form, or a calendar
    form's range holds a value that is not a date (``20261399``)."""
    present = pc.drop_null(values)
    if not len(present):
        return None
    low, high = pc.min_max(present).values()
    low, high = low.as_py(), high.as_py()
    for fmt, first, last in CALENDAR_FORMS:
        if first <= low and high <= last:
            text = pc.cast(values, pa.string())
            parsed = pc.strptime(text, format=fmt, unit="us", error_is_null=True)
            if parsed.null_count == values.null_count:
                return NumericTimes(parsed, fmt)
            return None
    for unit, per_second in UNIX_UNITS:
        if _UNIX_SECONDS[0] * per_second <= low and high < _UNIX_SECONDS[1] * per_second:
            micro = pc.multiply(values, 10**6 // per_second) if per_second <= 10**6 else None
            if micro is None:
                micro = pc.divide(values, per_second // 10**6)
            stamps = pc.cast(micro, pa.timestamp("us", "UTC"))
            return NumericTimes(stamps, f"unix_{unit}")
    return None
