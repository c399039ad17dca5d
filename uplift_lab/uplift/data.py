"""Training data for uplift models: arm, outcomes and pre-campaign features per customer.

Two ways in: any flat table (one row per customer with an arm column, a 0/1 outcome and optional
revenue), or an experiment folder written by ``design`` plus the order log, where features are
computed as of the campaign start and outcomes from the response window after it.

Features are encoded once into a float matrix: numeric columns as they are, text columns as
LightGBM categoricals (codes 1..K over the training levels; 0 is never used, so that
``code x treatment`` in the S-learner's interaction columns reads 0 for control rows; unseen
or missing levels become NaN).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from uplift_lab import io
from uplift_lab.columnmap import InputSpec, read_customers_and_events, resolve_inputs
from uplift_lab.contracts import ids_as_text, numeric_column, require_columns
from uplift_lab.errors import DataWarning, InputError, input_error
from uplift_lab.order_files import load_orders
from uplift_lab.tags import BANDED_TAGS, EVENT_TAG_COLUMNS
from uplift_lab.timeparse import DEFAULT_TIME_PARSING, TimeParsing, parse_date_option

MAX_LEVELS = 1000
ROW_ID = "row"  # id column name used when a table has no id column (ids are row numbers)
DEFAULT_WINDOW_DAYS = 14  # response window of a past campaign when neither option nor design.json

TOO_MANY_LEVELS_FIX = (
    "It looks like an id or free text; leave it out with --features a,b,c (listing the features)"
)

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
RFM_COLS_FIX = (
    "Use --rfm-cols PART=COLUMN with PART one of score, recency, frequency, monetary "
    "(e.g. --rfm-cols recency=recency,monetary=history)"
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


def _date_kind(values: pd.Series) -> str | None:
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
        date_kind = _date_kind(values)
        if date_kind is not None:
            if reference is None:
                raise input_error(
                    source,
                    f"feature column '{name}' holds dates, which a model cannot use directly",
                    "Convert it to days (e.g. days since signup) or leave it out of --features",
                )
            fmt = "" if date_kind == "datetime" else date_kind
            specs.append(FeatureSpec(str(name), "numeric", (), reference.isoformat(), fmt))
            continue
        levels = sorted(set(values.dropna().astype(str)))
        if len(levels) > MAX_LEVELS:
            raise input_error(
                source,
                f"feature column '{name}' has {len(levels)} distinct text values",
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
    if _date_kind(values) is not None:
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


def choose_default_features(frame: pd.DataFrame, candidates: Sequence[str]) -> FeatureChoice:
    """The features a careful analyst would pick from ``candidates`` when none are named.

    Kept: numeric columns, low-cardinality text (categorical) and dates (used as days before
    the campaign). Dropped: all-missing, constant, id-like (named like an id, or every value a
    distinct integer or text), near-unique text, and copies of a column kept earlier (a 1:1
    relabelling such as ``rfm_class_zh`` of ``rfm_class``, or numbers correlated above
    ``DUPLICATE_CORRELATION``), and segment's built-in tags when the columns they band are kept
    (``consumption_level`` of ``aov``; a ``--tags`` rule stays a feature) and its event tags
    (opt-in: name them in ``--features``). ``PREFERRED_FEATURES``
    come first and dates last, so a copy of a cycle feature, or the raw date behind an engineered
    column, is the one dropped.
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
        str(name): kind for name in survivors if (kind := _date_kind(frame[name])) is not None
    }
    table_dates = dict(date_columns)
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


def check_rfm_parts(mapping: Mapping[str, str], option: str = "--rfm-cols") -> dict[str, str]:
    """Validate an RFM mapping ``{part: column}`` (parts: score, recency, frequency, monetary).

    The RFM rule needs a total score or at least two parts, so one part alone is refused.
    """
    unknown = [part for part in mapping if part not in RFM_OUTPUT_NAMES]
    if unknown:
        raise input_error(option, f"unknown RFM part '{unknown[0]}'", RFM_COLS_FIX)
    if "score" not in mapping and len(mapping) < 2:
        raise input_error(
            option,
            f"needs the RFM total score or at least two parts, got only {', '.join(mapping)}",
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
    values = numeric_column(frame, column, source).to_numpy()
    if not np.isin(values, (0.0, 1.0)).all():
        example = values[~np.isin(values, (0.0, 1.0))][0]
        raise input_error(
            source,
            f"outcome column '{column}' must be 0/1 (converted or not) but has {example:g}",
            "Pass a 0/1 conversion column as --outcome-col and spend as --revenue-col",
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
    labels = values.astype(str).to_numpy(dtype=object)
    seen = sorted(set(labels))
    if control not in seen:
        raise input_error(
            source,
            f"treatment column '{column}' has no control label '{control}'"
            f" (labels: {', '.join(seen[:10])})",
            "Pass the holdout label with --control",
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
    control: str,
    outcome_col: str,
    revenue_col: str | None = None,
    id_col: str | None = None,
    features: Sequence[str] | None = None,
    rfm_cols: Mapping[str, str] | None = None,
    source_sha256: str = "",
    reference: pd.Timestamp | None = None,
    reference_origin: str = "",
    exclude: Sequence[str] = (),
) -> TrainingData:
    """Validate a flat table (one row per customer) and build :class:`TrainingData`.

    ``id_col=None`` uses row numbers as ids (e.g. Hillstrom has no id column). ``features=None``
    picks the features with :func:`choose_default_features` among the columns other than the
    id, arm, outcomes and ``exclude``. Date features become days before ``reference``
    (default: the day after the table's latest date in them). ``rfm_cols`` (``{part: column}``)
    names the columns of the RFM-rule baseline; None detects them among the features by name.
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
    dropped: dict[str, tuple[str, ...]] = {}
    if features:
        require_columns(frame, features, source)
        used = [name for name in features if name in reserved]
        if used:
            raise input_error(
                source,
                f"--features includes '{used[0]}', which is the id, arm or an outcome",
                "Features must be known before the campaign; remove it",
            )
        columns = list(dict.fromkeys(features))
        date_columns = {
            str(name): kind for name in columns if (kind := _date_kind(frame[name])) is not None
        }
        table_dates = {}
    else:
        candidates = [name for name in frame.columns if name not in reserved | set(exclude)]
        choice = choose_default_features(frame, candidates)
        columns, dropped, date_columns = list(choice.columns), choice.dropped, choice.date_columns
        table_dates = choice.table_dates
    if not columns:
        raise input_error(source, "has no feature columns", "Add customer features or --features")
    if date_columns and reference is None:
        reference = latest_date(frame, table_dates or date_columns, source)
        reference_origin = "the day after the table's latest date"
    labels, treated = _arm_labels(frame, treatment_col, control, source)
    conversion = _binary_outcome(frame, outcome_col, source)
    if len(np.unique(conversion)) < 2:
        raise input_error(
            source,
            f"outcome column '{outcome_col}' is {conversion[0]:g} for every customer",
            "Uplift needs customers who converted and customers who did not",
        )
    revenue = None
    if revenue_col:
        revenue = numeric_column(frame, revenue_col, source, allow_negative=False).to_numpy()
        if len(np.unique(revenue)) < 2:
            raise input_error(
                source,
                f"revenue column '{revenue_col}' is {revenue[0]:g} for every customer",
                "Pass spend per customer as --revenue-col, or a fixed --value-per-conversion",
            )
        if np.array_equal(revenue, conversion):
            raise input_error(
                source,
                f"revenue column '{revenue_col}' equals the 0/1 outcome '{outcome_col}'",
                "Pass spend per customer as --revenue-col, or --value-per-conversion V",
            )
    feature_frame = frame[columns].rename(columns=str).reset_index(drop=True)
    specs = infer_feature_specs(feature_frame, feature_frame.columns, source, reference=reference)
    if rfm_cols is None:
        rfm = detect_rfm_columns(feature_frame, list(feature_frame.columns))
    else:
        rfm = check_rfm_parts(rfm_cols)
        used = [column for column in rfm.values() if column in reserved]
        if used:
            raise input_error(
                "--rfm-cols",
                f"'{used[0]}' is the id, arm or an outcome, not a pre-campaign RFM column",
                RFM_COLS_FIX,
            )
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


def load_table_training_data(
    path: Path,
    *,
    treatment_col: str,
    control: str,
    outcome_col: str,
    revenue_col: str | None = None,
    id_col: str | None = None,
    features: Sequence[str] | None = None,
    rfm_cols: Mapping[str, str] | None = None,
    encoding: str | None = None,
    reference: str | None = None,
    fallback_id_col: str | None = None,
) -> TrainingData:
    """Read a flat campaign table into :class:`TrainingData` (see :func:`table_training_data`).

    A Parquet id column keeps its type; a CSV's ids are integers when every one is written as
    an integer (:func:`integer_ids_from_text`). ``reference`` (``--start``) is the date that
    date features count days back from. Without ``id_col``, ``fallback_id_col`` (the customer
    id column every other command reads, ``--customer-col``) is the id where the table has it,
    so scores join the segment table instead of being keyed by row numbers.
    """
    parquet = io.table_format(path) == "parquet"
    if id_col is None and fallback_id_col:
        if fallback_id_col in io.table_column_names(path, encoding=encoding):
            id_col = fallback_id_col
    string_columns = [treatment_col] + ([id_col] if id_col and not parquet else [])
    frame = io.read_table(path, encoding=encoding, string_columns=string_columns)
    if id_col and not parquet and id_col in frame.columns:
        frame[id_col] = integer_ids_from_text(frame[id_col])
    reference_time = None
    if reference is not None:
        reference_time = parse_date_option(reference, "--start")
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
    )


def assignment_outcomes(
    assignment: pd.DataFrame, orders: pd.DataFrame, start: pd.Timestamp, window_days: int
) -> pd.DataFrame:
    """customer_id, arm, converted, revenue of every assigned customer in the response window.

    The window and the definition of a conversion are `analyze`'s
    (:func:`uplift_lab.analyze.outcomes_from_orders`), so a model learns exactly the outcome that
    the campaign report measures; customers without an order count as zero.
    """
    from uplift_lab.analyze import outcomes_from_orders

    outcomes = outcomes_from_orders(orders, start, window_days).per_customer
    table = assignment[["customer_id", "arm"]].copy()
    table["customer_id"] = table["customer_id"].astype(str)
    table = table.merge(
        outcomes[["customer_id", "converted", "revenue"]], on="customer_id", how="left"
    )
    return table.fillna({"converted": 0.0, "revenue": 0.0})


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
    outcomes are orders in the ``window_days`` after ``start``.
    """
    from uplift_lab.segment import segment_customers

    if window_days <= 0:
        raise input_error(source, f"--window-days must be positive, got {window_days}")
    before = orders[orders["order_time"] < start]
    if events is not None:
        events = events[events["event_time"] < start]
    segments = segment_customers(before, as_of=start, customers=customers, events=events).table
    segments = segments.copy()
    segments["customer_id"] = segments["customer_id"].astype(str)
    table = assignment_outcomes(assignment, orders, start, window_days)
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
        raise input_error(
            "--start",
            f"is needed: {source} records no campaign start",
            "Pass the first day of the campaign, e.g. --start 2026-06-01",
        )
    if window_days is None:
        if campaign.get("window_days") is not None:
            window_days = campaign["window_days"]
            origin["window_days"] = "design.json campaign.window_days"
        else:
            window_days, origin["window_days"] = DEFAULT_WINDOW_DAYS, "default"
    try:  # ISO only, as every date option (timeparse.parse_date_option)
        start_time = parse_date_option(start, "--start")
    except InputError:
        raise input_error(
            origin["start"], f"'{start}' is not an ISO date", "Use e.g. --start 2026-06-01"
        ) from None
    if isinstance(window_days, bool) or not isinstance(window_days, int | float):
        raise input_error(origin["window_days"], f"'{window_days}' is not a number of days")
    if window_days != int(window_days) or window_days <= 0:
        raise input_error(
            origin["window_days"], f"must be a positive whole number of days, got {window_days}"
        )
    return start_time, int(window_days), origin


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
    import hashlib

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


@dataclass(frozen=True, slots=True)
class CampaignOutcomes:
    """A designed campaign's customers with their arm and outcomes in the response window."""

    table: pd.DataFrame  # customer_id, arm, converted (0/1), revenue
    control: str
    start: pd.Timestamp
    window_days: int
    origin: dict[str, str]
    source: object = "experiment"


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
    from uplift_lab.analyze import window_coverage_notice

    notice = window_coverage_notice(orders["order_time"], start, window_days)
    if notice is not None:
        warnings.warn(notice.message, DataWarning, stacklevel=3)


def _experiment_with_orders(
    experiment, orders_path, start, window_days, encoding, inputs: InputSpec
):  # fmt: skip
    """An experiment folder, its campaign window and the counted order log beside it
    (:class:`~uplift_lab.orders.CountedOrders`, the order rules of ``inputs`` applied): the
    common start of training data and campaign outcomes."""
    from uplift_lab.design import load_experiment

    loaded = load_experiment(Path(experiment))
    start_time, window, origin = campaign_window(
        loaded.meta, start, window_days, Path(experiment) / "design.json"
    )
    counted = load_orders(orders_path, inputs.orders, encoding=encoding)
    return loaded, start_time, window, origin, counted
