"""Event tags of segment (favorited / carted / consulted in the 30 days before as-of, interest
without a purchase): DuckDB's columns against the same definition computed in pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd

from uplift_lab.contracts import EVENT_TYPES
from uplift_lab.segment import segment_customers
from uplift_lab.tags import EVENT_TAG_COLUMNS, EVENT_TAG_DAYS

AS_OF = pd.Timestamp("2026-07-01 12:00")


def _random_shop(seed: int = 4) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = [f"c{i:03d}" for i in range(300)]
    n_orders, n_events = 500, 1500
    orders = pd.DataFrame(
        {
            "customer_id": rng.choice(ids[:200], n_orders),
            "order_time": AS_OF - pd.to_timedelta(rng.uniform(-5, 90, n_orders), unit="D"),
            "amount": rng.uniform(5, 100, n_orders).round(2),
        }
    )
    events = pd.DataFrame(
        {
            "customer_id": rng.choice(ids, n_events),
            "event_time": AS_OF - pd.to_timedelta(rng.uniform(-5, 60, n_events), unit="D"),
            "event_type": rng.choice(EVENT_TYPES, n_events),
        }
    )
    return orders, events


def _pandas_tags(orders: pd.DataFrame, events: pd.DataFrame, ids) -> pd.DataFrame:
    since = AS_OF - pd.Timedelta(days=EVENT_TAG_DAYS)
    recent = events[(events["event_time"] >= since) & (events["event_time"] < AS_OF)]
    bought = set(
        orders.loc[(orders["order_time"] >= since) & (orders["order_time"] < AS_OF), "customer_id"]
    )
    kinds = {k: set(recent.loc[recent["event_type"] == k, "customer_id"]) for k in EVENT_TYPES}
    out = pd.DataFrame(index=pd.Index(ids, name="customer_id"))
    out["favorited_30d"] = out.index.isin(kinds["favorite"])
    out["carted_30d"] = out.index.isin(kinds["cart"])
    out["consulted_30d"] = out.index.isin(kinds["consult"])
    interested = out["favorited_30d"] | out["carted_30d"]
    out["interested_not_bought_30d"] = interested & ~out.index.isin(bought)
    return out


def test_event_tags_equal_the_pandas_definition() -> None:
    orders, events = _random_shop()
    table = segment_customers(orders, AS_OF, events=events).table.set_index("customer_id")
    expected = _pandas_tags(orders, events, table.index)
    for column in EVENT_TAG_COLUMNS:
        assert table[column].dtype == bool, column
        assert table[column].tolist() == expected[column].tolist(), column
    assert 0 < table["interested_not_bought_30d"].sum() < table["favorited_30d"].sum() + len(table)


def test_a_cart_then_a_purchase_is_not_interest_without_purchase() -> None:
    orders = pd.DataFrame(
        {"customer_id": ["a", "b"], "order_time": [AS_OF - pd.Timedelta(days=1),
         AS_OF - pd.Timedelta(days=40)], "amount": [10.0, 10.0]}
    )  # fmt: skip
    events = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "event_time": [AS_OF - pd.Timedelta(days=d) for d in (3, 3, 31, 0.5)],
            "event_type": ["cart", "favorite", "cart", "consult"],
        }
    )
    table = segment_customers(orders, AS_OF, events=events).table.set_index("customer_id")
    assert table["interested_not_bought_30d"].to_dict() == {
        "a": False, "b": True, "c": False, "d": False
    }  # fmt: skip
    assert table["carted_30d"].to_dict() == {"a": True, "b": False, "c": False, "d": False}
    assert table.loc["d", "consulted_30d"]


def test_no_event_tags_without_events() -> None:
    orders, _ = _random_shop()
    table = segment_customers(orders, AS_OF).table
    assert not set(EVENT_TAG_COLUMNS) & set(table.columns)


def test_event_tags_are_opt_in_features() -> None:
    from uplift_lab.uplift.data import choose_default_features

    orders, events = _random_shop()
    table = segment_customers(orders, AS_OF, events=events).table
    choice = choose_default_features(table, list(table.columns))
    assert not set(EVENT_TAG_COLUMNS) & set(choice.columns)
    assert set(choice.dropped["event_tag"]) | set(choice.dropped.get("constant", ())) >= set(
        EVENT_TAG_COLUMNS
    )
    named = choose_default_features(table, ["favorited_30d", "frequency"])
    assert "favorited_30d" not in named.columns  # by default: also when the only candidates
