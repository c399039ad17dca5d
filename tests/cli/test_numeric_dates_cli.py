"""Times written as numbers end to end: the same orders as ISO text, YYYYMMDD integers, Unix
seconds and Unix milliseconds give identical segments; Unix times are UTC instants, moved to
--timezone (a notice says so without it); numbers of no single form exit 2."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.cli.test_dates_cli import segment, segments_of, shop_orders, write_orders


def _unix(times: pd.Series, per_second: int) -> pd.Series:
    """Unix time of naive UTC wall-clock ``times``, by integer arithmetic (the reference)."""
    seconds = (times - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)
    return seconds.astype("int64") * per_second


def test_yyyymmdd_integers_read_as_the_iso_dates(runner, tmp_path) -> None:
    orders = shop_orders()
    days = orders["order_time"].dt.normalize()
    iso = segments_of(runner, tmp_path, write_orders(tmp_path, "iso.csv", orders, days))
    ymd = days.dt.strftime("%Y%m%d").astype("int64")
    as_numbers = segments_of(runner, tmp_path, write_orders(tmp_path, "ymd.csv", orders, ymd))
    pd.testing.assert_frame_equal(as_numbers, iso)
    assert pd.read_csv(tmp_path / "ymd.csv")["order_time"].dtype.kind == "i"  # written as numbers


@pytest.mark.parametrize(("name", "per_second"), [("seconds", 1), ("milliseconds", 1000)])
def test_unix_times_read_as_utc_with_a_notice(runner, tmp_path, name, per_second) -> None:
    orders = shop_orders()
    iso = segments_of(
        runner, tmp_path, write_orders(tmp_path, "iso.csv", orders, orders["order_time"])
    )
    unix = _unix(orders["order_time"], per_second)
    path = write_orders(tmp_path, f"unix_{name}.csv", orders, unix)
    out = tmp_path / "unix.parquet"
    result = segment(runner, path, out)
    assert result.exit_code == 0, result.output
    notice = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(notice) == 1 and f"Unix times in {name}" in notice[0] and "--timezone" in notice[0]
    pd.testing.assert_frame_equal(pd.read_parquet(out), iso)


def test_unix_times_move_to_the_shop_time_zone(runner, tmp_path) -> None:
    """The instants of China wall-clock orders, as Unix seconds with --timezone Asia/Shanghai,
    give the segments of the wall-clock file."""
    orders = shop_orders()
    wall = orders["order_time"]
    local = segments_of(runner, tmp_path, write_orders(tmp_path, "wall.csv", orders, wall))
    utc = wall.dt.tz_localize("Asia/Shanghai").dt.tz_convert("UTC").dt.tz_localize(None)
    path = write_orders(tmp_path, "unix.csv", orders, _unix(utc, 1))
    zoned = segments_of(runner, tmp_path, path, "--timezone", "Asia/Shanghai")
    pd.testing.assert_frame_equal(zoned, local)
    shifted = segments_of(runner, tmp_path, path, "--timezone", "UTC")  # the zone matters
    assert not shifted["recency_days"].equals(local["recency_days"])


def test_numbers_of_no_single_form_exit_2_naming_the_column(runner, tmp_path) -> None:
    orders = shop_orders()
    mixed = _unix(orders["order_time"], 1)
    mixed.iloc[5] = 20260101  # a YYYYMMDD among Unix seconds
    path = write_orders(tmp_path, "mixed.csv", orders, mixed)
    out = tmp_path / "out.parquet"
    result = segment(runner, path, out)
    assert result.exit_code == 2
    assert result.stderr.count("error:") == 1 and "Traceback" not in result.stderr
    assert "mixed.csv" in result.stderr and "'order_time'" in result.stderr
    assert "YYYYMMDD" in result.stderr and "--date-format" in result.stderr
    assert not out.exists()


def test_a_date_format_reads_integer_dates(runner, tmp_path) -> None:
    orders = shop_orders()
    days = orders["order_time"].dt.normalize()
    iso = segments_of(runner, tmp_path, write_orders(tmp_path, "iso.csv", orders, days))
    dmy = days.dt.strftime("%d%m%Y").astype("int64")  # 1072025: no leading zero, as numbers are
    path = write_orders(tmp_path, "dmy.csv", orders, dmy.map(lambda v: f"{v:08d}"))
    pd.testing.assert_frame_equal(
        segments_of(runner, tmp_path, path, "--date-format", "%d%m%Y"), iso
    )
    assert np.all(pd.read_csv(path)["order_time"] >= 1_000_000)


def test_excel_serial_dates_read_as_the_dates_with_a_notice(runner, tmp_path) -> None:
    orders = shop_orders()
    times = orders["order_time"].dt.floor("min")
    iso = segments_of(runner, tmp_path, write_orders(tmp_path, "iso.csv", orders, times))
    serial = (times - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1)  # Excel's day numbers
    path = write_orders(tmp_path, "serial.csv", orders, serial.round(10))
    out = tmp_path / "serial.parquet"
    result = segment(runner, path, out)
    assert result.exit_code == 0, result.output
    assert "Excel serial dates" in result.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(out), iso)
