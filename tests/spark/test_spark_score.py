"""score --engine spark: the boosters applied per partition (mapInPandas) give DuckDB's scores
file, the same columns, dtypes and values."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.test_uplift_models import FAST, _training, simulated_campaign
from uplift_lab.uplift.train import train_uplift_model
from uplift_lab.workflows.model_folder import load_model, save_model
from uplift_lab.workflows.score import score_file


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory):
    frame, _ = simulated_campaign(1500, seed=7, arms=("sms", "edm"))
    result = train_uplift_model(
        _training(frame), conversion_model="solo", revenue_model="decomposition", n_folds=2,
        settings=FAST,
    )  # fmt: skip
    folder = tmp_path_factory.mktemp("spark_models") / "sim"
    save_model(result.model, folder, cv_predictions=result.cv_predictions)
    return frame, folder


def test_spark_scores_equal_duckdb_scores(spark, model_folder, tmp_path) -> None:
    from uplift_lab.workflows.score import score_on_spark

    frame, folder = model_folder
    customers = tmp_path / "customers.parquet"
    frame.to_parquet(customers, index=False)
    score_file(load_model(folder), customers, tmp_path / "duck.parquet")
    spark_customers = spark.read.parquet(str(customers)).repartition(3)  # several partitions
    spark_customers.write.parquet(str(tmp_path / "parts"))
    rows, _ = score_on_spark(spark, folder, tmp_path / "parts", tmp_path / "spark.parquet")
    duck = pd.read_parquet(tmp_path / "duck.parquet")
    on_spark = pd.read_parquet(tmp_path / "spark.parquet")
    assert rows == len(duck)
    id_col = duck.columns[0]
    on_spark = on_spark.set_index(id_col).loc[duck[id_col]].reset_index()
    pd.testing.assert_frame_equal(on_spark, duck, check_exact=True)


def test_score_cli_runs_on_spark_and_refuses_a_folder_on_duckdb(
    spark, model_folder, tmp_path, runner
) -> None:
    from uplift_lab.cli import app

    frame, folder = model_folder
    parts = tmp_path / "parts"
    parts.mkdir()
    frame.to_parquet(parts / "part-0.parquet", index=False)
    refused = runner.invoke(
        app, ["score", str(folder), str(parts), "--out", str(tmp_path / "a.csv")]
    )
    assert refused.exit_code == 2 and "use --engine spark" in refused.output
    result = runner.invoke(app, ["score", str(folder), str(parts), "--out",
                                 str(tmp_path / "s.csv"), "--engine", "spark"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(tmp_path / "s.csv")) == len(frame)
