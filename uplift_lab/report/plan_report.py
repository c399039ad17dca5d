"""How a promotion plan is shown: terminal tables, plan.json's payload, Markdown, HTML, a chart.

The plan (:class:`uplift_lab.promo_plan.PromoPlan`) holds numbers only; this module formats
them. Nothing here writes files: the PNG is returned as bytes and embedded in the HTML.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd
from rich import box
from rich.table import Table

from uplift_lab import __version__
from uplift_lab.finite import finite_or_none
from uplift_lab.promo_plan import GroupTotals, PromoPlan
from uplift_lab.report import plots
from uplift_lab.report.labels import EN, Labels, Lang
from uplift_lab.report.rendering import template_environment
from uplift_lab.report.tables import keep_numbers_whole

METHOD = (
    "Returning customers ordered before the promo window's first day; new customers' first "
    "counted order is inside the window. Refunds and orders that do not count are left out "
    "as in every command.",
    "Returning GMV target = last returning GMV x (1 + growth); new GMV target = last new GMV x "
    "(1 + new growth, default: growth).",
    "Extra conversions = (returning target - last returning GMV) / last GMV per returning buyer "
    "(= returning buyers x growth); assumes returning customers repeat last promotion's GMV "
    "without extra messages.",
    "Per segment: extra conversions split in proportion to the segment's customers in the "
    "analysis (segments with a positive measured lift); customers to message = ceil(extra "
    "conversions / measured conversion lift); message cost = customers to message x the arm's "
    "cost per message; expected extra GMV = customers to message x measured incremental "
    "revenue per messaged customer (assumes last campaign's lift holds this year).",
)


@dataclass(frozen=True, slots=True)
class PlanTable:
    """A table as text cells; columns from ``numeric_from`` on are numbers (right-justified)."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric_from: int = 1
    text_last: bool = False  # a text column after the numbers (caveats)

    def numeric(self, index: int) -> bool:
        last = len(self.columns) - 1
        return index >= self.numeric_from and not (self.text_last and index == last)


def _money(value: float | None) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:,.0f}" if abs(value) >= 1_000 else f"{value:,.2f}"


def _count(value: float | None) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:,.0f}"


def _points(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{100 * value:+.2f} pp"


def split_table(plan: PromoPlan, labels: Labels = EN) -> PlanTable:
    split, targets = plan.split, plan.targets
    groups = (
        ("returning", split.returning, targets.returning_gmv, targets.growth),
        ("new", split.new, targets.new_gmv, targets.new_growth),
        ("total", split.total, targets.total_gmv, None),
    )
    rows = []
    for name, totals, target, growth in groups:
        rows.append(
            (
                labels.value(name),
                labels.money(_money(totals.gmv)),
                _count(totals.orders),
                _count(totals.customers),
                labels.money(_money(totals.gmv_per_customer)),
                "-" if growth is None else f"{100 * growth:+.1f}%",
                labels.money(_money(target)),
            )
        )
    group = "customers" if labels.lang is Lang.en else "customer group"  # 客户数 means a count
    columns = (group, "GMV", "orders", "buyers", "GMV/buyer", "growth", "GMV target")
    return PlanTable(
        title=labels(
            "Last promotion {window} ({days} days) and targets",
            window=split.window.label(),
            days=split.window.days,
        ),
        columns=tuple(map(labels, columns)),
        rows=tuple(rows),
    )


def reach_table(plan: PromoPlan, labels: Labels = EN) -> PlanTable | None:
    reach = plan.reach
    if reach is None:
        return None
    rows = []
    for row in reach.segments:
        e = row.effect
        rows.append(
            (
                labels.value(e.segment),
                labels.value(e.arm),
                _points(e.conversion_lift),
                _count(row.extra_conversions) if row.customers_to_message is not None else "-",
                _count(row.customers_to_message),
                labels.money(_money(row.message_cost)),
                labels.money(_money(row.expected_extra_gmv)),
                ", ".join(map(labels, row.caveats())),
            )
        )
    rows.append(
        (
            labels("total"),
            "",
            "",
            _count(plan.targets.extra_returning_customers),
            _count(reach.customers_to_message),
            labels.money(_money(reach.message_cost)),
            labels.money(_money(sum(r.expected_extra_gmv or 0.0 for r in reach.segments))),
            "",
        )
    )
    columns = ("segment", "arm", "lift", "extra conv.", "to message", "cost", "exp. extra GMV")
    return PlanTable(
        title=labels("Customers to message per segment (lifts of the past analysis)"),
        columns=tuple(map(labels, (*columns, "caveats"))),
        rows=tuple(rows),
        numeric_from=2,
        text_last=True,
    )


def tables(plan: PromoPlan, labels: Labels = EN) -> list[PlanTable]:
    return [t for t in (split_table(plan, labels), reach_table(plan, labels)) if t is not None]


def overview(plan: PromoPlan, labels: Labels = EN) -> str:
    t, split = plan.targets, plan.split
    money = labels.money
    text = labels(
        "Returning GMV target {target} = last {last} x (1 + {growth}): {extra} more, about "
        "{buyers} extra returning buyers at {each} each.",
        target=money(_money(t.returning_gmv)),
        last=money(_money(split.returning.gmv)),
        growth=f"{t.growth:g}",
        extra=money(_money(t.extra_returning_gmv)),
        buyers=_count(t.extra_returning_customers),
        each=money(_money(split.returning.gmv_per_customer)),
    )
    if split.orders_before == 0:
        text += labels(" No counted orders before the window: every buyer counts as new.")
    return text


def terminal_table(table: PlanTable) -> Table:
    """A rich table; a trailing text column (caveats) is left to :func:`caveat_lines`."""
    columns = table.columns[:-1] if table.text_last else table.columns
    out = Table(box=box.SIMPLE_HEAD, title=table.title, title_justify="left")
    for index, column in enumerate(columns):
        right = table.numeric(index)
        out.add_column(column, justify="right" if right else "left", no_wrap=right)
    for row in table.rows:
        out.add_row(*row[: len(columns)])
    keep_numbers_whole(out)
    first = out.columns[0]
    first.min_width = max(len(str(cell)) for cell in [first.header, *first.cells])
    return out


def caveat_lines(plan: PromoPlan, labels: Labels = EN) -> list[str]:
    """One line per segment with caveats (the terminal's stand-in for the caveats column)."""
    if plan.reach is None:
        return []
    return [
        f"{labels.value(row.effect.segment)}: {', '.join(map(labels, row.caveats()))}"
        for row in plan.reach.segments
        if row.caveats()
    ]


def _group_json(totals: GroupTotals) -> dict[str, Any]:
    return {
        "gmv": round(totals.gmv, 6),
        "orders": totals.orders,
        "customers": totals.customers,
        "gmv_per_customer": _rounded(totals.gmv_per_customer),
        "average_order_value": _rounded(totals.average_order_value),
    }


def _rounded(value: float | None, digits: int = 6) -> float | None:
    """Rounded for plan.json (None where missing or non-finite)."""
    number = finite_or_none(value)
    return None if number is None else round(number, digits)


def plan_payload(plan: PromoPlan, inputs: dict[str, Any]) -> dict[str, Any]:
    """plan.json: the window, last promotion's split, the targets, the reach and the method."""
    split, t = plan.split, plan.targets
    payload: dict[str, Any] = {
        "uplift_lab_version": __version__,
        "inputs": inputs,
        "promo": {
            "start": f"{split.window.start:%Y-%m-%d}",
            "end": f"{split.window.end:%Y-%m-%d}",
            "days": split.window.days,
        },
        "last_promotion": {
            "returning": _group_json(split.returning),
            "new": _group_json(split.new),
            "total": _group_json(split.total),
            "orders_before_window": split.orders_before,
        },
        "targets": {
            "growth": t.growth,
            "new_growth": t.new_growth,
            "returning_gmv": round(t.returning_gmv, 6),
            "new_gmv": round(t.new_gmv, 6),
            "total_gmv": round(t.total_gmv, 6),
            "extra_returning_gmv": round(t.extra_returning_gmv, 6),
            "extra_returning_customers": round(t.extra_returning_customers, 6),
        },
        "reach": None,
        "method": list(METHOD),
    }
    if plan.reach is not None:
        payload["reach"] = {
            "source": plan.reach.source,
            "customers_to_message": plan.reach.customers_to_message,
            "message_cost": _rounded(plan.reach.message_cost),
            "segments": [
                {
                    "segment": r.effect.segment,
                    "arm": r.effect.arm,
                    "segment_customers": r.effect.customers,
                    "conversion_lift": _rounded(r.effect.conversion_lift),
                    "conversion_lift_ci_low": _rounded(r.effect.lift_ci_low),
                    "revenue_lift": _rounded(r.effect.revenue_lift),
                    "cost_per_message": r.effect.cost_per_message,
                    "share": round(r.share, 6),
                    "extra_conversions": round(r.extra_conversions, 6),
                    "customers_to_message": r.customers_to_message,
                    "message_cost": _rounded(r.message_cost),
                    "expected_extra_gmv": _rounded(r.expected_extra_gmv),
                    "caveats": list(r.caveats()),
                }
                for r in plan.reach.segments
            ],
        }
    return payload


def chart_png(plan: PromoPlan) -> bytes:
    """Last promotion's GMV vs this year's target, returning and new customers."""
    split, t = plan.split, plan.targets
    frame = pd.DataFrame(
        {
            "last promotion": [split.returning.gmv, split.new.gmv],
            "target": [t.returning_gmv, t.new_gmv],
        },
        index=["returning", "new"],
    )
    return plots.grouped_bars_png(
        frame, title=f"GMV: promotion {split.window.label()} vs target", ylabel="GMV"
    )


def _md_table(table: PlanTable) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    align = ["---:" if table.numeric(i) else ":---" for i in range(len(table.columns))]
    lines = ["| " + " | ".join(map(cell, table.columns)) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in table.rows]
    return "\n".join(lines)


def _context(plan: PromoPlan, labels: Labels = EN) -> dict[str, Any]:
    return {
        "title": labels("Promotion plan: {window}", window=plan.split.window.label()),
        "overview": overview(plan, labels),
        "tables": tables(plan, labels),
        "method": METHOD,
        "method_title": labels("How the plan is computed"),
        "generated": labels("Generated by uplift-lab {version}.", version=__version__),
        "html_lang": labels.html_lang,
        "version": __version__,
        "md_table": _md_table,
        "caption": labels(
            "GMV of the last promotion and this year's target, returning and new customers"
        ),
    }


def render_markdown(plan: PromoPlan, chart_file: str, labels: Labels = EN) -> str:
    """plan.md: the tables as Markdown, the chart linked as a PNG file."""
    context = _context(plan, labels)
    return template_environment().get_template("plan.md.j2").render(**context, chart=chart_file)


def render_html(plan: PromoPlan, chart: bytes, labels: Labels = EN) -> str:
    """plan.html: self-contained, the chart embedded as base64 PNG."""
    encoded = base64.b64encode(chart).decode("ascii")
    context = _context(plan, labels)
    return template_environment().get_template("plan.html.j2").render(**context, chart=encoded)
