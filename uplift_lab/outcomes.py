"""Outcomes: an order log -> per-customer outcomes in a response window, the pre-period
revenue (a CUPED covariate) and the join onto an assignment.

One definition for ``analyze`` and the uplift training data (:mod:`uplift_lab.uplift.data`),
so a model learns exactly the outcome that the campaign report measures. Pure steps over
validated DataFrames.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import pandas as pd

from uplift_lab.contracts import AMOUNT, ARM, CUSTOMER_ID, ORDER_TIME
from uplift_lab.errors import DataWarning
from uplift_lab.notices import Notice

SEGMENT = "segment"
CONVERTED = "converted"
REVENUE = "revenue"
ORDERS = "orders"
COVARIATE = "covariate"
PRE_REVENUE = "pre_revenue"  # the covariate an orders file gives: revenue before the window
PRE_PERIOD_DAYS = 365  # the lookback of PRE_REVENUE


@dataclass(frozen=True, slots=True)
class OrderOutcomes:
    """Per-customer outcomes in a response window, derived from an order log."""

    per_customer: pd.DataFrame  # customer_id, converted, revenue, orders
    refund_rows: int
    refund_amount: float
    orders_in_window: int
    start: pd.Timestamp
    window_days: int
    daily: pd.DataFrame  # customer_id, day (first order day in the window, 0-based)


def outcomes_from_orders(
    orders: pd.DataFrame, start: pd.Timestamp, window_days: int
) -> OrderOutcomes:
    """Response window [start, start + window_days): converted = at least one counted order in
    it, revenue = net sum of amounts.

    ``orders`` are the counted orders of :func:`uplift_lab.orders.load_orders`: a fully refunded
    order is no longer among them (not a response), a partly refunded one carries its net.
    Declared refund rows (negative amounts, ``--refund-rows``) net into revenue but are not
    orders, so they never make a conversion."""
    if window_days < 1:
        raise ValueError(f"window_days must be >= 1. Got {window_days} instead.")
    end = start + pd.Timedelta(days=window_days)
    times = orders[ORDER_TIME]
    in_window = orders.loc[(times >= start) & (times < end), [CUSTOMER_ID, ORDER_TIME, AMOUNT]]
    purchases = in_window[in_window[AMOUNT] >= 0]
    refunds = in_window[in_window[AMOUNT] < 0]
    revenue = in_window.groupby(CUSTOMER_ID, sort=True)[AMOUNT].sum()
    order_counts = purchases.groupby(CUSTOMER_ID, sort=True).size()
    per_customer = pd.DataFrame({REVENUE: revenue})
    per_customer[ORDERS] = order_counts.reindex(per_customer.index, fill_value=0).astype("int64")
    per_customer[CONVERTED] = (per_customer[ORDERS] > 0).astype("float64")
    per_customer = per_customer.reset_index()[[CUSTOMER_ID, CONVERTED, REVENUE, ORDERS]]
    first = purchases.groupby(CUSTOMER_ID, sort=True)[ORDER_TIME].min()
    daily = pd.DataFrame(
        {CUSTOMER_ID: first.index, "day": ((first - start) // pd.Timedelta(days=1)).to_numpy()}
    )
    return OrderOutcomes(
        per_customer=per_customer,
        refund_rows=len(refunds),
        refund_amount=float(-refunds[AMOUNT].sum()),
        orders_in_window=len(purchases),
        start=start,
        window_days=window_days,
        daily=daily,
    )


def window_coverage_notice(
    order_times: pd.Series, start: pd.Timestamp, window_days: int
) -> Notice | None:
    """A warning when the order log ends before the response window does.

    Orders after the file's end are missing in both arms alike, so conversions are undercounted
    and the lift is diluted (a report read before the window has closed, or a wrong --start).
    """
    end = start + pd.Timedelta(days=window_days)
    last = order_times.max() if len(order_times) else pd.NaT
    if pd.notna(last) and last >= end - pd.Timedelta(days=1):
        return None  # the file reaches into the window's last day
    window = {
        "window_first": f"{start:%Y-%m-%d}",
        "window_last": f"{end - pd.Timedelta(days=1):%Y-%m-%d}",
    }
    if pd.isna(last) or last < start:
        last_order = None if pd.isna(last) else f"{last:%Y-%m-%d}"
        return Notice("warning", "window_not_started", {"last_order": last_order, **window})
    covered = (last.normalize() - start.normalize()).days + 1
    return Notice(
        "warning",
        "window_not_covered",
        {
            "last_order": f"{last:%Y-%m-%d}",
            **window,
            "covered_days": covered,
            "window_days": window_days,
        },
    )


def pre_period_revenue(
    orders: pd.DataFrame, start: pd.Timestamp, lookback_days: int = PRE_PERIOD_DAYS
) -> pd.DataFrame:
    """Net revenue per customer in the ``lookback_days`` before ``start`` (a CUPED covariate)."""
    begin = start - pd.Timedelta(days=lookback_days)
    times = orders[ORDER_TIME]
    before = orders.loc[(times >= begin) & (times < start)]
    revenue = before.groupby(CUSTOMER_ID, sort=True)[AMOUNT].sum()
    return pd.DataFrame({CUSTOMER_ID: revenue.index, COVARIATE: revenue.to_numpy()})


@dataclass(frozen=True, slots=True)
class JoinedUnits:
    """Assignment joined to outcomes, with what the join dropped or filled."""

    units: pd.DataFrame
    unknown_customers: int
    customers_without_outcome: int


def join_outcomes(
    assignment: pd.DataFrame,
    outcomes: pd.DataFrame,
    covariate: pd.DataFrame | None = None,
) -> JoinedUnits:
    """Left-join outcomes onto the assignment (customer_id, segment, arm).

    Assigned customers without an outcome row did not respond: zeros. Outcome rows of customers
    not in the assignment are counted and ignored.
    """
    known = outcomes[CUSTOMER_ID].isin(assignment[CUSTOMER_ID])
    unknown = int((~known).sum())
    columns = [c for c in (CUSTOMER_ID, CONVERTED, REVENUE, ORDERS) if c in outcomes.columns]
    units = assignment[[CUSTOMER_ID, SEGMENT, ARM]].merge(
        outcomes.loc[known, columns], on=CUSTOMER_ID, how="left", validate="one_to_one"
    )
    missing = units[CONVERTED].isna()
    warn_arms_without_outcomes(units[ARM], ~missing)
    units[CONVERTED] = units[CONVERTED].fillna(0.0)
    if REVENUE in units.columns:
        units[REVENUE] = units[REVENUE].fillna(0.0)
    if ORDERS in units.columns:
        units[ORDERS] = units[ORDERS].fillna(0).astype("int64")
    if covariate is not None:
        units = units.merge(covariate[[CUSTOMER_ID, COVARIATE]], on=CUSTOMER_ID, how="left")
        units[COVARIATE] = units[COVARIATE].fillna(0.0)
    return JoinedUnits(units, unknown, int(missing.sum()))


UNMATCHED_EXPECTED = 10  # outcome rows an arm would have at the other arms' rate: 0 is no chance


def warn_arms_without_outcomes(arms: pd.Series, matched: pd.Series) -> None:
    """A warning per arm none of whose customers has an outcome row while the other arms'
    customers do, at a rate that would give it at least :data:`UNMATCHED_EXPECTED` rows (by
    chance less likely than 1 in 20,000): its ids are most likely written otherwise than the
    outcomes' ('+86 138...' against '138...'), and its rates would read as zero."""
    per_arm = pd.DataFrame({"arm": arms.to_numpy(), "matched": matched.to_numpy()})
    counts = per_arm.groupby("arm", sort=True)["matched"].agg(["size", "sum"])
    for arm, row in counts.iterrows():
        others = counts.drop(index=arm)
        if row["sum"] or not len(others) or not others["size"].sum():
            continue
        expected = row["size"] * others["sum"].sum() / others["size"].sum()
        if expected >= UNMATCHED_EXPECTED:
            params = {"arm": str(arm), "customers": int(row["size"]), "expected": expected}
            warnings.warn(
                DataWarning(Notice("warning", "arm_without_outcomes", params)), stacklevel=3
            )
