"""target --where: eligibility narrowed by a DuckDB condition equals the same pandas filter."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from uplift_lab.cli._common import error_message
from uplift_lab.errors import InputError
from uplift_lab.target import Channel, TargetConfig, plan_campaign

CHANNELS = (Channel("sms", 0.05), Channel("edm", 0.01, response=0.35))


def shop(n: int = 1200, seed: int = 4) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = [f"c{i:05d}" for i in range(n)]
    scores = pd.DataFrame({"customer_id": ids, "uplift_revenue": rng.normal(1.0, 3.0, n)})
    segments = pd.DataFrame(
        {
            "customer_id": ids,
            "lifecycle": rng.choice(["active", "semi_active", "silent"], n),
            "loyalty": rng.choice(["new", "regular", "loyal"], n),
            "big_spender": rng.random(n) < 0.4,  # a --tags boolean column
            "region": rng.choice(["east", "west", None], n),
            "sms_opt_in": rng.integers(0, 2, n),
            "email_opt_in": rng.integers(0, 2, n),
        }
    )
    return scores, segments


def test_where_selects_exactly_the_plan_of_the_pandas_filtered_segments() -> None:
    scores, segments = shop()
    where = "big_spender AND (loyalty = 'loyal' OR region = 'east')"
    kept = segments["big_spender"] & (
        (segments["loyalty"] == "loyal") | (segments["region"] == "east")
    )
    config = TargetConfig(CHANNELS, budget=None, margin=0.3, where=where)
    narrowed = plan_campaign(scores, config, segments)
    baseline = TargetConfig(CHANNELS, budget=None, margin=0.3)
    filtered = plan_campaign(scores[kept.to_numpy()], baseline, segments[kept])
    pd.testing.assert_frame_equal(narrowed.selected, filtered.selected)
    eligible = kept & segments["lifecycle"].isin(["semi_active", "silent"])
    assert narrowed.n_eligible == int(eligible.sum())
    assert narrowed.config.as_dict()["where"] == where


def test_where_combines_with_eligible_all_and_ignores_customers_missing_from_segments() -> None:
    scores, segments = shop(seed=5)
    known = segments.iloc[::2]
    config = TargetConfig(CHANNELS, budget=None, margin=0.3, eligible=None, where="big_spender")
    plan = plan_campaign(scores, config, known)
    assert plan.n_eligible == int(known["big_spender"].sum())
    picked = set(plan.selected["customer_id"])
    assert picked <= set(known.loc[known["big_spender"], "customer_id"])


def test_where_without_segments_is_refused() -> None:
    scores, _ = shop(n=50)
    config = TargetConfig(CHANNELS, budget=None, margin=0.3, eligible=None, where="big_spender")
    expected = "'where': the condition reads the columns of segments=FILE"
    with pytest.raises(InputError, match=expected) as raised:
        plan_campaign(scores, config)
    said = error_message(raised.value)
    assert said.startswith("--where: the condition reads the columns of --segments FILE")


def test_where_that_nobody_meets_says_so() -> None:
    scores, segments = shop(n=50)
    config = TargetConfig(CHANNELS, budget=None, margin=0.3, where="region = 'north'")
    with pytest.raises(InputError, match="no eligible customers") as raised:
        plan_campaign(scores, config, segments)
    said = str(raised.value)
    assert "lifecycle semi_active, silent and where=\"region = 'north'\". Check 'eligible'" in said
    assert "(e.g. eligible=all), 'where' and the ids" in said and "--" not in said
    cli = error_message(raised.value)
    assert "lifecycle semi_active, silent and --where \"region = 'north'\". Check --eligible" in cli
    assert "(e.g. --eligible all), --where and the ids" in cli
