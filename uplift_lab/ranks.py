"""Rank counts shared by segment's RFM quintiles and the tags' AOV terciles."""

from __future__ import annotations

import numpy as np


def smaller_counts(values: np.ndarray) -> np.ndarray:
    """Per value, how many values are strictly smaller (NaN counts as the largest value).

    Whole numbers in a compact range (recency, frequency) are counted with one bincount; other
    values with one sort: a million customers in milliseconds instead of a binary search each.
    """
    values = np.asarray(values, dtype="float64")
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    finite = bool(np.isfinite(values).all())
    if finite:
        low, high = values.min(), values.max()
        if high - low < 4 * n + 1024 and np.array_equal(values, np.floor(values)):
            offsets = (values - low).astype(np.int64)
            counts = np.bincount(offsets)
            return (np.cumsum(counts) - counts)[offsets]
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    same = ordered[1:] == ordered[:-1]
    if not finite:
        nan = np.isnan(ordered)
        same |= nan[1:] & nan[:-1]
    starts = np.where(np.concatenate(([True], ~same)), np.arange(n), 0)
    np.maximum.accumulate(starts, out=starts)
    smaller = np.empty(n, dtype=np.int64)
    smaller[order] = starts
    return smaller
