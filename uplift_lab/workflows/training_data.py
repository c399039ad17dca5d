"""Read a past campaign for ``train`` and a later one for ``evaluate --scores``.

A flat campaign table, or an experiment folder written by ``design`` with the order log (and
optionally customers and events), read through io and the order rules of ``columnmap``, then
turned into :class:`~uplift_lab.uplift.data.TrainingData` or
:class:`~uplift_lab.uplift.data.CampaignOutcomes` by the pure steps of
:mod:`uplift_lab.uplift.data`.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from uplift_lab import io
from uplift_lab.columnmap import InputSpec, resolve_inputs
from uplift_lab.contracts import CUSTOMER_ID, require_columns
from uplift_lab.errors import DataWarning, usage_error
from uplift_lab.notices import Notice
from uplift_lab.outcomes import window_coverage_notice
from uplift_lab.timeparse import DEFAULT_TIME_PARSING, TimeParsing, parse_date_option
from uplift_lab.uplift.data import (
    CampaignOutcomes,
    TrainingData,
    assignment_outcomes,
    campaign_window,
    experiment_training_data,
    integer_ids_from_text,
    order_features,
    table_training_data,
    with_order_features,
)
from uplift_lab.workflows.experiment_folder import load_experiment
from uplift_lab.workflows.inputs import read_customers_and_events
from uplift_lab.workflows.orders import load_orders


@dataclass(frozen=True, slots=True)
class CampaignExperiment:
    """An experiment folder written by ``design`` with the order log (``--experiment``)."""

    experiment: Path
    orders: Path
    start: str | None = None
    window_days: int | None = None
    customers: Path | None = None
    events: Path | None = None
    inputs: InputSpec | None = None


def load_table_training_data(
    path: Path,
    *,
    treatment_col: str,
    control: str | None,
    outcome_col: str,
    revenue_col: str | None = None,
    id_col: str | None = None,
    features: Sequence[str] | None = None,
    drop_features: Sequence[str] = (),
    rfm_cols: Mapping[str, str] | None = None,
    encoding: str | None = None,
    reference: str | None = None,
    fallback_id_col: str | None = None,
    orders: OrderHistory | None = None,
) -> TrainingData:
    """Read a flat campaign table into :class:`TrainingData` (see :func:`table_training_data`).

    With ``orders`` (the shop's order log, and optionally customers and events), each customer's
    segment as of ``reference`` (the campaign start, then required) from the orders before it
    joins the table by ``id_col`` as features (:func:`with_order_features`): a past campaign kept
    as its own file of ids, arms and outcomes (X5 RetailHero's uplift_train.csv, an SMS
    platform's report) learns from the purchase history as an experiment folder does.

    A Parquet id column keeps its type; a CSV's ids are integers when every one is written as
    an integer (:func:`integer_ids_from_text`). ``reference`` (``--start``) is the date that
    date features count days back from; ``drop_features`` are left out of the default
    features. Without ``id_col``, ``fallback_id_col`` (the customer
    id column every other command reads, ``--customer-col``) is the id where the table has it,
    so scores join the segment table instead of being keyed by row numbers.
    """
    parquet = io.table_format(path) == "parquet"
    named_id = None  # a column named like an id, used as one when its values are unique
    if id_col is None:
        names = io.table_column_names(path, encoding=encoding)
        if fallback_id_col and fallback_id_col in names:
            id_col = fallback_id_col
        else:
            named_id = named_id_column(names, (treatment_col, outcome_col, revenue_col))
            id_col = named_id
    string_columns = [treatment_col] + ([id_col] if id_col and not parquet else [])
    frame = io.read_table(path, encoding=encoding, string_columns=string_columns)
    if named_id is not None:
        values = frame[named_id]
        if values.notna().all() and values.is_unique:
            notice = Notice("note", "id_from_column", {"source": str(path), "column": named_id})
            warnings.warn(DataWarning(notice), stacklevel=2)
        else:  # not an id after all: row numbers, read as the table wrote it
            id_col = None
            frame = io.read_table(path, encoding=encoding, string_columns=[treatment_col])
            params = {"source": str(path), "column": named_id}
            warnings.warn(DataWarning(Notice("note", "ids_not_unique", params)), stacklevel=2)
    if id_col and not parquet and id_col in frame.columns:
        frame[id_col] = integer_ids_from_text(frame[id_col])
    require_columns(frame, drop_features, path)
    reference_time = None
    if reference is not None:
        reference_time = parse_date_option(reference, "start")
    if orders is not None:
        frame = _with_order_history(frame, path, id_col, reference_time, orders, encoding)
        if id_col != CUSTOMER_ID and CUSTOMER_ID not in frame.columns:
            # the ids are the shop's customers now: keyed as its segment table, so that
            # `score` reads a segment table and `target` joins it without renaming a column
            frame, id_col = frame.rename(columns={id_col: CUSTOMER_ID}), CUSTOMER_ID
    return table_training_data(
        frame,
        path,
        treatment_col=treatment_col,
        control=control,
        outcome_col=outcome_col,
        revenue_col=revenue_col,
        id_col=id_col,
        features=features,
        rfm_cols=rfm_cols,
        source_sha256=io.sha256_file(path),
        reference=reference_time,
        reference_origin="--start",
        exclude=drop_features,
    )


# Column names that say "the customer's id" (compared in lower case, without _ and spaces):
# public campaign tables name it so (Starbucks' ID, Megafon's id, X5's client_id).
ID_COLUMN_NAMES = ("id", "customerid", "clientid", "userid", "memberid", "buyerid", "uid")


def named_id_column(names: Sequence[str], reserved: Sequence[str | None]) -> str | None:
    """The one column whose name says it is the customer id, if exactly one does."""
    found = [
        name
        for name in names
        if name not in reserved
        and str(name).lower().replace("_", "").replace(" ", "") in ID_COLUMN_NAMES
    ]
    return found[0] if len(found) == 1 else None


@dataclass(frozen=True, slots=True)
class OrderHistory:
    """The shop's files that give a flat campaign table its customers' features (``--orders``)."""

    orders: Path
    customers: Path | None = None
    events: Path | None = None
    inputs: InputSpec | None = None


def _with_order_history(
    frame: pd.DataFrame,
    path: Path,
    id_col: str | None,
    start: pd.Timestamp | None,
    history: OrderHistory,
    encoding: str | None,
) -> pd.DataFrame:
    """The table with the order features of its customers as of ``start``."""
    if id_col is None or start is None:
        raise usage_error(
            path,
            "order features need the customer id that joins the table to the orders and the "
            "date they are taken at",
            "Pass {id_col} (or a customer_id column) and {start} (the campaign start)",
        )
    inputs = history.inputs or resolve_inputs()
    customers, events = read_customers_and_events(
        inputs, history.customers, history.events, encoding
    )
    orders = load_orders(history.orders, inputs.orders, encoding=encoding).frame()
    features = order_features(orders, start, customers=customers, events=events)
    return with_order_features(frame, id_col, features, path)


def load_experiment_training_data(
    experiment: Path,
    orders_path: Path,
    start: str | None = None,
    window_days: int | None = None,
    *,
    encoding: str | None = None,
    customers_path: Path | None = None,
    events_path: Path | None = None,
    customer_col: str = "customer_id",
    time_col: str = "order_time",
    amount_col: str = "amount",
    rfm_cols: Mapping[str, str] | None = None,
    parsing: TimeParsing = DEFAULT_TIME_PARSING,
    inputs: InputSpec | None = None,
) -> TrainingData:
    """Read an experiment folder, an order log and optionally customers and events
    (see :func:`experiment_training_data`). ``inputs`` (preset, column map, order rules) says
    how each file reads; without it the column names and ``parsing`` (dates) apply.

    ``start`` and ``window_days`` default to design.json's "campaign" entry (see
    :func:`campaign_window`); ``extra`` of the result records the values used and their origin.
    ``customer_col``, ``time_col`` and ``amount_col`` name the columns of the input files;
    ``inputs`` (preset, column map, order rules) replaces them when given.
    """
    if inputs is None:
        inputs = resolve_inputs(
            customer_col=customer_col, time_col=time_col, amount_col=amount_col, parsing=parsing
        )
    customers, events = read_customers_and_events(inputs, customers_path, events_path, encoding)

    loaded, start_time, window_days, origin, counted = _experiment_with_orders(
        experiment, orders_path, start, window_days, encoding, inputs
    )
    orders = counted.frame()
    _warn_if_window_not_covered(orders, start_time, window_days)
    meta = loaded.meta
    digest = hashlib.sha256(
        f"{meta.get('assignment_sha256', '')}:{io.sha256_file(orders_path)}".encode()
    ).hexdigest()
    data = experiment_training_data(
        loaded.assignment,
        str(meta.get("control_arm", "control")),
        orders,
        start_time,
        window_days,
        Path(experiment) / "assignment.parquet",
        customers=customers,
        events=events,
        rfm_cols=rfm_cols,
        source_sha256=digest,
    )
    data.extra.update(
        start=start_time.isoformat(),
        window_days=window_days,
        window_origin=dict(origin),
        order_counting=counted.counting.to_json(),
    )
    return data


def load_experiment_outcomes(
    experiment: Path,
    orders_path: Path,
    start: str | None = None,
    window_days: int | None = None,
    *,
    encoding: str | None = None,
    customer_col: str = "customer_id",
    time_col: str = "order_time",
    amount_col: str = "amount",
    parsing: TimeParsing = DEFAULT_TIME_PARSING,
    inputs: InputSpec | None = None,
) -> CampaignOutcomes:
    """Arm and outcomes of every customer of an experiment folder, from the order log.

    Converted = at least one order in ``[start, start + window_days)``, revenue = their sum;
    ``start`` and ``window_days`` default to design.json's "campaign" entry.
    """
    if inputs is None:
        inputs = resolve_inputs(
            customer_col=customer_col, time_col=time_col, amount_col=amount_col, parsing=parsing
        )
    loaded, start_time, window, origin, counted = _experiment_with_orders(
        experiment, orders_path, start, window_days, encoding, inputs
    )
    orders = counted.frame()
    _warn_if_window_not_covered(orders, start_time, window)
    table = assignment_outcomes(loaded.assignment, orders, start_time, window)
    table["converted"] = table["converted"].astype(np.int64)
    return CampaignOutcomes(
        table=table[["customer_id", "arm", "converted", "revenue"]],
        control=str(loaded.meta.get("control_arm", "control")),
        start=start_time,
        window_days=window,
        origin=origin,
        source=Path(experiment) / "assignment.parquet",
    )


def _warn_if_window_not_covered(
    orders: pd.DataFrame, start: pd.Timestamp, window_days: int
) -> None:
    """The same warning as `analyze`'s when the order log ends before the response window."""
    notice = window_coverage_notice(orders["order_time"], start, window_days)
    if notice is not None:
        warnings.warn(DataWarning(notice), stacklevel=3)


def _experiment_with_orders(
    experiment, orders_path, start, window_days, encoding, inputs: InputSpec
):  # fmt: skip
    """An experiment folder, its campaign window and the counted order log beside it
    (:class:`~uplift_lab.orders.CountedOrders`, the order rules of ``inputs`` applied): the
    common start of training data and campaign outcomes."""
    loaded = load_experiment(Path(experiment))
    start_time, window, origin = campaign_window(
        loaded.meta, start, window_days, Path(experiment) / "design.json"
    )
    counted = load_orders(orders_path, inputs.orders, encoding=encoding)
    return loaded, start_time, window, origin, counted


def read_campaign_outcomes(
    campaign: CampaignExperiment, encoding: str | None = None
) -> CampaignOutcomes:
    """The arms and window outcomes of an experiment folder's customers (``evaluate --scores``)."""
    return load_experiment_outcomes(
        campaign.experiment,
        campaign.orders,
        campaign.start,
        campaign.window_days,
        encoding=encoding,
        inputs=campaign.inputs,
    )
