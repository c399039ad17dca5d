"""Customer segments from an order log: lifecycle stage, RFM scores and classes, spend band.

Everything is measured *as of* an instant: orders and events at or after ``as_of`` are ignored,
so the same function gives today's segments and the features of a past campaign at its start.
A date means midnight at its start. Orders are aggregated by one SQL query
(:mod:`uplift_lab.segment_sql`) that DuckDB runs over the Arrow table, or over the counted rows
of a Parquet file where they are (:mod:`uplift_lab.workflows.segment`), and that Spark runs over
a distributed order log (:mod:`uplift_lab.spark.segment`); the customer table is then built
from the per-customer aggregate (:mod:`uplift_lab.segment_table`).

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

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import partial
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from uplift_lab import contracts
from uplift_lab.contracts import (
    AMOUNT,
    CUSTOMER_ID,
    EVENT_TIME,
    EVENT_TYPE,
    LIFECYCLE,
    LIFECYCLE_STAGES,
    ORDER_TIME,
)
from uplift_lab.cycles import CycleModel
from uplift_lab.errors import UsageError
from uplift_lab.notices import Notice
from uplift_lab.orders import CATEGORY, OrderCounting
from uplift_lab.rfm_classes import NO_PURCHASE_CLASS, RFM_CLASS_NAMES_ZH, RFM_CLASSES
from uplift_lab.segment_rules import (
    MIN_REPEAT_BUYERS,
    NO_SPEND_BAND,
    THRESHOLD_MODES,
    LifecycleThresholds,
    SegmentConfig,
    derive_thresholds,
    lifecycle_stages,
    quintile_scores,
    spend_band_labels,
    spend_bands,
)
from uplift_lab.segment_sql import (
    DUCKDB,
    AggregateQuery,
    Dialect,
    aggregate_sql,
    days_within_words,
    first_order_day,
    median_interval_sql,
)
from uplift_lab.segment_table import (
    Cycles,
    customer_table,
    purchase_cycles,
    summarize,
    with_attributes,
)
from uplift_lab.tags import (
    BUILTIN_TAG_COLUMNS,
    EVENT_TAG_COLUMNS,
    TagRule,
    apply_tag_rules,
    tag_summary,
)
from uplift_lab.timeparse import parse_date_option

__all__ = [  # the rules and the table's parts, importable from here as before the split
    "CATEGORY_COLUMNS",
    "MIN_REPEAT_BUYERS",
    "NO_PURCHASE_CLASS",
    "NO_SPEND_BAND",
    "RFM_CLASSES",
    "RFM_CLASS_NAMES_ZH",
    "SEGMENT_COLUMNS",
    "THRESHOLD_MODES",
    "LifecycleThresholds",
    "OrderRelation",
    "SegmentConfig",
    "SegmentResult",
    "derive_thresholds",
    "lifecycle_stages",
    "parse_as_of",
    "quintile_scores",
    "segment_customers",
    "segment_relation",
    "spend_band_labels",
    "spend_bands",
    "summarize",
    "with_tag_rules",
]

SIGNUP_TIME = "signup_time"
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
    notices: tuple[Notice, ...] = ()
    tag_columns: tuple[str, ...] = BUILTIN_TAG_COLUMNS  # built-in tags, then --tags rules
    tag_summary: pd.DataFrame | None = None  # customers per tag value (tags.tag_summary)


@dataclass(frozen=True, slots=True)
class OrderRelation:
    """What the aggregation needs to know of the relation ``orders`` a connection holds
    (customer_id, order_time, amount, and ``category`` when ``has_category``)."""

    refund_rows: bool  # negative amounts (refund rows) are among the orders
    has_category: bool = False
    earliest_order: datetime | None = None  # at or before every order; where day words start
    dialect: Dialect = DUCKDB


def parse_as_of(
    value: str | date | datetime | pd.Timestamp, timezone: str | None = None
) -> pd.Timestamp:
    """A naive Timestamp from a date or datetime: the shop's wall clock. A value with an offset
    is converted to ``timezone`` (the --timezone of the files), else to UTC."""
    stamp = parse_date_option(value, "as_of", "2026-06-18")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(timezone).tz_localize(None) if timezone else stamp.tz_convert(None)
    return stamp


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
    """:func:`segment_relation` in a fresh DuckDB connection where ``install_orders(con)`` makes
    the relation ``orders``: a registered Arrow table, or the counted rows of a file
    (:mod:`uplift_lab.workflows.segment`)."""
    relation = OrderRelation(refund_rows, has_category, earliest_order)
    with duckdb.connect() as con:
        install_orders(con)
        return segment_relation(
            con, relation, as_of, customers=customers, events=events, config=config
        )


def segment_relation(
    con: Any,
    relation: OrderRelation,
    as_of: str | date | datetime | pd.Timestamp,
    *,
    customers: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    config: SegmentConfig | None = None,
) -> SegmentResult:
    """:func:`segment_customers` over the relation ``orders`` that ``con`` holds.

    ``con`` is a DuckDB connection, or any object with its ``register(name, arrow_table)`` and
    ``sql(text).to_arrow_table()`` (Spark's, :mod:`uplift_lab.spark.segment`): the aggregation
    queries of :mod:`uplift_lab.segment_sql` run there in ``relation.dialect``, the customer
    table is built here from their result.
    """
    config = config or SegmentConfig()
    as_of = parse_as_of(as_of)
    event_table = _canonical_event_table(events)
    con.register("events", event_table)
    known = None
    if customers is not None:
        known = pa.table({CUSTOMER_ID: _text_ids(_registered_before(customers, as_of))})
        con.register("known_customers", known)
    day_thresholds = _day_thresholds(con, relation, as_of, config)
    frame = _aggregate_customers(
        con,
        relation,
        as_of,
        config,
        with_customers=customers is not None,
        with_events=event_table.num_rows > 0,
    )
    cycles = purchase_cycles(frame, relation.has_category)
    thresholds, notices = _cycle_thresholds(cycles, config, day_thresholds)
    table = customer_table(frame, thresholds, config, cycles)
    notices = (*notices, *_table_notices(table, known))
    if customers is not None:
        table = with_attributes(table, customers)
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
        tag_summary=tag_summary(table, summary_tags(table, BUILTIN_TAG_COLUMNS)),
    )


STALE_AS_OF_DAYS = 365  # no order this close to the as-of date: the date, or the file, is wrong


def _table_notices(table: pd.DataFrame, known: pa.Table | None) -> tuple[Notice, ...]:
    """What the customer table shows the inputs got wrong: a customer table none of whose ids
    is a buyer's (ids written otherwise: 00123 against 123), money netted below zero by refund
    rows (a refund of an order outside the file), an as-of date over a year after the latest
    order (every stage and R score then describes that gap)."""
    notices = []
    buyers = table.loc[table["n_orders_total"] > 0, CUSTOMER_ID]
    if known is not None and known.num_rows and len(buyers):
        listed = known.column(CUSTOMER_ID).to_pandas()
        if not listed.isin(buyers).any():
            example = (str(listed.iloc[0]), str(buyers.iloc[0]))
            params = {"customers": len(listed), "buyers": len(buyers), "examples": example}
            notices.append(Notice("warning", "customers_match_no_buyer", params))
    negative = int((table["monetary"] < 0).sum())
    if negative:
        notices.append(Notice("warning", "negative_monetary", {"customers": negative}))
    latest = table["recency_days"].min()
    if len(buyers) and latest > STALE_AS_OF_DAYS:
        notices.append(Notice("warning", "as_of_after_orders", {"days": int(latest)}))
    return tuple(notices)


def with_tag_rules(
    result: SegmentResult, rules: tuple[TagRule, ...], source: object
) -> SegmentResult:
    """``result`` with one column per ``--tags`` rule (read from ``source``) and its summary."""
    table = apply_tag_rules(result.table, rules, source)
    columns = (*BUILTIN_TAG_COLUMNS, *(rule.name for rule in rules))
    return replace(
        result,
        table=table,
        tag_columns=columns,
        tag_summary=tag_summary(table, summary_tags(table, columns)),
    )


def summary_tags(table: pd.DataFrame, columns: tuple[str, ...]) -> tuple[str, ...]:
    """The tags summarised after segment: the main category (when known), ``columns`` and the
    event tags (with events)."""
    events = tuple(name for name in EVENT_TAG_COLUMNS if name in table)
    return (("main_category",) if "main_category" in table else ()) + tuple(columns) + events


def _day_thresholds(
    con: Any, relation: OrderRelation, as_of: pd.Timestamp, config: SegmentConfig
) -> LifecycleThresholds:
    """The day cut-offs: the configured ones, or (``auto``) from the shop's purchase cycle."""
    if config.thresholds == "auto":
        median = _median_interval_days(con, as_of, relation.refund_rows, relation.dialect)
        return derive_thresholds(median)
    return LifecycleThresholds(config.active_days, config.silent_days, config.churn_days)


def _cycle_thresholds(
    cycles: Cycles, config: SegmentConfig, day_thresholds: LifecycleThresholds
) -> tuple[LifecycleThresholds, tuple[Notice, ...]]:
    """The cycle stages' thresholds when enough customers ordered on two days (else the day
    rules, with a notice); ``day_thresholds`` unless ``thresholds="cycle"``."""
    if config.thresholds != "cycle":
        return day_thresholds, ()
    if cycles.repeat_buyers >= config.min_repeat_buyers:
        thresholds = LifecycleThresholds(
            config.active_days,
            config.silent_days,
            config.churn_days,
            source="cycle",
            cycle_cutoffs=tuple(config.cycle_cutoffs),
            repeat_buyers=cycles.repeat_buyers,
        )
        return thresholds, ()
    notice = Notice(
        "warning",
        "cycle_stages_fall_back",
        {
            "repeat_buyers": cycles.repeat_buyers,
            "min_repeat_buyers": config.min_repeat_buyers,
            "active_days": config.active_days,
            "silent_days": config.silent_days,
            "churn_days": config.churn_days,
        },
    )
    return day_thresholds, (notice,)


def _aggregate_customers(
    con: Any,
    relation: OrderRelation,
    as_of: pd.Timestamp,
    config: SegmentConfig,
    *,
    with_customers: bool,
    with_events: bool,
) -> pa.Table:
    """The per-customer aggregate, order days counted in day words where the dialect can and
    the earliest order says they cover the history (checked on the result)."""
    as_of_day = as_of.normalize()
    aggregate = partial(
        _aggregate,
        con,
        as_of,
        as_of_day - pd.Timedelta(days=config.lookback_days),
        with_customers=with_customers,
        with_events=with_events,
        refund_rows=relation.refund_rows,
        with_category=relation.has_category,
        dialect=relation.dialect,
    )
    first_day = None
    if relation.dialect.day_words:
        first_day = first_order_day(relation.earliest_order, as_of_day)
    frame = aggregate(first_day=first_day)
    if first_day is not None and not days_within_words(
        pc.min(frame.column("first_order_time")).as_py(),
        pc.max(frame.column("last_order_time")).as_py(),
        first_day,
        as_of_day,
    ):
        frame = aggregate(first_day=None)  # an order outside the words: count them one by one
    return frame


def _aggregate(
    con: Any,
    as_of: pd.Timestamp,
    window_start: pd.Timestamp,
    *,
    with_customers: bool,
    with_events: bool = True,
    refund_rows: bool = False,
    with_category: bool = False,
    first_day: date | None = None,
    dialect: Dialect = DUCKDB,
) -> pa.Table:
    """One run of :func:`uplift_lab.segment_sql.aggregate_sql` in ``con``."""
    query = AggregateQuery(
        as_of=as_of,
        window_start=window_start,
        with_customers=with_customers,
        with_events=with_events,
        refund_rows=refund_rows,
        with_category=with_category,
        first_day=first_day,
        dialect=dialect,
    )
    return con.sql(aggregate_sql(query)).to_arrow_table()


def _median_interval_days(
    con: Any, as_of: pd.Timestamp, refund_rows: bool = False, dialect: Dialect = DUCKDB
) -> float:
    """Median over repeat buyers of their mean days between distinct order dates."""
    row = con.sql(median_interval_sql(as_of, refund_rows, dialect)).to_arrow_table().to_pylist()
    if not row[0]["n"]:
        raise UsageError(
            "{thresholds=auto}: no customer ordered on two different days before {as_of}, so "
            "there is no purchase cycle to learn from. Use {thresholds=fixed}"
        )
    return float(row[0]["median_interval"])


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
