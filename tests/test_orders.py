"""Which orders count (uplift_lab.orders) and column maps (uplift_lab.columnmap).

Each rule is checked against a hand-made table whose counted orders are known by construction.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from tests.test_analyze import write_experiment
from uplift_lab import io
from uplift_lab.cli._common import error_message
from uplift_lab.columnmap import resolve_inputs
from uplift_lab.errors import InputError, UsageError
from uplift_lab.orders import OrderRules, OrderSource, count_orders
from uplift_lab.workflows.inputs import read_column_map

ORDERS = pd.DataFrame(
    {
        "order_id": ["O1", "O2", "O3", "O4", "O5", "O6"],
        "customer_id": ["A", "A", "B", "B", "C", "D"],
        "order_time": pd.to_datetime(
            ["2026-05-01", "2026-05-10", "2026-05-02", "2026-05-20", "2026-05-03", "2026-05-04"]
        ),
        "amount": [100.0, 50.0, 80.0, 30.0, 40.0, 25.0],
        "state": ["paid", "paid", "cancelled", "paid", "paid", "pending"],
        "refund": [0.0, 20.0, 0.0, 30.0, np.nan, 0.0],
    }
)


def counted(frame: pd.DataFrame, **rules) -> tuple[pd.DataFrame, object]:
    source = OrderSource(rules=OrderRules(**rules))
    result = count_orders(pa.Table.from_pandas(frame, preserve_index=False), "orders.csv", source)
    return result.frame(), result.counting


def test_paid_statuses_keep_only_those_rows_and_count_the_rest_per_status() -> None:
    orders, counting = counted(ORDERS, status_col="state", paid_statuses=("paid",))
    assert orders["order_id"].tolist() == ["O1", "O2", "O4", "O5"]
    assert dict(counting.dropped_by_status) == {"cancelled": 1, "pending": 1}


def test_excluded_statuses_drop_only_those_rows() -> None:
    orders, counting = counted(ORDERS, status_col="state", excluded_statuses=("cancelled",))
    assert orders["order_id"].tolist() == ["O1", "O2", "O4", "O5", "O6"]
    assert dict(counting.dropped_by_status) == {"cancelled": 1}


def test_refund_column_nets_partial_refunds_and_drops_full_ones() -> None:
    orders, counting = counted(ORDERS, refund_col="refund")
    # O4 (30 refunded of 30) is not an order; O2 counts at 50 - 20; an empty refund is none.
    assert orders["order_id"].tolist() == ["O1", "O2", "O3", "O5", "O6"]
    assert orders["amount"].tolist() == [100.0, 30.0, 80.0, 40.0, 25.0]
    assert (counting.fully_refunded, counting.partly_refunded) == (1, 1)
    assert counting.refunded_amount == pytest.approx(50.0)


def test_refund_above_the_amount_is_refused_naming_both_columns() -> None:
    frame = ORDERS.assign(refund=[0.0, 60.0, 0.0, 0.0, 0.0, 0.0])
    with pytest.raises(InputError, match=r"'refund' refunds more than the order's 'amount'"):
        counted(frame, refund_col="refund")


def test_negative_amount_is_refused_with_the_refund_rows_hint() -> None:
    frame = ORDERS.assign(amount=[100.0, -50.0, 80.0, 30.0, 40.0, 25.0])
    with pytest.raises(InputError, match="pass 'refund_rows'"):
        counted(frame)
    orders, counting = counted(frame, refund_rows=True)
    assert counting.refund_rows == 1 and counting.orders_counted == 5
    assert orders["amount"].sum() == pytest.approx(225.0)


def test_refund_rows_and_a_refund_column_combine() -> None:
    frame = ORDERS.assign(amount=[100.0, -50.0, 80.0, 30.0, 40.0, 25.0])
    orders, counting = counted(frame, refund_col="refund", refund_rows=True)
    # O2 is a refund row (kept at -50, its refund cell ignored: it is not an order); O4 is
    # refunded in full and drops out.
    assert orders["order_id"].tolist() == ["O1", "O2", "O3", "O5", "O6"]
    assert orders["amount"].tolist() == [100.0, -50.0, 80.0, 40.0, 25.0]
    assert counting.refund_rows == 1 and counting.orders_counted == 4


def test_rules_refuse_contradictory_options() -> None:
    with pytest.raises(InputError, match="cannot be combined"):
        OrderRules(status_col="s", paid_statuses=("a",), excluded_statuses=("b",))
    with pytest.raises(InputError, match="need status_col=COLUMN"):
        OrderRules(paid_statuses=("a",))
    with pytest.raises(InputError, match="status_col=s needs paid_statuses=VALUE") as caught:
        OrderRules(status_col="s")
    assert "--" not in str(caught.value)


def test_a_missing_column_and_an_unknown_preset_say_parameters_not_flags() -> None:
    table = pa.Table.from_pandas(ORDERS.rename(columns={"customer_id": "buyer"}))
    with pytest.raises(InputError) as caught:
        count_orders(table, "orders.csv", OrderSource())
    message = str(caught.value)
    assert message.startswith("orders.csv: missing column 'customer_id'. The file has: order_id")
    assert message.endswith("Map it with customer_col=NAME, a 'preset' or columns=map.toml")
    with pytest.raises(InputError) as caught:
        resolve_inputs(preset="tmall")
    assert str(caught.value).startswith("'preset': unknown preset 'tmall'. Use one of taobao")
    assert "--" not in message + str(caught.value)


def test_a_true_false_key_of_a_column_map_is_refused_with_one_prefix(tmp_path: Path) -> None:
    path = tmp_path / "map.toml"
    path.write_text("[orders]\nrefund_rows = 1", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        resolve_inputs(columns=read_column_map(path))
    assert str(caught.value) == f"{path}: [orders] refund_rows must be true or false, got 1"


def test_line_items_keep_the_first_row_of_each_order() -> None:
    frame = pd.DataFrame(
        {
            "Name": ["#1", "#1", "#2", "#1"],
            "customer_id": ["A", "A", "B", "A"],
            "order_time": ["2026-05-01", None, "2026-05-02", None],
            "amount": [10.0, None, 20.0, None],
        }
    )
    source = OrderSource(order_id_col="Name", rules=OrderRules(line_item_col="Name"))
    result = count_orders(pa.Table.from_pandas(frame), "orders.csv", source)
    assert result.table.column("order_id").to_pylist() == ["#1", "#2"]
    assert result.counting.line_item_rows == 2


@pytest.mark.parametrize(
    "ids",
    [
        np.arange(1000, 1400)[::-1],  # dense range, descending
        np.random.default_rng(4).permutation(np.arange(0, 4000, 10))[:400],  # dense, shuffled
        np.random.default_rng(5).choice(10**15, size=400, replace=False),  # sparse, unsorted
    ],
    ids=["dense-descending", "dense-shuffled", "sparse"],
)
def test_repeated_integer_order_ids_are_refused_whatever_their_order(ids) -> None:
    ids = np.asarray(ids, dtype=np.int64).copy()
    frame = pd.DataFrame(
        {
            "order_id": ids,
            "customer_id": [f"C{i % 37}" for i in range(len(ids))],
            "order_time": pd.Timestamp("2026-05-01"),
            "amount": 10.0,
        }
    )
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for core_only in (False, True):  # unique ids pass, and are kept as text unless core_only
        result = count_orders(table, "orders.parquet", OrderSource(), core_only=core_only)
        assert ("order_id" in result.table.column_names) is not core_only
    assert result.table.column_names == ["customer_id", "order_time", "amount"]
    ids[123] = ids[321]
    repeated = pa.Table.from_pandas(frame.assign(order_id=ids), preserve_index=False)
    # the reference: what pandas says is repeated, by its first appearance
    first_repeated = pd.Series(ids)[pd.Series(ids).duplicated(keep=False)].iloc[0]
    message = f"column 'order_id' has 1 duplicate id(s), e.g. '{first_repeated}'"
    for core_only in (False, True):
        with pytest.raises(InputError, match=re.escape(message)):
            count_orders(repeated, "orders.parquet", OrderSource(), core_only=core_only)


def test_an_id_repeated_across_a_chunk_boundary_is_found() -> None:
    frame = pd.DataFrame(
        {
            "order_id": np.array([1, 2, 3, 3, 4], dtype=np.int64),
            "customer_id": list("ABCDE"),
            "order_time": pd.Timestamp("2026-05-01"),
            "amount": 10.0,
        }
    )
    table = pa.Table.from_pandas(frame, preserve_index=False)
    chunked = pa.Table.from_batches(table.to_batches(max_chunksize=3))  # [1, 2, 3] [3, 4]
    for core_only in (False, True):
        with pytest.raises(InputError, match="has 1 duplicate id"):
            count_orders(chunked, "orders.parquet", OrderSource(), core_only=core_only)


def test_only_counted_orders_need_unique_ids() -> None:
    # O2 is repeated on a cancelled row (not counted): accepted; repeated on a counted row: refused
    rules = OrderRules(status_col="state", excluded_statuses=("cancelled",))
    for core_only in (False, True):
        repeated_cancelled = ORDERS.assign(order_id=["O1", "O2", "O2", "O4", "O5", "O6"])
        result = count_orders(
            pa.Table.from_pandas(repeated_cancelled, preserve_index=False),
            "orders.csv",
            OrderSource(rules=rules),
            core_only=core_only,
        )
        assert result.counting.orders_counted == 5
        repeated_counted = ORDERS.assign(order_id=["O1", "O2", "O3", "O2", "O5", "O6"])
        with pytest.raises(InputError, match="has 1 duplicate id.*'O2'"):
            count_orders(
                pa.Table.from_pandas(repeated_counted, preserve_index=False),
                "orders.csv",
                OrderSource(rules=rules),
                core_only=core_only,
            )


def test_status_counts_are_the_same_across_chunks_and_empty_statuses() -> None:
    frame = ORDERS.assign(state=["paid", None, "cancelled", " paid ", "paid", "pending"])
    table = pa.Table.from_pandas(frame, preserve_index=False)
    chunked = pa.Table.from_batches(table.to_batches(max_chunksize=2))
    assert chunked.column("state").num_chunks == 3
    for source_table in (table, chunked):
        result = count_orders(
            source_table,
            "orders.csv",
            OrderSource(rules=OrderRules(status_col="state", paid_statuses=("paid",))),
        )
        assert result.table.column("order_id").to_pylist() == ["O1", "O4", "O5"]
        assert result.counting.dropped_by_status == {"(empty)": 1, "cancelled": 1, "pending": 1}


def test_errors_name_the_column_as_the_file_has_it() -> None:
    frame = pd.DataFrame(
        {"买家会员名": ["a", None], "付款时间": ["2026-05-01"] * 2, "金额": [1, 2]}
    )
    source = OrderSource(customer_col="买家会员名", time_col="付款时间", amount_col="金额")
    with pytest.raises(InputError, match="column '买家会员名' has 1 empty id"):
        count_orders(pa.Table.from_pandas(frame), "export.csv", source)


def test_column_map_sets_each_files_columns_rules_and_dates(tmp_path: Path) -> None:
    path = tmp_path / "map.toml"
    path.write_text(
        """
[orders]
paid_statuses = ["交易成功"]
timezone = "Asia/Shanghai"
dayfirst = true

[orders.columns]
"买家" = "customer_id"
"时间" = "order_time"
"实付" = "amount"
"状态" = "status"
"退款" = "refund"

[customers]
columns = { "会员ID" = "customer_id", "注册时间" = "signup_time" }
""",
        encoding="utf-8",
    )
    inputs = resolve_inputs(columns=read_column_map(path))
    orders = inputs.orders
    assert (orders.customer_col, orders.time_col, orders.amount_col) == ("买家", "时间", "实付")
    assert orders.rules.status_col == "状态" and orders.rules.paid_statuses == ("交易成功",)
    assert orders.rules.refund_col == "退款"
    assert orders.parsing.timezone == "Asia/Shanghai" and orders.parsing.dayfirst is True
    assert inputs.customers_id == "会员ID" and inputs.events_id == "customer_id"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[shipments]\ncolumns = {}", "unknown section [shipments]"),
        ('[orders]\ncolumns = { "x" = "buyer" }', "unknown canonical name 'buyer'"),
        ("[orders\ncolumns = {}", "not valid TOML"),
        ("[orders]\nstatus = 'x'", "unknown key 'status'"),
        ('[orders]\ncolumns = { "s" = "status" }', "needs paid_statuses=VALUE"),
    ],
)
def test_bad_column_maps_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "map.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(message)) as caught:
        read_column_map(path) if "needs" not in message else resolve_inputs(
            columns=read_column_map(path)
        )
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


# ---------------------------------------------------------------- train and evaluate --orders


def _campaign(tmp_path: Path) -> tuple[Path, Path, pd.DataFrame]:
    """An experiment of 200 customers; in the window every customer orders once, and half of
    the orders are refunded in full: those customers did not convert."""
    rng = np.random.default_rng(4)
    ids = [f"C{i:04d}" for i in range(200)]
    units = pd.DataFrame(
        {
            "customer_id": ids,
            "segment": "all",
            "arm": np.where(np.arange(200) % 2 == 0, "send", "control"),
        }
    )
    folder = write_experiment(tmp_path / "exp", units)
    full_refund = rng.random(200) < 0.5
    amount = rng.gamma(2.0, 20.0, 200).round(2) + 1.0
    before = pd.DataFrame(
        {
            "customer_id": ids,
            # varied history, so the features are not constant (train drops constant ones)
            "order_time": pd.Timestamp("2026-07-01") + pd.to_timedelta(np.arange(200) % 40, "D"),
            "amount": 10.0 + np.arange(200) % 7,
            "refund": 0.0,
        }
    )
    window = pd.DataFrame(
        {
            "customer_id": ids,
            "order_time": pd.Timestamp("2026-08-22 10:00"),
            "amount": amount,
            "refund": np.where(full_refund, amount, 0.0),
        }
    )
    orders = tmp_path / "orders.csv"
    io.write_table(pd.concat([before, window]), orders)
    truth = pd.DataFrame(
        {"customer_id": ids, "converted": (~full_refund).astype(float), "revenue": amount}
    )
    truth["revenue"] = np.where(full_refund, 0.0, amount)
    return folder, orders, truth


def test_train_data_does_not_count_a_fully_refunded_order_as_a_conversion(tmp_path) -> None:
    from uplift_lab.workflows.training_data import load_experiment_training_data

    folder, orders, truth = _campaign(tmp_path)
    inputs = resolve_inputs(refund_col="refund")
    data = load_experiment_training_data(folder, orders, "2026-08-21", 14, inputs=inputs)
    got = pd.DataFrame({"customer_id": data.ids, "converted": data.conversion})
    expected = truth.set_index("customer_id").loc[got["customer_id"], "converted"].to_numpy()
    np.testing.assert_array_equal(got["converted"].to_numpy(), expected)
    assert 0 < data.conversion.mean() < 1
    assert data.extra["order_counting"]["fully_refunded_orders"] == int((1 - expected).sum())


def test_evaluate_outcomes_use_the_same_refund_rule(tmp_path) -> None:
    from uplift_lab.workflows.training_data import load_experiment_outcomes

    folder, orders, truth = _campaign(tmp_path)
    outcomes = load_experiment_outcomes(
        folder, orders, "2026-08-21", 14, inputs=resolve_inputs(refund_col="refund")
    ).table.set_index("customer_id")
    expected = truth.set_index("customer_id").loc[outcomes.index]
    np.testing.assert_array_equal(outcomes["converted"], expected["converted"].astype(int))
    np.testing.assert_allclose(outcomes["revenue"], expected["revenue"])


def test_train_refuses_negative_amounts_like_every_command(tmp_path) -> None:
    from uplift_lab.workflows.training_data import load_experiment_training_data

    folder, orders, _ = _campaign(tmp_path)
    frame = pd.read_csv(orders)
    frame.loc[0, "amount"] = -5.0
    frame.to_csv(orders, index=False)
    with pytest.raises(InputError, match="pass 'refund_rows'"):
        load_experiment_training_data(folder, orders, "2026-08-21", 14)


def test_train_counts_a_window_of_refunds_only_as_no_revenue(tmp_path) -> None:
    """A refund row in the window for an order before it (net revenue < 0, as analyze reports
    it) is revenue 0 for the models, not a refusal with a hint to pass refund_rows again."""
    from uplift_lab.workflows.training_data import load_experiment_training_data

    folder, orders, truth = _campaign(tmp_path)
    frame = pd.read_csv(orders)
    returned = truth.loc[truth["converted"] == 0, "customer_id"].iloc[0]
    refund_row = {"customer_id": returned, "order_time": "2026-08-23 09:00", "amount": -500.0}
    frame = pd.concat([frame, pd.DataFrame([{**refund_row, "refund": 0.0}])])
    frame.to_csv(orders, index=False)
    data = load_experiment_training_data(
        folder,
        orders,
        "2026-08-21",
        14,
        inputs=resolve_inputs(refund_col="refund", refund_rows=True),
    )
    revenue = pd.Series(data.revenue, index=data.ids)
    assert revenue[str(returned)] == 0.0 and (revenue >= 0).all()
    assert (revenue > 0).sum() == truth["converted"].sum()  # the others as without the refund


def test_refunds_net_the_same_when_the_money_columns_are_text() -> None:
    as_text = ORDERS.assign(
        amount=ORDERS["amount"].map("{:.2f}".format), refund=ORDERS["refund"].fillna(0).map(str)
    )
    numeric_orders, numeric_counting = counted(ORDERS, refund_col="refund")
    text_orders, text_counting = counted(as_text, refund_col="refund")
    pd.testing.assert_frame_equal(text_orders, numeric_orders)
    assert text_counting == numeric_counting


def test_a_flat_campaign_table_with_orders_learns_the_experiments_order_features(
    tmp_path,
) -> None:
    """train --data TABLE --orders LOG --start: the segments as of the start join the table as
    features, the same features the experiment folder's path builds from the same orders."""
    from uplift_lab.workflows.training_data import (
        OrderHistory,
        load_experiment_training_data,
        load_table_training_data,
    )

    folder, orders, truth = _campaign(tmp_path)
    inputs = resolve_inputs(refund_col="refund")
    reference = load_experiment_training_data(folder, orders, "2026-08-21", 14, inputs=inputs)
    arms = pd.read_parquet(folder / "assignment.parquet")[["customer_id", "arm"]]
    table = tmp_path / "campaign.csv"
    flat = arms.merge(truth, on="customer_id").rename(columns={"customer_id": "client"})
    flat.to_csv(table, index=False)
    data = load_table_training_data(
        table, treatment_col="arm", control="control", outcome_col="converted",
        revenue_col="revenue", id_col="client", reference="2026-08-21",
        orders=OrderHistory(orders, inputs=inputs),
    )  # fmt: skip
    expected = reference.features.set_index(pd.Index(reference.ids)).sort_index()
    got = data.features.set_index(pd.Index(data.ids)).sort_index()
    assert list(got.columns) == list(expected.columns)
    assert data.id_col == "customer_id"  # the shop's customers: keyed as its segment table
    pd.testing.assert_frame_equal(got, expected, check_names=False)


def test_order_features_on_a_flat_table_need_its_id_and_the_start(tmp_path) -> None:
    from uplift_lab.workflows.training_data import OrderHistory, load_table_training_data

    folder, orders, truth = _campaign(tmp_path)
    table = tmp_path / "campaign.csv"
    truth.assign(arm=np.where(np.arange(len(truth)) % 2, "send", "control")).to_csv(table)
    with pytest.raises(UsageError) as raised:
        load_table_training_data(
            table, treatment_col="arm", control="control", outcome_col="converted",
            id_col="customer_id", orders=OrderHistory(orders),
        )  # fmt: skip
    assert "'start'" in str(raised.value) and "--start" in error_message(raised.value)


def test_a_flat_table_whose_ids_the_orders_never_name_is_refused(tmp_path) -> None:
    from uplift_lab.workflows.training_data import OrderHistory, load_table_training_data

    folder, orders, truth = _campaign(tmp_path)
    table = tmp_path / "campaign.csv"
    truth.assign(
        customer_id="X" + truth["customer_id"], arm=np.where(np.arange(len(truth)) % 2, "a", "b")
    ).to_csv(table, index=False)
    with pytest.raises(UsageError, match="no id in column 'customer_id' has an order before"):
        load_table_training_data(
            table, treatment_col="arm", control="b", outcome_col="converted",
            id_col="customer_id", reference="2026-08-21", orders=OrderHistory(orders),
        )  # fmt: skip
