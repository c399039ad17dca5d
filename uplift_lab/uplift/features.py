"""Model features: which columns, their kinds, and their encoding as a float matrix.

Features are encoded once into a float matrix: numeric columns as they are, text columns as
LightGBM categoricals (codes 1..K over the training levels; 0 is never used, so that
``code x treatment`` in the S-learner's interaction columns reads 0 for control rows; unseen
or missing levels become NaN), dates as days before a reference date. Without ``--features``,
:func:`choose_default_features` keeps what a careful analyst would and says why it drops the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from uplift_lab.contracts import numeric_column
from uplift_lab.errors import input_error, literal, usage_error
from uplift_lab.tags import BANDED_TAGS, EVENT_TAG_COLUMNS
from uplift_lab.uplift.post_treatment import arm_association, checked_rows, outcome_nesting

MAX_LEVELS = 1000

TOO_MANY_LEVELS_FIX = (  # a UsageError template (the CLI reads --features a,b,c)
    "It looks like an id or free text; leave it out with {features=a,b,c} (listing the features)"
)


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """One model feature: its column name, ``numeric`` or ``categorical``, and the levels seen.

    ``days_before`` (an ISO date) marks a date column used as "days before that date": the
    column's dates (or text read with ``date_format``) become ``(days_before - value)`` in days,
    the same at training and scoring (``score --as-of`` may move the date to the next campaign).
    """

    name: str
    kind: str
    levels: tuple[str, ...] = ()
    days_before: str = ""
    date_format: str = ""

    def to_json(self) -> dict:
        payload = {"name": self.name, "kind": self.kind, "levels": list(self.levels)}
        if self.days_before:
            payload["derivation"] = {
                "kind": "days_before",
                "reference": self.days_before,
                "date_format": self.date_format,
            }
        return payload

    @classmethod
    def from_json(cls, payload: dict) -> FeatureSpec:
        derivation = payload.get("derivation") or {}
        if derivation and derivation.get("kind") != "days_before":
            raise ValueError(f"unknown feature derivation {derivation.get('kind')!r}")
        return cls(
            str(payload["name"]),
            str(payload["kind"]),
            tuple(payload.get("levels", ())),
            str(derivation.get("reference", "")),
            str(derivation.get("date_format", "")),
        )


# Default features (no --features): what a careful analyst keeps and drops, and why.
MAX_DEFAULT_LEVELS = 50  # more distinct text values than this: near-unique text, not a category
NEAR_UNIQUE_SHARE = 0.5  # text with more levels than this share of its non-empty rows: dropped
MIN_ROWS_FOR_ID_CHECK = 20  # below this, "every value unique" says nothing
DUPLICATE_CORRELATION = 0.999  # numeric columns this correlated (same missing rows): a copy
DUPLICATE_CHECK_ROWS = 50_000  # rows compared when looking for copies (evenly spaced)
# Cycle features of `segment` (lifecycle by purchase cycle), kept first when present so that a
# copy of one of them is the one dropped, and exempt from the text-level limit below MAX_LEVELS.
PREFERRED_FEATURES = ("overdue_ratio", "expected_gap_days", "main_category", "categories_bought")
DROP_REASONS = {
    "post_treatment": (
        "differs between the arms far beyond chance (p < 1e-6): measured after"  # POST_TREATMENT_P
        " the send, or the arms were not randomized over it"
    ),
    "decides_outcome": (
        "decides the outcome (every row away from its most common value converted, far beyond"
        " chance): another outcome of the send"
    ),
    "id": "id-like (every value unique, or named like an id)",
    "near_unique": f"near-unique text (more than {MAX_DEFAULT_LEVELS} values or mostly unique)",
    "constant": "constant (one value)",
    "missing": "all missing",
    "duplicate": "duplicate of another column",
    "banded": "a banding of kept columns (segment's built-in tags)",
    "event_tag": "segment's event tags (name them in --features to use them)",
}
# Text read as dates: one format per column (never value by value).
DATE_FORMATS = ("ISO8601", "%Y/%m/%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%d.%m.%Y")
DATE_CHECK_ROWS = 200


def _is_id_name(name: str) -> bool:
    lowered = name.lower()
    return lowered in {"id", "uid", "cid", "key"} or lowered.endswith(("_id", "_key", "_uuid"))


def text_date_format(values: pd.Series) -> str | None:
    """The first of ``DATE_FORMATS`` that reads every non-empty text value as a date, else None.

    Plain numbers (``20240105``, ``3``) are never dates: a value must hold a date separator.
    """
    text = values.dropna().astype(str)
    if text.empty or not text.str.contains(r"\d[-/.]\d", regex=True).all():
        return None
    head = text.iloc[:DATE_CHECK_ROWS]
    for fmt in DATE_FORMATS:
        if pd.to_datetime(head, format=fmt, errors="coerce", utc=True).notna().all():
            if pd.to_datetime(text, format=fmt, errors="coerce", utc=True).notna().all():
                return fmt
    return None


def _as_naive_times(values: pd.Series, date_format: str, name: str, source: object) -> pd.Series:
    """A date column (datetime or text in ``date_format``) as naive UTC timestamps."""
    if pd.api.types.is_datetime64_any_dtype(values):
        times = values
        if getattr(times.dt, "tz", None) is not None:
            times = times.dt.tz_convert("UTC").dt.tz_localize(None)
        return times
    text = values.astype("string")
    times = pd.to_datetime(text, format=date_format or "ISO8601", errors="coerce", utc=True)
    bad = times.isna() & text.notna()
    if bad.any():
        raise input_error(
            source,
            f"date feature column '{name}' has '{text[bad].iloc[0]}', which is not a date "
            f"like its training values ({date_format or 'ISO8601'})",
            "Fix or empty those values",
        )
    return times.dt.tz_localize(None)


def days_before(
    values: pd.Series, reference: str, date_format: str, name: str, source: object
) -> np.ndarray:
    """Days from each date of ``values`` to ``reference`` (positive for earlier dates)."""
    times = _as_naive_times(values, date_format, name, source)
    delta = (pd.Timestamp(reference) - times) / pd.Timedelta(days=1)
    return delta.to_numpy(dtype=np.float64, na_value=np.nan)


def column_date_kind(values: pd.Series) -> str | None:
    """``"datetime"`` for a datetime column, the text format for text dates, else None."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return "datetime"
    if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
        return text_date_format(values)
    return None


def latest_date(frame: pd.DataFrame, columns: Mapping[str, str], source: object) -> pd.Timestamp:
    """The day after the latest value of the date ``columns`` ({name: format}): --data's reference.

    The day after, so that the latest date counts as 0 to 1 days before, as recency does.
    """
    latest = max(
        _as_naive_times(frame[name], "" if fmt == "datetime" else fmt, name, source).max()
        for name, fmt in columns.items()
    )
    return latest.normalize() + pd.Timedelta(days=1)


def infer_feature_specs(
    frame: pd.DataFrame,
    columns: Sequence[str],
    source: object,
    *,
    reference: pd.Timestamp | None = None,
) -> tuple[FeatureSpec, ...]:
    """Decide per column: numbers (and booleans) are numeric, text is categorical, dates are
    numeric "days before ``reference``" (dates without a ``reference`` are an error)."""
    specs = []
    for name in columns:
        values = frame[name]
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            specs.append(FeatureSpec(str(name), "numeric"))
            continue
        date_kind = column_date_kind(values)
        if date_kind is not None:
            if reference is None:
                raise usage_error(
                    source,
                    f"feature column '{literal(name)}' holds dates, which a model cannot use"
                    " directly",
                    "Convert it to days (e.g. days since signup) or leave it out of {features}",
                )
            fmt = "" if date_kind == "datetime" else date_kind
            specs.append(FeatureSpec(str(name), "numeric", (), reference.isoformat(), fmt))
            continue
        levels = sorted(set(values.dropna().astype(str)))
        if len(levels) > MAX_LEVELS:
            raise usage_error(
                source,
                f"feature column '{literal(name)}' has {len(levels)} distinct text values",
                TOO_MANY_LEVELS_FIX,
            )
        specs.append(FeatureSpec(str(name), "categorical", tuple(levels)))
    return tuple(specs)


@dataclass(frozen=True, slots=True)
class FeatureChoice:
    """The default features of a table and the columns left out, by reason (``DROP_REASONS``).

    ``dropped`` maps a reason to the columns it dropped (a copy as ``"name (= kept)"``).
    ``date_columns`` maps each date feature to its format (``"datetime"`` or a text format).
    """

    columns: tuple[str, ...]
    dropped: dict[str, tuple[str, ...]]
    date_columns: dict[str, str]
    table_dates: dict[str, str] = field(default_factory=dict)  # every date column, kept or not


def _first_pass_reason(values: pd.Series, name: str) -> str | None:
    """Why a column is no feature, judged on the column alone (None: keep it for now)."""
    present = values.dropna()
    if present.empty:
        return "missing"
    if _is_id_name(name):
        return "id"
    if present.nunique() <= 1:
        return "constant"
    if pd.api.types.is_bool_dtype(values):
        return None
    if pd.api.types.is_numeric_dtype(values):
        integral = pd.api.types.is_integer_dtype(values) or bool(
            np.all(np.mod(present.to_numpy(dtype=np.float64), 1) == 0)
        )
        if integral and len(present) >= MIN_ROWS_FOR_ID_CHECK and present.is_unique:
            return "id"
        return None
    if column_date_kind(values) is not None:
        return None
    text = present.astype(str)
    levels = text.nunique()
    if len(text) >= MIN_ROWS_FOR_ID_CHECK and levels == len(text):
        return "id"
    limit = MAX_LEVELS if name in PREFERRED_FEATURES else MAX_DEFAULT_LEVELS
    if levels > limit or (
        name not in PREFERRED_FEATURES and levels > NEAR_UNIQUE_SHARE * len(text)
    ):
        return "near_unique"
    return None


def _comparable(frame: pd.DataFrame, name: str, date_kind: str | None, rows: np.ndarray):
    """A column on the checked rows as ("numeric", floats) or ("codes", level codes)."""
    values = frame[name].iloc[rows]
    if date_kind is not None:
        fmt = "" if date_kind == "datetime" else date_kind
        times = _as_naive_times(values, fmt, name, "training data")
        return "numeric", (times - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return "numeric", values.astype("float64")
    return "codes", pd.Series(pd.factorize(values.astype("string"))[0])


def _is_copy(left, right) -> bool:
    """Same information: equal missing rows and a 1:1 level map, or numbers correlated ~1."""
    left_kind, a = left
    right_kind, b = right
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if left_kind == "codes" or right_kind == "codes":
        pairs = pd.DataFrame({"a": a, "b": b}).drop_duplicates()
        return len(pairs) == pairs["a"].nunique() == pairs["b"].nunique()
    missing = np.isnan(a)
    if not np.array_equal(missing, np.isnan(b)) or (~missing).sum() < 3:
        return False
    a, b = a[~missing], b[~missing]
    if np.array_equal(a, b):
        return True
    if a.std() == 0 or b.std() == 0:
        return False
    return abs(float(np.corrcoef(a, b)[0, 1])) >= DUPLICATE_CORRELATION


def choose_default_features(
    frame: pd.DataFrame,
    candidates: Sequence[str],
    arm: np.ndarray | None = None,
    converted: np.ndarray | None = None,
) -> FeatureChoice:
    """The features a careful analyst would pick from ``candidates`` when none are named.

    Kept: numeric columns, low-cardinality text (categorical) and dates (used as days before
    the campaign). Dropped: all-missing, constant, id-like (named like an id, or every value a
    distinct integer or text), near-unique text, and copies of a column kept earlier (a 1:1
    relabelling such as ``rfm_class_zh`` of ``rfm_class``, or numbers correlated above
    ``DUPLICATE_CORRELATION``), and segment's built-in tags when the columns they band are kept
    (``consumption_level`` of ``aov``; a ``--tags`` rule stays a feature) and its event tags
    (opt-in: name them in ``--features``). ``PREFERRED_FEATURES``
    come first and dates last, so a copy of a cycle feature, or the raw date behind an engineered
    column, is the one dropped. With ``arm`` (a flat campaign table's arm per row), a column
    whose distribution differs between the arms far beyond chance is dropped too
    (:mod:`uplift_lab.uplift.post_treatment`: an outcome of the send, not an attribute), and
    with ``converted`` (the 0/1 outcome per row) a column whose every row away from its usual
    value converted (another outcome of the send, however weakly the send moved it).
    """
    ordered = [name for name in PREFERRED_FEATURES if name in candidates]
    ordered += [name for name in candidates if name not in PREFERRED_FEATURES]
    dropped: dict[str, list[str]] = {}
    survivors = []
    for name in ordered:
        reason = _first_pass_reason(frame[name], str(name))
        if reason is None:
            survivors.append(name)
        else:
            dropped.setdefault(reason, []).append(str(name))
    date_columns = {
        str(name): kind for name in survivors if (kind := column_date_kind(frame[name])) is not None
    }
    table_dates = dict(date_columns)
    if arm is not None:
        survivors = _drop_post_treatment(frame, survivors, date_columns, arm, dropped)
    if converted is not None:
        nested = outcome_nested_columns(frame, survivors, converted)
        for name, label in nested.items():
            dropped.setdefault("decides_outcome", []).append(label)
            date_columns.pop(str(name), None)
        survivors = [name for name in survivors if name not in nested]
    # Engineered columns before raw dates: of tenure_days and first_order_time, the date goes.
    survivors = [name for name in survivors if str(name) not in date_columns] + [
        name for name in survivors if str(name) in date_columns
    ]
    step = max(1, len(frame) // DUPLICATE_CHECK_ROWS)
    rows = np.arange(0, len(frame), step)
    kept: list[str] = []
    seen: list[tuple[str, tuple]] = []
    for name in survivors:
        values = _comparable(frame, name, date_columns.get(str(name)), rows)
        original = next((other for other, known in seen if _is_copy(known, values)), None)
        if original is not None:
            dropped.setdefault("duplicate", []).append(f"{name} (= {original})")
            date_columns.pop(str(name), None)
            continue
        seen.append((str(name), values))
        kept.append(str(name))
    # segment's built-in tags only band columns that are kept: nothing new for a tree, and
    # binned copies would compete with their source for splits.
    for name, bases in BANDED_TAGS.items():
        if name in kept and all(base in kept for base in bases):
            kept.remove(name)
            dropped.setdefault("banded", []).append(f"{name} (of {', '.join(bases)})")
    # Event tags (favorited/carted in the last 30 days) re-cut days_since_last_event's events:
    # opt-in features, so a model trained before they existed keeps its default feature set.
    for name in EVENT_TAG_COLUMNS:
        if name in kept:
            kept.remove(name)
            dropped.setdefault("event_tag", []).append(name)
    reasons = {reason: tuple(dropped[reason]) for reason in DROP_REASONS if reason in dropped}
    return FeatureChoice(tuple(kept), reasons, date_columns, table_dates)


def _drop_post_treatment(
    frame: pd.DataFrame,
    names: list,
    date_columns: dict[str, str],
    arm: np.ndarray,
    dropped: dict[str, list[str]],
) -> list:
    """``names`` without the columns the arms show to be changed by the send (p in the label)."""
    flagged = post_treatment_columns(frame, names, date_columns, arm)
    for name, label in flagged.items():
        dropped.setdefault("post_treatment", []).append(label)
        date_columns.pop(str(name), None)
    return [name for name in names if name not in flagged]


def post_treatment_columns(
    frame: pd.DataFrame, names: Sequence, date_columns: Mapping[str, str], arm: np.ndarray
) -> dict:
    """``{name: "name (p = ...)"}`` of the columns among ``names`` whose distribution differs
    between the arms far beyond chance (:mod:`uplift_lab.uplift.post_treatment`)."""
    rows = checked_rows(len(frame))
    arm_checked = np.asarray(arm)[rows]
    flagged = {}
    for name in names:
        kind, values = _comparable(frame, name, date_columns.get(str(name)), rows)
        values = values.astype(object) if kind == "codes" else values
        association = arm_association(values, arm_checked)
        # a column the arm depends on strongly is left to the randomization check, which refuses
        if association.post_treatment:
            p_value = association.p_value
            shown = f"p = {p_value:.0e}" if p_value > 0 else "p < 1e-300"
            flagged[name] = f"{name} ({shown})"
    return flagged


def outcome_nested_columns(frame: pd.DataFrame, names: Sequence, converted: np.ndarray) -> dict:
    """``{name: "name (N rows other than V, all converted)"}`` of the columns among ``names``
    that settle the 0/1 outcome ``converted`` (:func:`~uplift_lab.uplift.post_treatment.
    outcome_nesting`), judged on the same evenly spaced rows as the arm test."""
    rows = checked_rows(len(frame))
    outcome = np.asarray(converted)[rows]
    flagged = {}
    for name in names:
        nesting = outcome_nesting(frame[name].iloc[rows], outcome)
        if nesting is not None:
            other = f"{nesting.rows:,} rows other than {nesting.usual}"
            flagged[name] = f"{name} ({other}, all converted)"
    return flagged


def encode_features(
    frame: pd.DataFrame, specs: Sequence[FeatureSpec], source: object
) -> np.ndarray:
    """Encode ``frame``'s feature columns as a float64 matrix in ``specs`` order.

    Missing columns are an error naming all of them; extra columns are ignored. Date features
    become days before their reference date (see :class:`FeatureSpec`).
    """
    missing = [spec.name for spec in specs if spec.name not in frame.columns]
    if missing:
        raise input_error(
            source,
            f"missing feature column(s) {', '.join(missing)} that the model was trained on",
            "Add them (same names as in training)",
        )
    matrix = np.empty((len(frame), len(specs)), dtype=np.float64)
    for j, spec in enumerate(specs):
        values = frame[spec.name]
        if spec.days_before:
            matrix[:, j] = days_before(
                values, spec.days_before, spec.date_format, spec.name, source
            )
        elif spec.kind == "numeric":
            matrix[:, j] = numeric_column(frame, spec.name, source, allow_missing=True).to_numpy()
        else:
            text = values.astype("string")
            text = text.where(text.isin(spec.levels))  # unseen levels become missing
            codes = pd.Categorical(text, categories=list(spec.levels)).codes.astype(np.float64)
            codes[codes < 0] = np.nan
            matrix[:, j] = codes + 1.0
    return matrix
