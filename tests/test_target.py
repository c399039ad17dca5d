"""Budgeted multi-channel targeting, checked against brute force, exact MILP and planted truth."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from uplift_lab import design
from uplift_lab.cli._common import error_message
from uplift_lab.errors import InputError
from uplift_lab.policy import ipw_policy_value
from uplift_lab.target import (
    Channel,
    TargetConfig,
    channel_scores,
    option_economics,
    parse_channels,
    plan_campaign,
    select_offers,
    split_holdout,
)

TOL = 1e-9


def brute_force_best(profit: np.ndarray, cost: np.ndarray, budget: float) -> float:
    """Best total profit over every assignment of at most one option per customer."""
    n, k = profit.shape
    best = 0.0
    for combo in itertools.product(range(-1, k), repeat=n):
        rows = [i for i in range(n) if combo[i] >= 0]
        cols = [combo[i] for i in rows]
        if cost[rows, cols].sum() <= budget + TOL:
            best = max(best, float(profit[rows, cols].sum()))
    return best


def milp_best(profit: np.ndarray, cost: np.ndarray, allowed: np.ndarray, budget: float) -> float:
    """Exact multiple-choice knapsack optimum with scipy's MILP solver (HiGHS)."""
    n, k = profit.shape
    one_per_customer = np.kron(np.eye(n), np.ones(k))
    constraints = [
        LinearConstraint(one_per_customer, 0, 1),
        LinearConstraint(cost.reshape(1, -1), 0, budget),
    ]
    upper = allowed.astype(float).ravel()
    result = milp(
        -profit.ravel(),
        constraints=constraints,
        integrality=np.ones(n * k),
        bounds=Bounds(np.zeros(n * k), upper),
    )
    assert result.success
    return float(-result.fun)


def chosen_profit_and_cost(selection, profit, cost) -> tuple[float, float]:
    rows = np.flatnonzero(selection.choice >= 0)
    cols = selection.choice[rows]
    return float(profit[rows, cols].sum()), float(cost[rows, cols].sum())


# ---------------------------------------------------------------------------- one channel


@settings(max_examples=60, deadline=None)
@given(
    profits=st.lists(st.floats(-5, 10, allow_nan=False), min_size=1, max_size=10),
    message_cost=st.floats(0.01, 2.0),
    budget=st.floats(0.0, 10.0),
)
# 6 x 0.010000000000000002 sums to just above 0.06 in floating point: the six still fit
@example(profits=[1.0] * 6, message_cost=0.010000000000000002, budget=0.06)
def test_one_channel_equal_costs_equals_brute_force(profits, message_cost, budget) -> None:
    profit = np.array(profits)[:, None]
    cost = np.full_like(profit, message_cost)
    selection = select_offers(profit, cost, budget=budget)
    total, spent = chosen_profit_and_cost(selection, profit, cost)
    assert spent <= budget + TOL
    assert total == pytest.approx(brute_force_best(profit, cost, budget), abs=1e-9)
    assert selection.exact and selection.optimality_gap == 0.0


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(st.tuples(st.floats(-5, 10), st.floats(0.0, 1.0)), min_size=1, max_size=10),
    coupon=st.floats(0.5, 5.0),
    budget=st.floats(0.0, 15.0),
)
def test_one_channel_with_coupons_is_within_reported_gap_of_brute_force(
    data, coupon, budget
) -> None:
    revenue = np.array([[r] for r, _ in data])
    p_convert = np.array([[p] for _, p in data])
    profit, cost = option_economics(revenue, p_convert, [0.05], [coupon], margin=0.5)
    selection = select_offers(profit, cost, budget=budget)
    total, spent = chosen_profit_and_cost(selection, profit, cost)
    best = brute_force_best(profit, cost, budget)
    assert spent <= budget + TOL
    assert total <= best + 1e-9
    assert best - total <= selection.optimality_gap + 1e-9
    assert selection.lp_bound >= best - 1e-9


def test_option_economics_counts_coupon_on_all_redemptions() -> None:
    # P(convert | sent) = 0.3 includes buyers who would have bought anyway: all get the coupon.
    profit, cost = option_economics(
        np.array([[10.0, 4.0]]), np.array([[0.3, 0.0]]), [0.2, 0.05], [5.0, 5.0], margin=0.4
    )
    assert cost[0].tolist() == pytest.approx([0.2 + 0.3 * 5.0, 0.05])
    assert profit[0].tolist() == pytest.approx([10 * 0.4 - 1.7, 4 * 0.4 - 0.05])


# ---------------------------------------------------------------------------- several channels


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12), k=st.integers(2, 3))
def test_several_channels_within_reported_gap_of_milp(seed, n, k) -> None:
    rng = np.random.default_rng(seed)
    profit = rng.normal(0.5, 1.5, (n, k))
    cost = rng.uniform(0.05, 2.0, (n, k))
    allowed = rng.random((n, k)) < 0.8
    budget = float(rng.uniform(0, cost.sum() / k))
    selection = select_offers(profit, cost, allowed, budget=budget)
    total, spent = chosen_profit_and_cost(selection, profit, cost)
    best = milp_best(profit, cost, allowed, budget)
    assert spent <= budget + TOL
    assert total <= best + 1e-7
    assert best - total <= selection.optimality_gap + 1e-7
    rows = np.flatnonzero(selection.choice >= 0)
    assert allowed[rows, selection.choice[rows]].all()


def test_auto_budget_gives_every_customer_their_best_profitable_channel() -> None:
    rng = np.random.default_rng(3)
    profit = rng.normal(0, 2, (500, 3))
    cost = rng.uniform(0.01, 0.3, (500, 3))
    selection = select_offers(profit, cost, budget=None)
    best = profit.max(axis=1)
    expected_choice = np.where(best > 0, profit.argmax(axis=1), -1)
    np.testing.assert_array_equal(selection.choice, expected_choice)
    assert selection.expected_profit == pytest.approx(best[best > 0].sum())
    assert "would lose money" in selection.stop_reason


def test_sleeping_dogs_are_never_sent_even_with_budget_left() -> None:
    profit = np.array([[3.0, 1.0], [-2.0, -0.5], [0.0, 0.0], [1.0, 2.0]])
    cost = np.full_like(profit, 0.1)
    selection = select_offers(profit, cost, budget=1000.0)
    assert selection.choice.tolist() == [0, -1, -1, 1]
    assert selection.unspent == pytest.approx(1000.0 - 0.2)


def test_max_customers_and_min_expected_profit_are_respected() -> None:
    rng = np.random.default_rng(5)
    profit = rng.normal(1, 2, (300, 2))
    cost = rng.uniform(0.1, 0.5, (300, 2))
    selection = select_offers(profit, cost, budget=None, max_customers=40, min_expected_profit=1)
    rows = np.flatnonzero(selection.choice >= 0)
    assert len(rows) == 40
    assert (profit[rows, selection.choice[rows]] >= 1).all()
    # With an unlimited budget the best 40 are the 40 largest single-option profits.
    assert selection.expected_profit == pytest.approx(np.sort(profit.max(axis=1))[-40:].sum())


def test_profit_curve_is_the_greedy_value_at_each_budget() -> None:
    rng = np.random.default_rng(7)
    profit = rng.normal(1, 1, (200, 1))
    cost = np.full_like(profit, 0.5)
    selection = select_offers(profit, cost, budget=20.0)
    assert np.all(np.diff(selection.curve_profit) >= -1e-12)
    for budget, value in zip(selection.curve_budget, selection.curve_profit, strict=True):
        top = np.sort(profit[:, 0])[::-1][: int(budget // 0.5 + 1e-9)]
        assert value == pytest.approx(top[top > 0].sum())


# ---------------------------------------------------------------------------- plans over frames

CHANNELS = (
    Channel("mms", 0.20, response=1.4),
    Channel("sms", 0.05, coupon=2.0),
    Channel("edm", 0.01, response=0.35),
)


def small_shop(n: int = 3000, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = [f"{i:06d}" for i in range(n)]
    scores = pd.DataFrame(
        {
            "customer_id": ids,
            "uplift_revenue": rng.normal(1.0, 3.0, n),
            "uplift_conversion": rng.normal(0.01, 0.02, n),
            "p_control": rng.uniform(0.0, 0.2, n),
        }
    )
    segments = pd.DataFrame(
        {
            "customer_id": ids,
            "lifecycle": rng.choice(["active", "semi_active", "silent", "churned"], n),
            "sms_opt_in": rng.integers(0, 2, n),
            "email_opt_in": rng.integers(0, 2, n),
            "rfm_score": rng.integers(3, 16, n),
        }
    )
    return scores, segments


def test_plan_respects_opt_outs_eligibility_and_budget() -> None:
    scores, segments = small_shop()
    config = TargetConfig(channels=CHANNELS, budget=80.0, margin=0.3)
    plan = plan_campaign(scores, config, segments)
    picked = plan.selected.merge(segments, on="customer_id")
    assert len(picked) > 100
    assert picked["lifecycle"].isin(["semi_active", "silent"]).all()
    assert (picked.loc[picked["channel"].isin(["sms", "mms"]), "sms_opt_in"] == 1).all()
    assert (picked.loc[picked["channel"] == "edm", "email_opt_in"] == 1).all()
    assert (plan.selected["expected_profit"] > 0).all()
    assert plan.selected["expected_cost"].sum() <= 80.0 + TOL
    # The per-segment summary adds up to the plan.
    total = plan.by_segment[plan.by_segment["segment"] == "total"].iloc[0]
    assert total["customers"] == len(plan.selected)
    assert total["expected_profit"] == pytest.approx(plan.selected["expected_profit"].sum())


def test_channel_scores_use_own_columns_over_scaled_single_score() -> None:
    scores = pd.DataFrame(
        {"customer_id": ["a", "b"], "uplift_revenue": [10.0, 10.0], "uplift_revenue_edm": [1, 50]}
    )
    channels = (Channel("sms", 0.05, response=1.0), Channel("edm", 0.01, response=0.35))
    plan = plan_campaign(scores, TargetConfig(channels, budget=None, margin=1.0, eligible=None))
    chosen = dict(zip(plan.selected["customer_id"], plan.selected["channel"], strict=True))
    assert chosen == {"a": "sms", "b": "edm"}
    revenue = dict(
        zip(
            plan.selected["customer_id"], plan.selected["expected_incremental_revenue"], strict=True
        )
    )
    assert revenue == {"a": 10.0, "b": 50.0}


def test_coupon_cost_uses_the_channels_own_conversion_probability() -> None:
    scores = pd.DataFrame(
        {
            "customer_id": ["a"],
            "uplift_revenue": [20.0],
            "uplift_conversion": [0.1],
            "p_control": [0.2],
            "p_treated_mms": [0.5],
        }
    )
    channels = (Channel("sms", 0.05, coupon=4.0, response=2.0), Channel("mms", 0.2, coupon=4.0))
    revenue, p_convert = channel_scores(scores, channels)
    # sms: no own column, so p_control + uplift_conversion x response; mms: its own p_treated.
    assert p_convert[0].tolist() == pytest.approx([0.2 + 0.1 * 2.0, 0.5])
    assert revenue[0].tolist() == pytest.approx([40.0, 20.0])


def test_plan_does_not_depend_on_file_order() -> None:
    scores, segments = small_shop(n=1500, seed=2)
    config = TargetConfig(channels=CHANNELS, budget=30.0, margin=0.3)
    first = plan_campaign(scores, config, segments).selected
    shuffled = scores.sample(frac=1.0, random_state=1)
    second = plan_campaign(shuffled, config, segments.sample(frac=1.0, random_state=2)).selected
    pd.testing.assert_frame_equal(first, second)


def test_scored_customers_missing_from_segments_are_never_selected() -> None:
    scores, segments = small_shop(n=1000, seed=6)
    known = segments.iloc[::2]  # half of the scored customers are not in the segments file
    plan = plan_campaign(
        scores, TargetConfig(CHANNELS, budget=None, margin=0.3, eligible=None), known
    )
    assert plan.n_not_in_segments == 500
    assert set(plan.selected["customer_id"]) <= set(known["customer_id"])
    assert len(plan.selected) > 50


def test_no_eligible_customer_is_an_input_error() -> None:
    scores, segments = small_shop(n=200)
    config = TargetConfig(channels=CHANNELS, budget=10.0, margin=0.3, eligible=("new",))
    with pytest.raises(InputError, match="no eligible customers"):
        plan_campaign(scores, config, segments)


@pytest.mark.parametrize(
    ("specs", "responses", "library", "cli"),
    [
        ({"sms": {"cost": "-1"}}, {}, "channel=sms=COST: expected a number >= 0, got '-1'",
         "--channel sms=COST: expected a number >= 0, got '-1'"),
        ({"sms": {"cost": "0", "coupon": "x"}}, {}, "channel=sms,coupon: expected a number",
         "--channel sms,coupon: expected a number"),
        ({"sms": {"cost": "0"}}, {"sms": "nan"}, "response=sms: expected a number >= 0",
         "--response sms: expected a number >= 0"),
        ({"{a}": {"cost": "-1"}}, {}, "'channel' {a}=COST: expected",
         "--channel {a}=COST: expected"),
    ],
)  # fmt: skip
def test_a_bad_channel_number_names_the_parameter_and_the_cli_its_flag(
    specs, responses, library, cli
) -> None:
    with pytest.raises(InputError) as raised:
        parse_channels(specs, responses, 0.0)
    assert str(raised.value).startswith(library)
    assert error_message(raised.value).startswith(cli)


def test_holdout_is_exact_per_segment_and_channel_and_left_out_of_the_send_list() -> None:
    scores, segments = small_shop(n=6000, seed=4)
    plan = plan_campaign(scores, TargetConfig(CHANNELS, budget=None, margin=0.3), segments)
    split = split_holdout(plan.selected, 0.1, name="holdout-test")
    assignment = split.design.assignment.assignment
    for (segment, channel), group in plan.selected.groupby(["segment", "channel"]):
        rows = assignment[assignment["stratum"] == f"{segment}|{channel}"]
        assert len(rows) == len(group)
        n_control = int((rows["arm"] == "control").sum())
        assert abs(n_control - 0.1 * len(group)) < 1.0
        assert set(rows["arm"]) <= {"control", channel}
        assert split.holdout_counts[(segment, channel)] == n_control
    held = set(assignment.loc[assignment["arm"] == "control", "customer_id"])
    assert held.isdisjoint(split.send_list["customer_id"])
    assert len(split.send_list) + len(held) == len(plan.selected)
    assert split.send_list["rank"].tolist() == list(range(1, len(split.send_list) + 1))
    # Same hashing as design: the same customers in the same strata get the same arms.
    again = design.assign(
        plan.selected[["customer_id", "segment", "channel"]],
        name="holdout-test",
        strata=("segment", "channel"),
        holdout=0.1,
    ).assignment
    np.testing.assert_array_equal(
        again["arm"].to_numpy() == "control", assignment["arm"].to_numpy() == "control"
    )


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 40), min_size=1, max_size=4),
    fraction=st.floats(0.05, 0.5),
)
def test_holdout_counts_are_exact_for_any_stratum_sizes(sizes, fraction) -> None:
    segments = [f"s{i}" for i, size in enumerate(sizes) for _ in range(size)]
    selected = pd.DataFrame(
        {
            "customer_id": [f"id{i}" for i in range(len(segments))],
            "segment": segments,
            "channel": "sms",
            "expected_cost": 0.05,
            "expected_incremental_revenue": 1.0,
            "expected_profit": 0.25,
            "rank": range(1, len(segments) + 1),
        }
    )
    split = split_holdout(selected, fraction, name="prop")
    for i, size in enumerate(sizes):
        held = split.holdout_counts[(f"s{i}", "sms")]
        assert abs(held - fraction * size) < 1.0
    assert split.n_send + sum(split.holdout_counts.values()) == len(selected)


# ---------------------------------------------------------------------------- synthetic shop


@pytest.fixture(scope="module")
def shop_today():
    from uplift_lab.segment import segment_customers
    from uplift_lab.synth import generate_shop, true_effects

    shop = generate_shop(n_customers=20_000, seed=0)
    segments = segment_customers(
        shop.orders, shop.as_of, customers=shop.customers, events=shop.events
    ).table
    truth = true_effects(shop, shop.as_of, channel="sms")
    return segments, truth


def test_uplift_policy_beats_rfm_and_random_on_planted_truth(shop_today) -> None:
    segments, truth = shop_today
    margin, message_cost = 0.3, 0.05
    scores = truth.rename(
        columns={
            "true_uplift_revenue": "uplift_revenue",
            "true_uplift_conversion": "uplift_conversion",
        }
    )[["customer_id", "uplift_revenue", "uplift_conversion", "p_control"]]
    eligible = segments[
        segments["lifecycle"].isin(["semi_active", "silent"]) & (segments["sms_opt_in"] == 1)
    ]
    budget = 0.3 * len(eligible) * message_cost
    config = TargetConfig((Channel("sms", message_cost),), budget=budget, margin=margin)
    plan = plan_campaign(scores, config, segments)

    true_revenue = truth.set_index("customer_id")["true_uplift_revenue"]

    def true_profit(ids: pd.Series) -> float:
        return float((true_revenue.loc[ids] * margin - message_cost).sum())

    n_sends = int(budget / message_cost + 1e-9)
    uplift = true_profit(plan.selected["customer_id"])
    rfm_order = eligible.sort_values(["rfm_score", "customer_id"], ascending=[False, True])
    rfm = true_profit(rfm_order["customer_id"].iloc[:n_sends])
    random = np.mean(
        [true_profit(eligible["customer_id"].sample(n=n_sends, random_state=s)) for s in range(5)]
    )
    assert len(plan.selected) <= n_sends
    assert uplift >= 1.5 * rfm
    assert uplift >= 2.0 * random
    assert rfm > 0 and random > 0  # the ratios are meaningful


# ---------------------------------------------------------------------------- off-policy check


def test_ipw_policy_value_ci_covers_the_known_truth_in_most_seeds() -> None:
    population = np.random.default_rng(0)
    n = 4000
    x = population.uniform(size=n)
    stratum = np.where(x > 0.5, "high", "low")
    effect = np.where(x > 0.6, 3.0, -1.0)  # helps some, hurts others
    baseline = 5.0 + 10.0 * x
    picked = x > 0.3
    truth = float(effect[picked].sum())
    covered, estimates = 0, []
    for seed in range(100):
        rng = np.random.default_rng(seed + 1)
        treated = np.zeros(n, dtype=bool)
        for label in ("high", "low"):  # exactly 80% messaged per stratum, as design does
            members = np.flatnonzero(stratum == label)
            treated[rng.permutation(members)[: int(0.8 * len(members))]] = True
        revenue = baseline + treated * effect + rng.lognormal(0, 1, n)
        value = ipw_policy_value(picked, treated, revenue, np.zeros(n), stratum, margin=1.0)
        estimate = value.incremental_revenue
        covered += estimate.ci_low <= truth <= estimate.ci_high
        estimates.append(estimate.value)
    assert covered / 100 >= 0.88
    assert np.mean(estimates) == pytest.approx(truth, rel=0.05)


def test_ipw_policy_value_equals_stratified_difference_in_means() -> None:
    rng = np.random.default_rng(2)
    n = 3000
    stratum = rng.choice(["a", "b", "c"], n)
    treated = rng.random(n) < 0.9
    revenue = rng.lognormal(2, 1, n) * (rng.random(n) < 0.2)
    picked = rng.random(n) < 0.4
    value = ipw_policy_value(picked, treated, revenue, revenue > 0, stratum, margin=0.3)
    frame = pd.DataFrame({"s": stratum, "t": treated, "y": revenue})[picked]
    means = frame.groupby(["s", "t"])["y"].mean().unstack()
    expected = ((means[True] - means[False]) * frame.groupby("s").size()).sum()
    assert value.incremental_revenue.value == pytest.approx(expected)
    welch = frame.groupby("s").apply(
        lambda g: (
            len(g) ** 2
            * (g.loc[g.t, "y"].var() / g.t.sum() + g.loc[~g.t, "y"].var() / (~g.t).sum())
        )
    )
    assert value.incremental_revenue.std_error == pytest.approx(np.sqrt(welch.sum()))


def test_ipw_cost_and_profit_add_up() -> None:
    rng = np.random.default_rng(1)
    n = 1000
    picked = rng.random(n) < 0.5
    treated = rng.random(n) < 0.9
    converted = (rng.random(n) < 0.1).astype(float)
    revenue = converted * 50.0
    value = ipw_policy_value(
        picked, treated, revenue, converted, margin=0.3, message_cost=0.05, coupon=5.0
    )
    redemption_rate = converted[picked & treated].mean()  # coupons are paid by the messaged
    assert value.cost.value == pytest.approx(
        0.05 * picked.sum() + 5.0 * redemption_rate * picked.sum()
    )
    assert value.incremental_profit.value == pytest.approx(
        0.3 * value.incremental_revenue.value - value.cost.value
    )


def test_a_rule_and_the_profit_curve_spend_a_budget_that_float_sums_overshoot() -> None:
    """4,000 messages at 0.05 cost exactly 200, though their float sum is 200.00000000001."""
    from uplift_lab.target.solver import _profit_curve, rank_policy

    cost, profit, order = np.full(4000, 0.05), np.ones(4000), np.arange(4000)
    assert np.cumsum(cost)[-1] > 200.0  # the float trap itself
    picked, total, spend = rank_policy(order, profit, cost, 200.0)
    assert len(picked) == 4000 and total == 4000.0
    budgets, profits = _profit_curve(np.cumsum(cost), np.cumsum(profit), 200.0, 5, float("inf"))
    assert list(budgets) == [0.0, 50.0, 100.0, 150.0, 200.0]
    assert list(profits) == [0.0, 1000.0, 2000.0, 3000.0, 4000.0]


def test_a_small_roi_is_shown_with_two_decimals_not_as_zero() -> None:
    from uplift_lab.report.target_report import _ratio

    assert _ratio(8.90 / 202.20) == "0.04"  # a plan earning 4% of its cost
    assert _ratio(-0.5) == "-0.50"
    assert _ratio(31.05) == "31.1"  # large ROIs keep one decimal (the README's tables)
    assert _ratio(float("nan")) == "-"


def test_the_profit_curve_table_shows_a_budget_once_and_marks_this_one() -> None:
    """A curve whose last points share one budget (it stopped growing there): one row for it,
    marked once as this plan's budget."""
    from io import StringIO
    from types import SimpleNamespace

    from rich.console import Console

    from uplift_lab.report.target_report import curve_table

    curve = pd.DataFrame(
        {
            "budget": [0.0, 5.0, 10.0, 15.0, 20.0, 20.0, 20.0],
            "expected_profit": [0, 3, 5, 6, 7, 7, 7],
        }
    )
    plan = SimpleNamespace(curve=curve, selection=SimpleNamespace(budget=20.0))
    console = Console(file=StringIO(), width=100)
    console.print(curve_table(plan, every=1))
    text = console.file.getvalue()
    assert text.count("<- this budget") == 1
    assert sum(line.strip().startswith("20.00") for line in text.splitlines()) == 1, text


def test_channels_without_a_model_of_their_own_are_named() -> None:
    """Scores of sms and push arms: edm at full strength borrows them (named), mms with a
    response factor and the arm itself do not; a one-arm model's one channel does not."""
    from uplift_lab.target import Channel, borrowed_score_channels

    two_arms = ["customer_id", "uplift_revenue", "uplift_revenue_sms", "uplift_revenue_push"]
    channels = [Channel("sms", 0.05), Channel("edm", 0.01), Channel("mms", 0.2, response=1.4)]
    assert borrowed_score_channels(two_arms, channels) == ["edm"]
    assert borrowed_score_channels(["customer_id", "uplift_revenue"], channels) == []
    # one arm (a flat table's '1' or 'Yes'): one channel at full strength is that send ...
    one_arm = ["customer_id", "uplift_revenue", "uplift_revenue_Yes"]
    assert borrowed_score_channels(one_arm, [Channel("sms", 0.05)]) == []
    # ... two at full strength cannot both be
    assert borrowed_score_channels(one_arm, [Channel("sms", 0.05), Channel("edm", 0.01)]) == [
        "sms",
        "edm",
    ]


def test_a_channel_that_is_no_arm_of_a_multi_arm_model_is_refused_naming_the_arms() -> None:
    from uplift_lab.errors import InputError
    from uplift_lab.target import Channel, needed_score_columns

    frame = pd.DataFrame(
        {"customer_id": ["a"], "uplift_revenue_sms": [0.1], "uplift_revenue_edm": [0.05]}
    )
    with pytest.raises(InputError, match=r"channel 'mms' is not an arm .*its arms: sms, edm"):
        needed_score_columns(frame, "scores.csv", [Channel("sms", 0.05), Channel("mms", 0.2)])
