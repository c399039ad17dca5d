"""The Spark steps' errors name parameters in the library (``engine=spark``, ``'cap_quantile'``)
and the same words with flags in the CLI (``--engine spark``, ``--cap-revenue``): one message
each, written once as a template with the parameters as placeholders."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from uplift_lab.cli._common import error_message
from uplift_lab.errors import UsageError
from uplift_lab.file_layout import FileLayout

from .conftest import AS_OF


def _cli_error(runner, args: list[str]) -> str:
    from uplift_lab.cli import app

    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def test_a_missing_pyspark_is_said_with_the_engine_parameter_and_its_flag(
    runner, tmp_path, monkeypatch
) -> None:
    from uplift_lab.spark import session

    monkeypatch.setattr(session, "pyspark_available", lambda: False)
    with pytest.raises(UsageError) as caught:
        session.spark_session()
    assert str(caught.value) == (
        "engine=spark needs pyspark, which is not installed. Install the extra: "
        "pip install -e '.[spark]' (or use engine=duckdb)"
    )
    orders = tmp_path / "orders.csv"
    orders.write_text("customer_id,order_time,amount\na,2026-01-01,5\n", encoding="utf-8")
    out = str(tmp_path / "s.parquet")
    line = _cli_error(
        runner, ["segment", str(orders), "--as-of", AS_OF, "--out", out, "--engine", "spark"]
    )
    assert line == (
        "error: --engine spark needs pyspark, which is not installed. Install the extra: "
        "pip install -e '.[spark]' (or use --engine duckdb)"
    )


def test_the_spark_master_parameter_is_the_spark_master_flag() -> None:
    failed = UsageError("{engine=spark}: could not start Spark at master 'x'. Check {master}")
    assert str(failed) == "engine=spark: could not start Spark at master 'x'. Check 'master'"
    assert error_message(failed) == (
        "--engine spark: could not start Spark at master 'x'. Check --spark-master"
    )


def test_a_model_without_ids_names_id_col_and_the_cli_its_flag() -> None:
    pytest.importorskip("pyspark")
    from uplift_lab.spark.score import check_spark_model
    from uplift_lab.uplift.data import ROW_ID

    with pytest.raises(UsageError) as caught:
        check_spark_model(SimpleNamespace(id_col=ROW_ID), Path("models/m"))
    assert str(caught.value).endswith(
        "which engine=spark cannot number in a distributed table. Train with 'id_col', "
        "or use engine=duckdb"
    )
    assert error_message(caught.value) == (
        "models/m: was trained without an id column (ids are row numbers), which --engine spark "
        "cannot number in a distributed table. Train with --id-col, or use --engine duckdb"
    )


def test_an_excel_file_and_an_unknown_table_on_spark(spark, runner, tmp_path) -> None:
    from uplift_lab.io.spark import input_format, read_frame

    book = tmp_path / "orders.xlsx"
    book.write_bytes(b"not really a workbook")
    with pytest.raises(
        UsageError,
        match=r"^.*orders.xlsx: engine=spark reads Parquet or CSV, "
        r"not '.xlsx'. Convert it \(uplift-lab reads Excel with engine=duckdb\)",
    ):
        input_format(book)  # fmt: skip
    out = str(tmp_path / "s.parquet")
    common = ["--as-of", AS_OF, "--out", out, "--engine", "spark"]
    line = _cli_error(runner, ["segment", str(book), *common])
    assert line == (
        f"error: {book}: --engine spark reads Parquet or CSV, not '.xlsx'. Convert it "
        "(uplift-lab reads Excel with --engine duckdb), or pass a folder of Parquet"
    )
    with pytest.raises(UsageError, match="^'table' no_db.orders: no such table in the Spark"):
        read_frame(spark, None, table="no_db.orders")
    line = _cli_error(runner, ["segment", "--table", "no_db.orders", *common])
    assert line.startswith("error: --table no_db.orders: no such table in the Spark catalog.")


def test_cap_revenue_on_spark_names_cap_quantile_and_the_cli_its_flag(spark, runner, shop):
    from uplift_lab.analyze import AnalysisOptions
    from uplift_lab.spark.analyze import check_spark_options

    folder = shop / "past_sms"
    with pytest.raises(UsageError) as caught:
        check_spark_options(AnalysisOptions(control="", cap_quantile=0.99), folder)
    assert str(caught.value) == (
        f"{folder}: 'cap_quantile' is not supported with engine=spark (a pooled quantile of "
        "every customer's revenue). Leave it out, or use engine=duckdb"
    )
    line = _cli_error(runner, ["analyze", str(folder), "--outcomes", str(shop / "orders.csv"),
                               "--engine", "spark", "--cap-revenue", "0.99"])  # fmt: skip
    assert line == (
        f"error: {folder}: --cap-revenue is not supported with --engine spark (a pooled "
        "quantile of every customer's revenue). Leave it out, or use --engine duckdb"
    )


def test_a_missing_order_column_on_spark_names_the_parameter_or_its_flag(spark, runner, shop):
    from uplift_lab.columnmap import resolve_inputs
    from uplift_lab.workflows.segment import segment_files

    orders = shop / "orders.csv"
    inputs = resolve_inputs(customer_col="buyer")
    with pytest.raises(UsageError) as caught:
        segment_files(orders, AS_OF, inputs=inputs, spark=spark)
    message = str(caught.value)
    assert message.startswith(f"{orders}: missing column 'buyer'. The file has: order_id")
    assert message.endswith("Map it with customer_col=NAME or a columns=map.toml")
    out = str(shop / "x.parquet")
    line = _cli_error(runner, ["segment", str(orders), "--as-of", AS_OF, "--customer-col",
                               "buyer", "--out", out, "--engine", "spark"])  # fmt: skip
    assert line.startswith(f"error: {orders}: missing column 'buyer'. The file has: order_id")
    assert line.endswith("Map it with --customer-col NAME or a --columns map.toml")


def test_no_orders_before_as_of_on_spark_names_as_of_and_the_cli_its_flag(spark, runner, shop):
    from uplift_lab.workflows.segment import segment_files

    orders = shop / "orders.csv"
    with pytest.raises(UsageError) as caught:
        segment_files(orders, "2000-01-01", spark=spark)
    assert "has no orders before as_of=2000-01-01 00:00:00 (its orders run from" in str(
        caught.value
    )
    assert str(caught.value).endswith("Use a later 'as_of', or pass 'customers'")
    line = _cli_error(runner, ["segment", str(orders), "--as-of", "2000-01-01", "--out",
                               str(shop / "x.parquet"), "--engine", "spark"])  # fmt: skip
    assert "has no orders before --as-of 2000-01-01 00:00:00 (its orders run from" in line
    assert line.endswith("Use a later --as-of, or pass --customers")


@pytest.mark.parametrize(
    ("source", "said"),
    [
        ({"quantity_col": "Quantity", "unit_price_col": "UnitPrice"}, "quantity x unit_price"),
        ({"rules": {"skip_missing_customer": True}}, "skip_missing_customer"),
        ({"layout": FileLayout(names=("customer_id",))}, "files without a header line"),
        ({"layout": FileLayout(sheet="*")}, "workbook sheets"),
    ],
)
def test_line_amounts_and_guest_rows_are_refused_on_spark_in_one_line(source, said) -> None:
    """Spark counts neither: it says so before it starts, not with wrong totals."""
    pytest.importorskip("pyspark")
    from uplift_lab.orders import OrderRules, OrderSource
    from uplift_lab.spark.segment import check_spark_inputs

    rules = OrderRules(**source.pop("rules", {}))
    with pytest.raises(UsageError) as caught:
        check_spark_inputs(OrderSource(rules=rules, **source))
    assert said in str(caught.value) and "engine=spark does not support" in str(caught.value)
    assert error_message(caught.value).startswith("--engine spark does not support")
