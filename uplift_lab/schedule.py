"""Multi-touch contact schedules: a touch plan -> per-touch send lists, and each touch's response.

A touch (TOML ``[[touch]]``: name, channel, day from the campaign start, time "HH:MM", optional
segment values of one segment column) reaches **every treated customer** of the experiment in its
segments, whatever their arm (field practice: the arms split send from holdout, the plan decides
the channels); the experiment's control arm is held out of every touch. Pure: frames in, frozen
dataclasses out (reading and writing live in :mod:`uplift_lab.workflows.schedule`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from uplift_lab import stats
from uplift_lab.contracts import AMOUNT, ARM, CUSTOMER_ID, LIFECYCLE, ORDER_TIME
from uplift_lab.errors import InputError, Named, input_error, literal, usage_error

SEND_TIME = "send_time"
CHANNEL = "channel"
TOUCH_KEYS = frozenset({"name", "channel", "day", "time", "segments", "column", "cost"})
TOP_KEYS = frozenset({"touch", "costs"})
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
# Names become file names: no path separators, no characters Windows refuses, no leading dot.
_BAD_NAME_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
MAX_NAME_LENGTH = 100
TOUCH_EXAMPLE = '[[touch]] name = "preheat", channel = "edm", day = -2, time = "15:50"'


@dataclass(frozen=True, slots=True)
class Touch:
    """One planned contact: who (segment values of ``column``; empty = everyone), how, when."""

    name: str
    channel: str
    day: int
    time: str
    column: str = LIFECYCLE
    segments: tuple[str, ...] = ()
    cost_per_message: float | None = None


@dataclass(frozen=True, slots=True, eq=False)
class TouchList:
    """A touch's send list (customer_id, channel, send_time) and its held-out customers."""

    touch: Touch
    send_time: pd.Timestamp
    sends: pd.DataFrame
    holdout_ids: tuple[str, ...]
    next_send_time: pd.Timestamp | None

    @property
    def cost(self) -> float | None:
        if self.touch.cost_per_message is None:
            return None
        return self.touch.cost_per_message * len(self.sends)


@dataclass(frozen=True, slots=True, eq=False)
class Schedule:
    """Every touch's list, in send-time order, and the arms they came from."""

    start: pd.Timestamp
    control_arm: str
    treated_arms: tuple[str, ...]
    touches: tuple[TouchList, ...]
    customers_not_segmented: int


@dataclass(frozen=True, slots=True)
class TouchResponse:
    """One touch's response window [send_time, end) and send vs holdout conversion in it.

    ``effect`` is the two-proportion comparison of :func:`uplift_lab.stats.proportion_difference`
    (its ``error`` names a degenerate case, e.g. an empty holdout or a window of no length).
    """

    name: str
    channel: str
    send_time: str
    window_end: str
    sent: int
    sent_responded: int
    holdout: int
    holdout_responded: int
    effect: stats.EffectResult


# --------------------------------------------------------------------------------------------
# The touch file


def _touch_error(source: object, index: int, problem: str, fix: str = "") -> InputError:
    return input_error(source, f"[[touch]] #{index + 1}: {problem}", fix or None)


def check_touch_name(name: object, source: object, index: int) -> str:
    """A touch name usable as a file name on every system (``<name>.csv``)."""
    if not isinstance(name, str) or not name.strip():
        raise _touch_error(source, index, 'needs a name, e.g. name = "preheat"')
    if (
        name != name.strip()
        or name.startswith(".")
        or _BAD_NAME_CHARS.search(name)
        or len(name) > MAX_NAME_LENGTH
    ):
        raise _touch_error(
            source,
            index,
            f"name '{name}' cannot be a file name",
            "Use letters, digits, '_' or '-' (no '/', '\\', ':', leading dot or spaces at the "
            f"ends; at most {MAX_NAME_LENGTH} characters)",
        )
    return name


def parse_time_of_day(text: object, source: object, index: int) -> str:
    """ "HH:MM" on a 24-hour clock, normalised to two digits each."""
    match = _TIME.match(text) if isinstance(text, str) else None
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise _touch_error(source, index, f"time {text!r} is not HH:MM", 'Use e.g. time = "15:50"')
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def _cost(value: object, where: str, source: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise input_error(source, f"{where} must be a number >= 0. Got {value!r} instead")
    if not math.isfinite(value):
        raise input_error(source, f"{where} must be finite. Got {value!r} instead")
    return float(value)


def parse_touches(payload: Mapping[str, object], source: object) -> tuple[Touch, ...]:
    """The ``[[touch]]`` entries of a touch file (and its optional ``[costs]`` per channel)."""
    unknown = sorted(set(payload) - TOP_KEYS)
    if unknown:
        raise input_error(
            source,
            f"unknown key '{unknown[0]}'",
            "A touch file has [[touch]] entries and an optional [costs] table",
        )
    entries = payload.get("touch")
    if not isinstance(entries, list) or not entries:
        raise input_error(source, "has no [[touch]] entries", f"Add one, e.g. {TOUCH_EXAMPLE}")
    costs = payload.get("costs", {})
    if not isinstance(costs, dict):
        raise input_error(source, "[costs] must be a table of channel = cost per message")
    costs = {str(k): _cost(v, f"[costs] {k}", source) for k, v in costs.items()}
    touches: list[Touch] = []
    seen: dict[str, str] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise _touch_error(source, index, "is not a table", f"Write {TOUCH_EXAMPLE}")
        extra = sorted(set(entry) - TOUCH_KEYS)
        if extra:
            raise _touch_error(
                source,
                index,
                f"unknown key '{extra[0]}'",
                f"A touch has {', '.join(sorted(TOUCH_KEYS))}",
            )
        for key in ("name", "channel", "day", "time"):
            if key not in entry:
                raise _touch_error(source, index, f"has no '{key}'", f"Write {TOUCH_EXAMPLE}")
        name = check_touch_name(entry["name"], source, index)
        if name.casefold() in seen:  # file names clash on case-insensitive file systems
            raise _touch_error(
                source, index, f"duplicate touch name '{name}' (also '{seen[name.casefold()]}')",
                "Give every touch its own name",
            )  # fmt: skip
        seen[name.casefold()] = name
        channel = entry["channel"]
        if not isinstance(channel, str) or not channel.strip():
            raise _touch_error(source, index, f"channel {channel!r} is not a name", 'e.g. "sms"')
        day = entry["day"]
        if isinstance(day, bool) or not isinstance(day, int):
            raise usage_error(
                source, f"[[touch]] #{index + 1}: day {literal(repr(day))} is not a whole number "
                "of days from {start}", "e.g. day = -2",
            )  # fmt: skip
        column = entry.get("column", LIFECYCLE)
        if not isinstance(column, str) or not column:
            raise _touch_error(source, index, f"column {column!r} is not a column name")
        segments = entry.get("segments", [])
        if isinstance(segments, str):
            segments = [segments]
        if not isinstance(segments, list) or not all(
            isinstance(v, str | int) and not isinstance(v, bool) for v in segments
        ):
            raise _touch_error(
                source, index, f"segments {segments!r} must be a list of segment values",
                'e.g. segments = ["semi_active", "silent"]',
            )  # fmt: skip
        if "cost" in entry:
            cost = _cost(entry["cost"], f"[[touch]] #{index + 1} cost", source)
        else:
            cost = costs.get(channel)
        touches.append(
            Touch(
                name=name,
                channel=channel.strip(),
                day=day,
                time=parse_time_of_day(entry["time"], source, index),
                column=column,
                segments=tuple(dict.fromkeys(str(v) for v in segments)),
                cost_per_message=cost,
            )
        )
    return tuple(touches)


def send_time(start: pd.Timestamp, touch: Touch) -> pd.Timestamp:
    """``start``'s day + ``touch.day`` days, at ``touch.time``."""
    hours, minutes = (int(part) for part in touch.time.split(":"))
    return pd.Timestamp(start).normalize() + pd.Timedelta(
        days=touch.day, hours=hours, minutes=minutes
    )


# --------------------------------------------------------------------------------------------
# Send lists


def _segment_values(segments: pd.DataFrame, column: str) -> pd.Series:
    values = segments[column]
    return values.astype("string").fillna("").astype(str)


def schedule_touches(
    touches: Sequence[Touch],
    segments: pd.DataFrame,
    assignment: pd.DataFrame,
    *,
    control_arm: str,
    start: pd.Timestamp,
    segments_source: object = Named("segments"),
) -> Schedule:
    """Per touch: the treated customers of its segments (sorted by id), and its held-out ones.

    ``segments`` has customer_id and the segment columns; ``assignment`` has customer_id and arm.
    Customers of the experiment missing from ``segments`` are in no touch (counted).
    """
    columns = sorted({touch.column for touch in touches})
    missing = [c for c in (CUSTOMER_ID, *columns) if c not in segments.columns]
    if missing:
        shown = literal(", ".join(map(str, segments.columns[:20])))
        raise usage_error(
            segments_source,
            f"has no column '{literal(missing[0])}' (it has: {shown})",
            'Name an existing column in the touch\'s column = "..."',
        )
    for touch in touches:
        known = set(_segment_values(segments, touch.column))
        unknown = [value for value in touch.segments if value not in known]
        if unknown:
            shown = ", ".join(sorted(known)[:12])
            raise usage_error(
                segments_source,
                f"touch '{literal(touch.name)}': column '{literal(touch.column)}' has no value "
                f"'{literal(unknown[0])}'",
                f"It has: {literal(shown)}",
            )
    arms = assignment[[CUSTOMER_ID, ARM]].astype({ARM: str})
    joined = arms.merge(
        segments[[CUSTOMER_ID, *columns]], on=CUSTOMER_ID, how="inner", validate="one_to_one"
    ).sort_values(CUSTOMER_ID, kind="stable")
    held = joined[ARM].to_numpy() == control_arm
    lists: list[tuple[Touch, pd.Timestamp, pd.DataFrame, tuple[str, ...]]] = []
    for touch in touches:
        values = _segment_values(joined, touch.column).to_numpy()
        eligible = np.isin(values, touch.segments) if touch.segments else np.ones(len(joined), bool)
        when = send_time(start, touch)
        ids = joined[CUSTOMER_ID].to_numpy()[eligible & ~held]
        sends = pd.DataFrame(
            {CUSTOMER_ID: ids, CHANNEL: touch.channel, SEND_TIME: [when] * len(ids)}
        )
        sends[SEND_TIME] = pd.to_datetime(sends[SEND_TIME])
        lists.append((touch, when, sends, tuple(joined[CUSTOMER_ID].to_numpy()[eligible & held])))
    lists.sort(key=lambda item: item[1])  # stable: touches at one time keep the file's order
    members = [set(item[2][CUSTOMER_ID]) | set(item[3]) for item in lists]
    result = []
    for i, (touch, when, sends, holdout_ids) in enumerate(lists):
        later = [
            other_when
            for j, (_, other_when, _, _) in enumerate(lists)
            if other_when > when and members[i] & members[j]
        ]
        result.append(TouchList(touch, when, sends, holdout_ids, min(later) if later else None))
    treated = tuple(sorted(a for a in set(arms[ARM]) if a != control_arm))
    return Schedule(
        start=pd.Timestamp(start).normalize(),
        control_arm=control_arm,
        treated_arms=treated,
        touches=tuple(result),
        customers_not_segmented=len(arms) - len(joined),
    )


# --------------------------------------------------------------------------------------------
# Response per touch


def responders(orders: pd.DataFrame, begin: pd.Timestamp, end: pd.Timestamp) -> set[str]:
    """Customers with at least one counted order (amount >= 0) in [begin, end)."""
    times = orders[ORDER_TIME]
    window = orders[(times >= begin) & (times < end) & (orders[AMOUNT] >= 0)]
    return set(window[CUSTOMER_ID].astype(str))


def touch_response(
    name: str,
    channel: str,
    sent_ids: Sequence[str],
    holdout_ids: Sequence[str],
    orders: pd.DataFrame,
    begin: pd.Timestamp,
    end: pd.Timestamp,
    *,
    alpha: float = 0.05,
    ci: str = "newcombe",
) -> TouchResponse:
    """Send vs holdout conversion in [begin, end), compared by the two-proportion machinery."""
    responded = responders(orders, begin, end) if end > begin else set()
    sent_hits = sum(1 for c in sent_ids if c in responded)
    held_hits = sum(1 for c in holdout_ids if c in responded)
    effect = stats.proportion_difference(
        stats.SampleStats(len(holdout_ids), float(held_hits), float(held_hits)),
        stats.SampleStats(len(sent_ids), float(sent_hits), float(sent_hits)),
        alpha=alpha,
        ci=ci,
    )
    return TouchResponse(
        name=name,
        channel=channel,
        send_time=begin.isoformat(),
        window_end=end.isoformat(),
        sent=len(sent_ids),
        sent_responded=sent_hits,
        holdout=len(holdout_ids),
        holdout_responded=held_hits,
        effect=effect,
    )
