"""Send vs holdout response by hour of day or day of the window: terminal table and JSON."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

from rich import box
from rich.table import Table

from uplift_lab.report.labels import EN, Labels
from uplift_lab.report.tables import keep_numbers_whole, percent_text, points_text
from uplift_lab.timing import SliceResponse, best_slices

HOW = {"hour": "hour of day of the order", "day": "day of the window, 1 = its first"}


def by_time_table(
    responses: Sequence[SliceResponse], alpha: float = 0.05, labels: Labels = EN
) -> Table:
    """One row per slice and treated arm: response rates, lift in points with CI, p-value."""
    unit = responses[0].unit if responses else "hour"
    level = f"{(1 - alpha) * 100:g}%"
    best = best_slices(responses)
    picks = ", ".join(f"{arm}: {unit} {value}" for arm, value in best.items()) or "none"
    table = Table(
        title=labels("Response by {unit} ({how})", unit=labels(unit), how=labels(HOW[unit])),
        title_justify="left",
        title_style="bold",
        caption=f"A customer responds in {'an' if unit == 'hour' else 'a'} {unit} with at least "
        "one order in it (slices overlap). "
        f"Lift in points with its {level} CI. Highest lift with a CI above 0: {picks}.",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column(labels(unit), justify="right")
    table.add_column(labels("arm"))
    for header in ("send", "holdout", "lift", "{level} CI", "p"):
        table.add_column(labels(header, level=level), justify="right")
    for response in responses:
        effect = response.effect
        interval = f"[{points_text(effect.ci_low)}, {points_text(effect.ci_high)}]"
        p_value = "-" if not math.isfinite(effect.p_value) else f"{effect.p_value:.3g}"
        table.add_row(
            str(response.slice),
            labels.value(response.arm),
            percent_text(effect.treatment_mean),
            percent_text(effect.control_mean),
            points_text(effect.difference),
            interval,
            p_value,
        )
    return keep_numbers_whole(table)


def by_time_payload(responses: Sequence[SliceResponse]) -> list[dict[str, Any]]:
    """report.json's ``by_time``: every number of each slice (``report_payload`` turns NaN into
    null with the rest of the report)."""
    return [dataclasses.asdict(response) for response in responses]
