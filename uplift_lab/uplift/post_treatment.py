"""Columns a randomized campaign shows to be measured after the send (or not randomized over).

In a randomized campaign every attribute known before the send is independent of the arm: its
distribution differs between arms only by chance. A column whose distribution differs far beyond
chance was changed by the message: an outcome such as Hillstrom's ``visit`` or ``conversion``
next to the one being modelled, a "last active" date refreshed by the campaign. As a feature it
leaks the outcome (every spender lands in the top decile of the cross-validated scores, so the
held-out Qini is a fiction and the model learns nothing that holds at send time). The other way
to fail this test is an assignment that depended on the column, which equally breaks a model
trained as if on a randomized campaign.

The test per column: a chi-square test of independence of its levels and the arm (missing as a
level; levels too rare for the approximation pooled), or, for numbers and dates with many
values, a Kruskal-Wallis test across arms plus the chi-square test of which rows are missing.
A column is flagged at ``p < POST_TREATMENT_P``: a pre-send column passes it 999,999 times in a
million, so a table of a hundred features loses one by chance once in ten thousand campaigns.
A column that tells the arms apart strongly (Cramer's V of levels, or of deciles for numbers, at
least ``STRONG_ASSOCIATION``) is not dropped here: the arm then depends on it (an assignment by a
rule, or a copy of the arm), and training's randomization check refuses the table instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency, kruskal

POST_TREATMENT_P = 1e-6
CHECK_ROWS = 200_000  # rows tested (evenly spaced): plenty to see a leak, fast on any table
MANY_VALUES = 20  # numbers with more distinct values are compared by rank, not by level
MIN_EXPECTED = 5.0  # levels expected this rarely in some arm are pooled into one level
STRONG_ASSOCIATION = 0.2  # Cramer's V from which the arm depends on the column (not a leak)
DECILES = 10


def arm_association_strength(values: pd.Series | np.ndarray, arm: np.ndarray) -> float:
    """Cramer's V of the column's levels (numbers with many values: deciles) and the arm."""
    series = pd.Series(values).reset_index(drop=True)
    if _is_numeric(series):
        numbers = series.astype("float64")
        if numbers.nunique() > MANY_VALUES:
            ranks = numbers.rank(method="first")
            series = pd.qcut(ranks, DECILES, labels=False).astype("float64")
    table = _pooled_table(series, _labels(arm))
    if table is None:
        return 0.0
    n = table.sum()
    chi2 = chi2_contingency(table, correction=False).statistic
    return float(np.sqrt(chi2 / (n * (min(table.shape) - 1))))


def arm_association_p(values: pd.Series | np.ndarray, arm: np.ndarray) -> float:
    """p-value of "this column's distribution is the same in every arm" (1.0: nothing to test).

    ``values``: numbers (NaN missing) or level codes/labels; ``arm``: one label per row.
    """
    values = pd.Series(np.asarray(values, dtype=object) if not _is_numeric(values) else values)
    values = values.reset_index(drop=True)
    arm = _labels(arm)
    if len(values) != len(arm) or len(np.unique(arm)) < 2:
        return 1.0
    if _is_numeric(values):
        numbers = values.astype("float64").to_numpy()
        missing = np.isnan(numbers)
        present = numbers[~missing]
        if len(np.unique(present)) > MANY_VALUES:
            p_missing = _chi_square_p(pd.Series(missing), arm) if missing.any() else 1.0
            groups = [present[arm[~missing] == label] for label in np.unique(arm[~missing])]
            groups = [group for group in groups if len(group)]
            if len(groups) < 2:
                return p_missing
            return min(p_missing, float(kruskal(*groups).pvalue))
    return _chi_square_p(values, arm)


def _labels(arm) -> np.ndarray:
    """Arm labels as text (a missing label, refused later by validation, as its own)."""
    return (
        pd.Series(np.asarray(arm, dtype=object))
        .astype("string")
        .fillna("<missing>")
        .to_numpy(dtype=object)
    )


def _is_numeric(values) -> bool:
    dtype = getattr(values, "dtype", None)
    return dtype is not None and (
        pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
    )


def _chi_square_p(values: pd.Series, arm: np.ndarray) -> float:
    """Chi-square test of independence of levels (missing as one) and arm, rare levels pooled."""
    table = _pooled_table(values, arm)
    if table is None:
        return 1.0
    return float(chi2_contingency(table, correction=False).pvalue)


def _pooled_table(values: pd.Series, arm: np.ndarray) -> np.ndarray | None:
    """Levels (missing as one) x arm counts, rare levels pooled; None when nothing to test."""
    levels = values.astype("string").fillna("<missing>").to_numpy(dtype=object)
    table = pd.crosstab(levels, arm)
    expected_min = (
        table.sum(axis=1).to_numpy()[:, None]
        * table.sum(axis=0).to_numpy()[None, :]
        / table.to_numpy().sum()
    ).min(axis=1)
    rare = expected_min < MIN_EXPECTED
    if rare.any():
        pooled = table[rare].sum(axis=0)
        table = table[~rare]
        if pooled.sum() > 0:
            table = pd.concat([table, pooled.to_frame("<rare>").T])
    if table.shape[0] < 2 or table.shape[1] < 2:
        return None
    return table.to_numpy()


def checked_rows(n_rows: int) -> np.ndarray:
    """The rows the test reads: all of a small table, evenly spaced rows of a large one."""
    step = max(1, -(-n_rows // CHECK_ROWS))
    return np.arange(0, n_rows, step)
