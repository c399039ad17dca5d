"""Benchmark `target`'s optimizer: N customers x 3 channels (default 10M), seconds and peak memory.

    python benchmarks/bench_target.py                 # 10M customers, arrays (the optimizer)
    python benchmarks/bench_target.py -n 1000000      # smaller
    python benchmarks/bench_target.py --frame         # also the DataFrame plan (ids, eligibility,
                                                      # opt-outs, summaries, comparisons)

Goal (issue 6): 10M customers x 3 channels under 30 s on 2 cores and under 4 GiB.
Peak memory is the process's maximum resident set size (ru_maxrss), inputs included.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np
import pandas as pd

from uplift_lab.target import Channel, TargetConfig, option_economics, plan_campaign, select_offers

CHANNELS = (
    Channel("mms", 0.20, response=1.4),
    Channel("sms", 0.05, coupon=2.0),
    Channel("edm", 0.01, response=0.35),
)


def peak_gib() -> float:
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**30


def synthetic_scores(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel incremental revenue (heavy-tailed, 15% negative) and P(convert | sent)."""
    rng = np.random.default_rng(seed)
    base = rng.lognormal(0.0, 1.0, n) * np.where(rng.random(n) < 0.15, -0.5, 1.0)
    revenue = np.empty((n, len(CHANNELS)))
    for j, channel in enumerate(CHANNELS):
        revenue[:, j] = base * channel.response * rng.uniform(0.8, 1.2, n)
    p_convert = rng.uniform(0.0, 0.2, (n, len(CHANNELS)))
    return revenue, p_convert


def bench_arrays(n: int, seed: int) -> None:
    revenue, p_convert = synthetic_scores(n, seed)
    allowed = np.random.default_rng(seed + 1).random((n, len(CHANNELS))) < 0.85
    budget = 0.02 * n  # binding: about a third of the profitable customers fit
    print(f"inputs ready: {n:,} customers x {len(CHANNELS)} channels, peak {peak_gib():.2f} GiB")
    started = time.perf_counter()
    profit, cost = option_economics(
        revenue,
        p_convert,
        [c.message_cost for c in CHANNELS],
        [c.coupon for c in CHANNELS],
        margin=0.3,
    )
    del revenue, p_convert
    selection = select_offers(profit, cost, allowed, budget=budget)
    seconds = time.perf_counter() - started
    print(
        f"optimizer: {seconds:.1f} s, peak {peak_gib():.2f} GiB; selected "
        f"{selection.n_selected:,}, spent {selection.spent:,.0f} of {budget:,.0f}, "
        f"gap to LP bound {selection.optimality_gap:.4f} ({selection.stop_reason})"
    )


def bench_frame(n: int, seed: int) -> None:
    revenue, p_convert = synthetic_scores(n, seed)
    rng = np.random.default_rng(seed + 2)
    ids = pd.Series(np.char.add("C", np.arange(n).astype(str)), dtype="string")
    scores = pd.DataFrame(
        {
            "customer_id": ids,
            "uplift_revenue": revenue[:, 1],
            "uplift_revenue_mms": revenue[:, 0],
            "uplift_revenue_edm": revenue[:, 2],
            "p_treated": p_convert[:, 1],
        }
    )
    del revenue, p_convert
    segments = pd.DataFrame(
        {
            "customer_id": ids,
            "lifecycle": pd.Categorical.from_codes(
                rng.integers(0, 3, n), ["active", "semi_active", "silent"]
            ),
            "sms_opt_in": rng.integers(0, 2, n, dtype=np.int8),
            "email_opt_in": rng.integers(0, 2, n, dtype=np.int8),
            "rfm_score": rng.integers(3, 16, n, dtype=np.int8),
        }
    )
    config = TargetConfig(CHANNELS, budget=0.01 * n, margin=0.3)
    print(f"frames ready, peak {peak_gib():.2f} GiB")
    started = time.perf_counter()
    plan = plan_campaign(scores, config, segments)
    seconds = time.perf_counter() - started
    print(
        f"plan_campaign (frames): {seconds:.1f} s, peak {peak_gib():.2f} GiB; "
        f"selected {len(plan.selected):,}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000_000, help="customers (default 10M)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--frame", action="store_true", help="benchmark the DataFrame plan too")
    args = parser.parse_args()
    bench_arrays(args.n, args.seed)
    if args.frame:
        bench_frame(args.n, args.seed)


if __name__ == "__main__":
    main()
