"""segment.py: lifecycle rules at every boundary day, RFM against an independent rank
computation, aggregates against a pandas groupby, spend bands, auto thresholds, determinism."""

from __future__ import annotations

import io as stdlib_io
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import rankdata

from uplift_lab.cli._common import error_message
from uplift_lab.errors import InputError
from uplift_lab.report.notice_text import render_notice
from uplift_lab.segment import (
    RFM_CLASSES,
    SEGMENT_COLUMNS,
    SegmentConfig,
    quintile_scores,
    segment_customers,
    spend_band_labels,
    spend_bands,
)

AS_OF = pd.Timestamp("2026-07-01")
FIXED = SegmentConfig(thresholds="fixed")  # the day rules (30 / 90 / 180), chosen explicitly


def order_log(*orders: tuple[str, float, float]) -> pd.DataFrame:
    """Orders from (customer, days before AS_OF, amount); fractional days give a time of day."""
    return pd.DataFrame(
        {
            "customer_id": [customer for customer, _, _ in orders],
            "order_time": [AS_OF - pd.Timedelta(days=days) for _, days, _ in orders],
            "amount": [float(amount) for _, _, amount in orders],
        }
    )


def stage_of(orders: pd.DataFrame, customer: str = "c", **kwargs) -> str:
    kwargs.setdefault("config", FIXED)
    table = segment_customers(orders, AS_OF, **kwargs).table.set_index("customer_id")
    return table.loc[customer, "lifecycle"]


# --- lifecycle: one case per stage and per boundary day (defaults 30 / 90 / 180) ----------------


def test_potential_customer_from_customer_table_has_no_orders() -> None:
    customers = pd.DataFrame({"customer_id": ["c", "other"]})
    assert stage_of(order_log(("other", 5, 10)), customers=customers) == "potential"


def test_potential_customer_from_events_only() -> None:
    events = pd.DataFrame(
        {
            "customer_id": ["c"],
            "event_time": [AS_OF - pd.Timedelta(days=2)],
            "event_type": ["visit"],
        }
    )
    result = segment_customers(order_log(("other", 5, 10)), AS_OF, events=events)
    row = result.table.set_index("customer_id").loc["c"]
    assert row["lifecycle"] == "potential"
    assert row["days_since_last_event"] == 2
    assert row["rfm_class"] == "no_purchase" and row["spend_band"] == "none"


@pytest.mark.parametrize(
    ("days_ago", "expected"),
    [
        (0.5, "new"),
        (29.5, "new"),
        (30, "new"),
        (30.01, "semi_active"),
        (31, "semi_active"),
        (90, "semi_active"),
        (91, "silent"),
    ],
    ids=["yesterday", "day-30-noon", "day-30-midnight", "day-31-late", "day-31", "90", "91"],
)
def test_single_order_is_new_up_to_day_30_then_semi_active_to_day_90(
    days_ago: float, expected: str
) -> None:
    # 29.5 days before midnight is 12:00 on the date 30 days back: recency 30, still new.
    assert stage_of(order_log(("c", days_ago, 10))) == expected


@pytest.mark.parametrize(
    ("recency", "expected"),
    [(30, "active"), (31, "semi_active"), (90, "semi_active"), (91, "silent")],
)
def test_repeat_buyer_boundaries_active_semi_active_silent(recency: int, expected: str) -> None:
    orders = order_log(("c", recency + 60, 10), ("c", recency, 10))  # gap 60: never overdue
    assert stage_of(orders) == expected


@pytest.mark.parametrize(
    ("recency", "expected"), [(91, "silent"), (180, "silent"), (181, "churned"), (500, "churned")]
)
def test_silent_and_churned_boundaries(recency: int, expected: str) -> None:
    assert stage_of(order_log(("c", recency, 10))) == expected
    assert stage_of(order_log(("c", recency + 20, 10), ("c", recency, 10))) == expected


@pytest.mark.parametrize(
    ("recency", "factor", "expected"),
    [(15, 3.0, "active"), (16, 3.0, "semi_active"), (16, 0.0, "active"), (11, 2.0, "semi_active")],
    ids=["3x-gap-exactly", "past-3x-gap", "rule-off", "past-2x-gap"],
)
def test_repeat_buyer_overdue_against_own_gap_is_semi_active(
    recency: int, factor: float, expected: str
) -> None:
    orders = order_log(("c", recency + 10, 10), ("c", recency + 5, 10), ("c", recency, 10))
    config = SegmentConfig(
        thresholds="fixed", overdue_factor=factor
    )  # own mean gap: 10 days / 2 = 5 days
    assert stage_of(orders, config=config) == expected


def test_same_day_repeat_orders_have_no_own_gap_and_stay_active() -> None:
    assert stage_of(order_log(("c", 20.2, 10), ("c", 20.1, 10))) == "active"


def test_custom_thresholds_move_the_boundaries() -> None:
    config = SegmentConfig(thresholds="fixed", active_days=7, silent_days=14, churn_days=28)
    orders = order_log(("a", 7, 1), ("b", 8, 1), ("c", 15, 1), ("d", 29, 1))
    stages = segment_customers(orders, AS_OF, config=config).table["lifecycle"].tolist()
    assert stages == ["new", "semi_active", "silent", "churned"]


# --- as-of: later orders and events never leak into the segment ---------------------------------


def test_orders_at_or_after_as_of_are_ignored() -> None:
    orders = order_log(("c", 100, 10), ("c", 0, 500), ("c", -3, 70))  # 0: exactly at AS_OF
    row = segment_customers(orders, AS_OF, config=FIXED).table.set_index("customer_id").loc["c"]
    assert row["lifecycle"] == "silent"
    assert row["n_orders_total"] == 1 and row["frequency"] == 1
    assert row["monetary"] == 10 and row["aov"] == 10 and row["recency_days"] == 100


def test_customer_whose_only_order_is_after_as_of_is_absent_or_potential() -> None:
    orders = order_log(("late", -1, 10), ("c", 3, 10))
    assert "late" not in segment_customers(orders, AS_OF).table["customer_id"].tolist()
    customers = pd.DataFrame({"customer_id": ["late", "c"]})
    assert stage_of(orders, "late", customers=customers) == "potential"


def test_customers_signed_up_after_as_of_are_not_known_yet() -> None:
    customers = pd.DataFrame(
        {"customer_id": ["old", "future"], "signup_time": ["2026-01-01", "2026-07-01"]}
    )
    table = segment_customers(order_log(("c", 3, 10)), AS_OF, customers=customers).table
    assert table["customer_id"].tolist() == ["c", "old"]


def test_events_after_as_of_are_ignored() -> None:
    events = pd.DataFrame(
        {
            "customer_id": ["c", "c", "ghost"],
            "event_time": [AS_OF - pd.Timedelta(days=4), AS_OF, AS_OF + pd.Timedelta(days=1)],
            "event_type": ["visit", "cart", "visit"],
        }
    )
    table = segment_customers(order_log(("c", 40, 10)), AS_OF, events=events).table
    assert table["customer_id"].tolist() == ["c"]
    assert table["days_since_last_event"].tolist() == [4]


def test_lookback_window_counts_orders_at_most_365_days_back() -> None:
    orders = order_log(("c", 365, 10), ("c", 365.5, 100), ("c", 366, 1000), ("c", 400, 7))
    row = segment_customers(orders, AS_OF).table.iloc[0]
    # 365.5 days before midnight is noon on the date 366 days back: outside the window.
    assert row["frequency"] == 1 and row["monetary"] == 10
    assert row["n_orders_total"] == 4 and row["aov"] == pytest.approx(1117 / 4)
    assert row["tenure_days"] == 400 and row["recency_days"] == 365


# --- aggregates against an independent pandas computation ----------------------------------------


def random_orders(seed: int, n_customers: int = 300, n_orders: int = 2000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    seconds = rng.integers(-30 * 86_400, 600 * 86_400, size=n_orders)
    return pd.DataFrame(
        {
            "customer_id": [f"c{i:04d}" for i in rng.integers(0, n_customers, size=n_orders)],
            "order_time": AS_OF - pd.to_timedelta(seconds, unit="s"),
            "amount": np.round(rng.lognormal(3, 1, size=n_orders), 2),
        }
    )


def reference_aggregates(orders: pd.DataFrame, lookback_days: int = 365) -> pd.DataFrame:
    """Recency/frequency/monetary the slow, obvious way: per-customer Python over dates."""
    before = orders[orders["order_time"] < AS_OF]
    rows = {}
    for customer, group in before.groupby("customer_id"):
        days_back = [(AS_OF.date() - t.date()).days for t in group["order_time"]]
        in_window = [d <= lookback_days for d in days_back]
        rows[customer] = {
            "recency_days": float(min(days_back)),
            "frequency": sum(in_window),
            "monetary": sum(a for a, w in zip(group["amount"], in_window, strict=True) if w),
            "n_orders_total": len(group),
            "aov": group["amount"].mean(),
        }
    return pd.DataFrame.from_dict(rows, orient="index").sort_index()


def test_recency_frequency_monetary_match_a_per_customer_reference() -> None:
    orders = random_orders(seed=1)
    table = segment_customers(orders, AS_OF).table.set_index("customer_id")
    expected = reference_aggregates(orders)
    assert table.index.tolist() == expected.index.tolist()
    for column in ("recency_days", "frequency", "n_orders_total"):
        np.testing.assert_array_equal(table[column], expected[column], err_msg=column)
    np.testing.assert_allclose(table["monetary"], expected["monetary"], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(table["aov"], expected["aov"], rtol=1e-12)


def order_days_by_pandas(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Distinct calendar days of the purchases (amount >= 0) before ``as_of``, per customer."""
    before = orders[(orders["order_time"] < as_of) & (orders["amount"] >= 0)]
    return before.groupby("customer_id")["order_time"].agg(lambda t: t.dt.normalize().nunique())


def aggregate_order_days(orders: pd.DataFrame, as_of: pd.Timestamp, first_day) -> pd.Series:
    import duckdb

    from uplift_lab.segment import _aggregate, _canonical_order_table

    table = _canonical_order_table(orders)
    with duckdb.connect() as con:
        con.register("orders", table)
        frame = _aggregate(
            con,
            as_of,
            as_of - pd.Timedelta(days=365),
            with_customers=False,
            with_events=False,
            refund_rows=True,
            first_day=first_day,
        )
    return pd.Series(frame.column("n_dates").to_numpy(), index=frame.column(0).to_pylist())


@pytest.mark.parametrize("history_days", [20, 126, 127, 500, 1015])
def test_order_days_counted_in_day_words_match_distinct_days(history_days) -> None:
    rng = np.random.default_rng(history_days)
    as_of = AS_OF + pd.Timedelta(hours=15)  # orders earlier on the as-of day count too
    seconds = rng.integers(-86_400, history_days * 86_400, size=3000)
    orders = pd.DataFrame(
        {
            "customer_id": [f"c{i:03d}" for i in rng.integers(0, 80, size=3000)],
            "order_time": as_of.normalize()
            - pd.to_timedelta(seconds, unit="s")
            + pd.Timedelta(days=1),
            "amount": np.where(rng.random(3000) < 0.1, -5.0, 20.0),  # refund rows: no order day
        }
    )
    first_day = orders["order_time"].min().date()
    expected = order_days_by_pandas(orders, as_of)
    by_words = aggregate_order_days(orders, as_of, first_day)
    assert by_words[expected.index].tolist() == expected.tolist()
    assert aggregate_order_days(orders, as_of, None)[expected.index].tolist() == expected.tolist()


def test_day_words_cover_at_most_their_history_before_as_of() -> None:
    from uplift_lab.segment_sql import DAY_WORD_BITS, MAX_DAY_WORDS
    from uplift_lab.segment_sql import first_order_day as _first_order_day

    as_of_day = AS_OF.normalize()
    covered = as_of_day - pd.Timedelta(days=MAX_DAY_WORDS * DAY_WORD_BITS - 1)
    assert _first_order_day(covered.to_pydatetime(), as_of_day) == covered.date()
    assert _first_order_day((covered - pd.Timedelta(days=1)).to_pydatetime(), as_of_day) is None
    assert _first_order_day(None, as_of_day) is None


@pytest.fixture
def first_days_aggregated(monkeypatch) -> list:
    """The ``first_day`` of each aggregation segment runs (None: count(DISTINCT day))."""
    import uplift_lab.segment as segment

    calls = []
    original = segment._aggregate

    def spy(*args, first_day=None, **kwargs):
        calls.append(first_day)
        return original(*args, first_day=first_day, **kwargs)

    monkeypatch.setattr(segment, "_aggregate", spy)
    return calls


def test_segment_counts_order_days_in_words_when_they_cover_the_history(
    first_days_aggregated,
) -> None:
    orders = random_orders(seed=5)
    segment_customers(orders, AS_OF)
    assert first_days_aggregated == [orders["order_time"].min().date()]


def test_segment_counts_distinct_days_beyond_the_words(first_days_aggregated) -> None:
    orders = order_log(("a", 1200, 10), ("a", 1200.2, 10), ("a", 3, 10), ("b", 3, 5))
    segment_customers(orders, AS_OF)
    assert first_days_aggregated == [None]


def test_an_earliest_time_after_some_orders_falls_back_to_distinct_days(
    first_days_aggregated,
) -> None:
    """A wrong lower bound (a file's statistics) is caught on the result, not trusted."""
    import uplift_lab.segment as segment

    orders = random_orders(seed=4)
    expected = segment_customers(orders, AS_OF).table
    first_days_aggregated.clear()
    late = orders["order_time"].min() + pd.Timedelta(days=200)
    result = segment._segment(
        lambda con: con.register("orders", segment._canonical_order_table(orders)),
        AS_OF,
        earliest_order=late.to_pydatetime(),
        refund_rows=False,
        has_category=False,
        customers=None,
        events=None,
        config=None,
    )
    assert first_days_aggregated == [late.date(), None]
    pd.testing.assert_frame_equal(result.table, expected)


# --- RFM scores against an independent rank computation ------------------------------------------


def reference_quintiles(values: np.ndarray) -> np.ndarray:
    """Score = 1 + number of quintile cut points (20%, 40%, 60%, 80%) that the share of
    strictly smaller values reaches; ranks from scipy (method 'min' gives ties the lowest rank)."""
    n = len(values)
    share_below = (rankdata(values, method="min") - 1) / n
    cuts = np.array([0.2, 0.4, 0.6, 0.8])
    # compare in integers to dodge float rounding: share >= k/5  <=>  5 * below >= k * n
    below = (share_below * n).round().astype(int)
    return 1 + (5 * below[:, None] >= (cuts * 5).round()[None, :].astype(int) * n).sum(axis=1)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=60))
def test_quintile_scores_match_reference_with_heavy_ties(values: list[int]) -> None:
    array = np.array(values, dtype=float)
    np.testing.assert_array_equal(quintile_scores(array), reference_quintiles(array))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from([0.5, 1.25, -3.0, 1e9]),
            st.floats(allow_nan=False, allow_infinity=True, width=32),
        ),
        min_size=1,
        max_size=80,
    )
)
def test_quintile_scores_of_fractional_and_infinite_values_match_reference(values) -> None:
    array = np.array(values, dtype=float)  # the sort path (not whole numbers in a small range)
    np.testing.assert_array_equal(quintile_scores(array), reference_quintiles(array))


def test_quintile_scores_of_distinct_values_are_equal_fifths() -> None:
    scores = quintile_scores(np.arange(100.0)[::-1])
    assert np.bincount(scores, minlength=6)[1:].tolist() == [20, 20, 20, 20, 20]
    assert scores[0] == 5 and scores[-1] == 1


def test_quintile_scores_with_one_distinct_value_are_all_one() -> None:
    assert quintile_scores(np.full(7, 3.0)).tolist() == [1] * 7


def test_rfm_columns_match_reference_scores_and_classes() -> None:
    orders = random_orders(seed=2)
    table = segment_customers(orders, AS_OF).table
    expected = reference_aggregates(orders)
    r = reference_quintiles(-expected["recency_days"].to_numpy())
    f = reference_quintiles(expected["frequency"].to_numpy())
    m = reference_quintiles(expected["monetary"].to_numpy())
    np.testing.assert_array_equal(table["rfm_r"], r)
    np.testing.assert_array_equal(table["rfm_f"], f)
    np.testing.assert_array_equal(table["rfm_m"], m)
    np.testing.assert_array_equal(table["rfm_score"], r + f + m)
    names = {flags: (key, zh) for key, zh, flags in RFM_CLASSES}
    expected_class = [names[(a >= 3, b >= 3, c >= 3)] for a, b, c in zip(r, f, m, strict=True)]
    assert table["rfm_class"].tolist() == [key for key, _ in expected_class]
    assert table["rfm_class_zh"].tolist() == [zh for _, zh in expected_class]


def test_rfm_classes_cover_the_eight_classic_names() -> None:
    names = {key: zh for key, zh, _ in RFM_CLASSES}
    assert names["important_value"] == "重要价值客户"
    assert names["important_winback"] == "重要挽留客户"
    assert names["general_development"] == "一般发展客户"
    assert len({flags for _, _, flags in RFM_CLASSES}) == 8


def test_potential_customers_score_zero() -> None:
    customers = pd.DataFrame({"customer_id": ["c", "p"]})
    table = segment_customers(order_log(("c", 3, 10)), AS_OF, customers=customers).table
    potential = table.set_index("customer_id").loc["p"]
    assert (potential[["rfm_r", "rfm_f", "rfm_m", "rfm_score"]] == 0).all()


# --- spend band -----------------------------------------------------------------------------------


def test_spend_band_labels_from_edges() -> None:
    assert spend_band_labels([10, 20, 35]) == ["<10", "10-20", "20-35", "35+"]
    assert spend_band_labels([2.5]) == ["<2.5", "2.5+"]


def test_spend_band_edges_belong_to_the_band_above() -> None:
    aov = np.array([0, 9.99, 10, 19.99, 20, 34.99, 35, 1e9, np.nan])
    expected = ["<10", "<10", "10-20", "10-20", "20-35", "20-35", "35+", "35+", "none"]
    assert spend_bands(aov, (10, 20, 35)).tolist() == expected


def test_spend_band_uses_lifetime_aov() -> None:
    orders = order_log(("c", 400, 100), ("c", 3, 10))  # AOV 55 over both orders
    assert segment_customers(orders, AS_OF).table["spend_band"].tolist() == ["35+"]


@pytest.mark.parametrize("bands", [(), (20, 10), (10, 10), (1, float("nan"))])
def test_bad_bands_are_refused(bands: tuple) -> None:
    with pytest.raises(InputError, match="'bands' parameter"):
        SegmentConfig(bands=bands)


def test_thresholds_must_increase() -> None:
    with pytest.raises(InputError, match="'churn_days' parameter must exceed 'silent_days'"):
        SegmentConfig(silent_days=90, churn_days=90)


# --- auto thresholds ------------------------------------------------------------------------------


def test_auto_thresholds_follow_the_median_customer_purchase_cycle() -> None:
    rng = np.random.default_rng(3)
    rows = []
    for customer in range(41):
        gap = int(rng.integers(3, 40))
        for k in range(int(rng.integers(1, 6))):
            rows.append((f"c{customer}", 2 + k * gap + 0.25, 10))
            if rng.random() < 0.3:  # a second order on the same date changes nothing
                rows.append((f"c{customer}", 2 + k * gap + 0.1, 10))
    orders = order_log(*rows)
    cycles = []
    for _, group in orders.groupby("customer_id"):
        dates = sorted(set(group["order_time"].dt.date))
        if len(dates) >= 2:
            gaps = [
                (later - earlier).days for earlier, later in zip(dates[:-1], dates[1:], strict=True)
            ]
            cycles.append(np.mean(gaps))
    median = float(np.median(cycles))
    result = segment_customers(orders, AS_OF, config=SegmentConfig(thresholds="auto"))
    thresholds = result.thresholds
    assert thresholds.source == "auto"
    assert thresholds.median_interval_days == pytest.approx(median)
    assert (thresholds.active_days, thresholds.silent_days, thresholds.churn_days) == (
        int(np.ceil(median)),
        int(np.ceil(3 * median)),
        int(np.ceil(6 * median)),
    )


def test_auto_thresholds_give_each_customer_one_vote() -> None:
    # one daily buyer with 60 orders and three monthly buyers: the cycle is monthly
    daily = [("daily", 1 + k, 5) for k in range(60)]
    monthly = [(f"m{c}", 1 + 30 * k, 5) for c in range(3) for k in range(3)]
    thresholds = segment_customers(
        order_log(*daily, *monthly), AS_OF, config=SegmentConfig(thresholds="auto")
    ).thresholds
    assert (thresholds.active_days, thresholds.silent_days, thresholds.churn_days) == (30, 90, 180)


def test_auto_thresholds_for_a_weekly_shop_are_shorter_than_for_a_yearly_shop() -> None:
    weekly = order_log(*[(f"c{c}", 1 + 7 * k, 10) for c in range(5) for k in range(6)])
    yearly = order_log(*[(f"c{c}", 1 + 300 * k, 10) for c in range(5) for k in range(3)])
    config = SegmentConfig(thresholds="auto")
    fast = segment_customers(weekly, AS_OF, config=config).thresholds
    slow = segment_customers(yearly, AS_OF, config=config).thresholds
    assert (fast.active_days, fast.silent_days, fast.churn_days) == (7, 21, 42)
    assert (slow.active_days, slow.silent_days, slow.churn_days) == (300, 900, 1800)


def test_auto_thresholds_without_repeat_buyers_is_an_input_error() -> None:
    with pytest.raises(InputError, match="Use thresholds=fixed") as raised:
        segment_customers(order_log(("a", 3, 1)), AS_OF, config=SegmentConfig(thresholds="auto"))
    said = error_message(raised.value)
    assert said.startswith("--thresholds auto: no customer ordered on two different days before")
    assert said.endswith("Use --thresholds fixed")


# --- shape, inputs, summaries, determinism --------------------------------------------------------


def test_table_columns_then_customer_attributes() -> None:
    customers = pd.DataFrame({"customer_id": ["c"], "age": [30], "lifecycle": ["x"]})
    table = segment_customers(order_log(("c", 3, 1)), AS_OF, customers=customers).table
    assert list(table.columns) == [*SEGMENT_COLUMNS, "age", "lifecycle_input"]
    assert table.loc[0, "age"] == 30


def test_arrow_table_and_dataframe_give_the_same_result() -> None:
    orders = random_orders(seed=4)
    from_frame = segment_customers(orders, AS_OF).table
    from_arrow = segment_customers(pa.Table.from_pandas(orders), AS_OF).table
    pd.testing.assert_frame_equal(from_frame, from_arrow)


def test_row_order_of_the_input_does_not_matter_and_output_bytes_repeat(tmp_path) -> None:
    orders = random_orders(seed=5)
    shuffled = orders.sample(frac=1, random_state=0)
    first = segment_customers(orders, AS_OF).table
    second = segment_customers(shuffled, AS_OF).table
    buffers = [stdlib_io.BytesIO(), stdlib_io.BytesIO()]
    first.to_parquet(buffers[0], index=False)
    second.to_parquet(buffers[1], index=False)
    assert buffers[0].getvalue() == buffers[1].getvalue()


def test_summaries_add_up_to_the_whole_table() -> None:
    orders = random_orders(seed=6)
    result = segment_customers(orders, AS_OF)
    for summary, key in (
        (result.lifecycle_summary, "lifecycle"),
        (result.rfm_summary, "rfm_class"),
    ):
        assert summary["customers"].sum() == len(result.table)
        assert summary["share"].sum() == pytest.approx(1.0)
        assert summary["revenue_share"].sum() == pytest.approx(1.0)
        counts = result.table[key].value_counts()
        for row in summary.itertuples():
            assert row.customers == counts.get(getattr(row, key), 0)
    active = result.table[result.table["lifecycle"] == "active"]
    row = result.lifecycle_summary.set_index("lifecycle").loc["active"]
    assert row["mean_recency_days"] == pytest.approx(active["recency_days"].mean())
    assert row["revenue"] == pytest.approx(active["monetary"].sum())


# --- the synthetic shop ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shop():
    synth = pytest.importorskip("uplift_lab.synth")
    return synth.generate_shop(n_customers=3000, seed=0)


def test_synthetic_shop_yields_all_six_stages(shop) -> None:
    result = segment_customers(
        shop.orders, shop.as_of, customers=shop.customers, events=shop.events
    )
    counts = result.lifecycle_summary.set_index("lifecycle")["customers"]
    assert (counts > 0).all(), counts.to_dict()
    assert result.table["customer_id"].is_unique


def test_stage_at_campaign_start_matches_the_shops_own_rule(shop) -> None:
    """synth.py stages the past campaign with fractional-day rules written independently; without
    the overdue rule (which synth.py does not model) our calendar-day stages must agree."""
    result = segment_customers(
        shop.orders,
        shop.campaign_start,
        customers=shop.customers,
        events=shop.events,
        config=SegmentConfig(thresholds="fixed", overdue_factor=0),
    )
    ours = result.table.set_index("customer_id")["lifecycle"]
    theirs = shop.campaign.set_index("customer_id")["lifecycle"]
    assert set(theirs.index) <= set(ours.index)
    pd.testing.assert_series_equal(ours.loc[theirs.index], theirs, check_names=False)


# --- cycle thresholds: stages by each customer's own purchase cycle ------------------------------


def cycle_shop(n_repeat: int = 220, category: bool = True) -> pd.DataFrame:
    """``n_repeat`` repeat buyers ordering about every 10 days (grocery) or 100 (electronics)."""
    rng = np.random.default_rng(7)
    rows, categories = [], []
    for i in range(n_repeat):
        slow = i % 2 == 1
        days = 5 + i % 7
        for _ in range(4):
            rows.append((f"r{i:03d}", days, 20))
            categories.append("electronics" if slow else "grocery")
            days += int(round((100 if slow else 10) * rng.uniform(0.6, 1.4)))
    orders = order_log(*rows)
    if category:
        orders["category"] = categories
    return orders


def test_cycle_is_the_default_and_stages_follow_the_overdue_ratio() -> None:
    orders = cycle_shop()
    # a slow-cycle buyer 200 days after the last order: 2 own cycles overdue, not churned
    slow = order_log(("slow", 500, 50), ("slow", 400, 50), ("slow", 300, 50), ("slow", 200, 50))
    slow["category"] = "electronics"
    fast = order_log(("fast", 70, 5), ("fast", 60, 5), ("fast", 50, 5), ("fast", 40, 5))
    fast["category"] = "grocery"
    result = segment_customers(pd.concat([orders, slow, fast]), AS_OF)
    assert result.thresholds.source == "cycle" and result.notices == ()
    assert result.thresholds.repeat_buyers == 222
    table = result.table.set_index("customer_id")
    np.testing.assert_allclose(
        table["overdue_ratio"], table["recency_days"] / table["expected_gap_days"]
    )
    assert 80 < table.loc["slow", "expected_gap_days"] < 120
    assert 8 < table.loc["fast", "expected_gap_days"] < 12
    assert table.loc["slow", "lifecycle"] == "semi_active"  # day rules: churned (200 > 180)
    assert table.loc["fast", "lifecycle"] == "silent"  # day rules: semi_active (40 <= 90)
    assert stage_of(pd.concat([orders, slow]), "slow") == "churned"
    stages = np.select(
        [table["overdue_ratio"] > 6, table["overdue_ratio"] > 3, table["overdue_ratio"] > 1.5],
        ["churned", "silent", "semi_active"],
        "active",
    )
    assert (table["lifecycle"] == stages).all()


def test_cycle_expected_gap_matches_the_fitted_priors() -> None:
    orders = pd.concat([cycle_shop(), order_log(("one", 40, 10))])
    orders.loc[orders["customer_id"] == "one", "category"] = "electronics"
    result = segment_customers(orders, AS_OF)
    table = result.table.set_index("customer_id")
    prior = result.cycle_model.categories["electronics"]
    # one order: the main category's prior mean gap; four orders 100 days apart: shrunk toward it
    assert table.loc["one", "expected_gap_days"] == pytest.approx(prior.mean_gap_days)
    assert table.loc["one", "lifecycle"] == "new"
    r001 = table.loc["r001"]
    span = r001["tenure_days"] - r001["recency_days"]
    expected = (prior.beta + prior.kappa * span) / (prior.alpha + prior.kappa * 3)
    assert r001["expected_gap_days"] == pytest.approx(expected)


def test_cycle_falls_back_to_day_rules_below_200_repeat_buyers_with_a_notice() -> None:
    result = segment_customers(cycle_shop(n_repeat=199), AS_OF)
    assert result.thresholds.source == "fixed"
    assert len(result.notices) == 1 and "199 customers" in render_notice(result.notices[0])
    assert "--thresholds fixed" in render_notice(result.notices[0])
    fixed = segment_customers(cycle_shop(n_repeat=199), AS_OF, config=FIXED)
    assert fixed.notices == ()
    pd.testing.assert_frame_equal(result.table, fixed.table)
    assert segment_customers(cycle_shop(n_repeat=200), AS_OF).thresholds.source == "cycle"


def test_same_day_orders_do_not_count_as_repeat_buying() -> None:
    same_day = order_log(*[(f"s{i}", 20.2 + j * 0.01, 10) for i in range(300) for j in range(2)])
    result = segment_customers(same_day, AS_OF)
    assert result.thresholds.source == "fixed" and result.thresholds.repeat_buyers is None
    assert np.isnan(result.table["expected_gap_days"]).all()


def test_category_columns_main_category_share_and_count() -> None:
    orders = order_log(("a", 30, 10), ("a", 20, 10), ("a", 10, 99), ("b", 5, 10), ("b", 4, 30))
    orders["category"] = ["toys", "books", "books", "toys", "books"]
    customers = pd.DataFrame({"customer_id": ["a", "b", "p"]})
    table = segment_customers(orders, AS_OF, customers=customers).table.set_index("customer_id")
    assert table.loc["a", "main_category"] == "books"  # two of three orders
    assert table.loc["a", "main_category_share"] == pytest.approx(2 / 3)
    assert table.loc["b", "main_category"] == "books"  # one order each: more spend wins
    assert table["categories_bought"].to_dict() == {"a": 2, "b": 2, "p": 0}
    assert pd.isna(table.loc["p", "main_category"]) and pd.isna(table.loc["p", "overdue_ratio"])
    columns = list(table.reset_index().columns)
    position = columns.index("overdue_ratio")
    assert columns[position + 1 : position + 4] == [
        "main_category",
        "main_category_share",
        "categories_bought",
    ]


def test_no_category_column_means_no_category_columns() -> None:
    table = segment_customers(cycle_shop(category=False), AS_OF).table
    assert not {"main_category", "main_category_share", "categories_bought"} & set(table.columns)
    assert table["expected_gap_days"].notna().all()


def test_orders_without_a_category_are_left_out_of_the_main_category() -> None:
    orders = order_log(("a", 30, 10), ("a", 20, 10), ("a", 10, 10))
    orders["category"] = [None, "", "toys"]
    row = segment_customers(orders, AS_OF).table.iloc[0]
    assert row["main_category"] == "toys" and row["main_category_share"] == 1.0
    assert row["categories_bought"] == 1


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("cycle_cutoffs", (1.5, 3.0)),
        ("cycle_cutoffs", (3.0, 1.5, 6.0)),
        ("cycle_cutoffs", (0.0, 3.0, 6.0)),
        ("thresholds", "weekly"),
    ],
)
def test_bad_cycle_options_are_input_errors(option: str, value) -> None:
    with pytest.raises(InputError, match=f"'{option}' parameter"):
        SegmentConfig(**{option: value})


# --- a Parquet file segmented in place (the rules' mask, DuckDB reading the file) ------------


def _parquet_shop(
    path, seed: int = 5, row_group_size: int = 700, n_customers: int = 200, **changes
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    orders = random_orders(seed, n_customers=n_customers, n_orders=15 * n_customers)
    orders = orders.assign(
        order_id=np.arange(len(orders), dtype=np.int64),
        status=rng.choice(["paid", "paid", "paid", "cancelled", "pending"], len(orders)),
        refund=np.where(rng.random(len(orders)) < 0.1, orders["amount"] * 0.5, 0.0),
    )
    full = rng.random(len(orders)) < 0.05
    orders.loc[full, "refund"] = orders.loc[full, "amount"]
    for column, change in changes.items():
        orders[column] = change(orders[column])
    table = pa.Table.from_pandas(orders, preserve_index=False)
    import pyarrow.parquet as pq

    pq.write_table(table, path, row_group_size=row_group_size)  # several row groups
    return orders


RULES = dict(status_col="status", excluded_statuses=("cancelled", "pending"), refund_col="refund")


def _both_ways(path, monkeypatch, **kwargs):
    """segment_files in place and by the general path (load_orders), for the same file."""
    from uplift_lab.columnmap import resolve_inputs
    from uplift_lab.workflows import segment as segment_module

    inputs = resolve_inputs(**kwargs.pop("rules", RULES))
    in_place = segment_module.segment_files(path, AS_OF, inputs=inputs, **kwargs)
    with monkeypatch.context() as patch:
        patch.setattr(segment_module, "count_orders_in_place", lambda *args, **kw: None)
        general = segment_module.segment_files(path, AS_OF, inputs=inputs, **kwargs)
    return in_place, general


def test_parquet_segmented_in_place_equals_the_general_path(tmp_path, monkeypatch) -> None:
    from uplift_lab.columnmap import resolve_inputs
    from uplift_lab.workflows.orders import count_orders_in_place

    path = tmp_path / "orders.parquet"
    orders = _parquet_shop(path)
    assert count_orders_in_place(path, resolve_inputs(**RULES).orders) is not None  # in place
    in_place, general = _both_ways(path, monkeypatch)
    pd.testing.assert_frame_equal(in_place.table, general.table)
    assert in_place.counting == general.counting
    # and both equal segmenting the counted orders by hand (pandas, independent of the rules code)
    counted = orders[orders["status"] == "paid"]
    counted = counted[~(counted["refund"] >= counted["amount"] - 1e-9)]
    by_hand = segment_customers(
        counted.assign(amount=counted["amount"] - counted["refund"]), AS_OF
    ).table
    pd.testing.assert_frame_equal(in_place.table, by_hand)
    auto = _both_ways(path, monkeypatch, config=SegmentConfig(thresholds="auto"))
    pd.testing.assert_frame_equal(auto[0].table, auto[1].table)
    assert auto[0].thresholds == auto[1].thresholds


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"customer_id": lambda ids: ids.where(ids.index != 7, None)}, "has 1 empty id"),
        ({"customer_id": lambda ids: ids.where(ids.index != 7, "")}, "has 1 empty id"),
        ({"order_time": lambda times: times.where(times.index != 9, pd.NaT)}, "empty date"),
        ({"order_id": lambda ids: ids.where(ids.index != 11, 3)}, "duplicate id(s), e.g. '3'"),
        ({"amount": lambda amounts: amounts.where(amounts.index != 13, -1.0)}, "negative"),
        ({"amount": lambda amounts: amounts.where(amounts.index != 13, np.nan)}, "missing"),
        ({"refund": lambda refunds: refunds.where(refunds.index != 13, 1e9)}, "refunds more"),
    ],
)
def test_bad_parquet_rows_get_the_general_paths_message(tmp_path, changes, message) -> None:
    from uplift_lab.columnmap import resolve_inputs
    from uplift_lab.workflows.orders import count_orders_in_place
    from uplift_lab.workflows.segment import segment_files

    path = tmp_path / "orders.parquet"
    _parquet_shop(path, **changes)
    # every status counts, so the changed row is a counted one
    inputs = resolve_inputs(
        status_col="status", paid_statuses=("paid", "cancelled", "pending"), refund_col="refund"
    )
    assert count_orders_in_place(path, inputs.orders) is None  # declined: the general path
    with pytest.raises(InputError, match=re.escape(message)):
        segment_files(path, AS_OF, inputs=inputs)


def test_no_orders_before_as_of_names_the_parameters_and_the_cli_their_flags(tmp_path) -> None:
    from uplift_lab.workflows.segment import segment_files

    path = tmp_path / "orders.csv"
    path.write_text("customer_id,order_time,amount\nA,2026-08-01,1\n")
    with pytest.raises(InputError) as raised:
        segment_files(path, "2026-07-01")
    assert str(raised.value) == (
        f"{path}: has no orders before as_of=2026-07-01 00:00:00 (its orders run from 2026-08-01"
        " to 2026-08-01). Use a later 'as_of', or pass 'customers_path'"
    )
    assert error_message(raised.value) == (
        f"{path}: has no orders before --as-of 2026-07-01 00:00:00 (its orders run from"
        " 2026-08-01 to 2026-08-01). Use a later --as-of, or pass --customers"
    )


# --- in place and main's segment features: cycles, tags, customers, refund rows, categories --


def test_in_place_keeps_tags_customers_events_and_refund_rows(tmp_path, monkeypatch) -> None:
    from uplift_lab.columnmap import resolve_inputs
    from uplift_lab.workflows.orders import count_orders_in_place

    path = tmp_path / "orders.parquet"
    # every 40th order a declared refund row (negative amount): netted, but no order, no day
    orders = _parquet_shop(  # 400 customers: enough repeat buyers for cycle stages
        path,
        n_customers=400,
        amount=lambda amounts: amounts.where(amounts.index % 40 != 3, -amounts / 4),
    )
    assert (orders["amount"] < 0).any()
    rules = {**RULES, "refund_rows": True}
    assert count_orders_in_place(path, resolve_inputs(**rules).orders) is not None
    ids = sorted(orders["customer_id"].unique())
    customers = tmp_path / "customers.csv"
    pd.DataFrame({"customer_id": [*ids, "p1", "p2"], "region": "north"}).to_csv(
        customers, index=False
    )
    events = tmp_path / "events.csv"
    pd.DataFrame(
        {
            "customer_id": [ids[0], "p1", "e9"],
            "event_time": ["2026-06-01"] * 3,
            "event_type": "visit",
        }
    ).to_csv(events, index=False)
    tags = tmp_path / "tags.toml"
    tags.write_text('big = "aov >= 30"\ntier = "CASE WHEN monetary >= 100 THEN 1 ELSE 0 END"\n')
    for config in (SegmentConfig(), FIXED, SegmentConfig(thresholds="auto")):
        for extra in (
            {},
            {"tags_path": tags},
            {"customers_path": customers, "events_path": events, "tags_path": tags},
        ):
            in_place, general = _both_ways(path, monkeypatch, rules=rules, config=config, **extra)
            pd.testing.assert_frame_equal(in_place.table, general.table)
            assert in_place.counting == general.counting
            assert in_place.counting.refund_rows > 0
            assert in_place.notices == general.notices
            assert in_place.thresholds == general.thresholds
            assert in_place.thresholds.source == config.thresholds  # cycle stages too
            assert in_place.tag_columns == general.tag_columns
            pd.testing.assert_frame_equal(in_place.tag_summary, general.tag_summary)
            assert "expected_gap_days" in in_place.table and "overdue_ratio" in in_place.table
    assert {"big", "tier", "region"} <= set(in_place.table.columns)


def test_a_parquet_category_column_takes_the_general_path(tmp_path) -> None:
    from uplift_lab.columnmap import resolve_inputs
    from uplift_lab.workflows.orders import count_orders_in_place
    from uplift_lab.workflows.segment import segment_files

    path = tmp_path / "orders.parquet"
    rng = np.random.default_rng(3)
    orders = _parquet_shop(
        path, order_id=lambda ids: ids, status=lambda s: s.where(s != "pending", "paid")
    )
    orders["category"] = rng.choice(["shoes", "food", ""], len(orders))
    pa_table = pa.Table.from_pandas(orders, preserve_index=False)
    import pyarrow.parquet as pq

    pq.write_table(pa_table, path, row_group_size=700)
    inputs = resolve_inputs(**RULES)
    assert count_orders_in_place(path, inputs.orders) is None  # the category rides along
    result = segment_files(path, AS_OF, inputs=inputs, config=FIXED)
    counted = orders[orders["status"] == "paid"]
    counted = counted[~(counted["refund"] >= counted["amount"] - 1e-9)]
    by_hand = segment_customers(
        counted.assign(amount=counted["amount"] - counted["refund"])[
            ["customer_id", "order_time", "amount", "category"]
        ],
        AS_OF,
        config=FIXED,
    ).table
    assert {"main_category", "main_category_share", "categories_bought"} <= set(result.table)
    pd.testing.assert_frame_equal(result.table, by_hand)


def test_segment_table_columns_can_be_edited_in_place() -> None:
    """The table is built on its arrays without a copy: none of them is Arrow's read-only
    memory."""
    table = segment_customers(random_orders(seed=1), AS_OF).table
    table.loc[table["frequency"] > 2, ["frequency", "n_orders_total", "monetary"]] = 0
    table.loc[table.index[:3], "first_order_time"] = pd.Timestamp("2020-01-01").as_unit("us")
    table.iloc[0, table.columns.get_loc("recency_days")] = 5.0
    assert table["first_order_time"].iloc[0] == pd.Timestamp("2020-01-01")
