"""design --engine spark: the assignment equals DuckDB's row for row (the same Parquet bytes),
and counts, fractions, power and balance equal DuckDB's."""

from __future__ import annotations

import pandas as pd
import pytest

from uplift_lab.io import read_json
from uplift_lab.workflows.design import create_experiment

OPTIONS = [
    {
        "strata": ["lifecycle", "spend_band"],
        "holdout_by_stratum": {"silent": 0.2},
        "segments": ["semi_active", "silent", "churned"],
    },
    {
        "strata": [],
        "arms": {"control": 0.1, "sms": 0.45, "edm": 0.45},
        "salt": "s1",
        "baseline_column": "sms_opt_in",
    },
]
_FLOATS = {"balance", "mde", "design_sha256", "created_at", "input_file", "warnings"}


@pytest.mark.parametrize("options", OPTIONS, ids=["two_strata", "three_arms"])
def test_spark_assignment_and_design_equal_duckdb(spark, shop, tmp_path, options) -> None:
    from uplift_lab.workflows.design import create_experiment_spark

    source = shop / "segments.parquet"
    duck, _ = create_experiment(source, out=tmp_path / "duck", name="x", **options)
    on_spark, _ = create_experiment_spark(
        source, out=tmp_path / "spark", spark=spark, name="x", **options
    )
    duck_file, spark_file = (tmp_path / p / "assignment.parquet" for p in ("duck", "spark"))
    assert spark_file.read_bytes() == duck_file.read_bytes()
    assert on_spark.assignment.counts == duck.assignment.counts
    assert on_spark.assignment.fractions == duck.assignment.fractions
    pd.testing.assert_frame_equal(on_spark.power.table, duck.power.table, rtol=1e-12)
    pd.testing.assert_frame_equal(on_spark.balance.table, duck.balance.table, rtol=1e-9)
    assert len(on_spark.warnings) == len(duck.warnings)
    meta_duck, meta_spark = (read_json(tmp_path / p / "design.json") for p in ("duck", "spark"))
    assert {k: v for k, v in meta_spark.items() if k not in _FLOATS} == {
        k: v for k, v in meta_duck.items() if k not in _FLOATS
    }


def test_design_cli_on_spark_reads_a_folder_of_parquet(spark, shop, tmp_path, runner) -> None:
    from uplift_lab.cli import app

    folder = tmp_path / "segments_dir"
    folder.mkdir()
    frame = pd.read_parquet(shop / "segments.parquet")
    half = len(frame) // 2
    frame.iloc[:half].to_parquet(folder / "part-0.parquet", index=False)
    frame.iloc[half:].to_parquet(folder / "part-1.parquet", index=False)
    for engine, source in (("duckdb", shop / "segments.parquet"), ("spark", folder)):
        result = runner.invoke(
            app,
            [
                "design",
                str(source),
                "--name",
                "x",
                "--engine",
                engine,
                "--out",
                str(tmp_path / engine),
            ],  # fmt: skip
        )
        assert result.exit_code == 0, result.output
    assert (tmp_path / "spark" / "assignment.parquet").read_bytes() == (
        tmp_path / "duckdb" / "assignment.parquet"
    ).read_bytes()


def test_duplicate_ids_on_spark_are_one_line_errors(spark, tmp_path, runner) -> None:
    from uplift_lab.cli import app

    path = tmp_path / "dupes.csv"
    path.write_text("customer_id,lifecycle\n007,active\n007,silent\n8,active\n")
    result = runner.invoke(app, ["design", str(path), "--name", "x", "--engine", "spark",
                                 "--out", str(tmp_path / "out")])  # fmt: skip
    assert result.exit_code == 2
    assert "error:" in result.output and "1 duplicate id(s), e.g. '007'" in result.output
    assert "Traceback" not in result.output


def test_table_without_spark_is_refused(runner, tmp_path) -> None:
    from uplift_lab.cli import app

    result = runner.invoke(app, ["design", "--table", "db.customers", "--name", "x"])
    assert result.exit_code == 2
    assert "--table db.customers needs --engine spark" in result.output


def test_design_reads_a_warehouse_table(spark, shop, tmp_path, runner) -> None:
    from uplift_lab.cli import app

    spark.read.parquet(str(shop / "segments.parquet")).createOrReplaceTempView("shop_segments")
    result = runner.invoke(app, ["design", "--table", "shop_segments", "--name", "x",
                                 "--engine", "spark", "--out", str(tmp_path / "t")])  # fmt: skip
    assert result.exit_code == 0, result.output
    reference, _ = create_experiment(shop / "segments.parquet", out=tmp_path / "d", name="x")
    assert (tmp_path / "t" / "assignment.parquet").read_bytes() == (
        tmp_path / "d" / "assignment.parquet"
    ).read_bytes()


def test_engine_spark_without_java_is_one_line(runner, tmp_path, monkeypatch) -> None:
    from uplift_lab.cli import app
    from uplift_lab.spark import session

    monkeypatch.setattr(session, "pyspark_available", lambda: True)
    monkeypatch.setattr(session, "java_available", lambda: False)
    path = tmp_path / "c.csv"
    path.write_text("customer_id,lifecycle\n1,active\n")
    result = runner.invoke(app, ["design", str(path), "--name", "x", "--engine", "spark"])
    assert result.exit_code == 2
    assert result.output.startswith("error: --engine spark needs Java 17 or 21")
    assert len(result.output.strip().splitlines()) == 1
