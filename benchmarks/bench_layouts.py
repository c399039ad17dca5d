"""Benchmark reading one order log in the layouts real files come in: comma-separated with a
header (Arrow's reader), header-less with a column map's names (Arrow's reader, names given),
and aligned with runs of spaces as CDNOW's master file (pandas' C reader: Arrow splits on one
character). Prints seconds and rows per layout, timed in the same run.

    python benchmarks/bench_layouts.py              # 5M orders
    python benchmarks/bench_layouts.py --rows 1000000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from uplift_lab import io
from uplift_lab.file_layout import FileLayout

NAMES = ("customer_id", "order_time", "quantity", "amount")


def cdnow_like(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.Timestamp("1997-01-01") + pd.to_timedelta(rng.integers(0, 540, rows), unit="D")
    return pd.DataFrame(
        {
            "customer_id": pd.Series(rng.integers(1, rows // 3 + 2, rows)).map("{:05d}".format),
            "order_time": days.strftime("%Y%m%d"),
            "quantity": rng.integers(1, 10, rows),
            "amount": np.round(rng.gamma(2.0, 15.0, rows), 2),
        }
    )


def write_layouts(frame: pd.DataFrame, folder: Path) -> dict[str, tuple[Path, FileLayout]]:
    comma = folder / "orders.csv"
    frame.to_csv(comma, index=False)
    headerless = folder / "headerless.csv"
    frame.to_csv(headerless, index=False, header=False)
    aligned = folder / "aligned.txt"
    with open(aligned, "w", encoding="utf-8") as handle:
        for row in frame.itertuples(index=False):
            handle.write(f" {row[0]} {row[1]}  {row[2]:>2} {row[3]:>8.2f}\n")
    names = FileLayout(names=NAMES)
    return {
        "comma, header line": (comma, FileLayout()),
        "comma, no header (names)": (headerless, names),
        "runs of spaces, no header (names)": (aligned, names),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    frame = cdnow_like(args.rows, args.seed)
    with tempfile.TemporaryDirectory() as folder:
        for label, (path, layout) in write_layouts(frame, Path(folder)).items():
            started = time.perf_counter()
            table = io.read_arrow(path, string_columns=["customer_id"], file_layout=layout)
            elapsed = time.perf_counter() - started
            assert table.num_rows == args.rows and table.column_names == list(NAMES)
            size = path.stat().st_size / 1e6
            print(f"{label:<36} {args.rows:>11,} rows {size:7.0f} MB  {elapsed:6.2f} s")


if __name__ == "__main__":
    main()
