"""analyze --engine spark: the report equals the DuckDB/per-customer one (numbers to rounding:
Spark sums in another order), from an orders file and from per-customer outcomes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.spark._compare import differences
from uplift_lab import analyze
from uplift_lab.report.analyze_report import report_payload
from uplift_lab.report.notice_text import render_notice
from uplift_lab.workflows.analyze import analyze_experiment_folder


def _options(covariate: str | None = None) -> analyze.AnalysisOptions:
    return analyze.AnalysisOptions(
        control="", costs={"send": 0.05}, margin=0.3, covariate_name=covariate
    )


def test_spark_analysis_of_orders_equals_duckdb(spark, shop) -> None:
    covariate = "pre_revenue"  # CUPED: every cell moment, the daily curve and the whale share
    from uplift_lab.workflows.analyze_command import analyze_folder_on_spark

    folder, orders = shop / "past_sms", shop / "orders.csv"
    duck = analyze_experiment_folder(folder, orders, _options(covariate), covariate=covariate)
    on_spark = analyze_folder_on_spark(
        spark, folder, orders, _options(covariate), covariate=covariate
    )
    assert differences(report_payload(duck), report_payload(on_spark)) == []


def test_spark_analysis_of_per_customer_outcomes_from_a_folder(spark, shop, tmp_path) -> None:
    from uplift_lab.workflows.analyze_command import analyze_folder_on_spark

    orders = pd.read_csv(shop / "orders.csv", parse_dates=["order_time"])
    window = orders[orders["order_time"].between("2026-08-21", "2026-09-04", inclusive="left")]
    per_customer = window.groupby("customer_id", as_index=False)["amount"].sum()
    per_customer = per_customer.rename(columns={"amount": "revenue"}).assign(converted=1)
    (tmp_path / "outcomes").mkdir()
    per_customer.to_parquet(tmp_path / "outcomes" / "part-0.parquet", index=False)
    flat = tmp_path / "outcomes.parquet"
    per_customer.to_parquet(flat, index=False)
    folder = shop / "past_sms"
    duck = analyze_experiment_folder(folder, flat, _options())
    on_spark = analyze_folder_on_spark(spark, folder, tmp_path / "outcomes", _options())
    found = differences(report_payload(duck), report_payload(on_spark))
    assert [d for d in found if not d.startswith(".data_notes.outcomes")] == []


def test_analyze_cli_on_spark_refuses_a_preset_in_one_line(runner, shop: Path) -> None:
    from uplift_lab.cli import app

    result = runner.invoke(app, ["analyze", str(shop / "past_sms"), "--outcomes",
                                 str(shop / "orders.csv"), "--engine", "spark", "--preset",
                                 "taobao"])  # fmt: skip
    assert result.exit_code == 2
    assert result.output.strip().startswith("error: --preset is not supported with --engine spark")
    assert len(result.output.strip().splitlines()) == 1


def test_spark_warns_like_duckdb_when_the_orders_end_inside_the_window(spark, shop, tmp_path):
    from uplift_lab.workflows.analyze_command import analyze_folder_on_spark

    orders = pd.read_csv(shop / "orders.csv", dtype={"customer_id": str})
    cut = tmp_path / "orders_to_aug_25.csv"
    orders[orders["order_time"] < "2026-08-26"].to_csv(cut, index=False)
    folder = shop / "past_sms"
    duck = analyze_experiment_folder(folder, cut, _options())
    on_spark = analyze_folder_on_spark(spark, folder, cut, _options())
    assert any("inside the response window" in render_notice(n) for n in on_spark.notices)
    assert differences(report_payload(duck), report_payload(on_spark)) == []
