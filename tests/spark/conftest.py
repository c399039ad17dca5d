"""One small local Spark session for all Spark tests, and one synthetic shop they share.

The tests skip (with the reason) where pyspark or Java is absent; CI installs the spark extra
and has Java 17, so there they run. The session is local[2] with 2 shuffle partitions and no UI,
so the whole Spark suite stays well under a couple of minutes including the JVM start.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from uplift_lab.spark.session import java_available, pyspark_available

SHOP_CUSTOMERS = 2_000
AS_OF = "2026-10-20"


@pytest.fixture(scope="session")
def spark():
    if not pyspark_available():
        pytest.skip("pyspark is not installed (pip install -e '.[spark]')")
    if not java_available():
        pytest.skip("no Java on this machine (Spark needs Java 17 or 21)")
    from uplift_lab.spark.session import spark_session

    session = spark_session(
        "local[2]",
        **{
            "spark.sql.shuffle.partitions": "2",
            "spark.default.parallelism": "2",
            # tiny data: interpreting beats compiling (whole-stage codegen costs seconds per query)
            "spark.sql.codegen.wholeStage": "false",
            "spark.sql.adaptive.enabled": "false",
        },
    )
    yield session
    session.stop()


@pytest.fixture(scope="session")
def shop(tmp_path_factory) -> Path:
    """A synthetic shop (``synth``) and its DuckDB segment table: the reference inputs."""
    from typer.testing import CliRunner

    from uplift_lab.cli import app

    root = tmp_path_factory.mktemp("spark_shop")
    runner = CliRunner()
    for args in (
        ["synth", "--customers", str(SHOP_CUSTOMERS), "--seed", "3", "--out", str(root)],
        [
            "segment",
            str(root / "orders.csv"),
            "--customers",
            str(root / "customers.csv"),
            "--as-of",
            AS_OF,
            "--out",
            str(root / "segments.parquet"),
        ],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    return root
