"""Dates and time zones end to end: the same orders written day-first, month-first, ISO, with
+08:00 offsets or in UTC give identical segments; ambiguity exits 2; mixed offsets warn; signup
times after --as-of leave a customer out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from uplift_lab.cli import app

AS_OF = "2026-07-01"


def shop_orders(seed: int = 3) -> pd.DataFrame:
    """60 customers, 300 orders over a year, wall-clock China time, some close to midnight."""
    rng = np.random.default_rng(seed)
    minutes = rng.integers(0, 365 * 24 * 60, size=300)
    minutes[:40] = (minutes[:40] // 1440) * 1440 + 1440 - rng.integers(1, 90, size=40)
    times = pd.Timestamp("2025-07-01") + pd.to_timedelta(minutes, unit="min")
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:03d}" for i in rng.integers(0, 60, size=300)],
            "order_time": times,
            "amount": np.round(rng.lognormal(3, 0.5, size=300), 2),
        }
    )


def write_orders(tmp_path: Path, name: str, orders: pd.DataFrame, times: pd.Series) -> Path:
    path = tmp_path / name
    orders.assign(order_time=times).to_csv(path, index=False)
    return path


def segment(runner, orders: Path, out: Path, *extra: str):
    args = ["segment", str(orders), "--as-of", AS_OF, "--out", str(out), *extra]
    return runner.invoke(app, args)


def segments_of(runner, tmp_path: Path, orders: Path, *extra: str) -> pd.DataFrame:
    out = tmp_path / f"{orders.stem}.parquet"
    result = segment(runner, orders, out, *extra)
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr
    return pd.read_parquet(out)


def test_day_first_month_first_and_iso_files_give_identical_segments(runner, tmp_path) -> None:
    orders = shop_orders()
    times = orders["order_time"]
    iso = segments_of(runner, tmp_path, write_orders(tmp_path, "iso.csv", orders, times))
    for name, fmt in (("dmy.csv", "%d/%m/%Y %H:%M"), ("mdy.csv", "%m/%d/%Y %H:%M")):
        path = write_orders(tmp_path, name, orders, times.dt.strftime(fmt))
        pd.testing.assert_frame_equal(segments_of(runner, tmp_path, path), iso)
    assert set(iso["lifecycle"]) >= {"active", "churned"}  # a real mix, not an empty table


def test_an_ambiguous_file_exits_2_naming_file_column_value_and_flag(runner, tmp_path) -> None:
    orders = pd.DataFrame(
        {"customer_id": ["A", "B"], "order_time": ["05/03/2026", "01/02/2026"], "amount": [1, 2]}
    )
    path = tmp_path / "orders.csv"
    orders.to_csv(path, index=False)
    out = tmp_path / "seg.parquet"
    result = segment(runner, path, out)
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert message.startswith("error:") and "\n" not in message and "Traceback" not in message
    for text in ("orders.csv", "'order_time'", "'05/03/2026'", "--dayfirst"):
        assert text in message, (text, message)
    assert not out.exists()
    dayfirst = segments_of(runner, tmp_path, path, "--dayfirst")
    assert (
        dayfirst.set_index("customer_id").loc["A", "recency_days"]
        == (pd.Timestamp(AS_OF) - pd.Timestamp("2026-03-05")).days
    )


def test_offset_files_and_naive_china_time_give_identical_segments(runner, tmp_path) -> None:
    orders = shop_orders()
    local = orders["order_time"]
    naive = segments_of(runner, tmp_path, write_orders(tmp_path, "naive.csv", orders, local))
    plus8 = local.dt.strftime("%Y-%m-%d %H:%M:%S+08:00")
    offset = segments_of(runner, tmp_path, write_orders(tmp_path, "plus8.csv", orders, plus8))
    pd.testing.assert_frame_equal(offset, naive)
    utc = local.dt.tz_localize("Asia/Shanghai").dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%MZ")
    utc_path = write_orders(tmp_path, "utc.csv", orders, utc)
    pd.testing.assert_frame_equal(
        segments_of(runner, tmp_path, utc_path, "--timezone", "Asia/Shanghai"), naive
    )
    # Read without --timezone, the UTC file keeps UTC days: orders near midnight move a day.
    as_written = segments_of(runner, tmp_path, utc_path)
    assert not as_written["recency_days"].equals(naive["recency_days"])


def test_mixed_offsets_warn_once_and_exit_0_without_traceback(runner, tmp_path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "customer_id,order_time,amount\n"
        "A,2026-06-20 10:00:00+08:00,10\n"
        "B,2026-06-20 10:00:00+00:00,20\n"
    )
    out = tmp_path / "seg.parquet"
    result = segment(runner, path, out)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "--timezone" in warnings[0] and "'order_time'" in warnings[0]
    table = pd.read_parquet(out).set_index("customer_id")
    assert table.loc["B", "recency_days"] == 11  # 2026-06-20 18:00 in +08:00 -> day 06-20


def test_unknown_timezone_exits_2(runner, tmp_path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("customer_id,order_time,amount\nA,2026-06-20,10\n")
    result = segment(runner, path, tmp_path / "s.parquet", "--timezone", "China/Beijing")
    assert result.exit_code == 2
    assert "--timezone: unknown time zone 'China/Beijing'" in result.stderr


@pytest.mark.parametrize("column", ["signup_time", "signup_date", "register_time", "注册时间"])
def test_customers_signed_up_after_as_of_are_not_counted(runner, tmp_path, column) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text("customer_id,order_time,amount\nA,2026-06-20,10\n")
    customers = tmp_path / "customers.csv"
    customers.write_text(
        f"customer_id,{column}\nA,2026/01/05\nEARLY,2026/06/30\nLATE,2026/07/02\nUNKNOWN,\n",
        encoding="utf-8",
    )
    table = segments_of(runner, tmp_path, orders, "--customers", str(customers))
    assert table.set_index("customer_id")["lifecycle"].to_dict() == {
        "A": "new",
        "EARLY": "potential",
        "UNKNOWN": "potential",
    }
    assert "signup_time" in table.columns


def test_an_unparseable_signup_value_exits_2(runner, tmp_path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text("customer_id,order_time,amount\nA,2026-06-20,10\n")
    customers = tmp_path / "customers.csv"
    customers.write_text("customer_id,注册时间\nA,2026-01-05\nB,last spring\n", encoding="utf-8")
    out = tmp_path / "s.parquet"
    result = segment(runner, orders, out, "--customers", str(customers))
    assert result.exit_code == 2, result.output
    for text in ("customers.csv", "'注册时间'", "'last spring'"):
        assert text in result.stderr
    assert not out.exists()
