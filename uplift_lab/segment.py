"""Customer segments from an order log: lifecycle stage, RFM scores and classes, spend band.

Everything is measured *as of* an instant: orders and events at or after ``as_of`` are ignored,
so the same function gives today's segments and the features of a past campaign at its start.
A date means midnight at its start. Orders are aggregated with DuckDB over the Arrow table; a
Parquet file whose id and time columns need no cleaning is aggregated where it is: the order
rules mark the rows that count (:func:`uplift_lab.orders.count_orders_in_place`) and DuckDB
reads the ids and times from the file in the same pass as it groups them.

Day counts are whole calendar days between dates: ``recency_days`` = as-of date minus the date
of the last order (an order yesterday has recency 1).

``thresholds="cycle"`` (the default) stages customers by their own purchase cycle:
``expected_gap_days`` G is the customer's mean gap between distinct order dates shrunk toward
their main category's and the shop's (empirical Bayes, see :mod:`uplift_lab.cycles`; one order
day: the category's prior gap), ``overdue_ratio`` = recency_days / G, and with the cut-offs
``cycle_cutoffs`` (1.5, 3, 6): potential (never ordered), churned (ratio > 6), silent (> 3),
semi_active (> 1.5), new (one order), active. It needs ``min_repeat_buyers`` (200) customers
who ordered on two different days; with fewer, the day rules below apply and the result carries a
notice. ``expected_gap_days`` and ``overdue_ratio`` are output whatever the thresholds; with a
``category`` order column also ``main_category`` (most orders; ties: more spend, then the name),
``main_category_share`` (of the orders with a category) and ``categories_bought``.

``thresholds="fixed"``: with the day thresholds (active 30, silent 90, churn 180 days) and
``n`` = orders before as-of, the lifecycle rules are, checked in this order:

* ``potential``: known (customer table or events before as-of) but ``n == 0``. Customers
  whose ``signup_time`` is at or after as-of are left out: they were not known yet.
* ``churned``: ``recency_days > churn_days`` (from day 181).
* ``silent``: ``silent_days < recency_days <= churn_days`` (days 91-180).
* ``semi_active``: ``active_days < recency_days <= silent_days`` (days 31-90, any ``n``), or a
  repeat buyer inside the active window who is overdue: ``recency_days > overdue_factor x`` own
  mean gap, the gap being (last order date - first order date) / (n - 1) when that span is at
  least one day (``overdue_factor`` 3; 0 turns this off).
* ``new``: ``n == 1`` and ``recency_days <= active_days`` (days 0-30).
* ``active``: ``n >= 2``, ``recency_days <= active_days`` and not overdue.

``thresholds="auto"`` sets active/silent/churn to ceil(1x / 3x / 6x) the shop's purchase cycle:
the median, over customers who ordered on at least two different dates before as-of, of their
mean days between order dates ((last date - first date) / (distinct dates - 1)). One vote per
customer, so a few very frequent buyers do not set the cycle of the whole shop; a 30-day cycle
reproduces the fixed defaults.

RFM: among buyers (``n >= 1``), R (fewer recency days is better), F (``frequency``: orders in the
lookback window, default 365 days, i.e. order dates at most that many days before the as-of date)
and M (``monetary``: their sum) are scored ``1 + floor(5 x share of buyers with a strictly worse
value)``: ties get the same score, the worst value always scores 1, and a column with a single
distinct value scores 1 throughout. Potential customers score 0. ``rfm_class`` splits each score
into high (>= 3) and low, giving the classic eight classes (and ``no_purchase`` for potential).
``aov`` is the lifetime average order value; ``spend_band`` bins it by the given edges.
Then the built-in tags ``consumption_level``, ``purchase_activity`` and ``loyalty`` (rules in
:mod:`uplift_lab.tags`), the customer attributes (e.g. ``region``), and the ``--tags`` rules.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from uplift_lab import contracts, io
from uplift_lab.columnmap import InputSpec, resolve_inputs
from uplift_lab.contracts import (
    AMOUNT,
    CUSTOMER_ID,
    EVENT_TIME,
    EVENT_TYPE,
    LIFECYCLE,
    LIFECYCLE_STAGES,
    ORDER_TIME,
)
from uplift_lab.cycles import (
    CYCLE_STAGES,
    DEFAULT_CYCLE_CUTOFFS,
    CycleModel,
    cycle_stage_codes,
    expected_gap_days,
    fit_cycle_model,
    overdue_ratios,
)
from uplift_lab.errors import InputError, input_error
from uplift_lab.orders import (
    CATEGORY,
    CountedInPlace,
    OrderCounting,
    count_orders_in_place,
    load_orders,
)
from uplift_lab.ranks import smaller_counts
from uplift_lab.tags import (
    BUILTIN_TAG_COLUMNS,
    BUILTIN_TAG_LABELS,
    EVENT_TAG_COLUMNS,
    EVENT_TAG_DAYS,
    apply_tag_rules,
    builtin_tag_codes,
    parse_tag_rules,
    tag_summary,
)
from uplift_lab.timeparse import DEFAULT_TIME_PARSING, TimeParsing, parse_date_option
from uplift_lab.workflows.inputs import read_customers_and_events

RFM_CLASSES: tuple[tuple[str, str, tuple[bool, bool, bool]], ...] = (
    ("important_value", "重要价值客户", (True, True, True)),
    ("important_development", "重要发展客户", (True, False, True)),
    ("important_retention", "重要保持客户", (False, True, True)),
    ("important_winback", "重要挽留客户", (False, False, True)),
    ("general_value", "一般价值客户", (True, True, False)),
    ("general_development", "一般发展客户", (True, False, False)),
    ("general_retention", "一般保持客户", (False, True, False)),
    ("general_winback", "一般挽留客户", (False, False, False)),
)
"""(key, Chinese name, (R high, F high, M high)) of the eight classic RFM classes."""

NO_PURCHASE_CLASS = ("no_purchase", "未购买客户")
RFM_CLASS_NAMES_ZH = dict([(key, zh) for key, zh, _ in RFM_CLASSES] + [NO_PURCHASE_CLASS])
NO_SPEND_BAND = "none"
SIGNUP_TIME = "signup_time"
MIN_REPEAT_BUYERS = 200  # fewer repeat buyers than this: too few cycles to learn, day rules apply
THRESHOLD_MODES = ("cycle", "fixed", "auto")
AUTO_MULTIPLIERS = (1.0, 3.0, 6.0)
MICRO_UNITS = 1_000_000  # amounts are summed as exact integers of 1e-6 (thread-order independent)

SEGMENT_COLUMNS = (
    CUSTOMER_ID,
    "recency_days",
    "frequency",
    "monetary",
    "aov",
    "first_order_time",
    "last_order_time",
    "tenure_days",
    "days_since_last_event",
    "n_orders_total",
    "expected_gap_days",
    "overdue_ratio",
    LIFECYCLE,
    "rfm_r",
    "rfm_f",
    "rfm_m",
    "rfm_score",
    "rfm_class",
    "rfm_class_zh",
    "spend_band",
    *BUILTIN_TAG_COLUMNS,
)
CATEGORY_COLUMNS = ("main_category", "main_category_share", "categories_bought")
"""Added after ``overdue_ratio`` when the orders have a ``category`` column."""


@dataclass(frozen=True, slots=True)
class SegmentConfig:
    """Options of :func:`segment_customers`; invalid values raise InputError naming the option."""

    lookback_days: int = 365
    active_days: int = 30
    silent_days: int = 90
    churn_days: int = 180
    thresholds: str = "cycle"
    overdue_factor: float = 3.0
    cycle_cutoffs: tuple[float, ...] = DEFAULT_CYCLE_CUTOFFS
    min_repeat_buyers: int = MIN_REPEAT_BUYERS
    bands: tuple[float, ...] = (10.0, 20.0, 35.0)
    rfm_high_score: int = 3
    consumption_cutoffs: tuple[float, ...] | None = None  # None: AOV terciles of the buyers

    def __post_init__(self) -> None:
        if self.thresholds not in THRESHOLD_MODES:
            _bad_option("thresholds", "be 'cycle', 'fixed' or 'auto'", self.thresholds)
        cutoffs = tuple(self.cycle_cutoffs)
        if (
            len(cutoffs) != 3
            or any(not (math.isfinite(c) and c > 0) for c in cutoffs)
            or list(cutoffs) != sorted(set(cutoffs))
        ):
            _bad_option(
                "cycle-cutoffs",
                "be three increasing positive numbers such as 1.5,3,6",
                ",".join(map(str, cutoffs)),
            )
        if self.min_repeat_buyers < 1:
            _bad_option("min-repeat-buyers", "be at least 1", self.min_repeat_buyers)
        if self.lookback_days < 1:
            _bad_option("lookback-days", "be at least 1", self.lookback_days)
        if self.active_days < 1:
            _bad_option("active-days", "be at least 1", self.active_days)
        if self.silent_days <= self.active_days:
            _bad_option("silent-days", f"exceed active-days ({self.active_days})", self.silent_days)
        if self.churn_days <= self.silent_days:
            _bad_option("churn-days", f"exceed silent-days ({self.silent_days})", self.churn_days)
        if not (self.overdue_factor >= 0 and math.isfinite(self.overdue_factor)):
            _bad_option("overdue-factor", "be >= 0 (0 turns the rule off)", self.overdue_factor)
        edges = tuple(self.bands)
        if (
            not edges
            or any(not math.isfinite(e) for e in edges)
            or list(edges) != sorted(set(edges))
        ):
            _bad_option(
                "bands", "be increasing numbers such as 10,20,35", ",".join(map(str, edges))
            )
        if not 1 <= self.rfm_high_score <= 5:
            _bad_option("rfm-high-score", "be between 1 and 5", self.rfm_high_score)
        if self.consumption_cutoffs is not None:
            cuts = tuple(self.consumption_cutoffs)
            if (
                len(cuts) != 2
                or any(not math.isfinite(c) for c in cuts)
                or list(cuts) != sorted(set(cuts))
            ):
                _bad_option(
                    "consumption-cutoffs",
                    "be two increasing AOV amounts such as 50,150 (or 'terciles')",
                    ",".join(map(str, cuts)),
                )


def _bad_option(name: str, rule: str, value: object) -> None:
    raise InputError(f"--{name} must {rule}; got {value}")


@dataclass(frozen=True, slots=True)
class LifecycleThresholds:
    """The cut-offs actually used and where they came from: ``cycle`` (``cycle_cutoffs`` in
    expected gaps), ``fixed`` or ``auto`` (the day cut-offs)."""

    active_days: int
    silent_days: int
    churn_days: int
    source: str = "fixed"
    median_interval_days: float | None = None
    cycle_cutoffs: tuple[float, ...] | None = None
    repeat_buyers: int | None = None


@dataclass(frozen=True, slots=True)
class SegmentResult:
    """One row per customer (``table``, sorted by customer_id) plus the summaries shown to users."""

    table: pd.DataFrame
    thresholds: LifecycleThresholds
    lifecycle_summary: pd.DataFrame
    rfm_summary: pd.DataFrame
    as_of: pd.Timestamp
    config: SegmentConfig = field(default_factory=SegmentConfig)
    counting: OrderCounting | None = None  # what the order rules dropped and netted (files only)
    cycle_model: CycleModel | None = None
    notices: tuple[str, ...] = ()
    tag_columns: tuple[str, ...] = BUILTIN_TAG_COLUMNS  # built-in tags, then --tags rules
    tag_summary: pd.DataFrame | None = None  # customers per tag value (tags.tag_summary)


def parse_as_of(
    value: str | date | datetime | pd.Timestamp, timezone: str | None = None
) -> pd.Timestamp:
    """A naive Timestamp from a date or datetime: the shop's wall clock. A value with an offset
    is converted to ``timezone`` (the --timezone of the files), else to UTC."""
    stamp = parse_date_option(value, "--as-of", "2026-06-18")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(timezone).tz_localize(None) if timezone else stamp.tz_convert(None)
    return stamp


def quintile_scores(values: np.ndarray) -> np.ndarray:
    """Scores 1-5: ``1 + floor(5 x share of values strictly smaller)`` (larger is better).

    Tied values share a score whatever the row order; the smallest value always scores 1.
    """
    values = np.asarray(values, dtype="float64")
    if len(values) == 0:
        return np.zeros(0, dtype="int64")
    return 1 + (5 * smaller_counts(values)) // len(values)


def spend_band_labels(edges: Sequence[float]) -> list[str]:
    """Labels of the bands cut at ``edges``: (10, 20, 35) -> <10, 10-20, 20-35, 35+."""
    shown = [f"{edge:g}" for edge in edges]
    inner = [f"{low}-{high}" for low, high in zip(shown[:-1], shown[1:], strict=True)]
    return [f"<{shown[0]}", *inner, f"{shown[-1]}+"]


def spend_bands(aov: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    """Band label per value; a value equal to an edge goes to the band above it, NaN to 'none'."""
    labels = np.array([*spend_band_labels(edges), NO_SPEND_BAND], dtype=object)
    return labels[_band_codes(aov, edges)]


def _band_codes(aov: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    """Index into ``spend_band_labels(edges) + ['none']`` per value (NaN -> 'none')."""
    aov = np.asarray(aov, dtype="float64")
    index = np.searchsorted(np.asarray(edges, dtype="float64"), aov, side="right")
    return np.where(np.isnan(aov), len(edges) + 1, np.minimum(index, len(edges)))


def derive_thresholds(median_interval_days: float) -> LifecycleThresholds:
    """Active/silent/churn cut-offs from a shop's median inter-purchase interval."""
    active, silent, churn = (math.ceil(m * median_interval_days) for m in AUTO_MULTIPLIERS)
    active = max(active, 1)
    silent = max(silent, active + 1)
    churn = max(churn, silent + 1)
    return LifecycleThresholds(active, silent, churn, "auto", float(median_interval_days))


def lifecycle_stages(
    recency_days: np.ndarray,
    n_orders: np.ndarray,
    own_gap_days: np.ndarray,
    thresholds: LifecycleThresholds,
    overdue_factor: float,
) -> np.ndarray:
    """Stage per customer by the module's rules (``own_gap_days`` NaN when not measurable)."""
    codes = _lifecycle_codes(recency_days, n_orders, own_gap_days, thresholds, overdue_factor)
    return np.array(LIFECYCLE_STAGES, dtype=object)[codes]


def _lifecycle_codes(
    recency_days: np.ndarray,
    n_orders: np.ndarray,
    own_gap_days: np.ndarray,
    thresholds: LifecycleThresholds,
    overdue_factor: float,
) -> np.ndarray:
    """Index into :data:`LIFECYCLE_STAGES` per customer (see :func:`lifecycle_stages`)."""
    recency = np.asarray(recency_days, dtype="float64")
    n_orders = np.asarray(n_orders)
    gap = np.asarray(own_gap_days, dtype="float64")
    stage = {name: code for code, name in enumerate(LIFECYCLE_STAGES)}
    with np.errstate(invalid="ignore"):
        overdue = (
            (overdue_factor > 0)
            & (n_orders >= 2)
            & ~np.isnan(gap)
            & (recency > overdue_factor * gap)
        )
        return np.select(
            [
                n_orders == 0,
                recency > thresholds.churn_days,
                recency > thresholds.silent_days,
                recency > thresholds.active_days,
                overdue,
                n_orders == 1,
            ],
            [
                stage["potential"],
                stage["churned"],
                stage["silent"],
                stage["semi_active"],
                stage["semi_active"],
                stage["new"],
            ],
            stage["active"],
        )


def segment_customers(
    orders: pd.DataFrame | pa.Table,
    as_of: str | date | datetime | pd.Timestamp,
    *,
    customers: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    config: SegmentConfig | None = None,
) -> SegmentResult:
    """Segment every known customer as of ``as_of``.

    Parameters
    ----------
    orders
        Canonical order log (``customer_id`` str, ``order_time`` datetime, ``amount`` float), as a
        DataFrame or Arrow table (see :func:`uplift_lab.contracts.validate_orders`).
    as_of
        The instant of the segmentation; orders and events at or after it are ignored.
    customers, events
        Optional canonical customer and event tables: they add never-buying (potential)
        customers, ``days_since_last_event``, and pass customer attributes through.
    config
        Windows, thresholds, bands (:class:`SegmentConfig`).

    Returns
    -------
    SegmentResult
        ``table`` has one row per customer sorted by ``customer_id``: the columns of
        :data:`SEGMENT_COLUMNS` (with :data:`CATEGORY_COLUMNS` after ``overdue_ratio`` when the
        orders have a ``category`` column) followed by the customer attributes. ``notices`` says
        when cycle thresholds fell back to the day rules.
    """
    order_table = _canonical_order_table(orders)
    refund_rows = bool(order_table.num_rows) and pc.min(order_table.column(AMOUNT)).as_py() < 0
    return _segment(
        lambda con: con.register("orders", order_table),
        as_of,
        earliest_order=pc.min(order_table.column(ORDER_TIME)).as_py(),
        refund_rows=refund_rows,
        has_category=CATEGORY in order_table.column_names,
        customers=customers,
        events=events,
        config=config,
    )


def _segment(
    install_orders,
    as_of: str | date | datetime | pd.Timestamp,
    *,
    earliest_order: datetime | None,
    refund_rows: bool,
    has_category: bool,
    customers: pd.DataFrame | None,
    events: pd.DataFrame | None,
    config: SegmentConfig | None,
) -> SegmentResult:
    """:func:`segment_customers` with the orders given as ``install_orders(con)``, which makes
    the canonical relation ``orders`` (customer_id, order_time, amount, and ``category`` when
    ``has_category``) in a DuckDB connection: a registered Arrow table, or the counted rows of a
    file (:func:`_install_in_place`, never with a category). ``earliest_order`` is a time at or
    before every order (None: unknown), where the day words of the order days start."""
    config = config or SegmentConfig()
    as_of = parse_as_of(as_of)
    as_of_day = as_of.normalize()
    event_table = _canonical_event_table(events)
    known_ids = None
    if customers is not None:
        known_ids = pa.table({CUSTOMER_ID: _text_ids(_registered_before(customers, as_of))})

    import duckdb  # imported here so that `uplift-lab --help` stays fast

    with duckdb.connect() as con:
        install_orders(con)
        con.register("events", event_table)
        if known_ids is not None:
            con.register("known_customers", known_ids)
        if config.thresholds == "auto":
            thresholds = derive_thresholds(_median_interval_days(con, as_of, refund_rows))
        else:
            thresholds = LifecycleThresholds(
                config.active_days, config.silent_days, config.churn_days
            )
        aggregate = partial(
            _aggregate,
            con,
            as_of,
            as_of_day - pd.Timedelta(days=config.lookback_days),
            with_customers=known_ids is not None,
            with_events=event_table.num_rows > 0,
            refund_rows=refund_rows,
            with_category=has_category,
        )
        first_day = _first_order_day(earliest_order, as_of_day)
        frame = aggregate(first_day=first_day)
        if first_day is not None and not _days_within_words(frame, first_day, as_of_day):
            frame = aggregate(first_day=None)  # an order outside the words: count them one by one

    cycles = _purchase_cycles(frame, has_category)
    notices: tuple[str, ...] = ()
    if config.thresholds == "cycle":
        if cycles.repeat_buyers >= config.min_repeat_buyers:
            thresholds = LifecycleThresholds(
                config.active_days,
                config.silent_days,
                config.churn_days,
                source="cycle",
                cycle_cutoffs=tuple(config.cycle_cutoffs),
                repeat_buyers=cycles.repeat_buyers,
            )
        else:
            notices = (
                f"only {cycles.repeat_buyers:,} customers ordered on two different days before "
                f"the as-of date (cycle stages need {config.min_repeat_buyers:,}), so lifecycle "
                f"uses the day rules (active {config.active_days}, silent {config.silent_days}, "
                f"churn {config.churn_days} days); pass --thresholds fixed to silence this",
            )
    table = _customer_table(frame, thresholds, config, cycles)
    if customers is not None:
        table = _with_attributes(table, customers)
    return SegmentResult(
        table=table,
        thresholds=thresholds,
        lifecycle_summary=summarize(table, LIFECYCLE, LIFECYCLE_STAGES),
        rfm_summary=summarize(
            table, "rfm_class", [key for key, _, _ in RFM_CLASSES] + [NO_PURCHASE_CLASS[0]]
        ),
        as_of=as_of,
        config=config,
        cycle_model=cycles.model,
        notices=notices,
        tag_summary=tag_summary(table, _summary_tags(table, BUILTIN_TAG_COLUMNS)),
    )


@dataclass(frozen=True, slots=True)
class _Cycles:
    """Per-customer cycle columns (aligned with the aggregate frame) and the fitted priors."""

    expected_gap_days: np.ndarray
    overdue_ratio: np.ndarray
    repeat_buyers: int
    model: CycleModel | None
    category_columns: dict[str, np.ndarray]


def _purchase_cycles(frame: pa.Table, has_category: bool) -> _Cycles:
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
    return _Cycles(
        expected_gap_days=gaps,
        overdue_ratio=overdue_ratios(recency, gaps),
        repeat_buyers=int(np.sum(n_gaps >= 1)),
        model=model,
        category_columns=category_columns,
    )


def _registered_before(customers: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Drop customers whose ``signup_time`` is at or after ``as_of``: they were not known yet.

    A customer whose signup time is unknown (empty) is kept.
    """
    if SIGNUP_TIME not in customers.columns:
        return customers
    signup = contracts.datetime_column(customers, SIGNUP_TIME, "customers", allow_missing=True)
    return customers[~(signup >= as_of).to_numpy()]


def _text_ids(frame: pd.DataFrame) -> pa.Array:
    """Customer ids as an Arrow string array (zero copy for pandas' Arrow-backed strings)."""
    ids = frame[CUSTOMER_ID]
    if not isinstance(ids.dtype, pd.StringDtype):
        ids = ids.astype("str")
    return pa.array(ids).cast(pa.string())


def _canonical_order_table(orders: pd.DataFrame | pa.Table) -> pa.Table:
    """Customer, time and amount (plus ``category`` as text when present) as Arrow columns."""
    if isinstance(orders, pd.DataFrame):
        columns = {
            CUSTOMER_ID: _text_ids(orders),
            ORDER_TIME: pa.array(orders[ORDER_TIME].to_numpy("datetime64[us]")),
            AMOUNT: pa.array(orders[AMOUNT].to_numpy("float64")),
        }
        if CATEGORY in orders.columns:
            columns[CATEGORY] = _category_text(pa.array(orders[CATEGORY], from_pandas=True))
        orders = pa.table(columns)
    canonical = {
        CUSTOMER_ID: orders.column(CUSTOMER_ID).cast(pa.string()),
        ORDER_TIME: orders.column(ORDER_TIME).cast(pa.timestamp("us"), safe=False),
        AMOUNT: orders.column(AMOUNT).cast(pa.float64()),
    }
    if CATEGORY in orders.column_names:
        canonical[CATEGORY] = _category_text(orders.column(CATEGORY))
    return pa.table(canonical)


def _category_text(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Categories as strings; empty text and nulls become null (an order without a category)."""
    if pa.types.is_dictionary(values.type):
        values = values.cast(values.type.value_type)
    if pa.types.is_null(values.type):
        return values.cast(pa.string())
    text = values.cast(pa.string())
    return pc.if_else(pc.equal(pc.utf8_trim_whitespace(text), ""), None, text)


def _canonical_event_table(events: pd.DataFrame | None) -> pa.Table:
    if events is None:
        return pa.table(
            {
                CUSTOMER_ID: pa.array([], type=pa.string()),
                EVENT_TIME: pa.array([], type=pa.timestamp("us")),
                EVENT_TYPE: pa.array([], type=pa.string()),
            }
        )
    return pa.table(
        {
            CUSTOMER_ID: _text_ids(events),
            EVENT_TIME: pa.array(events[EVENT_TIME].to_numpy("datetime64[us]")),
            EVENT_TYPE: pa.array(events[EVENT_TYPE].astype(str).to_numpy(), type=pa.string()),
        }
    )


def _median_interval_days(con, as_of: pd.Timestamp, refund_rows: bool = False) -> float:
    """Median over repeat buyers of their mean days between distinct order dates."""
    purchases = "AND amount >= 0" if refund_rows else ""  # refund rows are not orders
    median, n_customers = con.sql(
        f"""
        WITH per_customer AS (
            SELECT count(DISTINCT CAST(order_time AS DATE)) AS n_dates,
                   CAST(max(order_time) AS DATE) - CAST(min(order_time) AS DATE) AS span
            FROM orders WHERE order_time < $as_of {purchases}
            GROUP BY customer_id
        )
        SELECT median(CAST(span AS DOUBLE) / (n_dates - 1)), count(*)
        FROM per_customer WHERE n_dates >= 2
        """,
        params={"as_of": as_of.to_pydatetime()},
    ).fetchall()[0]
    if not n_customers:
        raise InputError(
            "--thresholds auto: no customer ordered on two different days before --as-of, so "
            "there is no purchase cycle to learn from. Use --thresholds fixed"
        )
    return float(median)


def _aggregate(
    con,
    as_of: pd.Timestamp,
    window_start: pd.Timestamp,
    *,
    with_customers: bool,
    with_events: bool = True,
    refund_rows: bool = False,
    with_category: bool = False,
    first_day: date | None = None,
) -> pa.Table:
    """Per-customer order aggregates, day counts and last event, for every known customer.

    One pass of DuckDB over the orders: each amount is turned into exact micro-units once, and
    the calendar days from the last order, the first order and the last event to the as-of date
    are counted in SQL (NULL where there is none), with the distinct order days (``n_dates``)
    the purchase cycles need. With ``refund_rows`` (negative amounts), those rows net into the
    money totals but are not orders: they count in neither frequency nor recency, nor the first
    and last order time, nor the order days. With a category column, also the main category
    (most orders; ties: more spend, then the name), its share of the customer's orders that
    have a category, and how many categories.

    The distinct order days are counted as bits, a day per bit in :data:`DAY_WORD_BITS`-bit
    words from ``first_day`` (:func:`_first_order_day`), OR-ed per customer: fixed-size state
    in the one grouping, where ``count(DISTINCT day)`` keeps a second hash table of every
    (customer, day) pair, which more than doubles the time of the grouping. Every order must
    fall on or after ``first_day`` and before the as-of day's word end (the caller checks it
    on the result, :func:`_days_within_words`); ``first_day`` None counts them with DISTINCT.
    """
    purchase = "FILTER (WHERE amount >= 0)" if refund_rows else ""
    in_window = "order_time >= $window_start" + (" AND amount >= 0" if refund_rows else "")
    having = "HAVING count(*) FILTER (WHERE amount >= 0) > 0" if refund_rows else ""
    purchases_only = " AND amount >= 0" if refund_rows else ""
    category_ctes = category_columns = category_join = ""
    if with_category:
        category_ctes = f""", per_category AS (
            SELECT customer_id, category, count(*) AS n, sum(amount) AS spend
            FROM orders WHERE order_time < $as_of AND category IS NOT NULL{purchases_only}
            GROUP BY customer_id, category
        ), ranked AS (
            SELECT customer_id, category, n,
                   row_number() OVER (
                       PARTITION BY customer_id ORDER BY n DESC, spend DESC, category
                   ) AS place,
                   sum(n) OVER (PARTITION BY customer_id) AS n_with_category,
                   count(*) OVER (PARTITION BY customer_id) AS n_categories
            FROM per_category
        ), categories AS (
            SELECT customer_id, category AS main_category,
                   CAST(n AS DOUBLE) / n_with_category AS main_category_share,
                   n_categories AS categories_bought
            FROM ranked WHERE place = 1
        )"""
        category_columns = (
            ", main_category, main_category_share, coalesce(categories_bought, 0) "
            "AS categories_bought"
        )
        category_join = "LEFT JOIN categories USING (customer_id)"
    buyers = f"""
        SELECT customer_id,
               count(*) {purchase} AS n_orders_total,
               {_order_days_sql(as_of, first_day, refund_rows)} AS n_dates,
               sum(micro) AS micro_total,
               count(*) FILTER (WHERE {in_window}) AS frequency,
               sum(micro) FILTER (WHERE order_time >= $window_start) AS micro_window,
               min(order_time) {purchase} AS first_order_time,
               max(order_time) {purchase} AS last_order_time
        FROM (
            SELECT customer_id, order_time, amount,
                   CAST(round(amount * {MICRO_UNITS}) AS BIGINT) AS micro{_day_bits_sql(first_day)}
            FROM orders WHERE order_time < $as_of
        )
        GROUP BY customer_id
        {having}
    """
    columns = f"""
               coalesce(n_orders_total, 0) AS n_orders_total,
               coalesce(frequency, 0) AS frequency,
               CAST(coalesce(micro_window, 0) AS DOUBLE) / {MICRO_UNITS} AS monetary,
               CAST(micro_total AS DOUBLE) / {MICRO_UNITS} AS amount_total,
               coalesce(n_dates, 0) AS n_dates,
               first_order_time, last_order_time,
               date_diff('day', CAST(last_order_time AS DATE), $as_of_day) AS recency_days,
               date_diff('day', CAST(first_order_time AS DATE), $as_of_day) AS tenure_days
    """
    params = {
        "as_of": as_of.to_pydatetime(),
        "window_start": window_start.to_pydatetime(),
        "as_of_day": as_of.normalize().date(),
    }
    event_counts = event_tags = ""
    if with_events:  # the event tags (tags.EVENT_TAG_COLUMNS) over [as_of - 30 days, as_of)
        params["event_since"] = (as_of - pd.Timedelta(days=EVENT_TAG_DAYS)).to_pydatetime()
        event_counts = "".join(
            f""",
               count(*) FILTER (WHERE event_type = '{kind}' AND event_time >= $event_since)
                   AS n_{kind}_recent"""
            for kind in ("favorite", "cart", "consult")
        )
        event_tags = """,
               coalesce(n_favorite_recent, 0) > 0 AS favorited_30d,
               coalesce(n_cart_recent, 0) > 0 AS carted_30d,
               coalesce(n_consult_recent, 0) > 0 AS consulted_30d,
               coalesce(n_favorite_recent, 0) + coalesce(n_cart_recent, 0) > 0
                   AND (last_order_time IS NULL OR last_order_time < $event_since)
                   AS interested_not_bought_30d"""
    if not (with_customers or with_events):  # only buyers: no union, no joins but the category
        sql = f"""
            WITH buyers AS ({buyers}){category_ctes}
            SELECT customer_id, {columns}, CAST(NULL AS BIGINT) AS event_days{category_columns}
            FROM buyers {category_join} ORDER BY customer_id
        """
        return con.sql(sql, params=params).to_arrow_table()
    known = "UNION SELECT customer_id FROM known_customers" if with_customers else ""
    sql = f"""
        WITH buyers AS ({buyers}), seen AS (
            SELECT customer_id, max(event_time) AS last_event_time{event_counts}
            FROM events WHERE event_time < $as_of
            GROUP BY customer_id
        ){category_ctes}, everyone AS (
            SELECT customer_id FROM buyers
            UNION SELECT customer_id FROM seen
            {known}
        )
        SELECT everyone.customer_id, {columns},
               date_diff('day', CAST(last_event_time AS DATE), $as_of_day) AS event_days
               {category_columns}{event_tags}
        FROM everyone
        LEFT JOIN buyers USING (customer_id)
        LEFT JOIN seen USING (customer_id)
        {category_join}
        ORDER BY everyone.customer_id
    """
    return con.sql(sql, params=params).to_arrow_table()


DAY_WORD_BITS = 127  # order days per HUGEINT word (bit 127 is its sign)
MAX_DAY_WORDS = 8  # more (a history beyond 2.8 years before as-of): count(DISTINCT day)


def _first_order_day(earliest_order: datetime | None, as_of_day: pd.Timestamp) -> date | None:
    """The day the order-day words start from, or None when they would not cover every day
    from there to the as-of day in :data:`MAX_DAY_WORDS` words (or the start is unknown)."""
    if earliest_order is None or pd.isna(earliest_order):
        return None
    first = pd.Timestamp(earliest_order).normalize()
    if (as_of_day - first).days >= MAX_DAY_WORDS * DAY_WORD_BITS:
        return None
    return min(first, as_of_day).date()


def _day_words(as_of: pd.Timestamp, first_day: date) -> int:
    """Words from ``first_day`` through the as-of day (an order of as-of day itself counts when
    as-of has a time of day)."""
    return (as_of.normalize() - pd.Timestamp(first_day)).days // DAY_WORD_BITS + 1


def _day_bits_sql(first_day: date | None) -> str:
    """The word and bit of each order's day (select-list columns), when words count days."""
    if first_day is None:
        return ""
    index = (
        f"greatest(date_diff('day', DATE '{first_day.isoformat()}', CAST(order_time AS DATE)), 0)"
    )
    return f""",
                   {index} // {DAY_WORD_BITS} AS day_word,
                   CAST(1 AS HUGEINT) << CAST({index} % {DAY_WORD_BITS} AS HUGEINT) AS day_bit"""


def _order_days_sql(as_of: pd.Timestamp, first_day: date | None, refund_rows: bool) -> str:
    """Distinct order days per customer: bits set in its day words, or count(DISTINCT day)."""
    if first_day is None:
        purchase = " FILTER (WHERE amount >= 0)" if refund_rows else ""
        return f"count(DISTINCT CAST(order_time AS DATE)){purchase}"
    purchases_only = " AND amount >= 0" if refund_rows else ""
    words = [
        f"coalesce(bit_count(bit_or(day_bit) FILTER (WHERE day_word = {word}{purchases_only})), 0)"
        for word in range(_day_words(as_of, first_day))
    ]
    return f"CAST({' + '.join(words)} AS BIGINT)"


def _days_within_words(frame: pa.Table, first_day: date, as_of_day: pd.Timestamp) -> bool:
    """Whether every customer's first and last order day lies in the words counted from
    ``first_day`` (the earliest time given was a true bound)."""
    first = pc.min(frame.column("first_order_time")).as_py()
    last = pc.max(frame.column("last_order_time")).as_py()
    if first is None:
        return True
    words = _day_words(as_of_day, first_day)
    end = pd.Timestamp(first_day) + pd.Timedelta(days=words * DAY_WORD_BITS)
    return pd.Timestamp(first) >= pd.Timestamp(first_day) and pd.Timestamp(last) < end


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


def _customer_table(
    frame: pa.Table,
    thresholds: LifecycleThresholds,
    config: SegmentConfig,
    cycles: _Cycles,
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
    rfm_codes = _rfm_class_codes(scores, bought, config.rfm_high_score)
    rfm_keys = [key for key, _, _ in RFM_CLASSES] + [NO_PURCHASE_CLASS[0]]
    rfm_names_zh = [zh for _, zh, _ in RFM_CLASSES] + [NO_PURCHASE_CLASS[1]]
    if thresholds.source == "cycle":
        stages = _labels(
            cycle_stage_codes(cycles.overdue_ratio, n_orders, config.cycle_cutoffs), CYCLE_STAGES
        )
    else:
        stages = _labels(
            _lifecycle_codes(recency, n_orders, own_gap, thresholds, config.overdue_factor),
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
                _band_codes(aov, config.bands), [*spend_band_labels(config.bands), NO_SPEND_BAND]
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


def _rfm_class_codes(
    scores: dict[str, np.ndarray], bought: np.ndarray, high_score: int
) -> np.ndarray:
    """Index into the RFM classes (then ``no_purchase``) per customer."""
    high = [scores[name] >= high_score for name in ("rfm_r", "rfm_f", "rfm_m")]
    codes = np.full(len(bought), len(RFM_CLASSES), dtype=np.int32)
    for code, (_, _, (r_high, f_high, m_high)) in enumerate(RFM_CLASSES):
        match = bought & (high[0] == r_high) & (high[1] == f_high) & (high[2] == m_high)
        codes[match] = code
    return codes


def _with_attributes(table: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
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


def segment_files(
    orders_path: Path,
    as_of: str | date | datetime | pd.Timestamp,
    *,
    customers_path: Path | None = None,
    events_path: Path | None = None,
    customer_col: str = CUSTOMER_ID,
    time_col: str = ORDER_TIME,
    amount_col: str = AMOUNT,
    category_col: str | None = None,
    encoding: str | None = None,
    config: SegmentConfig | None = None,
    inputs: InputSpec | None = None,
    parsing: TimeParsing = DEFAULT_TIME_PARSING,
    tags_path: Path | None = None,
) -> SegmentResult:
    """Read, validate and segment files (the CLI's one call); errors name the file and column.

    ``inputs`` (a preset or column map, :func:`uplift_lab.columnmap.resolve_inputs`) says how
    each file is read, which orders count and how its dates read; without it the three column
    names and ``parsing`` (formats, the shop's time zone) apply. The orders' ``category``
    column (or ``category_col``, which must then exist, or the preset's) feeds the main
    category level of the purchase cycles. ``tags_path`` (TOML, ``name = "SQL expression"``)
    adds one column per rule (:mod:`uplift_lab.tags`); it is read before the orders.
    """
    config = config or SegmentConfig()
    rules = parse_tag_rules(io.read_toml(tags_path), tags_path) if tags_path else ()
    if inputs is None:
        inputs = resolve_inputs(
            customer_col=customer_col, time_col=time_col, amount_col=amount_col, parsing=parsing
        )
    if category_col is not None:
        inputs = replace(inputs, orders=replace(inputs.orders, category_col=category_col))
    as_of = parse_as_of(as_of, inputs.orders.parsing.timezone)
    in_place = count_orders_in_place(orders_path, inputs.orders)
    counted = None
    if in_place is None:
        counted = load_orders(orders_path, inputs.orders, encoding=encoding, core_only=True)
    customers, events = read_customers_and_events(inputs, customers_path, events_path, encoding)
    result = None
    if in_place is not None:
        kept = in_place.amounts.filter(in_place.keep)
        result = _segment(
            lambda con: _install_in_place(con, in_place),
            as_of,
            earliest_order=in_place.earliest_time,
            refund_rows=bool(len(kept)) and pc.min(kept).as_py() < 0,
            has_category=False,  # a file with a category column is not segmented in place
            customers=customers,
            events=events,
            config=config,
        )
        if len(result.table):
            result = replace(result, counting=in_place.counting)
        else:  # no customer: the general path says why, in the words it always uses
            result = None
            counted = load_orders(orders_path, inputs.orders, encoding=encoding, core_only=True)
    if result is None:
        orders = counted.table
        result = segment_customers(orders, as_of, customers=customers, events=events, config=config)
        if len(result.table) == 0:
            raise _no_customers_error(orders_path, orders, as_of)
        result = replace(result, counting=counted.counting)
    if rules:  # the tags read the segment table only, whichever way the orders were counted
        table = apply_tag_rules(result.table, rules, tags_path)
        columns = (*BUILTIN_TAG_COLUMNS, *(rule.name for rule in rules))
        result = replace(
            result,
            table=table,
            tag_columns=columns,
            tag_summary=tag_summary(table, _summary_tags(table, columns)),
        )
    return result


def _summary_tags(table: pd.DataFrame, columns: Sequence[str]) -> tuple[str, ...]:
    """The tags summarised after segment: the main category (when known), ``columns`` and the
    event tags (with events)."""
    events = tuple(name for name in EVENT_TAG_COLUMNS if name in table)
    return (("main_category",) if "main_category" in table else ()) + tuple(columns) + events


def _install_in_place(con, counted: CountedInPlace) -> None:
    """The relation ``orders`` as the counted rows of the file itself: DuckDB reads the id and
    time columns from it while it aggregates, matched row by row (POSITIONAL JOIN, which keeps
    the file's row order) with the rules' verdict and net amount per row."""
    if io.parquet_rows(counted.path) != len(counted.keep):
        raise input_error(counted.path, "changed while it was being read", "Run the command again")
    con.register("counted_rows", pa.table({"keep": counted.keep, "amount": counted.amounts}))
    customer, time = _sql_name(counted.customer_col), _sql_name(counted.time_col)
    con.sql(
        f"""
        CREATE TEMP VIEW orders AS
        SELECT file.{customer} AS customer_id,
               CAST(file.{time} AS TIMESTAMP) AS order_time,
               counted_rows.amount AS amount
        FROM (SELECT {customer}, {time} FROM {io.parquet_sql(counted.path)}) AS file
        POSITIONAL JOIN counted_rows
        WHERE counted_rows.keep
        """
    )


def _sql_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _no_customers_error(path: Path, orders: pa.Table, as_of: pd.Timestamp) -> InputError:
    if orders.num_rows == 0:
        return input_error(path, "has no orders", "Pass a file with orders, or --customers")
    times = orders.column(ORDER_TIME)
    first = pd.Timestamp(pc.min(times).as_py()).date()
    last = pd.Timestamp(pc.max(times).as_py()).date()
    return input_error(
        path,
        f"has no orders before --as-of {as_of} (its orders run from {first} to {last})",
        "Use a later --as-of, or pass --customers",
    )
