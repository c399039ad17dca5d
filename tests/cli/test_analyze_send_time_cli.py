"""`analyze --by-hour` where send times are known (a schedule, an import's send log): response
by hours since the send, the recommended send hour per segment, the figures and report.md/html.
Counts come from a per-customer brute force, tests and CIs from statsmodels."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from tests.cli.test_schedule_cli import campaign  # noqa: F401  (the schedule fixture)
from tests.test_analyze import write_experiment
from uplift_lab import io
from uplift_lab.cli import app

START = pd.Timestamp("2026-08-21")


def _check_slice(row: dict, send: int, held: int, n_send: int, n_held: int) -> None:
    assert (row["treated_responded"], row["control_responded"]) == (send, held)
    assert (row["treated"], row["control"]) == (n_send, n_held)
    if send + held == 0:
        return
    _, p_value = proportions_ztest([send, held], [n_send, n_held])
    low, high = confint_proportions_2indep(send, n_send, held, n_held, method="newcomb")
    assert row["effect"]["p_value"] == pytest.approx(p_value, rel=1e-9)
    assert (row["effect"]["ci_low"], row["effect"]["ci_high"]) == pytest.approx((low, high))


_BY_CUSTOMER: dict[int, dict[str, np.ndarray]] = {}


def _hits(orders: pd.DataFrame, customer: str, send_time, until, hour: int) -> bool:
    """Brute force: does the customer have an order in [send + h, send + h + 1 hours) < until?"""
    if id(orders) not in _BY_CUSTOMER:
        _BY_CUSTOMER.clear()
        _BY_CUSTOMER[id(orders)] = {
            c: times.to_numpy("datetime64[ns]")
            for c, times in orders.groupby("customer_id")["order_time"]
        }
    own = _BY_CUSTOMER[id(orders)].get(customer)
    if own is None:
        return False
    send_time, until = np.datetime64(send_time, "ns"), np.datetime64(until, "ns")
    begin = send_time + np.timedelta64(hour, "h")
    end = send_time + np.timedelta64(hour + 1, "h")
    return bool(((own >= begin) & (own < end) & (own < until)).any())


def test_schedule_hours_since_each_touch_against_a_brute_force(runner, campaign) -> None:  # noqa: F811
    argv = ["analyze", str(campaign["experiment"]), "--outcomes", str(campaign["orders"]),
            "--schedule", str(campaign["schedule"]), "--by-hour", "--json"]  # fmt: skip
    result = runner.invoke(app, argv)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    since = payload["since_send"]
    assert {row["unit"] for row in since} == {"since_send"}
    meta = json.loads((campaign["schedule"] / "schedule.json").read_text())
    orders = campaign["orders_frame"]
    window_end = pd.Timestamp("2026-11-13")
    for entry in meta["touches"]:
        sent = pd.read_csv(campaign["schedule"] / entry["file"], dtype=str)["customer_id"]
        held = pd.read_csv(campaign["schedule"] / "holdout" / entry["file"], dtype=str)
        held = held["customer_id"]
        send_time = pd.Timestamp(entry["send_time"])
        until = min(window_end, pd.Timestamp(entry["next_send_time"] or window_end))
        rows = [row for row in since if row["arm"] == entry["name"]]
        assert [row["slice"] for row in rows] == list(range(24))
        for row in rows:
            h = row["slice"]
            send = sum(_hits(orders, c, send_time, until, h) for c in sent)
            hold = sum(_hits(orders, c, send_time, until, h) for c in held)
            _check_slice(row, send, hold, len(sent), len(held))
    # the 10:00 touch 'am' sees the 12:00 orders in its hour 2; 'pm' (19:00) the 20:30 ones in 1
    am = {row["slice"]: row for row in since if row["arm"] == "am"}
    pm = {row["slice"]: row for row in since if row["arm"] == "pm"}
    assert am[2]["treated_responded"] > 0 and pm[1]["treated_responded"] > 0


@pytest.fixture()
def imported(tmp_path):
    """An imported send log: sends at 10:00 or 14:00 per customer, a holdout list, and orders
    whose send-group extra arrives 3 hours after each customer's own send."""
    rng = np.random.default_rng(5)
    ids = [f"C{i:04d}" for i in range(900)]
    held_ids, sent_ids = ids[:300], ids[300:]
    send_times = [START + pd.Timedelta(hours=14 if i % 3 else 10) for i in range(600)]
    send_log = tmp_path / "sends.csv"
    pd.DataFrame(
        {"customer_id": sent_ids, "channel": "sms",
         "send_time": [t.strftime("%Y-%m-%d %H:%M") for t in send_times]}
    ).to_csv(send_log, index=False)  # fmt: skip
    holdout = tmp_path / "holdout.csv"
    pd.DataFrame({"customer_id": held_ids}).to_csv(holdout, index=False)
    rows = []
    for cid in ids:
        if rng.random() < 0.2:
            rows.append((cid, START + pd.Timedelta(minutes=int(rng.integers(0, 3 * 1440))), 20.0))
    for cid, when in zip(sent_ids, send_times, strict=True):
        if rng.random() < 0.2:
            rows.append((cid, when + pd.Timedelta(hours=3, minutes=10), 30.0))
    orders = pd.DataFrame(rows, columns=["customer_id", "order_time", "amount"])
    orders_path = tmp_path / "orders.csv"
    io.write_table(orders, orders_path)
    folder = tmp_path / "exp"
    from typer.testing import CliRunner

    argv = ["import-campaign", "--send-log", str(send_log), "--holdout-list", str(holdout),
            "--start", "2026-08-21", "--window-days", "3", "--out", str(folder)]  # fmt: skip
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, result.output
    sends = dict(zip(sent_ids, send_times, strict=True))
    return folder, orders_path, orders, sends, held_ids


def test_import_send_times_align_the_holdout_to_the_median_send(runner, imported) -> None:
    folder, orders_path, orders, sends, held_ids = imported
    argv = ["analyze", str(folder), "--outcomes", str(orders_path), "--by-hour", "--json"]
    result = runner.invoke(app, argv)
    assert result.exit_code == 0, result.output
    since = json.loads(result.output)["since_send"]
    assert {row["arm"] for row in since} == {"sms"}
    # 200 sends at 10:00 and 400 at 14:00: the median send (the holdout's) is 14:00
    aligned = START + pd.Timedelta(hours=14)
    until = START + pd.Timedelta(days=3)
    for row in since:
        h = row["slice"]
        send = sum(_hits(orders, c, t, until, h) for c, t in sends.items())
        hold = sum(_hits(orders, c, aligned, until, h) for c in held_ids)
        _check_slice(row, send, hold, 600, 300)
    best = max(since, key=lambda row: row["effect"]["difference"])
    assert best["slice"] == 3  # the planted response, 3 hours after each send


@pytest.fixture()
def two_segments(tmp_path):
    """Segment 'old': the send's extra orders at 19:00; segment 'new': no effect at all."""
    rng = np.random.default_rng(11)
    n = 4000
    ids = [f"C{i:04d}" for i in range(n)]
    segment = np.where(np.arange(n) % 2 == 0, "old", "new")
    arms = np.where(rng.random(n) < 0.5, "send", "control")
    folder = write_experiment(
        tmp_path / "exp",
        pd.DataFrame({"customer_id": ids, "segment": segment, "arm": arms}),
        campaign={"start": START.date().isoformat(), "window_days": 3},
    )
    rows = []
    for i in range(n):
        if rng.random() < 0.3:
            rows.append((ids[i], START + pd.Timedelta(hours=int(rng.integers(0, 72))), 20.0))
        if segment[i] == "old" and arms[i] == "send" and rng.random() < 0.2:
            rows.append((ids[i], START + pd.Timedelta(hours=19, minutes=5), 30.0))
    orders = pd.DataFrame(rows, columns=["customer_id", "order_time", "amount"])
    path = tmp_path / "orders.csv"
    io.write_table(orders, path)
    units = pd.DataFrame({"customer_id": ids, "segment": segment, "arm": arms})
    return folder, path, orders, units


def test_send_hour_per_segment_follows_the_bonferroni_rule(runner, two_segments) -> None:
    folder, path, orders, units = two_segments
    result = runner.invoke(
        app, ["analyze", str(folder), "--outcomes", str(path), "--by-hour", "--json"]
    )
    assert result.exit_code == 0, result.output
    send_hours = json.loads(result.output)["send_hours"]
    assert "alpha / 24" in send_hours["rule"]
    advice = {row["segment"]: row for row in send_hours["segments"]}
    assert advice["old"]["hour"] == 19
    assert advice["new"]["hour"] is None  # no planted effect: no clear best hour
    hours = orders["order_time"].dt.hour
    window = (orders["order_time"] >= START) & (orders["order_time"] < START + pd.Timedelta(days=3))
    for name, row in advice.items():
        members = units[units["segment"] == name]
        send_ids = set(members.loc[members["arm"] == "send", "customer_id"])
        held_ids = set(members.loc[members["arm"] == "control", "customer_id"])
        n1, n0 = len(send_ids), len(held_ids)
        lifts = {}
        for hour in range(24):
            who = set(orders.loc[window & (hours == hour), "customer_id"])
            c1, c0 = len(who & send_ids), len(who & held_ids)
            low, high = confint_proportions_2indep(
                c1, n1, c0, n0, method="newcomb", alpha=0.05 / 24
            )
            lifts[hour] = (c1 / n1 - c0 / n0, low, high, min(c1, c0))
        mean = float(np.mean([v[0] for v in lifts.values()]))
        assert row["mean_lift"] == pytest.approx(mean)
        clear = {h: v for h, v in lifts.items() if v[1] > max(0.0, mean) and v[3] >= 5}
        expected = max(clear, key=lambda h: clear[h][0]) if clear else None
        assert row["hour"] == expected, name
        shown = expected if expected is not None else max(lifts, key=lambda h: lifts[h][0])
        assert row["best_hour"] == shown
        assert (row["lift"], row["ci_low"], row["ci_high"]) == pytest.approx(lifts[shown][:3])


def test_report_md_and_html_show_the_timing_tables_and_figures(
    runner,
    campaign,  # noqa: F811
    tmp_path,
) -> None:
    out = tmp_path / "report"
    argv = ["analyze", str(campaign["experiment"]), "--outcomes", str(campaign["orders"]),
            "--schedule", str(campaign["schedule"]), "--by-hour", "--out", str(out)]  # fmt: skip
    result = runner.invoke(app, argv, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "Recommended send hour per segment" in result.output
    assert "Response by hours since the send" in result.output
    markdown = (out / "report.md").read_text()
    html = (out / "report.html").read_text()
    titles = ("Response per touch of the schedule", "Response by hour (hour of day",
              "Recommended send hour per segment", "Response by hours since the send")  # fmt: skip
    for title in titles:
        assert f"## {title}" in markdown, title
        assert f"<h2>{title}" in html, title
    assert "| am | sms | 2026-11-11 10:00 | 2026-11-11 19:00 |" in markdown
    for name in ("by_time.png", "since_send.png"):
        assert (out / name).read_bytes().startswith(b"\x89PNG")
        assert f"({name})" in markdown
    assert html.count("data:image/png;base64,") == markdown.count("![")
    again = tmp_path / "again"
    argv[-1] = str(again)
    assert runner.invoke(app, argv).exit_code == 0
    for name in ("by_time.png", "since_send.png", "report.md"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name


def test_by_day_has_no_send_hours_and_no_hours_since(runner, campaign) -> None:  # noqa: F811
    argv = ["analyze", str(campaign["experiment"]), "--outcomes", str(campaign["orders"]),
            "--schedule", str(campaign["schedule"]), "--by-day", "--json"]  # fmt: skip
    payload = json.loads(runner.invoke(app, argv).output)
    assert "by_time" in payload and "send_hours" not in payload and "since_send" not in payload
