"""How a contact schedule and its per-touch response are shown in the terminal and in JSON."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from rich import box
from rich.table import Table

from uplift_lab.report.tables import MISSING, keep_numbers_whole, percent_text, points_text
from uplift_lab.report.timing_report import TimingTable
from uplift_lab.schedule import TouchResponse


def _when(text: str | None) -> str:
    return MISSING if not text else pd.Timestamp(text).strftime("%Y-%m-%d %H:%M")


def _money(value: float | None) -> str:
    return MISSING if value is None else f"{value:,.2f}"


def schedule_table(meta: Mapping[str, Any]) -> Table:
    """One row per touch in send order: channel, send time, segments, sent, held out, cost."""
    table = Table(
        title=f"Schedule from {meta['start'][:10]}: {meta['messages']:,} messages",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
        padding=(0, 1, 0, 0),
    )
    for header, justify in (("touch", "left"), ("channel", "left"), ("send time", "left"),
                            ("segments", "left"), ("sent", "right"), ("holdout", "right"),
                            ("cost", "right")):  # fmt: skip
        table.add_column(header, justify=justify)
    for entry in meta["touches"]:
        segments = ", ".join(entry["segments"]) if entry["segments"] else "(all)"
        if entry["segments"] and entry["column"] != "lifecycle":
            segments = f"{entry['column']}: {segments}"
        table.add_row(
            entry["name"], entry["channel"], _when(entry["send_time"]), segments,
            f"{entry['customers']:,}", f"{entry['holdout']:,}", _money(entry["cost"]),
        )  # fmt: skip
    if meta.get("total_cost") is not None:
        table.add_row("total", "", "", "", f"{meta['messages']:,}", "", _money(meta["total_cost"]))
    keep_numbers_whole(table)
    table.columns[2].min_width = len("2026-11-11 19:00")  # a send time is never wrapped
    return table


def touch_table(response: TouchResponse, alpha: float = 0.05) -> Table:
    """One touch: send vs holdout customers, responders and response rate, and the lift."""
    effect = response.effect
    level = f"{(1 - alpha) * 100:g}%"
    if effect.error:
        caption = f"Lift not computed: {effect.error.replace('_', ' ')}."
    else:
        caption = (
            f"Lift {points_text(effect.difference)} pts [{level} CI {points_text(effect.ci_low)}, "
            f"{points_text(effect.ci_high)}], p = {effect.p_value:.3g}"
        )
    table = Table(
        title=f"Touch '{response.name}' ({response.channel})\norders from "
        f"{_when(response.send_time)} to {_when(response.window_end)}",
        title_justify="left",
        title_style="bold",
        caption=caption,
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("group")
    for header in ("customers", "responded", "response rate"):
        table.add_column(header, justify="right")
    for label, n, hits, rate in (
        ("send", response.sent, response.sent_responded, effect.treatment_mean),
        ("holdout", response.holdout, response.holdout_responded, effect.control_mean),
    ):
        table.add_row(label, f"{n:,}", f"{hits:,}", percent_text(rate))
    return keep_numbers_whole(table)


def touches_rows(responses: Sequence[TouchResponse], alpha: float = 0.05) -> TimingTable:
    """All touches in one table for report.md / report.html: window, send vs holdout, lift."""
    level = f"{(1 - alpha) * 100:g}%"
    rows = []
    for response in responses:
        effect = response.effect
        p_value = "-" if not math.isfinite(effect.p_value) else f"{effect.p_value:.3g}"
        rows.append(
            (
                response.name,
                response.channel,
                _when(response.send_time),
                _when(response.window_end),
                f"{response.sent:,}",
                percent_text(effect.treatment_mean),
                f"{response.holdout:,}",
                percent_text(effect.control_mean),
                points_text(effect.difference),
                f"[{points_text(effect.ci_low)}, {points_text(effect.ci_high)}]",
                p_value,
            )
        )
    caption = (
        "Per touch: customers with an order from its send time to the next touch to them (or "
        f"the window end), send vs the touch's holdout; lift in points with its {level} CI."
    )
    columns = ("touch", "channel", "orders from", "to", "sent", "send rate", "held out",
               "holdout rate", "lift", f"{level} CI", "p")  # fmt: skip
    return TimingTable("Response per touch of the schedule", columns, tuple(rows), caption, 4)
