"""Shared fixtures: a CLI runner and the path to the real campaign data (skipped when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest
from hypothesis import settings
from typer.testing import CliRunner

matplotlib.use("Agg")

# Property tests draw the same examples on every run (CI and a laptop alike), so a red suite is
# reproducible and a green one means the same thing each time; HYPOTHESIS_PROFILE=explore draws
# fresh examples to hunt for new counterexamples (then pin them with @example).
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

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
