"""Benchmark DuckDB vs Spark (local[2]) per step: 1M customers / 10M orders by default.

Generates a customer table (customer_id, lifecycle, recency_days, frequency, monetary, two
features) and an order log (customer_id, order_time, amount) as Parquet in a temporary folder,
then times each step on both engines and checks that they agree:

1. ``design`` (10% holdout per lifecycle stage): assignment.parquet byte-identical;
2. ``analyze`` of that experiment against the orders (14-day window): the same cells;
3. ``score`` with a small uplift model trained on a 20k sample: the same scores;
4. ``target`` on drawn scores for every customer: one channel (a threshold, then the exact
   boundary: the same send plan) and three channels with coupons (the Lagrangian price: the
   profits of the two plans, within the reported gaps);
5. ``segment`` of the orders, when ``uplift_lab.spark.segment`` exists (another branch adds it;
   without it the row is skipped with a note).

The Spark session is started once before the first step (its JVM start-up is printed on its own
line, not charged to a step). ``--steps`` picks steps (e.g. ``--steps analyze,target``).

    python benchmarks/bench_spark.py                                  # 1M customers, 10M orders
    python benchmarks/bench_spark.py --customers 100000 --orders 1000000 --master 'local[2]'
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

STEPS = ("design", "analyze", "score", "target", "segment")
STAGES = ("potential", "new", "active", "semi_active", "silent", "churned")
START = pd.Timestamp("2026-08-21")


def generate(folder: Path, n_customers: int, n_orders: int, seed: int) -> None:
    """customers.parquet (with a past campaign's arm and outcomes) and orders.parquet."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"C{i:08d}" for i in range(n_customers)])
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "lifecycle": rng.choice(STAGES, n_customers, p=[0.15, 0.05, 0.3, 0.15, 0.15, 0.2]),
            "recency_days": rng.integers(0, 720, n_customers).astype(float),
            "frequency": rng.poisson(3, n_customers),
            "monetary": np.round(rng.lognormal(5, 1, n_customers), 2),
            "x1": rng.random(n_customers),
            "x2": rng.random(n_customers),
        }
    )
    customers.to_parquet(folder / "customers.parquet", index=False)
    weights = rng.pareto(1.5, n_customers) + 0.05
    owner = rng.choice(n_customers, size=n_orders, p=weights / weights.sum())
    seconds = rng.integers(-365 * 86_400, 30 * 86_400, size=n_orders)
    orders = pa.table(
        {
            "customer_id": pa.array(ids[owner]),
            "order_time": pa.array(
                (np.datetime64(START.to_datetime64(), "s") + seconds).astype("datetime64[us]")
            ),
            "amount": np.round(rng.lognormal(3.0, 0.8, n_orders), 2),
        }
    )
    pq.write_table(orders, folder / "orders.parquet")


def timed(label: str, func):
    began = time.perf_counter()
    result = func()
    print(f"  {label:<8} {time.perf_counter() - began:8.1f} s", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--steps", default=",".join(STEPS), help="comma-separated, of " + ", ".join(STEPS)
    )
    args = parser.parse_args()
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = sorted(set(steps) - set(STEPS))
    if unknown or not steps:
        parser.error(f"--steps: unknown {', '.join(unknown)}; choose from {', '.join(STEPS)}")

    from uplift_lab import analyze
    from uplift_lab.spark.session import spark_session
    from uplift_lab.workflows.analyze_command import analyze_folder_on_spark
    from uplift_lab.workflows.design import create_experiment, create_experiment_spark

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        began = time.perf_counter()
        generate(root, args.customers, args.orders, args.seed)
        print(f"generated {args.customers:,} customers, {args.orders:,} orders in "
              f"{time.perf_counter() - began:.1f} s")  # fmt: skip
        began = time.perf_counter()
        spark = spark_session(args.master)
        print(f"Spark session ({args.master}) started in {time.perf_counter() - began:.1f} s")

        source = root / "customers.parquet"
        if "design" in steps or "analyze" in steps:
            _design(root, spark, source, create_experiment, create_experiment_spark)
        if "analyze" in steps:
            _analyze(root, spark, analyze, analyze_folder_on_spark)
        if "score" in steps:
            _score(root, spark, source, args.seed)
        if "target" in steps:
            _target(root, spark, args.customers, args.seed)
        if "segment" in steps:
            _segment(root, spark)
        spark.stop()


def _design(root: Path, spark, source: Path, create_experiment, create_experiment_spark) -> None:
    print("design (10% holdout per lifecycle stage)")
    options = {"name": "bench", "strata": ["lifecycle"], "holdout": 0.1}
    timed("duckdb", lambda: create_experiment(source, out=root / "e_duck", **options))
    timed("spark", lambda: create_experiment_spark(source, out=root / "e_spark",
                                                  spark=spark, **options))  # fmt: skip
    same = (root / "e_duck" / "assignment.parquet").read_bytes() == (
        root / "e_spark" / "assignment.parquet"
    ).read_bytes()
    print(f"  assignment byte-identical: {same}")


def _analyze(root: Path, spark, analyze, analyze_folder_on_spark) -> None:
    from uplift_lab.workflows.analyze import analyze_experiment_folder

    print("analyze (14-day window from the orders)")
    settings = analyze.AnalysisOptions(control="", costs={"send": 0.05}, margin=0.3)
    orders = root / "orders.parquet"
    run = {"start": START.date().isoformat(), "window_days": 14}
    duck = timed("duckdb", lambda: analyze_experiment_folder(
        root / "e_duck", orders, settings, **run))  # fmt: skip
    on_spark = timed("spark", lambda: analyze_folder_on_spark(
        spark, root / "e_duck", orders, settings, **run))  # fmt: skip
    gap = max(
        abs(a.conversion.difference - b.conversion.difference)
        for a, b in zip(duck.comparisons, on_spark.comparisons, strict=True)
    )
    print(f"  largest difference of a conversion lift: {gap:.2e}")


def _score(root: Path, spark, source: Path, seed: int) -> None:
    from uplift_lab.uplift.train import train_uplift_model
    from uplift_lab.workflows.model_folder import load_model, save_model
    from uplift_lab.workflows.score import score_file, score_on_spark

    print("score (model trained on a 20k sample)")
    model_dir = _train_sample(root, seed, train_uplift_model, save_model)
    timed("duckdb", lambda: score_file(load_model(model_dir), source, root / "s_duck.parquet"))
    timed("spark", lambda: score_on_spark(spark, model_dir, source, root / "s_spark.parquet"))
    a = pd.read_parquet(root / "s_duck.parquet")
    b = pd.read_parquet(root / "s_spark.parquet")
    b = b.set_index("customer_id").loc[a["customer_id"]].reset_index()
    print(f"  scores equal: {a.equals(b)}")


def _target(root: Path, spark, n_customers: int, seed: int) -> None:
    """Drawn scores for every customer; the plan on both engines, one and three channels."""
    from uplift_lab.spark.target import plan_campaign_spark
    from uplift_lab.target import Channel, TargetConfig, plan_campaign

    rng = np.random.default_rng(seed + 2)
    ids = pd.read_parquet(root / "customers.parquet", columns=["customer_id", "lifecycle"])
    scores = pd.DataFrame(
        {
            "customer_id": ids["customer_id"],
            "uplift_revenue": rng.normal(1.0, 3.0, n_customers),
            "uplift_conversion": rng.normal(0.01, 0.02, n_customers),
            "p_control": rng.uniform(0.0, 0.2, n_customers),
        }
    )
    scores.to_parquet(root / "scores.parquet", index=False)
    spark_scores = spark.read.parquet(str(root / "scores.parquet"))
    spark_segments = spark.read.parquet(str(root / "customers.parquet")).select(
        "customer_id", "lifecycle"
    )
    budget = 0.002 * n_customers  # a few percent of the customers worth a message
    plans = {
        "one channel (sms 0.05)": (Channel("sms", 0.05),),
        "three channels, coupons": (Channel("sms", 0.05, coupon=2.0),
                                    Channel("mms", 0.15, response=1.4),
                                    Channel("edm", 0.01, response=0.35)),
    }  # fmt: skip
    for label, channels in plans.items():
        print(f"target, {label}, budget {budget:,.0f}")
        config = TargetConfig(channels=channels, budget=budget, margin=0.3)
        duck = timed("duckdb", lambda c=config: plan_campaign(scores, c, ids))
        on_spark = timed(
            "spark", lambda c=config: plan_campaign_spark(spark_scores, c, spark_segments)
        )
        a, b = duck.selection, on_spark.selection
        same = duck.selected["customer_id"].equals(on_spark.selected["customer_id"])
        print(f"  customers {a.n_selected:,} / {b.n_selected:,}, same send plan: {same}; "
              f"profit {a.expected_profit:,.2f} / {b.expected_profit:,.2f}, reported gap "
              f"{a.optimality_gap:,.2f} / {b.optimality_gap:,.2f}")  # fmt: skip


def _segment(root: Path, spark) -> None:
    """segment on both engines, when the Spark path exists (uplift_lab.spark.segment)."""
    import importlib.util
    import inspect

    if importlib.util.find_spec("uplift_lab.spark.segment") is None:
        print("segment: skipped (uplift_lab.spark.segment is not on this branch yet)")
        return
    try:
        from uplift_lab.workflows.segment import segment_files
    except ImportError:
        from uplift_lab.segment import segment_files
    if "spark" not in inspect.signature(segment_files).parameters:
        print("segment: skipped (segment_files takes no spark session on this branch)")
        return
    print("segment (orders as of the campaign start)")
    orders = root / "orders.parquet"
    duck = timed("duckdb", lambda: segment_files(orders, START))
    on_spark = timed("spark", lambda: segment_files(orders, START, spark=spark))
    left = duck.table.sort_values("customer_id").reset_index(drop=True)
    right = on_spark.table.sort_values("customer_id").reset_index(drop=True)
    print(f"  segment tables equal: {left.equals(right)}")


def _train_sample(root: Path, seed: int, train_uplift_model, save_model) -> Path:
    """A small two-model uplift model on x1, x2 of a 20k random campaign (a few seconds)."""
    from uplift_lab.uplift.data import table_training_data
    from uplift_lab.uplift.models import LightGBMSettings

    rng = np.random.default_rng(seed + 1)
    n = 20_000
    x1, x2 = rng.random(n), rng.random(n)
    treated = rng.random(n) < 0.5
    converted = (rng.random(n) < 0.05 + 0.05 * x1 * treated).astype(int)
    frame = pd.DataFrame(
        {
            "customer_id": [f"T{i:07d}" for i in range(n)],
            "x1": x1,
            "x2": x2,
            "arm": np.where(treated, "send", "control"),
            "converted": converted,
        }
    )
    data = table_training_data(
        frame, "sample", treatment_col="arm", control="control", outcome_col="converted",
        id_col="customer_id",
    )  # fmt: skip
    result = train_uplift_model(data, conversion_model="solo", n_folds=2,
                                settings=LightGBMSettings(max_rounds=60))  # fmt: skip
    folder = root / "model"
    save_model(result.model, folder, cv_predictions=result.cv_predictions)
    return folder


if __name__ == "__main__":
    main()
