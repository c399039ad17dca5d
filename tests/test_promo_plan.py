"""Promotion targets: the returning/new split against a pandas groupby, the targets' arithmetic,
the per-segment reach from a small hand-made report, and the refused inputs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from uplift_lab.errors import InputError
from uplift_lab.promo_plan import (
    check_growth,
    parse_promo_window,
    promo_plan,
    promo_reach,
    promo_split,
    promo_targets,
    segment_effects,
)

WINDOW = parse_promo_window("2025-11-01:2025-11-11")


def _orders() -> pd.DataFrame:
    # a: returning (ordered in October), two window orders; b: new (first order 11-05);
    # c: returning, last window minute 11-11 23:59; d: only after the window (ignored);
    # e: only before the window (not a window buyer); f: new, first order on the first day.
    rows = [
        ("a", "2025-10-03 10:00", 50.0),
        ("a", "2025-11-01 00:00", 100.0),
        ("a", "2025-11-10 12:00", 20.0),
        ("b", "2025-11-05 09:00", 70.0),
        ("b", "2025-11-20 09:00", 999.0),
        ("c", "2024-11-11 08:00", 10.0),
        ("c", "2025-11-11 23:59", 30.0),
        ("d", "2025-11-12 00:00", 500.0),
        ("e", "2025-10-31 23:59", 40.0),
        ("f", "2025-11-01 00:00", 5.0),
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "order_time", "amount"])
    frame["order_time"] = pd.to_datetime(frame["order_time"])
    return frame


def _groupby_split(orders: pd.DataFrame) -> pd.DataFrame:
    """The reference: each customer's first order date vs the window, by a groupby."""
    start, stop = pd.Timestamp("2025-11-01"), pd.Timestamp("2025-11-12")
    first = orders.groupby("customer_id")["order_time"].min()
    window = orders[(orders.order_time >= start) & (orders.order_time < stop)].copy()
    window["group"] = np.where(window.customer_id.map(first) < start, "returning", "new")
    return window.groupby("group").agg(
        gmv=("amount", "sum"), orders=("amount", "size"), customers=("customer_id", "nunique")
    )


def test_split_matches_a_groupby_of_first_orders() -> None:
    split = promo_split(_orders(), WINDOW)
    expected = _groupby_split(_orders())
    for name, totals in (("returning", split.returning), ("new", split.new)):
        assert totals.gmv == pytest.approx(expected.loc[name, "gmv"])
        assert totals.orders == expected.loc[name, "orders"]
        assert totals.customers == expected.loc[name, "customers"]


def test_split_by_hand() -> None:
    split = promo_split(_orders(), WINDOW)
    assert (split.returning.gmv, split.returning.orders, split.returning.customers) == (150, 3, 2)
    assert (split.new.gmv, split.new.orders, split.new.customers) == (75, 2, 2)
    assert split.total.gmv == 225 and split.orders_before == 3


def test_split_on_random_orders_matches_the_groupby() -> None:
    rng = np.random.default_rng(3)
    n = 2_000
    orders = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 300, n).astype(str),
            "order_time": pd.Timestamp("2025-09-01")
            + pd.to_timedelta(rng.integers(0, 120 * 24 * 60, n), unit="min"),
            "amount": rng.gamma(2.0, 30.0, n).round(2),
        }
    )
    split = promo_split(orders, WINDOW)
    expected = _groupby_split(orders)
    assert split.returning.gmv == pytest.approx(expected.loc["returning", "gmv"])
    assert split.new.customers == expected.loc["new", "customers"]
    assert split.returning.orders == expected.loc["returning", "orders"]


def test_refund_rows_in_the_window_net_into_their_group_and_are_not_orders() -> None:
    orders = pd.concat(
        [
            _orders(),
            pd.DataFrame(
                {
                    "customer_id": ["a", "e"],
                    "order_time": pd.to_datetime(["2025-11-03", "2025-11-04"]),
                    "amount": [-20.0, -40.0],  # e has no window purchase: left out
                }
            ),
        ],
        ignore_index=True,
    )
    split = promo_split(orders, WINDOW)
    assert (split.returning.gmv, split.returning.orders) == (130, 3)


def test_targets_arithmetic() -> None:
    split = promo_split(_orders(), WINDOW)
    targets = promo_targets(split, 0.2, new_growth=0.5)
    assert targets.returning_gmv == pytest.approx(150 * 1.2)
    assert targets.new_gmv == pytest.approx(75 * 1.5)
    assert targets.total_gmv == pytest.approx(180 + 112.5)
    assert targets.extra_returning_gmv == pytest.approx(30)
    # 30 extra GMV at 75 GMV per returning buyer = 2 buyers x 0.2
    assert targets.extra_returning_customers == pytest.approx(0.4)


def test_new_growth_defaults_to_growth() -> None:
    targets = promo_targets(promo_split(_orders(), WINDOW), 0.1)
    assert targets.new_growth == 0.1 and targets.new_gmv == pytest.approx(82.5)


def _comparison(segment, arm, n_t, n_c, lift, low, revenue, cost=None, small=False):
    return {
        "segment": segment,
        "arm": arm,
        "treated_n": n_t,
        "control_n": n_c,
        "conversion": {"difference": lift, "ci_low": low},
        "revenue": {"difference": revenue},
        "money": None if cost is None else {"cost_per_message": cost},
        "too_small_to_read": small,
    }


REPORT = {
    "options": {"costs": {"sms": 0.05, "edm": 0.01}},
    "comparisons": [
        # active: sms 0.05/0.10 = 0.5 per conversion, edm 0.01/0.01 = 1.0: sms is cheaper
        _comparison("active", "sms", 900, 100, 0.10, 0.05, 3.0),
        _comparison("active", "edm", 900, 100, 0.01, -0.01, 0.2),
        _comparison("silent", "sms", 2700, 300, 0.02, -0.01, 1.0),
        _comparison("churned", "sms", 450, 50, -0.01, -0.05, -0.5),
    ],
}


def test_segment_effects_pick_the_cheapest_arm_per_extra_conversion() -> None:
    effects = {e.segment: e for e in segment_effects(REPORT)}
    assert effects["active"].arm == "sms" and effects["active"].customers == 1000
    assert effects["silent"].cost_per_message == 0.05


def test_reach_per_segment_by_hand() -> None:
    orders = _orders()
    targets = promo_targets(promo_split(orders, WINDOW), growth=100.0)  # 200 extra buyers
    assert targets.extra_returning_customers == pytest.approx(200)
    reach = promo_reach(targets, segment_effects(REPORT))
    rows = {r.effect.segment: r for r in reach.segments}
    # active and silent have positive lifts: 1000 and 3000 customers -> 50 and 150 conversions
    assert rows["active"].extra_conversions == pytest.approx(50)
    assert rows["active"].customers_to_message == 500  # 50 / 0.10
    assert rows["active"].message_cost == pytest.approx(25.0)  # 500 x 0.05
    assert rows["active"].expected_extra_gmv == pytest.approx(1500.0)  # 500 x 3.0
    assert rows["silent"].customers_to_message == 7500  # 150 / 0.02
    assert rows["silent"].message_cost == pytest.approx(375.0)
    assert "> segment size" in rows["silent"].caveats()
    assert rows["churned"].customers_to_message is None
    assert reach.customers_to_message == 8000
    assert reach.message_cost == pytest.approx(400.0)


def test_reach_rounds_customers_up() -> None:
    targets = promo_targets(promo_split(_orders(), WINDOW), growth=0.2)  # 0.4 extra buyers
    rows = {r.effect.segment: r for r in promo_reach(targets, segment_effects(REPORT)).segments}
    assert rows["active"].customers_to_message == math.ceil(0.1 / 0.10)
    assert rows["silent"].customers_to_message == math.ceil(0.3 / 0.02 - 1e-9)


def test_negative_growth_needs_no_messages() -> None:
    targets = promo_targets(promo_split(_orders(), WINDOW), growth=-0.5)
    reach = promo_reach(targets, segment_effects(REPORT))
    assert reach.customers_to_message == 0 and reach.message_cost == 0


def test_an_unsegmented_report_uses_the_overall_effect() -> None:
    report = {"comparisons": [], "overall": [_comparison("x", "sms", 90, 10, 0.1, 0.0, 1, 0.05)]}
    (effect,) = segment_effects(report)
    assert effect.segment == "all" and effect.cost_per_message == 0.05


@pytest.mark.parametrize(
    "text", ["2025-11-01", "2025-11-01:2025-11", "1/11/2025:11/11/2025", "a:b", "2025-11-01:"]
)
def test_unreadable_windows_are_refused(text) -> None:
    with pytest.raises(InputError, match="YYYY-MM-DD:YYYY-MM-DD"):
        parse_promo_window(text)


def test_a_window_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(InputError, match="ends before it starts"):
        parse_promo_window("2025-11-11:2025-11-01")


def test_a_one_day_window_includes_the_whole_day() -> None:
    window = parse_promo_window("2025-11-11:2025-11-11")
    assert window.days == 1 and window.stop == pd.Timestamp("2025-11-12")


def test_a_window_without_orders_is_refused() -> None:
    with pytest.raises(InputError, match="no counted orders in the promo window"):
        promo_split(_orders(), parse_promo_window("2026-11-01:2026-11-11"))


def test_growth_below_minus_one_is_refused() -> None:
    with pytest.raises(InputError, match="'growth' parameter must be a fraction >= -1"):
        check_growth(-1.5)


def test_a_report_without_comparisons_is_refused() -> None:
    with pytest.raises(InputError, match="not an analyze report"):
        promo_plan(_orders(), WINDOW, 0.2, report={"hello": 1})
