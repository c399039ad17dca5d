"""Randomized send/holdout splits per stratum, with power and balance checks.

A customer's arm comes from a salted SHA-256 of its id: within each stratum customers are ranked
by ``sha256(salt + ":" + customer_id)`` and the arms receive exact counts (largest-remainder
rounding). So arm sizes match the fractions exactly, a customer's arm never depends on file
order, and adding customers moves at most a few customers near the arm boundaries.

The pure steps work on DataFrames and return frozen dataclasses: :func:`assign` (the split),
:func:`design_experiment` (the split, power per stratum from :mod:`uplift_lab.power` and balance
from :mod:`uplift_lab.balance`). Their parameters are a :class:`~uplift_lab.design_spec.DesignSpec`;
the experiment folder is :mod:`uplift_lab.experiment`'s, reading and writing it
:mod:`uplift_lab.workflows.design`'s.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from uplift_lab.balance import BalanceReport, balance_covariates, balance_per_stratum, smd_noise
from uplift_lab.contracts import ARM, CUSTOMER_ID, STRATUM, ids_as_text, numeric_column
from uplift_lab.design_spec import (
    DEFAULT_BASELINE,
    DesignSpec,
    base_fractions,
    check_experiment_name,
    check_rate,
    resolve_spec,
)
from uplift_lab.errors import ParameterError, input_error, literal, usage_error
from uplift_lab.notices import Notice
from uplift_lab.power import PowerReport, mde_per_stratum
from uplift_lab.strata import (
    ALL_CUSTOMERS,
    STRATUM_SEPARATOR,
    StratumPlan,
    arm_rank_ends,
    assignment_counts,
    assignment_fractions,
    match_strata,
    plan_strata,
    stratum_codes,
)

HASH_RULE = (
    "first 8 bytes (big-endian) of sha256(salt + ':' + customer_id); customers ranked by it "
    "within each stratum; arms take consecutive ranks with exact largest-remainder counts"
)
DUCKDB_MIN_ROWS = 50_000  # from this size on, hash and sort ids in DuckDB (parallel, vectorized)


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
class ExperimentDesign:
    """Everything ``design`` decides and checks, before it is written to the experiment folder."""

    assignment: Assignment
    power: PowerReport
    balance: BalanceReport
    min_holdout: int
    small_holdouts: dict[str, int]
    warnings: tuple[Notice, ...]  # put in words by uplift_lab.report.notice_text
    baseline_source: str


# --------------------------------------------------------------------------------------------
# Hashing


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


# --------------------------------------------------------------------------------------------
# Assignment


def check_design_columns(columns: Sequence[str], strata: Sequence[str], source: object) -> None:
    """The strata columns and ``customer_id`` must be in the customer table."""
    for column in strata:
        if column not in columns:
            shown = ", ".join(map(str, list(columns)[:20]))
            raise usage_error(
                source,
                f"unknown stratum column '{literal(column)}'",
                "Pass {strata} with columns of the file (or {strata=none}); it has: "
                + literal(shown),
            )
    if CUSTOMER_ID not in columns:
        raise usage_error(source, f"missing column '{CUSTOMER_ID}'", "Map it with {customer_col}")


def assign(
    customers: pd.DataFrame,
    spec: DesignSpec | None = None,
    *,
    source: object = "customers",
    **changes: Any,
) -> Assignment:
    """Assign every customer to an arm, separately and exactly within each stratum.

    Parameters
    ----------
    customers : DataFrame with ``customer_id`` (unique) and the ``spec.strata`` columns.
    spec : the split: name, strata, arms, holdout, holdout_by_stratum, segments, salt,
        control_arm and send_arm (see :class:`DesignSpec`; its other fields are not used here).
    source : the input named in errors.
    **changes : :class:`DesignSpec` fields instead of (or over) ``spec``, e.g.
        ``assign(frame, name="spring", holdout=0.2)``.

    Returns
    -------
    Assignment
    """
    spec = resolve_spec(spec, changes)
    strata = tuple(spec.strata)
    check_design_columns(customers.columns, strata, source)
    fractions = base_fractions(spec.arms, spec.holdout, spec.control_arm, spec.send_arm)
    salt = default_salt(spec.name) if spec.salt is None else str(spec.salt)
    if strata:
        codes, labels, firsts = stratum_codes(customers, strata, source)
    else:  # no stratification: one stratum holding everybody
        codes, labels, firsts = np.zeros(len(customers), np.int64), [ALL_CUSTOMERS], [ALL_CUSTOMERS]
    plan = plan_strata(
        codes,
        labels,
        firsts,
        spec,
        fractions=fractions,
        source=source,
        ids=lambda keep: ids_as_text(customers.iloc[keep], CUSTOMER_ID, source, unique=False),
    )
    id_array = pa.Array.from_pandas(plan.ids).cast(pa.string())
    positions, hashes = _sorted_positions_and_hashes(id_array, salt)
    sorted_ids = id_array.take(pa.array(positions))
    _refuse_duplicates(sorted_ids, source)
    sorted_codes = plan.codes[positions]
    arm_in_id_order = _arms_by_rank(sorted_codes, hashes, plan.counts)
    return Assignment(
        name=spec.name,
        salt=salt,
        strata=strata,
        arms=plan.arm_names,
        control_arm=spec.control_arm,
        assignment=_assignment_frame(sorted_ids, sorted_codes, arm_in_id_order, plan),
        counts=assignment_counts(plan),
        fractions=assignment_fractions(plan),
        source_rows=plan.kept_rows[positions],
        stratum_codes=sorted_codes,
        arm_codes=arm_in_id_order,
    )


def _assignment_frame(
    sorted_ids: pa.Array, sorted_codes: np.ndarray, arm_codes: np.ndarray, plan: StratumPlan
) -> pd.DataFrame:
    """customer_id, stratum, arm as text columns, in customer-id order."""
    table = pa.table(
        {
            CUSTOMER_ID: sorted_ids,
            STRATUM: pa.DictionaryArray.from_arrays(
                pa.array(sorted_codes.astype(np.int32)), pa.array(plan.labels, pa.string())
            ).cast(pa.string()),
            ARM: pa.DictionaryArray.from_arrays(
                pa.array(arm_codes.astype(np.int32)), pa.array(plan.arm_names, pa.string())
            ).cast(pa.string()),
        }
    )
    return table.to_pandas()


def _refuse_duplicates(sorted_ids: pa.Array, source: object) -> None:
    """Duplicate ids sit next to each other once sorted: one vectorized comparison finds them."""
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
# The whole design


def design_experiment(
    customers: pd.DataFrame,
    spec: DesignSpec | None = None,
    *,
    source: object = "customers",
    **changes: Any,
) -> ExperimentDesign:
    """Assign arms (:func:`assign`), then compute power per stratum and covariate balance.

    Baselines: ``spec.baseline_column`` (its mean per stratum, e.g. a past conversion flag),
    else ``baseline_by_stratum`` over ``baseline_report`` (:func:`baselines_from_report`; its
    ``"all"`` rate fills strata it lacks unless ``baseline`` is given) over ``baseline``
    (default 0.03). Strata whose holdout is below ``min_holdout`` are reported, and with
    ``strict`` refused. ``**changes`` are :class:`DesignSpec` fields instead of (or over)
    ``spec``.
    """
    spec = resolve_spec(spec, changes)
    check_design_spec(spec)
    baseline_column = spec.baseline_column
    chosen = design_covariates(customers, spec.strata, spec.covariates, baseline_column, source)
    needed = list(dict.fromkeys([*chosen, *([baseline_column] if baseline_column else [])]))
    result = assign(customers, spec, source=source)
    small = small_holdouts(result, spec.min_holdout, spec.strict, source)
    rows = customers[needed].iloc[result.source_rows].reset_index(drop=True)
    column_means = None
    if baseline_column is not None:
        values = numeric_column(rows, baseline_column, source, allow_missing=True)
        means = values.groupby(result.stratum_codes).mean()
        column_means = {label: float(means.get(i, np.nan)) for i, label in enumerate(result.counts)}
    baselines, baseline_source = stratum_baselines(column_means, result, spec, source)
    balance = balance_per_stratum(
        rows[list(chosen)],
        pd.Categorical.from_codes(result.stratum_codes, categories=list(result.counts)),
        pd.Categorical.from_codes(result.arm_codes, categories=list(result.arms)),
        control_arm=spec.control_arm,
        stratum_order=result.stratum_names,
    )
    return finish_design(
        result,
        spec,
        small=small,
        baselines=baselines,
        baseline_source=baseline_source,
        balance=balance,
    )


def check_design_spec(spec: DesignSpec) -> None:
    """The checks made before any work: the name (a folder name) and ``min_holdout``."""
    check_experiment_name(spec.name)
    if spec.min_holdout < 0:
        raise ParameterError("min_holdout", "must be >= 0", spec.min_holdout, owner="design")


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
            parameter = "baseline_column" if column == baseline_column else "covariates"
            raise usage_error(
                source,
                f"unknown column '{literal(column)}' in {{{parameter}}}",
                f"The file has: {literal(', '.join(map(str, frame.columns[:20])))}",
            )
    for column in chosen:
        kind = frame[column].dtype
        if not (pd.api.types.is_numeric_dtype(kind) or pd.api.types.is_bool_dtype(kind)):
            raise usage_error(
                source,
                f"column '{literal(column)}' in {{covariates}} is not numeric ({kind})",
                "Balance is checked on numeric columns only; leave it out of {covariates}",
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
        shown = literal(", ".join(f"'{s}' ({n})" for s, n in listed[:5]))
        if len(listed) > 5:
            shown += f" and {len(listed) - 5} more (design without {{strict}} lists them all)"
        raise usage_error(
            source,
            f"{len(small)} stratum holdout(s) smaller than {{min_holdout}} {min_holdout}: {shown}",
            "Raise their holdout ({holdout_by_stratum=STRATUM=0.3}), leave them out with "
            "{segments}, or drop {strict}",
        )
    return small


def finish_design(
    result: Assignment,
    spec: DesignSpec,
    *,
    small: Mapping[str, int],
    baselines: Mapping[str, float],
    baseline_source: str,
    balance: BalanceReport,
) -> ExperimentDesign:
    """Power per stratum and the warnings, from an assignment and its balance (any engine)."""
    power_report = mde_per_stratum(
        result.counts,
        baselines,
        control_arm=result.control_arm,
        alpha=spec.alpha,
        power=spec.power,
        target_lift=spec.target_lift,
    )
    min_holdout = spec.min_holdout
    warnings = [
        Notice(
            "warning", "design_small_holdout", {"stratum": s, "n": n, "min_holdout": min_holdout}
        )
        for s, n in small.items()
    ]
    warnings.extend(power_report.warnings)
    if baseline_source == "default":  # the shop's own rates were not given
        warnings.append(Notice("note", "default_baseline", {"baseline": DEFAULT_BASELINE}))
    warnings.extend(_balance_warnings(balance, small, min_holdout))
    return ExperimentDesign(
        assignment=result,
        power=power_report,
        balance=balance,
        min_holdout=int(min_holdout),
        small_holdouts=dict(small),
        warnings=tuple(warnings),
        baseline_source=baseline_source,
    )


def _balance_warnings(
    balance: BalanceReport, small: Mapping[str, int], min_holdout: int
) -> list[Notice]:
    """One warning per imbalanced covariate; those of small holdouts are only counted."""
    warnings = []
    chance_only = 0
    for row in balance.flagged.itertuples(index=False):
        if row.stratum in small:
            chance_only += 1
            continue
        params = {"stratum": row.stratum, "arm": row.arm, "covariate": row.covariate}
        params |= {"smd": float(row.smd), "threshold": balance.threshold}
        params["noise"] = smd_noise(row.n_treated, row.n_control)
        warnings.append(Notice("warning", "imbalanced_covariate", params))
    if chance_only:
        params = {"covariates": chance_only, "threshold": balance.threshold}
        params["min_holdout"] = min_holdout
        warnings.append(Notice("warning", "imbalanced_in_small_holdouts", params))
    return warnings


def baselines_from_report(report: Any, source: object) -> dict[str, float]:
    """Control conversion rate per segment from a past ``analyze`` report.json's content.

    The key ``"all"`` holds the rate over all segments (used for strata the report lacks).
    Rates of 0 or 1 (no or only converters) are left out: they cannot serve as a baseline.
    """
    summaries = report.get("arm_summaries") if isinstance(report, dict) else None
    if not summaries or "control" not in report:
        raise input_error(
            source, "has no arm_summaries/control", "Pass the report.json written by analyze"
        )
    rates = {}
    for row in summaries:
        rate = row.get("conversion_rate")
        if row.get("arm") == report["control"] and isinstance(rate, int | float) and 0 < rate < 1:
            rates[str(row.get("segment"))] = float(rate)
    if not rates:
        raise usage_error(source, "has no usable control conversion rate", "Use {baseline} instead")
    return rates


def stratum_baselines(
    column_means: Mapping[str, float] | None,
    result: Assignment,
    spec: DesignSpec,
    source: object,
) -> tuple[dict[str, float], str]:
    """Baseline per stratum and where it came from; ``column_means`` is the baseline column's
    mean per stratum (when ``spec.baseline_column`` is set)."""
    labels = list(result.counts)
    if spec.baseline_column is not None:
        return _column_baselines(column_means, labels, spec.baseline_column, source)
    baseline = spec.baseline
    default = DEFAULT_BASELINE if baseline is None else baseline
    baselines = {label: check_rate("baseline", default) for label in labels}
    source_text = "default" if baseline is None else "--baseline"
    if spec.baseline_report:
        fallback = spec.baseline_report.get("all") if baseline is None else None
        for label in labels:
            first = label.split(STRATUM_SEPARATOR)[0]
            rate = spec.baseline_report.get(label, spec.baseline_report.get(first, fallback))
            if rate is not None:
                baselines[label] = float(rate)
        source_text = "control rates of a past report" + (
            "" if baseline is None else " (--baseline where it has none)"
        )
    if spec.baseline_by_stratum:
        firsts = [label.split(STRATUM_SEPARATOR)[0] for label in labels]
        wanted = list(spec.baseline_by_stratum)
        named = match_strata(wanted, labels, firsts, "{baseline_by_stratum} stratum", source)
        for key, hits in named.items():
            rate = check_rate(f"baseline[{key}]", spec.baseline_by_stratum[key])
            for index in hits:
                baselines[labels[index]] = rate
        source_text += " with per-stratum values"
    return baselines, source_text


def _column_baselines(
    column_means: Mapping[str, float] | None, labels: list[str], column: str, source: object
) -> tuple[dict[str, float], str]:
    means = column_means or {}
    baselines = {label: float(means.get(label, np.nan)) for label in labels}
    bad = {k: v for k, v in baselines.items() if not 0 < v < 1}
    if bad:
        label, value = next(iter(bad.items()))
        raise input_error(
            source,
            f"column '{column}' averages {value:g} in stratum '{label}',"
            " not a response rate in (0, 1)",
            "Use a 0/1 response column or a predicted probability",
        )
    return baselines, f"mean of column '{column}' per stratum"
