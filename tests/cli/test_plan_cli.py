"""`uplift-lab plan`: files written, orders counted as every command counts them, refused inputs
as one line with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from uplift_lab.cli import app

ORDERS = """order_id,customer_id,order_time,amount,status,refund
1,a,2025-10-03 10:00,50,paid,0
2,a,2025-11-01 00:00,100,paid,0
3,a,2025-11-02 10:00,80,closed,0
4,b,2025-11-05 09:00,70,paid,70
5,b,2025-11-06 09:00,40,paid,10
6,c,2025-11-11 23:59,30,paid,0
7,d,2025-10-30 09:00,25,closed,0
8,d,2025-11-03 09:00,60,paid,0
"""
# counted: a returning (100); b new (the fully refunded 70 drops, 40 - 10 = 30 counts);
# c new (30); d's October order is closed, so d is new (60).

REPORT = {
    "options": {"costs": {"sms": 0.05}},
    "comparisons": [
        {
            "segment": "active",
            "arm": "sms",
            "treated_n": 90,
            "control_n": 10,
            "conversion": {"difference": 0.1, "ci_low": 0.02},
            "revenue": {"difference": 4.0},
            "too_small_to_read": False,
        }
    ],
}

COUNTING = ["--status-col", "status", "--exclude-status", "closed", "--refund-col", "refund"]


@pytest.fixture
def orders(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS)
    return path


@pytest.fixture
def report(tmp_path: Path) -> Path:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(REPORT))
    return path


def _plan(runner, orders, out, *extra):
    argv = ["plan", str(orders), "--promo", "2025-11-01:2025-11-11", "--out", str(out)]
    return runner.invoke(app, [*argv, *extra], env={"COLUMNS": "80"})


def test_plan_writes_the_four_files_with_counted_orders(runner, orders, report, tmp_path) -> None:
    out = tmp_path / "plan"
    result = _plan(runner, orders, out, "--growth", "1", "--analysis", str(report), *COUNTING)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "plan.html",
        "plan.json",
        "plan.md",
        "plan.png",
    ]
    payload = json.loads((out / "plan.json").read_text())
    last = payload["last_promotion"]
    assert (last["returning"]["gmv"], last["returning"]["customers"]) == (100, 1)
    assert (last["new"]["gmv"], last["new"]["orders"], last["new"]["customers"]) == (120, 3, 3)
    assert payload["targets"]["returning_gmv"] == 200 and payload["targets"]["new_gmv"] == 240
    (row,) = payload["reach"]["segments"]
    # 1 returning buyer x growth 1 = 1 extra conversion; / 0.1 lift = 10 messages x 0.05
    assert row["customers_to_message"] == 10 and row["message_cost"] == pytest.approx(0.5)
    assert "data:image/png;base64," in (out / "plan.html").read_text()
    assert "| returning | 100.00 |" in (out / "plan.md").read_text()
    assert "active" in result.output and "Wrote plan.json" in result.output


def test_without_the_counting_rules_closed_and_refunded_orders_count(runner, orders, tmp_path):
    result = _plan(runner, orders, tmp_path / "p", "--growth", "0.2", "--json")
    assert result.exit_code == 0, result.output
    last = json.loads(result.output)["last_promotion"]
    assert last["returning"]["gmv"] == 100 + 80 + 60  # a and d
    assert json.loads(result.output)["reach"] is None


def test_new_growth_sets_the_new_target(runner, orders, tmp_path) -> None:
    result = _plan(
        runner, orders, tmp_path / "p", "--growth", "0.2", "--new-growth", "0.5", "--json",
        *COUNTING,
    )  # fmt: skip
    assert json.loads(result.output)["targets"]["new_gmv"] == pytest.approx(180)


def _one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    return lines[0]


@pytest.mark.parametrize(
    ("promo", "words"),
    [
        ("2025-11-01", "YYYY-MM-DD:YYYY-MM-DD"),
        ("11/01/2025:11/11/2025", "YYYY-MM-DD:YYYY-MM-DD"),
        ("2025-11-11:2025-11-01", "ends before it starts"),
        ("2027-11-01:2027-11-11", "no counted orders in the promo window"),
    ],
)
def test_bad_windows_are_one_line_errors(runner, orders, tmp_path, promo, words) -> None:
    out = tmp_path / "p"
    argv = ["plan", str(orders), "--promo", promo, "--growth", "0.2", "--out", str(out)]
    line = _one_line_error(runner.invoke(app, argv))
    assert words in line
    assert not out.exists()


@pytest.mark.parametrize("flag", ["--growth", "--new-growth"])
def test_growth_below_minus_one_is_a_one_line_error(runner, orders, tmp_path, flag) -> None:
    extra = ["--growth", "0.2", flag, "-1.5"] if flag == "--new-growth" else [flag, "-1.5"]
    line = _one_line_error(_plan(runner, orders, tmp_path / "p", *extra))
    assert f"{flag}: must be a fraction >= -1" in line


def test_an_existing_out_is_refused_without_force(runner, orders, tmp_path) -> None:
    out = tmp_path / "p"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    line = _one_line_error(_plan(runner, orders, out, "--growth", "0.2"))
    assert "--force" in line
    assert _plan(runner, orders, out, "--growth", "0.2", "--force").exit_code == 0
    assert not (out / "keep.txt").exists() and (out / "plan.json").exists()


def test_a_json_file_that_is_not_a_report_is_a_one_line_error(runner, orders, tmp_path) -> None:
    bad = tmp_path / "other.json"
    bad.write_text('{"a": 1}')
    line = _one_line_error(
        _plan(runner, orders, tmp_path / "p", "--growth", "0.2", "--analysis", str(bad))
    )
    assert "not an analyze report" in line


def test_timezone_moves_offset_times_into_the_shops_calendar(runner, tmp_path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "customer_id,order_time,amount\n"
        "a,2025-10-01T10:00:00+08:00,10\n"
        "a,2025-11-01T01:00:00+08:00,20\n"
        "b,2025-10-31T20:00:00+00:00,30\n"  # 2025-11-01 04:00 in Shanghai: inside, new
    )
    result = _plan(
        runner, path, tmp_path / "p", "--growth", "0.2", "--timezone", "Asia/Shanghai", "--json"
    )
    assert result.exit_code == 0, result.output
    last = json.loads(result.output)["last_promotion"]
    assert (last["returning"]["gmv"], last["new"]["gmv"]) == (20, 30)
