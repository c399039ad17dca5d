"""Analysis on aggregates: a table of per segment x arm sufficient statistics -> the analysis.

What a warehouse returns for ``GROUP BY segment, arm`` (``n``, ``conversions``,
``revenue_sum``, ``revenue_sum_squares``, optionally ``orders`` and the CUPED moments) is all
the analysis needs, so an experiment of any size is analysed from a few rows. The table (read
by :mod:`uplift_lab.workflows.analyze`) is validated here, one line per problem naming file,
column and fix; the numbers come from :func:`uplift_lab.analyze.analyze_cells`, the same core
the per-customer path calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from uplift_lab import contracts
from uplift_lab.analysis_inputs import (
    ALL_SEGMENTS,
    arm_labels,
    options_for_declared_arms,
    refuse_pooled_segment_name,
    segment_labels,
)
from uplift_lab.analysis_results import Analysis, AnalysisOptions
from uplift_lab.analyze import Cell, CellStats, analyze_cells
from uplift_lab.errors import input_error, usage_error

N = "n"
CONVERSIONS = "conversions"
REVENUE_SUM = "revenue_sum"
REVENUE_SUM_SQUARES = "revenue_sum_squares"
ORDERS = "orders"  # optional: orders in the window, for the average order value
COVARIATE_SUM = "covariate_sum"
COVARIATE_SUM_SQUARES = "covariate_sum_squares"
REVENUE_COVARIATE_SUM = "revenue_covariate_sum"
REVENUE_COLUMNS = (REVENUE_SUM, REVENUE_SUM_SQUARES)
COVARIATE_COLUMNS = (COVARIATE_SUM, COVARIATE_SUM_SQUARES, REVENUE_COVARIATE_SUM)
_RELATIVE_TOLERANCE = 1e-9  # rounding in a warehouse's sums, relative to the sum of squares

CELLS_SQL = (
    "SELECT segment, arm, count(*) AS n, sum(converted) AS conversions, "
    "sum(revenue) AS revenue_sum, sum(revenue * revenue) AS revenue_sum_squares "
    "FROM customers GROUP BY segment, arm"
)


def cells_from_table(
    frame: pd.DataFrame,
    source: object,
    *,
    arm_column: str,
    segment_column: str | None = None,
    covariate: bool = False,
) -> tuple[dict[Cell, CellStats], bool]:
    """Validate a table of per segment x arm sufficient statistics and return
    ``({(segment, arm): CellStats}, has_revenue)``.

    Columns: ``arm_column``, ``n``, ``conversions``; ``revenue_sum`` and ``revenue_sum_squares``
    together (neither: a conversion-only campaign); optional ``orders``; with ``covariate``
    ``covariate_sum``, ``covariate_sum_squares`` and ``revenue_covariate_sum``. Raises
    InputError naming source, column and fix.
    """
    has_revenue = _check_columns(frame, source, arm_column, segment_column, covariate)
    if len(frame) == 0:
        raise input_error(source, "has no rows", "Pass one row per segment x arm")

    arms = arm_labels(frame, arm_column, source)
    segments = _segments(frame, segment_column, source)
    _refuse_duplicates(segments, arms, source, arm_column, segment_column)
    n, conversions, columns = _moment_columns(frame, source, has_revenue, covariate)

    def value(column: str, row: int) -> float | None:
        values = columns[column]
        return None if values is None else float(values[row])

    cells = {
        (segments[row], arms[row]): CellStats(
            int(n[row]),
            float(conversions[row]),
            value(REVENUE_SUM, row) or 0.0,
            value(REVENUE_SUM_SQUARES, row) or 0.0,
            orders=value(ORDERS, row),
            covariate_sum=value(COVARIATE_SUM, row),
            covariate_sum_squares=value(COVARIATE_SUM_SQUARES, row),
            revenue_covariate_sum=value(REVENUE_COVARIATE_SUM, row),
        )
        for row in range(len(frame))
    }
    return cells, has_revenue


def _check_columns(
    frame: pd.DataFrame,
    source: object,
    arm_column: str,
    segment_column: str | None,
    covariate: bool,
) -> bool:
    """The columns a cells table needs; returns whether it has the revenue columns."""
    required = [arm_column, N, CONVERSIONS] + ([segment_column] if segment_column else [])
    contracts.require_columns(frame, required, source)
    present = [c for c in REVENUE_COLUMNS if c in frame.columns]
    if len(present) == 1:
        missing = next(c for c in REVENUE_COLUMNS if c not in frame.columns)
        raise input_error(
            source,
            f"has column '{present[0]}' but not '{missing}'",
            f"Add {missing} (sum(revenue * revenue) per cell), or drop both for conversion only",
        )
    has_revenue = bool(present)
    if covariate:
        if not has_revenue:
            raise usage_error(
                source,
                f"{{covariate}} needs the revenue columns {' and '.join(REVENUE_COLUMNS)}",
                "Add them, or leave out {covariate}",
            )
        lacking = [c for c in COVARIATE_COLUMNS if c not in frame.columns]
        if lacking:
            raise usage_error(
                source,
                f"{{covariate}} needs column '{lacking[0]}' (CUPED moments: "
                f"{', '.join(COVARIATE_COLUMNS)})",
                "Add sum(x), sum(x * x) and sum(x * revenue) per cell, or leave out {covariate}",
            )
    return has_revenue


def _moment_columns(
    frame: pd.DataFrame, source: object, has_revenue: bool, covariate: bool
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray | None]]:
    """n, conversions and the other moment columns (None where absent), each checked against
    what sums over the same customers allow."""
    n = _whole(frame, N, source, low=1, fix="Remove cells without customers")
    conversions = _whole(frame, CONVERSIONS, source, low=0, fix="Count converted customers")
    _refuse_above(conversions, n, source, CONVERSIONS, "more conversions than customers n")
    columns: dict[str, np.ndarray | None] = dict.fromkeys((ORDERS, *REVENUE_COLUMNS))
    columns.update(dict.fromkeys(COVARIATE_COLUMNS))
    if ORDERS in frame.columns:
        columns[ORDERS] = _whole(frame, ORDERS, source, low=0, fix="Count orders in the window")
        rule = "more conversions than orders"
        _refuse_above(conversions, columns[ORDERS], source, ORDERS, rule)
    if has_revenue:
        for column in REVENUE_COLUMNS:
            columns[column] = contracts.numeric_column(frame, column, source).to_numpy()
        _refuse_negative_variance(n, columns[REVENUE_SUM], columns[REVENUE_SUM_SQUARES], source,
                                  REVENUE_SUM_SQUARES, "sum(revenue * revenue)")  # fmt: skip
    if covariate:
        for column in COVARIATE_COLUMNS:
            columns[column] = contracts.numeric_column(frame, column, source).to_numpy()
        _refuse_negative_variance(n, columns[COVARIATE_SUM], columns[COVARIATE_SUM_SQUARES],
                                  source, COVARIATE_SUM_SQUARES, "sum(x * x)")  # fmt: skip
        _refuse_impossible_covariance(n, columns, source)
    return n, conversions, columns


def _segments(frame: pd.DataFrame, column: str | None, source: object) -> list[str]:
    if column is None:
        return [ALL_SEGMENTS] * len(frame)
    labels = segment_labels(frame, column, source)
    refuse_pooled_segment_name(labels, column, source)
    return labels.tolist()


def _refuse_duplicates(
    segments: Sequence[str],
    arms: pd.Series,
    source: object,
    arm_column: str,
    segment_column: str | None,
) -> None:
    keys = pd.Series(list(zip(segments, arms, strict=True)))
    duplicated = keys.duplicated()
    if not duplicated.any():
        return
    row = int(np.flatnonzero(duplicated.to_numpy())[0])
    segment, arm = keys.iloc[row]
    where = f"arm '{arm}'" + (f" in segment '{segment}'" if segment_column else "")
    by = f"{segment_column}, {arm_column}" if segment_column else arm_column
    raise usage_error(
        source,
        f"{where} has more than one row (data row {row + 1}); column '{arm_column}' must name "
        "each cell once",
        f"Sum the rows per cell (GROUP BY {by}), or pass {{segment_col}} if the table has segments",
    )


def _whole(frame: pd.DataFrame, column: str, source: object, *, low: int, fix: str) -> np.ndarray:
    """A column of whole numbers >= ``low``, as float64."""
    values = contracts.numeric_column(frame, column, source).to_numpy()
    bad = (values < low) | (np.mod(values, 1) != 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise input_error(
            source,
            f"column '{column}' must hold whole numbers >= {low}; data row {row + 1} has "
            f"{values[row]:g}",
            fix,
        )
    return values


def _refuse_above(
    small: np.ndarray, large: np.ndarray, source: object, column: str, rule: str
) -> None:
    """``small <= large`` row by row, else an error naming ``column`` and the first bad row."""
    bad = small > large
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise input_error(
            source,
            f"column '{column}' is inconsistent in data row {row + 1}: {rule} "
            f"({small[row]:g} > {large[row]:g})",
            "Recompute the cells from the same customers",
        )


def _refuse_negative_variance(
    n: np.ndarray,
    sums: np.ndarray,
    squares: np.ndarray,
    source: object,
    column: str,
    formula: str,
) -> None:
    """A sum of squares below sum^2 / n is impossible (a negative variance)."""
    centered = squares - sums * sums / n
    bad = centered < -_RELATIVE_TOLERANCE * np.maximum(np.abs(squares), 1.0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise input_error(
            source,
            f"column '{column}' is below sum^2 / n in data row {row + 1} ({squares[row]:g} < "
            f"{sums[row] * sums[row] / n[row]:g}), a negative variance",
            f"It must be the sum of squares, {formula}, over the same customers as the sum",
        )


def _refuse_impossible_covariance(
    n: np.ndarray, columns: Mapping[str, np.ndarray | None], source: object
) -> None:
    """Cauchy-Schwarz: the covariance of x and revenue cannot exceed the product of their SDs."""
    x, xx, xy = (columns[c] for c in COVARIATE_COLUMNS)
    y, yy = (columns[c] for c in REVENUE_COLUMNS)
    var_x, var_y = np.maximum(xx - x * x / n, 0.0), np.maximum(yy - y * y / n, 0.0)
    covariance = xy - x * y / n
    bound = np.sqrt(var_x * var_y)
    bad = np.abs(covariance) > bound + _RELATIVE_TOLERANCE * np.maximum(np.abs(xy), 1.0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise input_error(
            source,
            f"column '{REVENUE_COVARIATE_SUM}' is inconsistent in data row {row + 1}: the "
            "covariance it implies exceeds what the two sums of squares allow",
            "It must be sum(x * revenue) over the same customers as covariate_sum and revenue_sum",
        )


def check_cell_arms(
    cells: Mapping[Cell, CellStats], options: AnalysisOptions, source: object, arm_column: str
) -> None:
    """The control and at least one treated arm; with designed fractions no other label."""
    arms = sorted({arm for _, arm in cells})
    declared = sorted({a for fractions in (options.expected_fractions or {}).values()
                       for a in fractions})  # fmt: skip
    if declared:
        contracts.check_labels(
            pd.Series(arms), declared, source, arm_column,
            "Fix those labels, or declare every arm in {expected_fractions}",
        )  # fmt: skip
    if len(arms) < 2:
        raise usage_error(
            source,
            f"column '{arm_column}' has only one arm ('{arms[0]}'); a comparison needs a control "
            "and at least one treated arm",
            "Pass every arm's cells, or the right {arm_col}",
        )
    if options.control not in arms:
        shown = ", ".join(f"'{arm}'" for arm in arms[:20])
        raise usage_error(
            source,
            f"control arm '{options.control}' is not in column '{arm_column}' (arms: {shown})",
            "Pass one of them with {control}",
        )


def analyze_cell_table(
    frame: pd.DataFrame,
    options: AnalysisOptions,
    *,
    source: object,
    arm_column: str,
    segment_column: str | None = None,
) -> Analysis:
    """Analyse a table of per segment x arm sufficient statistics (already read).

    CUPED runs when ``options.covariate_name`` is set (it then names the covariate whose
    moments the table holds). Steps that need one row per customer (revenue cap, whale share,
    daily curve) are skipped with a note; ``options.cap_quantile`` is refused.
    """
    cells, has_revenue = cells_from_table(
        frame,
        source,
        arm_column=arm_column,
        segment_column=segment_column,
        covariate=options.covariate_name is not None,
    )
    options = options_for_declared_arms(options)
    check_cell_arms(cells, options, source, arm_column)
    notes: dict[str, object] = {
        "input": str(source),
        "mode": "aggregated cells",
        "cells": len(cells),
        "customers": sum(c.n for c in cells.values()),
    }
    if ORDERS in frame.columns:
        notes["orders_in_window"] = int(sum(c.orders for c in cells.values()))
    return analyze_cells(
        cells, options, source=str(source), has_revenue=has_revenue, rows=None, data_notes=notes
    )
