"""Terminal view of an experiment design: strata x arms with counts and MDE."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from uplift_lab.contracts import STRATUM
from uplift_lab.design import ExperimentDesign
from uplift_lab.power import OVERALL
from uplift_lab.report.labels import EN, Labels
from uplift_lab.report.notice_text import notice_texts
from uplift_lab.report.tables import keep_numbers_whole


def _percent(value: float | None, digits: int = 2) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.{digits}%}"


@dataclass(frozen=True, slots=True)
class _Layout:
    """What the table shows: the MDE rows by (stratum, arm) and which values move to the header."""

    mde: dict[tuple[str, str], Any]
    imbalance: dict[str, int]
    with_target: bool
    baselines: set[float]
    same_baseline: bool
    same_fractions: bool


def _layout(design: ExperimentDesign) -> _Layout:
    power = design.power
    flagged = design.balance.flagged
    strata_rows = power.table[power.table[STRATUM] != OVERALL]
    baselines = set(strata_rows["baseline"].round(12))
    fractions = design.assignment.fractions
    return _Layout(
        mde={(row.stratum, row.arm): row for row in power.table.itertuples(index=False)},
        imbalance=flagged.groupby(STRATUM).size().to_dict() if len(flagged) else {},
        with_target=power.target_lift is not None,
        baselines=baselines,
        same_baseline=len(baselines) <= 1,
        same_fractions=len({tuple(f.values()) for f in fractions.values()}) <= 1,
    )


def design_warnings(design: ExperimentDesign, labels: Labels = EN) -> tuple[str, ...]:
    """The design's warnings in words (small holdouts, MDE above the target, imbalance), as
    design.json keeps them."""
    return notice_texts(design.warnings, labels)


def design_table(design: ExperimentDesign, width: int | None = None, labels: Labels = EN) -> Table:
    """Strata x arms: customers per arm, MDE of every treated arm vs control, and notes.

    With a terminal ``width`` too narrow for the notes column, the notes move under the table
    (one line per stratum), so no number and no note is cut.

    MDE is the minimum detectable absolute lift in conversion rate (two-sided test at the
    design's alpha and power) over the stratum's baseline; "-" means nothing below 100% is
    detectable. "needed" is the control share that would detect the target lift (">50%": not
    even a 50/50 split would). Shares and baselines that are the same in every stratum move to
    the header and title, so the table stays narrow.
    """
    result = design.assignment
    layout = _layout(design)
    table = Table(
        title=_title(design, layout, labels),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 1, 0, 0),
    )
    _add_columns(table, design, layout, labels)
    notes_below: list[str] = []

    def add(stratum: str, counts: dict[str, int], notes: list[str], **style: str) -> None:
        cells, notes = _row(stratum, counts, notes, design, layout, labels)
        if notes:
            notes_below.append(f"{_stratum_label(stratum, labels)}: {', '.join(notes)}")
        table.add_row(*cells, **style)

    totals = {arm: 0 for arm in result.arms}
    for stratum, counts in result.counts.items():
        for arm, n in counts.items():
            totals[arm] += n
        add(stratum, counts, _stratum_notes(stratum, design, layout, labels))
    table.add_section()
    add(OVERALL, totals, [], style="bold")
    keep_numbers_whole(table)
    if width is not None and notes_below and _minimum_width(table) > width:
        index = len(table.columns) - 1
        table.columns.pop(index)
        table.caption = labels("notes") + ": " + "; ".join(notes_below)
        table.caption_justify = "left"
    return table


def _title(design: ExperimentDesign, layout: _Layout, labels: Labels) -> str:
    """Name and size, and the values every stratum shares (baseline, alpha, power, target)."""
    power = design.power
    title = labels(
        "Experiment '{name}': {customers} customers",
        name=design.assignment.name,
        customers=f"{len(design.assignment.assignment):,}",
    )
    if layout.same_baseline and layout.baselines:
        title += labels(", baseline {baseline}", baseline=_percent(next(iter(layout.baselines))))
    title += labels(", alpha {alpha}, power {power}", alpha=f"{power.alpha:g}",
                    power=f"{power.power:g}")  # fmt: skip
    if layout.with_target:
        title += labels(", target lift {lift}", lift=_percent(power.target_lift))
    return title


def _add_columns(table: Table, design: ExperimentDesign, layout: _Layout, labels: Labels) -> None:
    result = design.assignment
    widest = max((len(label) for label in result.counts), default=7)
    table.add_column(labels("stratum"), no_wrap=True, min_width=min(max(widest, 9), 24))
    table.add_column(labels("n"), justify="right", no_wrap=True)
    first_fractions = next(iter(result.fractions.values()), {})
    for arm in result.arms:
        name = labels.value(arm)
        header = f"{name}\n{first_fractions.get(arm, 0):.0%}" if layout.same_fractions else name
        table.add_column(header, justify="right", no_wrap=True)
    if not layout.same_baseline:
        table.add_column(labels("base"), justify="right")
    for arm in result.treated_arms:
        label = (
            labels("MDE")
            if len(result.treated_arms) == 1
            else labels("MDE\n{arm}", arm=labels.value(arm))
        )
        table.add_column(label, justify="right", no_wrap=True)
    if layout.with_target:
        table.add_column(labels("needed"), justify="right", no_wrap=True)
    table.add_column(labels("notes"))


def _stratum_notes(
    stratum: str, design: ExperimentDesign, layout: _Layout, labels: Labels
) -> list[str]:
    if stratum in design.small_holdouts:
        return [labels("holdout<{n}", n=design.min_holdout)]
    if stratum in layout.imbalance:  # in a small holdout, chance alone gives large SMDs
        return [
            labels("SMD>{threshold} x{count}", threshold=f"{design.balance.threshold:g}",
                   count=layout.imbalance[stratum])
        ]  # fmt: skip
    return []


def _row(
    stratum: str,
    counts: dict[str, int],
    notes: list[str],
    design: ExperimentDesign,
    layout: _Layout,
    labels: Labels,
) -> tuple[list[str], list[str]]:
    """The cells of one stratum's row, and its notes (MDE>target added)."""
    result = design.assignment
    size = sum(counts.values())
    cells = [_stratum_label(stratum, labels), f"{size:,}"]
    for arm in result.arms:
        n = counts.get(arm, 0)
        share = "" if layout.same_fractions or not size else f" ({n / size:.0%})"
        cells.append(f"{n:,}{share}")
    mde = layout.mde
    rows = [mde[(stratum, arm)] for arm in result.treated_arms if (stratum, arm) in mde]
    if not layout.same_baseline:
        cells.append(_percent(rows[0].baseline if rows else None))
    cells.extend(_percent(row.mde) for row in rows)
    if layout.with_target:
        needed = rows[0].holdout_needed if rows else float("nan")
        cells.append(">50%" if math.isnan(needed) else _percent(needed, 1))
        if any(row.mde_above_target for row in rows):
            notes = [*notes, labels("MDE>target")]
    cells.append(", ".join(notes))
    return cells, notes


def _stratum_label(stratum: str, labels: Labels) -> str:
    """A stratum such as ``silent|sms`` with each part translated."""
    return "|".join(labels.value(part) for part in stratum.split("|"))


def _minimum_width(table: Table) -> int:
    """The narrowest a table can be drawn with every number whole (not clamped to a screen)."""
    console = Console(width=10_000)
    return Measurement.get(console, console.options, table).minimum
