"""Numeric time columns: each form read off the range, checked against pandas' own readers
(``to_datetime(unit=...)``, ``format="%Y%m%d"``); a range of no single form reads as None."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from uplift_lab.numeric_times import as_numbers, excel_serial_times, numeric_times

STAMPS = pd.Series(
    pd.to_datetime(["1999-12-31 23:59:59", "2026-05-28 14:30:00", "2071-01-02 00:00:00"])
)


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_unix_units_match_pandas(unit) -> None:
    numbers = (STAMPS - pd.Timestamp("1970-01-01")) // pd.Timedelta(1, unit=unit)
    read = numeric_times(pa.chunked_array([pa.array(numbers.astype("int64"))]))
    assert read is not None and read.unix_unit == unit
    expected = pd.to_datetime(numbers, unit=unit, utc=True)
    assert read.stamps.to_pandas().tolist() == expected.tolist()


def test_calendar_forms_match_pandas() -> None:
    for fmt in ("%Y%m%d", "%Y%m%d%H%M%S"):
        numbers = STAMPS.dt.strftime(fmt).astype("int64")
        read = numeric_times(pa.chunked_array([pa.array(numbers)]))
        assert read is not None and read.form == fmt and read.unix_unit is None
        expected = pd.to_datetime(numbers.astype(str), format=fmt)
        assert read.stamps.to_pandas().tolist() == expected.tolist()


@pytest.mark.parametrize(
    "values",
    [
        [20260528, 1779926400],  # YYYYMMDD and Unix seconds
        [1779926400, 1779926400000],  # seconds and milliseconds
        [20261399],  # in the YYYYMMDD range, not a date
        [12, 345],  # no form
    ],
)
def test_no_single_form_is_none(values) -> None:
    assert numeric_times(pa.chunked_array([pa.array(values, pa.int64())])) is None


def test_text_digits_and_whole_floats_are_numbers_others_not() -> None:
    text = pa.chunked_array([pa.array(["20260528", None, "20260529"])])
    assert as_numbers(text).to_pylist() == [20260528, None, 20260529]
    assert as_numbers(pa.chunked_array([pa.array([1.779e9, None])])).to_pylist() == [
        1779000000,
        None,
    ]
    assert as_numbers(pa.chunked_array([pa.array([1.5])])) is None
    assert as_numbers(pa.chunked_array([pa.array(["2026-05-28"])])) is None


def test_excel_serial_dates_match_pandas_origin_reading() -> None:
    serials = [36526, 45123.5, 45123.25, 73050.75]
    read = excel_serial_times(pa.chunked_array([pa.array([*serials, None])]))
    expected = pd.to_datetime(serials, unit="D", origin="1899-12-30")
    assert read is not None and read.form == "excel_serial"
    assert read.stamps.to_pylist()[:-1] == list(expected) and read.stamps.to_pylist()[-1] is None


@pytest.mark.parametrize("values", [[36525], [73051], [45123, 1779926400], [20260528]])
def test_numbers_outside_the_serial_years_are_not_serial_dates(values) -> None:
    assert excel_serial_times(pa.chunked_array([pa.array(values)])) is None
