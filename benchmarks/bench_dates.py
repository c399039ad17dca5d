"""Benchmark reading date/time text columns: 10M values by default, in each layout shops export.

ISO 8601 takes Arrow's vectorised cast; day-first text is read with one strftime format after
both day-first and month-first readings are tried on every value; "+08:00" text is converted to
the first value's offset. Prints seconds per layout.

    python benchmarks/bench_dates.py              # 10M values
    python benchmarks/bench_dates.py --rows 2000000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import pyarrow as pa

from uplift_lab.timeparse import TimeParsing, parse_times

LAYOUTS = {
    "ISO 8601 (2026-05-03 21:30:00)": ("%Y-%m-%d %H:%M:%S", TimeParsing()),
    "day-first (03/05/2026 21:30:00)": ("%d/%m/%Y %H:%M:%S", TimeParsing()),
    "day-first date (03/05/2026)": ("%d/%m/%Y", TimeParsing()),
    "offset (2026-05-03 21:30:00+08:00)": ("%Y-%m-%d %H:%M:%S+08:00", TimeParsing()),
    "offset to --timezone Asia/Shanghai": (
        "%Y-%m-%dT%H:%M:%SZ",
        TimeParsing(timezone="Asia/Shanghai"),
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    seconds = rng.integers(0, 2 * 365 * 86_400, size=args.rows)
    times = pd.Timestamp("2024-07-01") + pd.to_timedelta(seconds, unit="s")
    for label, (fmt, parsing) in LAYOUTS.items():
        text = pa.chunked_array([pa.array(times.strftime(fmt), type=pa.string())])
        started = time.perf_counter()
        parsed = parse_times(text, "bench", "order_time", parsing)
        elapsed = time.perf_counter() - started
        assert parsed.null_count == 0
        print(f"{label:<38} {args.rows:>11,} values  {elapsed:6.1f} s")


if __name__ == "__main__":
    main()
