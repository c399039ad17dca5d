"""ParameterError: a bad value said in parameter vocabulary, and the CLI's flag wording of it."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from uplift_lab.cli._common import error_message, flag_of
from uplift_lab.errors import (
    InputError,
    ParameterError,
    UsageError,
    input_error,
    literal,
    usage_error,
    with_value,
)


def test_parameter_error_names_the_parameter_the_rule_and_the_value() -> None:
    error = ParameterError("margin", "must be in (0, 1] (share of revenue that is profit)", 1.5)
    assert isinstance(error, InputError) and error.exit_code == 2
    assert str(error) == (
        "The 'margin' parameter must be in (0, 1] (share of revenue that is profit). "
        "Got 1.5 instead."
    )
    assert (error.parameter, error.value, error.example) == ("margin", 1.5, None)


def test_parameter_error_shows_an_example_and_a_fix_in_parameter_words() -> None:
    error = ParameterError(
        "holdout", "must be in (0, 1)", 0.0, example=0.1, fix="Or set {arms}", owner="design"
    )
    assert str(error) == (
        "The 'holdout' parameter of design must be in (0, 1). Got 0 instead. "
        "Use e.g. holdout=0.1. Or set 'arms'."
    )


@pytest.mark.parametrize(
    "value, shown",
    [
        (np.float64(0.25), "0.25"),
        (np.int64(3), "3"),
        (30.0, "30"),
        (1e20, "1e+20"),
        ("abc", "'abc'"),
        (True, "True"),
    ],
)
def test_values_are_shown_plainly(value, shown) -> None:
    assert str(ParameterError("x", "must be fine", value)).endswith(f"Got {shown} instead.")


def test_the_cli_says_the_flag_instead_of_the_parameter() -> None:
    error = ParameterError("batch_rows", "must be at least 1", 0, example=10000)
    assert error_message(error) == (
        "--batch-rows: must be at least 1. Got 0 instead. Use e.g. --batch-rows 10000."
    )


def test_the_cli_names_the_flag_for_a_steps_own_parameter_and_in_the_fix() -> None:
    error = ParameterError("holdout", "must be in (0, 1)", 1.5, fix="Or set {arms}", owner="design")
    assert error_message(error) == ("--holdout: must be in (0, 1). Got 1.5 instead. Or set --arms.")


@pytest.mark.parametrize(
    "parameter, flag",
    [
        ("window_days", "--window-days"),
        ("n_folds", "--folds"),
        ("n_splits", "--splits"),
        ("conversion_model", "--model"),
        ("control_arm", "--control"),
        ("arms[control]", "--arms"),
    ],
)
def test_flag_of_a_parameter(parameter, flag) -> None:
    assert flag_of(parameter) == flag


def test_other_input_errors_are_said_as_they_are() -> None:
    error = input_error("orders.csv", "missing column 'amount'", "Map it with --amount-col")
    assert error_message(error) == str(error)


def test_a_parameter_error_survives_pickling_with_its_parts() -> None:
    error = ParameterError("alpha", "must be in (0, 1)", 1.5, example=0.05, owner="design")
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error) and error_message(copy) == error_message(error)


def test_a_usage_error_names_parameters_in_library_words_and_flags_in_the_cli() -> None:
    error = UsageError("{start} is required with an orders file, e.g. {start=2026-08-21}")
    assert isinstance(error, InputError) and error.exit_code == 2
    assert str(error) == "'start' is required with an orders file, e.g. start=2026-08-21"
    said = error_message(error)
    assert said == "--start is required with an orders file, e.g. --start 2026-08-21"


def test_a_usage_error_says_renamed_flags_and_keeps_literal_braces() -> None:
    problem = f"{{cap_quantile}} and label '{literal('{x}')}'"
    error = usage_error("{odd}.csv", problem, "Drop {n_folds}")
    assert str(error) == "{odd}.csv: 'cap_quantile' and label '{x}'. Drop 'n_folds'"
    assert error_message(error) == "{odd}.csv: --cap-revenue and label '{x}'. Drop --folds"


def test_a_usage_error_survives_pickling_with_its_template() -> None:
    error = pickle.loads(pickle.dumps(UsageError("{outcomes} is for experiment folders")))
    assert error_message(error) == "--outcomes is for experiment folders"


@pytest.mark.parametrize(
    ("value", "library", "cli"),
    [
        ("订单状态", "status_col=订单状态 needs", "--status-col 订单状态 needs"),
        ("st{x}", "'status_col' st{x} needs", "--status-col st{x} needs"),  # braces kept
    ],
)
def test_a_parameter_with_its_value_in_a_usage_error(value, library, cli) -> None:
    error = UsageError(f"{with_value('status_col', value)} needs {{paid_statuses=VALUE}}")
    assert str(error) == f"{library} paid_statuses=VALUE"
    assert error_message(error) == f"{cli} --paid-status VALUE"


def test_a_data_warning_outside_the_cli_reads_as_its_code_and_numbers() -> None:
    from uplift_lab.errors import DataWarning
    from uplift_lab.notices import Notice

    notice = Notice("warning", "mixed_offsets", {"column": "order_time", "n_offsets": 2})
    assert str(DataWarning(notice)) == "mixed_offsets: column='order_time', n_offsets=2"
    assert "Notice(" not in str(DataWarning(notice))
