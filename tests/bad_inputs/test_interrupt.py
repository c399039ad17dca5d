"""Ctrl-C inside a command: one line, exit code 130, and no output or staging file left."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from tests.bad_inputs.test_corpus import snapshot
from uplift_lab.cli import app

INTERRUPTED = "interrupted; nothing was written"


def _half_write_then_interrupt(self, path, *args, **kwargs):
    Path(path).write_bytes(b"PAR1 half a file")  # what a real write leaves when Ctrl-C lands
    raise KeyboardInterrupt


def _assert_interrupted(result, folder: Path, before: dict) -> None:
    assert result.exit_code == 130, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines.count(INTERRUPTED) == 1 and "Traceback" not in result.output, result.output
    assert snapshot(folder) == before  # no output, no hidden staging file


def test_ctrl_c_while_segment_writes_leaves_nothing(fx, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(pd.DataFrame, "to_parquet", _half_write_then_interrupt)
    before = snapshot(tmp_path)
    result = CliRunner().invoke(
        app, ["segment", str(fx.orders), "--as-of", fx.as_of, "--out", str(tmp_path / "s.parquet")]
    )
    _assert_interrupted(result, tmp_path, before)


def test_ctrl_c_while_score_writes_batches_leaves_nothing(fx, tmp_path, monkeypatch) -> None:
    import pyarrow.parquet as pq

    def interrupt(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pq.ParquetWriter, "write_table", interrupt)
    before = snapshot(tmp_path)
    result = CliRunner().invoke(
        app, ["score", str(fx.model), str(fx.flat), "--out", str(tmp_path / "scores.parquet")]
    )
    _assert_interrupted(result, tmp_path, before)


def test_ctrl_c_while_evaluate_writes_its_folder_leaves_nothing(fx, tmp_path, monkeypatch):
    from uplift_lab.workflows import evaluate

    def interrupt(evaluations, description, staging, *_labels):
        (Path(staging) / "report.md").write_text("half")
        raise KeyboardInterrupt

    monkeypatch.setattr(evaluate, "write_model_report", interrupt)
    before = snapshot(tmp_path)
    result = CliRunner().invoke(app, ["evaluate", str(fx.model), "--out", str(tmp_path / "ev")])
    _assert_interrupted(result, tmp_path, before)


def test_ctrl_c_during_a_demo_step_exits_130_with_one_line(tmp_path, monkeypatch) -> None:
    from uplift_lab import synth

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(synth, "generate_shop", interrupt)
    result = CliRunner().invoke(
        app, ["demo", "--customers", "2000", "--out", str(tmp_path / "w"),
              "--report", str(tmp_path / "r")],
    )  # fmt: skip
    assert result.exit_code == 130, result.output
    assert result.output.count(INTERRUPTED) == 1 and "error:" not in result.output
    assert not (tmp_path / "w" / "shop").exists() and not (tmp_path / "r").exists()
