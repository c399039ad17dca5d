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
