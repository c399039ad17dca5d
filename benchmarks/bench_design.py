"""Time and peak memory of `design` on a large customer table (default 10M customers, 12 strata).

Usage: python benchmarks/bench_design.py [--customers 10000000] [--strata 12] [--out DIR]

Prints wall-clock and CPU seconds per phase (design = hashing, exact allocation, power and
balance; then writing the experiment folder) and the process's peak resident memory. The table is
generated in memory first (not timed). Target: under 20 s for 10M customers on 2 cores. On a
shared machine compare CPU seconds too: wall time then includes waiting for a core.
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

from uplift_lab.design import design_experiment
from uplift_lab.workflows.experiment_folder import write_experiment


def synthetic_customers(n: int, n_strata: int, seed: int = 0) -> pd.DataFrame:
    """Customers with string ids, a lifecycle-like stratum and RFM-like covariates."""
    rng = np.random.default_rng(seed)
    ids = pd.Series(np.char.add("C", rng.permutation(n).astype("U10")), dtype="str")
    stratum_names = np.array([f"stratum_{i:02d}" for i in range(n_strata)])
    weights = rng.dirichlet(np.full(n_strata, 2.0))
    return pd.DataFrame(
        {
            "customer_id": ids,
            "lifecycle": pd.Series(stratum_names[rng.choice(n_strata, n, p=weights)], dtype="str"),
            "recency_days": rng.exponential(90.0, n).round(),
            "frequency": rng.poisson(3.0, n).astype("int64"),
            "monetary": rng.lognormal(4.0, 1.0, n).round(2),
        }
    )


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000_000)
    parser.add_argument("--strata", type=int, default=12)
    parser.add_argument("--out", type=Path, default=None, help="folder (default: a temp folder)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    customers = synthetic_customers(args.customers, args.strata)
    print(
        f"generated {len(customers):,} customers in {args.strata} strata: "
        f"{time.perf_counter() - start:.1f} s (not counted), peak RSS {peak_rss_mib():,.0f} MiB"
    )
    base_rss = peak_rss_mib()

    import statsmodels.stats.power  # noqa: F401  (import time is not the design's cost)

    start, cpu = time.perf_counter(), time.process_time()
    design = design_experiment(customers, name="bench", holdout=0.1, target_lift=0.005)
    design_seconds, design_cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"design (assign+power+balance): {design_seconds:6.1f} s wall, {design_cpu:6.1f} s CPU")

    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "bench"
        start, cpu = time.perf_counter(), time.process_time()
        write_experiment(design, out, force=True)
        write_seconds, write_cpu = time.perf_counter() - start, time.process_time() - cpu
        size = (out / "assignment.parquet").stat().st_size
    print(
        f"write folder (parquet+json):   {write_seconds:6.1f} s wall, {write_cpu:6.1f} s CPU"
        f" ({size / 2**20:,.0f} MiB parquet)"
    )
    print(
        f"TOTAL design + write:          {design_seconds + write_seconds:6.1f} s wall,"
        f" {design_cpu + write_cpu:6.1f} s CPU (target < 20 s wall on 2 cores);"
        f" peak RSS {peak_rss_mib():,.0f} MiB (input table alone: {base_rss:,.0f} MiB)"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
