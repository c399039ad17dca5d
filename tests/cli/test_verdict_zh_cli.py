"""`--lang zh` says the model's verdict in Chinese: train's warning about a model that does not
beat random targeting, evaluate's report and lines, target's dropped channel; `--lang en` keeps
the sentence train stored in model.json."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from tests.cli import test_notices_zh_cli
from uplift_lab.cli import app

no_effect_model = test_notices_zh_cli.no_effect_model  # the fixture, trained once here

# Words of the English verdict sentence (whitespace removed: the terminal wraps lines anywhere)
ENGLISH_VERDICT = ("notuseful", "inconclusive:", "useful:", "Qinicoefficient", "bin'sobserved",
                   "customerbootstrap", "replicates", "Targetingbythisscore")  # fmt: skip


def _flat(text: str) -> str:
    return "".join(text.split())


def _numbers(text: str) -> list[str]:
    return sorted(re.findall(r"[+-]?\d+(?:\.\d+)?", text))


@pytest.fixture(scope="module")
def not_useful_model(no_effect_model) -> tuple[Path, Path, str]:
    """The model trained in Chinese on a campaign where the message changes nothing, its
    campaign file and what train printed."""
    model, output = no_effect_model
    return model, model.parent / "campaign.csv", output


def _stored(model: Path) -> dict:
    return json.loads((model / "model.json").read_text())["cv_metrics"]["verdicts"]["sms"][
        "conversion"
    ]


def test_train_warns_in_chinese_with_no_english_verdict_sentence(not_useful_model) -> None:
    model, _, output = not_useful_model
    stored = _stored(model)
    assert stored["verdict"] == "not useful" and stored["reason"]["code"] == "not_useful"
    flat = _flat(output)
    assert "短信对比对照组（转化）的选定模型在留出折上不优于随机触达（无用：" in flat
    assert "没有证据表明按此评分触达优于随机触达。）。" in flat
    assert [word for word in ENGLISH_VERDICT if word in flat] == []
    warning = flat[flat.index("（无用：") : flat.index("）。`target")]
    assert _numbers(warning) == _numbers(stored["text"])  # every number of the sentence


def test_evaluate_writes_its_verdicts_in_chinese(runner, not_useful_model, tmp_path) -> None:
    model, _, _ = not_useful_model
    zh = runner.invoke(app, ["evaluate", str(model), "--out", str(tmp_path / "zh"), "--lang", "zh"])
    assert zh.exit_code == 0, zh.output
    assert "选定模型（two）：无用：" in _flat(zh.output)
    report = (tmp_path / "zh" / "report.md").read_text(encoding="utf-8")
    assert "**two (转化) [已选] 的结论：** 无用：最高分箱的实际增益" in report
    listed = report.split("### 各评分的结论")[1].split("###")[0]
    verdicts = [line for line in listed.splitlines() if line.startswith("- **")]
    assert len(verdicts) == 4  # the model and three baselines
    assert all(re.search(r"\*\*: (有用|尚无定论|无用)：", line) for line in verdicts), verdicts
    assert [word for word in ENGLISH_VERDICT if word in _flat(listed)] == []
    assert "基线：随机触达**: 无用：按构造即为随机排序" in listed


def test_evaluate_in_english_says_the_sentence_train_stored(runner, not_useful_model, tmp_path):
    model, _, _ = not_useful_model
    en = runner.invoke(app, ["evaluate", str(model), "--out", str(tmp_path / "en")])
    assert en.exit_code == 0, en.output
    report = (tmp_path / "en" / "report.md").read_text(encoding="utf-8")
    assert f"**Verdict for two (conversion) [chosen]:** {_stored(model)['text']}" in report


def test_evaluate_scores_prints_the_best_verdict_in_chinese(runner, not_useful_model, tmp_path):
    model, data, _ = not_useful_model
    scores = tmp_path / "scores.csv"
    scored = runner.invoke(app, ["score", str(model), str(data), "--out", str(scores)])
    assert scored.exit_code == 0, scored.output
    argv = ["evaluate", "--scores", str(scores), "--outcomes", str(data), "--id-col",
            "customer_id", "--arm-col", "arm", "--control", "control", "--conversion-col",
            "converted", "--out", str(tmp_path / "report"), "--lang", "zh"]  # fmt: skip
    result = runner.invoke(app, argv)
    assert result.exit_code == 0, result.output
    line = _flat(result.output).split("已转化:uplift_conversion:")[1]
    assert re.match(r"(有用|尚无定论|无用)：", line), line[:80]
    assert [word for word in ENGLISH_VERDICT if word in line.split("报告已写入")[0]] == []


def test_target_drops_the_channel_naming_the_verdict_in_chinese(runner, not_useful_model, tmp_path):
    model, data, _ = not_useful_model
    scores = tmp_path / "scores.csv"
    scored = runner.invoke(app, ["score", str(model), str(data), "--out", str(scores)])
    assert scored.exit_code == 0, scored.output
    frame = pd.read_csv(scores)  # a conversion model: its revenue uplift at 40 per conversion
    frame.assign(uplift_revenue=40 * frame["uplift_conversion"]).to_csv(scores, index=False)
    argv = ["target", str(scores), "--channel", "sms=0.05", "--budget", "auto", "--margin", "0.3",
            "--holdout", "0", "--model", str(model), "--accept-weak-model",
            "--out", str(tmp_path / "send.csv"), "--lang", "zh"]  # fmt: skip
    result = runner.invoke(app, argv)
    assert result.exit_code == 0, result.output
    flat = _flat(result.output)
    assert "已去掉渠道'短信'：其模型无用：最高分箱的实际增益" in flat
    assert [word for word in ENGLISH_VERDICT if word in flat] == []
