"""segment --engine spark: the segment table equals DuckDB's (same columns, dtypes and values)
on the synthetic shop, with order rules and a time zone, for every lifecycle mode; what Spark
does not support is refused with one line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from uplift_lab.columnmap import resolve_inputs
from uplift_lab.errors import InputError
from uplift_lab.segment import SegmentConfig
from uplift_lab.timeparse import TimeParsing
from uplift_lab.workflows.segment import segment_files

from .conftest import AS_OF


def _both(shop, spark, orders, **kwargs):
    duck = segment_files(orders, AS_OF, **kwargs)
    on_spark = segment_files(orders, AS_OF, spark=spark, **kwargs)
    return duck, on_spark


def _assert_same(duck, on_spark) -> None:
    assert list(on_spark.table.columns) == list(duck.table.columns)
    assert on_spark.table.dtypes.to_dict() == duck.table.dtypes.to_dict()
    pd.testing.assert_frame_equal(on_spark.table, duck.table, check_exact=False, rtol=1e-12)
    assert on_spark.thresholds == duck.thresholds
    assert on_spark.notices == duck.notices
    assert on_spark.counting.to_json() == duck.counting.to_json()  # refunded amount to 1e-6
    pd.testing.assert_frame_equal(on_spark.lifecycle_summary, duck.lifecycle_summary)
    pd.testing.assert_frame_equal(on_spark.rfm_summary, duck.rfm_summary)


@pytest.mark.parametrize("thresholds", ["cycle", "auto"])  # fixed: with the tags below
def test_spark_segment_table_equals_duckdb(spark, shop, thresholds) -> None:
    duck, on_spark = _both(
        shop,
        spark,
        shop / "orders.csv",
        customers_path=shop / "customers.csv",
        config=SegmentConfig(thresholds=thresholds),
    )
    if thresholds == "cycle":
        assert duck.thresholds.source == "cycle"  # the cycle lifecycle is what is compared
    _assert_same(duck, on_spark)


@pytest.fixture(scope="module")
def shop_export(shop, tmp_path_factory):
    """The shop's orders as an export: renamed columns, a status (some in full-width letters),
    refunds (full and partial), refund rows, a category, and times with a +08:00 offset."""
    orders = pd.read_csv(shop / "orders.csv", dtype={"customer_id": str})
    rng = np.random.default_rng(7)
    draw = rng.random(len(orders))
    export = pd.DataFrame(
        {
            "buyer": orders["customer_id"],
            "paid_at": pd.to_datetime(orders["order_time"]).dt.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
            "paid": orders["amount"],
            # full-width 'ｐａｉｄ' is 'paid' to both engines' status rules
            "state": np.where(
                draw < 0.05,
                " cancelled",
                np.where(draw < 0.08, None, np.where(draw < 0.5, "paid ", "ｐａｉｄ")),
            ),
            "refunded": np.where(
                draw > 0.97, orders["amount"], np.where(draw > 0.94, orders["amount"] / 4, 0.0)
            ),
            "category": np.where(rng.random(len(orders)) < 0.5, "shoes", "bags"),
        }
    )
    refunds = export.sample(n=50, random_state=1).assign(paid=lambda f: -f["paid"] / 2)
    refunds["refunded"] = 0.0
    export = pd.concat([export, refunds], ignore_index=True)
    folder = tmp_path_factory.mktemp("export")
    export.to_csv(folder / "export.csv", index=False)
    return folder / "export.csv"


def test_spark_segment_with_rules_and_a_time_zone_equals_duckdb(spark, shop, shop_export) -> None:
    inputs = resolve_inputs(
        customer_col="buyer",
        time_col="paid_at",
        amount_col="paid",
        status_col="state",
        excluded_statuses=("cancelled",),
        refund_col="refunded",
        refund_rows=True,
        parsing=TimeParsing(timezone="Asia/Shanghai"),
    )
    duck, on_spark = _both(shop, spark, shop_export, inputs=inputs, config=SegmentConfig())
    assert duck.counting.dropped_by_status and duck.counting.fully_refunded
    assert duck.counting.refund_rows > 40
    assert "main_category" in duck.table
    _assert_same(duck, on_spark)


def test_spark_segment_with_tags_and_paid_statuses_equals_duckdb(
    spark, shop, shop_export, tmp_path
) -> None:
    tags = tmp_path / "tags.toml"
    tags.write_text('big = "aov >= 40"\n', encoding="utf-8")
    inputs = resolve_inputs(
        customer_col="buyer",
        time_col="paid_at",
        amount_col="paid",
        status_col="state",
        paid_statuses=("paid",),
        refund_rows=True,
        parsing=TimeParsing(timezone="UTC"),
    )
    duck, on_spark = _both(
        shop,
        spark,
        shop_export,
        inputs=inputs,
        tags_path=tags,
        config=SegmentConfig(thresholds="fixed"),
    )
    _assert_same(duck, on_spark)
    assert set(duck.counting.dropped_by_status) == {"(empty)", "cancelled"}  # ｐａｉｄ = paid
    assert on_spark.tag_columns == duck.tag_columns
    pd.testing.assert_frame_equal(on_spark.tag_summary, duck.tag_summary)


def test_spark_segment_refuses_presets_in_one_line(spark, shop) -> None:
    with pytest.raises(InputError, match=r"^engine=spark does not support the text cleaning of "
                       r"presets \('preset'; clean_text in 'columns'\) yet"):  # fmt: skip
        segment_files(shop / "orders.csv", AS_OF, inputs=resolve_inputs(preset="taobao"),
                      spark=spark)  # fmt: skip


def test_spark_segment_refuses_offsets_without_a_time_zone(spark, shop, shop_export) -> None:
    inputs = resolve_inputs(customer_col="buyer", time_col="paid_at", amount_col="paid",
                            refund_rows=True)  # fmt: skip
    with pytest.raises(InputError, match="zone offset. Pass 'timezone' .* with engine=spark"):
        segment_files(shop_export, AS_OF, inputs=inputs, spark=spark)


def test_segment_cli_on_spark_writes_the_duckdb_table(spark, shop, tmp_path, runner) -> None:
    from uplift_lab.cli import app

    outputs = {}
    for engine in ("duckdb", "spark"):
        out = tmp_path / f"{engine}.parquet"
        result = runner.invoke(
            app,
            ["segment", str(shop / "orders.csv"), "--customers", str(shop / "customers.csv"),
             "--as-of", AS_OF, "--out", str(out), "--engine", engine],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        outputs[engine] = pd.read_parquet(out)
    pd.testing.assert_frame_equal(outputs["spark"], outputs["duckdb"], rtol=1e-12)


def test_segment_reads_a_warehouse_table_and_a_folder(spark, shop, tmp_path, runner) -> None:
    from uplift_lab.cli import app

    orders = pd.read_csv(
        shop / "orders.csv", dtype={"customer_id": str}, parse_dates=["order_time"]
    )
    folder = tmp_path / "orders_dir"
    folder.mkdir()
    half = len(orders) // 2
    orders.iloc[:half].to_parquet(folder / "part-0.parquet", index=False)
    orders.iloc[half:].to_parquet(folder / "part-1.parquet", index=False)
    spark.read.parquet(str(folder)).createOrReplaceTempView("shop_orders")
    reference = segment_files(shop / "orders.csv", AS_OF).table
    for name, source in (("table", ["--table", "shop_orders"]), ("folder", [str(folder)])):
        out = tmp_path / f"{name}.parquet"
        result = runner.invoke(
            app, ["segment", *source, "--as-of", AS_OF, "--out", str(out), "--engine", "spark"]
        )
        assert result.exit_code == 0, result.output
        pd.testing.assert_frame_equal(pd.read_parquet(out), reference, rtol=1e-12)


def test_table_without_spark_is_refused(runner, tmp_path) -> None:
    from uplift_lab.cli import app

    out = str(tmp_path / "s.parquet")
    result = runner.invoke(app, ["segment", "--table", "db.orders", "--as-of", AS_OF, "--out", out])
    assert result.exit_code == 2
    assert "--table db.orders needs --engine spark" in result.output


def test_an_unsupported_rule_is_refused_before_the_session_starts(runner, tmp_path, monkeypatch):
    """A preset on Spark is refused in one line without starting a Spark session."""
    pytest.importorskip("pyspark")
    from uplift_lab.cli import app
    from uplift_lab.spark import session

    def no_session(*args, **kwargs):
        raise AssertionError("a Spark session was started")

    monkeypatch.setattr(session, "spark_session", no_session)
    orders = tmp_path / "orders.csv"
    orders.write_text("customer_id,order_time,amount\na,2026-01-01,5\n", encoding="utf-8")
    out = tmp_path / "segments.parquet"
    result = runner.invoke(app, ["segment", str(orders), "--as-of", "2026-02-01", "--out",
                                 str(out), "--engine", "spark", "--preset", "taobao"])  # fmt: skip
    assert result.exit_code == 2
    assert result.output.strip().startswith("error: --engine spark does not support")
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


def test_spark_refuses_a_refund_above_the_amount_in_duckdbs_words(spark, tmp_path) -> None:
    orders = tmp_path / "orders.csv"
    times = ["2026-01-01 10:00:00", "2026-01-02 10:00:00"]
    table = {"customer_id": ["a", "b"], "order_time": times, "amount": [5, 8], "refund": [0, 9.5]}
    pd.DataFrame(table).to_csv(orders, index=False)
    inputs = resolve_inputs(refund_col="refund")
    with pytest.raises(InputError) as duck:
        segment_files(orders, "2026-02-01", inputs=inputs)
    with pytest.raises(InputError) as on_spark:
        segment_files(orders, "2026-02-01", inputs=inputs, spark=spark)
    assert str(on_spark.value) == str(duck.value)
    assert "column 'refund' refunds more than the order's 'amount' (9.5 > 8)" in str(duck.value)
