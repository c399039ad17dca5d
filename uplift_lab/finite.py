"""One rule for numbers that strict JSON cannot hold: a non-finite float (or None) is None.

Steps use it where a missing value is part of what they return (an SRM statistic that could not
be computed, a decile without one arm); ``io``'s JSON writer applies the same rule to everything
it writes, so a NaN never reaches a file.
"""

from __future__ import annotations

import math
from typing import Any


def finite_or_none(value: Any) -> float | None:
    """``value`` as a float, or None when it is None, NaN or infinite."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None
