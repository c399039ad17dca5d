"""Render an :class:`~uplift_lab.analysis_results.Analysis`: terminal tables, Markdown, HTML and
JSON (:func:`report_documents`; :mod:`uplift_lab.workflows.analyze` writes them).

The numbers are formatted once into :class:`Section` tables (:mod:`.analyze_tables`,
:mod:`.analyze_money`), and every output (rich, Markdown, HTML) renders the same sections, so
the terminal and the shared files never disagree.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from rich import box
from rich.markup import escape
from rich.table import Table

from uplift_lab import __version__
from uplift_lab.analysis_inputs import ALL_SEGMENTS
from uplift_lab.analysis_results import Analysis
from uplift_lab.report import plots
from uplift_lab.report.analyze_money import money_section, summary_section
from uplift_lab.report.analyze_tables import (
    OVERALL_LABEL,
    Section,
    arms_section,
    capped_section,
    comparisons_of,
    conversion_section,
    cuped_section,
    overall_of,
    revenue_section,
    segment_arms_section,
    segment_label,
    srm_section,
    versus_title,
)
from uplift_lab.report.labels import EN, Labels
from uplift_lab.report.notice_text import render_notice
from uplift_lab.report.rendering import template_environment
from uplift_lab.report.schedule_report import touches_rows
from uplift_lab.report.tables import drawn_width
from uplift_lab.report.timing_report import (
    by_time_payload,
    by_time_rows,
    localized,
    response_curves_png,
    send_hour_rows,
    send_hours_payload,
)


def _without_overall(section: Section, labels: Labels = EN) -> Section:
    rows = tuple(row for row in section.rows if row[0] != labels(OVERALL_LABEL))
    return dataclasses.replace(section, rows=rows)


def sections(analysis: Analysis, labels: Labels = EN) -> list[Section]:
    """Every table of the report, in reading order (no overall row with a single segment)."""
    out = _sections(analysis, labels)
    if len(analysis.segments) == 1:
        out = [_without_overall(section, labels) for section in out]
    return out


def _sections(analysis: Analysis, labels: Labels = EN) -> list[Section]:
    return [block for kind, block in _layout(analysis, labels) if kind == "table"]


def _layout(analysis: Analysis, labels: Labels = EN) -> list[tuple[str, Any]]:
    """The report in reading order: ("table", Section) and ("figure", figure stem) blocks, each
    figure right after the tables it illustrates."""
    out: list[tuple[str, Any]] = [("table", arms_section(analysis, labels)), ("figure", "daily")]
    if len(analysis.segments) > 1:
        out.append(("table", segment_arms_section(analysis, labels)))
    out.append(("figure", "conversion"))
    for index, arm in enumerate(analysis.treated_arms, start=1):
        tables = [conversion_section(analysis, arm, labels)]
        if analysis.has_revenue:
            tables += [
                revenue_section(analysis, arm, labels),
                capped_section(analysis, arm, labels),
                cuped_section(analysis, arm, labels),
            ]
        tables.append(money_section(analysis, arm, labels))
        out.extend(("table", table) for table in tables if table)
        out += [("figure", f"lift_{index}"), ("figure", f"revenue_lift_{index}")]
    srm = srm_section(analysis, labels)
    if srm:
        out.append(("table", srm))
    return out


def _blocks(
    analysis: Analysis, figure_names: Sequence[str], labels: Labels = EN
) -> list[tuple[str, Any]]:
    """The layout with the sections as shown (see :func:`sections`) and only existing figures,
    then the timing tables and figures (the terminal prints those as tables of their own)."""
    shown = iter(sections(analysis, labels))
    blocks = []
    for kind, block in _layout(analysis, labels):
        if kind == "table":
            blocks.append((kind, next(shown)))
        elif block in figure_names:
            blocks.append((kind, block))
    timing = _timing_layout(analysis, labels)
    return blocks + [(k, b) for k, b in timing if k == "table" or b in figure_names]


def _timing_layout(analysis: Analysis, labels: Labels = EN) -> list[tuple[str, Any]]:
    """Touches of a schedule, response by hour/day, send hours, hours since the send."""

    def section(table) -> Section:
        table = localized(table, labels)
        return Section(table.title, table.columns, table.rows, table.caption, table.numeric_from)

    alpha = analysis.options.alpha
    out: list[tuple[str, Any]] = []
    if analysis.touches:
        out.append(("table", section(touches_rows(analysis.touches, alpha))))
    if analysis.by_time:
        out += [("table", section(by_time_rows(analysis.by_time, alpha))), ("figure", "by_time")]
    if analysis.send_hours:
        out.append(("table", section(send_hour_rows(analysis.send_hours, alpha))))
    if analysis.since_send:
        out.append(("table", section(by_time_rows(analysis.since_send, alpha))))
        out.append(("figure", "since_send"))
    return out


# ---------------------------------------------------------------------------------------------
# JSON


def _clean(value: Any) -> Any:
    """Plain values: str keys, tuples -> lists, DataFrames -> records (io.write_json then
    writes NaN and infinities as null)."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return _clean(value.to_dict(orient="records"))
    if hasattr(value, "item") and not isinstance(value, str):
        return _clean(value.item())
    return value


def report_payload(analysis: Analysis) -> dict[str, Any]:
    """Every number of the analysis as a JSON-ready dict."""
    fields = {f.name: getattr(analysis, f.name) for f in dataclasses.fields(analysis)}
    payload = {
        name: dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value
        for name, value in fields.items()
    }
    for name in ("arm_summaries", "comparisons", "overall", "srm", "touches"):
        payload[name] = [dataclasses.asdict(item) for item in fields[name]]
    payload["notices"] = [  # English, whatever --lang: report.json is a machine output
        {"level": notice.level, "message": render_notice(notice)} for notice in analysis.notices
    ]
    if not analysis.has_revenue:  # a conversion-only campaign measured no money: null, not 0
        for row in payload["arm_summaries"]:
            row.update(revenue=None, revenue_per_customer=None, average_order_value=None)
    if not payload["touches"]:  # only an analysis with --schedule has touches
        del payload["touches"]
    for name in ("by_time", "since_send"):  # only with --by-hour / --by-day (and send times)
        del payload[name]
        if fields[name]:
            payload[name] = by_time_payload(fields[name])
    del payload["send_hours"]
    if analysis.send_hours:  # only with --by-hour
        payload["send_hours"] = send_hours_payload(analysis.send_hours)
    payload["uplift_lab_version"] = __version__
    payload["intent_to_treat"] = True
    return _clean(payload)


# ---------------------------------------------------------------------------------------------
# Terminal


def overview(analysis: Analysis, labels: Labels = EN) -> str:
    """One line: what is compared with what, in how many segments, at which confidence."""
    count = len(analysis.segments)
    return labels(
        "Control arm: {control}; treated arm(s): {treated}; {count} segment{s}; {level}% "
        "confidence intervals.",
        control=labels.value(analysis.control),
        treated=", ".join(map(labels.value, analysis.treated_arms)),
        count=count,
        s="s" if count != 1 else "",
        level=f"{(1 - analysis.options.alpha) * 100:g}",
    )


# Columns left out first when a table does not fit the terminal (``--wide`` keeps them all).
NARROW_DROP_ORDER = (
    "Chi-square",
    "Designed",
    "p",
    "Cost per incr. conv.",
    "Rel. lift [95% CI]",
    "ROI",
    "Control",
    "Treated",
    "AOV",
    "Message cost",
    "Coupon cost",
    "Var. reduction",
    "Revenue",
    "Rev. per customer",
    "Conversions",
    "Cost",  # the caption says what it is (message cost x treated customers); --wide shows it
)


def _terminal_table(section: Section, shown: Sequence[int], labels: Labels = EN):
    """A rich Table of the section's columns ``shown``; numbers are never cut."""
    table = Table(
        title=section.title,
        title_justify="left",
        title_style="bold",
        caption=section.note or None,
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
        padding=(0, 1, 0, 0),
    )
    # The CI goes on its own line in the cell: narrower columns, no random wrapping.
    rows = [[escape(cell).replace(" [", "\n[") for cell in row] for row in section.rows]
    for index in shown:
        column = section.columns[index]
        widest = max((len(line) for row in rows for line in row[index].split("\n")), default=1)
        # A header wider than its numbers breaks before its "[95% CI]", not inside it.
        header = column if len(column) <= widest else column.replace(" [", "\n[")
        longest_word = max(len(word) for word in header.split())
        table.add_column(
            escape(header),
            justify="right" if index >= section.numeric_from else "left",
            # Numbers are never cut; headers wrap between words, never inside one.
            min_width=max(widest, longest_word),
        )
    for row in rows:
        overall = row[0] == labels(OVERALL_LABEL)
        table.add_row(*(row[i] for i in shown), style="bold" if overall else None)
    return table


def fitted_table(section: Section, console, *, wide: bool = False, labels: Labels = EN):
    """The section as a table that fits ``console``'s width, and the columns left out for it.

    Columns go in :data:`NARROW_DROP_ORDER` until the table fits; with ``wide`` (or when even
    the narrowest table is too wide) every remaining column is kept and printed whole.
    """
    shown = list(range(len(section.columns)))
    dropped: list[str] = []

    def width(columns):
        table = _terminal_table(section, columns, labels)
        return table, drawn_width(table, console.width)

    table, needed = width(shown)
    for name in () if wide else map(labels, NARROW_DROP_ORDER):
        if needed <= console.width:
            break
        if name in section.columns and section.columns.index(name) > 0:
            shown.remove(section.columns.index(name))
            dropped.append(name)
            table, needed = width(shown)
    return table, needed, dropped


def print_analysis(analysis: Analysis, console, *, wide: bool = False, labels: Labels = EN) -> None:
    """Print warnings and every section as rich tables that fit the terminal (see --wide)."""
    console.print(labels("[bold]Campaign analysis[/] of {source}", source=escape(analysis.source)))
    console.print(escape(overview(analysis, labels)))
    for notice in analysis.notices:
        style = {"critical": "bold white on red", "warning": "bold yellow", "note": "dim"}
        label = {"critical": "!!! ", "warning": labels("warning: "), "note": ""}[notice.level]
        text = render_notice(notice, labels)
        console.print(f"[{style[notice.level]}]{label}[/]{escape(text)}")
    for section in sections(analysis, labels):
        table, needed, dropped = fitted_table(section, console, wide=wide, labels=labels)
        # Never crop numbers: a table wider than the terminal is printed whole.
        console.print(table, width=max(console.width, needed), crop=False)
        if dropped:
            left_out = labels(
                "(left out at this width: {columns}; --wide shows them)", columns=", ".join(dropped)
            )
            console.print(escape(left_out), style="dim")
        console.print()


# ---------------------------------------------------------------------------------------------
# Markdown and HTML


def figures(analysis: Analysis) -> dict[str, bytes]:
    """The report's PNG figures by file stem."""
    out: dict[str, bytes] = {}
    for index, arm in enumerate(analysis.treated_arms):
        comparisons = comparisons_of(analysis, arm)
        overall = overall_of(analysis, arm)
        labels = [segment_label(c) for c in comparisons] + [OVERALL_LABEL]
        conversion = [c.conversion for c in comparisons] + [overall.conversion]
        out[f"lift_{index + 1}"] = plots.lift_with_ci_png(
            labels,
            [e.difference * 100 for e in conversion],
            [e.ci_low * 100 for e in conversion],
            [e.ci_high * 100 for e in conversion],
            title=f"Conversion lift, {arm} vs {analysis.control} (95% CI)",
            xlabel="lift in percentage points",
        )
        if not analysis.has_revenue:
            continue
        revenue = [c.revenue for c in comparisons] + [overall.revenue]
        out[f"revenue_lift_{index + 1}"] = plots.lift_with_ci_png(
            labels,
            [e.difference for e in revenue],
            [e.ci_low for e in revenue],
            [e.ci_high for e in revenue],
            title=f"Revenue per customer lift, {arm} vs {analysis.control} (95% CI)",
            xlabel="lift in revenue per customer (Welch CI)",
        )
    rates = pd.DataFrame(
        [
            {"segment": s.segment, "arm": s.arm, "rate": s.conversion_rate * 100}
            for s in analysis.arm_summaries
            if s.segment != ALL_SEGMENTS or len(analysis.segments) == 1
        ]
    ).pivot(index="segment", columns="arm", values="rate")[list(analysis.arms)]
    out["conversion"] = plots.grouped_bars_png(
        rates, title="Conversion rate per arm and segment", ylabel="conversion rate (%)"
    )
    for name in ("by_time", "since_send"):
        if getattr(analysis, name):
            out[name] = response_curves_png(getattr(analysis, name), analysis.options.alpha)
    if analysis.daily is not None and len(analysis.daily):
        daily = analysis.daily.pivot(
            index="day", columns="arm", values="cumulative_conversion_rate"
        )
        out["daily"] = plots.lines_png(
            daily[list(analysis.arms)] * 100,
            title="Cumulative response over the window",
            xlabel="day of the response window",
            ylabel="customers converted (%)",
        )
    return out


FIGURE_CAPTIONS = {
    "conversion": "Conversion rate per arm and segment",
    "daily": "Cumulative response per arm over the days of the window",
    "by_time": "Send vs holdout response per slice of the window, with CIs",
    "since_send": "Send vs holdout response by hours since the send, with CIs",
}


def _md_table(section: Section) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    align = ["---:" if i >= section.numeric_from else ":---" for i in range(len(section.columns))]
    lines = [
        "| " + " | ".join(map(cell, section.columns)) + " |",
        "| " + " | ".join(align) + " |",
    ]
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in section.rows]
    return "\n".join(lines)


def _notice_texts(analysis: Analysis, level: str, labels: Labels) -> list[str]:
    return [render_notice(n, labels) for n in analysis.notices if n.level == level]


def _context(analysis: Analysis, labels: Labels = EN) -> dict[str, Any]:
    return {
        "analysis": analysis,
        "title": labels("Campaign analysis: {source}", source=analysis.source),
        "headings": {name: labels(name) for name in ("Warnings", "Data")},
        "generated": labels("Generated by uplift-lab {version}.", version=__version__),
        "html_lang": labels.html_lang,
        "data_notes": [
            (labels(key.replace("_", " ")), value)
            for key, value in sorted(analysis.data_notes.items())
        ],
        "overview": overview(analysis, labels),
        "critical": _notice_texts(analysis, "critical", labels),
        "warnings": _notice_texts(analysis, "warning", labels),
        "notes": _notice_texts(analysis, "note", labels),
        "version": __version__,
        "md_table": _md_table,
        "summary": summary_section(analysis, labels),
        "overall_label": labels(OVERALL_LABEL),
    }


def render_markdown(analysis: Analysis, figure_names: list[str], labels: Labels = EN) -> str:
    """report.md: the same sections as Markdown tables, figures linked as PNG files."""
    context = _context(analysis, labels)
    context["blocks"] = _blocks(analysis, figure_names, labels)
    context["figures"] = {
        name: (f"{name}.png", _caption(analysis, name, labels)) for name in figure_names
    }
    return template_environment().get_template("analyze.md.j2").render(**context)


def render_html(analysis: Analysis, images: Mapping[str, bytes], labels: Labels = EN) -> str:
    """report.html: self-contained, with the figures embedded as base64 PNG."""
    context = _context(analysis, labels)
    context["blocks"] = _blocks(analysis, list(images), labels)
    context["figures"] = {
        name: (base64.b64encode(data).decode("ascii"), _caption(analysis, name, labels))
        for name, data in images.items()
    }
    return template_environment().get_template("analyze.html.j2").render(**context)


def _caption(analysis: Analysis, name: str, labels: Labels = EN) -> str:
    for prefix, what in (("lift_", "Conversion"), ("revenue_lift_", "Revenue per customer")):
        if name.startswith(prefix):
            arm = analysis.treated_arms[int(name.removeprefix(prefix)) - 1]
            return versus_title(
                what + " lift per segment, {arm} vs {control}, with 95% CI", analysis, arm, labels
            )
    return labels(FIGURE_CAPTIONS.get(name, name))


@dataclass(frozen=True, slots=True, eq=False)
class ReportDocuments:
    """The files of a report folder, rendered: report.json's payload, report.md, report.html
    and the PNG figures by file stem."""

    payload: dict[str, Any]
    markdown: str
    html: str
    images: dict[str, bytes]


def report_documents(analysis: Analysis, labels: Labels = EN) -> ReportDocuments:
    """Render every file of the report folder (written by the analyze workflow)."""
    images = figures(analysis)
    return ReportDocuments(
        payload=report_payload(analysis),
        markdown=render_markdown(analysis, list(images), labels),
        html=render_html(analysis, images, labels),
        images=images,
    )
