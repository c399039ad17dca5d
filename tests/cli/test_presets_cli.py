"""Real shop exports in: `segment --preset taobao/shopify/woocommerce/youzan` equals segmenting
the clean orders; `analyze` and `train --experiment` read a Youzan export as the clean orders.

The exports are built from the synthetic shop the way the back-ends write them (see the README's
preset tables); the reference is the same shop's orders with only the paid ones, net of refunds,
segmented as a plain order log. Order status and refund rules in `analyze` are checked the same
way: against outcomes computed by hand from the orders that count.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.cli.test_campaign_cli import _assert_same
from tests.test_analyze import write_experiment
from uplift_lab import io
from uplift_lab.cli import app
from uplift_lab.synth import generate_shop

TAOBAO_COUNTED = ["交易成功", "买家已付款,等待卖家发货", "卖家已发货,等待买家确认"]


@pytest.fixture(scope="module")
def shop():
    return generate_shop(n_customers=300, seed=7)


def _refunds(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per order: (fully refunded, partly refunded) flags, about 8% and 10%."""
    draw = rng.random(n)
    return draw < 0.08, (draw >= 0.08) & (draw < 0.18)


def _clean_reference(
    orders: pd.DataFrame, refund: np.ndarray, full: np.ndarray, category: bool = False
) -> pd.DataFrame:
    """What a careful analyst would segment: paid orders only, net of refunds (with the
    category, where the export has one: the taobao preset reads 宝贝标题 as it)."""
    kept = orders.assign(amount=orders["amount"] - refund)[~full]
    return kept[["order_id", "customer_id", "order_time", "amount", *(["category"] * category)]]


def _segment(runner, orders: Path, out: Path, *extra: str) -> pd.DataFrame:
    args = ["segment", str(orders), "--as-of", "2026-10-20", "--out", str(out), *extra]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return pd.read_parquet(out)


def _assert_preset_segments_as_the_clean_orders(
    runner, tmp_path: Path, preset: str, export: pd.DataFrame, clean: pd.DataFrame
) -> None:
    """`segment --preset` of the export (as CSV) equals `segment` of the clean order log."""
    export_path = tmp_path / "orders_export.csv"
    export.to_csv(export_path, index=False)
    clean_path = tmp_path / "clean.csv"
    io.write_table(clean, clean_path)
    expected = _segment(runner, clean_path, tmp_path / "clean.parquet")
    got = _segment(runner, export_path, tmp_path / f"{preset}.parquet", "--preset", preset)
    pd.testing.assert_frame_equal(got, expected)
    assert got["n_orders_total"].sum() == len(clean)


def taobao_export(shop, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """A Taobao 订单报表 of the shop's orders plus closed and unpaid ones, and the reference."""
    orders = shop.orders.reset_index(drop=True)
    full, partial = _refunds(len(orders), rng)
    refund = np.where(full, orders["amount"], 0.0)
    refund = np.where(partial, (orders["amount"] * 0.3).round(2), refund)
    # A fully refunded order shows as 交易关闭 (closed after refund) or still 交易成功.
    status = np.array(TAOBAO_COUNTED, dtype=object)[rng.integers(0, 3, len(orders))]
    status = np.where(full & (rng.random(len(orders)) < 0.5), "交易关闭", status)
    # Seller-center exports write the paid statuses with a full-width comma as often as not.
    full_width = rng.random(len(orders)) < 0.5
    status = np.where(full_width, pd.Series(status).str.replace(",", "，").to_numpy(), status)
    paid = pd.DataFrame(
        {
            "订单编号": orders["order_id"] + "\t",
            "买家会员名": orders["customer_id"] + "\t",
            "买家实际支付金额": [f"{value:,.2f}" for value in orders["amount"]],
            "订单状态": status,
            "订单付款时间": orders["order_time"].dt.strftime("%Y-%m-%d %H:%M:%S"),
            "退款金额": [f"{value:.2f}" for value in refund],
            "宝贝标题": orders["category"],
            "收货人姓名": "张三",
        }
    )
    n_extra = 40
    extra_owner = orders["customer_id"].sample(n_extra, random_state=1, replace=True).to_numpy()
    unpaid = rng.random(n_extra) < 0.5
    extra = pd.DataFrame(
        {
            "订单编号": [f"X{i:05d}\t" for i in range(n_extra)],
            "买家会员名": pd.Series(extra_owner) + "\t",
            "买家实际支付金额": "88.00",
            "订单状态": np.where(unpaid, "等待买家付款", "交易关闭"),
            "订单付款时间": np.where(unpaid, "", "2026-09-01 10:00:00"),
            "退款金额": np.where(unpaid, "0.00", "88.00"),
            "宝贝标题": "beauty",
            "收货人姓名": "李四",
        }
    )
    export = pd.concat([paid, extra], ignore_index=True).sample(frac=1.0, random_state=2)
    export.columns = [f" {name} " if i % 2 else f"{name}  " for i, name in enumerate(export)]
    counts = {
        "closed": int((status == "交易关闭").sum() + (~unpaid).sum()),
        "unpaid": int(unpaid.sum()),
        "fully_refunded": int((full & (status != "交易关闭")).sum()),
    }
    return export, _clean_reference(orders, refund, full, category=True), counts


def test_segment_preset_taobao_equals_segmenting_the_clean_paid_net_orders(
    runner, shop, tmp_path
) -> None:
    export, clean, counts = taobao_export(shop, np.random.default_rng(3))
    export_path = tmp_path / "订单报表.csv"
    export.to_csv(export_path, index=False, encoding="gbk")
    assert export_path.read_bytes().decode("gbk")  # really GBK, not UTF-8
    with pytest.raises(UnicodeDecodeError):
        export_path.read_bytes().decode("utf-8")
    clean_path = tmp_path / "clean.csv"
    io.write_table(clean, clean_path)
    customers = tmp_path / "customers.csv"
    io.write_table(shop.customers, customers)  # keyed by customer_id, not 买家会员名

    expected = _segment(runner, clean_path, tmp_path / "clean.parquet", "--customers", customers)
    got = _segment(
        runner, export_path, tmp_path / "taobao.parquet", "--preset", "taobao",
        "--customers", customers,
    )  # fmt: skip
    pd.testing.assert_frame_equal(got, expected)
    assert got["n_orders_total"].sum() == len(clean)

    args = ["segment", str(export_path), "--as-of", "2026-10-20", "--preset", "taobao"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "again.parquet"), "--json"])
    summary = json.loads(result.output)["orders"]
    dropped = summary["dropped_by_status"]
    assert dropped.get("交易关闭", 0) == counts["closed"]
    assert summary["unpaid_rows"] == 0  # 等待买家付款 rows are already dropped by their status
    assert dropped["等待买家付款"] == counts["unpaid"]
    assert summary["fully_refunded_orders"] == counts["fully_refunded"]
    terminal = runner.invoke(app, [*args, "--out", str(tmp_path / "again.parquet")])
    assert f"{counts['closed']:,} row(s) with status '交易关闭' not counted" in terminal.output


def test_a_header_only_export_is_no_orders_not_a_traceback(runner, shop, tmp_path) -> None:
    """The preset's unpaid rule (empty 付款时间) on an export of no rows: the one-line 'has no
    orders' error, and with a customer table a segment of potential customers."""
    export, _, _ = taobao_export(shop, np.random.default_rng(3))
    path = tmp_path / "订单报表.csv"
    export.head(0).to_csv(path, index=False, encoding="gbk")
    args = ["segment", str(path), "--preset", "taobao", "--as-of", "2026-10-20"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "s.csv")])
    assert result.exit_code == 2, result.output
    assert "has no orders" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "s.csv").exists()
    customers = tmp_path / "customers.csv"
    io.write_table(shop.customers.head(50), customers)
    with_customers = [*args, "--customers", str(customers), "--out", str(tmp_path / "c.csv")]
    assert runner.invoke(app, with_customers).exit_code == 0
    assert set(pd.read_csv(tmp_path / "c.csv")["lifecycle"]) == {"potential"}


def test_preset_error_names_the_export_column(runner, shop, tmp_path) -> None:
    export, _, _ = taobao_export(shop, np.random.default_rng(3))
    export = export.drop(columns=[c for c in export if c.strip() == "退款金额"])
    path = tmp_path / "订单报表.csv"
    export.to_csv(path, index=False, encoding="gbk")
    args = ["segment", str(path), "--as-of", "2026-10-20", "--preset", "taobao"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "s.parquet")])
    assert result.exit_code == 2 and "missing column '退款金额'" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "s.parquet").exists()


def shopify_export(shop, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Shopify's orders_export.csv: one row per line item, order fields on the first row."""
    orders = shop.orders.reset_index(drop=True)
    full, partial = _refunds(len(orders), rng)
    refund = np.where(full, orders["amount"], 0.0)
    refund = np.where(partial, (orders["amount"] * 0.25).round(2), refund)
    status = np.where(full, "refunded", np.where(partial, "partially_refunded", "paid"))
    email = orders["customer_id"].str.lower() + "@shop.example"
    first = pd.DataFrame(
        {
            "Name": "#" + orders["order_id"],
            "Email": email,
            "Financial Status": status,
            "Paid at": orders["order_time"].dt.strftime("%Y-%m-%d %H:%M:%S +0000"),
            "Fulfillment Status": "fulfilled",
            "Currency": "EUR",
            "Total": [f"{value:.2f}" for value in orders["amount"]],
            "Lineitem name": orders["category"],
            "Refunded Amount": [f"{value:.2f}" for value in refund],
        }
    )
    n_items = rng.integers(0, 3, len(orders))  # extra line items per order
    more = first.loc[np.repeat(first.index, n_items), ["Name", "Email"]].assign(
        **{"Lineitem name": "extra item"}
    )
    pending = first.sample(25, random_state=4).assign(
        Name=[f"#P{i}" for i in range(25)], **{"Financial Status": "pending", "Paid at": ""}
    )
    voided = first.sample(15, random_state=5).assign(
        Name=[f"#V{i}" for i in range(15)], **{"Financial Status": "voided"}
    )
    export = pd.concat([first, more, pending, voided]).sort_index(kind="stable")
    clean = _clean_reference(orders, refund, full).assign(
        customer_id=lambda frame: frame["customer_id"].str.lower() + "@shop.example",
        order_id=lambda frame: "#" + frame["order_id"],
    )
    return export.reset_index(drop=True), clean


def test_segment_preset_shopify_equals_segmenting_the_clean_paid_net_orders(
    runner, shop, tmp_path
) -> None:
    export, clean = shopify_export(shop, np.random.default_rng(5))
    _assert_preset_segments_as_the_clean_orders(runner, tmp_path, "shopify", export, clean)


YOUZAN_COUNTED = ["待发货", "部分发货", "已发货", "交易成功", "交易完成", "待成团", "待接单"]
# The header of a newer Youzan 订单导出 as a public importer's fixture has it
# (github.com/srafyhucl-cpu/yunxibakebot tests/scripts/test_audit_youzan_customer_migration.py),
# 分销员 twice included; the columns the preset reads are the ones every public source has.
YOUZAN_HEADER = (
    "订单号,销售渠道,归属店铺,订单类型,订单状态,推广方式,订单来源,订单创建时间,买家付款时间,"
    "交易成功时间,付款方式,支付流水号,商品金额合计,运费,店铺优惠合计,应收订单金额,订单实付金额,"
    "支付优惠合计,订单实收金额,订单抵用积分数,店铺优惠方式,支付优惠方式,全部商品名称,商品种类数,"
    "订单配送方式,同城送达时间/提货时间,收货人省份,收货人城市,收货人地区,详细收货地址/提货地址,"
    "收货人/提货人,收货人手机号/提货人手机号,买家备注,订单星级,买家昵称,买家是否会员,买家手机号,"
    "下单网点,收银员,分销员,销售导购,专属导购,订单退款状态,订单已退款金额,商家订单备注,桌号,"
    "挂账主体,挂账手机号,团长订单,订单风险标签,分销员,分销员手机号,分销员所属店铺"
).split(",")


def youzan_phone(customer_ids: pd.Series) -> pd.Series:
    """An 11-digit mobile number per synthetic customer (text: never a float with '.0')."""
    return "139" + customer_ids.str.extract(r"(\d+)$", expand=False).str.zfill(8)


def _youzan_rows(values: dict[str, object], n: int) -> pd.DataFrame:
    """Rows in YOUZAN_HEADER's column order (duplicate names kept); absent columns hold the
    placeholders a real export has ('——', a blank 订单星级 ' ', or empty)."""
    filler = {"订单星级": " ", "挂账手机号": "——", "团长订单": "否"}
    columns = {i: values.get(name, filler.get(name, "")) for i, name in enumerate(YOUZAN_HEADER)}
    frame = pd.DataFrame(columns, index=range(n))
    frame.columns = YOUZAN_HEADER
    return frame


def youzan_export(shop, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """A Youzan 订单导出 of the shop's orders plus unpaid and closed ones, and the reference."""
    orders = shop.orders.reset_index(drop=True)
    full, partial = _refunds(len(orders), rng)
    refund = np.where(full, orders["amount"], 0.0)
    refund = np.where(partial, (orders["amount"] * 0.4).round(2), refund)
    status = np.array(YOUZAN_COUNTED, dtype=object)[rng.integers(0, 7, len(orders))]
    # a fully refunded order is closed (交易关闭) after the refund, or kept its status
    status = np.where(full & (rng.random(len(orders)) < 0.6), "交易关闭", status)
    refund_state = np.where(
        full, "退款成功（全额退款）", np.where(partial, "退款成功（部分退款）", "")
    )
    paid = _youzan_rows(
        {
            "订单号": ("E" + orders["order_id"].str[1:] + "\t").to_numpy(),
            "订单状态": status,
            "订单创建时间": (orders["order_time"] - pd.Timedelta(minutes=3))
            .dt.strftime("%Y-%m-%d %H:%M:%S")
            .to_numpy(),
            "买家付款时间": orders["order_time"].dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy(),
            "订单实付金额": [f"{value:.2f}" for value in orders["amount"]],
            "订单实收金额": [f"{value:.2f}" for value in orders["amount"]],
            "全部商品名称": orders["category"].to_numpy(),
            "收货人/提货人": "王芳",
            "收货人手机号/提货人手机号": "13900000000",
            "买家昵称": ("昵称" + orders["customer_id"]).to_numpy(),
            "买家手机号": youzan_phone(orders["customer_id"]).to_numpy(),
            "订单退款状态": refund_state,
            "订单已退款金额": [f"{value:.2f}" for value in refund],
        },
        len(orders),
    )
    n_extra = 30
    owners = orders["customer_id"].sample(n_extra, random_state=3, replace=True)
    unpaid = rng.random(n_extra) < 0.5
    closed = np.where(rng.random(n_extra) < 0.5, "交易关闭", "已关闭")  # closed before payment
    extra = _youzan_rows(
        {
            "订单号": [f"E9{i:05d}\t" for i in range(n_extra)],
            "订单状态": np.where(unpaid, "待付款", closed),
            "订单创建时间": "2026-09-01 10:00:00",
            "订单实付金额": "66.00",
            "全部商品名称": "beauty",
            "买家手机号": youzan_phone(owners).to_numpy(),
            "订单已退款金额": "0.00",
        },
        n_extra,
    )
    export = pd.concat([paid, extra], ignore_index=True).sample(frac=1.0, random_state=4)
    export.columns = [f" {name}" if i % 3 == 0 else name for i, name in enumerate(export)]
    clean = _clean_reference(orders, refund, full, category=True).assign(
        customer_id=lambda frame: youzan_phone(frame["customer_id"]),
        order_id=lambda frame: "E" + frame["order_id"].str[1:],
    )
    counts = {
        "交易关闭": int((status == "交易关闭").sum() + (~unpaid & (closed == "交易关闭")).sum()),
        "已关闭": int((~unpaid & (closed == "已关闭")).sum()),
        "待付款": int(unpaid.sum()),
        "fully_refunded": int((full & (status != "交易关闭")).sum()),
        "partly_refunded": int(partial.sum()),
    }
    return export, clean, counts


def test_segment_preset_youzan_equals_segmenting_the_clean_paid_net_orders(
    runner, shop, tmp_path
) -> None:
    export, clean, counts = youzan_export(shop, np.random.default_rng(9))
    export_path = tmp_path / "订单导出.csv"
    export.to_csv(export_path, index=False, encoding="utf-8-sig")
    clean_path = tmp_path / "clean.csv"
    io.write_table(clean, clean_path)
    members = tmp_path / "members.csv"  # the shop's customer table keyed by the same phones
    io.write_table(
        shop.customers.assign(customer_id=youzan_phone(shop.customers["customer_id"])), members
    )

    expected = _segment(runner, clean_path, tmp_path / "clean.parquet", "--customers", members)
    got = _segment(
        runner, export_path, tmp_path / "youzan.parquet", "--preset", "youzan",
        "--customers", members,
    )  # fmt: skip
    pd.testing.assert_frame_equal(got, expected)
    assert got["n_orders_total"].sum() == len(clean)
    assert got["customer_id"].str.fullmatch(r"139\d{8}").all()  # phones stay text

    args = ["segment", str(export_path), "--as-of", "2026-10-20", "--preset", "youzan"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "again.parquet"), "--json"])
    summary = json.loads(result.output)["orders"]
    dropped = {status: counts[status] for status in ("交易关闭", "已关闭", "待付款")}
    assert min(dropped.values()) > 0  # the export has every kind of row the preset drops
    assert summary["dropped_by_status"] == dropped
    assert summary["fully_refunded_orders"] == counts["fully_refunded"]
    assert summary["partly_refunded_orders"] == counts["partly_refunded"]


def test_negative_amounts_are_refused_alike_and_netted_with_refund_rows(runner, tmp_path) -> None:
    orders = pd.DataFrame(
        {
            "customer_id": ["A", "A", "B"],
            "order_time": ["2026-05-01", "2026-06-01", "2026-05-15"],
            "amount": [100.0, -40.0, 30.0],
        }
    )
    path = tmp_path / "orders.csv"
    io.write_table(orders, path)
    out = tmp_path / "s.parquet"
    refused = runner.invoke(app, ["segment", str(path), "--as-of", "2026-10-20", "--out", str(out)])
    assert refused.exit_code == 2 and "pass --refund-rows" in refused.output
    assert not out.exists()
    table = _segment(runner, path, out, "--refund-rows")
    a = table.set_index("customer_id").loc["A"]
    # the refund nets into money but is not an order: recency is from May 1, one order
    assert a["monetary"] == pytest.approx(60.0) and a["n_orders_total"] == 1
    assert a["recency_days"] == (pd.Timestamp("2026-10-20") - pd.Timestamp("2026-05-01")).days


def test_refund_rows_under_their_orders_id_net_into_it_as_a_refund_column_does(
    runner, shop, tmp_path
) -> None:
    """An ERP's returns as negative rows under the order's own number: segment --refund-rows
    equals the same orders with the refunds as a column (--refund-col): a fully refunded order
    is no purchase, a partly refunded one counts at its net; a refund row naming no order
    stays a customer-level refund."""
    orders = shop.orders.reset_index(drop=True)
    full, partial = _refunds(len(orders), np.random.default_rng(5))
    refund = np.where(
        full, orders["amount"], np.where(partial, (orders["amount"] * 0.3).round(2), 0)
    )
    with_column = orders.assign(refund=refund)
    rows = orders.loc[refund > 0].assign(
        amount=-refund[refund > 0],
        order_time=orders.loc[refund > 0, "order_time"] + pd.Timedelta(days=2),
    )
    as_rows = pd.concat([orders, rows], ignore_index=True).sample(frac=1.0, random_state=0)
    io.write_table(with_column, tmp_path / "column.csv")
    io.write_table(as_rows, tmp_path / "rows.csv")
    expected = _segment(
        runner, tmp_path / "column.csv", tmp_path / "c.parquet", "--refund-col", "refund"
    )
    got = _segment(runner, tmp_path / "rows.csv", tmp_path / "r.parquet", "--refund-rows")
    pd.testing.assert_frame_equal(got, expected)
    args = ["segment", str(tmp_path / "rows.csv"), "--as-of", "2026-10-20", "--refund-rows"]
    result = runner.invoke(app, [*args, "--json", "--out", str(tmp_path / "j.parquet")])
    summary = json.loads(result.output)["orders"]
    assert summary["refund_rows_netted_into_their_order"] == int((refund > 0).sum())
    assert summary["fully_refunded_orders"] == int(full.sum())
    assert summary["refund_rows"] == 0


def test_analyze_status_and_refund_rules_decide_the_conversions(runner, tmp_path) -> None:
    rng = np.random.default_rng(8)
    n = 400
    ids = [f"C{i:04d}" for i in range(n)]
    arm = np.where(rng.random(n) < 0.3, "control", "send")
    units = pd.DataFrame({"customer_id": ids, "segment": "all", "arm": arm})
    folder = write_experiment(
        tmp_path / "exp", units, fractions={"all": {"control": 0.3, "send": 0.7}}
    )
    buys = rng.random(n) < 0.4
    amount = rng.gamma(2.0, 30.0, n).round(2) + 1.0
    kind = rng.choice(["paid", "cancelled", "full_refund", "partial_refund"], size=n)
    orders = pd.DataFrame(
        {
            "customer_id": ids,
            "order_time": "2026-08-22 10:00:00",
            "amount": amount,
            "state": np.where(kind == "cancelled", "cancelled", "paid"),
            "refund": np.select(
                [kind == "full_refund", kind == "partial_refund"], [amount, 10.0], 0.0
            ),
        }
    )[buys]
    path = tmp_path / "orders.csv"
    io.write_table(orders, path)
    result_args = [
        "analyze", str(folder), "--outcomes", str(path), "--start", "2026-08-21",
        "--window-days", "7", "--status-col", "state", "--exclude-status", "cancelled",
        "--refund-col", "refund", "--json",
    ]  # fmt: skip
    result = runner.invoke(app, result_args)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    counted = orders[(orders["state"] == "paid") & (orders["refund"] < orders["amount"])]
    truth = units.merge(counted, on="customer_id", how="left")
    truth["converted"] = truth["amount"].notna()
    truth["revenue"] = (truth["amount"] - truth["refund"]).fillna(0.0)
    for summary in payload["arm_summaries"]:
        if summary["segment"] != "all":
            continue
        rows = truth[truth["arm"] == summary["arm"]]
        assert summary["conversions"] == int(rows["converted"].sum())
        assert summary["revenue"] == pytest.approx(rows["revenue"].sum())
    notes = payload["data_notes"]["order_counting"]
    assert notes["dropped_by_status"] == {"cancelled": int((orders["state"] == "cancelled").sum())}
    full = (orders["state"] == "paid") & (orders["refund"] == orders["amount"])
    assert notes["fully_refunded_orders"] == int(full.sum())
    terminal = runner.invoke(app, [*result_args[:-1]])
    assert f"{int(full.sum()):,} fully refunded order(s) not counted" in " ".join(
        terminal.output.split()
    )


def test_an_empty_status_cell_is_its_own_status_not_a_traceback(runner, tmp_path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "customer_id,order_time,amount,state\n"
        "A,2026-05-01,10,paid\nB,2026-05-02,20,\nC,2026-05-03,30,cancelled\nD,2026-05-04,5,\n",
        encoding="utf-8",
    )
    base = ["segment", str(path), "--as-of", "2026-07-01", "--status-col", "state", "--json"]
    base += ["--thresholds", "fixed"]  # four customers: too few for cycle stages (a notice)
    paid = runner.invoke(app, [*base, "--paid-status", "paid", "--out", str(tmp_path / "p.csv")])
    assert paid.exit_code == 0, paid.output  # an empty status is not a paid one ...
    assert json.loads(paid.output)["orders"]["dropped_by_status"] == {"(empty)": 2, "cancelled": 1}
    excluded = [*base, "--exclude-status", "cancelled", "--out", str(tmp_path / "e.csv")]
    result = runner.invoke(app, excluded)
    assert result.exit_code == 0, result.output  # ... and not an excluded one
    assert json.loads(result.output)["orders"]["dropped_by_status"] == {"cancelled": 1}
    assert pd.read_csv(tmp_path / "e.csv")["customer_id"].tolist() == ["A", "B", "D"]


COLUMN_MAP = """
[orders]
excluded_statuses = ["已取消"]

[orders.columns]
"买家" = "customer_id"
"下单时间" = "order_time"
"实付金额" = "amount"
"状态" = "status"
"退款" = "refund"

[customers.columns]
"会员ID" = "customer_id"
"""


def test_column_map_reads_each_file_by_its_own_columns(runner, shop, tmp_path) -> None:
    orders = shop.orders.reset_index(drop=True)
    cancelled = np.random.default_rng(9).random(len(orders)) < 0.1
    export = pd.DataFrame(
        {
            "买家": orders["customer_id"],
            "下单时间": orders["order_time"],
            "实付金额": orders["amount"],
            "状态": np.where(cancelled, "已取消", "已完成"),
            "退款": 0.0,
        }
    )
    export_path, clean_path = tmp_path / "export.csv", tmp_path / "clean.csv"
    io.write_table(export, export_path)
    io.write_table(orders[~cancelled][["customer_id", "order_time", "amount"]], clean_path)
    members = tmp_path / "members.csv"
    io.write_table(shop.customers.rename(columns={"customer_id": "会员ID"}), members)
    plain_customers = tmp_path / "customers.csv"
    io.write_table(shop.customers, plain_customers)
    column_map = tmp_path / "map.toml"
    column_map.write_text(COLUMN_MAP, encoding="utf-8")

    expected = _segment(
        runner, clean_path, tmp_path / "clean.parquet", "--customers", plain_customers
    )
    got = _segment(
        runner, export_path, tmp_path / "mapped.parquet", "--columns", column_map,
        "--customers", members,
    )  # fmt: skip
    pd.testing.assert_frame_equal(got, expected)

    column_map.write_text('[orders.columns]\n"买家" = "buyer"\n', encoding="utf-8")
    args = ["segment", str(export_path), "--as-of", "2026-10-20", "--columns", str(column_map)]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "bad.parquet")])
    assert result.exit_code == 2 and "unknown canonical name 'buyer'" in result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "bad.parquet").exists()


def test_presets_command_lists_each_presets_mapping(runner) -> None:
    result = runner.invoke(app, ["presets", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["taobao"]["columns"]["customer_id"] == "买家会员名"
    assert payload["taobao"]["columns"]["order_time"] == "订单付款时间"
    assert payload["taobao"]["counted_statuses"] == TAOBAO_COUNTED
    assert payload["shopify"]["columns"]["refund"] == "Refunded Amount"
    assert payload["youzan"]["columns"]["customer_id"] == "买家手机号"
    assert payload["youzan"]["columns"]["refund"] == "订单已退款金额"
    assert payload["youzan"]["counted_statuses"] == YOUZAN_COUNTED
    text = runner.invoke(app, ["presets"]).output
    assert "--preset taobao" in text and "--preset shopify" in text
    assert "--preset youzan" in text


def test_unknown_preset_lists_the_known_ones(runner, tmp_path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("customer_id,order_time,amount\nA,2026-05-01,1\n", encoding="utf-8")
    args = ["segment", str(path), "--as-of", "2026-10-20", "--preset", "jd"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "s.parquet")])
    assert result.exit_code == 2 and "unknown preset 'jd'" in result.output
    assert "taobao, shopify" in result.output


def _month_first(times: pd.Series) -> list[str]:
    """WooCommerce's documented date format, MM/DD/YYYY H:i:s without zero padding."""
    return [f"{t.month}/{t.day}/{t.year} {t.hour}:{t.minute:02d}:{t.second:02d}" for t in times]


def woocommerce_export(shop, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The WooCommerce order export (woocommerce.com's Import Export Suite mapping): one row
    per order, paid orders completed/processing, full refunds as status refunded, unpaid ones
    pending/failed/cancelled with an empty paid_date, guests with customer_id 0."""
    orders = shop.orders.reset_index(drop=True)
    full, _ = _refunds(len(orders), rng)
    paid = np.array(["completed", "processing", "wc-completed"], dtype=object)
    status = np.where(full, "refunded", paid[rng.integers(0, 3, len(orders))])
    export = pd.DataFrame(
        {
            "order_id": np.arange(len(orders)) + 1000,
            "order_number": np.arange(len(orders)) + 1000,
            "order_date": _month_first(orders["order_time"]),
            "paid_date": _month_first(orders["order_time"]),
            "status": status,
            "order_total": [f"{value:,.2f}" for value in orders["amount"]],
            "order_currency": "USD",
            "customer_id": 0,
            "customer_email": orders["customer_id"].str.lower() + "@shop.example",
            "line_item_1": "name:Mug|product_id:12|quantity:1",
        }
    )
    unpaid = export.sample(30, random_state=3).assign(
        order_id=np.arange(30) + 900_000,
        status=np.array(["pending", "failed", "cancelled"])[np.arange(30) % 3],
        paid_date="",
    )
    on_hold = export.sample(10, random_state=4).assign(
        order_id=np.arange(10) + 800_000, status="on-hold"
    )
    clean = _clean_reference(orders, np.zeros(len(orders)), full).assign(
        customer_id=lambda frame: frame["customer_id"].str.lower() + "@shop.example",
        order_id=lambda frame: (frame.index + 1000).astype(str),
    )
    return pd.concat([export, unpaid, on_hold]).reset_index(drop=True), clean


def test_segment_preset_woocommerce_equals_segmenting_the_clean_paid_orders(
    runner, shop, tmp_path
) -> None:
    export, clean = woocommerce_export(shop, np.random.default_rng(6))
    assert (pd.to_datetime(shop.orders["order_time"]).dt.day > 12).any()  # month-first matters
    _assert_preset_segments_as_the_clean_orders(runner, tmp_path, "woocommerce", export, clean)


def test_help_and_presets_list_every_preset(runner) -> None:
    from uplift_lab.columnmap import PRESETS

    listed = json.loads(runner.invoke(app, ["presets", "--json"]).output)
    help_text = runner.invoke(app, ["segment", "--help"], env={"COLUMNS": "200"}).output
    for name in PRESETS:
        assert name in listed and name in help_text, name


def test_analyze_preset_youzan_counts_what_the_clean_paid_net_orders_count(
    runner, shop, tmp_path
) -> None:
    """`analyze --outcomes 订单导出.csv --preset youzan` of the shop's past campaign gives the
    conversions and revenue of the clean, paid, net orders in the window, counted by hand."""
    export, clean, _ = youzan_export(shop, np.random.default_rng(11))
    export_path = tmp_path / "订单导出.csv"
    export.to_csv(export_path, index=False, encoding="utf-8-sig")
    units = shop.campaign.assign(
        customer_id=youzan_phone(shop.campaign["customer_id"]), segment="all"
    )
    folder = write_experiment(tmp_path / "exp", units[["customer_id", "segment", "arm"]])
    start, days = shop.campaign_start, 14
    args = ["analyze", str(folder), "--outcomes", str(export_path), "--preset", "youzan",
            "--start", start.date().isoformat(), "--window-days", str(days), "--json"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)

    window = clean[
        (clean["order_time"] >= start) & (clean["order_time"] < start + pd.Timedelta(days=days))
    ]
    revenue = window.groupby("customer_id")["amount"].sum()
    truth = units.assign(revenue=units["customer_id"].map(revenue))
    pooled = [s for s in payload["arm_summaries"] if s["segment"] == "all"]
    assert {s["arm"] for s in pooled} == {"control", "send"}
    for summary in pooled:
        rows = truth[truth["arm"] == summary["arm"]]
        assert summary["conversions"] == int(rows["revenue"].notna().sum()) > 0
        assert summary["revenue"] == pytest.approx(rows["revenue"].sum())
    counting = payload["data_notes"]["order_counting"]
    assert set(counting["dropped_by_status"]) == {"交易关闭", "已关闭", "待付款"}


def test_train_preset_youzan_fits_what_the_clean_paid_net_orders_fit(
    runner, shop, tmp_path
) -> None:
    """`train --experiment --orders 订单导出.csv --preset youzan` builds the same features and
    outcomes as the clean order log: the same held-out predictions, fold by fold."""
    export, clean, _ = youzan_export(shop, np.random.default_rng(13))
    export_path, clean_path = tmp_path / "订单导出.csv", tmp_path / "clean.csv"
    export.to_csv(export_path, index=False, encoding="utf-8-sig")
    io.write_table(clean, clean_path)
    units = shop.campaign.assign(
        customer_id=youzan_phone(shop.campaign["customer_id"]), segment="all"
    )
    folder = write_experiment(tmp_path / "exp", units[["customer_id", "segment", "arm"]])
    base = ["train", "--experiment", str(folder), "--start", shop.campaign_start.date().isoformat(),
            "--window-days", "45", "--folds", "2", "--max-rounds", "20", "--model", "two",
            "--revenue-model", "two"]  # fmt: skip
    by_export, by_clean = tmp_path / "m_export", tmp_path / "m_clean"
    result = runner.invoke(
        app, [*base, "--orders", str(export_path), "--preset", "youzan", "--out", str(by_export)]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, [*base, "--orders", str(clean_path), "--out", str(by_clean)])
    assert result.exit_code == 0, result.output
    got = io.read_table(by_export / "cv_predictions.parquet")
    expected = io.read_table(by_clean / "cv_predictions.parquet")
    pd.testing.assert_frame_equal(got, expected)
    model, reference = (
        json.loads((path / "model.json").read_text()) for path in (by_export, by_clean)
    )
    _assert_same(model["cv_metrics"], reference["cv_metrics"])  # NaN-aware
