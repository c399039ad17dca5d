"""experiments/hillstrom/repeated_splits.py: corrected repeated k-fold interval over R x K folds.

The reference is independent of uplift-lab's metric code: per-fold Qini coefficients and
uplift@30% from scikit-uplift, then the Nadeau-Bengio / Bouckaert-Frank corrected interval
written out here with scipy's t quantile.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklift.metrics import qini_auc_score, uplift_at_k

from uplift_lab.uplift.baselines import baseline_scores

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "experiments" / "hillstrom" / "repeated_splits.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("repeated_splits", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


repeated_splits = _load_script()

N_PER_ARM = 1200
ARM, CONTROL = "Mail", "No Mail"


def _simulated_cv_predictions(seed: int, n_folds: int) -> pd.DataFrame:
    """One repeat's held-out predictions: a planted effect that grows with x; new folds per seed."""
    rng = np.random.default_rng(seed)
    n = 2 * N_PER_ARM
    x = rng.uniform(size=n)
    treatment = np.r_[np.ones(N_PER_ARM, dtype=int), np.zeros(N_PER_ARM, dtype=int)]
    p = 0.05 + 0.4 * x * treatment
    conversion = (rng.uniform(size=n) < p).astype(int)
    return pd.DataFrame(
        {
            "arm": ARM,
            "assigned_arm": np.where(treatment == 1, ARM, CONTROL),
            "treatment": treatment,
            "fold": rng.permutation(np.arange(n) % n_folds),
            "conversion": conversion,
            "revenue": conversion * rng.gamma(2.0, 20.0, size=n),
            "recency": rng.integers(1, 13, size=n),
            "history": rng.gamma(2.0, 100.0, size=n),
            "p_control": 0.1 + 0.01 * rng.uniform(size=n),
            "uplift_conversion__good": x + 0.1 * rng.normal(size=n),
            "uplift_conversion__noise": rng.normal(size=n),
            "uplift_revenue__good": x + rng.normal(size=n),
        }
    )


def _corrected_interval(values: np.ndarray, n_folds: int) -> tuple[float, float, float]:
    """Nadeau-Bengio corrected repeated k-fold t-interval, written out independently."""
    j = len(values)
    variance = np.var(values, ddof=1) * (1.0 / j + 1.0 / (n_folds - 1))
    half = stats.t.ppf(0.975, j - 1) * math.sqrt(variance)
    return float(values.mean()), float(values.mean() - half), float(values.mean() + half)


@pytest.fixture(scope="module")
def simulated_repeats():
    n_repeats, n_folds = 3, 4
    frames = [_simulated_cv_predictions(seed, n_folds) for seed in range(n_repeats)]
    repeats = [
        repeated_splits.repeat_fold_metrics(
            frame, arms=[ARM], control=CONTROL, n_folds=n_folds, seed=seed
        )
        for seed, frame in enumerate(frames)
    ]
    return frames, repeats, n_repeats, n_folds


def test_interval_matches_corrected_repeated_kfold_formula_with_sklift_metrics(
    simulated_repeats,
) -> None:
    frames, repeats, n_repeats, n_folds = simulated_repeats
    table = repeated_splits.corrected_repeated_cv_table(repeats)
    row = table.set_index(["target", "score"]).loc[("conversion", "good")]
    qinis, uplifts = [], []
    for frame in frames:
        for fold in range(n_folds):
            part = frame[frame["fold"] == fold]
            args = (part["conversion"], part["uplift_conversion__good"], part["treatment"])
            qinis.append(qini_auc_score(*args, negative_effect=True))
            uplifts.append(uplift_at_k(*args, strategy="overall", k=0.3))
    for metric, values in (("qini_coefficient", qinis), ("uplift_at_30%", uplifts)):
        mean, low, high = _corrected_interval(np.array(values), n_folds)
        assert row[metric] == pytest.approx(mean, rel=1e-9, abs=1e-12)
        assert row[f"{metric}_ci_low"] == pytest.approx(low, rel=1e-9, abs=1e-12)
        assert row[f"{metric}_ci_high"] == pytest.approx(high, rel=1e-9, abs=1e-12)
    # The planted effect is found even with the wide, corrected interval.
    assert row["qini_coefficient_ci_low"] > 0


def test_qini_minus_random_is_the_paired_per_fold_difference(simulated_repeats) -> None:
    frames, repeats, n_repeats, n_folds = simulated_repeats
    table = repeated_splits.corrected_repeated_cv_table(repeats).set_index(["target", "score"])
    differences = []
    for seed, frame in enumerate(frames):
        # evaluate's random baseline for this repeat (seeded tie-break), scored per fold by sklift
        random_score = baseline_scores(frame, seed=seed)["random"].to_numpy()
        for fold in range(n_folds):
            held_out = (frame["fold"] == fold).to_numpy()
            y, t = frame["conversion"][held_out], frame["treatment"][held_out]
            model = qini_auc_score(y, frame["uplift_conversion__good"][held_out], t)
            random = qini_auc_score(y, random_score[held_out], t)
            differences.append(model - random)
    mean, low, high = _corrected_interval(np.array(differences), n_folds)
    row = table.loc[("conversion", "good")]
    assert row["qini_minus_random"] == pytest.approx(mean, rel=1e-9, abs=1e-12)
    assert row["qini_minus_random_ci_low"] == pytest.approx(low, rel=1e-9, abs=1e-12)
    assert row["qini_minus_random_ci_high"] == pytest.approx(high, rel=1e-9, abs=1e-12)
    assert math.isnan(table.loc[("conversion", "random"), "qini_minus_random"])


def test_aggregation_pools_all_r_times_k_folds(simulated_repeats) -> None:
    frames, repeats, n_repeats, n_folds = simulated_repeats
    table = repeated_splits.corrected_repeated_cv_table(repeats)
    assert (table["n_held_out_folds"] == n_repeats * n_folds).all()
    assert (table["qini_coefficient_n_folds"] == n_repeats * n_folds).all()
    # Every candidate and every baseline, for both outcomes.
    expected = {
        ("conversion", "good"),
        ("conversion", "noise"),
        ("revenue", "good"),
    } | {
        (target, baseline)
        for target in ("conversion", "revenue")
        for baseline in ("random", "rfm_rule", "purchase_probability")
    }
    assert set(zip(table["target"], table["score"], strict=True)) == expected
    # Pooling differs from the first repeat alone (the mean is over all repeats' folds).
    first_only = repeated_splits.corrected_repeated_cv_table(repeats[:1])
    pooled_mean = table.set_index(["target", "score"]).loc[("conversion", "noise")]
    first_mean = first_only.set_index(["target", "score"]).loc[("conversion", "noise")]
    assert (first_mean["n_held_out_folds"], pooled_mean["n_held_out_folds"]) == (4, 12)
    assert pooled_mean["qini_coefficient"] != pytest.approx(first_mean["qini_coefficient"])


def test_script_end_to_end_on_small_simulated_table(tmp_path: Path) -> None:
    """main() trains R x K folds on a tiny Hillstrom-shaped simulated file and writes both files."""
    rng = np.random.default_rng(7)
    n = 900
    segment = rng.choice(["Womens E-Mail", "No E-Mail"], size=n)
    history = rng.gamma(2.0, 100.0, size=n).round(2)
    treated = segment != "No E-Mail"
    conversion = (rng.uniform(size=n) < 0.08 + 0.1 * treated * (history > 200)).astype(int)
    frame = pd.DataFrame(
        {
            "recency": rng.integers(1, 13, size=n),
            "history_segment": np.where(history > 200, "high", "low"),
            "history": history,
            "mens": rng.integers(0, 2, size=n),
            "womens": rng.integers(0, 2, size=n),
            "zip_code": rng.choice(["Urban", "Rural"], size=n),
            "newbie": rng.integers(0, 2, size=n),
            "channel": rng.choice(["Web", "Phone"], size=n),
            "segment": segment,
            "visit": conversion,
            "conversion": conversion,
            "spend": (conversion * rng.gamma(2.0, 30.0, size=n)).round(2),
        }
    )
    data = tmp_path / "mini.csv"
    frame.to_csv(data, index=False)
    out = tmp_path / "out"
    args = ["--data", str(data), "--out-dir", str(out), "--repeats", "2", "--folds", "3"]
    args += ["--model", "two", "--revenue-model", "two", "--max-rounds", "15"]
    assert repeated_splits.main(args) == 0
    payload = json.loads((out / "repeated_splits.json").read_text(encoding="utf-8"))
    assert payload["repeats"] == 2 and payload["folds"] == 3
    assert {row["n_held_out_folds"] for row in payload["rows"]} == {6}
    assert {row["score"] for row in payload["rows"]} == {
        "two",
        "random",
        "rfm_rule",
        "purchase_probability",
    }
    chosen = [row["times_chosen"] for row in payload["rows"] if row["score"] == "two"]
    assert chosen == [2, 2]
    markdown = (out / "repeated_splits.md").read_text(encoding="utf-8")
    assert "## Womens E-Mail vs No E-Mail: conversion" in markdown
    assert "1/6 + 1/2" in markdown and "t with 5 df" in markdown


def test_script_bad_data_exits_2_and_writes_nothing(tmp_path: Path, capsys) -> None:
    data = tmp_path / "bad.csv"
    data.write_text("recency,segment,conversion\n1,No E-Mail,0\n", encoding="utf-8")
    out = tmp_path / "out"
    assert repeated_splits.main(["--data", str(data), "--out-dir", str(out)]) == 2
    assert "error:" in capsys.readouterr().err
    assert not out.exists()
