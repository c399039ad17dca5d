"""What analyze takes from its inputs: arm and segment labels, 0/1 conversion flags, the checks
of the arms, and the defaults an experiment's design.json gives (response window, money).

Pure checks over frames already read (by :mod:`uplift_lab.workflows.analyze` or Spark); each
refusal is one line naming the file, the column and the fix.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from uplift_lab import contracts
from uplift_lab.analysis_results import AnalysisOptions
from uplift_lab.contracts import ARM
from uplift_lab.errors import (
    DataWarning,
    InputError,
    UsageError,
    input_error,
    literal,
    usage_error,
    with_value,
)
from uplift_lab.notices import Notice
from uplift_lab.timeparse import parse_date_option

ALL_SEGMENTS = "all"
DEFAULT_WINDOW_DAYS = 7  # response window when neither --window-days nor design.json says
TINY_ARM_SHARE = 0.01  # an arm with fewer rows than this share of all rows looks like a typo


# The untreated label of each treatment-indicator pair (lower case): 0/1, False/True, No/Yes.
INDICATOR_PAIRS = {("0", "1"): "0", ("0.0", "1.0"): "0.0", ("false", "true"): "false",
                   ("n", "y"): "n", ("no", "yes"): "no"}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Labels and flags


def resolve_control(
    labels: Iterable[str], control: str | None, source: object, arm_column: str
) -> str:
    """The control arm's label: ``control`` where given; else ``'control'`` where the column
    has it; else the 0 of a treatment indicator (a column holding just 0 and 1, False and True
    or No and Yes, as public campaign data sets write ``treatment``), with a notice naming the
    label read as control. Otherwise ``'control'``, which the arm checks then refuse, listing
    the labels the column has."""
    if control is not None:
        return str(control).strip()
    seen = sorted({str(label) for label in labels})
    if contracts.CONTROL_ARM in seen or len(seen) != 2:
        return contracts.CONTROL_ARM
    lowered = tuple(sorted(label.strip().lower() for label in seen))
    untreated = INDICATOR_PAIRS.get(lowered)  # type: ignore[arg-type]
    if untreated is None:
        return contracts.CONTROL_ARM
    chosen = next(label for label in seen if label.strip().lower() == untreated)
    treated = next(label for label in seen if label != chosen)
    params = {"source": str(source), "column": arm_column, "control": chosen, "arm": treated}
    warnings.warn(DataWarning(Notice("note", "implied_control", params)), stacklevel=2)
    return chosen


def yes_no_outcome(frame: pd.DataFrame, column: str, source: object) -> pd.DataFrame:
    """``frame`` with a text outcome column of one yes word and one no word (those of
    :func:`contracts.yes_no_flags`: Yes/No, True/False, Y/N, 是/否, any case and spacing; or a
    label and its negation, :func:`negation_pair`) as 1/0, with a notice naming the label read
    as converted (a public campaign's ``voted``); any other column is returned as it is, for
    the numeric checks to judge."""
    raw = frame[column]
    if pd.api.types.is_numeric_dtype(raw) or pd.api.types.is_bool_dtype(raw):
        return frame
    text = raw.astype("string").str.strip()
    seen = sorted(set(text.dropna()))
    yes = [label for label in seen if label.lower() in contracts.TRUE_WORDS]
    no = [label for label in seen if label.lower() in contracts.FALSE_WORDS]
    pair = negation_pair(seen)
    if pair is not None:
        yes, no = [pair[0]], [pair[1]]
    if len(seen) != 2 or len(yes) != 1 or len(no) != 1:
        return frame
    flags = (text == yes[0]).astype("float64").where(text.notna())
    params = {"source": str(source), "column": column, "positive": yes[0], "negative": no[0]}
    warnings.warn(DataWarning(Notice("note", "outcome_labels", params)), stacklevel=2)
    return frame.assign(**{column: flags.to_numpy(dtype="float64", na_value=np.nan)})


def arm_labels(frame: pd.DataFrame, column: str, source: object) -> pd.Series:
    """The arm column as text with stray spaces stripped (``' sms'`` is ``'sms'``), labels
    that differ only in letter case written as their most common spelling (``SMS``, ``Sms``
    and ``sms`` are one channel, as a send log typed by hand has it), with a note; empty labels
    are refused."""
    values = frame[column]
    text = values.astype(str).str.strip()
    empty = values.isna() | (text == "")
    if empty.any():
        raise input_error(
            source,
            f"column '{column}' has {int(empty.sum())} empty arm label(s)",
            "Every customer needs an arm; fill or remove those rows",
        )
    counts = text.value_counts()
    folded = counts.index.str.casefold()
    if folded.nunique() == len(counts):
        return text
    spelling = {}
    for _, group in counts.groupby(folded, sort=True):
        if len(group) > 1:
            ranked = sorted(group.items(), key=lambda item: (-item[1], item[0]))
            spelling.update({label: ranked[0][0] for label, _ in ranked})
            shown = ", ".join(f"'{label}'" for label, _ in sorted(ranked))
            params = {"path": str(source), "column": column, "labels": shown, "arm": ranked[0][0]}
            warnings.warn(DataWarning(Notice("note", "arm_case_folded", params)), stacklevel=2)
    return text.replace(spelling)


def segment_labels(frame: pd.DataFrame, column: str, source: object) -> pd.Series:
    """A segment column as text; an empty label is refused (file, column and fix named)."""
    values = frame[column]
    empty = values.isna() | (values.astype(str).str.strip() == "")
    if empty.any():
        raise input_error(
            source,
            f"column '{column}' has {int(empty.sum())} empty segment label(s)",
            "Fill them (e.g. 'unknown') or remove the rows",
        )
    return values.astype(str)


def conversion_flags(
    frame: pd.DataFrame, column: str, source: object, positive: str | None = None
) -> pd.Series:
    if positive is not None:
        return label_flags(frame, column, source, positive)
    frame = yes_no_outcome(frame, column, source)  # Yes/No, True/False, 是/否: 1/0, said
    raw = frame[column]
    if not (pd.api.types.is_numeric_dtype(raw) or pd.api.types.is_bool_dtype(raw)):
        labels = raw.dropna().astype(str).str.strip()
        if len(labels) and pd.to_numeric(labels, errors="coerce").isna().any():
            distinct = sorted(labels.unique())
            shown = ", ".join(f"'{v}'" for v in distinct[:5])
            raise usage_error(
                source,
                f"column '{literal(column)}' holds labels ({literal(shown)}), not 0/1",
                "Name the converted label with {positive}, e.g. "
                + with_value("positive", f"'{likely_positive(labels)}'"),
            )
    values = contracts.numeric_column(frame, column, source)
    bad = ~values.isin([0.0, 1.0])
    if bad.any():
        raise usage_error(
            source,
            f"column '{literal(column)}' must be 0/1 but has values such as "
            f"{values[bad].iloc[0]:g}",
            "Pass a 0/1 conversion column with {conversion_col}",
        )
    return values


NEGATIONS = ("not ", "no ", "non-", "non ", "未", "不", "没有", "没", "無", "无", "非")
AFFIRMATIONS = ("", "已", "有")


def negation_pair(labels: list[str]) -> tuple[str, str] | None:
    """(converted, not converted) of two labels that are one word and its negation ('bought' /
    'not bought', '已购买' / '未购买'), else None."""
    if len(labels) != 2:
        return None
    for positive, negative in (labels, labels[::-1]):
        for no in NEGATIONS:
            if not negative.lower().startswith(no):
                continue
            stem = negative[len(no) :].strip().lower()
            for yes in AFFIRMATIONS:
                if stem and positive.lower() == yes + stem:
                    return positive, negative
    return None


NEGATED = re.compile(r"^(not?\b|non|un|never\b)|\bnot\b|^[未不没無无否非]", re.IGNORECASE)


def likely_positive(labels: pd.Series) -> str:
    """The label a suggestion names as converted: of two, the one not negated ('bought' over
    'not bought', '已购买' over '未购买'), else the rarer one (conversions are the few)."""
    counts = labels.value_counts()
    pair = negation_pair([str(label) for label in counts.index])
    if pair is not None:
        return pair[0]
    plain = [label for label in counts.index if not NEGATED.search(str(label))]
    if len(counts) == 2 and len(plain) == 1:
        return str(plain[0])
    return str(min(counts.index, key=lambda label: (counts[label], str(label))))


def label_flags(frame: pd.DataFrame, column: str, source: object, positive: str) -> pd.Series:
    """1.0 where the label is ``positive`` (e.g. Yes), 0.0 for the one other label (No)."""
    values = frame[column]
    text = values.astype(str).str.strip()
    empty = values.isna() | (text == "")
    if empty.any():
        raise input_error(
            source,
            f"column '{column}' has {int(empty.sum())} empty value(s)",
            "Every customer needs an outcome; fill or remove those rows",
        )
    positive = str(positive).strip()
    labels = sorted(text.unique())
    shown = ", ".join(f"'{label}'" for label in labels[:5])
    if positive not in labels:
        raise usage_error(
            source,
            f"{{positive}} '{literal(positive)}' is not a value of column '{literal(column)}' "
            f"(values: {literal(shown)})",
            "Pass the label of a converted customer, e.g. {positive=Yes}",
        )
    if len(labels) > 2:
        raise usage_error(
            source,
            f"column '{literal(column)}' has {len(labels)} labels ({literal(shown)}); {{positive}} "
            "reads a yes/no column with two",
            "Fix the other labels so that one means converted and one does not",
        )
    return (text == positive).astype("float64")


def refuse_pooled_segment_name(labels: pd.Series, column: str, source: object) -> None:
    """A segment may not be called ``all`` (the pooled rows' name) unless it is the only one."""
    if ALL_SEGMENTS in set(labels) and labels.nunique() > 1:
        raise input_error(
            source,
            f"column '{column}' has a segment labelled '{ALL_SEGMENTS}', the name of the pooled "
            "rows",
            "Rename that segment (e.g. 'all_customers')",
        )


# ---------------------------------------------------------------------------------------------
# Arms


def check_arms(units: pd.DataFrame, control: str, source: object, arm_column: str) -> None:
    """The arm column must hold the control and at least one other arm."""
    arms = sorted(units[ARM].astype(str).unique())
    if len(arms) < 2:
        shown = arms[0] if arms else "nothing"
        raise usage_error(
            source,
            f"column '{literal(arm_column)}' has only one arm ('{literal(shown)}'); a comparison "
            "needs a control and at least one treated arm",
            "Pass the full experiment, or the right {arm_col}",
        )
    if control not in arms:
        shown = ", ".join(f"'{arm}'" for arm in arms[:20])
        raise usage_error(
            source,
            f"control arm '{literal(control)}' is not in column '{literal(arm_column)}' "
            f"(arms: {literal(shown)})",
            "Pass one of them with {control}",
        )


def tiny_arm_error(
    labels: pd.Series, source: object, arm_column: str, parameter: str = "expected"
) -> InputError | None:
    """The error for an arm under 1% of the rows (a mistyped label such as 'sned'), or None.

    Only when the arms are not declared: ``parameter`` (``expected``, ``expected_fractions``)
    declares them and accepts a small arm on purpose.
    """
    sizes = labels.value_counts()
    tiny = sizes[sizes < TINY_ARM_SHARE * len(labels)]
    if not len(tiny) or len(sizes) < 2:
        return None
    arm, n = str(tiny.index[0]), int(tiny.iloc[0])
    others = f" (and {len(tiny) - 1} more)" if len(tiny) > 1 else ""
    return usage_error(
        source,
        f"column '{literal(arm_column)}' has an arm '{literal(arm)}' with only {n:,} of "
        f"{len(labels):,} rows (under 1%){others}, likely a mistyped label",
        f"Fix or drop those rows, or declare every arm with {{{parameter}=ARM=FRACTION,...}} "
        f"(including '{literal(arm)}') to accept it",
    )


def check_declared_arms(
    units: pd.DataFrame, options: AnalysisOptions, source: object, arm_column: str
) -> None:
    """Refuse arm labels outside ``expected_fractions``; without them, refuse an arm under 1% of
    the rows."""
    declared = sorted({arm for fractions in (options.expected_fractions or {}).values()
                       for arm in fractions})  # fmt: skip
    if declared:
        contracts.check_labels(
            units[ARM], declared, source, arm_column,
            "Fix those labels, or declare every arm in {expected_fractions}",
        )  # fmt: skip
        return
    error = tiny_arm_error(units[ARM], source, arm_column, "expected_fractions")
    if error is not None:
        raise error


# ---------------------------------------------------------------------------------------------
# Defaults from design.json


def window_days_from_campaign(window_days: int | None, meta: Mapping | None) -> int:
    """``window_days``, else the campaign's recorded window, else DEFAULT_WINDOW_DAYS."""
    if window_days is not None:
        return window_days
    recorded = ((meta or {}).get("campaign") or {}).get("window_days")
    if isinstance(recorded, int) and not isinstance(recorded, bool) and recorded >= 1:
        return recorded
    return DEFAULT_WINDOW_DAYS


def start_from_campaign(start: str | pd.Timestamp | None, meta: Mapping | None) -> pd.Timestamp:
    """``start``, else the campaign's recorded start; an orders file needs one of them."""
    if start is None and meta:
        start = (meta.get("campaign") or {}).get("start")
    if start is None:
        raise UsageError(
            "{start} is required with an orders file: the first day of the response window, "
            "e.g. {start=2026-08-21}"
        )
    return parse_date_option(start, "start", "2026-08-21")


def money_from_campaign(
    options: AnalysisOptions, campaign: Mapping | None, arms: set[str]
) -> tuple[AnalysisOptions, list[str]]:
    """Default --cost, --coupon and --margin from the campaign plan that `target` wrote into
    design.json (each channel: message_cost, coupon per redemption)."""
    used: list[str] = []
    if not isinstance(campaign, Mapping):
        return options, used
    channels = campaign.get("channels") or {}
    if not isinstance(channels, Mapping):
        channels = {}

    def per_channel(key: str) -> dict[str, float]:
        return {
            name: float(spec[key])
            for name, spec in channels.items()
            if name in arms and isinstance(spec, Mapping) and isinstance(spec.get(key), int | float)
        }

    costs = per_channel("message_cost")
    if not options.costs and costs:
        options = replace(options, costs=costs)
        used.append("cost per message")
    coupons = {name: value for name, value in per_channel("coupon").items() if value > 0}
    if not options.coupons and coupons:
        options = replace(options, coupons=coupons)
        used.append("coupon per conversion")
    if options.margin is None and isinstance(campaign.get("margin"), int | float):
        options = replace(options, margin=float(campaign["margin"]))
        used.append("margin")
    return options, used


def options_for_experiment(
    options: AnalysisOptions, meta: Mapping, arms_present: set[str]
) -> tuple[AnalysisOptions, list[str]]:
    """``options`` completed from an experiment's design.json: the control, the designed
    fractions and arm order, and the money of its campaign (with what was taken from it)."""
    control = options.control or meta.get("control_arm") or contracts.CONTROL_ARM
    # An imported campaign without --expected records no intended fractions: --expected here.
    fractions = meta.get("fractions") or options.expected_fractions or None
    arm_order = tuple(str(a) for a in meta.get("arms") or ())
    options = replace(options, control=control, expected_fractions=fractions, arm_order=arm_order)
    return money_from_campaign(options, meta.get("campaign"), arms_present)


def options_for_declared_arms(options: AnalysisOptions) -> AnalysisOptions:
    """A table's ``options``: the control label stripped, the arms in the order --expected
    declares them."""
    options = replace(options, control=options.control.strip())
    if options.expected_fractions and not options.arm_order:  # arms in the order declared
        declared = dict.fromkeys(a for f in options.expected_fractions.values() for a in f)
        options = replace(options, arm_order=tuple(declared))
    return options
