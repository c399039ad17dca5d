"""The holdout of a campaign plan, through the design code, so analyze reads it like any experiment.

A random share of the selected customers is kept out of the send, exactly per segment x channel
(``uplift_lab.design.assign``); the ``send`` arm is renamed to each stratum's channel, so the
experiment's arms are ``control`` and the channel names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from uplift_lab import contracts, design
from uplift_lab.contracts import CONTROL_ARM, CUSTOMER_ID
from uplift_lab.errors import (
    ParameterError,
    UsageError,
    literal,
    usage_error,
)
from uplift_lab.notices import Notice

SEND_LIST_COLUMNS = (
    CUSTOMER_ID,
    "channel",
    "expected_incremental_revenue",
    "expected_profit",
    "rank",
)
HOLDOUT_STRATA = ("segment", "channel")
BALANCE_COLUMNS = ("expected_incremental_revenue", "expected_profit")


@dataclass(frozen=True, slots=True)
class HoldoutSplit:
    """The plan split into a send list and a holdout, stratified by segment and channel.

    ``design`` is the experiment (arm = channel name or ``control``) to write with
    ``experiment.write_experiment``; it is None when ``fraction`` is 0. ``send_list`` has the
    :data:`SEND_LIST_COLUMNS` of the customers to message, ranked 1..n.
    """

    fraction: float
    design: design.ExperimentDesign | None
    send_list: pd.DataFrame
    holdout_counts: dict[tuple[str, str], int]
    n_send: int
    send_cost: float


def split_holdout(
    selected: pd.DataFrame,
    fraction: float,
    *,
    name: str,
    salt: str | None = None,
    min_holdout: int = 200,
) -> HoldoutSplit:
    """Keep a random ``fraction`` of the selected customers out of the send, exactly per stratum.

    The assignment uses ``uplift_lab.design.assign`` (salted SHA-256 ranking, exact counts per
    segment x channel), then the ``send`` arm is renamed to each stratum's channel.
    """
    if not 0 <= fraction < 1:
        raise ParameterError("fraction", "must be in [0, 1)", fraction)
    if len(selected) == 0:
        raise UsageError(
            "nothing to send: no eligible customer has a channel with positive expected profit"
            " within the budget. Check the budget, {eligible} and the scores"
        )
    if fraction == 0:
        return _split(selected, selected, fraction=0.0, experiment=None, holdout_counts={})
    frame = selected[[CUSTOMER_ID, *HOLDOUT_STRATA, *BALANCE_COLUMNS]]
    design.check_experiment_name(name)
    raw = design.assign(frame, name=name, strata=HOLDOUT_STRATA, holdout=fraction, salt=salt)
    assignment = _by_channel(raw, list(dict.fromkeys(selected["channel"])))
    experiment = _holdout_design(assignment, frame.iloc[raw.source_rows], min_holdout)
    is_held = (raw.assignment[contracts.ARM] != contracts.SEND_ARM).to_numpy()
    held_ids = raw.assignment.loc[is_held, CUSTOMER_ID]
    send = selected[~selected[CUSTOMER_ID].isin(held_ids)]
    holdout_counts = {
        tuple(label.split(design.STRATUM_SEPARATOR)): arms[CONTROL_ARM]
        for label, arms in assignment.counts.items()
    }
    return _split(
        selected,
        send,
        fraction=float(fraction),
        experiment=experiment,
        holdout_counts=holdout_counts,
    )


def _split(
    selected: pd.DataFrame,
    send: pd.DataFrame,
    *,
    fraction: float,
    experiment: design.ExperimentDesign | None,
    holdout_counts: dict[tuple[str, str], int],
) -> HoldoutSplit:
    """The split with ``send`` (a subset of ``selected``, in its order) ranked 1..n."""
    send = send.assign(rank=np.arange(1, len(send) + 1, dtype=np.int64))
    return HoldoutSplit(
        fraction=fraction,
        design=experiment,
        send_list=send[list(SEND_LIST_COLUMNS)].reset_index(drop=True),
        holdout_counts=holdout_counts,
        n_send=len(send),
        send_cost=float(send["expected_cost"].sum()),
    )


def _channel_of_stratum(labels: Sequence[str]) -> dict[str, str]:
    """A stratum label ``segment|channel`` -> its channel."""
    return {label: label.split(design.STRATUM_SEPARATOR)[-1] for label in labels}


def _by_channel(raw: design.Assignment, channel_names: Sequence[str]) -> design.Assignment:
    """The send/control assignment with ``send`` renamed to each stratum's channel."""
    channel_of_stratum = _channel_of_stratum(list(raw.counts))
    assignment = raw.assignment.copy()
    is_send = (assignment[contracts.ARM] == contracts.SEND_ARM).to_numpy()
    channel_arm = assignment[contracts.STRATUM].map(channel_of_stratum).to_numpy(dtype=object)
    assignment[contracts.ARM] = np.where(is_send, channel_arm, CONTROL_ARM).astype(str)
    assignment[contracts.ARM] = assignment[contracts.ARM].astype(
        raw.assignment[contracts.ARM].dtype
    )

    def relabel(arms: Mapping[str, object], label: str) -> dict:
        return {
            (channel_of_stratum[label] if arm == contracts.SEND_ARM else arm): value
            for arm, value in arms.items()
        }

    return design.Assignment(
        name=raw.name,
        salt=raw.salt,
        strata=raw.strata,
        arms=(CONTROL_ARM, *channel_names),
        control_arm=CONTROL_ARM,
        assignment=assignment,
        counts={label: relabel(arms, label) for label, arms in raw.counts.items()},
        fractions={label: relabel(arms, label) for label, arms in raw.fractions.items()},
        source_rows=raw.source_rows,
    )


def _holdout_design(
    assignment: design.Assignment, rows: pd.DataFrame, min_holdout: int
) -> design.ExperimentDesign:
    """The experiment of the holdout: power and balance per stratum, small holdouts flagged.

    ``rows`` are the selected customers in the assignment's order.
    """
    counts = assignment.counts
    power = design.mde_per_stratum(
        counts, {label: design.DEFAULT_BASELINE for label in counts}, control_arm=CONTROL_ARM
    )
    small = {
        label: arms[CONTROL_ARM]
        for label, arms in counts.items()
        if arms[CONTROL_ARM] < min_holdout
    }
    warnings = tuple(
        Notice(
            "warning",
            "target_small_holdout",
            {"stratum": label, "n": n, "min_holdout": min_holdout},
        )
        for label, n in small.items()
    )
    return design.ExperimentDesign(
        assignment=assignment,
        power=power,
        balance=_own_channel_balance(assignment, rows.reset_index(drop=True)),
        min_holdout=min_holdout,
        small_holdouts=small,
        warnings=warnings,
        baseline_source="default",
    )


def _own_channel_balance(assignment: design.Assignment, rows: pd.DataFrame) -> design.BalanceReport:
    """Balance of the expected values per stratum, for the one channel each stratum has."""
    frame = assignment.assignment
    balance = design.balance_per_stratum(
        rows[list(BALANCE_COLUMNS)],
        frame[contracts.STRATUM].to_numpy(),
        frame[contracts.ARM].to_numpy(),
        control_arm=CONTROL_ARM,
        stratum_order=list(assignment.counts),
    )
    # Each stratum has one channel: drop the balance rows of arms that stratum cannot have.
    table = balance.table
    channel_of_stratum = _channel_of_stratum(list(assignment.counts))
    own_arm = table[contracts.STRATUM].map(channel_of_stratum) == table[contracts.ARM]
    return design.BalanceReport(
        threshold=balance.threshold,
        covariates=balance.covariates,
        table=table[own_arm.to_numpy()].reset_index(drop=True),
    )


def check_send_list_columns(
    columns: Sequence[str], segments: pd.DataFrame | None, source: object
) -> None:
    """Refuse --with-columns without --segments, naming a column it lacks or one it would
    overwrite."""
    if not columns:
        return
    if segments is None:
        raise UsageError(
            "{with_columns}: the columns come from {segments=FILE}; pass it (e.g. the output "
            "of uplift-lab segment with {customers}, which carries the customer attributes)"
        )
    for column in columns:
        if column in SEND_LIST_COLUMNS:
            raise UsageError(
                f"{{with_columns}}: '{literal(column)}' is already a send-list column; "
                "drop it from the list"
            )
        if column not in segments.columns:
            shown = ", ".join(map(str, segments.columns[:20]))
            raise usage_error(
                source,
                f"missing column '{literal(column)}' asked for by {{with_columns}}",
                f"The file has: {literal(shown)}. "
                "Add it (segment {customers} passes customer attributes "
                "through) or drop it from {with_columns}",
            )


def send_list_with_columns(
    send_list: pd.DataFrame, segments: pd.DataFrame | None, columns: Sequence[str]
) -> pd.DataFrame:
    """The send list with ``columns`` of each customer's segments row appended, in order."""
    if not columns or segments is None:
        return send_list
    extra = segments[[CUSTOMER_ID, *columns]]
    return send_list.merge(extra, on=CUSTOMER_ID, how="left", validate="one_to_one")
