"""The demo closes the loop: every step runs from the CLI, and the targeted campaign beats
today's rules by the planted truth, which the final report's CIs also cover."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from uplift_lab.cli import app


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> tuple[Path, str]:
    from typer.testing import CliRunner

    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(
        app,
        ["demo", "--out", str(out / "work"), "--report", str(out / "report")],
        env={"COLUMNS": "80"},  # an 80-column terminal: see test_every_table_fits_80_columns
    )
    assert result.exit_code == 0, result.output
    return out, result.output


def test_demo_runs_every_step_as_a_command(demo_run) -> None:
    out, output = demo_run
    for command in ("synth", "segment", "analyze", "train", "evaluate", "score", "design"):
        assert f"$ uplift-lab {command} " in output
    assert "$ uplift-lab target " in output
    for name in ("report.html", "report.md", "report.json", "loop_summary.json"):
        assert (out / "report" / name).exists()
    assert (out / "work" / "experiments" / "double11" / "design.json").exists()


def test_uplift_policy_beats_rfm_rule_and_random_by_planted_truth(demo_run) -> None:
    out, _ = demo_run
    summary = json.loads((out / "report" / "loop_summary.json").read_text())
    profit = {row["policy"]: row["true_incremental_profit"] for row in summary["policies"]}
    uplift = profit["uplift (send list)"]
    assert uplift >= 1.5 * profit["RFM rule (top rfm_score, SMS)"]
    assert uplift >= 2.0 * profit["random (SMS)"]
    costs = {row["policy"]: row["cost"] for row in summary["policies"]}
    assert max(costs.values()) - min(costs.values()) < 0.2  # the same spend for every policy


def test_campaign_report_covers_the_planted_profit(demo_run) -> None:
    out, _ = demo_run
    summary = json.loads((out / "report" / "loop_summary.json").read_text())
    readable = [c for c in summary["profit_checks"] if c["measured_low"] is not None]
    assert readable, "no channel had a holdout to measure against"
    for check in readable:
        assert check["measured_low"] <= check["planted"] <= check["measured_high"], check


def test_every_table_fits_80_columns_with_numbers_whole(demo_run) -> None:
    """Every command's output on the demo's data fits 80 columns; no number is cut to '…'."""
    _, output = demo_run
    # Warnings go to stderr as one unwrapped line each (so scripts can grep them): not tables.
    lines = [line.rstrip() for line in output.splitlines() if not line.startswith("warning:")]
    too_wide = [line for line in lines if len(line) > 80]
    assert not too_wide, "\n".join(too_wide)
    cut = [line for line in lines if "…" in line and not line.startswith("─")]  # rules: titles
    assert not cut, "\n".join(cut)
    numbers = re.compile(r"\d[\d,.]*%?")
    for line in lines:
        if line.startswith("─"):
            continue
        for match in numbers.finditer(line):
            assert line[match.end() : match.end() + 1] != "…", line


def test_demo_shows_tags_schedule_send_time_and_plan(demo_run) -> None:
    """Issue 13's four moves run on the demo's shop and leave their reports under --report."""
    import pandas as pd

    out, output = demo_run
    for command in ("schedule", "plan"):
        assert f"$ uplift-lab {command} " in output
    segments = pd.read_parquet(out / "work" / "segments.parquet")
    for column in ("big_spender", "lapsed_browser", "interested_not_bought_30d", "loyalty"):
        assert column in segments.columns, column
    assert segments["big_spender"].tolist() == (segments["aov"] >= 100).tolist()
    expected = segments["interested_not_bought_30d"] & segments["lifecycle"].isin(
        ["silent", "churned"]
    )
    assert segments["lapsed_browser"].tolist() == expected.tolist()
    timing = out / "report" / "send_time"
    payload = json.loads((timing / "report.json").read_text())
    assert payload["touches"][0]["name"] == "sms"
    assert len(payload["since_send"]) == 24 and len(payload["by_time"]) == 24
    assert {row["segment"] for row in payload["send_hours"]["segments"]} >= {"active", "silent"}
    markdown = (timing / "report.md").read_text()
    for name in ("by_time.png", "since_send.png"):
        assert (timing / name).exists() and f"({name})" in markdown
    assert json.loads((out / "report" / "plan" / "plan.json").read_text())
