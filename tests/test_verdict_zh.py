"""The verdict as data: every branch of the verdict says in English exactly the sentence the
verdict used to write itself (typed here, as ``usefulness_verdict`` wrote them before the verdict
was kept as data), survives model.json's JSON, and says the same in Chinese from Chinese
templates only, number for number; notices quote it in the report's language, and a stored
sentence without its data (an older model folder) is quoted as it is."""

from __future__ import annotations

import json
import math
import re

import pandas as pd
import pytest
from scipy import stats

from tests.test_step_notice_zh import _RecordingLabels
from uplift_lab.notices import Notice
from uplift_lab.report.labels import EN, Labels, Lang, label_table
from uplift_lab.report.notice_text import render_notice
from uplift_lab.uplift.guardrails import stored_verdict, verdict_notices, verdict_params
from uplift_lab.uplift.verdict import (
    Verdict,
    judge_usefulness,
    random_order_verdict,
    usefulness_verdict,
)
from uplift_lab.uplift.verdict_data import REASONS, VERDICT_WORDS
from uplift_lab.uplift.verdict_text import verdict_clause, verdict_sentence

CJK = re.compile(r"[\u4e00-\u9fff]")
ADVICE = (
    " A larger holdout would tell: `uplift-lab target` keeps a random holdout in every send, so "
    "the next campaign measures this model's uplift directly."
)
NOT_SHOWN = " Targeting by this score is not shown to beat random targeting."


def _bins(top: float, bottom: float) -> pd.DataFrame:
    return pd.DataFrame({"observed_uplift": [top, 0.001, bottom]})


def _folds(qini: float, low: float, high: float) -> pd.DataFrame:
    return pd.DataFrame({"mean": [qini], "ci_low": [low], "ci_high": [high]},
                        index=["qini_coefficient"])  # fmt: skip


def _bootstrap(qini: float, low: float, high: float, replicates: int = 200) -> pd.DataFrame:
    return pd.DataFrame({"estimate": [qini], "ci_low": [low], "ci_high": [high],
                         "n_replicates": [replicates]}, index=["qini_coefficient"])  # fmt: skip


# name: (calibration, folds, percentage points, customer bootstrap, the sentence as before)
CASES = {
    "bins_not_comparable": (
        _bins(math.nan, -0.004), _folds(0.031, 0.002, 0.06), True, None,
        "not useful: the top or bottom bin lacks treated or control customers, so they cannot be "
        "compared." + NOT_SHOWN,
    ),
    "bins_not_comparable_and_qini_not_above_0": (
        _bins(0.02, math.nan), _folds(-0.012, -0.05, 0.03), True, _bootstrap(-0.012, -0.05, 0.03),
        "not useful: the top or bottom bin lacks treated or control customers, so they cannot be "
        "compared; the Qini coefficient -0.012 (95% CI -0.050 to 0.030, customer bootstrap, 200 "
        "replicates) is not above 0." + NOT_SHOWN,
    ),
    "qini_undefined": (
        _bins(0.0, 0.0), _folds(math.nan, math.nan, math.nan), False, None,
        "not useful: the Qini coefficient is undefined (the outcome does not vary)." + NOT_SHOWN,
    ),
    "qini_not_above_0_bins_do_not_beat": (
        _bins(-0.0123, 0.0456), _folds(-0.001, -0.044, 0.048), True,
        _bootstrap(-0.001, -0.044, 0.048),
        "not useful: its top bin's observed uplift (-1.23 pp) does not beat its bottom bin's "
        "(+4.56 pp); the Qini coefficient -0.001 (95% CI -0.044 to 0.048, customer bootstrap, "
        "200 replicates) is not above 0." + NOT_SHOWN,
    ),
    "qini_not_above_0_bins_beat": (
        _bins(3.25, -1.5), _folds(0.0, -0.02, 0.02), False, None,
        "not useful: the Qini coefficient 0.000 (95% CI -0.020 to 0.020, over folds) is not "
        "above 0." + NOT_SHOWN,
    ),
    "inconclusive_test": (
        _bins(0.031, -0.008), _folds(0.042, -0.02, 0.11), True, _bootstrap(0.042, -0.02, 0.11, 500),
        "inconclusive: its top bin's observed uplift (+3.10 pp) beats its bottom bin's (-0.80 pp) "
        "and the Qini coefficient 0.042 (95% CI -0.020 to 0.110, customer bootstrap, 500 "
        "replicates) is above 0, but a one-sided test of 'better than random' gives p = 0.103 "
        "(below 0.05 needed), so this held-out data cannot tell it from random targeting (it "
        "would show a Qini of 0.082 or more 80% of the time)." + ADVICE,
    ),
    "inconclusive_bins": (
        _bins(-2.5, 4.75), _folds(0.05, 0.03, 0.07), False, None,
        "inconclusive: the Qini coefficient 0.050 (95% CI 0.030 to 0.070, over folds) is above 0, "
        "but its top bin's observed uplift (-2.5) does not beat its bottom bin's (+4.75), so this "
        "held-out data does not agree with itself." + ADVICE,
    ),
    "useful": (
        _bins(0.052, -0.011), _folds(0.05, 0.03, 0.07), True, _bootstrap(0.05, 0.03, 0.07),
        "useful: its top bin's observed uplift (+5.20 pp) beats its bottom bin's (-1.10 pp) and "
        "the Qini coefficient 0.050 (95% CI 0.030 to 0.070, customer bootstrap, 200 replicates) "
        "is above 0 (one-sided test of 'better than random': p = 0.000).",
    ),
    "useful_without_ci": (
        _bins(12.5, 0.25), _folds(0.021, math.nan, math.nan), False, None,
        "useful: its top bin's observed uplift (+12.5) beats its bottom bin's (+0.25) and the "
        "Qini coefficient 0.021 is above 0.",
    ),
}  # fmt: skip
RANDOM_ORDER = (
    "not useful: a random order by construction; its Qini coefficient -0.013 shows how far "
    "chance alone moves the metric here."
)


def _judged(name: str) -> Verdict:
    calibration, folds, percentage_points, bootstrap, _ = CASES[name]
    return judge_usefulness(
        calibration, folds, percentage_points=percentage_points, bootstrap=bootstrap
    )


def _every_verdict() -> list[tuple[str, Verdict, str]]:
    cases = [(name, _judged(name), case[-1]) for name, case in CASES.items()]
    return [*cases, ("random_order", random_order_verdict(-0.0125), RANDOM_ORDER)]


VERDICTS = _every_verdict()
IDS = [name for name, _, _ in VERDICTS]


def test_the_cases_cover_every_verdict_code_and_every_reason() -> None:
    assert {verdict.code for _, verdict, _ in VERDICTS} == set(VERDICT_WORDS)
    assert {reason for _, verdict, _ in VERDICTS for reason in verdict.reasons} == set(REASONS)


def test_the_inconclusive_cases_p_value_is_the_one_sided_z_test_of_its_ci() -> None:
    se = (0.11 - -0.02) / (2 * stats.norm.ppf(0.975))  # the CI's standard error
    assert _judged("inconclusive_test").number("p_value") == pytest.approx(
        stats.norm.sf(0.042 / se)
    )
    assert f"p = {stats.norm.sf(0.042 / se):.3f}" in CASES["inconclusive_test"][-1]


@pytest.mark.parametrize(("name", "verdict", "english"), VERDICTS, ids=IDS)
def test_each_branch_reads_in_english_as_before(name: str, verdict: Verdict, english: str) -> None:
    assert verdict_sentence(verdict) == english
    assert verdict_sentence(verdict, EN) == english  # the reports' English labels: the same
    assert english.startswith(f"{verdict.word}: ")


@pytest.mark.parametrize("name", list(CASES))
def test_usefulness_verdict_still_returns_the_sentence(name: str) -> None:
    calibration, folds, percentage_points, bootstrap, english = CASES[name]
    said = usefulness_verdict(
        calibration, folds, percentage_points=percentage_points, bootstrap=bootstrap
    )
    assert said == english


@pytest.mark.parametrize(("name", "verdict", "english"), VERDICTS, ids=IDS)
def test_the_verdict_survives_model_jsons_json(name: str, verdict: Verdict, english: str) -> None:
    stored = json.loads(json.dumps(verdict.as_dict(), allow_nan=False))
    assert verdict_sentence(Verdict.from_dict(stored)) == english


def _numbers(text: str) -> list[str]:
    return sorted(re.findall(r"[+-]?\d+(?:,\d{3})*(?:\.\d+)?%?", text))


@pytest.mark.parametrize(("name", "verdict", "english"), VERDICTS, ids=IDS)
def test_each_branch_renders_from_chinese_templates_only(
    name: str, verdict: Verdict, english: str
) -> None:
    labels = _RecordingLabels(Lang.zh)
    chinese = verdict_sentence(verdict, labels)
    untranslated = [label for label in labels.looked_up if label not in label_table()]
    assert labels.looked_up and not untranslated, untranslated
    assert CJK.search(chinese) and chinese != english
    # no English words are left but the metric's name and the command it advises
    assert set(re.findall(r"[A-Za-z]+", chinese)) <= {"Qini", "p", "uplift", "lab", "target"}


@pytest.mark.parametrize(("name", "verdict", "english"), VERDICTS, ids=IDS)
def test_each_branch_keeps_its_numbers_in_chinese(name: str, verdict: Verdict, english: str):
    assert _numbers(verdict_sentence(verdict, Labels(Lang.zh))) == _numbers(english)


def test_a_not_useful_verdict_reads_in_chinese() -> None:
    assert verdict_sentence(_judged("qini_not_above_0_bins_do_not_beat"), Labels(Lang.zh)) == (
        "无用：最高分箱的实际增益（-1.23 个百分点）不高于最低分箱（+4.56 个百分点）；Qini 系数 "
        "-0.001（95% 置信区间 -0.044 至 0.048，客户自助法，200 次重抽样） 不高于 0。"
        "没有证据表明按此评分触达优于随机触达。"
    )


def test_the_clause_a_notice_quotes_is_the_sentence_before_its_advice() -> None:
    verdict = _judged("inconclusive_test")
    english = CASES["inconclusive_test"][-1]
    assert verdict_clause(verdict) == english.split(". ")[0].rstrip(".")
    chinese = verdict_clause(verdict, Labels(Lang.zh))
    assert chinese.startswith("尚无定论：") and "观察组" not in chinese and "。" not in chinese


def _entry(name: str) -> dict:
    verdict = _judged(name)
    return {"verdict": verdict.word, "text": verdict_sentence(verdict),
            "reason": verdict.as_dict()}  # fmt: skip


WHERE = {"arm": "sms", "control": "control", "outcome": "conversion"}


def test_trains_not_useful_warning_quotes_the_verdict_in_chinese() -> None:
    verdicts = {"sms": {"conversion": _entry("qini_not_above_0_bins_do_not_beat")}}
    [notice] = verdict_notices(verdicts, "control")
    chinese = render_notice(notice, Labels(Lang.zh))
    assert "（无用：最高分箱的实际增益（-1.23 个百分点）" in chinese
    assert "not useful" not in chinese and "Qini coefficient" not in chinese
    english = render_notice(notice, EN)
    assert f"({CASES['qini_not_above_0_bins_do_not_beat'][-1]})" in english


def test_a_stored_sentence_without_its_data_is_quoted_as_it_is() -> None:
    old = {"verdict": "not useful", "text": "not useful: Qini -0.01 (an older uplift-lab)."}
    notice = Notice("warning", "model_not_useful", {**WHERE, **verdict_params(old)})
    assert "（not useful: Qini -0.01 (an older uplift-lab).）" in render_notice(
        notice, Labels(Lang.zh)
    )


def test_data_that_no_longer_says_the_stored_sentence_is_not_used() -> None:
    edited = {**_entry("useful"), "verdict": "not useful", "text": "not useful: edited."}
    assert stored_verdict(edited) is None
    assert verdict_params(edited) == {"verdict": "not useful: edited."}
    assert stored_verdict(_entry("useful")) == _judged("useful")


def test_targets_channel_notices_quote_the_verdict_in_chinese() -> None:
    params = {"channel": "sms", **verdict_params(_entry("qini_undefined")), "kept_anyway": False}
    dropped = Notice("warning", "channel_dropped", params)
    assert render_notice(dropped, Labels(Lang.zh)) == (
        "已去掉渠道 '短信'：其模型 无用：Qini 系数无定义（结果没有变化）。"
        "没有证据表明按此评分触达优于随机触达。 其客户仍可收到其他渠道的消息"
    )
    kept = Notice("warning", "channel_inconclusive",
                  {"channel": "edm", **verdict_params(_entry("inconclusive_bins"))})  # fmt: skip
    chinese = render_notice(kept, Labels(Lang.zh))
    assert chinese.startswith(
        "保留渠道 '邮件'，但其模型未被证明优于随机触达（尚无定论：Qini 系数 0.050"
    )
    assert "inconclusive" not in chinese and "A larger holdout" not in chinese
    assert render_notice(kept, EN).startswith(
        "channel 'edm' kept, but its model is not shown to beat random targeting (inconclusive: "
        "the Qini coefficient 0.050 (95% CI 0.030 to 0.070, over folds) is above 0, but its top "
        "bin's observed uplift (-2.5) does not beat its bottom bin's (+4.75), so this held-out "
        "data does not agree with itself): its calibrated"
    )
