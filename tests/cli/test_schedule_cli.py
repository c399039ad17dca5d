"""`uplift-lab schedule` end to end on the 24-customer fixture of tests/test_schedule.py."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.test_schedule import write_files
from uplift_lab.cli import app


@pytest.fixture
def files(tmp_path):
    return write_files(tmp_path)


def _schedule_argv(files, out, *extra: str) -> list[str]:
    return ["schedule", "--segments", str(files["segments"]), "--touches", str(files["touches"]),
            "--experiment", str(files["experiment"]), "--start", "2026-11-11",
            "--out", str(out), *extra]  # fmt: skip


def test_schedule_prints_counts_and_costs_whole_at_80_columns(runner, files, tmp_path) -> None:
    out = tmp_path / "sched"
    result = runner.invoke(app, _schedule_argv(files, out), env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(len(line) <= 80 for line in lines)
    row = next(line for line in lines if line.startswith(" notice"))
    assert row.split()[-3:] == ["20", "4", "2.00"]  # sent, holdout, 20 x 0.1
    assert "2026-11-11 10:00" in row
    assert "2026-11-09 15:50" in result.output
    assert (out / "notice.csv").exists()


def test_schedule_json_summary_equals_schedule_json(runner, files, tmp_path) -> None:
    out = tmp_path / "sched"
    result = runner.invoke(app, _schedule_argv(files, out, "--json"))
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    written = json.loads((out / "schedule.json").read_text())
    assert printed.pop("out") == str(out)
    assert printed == written


def test_existing_out_without_force_is_one_line_exit_2(runner, files, tmp_path) -> None:
    out = tmp_path / "sched"
    assert runner.invoke(app, _schedule_argv(files, out)).exit_code == 0
    before = pd.read_csv(out / "notice.csv")
    result = runner.invoke(app, _schedule_argv(files, out))
    assert result.exit_code == 2
    assert result.output.count("error:") == 1 and "--force" in result.output
    assert before.equals(pd.read_csv(out / "notice.csv"))
    assert runner.invoke(app, _schedule_argv(files, out, "--force")).exit_code == 0


def test_a_start_with_a_time_of_day_is_refused_not_dropped(runner, files, tmp_path) -> None:
    """Each touch carries its own time, so '--start 2026-11-11T10:00' would silently become
    midnight: refused in one line naming the day to pass, nothing written."""
    out = tmp_path / "sched"
    argv = _schedule_argv(files, out)
    argv[argv.index("2026-11-11")] = "2026-11-11T10:00"
    result = runner.invoke(app, argv)
    assert result.exit_code == 2 and "--start 2026-11-11" in result.stderr
    assert "has a time of day" in result.stderr and not out.exists()


# --------------------------------------------------------------------------- analyze --schedule

AB_TOUCHES = """
[[touch]]
name = "am"
channel = "sms"
day = 0
time = "10:00"

[[touch]]
name = "pm"
channel = "sms"
day = 0
time = "19:00"
segments = ["active"]
"""


@pytest.fixture
def campaign(tmp_path):
    """400 customers (every 5th held out), a two-touch plan and orders at known times."""
    from tests.test_analyze import write_experiment

    ids = [f"C{i:03d}" for i in range(400)]
    lifecycle = ["active" if i % 2 == 0 else "silent" for i in range(400)]
    arms = ["control" if i % 5 == 0 else "send" for i in range(400)]
    segments = tmp_path / "segments.csv"
    pd.DataFrame({"customer_id": ids, "lifecycle": lifecycle}).to_csv(segments, index=False)
    units = pd.DataFrame({"customer_id": ids, "segment": lifecycle, "arm": arms})
    experiment = write_experiment(
        tmp_path / "exp", units, campaign={"start": "2026-11-11", "window_days": 2}
    )
    touches = tmp_path / "touches.toml"
    touches.write_text(AB_TOUCHES, encoding="utf-8")
    rows = []
    for i, cid in enumerate(ids):
        if i % 3 == 0:
            rows.append((cid, "2026-11-11 12:00:00", 30.0))  # between the two touches
        if i % 7 == 0:
            rows.append((cid, "2026-11-11 20:30:00", 50.0))  # after the evening touch
        if i % 11 == 0:
            rows.append((cid, "2026-11-10 09:00:00", 20.0))  # before any touch
        if i % 13 == 0:
            rows.append((cid, "2026-11-14 09:00:00", 20.0))  # after the window
    orders = tmp_path / "orders.csv"
    pd.DataFrame(rows, columns=["customer_id", "order_time", "amount"]).to_csv(orders, index=False)
    out = tmp_path / "sched"
    argv = ["schedule", "--segments", str(segments), "--touches", str(touches), "--experiment",
            str(experiment), "--start", "2026-11-11", "--out", str(out)]  # fmt: skip
    from typer.testing import CliRunner

    assert CliRunner().invoke(app, argv).exit_code == 0
    frame = units.assign(lifecycle=lifecycle)
    return {"experiment": experiment, "orders": orders, "schedule": out, "frame": frame,
            "orders_frame": pd.read_csv(orders, parse_dates=["order_time"])}  # fmt: skip


def _expected(campaign, eligible, begin: str, end: str):
    """Responders per group by a pandas filter, and statsmodels' z-test and Wald CI."""
    from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

    frame, orders = campaign["frame"], campaign["orders_frame"]
    window = orders[(orders["order_time"] >= begin) & (orders["order_time"] < end)]
    responded = set(window["customer_id"])
    group = frame[eligible(frame)]
    sent = group[group["arm"] == "send"]["customer_id"]
    held = group[group["arm"] == "control"]["customer_id"]
    count = [int(sent.isin(responded).sum()), int(held.isin(responded).sum())]
    nobs = [len(sent), len(held)]
    _, p_value = proportions_ztest(count, nobs)
    low, high = confint_proportions_2indep(count[0], nobs[0], count[1], nobs[1], method="newcomb")
    return count, nobs, p_value, low, high


def _analyze(campaign, outcomes=None, *extra: str) -> list[str]:
    outcomes = outcomes or campaign["orders"]
    return ["analyze", str(campaign["experiment"]), "--outcomes", str(outcomes),
            "--schedule", str(campaign["schedule"]), *extra]  # fmt: skip


def test_per_touch_lift_equals_statsmodels(runner, campaign) -> None:
    result = runner.invoke(app, _analyze(campaign, None, "--json"))
    assert result.exit_code == 0, result.output
    touches = {t["name"]: t for t in json.loads(result.output)["touches"]}
    cases = {
        "am": (lambda f: f["lifecycle"].notna(), "2026-11-11 10:00", "2026-11-11 19:00"),
        "pm": (lambda f: f["lifecycle"] == "active", "2026-11-11 19:00", "2026-11-13 00:00"),
    }
    for name, (eligible, begin, end) in cases.items():
        count, nobs, p_value, low, high = _expected(campaign, eligible, begin, end)
        touch = touches[name]
        assert [touch["sent_responded"], touch["holdout_responded"]] == count, name
        assert [touch["sent"], touch["holdout"]] == nobs, name
        assert touch["window_end"] == pd.Timestamp(end).isoformat()
        effect = touch["effect"]
        assert effect["difference"] == pytest.approx(count[0] / nobs[0] - count[1] / nobs[1])
        assert effect["p_value"] == pytest.approx(p_value, rel=1e-9)
        assert (effect["ci_low"], effect["ci_high"]) == pytest.approx((low, high), rel=1e-9)


def test_analyze_schedule_prints_a_table_per_touch_and_writes_touches(
    runner, campaign, tmp_path
) -> None:
    out = tmp_path / "report"
    result = runner.invoke(app, _analyze(campaign, None, "--out", str(out)), env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "Touch 'am' (sms)" in result.output and "Touch 'pm' (sms)" in result.output
    assert "orders from 2026-11-11 19:00 to 2026-11-13 00:00" in result.output
    assert all(len(line) <= 80 for line in result.output.splitlines())
    report = json.loads((out / "report.json").read_text())
    assert [t["name"] for t in report["touches"]] == ["am", "pm"]


def test_report_json_has_no_touches_without_schedule(runner, campaign) -> None:
    argv = ["analyze", str(campaign["experiment"]), "--outcomes", str(campaign["orders"]), "--json"]
    result = runner.invoke(app, argv)
    assert result.exit_code == 0, result.output
    assert "touches" not in json.loads(result.output)


def test_schedule_of_another_experiment_is_one_line_exit_2(runner, campaign, tmp_path) -> None:
    meta = json.loads((campaign["schedule"] / "schedule.json").read_text())
    meta["assignment_sha256"] = "0" * 64
    (campaign["schedule"] / "schedule.json").write_text(json.dumps(meta))
    result = runner.invoke(app, _analyze(campaign))
    assert result.exit_code == 2
    assert result.output.count("error:") == 1
    assert "another experiment" in result.output and "Traceback" not in result.output


def test_schedule_needs_an_orders_file(runner, campaign, tmp_path) -> None:
    outcomes = tmp_path / "outcomes.csv"
    pd.DataFrame({"customer_id": ["C000"], "converted": [1]}).to_csv(outcomes, index=False)
    result = runner.invoke(app, _analyze(campaign, outcomes))
    assert result.exit_code == 2
    assert "needs an orders file" in result.output
