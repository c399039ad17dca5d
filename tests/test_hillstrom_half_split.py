"""experiments/hillstrom/half_split.py: the split, the spend metric, and (when the data is
present) the issue-10 thresholds on the test half.

The split and metrics are checked against a direct pandas computation; the thresholds against
the peers' figures on the same split (causalml UpliftRandomForest, scikit-uplift SoloModel).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "experiments" / "hillstrom" / "half_split.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("half_split", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


half_split = _load_script()


def test_incremental_spend_of_the_top_share_matches_a_direct_computation() -> None:
    rng = np.random.default_rng(0)
    n = 1000
    score = rng.normal(size=n)
    treated = rng.uniform(size=n) < 0.5
    spend = rng.exponential(10.0, n) * (rng.uniform(size=n) < 0.1)
    frame = pd.DataFrame({"score": score, "treated": treated, "spend": spend})
    top = frame.nlargest(300, "score")
    expected = (
        top.loc[top["treated"], "spend"].mean() - top.loc[~top["treated"], "spend"].mean()
    ) * 300
    got = half_split.incremental_top_share(score, treated, spend)
    assert got == pytest.approx(expected, rel=1e-12)


def test_standard_error_of_the_top_share_matches_a_direct_computation() -> None:
    rng = np.random.default_rng(1)
    n = 1000
    score, treated = rng.normal(size=n), rng.uniform(size=n) < 0.5
    spend = rng.exponential(10.0, n) * (rng.uniform(size=n) < 0.1)
    top = pd.DataFrame({"score": score, "treated": treated, "spend": spend}).nlargest(300, "score")
    groups = top.groupby("treated")["spend"]
    expected = np.sqrt((groups.var(ddof=1) / groups.count()).sum()) * 300
    got = half_split.incremental_top_share_se(score, treated, spend)
    assert got == pytest.approx(expected, rel=1e-12)


def test_the_split_halves_the_womens_and_no_email_rows_by_the_seeded_permutation(
    hillstrom_path,
) -> None:
    raw = pd.read_csv(hillstrom_path)
    rows = raw[raw["segment"].isin(["Womens E-Mail", "No E-Mail"])].reset_index(drop=True)
    order = np.random.default_rng(0).permutation(len(rows))
    train, test = half_split.half_split(hillstrom_path)
    assert "history_segment" not in train.columns
    assert train["cid"].tolist() == order[: len(rows) // 2].tolist()
    assert test["cid"].tolist() == order[len(rows) // 2 :].tolist()
    np.testing.assert_allclose(
        test["spend"].to_numpy(), rows["spend"].to_numpy()[order[len(rows) // 2 :]]
    )


_RESULTS: dict = {}  # one run for the two tests below


@pytest.fixture
def half_split_result(hillstrom_path, tmp_path_factory):
    """The CLI defaults trained on the training half and measured on the test half (~1 min)."""
    if "result" not in _RESULTS:
        work = tmp_path_factory.mktemp("half_split")
        _RESULTS["result"] = half_split.run_half_split(hillstrom_path, work)
    return _RESULTS["result"]


def test_the_default_visit_model_reaches_causalml_upliftrandomforest(half_split_result) -> None:
    assert half_split_result.visit_uplift_at_30 >= half_split.VISIT_TARGET


@pytest.mark.xfail(
    reason="issue 10 spend target not met: 4,425 (SE 2,306) vs UpliftRandomForest's 4,788",
    strict=False,
)
def test_the_default_spend_model_reaches_causalml_upliftrandomforest(half_split_result) -> None:
    assert half_split_result.spend_incremental_top_30 >= half_split.SPEND_TARGET
