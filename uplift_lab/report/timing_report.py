"""Send vs holdout response by hour of day or day of the window: terminal table and JSON."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

from rich import box
from rich.table import Table

from uplift_lab.report.tables import keep_numbers_whole
from uplift_lab.timing import SliceResponse, best_slices

HOW = {"hour": "hour of day of the order", "day": "day of the window, 1 = its first"}


def _points(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{value * 100:+.2f}"


def _percent(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{value * 100:.2f}%"


def by_time_table(responses: Sequence[SliceResponse], alpha: float = 0.05) -> Table:
    """One row per slice and treated arm: response rates, lift in points with CI, p-value."""
    unit = responses[0].unit if responses else "hour"
    level = f"{(1 - alpha) * 100:g}%"
    best = best_slices(responses)
    picks = ", ".join(f"{arm}: {unit} {value}" for arm, value in best.items()) or "none"
    table = Table(
        title=f"Response by {unit} ({HOW[unit]})",
        title_justify="left",
        title_style="bold",
        caption=f"A customer responds in {'an' if unit == 'hour' else 'a'} {unit} with at least "
        "one order in it (slices overlap). "
        f"Lift in points with its {level} CI. Highest lift with a CI above 0: {picks}.",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column(unit, justify="right")
    table.add_column("arm")
    for header in ("send", "holdout", "lift", f"{level} CI", "p"):
        table.add_column(header, justify="right")
    for response in responses:
        effect = response.effect
        interval = f"[{_points(effect.ci_low)}, {_points(effect.ci_high)}]"
        p_value = "-" if not math.isfinite(effect.p_value) else f"{effect.p_value:.3g}"
        table.add_row(
            str(response.slice),
            response.arm,
            _percent(effect.treatment_mean),
            _percent(effect.control_mean),
            _points(effect.difference),
            interval,
            p_value,
        )
    return keep_numbers_whole(table)


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def by_time_payload(responses: Sequence[SliceResponse]) -> list[dict[str, Any]]:
    """report.json's ``by_time``: every number of each slice (NaN as null)."""
    return [_clean(dataclasses.asdict(response)) for response in responses]
