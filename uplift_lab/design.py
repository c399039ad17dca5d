"""Randomized send/holdout splits per stratum, with power and balance checks.

A customer's arm comes from a salted SHA-256 of its id: within each stratum customers are ranked
by ``sha256(salt + ":" + customer_id)`` and the arms receive exact counts (largest-remainder
rounding). So arm sizes match the fractions exactly, a customer's arm never depends on file
order, and adding customers moves at most a few customers near the arm boundaries.

The pure steps (:func:`assign`, :func:`mde_per_stratum`, :func:`balance_per_stratum`) work on
DataFrames and return frozen dataclasses; :func:`create_experiment` reads, designs and writes the
experiment folder; :func:`load_experiment` reads it back for ``analyze``, ``train`` and ``target``.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from uplift_lab import __version__, io
from uplift_lab.contracts import (
    ARM,
    CONTROL_ARM,
    CUSTOMER_ID,
    LIFECYCLE,
    LIFECYCLE_STAGES,
    SEND_ARM,
    STRATUM,
    ids_as_text,
    numeric_column,
    validate_customers,
)
from uplift_lab.errors import InputError, input_error

ASSIGNMENT_FILE = "assignment.parquet"
DESIGN_FILE = "design.json"
DEFAULT_HOLDOUT = 0.1
DEFAULT_BASELINE = 0.03
DEFAULT_ALPHA = 0.05
DEFAULT_POWER = 0.8
DEFAULT_MIN_HOLDOUT = 200
SMD_THRESHOLD = 0.1
BALANCE_COVARIATES = ("recency_days", "frequency", "monetary")
STRATUM_SEPARATOR = "|"
MISSING_STRATUM = "(missing)"
OVERALL = "(overall)"
MAX_STRATA = 2_000  # power per stratum costs a few ms; more strata means near-unique values
ALL_CUSTOMERS = "all"  # the one stratum of a design without strata columns
HASH_RULE = (
    "first 8 bytes (big-endian) of sha256(salt + ':' + customer_id); customers ranked by it "
    "within each stratum; arms take consecutive ranks with exact largest-remainder counts"
)
_FRACTION_TOLERANCE = 1e-6
DUCKDB_MIN_ROWS = 50_000  # from this size on, hash and sort ids in DuckDB (parallel, vectorized)
_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

CHANGED_AFTER_DESIGN = (
    "assignment.parquet was changed after design (its SHA-256 no longer matches design.json)"
)
CHANGED_FIX = "Restore the original file or design the experiment again"
DESIGN_SEAL = "design_sha256"  # SHA-256 of design.json's own text without this key
DESIGN_CHANGED = "was changed after design (its design_sha256 no longer matches its content)"


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True, slots=True, eq=False)
class Assignment:
    """Who is in which arm: ``assignment`` has customer_id, stratum, arm (sorted by customer_id).

    ``counts`` and ``fractions`` are ``{stratum: {arm: value}}`` in stratum order; ``arms``
    lists the arm names with the control arm first. ``source_rows[i]`` is the position in the
    input frame of assignment row ``i`` (to join covariates without a lookup by id);
    ``stratum_codes``/``arm_codes`` index ``counts``' strata and ``arms`` per row (optional).
    """

    name: str
    salt: str
    strata: tuple[str, ...]
    arms: tuple[str, ...]
    control_arm: str
    assignment: pd.DataFrame
    counts: dict[str, dict[str, int]]
    fractions: dict[str, dict[str, float]]
    source_rows: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0, np.int64))
    stratum_codes: np.ndarray | None = field(repr=False, default=None)
    arm_codes: np.ndarray | None = field(repr=False, default=None)

    @property
    def stratum_names(self) -> tuple[str, ...]:
        """The strata in display order."""
        return tuple(self.counts)

    @property
    def treated_arms(self) -> tuple[str, ...]:
        """Every arm except the control arm."""
        return tuple(arm for arm in self.arms if arm != self.control_arm)


@dataclass(frozen=True, slots=True, eq=False)
class PowerReport:
    """Minimum detectable absolute lift per stratum and treated arm, and overall.

    ``table`` has one row per (stratum, arm) with columns stratum, arm, n_control, n_treated,
    baseline, mde, holdout_needed and mde_above_target; the overall rows have stratum
    ``"(overall)"``. ``mde`` is None (NaN in the table) when no lift below 100% is detectable.
    """

    alpha: float
    power: float
    target_lift: float | None
    table: pd.DataFrame
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True, eq=False)
class BalanceReport:
    """Standardized mean differences of covariates, treated arm vs control, per stratum.

    ``table`` has stratum, arm, covariate, n_control, n_treated, mean_control, mean_treated,
    smd, flagged (``|smd| > threshold``).
    """

    threshold: float
    covariates: tuple[str, ...]
    table: pd.DataFrame

    @property
    def flagged(self) -> pd.DataFrame:
        """The rows whose |SMD| exceeds the threshold."""
        return self.table[self.table["flagged"]].reset_index(drop=True)


@dataclass(frozen=True, slots=True, eq=False)
class ExperimentDesign:
    """Everything ``design`` decides and checks, before it is written to the experiment folder."""

    assignment: Assignment
    power: PowerReport
    balance: BalanceReport
    min_holdout: int
    small_holdouts: dict[str, int]
    warnings: tuple[str, ...]
    baseline_source: str


@dataclass(frozen=True, slots=True, eq=False)
class Experiment:
    """A designed experiment read back from its folder (see :func:`load_experiment`)."""

    path: Path
    assignment: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Hashing and allocation


def default_salt(name: str) -> str:
    """The salt used when none is given: derived from the experiment name, so it is stable."""
    return hashlib.sha256(f"uplift-lab design {name}".encode()).hexdigest()[:16]


def customer_hashes(customer_ids: Sequence[str] | pa.Array, salt: str) -> np.ndarray:
    """Return ``uint64`` hashes: first 8 bytes (big-endian) of ``sha256(salt + ":" + id)``.

    Large inputs go through DuckDB's vectorized, multi-threaded ``sha256`` (several times faster
    than hashlib in a Python loop at millions of ids); the result always equals
    ``hashlib.sha256(...).digest()[:8]`` read big-endian.
    """
    ids = (
        customer_ids if isinstance(customer_ids, pa.Array) else pa.array(customer_ids, pa.string())
    )
    positions, hashes = _sorted_positions_and_hashes(ids, salt)
    restored = np.empty_like(hashes)
    restored[positions] = hashes
    return restored


def _sorted_positions_and_hashes(ids: pa.Array, salt: str) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of ``ids`` in code-point order, and each of those rows' hash.

    Small inputs use hashlib directly (DuckDB's start-up costs more than it saves there); both
    paths give identical results (tested).
    """
    if len(ids) < DUCKDB_MIN_ROWS:
        texts = ids.to_pylist()
        positions = np.array(sorted(range(len(texts)), key=texts.__getitem__), dtype=np.int64)
        prefix = f"{salt}:".encode()
        digests = b"".join(
            hashlib.sha256(prefix + texts[i].encode()).digest()[:8] for i in positions.tolist()
        )
        return positions, np.frombuffer(digests, dtype=">u8").astype(np.uint64)
    import duckdb

    table = pa.table({"id": ids.cast(pa.string()), "pos": pa.array(np.arange(len(ids)))})
    con = duckdb.connect(":memory:")
    try:
        con.register("customer_ids", table)
        result = con.execute(
            "SELECT pos, ('0x' || left(sha256($prefix || id), 16))::UBIGINT AS h "
            "FROM customer_ids ORDER BY id, pos",
            {"prefix": f"{salt}:"},
        ).fetchnumpy()
    finally:
        con.close()
    return (
        np.asarray(result["pos"], dtype=np.int64),
        np.asarray(result["h"], dtype=np.uint64),
    )


def allocate_counts(n: int, fractions: Sequence[float | Fraction]) -> list[int]:
    """Split ``n`` into integer counts proportional to ``fractions`` (largest remainder).

    Each count is the floor of its exact quota, and the customers left over go one each to the
    arms with the largest remainders; equal remainders go to the earlier arm. Quotas are exact
    (``0.45`` is read as 9/20, relative to the fractions' sum), so the counts always sum to ``n``
    and never depend on floating-point rounding.
    """
    exact = [_exact_fraction(value) for value in fractions]
    total = sum(exact)
    quotas = [n * value / total for value in exact]
    counts = [math.floor(quota) for quota in quotas]
    left_over = n - sum(counts)
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(quotas[i] - counts[i]), i))
    for index in by_remainder[: max(left_over, 0)]:
        counts[index] += 1
    return counts


def _exact_fraction(value: float | Fraction) -> Fraction:
    if isinstance(value, Fraction):
        return value
    return Fraction(repr(float(value)))


# --------------------------------------------------------------------------------------------
# Strata


def _stratum_codes(
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


def _parameter_error(
    parameter: str, rule: str, value: object, fix: str | None = None
) -> InputError:
    message = f"The '{parameter}' parameter of design must be {rule}. Got {value!r} instead"
    return InputError(f"{message}. {fix}" if fix else message + ".")


def _check_fraction(parameter: str, value: float) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise _parameter_error(
            parameter, "in (0, 1)", value, "A holdout of 0 or 1 leaves nothing to compare"
        )
    return _exact_fraction(value)


def base_fractions(
    arms: Mapping[str, float] | None,
    holdout: float | None,
    control_arm: str = CONTROL_ARM,
    send_arm: str = SEND_ARM,
) -> dict[str, Fraction]:
    """Arm fractions (control first), validated: each in (0, 1), summing to 1.

    Without ``arms`` the design has ``control`` (``holdout``, default 0.1) and ``send``.
    """
    if arms is None:
        control = _check_fraction("holdout", DEFAULT_HOLDOUT if holdout is None else holdout)
        return {control_arm: control, send_arm: 1 - control}
    if len(arms) < 2:
        raise _parameter_error("arms", "at least two arms", dict(arms), "e.g. control=0.1,send=0.9")
    if control_arm not in arms:
        raise _parameter_error(
            "arms",
            f"a mapping that includes the control arm '{control_arm}'",
            ",".join(arms),
            "Add it (control=0.1) or name the control arm with --control",
        )
    fractions = {name: _check_fraction(f"arms[{name}]", value) for name, value in arms.items()}
    total = sum(float(value) for value in fractions.values())
    if abs(total - 1) > _FRACTION_TOLERANCE:
        raise InputError(
            f"The 'arms' parameter of design must have fractions that sum to 1. Got a sum of "
            f"{total:g} instead. Use e.g. control=0.1,sms=0.45,edm=0.45"
        )
    if holdout is not None and _exact_fraction(holdout) != fractions[control_arm]:
        raise _parameter_error(
            "holdout",
            f"equal to the control arm's fraction in arms ({float(fractions[control_arm]):g})",
            holdout,
            "Give the holdout either in --arms or with --holdout, not both",
        )
    exact_total = sum(fractions.values())  # within the tolerance of 1: rescale to exactly 1
    ordered = {control_arm: fractions[control_arm] / exact_total}
    ordered.update(
        (name, value / exact_total) for name, value in fractions.items() if name != control_arm
    )
    return ordered


def _with_holdout(fractions: Mapping[str, Fraction], control_arm: str, holdout: Fraction):
    """Set the control fraction to ``holdout``; the treated arms keep their relative weights."""
    treated_total = 1 - fractions[control_arm]
    return {
        name: holdout if name == control_arm else value * (1 - holdout) / treated_total
        for name, value in fractions.items()
    }


def _match_strata(
    wanted: Sequence[str], labels: Sequence[str], firsts: Sequence[str], what: str, source: object
) -> dict[str, list[int]]:
    """Map each wanted name to the strata it names (a full label or a first-column value)."""
    matches: dict[str, list[int]] = {}
    for name in wanted:
        hits = [
            i
            for i, (label, first) in enumerate(zip(labels, firsts, strict=True))
            if name in (label, first)
        ]
        if not hits:
            shown = ", ".join(sorted(set(firsts)) if len(set(firsts)) < len(labels) else labels)
            raise input_error(
                source,
                f"{what} '{name}' matches no stratum",
                f"Choose among: {shown[:300]}",
            )
        matches[name] = hits
    return matches


# --------------------------------------------------------------------------------------------
# Assignment


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
    *,
    fractions: Mapping[str, Fraction],
    strata: Sequence[str],
    segments: Sequence[str] | None,
    holdout_by_stratum: Mapping[str, float] | None,
    control_arm: str,
    source: object,
    weights: np.ndarray | None = None,
    ids: Any = None,
) -> StratumPlan:
    """Keep the chosen ``segments``, set per-stratum holdouts and allocate exact arm counts.

    ``codes`` index ``labels`` per row (or per group of ``weights`` rows); ``ids(kept_rows)``
    returns the kept rows' ids as text, or raises, between the strata checks and allocation.
    """
    keep = None
    if segments is not None:
        segments = list(segments)
        if not segments:
            raise _parameter_error("segments", "a non-empty list", segments)
        chosen = sorted(
            {
                i
                for hits in _match_strata(segments, labels, firsts, "segment", source).values()
                for i in hits
            }
        )
        keep = np.isin(codes, chosen)
        remap = np.full(len(labels), -1, dtype=np.int64)
        remap[chosen] = np.arange(len(chosen))
        codes = remap[codes[keep]]
        labels = [labels[i] for i in chosen]
        firsts = [firsts[i] for i in chosen]
    if len(labels) > MAX_STRATA:
        raise input_error(
            source,
            f"--strata {','.join(strata)} gives {len(labels):,} strata (more than {MAX_STRATA:,})",
            "Randomize within groups, not near-unique values: use coarser columns such as bands",
        )
    n_rows = len(codes) if keep is None else len(keep)
    kept_rows = np.arange(n_rows) if keep is None else np.flatnonzero(keep)
    kept_weights = None if weights is None else np.asarray(weights, np.int64)[kept_rows]
    id_text = ids(kept_rows) if ids is not None else None
    total = len(id_text) if id_text is not None else int(kept_weights.sum())
    if total == 0:
        raise input_error(source, "has no customers to assign", "Pass a non-empty customer table")

    per_stratum = {label: dict(fractions) for label in labels}
    if holdout_by_stratum:
        named = _match_strata(list(holdout_by_stratum), labels, firsts, "--holdout stratum", source)
        for key, hits in named.items():
            value = _check_fraction(f"holdout[{key}]", holdout_by_stratum[key])
            for index in hits:
                per_stratum[labels[index]] = _with_holdout(fractions, control_arm, value)

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


def assign(
    customers: pd.DataFrame,
    *,
    name: str,
    strata: Sequence[str] = (LIFECYCLE,),
    arms: Mapping[str, float] | None = None,
    holdout: float | None = None,
    holdout_by_stratum: Mapping[str, float] | None = None,
    segments: Sequence[str] | None = None,
    salt: str | None = None,
    control_arm: str = CONTROL_ARM,
    send_arm: str = SEND_ARM,
    source: object = "customers",
) -> Assignment:
    """Assign every customer to an arm, separately and exactly within each stratum.

    Parameters
    ----------
    customers : DataFrame with ``customer_id`` (unique) and the ``strata`` columns.
    name : experiment name; the default salt is derived from it.
    strata : columns whose value combinations are randomized separately (joined with ``"|"``);
        empty for one stratum ``"all"``.
    arms : ``{arm: fraction}`` including ``control_arm``; default ``control``/``send``.
    holdout : control fraction when ``arms`` is not given (default 0.1).
    holdout_by_stratum : control fraction for some strata (a full stratum label or a value of the
        first strata column); the treated arms share the rest in their usual proportions.
    segments : keep only these strata (full labels or first-column values).
    salt : hash salt; default :func:`default_salt` of ``name``.

    Returns
    -------
    Assignment
    """
    strata = tuple(strata)
    for column in strata:
        if column not in customers.columns:
            columns = ", ".join(map(str, customers.columns[:20]))
            raise input_error(
                source,
                f"unknown stratum column '{column}'",
                f"Pass --strata with columns of the file (or --strata none); it has: {columns}",
            )
    if CUSTOMER_ID not in customers.columns:
        raise input_error(source, f"missing column '{CUSTOMER_ID}'", "Map it with --customer-col")
    fractions = base_fractions(arms, holdout, control_arm, send_arm)
    salt = default_salt(name) if salt is None else str(salt)

    if strata:
        codes, labels, firsts = _stratum_codes(customers, strata, source)
    else:  # no stratification: one stratum holding everybody
        codes, labels, firsts = np.zeros(len(customers), np.int64), [ALL_CUSTOMERS], [ALL_CUSTOMERS]
    plan = plan_strata(
        codes,
        labels,
        firsts,
        fractions=fractions,
        strata=strata,
        segments=segments,
        holdout_by_stratum=holdout_by_stratum,
        control_arm=control_arm,
        source=source,
        ids=lambda keep: ids_as_text(customers.iloc[keep], CUSTOMER_ID, source, unique=False),
    )
    kept_rows, codes, labels, ids = plan.kept_rows, plan.codes, plan.labels, plan.ids
    arm_names, counts = plan.arm_names, plan.counts

    id_array = pa.Array.from_pandas(ids).cast(pa.string())
    positions, hashes = _sorted_positions_and_hashes(id_array, salt)
    sorted_ids = id_array.take(pa.array(positions))
    _refuse_duplicates(sorted_ids, source)
    sorted_codes = codes[positions]
    arm_in_id_order = _arms_by_rank(sorted_codes, hashes, counts)

    table = pa.table(
        {
            CUSTOMER_ID: sorted_ids,
            STRATUM: pa.DictionaryArray.from_arrays(
                pa.array(sorted_codes.astype(np.int32)), pa.array(labels, pa.string())
            ).cast(pa.string()),
            ARM: pa.DictionaryArray.from_arrays(
                pa.array(arm_in_id_order.astype(np.int32)), pa.array(arm_names, pa.string())
            ).cast(pa.string()),
        }
    )
    assignment = table.to_pandas()
    return Assignment(
        name=name,
        salt=salt,
        strata=strata,
        arms=arm_names,
        control_arm=control_arm,
        assignment=assignment,
        counts=assignment_counts(plan),
        fractions=assignment_fractions(plan),
        source_rows=kept_rows[positions],
        stratum_codes=sorted_codes,
        arm_codes=arm_in_id_order,
    )


def _refuse_duplicates(sorted_ids: pa.Array, source: object) -> None:
    """Duplicate ids sit next to each other once sorted: one vectorized comparison finds them."""
    import pyarrow.compute as pc

    if len(sorted_ids) < 2:
        return
    same = pc.equal(sorted_ids.slice(1), sorted_ids.slice(0, len(sorted_ids) - 1))
    n_duplicates = pc.sum(same).as_py() or 0
    if n_duplicates:
        example = sorted_ids.slice(1).filter(same)[0].as_py()
        raise input_error(
            source,
            f"column '{CUSTOMER_ID}' has {n_duplicates} duplicate id(s), e.g. '{example}'",
            "Each id must appear once; deduplicate the file",
        )


def _arms_by_rank(codes: np.ndarray, hashes: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Arm index per row: rows ranked by hash within their stratum, arms take consecutive ranks.

    Rows arrive in customer-id order, so the stable sorts break (astronomically rare) hash ties
    by customer id, never by file order.
    """
    small_codes = codes.astype(np.uint8 if len(counts) <= 256 else np.int64)  # radix sort
    by_hash = np.argsort(hashes, kind="stable")
    order = by_hash[np.argsort(small_codes[by_hash], kind="stable")]
    starts = np.concatenate(([0], np.cumsum(counts.sum(axis=1))[:-1]))
    rank = np.empty(len(codes), dtype=np.int64)
    rank[order] = np.arange(len(codes)) - starts[codes[order]]
    ends = arm_rank_ends(counts)
    arm = np.zeros(len(codes), dtype=np.int64)
    for column in range(ends.shape[1]):
        arm += rank >= ends[codes, column]
    return arm


# --------------------------------------------------------------------------------------------
# Power


def minimum_detectable_lift(
    n_treated: int, n_control: int, baseline: float, *, alpha: float, power: float
) -> float | None:
    """Smallest absolute lift in a conversion rate detectable with this split (two-sided z-test).

    Solves statsmodels' ``NormalIndPower`` for Cohen's h, then the treated rate ``p1`` with
    ``proportion_effectsize(p1, baseline) == h`` (``p1 = sin(asin(sqrt(p0)) + h/2)^2``). None when
    an arm is too small or no rate below 1 is detectable.
    """
    from statsmodels.stats.power import NormalIndPower

    if n_treated < 2 or n_control < 2:
        return None
    h = float(
        NormalIndPower().solve_power(
            effect_size=None,
            nobs1=n_treated,
            alpha=alpha,
            power=power,
            ratio=n_control / n_treated,
            alternative="two-sided",
        )
    )
    angle = math.asin(math.sqrt(baseline)) + h / 2
    if not math.isfinite(angle) or angle >= math.pi / 2:
        return None
    return math.sin(angle) ** 2 - baseline


def holdout_fraction_needed(
    n_total: int, baseline: float, target_lift: float, *, alpha: float, power: float
) -> float | None:
    """Smallest control share of ``n_total`` customers that detects ``target_lift`` vs the rest.

    None when even a 50/50 split is not enough (the stratum is too small for that lift).
    """
    from scipy.optimize import brentq
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    if baseline + target_lift >= 1 or n_total < 4:
        return None
    effect = float(proportion_effectsize(baseline + target_lift, baseline))
    engine = NormalIndPower()

    def shortfall(share: float) -> float:
        treated = n_total * (1 - share)
        achieved = engine.power(effect, nobs1=treated, alpha=alpha, ratio=share / (1 - share))
        return float(achieved) - power

    lowest = 2 / n_total
    if shortfall(0.5) < 0:
        return None
    if shortfall(lowest) >= 0:
        return lowest
    return float(brentq(shortfall, lowest, 0.5, xtol=1e-9))


def mde_per_stratum(
    counts: Mapping[str, Mapping[str, int]],
    baselines: Mapping[str, float],
    *,
    control_arm: str = CONTROL_ARM,
    alpha: float = DEFAULT_ALPHA,
    power: float = DEFAULT_POWER,
    target_lift: float | None = None,
) -> PowerReport:
    """MDE (absolute lift) of every treated arm vs control, per stratum and overall.

    The overall row pools all strata with a size-weighted baseline (what a stratified estimate of
    the whole campaign can detect, approximately). With ``target_lift`` also the control share each
    stratum would need, and a warning wherever the MDE exceeds the target.
    """
    if not 0 < alpha < 1:
        raise _parameter_error("alpha", "in (0, 1)", alpha)
    if not 0 < power < 1:
        raise _parameter_error("power", "in (0, 1)", power)
    if target_lift is not None and not 0 < target_lift < 1:
        raise _parameter_error(
            "target_lift", "in (0, 1) (an absolute lift, e.g. 0.01)", target_lift
        )
    rows: list[dict[str, Any]] = []
    totals: dict[str, int] = {}
    weighted_baseline = 0.0
    for stratum, arm_counts in counts.items():
        baseline = float(baselines[stratum])
        size = int(sum(arm_counts.values()))
        weighted_baseline += baseline * size
        for arm, n in arm_counts.items():
            totals[arm] = totals.get(arm, 0) + int(n)
        rows.extend(
            _power_rows(stratum, arm_counts, baseline, control_arm, alpha, power, target_lift)
        )
    grand_total = sum(totals.values())
    if grand_total:
        rows.extend(
            _power_rows(
                OVERALL,
                totals,
                round(weighted_baseline / grand_total, 12),  # no 0.029999999999999995
                control_arm,
                alpha,
                power,
                target_lift,
            )
        )
    table = pd.DataFrame(
        rows,
        columns=[
            STRATUM,
            ARM,
            "n_control",
            "n_treated",
            "baseline",
            "mde",
            "holdout_needed",
            "mde_above_target",
        ],
    )
    table["mde"] = table["mde"].astype("float64")
    table["holdout_needed"] = table["holdout_needed"].astype("float64")
    warnings = []
    if target_lift is not None:
        for row in table.itertuples(index=False):
            if row.mde_above_target:
                shown = "not detectable" if math.isnan(row.mde) else f"{row.mde:.2%}"
                warnings.append(
                    f"{_where(row.stratum)}, arm '{row.arm}': minimum detectable lift {shown}"
                    f" is larger than the target lift {target_lift:.2%}"
                )
    return PowerReport(alpha, power, target_lift, table, tuple(warnings))


def _where(stratum: str) -> str:
    return "overall" if stratum == OVERALL else f"stratum '{stratum}'"


def _power_rows(stratum, arm_counts, baseline, control_arm, alpha, power, target_lift):
    n_control = int(arm_counts.get(control_arm, 0))
    size = int(sum(arm_counts.values()))
    needed = None
    if target_lift is not None:
        needed = holdout_fraction_needed(size, baseline, target_lift, alpha=alpha, power=power)
    for arm, n in arm_counts.items():
        if arm == control_arm:
            continue
        mde = minimum_detectable_lift(int(n), n_control, baseline, alpha=alpha, power=power)
        above = target_lift is not None and (mde is None or mde > target_lift)
        yield {
            STRATUM: stratum,
            ARM: arm,
            "n_control": n_control,
            "n_treated": int(n),
            "baseline": baseline,
            "mde": np.nan if mde is None else mde,
            "holdout_needed": np.nan if needed is None else needed,
            "mde_above_target": bool(above),
        }


# --------------------------------------------------------------------------------------------
# Balance


def balance_covariates(frame: pd.DataFrame, exclude: Sequence[str] = ()) -> tuple[str, ...]:
    """Numeric columns worth checking: recency, frequency, monetary first, then the other ones."""
    skip = {CUSTOMER_ID, STRATUM, ARM, *exclude}
    numeric = [
        str(column)
        for column in frame.columns
        if column not in skip
        and (
            pd.api.types.is_numeric_dtype(frame[column])
            or pd.api.types.is_bool_dtype(frame[column])
        )
    ]
    first = [column for column in BALANCE_COVARIATES if column in numeric]
    return (*first, *[column for column in numeric if column not in first])


def balance_per_stratum(
    covariates: pd.DataFrame,
    stratum: pd.Series | pd.Categorical | np.ndarray,
    arm: pd.Series | pd.Categorical | np.ndarray,
    *,
    control_arm: str = CONTROL_ARM,
    threshold: float = SMD_THRESHOLD,
    stratum_order: Sequence[str] | None = None,
) -> BalanceReport:
    """SMD = (mean_treated - mean_control) / sqrt((var_treated + var_control) / 2) per stratum.

    Variances use ddof=1; missing covariate values are ignored. When both variances are zero the
    SMD is 0 for equal means and +-inf otherwise (flagged); it is NaN (not flagged) when an arm
    has no value of the covariate at all (e.g. recency of customers who never ordered).
    """
    stratum_codes, stratum_labels = pd.factorize(stratum, sort=False)
    arm_codes, arm_labels = pd.factorize(arm, sort=False)
    arm_labels = [str(value) for value in arm_labels]
    stratum_labels = [str(value) for value in stratum_labels]
    moments: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    if control_arm in arm_labels:
        n_groups = len(stratum_labels) * len(arm_labels)
        group = stratum_codes.astype(np.int64) * len(arm_labels) + arm_codes
        for column in covariates.columns:
            values = numeric_column(covariates, column, "covariates", allow_missing=True).to_numpy()
            mask = ~np.isnan(values)
            filled = np.where(mask, values, 0.0)
            n = np.bincount(group, weights=mask, minlength=n_groups)
            total = np.bincount(group, weights=filled, minlength=n_groups)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = total / n
                deviation = np.where(mask, values - mean[group], 0.0)
                var = np.bincount(group, weights=deviation**2, minlength=n_groups) / (n - 1)
            shape = (len(stratum_labels), len(arm_labels))
            moments[str(column)] = (n.reshape(shape), mean.reshape(shape), var.reshape(shape))
    return balance_from_moments(
        moments,
        stratum_labels,
        arm_labels,
        control_arm=control_arm,
        threshold=threshold,
        stratum_order=stratum_order,
        covariates=tuple(map(str, covariates.columns)),
    )


def balance_from_moments(
    moments: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    stratum_labels: Sequence[str],
    arm_labels: Sequence[str],
    *,
    control_arm: str,
    threshold: float,
    stratum_order: Sequence[str] | None,
    covariates: Sequence[str],
) -> BalanceReport:
    """The balance table from per covariate ``(n, mean, var)`` arrays of strata x arms.

    ``n`` counts the non-missing values, ``var`` uses ddof=1 (NaN below two values). Any engine
    that computes these moments gets the table :func:`balance_per_stratum` gives.
    """
    rows: list[dict[str, Any]] = []
    if control_arm in arm_labels:
        control = list(arm_labels).index(control_arm)
        treated = [i for i in range(len(arm_labels)) if i != control]
        for column, (n, mean, var) in moments.items():
            for s, label in enumerate(stratum_labels):
                for t in treated:
                    smd = _smd(mean[s, t], mean[s, control], var[s, t], var[s, control])
                    rows.append(
                        {
                            STRATUM: label,
                            ARM: arm_labels[t],
                            "covariate": str(column),
                            "n_control": int(n[s, control]),
                            "n_treated": int(n[s, t]),
                            "mean_control": float(mean[s, control]),
                            "mean_treated": float(mean[s, t]),
                            "smd": smd,
                            "flagged": bool(abs(smd) > threshold),  # NaN: not flagged
                        }
                    )
    if stratum_order is not None:
        position = {label: i for i, label in enumerate(stratum_order)}
        rows.sort(key=lambda row: position.get(row[STRATUM], len(position)))
    table = pd.DataFrame(
        rows,
        columns=[
            STRATUM,
            ARM,
            "covariate",
            "n_control",
            "n_treated",
            "mean_control",
            "mean_treated",
            "smd",
            "flagged",
        ],
    )
    table["flagged"] = table["flagged"].astype(bool)
    return BalanceReport(threshold, tuple(covariates), table)


def _smd_noise(n_treated: int, n_control: int) -> float:
    """Standard deviation of the SMD between two random groups of these sizes (about)."""
    if n_treated < 1 or n_control < 1:
        return float("nan")
    return math.sqrt(1 / n_treated + 1 / n_control)


def _smd(mean_treated: float, mean_control: float, var_treated: float, var_control: float) -> float:
    if not (np.isfinite(mean_treated) and np.isfinite(mean_control)):
        return float("nan")
    difference = mean_treated - mean_control
    variances = [v for v in (var_treated, var_control) if np.isfinite(v)]
    if not variances:
        return float("nan")
    pooled = math.sqrt(sum(variances) / len(variances))
    if pooled == 0:  # constant within each arm: equal means, or a total imbalance
        return 0.0 if difference == 0 else math.copysign(math.inf, difference)
    return float(difference / pooled)


# --------------------------------------------------------------------------------------------
# The whole design


def design_experiment(
    customers: pd.DataFrame,
    *,
    name: str,
    strata: Sequence[str] = (LIFECYCLE,),
    arms: Mapping[str, float] | None = None,
    holdout: float | None = None,
    holdout_by_stratum: Mapping[str, float] | None = None,
    segments: Sequence[str] | None = None,
    salt: str | None = None,
    control_arm: str = CONTROL_ARM,
    baseline: float | None = None,
    baseline_by_stratum: Mapping[str, float] | None = None,
    baseline_column: str | None = None,
    baseline_report: Mapping[str, float] | None = None,
    alpha: float = DEFAULT_ALPHA,
    power: float = DEFAULT_POWER,
    target_lift: float | None = None,
    min_holdout: int = DEFAULT_MIN_HOLDOUT,
    strict: bool = False,
    covariates: Sequence[str] | None = None,
    source: object = "customers",
) -> ExperimentDesign:
    """Assign arms (:func:`assign`), then compute power per stratum and covariate balance.

    Baselines: ``baseline_column`` (its mean per stratum, e.g. a past conversion flag), else
    ``baseline_by_stratum`` over ``baseline_report`` (:func:`baselines_from_report`; its
    ``"all"`` rate fills strata it lacks unless ``baseline`` is given) over ``baseline``
    (default 0.03). Strata whose holdout is below
    ``min_holdout`` are reported, and with ``strict`` refused.
    """
    check_experiment_name(name)
    if min_holdout < 0:
        raise _parameter_error("min_holdout", ">= 0", min_holdout)
    chosen = design_covariates(customers, strata, covariates, baseline_column, source)
    needed = list(dict.fromkeys([*chosen, *([baseline_column] if baseline_column else [])]))
    result = assign(
        customers,
        name=name,
        strata=strata,
        arms=arms,
        holdout=holdout,
        holdout_by_stratum=holdout_by_stratum,
        segments=segments,
        salt=salt,
        control_arm=control_arm,
        source=source,
    )
    small = small_holdouts(result, min_holdout, strict, source)
    rows = customers[needed].iloc[result.source_rows].reset_index(drop=True)
    column_means = None
    if baseline_column is not None:
        values = numeric_column(rows, baseline_column, source, allow_missing=True)
        means = values.groupby(result.stratum_codes).mean()
        column_means = {label: float(means.get(i, np.nan)) for i, label in enumerate(result.counts)}
    baselines, baseline_source = _stratum_baselines(
        column_means,
        result,
        baseline,
        baseline_by_stratum,
        baseline_column,
        baseline_report,
        source,
    )
    balance = balance_per_stratum(
        rows[list(chosen)],
        pd.Categorical.from_codes(result.stratum_codes, categories=list(result.counts)),
        pd.Categorical.from_codes(result.arm_codes, categories=list(result.arms)),
        control_arm=control_arm,
        stratum_order=result.stratum_names,
    )
    return finish_design(
        result,
        small=small,
        baselines=baselines,
        baseline_source=baseline_source,
        balance=balance,
        alpha=alpha,
        power=power,
        target_lift=target_lift,
        min_holdout=min_holdout,
    )


def design_covariates(
    frame: pd.DataFrame,
    strata: Sequence[str],
    covariates: Sequence[str] | None,
    baseline_column: str | None,
    source: object,
) -> tuple[str, ...]:
    """The balance covariates (default: every numeric column), checked to exist and be numeric.

    Only ``frame``'s columns and dtypes are read (an empty frame of the same schema will do).
    """
    if covariates is None:
        chosen = balance_covariates(frame, exclude=strata)
    else:
        chosen = tuple(covariates)
    for column in (*chosen, *([baseline_column] if baseline_column else [])):
        if column not in frame.columns:
            option = "--baseline-col" if column == baseline_column else "--covariates"
            raise input_error(
                source,
                f"unknown column '{column}' in {option}",
                f"The file has: {', '.join(map(str, frame.columns[:20]))}",
            )
    for column in chosen:
        kind = frame[column].dtype
        if not (pd.api.types.is_numeric_dtype(kind) or pd.api.types.is_bool_dtype(kind)):
            raise input_error(
                source,
                f"column '{column}' in --covariates is not numeric ({kind})",
                "Balance is checked on numeric columns only; leave it out of --covariates",
            )
    return chosen


def small_holdouts(
    result: Assignment, min_holdout: int, strict: bool, source: object
) -> dict[str, int]:
    """``{stratum: holdout size}`` of the strata whose holdout is below ``min_holdout``.

    With ``strict`` any such stratum is refused (InputError naming the first five).
    """
    control_arm = result.control_arm
    small = {
        stratum: arm_counts[control_arm]
        for stratum, arm_counts in result.counts.items()
        if arm_counts[control_arm] < min_holdout
    }
    if small and strict:
        listed = list(small.items())
        shown = ", ".join(f"'{s}' ({n})" for s, n in listed[:5])
        if len(listed) > 5:
            shown += f" and {len(listed) - 5} more (design without --strict lists them all)"
        raise input_error(
            source,
            f"{len(small)} stratum holdout(s) smaller than --min-holdout {min_holdout}: {shown}",
            "Raise their holdout (--holdout STRATUM=0.3), leave them out with --segments, "
            "or drop --strict",
        )
    return small


def finish_design(
    result: Assignment,
    *,
    small: Mapping[str, int],
    baselines: Mapping[str, float],
    baseline_source: str,
    balance: BalanceReport,
    alpha: float,
    power: float,
    target_lift: float | None,
    min_holdout: int,
) -> ExperimentDesign:
    """Power per stratum and the warnings, from an assignment and its balance (any engine)."""
    control_arm = result.control_arm
    power_report = mde_per_stratum(
        result.counts,
        baselines,
        control_arm=control_arm,
        alpha=alpha,
        power=power,
        target_lift=target_lift,
    )
    warnings = [
        f"stratum '{s}': holdout of {n} customer(s) is below --min-holdout {min_holdout};"
        " its lift cannot be read"
        for s, n in small.items()
    ]
    warnings.extend(power_report.warnings)
    chance_only = 0
    for row in balance.flagged.itertuples(index=False):
        if row.stratum in small:
            chance_only += 1
            continue
        warnings.append(
            f"stratum '{row.stratum}', arm '{row.arm}': covariate '{row.covariate}' is imbalanced"
            f" (SMD {row.smd:+.3f}, |SMD| > {balance.threshold:g}; chance alone gives SMDs of"
            f" about ±{_smd_noise(row.n_treated, row.n_control):.3f} here)"
        )
    if chance_only:
        warnings.append(
            f"{chance_only} covariate(s) with |SMD| > {balance.threshold:g} in strata whose holdout"
            f" is below --min-holdout {min_holdout} (small groups differ by chance; design.json)"
        )
    return ExperimentDesign(
        assignment=result,
        power=power_report,
        balance=balance,
        min_holdout=int(min_holdout),
        small_holdouts=dict(small),
        warnings=tuple(warnings),
        baseline_source=baseline_source,
    )


def baselines_from_report(path: Path) -> dict[str, float]:
    """Control conversion rate per segment from a past ``analyze`` report.json.

    The key ``"all"`` holds the rate over all segments (used for strata the report lacks).
    Rates of 0 or 1 (no or only converters) are left out: they cannot serve as a baseline.
    """
    report = io.read_json(path)
    summaries = report.get("arm_summaries") if isinstance(report, dict) else None
    if not summaries or "control" not in report:
        raise input_error(
            path, "has no arm_summaries/control", "Pass the report.json written by analyze"
        )
    rates = {}
    for row in summaries:
        rate = row.get("conversion_rate")
        if row.get("arm") == report["control"] and isinstance(rate, int | float) and 0 < rate < 1:
            rates[str(row.get("segment"))] = float(rate)
    if not rates:
        raise input_error(path, "has no usable control conversion rate", "Use --baseline instead")
    return rates


def _stratum_baselines(
    column_means, result, baseline, baseline_by_stratum, baseline_column, baseline_report, source
):
    """Baseline per stratum; ``column_means`` is ``baseline_column``'s mean per stratum."""
    labels = list(result.counts)
    if baseline_column is not None:
        baselines = {label: float(column_means.get(label, np.nan)) for label in labels}
        bad = {k: v for k, v in baselines.items() if not 0 < v < 1}
        if bad:
            label, value = next(iter(bad.items()))
            raise input_error(
                source,
                f"column '{baseline_column}' averages {value:g} in stratum '{label}',"
                " not a response rate in (0, 1)",
                "Use a 0/1 response column or a predicted probability",
            )
        return baselines, f"mean of column '{baseline_column}' per stratum"
    default = DEFAULT_BASELINE if baseline is None else baseline
    baselines = {label: _check_rate("baseline", default) for label in labels}
    source_text = "default" if baseline is None else "--baseline"
    if baseline_report:
        fallback = baseline_report.get("all") if baseline is None else None
        for label in labels:
            first = label.split(STRATUM_SEPARATOR)[0]
            rate = baseline_report.get(label, baseline_report.get(first, fallback))
            if rate is not None:
                baselines[label] = float(rate)
        source_text = "control rates of a past report" + (
            "" if baseline is None else " (--baseline where it has none)"
        )
    if baseline_by_stratum:
        firsts = [label.split(STRATUM_SEPARATOR)[0] for label in labels]
        named = _match_strata(
            list(baseline_by_stratum), labels, firsts, "--baseline stratum", source
        )
        for key, hits in named.items():
            for index in hits:
                baselines[labels[index]] = _check_rate(f"baseline[{key}]", baseline_by_stratum[key])
        source_text += " with per-stratum values"
    return baselines, source_text


def _check_rate(parameter: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise _parameter_error(
            parameter, "a response rate in (0, 1)", value, "e.g. --baseline 0.03"
        )
    return float(value)


def check_experiment_name(name: str) -> str:
    """Experiment names become folder names: letters, digits, ``_``, ``-`` and ``.`` only."""
    if not isinstance(name, str) or not _NAME_PATTERN.match(name):
        raise _parameter_error(
            "name", "letters, digits, '_', '-' or '.' (starting with a letter or digit)", name
        )
    return name


# --------------------------------------------------------------------------------------------
# The experiment folder


def design_metadata(
    design: ExperimentDesign,
    *,
    input_file: str | None,
    input_sha256: str | None,
    assignment_sha256: str,
    created_at: str,
    campaign: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The content of ``design.json`` (JSON-ready: NaN becomes null)."""
    result = design.assignment
    power = design.power
    mde: dict[str, Any] = {
        "alpha": power.alpha,
        "power": power.power,
        "target_lift": power.target_lift,
        "baseline_source": design.baseline_source,
        "strata": {},
    }
    for row in power.table.itertuples(index=False):
        entry = mde["strata"].setdefault(
            row.stratum,
            {
                "baseline": row.baseline,
                "n_control": row.n_control,
                "holdout_needed": _finite(row.holdout_needed),
                "arms": {},
            },
        )
        entry["arms"][row.arm] = {
            "n_treated": row.n_treated,
            "mde": _finite(row.mde),
            "mde_above_target": row.mde_above_target,
        }
    mde["overall"] = mde["strata"].pop(OVERALL, None)
    smd: dict[str, Any] = {}
    for row in design.balance.table.itertuples(index=False):
        smd.setdefault(row.stratum, {}).setdefault(row.arm, {})[row.covariate] = _finite(row.smd)
    flagged = [
        {STRATUM: r.stratum, ARM: r.arm, "covariate": r.covariate, "smd": _finite(r.smd)}
        for r in design.balance.flagged.itertuples(index=False)
    ]
    meta: dict[str, Any] = {
        "name": result.name,
        "salt": result.salt,
        "hash": HASH_RULE,
        "created_at": created_at,
        "input_file": input_file,
        "input_sha256": input_sha256,
        "assignment_sha256": assignment_sha256,
        "strata": list(result.strata),
        "control_arm": result.control_arm,
        "arms": list(result.arms),
        "fractions": result.fractions,
        "counts": result.counts,
        "n_customers": int(len(result.assignment)),
        "mde": mde,
        "balance": {
            "threshold": design.balance.threshold,
            "covariates": list(design.balance.covariates),
            "smd": smd,
            "flagged": flagged,
        },
        "min_holdout": design.min_holdout,
        "small_holdouts": design.small_holdouts,
        "warnings": list(design.warnings),
        "uplift_lab_version": __version__,
    }
    if campaign is not None:
        meta["campaign"] = dict(campaign)
    return meta


def _finite(value: Any) -> float | None:
    return None if value is None or not math.isfinite(float(value)) else float(value)


def write_experiment(
    design: ExperimentDesign,
    out: Path,
    *,
    input_file: str | None = None,
    input_sha256: str | None = None,
    force: bool = False,
    campaign: Mapping[str, Any] | None = None,
    created_at: str | None = None,
) -> dict[str, Any]:
    """Write ``assignment.parquet`` and ``design.json`` into ``out`` atomically; return the meta.

    An existing non-empty folder is replaced only with ``force``, and only once the new one is
    complete.
    """
    created_at = created_at or datetime.now(UTC).isoformat(timespec="seconds")
    with io.atomic_directory(Path(out), force=force) as staging:
        assignment_path = io.write_table(design.assignment.assignment, staging / ASSIGNMENT_FILE)
        meta = design_metadata(
            design,
            input_file=input_file,
            input_sha256=input_sha256,
            assignment_sha256=io.sha256_file(assignment_path),
            created_at=created_at,
            campaign=campaign,
        )
        meta[DESIGN_SEAL] = design_seal(meta)
        io.write_json(meta, staging / DESIGN_FILE)
    return meta


def design_seal(meta: Mapping[str, Any]) -> str:
    """SHA-256 of ``meta`` as JSON text without its seal, so an edit of design.json is caught."""
    unsealed = {key: value for key, value in meta.items() if key != DESIGN_SEAL}
    return hashlib.sha256(io.to_json_text(unsealed).encode("utf-8")).hexdigest()


def create_experiment(
    input_path: Path,
    *,
    out: Path,
    force: bool = False,
    encoding: str | None = None,
    customer_col: str = CUSTOMER_ID,
    **options: Any,
) -> tuple[ExperimentDesign, dict[str, Any]]:
    """Read a customer table, design the experiment (:func:`design_experiment`), write ``out``.

    Refuses an existing non-empty ``out`` before any work unless ``force``.
    """
    input_path = Path(input_path)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise input_error(out, "exists and is not a folder", "Choose another --out")
    if out.exists() and any(out.iterdir()) and not force:
        raise input_error(
            out, "already exists and is not empty", "Use --force to replace it, or another --out"
        )
    frame = io.read_table(input_path, encoding=encoding, string_columns=[customer_col])
    customers = validate_customers(frame, input_path, customer_col=customer_col, read_signup=False)
    design = design_experiment(customers, source=input_path, **options)
    meta = write_experiment(
        design,
        out,
        input_file=str(input_path),
        input_sha256=io.sha256_file(input_path),
        force=force,
    )
    return design, meta


def load_experiment(path: Path) -> Experiment:
    """Read an experiment folder, checking that assignment.parquet is the one design wrote."""
    path = Path(path)
    if not path.is_dir():
        raise input_error(path, "is not an experiment folder", "Pass the folder written by design")
    design_path = path / DESIGN_FILE
    assignment_path = path / ASSIGNMENT_FILE
    for required in (design_path, assignment_path):
        if not required.exists():
            raise input_error(
                path, f"has no {required.name}", "Pass a folder written by uplift-lab design"
            )
    meta = io.read_json(design_path)
    if not isinstance(meta, dict) or "assignment_sha256" not in meta:
        raise input_error(design_path, "has no assignment_sha256", "Design the experiment again")
    if DESIGN_SEAL in meta and meta[DESIGN_SEAL] != design_seal(meta):  # older folders: no seal
        raise input_error(design_path, DESIGN_CHANGED, CHANGED_FIX)
    if io.sha256_file(assignment_path) != meta["assignment_sha256"]:
        raise input_error(assignment_path, CHANGED_AFTER_DESIGN, CHANGED_FIX)
    assignment = io.read_table(assignment_path, string_columns=[CUSTOMER_ID, STRATUM, ARM])
    missing = [c for c in (CUSTOMER_ID, STRATUM, ARM) if c not in assignment.columns]
    if missing:
        raise input_error(assignment_path, f"missing column '{missing[0]}'", CHANGED_FIX)
    return Experiment(path=path, assignment=assignment, meta=meta)
