"""The analysis cells as one SQL query that both engines run: DuckDB on this machine
(:func:`uplift_lab.analyze.cells_from_units`) and Spark SQL (``analyze --engine spark``).

Per segment x arm the sufficient statistics of :class:`uplift_lab.analyze.CellStats`: a
``GROUP BY segment, arm`` over one row per customer with ``count(*)``, ``sum`` and
``CAST(... AS DOUBLE)``. Why one shared text rather than sqlglot transpilation or ibis: the query
uses only that ANSI core, which DuckDB and Spark SQL parse and evaluate the same way (plain
lower-case identifiers, so no quoting rule differs; ``ORDER BY`` on text compares bytes in both),
so there is no dialect difference to translate and no dependency to add; the Spark equality
tests run it on both engines. A query that needs a dialect-specific function should add a
dialect parameter here, or move to sqlglot then.

DuckDB runs it on one thread: a double sum then adds the rows of a cell in row order, as
``np.bincount`` did before, so the printed figures stay byte-identical (and reproducible: a
parallel sum adds in an order that depends on scheduling).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import duckdb

from uplift_lab.cell_stats import CellStats
from uplift_lab.contracts import ARM
from uplift_lab.outcomes import CONVERTED, COVARIATE, ORDERS, REVENUE, SEGMENT

Cell = tuple[str, str]

# CellStats field -> (the unit columns it needs, the aggregate over them)
STATISTICS: dict[str, tuple[tuple[str, ...], str]] = {
    "conversions": ((CONVERTED,), f"sum(CAST({CONVERTED} AS DOUBLE))"),
    "revenue_sum": ((REVENUE,), f"sum(CAST({REVENUE} AS DOUBLE))"),
    "revenue_sum_squares": (
        (REVENUE,),
        f"sum(CAST({REVENUE} AS DOUBLE) * CAST({REVENUE} AS DOUBLE))",
    ),
    "orders": ((ORDERS,), f"sum(CAST({ORDERS} AS DOUBLE))"),
    "covariate_sum": ((COVARIATE,), f"sum(CAST({COVARIATE} AS DOUBLE))"),
    "covariate_sum_squares": (
        (COVARIATE,),
        f"sum(CAST({COVARIATE} AS DOUBLE) * CAST({COVARIATE} AS DOUBLE))",
    ),
    "revenue_covariate_sum": (
        (COVARIATE, REVENUE),
        f"sum(CAST({COVARIATE} AS DOUBLE) * CAST({REVENUE} AS DOUBLE))",
    ),
}
UNIT_COLUMNS = (CONVERTED, REVENUE, ORDERS, COVARIATE)  # the measures a units table may have
_ABSENT = {"revenue_sum": 0.0, "revenue_sum_squares": 0.0}  # a conversion-only campaign


def statistics_of(columns: Collection[str]) -> list[str]:
    """The CellStats fields a units table with ``columns`` gives (in CellStats order)."""
    return [name for name, (needs, _) in STATISTICS.items() if set(needs) <= set(columns)]


def cells_query(
    source: str, columns: Collection[str], extra: Mapping[str, str] | None = None
) -> str:
    """The cells query over the table ``source`` that has the measure ``columns``.

    ``extra`` adds aggregates (output name -> SQL expression) computed in the same pass.
    """
    selected = [f"{SEGMENT}", f"{ARM}", "count(*) AS n"]
    selected += [f"{STATISTICS[name][1]} AS {name}" for name in statistics_of(columns)]
    selected += [f"{expression} AS {name}" for name, expression in (extra or {}).items()]
    lines = ",\n  ".join(selected)
    return f"SELECT\n  {lines}\nFROM {source}\nGROUP BY {SEGMENT}, {ARM}\nORDER BY {SEGMENT}, {ARM}"


def cell_stats(row: Mapping[str, Any], columns: Collection[str]) -> CellStats:
    """One result row of :func:`cells_query` as CellStats (absent statistics: None, or 0 for
    revenue)."""
    given = statistics_of(columns)
    fields = {name: float(row[name]) if name in given else _ABSENT.get(name) for name in STATISTICS}
    return CellStats(int(row["n"]), **fields)


def cells_on_duckdb(table: Any) -> dict[Cell, CellStats]:
    """The cells of a units table (a pyarrow Table with segment, arm and measure columns),
    computed by DuckDB on one thread (see the module docstring)."""
    columns = [c for c in UNIT_COLUMNS if c in table.column_names]
    with duckdb.connect(config={"threads": 1}) as connection:
        connection.register("units", table)
        frame = connection.execute(cells_query("units", columns)).df()
    return {
        (str(row[SEGMENT]), str(row[ARM])): cell_stats(row, columns)
        for row in frame.to_dict("records")
    }
