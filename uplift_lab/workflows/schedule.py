"""`schedule` and `analyze --schedule`: read -> validate -> one pure step of
:mod:`uplift_lab.schedule` -> write.

``schedule`` writes ``<touch>.csv`` per touch (customer_id, channel, send_time), the held-out
customers of each touch in ``holdout/<touch>.csv`` and ``schedule.json``, all into --out
atomically; the experiment folder is only read (through :func:`load_experiment`, which checks
its assignment's SHA-256).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from uplift_lab import contracts, io
from uplift_lab.analyze import Analysis
from uplift_lab.contracts import ARM, CONTROL_ARM, CUSTOMER_ID
from uplift_lab.errors import UsageError, input_error, literal
from uplift_lab.schedule import (
    CHANNEL,
    SEND_TIME,
    Schedule,
    TouchResponse,
    parse_touches,
    schedule_touches,
    touch_response,
)
from uplift_lab.timeparse import parse_date_option
from uplift_lab.timing import HOLDOUT_GROUP, SEND_GROUP
from uplift_lab.workflows.experiment_folder import load_experiment, refuse_existing

SCHEDULE_FILE = "schedule.json"
HOLDOUT_DIR = "holdout"
POLICY = (
    "every treated customer (any treated arm) of a touch's segments gets the touch, whatever "
    "the touch's channel; the experiment's control arm (the holdout) gets no touch"
)
TIME_FORMAT = "%Y-%m-%d %H:%M"


@dataclass(frozen=True, slots=True, eq=False)
class ScheduleResult:
    """The schedule, schedule.json's content and the folder written."""

    schedule: Schedule
    meta: dict[str, Any]
    out: Path


def _touch_entry(item) -> dict[str, Any]:
    touch = item.touch
    return {
        "name": touch.name,
        "file": f"{touch.name}.csv",
        "channel": touch.channel,
        "day": touch.day,
        "time": touch.time,
        "send_time": item.send_time.isoformat(),
        "next_send_time": item.next_send_time.isoformat() if item.next_send_time else None,
        "column": touch.column,
        "segments": list(touch.segments) or None,
        "customers": len(item.sends),
        "holdout": len(item.holdout_ids),
        "cost_per_message": touch.cost_per_message,
        "cost": item.cost,
    }


def schedule_metadata(schedule: Schedule, **fields: Any) -> dict[str, Any]:
    """schedule.json: the touches in send order with times, counts and costs, and the inputs."""
    touches = [_touch_entry(item) for item in schedule.touches]
    costs = [entry["cost"] for entry in touches]
    return {
        "kind": "schedule",
        "start": schedule.start.isoformat(),
        "control_arm": schedule.control_arm,
        "treated_arms": list(schedule.treated_arms),
        "policy": POLICY,
        "touches": touches,
        "messages": sum(entry["customers"] for entry in touches),
        "total_cost": sum(costs) if costs and None not in costs else None,
        "customers_not_in_segments": schedule.customers_not_segmented,
        **fields,
    }


def make_schedule(
    segments_path: Path,
    touches_path: Path,
    experiment_dir: Path,
    *,
    start: str,
    out: Path,
    force: bool = False,
    encoding: str | None = None,
) -> ScheduleResult:
    """Read the segments, touch plan and experiment; write the per-touch send lists to ``out``."""
    segments_path, touches_path, out = Path(segments_path), Path(touches_path), Path(out)
    refuse_existing(out, force)
    if out.resolve() == Path(experiment_dir).resolve():
        raise input_error(out, "is the experiment folder", "The experiment is never edited")
    begin = parse_date_option(start, "start")
    if begin != begin.normalize():  # a time would be dropped: each touch has its own
        raise UsageError(
            f"{{start}}: '{literal(start)}' has a time of day, but the start is a day: each"
            f" touch's send time is its day and time in the touches file. Use"
            f" {{start={begin.date().isoformat()}}}"
        )
    touches = parse_touches(io.read_toml(touches_path), touches_path)
    experiment = load_experiment(experiment_dir)
    control = str(experiment.meta.get("control_arm") or CONTROL_ARM)
    columns = sorted({touch.column for touch in touches})
    frame = io.read_table(segments_path, encoding=encoding, string_columns=[CUSTOMER_ID, *columns])
    contracts.require_columns(frame, [CUSTOMER_ID], segments_path)
    frame[CUSTOMER_ID] = contracts.ids_as_text(frame, CUSTOMER_ID, segments_path, unique=True)
    assignment = pd.DataFrame(
        {
            CUSTOMER_ID: contracts.ids_as_text(
                experiment.assignment, CUSTOMER_ID, experiment_dir, unique=True
            ),
            ARM: experiment.assignment[ARM].astype(str),
        }
    )
    schedule = schedule_touches(
        touches,
        frame,
        assignment,
        control_arm=control,
        start=begin,
        segments_source=segments_path,
    )
    meta = schedule_metadata(
        schedule,
        experiment=str(experiment_dir),
        assignment_sha256=experiment.meta["assignment_sha256"],
        segments_file=str(segments_path),
        segments_sha256=io.sha256_file(segments_path),
        touches_file=str(touches_path),
        touches_sha256=io.sha256_file(touches_path),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    with io.atomic_directory(out, force=force) as staging:
        (staging / HOLDOUT_DIR).mkdir()
        for item in schedule.touches:
            sends = item.sends.assign(**{SEND_TIME: item.sends[SEND_TIME].dt.strftime(TIME_FORMAT)})
            io.write_table(
                sends[[CUSTOMER_ID, CHANNEL, SEND_TIME]], staging / f"{item.touch.name}.csv"
            )
            held = pd.DataFrame({CUSTOMER_ID: list(item.holdout_ids)})
            io.write_table(held, staging / HOLDOUT_DIR / f"{item.touch.name}.csv")
        io.write_json(meta, staging / SCHEDULE_FILE)
    return ScheduleResult(schedule, meta, out)


# --------------------------------------------------------------------------------------------
# analyze --schedule


def read_schedule(schedule_dir: Path, experiment_dir: Path) -> dict[str, Any]:
    """schedule.json of ``schedule_dir``, refused unless it was made for this experiment."""
    schedule_dir = Path(schedule_dir)
    path = schedule_dir / SCHEDULE_FILE
    if not path.exists():
        raise input_error(
            schedule_dir, f"has no {SCHEDULE_FILE}", "Pass a folder written by schedule"
        )
    meta = io.read_json(path)
    if not isinstance(meta, dict) or not isinstance(meta.get("touches"), list):
        raise input_error(path, "is not a schedule.json", "Run uplift-lab schedule again")
    design = io.read_json(Path(experiment_dir) / "design.json")
    if meta.get("assignment_sha256") != design.get("assignment_sha256"):
        raise input_error(
            path,
            f"was made for another experiment (assignment SHA-256 "
            f"{str(meta.get('assignment_sha256'))[:12]}..., {experiment_dir} has "
            f"{str(design.get('assignment_sha256'))[:12]}...)",
            "Pass the schedule made for this experiment",
        )
    return meta


def _ids(path: Path) -> list[str]:
    frame = io.read_table(path, string_columns=[CUSTOMER_ID])
    contracts.require_columns(frame, [CUSTOMER_ID], path)
    return list(frame[CUSTOMER_ID].astype(str))


def touch_responses(
    schedule_dir: Path,
    meta: dict[str, Any],
    orders: pd.DataFrame,
    window_end: pd.Timestamp,
    *,
    alpha: float = 0.05,
    ci: str = "newcombe",
) -> tuple[TouchResponse, ...]:
    """Per touch: conversion in [its send time, the next touch to its customers or window end)."""
    schedule_dir = Path(schedule_dir)
    results = []
    for entry in meta["touches"]:
        begin = pd.Timestamp(entry["send_time"])
        end = window_end
        if entry.get("next_send_time"):
            end = min(end, pd.Timestamp(entry["next_send_time"]))
        results.append(
            touch_response(
                entry["name"],
                entry["channel"],
                _ids(schedule_dir / entry["file"]),
                _ids(schedule_dir / HOLDOUT_DIR / entry["file"]),
                orders,
                begin,
                end,
                alpha=alpha,
                ci=ci,
            )
        )
    return tuple(results)


def schedule_references(
    schedule_dir: Path, meta: dict[str, Any], window_end: pd.Timestamp
) -> list[tuple[str, pd.DataFrame]]:
    """Per touch (send order): its customers with ``group`` (send / holdout), the touch's
    ``send_time`` for both (the holdout aligned to the same touch) and ``until`` (the next touch
    to the same customers, or the window end), for :func:`uplift_lab.timing.response_since_send`."""
    out = []
    for entry in meta["touches"]:
        until = window_end
        if entry.get("next_send_time"):
            until = min(until, pd.Timestamp(entry["next_send_time"]))
        sent = _ids(Path(schedule_dir) / entry["file"])
        held = _ids(Path(schedule_dir) / HOLDOUT_DIR / entry["file"])
        frame = pd.DataFrame(
            {
                CUSTOMER_ID: sent + held,
                "group": [SEND_GROUP] * len(sent) + [HOLDOUT_GROUP] * len(held),
            }
        )
        frame["send_time"] = pd.Timestamp(entry["send_time"])
        frame["until"] = until
        out.append((entry["name"], frame))
    return out


def analyze_schedule(
    analysis: Analysis,
    schedule_dir: Path,
    meta: dict[str, Any],
    orders: pd.DataFrame,
) -> Analysis:
    """``analysis`` (of an experiment and its counted ``orders``) with the response of each touch
    of the schedule ``meta`` (:func:`read_schedule`).

    The last touch to a customer is read up to the end of the analysis' response window.
    """
    notes = analysis.data_notes
    window_end = pd.Timestamp(notes["window_start"]) + pd.Timedelta(days=notes["window_days"])
    touches = touch_responses(
        schedule_dir,
        meta,
        orders,
        window_end,
        alpha=analysis.options.alpha,
        ci=analysis.options.ci,
    )
    data_notes = {**notes, "schedule": str(schedule_dir)}
    return replace(analysis, touches=touches, data_notes=data_notes)
