"""Send vs holdout response by hour of day, day of the window or hours since the send, and the
recommended send hour per segment: terminal tables, report sections, JSON and a figure.

Each table is formatted once (:func:`by_time_rows`, :func:`send_hour_rows`) and shown by rich in
the terminal and as a Markdown/HTML section of report.md / report.html.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

from rich import box
from rich.table import Table

from uplift_lab.report.labels import EN, Labels
from uplift_lab.report.plots import response_curves_png as draw
from uplift_lab.report.tables import keep_numbers_whole, percent_text, points_text
from uplift_lab.timing import RECOMMEND_RULE, SINCE_SEND, SendHourAdvice, SliceResponse, best_slices

HOW = {
    "hour": "hour of day of the order",
    "day": "day of the window, 1 = its first",
    SINCE_SEND: "hours since the customer's send, 0 = the first hour",
}
UNIT_HEADER = {"hour": "hour", "day": "day", SINCE_SEND: "hours"}
NO_CLEAR_HOUR = "no clear best hour"
SEND_HOURS_TITLE = "Recommended send hour per segment"


@dataclasses.dataclass(frozen=True, slots=True)
class TimingTable:
    """One formatted table: title, headers, rows, caption; numbers from ``numeric_from`` on."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str
    numeric_from: int
    first_numeric: bool = False  # the first column is a number (hour, day)


def _level(alpha: float) -> str:
    return f"{(1 - alpha) * 100:g}%"


def by_time_rows(responses: Sequence[SliceResponse], alpha: float = 0.05) -> TimingTable:
    """One row per slice and treated arm (or touch): response rates, lift in points with CI, p."""
    unit = responses[0].unit if responses else "hour"
    level = _level(alpha)
    best = best_slices(responses)
    slice_word = {"hour": "hour", "day": "day", SINCE_SEND: "hour"}[unit]
    picks = ", ".join(f"{arm}: {slice_word} {value}" for arm, value in best.items()) or "none"
    article = "an" if slice_word == "hour" else "a"
    if unit == SINCE_SEND:
        title = "Response by hours since the send"
        caption = (
            f"A customer responds in hour h with an order from h to h + 1 hours after their "
            f"send, before the next touch to them or the window end; the holdout is aligned to "
            f"the same send time. Lift in points with its {level} CI. Highest lift "
            f"with a CI above 0: {picks}."
        )
        label_header = "touch/arm"
    else:
        title = f"Response by {unit} ({HOW[unit]})"
        caption = (
            f"A customer responds in {article} {unit} with at least one order in it (slices "
            f"overlap). Lift in points with its {level} CI. Highest lift with a CI above 0: "
            f"{picks}."
        )
        label_header = "arm"
    rows = []
    for response in responses:
        effect = response.effect
        p_value = "-" if not math.isfinite(effect.p_value) else f"{effect.p_value:.3g}"
        rows.append(
            (
                str(response.slice),
                response.arm,
                percent_text(effect.treatment_mean),
                percent_text(effect.control_mean),
                points_text(effect.difference),
                f"[{points_text(effect.ci_low)}, {points_text(effect.ci_high)}]",
                p_value,
            )
        )
    columns = (UNIT_HEADER[unit], label_header, "send", "holdout", "lift", f"{level} CI", "p")
    return TimingTable(title, columns, tuple(rows), caption, numeric_from=2, first_numeric=True)


def send_hour_rows(advice: Sequence[SendHourAdvice], alpha: float = 0.05) -> TimingTable:
    """One row per segment and treated arm: the recommended send hour or 'no clear best hour'."""
    level = f"{(1 - alpha / 24) * 100:.4g}%"
    rows = []
    for item in advice:
        hour = NO_CLEAR_HOUR if item.hour is None else f"{item.hour:02d}:00"
        best = "-" if item.best_hour is None else f"{item.best_hour:02d}:00"
        rows.append(
            (
                item.segment,
                item.arm,
                hour,
                best,
                points_text(item.lift),
                f"[{points_text(item.ci_low)}, {points_text(item.ci_high)}]",
                points_text(item.mean_lift),
            )
        )
    caption = (
        f"Send hour: {RECOMMEND_RULE}. Best: the hour with the largest measured lift, with its "
        f"{level} CI in points; mean: the mean lift of the 24 hours. Send at the start of the hour."
    )
    columns = ("segment", "arm", "send hour", "best", "lift", f"{level} CI", "mean")
    return TimingTable(SEND_HOURS_TITLE, columns, tuple(rows), caption, 4)


def localized(formatted: TimingTable, labels: Labels = EN) -> TimingTable:
    """The table in ``labels``' language: title, headers and the text cells (arms, segments,
    'no clear best hour'); numbers and the caption as they are."""
    if labels is EN:
        return formatted

    def header(text: str) -> str:
        if text.endswith(" CI"):
            return labels("{level} CI", level=text[: -len(" CI")])
        return labels(text)

    def cells(row: tuple[str, ...]) -> tuple[str, ...]:
        first_text = 1 if formatted.first_numeric else 0
        return tuple(
            labels.value(cell) if first_text <= index < formatted.numeric_from else cell
            for index, cell in enumerate(row)
        )

    return dataclasses.replace(
        formatted,
        title=labels(formatted.title),
        columns=tuple(header(text) for text in formatted.columns),
        rows=tuple(cells(row) for row in formatted.rows),
    )


def rich_table(formatted: TimingTable, labels: Labels = EN) -> Table:
    """A :class:`TimingTable` as a rich table with right-justified numbers (the send hours'
    columns two spaces apart, so 'no clear best hour' fits 80 columns)."""
    compact = formatted.title == SEND_HOURS_TITLE
    formatted = localized(formatted, labels)
    table = Table(
        title=formatted.title,
        title_justify="left",
        title_style="bold",
        caption=formatted.caption,
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        **({"padding": (0, 1, 0, 0), "collapse_padding": True} if compact else {}),
    )
    for index, header in enumerate(formatted.columns):
        right = index >= formatted.numeric_from or (index == 0 and formatted.first_numeric)
        justify = "right" if right else "left"
        table.add_column(header, justify=justify)
    for row in formatted.rows:
        table.add_row(*row)
    return keep_numbers_whole(table)


def timing_tables(analysis) -> list[TimingTable]:
    """Every timing table of an analysis, in reading order (none without the flags)."""
    alpha = analysis.options.alpha
    out = []
    if analysis.by_time:
        out.append(by_time_rows(analysis.by_time, alpha))
    if analysis.send_hours:
        out.append(send_hour_rows(analysis.send_hours, alpha))
    if analysis.since_send:
        out.append(by_time_rows(analysis.since_send, alpha))
    return out


def by_time_payload(responses: Sequence[SliceResponse]) -> list[dict[str, Any]]:
    """report.json's ``by_time`` / ``since_send``: every number of each slice
    (io.write_json writes NaN as null with the rest of the report)."""
    return [dataclasses.asdict(response) for response in responses]


def send_hours_payload(advice: Sequence[SendHourAdvice]) -> dict[str, Any]:
    """report.json's ``send_hours``: the rule and one entry per segment and arm."""
    return {"rule": RECOMMEND_RULE, "segments": [dataclasses.asdict(a) for a in advice]}


# --------------------------------------------------------------------------------------------
# Figure


def response_curves_png(responses: Sequence[SliceResponse], alpha: float = 0.05) -> bytes:
    """Send vs holdout response per slice with CIs, one panel per arm or touch."""
    unit = responses[0].unit
    panels: dict[str, list[SliceResponse]] = {}
    for response in responses:
        panels.setdefault(response.arm, []).append(response)
    curves = {
        label: [
            (
                item.slice,
                item.treated_responded,
                item.treated,
                item.control_responded,
                item.control,
            )
            for item in items
        ]
        for label, items in panels.items()
    }
    title = {
        "hour": "Response by hour of day",
        "day": "Response by day of the window",
        SINCE_SEND: "Response by hours since the send",
    }[unit]
    return draw(curves, title=title, xlabel=HOW[unit], alpha=alpha)
