"""Run every case of the bad-input corpus through the CLI in-process.

A refused case must exit 2 with exactly one ``error:`` line holding the case's words, no
traceback, and leave its folder and the session fixtures byte-identical (no output, no staging
file). A typer usage error (``usage``) exits 2 with no traceback and writes nothing. A working
case exits 0 and its check compares the result with an independent computation.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.bad_inputs.cases import CASES, Case, drop, duplicate_first_row, variant
from uplift_lab.cli import app


def _resolve(token: str, fx, d: Path) -> str:
    makers = {
        "EVENTS": lambda: variant(fx.events, d / "events.csv", drop("event_time")),
        "CUSTOMERS_DUP": lambda: variant(fx.customers, d / "customers.csv", duplicate_first_row),
        "EXP": lambda: d / "exp",
        "SEGMENTS_NO_LIFECYCLE": lambda: variant(
            fx.segments, d / "segments.parquet", drop("lifecycle")
        ),
    }
    return str(makers[token]()) if token in makers else token


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones included) with the SHA-256 of its bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        if path.is_file()
        else "dir"
        for path in sorted(folder.rglob("*"))
    }


def test_the_corpus_is_large_and_covers_every_command() -> None:
    assert len(CASES) >= 80
    assert len({case.id for case in CASES}) == len(CASES)
    commands = {case.id.split("-")[0] for case in CASES}
    assert commands >= {"synth", "segment", "design", "analyze", "train", "score", "evaluate",
                        "target", "demo"}  # fmt: skip
    assert sum(case.exit_code == 0 for case in CASES) >= 8


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_case(case: Case, fx, tmp_path: Path) -> None:
    d = tmp_path / "case"
    d.mkdir()
    argv = [_resolve(arg, fx, d) for arg in case.argv(fx, d)]
    before, fixtures_before = snapshot(d), snapshot(fx.root)
    result = CliRunner().invoke(app, argv)
    output = result.output
    assert "Traceback" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code == case.exit_code, output
    assert snapshot(fx.root) == fixtures_before, "a case changed the session's fixtures"
    if case.exit_code == 0:
        if case.check is not None:
            case.check(fx, d, output)
        return
    assert snapshot(d) == before, "a refused run wrote or changed a file"
    if case.usage:
        return
    error_lines = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, output
    for word in case.words:
        assert word in error_lines[0], f"{word!r} not in: {error_lines[0]}"
