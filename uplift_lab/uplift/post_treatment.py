"""Columns a randomized campaign shows to be measured after the send (or not randomized over).

In a randomized campaign every attribute known before the send is independent of the arm: its
distribution differs between arms only by chance. A column whose distribution differs far beyond
chance was changed by the message: an outcome such as Hillstrom's ``visit`` or ``conversion``
next to the one being modelled, a "last active" date refreshed by the campaign. As a feature it
leaks the outcome (every spender lands in the top decile of the cross-validated scores, so the
held-out Qini is a fiction and the model learns nothing that holds at send time). The other way
to fail this test is an assignment that depended on the column, which equally breaks a model
trained as if on a randomized campaign.

The test per column: a chi-square test of independence of its levels and the arm (numbers and
dates with many values by their deciles; missing as a level; levels too rare for the
approximation pooled). The same table gives the strength of the association (Cramer's V).
A column is flagged at ``p < POST_TREATMENT_P``: a pre-send column passes it 999,999 times in a
million, so a table of a hundred features loses one by chance once in ten thousand campaigns.
A column that tells the arms apart strongly (Cramer's V at
least ``STRONG_ASSOCIATION``) is not dropped here: the arm then depends on it (an assignment by a
rule, or a copy of the arm), and training's randomization check refuses the table instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency

POST_TREATMENT_P = 1e-6
CHECK_ROWS = 200_000  # rows tested (evenly spaced): plenty to see a leak, fast on any table
MANY_VALUES = 20  # numbers with more distinct values are compared by decile, not by level
DECILES = 10
MIN_EXPECTED = 5.0  # levels expected this rarely in some arm are pooled into one level
STRONG_ASSOCIATION = 0.2  # Cramer's V from which the arm depends on the column (not a leak)


@dataclass(frozen=True, slots=True)
class ArmAssociation:
    """How a column's distribution differs between arms: the p-value of "the same in every arm"
    (1.0: nothing to test) and its strength, Cramer's V (0: none, 1: the column tells the arm)."""

    p_value: float
    cramers_v: float

    @property
    def post_treatment(self) -> bool:
        """Beyond chance, yet not strong enough for the arm to depend on it."""
        return self.p_value < POST_TREATMENT_P and self.cramers_v < STRONG_ASSOCIATION


def arm_association(values: pd.Series | np.ndarray, arm: np.ndarray) -> ArmAssociation:
    """The chi-square test of the column's levels (numbers with many values: deciles; missing:
    a level of its own) against the arm labels, rare levels pooled."""
    series = pd.Series(values).reset_index(drop=True)
    if _is_numeric(series):
        numbers = series.astype("float64")
        if numbers.nunique() > MANY_VALUES:
            series = _decile_bins(numbers)
    levels = series.astype("string").fillna("<missing>").to_numpy(dtype=object)
    arm = pd.Series(np.asarray(arm, dtype=object)).astype("string").fillna("<missing>")
    table = _pooled_table(levels, arm.to_numpy(dtype=object))
    if table is None:
        return ArmAssociation(1.0, 0.0)
    result = chi2_contingency(table, correction=False)
    cramers_v = np.sqrt(result.statistic / (table.sum() * (min(table.shape) - 1)))
    return ArmAssociation(float(result.pvalue), float(cramers_v))


def _decile_bins(numbers: pd.Series) -> pd.Series:
    """Each number's decile bin (missing stays missing). Bins end at distinct decile values, so
    a value shared by many rows (the zeros of a spend column) is one bin of its own."""
    present = numbers.dropna().to_numpy()
    edges = np.unique(np.quantile(present, np.arange(1, DECILES) / DECILES))
    bins = np.searchsorted(edges, numbers.to_numpy(), side="left").astype("float64")
    return pd.Series(np.where(numbers.isna(), np.nan, bins))


def _is_numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype)


def _pooled_table(levels: np.ndarray, arm: np.ndarray) -> np.ndarray | None:
    """Levels x arm counts, rare levels pooled; None when fewer than two of either remain."""
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


@dataclass(frozen=True, slots=True)
class OutcomeNesting:
    """A column whose every value other than its most common one (``usual``) comes with a
    conversion: ``rows`` such rows, all converted, where independence would give that with
    probability ``chance`` (the conversion rate to the power ``rows``)."""

    usual: str
    rows: int
    chance: float


def outcome_nesting(values: pd.Series | np.ndarray, converted: np.ndarray) -> OutcomeNesting | None:
    """The nesting of the 0/1 outcome in the column, when it is far beyond chance, else None.

    Hillstrom's ``conversion`` next to ``visit`` (every buyer visited), a ``spend`` column next
    to ``conversion``, Criteo's ``conversion`` next to ``visit``: another outcome of the same
    send, whose rows away from its usual value (0) all converted. A pre-send attribute that
    settles the outcome that surely is rare, and its rows have no uplift to learn; unlike the arm
    test, this one sees an outcome however weakly the send moved it.
    """
    converted = np.asarray(converted, dtype=np.float64)
    rate = float(converted.mean()) if len(converted) else 0.0
    if not 0.0 < rate < 1.0:
        return None
    codes, uniques = pd.factorize(pd.Series(values).reset_index(drop=True), use_na_sentinel=False)
    usual = int(np.argmax(np.bincount(codes)))
    away = codes != usual
    rows = int(away.sum())
    if rows == 0 or not bool(np.all(converted[away] == 1)):
        return None
    chance = float(np.exp(rows * np.log(rate)))
    if chance >= POST_TREATMENT_P:
        return None
    return OutcomeNesting(_shown(uniques[usual]), rows, chance)


def _shown(value: object) -> str:
    """A level as a person writes it: 0 rather than 0.0, 'missing' for a missing value."""
    if pd.isna(value):
        return "missing"
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return f"{float(value):g}"
    return str(value)
