"""timing.py by hand: hours since the send on a five-customer fixture, the holdout's aligned send
time, and the Wilson band of the response curves against statsmodels."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from uplift_lab.stats import proportion_interval
from uplift_lab.timing import holdout_reference_time, response_since_send

SEND = pd.Timestamp("2026-11-11 10:00")


def test_hours_since_the_send_count_each_customer_once_per_hour_before_until() -> None:
    reference = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "h1", "h2"],
            "group": ["send", "send", "send", "holdout", "holdout"],
            "send_time": [SEND, SEND + pd.Timedelta(hours=2), SEND, SEND, SEND],
            "until": [SEND + pd.Timedelta(hours=5)] * 5,
        }
    )
    orders = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c", "c", "h1", "h2", "x"],
            "order_time": [
                SEND + pd.Timedelta(minutes=10),  # a: hour 0
                SEND + pd.Timedelta(minutes=50),  # a: hour 0 again (counted once)
                SEND + pd.Timedelta(hours=3, minutes=5),  # b: 1 h 5 min after b's 12:00 send
                SEND - pd.Timedelta(minutes=1),  # c: before the send, not read
                SEND + pd.Timedelta(hours=6),  # c: after until, not read
                SEND + pd.Timedelta(hours=1),  # h1: hour 1 exactly
                SEND + pd.Timedelta(hours=4, minutes=59),  # h2: hour 4
                SEND,  # x: not in the reference
            ],
            "amount": [10.0, 5.0, 8.0, 3.0, 4.0, 6.0, 7.0, 9.0],
        }
    )
    rows = response_since_send(reference, orders, "notice", hours=6)
    hits = {row.slice: (row.treated_responded, row.control_responded) for row in rows}
    assert hits == {0: (1, 0), 1: (1, 1), 2: (0, 0), 3: (0, 0), 4: (0, 1), 5: (0, 0)}
    assert {(row.treated, row.control, row.arm, row.unit) for row in rows} == {
        (3, 2, "notice", "since_send")
    }
    assert rows[0].effect.difference == pytest.approx(1 / 3)


def test_a_refund_row_is_not_a_response() -> None:
    reference = pd.DataFrame(
        {"customer_id": ["a", "h"], "group": ["send", "holdout"], "send_time": [SEND, SEND],
         "until": [SEND + pd.Timedelta(days=1)] * 2}
    )  # fmt: skip
    orders = pd.DataFrame(
        {"customer_id": ["a"], "order_time": [SEND + pd.Timedelta(minutes=5)], "amount": [-10.0]}
    )
    assert all(row.treated_responded == 0 for row in response_since_send(reference, orders, "x"))


def test_the_holdout_is_aligned_to_an_actual_median_send() -> None:
    times = pd.Series([SEND + pd.Timedelta(hours=h) for h in (5, 0, 2, 9)])
    assert holdout_reference_time(times) == SEND + pd.Timedelta(hours=2)  # the lower middle
    assert holdout_reference_time(times.iloc[:3]) == SEND + pd.Timedelta(hours=2)
    with pytest.raises(ValueError):
        holdout_reference_time(pd.Series([pd.NaT]))


@pytest.mark.parametrize(("count", "n"), [(0, 50), (3, 50), (25, 50), (50, 50), (7, 3342)])
def test_curve_band_is_the_wilson_interval(count: int, n: int) -> None:
    assert proportion_interval(count, n, 0.05) == pytest.approx(
        proportion_confint(count, n, alpha=0.05, method="wilson"), abs=1e-12
    )
    assert all(math.isnan(v) for v in proportion_interval(0, 0))
