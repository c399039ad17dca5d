"""The cells query (cells_sql) on DuckDB: the per-customer path's CellStats, checked against
a pandas group-by of the same rows."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tests.test_analyze import simulated_units
from uplift_lab import analyze, cells_sql


def _by_pandas(units: pd.DataFrame) -> dict:
    frame = units.assign(
        rr=units["revenue"] ** 2, xx=units["covariate"] ** 2,
        xr=units["covariate"] * units["revenue"],
    )  # fmt: skip
    grouped = frame.groupby(["segment", "arm"]).agg(
        n=("converted", "size"), conversions=("converted", "sum"),
        revenue_sum=("revenue", "sum"), revenue_sum_squares=("rr", "sum"),
        orders=("orders", "sum"), covariate_sum=("covariate", "sum"),
        covariate_sum_squares=("xx", "sum"), revenue_covariate_sum=("xr", "sum"),
    )  # fmt: skip
    return {
        key: row._asdict() for key, row in zip(grouped.index, grouped.itertuples(), strict=True)
    }


def test_cells_from_units_equal_a_pandas_group_by() -> None:
    rng = np.random.default_rng(4)
    units = simulated_units(seed=4)
    units = units.assign(
        orders=rng.integers(0, 3, len(units)), covariate=rng.normal(0, 9, len(units))
    )
    cells = analyze.cells_from_units(units)
    expected = _by_pandas(units)
    assert list(cells) == sorted(expected)
    for key, cell in cells.items():
        assert cell.n == expected[key]["n"]
        for name in cells_sql.STATISTICS:
            assert getattr(cell, name) == pytest.approx(expected[key][name], rel=1e-12)


def test_a_conversion_only_table_has_zero_revenue_and_no_optional_statistics() -> None:
    units = simulated_units(seed=2).drop(columns=["revenue"])
    cell = analyze.cells_from_units(units)[("active", "send")]
    assert (cell.revenue_sum, cell.revenue_sum_squares) == (0.0, 0.0)
    assert cell.orders is None and not cell.has_covariate


def test_a_nan_revenue_stays_nan_as_in_a_numpy_sum() -> None:
    units = pd.DataFrame(
        {"segment": "all", "arm": "send", "converted": [1.0, 0.0], "revenue": [math.nan, 0.0]}
    )
    assert math.isnan(analyze.cells_from_units(units)[("all", "send")].revenue_sum)


def test_the_query_names_only_the_statistics_its_columns_give() -> None:
    query = cells_sql.cells_query("units", ["converted"])
    assert "revenue" not in query and "GROUP BY segment, arm" in query
