"""The cycles shop: its planted structure, and the default loop judged by its truth (issue 10)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from uplift_lab.synth_cycles import (
    CATEGORIES,
    CHANNEL_STRENGTH,
    generate_cycles_shop,
    planted_effects,
)

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_world_cycles.py"


@pytest.fixture(scope="module")
def shop():
    return generate_cycles_shop(4000, seed=3)


def test_same_seed_gives_the_same_shop() -> None:
    first, second = generate_cycles_shop(300, seed=1), generate_cycles_shop(300, seed=1)
    pd.testing.assert_frame_equal(first.orders, second.orders)
    pd.testing.assert_frame_equal(first.truth, second.truth)


def test_purchase_gaps_follow_each_category_cycle(shop) -> None:
    orders = shop.orders.sort_values(["customer_id", "order_time"])
    gap = orders.groupby("customer_id")["order_time"].diff().dt.total_seconds() / 86400
    category = orders["customer_id"].map(shop.latent.set_index("customer_id")["category"])
    medians = gap.groupby(category).median()
    cycles = {name: spec[1] for name, spec in CATEGORIES.items()}
    # Ordered from a week to months, each median gap within a factor 2 of the category's cycle.
    assert list(medians.sort_values().index) == sorted(cycles, key=cycles.get)
    for name, cycle in cycles.items():
        assert cycle / 2 < medians[name] < 2 * cycle


def test_past_campaign_has_three_arms_with_a_tenth_held_out(shop) -> None:
    shares = shop.campaign["arm"].value_counts(normalize=True)
    assert set(shares.index) == {"control", "sms", "edm"}
    assert shares["control"] == pytest.approx(0.10, abs=0.01)
    opted = shop.customers.set_index("customer_id").loc[shop.campaign["customer_id"]]
    assert (opted["sms_opt_in"] == 1).all() and (opted["email_opt_in"] == 1).all()


def test_effect_peaks_two_to_five_cycles_overdue_and_harms_heavy_recent_buyers(shop) -> None:
    state = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e"],
            "n_orders": [5, 5, 1, 10, 5],
            "overdue": [3.0, 0.9, 3.0, 0.3, 12.0],
            "rate_now": [1 / 30] * 5,
        }
    )
    latent = pd.DataFrame({"order_value": [100.0] * 5})
    sms = planted_effects(latent, state, "sms")["true_incremental_revenue"].to_numpy()
    edm = planted_effects(latent, state, "edm")["true_incremental_revenue"].to_numpy()
    assert sms[0] > 4 * max(sms[1], sms[2], sms[4])  # repeat buyer 3 cycles overdue: most
    assert sms[3] < 0  # heavy recent buyer: a sleeping dog
    np.testing.assert_allclose(edm, CHANNEL_STRENGTH["edm"] * sms)


def test_the_campaign_moved_revenue_as_planted(shop) -> None:
    """Difference in means of window revenue, sms vs control, is near the planted mean effect."""
    start = shop.campaign_start
    end = start + pd.Timedelta(days=14)
    window = shop.orders[(shop.orders["order_time"] >= start) & (shop.orders["order_time"] < end)]
    revenue = shop.campaign["customer_id"].map(window.groupby("customer_id")["amount"].sum())
    revenue = revenue.fillna(0.0).to_numpy()
    arm = shop.campaign["arm"].to_numpy()
    planted = shop.campaign["customer_id"].map(
        shop.truth.set_index("customer_id")["past_true_incremental_revenue_sms"]
    )
    observed = revenue[arm == "sms"].mean() - revenue[arm == "control"].mean()
    se = np.sqrt(
        revenue[arm == "sms"].var() / (arm == "sms").sum()
        + revenue[arm == "control"].var() / (arm == "control").sum()
    )
    assert abs(observed - planted.mean()) < 3 * se


def test_truth_is_never_in_the_customer_table(shop) -> None:
    assert not any(column.startswith("true_") for column in shop.customers.columns)
    assert shop.customers["signup_date"].str.match(r"\d{4}-\d{2}-\d{2}$").all()


def _bench():
    spec = importlib.util.spec_from_file_location("bench_world_cycles", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def default_loop(tmp_path_factory):
    """The default CLI loop (only costs, budget and margin given), judged by the planted truth.

    10,000 customers (about 600 past-campaign controls): at 4,000 (about 240) the held-out data
    are noise and the loop's result swings with the seed (seed 1 sent 85 messages, 3.5% of the
    optimum); bench_world_cycles.py gives the other seeds and sizes (README).
    """
    return _bench().run_loop(
        tmp_path_factory.mktemp("cycles_loop"), n_customers=10_000, seed=0, budget=125.0,
        variants=False,
    )["default"]  # fmt: skip


def test_default_loop_sends_and_beats_the_recency_rule_by_half_again(default_loop) -> None:
    """target no longer refuses the model (its conversion ranking is judged, one-sided), and its
    send list earns at least 1.5x what "60-240 days since the last order" earns at its spend."""
    figures = default_loop
    assert not isinstance(figures, str), figures  # target refused: the model is not useful
    assert figures.true_profit > 0 and figures.ratio >= 1.5 * figures.rule_ratio


@pytest.mark.xfail(
    strict=False,
    reason="goal not met: 10,000 customers seeds 0/1 32.4/63.5% of the optimum, predicted"
    " 1.58/0.53x the true; 20,000 seeds 0/1/2: 64.1/68.1/61.2%, 0.70/0.90/0.25x (README: the"
    " loop on a shop nobody tuned to)",
)
def test_default_loop_reaches_70_percent_of_the_optimum_and_predicts_within_30_percent(
    default_loop,
) -> None:
    figures = default_loop
    assert not isinstance(figures, str), figures
    assert figures.ratio >= 0.70
    assert abs(figures.predicted_over_true - 1) <= 0.30


def test_optimum_reference_matches_brute_force_on_a_tiny_case() -> None:
    bench = _bench()
    rng = np.random.default_rng(0)
    profit = rng.normal(0.5, 1.0, (6, 2))
    cost = np.tile([0.05, 0.01], (6, 1))
    allowed = rng.random((6, 2)) < 0.8
    spend = 0.12
    best = 0.0
    for choice in np.ndindex(*(3,) * 6):  # 0 none, 1 sms, 2 edm per customer
        picked = [(i, c - 1) for i, c in enumerate(choice) if c]
        if any(not allowed[i, j] for i, j in picked):
            continue
        if sum(cost[i, j] for i, j in picked) <= spend + 1e-12:
            best = max(best, sum(profit[i, j] for i, j in picked))
    assert bench.optimum_at_spend(profit, cost, allowed, spend) == pytest.approx(best)
