"""``design --engine spark``: the same assignment as DuckDB, computed by Spark.

The definition is :mod:`uplift_lab.design`'s, expressed once and shared where it can be:

- strata, their labels and order, ``--segments``, per-stratum holdouts and the exact
  largest-remainder counts come from :func:`uplift_lab.strata.plan_strata`, fed one row per
  distinct strata combination (a ``GROUP BY`` in Spark, a few rows on the driver);
- the hash is ``sha256(salt + ':' + customer_id)``; its first 8 bytes read big-endian are the
  first 16 hex digits, so ordering by that fixed-width lower-case hex text is ordering by the
  ``uint64`` DuckDB and numpy use (Spark has no unsigned 64-bit type);
- the rank is ``row_number()`` over ``(stratum)`` ordered by (hash, customer_id): ties go to the
  smaller id (byte order of UTF-8 is code-point order, as the DuckDB path sorts);
- the arm is the number of arm ends (:func:`uplift_lab.strata.arm_rank_ends`) at or below the
  rank;
- balance and ``--baseline-col`` need only per stratum x arm moments (count, mean, sample
  variance), computed by Spark and turned into the same table by
  :func:`uplift_lab.balance.balance_from_moments`; power and warnings are
  :func:`uplift_lab.design.finish_design`.

Only the assignment itself (customer_id, stratum, arm) comes to the driver, because the
experiment folder holds it as one Parquet file (:mod:`uplift_lab.experiment`; reading the input
and writing the folder is :func:`uplift_lab.workflows.design.create_experiment_spark`'s, which
opens the customers through :mod:`uplift_lab.io.spark`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from uplift_lab.balance import SMD_THRESHOLD, BalanceReport, balance_from_moments
from uplift_lab.contracts import ARM, CUSTOMER_ID, STRATUM
from uplift_lab.design import (
    Assignment,
    ExperimentDesign,
    check_design_columns,
    check_design_spec,
    default_salt,
    design_covariates,
    finish_design,
    small_holdouts,
    stratum_baselines,
)
from uplift_lab.design_spec import DesignSpec, base_fractions, resolve_spec
from uplift_lab.errors import input_error
from uplift_lab.strata import (
    ALL_CUSTOMERS,
    StratumPlan,
    arm_rank_ends,
    assignment_counts,
    assignment_fractions,
    plan_strata,
    stratum_codes,
)

_KEY = "ul_stratum_key"
_CODE = "ul_stratum_code"
_HASH = "ul_hash"
_RANK = "ul_rank"
_ENDS = "ul_ends"


def hash_column(salt: str) -> Column:
    """First 16 hex digits of ``sha256(salt + ':' + customer_id)`` (orders as the uint64)."""
    return F.substring(F.sha2(F.concat(F.lit(f"{salt}:"), F.col(CUSTOMER_ID)), 256), 1, 16)


def _check_ids(frame: DataFrame, source: object) -> None:
    """Empty and duplicate ids refused as the DuckDB path does (one Spark pass)."""
    row = frame.agg(
        F.count(F.lit(1)).alias("rows"),
        F.count(F.col(CUSTOMER_ID)).alias("ids"),
        F.countDistinct(F.col(CUSTOMER_ID)).alias("distinct"),
    ).first()
    missing = row["rows"] - row["ids"]
    if missing:
        raise input_error(
            source, f"column '{CUSTOMER_ID}' has {missing} empty id(s)", "Remove or fill those rows"
        )
    if row["rows"] == 0:
        raise input_error(source, "has no rows", "Pass a file with at least one customer")
    duplicates = row["ids"] - row["distinct"]
    if duplicates:
        example = frame.groupBy(CUSTOMER_ID).count().where("count > 1").orderBy(CUSTOMER_ID).first()
        raise input_error(
            source,
            f"column '{CUSTOMER_ID}' has {duplicates} duplicate id(s), e.g. '{example[0]}'",
            "Each id must appear once; deduplicate the file",
        )


def driver_schema(frame: DataFrame) -> pd.DataFrame:
    """An empty pandas frame with the columns and dtypes ``frame`` would have on the driver.

    The checks written for pandas (numeric columns, names) run on it unchanged.
    """
    return frame.limit(0).toPandas()


def _combinations(frame: DataFrame, strata: Sequence[str]) -> tuple[DataFrame, pd.DataFrame]:
    """``frame`` with a text key per strata combination, and the combinations with their sizes."""
    if strata:
        key = F.to_json(F.struct(*[F.col(c) for c in strata]))
    else:
        key = F.lit("{}")
    keyed = frame.withColumn(_KEY, key)
    firsts = [F.first(F.col(c)).alias(c) for c in strata]
    combos = keyed.groupBy(_KEY).agg(F.count(F.lit(1)).alias("n"), *firsts).toPandas()
    return keyed, combos.sort_values(_KEY, kind="stable").reset_index(drop=True)


def assign_spark(
    frame: DataFrame,
    spec: DesignSpec | None = None,
    *,
    source: object = "customers",
    schema: pd.DataFrame | None = None,
    **changes: Any,
) -> tuple[Assignment, DataFrame]:
    """:func:`uplift_lab.design.assign` on a Spark DataFrame; also the assigned Spark rows.

    The Spark frame returned has the input's columns plus ``stratum``, ``arm`` and the stratum
    code, for the balance moments. ``source_rows`` of the Assignment is empty (no row positions
    in a distributed table).
    """
    spec = resolve_spec(spec, changes)
    strata = tuple(spec.strata)
    schema = driver_schema(frame) if schema is None else schema
    check_design_columns(schema.columns, strata, source)
    fractions = base_fractions(spec.arms, spec.holdout, spec.control_arm, spec.send_arm)
    salt = default_salt(spec.name) if spec.salt is None else str(spec.salt)
    _check_ids(frame, source)

    keyed, combos = _combinations(frame, strata)
    if strata:
        typed = combos[list(strata)].astype({c: schema[c].dtype for c in strata}, errors="ignore")
        codes, labels, firsts = stratum_codes(typed, strata, source)
    else:
        codes = np.zeros(len(combos), np.int64)
        labels, firsts = [ALL_CUSTOMERS], [ALL_CUSTOMERS]
    weights = combos["n"].to_numpy()
    plan = plan_strata(
        codes, labels, firsts, spec, fractions=fractions, source=source, weights=weights
    )
    assigned = _assigned_rows(keyed, combos, plan, salt)
    table = assigned.select(CUSTOMER_ID, STRATUM, ARM).orderBy(CUSTOMER_ID).toArrow()
    table = pa.table({name: table.column(name).cast(pa.string()) for name in table.column_names})
    result = Assignment(
        name=spec.name,
        salt=salt,
        strata=strata,
        arms=plan.arm_names,
        control_arm=spec.control_arm,
        assignment=table.to_pandas(),
        counts=assignment_counts(plan),
        fractions=assignment_fractions(plan),
    )
    return result, assigned


def _assigned_rows(
    keyed: DataFrame, combos: pd.DataFrame, plan: StratumPlan, salt: str
) -> DataFrame:
    """The kept rows with their stratum, stratum code and arm (rank by hash within stratum)."""
    ends = arm_rank_ends(plan.counts)
    mapping = pd.DataFrame(
        {
            _KEY: combos[_KEY].to_numpy()[plan.kept_rows],
            _CODE: plan.codes.astype(np.int32),
            STRATUM: [plan.labels[c] for c in plan.codes],
            _ENDS: [[int(e) for e in ends[c]] for c in plan.codes],
        }
    )
    mapping_frame = keyed.sparkSession.createDataFrame(
        mapping, schema=f"{_KEY} string, {_CODE} int, {STRATUM} string, {_ENDS} array<bigint>"
    )
    arm_names = F.array(*[F.lit(arm) for arm in plan.arm_names])
    by_hash = Window.partitionBy(_CODE).orderBy(_HASH, CUSTOMER_ID)
    return (
        keyed.drop(STRATUM, ARM)
        .join(F.broadcast(mapping_frame), on=_KEY, how="inner")
        .withColumn(_HASH, hash_column(salt))
        .withColumn(_RANK, F.row_number().over(by_hash) - 1)
        .withColumn(
            ARM,
            F.element_at(
                arm_names, F.size(F.filter(F.col(_ENDS), lambda e: e <= F.col(_RANK))) + 1
            ),
        )
        .drop(_KEY, _HASH, _RANK, _ENDS)
    )


def _arm_appearance(assigned: DataFrame, arms: Sequence[str]) -> list[str]:
    """Arms in order of first appearance by customer id (as pandas factorizes the assignment)."""
    firsts = assigned.groupBy(ARM).agg(F.min(CUSTOMER_ID).alias("first")).toPandas()
    order = dict(zip(firsts[ARM], firsts["first"], strict=True))
    return sorted((a for a in arms if a in order), key=lambda a: order[a])


def balance_spark(
    assigned: DataFrame,
    result: Assignment,
    covariates: Sequence[str],
    *,
    threshold: float = SMD_THRESHOLD,
) -> BalanceReport:
    """:func:`uplift_lab.design.balance_per_stratum` from moments computed in Spark."""
    labels = list(result.counts)
    arm_labels = _arm_appearance(assigned, result.arms)
    moments: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    if covariates and result.control_arm in arm_labels:
        aggregates = []
        for i, column in enumerate(covariates):
            value = F.col(column).cast("double")
            aggregates += [
                F.count(value).alias(f"n{i}"),
                F.avg(value).alias(f"m{i}"),
                F.var_samp(value).alias(f"v{i}"),
            ]
        cells = assigned.groupBy(_CODE, ARM).agg(*aggregates).toPandas()
        shape = (len(labels), len(arm_labels))
        arm_index = {arm: j for j, arm in enumerate(arm_labels)}
        for i, column in enumerate(covariates):
            n = np.zeros(shape)
            mean = np.full(shape, np.nan)
            var = np.full(shape, np.nan)
            for row in cells.itertuples(index=False):
                s, a = int(getattr(row, _CODE)), arm_index[getattr(row, ARM)]
                n[s, a] = getattr(row, f"n{i}")
                count = n[s, a]
                mean[s, a] = np.nan if count == 0 else float(getattr(row, f"m{i}"))
                var[s, a] = np.nan if count < 2 else float(getattr(row, f"v{i}"))
            moments[str(column)] = (n, mean, var)
    return balance_from_moments(
        moments,
        labels,
        arm_labels,
        control_arm=result.control_arm,
        threshold=threshold,
        stratum_order=labels,
        covariates=tuple(map(str, covariates)),
    )


def _column_means(assigned: DataFrame, result: Assignment, column: str) -> dict[str, float]:
    means = assigned.groupBy(_CODE).agg(F.avg(F.col(column).cast("double")).alias("m")).toPandas()
    labels = list(result.counts)
    found = {labels[int(c)]: float(m) for c, m in zip(means[_CODE], means["m"], strict=True)}
    return {label: found.get(label, np.nan) for label in labels}


def design_experiment_spark(
    frame: DataFrame,
    spec: DesignSpec | None = None,
    *,
    source: object = "customers",
    **changes: Any,
) -> ExperimentDesign:
    """:func:`uplift_lab.design.design_experiment` with a Spark DataFrame of customers."""
    spec = resolve_spec(spec, changes)
    check_design_spec(spec)
    schema = driver_schema(frame)
    baseline_column = spec.baseline_column
    chosen = design_covariates(schema, spec.strata, spec.covariates, baseline_column, source)
    result, assigned = assign_spark(frame, spec, source=source, schema=schema)
    small = small_holdouts(result, spec.min_holdout, spec.strict, source)
    assigned = assigned.cache()
    try:
        means = _column_means(assigned, result, baseline_column) if baseline_column else None
        baselines, baseline_source = stratum_baselines(means, result, spec, source)
        balance = balance_spark(assigned, result, chosen)
    finally:
        assigned.unpersist()
    return finish_design(
        result,
        spec,
        small=small,
        baselines=baselines,
        baseline_source=baseline_source,
        balance=balance,
    )


__all__ = ["assign_spark", "balance_spark", "design_experiment_spark", "hash_column"]
