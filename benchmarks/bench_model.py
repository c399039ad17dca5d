"""Benchmark: train + 5-fold evaluate on 1M customers, then score 10M; seconds and peak memory.

Targets (issue 5): train + evaluate under 3 min, scoring 10M under 60 s, under 6 GiB, on 2 cores.

    python benchmarks/bench_model.py                       # full size
    python benchmarks/bench_model.py --customers 50000 --score-customers 200000   # quick

The campaign is simulated (randomized 50/50, heterogeneous effect, 8 features of which 2 are
categorical) so the benchmark does not depend on the shop generator's speed. Peak memory is the
process's maximum resident set size (``ru_maxrss``) after each stage.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from uplift_lab import io
from uplift_lab.uplift.data import table_training_data
from uplift_lab.uplift.models import LightGBMSettings
from uplift_lab.uplift.store import load_model, save_model, score_file
from uplift_lab.uplift.train import evaluate_held_out, train_uplift_model

REGIONS = np.array(["east", "north", "south", "west", "central"])
STAGES = np.array(["new", "active", "semi_active", "silent", "churned"])


def customers(n: int, seed: int, offset: int = 0) -> pd.DataFrame:
    """``n`` customers with features (no arm or outcome)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "customer_id": np.char.add("c", np.arange(offset, offset + n).astype(str)),
            "recency_days": rng.exponential(60.0, n),
            "frequency": rng.poisson(3.0, n).astype(float),
            "monetary": rng.gamma(2.0, 150.0, n),
            "aov": rng.gamma(3.0, 40.0, n),
            "age": rng.integers(18, 70, n).astype(float),
            "days_since_last_event": rng.exponential(30.0, n),
            "region": REGIONS[rng.integers(0, len(REGIONS), n)],
            "lifecycle": STAGES[rng.integers(0, len(STAGES), n)],
        }
    )


def campaign(n: int, seed: int) -> pd.DataFrame:
    """A randomized 50/50 campaign on ``n`` customers with a planted heterogeneous effect."""
    frame = customers(n, seed)
    rng = np.random.default_rng(seed + 1)
    treated = rng.uniform(size=n) < 0.5
    uplift = 0.04 * np.exp(-frame["days_since_last_event"].to_numpy() / 30.0) + 0.02 * (
        frame["lifecycle"].to_numpy() == "semi_active"
    )
    p = np.clip(0.05 + 0.01 * frame["frequency"].to_numpy() + treated * uplift, 0, 1)
    converted = rng.uniform(size=n) < p
    frame["arm"] = np.where(treated, "send", "control")
    frame["converted"] = converted.astype(int)
    frame["spend"] = converted * rng.gamma(2.0, frame["aov"].to_numpy() / 2.0)
    return frame


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--score-customers", type=int, default=10_000_000)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--model", default="two")
    parser.add_argument("--revenue-model", default="decomposition")
    parser.add_argument("--max-rounds", type=int, default=300)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench_model.") as work:
        run(args, Path(work))


def run(args: argparse.Namespace, work: Path) -> None:
    """Train, evaluate and score in ``work`` (a temporary folder removed afterwards)."""
    frame = campaign(args.customers, seed=0)
    data = table_training_data(
        frame,
        "benchmark",
        treatment_col="arm",
        control="control",
        outcome_col="converted",
        revenue_col="spend",
        id_col="customer_id",
    )
    del frame
    print(f"data: {args.customers:,} customers, {len(data.specs)} features; work dir {work}")

    start = time.perf_counter()
    result = train_uplift_model(
        data,
        conversion_model=args.model,
        revenue_model=args.revenue_model,
        n_folds=args.folds,
        settings=LightGBMSettings(max_rounds=args.max_rounds),
    )
    trained = time.perf_counter() - start
    save_model(result.model, work / "model", cv_predictions=result.cv_predictions)
    description = io.read_json(work / "model" / "model.json")
    start = time.perf_counter()
    evaluations = evaluate_held_out(result.cv_predictions, description)
    evaluated = time.perf_counter() - start
    qini = {
        f"{arm}/{target}": round(float(e.scores[0].summary.loc["qini_coefficient", "mean"]), 4)
        for arm, target, e in evaluations
    }
    print(
        f"train ({args.folds}-fold CV + final fit, {args.model}/{args.revenue_model}): "
        f"{trained:.1f} s; evaluate: {evaluated:.1f} s; total {trained + evaluated:.1f} s; "
        f"held-out Qini {qini}; peak RSS {peak_gib():.2f} GiB"
    )
    del data, result, evaluations

    path = work / "score_customers.parquet"
    chunk = 1_000_000
    start = time.perf_counter()
    io.write_table_batches(
        (
            customers(min(chunk, args.score_customers - offset), seed=offset + 7, offset=offset)
            for offset in range(0, args.score_customers, chunk)
        ),
        path,
    )
    written = time.perf_counter() - start
    print(f"wrote {args.score_customers:,} customers to score in {written:.1f} s")

    start = time.perf_counter()
    summary = score_file(load_model(work / "model"), path, work / "scores.parquet")
    scored = time.perf_counter() - start
    print(
        f"score: {summary.rows:,} customers in {scored:.1f} s "
        f"({summary.rows / scored / 1e6:.2f} M/s); peak RSS {peak_gib():.2f} GiB"
    )


if __name__ == "__main__":
    sys.exit(main())
