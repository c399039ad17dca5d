"""`analyze` of an experiment folder with its timing steps: ``--schedule`` (per touch),
``--by-hour`` / ``--by-day`` (per slice of the window), the hours since the send where send
times are known, and a send hour per segment. The folder and the orders are read once and
handed to each step."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from uplift_lab.analysis_results import Analysis, AnalysisOptions
from uplift_lab.contracts import ARM, CUSTOMER_ID
from uplift_lab.errors import usage_error
from uplift_lab.outcomes import SEGMENT
from uplift_lab.timing import (
    HOLDOUT_GROUP,
    SEND_GROUP,
    holdout_reference_time,
    recommended_send_hours,
    response_by_time,
    response_since_send,
)
from uplift_lab.workflows.analyze import SEND_TIME, FolderAnalysis, analyze_experiment_inputs
from uplift_lab.workflows.schedule import analyze_schedule, read_schedule, schedule_references


def analyze_folder(
    folder: Path,
    outcomes: Path,
    options: AnalysisOptions,
    *,
    schedule_dir: Path | None = None,
    unit: str | None = None,
    **read_options: Any,
) -> Analysis:
    """The analysis of ``folder`` against ``outcomes`` (see
    :func:`uplift_lab.workflows.analyze.analyze_experiment_inputs` for ``read_options``), with
    the touches of ``schedule_dir`` and the response per ``unit`` ("hour" or "day") when given."""
    read = analyze_experiment_inputs(folder, outcomes, options, **read_options)
    analysis = read.analysis
    if schedule_dir is None and unit is None:
        return analysis
    if read.orders is None:
        step = "{schedule}" if schedule_dir is not None else f"{{by_{unit}}}"
        raise usage_error(
            outcomes,
            f"is a per-customer outcomes table; {step} needs an orders file (order times)",
            "Pass the orders file as {outcomes}",
        )
    meta = None
    if schedule_dir is not None:
        meta = read_schedule(schedule_dir, folder)
        analysis = analyze_schedule(analysis, schedule_dir, meta, read.orders)
    if unit is not None:
        analysis = with_response_by_time(analysis, read, unit, schedule_dir, meta)
    return analysis


def with_response_by_time(
    analysis: Analysis,
    read: FolderAnalysis,
    unit: str,
    schedule_dir: Path | None = None,
    schedule_meta: dict[str, Any] | None = None,
) -> Analysis:
    """``analysis`` with send vs holdout per ``unit``; per hour also the send hour per segment
    and, where send times are known (a schedule, or an import's send times), the response by
    hours since the send."""
    notes = analysis.data_notes
    begin = pd.Timestamp(notes["window_start"])
    days = int(notes["window_days"])
    alpha, ci = analysis.options.alpha, analysis.options.ci
    assignment, orders = read.assignment, read.orders
    responses = response_by_time(
        assignment, analysis.control, orders, begin, days, unit, alpha=alpha, ci=ci
    )
    analysis = replace(analysis, by_time=responses)
    if unit != "hour":
        return analysis
    advice = recommended_send_hours(
        assignment, analysis.control, orders, begin, days, segment_column=SEGMENT, alpha=alpha,
        ci=ci,
    )  # fmt: skip
    window_end = begin + pd.Timedelta(days=days)
    if schedule_dir is not None and schedule_meta is not None:
        references = schedule_references(schedule_dir, schedule_meta, window_end)
    else:
        references = _send_references(analysis, assignment, window_end)
    since = tuple(
        item
        for label, reference in references
        for item in response_since_send(reference, orders, label, alpha=alpha, ci=ci)
    )
    return replace(analysis, send_hours=advice, since_send=since)


def _send_references(
    analysis: Analysis, assignment: pd.DataFrame, window_end: pd.Timestamp
) -> list[tuple[str, pd.DataFrame]]:
    """An imported campaign's send times, per treated arm: its timed customers at their own
    send time, the holdout aligned to the arm's median send time
    (:func:`uplift_lab.timing.holdout_reference_time`). None recorded: no references."""
    if SEND_TIME not in assignment.columns or assignment[SEND_TIME].isna().all():
        return []
    held = assignment[assignment[ARM] == analysis.control]
    out = []
    for arm in analysis.treated_arms:
        sent = assignment[(assignment[ARM] == arm) & assignment[SEND_TIME].notna()]
        if sent.empty:
            continue
        aligned = holdout_reference_time(sent[SEND_TIME])
        frame = pd.DataFrame(
            {
                CUSTOMER_ID: pd.concat([sent[CUSTOMER_ID], held[CUSTOMER_ID]]).to_numpy(),
                "group": [SEND_GROUP] * len(sent) + [HOLDOUT_GROUP] * len(held),
                "send_time": pd.concat(
                    [sent[SEND_TIME], pd.Series(aligned, index=held.index)]
                ).to_numpy(),
            }
        )
        frame["until"] = window_end
        out.append((arm, frame))
    return out
