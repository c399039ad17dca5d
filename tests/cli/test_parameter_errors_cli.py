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


def test_a_library_fix_naming_parameters_names_their_flags(runner, tmp_path) -> None:
    """UsageError templates of uplift/ and workflows/ (issue 11): the library says 'out' and
    as_of=..., the CLI the flags, in the same words as before the conversion."""
    empty = tmp_path / "not_a_model"
    empty.mkdir()
    customers = DATA / "seg_customers_utf8.csv"
    result = runner.invoke(
        app, ["score", str(empty), str(customers), "--out", str(tmp_path / "s.csv")]
    )
    lines = _error_lines(result)
    assert result.exit_code == 2 and len(lines) == 1
    assert lines[0].endswith(
        "is not a model folder (it has no model.json). Pass the --out folder of uplift-lab train;"
        " make one with uplift-lab train --data CAMPAIGN --treatment-col ARM --control LABEL"
        " --outcome-col CONVERTED --out FOLDER"
    )
    orders = tmp_path / "orders.csv"
    orders.write_text("customer_id,order_time,amount\nA,2026-08-01,1\n")
    args = ["segment", str(orders), "--as-of", "2000-01-01"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "seg.parquet")])
    lines = _error_lines(result)
    assert result.exit_code == 2 and len(lines) == 1
    assert "has no orders before --as-of 2000-01-01 00:00:00 (its orders run from" in lines[0]
    assert lines[0].endswith("Use a later --as-of, or pass --customers")
