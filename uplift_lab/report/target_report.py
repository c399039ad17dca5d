"""How a campaign plan is shown: terminal tables, the profit-vs-budget plot, and a JSON summary.

The plan itself (uplift_lab.target.plan.CampaignPlan) holds numbers only; this module formats them.
Nothing here writes files: the PNG is returned as bytes for io.write_bytes.
"""

from __future__ import annotations

import io as _bytes_io
import math
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from rich import box
from rich.table import Table

from uplift_lab.policy import Estimate, PolicyValue
from uplift_lab.report.labels import EN, Labels
from uplift_lab.report.tables import keep_numbers_whole
from uplift_lab.target import IPW_VALUED, CampaignPlan, HoldoutSplit, SegmentEffects


def _money(value: float) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:,.0f}" if abs(value) >= 1_000 else f"{value:,.2f}"


def _ratio(value: float) -> str:
    """ROI to one decimal, to two below 10 (a 4% return is 0.04, not 0.0)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def segment_table(
    plan: CampaignPlan, split: HoldoutSplit | None = None, labels: Labels = EN
) -> Table:
    """Per segment x channel: selected, held out, cost, incremental revenue, profit, ROI."""
    money = labels.money
    table = Table(
        box=box.SIMPLE_HEAD,
        title=labels("Plan per segment and channel (expected values, holdout included)"),
    )
    for name in ("segment", "channel"):
        table.add_column(labels(name), no_wrap=True)
    for name in ("selected", "held out", "cost", "incr. revenue", "profit", "ROI"):
        table.add_column(labels(name), justify="right")
    held = split.holdout_counts if split is not None else {}
    for row in plan.by_segment.itertuples(index=False):
        key = (row.segment, row.channel)
        held_count = sum(held.values()) if row.segment == "total" else held.get(key, 0)
        table.add_row(
            labels.value(row.segment),
            labels.value(row.channel),
            f"{row.customers:,}",
            f"{held_count:,}",
            money(_money(row.cost)),
            money(_money(row.expected_incremental_revenue)),
            money(_money(row.expected_profit)),
            _ratio(row.roi),
        )
    return keep_numbers_whole(table)


def curve_table(plan: CampaignPlan, every: int = 4, labels: Labels = EN) -> Table:
    """Expected profit at a few budgets (every ``every``-th point of the curve, and this plan's)."""
    money = labels.money
    table = Table(
        box=box.SIMPLE_HEAD, title=labels("Expected profit vs budget (best plan per budget)")
    )
    table.add_column(labels("budget"), justify="right")
    table.add_column(labels("expected profit"), justify="right")
    table.add_column("")
    curve = plan.curve
    budget = plan.selection.budget
    shown = set(range(0, len(curve), every)) | {len(curve) - 1}
    shown |= set(np.flatnonzero(np.isclose(curve["budget"].to_numpy(), budget)))
    previous = None
    for i in sorted(shown):
        if previous is not None and np.isclose(curve["budget"].iloc[i], previous):
            continue  # the curve's points at one budget (it stopped growing): one row
        previous = curve["budget"].iloc[i]
        here = bool(np.isclose(previous, budget))
        table.add_row(
            money(_money(curve["budget"].iloc[i])),
            money(_money(curve["expected_profit"].iloc[i])),
            labels("<- this budget") if here else "",
        )
    return keep_numbers_whole(table)


MODEL_VALUED_CAPTION = (
    "Valued by the plan's own scores, so this is NOT evidence that the plan beats the rules. "
    "Pass --validate-on PAST (a past randomized campaign) to value them independently."
)


def comparison_table(plan: CampaignPlan, labels: Labels = EN) -> Table:
    """The same budget spent by this plan, the RFM rule and at random.

    With a past randomized campaign (``--validate-on``) each policy's picks are valued by IPW on
    it, independently of the model; without one, by the plan's own scores, and the caption says
    that this is no evidence.
    """
    money = labels.money
    if plan.comparison_valued_by == IPW_VALUED:
        table = Table(
            box=box.SIMPLE_HEAD,
            title=labels("Same budget spent by other rules, valued by IPW on the past campaign"),
            caption=labels(
                "Incremental profit each policy's picks earned in the past randomized "
                "campaign (95% CI), independent of the model's scores."
            ),
        )
        table.add_column(labels("policy"))
        for name in ("customers", "cost", "picked in past", "IPW profit", "95% CI"):
            table.add_column(labels(name), justify="right")
        for row in plan.comparison.itertuples(index=False):
            table.add_row(
                labels.value(row.policy),
                f"{row.customers:,}",
                money(_money(row.cost)),
                f"{row.n_picked_in_past:,}",
                money(_money(row.ipw_profit)),
                money(f"[{_money(row.ipw_ci_low)}, {_money(row.ipw_ci_high)}]"),
            )
        return keep_numbers_whole(table)
    table = Table(
        box=box.SIMPLE_HEAD,
        title=labels("Same budget spent by other rules (valued by the plan's own scores)"),
        caption=labels(MODEL_VALUED_CAPTION),
    )
    table.add_column(labels("policy"))
    for name in ("customers", "cost", "expected profit"):
        table.add_column(labels(name), justify="right")
    for row in plan.comparison.itertuples(index=False):
        table.add_row(
            labels.value(row.policy),
            f"{row.customers:,}",
            money(_money(row.cost)),
            money(_money(row.expected_profit)),
        )
    return keep_numbers_whole(table)


SHRUNK_CAPTION = "incr. revenue: measured → shrunk toward the channel's mean (empirical Bayes)."


def segment_effects_table(effects: SegmentEffects, labels: Labels = EN) -> Table:
    """The measured profit per message of each segment x channel the segments policy used."""
    basis = {
        "shrunk": "shrunk estimate",
        "estimate": "point estimate",
    }.get(effects.effect, "lower 95% bound")
    shrunk = "incremental_revenue_shrunk" in effects.table
    table = Table(
        box=box.SIMPLE_HEAD,
        title=labels(
            "Measured effects of the past campaign ({basis})",
            basis=labels(basis),
        ),
        caption=labels("* the segment's channel: the most profit per message, if positive.")
        + ("\n" + labels(SHRUNK_CAPTION) if "incremental_revenue_shrunk" in effects.table else ""),
    )
    for name in ("segment", "channel"):
        table.add_column(labels(name), no_wrap=True)
    for name in ("sent", "control", "incr. revenue/customer", "profit/message"):
        table.add_column(labels(name), justify="right")
    for row in effects.table.itertuples(index=False):
        revenue = labels.money(_money(row.incremental_revenue_per_customer))
        if shrunk:  # measured -> shrunk
            revenue += " → " + labels.money(_money(row.incremental_revenue_shrunk))
        table.add_row(
            labels.value(row.segment),
            labels.value(row.channel),
            f"{int(row.treated_n):,}",
            f"{int(row.control_n):,}",
            revenue,
            labels.money(f"{row.profit_per_message:+.3f}") + (" *" if row.best else "  "),
        )
    return keep_numbers_whole(table)


def validation_table(value: PolicyValue, labels: Labels = EN) -> Table:
    """IPW estimates of the policy on a past randomized campaign."""
    level = labels("{level} CI", level=f"{value.confidence:.0%}")
    table = Table(
        box=box.SIMPLE_HEAD,
        title=labels(
            "Off-policy check on the past campaign ({picked} of {n} picked)",
            picked=f"{value.n_picked:,}",
            n=f"{value.n:,}",
        ),
    )
    table.add_column(labels("quantity"))
    for name in ("estimate", "std. error"):
        table.add_column(labels(name), justify="right")
    table.add_column(level, justify="right")
    for label, estimate in (
        ("incremental revenue", value.incremental_revenue),
        ("incremental conversions", value.incremental_conversions),
        ("cost", value.cost),
        ("incremental profit", value.incremental_profit),
    ):
        money = (lambda text: text) if label == "incremental conversions" else labels.money
        table.add_row(
            labels(label),
            money(_money(estimate.value)),
            money(_money(estimate.std_error)),
            money(f"[{_money(estimate.ci_low)}, {_money(estimate.ci_high)}]"),
        )
    return keep_numbers_whole(table)


def headline(
    plan: CampaignPlan, split: HoldoutSplit | None = None, labels: Labels = EN
) -> list[str]:
    """Short sentences: what was chosen, how close to optimal, why budget was left."""
    sel = plan.selection
    money = labels.money
    budget = "auto" if math.isinf(sel.budget) else money(_money(sel.budget))
    lines = [
        labels(
            "{eligible} eligible of {scored} scored customers; {selected} selected, expected "
            "cost {cost} of budget {budget}, expected incremental profit {profit}.",
            eligible=f"{plan.n_eligible:,}",
            scored=f"{plan.n_scored:,}",
            selected=f"{sel.n_selected:,}",
            cost=money(_money(sel.spent)),
            budget=budget,
            profit=money(_money(sel.expected_profit)),
        ),
    ]
    if sel.exact:
        lines.append(labels("The plan is optimal (one channel, one cost per message)."))
    else:
        lines.append(
            f"Upper bound (LP relaxation) {_money(sel.lp_bound)}: at most "
            f"{_money(sel.optimality_gap)} more is possible with any plan."
        )
    if not math.isinf(sel.budget):
        lines.append(f"Unspent budget {_money(sel.unspent)}: {sel.stop_reason}.")
    else:
        lines.append(f"Spending stopped because {sel.stop_reason}.")
    excluded = []
    if plan.n_not_in_segments:
        excluded.append(f"{plan.n_not_in_segments:,} not in the segments file")
    if plan.n_opted_out:
        excluded.append(f"{plan.n_opted_out:,} eligible but opted out of every channel")
    if plan.n_no_profitable_option:
        excluded.append(
            f"{plan.n_no_profitable_option:,} eligible with no profitable channel (never sent)"
        )
    if excluded:
        lines.append("Left out: " + "; ".join(excluded) + ".")
    if split is not None:
        held = sum(split.holdout_counts.values())
        lines.append(
            labels(
                "Holdout {held} customers kept out; send list {send} customers, expected cost "
                "{cost}.",
                held=f"{held:,}",
                send=f"{split.n_send:,}",
                cost=money(_money(split.send_cost)),
            )
        )
    return lines


def curve_png(plan: CampaignPlan) -> bytes:
    """The profit-vs-budget curve with the chosen budget marked, as PNG bytes."""
    matplotlib.use("Agg")
    figure, axes = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    axes.plot(plan.curve["budget"], plan.curve["expected_profit"], marker="o", markersize=3)
    sel = plan.selection
    axes.axvline(sel.spent, color="grey", linestyle="--", label=f"this plan ({_money(sel.spent)})")
    axes.set_xlabel("budget (expected cost)")
    axes.set_ylabel("expected incremental profit")
    axes.set_title("Expected incremental profit vs budget")
    axes.legend(loc="lower right")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    buffer = _bytes_io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def _estimate_dict(estimate: Estimate) -> dict[str, float]:
    return {
        "value": estimate.value,
        "std_error": estimate.std_error,
        "ci_low": estimate.ci_low,
        "ci_high": estimate.ci_high,
    }


def summary_dict(
    plan: CampaignPlan,
    split: HoldoutSplit | None = None,
    validation: PolicyValue | None = None,
) -> dict[str, Any]:
    """Every number of the plan (for --json and summary.json; io writes NaN as null)."""
    sel = plan.selection
    payload: dict[str, Any] = {
        "config": plan.config.as_dict(),
        "n_scored": plan.n_scored,
        "n_eligible": plan.n_eligible,
        "n_not_in_segments": plan.n_not_in_segments,
        "n_opted_out": plan.n_opted_out,
        "n_no_profitable_option": plan.n_no_profitable_option,
        "n_selected": sel.n_selected,
        "budget": None if math.isinf(sel.budget) else sel.budget,
        "expected_cost": sel.spent,
        "expected_profit": sel.expected_profit,
        "unspent_budget": sel.unspent,
        "stop_reason": sel.stop_reason,
        "lp_bound": sel.lp_bound,
        "optimality_gap": sel.optimality_gap,
        "exact": sel.exact,
        "budget_to_reach_all_profitable": sel.auto_budget,
        "by_segment": plan.by_segment.to_dict(orient="records"),
        "profit_curve": plan.curve.to_dict(orient="records"),
        "comparison": plan.comparison.to_dict(orient="records"),
        "comparison_valued_by": (
            "ipw on the past campaign"
            if plan.comparison_valued_by == IPW_VALUED
            else "the plan's own scores (not evidence)"
        ),
    }
    if split is not None:
        payload["holdout"] = {
            "fraction": split.fraction,
            "n_holdout": int(sum(split.holdout_counts.values())),
            "n_send": split.n_send,
            "send_cost": split.send_cost,
            "per_stratum": {f"{s}|{c}": n for (s, c), n in sorted(split.holdout_counts.items())},
        }
    if validation is not None:
        payload["validation"] = {
            "n": validation.n,
            "n_picked": validation.n_picked,
            "n_treated": validation.n_treated,
            "confidence": validation.confidence,
            "incremental_revenue": _estimate_dict(validation.incremental_revenue),
            "incremental_conversions": _estimate_dict(validation.incremental_conversions),
            "cost": _estimate_dict(validation.cost),
            "incremental_profit": _estimate_dict(validation.incremental_profit),
            "n_unvalued": validation.n_unvalued,
        }
    return payload
