"""Dates and time zones end to end: the same orders written day-first, month-first, ISO, with
+08:00 offsets or in UTC give identical segments; ambiguity exits 2; mixed offsets warn; signup
times after --as-of leave a customer out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from uplift_lab.cli import app
from uplift_lab.errors import InputError

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
    # --thresholds fixed: a 60-customer shop is too small for cycle stages (segment says so in
    # a warning of its own; these tests check that dates give none)
    args = ["segment", str(orders), "--as-of", AS_OF, "--out", str(out), "--thresholds", "fixed"]
    args += extra
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
    # Read without --timezone, the UTC file keeps UTC days (orders near midnight move a day),
    # and a note says so, naming --timezone.
    result = segment(runner, utc_path, tmp_path / "as_written.parquet")
    assert result.exit_code == 0, result.output
    said = " ".join(result.stderr.split())
    assert "'order_time' is written in UTC" in said and "--timezone" in said
    as_written = pd.read_parquet(tmp_path / "as_written.parquet")
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


# --- analyze, train and evaluate read order times the same way ---------------------------------


def campaign_orders(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    """An experiment folder and China-time orders: pre-period on 07-01, the window from 08-03
    (all days <= 12, so day-first and month-first both parse), some late at night."""
    from tests.test_analyze import simulated_units, write_experiment

    units = simulated_units(seed=5, sizes={"silent": 400})
    folder = write_experiment(tmp_path / "exp", units)
    buyers = units[units["converted"] == 1]
    hours = np.random.default_rng(5).choice([9, 23], size=len(buyers))
    orders = pd.concat(
        [
            pd.DataFrame(
                {
                    "customer_id": units["customer_id"],
                    "order_time": pd.Timestamp("2026-07-01 12:00"),
                    "amount": 5.0,
                }
            ),
            pd.DataFrame(
                {
                    "customer_id": buyers["customer_id"],
                    "order_time": pd.Timestamp("2026-08-09") + pd.to_timedelta(hours, unit="h"),
                    "amount": buyers["revenue"].round(2),
                }
            ),
        ],
        ignore_index=True,
    )
    return folder, orders


def analyze_json(runner, folder: Path, orders: Path, *extra: str) -> dict:
    import json

    args = ["analyze", str(folder), "--outcomes", str(orders), "--start", "2026-08-03"]
    result = runner.invoke(app, [*args, "--json", *extra])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    return {key: payload[key] for key in ("arm_summaries", "comparisons")}


def test_analyze_reads_day_first_and_offset_orders_like_iso(runner, tmp_path) -> None:
    folder, orders = campaign_orders(tmp_path)
    times = orders["order_time"]
    iso = analyze_json(runner, folder, write_orders(tmp_path, "iso.csv", orders, times))
    dmy = write_orders(tmp_path, "dmy.csv", orders, times.dt.strftime("%d/%m/%Y %H:%M"))
    refused = runner.invoke(app, ["analyze", str(folder), "--outcomes", str(dmy)])
    assert refused.exit_code == 2 and "--dayfirst" in refused.stderr
    assert analyze_json(runner, folder, dmy, "--dayfirst") == iso
    # 23:00 China time on 08-09 is 15:00 UTC: with --timezone the window sees the same orders
    utc = times.dt.tz_localize("Asia/Shanghai").dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%MZ")
    utc_path = write_orders(tmp_path, "utc.csv", orders, utc)
    assert analyze_json(runner, folder, utc_path, "--timezone", "Asia/Shanghai") == iso


def test_analyze_with_mixed_offsets_warns_instead_of_a_traceback(runner, tmp_path) -> None:
    folder, orders = campaign_orders(tmp_path)
    text = orders["order_time"].dt.strftime("%Y-%m-%d %H:%M:%S+08:00")
    text.iloc[-1] = text.iloc[-1].replace("+08:00", "+00:00")
    path = write_orders(tmp_path, "mixed.csv", orders, text)
    args = ["analyze", str(folder), "--outcomes", str(path), "--start", "2026-08-03"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "warning:" in result.stderr and "mixes time-zone offsets" in result.stderr


@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_train_and_evaluate_pass_the_date_options_to_the_orders(runner, tmp_path, command) -> None:
    folder, orders = campaign_orders(tmp_path)
    dmy = write_orders(tmp_path, "dmy.csv", orders, orders["order_time"].dt.strftime("%d/%m/%Y"))
    args = [command, "--experiment", str(folder), "--orders", str(dmy), "--start", "2026-08-03"]
    if command == "evaluate":
        scores = tmp_path / "scores.csv"
        scores.write_text("customer_id,uplift\nC1,0.1\n")
        args += ["--scores", str(scores)]
    args += ["--out", str(tmp_path / "out")]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2, refused.output
    assert "dmy.csv" in refused.stderr and "--dayfirst" in refused.stderr
    wrong_zone = runner.invoke(app, [*args, "--dayfirst", "--timezone", "Asia/Shanghia"])
    assert "--timezone: unknown time zone" in wrong_zone.stderr
    assert not (tmp_path / "out").exists()


def test_as_of_with_an_offset_is_the_shops_wall_clock_under_timezone() -> None:
    from uplift_lab.segment import parse_as_of

    instant = "2026-06-30T16:00:00+00:00"  # midnight of 07-01 in Shanghai
    assert parse_as_of(instant, "Asia/Shanghai") == pd.Timestamp("2026-07-01 00:00")
    assert parse_as_of(instant) == pd.Timestamp("2026-06-30 16:00")
    assert parse_as_of("2026-07-01", "Asia/Shanghai") == pd.Timestamp("2026-07-01")


@pytest.mark.parametrize("value", ["June", "1/2/2026", "next week"])
def test_date_options_are_iso_only_never_guessed(runner, tmp_path, value) -> None:
    """pd.Timestamp("June") is June 1st of the year 1 and "1/2/2026" either month: refused."""
    from uplift_lab.cli._common import error_message
    from uplift_lab.timeparse import parse_date_option

    orders = tmp_path / "orders.csv"
    orders.write_text("customer_id,order_time,amount\nA,2026-01-01,10\n")
    result = segment(runner, orders, tmp_path / "s.csv", "--as-of", value)
    assert result.exit_code == 2 and "--as-of" in result.output and "ISO" in result.output
    assert not (tmp_path / "s.csv").exists()
    expected = "'start': .* Use YYYY-MM-DD, e.g. start=2026-06-01"
    with pytest.raises(InputError, match=expected) as raised:
        parse_date_option(value, "start")
    assert "--" not in str(raised.value)  # the library names the parameter; the CLI the flag
    assert error_message(raised.value).startswith("--start: ")
    assert error_message(raised.value).endswith("e.g. --start 2026-06-01")
    assert parse_date_option("2026-06-01 08:30", "start") == pd.Timestamp("2026-06-01 08:30")


def test_a_given_date_format_that_fails_names_the_format_the_values_are_in(runner, tmp_path):
    """An export re-saved by Excel (1/21/2026 21:00) read with the export's own format: the
    error says the format was given (not guessed) and names the one every value reads as."""
    path = tmp_path / "orders.csv"
    path.write_text("customer_id,order_time,amount\nA,1/21/2026 21:00,10\nB,2/13/2026 08:05,5\n")
    out = tmp_path / "s.csv"
    args = ["segment", str(path), "--as-of", "2026-03-01", "--out", str(out)]
    result = runner.invoke(app, [*args, "--date-format", "%Y-%m-%d %H:%M:%S"])
    assert result.exit_code == 2 and not out.exists()
    message = " ".join(result.stderr.split())
    assert "the date format given" in message and "from its first value" not in message
    assert "--date-format '%m/%d/%Y %H:%M'" in message
    fixed = runner.invoke(app, [*args, "--date-format", "%m/%d/%Y %H:%M"])
    assert fixed.exit_code == 0, fixed.output


def test_a_failing_given_format_on_an_ambiguous_file_suggests_no_reading(runner, tmp_path):
    """08/09/2026 and 07/10/2026 read either way with other dates: the hint asks which, never
    names one (following a guessed month-first would have moved every date silently)."""
    path = tmp_path / "orders.csv"
    path.write_text("customer_id,order_time,amount\nA,08/09/2026 00:00,10\nB,07/10/2026 08:05,5\n")
    args = ["segment", str(path), "--as-of", "2026-12-01", "--out", str(tmp_path / "s.csv")]
    result = runner.invoke(app, [*args, "--date-format", "%Y-%m-%d"])
    message = " ".join(result.stderr.split())
    assert result.exit_code == 2 and "--dayfirst or --monthfirst" in message
    assert "Every value reads as" not in message
