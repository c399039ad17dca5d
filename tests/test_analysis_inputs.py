"""The checks analyze makes on its inputs (uplift_lab.analysis_inputs) refuse in parameter
words: ``'positive'``, ``expected_fractions=...``; the CLI says the flags
(tests/cli/test_error_words_cli.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from uplift_lab.analysis_inputs import check_arms, check_declared_arms, conversion_flags
from uplift_lab.analysis_results import AnalysisOptions
from uplift_lab.errors import DataWarning, InputError


def refusal(call) -> str:
    with pytest.raises(InputError) as caught:
        call()
    message = str(caught.value)
    assert message.startswith("flat.csv: ") and "--" not in message
    return message


def test_a_label_outcome_column_names_the_positive_parameter_with_an_example() -> None:
    frame = pd.DataFrame({"bought": ["bought", "none", "none"]})
    message = refusal(lambda: conversion_flags(frame, "bought", "flat.csv"))
    # the suggestion names the label that is not a negation ('none'), not the last in order
    assert message.endswith("Name the converted label with 'positive', e.g. positive='bought'")
    rare = pd.DataFrame({"bought": ["a", "b", "b"]})  # neither negated: the rarer one
    assert refusal(lambda: conversion_flags(rare, "bought", "flat.csv")).endswith("positive='a'")
    with pytest.warns(DataWarning):  # Yes/No is a 0/1 outcome in words: read, and said
        flags = conversion_flags(pd.DataFrame({"bought": ["Yes", "No"]}), "bought", "flat.csv")
    assert flags.tolist() == [1.0, 0.0]
    three = pd.DataFrame({"bought": ["Yes", "No", "Maybe"]})
    assert "; 'positive' reads a yes/no column with two" in refusal(
        lambda: conversion_flags(three, "bought", "flat.csv", positive="Yes")
    )
    counts = pd.DataFrame({"bought": [0, 2]})
    assert refusal(lambda: conversion_flags(counts, "bought", "flat.csv")).endswith(
        "Pass a 0/1 conversion column with 'conversion_col'"
    )


def test_arm_checks_name_arm_col_and_expected_fractions() -> None:
    one_arm = pd.DataFrame({"arm": ["send", "send"]})
    assert refusal(lambda: check_arms(one_arm, "control", "flat.csv", "group")).endswith(
        "Pass the full experiment, or the right 'arm_col'"
    )
    units = pd.DataFrame({"arm": ["control"] * 200 + ["send"] * 199 + ["sned"]})
    message = refusal(
        lambda: check_declared_arms(units, AnalysisOptions(control="control"), "flat.csv", "group")
    )
    assert "declare every arm with expected_fractions=ARM=FRACTION,... (including 'sned')" in (
        message
    )
    fractions = {"all": {"control": 0.5, "send": 0.5}}
    declared = AnalysisOptions(control="control", expected_fractions=fractions)
    message = refusal(lambda: check_declared_arms(units, declared, "flat.csv", "group"))
    assert message.endswith("Fix those labels, or declare every arm in 'expected_fractions'")


@pytest.mark.parametrize(
    ("labels", "converted"),
    [(["已购买", "未购买"], "已购买"), (["not bought", "bought"], "bought"),
     (["购买", "不购买"], "购买"), (["converted", "Not converted"], "converted")],
)  # fmt: skip
def test_a_label_and_its_negation_read_as_1_0_with_a_note(labels, converted) -> None:
    frame = pd.DataFrame({"outcome": [*labels, labels[0]]})
    with pytest.warns(DataWarning) as caught:
        flags = conversion_flags(frame, "outcome", "flat.csv")
    assert caught[0].message.notice.params["positive"] == converted
    assert flags.tolist() == [float(label == converted) for label in frame["outcome"]]
