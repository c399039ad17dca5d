"""The step notices in Chinese: every code of design, import-campaign, target, the model's
evaluation and the data readers renders through Chinese templates only (no English template is
left), names strata, arms and channels as the Chinese tables do, and keeps its numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from tests.test_step_notice_text import ENGLISH
from uplift_lab.notices import Notice
from uplift_lab.power import OVERALL
from uplift_lab.report.labels import EN, Labels, Lang, label_table
from uplift_lab.report.notice_text import render_notice
from uplift_lab.report.step_notice_text import CODES

CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True, slots=True)
class _RecordingLabels(Labels):
    """Chinese labels that remember every label a renderer looked up (data values aside)."""

    looked_up: list[str] = field(default_factory=list)

    def __call__(self, label: str, /, **values: object) -> str:
        self.looked_up.append(label)
        return Labels.__call__(self, label, **values)

    def value(self, value: object) -> str:
        return Labels(Lang.zh).value(value)


def test_the_examples_cover_every_code() -> None:
    assert {notice.code for notice, _ in ENGLISH} == CODES


@pytest.mark.parametrize(("notice", "english"), ENGLISH, ids=[n.code for n, _ in ENGLISH])
def test_each_code_renders_from_chinese_templates_only(notice: Notice, english: str) -> None:
    labels = _RecordingLabels(Lang.zh)
    text = render_notice(notice, labels)
    untranslated = [label for label in labels.looked_up if label not in label_table()]
    assert labels.looked_up and not untranslated, untranslated
    assert CJK.search(text) and text != english
    assert render_notice(notice, EN) == english  # English is untouched


def _numbers(text: str) -> list[str]:
    return re.findall(r"[+-]?\d+(?:,\d{3})*(?:\.\d+)?(?:e[+-]?\d+)?%?", text)


@pytest.mark.parametrize(("notice", "english"), ENGLISH, ids=[n.code for n, _ in ENGLISH])
def test_each_code_keeps_its_numbers_in_chinese(notice: Notice, english: str) -> None:
    chinese = render_notice(notice, Labels(Lang.zh))
    assert sorted(_numbers(chinese)) == sorted(_numbers(english))


def test_a_small_design_holdout_reads_in_chinese_with_the_stage_named() -> None:
    notice = Notice("warning", "design_small_holdout", {"stratum": "silent", "n": 30,
                                                         "min_holdout": 35})  # fmt: skip
    assert render_notice(notice, Labels(Lang.zh)) == (
        "分层 '沉默'：观察组只有 30 位客户，低于 --min-holdout 35，其提升无法解读"
    )


def test_an_overall_srm_names_the_arms_in_chinese() -> None:
    notice = Notice("critical", "imported_srm", {
        "where": OVERALL, "observed": {"control": 627, "sms": 1223},
        "expected": {"control": 0.5, "sms": 0.5}, "p_value": 3.7e-222,
    })  # fmt: skip
    assert render_notice(notice, Labels(Lang.zh)).startswith(
        "样本比例失衡（总体）：实际为 对照组 627, 短信 1,223，"
        "--expected 为 对照组 50.0%, 短信 50.0%（卡方检验 p = 3.7e-222）"
    )


def test_the_models_arms_outcome_and_verdict_word_are_named_in_chinese() -> None:
    notice = Notice("note", "model_not_shown_useful", {"arm": "sms", "control": "control",
                    "outcome": "revenue", "verdict": "inconclusive"})  # fmt: skip
    assert render_notice(notice, Labels(Lang.zh)) == (
        "注意：短信 对比 对照组（收入）的选定模型未被证明优于随机触达（尚无定论）。"
    )
