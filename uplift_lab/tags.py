"""Customer tags: the built-in ones that segment always adds, and a shop's own SQL rules.

Built-in tags (from the segment columns; ``none`` for a customer without orders):

* ``consumption_level`` (消费能力): ``low`` / ``mid`` / ``high`` by lifetime AOV. By default
  the AOV terciles of the buyers: ``floor(3 x share of buyers with a strictly lower AOV)``
  gives 0/1/2, so ties share a level and the lowest AOV is always ``low``. With cut-offs
  ``(a, b)``: AOV < a is low, a <= AOV < b mid, AOV >= b high.
* ``purchase_activity`` (付款单数): paid orders in the lookback window (``frequency``), banded
  ``0``, ``1``, ``2-3``, ``4+``.
* ``loyalty`` (frequency x tenure): ``new`` if the first order is less than 90 days before the
  as-of date (``tenure_days < 90``); ``loyal`` if ``tenure_days >= 365`` and at least 4 paid
  orders in the lookback window; ``regular`` otherwise.

Event tags (only with ``segment --events FILE``; True/False, counted in DuckDB over the events in
the ``EVENT_TAG_DAYS`` = 30 days before the as-of instant, ``[as_of - 30 days, as_of)``):

* ``favorited_30d``, ``carted_30d``, ``consulted_30d``: at least one ``favorite`` / ``cart`` /
  ``consult`` event (咨询 and 兴趣 behaviour).
* ``interested_not_bought_30d``: favorited or carted in those 30 days, and no paid order in them.

Rules (``segment --tags FILE.toml``) are ``name = "SQL expression"`` lines evaluated by DuckDB
over the segment table, in file order (a rule may use the tags above it); never by Python. A
boolean rule gives a True/False column (NULL, e.g. over a missing AOV, is False); a CASE (or any
other scalar expression) gives its values. The same evaluator reads ``target --where``. DuckDB
runs with file access disabled, so an expression can read nothing but the table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from uplift_lab.errors import UsageError, input_error, literal, usage_error
from uplift_lab.ranks import smaller_counts

CONSUMPTION_LEVEL = "consumption_level"
PURCHASE_ACTIVITY = "purchase_activity"
LOYALTY = "loyalty"
BUILTIN_TAG_COLUMNS = (CONSUMPTION_LEVEL, PURCHASE_ACTIVITY, LOYALTY)
EVENT_TAG_DAYS = 30
EVENT_TAG_COLUMNS = ("favorited_30d", "carted_30d", "consulted_30d", "interested_not_bought_30d")
BANDED_TAGS = {  # built-in tag -> the segment columns it bands (train drops it when they are kept)
    CONSUMPTION_LEVEL: ("aov",),
    PURCHASE_ACTIVITY: ("frequency",),
    LOYALTY: ("tenure_days", "frequency"),
}
NO_TAG = "none"
CONSUMPTION_LEVELS = ("low", "mid", "high")
ACTIVITY_BANDS = ("0", "1", "2-3", "4+")
LOYALTY_LEVELS = ("new", "regular", "loyal")
CONSUMPTION_LABELS = (*CONSUMPTION_LEVELS, NO_TAG)
LOYALTY_LABELS = (*LOYALTY_LEVELS, NO_TAG)
BUILTIN_TAG_LABELS = {
    CONSUMPTION_LEVEL: CONSUMPTION_LABELS,
    PURCHASE_ACTIVITY: ACTIVITY_BANDS,
    LOYALTY: LOYALTY_LABELS,
}
LOYALTY_NEW_DAYS = 90  # tenure below this: new
LOYALTY_TENURE_DAYS = 365  # tenure at least this ...
LOYALTY_MIN_ORDERS = 4  # ... and at least this many orders in the lookback window: loyal

TABLE = "segments"
_ROW = "__uplift_lab_row"
RULE_EXAMPLE = 'big_spender = "aov >= 100"'
AGGREGATE_ERROR = (
    "an aggregate gives one value for the whole table, a tag one per customer (a window "
    "such as ntile(3) OVER (ORDER BY aov) works)"
)
WHERE_EXAMPLE = "\"loyalty = 'loyal' AND region = 'east'\""  # a condition as a where value


# --------------------------------------------------------------------------------------------
# Built-in tags
# --------------------------------------------------------------------------------------------


def consumption_levels(
    aov: np.ndarray, n_orders: np.ndarray, cutoffs: Sequence[float] | None = None
) -> np.ndarray:
    """low / mid / high by AOV terciles of the buyers, or by the two ``cutoffs``; none else."""
    return _named(consumption_level_codes(aov, n_orders, cutoffs), CONSUMPTION_LABELS)


def consumption_level_codes(
    aov: np.ndarray, n_orders: np.ndarray, cutoffs: Sequence[float] | None = None
) -> np.ndarray:
    """Index into :data:`CONSUMPTION_LABELS` per customer (see :func:`consumption_levels`)."""
    aov = np.asarray(aov, dtype="float64")
    bought = (np.asarray(n_orders) > 0) & ~np.isnan(aov)
    level = np.zeros(len(aov), dtype="int64")
    if cutoffs is not None:
        level = np.searchsorted(np.asarray(cutoffs, dtype="float64"), aov, side="right")
    elif bought.any():
        values = aov[bought]
        level[bought] = (3 * smaller_counts(values)) // len(values)
    return np.where(bought, np.clip(level, 0, 2), len(CONSUMPTION_LEVELS))


def purchase_activity(frequency: np.ndarray) -> np.ndarray:
    """0 / 1 / 2-3 / 4+ paid orders in the lookback window."""
    return _named(purchase_activity_codes(frequency), ACTIVITY_BANDS)


def purchase_activity_codes(frequency: np.ndarray) -> np.ndarray:
    """Index into :data:`ACTIVITY_BANDS` per customer (see :func:`purchase_activity`)."""
    frequency = np.asarray(frequency, dtype="int64")
    return np.select([frequency <= 0, frequency == 1, frequency <= 3], [0, 1, 2], 3)


def loyalty_levels(
    tenure_days: np.ndarray, frequency: np.ndarray, n_orders: np.ndarray
) -> np.ndarray:
    """new / regular / loyal by tenure and orders in the lookback window; none without orders."""
    return _named(loyalty_codes(tenure_days, frequency, n_orders), LOYALTY_LABELS)


def loyalty_codes(
    tenure_days: np.ndarray, frequency: np.ndarray, n_orders: np.ndarray
) -> np.ndarray:
    """Index into :data:`LOYALTY_LABELS` per customer (see :func:`loyalty_levels`)."""
    tenure = np.asarray(tenure_days, dtype="float64")
    frequency = np.asarray(frequency, dtype="int64")
    bought = (np.asarray(n_orders) > 0) & ~np.isnan(tenure)
    with np.errstate(invalid="ignore"):
        loyal = (tenure >= LOYALTY_TENURE_DAYS) & (frequency >= LOYALTY_MIN_ORDERS)
        return np.select(
            [~bought, tenure < LOYALTY_NEW_DAYS, loyal], [len(LOYALTY_LEVELS), 0, 2], 1
        )


def _named(codes: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    return np.array(labels, dtype=object)[codes]


def builtin_tags(
    table: pd.DataFrame, consumption_cutoffs: Sequence[float] | None = None
) -> dict[str, np.ndarray]:
    """The built-in tag columns of a segment table (needs aov, frequency, tenure_days,
    n_orders_total)."""
    codes = builtin_tag_codes(
        table["aov"].to_numpy(dtype="float64"),
        table["n_orders_total"].to_numpy(dtype="int64"),
        table["frequency"].to_numpy(dtype="int64"),
        table["tenure_days"].to_numpy(dtype="float64"),
        consumption_cutoffs,
    )
    return {name: _named(code, BUILTIN_TAG_LABELS[name]) for name, code in codes.items()}


def builtin_tag_codes(
    aov: np.ndarray,
    n_orders: np.ndarray,
    frequency: np.ndarray,
    tenure_days: np.ndarray,
    consumption_cutoffs: Sequence[float] | None = None,
) -> dict[str, np.ndarray]:
    """Per built-in tag, the index into its :data:`BUILTIN_TAG_LABELS` per customer (what
    segment turns into text columns without a Python string per row)."""
    return {
        CONSUMPTION_LEVEL: consumption_level_codes(aov, n_orders, consumption_cutoffs),
        PURCHASE_ACTIVITY: purchase_activity_codes(frequency),
        LOYALTY: loyalty_codes(tenure_days, frequency, n_orders),
    }


MAX_SUMMARY_VALUES = 12  # a rule with more distinct values is left out of the summary
_VALUE_ORDER = BUILTIN_TAG_LABELS


def tag_summary(table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Customers, share and revenue share (of ``monetary``) per value of each tag column.

    Built-in tags list their values in their own order, booleans True first, other tags by
    size; a tag with more than :data:`MAX_SUMMARY_VALUES` values is left out.
    """
    total_customers = len(table)
    total_revenue = float(table["monetary"].sum()) if "monetary" in table else 0.0
    parts = []
    revenue = _revenue(table)
    for column in columns:
        values = table[column]
        if not (isinstance(values.dtype, pd.StringDtype) and not values.hasnans):
            values = values.astype(object).where(values.notna(), "(missing)").astype(str)
        grouped = pd.DataFrame({"value": values, "monetary": revenue})
        counts = grouped.groupby("value", sort=False).agg(
            customers=("monetary", "size"), revenue=("monetary", "sum")
        )
        if len(counts) > MAX_SUMMARY_VALUES:
            continue
        if column in _VALUE_ORDER:
            order = [v for v in _VALUE_ORDER[column] if v in counts.index]
        elif pd.api.types.is_bool_dtype(table[column]):
            order = [v for v in ("True", "False") if v in counts.index]
        else:
            order = list(counts.sort_values("customers", ascending=False, kind="stable").index)
        counts = counts.reindex(order).reset_index()
        counts.insert(0, "tag", column)
        parts.append(counts)
    if not parts:
        return pd.DataFrame(columns=["tag", "value", "customers", "share", "revenue_share"])
    summary = pd.concat(parts, ignore_index=True)
    summary["share"] = summary["customers"] / total_customers if total_customers else 0.0
    summary["revenue_share"] = summary["revenue"] / total_revenue if total_revenue else 0.0
    return summary[["tag", "value", "customers", "share", "revenue_share"]]


def _revenue(table: pd.DataFrame) -> np.ndarray:
    if "monetary" not in table:
        return np.zeros(len(table))
    return table["monetary"].to_numpy(dtype="float64", na_value=0.0)


# --------------------------------------------------------------------------------------------
# Rules: name = "SQL expression", evaluated by DuckDB
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TagRule:
    """One ``name = "expression"`` line of a tags file."""

    name: str
    expression: str


def parse_tag_rules(payload: Mapping[str, object], source: object) -> tuple[TagRule, ...]:
    """Rules from a parsed TOML file, in file order; a bad name or value is an InputError."""
    if not payload:
        raise input_error(source, "has no rules", f"Add lines such as {RULE_EXAMPLE}")
    rules = []
    reserved = _reserved_words()
    for name, expression in payload.items():
        if not isinstance(expression, str) or not expression.strip():
            raise input_error(
                source,
                f"rule '{name}' is not a SQL expression in quotes",
                f'Write it as {name} = "...", e.g. {RULE_EXAMPLE}',
            )
        if not name.isidentifier() or name.startswith("_") or name.lower() in reserved:
            raise usage_error(
                source,
                f"rule '{literal(name)}': a tag name must be letters, digits and _, not start with "
                "a digit or _, and not be a SQL keyword, so that {strata} and {where} can name it",
                f"Rename it, e.g. {literal(_suggested_name(name))}",
            )
        rules.append(TagRule(name, expression))
    return tuple(rules)


def apply_tag_rules(table: pd.DataFrame, rules: Sequence[TagRule], source: object) -> pd.DataFrame:
    """``table`` with one column per rule, named as the rule, in rule order.

    A name clashing with a column (DuckDB names are case-insensitive, so ``AOV`` clashes with
    ``aov``), an SQL error, an aggregate or an unknown column raises one InputError naming
    ``source`` and the rule.
    """
    out = table.copy()
    for rule in rules:
        clash = next((c for c in out.columns if str(c).lower() == rule.name.lower()), None)
        if clash is not None:
            raise input_error(
                source,
                f"rule '{rule.name}': the segment table already has a column '{clash}'",
                "Rename the rule",
            )
        try:
            values, kind = _evaluate(out, rule.expression)
        except _SqlError as exc:
            raise input_error(
                source, f"rule '{rule.name}' = \"{rule.expression}\": {exc}", "Fix the rule"
            ) from None
        out[rule.name] = _as_flags(values) if kind == "BOOLEAN" else values
    return out


def where_mask(table: pd.DataFrame, expression: str, parameter: str = "where") -> np.ndarray:
    """True per row of ``table`` where the boolean SQL ``expression`` holds (NULL is False);
    errors name it as the parameter ``parameter``."""
    shown = f'{{{parameter}}} "{literal(expression)}"'
    example = f"{{{parameter}={WHERE_EXAMPLE}}}"
    try:
        values, kind = _evaluate(table, expression)
    except _SqlError as exc:
        raise UsageError(f"{shown}: {literal(exc)}. Fix the expression, e.g. {example}") from None
    if kind != "BOOLEAN":
        raise UsageError(
            f"{shown} gives {kind} values, not true/false. Write a condition, e.g. {example}"
        )
    return _as_flags(values).to_numpy(dtype=bool)


class _SqlError(Exception):
    """DuckDB refused an expression; the message is one line."""


def _evaluate(table: pd.DataFrame, expression: str) -> tuple[pd.Series, str]:
    """The expression's value per row of ``table`` (in row order) and its DuckDB type."""
    try:
        duckdb.SQLExpression(expression)  # exactly one expression, nothing after it
    except duckdb.Error as exc:
        raise _SqlError(_one_line(exc)) from None
    frame = table.reset_index(drop=True).assign(**{_ROW: np.arange(len(table))})
    with duckdb.connect() as con:
        con.register(TABLE, frame)
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        try:
            relation = con.sql(
                f"SELECT ({expression}) AS value FROM {TABLE} ORDER BY {_ROW}"  # noqa: S608
            )
            kind = str(relation.types[0])
            values = relation.df()["value"]
        except duckdb.Error as exc:
            if _ROW in str(exc):  # it can only come from an aggregate such as sum(aov)
                raise _SqlError(AGGREGATE_ERROR) from None
            raise _SqlError(_one_line(exc)) from None
    if len(values) != len(table):
        raise _SqlError(AGGREGATE_ERROR)
    values.index = table.index
    return values, kind


def _as_flags(values: pd.Series) -> pd.Series:
    return values.astype("boolean").fillna(False).astype(bool)


def _one_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    hint = next((line for line in lines[1:] if line.startswith("Candidate bindings")), None)
    return f"{text.rstrip('.!')} ({hint})" if hint else text.rstrip(".!")


def _reserved_words() -> frozenset[str]:
    with duckdb.connect() as con:
        rows = con.sql(
            "SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category = 'reserved'"
        ).fetchall()
    return frozenset(name.lower() for (name,) in rows)


def _suggested_name(name: str) -> str:
    cleaned = re.sub(r"\W+", "_", name, flags=re.UNICODE).strip("_") or "tag"
    if cleaned[0].isdigit():
        cleaned = f"tag_{cleaned}"
    return cleaned if cleaned.lower() not in _reserved_words() else f"{cleaned}_tag"
