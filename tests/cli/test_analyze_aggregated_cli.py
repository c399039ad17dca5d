"""`uplift-lab analyze CELLS.csv --aggregated`: same outputs as a flat table, one-line errors."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from tests.cli.test_analyze_cli import HILLSTROM_ARGS, one_line_error
from tests.test_aggregates import cells_by_groupby
from tests.test_analyze import simulated_units
from uplift_lab import io
from uplift_lab.cli import app

CELL_ARGS = ["--aggregated", "--arm-col", "arm", "--control", "control", "--segment-col", "segment"]


@pytest.fixture
def units() -> pd.DataFrame:
    return simulated_units(seed=21, sizes={"silent": 1500, "active": 1000})


@pytest.fixture
def cells(units) -> pd.DataFrame:
    return cells_by_groupby(units, "segment", "arm", "converted", "revenue")


def write(frame: pd.DataFrame, tmp_path, name: str = "cells.csv"):
    path = tmp_path / name
    io.write_table(frame, path)
    return path


def numbers_equal(a, b) -> bool:
    """JSON payloads equal, floats to 1e-9 (a groupby sums in another order than bincount)."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(numbers_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(numbers_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def test_aggregated_json_equals_the_flat_table_json(runner, units, cells, tmp_path) -> None:
    flat = runner.invoke(
        app,
        ["analyze", str(write(units, tmp_path, "flat.csv")), "--arm-col", "arm",
         "--control", "control", "--segment-col", "segment", "--json"],
    )  # fmt: skip
    aggregated = runner.invoke(app, ["analyze", str(write(cells, tmp_path)), *CELL_ARGS, "--json"])
    assert flat.exit_code == 0 and aggregated.exit_code == 0, aggregated.output
    a, b = json.loads(flat.output), json.loads(aggregated.output)
    for key in ("arm_summaries", "comparisons", "overall"):
        assert numbers_equal(a[key], b[key]), key


def test_aggregated_tables_and_report_folder(runner, cells, tmp_path) -> None:
    out = tmp_path / "report"
    result = runner.invoke(
        app, ["analyze", str(write(cells, tmp_path)), *CELL_ARGS, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Analysed from aggregated cells" in result.output
    assert {"report.md", "report.html", "report.json"} <= {p.name for p in out.iterdir()}


def test_hillstrom_cells_cli_equals_flat_cli(runner, hillstrom_path, tmp_path) -> None:
    data = pd.read_csv(hillstrom_path)
    cells = cells_by_groupby(data, "zip_code", "segment", "conversion", "spend")
    flat = runner.invoke(app, ["analyze", str(hillstrom_path), *HILLSTROM_ARGS, "--json"])
    aggregated = runner.invoke(
        app,
        ["analyze", str(write(cells, tmp_path)), "--aggregated", "--arm-col", "segment",
         "--control", "No E-Mail", "--segment-col", "zip_code", "--json"],
    )  # fmt: skip
    assert aggregated.exit_code == 0, aggregated.output
    a, b = json.loads(flat.output), json.loads(aggregated.output)
    for key in ("arm_summaries", "comparisons", "overall"):
        assert numbers_equal(a[key], b[key]), key


def broken(cells: pd.DataFrame, column: str, row: int, value) -> pd.DataFrame:
    frame = cells.copy()
    frame[column] = frame[column].astype(object)
    frame.loc[row, column] = value
    return frame


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda c: c.drop(columns="revenue_sum_squares"), "'revenue_sum_squares'"),
        (lambda c: c.drop(columns="n"), "'n'"),
        (lambda c: broken(c, "conversions", 1, int(c.loc[1, "n"]) + 1), "column 'conversions'"),
        (lambda c: broken(c, "n", 0, -3), "column 'n' must hold whole numbers >= 1"),
        (lambda c: broken(c, "revenue_sum_squares", 2, 1.0), "negative variance"),
        (lambda c: pd.concat([c, c.iloc[[0]]], ignore_index=True), "more than one row"),
        (lambda c: broken(c, "conversions", 0, "many"), "column 'conversions' must be numeric"),
    ],
    ids=["missing-squares", "missing-n", "conversions-above-n", "negative-n", "variance-below-0",
         "duplicate-cell", "text-count"],
)  # fmt: skip
def test_bad_cells_are_one_line_errors_naming_file_and_column(
    runner, cells, tmp_path, edit, expected
) -> None:
    path = write(edit(cells), tmp_path)
    line = one_line_error(runner.invoke(app, ["analyze", str(path), *CELL_ARGS]))
    assert str(path.name) in line and expected in line, line


def test_unknown_arm_label_against_expected_is_refused(runner, cells, tmp_path) -> None:
    path = write(broken(cells, "arm", 0, "sned"), tmp_path)
    args = ["analyze", str(path), *CELL_ARGS, "--expected", "control=0.1,send=0.9"]
    line = one_line_error(runner.invoke(app, args))
    assert "sned" in line and "column 'arm'" in line, line


def test_missing_control_is_refused(runner, cells, tmp_path) -> None:
    args = ["analyze", str(write(cells, tmp_path)), *CELL_ARGS[:-4], "--control", "holdout"]
    line = one_line_error(runner.invoke(app, [*args, "--segment-col", "segment"]))
    assert "control arm 'holdout'" in line, line


@pytest.mark.parametrize("flag", [["--cap-revenue", "0.99"], ["--positive", "Yes"]])
def test_row_only_options_with_aggregated_name_the_flag(runner, cells, tmp_path, flag) -> None:
    line = one_line_error(
        runner.invoke(app, ["analyze", str(write(cells, tmp_path)), *CELL_ARGS, *flag])
    )
    assert flag[0] in line and "--aggregated" in line, line


def test_covariate_without_its_moments_names_the_column(runner, cells, tmp_path) -> None:
    args = ["analyze", str(write(cells, tmp_path)), *CELL_ARGS, "--covariate", "pre"]
    line = one_line_error(runner.invoke(app, args))
    assert "covariate_sum" in line and "--covariate" in line, line
