"""How a segmentation is shown: rich summary tables and a JSON summary for scripts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from rich import box
from rich.table import Table

from uplift_lab.report.labels import EN, Labels, Lang
from uplift_lab.report.notice_text import order_counting_lines, render_notice
from uplift_lab.report.tables import dataframe_table, format_count, format_number, format_share
from uplift_lab.segment import RFM_CLASS_NAMES_ZH, SegmentResult
from uplift_lab.tags import LOYALTY_MIN_ORDERS, LOYALTY_NEW_DAYS, LOYALTY_TENURE_DAYS

SUMMARY_FORMATS = {
    "customers": format_count,
    "share": format_share,
    "revenue_share": format_share,
    "mean_recency_days": lambda value: format_number(value, 1),
}
SUMMARY_HEADERS = {
    "lifecycle": "lifecycle",
    "rfm_class": "RFM class",
    "rfm_class_zh": "名称",
    "customers": "customers",
    "share": "share",
    "revenue_share": "revenue",
    "mean_recency_days": "recency",
    "tag": "tag",
    "value": "value",
}


def _rfm_display(summary: pd.DataFrame) -> pd.DataFrame:
    frame = summary.copy()
    frame.insert(1, "rfm_class_zh", frame["rfm_class"].map(RFM_CLASS_NAMES_ZH))
    return frame


def _translated(frame: pd.DataFrame, columns: list[str], labels: Labels) -> pd.DataFrame:
    """``frame`` with the values of the label ``columns`` (stages, classes, tags) translated."""
    frame = frame.copy()
    for column in columns:
        frame[column] = frame[column].map(lambda value: labels.value(value) if value else value)
    return frame


def segment_summary_tables(result: SegmentResult, labels: Labels = EN) -> list[Table]:
    """The lifecycle, RFM class and tag tables shown after `uplift-lab segment`.

    With Chinese ``labels`` the RFM class column shows the Chinese class names (the 名称
    column of the English table is then the same, so it is left out)."""
    columns = ["customers", "share", "revenue_share", "mean_recency_days"]
    headers = {column: labels(header) for column, header in SUMMARY_HEADERS.items()}
    if labels.lang is not Lang.en:  # "revenue" here is a share of revenue, not an amount
        headers["revenue_share"] = labels("revenue share")
    lifecycle = dataframe_table(
        _translated(result.lifecycle_summary[["lifecycle", *columns]], ["lifecycle"], labels),
        title=labels(
            "Lifecycle stages ({customers} customers)", customers=f"{len(result.table):,}"
        ),
        formats=SUMMARY_FORMATS,
        headers=headers,
        box=box.SIMPLE_HEAD,
    )
    rfm_columns = ["rfm_class", "rfm_class_zh"] if labels.lang is Lang.en else ["rfm_class"]
    rfm = dataframe_table(
        _translated(_rfm_display(result.rfm_summary)[[*rfm_columns, *columns]], ["rfm_class"],
                    labels),
        title=labels(
            "RFM classes (R/F/M high = score >= {score})", score=result.config.rfm_high_score
        ),
        formats=SUMMARY_FORMATS,
        headers=headers,
        box=box.SIMPLE_HEAD,
    )  # fmt: skip
    tables = [lifecycle, rfm]
    if result.tag_summary is not None and len(result.tag_summary):
        summary = result.tag_summary.copy()
        summary["tag"] = summary["tag"].where(summary["tag"] != summary["tag"].shift(), "")
        tables.append(
            dataframe_table(
                _translated(summary, ["tag", "value"], labels),
                title=labels("Tags"),
                caption=_tags_caption(result),
                formats=SUMMARY_FORMATS,
                headers=headers,
                box=box.SIMPLE_HEAD,
            )
        )
    return tables


def _tags_caption(result: SegmentResult) -> str:
    """How the built-in tags were cut, in one sentence under the tag table."""
    cutoffs = result.config.consumption_cutoffs
    level = (
        "AOV terciles of the buyers"
        if cutoffs is None
        else f"AOV < {cutoffs[0]:g} low, < {cutoffs[1]:g} mid, else high"
    )
    days = result.config.lookback_days
    return (
        f"consumption_level: {level}; purchase_activity: orders in the last {days} days; "
        f"loyalty: new = first order < {LOYALTY_NEW_DAYS} days ago, loyal = first order "
        f"{LOYALTY_TENURE_DAYS}+ days ago and {LOYALTY_MIN_ORDERS}+ orders in {days} days."
    )


def _as_of_text(as_of: pd.Timestamp) -> str:
    return str(as_of.date()) if as_of == as_of.normalize() else as_of.isoformat(sep=" ")


def segment_summary_note(result: SegmentResult, labels: Labels = EN) -> str:
    """One paragraph under the tables: as-of, the thresholds used and what the columns mean."""
    thresholds = result.thresholds
    revenue_note = labels(
        "revenue = share of order value in the last {days} days; recency = mean days since the "
        "last order.",
        days=result.config.lookback_days,
    )
    as_of = _as_of_text(result.as_of)
    if thresholds.source == "cycle":
        active, silent, churn = thresholds.cycle_cutoffs
        return labels(
            "As of {as_of}: stages by each customer's own purchase cycle (overdue_ratio = days "
            "since the last order / expected_gap_days): active <= {active} expected gaps, silent "
            "> {silent}, churned > {churn} (cycle; {priors}). {revenue_note}",
            as_of=as_of,
            active=f"{active:g}",
            silent=f"{silent:g}",
            churn=f"{churn:g}",
            priors=_cycle_priors_text(result),
            revenue_note=revenue_note,
        )
    source = thresholds.source
    if thresholds.median_interval_days is not None:
        source += f", purchase cycle {thresholds.median_interval_days:.1f} d"
    return labels(
        "As of {as_of}: active <= {active} days since the last order, silent > {silent}, "
        "churned > {churn} ({source}). {revenue_note}",
        as_of=as_of,
        active=thresholds.active_days,
        silent=thresholds.silent_days,
        churn=thresholds.churn_days,
        source=source,
        revenue_note=revenue_note,
    )


def _cycle_priors_text(result: SegmentResult) -> str:
    """Repeat buyers and the prior gaps a one-order customer gets: shop, then per category."""
    model = result.cycle_model
    shop_gap = model.shop.mean_gap_days
    text = f"{result.thresholds.repeat_buyers:,} repeat buyers, prior gap {shop_gap:.0f} d"
    if model.categories:
        per_category = ", ".join(
            f"{name} {prior.mean_gap_days:.0f}" for name, prior in model.categories.items()
        )
        text += f"; by main category: {per_category}"
    return text


def _cycle_json(result: SegmentResult) -> dict[str, Any] | None:
    """The fitted priors (alpha, beta, kappa of the gamma model) of the shop and categories."""
    model = result.cycle_model
    if model is None:
        return None

    def prior_json(prior) -> dict[str, Any]:
        return {
            "mean_gap_days": prior.mean_gap_days,
            "alpha": prior.alpha,
            "beta": prior.beta,
            "kappa": prior.kappa,
            "repeat_buyers": prior.repeat_buyers,
        }

    return {
        "shop": prior_json(model.shop),
        "categories": {name: prior_json(p) for name, p in model.categories.items()},
    }


def segment_summary_json(result: SegmentResult, out: Path | None = None) -> dict[str, Any]:
    """Everything the terminal summary shows, as JSON-ready data (NaN becomes null)."""
    thresholds = result.thresholds
    return {
        "as_of": result.as_of.isoformat(),
        "customers": len(result.table),
        "output": None if out is None else str(out),
        "lookback_days": result.config.lookback_days,
        "thresholds": {
            "active_days": thresholds.active_days,
            "silent_days": thresholds.silent_days,
            "churn_days": thresholds.churn_days,
            "source": thresholds.source,
            "median_interval_days": thresholds.median_interval_days,
            "cycle_cutoffs": None
            if thresholds.cycle_cutoffs is None
            else list(thresholds.cycle_cutoffs),
            "repeat_buyers": thresholds.repeat_buyers,
        },
        "cycle_priors": _cycle_json(result),
        "notices": [render_notice(notice) for notice in result.notices],
        "lifecycle": result.lifecycle_summary.to_dict(orient="records"),
        "rfm": _rfm_display(result.rfm_summary).to_dict(orient="records"),
        "tag_columns": list(result.tag_columns),
        "tags": None
        if result.tag_summary is None
        else result.tag_summary.to_dict(orient="records"),
        "orders": None if result.counting is None else result.counting.to_json(),
    }


def segment_counting_lines(result: SegmentResult, labels: Labels = EN) -> list[str]:
    """What the order rules dropped and netted, one line each (none when nothing changed)."""
    if result.counting is None:
        return []
    counting = result.counting
    lines = order_counting_lines(counting, labels)
    if lines:
        lines.insert(
            0,
            f"Orders: {counting.orders_counted:,} counted of {counting.rows_read:,} rows read.",
        )
    return lines
