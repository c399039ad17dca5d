"""`plan`: an order log (and a past analysis) -> promotion targets in a folder.

Reads the orders as every command does (:func:`uplift_lab.orders.load_orders`: refunds and
orders that do not count are left out), optionally an ``analyze`` report.json, calls the pure
step of :mod:`uplift_lab.promo_plan` and writes ``plan.json``, ``plan.md``, ``plan.png`` and
``plan.html`` into ``--out`` atomically (a temporary folder, renamed when complete).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from uplift_lab import io
from uplift_lab.columnmap import InputSpec, resolve_inputs
from uplift_lab.orders import OrderCounting
from uplift_lab.promo_plan import PromoPlan, check_growth, parse_promo_window, promo_plan
from uplift_lab.report import plan_report
from uplift_lab.report.labels import EN, Labels
from uplift_lab.workflows.orders import load_orders

PLAN_FILES = ("plan.json", "plan.md", "plan.png", "plan.html")


@dataclass(frozen=True, slots=True, eq=False)
class PlanResult:
    """The plan, how the orders were counted, plan.json's content and the folder."""

    plan: PromoPlan
    counting: OrderCounting
    payload: dict[str, Any]
    out: Path


def plan_files(
    orders_path: Path,
    *,
    promo: str,
    growth: float,
    out: Path,
    new_growth: float | None = None,
    analysis: Path | None = None,
    inputs: InputSpec | None = None,
    encoding: str | None = None,
    force: bool = False,
    labels: Labels = EN,
) -> PlanResult:
    """Read the orders (and report.json), compute the plan and write the folder ``out``."""
    orders_path, out = Path(orders_path), Path(out)
    window = parse_promo_window(promo)  # cheap checks before reading anything
    check_growth(growth)
    if new_growth is not None:
        check_growth(new_growth, "new_growth")
    io.refuse_existing_folder(out, force=force)
    report = io.read_json(analysis) if analysis is not None else None
    inputs = inputs or resolve_inputs()
    counted = load_orders(orders_path, inputs.orders, encoding=encoding)
    plan = promo_plan(
        counted.frame(),
        window,
        growth,
        new_growth=new_growth,
        report=report,
        source=orders_path,
        report_source=str(analysis) if analysis is not None else "report.json",
    )
    payload = plan_report.plan_payload(
        plan,
        {
            "orders_file": str(orders_path),
            "orders_sha256": io.sha256_file(orders_path),
            "analysis_file": None if analysis is None else str(analysis),
            "analysis_sha256": None if analysis is None else io.sha256_file(analysis),
            "counting": counted.counting.to_json(),
        },
    )
    chart = plan_report.chart_png(plan)
    with io.atomic_directory(out, force=force) as staging:
        io.write_json(payload, staging / "plan.json")
        io.write_text(plan_report.render_markdown(plan, "plan.png", labels), staging / "plan.md")
        io.write_bytes(chart, staging / "plan.png")
        io.write_text(plan_report.render_html(plan, chart, labels), staging / "plan.html")
    return PlanResult(plan, counted.counting, payload, out)
