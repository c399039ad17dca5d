"""Benchmark `segment` at scale: 1M customers / 10M orders by default.

Generates an order log with vectorized numpy (skewed orders per customer, two years of times,
log-normal amounts, an order status and a refund per order) into a Parquet file in a temporary
folder, then, in a fresh child process (the peak memory printed, ru_maxrss, is that child's:
segmenting and the two plain queries, not the generator's):

1. a plain DuckDB ``GROUP BY customer_id`` (max time, count, sum) of the same file: the floor;
2. read + validate + count (status ``--exclude-status cancelled --exclude-status pending``,
   ``--refund-col refund``) + segment, what ``uplift-lab segment`` does;
3. the plain query again (the machine is shared: two floor timings show the noise; the ratio
   uses the faster one). The CPU time of step 2 is printed too: on a loaded machine it varies
   less than the wall time.

    python benchmarks/bench_segment.py                      # 1M customers, 10M orders
    python benchmarks/bench_segment.py --customers 100000 --orders 1000000
    python benchmarks/bench_segment.py --no-rules           # without status and refund rules

Targets: segment with the rules on at most 2x the plain GROUP BY; under 30 s and 4 GiB on 2 cores.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

AS_OF = "2026-07-01"


def generate_orders(n_customers: int, n_orders: int, seed: int) -> pa.Table:
    """A skewed order log: a few customers order often, most once or twice."""
    rng = np.random.default_rng(seed)
    weights = rng.pareto(1.5, size=n_customers) + 0.05
    owner = rng.choice(n_customers, size=n_orders, p=weights / weights.sum())
    ids = pa.array([f"C{i:08d}" for i in range(n_customers)], type=pa.string())
    start = np.datetime64("2024-07-01T00:00:00", "s")
    seconds = rng.integers(0, 2 * 365 * 86_400, size=n_orders)
    amount = np.round(rng.lognormal(3.0, 0.8, size=n_orders), 2)
    draw = rng.random(n_orders)
    refund = np.where(draw < 0.03, amount, np.where(draw < 0.07, np.round(amount * 0.3, 2), 0.0))
    statuses = pa.array(["paid", "cancelled", "pending"])
    status_code = np.searchsorted([0.94, 0.97], rng.random(n_orders), side="right")
    return pa.table(
        {
            "order_id": pa.array(np.arange(n_orders, dtype=np.int64)),
            "customer_id": ids.take(pa.array(owner)),
            "order_time": pa.array(start + seconds.astype("timedelta64[s]")),
            "amount": pa.array(amount),
            "status": statuses.take(pa.array(status_code)),
            "refund": pa.array(refund),
        }
    )


def peak_memory_gib() -> float:
    """Peak resident memory of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def cpu_seconds() -> float:
    """User + system CPU time of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def plain_group_by(orders_path: Path) -> tuple[float, float]:
    """The floor: one DuckDB pass over the file, per customer max time, count and sum.

    Returns (wall seconds, CPU seconds)."""
    import duckdb

    started, cpu = time.perf_counter(), cpu_seconds()
    with duckdb.connect() as con:
        con.sql(
            "SELECT customer_id, max(order_time), count(*), sum(amount) "
            f"FROM read_parquet('{orders_path}') GROUP BY customer_id"
        ).to_arrow_table()
    return time.perf_counter() - started, cpu_seconds() - cpu


def run_segment(orders_path: Path, out_path: Path, rules: bool) -> None:
    """The measured part, in a fresh process: read + validate + count + segment, then write."""
    from uplift_lab import io
    from uplift_lab.columnmap import resolve_inputs
    from uplift_lab.report.notice_text import order_counting_lines
    from uplift_lab.workflows.segment import segment_files

    inputs = None
    if rules:
        inputs = resolve_inputs(
            status_col="status", excluded_statuses=("cancelled", "pending"), refund_col="refund"
        )
    floor_before, floor_cpu_before = plain_group_by(orders_path)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    result = segment_files(orders_path, AS_OF, inputs=inputs)
    segmented = time.perf_counter()
    spent = resource.getrusage(resource.RUSAGE_SELF)
    io.write_table(result.table, out_path)
    written = time.perf_counter()
    floor_after, floor_cpu_after = plain_group_by(orders_path)
    floor = min(floor_before, floor_after)
    segment_cpu = spent.ru_utime - usage.ru_utime + spent.ru_stime - usage.ru_stime
    counts = result.lifecycle_summary.set_index("lifecycle")["customers"].to_dict()
    print(f"customers segmented:        {len(result.table):,}")
    print(f"lifecycle counts:           {counts}")
    if result.counting is not None:
        rules_done = "; ".join(order_counting_lines(result.counting)) or "none"
        print(f"order rules:                {rules_done}")
    print(f"plain DuckDB GROUP BY:      {floor_before:.2f} s before, {floor_after:.2f} s after")
    state = "on" if rules else "off"
    print(f"read + validate + segment:  {segmented - started:.2f} s (rules {state})")
    print(f"ratio to plain GROUP BY:    {(segmented - started) / floor:.2f}x (target <= 2x)")
    print(
        f"CPU time of segment:        user {spent.ru_utime - usage.ru_utime:.2f} s, system "
        f"{spent.ru_stime - usage.ru_stime:.2f} s (system: mostly first touches of fresh memory)"
    )
    floor_cpu = min(floor_cpu_before, floor_cpu_after)
    print(
        f"CPU time ratio:             {segment_cpu / floor_cpu:.2f}x (plain GROUP BY "
        f"{floor_cpu_before:.2f} / {floor_cpu_after:.2f} s; steadier than wall time under load)"
    )
    print(f"write Parquet output:       {written - segmented:.1f} s")
    print(f"peak memory (ru_maxrss):    {peak_memory_gib():.2f} GiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-rules", action="store_true", help="segment without order rules")
    parser.add_argument("--run", type=Path, help=argparse.SUPPRESS)  # child process mode
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_segment(args.run, args.out, rules=not args.no_rules)
        return

    with tempfile.TemporaryDirectory(prefix="bench_segment_") as folder:
        orders_path = Path(folder) / "orders.parquet"
        started = time.perf_counter()
        pq.write_table(generate_orders(args.customers, args.orders, args.seed), orders_path)
        print(
            f"generated {args.orders:,} orders of up to {args.customers:,} customers in "
            f"{time.perf_counter() - started:.1f} s ({orders_path.stat().st_size / 2**20:.0f} MiB)"
        )
        command = [sys.executable, __file__, "--run", str(orders_path)]
        command += ["--out", str(Path(folder) / "segments.parquet")]
        command += ["--no-rules"] if args.no_rules else []
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
