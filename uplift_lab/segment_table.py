"""The customer table of ``segment`` from the per-customer aggregate (:mod:`uplift_lab.segment_sql`,
run by DuckDB or Spark): purchase cycles, lifecycle stage, RFM, spend band and built-in tags,
then the customer attributes; and the summaries per lifecycle stage and RFM class."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from uplift_lab.contracts import CUSTOMER_ID, LIFECYCLE, LIFECYCLE_STAGES
from uplift_lab.cycles import (
    CYCLE_STAGES,
    CycleModel,
    cycle_stage_codes,
    expected_gap_days,
    fit_cycle_model,
    overdue_ratios,
)
from uplift_lab.rfm_classes import NO_PURCHASE_CLASS, RFM_CLASSES
from uplift_lab.segment_rules import (
    NO_SPEND_BAND,
    LifecycleThresholds,
    SegmentConfig,
    band_codes,
    lifecycle_codes,
    quintile_scores,
    rfm_class_codes,
    spend_band_labels,
)
from uplift_lab.tags import BUILTIN_TAG_LABELS, EVENT_TAG_COLUMNS, builtin_tag_codes


@dataclass(frozen=True, slots=True)
class Cycles:
    """Per-customer cycle columns (aligned with the aggregate frame) and the fitted priors."""

    expected_gap_days: np.ndarray
    overdue_ratio: np.ndarray
    repeat_buyers: int
    model: CycleModel | None
    category_columns: dict[str, np.ndarray]


def purchase_cycles(frame: pa.Table, has_category: bool) -> Cycles:
    """Expected gap (shrunk toward the main category's and the shop's) and overdue ratio."""
    recency = _numbers(frame, "recency_days", "float64")
    span = _numbers(frame, "tenure_days", "float64") - recency
    n_gaps = _numbers(frame, "n_dates", "float64") - 1
    main_category = None
    category_columns: dict[str, np.ndarray] = {}
    if has_category:
        main_category = frame.column("main_category").to_numpy(zero_copy_only=False)
        main_category = np.where(pd.isna(main_category), None, main_category).astype(object)
        category_columns = {
            "main_category": main_category,
            "main_category_share": _numbers(frame, "main_category_share", "float64"),
            "categories_bought": _numbers(frame, "categories_bought", "int64"),
        }
    model = fit_cycle_model(n_gaps, span, main_category)
    gaps = expected_gap_days(model, n_gaps, span, main_category)
    return Cycles(
        expected_gap_days=gaps,
        overdue_ratio=overdue_ratios(recency, gaps),
        repeat_buyers=int(np.sum(n_gaps >= 1)),
        model=model,
        category_columns=category_columns,
    )


def _numbers(frame: pa.Table, name: str, dtype: str) -> np.ndarray:
    """A column of the aggregate as numpy (missing values NaN; integers have none)."""
    values = frame.column(name)
    if dtype == "float64":
        values = values.cast(pa.float64())
    numbers = values.to_numpy().astype(dtype, copy=False)
    # writable (not Arrow's memory): the customer table is built on these arrays without a copy
    return numbers if numbers.flags.writeable else numbers.copy()


def _times(frame: pa.Table, name: str) -> np.ndarray:
    """A timestamp column of the aggregate as writable datetime64[us] (missing values NaT)."""
    values = frame.column(name).cast(pa.timestamp("us")).to_numpy()
    return values if values.flags.writeable else values.copy()


def _labels(codes: np.ndarray, names: Sequence[str]) -> pd.Series:
    """Text column ``names[code]`` per row, built through an Arrow dictionary (no Python loop)."""
    dictionary = pa.DictionaryArray.from_arrays(
        pa.array(np.asarray(codes, dtype=np.int32)), pa.array(list(names), type=pa.string())
    )
    return pd.Series(dictionary.cast(pa.string()).to_pandas()).astype("str")


def customer_table(
    frame: pa.Table,
    thresholds: LifecycleThresholds,
    config: SegmentConfig,
    cycles: Cycles,
) -> pd.DataFrame:
    n_orders = _numbers(frame, "n_orders_total", "int64")
    frequency = _numbers(frame, "frequency", "int64")
    monetary = _numbers(frame, "monetary", "float64")
    recency = _numbers(frame, "recency_days", "float64")
    tenure = _numbers(frame, "tenure_days", "float64")
    span = tenure - recency
    with np.errstate(invalid="ignore", divide="ignore"):
        own_gap = np.where((n_orders >= 2) & (span >= 1), span / (n_orders - 1), np.nan)
        aov = np.where(n_orders > 0, _numbers(frame, "amount_total", "float64") / n_orders, np.nan)
    bought = n_orders > 0

    scores = {}
    for name, values in (("rfm_r", -recency), ("rfm_f", frequency), ("rfm_m", monetary)):
        score = np.zeros(len(n_orders), dtype="int64")
        score[bought] = quintile_scores(np.asarray(values, dtype="float64")[bought])
        scores[name] = score
    rfm_codes = rfm_class_codes(scores, bought, config.rfm_high_score)
    rfm_keys = [key for key, _, _ in RFM_CLASSES] + [NO_PURCHASE_CLASS[0]]
    rfm_names_zh = [zh for _, zh, _ in RFM_CLASSES] + [NO_PURCHASE_CLASS[1]]
    if thresholds.source == "cycle":
        stages = _labels(
            cycle_stage_codes(cycles.overdue_ratio, n_orders, config.cycle_cutoffs), CYCLE_STAGES
        )
    else:
        stages = _labels(
            lifecycle_codes(recency, n_orders, own_gap, thresholds, config.overdue_factor),
            LIFECYCLE_STAGES,
        )

    ids = pd.Series(frame.column(CUSTOMER_ID).to_pandas()).astype("str")
    table = pd.DataFrame(
        {
            CUSTOMER_ID: ids,
            "recency_days": recency,
            "frequency": frequency,
            "monetary": monetary,
            "aov": aov,
            "first_order_time": _times(frame, "first_order_time"),
            "last_order_time": _times(frame, "last_order_time"),
            "tenure_days": tenure,
            "days_since_last_event": _numbers(frame, "event_days", "float64"),
            "n_orders_total": n_orders,
            "expected_gap_days": cycles.expected_gap_days,
            "overdue_ratio": cycles.overdue_ratio,
            **cycles.category_columns,
            LIFECYCLE: stages,
            **scores,
            "rfm_score": scores["rfm_r"] + scores["rfm_f"] + scores["rfm_m"],
            "rfm_class": _labels(rfm_codes, rfm_keys),
            "rfm_class_zh": _labels(rfm_codes, rfm_names_zh),
            "spend_band": _labels(
                band_codes(aov, config.bands), [*spend_band_labels(config.bands), NO_SPEND_BAND]
            ),
            **{
                name: _labels(codes, BUILTIN_TAG_LABELS[name])
                for name, codes in builtin_tag_codes(
                    aov, n_orders, frequency, tenure, config.consumption_cutoffs
                ).items()
            },
        },
        copy=False,  # the columns are this function's own: no copy into one block
    )
    if "main_category" in table:
        table["main_category"] = table["main_category"].astype("str")
    for name in EVENT_TAG_COLUMNS:
        if name in frame.column_names:
            table[name] = frame.column(name).to_numpy(zero_copy_only=False).astype(bool)
    return table


def with_attributes(table: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """Left-join the customer attributes; a name that clashes gets the suffix '_input'."""
    attributes = customers.copy()
    attributes[CUSTOMER_ID] = attributes[CUSTOMER_ID].astype("str")
    attributes = attributes.rename(
        columns={c: f"{c}_input" for c in attributes.columns if c in table and c != CUSTOMER_ID}
    )
    return table.merge(attributes, on=CUSTOMER_ID, how="left", sort=False, validate="one_to_one")


def summarize(table: pd.DataFrame, key: str, order: Sequence[str]) -> pd.DataFrame:
    """Customers, share, revenue (lookback monetary), revenue share, mean recency per ``key``."""
    grouped = table.groupby(key, observed=True, sort=False).agg(
        customers=(CUSTOMER_ID, "size"),
        revenue=("monetary", "sum"),
        mean_recency_days=("recency_days", "mean"),
    )
    summary = grouped.reindex(list(order))
    summary["customers"] = summary["customers"].fillna(0).astype("int64")
    summary["revenue"] = summary["revenue"].fillna(0.0)
    total_customers, total_revenue = len(table), float(table["monetary"].sum())
    summary["share"] = summary["customers"] / total_customers if total_customers else 0.0
    summary["revenue_share"] = summary["revenue"] / total_revenue if total_revenue else 0.0
    summary = summary.rename_axis(key).reset_index()
    return summary[[key, "customers", "share", "revenue", "revenue_share", "mean_recency_days"]]
