"""Shared fixtures: a CLI runner and the path to the real campaign data (skipped when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest
from typer.testing import CliRunner

matplotlib.use("Agg")

# ../shared/data beside the repository, or UPLIFT_LAB_SHARED_DATA (e.g. from a worktree).
SHARED_DATA = Path(
    os.environ.get("UPLIFT_LAB_SHARED_DATA")
    or Path(__file__).resolve().parents[1].parent / "shared" / "data"
)
HILLSTROM = SHARED_DATA / "hillstrom.csv"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def hillstrom_path() -> Path:
    if not HILLSTROM.exists():
        pytest.skip(f"real data not present at {HILLSTROM} (a bare clone has no ../shared)")
    return HILLSTROM
