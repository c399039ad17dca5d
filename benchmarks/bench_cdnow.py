"""Cycle lifecycle on a real transaction log (CDNOW) through the CLI, against BG/NBD.

CDNOW_master.txt (69,659 purchases of the 23,570 customers who first bought at CDNOW in Q1 1997,
up to 30 June 1998; customer id, date, number of CDs, dollars) ships inside the `lifetimes`
wheel::

    pip download --no-deps lifetimes -d /tmp/lt
    unzip -o /tmp/lt/Lifetimes-0.11.3-py3-none-any.whl \
        'lifetimes/datasets/CDNOW_master.txt' -d /tmp/lt

This script runs ``uplift-lab segment CDNOW_master.txt --as-of AS_OF`` on the file as it is
(columns aligned with spaces, YYYYMMDD integer dates; its own column names mapped with
``--time-col``/``--amount-col``, or named with a column map where it has no header line; later
orders are ignored), converts it to an orders CSV for BG/NBD in a temporary folder, labels who buys
again in the HORIZON_DAYS from the as-of date, and prints

(a) the AUC of ``-overdue_ratio`` for "buys again" (with ``-recency_days`` beside it: what the
    ratio ranks by when every customer has the same expected gap);
(b) the repurchase rate per lifecycle stage (it should fall active > semi_active > silent >
    churned);
(c) the AUC of BG/NBD's expected purchases in the same window, fitted on the same history with
    `lifetimes` (daily periods), when `lifetimes` is importable here or in ``--lifetimes-python``
    (lifetimes 0.11 needs old pandas/numpy; keep it in a throwaway venv, it is no dependency)::

    python3.11 -m venv /tmp/ltvenv
    /tmp/ltvenv/bin/pip install numpy==1.23.5 pandas==1.5.3 scipy==1.10.1 autograd dill \\
        /tmp/lt/Lifetimes-0.11.3-py3-none-any.whl

    python benchmarks/bench_cdnow.py --cdnow /tmp/lt/lifetimes/datasets/CDNOW_master.txt \\
        --lifetimes-python /tmp/ltvenv/bin/python

The file can also be named by CDNOW_MASTER, the interpreter by LIFETIMES_PYTHON; without the
file the script prints why and exits 0. Default as-of 1998-01-01 (history: 1 January to 31
December 1997): every customer has at least nine months of history, and the following 181 days
(1 January to 30 June 1998) are exactly the rest of the log. The figures are committed in
reports/cdnow/README.md.

The child mode ``--bgnbd-scores ORDERS.csv AS_OF OUT.csv`` (what ``--lifetimes-python`` runs)
needs only numpy, pandas and lifetimes: it imports nothing of uplift-lab.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

AS_OF = "1998-01-01"
HORIZON_DAYS = 181  # 1998-01-01 + 181 days = 1998-07-01, the day after the log ends
STAGES = ("active", "semi_active", "silent", "churned", "new")
SKIP_MESSAGE = (
    "skipped: no CDNOW_master.txt (pass --cdnow PATH or set CDNOW_MASTER; it ships in the "
    "lifetimes wheel: pip download --no-deps lifetimes -d /tmp/lt)"
)


def read_cdnow(path: Path) -> pd.DataFrame:
    """CDNOW_master.txt (whitespace-separated; a header line or none) as canonical orders."""
    with open(path, encoding="utf-8") as handle:
        has_header = not handle.readline().strip()[:1].isdigit()
    raw = pd.read_csv(
        path,
        sep=r"\s+",
        header=0 if has_header else None,
        names=["customer_id", "date", "cds", "amount"],
        dtype={"customer_id": str, "date": str},
    )
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"],
            "order_time": pd.to_datetime(raw["date"], format="%Y%m%d").dt.strftime("%Y-%m-%d"),
            "amount": raw["amount"].astype("float64"),
        }
    )


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U with mid-ranks for ties)."""
    labels = np.asarray(labels, dtype=bool)
    ranks = pd.Series(np.asarray(scores, dtype="float64")).rank(method="average").to_numpy()
    positives, negatives = labels.sum(), (~labels).sum()
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def bought_again(orders: pd.DataFrame, ids: pd.Index, as_of: pd.Timestamp) -> np.ndarray:
    """1 for each id with an order in [as_of, as_of + HORIZON_DAYS), else 0."""
    times = pd.to_datetime(orders["order_time"])
    future = orders.loc[(times >= as_of) & (times < as_of + pd.Timedelta(days=HORIZON_DAYS))]
    return ids.isin(future["customer_id"].unique()).astype(int)


def run_segment(master: Path, as_of: str, out: Path) -> pd.DataFrame:
    """``uplift-lab segment`` run on the master file itself, as a user runs it (default
    thresholds; the file's own columns mapped, or named where it has no header line), its
    table by customer."""
    with open(master, encoding="utf-8") as handle:
        has_header = not handle.readline().strip()[:1].isdigit()
    command = [sys.executable, "-c", "from uplift_lab.cli import main; main()"]
    command += ["segment", str(master), "--as-of", as_of, "--out", str(out)]
    if has_header:  # lifetimes' copy: customer_id date number_of_cds dollar_value
        command += ["--time-col", "date", "--amount-col", "dollar_value"]
    else:
        names = out.parent / "cdnow.toml"
        names.write_text('[orders]\nnames = ["customer_id", "order_time", "cds", "amount"]\n')
        command += ["--columns", str(names)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    shown = " ".join(command[3:]).replace(str(out.parent), "$TMP")
    print("$ uplift-lab " + shown.replace(str(master.parent), "$DATA"))
    table = pd.read_csv(out, dtype={"customer_id": str})
    return table.set_index("customer_id")


def bgnbd_scores(orders_csv: Path, as_of: str, out_csv: Path) -> None:
    """Fit BG/NBD (lifetimes, daily periods) on the orders before ``as_of``; write each
    customer's expected purchases in the next HORIZON_DAYS to ``out_csv``."""
    from lifetimes import BetaGeoFitter
    from lifetimes.utils import summary_data_from_transaction_data

    orders = pd.read_csv(orders_csv, dtype={"customer_id": str})
    orders["order_time"] = pd.to_datetime(orders["order_time"])
    cut = pd.Timestamp(as_of)
    history = orders[orders["order_time"] < cut]
    summary = summary_data_from_transaction_data(
        history,
        "customer_id",
        "order_time",
        observation_period_end=cut - pd.Timedelta(days=1),
        freq="D",
    )
    fitter = BetaGeoFitter(penalizer_coef=0.0)
    fitter.fit(summary["frequency"], summary["recency"], summary["T"])
    expected = fitter.conditional_expected_number_of_purchases_up_to_time(
        HORIZON_DAYS, summary["frequency"], summary["recency"], summary["T"]
    )
    params = " ".join(f"{name} {value:.4f}" for name, value in fitter.params_.items())
    pd.DataFrame({"customer_id": summary.index, "expected_purchases": np.asarray(expected)}).to_csv(
        out_csv, index=False
    )
    print(f"BG/NBD fit ({len(summary):,} customers, daily periods): {params}")


def bgnbd_expected(orders_csv: Path, as_of: str, python: str | None, folder: Path):
    """BG/NBD's expected purchases by customer id, or None (with why) when lifetimes is absent."""
    out_csv = folder / "bgnbd.csv"
    try:
        import lifetimes  # noqa: F401

        bgnbd_scores(orders_csv, as_of, out_csv)
    except ImportError:
        if not python:
            return None, "lifetimes is not importable (pass --lifetimes-python)"
        done = subprocess.run(
            [python, __file__, "--bgnbd-scores", str(orders_csv), as_of, str(out_csv)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            return None, f"{python} failed: {done.stderr.strip().splitlines()[-1:]}"
        print(done.stdout.strip())
    scores = pd.read_csv(out_csv, dtype={"customer_id": str})
    return scores.set_index("customer_id")["expected_purchases"], ""


def stage_lines(table: pd.DataFrame, bought: np.ndarray) -> list[str]:
    """Customers and repurchase rate per lifecycle stage, in STAGES order."""
    frame = pd.DataFrame({"lifecycle": table["lifecycle"].to_numpy(), "bought": bought})
    rates = frame.groupby("lifecycle")["bought"].agg(["size", "mean"])
    lines = ["  stage         customers   buy again"]
    for stage in [s for s in STAGES if s in rates.index]:
        size, rate = rates.loc[stage]
        lines.append(f"  {stage:<12} {int(size):>10,} {rate:>10.1%}")
    return lines


def gaps_and_spans(orders: pd.DataFrame, ids: pd.Index, as_of: pd.Timestamp):
    """Completed gaps (distinct order days - 1) and their span in days, per id, before as_of."""
    days = pd.to_datetime(orders["order_time"])
    history = orders.assign(day=days).loc[days < as_of].drop_duplicates(["customer_id", "day"])
    by_customer = history.groupby("customer_id")["day"]
    n_gaps = (by_customer.count() - 1).reindex(ids).to_numpy(dtype="float64")
    span = (by_customer.max() - by_customer.min()).dt.days.reindex(ids).to_numpy(dtype="float64")
    return n_gaps, span


def diagnosis_lines(table: pd.DataFrame, bought: np.ndarray, orders, as_of, bgnbd) -> list[str]:
    """Where -overdue_ratio loses to BG/NBD: AUC within one-day and repeat buyers, and variants
    of the expected gap (stronger shrinkage; one-day buyers ranked below repeat buyers)."""
    from uplift_lab.cycles import expected_gap_days, fit_cycle_model

    n_gaps, span = gaps_and_spans(orders, table.index, as_of)
    model = fit_cycle_model(n_gaps, span)
    gap = expected_gap_days(model, n_gaps, span)
    assert np.allclose(gap, table["expected_gap_days"]), "not segment's cycle model"
    recency = table["recency_days"].to_numpy(dtype="float64")
    repeat = n_gaps > 0
    prior = model.shop
    lines = [
        f"  shop prior: alpha {prior.alpha:.3f}, beta {prior.beta:.2f}, kappa {prior.kappa:.3f} "
        f"(mean gap {prior.mean_gap_days:.1f} d, fitted on {prior.repeat_buyers:,} repeat buyers)",
        f"  one-day buyers {(~repeat).sum():,} (buy again {bought[~repeat].mean():.1%}), repeat "
        f"buyers {repeat.sum():,} ({bought[repeat].mean():.1%})",
        "  score                                   all   one-day    repeat",
    ]

    def row(name: str, score: np.ndarray) -> str:
        parts = [auc(bought, score), auc(bought[~repeat], score[~repeat])]
        parts.append(auc(bought[repeat], score[repeat]))
        return f"  {name:<36} {parts[0]:.4f}    {parts[1]:.4f}    {parts[2]:.4f}"

    bottom = -1e9 - recency  # every one-day buyer below every repeat buyer
    lines.append(row("-overdue_ratio", -recency / gap))
    lines.append(row("-recency_days", -recency))
    lines.append(row("orders (distinct days - 1)", n_gaps))
    if bgnbd is not None:
        lines.append(row("BG/NBD expected purchases", bgnbd))
    for factor in (3, 10, 30):
        own = np.where(repeat, span, 0.0) * prior.kappa
        shrunk = (factor * prior.beta + own) / (factor * prior.alpha + prior.kappa * n_gaps)
        lines.append(row(f"-recency/gap, prior weight x{factor}", -recency / shrunk))
    lines.append(row("-overdue_ratio, one-day at bottom", np.where(repeat, -recency / gap, bottom)))
    lines.append(row("-recency_days, one-day at bottom", np.where(repeat, -recency, bottom)))
    if bgnbd is not None:
        lines.append(row("BG/NBD, one-day at bottom", np.where(repeat, bgnbd, bottom)))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cdnow", type=Path, default=os.environ.get("CDNOW_MASTER"))
    parser.add_argument("--as-of", default=AS_OF)
    parser.add_argument("--lifetimes-python", default=os.environ.get("LIFETIMES_PYTHON"))
    parser.add_argument("--diagnose", action="store_true", help="where the ratio loses")
    parser.add_argument("--bgnbd-scores", nargs=3, metavar=("ORDERS", "AS_OF", "OUT"))
    args = parser.parse_args(argv)
    if args.bgnbd_scores:
        orders_csv, as_of, out_csv = args.bgnbd_scores
        bgnbd_scores(Path(orders_csv), as_of, Path(out_csv))
        return 0
    if args.cdnow is None or not Path(args.cdnow).is_file():
        print(SKIP_MESSAGE if args.cdnow is None else f"skipped: {args.cdnow} not found")
        return 0
    orders = read_cdnow(Path(args.cdnow))
    as_of = pd.Timestamp(args.as_of)
    end = as_of + pd.Timedelta(days=HORIZON_DAYS - 1)
    print(f"CDNOW master: {len(orders):,} orders, {orders['customer_id'].nunique():,} customers")
    with tempfile.TemporaryDirectory(prefix="bench_cdnow_") as tmp:
        folder = Path(tmp)
        orders_csv = folder / "orders.csv"
        orders.to_csv(orders_csv, index=False)
        table = run_segment(Path(args.cdnow), args.as_of, folder / "segments.csv")
        bought = bought_again(orders, table.index, as_of)
        expected, why = bgnbd_expected(orders_csv, args.as_of, args.lifetimes_python, folder)
    print(
        f"as of {as_of.date()}: {len(table):,} customers, {bought.sum():,} buy again in "
        f"{as_of.date()}..{end.date()} ({bought.mean():.1%})"
    )
    print(f"(a) AUC -overdue_ratio:            {auc(bought, -table['overdue_ratio']):.4f}")
    print(f"    AUC -recency_days:             {auc(bought, -table['recency_days']):.4f}")
    print("(b) repurchase rate per lifecycle stage (cycle thresholds):")
    print("\n".join(stage_lines(table, bought)))
    scores = None if expected is None else expected.reindex(table.index).to_numpy()
    if scores is None:
        print(f"(c) BG/NBD skipped: {why}")
    else:
        print(f"(c) AUC BG/NBD expected purchases: {auc(bought, scores):.4f}")
    if args.diagnose:
        print("diagnosis: AUC for 'buys again' overall and within one-day / repeat buyers")
        print("\n".join(diagnosis_lines(table, bought, orders, as_of, scores)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
