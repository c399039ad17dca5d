"""Equality of two engines' results: the same keys and types, numbers equal to rounding."""

from __future__ import annotations

import math
from typing import Any

RELATIVE = 1e-9  # sums in another order differ in the last bits, never more


def differences(left: Any, right: Any, path: str = "", rel: float = RELATIVE) -> list[str]:
    """Paths where ``left`` and ``right`` differ (floats compared to ``rel``)."""
    if isinstance(left, dict) and isinstance(right, dict):
        out = [f"{path}: keys {sorted(set(left) ^ set(right))}"] if set(left) != set(right) else []
        for key in left.keys() & right.keys():
            out += differences(left[key], right[key], f"{path}.{key}", rel)
        return out
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        if len(left) != len(right):
            return [f"{path}: length {len(left)} != {len(right)}"]
        return [
            d
            for i, (a, b) in enumerate(zip(left, right, strict=True))
            for d in differences(a, b, f"{path}[{i}]", rel)
        ]
    if isinstance(left, float) and isinstance(right, float | int) and not isinstance(right, bool):
        if math.isnan(left) and math.isnan(right):
            return []
        if math.isclose(left, right, rel_tol=rel, abs_tol=1e-12):
            return []
        return [f"{path}: {left!r} != {right!r}"]
    if type(left) is not type(right) or left != right:
        return [f"{path}: {left!r} != {right!r}"]
    return []
