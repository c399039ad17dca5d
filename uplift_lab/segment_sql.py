"""The per-customer aggregation of ``segment``, written once as SQL that DuckDB and Spark both run.

Why one shared SQL text rather than sqlglot transpilation or ibis: the query is plain ANSI SQL
(CTEs, ``count(*) FILTER (WHERE ...)``, window functions, ``UNION``, ``LEFT JOIN ... USING``),
which both engines parse as written, and only two things differ, each a parameter of
:class:`Dialect`: the function that counts calendar days between two dates, and whether the
distinct order days may be counted as bits in HUGEINT words (DuckDB's fast path; Spark counts
them with ``count(DISTINCT day)``). A transpiler would add a dependency and a translation step to
trust for every query, and could not carry the bit-word trick (no 128-bit integers in Spark)
anyway; here the text that runs is the text that is read and tested, and the equality tests of
the two engines (tests/spark/test_spark_segment.py) keep them from drifting.

Instants are inlined as ``TIMESTAMP '...'``/``DATE '...'`` literals (both engines read them as
wall-clock values: the Spark session's time zone is UTC), so no engine-specific parameter
syntax is needed. The relations the queries read are ``orders`` (customer_id, order_time,
amount, and ``category`` when there is one), ``events`` (customer_id, event_time, event_type)
and ``known_customers`` (customer_id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from uplift_lab.tags import EVENT_TAG_DAYS

MICRO_UNITS = 1_000_000  # amounts are summed as exact integers of 1e-6 (thread-order independent)
DAY_WORD_BITS = 127  # order days per HUGEINT word (bit 127 is its sign)
MAX_DAY_WORDS = 8  # more (a history beyond 2.8 years before as-of): count(DISTINCT day)
EVENT_KINDS = ("favorite", "cart", "consult")


@dataclass(frozen=True, slots=True)
class Dialect:
    """What differs between the engines that run the queries of this module."""

    name: str
    day_words: bool  # distinct order days may be counted as bits of HUGEINT words

    def days_between(self, start: str, end: str) -> str:
        """Calendar days from date expression ``start`` to ``end``."""
        if self.name == "spark":
            return f"datediff({end}, {start})"
        return f"date_diff('day', {start}, {end})"


DUCKDB = Dialect("duckdb", day_words=True)
SPARK = Dialect("spark", day_words=False)


@dataclass(frozen=True, slots=True)
class AggregateQuery:
    """One run of the aggregation: the instants and which relations and columns take part."""

    as_of: pd.Timestamp
    window_start: pd.Timestamp
    with_customers: bool
    with_events: bool = True
    refund_rows: bool = False
    with_category: bool = False
    first_day: date | None = None  # where the order-day words start (None: count DISTINCT)
    dialect: Dialect = DUCKDB


def timestamp_literal(stamp: pd.Timestamp | datetime) -> str:
    return f"TIMESTAMP '{pd.Timestamp(stamp).strftime('%Y-%m-%d %H:%M:%S.%f')}'"


def date_literal(day: date | pd.Timestamp) -> str:
    return f"DATE '{pd.Timestamp(day).date().isoformat()}'"


def median_interval_sql(as_of: pd.Timestamp, refund_rows: bool, dialect: Dialect) -> str:
    """Median over repeat buyers of their mean days between distinct order dates, and how many
    repeat buyers there are (one row: median, n)."""
    purchases = "AND amount >= 0" if refund_rows else ""  # refund rows are not orders
    span = dialect.days_between("CAST(min(order_time) AS DATE)", "CAST(max(order_time) AS DATE)")
    return f"""
        WITH per_customer AS (
            SELECT count(DISTINCT CAST(order_time AS DATE)) AS n_dates, {span} AS span
            FROM orders WHERE order_time < {timestamp_literal(as_of)} {purchases}
            GROUP BY customer_id
        )
        SELECT median(CAST(span AS DOUBLE) / (n_dates - 1)) AS median_interval, count(*) AS n
        FROM per_customer WHERE n_dates >= 2
    """


def first_order_day(earliest_order: datetime | None, as_of_day: pd.Timestamp) -> date | None:
    """The day the order-day words start from, or None when they would not cover every day
    from there to the as-of day in :data:`MAX_DAY_WORDS` words (or the start is unknown)."""
    if earliest_order is None or pd.isna(earliest_order):
        return None
    first = pd.Timestamp(earliest_order).normalize()
    if (as_of_day - first).days >= MAX_DAY_WORDS * DAY_WORD_BITS:
        return None
    return min(first, as_of_day).date()


def day_words(as_of: pd.Timestamp, first_day: date) -> int:
    """Words from ``first_day`` through the as-of day (an order of as-of day itself counts when
    as-of has a time of day)."""
    return (as_of.normalize() - pd.Timestamp(first_day)).days // DAY_WORD_BITS + 1


def days_within_words(
    first_order: datetime | None,
    last_order: datetime | None,
    first_day: date,
    as_of_day: pd.Timestamp,
) -> bool:
    """Whether the earliest first and the latest last order day of the result lie in the words
    counted from ``first_day`` (the earliest time given was a true bound)."""
    if first_order is None or pd.isna(first_order):
        return True
    end = pd.Timestamp(first_day) + pd.Timedelta(
        days=day_words(as_of_day, first_day) * DAY_WORD_BITS
    )
    return pd.Timestamp(first_order) >= pd.Timestamp(first_day) and pd.Timestamp(last_order) < end


def _day_bits_sql(first_day: date | None) -> str:
    """The word and bit of each order's day (select-list columns), when words count days."""
    if first_day is None:
        return ""
    index = (
        f"greatest({DUCKDB.days_between(date_literal(first_day), 'CAST(order_time AS DATE)')}, 0)"
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
        for word in range(day_words(as_of, first_day))
    ]
    return f"CAST({' + '.join(words)} AS BIGINT)"


def _buyers_sql(query: AggregateQuery) -> str:
    """One row per buyer: order counts and days, exact money totals, first and last order."""
    refund_rows, first_day = query.refund_rows, query.first_day
    if first_day is not None and not query.dialect.day_words:
        raise ValueError(f"{query.dialect.name} counts order days with DISTINCT (first_day=None)")
    purchase = "FILTER (WHERE amount >= 0)" if refund_rows else ""
    window_start = timestamp_literal(query.window_start)
    in_window = f"order_time >= {window_start}" + (" AND amount >= 0" if refund_rows else "")
    having = "HAVING count(*) FILTER (WHERE amount >= 0) > 0" if refund_rows else ""
    return f"""
        SELECT customer_id,
               count(*) {purchase} AS n_orders_total,
               {_order_days_sql(query.as_of, first_day, refund_rows)} AS n_dates,
               sum(micro) AS micro_total,
               count(*) FILTER (WHERE {in_window}) AS frequency,
               sum(micro) FILTER (WHERE order_time >= {window_start}) AS micro_window,
               min(order_time) {purchase} AS first_order_time,
               max(order_time) {purchase} AS last_order_time
        FROM (
            SELECT customer_id, order_time, amount,
                   CAST(round(amount * {MICRO_UNITS}) AS BIGINT) AS micro{_day_bits_sql(first_day)}
            FROM orders WHERE order_time < {timestamp_literal(query.as_of)}
        )
        GROUP BY customer_id
        {having}
    """


def _category_sql(query: AggregateQuery) -> tuple[str, str, str]:
    """(CTEs, select-list columns, join) of the main category, its share and the categories."""
    if not query.with_category:
        return "", "", ""
    purchases_only = " AND amount >= 0" if query.refund_rows else ""
    ctes = f""", per_category AS (
            SELECT customer_id, category, count(*) AS n, sum(amount) AS spend
            FROM orders
            WHERE order_time < {timestamp_literal(query.as_of)}
              AND category IS NOT NULL{purchases_only}
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
    columns = (
        ", main_category, main_category_share, coalesce(categories_bought, 0) AS categories_bought"
    )
    return ctes, columns, "LEFT JOIN categories USING (customer_id)"


def _columns_sql(query: AggregateQuery) -> str:
    """The buyers' columns as the customer table reads them (NULL-free counts, money)."""
    as_of_day = date_literal(query.as_of.normalize())
    recency = query.dialect.days_between("CAST(last_order_time AS DATE)", as_of_day)
    tenure = query.dialect.days_between("CAST(first_order_time AS DATE)", as_of_day)
    return f"""
               coalesce(n_orders_total, 0) AS n_orders_total,
               coalesce(frequency, 0) AS frequency,
               CAST(coalesce(micro_window, 0) AS DOUBLE) / {MICRO_UNITS} AS monetary,
               CAST(micro_total AS DOUBLE) / {MICRO_UNITS} AS amount_total,
               coalesce(n_dates, 0) AS n_dates,
               first_order_time, last_order_time,
               {recency} AS recency_days,
               {tenure} AS tenure_days
    """


def _event_sql(query: AggregateQuery) -> tuple[str, str]:
    """(counts in the events' grouping, tag columns) of :data:`tags.EVENT_TAG_COLUMNS` over
    ``[as_of - 30 days, as_of)``; empty without events."""
    if not query.with_events:
        return "", ""
    since = timestamp_literal(query.as_of - pd.Timedelta(days=EVENT_TAG_DAYS))
    counts = "".join(
        f""",
               count(*) FILTER (WHERE event_type = '{kind}' AND event_time >= {since})
                   AS n_{kind}_recent"""
        for kind in EVENT_KINDS
    )
    tags = f""",
               coalesce(n_favorite_recent, 0) > 0 AS favorited_30d,
               coalesce(n_cart_recent, 0) > 0 AS carted_30d,
               coalesce(n_consult_recent, 0) > 0 AS consulted_30d,
               coalesce(n_favorite_recent, 0) + coalesce(n_cart_recent, 0) > 0
                   AND (last_order_time IS NULL OR last_order_time < {since})
                   AS interested_not_bought_30d"""
    return counts, tags


def aggregate_sql(query: AggregateQuery) -> str:
    """Per-customer order aggregates, day counts and last event, for every known customer.

    One pass over the orders: each amount is turned into exact micro-units once, and the
    calendar days from the last order, the first order and the last event to the as-of date are
    counted in SQL (NULL where there is none), with the distinct order days (``n_dates``) the
    purchase cycles need. With ``refund_rows`` (negative amounts), those rows net into the money
    totals but are not orders: they count in neither frequency nor recency, nor the first and
    last order time, nor the order days. With a category column, also the main category (most
    orders; ties: more spend, then the name), its share of the customer's orders that have a
    category, and how many categories.

    The distinct order days are counted as bits (DuckDB), a day per bit in
    :data:`DAY_WORD_BITS`-bit words from ``first_day`` (:func:`first_order_day`), OR-ed per
    customer: fixed-size state in the one grouping, where ``count(DISTINCT day)`` keeps a second
    hash table of every (customer, day) pair, which more than doubles the time of the grouping.
    Every order must fall on or after ``first_day`` and before the as-of day's word end (the
    caller checks it on the result, :func:`days_within_words`); ``first_day`` None counts them
    with DISTINCT. Rows are ordered by customer_id.
    """
    buyers = _buyers_sql(query)
    columns = _columns_sql(query)
    category_ctes, category_columns, category_join = _category_sql(query)
    as_of = timestamp_literal(query.as_of)
    if not (query.with_customers or query.with_events):  # only buyers: no union, no joins
        return f"""
            WITH buyers AS ({buyers}){category_ctes}
            SELECT customer_id, {columns}, CAST(NULL AS BIGINT) AS event_days{category_columns}
            FROM buyers {category_join} ORDER BY customer_id
        """
    event_counts, event_tags = _event_sql(query)
    known = "UNION SELECT customer_id FROM known_customers" if query.with_customers else ""
    event_days = query.dialect.days_between(
        "CAST(last_event_time AS DATE)", date_literal(query.as_of.normalize())
    )
    return f"""
        WITH buyers AS ({buyers}), seen AS (
            SELECT customer_id, max(event_time) AS last_event_time{event_counts}
            FROM events WHERE event_time < {as_of}
            GROUP BY customer_id
        ){category_ctes}, everyone AS (
            SELECT customer_id FROM buyers
            UNION SELECT customer_id FROM seen
            {known}
        )
        SELECT everyone.customer_id, {columns},
               {event_days} AS event_days
               {category_columns}{event_tags}
        FROM everyone
        LEFT JOIN buyers USING (customer_id)
        LEFT JOIN seen USING (customer_id)
        {category_join}
        ORDER BY everyone.customer_id
    """
