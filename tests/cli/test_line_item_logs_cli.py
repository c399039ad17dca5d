"""A retail log of one row per product line (the UCI Online Retail layout: InvoiceNo, StockCode,
Quantity, InvoiceDate month-first, UnitPrice, CustomerID, cancellations as 'C' invoices with a
negative quantity, guest rows without a CustomerID) read through a column map equals segmenting
the order log an analyst would build by hand: one row per invoice, amount = sum of quantity x
unit price, guests left out, cancellations as refund rows.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from uplift_lab import io
from uplift_lab.cli import app
from uplift_lab.synth import generate_shop

AS_OF = "2026-10-20"
RETAIL_MAP = """
[orders]
line_items = "sum"
refund_rows = true
skip_missing_customer = true

[orders.columns]
InvoiceNo = "order_id"
CustomerID = "customer_id"
InvoiceDate = "order_time"
Quantity = "quantity"
UnitPrice = "unit_price"
"""
PRICES = np.array([0.85, 1.25, 1.65, 2.55, 4.95, 12.75])


@pytest.fixture(scope="module")
def retail(tmp_path_factory) -> dict[str, object]:
    """The shop's orders as a line-item log, and the reference order log built with pandas."""
    rng = np.random.default_rng(3)
    orders = generate_shop(n_customers=300, seed=7).orders.reset_index(drop=True)
    orders["order_time"] = orders["order_time"].dt.floor("min")  # the log has minutes only
    n_lines = rng.integers(1, 5, size=len(orders))
    lines = orders.loc[orders.index.repeat(n_lines)].reset_index(drop=True)
    lines["Quantity"] = rng.integers(1, 7, size=len(lines))
    lines["UnitPrice"] = rng.choice(PRICES, size=len(lines))
    cancelled = orders.sample(frac=0.1, random_state=1)
    cancels = cancelled.assign(
        order_id="C" + cancelled["order_id"],
        order_time=cancelled["order_time"] + pd.Timedelta(days=1),
        Quantity=-1,
        UnitPrice=rng.choice(PRICES, size=len(cancelled)),
    )
    guests = orders.sample(n=40, random_state=2).assign(
        order_id=lambda frame: "G" + frame["order_id"], customer_id=None, Quantity=2, UnitPrice=2.55
    )
    log = pd.concat([lines, cancels, guests]).sort_values("order_time", kind="stable")
    export = pd.DataFrame(
        {
            "InvoiceNo": log["order_id"],
            "StockCode": rng.choice(["85123A", "71053", "84406B"], size=len(log)),
            "Description": "WHITE HANGING HEART T-LIGHT HOLDER",
            "Quantity": log["Quantity"],
            # month-first without zero padding, as the UCI file writes it: 12/1/2010 8:26
            "InvoiceDate": [
                f"{t.month}/{t.day}/{t.year} {t.hour}:{t.minute:02d}" for t in log["order_time"]
            ],
            "UnitPrice": log["UnitPrice"],
            "CustomerID": log["customer_id"],
            "Country": "United Kingdom",
        }
    )
    bought = log[log["customer_id"].notna()].assign(amount=lambda f: f["Quantity"] * f["UnitPrice"])
    clean = bought.groupby("order_id", sort=False).agg(
        customer_id=("customer_id", "first"),
        order_time=("order_time", "first"),
        amount=("amount", "sum"),
    )
    folder = tmp_path_factory.mktemp("retail")
    export_path, clean_path, map_path = (
        folder / "online_retail.csv",
        folder / "clean.csv",
        folder / "retail.toml",
    )
    export.to_csv(export_path, index=False)
    io.write_table(clean.reset_index()[["customer_id", "order_time", "amount"]], clean_path)
    map_path.write_text(RETAIL_MAP, encoding="utf-8")
    return {
        "export": export_path,
        "clean": clean_path,
        "map": map_path,
        "folder": folder,
        "n_lines": len(lines),
        "n_orders": len(orders),
        "n_cancelled": len(cancelled),
    }


def _segment(runner, orders: Path, out: Path, *extra: str):
    args = ["segment", str(orders), "--as-of", AS_OF, "--out", str(out), *extra]
    return runner.invoke(app, [*args])


def test_a_line_item_log_segments_as_the_order_log_built_by_hand(runner, retail) -> None:
    folder = retail["folder"]
    expected = _segment(runner, retail["clean"], folder / "clean.parquet", "--refund-rows")
    assert expected.exit_code == 0, expected.output
    got = _segment(runner, retail["export"], folder / "retail.parquet", "--columns", retail["map"])
    assert got.exit_code == 0, got.output
    pd.testing.assert_frame_equal(
        pd.read_parquet(folder / "retail.parquet"), pd.read_parquet(folder / "clean.parquet")
    )
    merged = retail["n_lines"] - retail["n_orders"]
    assert f"{merged:,} extra line-item row(s) merged into their order" in got.output
    assert "40 row(s) without a customer id (guest orders) not counted" in got.output
    assert f"{retail['n_cancelled']:,} refund row(s) netted" in got.output


def test_guest_rows_are_refused_with_the_way_to_leave_them_out(runner, retail) -> None:
    column_map = retail["folder"] / "no_skip.toml"
    column_map.write_text(RETAIL_MAP.replace("skip_missing_customer = true\n", ""), "utf-8")
    out = retail["folder"] / "refused.parquet"
    result = _segment(runner, retail["export"], out, "--columns", column_map)
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and not out.exists()
    assert "column 'CustomerID' has 40 empty id(s)" in result.output
    assert "skip_missing_customer = true" in result.output and "--columns map.toml" in result.output


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (('UnitPrice = "unit_price"\n', ""), "to 'quantity' but none to 'unit_price'"),
        (('line_items = "sum"', 'line_items = "all"'), "line_items must be true, false"),
        (('Quantity = "quantity"\n', 'Quantity = "quantity"\nStockCode = "amount"\n'),
         "maps columns to 'amount' and to 'quantity'/'unit_price'"),
    ],
)  # fmt: skip
def test_a_wrong_line_item_map_is_one_line_naming_the_map(runner, retail, edit, said) -> None:
    column_map = retail["folder"] / "bad.toml"
    column_map.write_text(RETAIL_MAP.replace(*edit), encoding="utf-8")
    out = retail["folder"] / "bad.parquet"
    result = _segment(runner, retail["export"], out, "--columns", column_map)
    assert result.exit_code == 2 and said in result.output, result.output
    assert str(column_map.name) in result.output
    assert len(result.output.strip().splitlines()) == 1 and not out.exists()


def test_a_quantity_written_as_words_names_the_column(runner, retail) -> None:
    export = pd.read_csv(retail["export"], dtype=str)
    export.loc[5, "Quantity"] = "two"
    path = retail["folder"] / "words.csv"
    export.to_csv(path, index=False)
    out = retail["folder"] / "words.parquet"
    result = _segment(runner, path, out, "--columns", retail["map"])
    assert result.exit_code == 2 and "column 'Quantity' is not numeric" in result.output
    assert len(result.output.strip().splitlines()) == 1 and not out.exists()


def test_analyze_reads_the_line_item_log_through_the_map_as_the_clean_orders(
    runner, retail
) -> None:
    """`analyze EXPERIMENT --outcomes LOG --columns map.toml` (once a traceback: the map was
    passed on unread) counts what the clean order log counts."""
    folder = retail["folder"]
    customers = pd.read_csv(retail["clean"], dtype={"customer_id": str})["customer_id"].unique()
    arms = np.where(np.random.default_rng(5).random(len(customers)) < 0.5, "control", "sms")
    campaign = folder / "campaign.csv"
    pd.DataFrame({"customer_id": customers, "arm": arms}).to_csv(campaign, index=False)
    experiment = folder / "experiment"
    imported = runner.invoke(
        app,
        ["import-campaign", str(campaign), "--arm-col", "arm", "--control", "control",
         "--start", "2025-06-01", "--window-days", "60", "--out", str(experiment)],
    )  # fmt: skip
    assert imported.exit_code == 0, imported.output
    reports = {}
    for name, extra in (
        ("clean", [str(retail["clean"]), "--refund-rows"]),
        ("retail", [str(retail["export"]), "--columns", str(retail["map"])]),
    ):
        out = folder / f"report_{name}"
        result = runner.invoke(
            app, ["analyze", str(experiment), "--outcomes", *extra, "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
        reports[name] = json.loads((out / "report.json").read_text(encoding="utf-8"))
    for key in ("arm_summaries", "comparisons"):  # the same up to float summation order
        assert _rounded(reports["retail"][key]) == _rounded(reports["clean"][key])
    assert all(row["conversions"] for row in reports["clean"]["arm_summaries"])


def _rounded(value):
    """``value`` with every float rounded to 9 significant digits (lists and dicts walked)."""
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    return value


X5_MAP = """
[orders]
line_items = "first"

[orders.columns]
client_id = "customer_id"
transaction_id = "order_id"
transaction_datetime = "order_time"
purchase_sum = "amount"
"""


def test_a_log_repeating_each_orders_sum_on_its_product_rows_is_said(runner, tmp_path) -> None:
    """X5's purchases.csv layout (the transaction's sum on every product row): read as orders,
    a warning says the rows look like product lines; with the column map's line_items, each
    transaction counts once (frequency = transactions, counted by pandas) and nothing is said."""
    rng = np.random.default_rng(0)
    n = 400
    transactions = pd.DataFrame(
        {
            "client_id": [f"c{i % 120:03d}" for i in range(n)],
            "transaction_id": [f"t{i:05d}" for i in range(n)],
            "transaction_datetime": pd.Timestamp("2019-01-01")
            + pd.to_timedelta(rng.integers(0, 70 * 86400, n), unit="s"),
            "purchase_sum": rng.integers(50, 900, n).astype(float),
        }
    )
    lines = transactions.loc[transactions.index.repeat(rng.integers(1, 5, n))]
    lines = lines.assign(product_id=[f"p{k}" for k in range(len(lines))])
    lines.to_csv(tmp_path / "purchases.csv", index=False)
    (tmp_path / "x5.toml").write_text(X5_MAP, encoding="utf-8")
    base = ["segment", str(tmp_path / "purchases.csv"), "--as-of", "2019-03-19"]
    plain = [*base, "--customer-col", "client_id", "--time-col", "transaction_datetime"]
    plain += ["--amount-col", "purchase_sum", "--out", str(tmp_path / "lines.csv")]
    result = runner.invoke(app, plain)
    assert result.exit_code == 0, result.output
    said = [line for line in result.stderr.splitlines() if "one row per product line" in line]
    repeated = len(lines) - len(transactions)
    assert len(said) == 1 and f"{repeated:,} of its first {len(lines):,} rows" in said[0]

    mapped = [*base, "--columns", str(tmp_path / "x5.toml"), "--out", str(tmp_path / "t.csv")]
    result = runner.invoke(app, mapped)
    assert result.exit_code == 0, result.output
    assert "one row per product line" not in result.stderr
    frequency = pd.read_csv(tmp_path / "t.csv").set_index("customer_id")["n_orders_total"]
    expected = transactions.groupby("client_id").size()
    assert frequency.reindex(expected.index).tolist() == expected.tolist()
