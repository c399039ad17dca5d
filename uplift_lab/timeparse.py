"""How the date and time columns of a user's file are read.

One format for a whole column (never value-by-value guessing), and the shop's wall-clock time
zone, so day boundaries (recency, response windows, as-of) are the shop's calendar days.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TimeParsing:
    """Options for parsing a file's date/time columns.

    ``date_format``: a strftime format used for every value (``"%d/%m/%Y %H:%M"``).
    ``dayfirst``: ``True``/``False`` forces day-first / month-first; ``None`` decides from the
    data and refuses a column where both readings parse every value but disagree.
    ``timezone``: an IANA zone (``"Asia/Shanghai"``); naive values are wall-clock times there and
    zone-aware values are converted to it. ``None`` keeps naive values as written and converts
    aware values to the offset of the column's first value.
    """

    date_format: str | None = None
    dayfirst: bool | None = None
    timezone: str | None = None


DEFAULT_TIME_PARSING = TimeParsing()
