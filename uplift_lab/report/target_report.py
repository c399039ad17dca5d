"""How a campaign plan is shown: terminal tables, the profit-vs-budget plot, and a JSON summary.

The plan itself (uplift_lab.target.CampaignPlan) holds numbers only; this module formats them.
Nothing here writes files: the PNG is returned as bytes for io.write_bytes.
"""

from __future__ import annotations

import io as _bytes_io
import math
from typing import Any

import numpy as np
import pandas as pd
from rich import box
from rich.table import Table

from uplift_lab.policy import Estimate, PolicyValue
from uplift_lab.report.tables import keep_numbers_whole
from uplift_lab.target import IPW_VALUED, CampaignPlan, HoldoutSplit, SegmentEffects


def _money(value: float) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:,.0f}" if abs(value) >= 1_000 else f"{value:,.2f}"


def _ratio(value: float) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:.1f}"


def segment_table(plan: CampaignPlan, split: HoldoutSplit | None = None) -> Table:
    """Per segment x channel: selected, held out, cost, incremental revenue, profit, ROI."""
    table = Table(
        box=box.SIMPLE_HEAD,
        title="Plan per segment and channel (expected values, holdout included)",
    )
    for name in ("segment", "channel"):
        table.add_column(name, no_wrap=True)
    for name in ("selected", "held out", "cost", "incr. revenue", "profit", "ROI"):
        table.add_column(name, justify="right")
    held = split.holdout_counts if split is not None else {}
    for row in plan.by_segment.itertuples(index=False):
        key = (row.segment, row.channel)
        held_count = sum(held.values()) if row.segment == "total" else held.get(key, 0)
        table.add_row(
            str(row.segment),
            str(row.channel),
            f"{row.customers:,}",
            f"{held_count:,}",
            _money(row.cost),
            _money(row.expected_incremental_revenue),
            _money(row.expected_profit),
            _ratio(row.roi),
        )
    return keep_numbers_whole(table)


def curve_table(plan: CampaignPlan, every: int = 4) -> Table:
    """Expected profit at a few budgets (every ``every``-th point of the curve, and this plan's)."""
    table = Table(box=box.SIMPLE_HEAD, title="Expected profit vs budget (best plan per budget)")
    table.add_column("budget", justify="right")
    table.add_column("expected profit", justify="right")
    table.add_column("")
    curve = plan.curve
    budget = plan.selection.budget
    shown = set(range(0, len(curve), every)) | {len(curve) - 1}
    shown |= set(np.flatnonzero(np.isclose(curve["budget"].to_numpy(), budget)))
    for i in sorted(shown):
        here = bool(np.isclose(curve["budget"].iloc[i], budget))
        table.add_row(
            _money(curve["budget"].iloc[i]),
            _money(curve["expected_profit"].iloc[i]),
            "<- this budget" if here else "",
        )
    return keep_numbers_whole(table)


MODEL_VALUED_CAPTION = (
    "Valued by the plan's own scores, so this is NOT evidence that the plan beats the rules. "
    "Pass --validate-on PAST (a past randomized campaign) to value them independently."
)


def comparison_table(plan: CampaignPlan) -> Table:
    """The same budget spent by this plan, the RFM rule and at random.

    With a past randomized campaign (``--validate-on``) each policy's picks are valued by IPW on
    it, independently of the model; without one, by the plan's own scores, and the caption says
    that this is no evidence.
    """
    if plan.comparison_valued_by == IPW_VALUED:
        table = Table(
            box=box.SIMPLE_HEAD,
            title="Same budget spent by other rules, valued by IPW on the past campaign",
            caption="Incremental profit each policy's picks earned in the past randomized "
            "campaign (95% CI), independent of the model's scores.",
        )
        table.add_column("policy")
        for name in ("customers", "cost", "picked in past", "IPW profit", "95% CI"):
            table.add_column(name, justify="right")
        for row in plan.comparison.itertuples(index=False):
            table.add_row(
                row.policy,
                f"{row.customers:,}",
                _money(row.cost),
                f"{row.n_picked_in_past:,}",
                _money(row.ipw_profit),
                f"[{_money(row.ipw_ci_low)}, {_money(row.ipw_ci_high)}]",
            )
        return keep_numbers_whole(table)
    table = Table(
        box=box.SIMPLE_HEAD,
        title="Same budget spent by other rules (valued by the plan's own scores)",
        caption=MODEL_VALUED_CAPTION,
    )
    table.add_column("policy")
    for name in ("customers", "cost", "expected profit"):
        table.add_column(name, justify="right")
    for row in plan.comparison.itertuples(index=False):
        table.add_row(
            row.policy, f"{row.customers:,}", _money(row.cost), _money(row.expected_profit)
        )
    return keep_numbers_whole(table)


def segment_effects_table(effects: SegmentEffects) -> Table:
    """The measured profit per message of each segment x channel the segments policy used."""
    basis = "point estimate" if effects.effect == "estimate" else "lower 95% bound"
    table = Table(
        box=box.SIMPLE_HEAD,
        title=f"Measured effects of the past campaign (profit per message from the {basis})",
        caption="* the segment's channel: the most profit per message, if positive.",
    )
    for name in ("segment", "channel"):
        table.add_column(name, no_wrap=True)
    for name in ("sent", "control", "incr. revenue/customer", "profit/message", ""):
        table.add_column(name, justify="right")
    for row in effects.table.itertuples(index=False):
        table.add_row(
            str(row.segment),
            str(row.channel),
            f"{int(row.treated_n):,}",
            f"{int(row.control_n):,}",
            _money(row.incremental_revenue_per_customer),
            f"{row.profit_per_message:+.3f}",
            "*" if row.best else "",
        )
    return keep_numbers_whole(table)


def validation_table(value: PolicyValue) -> Table:
    """IPW estimates of the policy on a past randomized campaign."""
    level = f"{value.confidence:.0%} CI"
    table = Table(
        box=box.SIMPLE_HEAD,
        title=f"Off-policy check on the past campaign ({value.n_picked:,} of {value.n:,} picked)",
    )
    table.add_column("quantity")
    for name in ("estimate", "std. error", level):
        table.add_column(name, justify="right")
    for label, estimate in (
        ("incremental revenue", value.incremental_revenue),
        ("incremental conversions", value.incremental_conversions),
        ("cost", value.cost),
        ("incremental profit", value.incremental_profit),
    ):
        table.add_row(
            label,
            _money(estimate.value),
            _money(estimate.std_error),
            f"[{_money(estimate.ci_low)}, {_money(estimate.ci_high)}]",
        )
    return keep_numbers_whole(table)


def headline(plan: CampaignPlan, split: HoldoutSplit | None = None) -> list[str]:
    """Short sentences: what was chosen, how close to optimal, why budget was left."""
    sel = plan.selection
    budget = "auto" if math.isinf(sel.budget) else _money(sel.budget)
    lines = [
        f"{plan.n_eligible:,} eligible of {plan.n_scored:,} scored customers; "
        f"{sel.n_selected:,} selected, expected cost {_money(sel.spent)} of budget {budget}, "
        f"expected incremental profit {_money(sel.expected_profit)}.",
    ]
    if sel.exact:
        lines.append("The plan is optimal (one channel, one cost per message).")
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
            f"Holdout {held:,} customers kept out; send list {split.n_send:,} customers, "
            f"expected cost {_money(split.send_cost)}."
        )
    return lines


def curve_png(plan: CampaignPlan) -> bytes:
    """The profit-vs-budget curve with the chosen budget marked, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of ``frame`` as plain JSON values (NaN and infinities as None)."""
    return _records(frame)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    clean = frame.astype(object).where(frame.notna(), None)
    return [
        {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in row.items()}
        for row in clean.to_dict(orient="records")
    ]


def summary_dict(
    plan: CampaignPlan,
    split: HoldoutSplit | None = None,
    validation: PolicyValue | None = None,
) -> dict[str, Any]:
    """Every number of the plan as plain JSON types (for --json and summary.json)."""
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
        "by_segment": _records(plan.by_segment),
        "profit_curve": _records(plan.curve),
        "comparison": _records(plan.comparison),
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
