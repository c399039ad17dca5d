"""Strata and exact arm counts: which customers are randomized together, and how many per arm.

Several strata columns are joined with ``"|"``; a missing value is its own stratum
``"(missing)"``. Within each stratum the arms receive exact counts (largest-remainder rounding
of exact fractions), so arm sizes never depend on floating-point rounding.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from uplift_lab.contracts import LIFECYCLE, LIFECYCLE_STAGES
from uplift_lab.design_spec import (
    DesignSpec,
    check_fraction,
    exact_fraction,
    with_holdout,
)
from uplift_lab.errors import ParameterError, input_error, literal, usage_error

STRATUM_SEPARATOR = "|"
MISSING_STRATUM = "(missing)"
MAX_STRATA = 2_000  # power per stratum costs a few ms; more strata means near-unique values
ALL_CUSTOMERS = "all"  # the one stratum of a design without strata columns


def allocate_counts(n: int, fractions: Sequence[float | Fraction]) -> list[int]:
    """Split ``n`` into integer counts proportional to ``fractions`` (largest remainder).

    Each count is the floor of its exact quota, and the customers left over go one each to the
    arms with the largest remainders; equal remainders go to the earlier arm. Quotas are exact
    (``0.45`` is read as 9/20, relative to the fractions' sum), so the counts always sum to ``n``
    and never depend on floating-point rounding.
    """
    exact = [exact_fraction(value) for value in fractions]
    total = sum(exact)
    quotas = [n * value / total for value in exact]
    counts = [math.floor(quota) for quota in quotas]
    left_over = n - sum(counts)
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(quotas[i] - counts[i]), i))
    for index in by_remainder[: max(left_over, 0)]:
        counts[index] += 1
    return counts


def stratum_codes(
    frame: pd.DataFrame, strata: Sequence[str], source: object
) -> tuple[np.ndarray, list[str], list[str]]:
    """Per row the code of its stratum, the stratum labels, and each label's first-column value.

    Several columns are joined with ``"|"``; a missing value becomes ``"(missing)"``. Strata are
    ordered by lifecycle stage for the lifecycle column, else by the column's sorted values.
    """
    combined = np.zeros(len(frame), dtype=np.int64)
    level_lists: list[list[str]] = []
    for column in strata:
        codes, levels = _column_levels(frame[column], column, source)
        combined = combined * len(levels) + codes
        level_lists.append(levels)
    if len(level_lists) == 1:
        unique_codes, inverse = np.arange(len(level_lists[0])), combined
    else:
        unique_codes, inverse = np.unique(combined, return_inverse=True)
    labels, firsts = [], []
    for code in unique_codes.tolist():
        parts = []
        for levels in reversed(level_lists):
            code, index = divmod(code, len(levels))
            parts.append(levels[index])
        parts.reverse()
        labels.append(STRATUM_SEPARATOR.join(parts))
        firsts.append(parts[0])
    return inverse.astype(np.int64).reshape(-1), labels, firsts


def _factorized(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes (-1 for missing) and sorted levels as text; Arrow's dictionary encoding for text."""
    if pd.api.types.is_string_dtype(values) and not pd.api.types.is_object_dtype(values):
        encoded = pa.chunked_array(pa.Array.from_pandas(values)).combine_chunks()
        encoded = encoded.dictionary_encode()
        dictionary = encoded.dictionary.to_pylist()
        order = sorted(range(len(dictionary)), key=dictionary.__getitem__)
        remap = np.empty(len(dictionary) + 1, dtype=np.int64)
        remap[order] = np.arange(len(dictionary))
        remap[-1] = -1
        raw = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        return remap[raw], [dictionary[i] for i in order]
    codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
    return codes.astype(np.int64), [str(value) for value in uniques]


_BAND = re.compile(r"^\s*(<|<=)?\s*(-?\d+(?:\.\d+)?)")


def _band_key(level: str) -> tuple[int, float, int, str]:
    """Order spend bands by their lower edge ('<10' < '10-20' < '20-35' < '35+'), others last."""
    match = _BAND.match(level)
    if not match:
        return 1, 0.0, 0, level
    return 0, float(match.group(2)), 0 if match.group(1) else 1, level


def _column_levels(values: pd.Series, column: str, source: object) -> tuple[np.ndarray, list[str]]:
    codes, levels = _factorized(values)
    if any(STRATUM_SEPARATOR in level for level in levels):
        example = next(level for level in levels if STRATUM_SEPARATOR in level)
        raise input_error(
            source,
            f"stratum column '{column}' has a value containing '|' ('{example}')",
            "Rename those values; '|' joins several strata columns",
        )
    order = None
    if column == LIFECYCLE:
        rank = {stage: i for i, stage in enumerate(LIFECYCLE_STAGES)}
        order = sorted(range(len(levels)), key=lambda i: (rank.get(levels[i], len(rank)), i))
    elif not pd.api.types.is_numeric_dtype(values) and sum(map(bool, map(_BAND.match, levels))) > 1:
        order = sorted(range(len(levels)), key=lambda i: (_band_key(levels[i]), i))
    if order is not None:
        remap = np.empty(len(levels), dtype=np.int64)
        remap[order] = np.arange(len(levels))
        codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], codes)
        levels = [levels[i] for i in order]
    if (codes < 0).any():
        codes = np.where(codes < 0, len(levels), codes)
        levels = [*levels, MISSING_STRATUM]
    return codes.astype(np.int64), levels


def match_strata(
    wanted: Sequence[str], labels: Sequence[str], firsts: Sequence[str], what: str, source: object
) -> dict[str, list[int]]:
    """Map each wanted name to the strata it names (a full label or a first-column value);
    ``what`` (a :class:`~uplift_lab.errors.UsageError` template) says what named it."""
    matches: dict[str, list[int]] = {}
    for name in wanted:
        hits = [
            i
            for i, (label, first) in enumerate(zip(labels, firsts, strict=True))
            if name in (label, first)
        ]
        if not hits:
            shown = ", ".join(sorted(set(firsts)) if len(set(firsts)) < len(labels) else labels)
            raise usage_error(
                source,
                f"{what} '{literal(name)}' matches no stratum",
                f"Choose among: {literal(shown[:300])}",
            )
        matches[name] = hits
    return matches


@dataclass(frozen=True, slots=True, eq=False)
class StratumPlan:
    """Which rows are assigned, their stratum codes, and the exact arm counts per stratum.

    What both engines share: DuckDB/pandas pass one code per row; Spark passes one code per
    distinct strata combination with its size in ``weights`` (``ids`` is then None).
    """

    kept_rows: np.ndarray
    codes: np.ndarray
    labels: list[str]
    firsts: list[str]
    per_stratum: dict[str, dict[str, Fraction]]
    arm_names: tuple[str, ...]
    counts: np.ndarray  # strata x arms
    ids: Any = None


def plan_strata(
    codes: np.ndarray,
    labels: list[str],
    firsts: list[str],
    spec: DesignSpec,
    *,
    fractions: Mapping[str, Fraction],
    source: object,
    weights: np.ndarray | None = None,
    ids: Callable[[np.ndarray], Any] | None = None,
) -> StratumPlan:
    """Keep the chosen ``spec.segments``, set per-stratum holdouts and allocate exact arm counts.

    ``codes`` index ``labels`` per row (or per group of ``weights`` rows); ``ids(kept_rows)``
    returns the kept rows' ids as text, or raises, between the strata checks and allocation.
    """
    n_rows = len(codes)
    keep = None
    if spec.segments is not None:
        keep, codes, labels, firsts = _keep_segments(codes, labels, firsts, spec.segments, source)
    if len(labels) > MAX_STRATA:
        raise usage_error(
            source,
            f"{{strata={','.join(spec.strata)}}} gives {len(labels):,} strata"
            f" (more than {MAX_STRATA:,})",
            "Randomize within groups, not near-unique values: use coarser columns such as bands",
        )
    kept_rows = np.arange(n_rows) if keep is None else np.flatnonzero(keep)
    kept_weights = None if weights is None else np.asarray(weights, np.int64)[kept_rows]
    id_text = ids(kept_rows) if ids is not None else None
    total = len(id_text) if id_text is not None else int(kept_weights.sum())
    if total == 0:
        raise input_error(source, "has no customers to assign", "Pass a non-empty customer table")
    per_stratum = _stratum_fractions(labels, firsts, fractions, spec, source)
    arm_names = tuple(fractions)
    sizes = np.bincount(codes, weights=kept_weights, minlength=len(labels)).astype(np.int64)
    counts = np.array(
        [
            allocate_counts(int(n), list(per_stratum[label].values()))
            for n, label in zip(sizes, labels, strict=True)
        ],
        dtype=np.int64,
    ).reshape(len(labels), len(arm_names))
    return StratumPlan(
        kept_rows, codes, labels, firsts, per_stratum, arm_names, counts, ids=id_text
    )


def _keep_segments(
    codes: np.ndarray,
    labels: list[str],
    firsts: list[str],
    segments: Sequence[str],
    source: object,
) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """The rows of the chosen strata (a mask), their codes renumbered, and the kept strata."""
    segments = list(segments)
    if not segments:
        raise ParameterError("segments", "must be a non-empty list", segments, owner="design")
    chosen = sorted(
        {
            i
            for hits in match_strata(segments, labels, firsts, "segment", source).values()
            for i in hits
        }
    )
    keep = np.isin(codes, chosen)
    remap = np.full(len(labels), -1, dtype=np.int64)
    remap[chosen] = np.arange(len(chosen))
    return keep, remap[codes[keep]], [labels[i] for i in chosen], [firsts[i] for i in chosen]


def _stratum_fractions(
    labels: list[str],
    firsts: list[str],
    fractions: Mapping[str, Fraction],
    spec: DesignSpec,
    source: object,
) -> dict[str, dict[str, Fraction]]:
    """The arm fractions of every stratum, ``spec.holdout_by_stratum`` applied."""
    per_stratum = {label: dict(fractions) for label in labels}
    if spec.holdout_by_stratum:
        wanted = list(spec.holdout_by_stratum)
        named = match_strata(wanted, labels, firsts, "{holdout_by_stratum} stratum", source)
        for key, hits in named.items():
            value = check_fraction(f"holdout[{key}]", spec.holdout_by_stratum[key])
            for index in hits:
                per_stratum[labels[index]] = with_holdout(fractions, spec.control_arm, value)
    return per_stratum


def assignment_counts(plan: StratumPlan) -> dict[str, dict[str, int]]:
    """``{stratum: {arm: count}}`` of a plan, in stratum order."""
    return {
        label: dict(zip(plan.arm_names, map(int, plan.counts[i]), strict=True))
        for i, label in enumerate(plan.labels)
    }


def assignment_fractions(plan: StratumPlan) -> dict[str, dict[str, float]]:
    """``{stratum: {arm: fraction}}`` of a plan (the per-stratum holdouts applied)."""
    return {
        label: {arm: float(value) for arm, value in plan.per_stratum[label].items()}
        for label in plan.labels
    }


def arm_rank_ends(counts: np.ndarray) -> np.ndarray:
    """Per stratum the last rank + 1 of every arm but the last: arm = how many ends <= rank."""
    return np.cumsum(counts, axis=1)[:, :-1]
