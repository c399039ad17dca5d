"""Past campaigns from plain files: a customer/arm list (or a send log and a holdout list) ->
the assignment and design.json content of an experiment folder.

SMS platforms and CRM tools hand a past campaign over as ``customer_id,arm`` (or as a log of
sends plus the list of customers held out). These pure steps validate such a table, measure the
arm fractions per stratum and overall, check the split against the intended fractions (sample
ratio mismatch) and build the same folder content that :mod:`uplift_lab.experiment` holds, marked
``"imported": true``, so ``analyze``, ``train --experiment`` and ``evaluate`` read it like a
designed experiment. Reading and writing files is :mod:`uplift_lab.workflows.import_campaign`'s.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from uplift_lab import __version__, stats
from uplift_lab.analysis_inputs import arm_labels, resolve_control, tiny_arm_error
from uplift_lab.analysis_notices import SRM_ALPHA
from uplift_lab.contracts import (
    ARM,
    CONTROL_ARM,
    CUSTOMER_ID,
    LIFECYCLE_STAGES,
    STRATUM,
    check_labels,
    datetime_column,
    ids_as_text,
)
from uplift_lab.design_spec import DEFAULT_MIN_HOLDOUT, check_experiment_name
from uplift_lab.errors import ParameterError, input_error, literal, usage_error
from uplift_lab.finite import finite_or_none
from uplift_lab.notices import Notice
from uplift_lab.power import OVERALL
from uplift_lab.strata import ALL_CUSTOMERS, MISSING_STRATUM
from uplift_lab.timeparse import DEFAULT_TIME_PARSING, TimeParsing

SEND_TIME = "send_time"
FRACTION_TOLERANCE = 1e-6
IMPORTED_HASH_RULE = "none: arms were assigned by the campaign's own tool, not by uplift-lab"
EXPECTED_EXAMPLE = "control=0.1,sms=0.45,edm=0.45"


@dataclass(frozen=True, slots=True, eq=False)
class ImportedCampaign:
    """A past campaign's assignment as uplift-lab keeps it, with its measured split.

    ``assignment`` has customer_id, stratum, arm (and send_time when the sends were timed),
    sorted by customer_id, exactly as ``design`` writes it. ``counts`` and ``fractions`` are
    ``{stratum: {arm: value}}``; ``overall_fractions`` pools the strata. ``srm`` holds the
    sample-ratio check per stratum (and ``"(overall)"``) when ``expected`` fractions were given.
    """

    name: str
    control_arm: str
    arms: tuple[str, ...]
    strata: tuple[str, ...]
    assignment: pd.DataFrame
    counts: dict[str, dict[str, int]]
    fractions: dict[str, dict[str, float]]
    overall_counts: dict[str, int]
    overall_fractions: dict[str, float]
    expected: dict[str, float] | None
    srm: dict[str, stats.SrmResult]
    warnings: tuple[Notice, ...]  # put in words by uplift_lab.report.notice_text

    @property
    def treated_arms(self) -> tuple[str, ...]:
        """Every arm except the control arm."""
        return tuple(arm for arm in self.arms if arm != self.control_arm)

    @property
    def mismatches(self) -> dict[str, stats.SrmResult]:
        """The sample-ratio checks that failed (p < 0.001)."""
        return {where: r for where, r in self.srm.items() if r.p_value < SRM_ALPHA}


def check_expected(expected: Mapping[str, float], control: str) -> dict[str, float]:
    """Validate intended arm fractions: the control among them, each in (0, 1), sum 1."""
    fractions = {str(arm).strip(): value for arm, value in expected.items()}
    if len(fractions) < 2:
        raise ParameterError(
            "expected",
            "must give every arm's intended fraction",
            dict(expected),
            fix=f"e.g. {EXPECTED_EXAMPLE}",
        )
    if control not in fractions:
        raise ParameterError(
            "expected",
            f"must include the control arm '{control}'",
            ", ".join(fractions),
            fix=f"e.g. {EXPECTED_EXAMPLE}",
        )
    for arm, value in fractions.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
            raise ParameterError(f"expected[{arm}]", "must be a fraction in (0, 1)", value)
    total = sum(fractions.values())
    if abs(total - 1) > FRACTION_TOLERANCE:
        raise ParameterError(
            "expected", "must have fractions that sum to 1", total, fix=f"e.g. {EXPECTED_EXAMPLE}"
        )
    return {arm: float(value) for arm, value in fractions.items()}


def import_campaign(
    frame: pd.DataFrame,
    *,
    name: str,
    source: object,
    arm_col: str = ARM,
    control: str | None = CONTROL_ARM,
    id_col: str = CUSTOMER_ID,
    strata_col: str | None = None,
    expected: Mapping[str, float] | None = None,
    send_time_col: str | None = None,
    parsing: TimeParsing = DEFAULT_TIME_PARSING,
) -> ImportedCampaign:
    """Validate a past campaign table (one row per customer) and measure its split.

    Parameters
    ----------
    frame : one row per customer with ``id_col`` and ``arm_col`` (labels are stripped).
    name : experiment name (the folder name).
    control : label of the holdout arm; it must occur in ``arm_col`` (None: 'control', or the
        0 of a 0/1 indicator column, :func:`~uplift_lab.analysis_inputs.resolve_control`).
    strata_col : column whose values were randomized separately (default: one stratum "all").
    expected : intended ``{arm: fraction}``; labels outside it are refused, and the split is
        checked against it per stratum and overall (:func:`stats.sample_ratio_mismatch`).
        Without it an arm under 1% of the rows is refused as a likely typo.
    send_time_col : a column of send times kept in the assignment as ``send_time``.

    Returns
    -------
    ImportedCampaign
    """
    check_experiment_name(name)
    columns = [id_col, arm_col] + [c for c in (strata_col,) if c]
    for column in columns:
        if column not in frame.columns:
            parameter = {id_col: "id_col", arm_col: "arm_col"}.get(column, "strata_col")
            shown = literal(", ".join(map(str, frame.columns[:20])))
            fix = f"The file has: {shown}. Name it with {{{parameter}}}"
            raise usage_error(source, f"missing column '{literal(column)}'", fix)
    if len(frame) == 0:
        raise input_error(source, "has no rows", "Pass the campaign's customers, one per row")
    ids = _customer_ids(frame, id_col, source)
    arms = arm_labels(frame, arm_col, source)
    present = sorted(arms.unique())
    control = resolve_control(present, control, source, arm_col)
    if control not in present:
        shown = ", ".join(f"'{arm}'" for arm in present[:20])
        raise usage_error(
            source,
            f"control arm '{literal(control)}' is not in column '{literal(arm_col)}' "
            f"(arms: {literal(shown)})",
            "Pass the holdout label with {control}",
        )
    if len(present) < 2:
        raise input_error(
            source,
            f"column '{arm_col}' has only the control arm '{control}'",
            "A campaign needs its holdout and at least one treated arm",
        )
    if expected is not None:
        expected = check_expected(expected, control)
        check_labels(
            arms, list(expected), source, arm_col, "Fix those labels, or declare them in {expected}"
        )
    else:
        error = tiny_arm_error(arms, source, arm_col)
        if error is not None:
            raise error
    order = list(expected) if expected is not None else present
    arm_order = (control, *[arm for arm in order if arm != control])
    strata = _strata(frame, strata_col)
    table = pd.DataFrame({CUSTOMER_ID: ids, STRATUM: strata, ARM: arms})
    if send_time_col is not None:
        table[SEND_TIME] = _send_times(frame, send_time_col, source, parsing)
    table = table.sort_values(CUSTOMER_ID, kind="stable").reset_index(drop=True)
    return _measure(name, control, arm_order, strata_col, table, expected)


def _send_times(
    frame: pd.DataFrame, column: str, source: object, parsing: TimeParsing = DEFAULT_TIME_PARSING
) -> np.ndarray:
    """Send times as datetimes; already-parsed ones may be missing (holdout customers)."""
    if column not in frame.columns:
        raise usage_error(
            source,
            f"missing column '{literal(column)}'",
            f"The file has: {literal(', '.join(map(str, frame.columns[:20])))}. Name it with "
            "{send_time_col}",
        )
    if pd.api.types.is_datetime64_any_dtype(frame[column]):
        return frame[column].astype("datetime64[ns]").to_numpy()
    return datetime_column(frame, column, source, parsing).to_numpy()


def _customer_ids(frame: pd.DataFrame, id_col: str, source: object) -> pd.Series:
    """Ids as text, stripped; empty and duplicate ids are refused."""
    raw = frame[id_col]
    blank = raw.notna() & (raw.astype(str).str.strip() == "")
    if blank.any():
        row = int(np.flatnonzero(blank.to_numpy())[0])
        raise input_error(
            source,
            f"column '{id_col}' has {int(blank.sum())} empty id(s) (first at data row {row + 1})",
            "Remove or fill those rows",
        )
    ids = ids_as_text(frame, id_col, source, unique=False).str.strip()
    duplicated = ids.duplicated()
    if duplicated.any():
        raise input_error(
            source,
            f"column '{id_col}' has {int(duplicated.sum())} duplicate id(s), e.g. "
            f"'{ids[duplicated].iloc[0]}'",
            "Each customer belongs to one arm once; deduplicate the file",
        )
    return ids.reset_index(drop=True)


def _strata(frame: pd.DataFrame, strata_col: str | None) -> np.ndarray:
    if strata_col is None:
        return np.full(len(frame), ALL_CUSTOMERS, dtype=object)
    values = frame[strata_col]
    text = values.astype(str).str.strip()
    return np.where(values.isna() | (text == ""), MISSING_STRATUM, text).astype(object)


def _measure(
    name: str,
    control: str,
    arms: tuple[str, ...],
    strata_col: str | None,
    table: pd.DataFrame,
    expected: dict[str, float] | None,
) -> ImportedCampaign:
    """Counts and fractions per stratum and overall, and the SRM checks against ``expected``."""
    crosstab = pd.crosstab(table[STRATUM], table[ARM]).reindex(columns=list(arms), fill_value=0)
    if set(crosstab.index) <= set(LIFECYCLE_STAGES):  # lifecycle strata in stage order
        crosstab = crosstab.loc[[s for s in LIFECYCLE_STAGES if s in crosstab.index]]
    counts = {
        str(stratum): {arm: int(row[arm]) for arm in arms} for stratum, row in crosstab.iterrows()
    }
    fractions = {stratum: _shares(arm_counts) for stratum, arm_counts in counts.items()}
    overall = {arm: int(crosstab[arm].sum()) for arm in arms}
    srm: dict[str, stats.SrmResult] = {}
    warnings: list[Notice] = []
    if expected is not None:
        if len(counts) > 1:
            srm.update(
                (stratum, stats.sample_ratio_mismatch(arm_counts, expected))
                for stratum, arm_counts in counts.items()
            )
        srm[OVERALL] = stats.sample_ratio_mismatch(overall, expected)
        warnings += [srm_notice(where, result) for where, result in srm.items()
                     if result.p_value < SRM_ALPHA]  # fmt: skip
    small = [
        Notice("warning", "imported_small_holdout",
               {"stratum": stratum, "n": n[control], "min_holdout": DEFAULT_MIN_HOLDOUT})
        for stratum, n in counts.items()
        if n[control] < DEFAULT_MIN_HOLDOUT
    ]  # fmt: skip
    warnings += small
    return ImportedCampaign(
        name=name,
        control_arm=control,
        arms=arms,
        strata=(strata_col,) if strata_col else (),
        assignment=table,
        counts=counts,
        fractions=fractions,
        overall_counts=overall,
        overall_fractions=_shares(overall),
        expected=expected,
        srm=srm,
        warnings=tuple(warnings),
    )


def _shares(counts: Mapping[str, int]) -> dict[str, float]:
    total = sum(counts.values())
    return {arm: (n / total if total else math.nan) for arm, n in counts.items()}


def srm_notice(where: str, result: stats.SrmResult) -> Notice:
    """The loud (critical) notice of a failed sample-ratio check, ``where`` a stratum or
    :data:`~uplift_lab.power.OVERALL`."""
    params = {"where": where, "observed": result.observed, "expected": result.expected}
    return Notice("critical", "imported_srm", {**params, "p_value": result.p_value})


def combine_send_log(
    send_log: pd.DataFrame,
    holdout: pd.DataFrame,
    *,
    send_source: object,
    holdout_source: object,
    channel_col: str = "channel",
    send_time_col: str | None = "send_time",
    id_col: str = CUSTOMER_ID,
    control: str = CONTROL_ARM,
    parsing: TimeParsing = DEFAULT_TIME_PARSING,
) -> tuple[pd.DataFrame, list[Notice]]:
    """One row per customer (customer_id, arm, send_time) from a send log and a holdout list.

    The channel is the arm; holdout customers get the ``control`` arm and no send time. A
    customer sent several times on one channel keeps the first send; one sent on two channels,
    or both sent and held out, is refused. A send without a send time (a failed delivery) stays
    in its arm, as intent to treat reads it. Returns the table and notes on what was collapsed.
    """
    control = str(control).strip()
    send_columns = [id_col, channel_col] + ([send_time_col] if send_time_col else [])
    parameters = {id_col: "id_col", channel_col: "channel_col"}
    _require_columns(send_log, send_source, send_columns, parameters)
    _require_columns(holdout, holdout_source, [id_col], parameters)
    if len(send_log) == 0:
        raise input_error(send_source, "has no rows", "Pass the log of the campaign's sends")
    if len(holdout) == 0:
        raise input_error(holdout_source, "has no rows", "Pass the customers held out")
    sends = _sends(send_log, send_source, channel_col, send_time_col, id_col, control, parsing)
    notes = []
    if send_time_col:
        untimed = int(sends[SEND_TIME].isna().sum())
        if untimed:
            params = {"column": send_time_col, "sends": untimed}
            notes.append(Notice("note", "untimed_sends", params))
        sends = sends.sort_values([CUSTOMER_ID, SEND_TIME], kind="stable")
    repeated = sends.duplicated(CUSTOMER_ID)
    if repeated.any():
        notes.append(Notice("note", "repeated_sends", {"sends": int(repeated.sum())}))
        sends = sends[~repeated]
    held = _customer_ids(holdout, id_col, holdout_source)
    both = held[held.isin(sends[CUSTOMER_ID])]
    if len(both):
        raise input_error(
            holdout_source,
            f"{len(both):,} customer(s) are both held out and in the send log {send_source}, "
            f"e.g. '{both.iloc[0]}'",
            "A holdout customer must not be sent; fix the lists (or drop those customers)",
        )
    controls = pd.DataFrame({CUSTOMER_ID: held.to_numpy(), ARM: control})
    if send_time_col:
        controls[SEND_TIME] = pd.Series(pd.NaT, index=controls.index, dtype=sends[SEND_TIME].dtype)
    combined = pd.concat([sends, controls], ignore_index=True)
    return combined, notes


def _require_columns(
    frame: pd.DataFrame, source: object, columns: list[str], parameters: Mapping[str, str]
) -> None:
    """Refuse a missing column, naming the parameter that names it (default send_time_col)."""
    for column in columns:
        if column not in frame.columns:
            raise usage_error(
                source,
                f"missing column '{literal(column)}'",
                f"The file has: {literal(', '.join(map(str, frame.columns[:20])))}. Name it with "
                f"{{{parameters.get(column, 'send_time_col')}}}",
            )


def _sends(
    send_log: pd.DataFrame,
    source: object,
    channel_col: str,
    send_time_col: str | None,
    id_col: str,
    control: str,
    parsing: TimeParsing = DEFAULT_TIME_PARSING,
) -> pd.DataFrame:
    """customer_id, arm (the channel) and send_time per send; one channel per customer."""
    sends = pd.DataFrame(
        {
            CUSTOMER_ID: _send_ids(send_log, id_col, source),
            ARM: arm_labels(send_log, channel_col, source).to_numpy(),
        }
    )
    if send_time_col:  # empty for a failed delivery: the send stays in its arm (intent to treat)
        times = datetime_column(send_log, send_time_col, source, parsing, allow_missing=True)
        sends[SEND_TIME] = times.to_numpy()
    if control in set(sends[ARM]):
        raise usage_error(
            source,
            f"column '{literal(channel_col)}' has the control label '{literal(control)}'",
            "The holdout list is the control arm; name it otherwise with {control}",
        )
    channels = sends.groupby(CUSTOMER_ID)[ARM].nunique()
    mixed = channels[channels > 1]
    if len(mixed):
        customer = mixed.index[0]
        got = ", ".join(f"'{a}'" for a in sorted(sends.loc[sends[CUSTOMER_ID] == customer, ARM]))
        raise input_error(
            source,
            f"{len(mixed):,} customer(s) were sent on more than one channel, e.g. '{customer}' "
            f"({got}), so they have no single arm",
            "Keep each customer's campaign channel only (one arm per customer)",
        )
    return sends


def _send_ids(frame: pd.DataFrame, id_col: str, source: object) -> np.ndarray:
    raw = frame[id_col]
    blank = raw.isna() | (raw.astype(str).str.strip() == "")
    if blank.any():
        row = int(np.flatnonzero(blank.to_numpy())[0])
        raise input_error(
            source,
            f"column '{id_col}' has {int(blank.sum())} empty id(s) (first at data row {row + 1})",
            "Remove or fill those rows",
        )
    return ids_as_text(frame, id_col, source, unique=False).str.strip().to_numpy()


def imported_metadata(
    campaign: ImportedCampaign,
    *,
    input_file: str,
    input_sha256: str,
    assignment_sha256: str,
    created_at: str,
    start: pd.Timestamp,
    window_days: int,
    source_columns: Mapping[str, Any],
    extra_inputs: Mapping[str, str] | None = None,
    warnings: Sequence[str] = (),
) -> dict[str, Any]:
    """The content of ``design.json`` for an imported campaign (design's keys, plus
    ``imported``, ``measured_fractions``, ``expected`` and ``srm``); ``warnings`` are the
    campaign's notices in words (uplift_lab.report.notice_text renders them).

    ``fractions`` (what ``analyze`` checks the split against) are the ``--expected`` fractions
    in every stratum, or null when none were given: measured fractions are never passed off as
    the intended ones (a check against them would always pass).
    """
    intended = None
    if campaign.expected is not None:
        intended = {stratum: dict(campaign.expected) for stratum in campaign.counts}
    srm = {
        where: {
            "observed": result.observed,
            "expected": result.expected,
            "statistic": finite_or_none(result.statistic),
            "p_value": finite_or_none(result.p_value),
            "mismatch": bool(result.p_value < SRM_ALPHA),
        }
        for where, result in campaign.srm.items()
    }
    measured = dict(campaign.fractions)
    measured[OVERALL] = campaign.overall_fractions
    meta: dict[str, Any] = {
        "name": campaign.name,
        "imported": True,
        "salt": None,
        "hash": IMPORTED_HASH_RULE,
        "created_at": created_at,
        "input_file": input_file,
        "input_sha256": input_sha256,
        **dict(extra_inputs or {}),
        "assignment_sha256": assignment_sha256,
        "strata": list(campaign.strata),
        "control_arm": campaign.control_arm,
        "arms": list(campaign.arms),
        "fractions": intended,
        "measured_fractions": measured,
        "expected": campaign.expected,
        "srm": srm or None,
        "counts": campaign.counts,
        "n_customers": int(len(campaign.assignment)),
        "mde": None,
        "balance": None,
        "min_holdout": DEFAULT_MIN_HOLDOUT,
        "small_holdouts": {
            stratum: n[campaign.control_arm]
            for stratum, n in campaign.counts.items()
            if n[campaign.control_arm] < DEFAULT_MIN_HOLDOUT
        },
        "warnings": list(warnings),
        "import": dict(source_columns),
        "uplift_lab_version": __version__,
        "campaign": {
            "start": start.date().isoformat() if start == start.normalize() else start.isoformat(),
            "window_days": int(window_days),
            "source": "import-campaign",
        },
    }
    return meta
