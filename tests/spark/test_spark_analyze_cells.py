"""The cells query is one text: Spark SQL and DuckDB give the same CellStats from it."""

from __future__ import annotations

import numpy as np
import pytest

from tests.test_analyze import simulated_units
from uplift_lab import analyze, cells_sql


def test_spark_runs_the_cells_query_duckdb_runs(spark) -> None:
    rng = np.random.default_rng(5)
    units = simulated_units(seed=5)
    units = units.assign(
        orders=rng.integers(0, 3, len(units)), covariate=rng.normal(size=len(units))
    )
    measures = list(cells_sql.UNIT_COLUMNS)
    frame = spark.createDataFrame(units.drop(columns=["customer_id"]))
    rows = spark.sql(cells_sql.cells_query("{units}", measures), units=frame).collect()
    on_spark = {(r["segment"], r["arm"]): cells_sql.cell_stats(r.asDict(), measures) for r in rows}
    on_duckdb = analyze.cells_from_units(units)
    assert list(on_spark) == list(on_duckdb)
    for key, cell in on_duckdb.items():
        other = on_spark[key]
        assert other.n == cell.n
        for name in cells_sql.STATISTICS:
            assert getattr(other, name) == pytest.approx(getattr(cell, name), rel=1e-12)
