"""`import-campaign`: a past campaign's plain files -> an experiment folder.

Reads the campaign table (or a send log and a holdout list), calls the pure step of
:mod:`uplift_lab.campaign_import` and writes ``assignment.parquet`` and ``design.json`` into
the folder atomically through :mod:`uplift_lab.experiment`, exactly as ``design`` does (so
``load_experiment`` checks the assignment's SHA-256 the same way).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from uplift_lab import io
from uplift_lab.campaign_import import (
    SEND_TIME,
    ImportedCampaign,
    combine_send_log,
    import_campaign,
    imported_metadata,
)
from uplift_lab.contracts import ARM, CONTROL_ARM, CUSTOMER_ID
from uplift_lab.errors import ParameterError, UsageError
from uplift_lab.notices import Notice
from uplift_lab.report.notice_text import notice_texts
from uplift_lab.timeparse import DEFAULT_TIME_PARSING, TimeParsing, parse_date_option
from uplift_lab.workflows.experiment_folder import refuse_existing, write_folder

DEFAULT_WINDOW_DAYS = 14


@dataclass(frozen=True, slots=True, eq=False)
class ImportResult:
    """What was imported and written: the campaign, design.json's content and the folder."""

    campaign: ImportedCampaign
    meta: dict[str, Any]
    out: Path


def campaign_start(start: str | None, fallback: pd.Timestamp | None = None) -> pd.Timestamp:
    """--start as a timestamp (else ``fallback``, the first send's day); refused if not a date."""
    if start is None:
        if fallback is None or pd.isna(fallback):
            raise UsageError(
                "{start} is required: the first day of the campaign's response window, "
                "e.g. {start=2026-06-01}"
            )
        return pd.Timestamp(fallback).normalize()
    return parse_date_option(start, "start")


STATUS_NAMES = ("status", "send_status", "delivery_status", "状态", "发送状态")  # not 'state'


def _unread_send_status(sends: pd.DataFrame, source: Path) -> list[Notice]:
    """A note when the send log has a delivery status column: it is not read, since every
    logged send stays in its arm (intent to treat: a failed send is the send's own failure),
    and the note shows the statuses it holds."""
    names = [c for c in sends.columns if str(c).strip().lower() in STATUS_NAMES]
    if not names:
        return []
    counts = sends[names[0]].astype("string").str.strip().value_counts()
    shown = ", ".join(f"{label} {count:,}" for label, count in counts.head(4).items())
    params = {"source": str(source), "column": str(names[0]), "statuses": shown}
    return [Notice("note", "send_status_unread", params)]


def _sends_outside_window(
    table: pd.DataFrame, start: pd.Timestamp, window_days: int
) -> list[Notice]:
    """A warning when send times fall outside the response window [start, start + window):
    a --start after the sends leaves out the orders they caused, one before them measures a
    period no message was in."""
    if SEND_TIME not in table.columns:
        return []
    sends = pd.to_datetime(table[SEND_TIME]).dropna()
    end = start + pd.Timedelta(days=window_days)
    outside = int(((sends < start) | (sends >= end)).sum())
    if not outside:
        return []
    params = {
        "outside": f"{outside:,}",
        "sends": f"{len(sends):,}",
        "start": start.date().isoformat(),
        "end": (end - pd.Timedelta(days=1)).date().isoformat(),
        "first": sends.min().strftime("%Y-%m-%d %H:%M"),
        "last": sends.max().strftime("%Y-%m-%d %H:%M"),
    }
    return [Notice("warning", "sends_outside_window", params)]


def _check_window(window_days: int) -> int:
    if isinstance(window_days, bool) or int(window_days) != window_days or window_days < 1:
        raise ParameterError("window_days", "must be a whole number >= 1", window_days)
    return int(window_days)


def _write(
    campaign: ImportedCampaign,
    out: Path,
    force: bool,
    notes: Sequence[Notice] = (),
    **meta_fields: Any,
) -> dict[str, Any]:
    """The folder as :mod:`uplift_lab.experiment` writes it (design.json unsealed, as before);
    its warnings the campaign's, then ``notes``, in words."""
    created_at = datetime.now(UTC).isoformat(timespec="seconds")
    warnings = notice_texts([*campaign.warnings, *notes])

    def metadata(assignment_sha256: str) -> dict[str, Any]:
        return imported_metadata(
            campaign,
            assignment_sha256=assignment_sha256,
            created_at=created_at,
            warnings=warnings,
            **meta_fields,
        )

    return write_folder(campaign.assignment, out, metadata, force=force, seal=False)


def import_campaign_file(
    path: Path,
    *,
    out: Path,
    start: str | None,
    window_days: int = DEFAULT_WINDOW_DAYS,
    arm_col: str = ARM,
    control: str | None = CONTROL_ARM,
    id_col: str = CUSTOMER_ID,
    strata_col: str | None = None,
    expected: Mapping[str, float] | None = None,
    send_time_col: str | None = None,
    force: bool = False,
    encoding: str | None = None,
    parsing: TimeParsing = DEFAULT_TIME_PARSING,
) -> ImportResult:
    """Read a ``customer_id,arm`` table and write it as the experiment folder ``out``
    (``parsing``: how its send times are read, e.g. the shop's time zone)."""
    path, out = Path(path), Path(out)
    refuse_existing(out, force)
    begin = campaign_start(start)
    window_days = _check_window(window_days)
    text = [id_col, arm_col] + ([strata_col] if strata_col else [])
    frame = io.read_table(path, encoding=encoding, string_columns=text)
    campaign = import_campaign(
        frame,
        name=out.name,
        source=path,
        arm_col=arm_col,
        control=control,
        id_col=id_col,
        strata_col=strata_col,
        expected=expected,
        send_time_col=send_time_col,
        parsing=parsing,
    )
    notes = _sends_outside_window(campaign.assignment, begin, window_days)
    meta = _write(
        campaign,
        out,
        force,
        notes=notes,
        input_file=str(path),
        input_sha256=io.sha256_file(path),
        start=begin,
        window_days=window_days,
        source_columns={
            "id_col": id_col,
            "arm_col": arm_col,
            "strata_col": strata_col,
            "send_time_col": send_time_col,
            "rows": len(frame),
        },
    )
    return ImportResult(replace(campaign, warnings=(*campaign.warnings, *notes)), meta, out)


def import_send_log(
    send_log: Path,
    holdout_list: Path,
    *,
    out: Path,
    start: str | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
    channel_col: str = "channel",
    send_time_col: str | None = SEND_TIME,
    id_col: str = CUSTOMER_ID,
    control: str = CONTROL_ARM,
    expected: Mapping[str, float] | None = None,
    force: bool = False,
    encoding: str | None = None,
    parsing: TimeParsing = DEFAULT_TIME_PARSING,
) -> ImportResult:
    """Read a send log (id, channel, send time) and a holdout list (id) and write ``out``.

    The channel is each sent customer's arm, the holdout list the control arm; send times
    are kept as ``send_time`` (the first send; empty for the holdout). ``--start`` defaults to
    the day of the first send.
    """
    send_log, holdout_list, out = Path(send_log), Path(holdout_list), Path(out)
    refuse_existing(out, force)
    window_days = _check_window(window_days)
    sends = io.read_table(send_log, encoding=encoding, string_columns=[id_col, channel_col])
    if send_time_col and send_time_col not in sends.columns and send_time_col == SEND_TIME:
        send_time_col = None  # the default column is optional; a named one is required
    held = io.read_table(holdout_list, encoding=encoding, string_columns=[id_col])
    combined, notes = combine_send_log(
        sends,
        held,
        send_source=send_log,
        holdout_source=holdout_list,
        channel_col=channel_col,
        send_time_col=send_time_col,
        id_col=id_col,
        control=control,
        parsing=parsing,
    )
    notes = [*notes, *_unread_send_status(sends, send_log)]
    first_send = combined[SEND_TIME].min() if send_time_col else None
    begin = campaign_start(start, first_send)
    if send_time_col:
        notes = [*notes, *_sends_outside_window(combined, begin, window_days)]
    campaign = import_campaign(
        combined.rename(columns={ARM: channel_col}),
        name=out.name,
        source=send_log,
        arm_col=channel_col,
        control=control,
        expected=expected,
        send_time_col=SEND_TIME if send_time_col else None,
    )
    meta = _write(
        campaign,
        out,
        force,
        input_file=str(send_log),
        input_sha256=io.sha256_file(send_log),
        extra_inputs={
            "holdout_file": str(holdout_list),
            "holdout_sha256": io.sha256_file(holdout_list),
        },
        start=begin,
        window_days=window_days,
        source_columns={
            "id_col": id_col,
            "channel_col": channel_col,
            "send_time_col": send_time_col,
            "send_rows": len(sends),
            "holdout_rows": len(held),
        },
        notes=notes,
    )
    return ImportResult(replace(campaign, warnings=(*campaign.warnings, *notes)), meta, out)
