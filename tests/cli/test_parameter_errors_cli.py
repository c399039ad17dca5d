"""A library ParameterError reaches the user as one ``error:`` line naming the flag, exit 2."""

from __future__ import annotations

from pathlib import Path

from uplift_lab.cli import app

DATA = Path(__file__).resolve().parents[1] / "data"


def _error_lines(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("error:")]


def test_a_bad_option_value_is_one_line_naming_the_flag(runner, tmp_path) -> None:
    args = ["segment", str(DATA / "seg_orders_utf8.csv"), "--as-of", "2026-06-01"]
    args += ["--date-format", "dmY"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "s.parquet")])
    assert result.exit_code == 2
    lines = _error_lines(result)
    assert len(lines) == 1 and "Traceback" not in result.output
    assert lines[0].startswith("error: --date-format: must hold strftime codes")
    assert "Got 'dmY' instead" in lines[0] and "date_format" not in lines[0]
    assert not (tmp_path / "s.parquet").exists()


def test_a_design_parameter_names_the_flag_and_the_parameter(runner, tmp_path) -> None:
    args = ["design", str(DATA / "design_customers.csv"), "--name", "x", "--alpha", "1.5"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "exp")])
    assert result.exit_code == 2
    lines = _error_lines(result)
    assert len(lines) == 1
    assert lines[0].startswith("error: --alpha: must be in (0, 1)")
    assert "Got 1.5 instead" in lines[0]
