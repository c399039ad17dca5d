"""uplift_lab.balance: standardized mean differences against a pandas groupby."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from uplift_lab.balance import balance_per_stratum


def test_smd_matches_a_pandas_computation():
    rng = np.random.default_rng(5)
    n = 3000
    frame = pd.DataFrame(
        {
            "stratum": rng.choice(["a", "b"], n),
            "arm": rng.choice(["control", "send", "edm"], n),
            "x": rng.normal(size=n),
            "y": rng.exponential(size=n),
        }
    )
    frame.loc[frame.index % 7 == 0, "y"] = np.nan
    report = balance_per_stratum(frame[["x", "y"]], frame["stratum"], frame["arm"])
    stats_by_group = frame.groupby(["stratum", "arm"])[["x", "y"]].agg(["mean", "var"])
    for row in report.table.itertuples(index=False):
        treated = stats_by_group.loc[(row.stratum, row.arm), row.covariate]
        control = stats_by_group.loc[(row.stratum, "control"), row.covariate]
        expected = (treated["mean"] - control["mean"]) / math.sqrt(
            (treated["var"] + control["var"]) / 2
        )
        assert row.smd == pytest.approx(expected, rel=1e-9)
        assert row.flagged == (abs(expected) > 0.1)
    assert len(report.table) == 2 * 2 * 2  # strata x treated arms x covariates


def test_undefined_covariates_are_not_flagged_but_constant_differences_are():
    frame = pd.DataFrame(
        {
            "never": [np.nan] * 20,
            "split": [0.0] * 10 + [1.0] * 10,
            "arm": ["control"] * 10 + ["send"] * 10,
            "s": "potential",
        }
    )
    report = balance_per_stratum(frame[["never", "split"]], frame["s"], frame["arm"])
    table = report.table.set_index("covariate")
    assert math.isnan(table.loc["never", "smd"]) and not table.loc["never", "flagged"]
    assert table.loc["split", "smd"] == math.inf and table.loc["split", "flagged"]


def test_a_real_imbalance_is_flagged():
    frame = pd.DataFrame(
        {"x": [0.0] * 50 + [1.0] * 50, "arm": ["control"] * 50 + ["send"] * 50, "s": "all"}
    )
    frame.loc[::2, "x"] += 0.5
    report = balance_per_stratum(frame[["x"]], frame["s"], frame["arm"])
    assert report.flagged["covariate"].tolist() == ["x"]
