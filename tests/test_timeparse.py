"""Date/time columns: one format per column, day-first vs month-first settled by the data or
refused, time-zone offsets to the shop's wall clock. References are Python's own
``datetime.strptime`` / ``zoneinfo`` on each value, not the module's output."""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

from uplift_lab.errors import DataWarning, InputError
from uplift_lab.report.notice_text import render_notice
from uplift_lab.timeparse import DEFAULT_TIME_PARSING, TimeParsing, parse_times


def parsed(values, parsing: TimeParsing = DEFAULT_TIME_PARSING) -> list[datetime | None]:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        return parse_times(pa.array(values, pa.string()), "orders.csv", "paid", parsing).to_pylist()


def test_iso_dates_and_datetimes_mix_in_one_column() -> None:
    assert parsed(["2026-05-03", "2026-10-22 10:30:00", "2026-10-22T08:00"]) == [
        datetime(2026, 5, 3),
        datetime(2026, 10, 22, 10, 30),
        datetime(2026, 10, 22, 8, 0),
    ]


def test_a_day_above_12_settles_day_first_for_the_whole_column() -> None:
    values = ["05/03/2026", "01/02/2026", "22/10/2026"]
    expected = [datetime.strptime(v, "%d/%m/%Y") for v in values]
    assert parsed(values) == expected  # 05/03 is 5 March, not May 3, although it comes first


def test_a_day_above_12_settles_month_first_for_the_whole_column() -> None:
    values = ["05/03/2026 09:05", "10/22/2026 23:59"]
    assert parsed(values) == [datetime.strptime(v, "%m/%d/%Y %H:%M") for v in values]


def test_a_column_both_readings_parse_differently_is_refused_naming_value_and_flags() -> None:
    with pytest.raises(InputError) as caught:
        parsed(["05/03/2026", "01/02/2026"])
    message = str(caught.value)
    for text in ("orders.csv", "'paid'", "'05/03/2026'", "Pass 'dayfirst'", "'date_format'"):
        assert text in message
    assert "--" not in message  # the CLI names its flags (tests/cli/test_dates_cli.py)


def test_same_day_and_month_reads_the_same_either_way_and_is_accepted() -> None:
    assert parsed(["01/01/2026", "12/12/2026"]) == [datetime(2026, 1, 1), datetime(2026, 12, 12)]


@pytest.mark.parametrize(("dayfirst", "fmt"), [(True, "%d/%m/%Y"), (False, "%m/%d/%Y")])
def test_dayfirst_flag_decides_an_ambiguous_column(dayfirst: bool, fmt: str) -> None:
    values = ["05/03/2026", "01/02/2026"]
    got = parsed(values, TimeParsing(dayfirst=dayfirst))
    assert got == [datetime.strptime(v, fmt) for v in values]


def test_date_format_is_used_for_every_value_and_names_a_value_that_does_not_fit() -> None:
    fmt = "%d.%m.%Y %H:%M"
    values = ["03.05.2026 10:00", "04.05.2026 11:30"]
    assert parsed(values, TimeParsing(date_format=fmt)) == [
        datetime.strptime(v, fmt) for v in values
    ]
    with pytest.raises(InputError, match="'2026/05/04'"):
        parsed(["03.05.2026 10:00", "2026/05/04"], TimeParsing(date_format=fmt))


def test_no_value_by_value_guessing_a_value_in_another_format_is_refused() -> None:
    with pytest.raises(InputError, match="not dates in one format, e.g. '2026-05-04'"):
        parsed(["05/03/2026", "22/10/2026", "2026-05-04"])


def test_chinese_dates_without_a_pandas_guess_are_read() -> None:
    assert parsed(["2026年5月3日", "2026年10月22日"]) == [
        datetime(2026, 5, 3),
        datetime(2026, 10, 22),
    ]


def test_offsets_keep_the_wall_clock_of_the_first_values_offset() -> None:
    values = ["2026-05-03 23:30:00+08:00", "2026-05-04 00:10:00+08:00"]
    assert parsed(values) == [datetime(2026, 5, 3, 23, 30), datetime(2026, 5, 4, 0, 10)]


def test_offsets_are_converted_to_the_timezone_option() -> None:
    values = ["2026-05-03T16:30:00Z", "2026-05-03 23:30:00+0800", "2026-01-10 12:00:00-05:00"]
    zone = ZoneInfo("Asia/Shanghai")
    reference = [
        datetime(2026, 5, 3, 16, 30, tzinfo=UTC),
        datetime(2026, 5, 3, 23, 30, tzinfo=timezone(timedelta(hours=8))),
        datetime(2026, 1, 10, 12, 0, tzinfo=timezone(timedelta(hours=-5))),
    ]
    expected = [stamp.astimezone(zone).replace(tzinfo=None) for stamp in reference]
    assert parsed(values, TimeParsing(timezone="Asia/Shanghai")) == expected


def test_mixed_offsets_warn_and_convert_to_the_first_values_offset() -> None:
    values = ["2026-05-03 10:00:00+08:00", "2026-05-03 23:30:00+00:00"]
    with pytest.warns(DataWarning) as caught:
        got = parse_times(pa.array(values), "orders.csv", "paid").to_pylist()
    (text,) = [render_notice(warning.message.notice) for warning in caught]
    assert re.search(r"mixes time-zone offsets \(\+00:00, \+08:00\)", text)
    assert got == [datetime(2026, 5, 3, 10, 0), datetime(2026, 5, 4, 7, 30)]


def test_naive_times_stay_as_written_under_a_timezone() -> None:
    got = parsed(["2026-05-03 23:30:00"], TimeParsing(timezone="Asia/Shanghai"))
    assert got == [datetime(2026, 5, 3, 23, 30)]


def test_a_column_mixing_offsets_and_naive_times_is_refused() -> None:
    with pytest.raises(InputError, match="with and without a time-zone offset"):
        parsed(["2026-05-03 10:00:00+08:00", "2026-05-03 11:00:00"])


def test_typed_zone_aware_timestamps_keep_their_zones_wall_clock() -> None:
    instant = datetime(2026, 5, 3, 16, 30, tzinfo=UTC)
    array = pa.array([instant], pa.timestamp("us", "Asia/Shanghai"))
    assert parse_times(array, "x", "t").to_pylist() == [datetime(2026, 5, 4, 0, 30)]
    as_utc = parse_times(array, "x", "t", TimeParsing(timezone="UTC")).to_pylist()
    assert as_utc == [datetime(2026, 5, 3, 16, 30)]


def test_an_unknown_timezone_is_refused_naming_the_parameter() -> None:
    with pytest.raises(InputError, match="'timezone': unknown time zone 'Asia/Shanghia'"):
        TimeParsing(timezone="Asia/Shanghia")


def test_empty_values_stay_missing_for_the_caller_to_judge() -> None:
    assert parsed(["22/10/2026", " ", None]) == [datetime(2026, 10, 22), None, None]
