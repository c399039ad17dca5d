"""Write a synthetic shop the way a Taobao/Tmall seller hands it over, for the README walkthrough
"From a Taobao export to a send list".

    python experiments/taobao/make_export.py --out tb

writes, from `uplift_lab.synth.generate_shop` (the demo's shop, with its planted campaign effect):

* ``订单报表.csv``: the seller-center order report (订单报表) as downloaded: GBK, header names
  padded with spaces, order ids and buyer names guarded by a trailing tab, money as text with
  thousands separators; closed orders (交易关闭), unpaid ones (等待买家付款, no 订单付款时间),
  fully and partly refunded ones (退款金额), and columns no analysis needs (收货人姓名 ...).
* ``members.csv``: the shop's member list (CRM export) keyed by ``customer_id`` = the buyer's
  会员名, with signup time, opt-ins and the phone number the SMS tool needs.
* ``sms_campaign.csv``: the past SMS campaign as the SMS platform exports it: one row per
  targeted customer, ``customer_id,group,arm``: ``group`` is the CRM group (lifecycle stage at
  the start) the send was planned for, each with its own 10% holdout; ``arm`` is ``sms`` or
  ``control`` (the holdout).

Nothing here is an uplift-lab step: it only manufactures the files a shop already has.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from uplift_lab.synth import generate_shop

STATUSES = ("交易成功", "买家已付款,等待卖家发货", "卖家已发货,等待买家确认")


def buyer_names(customer_ids: pd.Series) -> pd.Series:
    """Taobao member names (会员名) for the synthetic customer ids."""
    return "tb" + customer_ids.str[1:].str.lstrip("0") + "_88"


def taobao_report(shop, rng: np.random.Generator) -> pd.DataFrame:
    """The shop's orders as a 订单报表, plus closed and never-paid orders."""
    orders = shop.orders.reset_index(drop=True)
    n = len(orders)
    draw = rng.random(n)
    full, partial = draw < 0.03, (draw >= 0.03) & (draw < 0.08)
    partial_refund = (orders["amount"] * 0.3).round(2)
    refund = np.where(full, orders["amount"], np.where(partial, partial_refund, 0))
    status = np.array(STATUSES, dtype=object)[rng.choice(3, n, p=[0.9, 0.04, 0.06])]
    status = np.where(full & (rng.random(n) < 0.5), "交易关闭", status)  # closed after the refund
    paid = pd.DataFrame(
        {
            "订单编号": "3" + orders["order_id"].str[1:].str.zfill(17) + "\t",
            "买家会员名": buyer_names(orders["customer_id"]) + "\t",
            "买家实际支付金额": [f"{value:,.2f}" for value in orders["amount"]],
            "订单状态": status,
            "订单创建时间": (orders["order_time"] - pd.Timedelta(minutes=2)).dt.strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
            "订单付款时间": orders["order_time"].dt.strftime("%Y-%m-%d %H:%M:%S"),
            "退款金额": [f"{value:.2f}" for value in refund],
            "宝贝标题": orders["category"],
            "收货人姓名": "张三",
        }
    )
    n_never = n // 50
    owners = orders["customer_id"].sample(n_never, random_state=1, replace=True).to_numpy()
    created = orders["order_time"].sample(n_never, random_state=2, replace=True).to_numpy()
    waiting = rng.random(n_never) < 0.3
    never = pd.DataFrame(
        {
            "订单编号": [f"9{i:017d}\t" for i in range(n_never)],
            "买家会员名": buyer_names(pd.Series(owners)) + "\t",
            "买家实际支付金额": "0.00",
            "订单状态": np.where(waiting, "等待买家付款", "交易关闭"),  # closed before payment
            "订单创建时间": pd.Series(created).dt.strftime("%Y-%m-%d %H:%M:%S"),
            "订单付款时间": "",
            "退款金额": "0.00",
            "宝贝标题": "beauty",
            "收货人姓名": "李四",
        }
    )
    report = pd.concat([paid, never], ignore_index=True).sort_values("订单创建时间", kind="stable")
    report.columns = [f"{name} " if i % 2 else f" {name}" for i, name in enumerate(report)]
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write the files into")
    parser.add_argument("--customers", type=int, default=40_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    shop = generate_shop(n_customers=args.customers, seed=args.seed)
    rng = np.random.default_rng(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)

    report = taobao_report(shop, rng)
    report.to_csv(args.out / "订单报表.csv", index=False, encoding="gbk")

    members = shop.customers.assign(
        customer_id=buyer_names(shop.customers["customer_id"]),
        phone=["138" + f"{i:08d}" for i in range(len(shop.customers))],
    )
    members.to_csv(args.out / "members.csv", index=False)

    campaign = pd.DataFrame(
        {
            "customer_id": buyer_names(shop.campaign["customer_id"]),
            "group": shop.campaign["lifecycle"],
            "arm": shop.campaign["arm"].replace({"send": "sms"}),
        }
    ).sample(frac=1.0, random_state=3)
    campaign.to_csv(args.out / "sms_campaign.csv", index=False)
    print(
        f"wrote {len(report):,} order rows, {len(members):,} members and {len(campaign):,} "
        f"campaign rows (start {shop.campaign_start.date()}, {shop.window_days} days) to {args.out}"
    )


if __name__ == "__main__":
    main()
