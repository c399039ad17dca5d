"""`--lang zh` on the commands whose steps give notices (design, import-campaign, target, train,
evaluate) and on the DataWarnings of the data readers: the notices they print (and evaluate's
report notes) are the Chinese templates, and `--lang en` prints the English ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.cli.test_target_cli import write_inputs
from uplift_lab.cli import app

DATA = Path(__file__).resolve().parent.parent / "data"
TRAIN_FAST = ["--folds", "2", "--max-rounds", "40"]


def _invoke(runner, argv: list[str], lang: str) -> str:
    result = runner.invoke(app, [*argv, "--lang", lang])
    assert result.exit_code == 0, result.output
    return result.output


def test_design_prints_its_small_holdouts_in_chinese(runner, tmp_path) -> None:
    argv = ["design", str(DATA / "design_customers.csv"), "--name", "spring", "--force"]
    chinese = _invoke(runner, [*argv, "--out", str(tmp_path / "zh")], "zh")
    english = _invoke(runner, [*argv, "--out", str(tmp_path / "en")], "en")
    assert "分层 '活跃'：观察组只有 2 位客户，低于 --min-holdout 200，其提升无法解读" in chinese
    assert "below --min-holdout" not in chinese
    assert "stratum 'active': holdout of 2 customer(s) is below --min-holdout 200" in english


def test_import_campaign_prints_its_sample_ratio_mismatch_in_chinese(runner, tmp_path) -> None:
    arms = ["control"] * 50 + ["sms"] * 950
    path = tmp_path / "c.csv"
    pd.DataFrame({"customer_id": [f"u{i}" for i in range(1000)], "arm": arms}).to_csv(path)
    argv = ["import-campaign", str(path), "--control", "control", "--start", "2026-08-21",
            "--expected", "control=0.5,sms=0.5", "--force"]  # fmt: skip
    chinese = _invoke(runner, [*argv, "--out", str(tmp_path / "zh")], "zh")
    english = _invoke(runner, [*argv, "--out", str(tmp_path / "en")], "en")
    assert "!!! 样本比例失衡（总体）：实际为 对照组 50, 短信 950" in chinese
    assert "SAMPLE RATIO MISMATCH" not in chinese
    assert "!!! SAMPLE RATIO MISMATCH overall: observed control 50, sms 950" in english


def test_target_prints_its_warnings_in_chinese(runner, tmp_path) -> None:
    scores, segments, _ = write_inputs(tmp_path, n=500)
    argv = ["target", str(scores), "--segments", str(segments), "--budget", "auto",
            "--channel", "sms=0.05", "--holdout", "0", "--force"]  # fmt: skip
    chinese = _invoke(runner, [*argv, "--out", str(tmp_path / "zh.parquet")], "zh")
    english = _invoke(runner, [*argv, "--out", str(tmp_path / "en.parquet")], "en")
    assert "未给 --model：未检查评分所用的模型是否优于随机触达" in chinese
    assert "--holdout 0：没有观察组，将无法衡量本次活动的收益" in chinese
    assert "no --model given" not in chinese and "no --model given" in english


@pytest.fixture(scope="module")
def no_effect_model(tmp_path_factory) -> tuple[Path, str]:
    """A model trained in Chinese on a campaign where the message changes nothing."""
    from typer.testing import CliRunner

    folder = tmp_path_factory.mktemp("noise")
    rng = np.random.default_rng(3)
    n = 2000
    frame = pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(n)],
        "arm": np.where(rng.random(n) < 0.5, "sms", "control"),
        "converted": (rng.random(n) < 0.1).astype(int),
        "recency": rng.integers(1, 300, n), "frequency": rng.integers(1, 9, n),
    })  # fmt: skip
    frame.to_csv(folder / "campaign.csv", index=False)
    out = folder / "model"
    argv = ["train", "--data", str(folder / "campaign.csv"), "--id-col", "customer_id",
            "--treatment-col", "arm", "--control", "control", "--outcome-col", "converted",
            "--model", "two", *TRAIN_FAST, "--out", str(out), "--lang", "zh"]  # fmt: skip
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, result.output
    return out, result.output


def test_train_prints_the_models_verdict_notice_in_chinese(no_effect_model) -> None:
    _, output = no_effect_model
    assert "短信 对比 对照组（转化）的选定模型" in output
    assert "the chosen model for" not in output


def test_evaluate_writes_its_report_notes_in_chinese(runner, no_effect_model, tmp_path) -> None:
    model, _ = no_effect_model
    _invoke(runner, ["evaluate", str(model), "--out", str(tmp_path / "zh")], "zh")
    _invoke(runner, ["evaluate", str(model), "--out", str(tmp_path / "en")], "en")
    chinese = (tmp_path / "zh" / "report.md").read_text(encoding="utf-8")
    english = (tmp_path / "en" / "report.md").read_text(encoding="utf-8")
    assert "> RFM 规则按 recency, frequency 排序" in chinese
    assert "RFM rule ranks by" not in chinese and "> RFM rule ranks by" in english


def test_a_data_warning_is_printed_in_the_commands_language(runner, tmp_path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "customer_id,order_time,amount\nc1,2026-05-03 10:00:00+08:00,10\n"
        "c2,2026-05-04 23:30:00+00:00,20\n",
        encoding="utf-8",
    )
    argv = ["segment", str(orders), "--as-of", "2026-06-01", "--thresholds", "fixed"]
    chinese = _invoke(runner, [*argv, "--out", str(tmp_path / "zh.parquet")], "zh")
    english = _invoke(runner, [*argv, "--out", str(tmp_path / "en.parquet")], "en")
    assert "列 'order_time' 混用了多个时区偏移（+00:00, +08:00）" in chinese
    assert "mixes time-zone offsets" not in chinese
    assert "column 'order_time' mixes time-zone offsets (+00:00, +08:00)" in english
