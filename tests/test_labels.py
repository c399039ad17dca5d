"""The label table of --lang: one Chinese label per meaning, templates that fill the same way,
RFM names from segment's one source, ¥ amounts, English fallback."""

from __future__ import annotations

import string
from collections import defaultdict

import pytest

from uplift_lab.contracts import LIFECYCLE_STAGES
from uplift_lab.report.labels import (
    EN,
    SAME_MEANING,
    ZH_LABELS,
    Lang,
    label_table,
    labels_for,
)
from uplift_lab.segment import NO_PURCHASE_CLASS, RFM_CLASSES

ISSUE_LIFECYCLE = {  # issue 13's words, typed here rather than read from the module
    "potential": "潜客",
    "new": "新客",
    "active": "活跃",
    "semi_active": "半活跃",
    "silent": "沉默",
    "churned": "流失",
}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_no_two_english_labels_share_a_chinese_label_unless_declared_the_same() -> None:
    by_chinese: dict[str, set[str]] = defaultdict(set)
    for english, chinese in label_table().items():
        if english != chinese:
            by_chinese[chinese].add(english)
    declared = [set(group) for group in SAME_MEANING]
    clashes = {
        chinese: sorted(englishes)
        for chinese, englishes in by_chinese.items()
        if len(englishes) > 1 and not any(englishes <= group for group in declared)
    }
    assert not clashes, clashes


def test_declared_synonyms_are_in_the_table_and_really_share_their_label() -> None:
    table = label_table()
    for group in SAME_MEANING:
        assert group <= table.keys(), group - table.keys()
        assert len({table[english] for english in group}) == 1, group


def test_every_template_fills_the_same_placeholders_in_both_languages() -> None:
    mismatched = {  # Chinese has no plural: it may leave out the English "{s}" ending
        english: chinese
        for english, chinese in label_table().items()
        if _fields(chinese) not in (_fields(english), _fields(english) - {"s"})
    }
    assert not mismatched, mismatched


def test_lifecycle_stages_have_the_issues_chinese_names() -> None:
    assert set(ISSUE_LIFECYCLE) == set(LIFECYCLE_STAGES)
    for stage, chinese in ISSUE_LIFECYCLE.items():
        assert ZH_LABELS.value(stage) == chinese


def test_rfm_classes_are_the_names_of_segments_rfm_class_zh_column() -> None:
    for key, chinese, _ in (*RFM_CLASSES, (*NO_PURCHASE_CLASS, None)):
        assert ZH_LABELS.value(key) == chinese


def test_arm_roles_are_send_and_observation_group() -> None:
    assert ZH_LABELS.value("send") == "发送组"
    assert ZH_LABELS.value("holdout") == "观察组"


def test_an_unknown_label_stays_english_and_english_is_untouched() -> None:
    assert ZH_LABELS("no such label, {x}", x=1) == "no such label, 1"
    assert ZH_LABELS.value("electronics") == "electronics"
    for english in label_table():
        assert EN(english) == english


def test_a_template_is_filled_in_chinese() -> None:
    text = ZH_LABELS("Conversion: {arm} vs {control}", arm="A", control="B")
    assert text == "响应率：A 对比 B"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.50", "¥1,234.50"),
        ("+12 [-3, +4,000]", "+¥12 [-¥3, +¥4,000]"),
        ("-0.05", "-¥0.05"),
        ("-", "-"),
        ("12.5%", "12.5%"),  # a share is not money
    ],
)
def test_zh_money_puts_a_yen_sign_on_every_amount(text: str, expected: str) -> None:
    assert ZH_LABELS.money(text) == expected
    assert EN.money(text) == text


def test_html_lang_attribute() -> None:
    assert labels_for("zh").html_lang == "zh-CN"
    assert labels_for(Lang.en).html_lang == "en"
