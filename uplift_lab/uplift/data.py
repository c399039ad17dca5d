"""Training data for uplift models: arm, outcomes and pre-campaign features per customer.

Two ways in: any flat table (one row per customer with an arm column, a 0/1 outcome and optional
revenue), or an experiment folder written by ``design`` plus the order log, where features are
computed as of the campaign start and outcomes from the response window after it.

Features are chosen and encoded by :mod:`uplift_lab.uplift.features`. Reading the files is
:mod:`uplift_lab.workflows.training_data`'s.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from uplift_lab.analysis_inputs import resolve_control, yes_no_outcome
from uplift_lab.contracts import ids_as_text, numeric_column, require_columns
from uplift_lab.errors import (
    DataWarning,
    InputError,
    Named,
    ParameterError,
    input_error,
    literal,
    usage_error,
)
from uplift_lab.notices import Notice
from uplift_lab.outcomes import outcomes_from_orders
from uplift_lab.segment import segment_customers
from uplift_lab.timeparse import parse_date_option
from uplift_lab.uplift.features import (
    FeatureChoice,
    FeatureSpec,
    choose_default_features,
    column_date_kind,
    encode_features,
    infer_feature_specs,
    latest_date,
    outcome_nested_columns,
    post_treatment_columns,
)

ROW_ID = "row"  # id column name used when a table has no id column (ids are row numbers)
DEFAULT_WINDOW_DAYS = 14  # response window of a past campaign when neither option nor design.json

# The RFM-rule baseline: each part and the column name it gets in held-out predictions (names
# that uplift/evaluate.py's RFM rule recognizes), and the columns detected automatically, in
# order of preference. Hillstrom has `recency` (months since last purchase, lower is better) and
# `history` (past spend, i.e. monetary) and no frequency.
RFM_OUTPUT_NAMES = {
    "score": "rfm_score",
    "recency": "recency",
    "frequency": "frequency",
    "monetary": "monetary",
}
RFM_DETECTED = {
    "score": ("rfm_score",),
    "recency": ("recency_days", "recency"),
    "frequency": ("frequency", "n_orders"),
    "monetary": ("monetary", "history"),
}
RFM_COLS_FIX = (  # a UsageError template (the CLI reads --rfm-cols PART=COLUMN)
    "Use {rfm_cols=PART=COLUMN} with PART one of score, recency, frequency, monetary "
    "(e.g. {rfm_cols=recency=recency,monetary=history})"
)


@dataclass(frozen=True)
class TrainingData:
    """A randomized past campaign, one row per customer.

    ``arm`` holds arm labels (text); ``control`` is the holdout label and ``arms`` the treated
    arms (sorted). ``conversion`` is 0/1, ``revenue`` is the spend in the window (or None).
    """

    ids: np.ndarray
    id_col: str
    arm: np.ndarray
    control: str
    arms: tuple[str, ...]
    conversion: np.ndarray
    revenue: np.ndarray | None
    features: pd.DataFrame
    specs: tuple[FeatureSpec, ...]
    source_sha256: str = ""
    extra: dict = field(default_factory=dict)
    rfm_columns: dict[str, str] = field(default_factory=dict)
    rfm_values: pd.DataFrame | None = None
    id_kind: str = "text"  # "integer" or "text": how score writes the ids back
    dropped_features: dict[str, tuple[str, ...]] = field(default_factory=dict)  # reason: columns
    reference_date: str = ""  # dates become days before this day ("" when no date feature)
    reference_origin: str = ""

    @property
    def n_rows(self) -> int:
        return len(self.ids)

    def matrix(self) -> np.ndarray:
        """The encoded float feature matrix (rows x features)."""
        return encode_features(self.features, self.specs, "training data")


MIN_ARM_SHARE = 0.01  # an arm this much smaller than the largest is refused (typo?)


def check_rfm_parts(mapping: Mapping[str, str], parameter: str = "rfm_cols") -> dict[str, str]:
    """Validate an RFM mapping ``{part: column}`` (parts: score, recency, frequency, monetary)
    given as ``parameter``.

    The RFM rule needs a total score or at least two parts, so one part alone is refused.
    """
    unknown = [part for part in mapping if part not in RFM_OUTPUT_NAMES]
    if unknown:
        raise usage_error(
            Named(parameter), f"unknown RFM part '{literal(unknown[0])}'", RFM_COLS_FIX
        )
    if "score" not in mapping and len(mapping) < 2:
        only = literal(", ".join(mapping))
        raise usage_error(
            Named(parameter),
            f"needs the RFM total score or at least two parts, got only {only}",
            RFM_COLS_FIX,
        )
    return dict(mapping)


def detect_rfm_columns(frame: pd.DataFrame, candidates: Sequence[str]) -> dict[str, str]:
    """RFM columns found among ``candidates`` by name (numeric ones only), as ``{part: column}``.

    Detected: ``rfm_score``; recency as ``recency_days`` or ``recency`` (lower is better);
    frequency as ``frequency`` or ``n_orders``; monetary as ``monetary`` or ``history`` (past
    spend, as in Hillstrom). Empty unless there is a score or at least two parts.
    """
    found = {}
    for part, names in RFM_DETECTED.items():
        for name in names:
            if name in candidates and pd.api.types.is_numeric_dtype(frame[name]):
                found[part] = name
                break
    return found if "score" in found or len(found) >= 2 else {}


def rfm_baseline_values(
    frame: pd.DataFrame, columns: Mapping[str, str], source: object
) -> pd.DataFrame:
    """The RFM columns under the names evaluate's RFM rule reads (see ``RFM_OUTPUT_NAMES``)."""
    require_columns(frame, columns.values(), source)
    values = {
        RFM_OUTPUT_NAMES[part]: numeric_column(frame, column, source, allow_missing=True)
        .reset_index(drop=True)
        .to_numpy()
        for part, column in columns.items()
    }
    return pd.DataFrame(values, index=pd.RangeIndex(len(frame)))


def _binary_outcome(frame: pd.DataFrame, column: str, source: object) -> np.ndarray:
    values = numeric_column(yes_no_outcome(frame, column, source), column, source).to_numpy()
    if not np.isin(values, (0.0, 1.0)).all():
        example = values[~np.isin(values, (0.0, 1.0))][0]
        raise usage_error(
            source,
            f"outcome column '{literal(column)}' must be 0/1 (converted or not)"
            f" but has {example:g}",
            "Pass a 0/1 conversion column as {outcome_col} and spend as {revenue_col}",
        )
    return values


def _arm_labels(
    frame: pd.DataFrame, column: str, control: str, source: object
) -> tuple[np.ndarray, tuple[str, ...]]:
    values = frame[column]
    if values.isna().any():
        raise input_error(
            source,
            f"treatment column '{column}' has {int(values.isna().sum())} empty value(s)",
            "Every row needs its arm label; fill or remove those rows",
        )
    # Labels without surrounding spaces (Gerber writes ' Control'), as analyze reads them.
    labels = values.astype(str).str.strip().to_numpy(dtype=object)
    seen = sorted(set(labels))
    if control not in seen:
        raise usage_error(
            source,
            f"treatment column '{literal(column)}' has no control label '{literal(control)}'"
            f" (labels: {literal(', '.join(seen[:10]))})",
            "Pass the holdout label with {control}",
        )
    treated = tuple(label for label in seen if label != control)
    if not treated:
        raise input_error(
            source,
            f"treatment column '{column}' has only the control label '{control}'",
            "Uplift needs treated and control customers",
        )
    sizes = pd.Series(labels).value_counts()
    tiny = sizes[sizes < MIN_ARM_SHARE * sizes.max()]
    if len(tiny):
        raise input_error(
            source,
            f"treatment column '{column}' has an arm '{tiny.index[0]}' with only "
            f"{int(tiny.iloc[0])} row(s), under 1% of the largest arm (a mistyped label?)",
            "Fix or drop those rows; every arm needs enough customers to learn from",
        )
    return labels, treated


def id_kind(values: pd.Series) -> str:
    """``"integer"`` for an integer id column (or whole floats), else ``"text"``."""
    if pd.api.types.is_bool_dtype(values):
        return "text"
    if pd.api.types.is_integer_dtype(values):
        return "integer"
    if pd.api.types.is_float_dtype(values):
        present = values.dropna().to_numpy()
        return "integer" if np.all(np.mod(present, 1) == 0) else "text"
    return "text"


CANONICAL_INTEGER = r"-?(?:0|[1-9][0-9]{0,17})"  # fits int64, no leading zeros


def integer_ids_from_text(values: pd.Series) -> pd.Series:
    """Text ids that are all plain integers (no leading zeros) as int64, others unchanged.

    A CSV stores no types: ids read as text are integers exactly when every one is written
    as an integer would be (``"00123"`` stays text, so its zeros survive).
    """
    text = values.astype("string")
    if len(text) and not text.isna().any() and text.str.fullmatch(CANONICAL_INTEGER).all():
        return text.astype("int64")
    return values


def table_training_data(
    frame: pd.DataFrame,
    source: object,
    *,
    treatment_col: str,
    control: str | None,
    outcome_col: str,
    revenue_col: str | None = None,
    id_col: str | None = None,
    features: Sequence[str] | None = None,
    rfm_cols: Mapping[str, str] | None = None,
    source_sha256: str = "",
    reference: pd.Timestamp | None = None,
    reference_origin: str = "",
    exclude: Sequence[str] = (),
    check_post_treatment: bool = True,
) -> TrainingData:
    """Validate a flat table (one row per customer) and build :class:`TrainingData`.

    ``id_col=None`` uses row numbers as ids (e.g. Hillstrom has no id column). ``features=None``
    picks the features with :func:`choose_default_features` among the columns other than the
    id, arm, outcomes and ``exclude``. Date features become days before ``reference``
    (default: the day after the table's latest date in them). ``rfm_cols`` (``{part: column}``)
    names the columns of the RFM-rule baseline; None detects them among the features by name.
    ``check_post_treatment`` drops default features whose distribution differs between the arms
    far beyond chance (outcomes of the send: :mod:`uplift_lab.uplift.post_treatment`); off
    where the features are built from orders before the campaign's start.
    """
    outcome_columns = [treatment_col, outcome_col] + ([revenue_col] if revenue_col else [])
    require_columns(frame, ([id_col] if id_col else []) + outcome_columns, source)
    if id_col:
        ids = ids_as_text(frame, id_col, source, unique=True).to_numpy(dtype=object)
        kind_of_ids = id_kind(frame[id_col])
    else:
        ids = np.arange(len(frame)).astype(str).astype(object)
        kind_of_ids = "integer"
    if len(frame) == 0:
        raise input_error(source, "has no rows", "Pass the campaign's customers")
    reserved = set(outcome_columns) | ({id_col} if id_col else set())
    conversion, revenue = _outcomes(frame, outcome_col, revenue_col, source)
    arm = frame[treatment_col].to_numpy() if check_post_treatment else None
    converted = conversion if check_post_treatment else None
    choice = _feature_choice(frame, features, reserved, exclude, source, arm, converted)
    columns, dropped, date_columns = list(choice.columns), choice.dropped, choice.date_columns
    if not columns:
        raise usage_error(source, "has no feature columns", "Add customer features or {features}")
    if date_columns and reference is None:
        reference = latest_date(frame, choice.table_dates or date_columns, source)
        reference_origin = "the day after the table's latest date"
    present = frame[treatment_col].dropna().astype(str)
    control = resolve_control(present.unique(), control, source, treatment_col)
    labels, treated = _arm_labels(frame, treatment_col, control, source)
    feature_frame = frame[columns].rename(columns=str).reset_index(drop=True)
    specs = infer_feature_specs(feature_frame, feature_frame.columns, source, reference=reference)
    rfm = _rfm_columns(feature_frame, rfm_cols, reserved)
    rfm_values = rfm_baseline_values(frame, rfm, source) if rfm else None
    return TrainingData(
        ids=ids,
        id_col=id_col or ROW_ID,
        arm=labels,
        control=control,
        arms=treated,
        conversion=conversion,
        revenue=revenue,
        features=feature_frame,
        specs=specs,
        source_sha256=source_sha256,
        rfm_columns=rfm,
        rfm_values=rfm_values,
        id_kind=kind_of_ids,
        dropped_features=dropped,
        reference_date=reference.isoformat() if date_columns else "",
        reference_origin=reference_origin if date_columns else "",
    )


def _feature_choice(
    frame: pd.DataFrame,
    features: Sequence[str] | None,
    reserved: set,
    exclude: Sequence[str],
    source: object,
    arm: np.ndarray | None = None,
    converted: np.ndarray | None = None,
) -> FeatureChoice:
    """The named ``features`` (checked), else the default choice among the other columns."""
    if not features:
        candidates = [name for name in frame.columns if name not in reserved | set(exclude)]
        return choose_default_features(frame, candidates, arm, converted)
    require_columns(frame, features, source)
    used = [name for name in features if name in reserved]
    if used:
        raise usage_error(
            source,
            f"{{features}} includes '{literal(used[0])}', which is the id, arm or an outcome",
            "Features must be known before the campaign; remove it",
        )
    columns = list(dict.fromkeys(features))
    kinds = {str(name): column_date_kind(frame[name]) for name in columns}
    date_columns = {name: kind for name, kind in kinds.items() if kind is not None}
    if arm is not None:  # named, so kept: but said, as a model that learns it leaks the outcome
        flagged = post_treatment_columns(frame, columns, date_columns, arm)
        if flagged:
            params = {"features": ", ".join(flagged.values())}
            notice = Notice("warning", "named_feature_after_send", params)
            warnings.warn(DataWarning(notice), stacklevel=4)
    if converted is not None:
        nested = outcome_nested_columns(frame, columns, converted)
        if nested:
            params = {"features": ", ".join(nested.values())}
            notice = Notice("warning", "named_feature_decides_outcome", params)
            warnings.warn(DataWarning(notice), stacklevel=4)
    return FeatureChoice(tuple(columns), {}, date_columns, {})


def _outcomes(
    frame: pd.DataFrame, outcome_col: str, revenue_col: str | None, source: object
) -> tuple[np.ndarray, np.ndarray | None]:
    """The 0/1 conversion and the revenue (or None), each refused when constant."""
    conversion = _binary_outcome(frame, outcome_col, source)
    if len(np.unique(conversion)) < 2:
        raise input_error(
            source,
            f"outcome column '{outcome_col}' is {conversion[0]:g} for every customer",
            "Uplift needs customers who converted and customers who did not",
        )
    if not revenue_col:
        return conversion, None
    revenue = numeric_column(frame, revenue_col, source, allow_negative=False).to_numpy()
    if len(np.unique(revenue)) < 2:
        raise usage_error(
            source,
            f"revenue column '{literal(revenue_col)}' is {revenue[0]:g} for every customer",
            "Pass spend per customer as {revenue_col}, or a fixed {value_per_conversion}",
        )
    if np.array_equal(revenue, conversion):
        raise usage_error(
            source,
            f"revenue column '{literal(revenue_col)}' equals the 0/1 outcome"
            f" '{literal(outcome_col)}'",
            "Pass spend per customer as {revenue_col}, or {value_per_conversion=V}",
        )
    return conversion, revenue


def _rfm_columns(
    features: pd.DataFrame, rfm_cols: Mapping[str, str] | None, reserved: set
) -> dict[str, str]:
    """The RFM-rule baseline's columns: ``rfm_cols`` (checked), else detected by name."""
    if rfm_cols is None:
        return detect_rfm_columns(features, list(features.columns))
    rfm = check_rfm_parts(rfm_cols)
    used = [column for column in rfm.values() if column in reserved]
    if used:
        raise usage_error(
            Named("rfm_cols"),
            f"'{literal(used[0])}' is the id, arm or an outcome, not a pre-campaign RFM column",
            RFM_COLS_FIX,
        )
    return rfm


def assignment_outcomes(
    assignment: pd.DataFrame, orders: pd.DataFrame, start: pd.Timestamp, window_days: int
) -> pd.DataFrame:
    """customer_id, arm, converted, revenue of every assigned customer in the response window.

    The window and the definition of a conversion are `analyze`'s
    (:func:`uplift_lab.outcomes.outcomes_from_orders`), so a model learns exactly the outcome that
    the campaign report measures; customers without an order count as zero.
    """
    outcomes = outcomes_from_orders(orders, start, window_days).per_customer
    table = assignment[["customer_id", "arm"]].copy()
    table["customer_id"] = table["customer_id"].astype(str)
    table = table.merge(
        outcomes[["customer_id", "converted", "revenue"]], on="customer_id", how="left"
    )
    return table.fillna({"converted": 0.0, "revenue": 0.0})


def order_features(
    orders: pd.DataFrame,
    start: pd.Timestamp,
    *,
    customers: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each customer's segment as of ``start`` (lifecycle, RFM, cycles, tags) from the orders
    and events before it: the features a past campaign's customers had when it was sent."""
    before = orders[orders["order_time"] < start]
    if events is not None:
        events = events[events["event_time"] < start]
    segments = segment_customers(before, as_of=start, customers=customers, events=events).table
    segments = segments.copy()
    segments["customer_id"] = segments["customer_id"].astype(str)
    return segments


def with_order_features(
    frame: pd.DataFrame, id_col: str, features: pd.DataFrame, source: object
) -> pd.DataFrame:
    """A flat campaign table with :func:`order_features` joined on its ``id_col``: its own
    columns win over a feature of the same name; a customer without orders before the start
    has missing order features (the learners read them as such)."""
    require_columns(frame, [id_col], source)
    ids = ids_as_text(frame, id_col, source, unique=True)
    if not ids.isin(features["customer_id"]).any():
        raise usage_error(
            source,
            f"no id in column '{literal(id_col)}' has an order before the campaign start",
            "Check that {id_col} holds the customer ids the {orders} file uses, and {start}",
        )
    extra = [name for name in features.columns if name != "customer_id" and name not in frame]
    added = features.set_index("customer_id")[extra].reindex(ids.to_numpy())
    added.index = frame.index
    return pd.concat([frame, added], axis=1)


def experiment_training_data(
    assignment: pd.DataFrame,
    control: str,
    orders: pd.DataFrame,
    start: pd.Timestamp,
    window_days: int,
    source: object,
    *,
    customers: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    rfm_cols: Mapping[str, str] | None = None,
    source_sha256: str = "",
) -> TrainingData:
    """Join an experiment's assignment with features as of ``start`` and outcomes after it.

    Features come from ``uplift_lab.segment.segment_customers(orders, as_of=start)`` (with the
    optional canonical customer and event tables), which only sees orders and events before
    ``start``, chosen by :func:`choose_default_features` (dates as days before ``start``);
    outcomes are orders in the ``window_days`` after ``start`` (revenue net of refund rows, and
    never below 0).
    """
    if window_days <= 0:
        raise ParameterError("window_days", "must be positive", window_days)
    segments = order_features(orders, start, customers=customers, events=events)
    table = assignment_outcomes(assignment, orders, start, window_days)
    # a window whose refund rows exceed its purchases (a return of an earlier order) earned
    # nothing: revenue 0 for the models, whose revenue metrics need outcomes >= 0
    table["revenue"] = table["revenue"].clip(lower=0.0)
    table = table.merge(segments, on="customer_id", how="left")
    return table_training_data(
        table,
        source,
        treatment_col="arm",
        control=control,
        outcome_col="converted",
        revenue_col="revenue",
        id_col="customer_id",
        rfm_cols=rfm_cols,
        source_sha256=source_sha256,
        reference=pd.Timestamp(start),
        reference_origin="campaign start",
        exclude=("stratum",),  # design's stratum label, not a customer attribute
        check_post_treatment=False,  # features from orders before the start: pre-send by build
    )


def campaign_window(
    meta: Mapping, start: str | None, window_days: int | None, source: object
) -> tuple[pd.Timestamp, int, dict[str, str]]:
    """The campaign start and response window: the options, else design.json's "campaign" entry.

    ``target`` (and the synthetic shop) record the campaign's ``start`` and ``window_days`` in
    design.json, so a past campaign needs no dates on the command line. The window defaults to
    14 days when neither gives it. Also returns where each value came from, for the CLI.
    """
    campaign = meta.get("campaign") or {}
    origin = {"start": "--start", "window_days": "--window-days"}
    if start is None and campaign.get("start") is not None:
        start, origin["start"] = str(campaign["start"]), "design.json campaign.start"
    if start is None:
        raise usage_error(
            Named("start"),
            f"is needed: {literal(source)} records no campaign start",
            "Pass the first day of the campaign, e.g. {start=2026-06-01}",
        )
    if window_days is None:
        if campaign.get("window_days") is not None:
            window_days = campaign["window_days"]
            origin["window_days"] = "design.json campaign.window_days"
        else:
            window_days, origin["window_days"] = DEFAULT_WINDOW_DAYS, "default"
    try:  # ISO only, as every date option (timeparse.parse_date_option)
        start_time = parse_date_option(start, "start")
    except InputError:
        raise usage_error(
            _origin_source(origin, "start"),
            f"'{literal(start)}' is not an ISO date",
            "Use e.g. {start=2026-06-01}",
        ) from None
    days_source = _origin_source(origin, "window_days")
    if isinstance(window_days, bool) or not isinstance(window_days, int | float):
        raise usage_error(days_source, f"'{literal(window_days)}' is not a number of days")
    if window_days != int(window_days) or window_days <= 0:
        raise usage_error(
            days_source, f"must be a positive whole number of days, got {literal(window_days)}"
        )
    return start_time, int(window_days), origin


def _origin_source(origin: Mapping[str, str], parameter: str) -> str:
    """Where ``parameter``'s value came from, as a :func:`usage_error` source: the parameter
    itself when it was given (origin "--start"), else design.json's entry."""
    where = origin[parameter]
    return Named(parameter) if where.startswith("--") else where


@dataclass(frozen=True, slots=True)
class CampaignOutcomes:
    """A designed campaign's customers with their arm and outcomes in the response window."""

    table: pd.DataFrame  # customer_id, arm, converted (0/1), revenue
    control: str
    start: pd.Timestamp
    window_days: int
    origin: dict[str, str]
    source: object = "experiment"
