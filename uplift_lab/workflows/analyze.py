"""`analyze`: read an experiment folder and its outcomes, a flat table, or a table of
aggregated cells, validate them, call the one analysis (:mod:`uplift_lab.analyze`), and write
the report folder (rendered by :mod:`uplift_lab.report.analyze_report`).

The only part of the analysis that touches files (through :mod:`uplift_lab.io`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from uplift_lab import contracts, io
from uplift_lab.aggregates import analyze_cell_table
from uplift_lab.analysis_inputs import (
    ALL_SEGMENTS,
    arm_labels,
    check_arms,
    check_declared_arms,
    conversion_flags,
    options_for_declared_arms,
    options_for_experiment,
    refuse_pooled_segment_name,
    resolve_control,
    segment_labels,
    start_from_campaign,
    window_days_from_campaign,
)
from uplift_lab.analysis_notices import unknown_customers_notice
from uplift_lab.analysis_results import Analysis, AnalysisOptions
from uplift_lab.analyze import analyze_units
from uplift_lab.columnmap import InputSpec, resolve_inputs
from uplift_lab.contracts import AMOUNT, ARM, CUSTOMER_ID, ORDER_TIME, STRATUM
from uplift_lab.errors import UsageError, input_error, literal, usage_error
from uplift_lab.notices import Notice
from uplift_lab.outcomes import (
    CONVERTED,
    COVARIATE,
    PRE_REVENUE,
    REVENUE,
    SEGMENT,
    JoinedUnits,
    join_outcomes,
    outcomes_from_orders,
    pre_period_revenue,
    window_coverage_notice,
)
from uplift_lab.report.analyze_report import report_documents
from uplift_lab.report.labels import EN, Labels
from uplift_lab.timeparse import DEFAULT_TIME_PARSING, TimeParsing
from uplift_lab.workflows.experiment_folder import load_experiment
from uplift_lab.workflows.orders import load_orders

SEND_TIME = "send_time"  # an imported campaign's per-customer send time (assignment column)


# ---------------------------------------------------------------------------------------------
# A flat table (one row per customer) and a table of cells


@dataclass(frozen=True, slots=True)
class FlatColumns:
    """Column names of a flat table (one row per customer)."""

    arm: str
    conversion: str
    revenue: str | None = REVENUE  # None: 'revenue' if the table has it, else conversion only
    segment: str | None = None
    covariate: str | None = None
    positive: str | None = None  # label of a converted customer in a text conversion column


def analyze_flat_file(
    path: Path,
    columns: FlatColumns,
    options: AnalysisOptions,
    *,
    encoding: str | None = None,
) -> Analysis:
    """Analyse a flat table with an arm column and outcome columns (e.g. a public data set).

    Without a segment column the table is one segment; without a revenue column (``revenue``
    None) only conversion is analysed; ``positive`` reads a text conversion column (Yes/No).
    """
    text_columns = [columns.arm, columns.segment, columns.positive and columns.conversion]
    frame = io.read_table(path, encoding=encoding, string_columns=[c for c in text_columns if c])
    if columns.revenue is None and REVENUE in frame.columns:
        columns = replace(columns, revenue=REVENUE)
    needed = [columns.arm, columns.conversion]
    needed += [c for c in (columns.revenue, columns.segment, columns.covariate) if c]
    contracts.require_columns(frame, needed, path)
    if len(frame) == 0:
        raise input_error(path, "has no rows", "Pass a table with one row per customer")
    units = _flat_units(frame, columns, path)
    control = resolve_control(units[ARM], options.control or None, path, columns.arm)
    options = options_for_declared_arms(replace(options, control=control))
    check_arms(units, options.control, path, columns.arm)
    check_declared_arms(units, options, path, columns.arm)
    notes: dict[str, object] = {"input": str(path), "mode": "flat table", "rows": len(units)}
    if columns.revenue:
        notes["customers_with_negative_revenue"] = int((units[REVENUE] < 0).sum())
    return analyze_units(units, options, source=str(path), data_notes=notes)


MAX_SEGMENTS = 200  # more, averaging under MIN_SEGMENT_ROWS customers each: not segments
MIN_SEGMENT_ROWS = 20


def _refuse_a_number_as_segments(segments: pd.Series, column: str, path: Path) -> None:
    """A segment column of hundreds of small segments (a feature such as a score or a spend) is
    refused before thousands of unreadable comparisons are computed and printed."""
    count = segments.nunique()
    if count > MAX_SEGMENTS and count * MIN_SEGMENT_ROWS > len(segments):
        raise usage_error(
            path,
            f"column '{literal(column)}' has {count:,} distinct values in {len(segments):,} rows"
            f" (e.g. '{literal(str(segments.iloc[0]))}'): too many segments to compare",
            "Pass a column of a few labels (a stage, a band) as {segment_col}, or bin this one"
            " into bands first",
        )


def _flat_units(frame: pd.DataFrame, columns: FlatColumns, path: Path) -> pd.DataFrame:
    """The analysed rows of a flat table: arm, segment, converted (+ revenue, covariate)."""
    units = pd.DataFrame(
        {
            ARM: arm_labels(frame, columns.arm, path),
            SEGMENT: segment_labels(frame, columns.segment, path)
            if columns.segment
            else ALL_SEGMENTS,
            CONVERTED: conversion_flags(frame, columns.conversion, path, columns.positive),
        }
    )
    if columns.revenue:
        units[REVENUE] = contracts.numeric_column(frame, columns.revenue, path)
    if columns.covariate:
        units[COVARIATE] = contracts.numeric_column(frame, columns.covariate, path)
    if columns.segment:
        refuse_pooled_segment_name(units[SEGMENT], columns.segment, path)
        _refuse_a_number_as_segments(units[SEGMENT], columns.segment, path)
    return units


def analyze_cells_file(
    path: Path,
    options: AnalysisOptions,
    *,
    arm_column: str,
    segment_column: str | None = None,
    encoding: str | None = None,
) -> Analysis:
    """Analyse a CSV/Parquet table of per segment x arm sufficient statistics
    (:func:`uplift_lab.aggregates.analyze_cell_table`).

    CUPED runs when ``options.covariate_name`` is set (it then names the covariate whose
    moments the table holds). Steps that need one row per customer (revenue cap, whale share,
    daily curve) are skipped with a note; ``options.cap_quantile`` is refused.
    """
    if options.cap_quantile is not None:
        raise UsageError(
            "{cap_quantile} needs one row per customer (a pooled quantile), and "
            f"{literal(path)} holds "
            "aggregated cells. Leave out {cap_quantile}, or analyse the per-customer table"
        )
    text = [c for c in (arm_column, segment_column) if c]
    frame = io.read_table(path, encoding=encoding, string_columns=text)
    return analyze_cell_table(
        frame, options, source=path, arm_column=arm_column, segment_column=segment_column
    )


# ---------------------------------------------------------------------------------------------
# An experiment folder and its outcomes


def read_experiment(folder: Path) -> tuple[pd.DataFrame, dict]:
    """Return (assignment, design meta) of an experiment folder, refusing an edited assignment."""
    experiment = load_experiment(folder)
    return experiment.assignment, dict(experiment.meta)


@dataclass(frozen=True, slots=True, eq=False)
class FolderAnalysis:
    """An experiment folder's analysis and the inputs it read, for the steps that add to it
    (``--schedule``, ``--by-hour``) without reading them again: the assignment (customer_id,
    segment, arm, and send_time when the folder records send times) and the counted orders
    (None with a per-customer outcomes table)."""

    analysis: Analysis
    assignment: pd.DataFrame
    orders: pd.DataFrame | None


def analyze_experiment_folder(
    folder: Path, outcomes_path: Path, options: AnalysisOptions, **reading: Any
) -> Analysis:
    """Analyse an experiment folder against an outcomes file; ``reading`` are the keyword
    options of :func:`analyze_experiment_inputs` (which also returns what it read)."""
    return analyze_experiment_inputs(folder, outcomes_path, options, **reading).analysis


@dataclass(frozen=True, slots=True, eq=False)
class _ReadOutcomes:
    """Per-customer outcomes read from a table or derived from orders, with what they add."""

    outcomes: pd.DataFrame  # customer_id, converted (+ revenue, orders)
    notes: dict[str, object]
    covariate: pd.DataFrame | None = None  # customer_id, covariate
    orders: pd.DataFrame | None = None  # the counted orders (an orders file)
    daily: pd.DataFrame | None = None  # first order day per customer (an orders file)
    window_days: int | None = None
    notices: tuple[Notice, ...] = ()


def analyze_experiment_inputs(
    folder: Path,
    outcomes_path: Path,
    options: AnalysisOptions,
    *,
    start: str | None = None,
    window_days: int | None = None,
    conversion_col: str = CONVERTED,
    revenue_col: str | None = REVENUE,
    customer_col: str = CUSTOMER_ID,
    time_col: str = ORDER_TIME,
    amount_col: str = AMOUNT,
    covariate: str | None = None,
    encoding: str | None = None,
    inputs: InputSpec | None = None,
    parsing: TimeParsing = DEFAULT_TIME_PARSING,
) -> FolderAnalysis:
    """Analyse an experiment folder against an outcomes file (per-customer table or orders).

    An orders file is read by ``inputs`` (preset, column map, status and refund rules, date
    parsing; see :func:`uplift_lab.orders.load_orders`), else by the column names and
    ``parsing`` (formats, the shop's time zone); with a preset or rules the file is always orders.

    A file with ``conversion_col`` is a per-customer outcome table (``revenue_col`` None: its
    ``revenue`` column if it has one, else conversion only); otherwise it is an order
    log and the response window is [start, start + window_days); both default to the campaign
    entry of design.json (what `target` or the campaign's planner recorded), else 7 days.
    With an order log the only covariate is ``pre_revenue`` (revenue before the window).
    """
    raw_assignment, meta = read_experiment(folder)
    arms_present = set(raw_assignment[ARM].astype(str))
    options, from_campaign = options_for_experiment(options, meta, arms_present)
    assignment = _analysed_assignment(raw_assignment, folder)
    check_arms(assignment, options.control, Path(folder) / "assignment.parquet", ARM)
    names = [str(name).strip() for name in io.table_column_names(outcomes_path, encoding=encoding)]
    is_order_log = (inputs is not None and (inputs.preset or inputs.orders.rules.active)) or (
        conversion_col not in names
    )
    notes: dict[str, object] = {"input": str(folder), "outcomes": str(outcomes_path)}
    if from_campaign:
        notes["money_assumptions_from_design_json"] = ", ".join(from_campaign)
    if is_order_log:
        if inputs is None:
            inputs = resolve_inputs(
                customer_col=customer_col, time_col=time_col, amount_col=amount_col,
                parsing=parsing,
            )  # fmt: skip
        read = _order_outcomes(outcomes_path, inputs, meta, names, start=start,
                               window_days=window_days, covariate=covariate,
                               encoding=encoding)  # fmt: skip
    else:
        read = _table_outcomes(outcomes_path, conversion_col, revenue_col, customer_col,
                               covariate, encoding)  # fmt: skip
    notes.update(read.notes)
    joined = join_outcomes(assignment, read.outcomes, read.covariate)
    notes.update(_join_notes(joined))
    unknown = unknown_customers_notice(joined.unknown_customers)
    analysis = analyze_units(
        joined.units,
        options,
        source=str(folder),
        data_notes=notes,
        daily=read.daily,
        window_days=read.window_days,
        extra_notices=[*read.notices, *([unknown] if unknown else [])],
    )
    if SEND_TIME in raw_assignment.columns:  # an imported campaign's send times
        assignment = assignment.assign(**{SEND_TIME: pd.to_datetime(raw_assignment[SEND_TIME])})
    return FolderAnalysis(analysis, assignment, read.orders)


def _analysed_assignment(raw: pd.DataFrame, folder: Path) -> pd.DataFrame:
    """customer_id, segment (the stratum), arm of an experiment folder's assignment."""
    return pd.DataFrame(
        {
            CUSTOMER_ID: contracts.ids_as_text(raw, CUSTOMER_ID, folder, unique=True),
            SEGMENT: segment_labels(raw, STRATUM, folder),
            ARM: arm_labels(raw, ARM, folder),
        }
    )


def _table_outcomes(
    path: Path,
    conversion_col: str,
    revenue_col: str | None,
    customer_col: str,
    covariate: str | None,
    encoding: str | None,
) -> _ReadOutcomes:
    """A per-customer outcomes table: customer_id, 0/1 conversion (+ revenue, a covariate)."""
    raw = io.read_table(path, encoding=encoding, string_columns=[customer_col])
    frame = contracts.rename_to_canonical(raw, {CUSTOMER_ID: customer_col}, path)
    if revenue_col is None and REVENUE in frame.columns:
        revenue_col = REVENUE
    contracts.require_columns(frame, [CUSTOMER_ID] + ([revenue_col] if revenue_col else []), path)
    outcomes = pd.DataFrame(
        {
            CUSTOMER_ID: contracts.ids_as_text(frame, CUSTOMER_ID, path, unique=True),
            CONVERTED: conversion_flags(frame, conversion_col, path),
        }
    )
    if revenue_col:
        outcomes[REVENUE] = contracts.numeric_column(frame, revenue_col, path)
    covariate_frame = None
    if covariate:
        contracts.require_columns(frame, (covariate,), path)
        covariate_frame = pd.DataFrame(
            {
                CUSTOMER_ID: outcomes[CUSTOMER_ID],
                COVARIATE: contracts.numeric_column(frame, covariate, path),
            }
        )
    notes: dict[str, object] = {"mode": "experiment + per-customer outcomes"}
    return _ReadOutcomes(outcomes, notes, covariate=covariate_frame)


def _order_outcomes(
    path: Path,
    inputs: InputSpec,
    meta: Mapping,
    names: list[str],
    *,
    start: str | None,
    window_days: int | None,
    covariate: str | None,
    encoding: str | None,
) -> _ReadOutcomes:
    """An orders file: the counted orders, the outcomes of the response window, its coverage,
    and the pre-period revenue as the covariate."""
    counted = load_orders(path, inputs.orders, encoding=encoding)
    orders = counted.frame()
    notes: dict[str, object] = {"order_counting": counted.counting.to_json()}
    begin = start_from_campaign(start, meta)
    window_days = window_days_from_campaign(window_days, meta)
    derived = outcomes_from_orders(orders, begin, window_days)
    coverage = window_coverage_notice(orders[ORDER_TIME], begin, window_days)
    notes.update(
        mode="experiment + orders",
        window_start=begin.isoformat(),
        window_days=window_days,
        orders_in_window=derived.orders_in_window,
        refund_rows=derived.refund_rows,
        refund_amount=derived.refund_amount,
    )
    covariate_frame = None
    if covariate:
        _check_order_covariate(covariate, path, names)
        covariate_frame = pre_period_revenue(orders, begin)
    notices = []
    if counted.counting.changed_anything:
        notices.append(Notice("note", "orders_counted", asdict(counted.counting)))
    if coverage is not None:
        notices.append(coverage)
    return _ReadOutcomes(
        derived.per_customer,
        notes,
        covariate=covariate_frame,
        orders=orders,
        daily=derived.daily,
        window_days=window_days,
        notices=tuple(notices),
    )


def _check_order_covariate(covariate: str, path: Path, names: list[str]) -> None:
    """With an orders file the only covariate is ``pre_revenue``."""
    if covariate == PRE_REVENUE:
        return
    kind = (
        "an order column, not a per-customer value"
        if covariate in names
        else "not something an orders file has"
    )
    raise usage_error(
        path,
        f"{{covariate}} '{literal(covariate)}' is {kind} "
        f"(the file has: {literal(', '.join(names[:20]))})",
        f"With an orders file use {{covariate={PRE_REVENUE}}} (revenue in the 365 days "
        "before {start}), or pass a per-customer outcomes table with that column",
    )


def _join_notes(joined: JoinedUnits) -> dict[str, object]:
    notes: dict[str, object] = {
        "unknown_customers_ignored": joined.unknown_customers,
        "customers_without_outcome_counted_as_zero": joined.customers_without_outcome,
    }
    if REVENUE in joined.units.columns:
        notes["customers_with_negative_revenue"] = int((joined.units[REVENUE] < 0).sum())
    return notes


# ---------------------------------------------------------------------------------------------
# The report folder


REPORT_FILES = ("report.json", "report.md", "report.html")


def is_report_file(entry: Path) -> bool:
    """Whether a folder entry is one analyze writes (so a report folder is written again
    without --force, and nothing else in it is deleted unasked)."""
    return entry.is_file() and (entry.name in REPORT_FILES or entry.suffix == ".png")


def check_report_folder(out: Path, *, force: bool = False, inputs: tuple = ()) -> None:
    """Refuse, before any work, a report folder holding the command's inputs or the working
    directory, or files analyze did not write (unless ``force``)."""
    io.refuse_existing_folder(out, force=force, own_files=is_report_file, inputs=inputs)


def write_report(
    analysis: Analysis, out_dir: Path, labels: Labels = EN, *, force: bool = False
) -> Path:
    """Write report.md, report.html, report.json and the PNG figures into ``out_dir``.

    The folder is built beside the target and swapped in only when complete, so a failed run
    leaves no half report (and an existing report is replaced only by a complete one). A folder
    with other files in it is refused unless ``force``.
    """
    documents = report_documents(analysis, labels)
    with io.atomic_directory(Path(out_dir), force=force, own_files=is_report_file) as staging:
        io.write_json(documents.payload, staging / "report.json")
        io.write_text(documents.markdown, staging / "report.md")
        io.write_text(documents.html, staging / "report.html")
        for name, data in documents.images.items():
            io.write_bytes(data, staging / f"{name}.png")
    return Path(out_dir)
