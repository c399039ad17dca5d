"""Cycle lifecycle stages on a real transaction log (CDNOW) against BG/NBD.

CDNOW (23,570 customers who first bought in Q1 1997, their purchases to June 1998) ships with
the `lifetimes` package, which also provides BG/NBD (`BetaGeoFitter`). For each as-of date:
segment with the default (cycle) thresholds from the history before it; the outcome is whether
the customer buys again in the following 181 days (the 6 months the log allows after
the later date). Printed: the AUC of
``-overdue_ratio`` and of BG/NBD's expected purchases in that window (fitted on the same
history, daily periods), of ``-recency_days`` (what the ratio ranks by when every customer has
the same expected gap), and the repurchase rate per lifecycle stage.

    pip install lifetimes   # not a dependency of uplift-lab; this script skips without it
    python benchmarks/bench_lifecycle_cdnow.py

Results are committed in benchmarks/results/lifecycle_cdnow.txt.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

AS_OF_DATES = ("1997-10-01", "1998-01-01")
HORIZON_DAYS = 181  # 1998-01-01 + 181 days is the end of the log (1998-06-30)
STAGES = ("new", "active", "semi_active", "silent", "churned")


def cdnow_orders() -> pd.DataFrame | None:
    """The CDNOW master log as canonical orders (None when lifetimes is not installed)."""
    try:
        import lifetimes
    except ImportError:
        return None
    path = Path(lifetimes.__file__).parent / "datasets" / "CDNOW_master.txt"
    raw = pd.read_csv(
        path,
        sep=r"\s+",
        header=0,
        names=["customer_id", "date", "cds", "amount"],
        dtype={"customer_id": str, "date": str},
    )
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"],
            "order_time": pd.to_datetime(raw["date"], format="%Y%m%d").astype("datetime64[us]"),
            "amount": raw["amount"].astype("float64"),
        }
    )


def bgnbd_expected_purchases(history: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """BG/NBD expected purchases in the next HORIZON_DAYS, per customer id."""
    from lifetimes import BetaGeoFitter
    from lifetimes.utils import summary_data_from_transaction_data

    summary = summary_data_from_transaction_data(
        history,
        "customer_id",
        "order_time",
        observation_period_end=as_of - pd.Timedelta(days=1),
        freq="D",
    )
    fitter = BetaGeoFitter(penalizer_coef=0.0).fit(
        summary["frequency"], summary["recency"], summary["T"]
    )
    expected = fitter.conditional_expected_number_of_purchases_up_to_time(
        HORIZON_DAYS, summary["frequency"], summary["recency"], summary["T"]
    )
    return pd.Series(np.asarray(expected), index=summary.index.astype(str))


def evaluate_as_of(orders: pd.DataFrame, as_of_text: str) -> list[str]:
    """Lines of the report for one as-of date."""
    from sklearn.metrics import roc_auc_score

    from uplift_lab.segment import segment_customers

    as_of = pd.Timestamp(as_of_text)
    end = as_of + pd.Timedelta(days=HORIZON_DAYS)
    history = orders[orders["order_time"] < as_of]
    future = orders[(orders["order_time"] >= as_of) & (orders["order_time"] < end)]
    result = segment_customers(history, as_of)
    table = result.table.set_index("customer_id")
    bought = table.index.isin(future["customer_id"].unique()).astype(int)
    expected = bgnbd_expected_purchases(history, as_of).reindex(table.index)
    auc_cycle = roc_auc_score(bought, -table["overdue_ratio"].to_numpy())
    auc_bgnbd = roc_auc_score(bought, expected.to_numpy())
    auc_recency = roc_auc_score(bought, -table["recency_days"].to_numpy())
    shop = result.cycle_model.shop
    lines = [
        f"as of {as_of.date()}: {len(table):,} customers, {int(bought.sum()):,} buy again in "
        f"{as_of.date()}..{(end - pd.Timedelta(days=1)).date()} ({bought.mean():.1%})",
        f"  thresholds: {result.thresholds.source}, {result.thresholds.repeat_buyers:,} repeat "
        f"buyers; shop prior mean gap {shop.mean_gap_days:.1f} d (alpha {shop.alpha:.2f}, "
        f"kappa {shop.kappa:.2f})",
        f"  AUC  -overdue_ratio:          {auc_cycle:.4f}",
        f"  AUC  BG/NBD expected purchases: {auc_bgnbd:.4f}",
        f"  AUC  -recency_days:           {auc_recency:.4f}  (-overdue_ratio, one gap for all)",
        "  stage         customers   buy again",
    ]
    frame = pd.DataFrame({"lifecycle": table["lifecycle"].to_numpy(), "bought": bought})
    rates = frame.groupby("lifecycle")["bought"].agg(["size", "mean"])
    for stage in STAGES:
        if stage in rates.index:
            size, rate = rates.loc[stage]
            lines.append(f"  {stage:<12} {int(size):>10,} {rate:>10.1%}")
    return lines


def main() -> None:
    orders = cdnow_orders()
    if orders is None:
        print("skipped: the lifetimes package (CDNOW data, BG/NBD) is not installed")
        sys.exit(0)
    print(f"CDNOW master: {len(orders):,} orders, {orders['customer_id'].nunique():,} customers")
    print(f"outcome: any order in the {HORIZON_DAYS} days from the as-of date")
    for as_of in AS_OF_DATES:
        print()
        print("\n".join(evaluate_as_of(orders, as_of)))


if __name__ == "__main__":
    main()
