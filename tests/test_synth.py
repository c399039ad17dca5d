"""synth: the generated shop is reproducible and its planted truth is what the data shows.

The checks compare observed arm differences (what an analyst would measure) with the planted
effects, using the normal approximation of a difference of means as the reference.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from uplift_lab.synth import CHANNEL_RESPONSE, generate_shop, simulate_campaign, true_effects


@pytest.fixture(scope="module")
def shop():
    return generate_shop(20_000, seed=11)


def _window_outcomes(shop) -> pd.DataFrame:
    start = shop.campaign_start
    end = start + pd.Timedelta(days=shop.window_days)
    orders = shop.orders[(shop.orders["order_time"] >= start) & (shop.orders["order_time"] < end)]
    revenue = orders.groupby("customer_id")["amount"].sum()
    frame = shop.campaign.merge(shop.truth, on="customer_id")
    frame["converted"] = frame["customer_id"].isin(set(orders["customer_id"])).astype(int)
    frame["revenue"] = frame["customer_id"].map(revenue).fillna(0.0)
    return frame


def _z_of_difference(values: pd.Series, treated: np.ndarray, expected: float) -> float:
    """z-score of (treated mean - control mean - expected) with an unpooled standard error."""
    a, b = values[treated], values[~treated]
    se = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    return float((a.mean() - b.mean() - expected) / se)


def test_same_seed_gives_identical_shop() -> None:
    first, second = generate_shop(500, seed=4), generate_shop(500, seed=4)
    for name in ("customers", "events", "orders", "campaign", "truth"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name))
    assert not generate_shop(500, seed=5).orders.equals(first.orders)


def test_orders_are_valid_and_ids_unique(shop) -> None:
    orders = shop.orders
    assert orders["order_id"].is_unique
    assert (orders["amount"] > 0).all()
    assert orders["order_time"].is_monotonic_increasing
    assert orders["order_time"].max() < shop.as_of
    assert set(orders["customer_id"]) <= set(shop.customers["customer_id"])


def test_every_lifecycle_stage_is_present_with_exact_ten_percent_holdout(shop) -> None:
    counts = shop.campaign.groupby("lifecycle")["arm"].value_counts().unstack(fill_value=0)
    assert set(counts.index) == {"potential", "new", "active", "semi_active", "silent", "churned"}
    total = counts.sum(axis=1)
    assert ((counts["control"] - 0.1 * total).abs() < 1).all()  # exact up to rounding


def test_campaign_reaches_only_opted_in_customers_signed_up_before_start(shop) -> None:
    reached = shop.customers.set_index("customer_id").loc[shop.campaign["customer_id"]]
    assert (reached["sms_opt_in"] == 1).all()
    assert (reached["signup_time"] < shop.campaign_start).all()


def test_lapsed_customers_respond_most_and_some_react_negatively(shop) -> None:
    frame = shop.campaign.merge(shop.truth, on="customer_id")
    mean = frame.groupby("lifecycle")["true_uplift_conversion"].mean()
    assert min(mean["semi_active"], mean["silent"]) > 3 * max(mean["active"], mean["churned"])
    assert (frame["true_uplift_conversion"] < 0).mean() > 0.01  # sleeping dogs exist


def test_observed_conversion_lift_matches_planted_truth(shop) -> None:
    frame = _window_outcomes(shop)
    treated = frame["arm"].to_numpy() == "send"
    planted = frame["true_uplift_conversion"].mean()
    assert planted > 0.01
    assert abs(_z_of_difference(frame["converted"], treated, planted)) < 4


def test_observed_revenue_lift_matches_planted_truth(shop) -> None:
    frame = _window_outcomes(shop)
    treated = frame["arm"].to_numpy() == "send"
    planted = frame["true_uplift_revenue"].mean()
    assert abs(_z_of_difference(frame["revenue"], treated, planted)) < 4


def test_control_arm_converts_at_planted_baseline(shop) -> None:
    frame = _window_outcomes(shop)
    control = frame[frame["arm"] == "control"]
    se = np.sqrt((control["p_control"] * (1 - control["p_control"])).sum()) / len(control)
    assert abs(control["converted"].mean() - control["p_control"].mean()) < 4 * se


def test_no_effect_campaign_has_zero_truth() -> None:
    shop = generate_shop(1_000, seed=2, campaign_effect=0.0)
    assert (shop.truth["true_uplift_conversion"] == 0).all()
    assert (shop.truth["true_uplift_revenue"] == 0).all()


@pytest.mark.parametrize("channel", ["sms", "edm"])
def test_simulated_new_campaign_matches_true_effects(shop, channel: str) -> None:
    start = shop.as_of
    truth = true_effects(shop, start, channel=channel)
    rng = np.random.default_rng(0)
    # Send to half of everyone (repeated 4x to shrink noise): the difference must match the truth.
    ids = pd.concat([truth["customer_id"]] * 4, ignore_index=True)
    sent = rng.random(len(ids)) < 0.5
    sends = pd.DataFrame({"customer_id": ids, "channel": np.where(sent, channel, None)})
    outcome = simulate_campaign(shop, sends, start, seed=1)
    expected = pd.concat([truth] * 4, ignore_index=True)
    planted = (
        expected.loc[sent, "true_uplift_conversion"].mean()
        + expected.loc[~sent, "p_control"].mean()
        - expected.loc[sent, "p_control"].mean()
    )
    assert abs(_z_of_difference(outcome["converted"], sent, planted)) < 4
    planted_revenue_lift = expected.loc[sent, "true_uplift_revenue"].mean()
    control_gap = _z_of_difference(outcome["revenue"], sent, planted_revenue_lift)
    assert abs(control_gap) < 5  # revenue is heavy-tailed, arms differ slightly in composition


def test_channel_response_scales_positive_effects(shop) -> None:
    sms = true_effects(shop, shop.as_of, "sms")
    edm = true_effects(shop, shop.as_of, "edm")
    uncapped = sms["p_control"] + sms["true_uplift_conversion"] < 0.9  # the cap is 0.95
    helped = (sms["true_uplift_conversion"] > 0) & uncapped
    ratio = edm.loc[helped, "true_uplift_conversion"] / sms.loc[helped, "true_uplift_conversion"]
    assert np.allclose(ratio, CHANNEL_RESPONSE["edm"])


def test_synth_command_writes_reproducible_files(runner, tmp_path: Path) -> None:
    from uplift_lab.cli import app

    for name in ("a", "b"):
        out = str(tmp_path / name)
        result = runner.invoke(app, ["synth", "--customers", "300", "--seed", "7", "--out", out])
        assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files == [
        "campaign.csv",
        "customers.csv",
        "events.csv",
        "orders.csv",
        "past_sms",
        "shop.json",
        "truth.csv",
    ]
    for name in [*files[:4], "shop.json", "truth.csv", "past_sms/assignment.parquet"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_written_past_campaign_is_a_valid_experiment(tmp_path: Path) -> None:
    from uplift_lab.workflows.experiment_folder import load_experiment
    from uplift_lab.workflows.synth import write_shop

    shop = generate_shop(500, seed=3)
    write_shop(shop, tmp_path)
    experiment = load_experiment(tmp_path / "past_sms")
    arms = experiment.assignment.set_index("customer_id")["arm"]
    expected = shop.campaign.set_index("customer_id")["arm"]
    pd.testing.assert_series_equal(arms.loc[expected.index], expected, check_names=False)
    assert experiment.meta["campaign"]["start"] == shop.campaign_start.date().isoformat()
