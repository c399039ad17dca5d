"""The README's "From a Taobao export to a send list" runs on the files its script writes: the
export segments with --preset taobao like the shop's own paid, net orders, and the SMS export
imports as the campaign it was (same arms per customer)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

from uplift_lab.cli import app

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "experiments" / "taobao" / "make_export.py"


def test_make_export_files_run_through_segment_and_import_campaign(runner, tmp_path) -> None:
    out = tmp_path / "tb"
    args = [sys.executable, str(SCRIPT), "--out", str(out), "--customers", "300", "--seed", "4"]
    subprocess.run(args, check=True, capture_output=True)
    report = out / "订单报表.csv"
    assert report.read_bytes().decode("gbk").startswith(" 订单编号")  # GBK, padded header

    segment = [
        "segment", str(report), "--preset", "taobao", "--customers", str(out / "members.csv"),
        "--as-of", "2026-10-20", "--out", str(tmp_path / "segments.parquet"),
    ]  # fmt: skip
    result = runner.invoke(app, segment)
    assert result.exit_code == 0, result.output
    assert "row(s) with status '交易关闭' not counted" in result.output
    segments = pd.read_parquet(tmp_path / "segments.parquet")
    members = pd.read_csv(out / "members.csv", dtype={"customer_id": str, "phone": str})
    assert sorted(segments["customer_id"]) == sorted(members["customer_id"])
    # the member list's attributes pass through (its mobile numbers have no leading zero)
    assert segments["phone"].astype(str).str.fullmatch(r"138\d{8}").all()

    imported = [
        "import-campaign", str(out / "sms_campaign.csv"), "--strata-col", "group",
        "--start", "2026-08-21", "--expected", "control=0.1,sms=0.9",
        "--out", str(tmp_path / "aug_sms"),
    ]  # fmt: skip
    result = runner.invoke(app, imported)
    assert result.exit_code == 0, result.output
    assignment = pd.read_parquet(tmp_path / "aug_sms" / "assignment.parquet")
    campaign = pd.read_csv(out / "sms_campaign.csv")
    merged = assignment.merge(campaign, on="customer_id", validate="one_to_one")
    assert len(merged) == len(campaign)
    assert (merged["arm_x"] == merged["arm_y"]).all()
    assert (merged["stratum"] == merged["group"]).all()
