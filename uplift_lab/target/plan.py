"""The campaign plan over frames: who is eligible, who gets which channel, and what it is worth.

:func:`plan_campaign` aligns the scores with the segments file, masks opt-outs and ineligible
customers, calls the solver (:func:`uplift_lab.target.solver.select_offers`) and summarizes the
choice per segment, along the budget, and against the RFM rule and random targeting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from uplift_lab import contracts
from uplift_lab.contracts import CUSTOMER_ID, LIFECYCLE
from uplift_lab.errors import UsageError, literal, usage_error
from uplift_lab.tags import where_mask
from uplift_lab.target.channels import (
    RFM_SCORE,
    Channel,
    TargetConfig,
    channel_scores,
    opt_in_column,
    opt_in_mask,
    with_value,
)
from uplift_lab.target.solver import Selection, option_economics, rank_policy, select_offers

ALL_SEGMENT = "all"
UPLIFT_POLICY = "uplift (this plan)"
SEGMENTS_POLICY = "segments (this plan)"
RFM_POLICY = "RFM rule (rfm_score)"
RANDOM_POLICY = "random"
MODEL_VALUED = "model"
IPW_VALUED = "ipw"


@dataclass(frozen=True, slots=True)
class CampaignPlan:
    """A targeting decision and everything the report shows about it.

    ``selected``: one row per customer picked (before the holdout): customer_id, segment,
    channel, expected_cost, expected_incremental_revenue, expected_profit, rank (1 = best).
    ``by_segment``: segment x channel counts, cost, incremental revenue, profit, ROI.
    ``curve``: expected profit as a function of budget. ``comparison``: the same budget spent by
    uplift, RFM rule and random. Counts explain who was left out and why.
    """

    config: TargetConfig
    selection: Selection
    selected: pd.DataFrame
    by_segment: pd.DataFrame
    curve: pd.DataFrame
    comparison: pd.DataFrame
    n_scored: int
    n_eligible: int
    n_not_in_segments: int
    n_opted_out: int
    n_no_profitable_option: int
    comparison_picks: Mapping[str, pd.Series] = field(default_factory=dict, repr=False)
    comparison_valued_by: str = MODEL_VALUED


def plan_campaign(
    scores: pd.DataFrame,
    config: TargetConfig,
    segments: pd.DataFrame | None = None,
    *,
    seed: int = 0,
    only_channel: pd.Series | None = None,
) -> CampaignPlan:
    """Pick who gets which channel within budget (see :mod:`uplift_lab.target`).

    ``scores`` and ``segments`` are validated frames (:func:`validate_scores`,
    ``contracts.validate_customers``). Customers are processed in customer_id order, so the plan
    does not depend on file order. ``seed`` drives only the random-targeting comparison.
    ``only_channel`` (customer_id -> channel name) allows each listed customer that channel only
    and nobody else a message (the segments policy).
    """
    channels = config.channels
    scored = scores.sort_values(CUSTOMER_ID, kind="stable").reset_index(drop=True)
    attributes, in_segments = _customer_attributes(scored, segments, channels)
    eligible = _eligible(scored, segments, attributes, in_segments, config)
    opted_in = opt_in_mask(attributes, channels, "segments file")
    allowed = opted_in & eligible[:, None]
    reachable_by_rules = allowed.copy()
    if only_channel is not None:
        wanted = scored[CUSTOMER_ID].map(only_channel).to_numpy(dtype=object)
        allowed &= wanted[:, None] == _channel_names(channels)[None, :]

    revenue, p_convert = channel_scores(scored, channels)
    profit, cost = option_economics(
        revenue,
        p_convert,
        [c.message_cost for c in channels],
        [c.coupon for c in channels],
        config.margin,
    )
    selection = select_offers(
        profit,
        cost,
        allowed,
        budget=config.budget,
        max_customers=config.max_customers,
        min_expected_profit=config.min_expected_profit,
    )
    usable_any = (allowed & (profit > 0)).any(axis=1)
    segment = (
        attributes[LIFECYCLE]
        if LIFECYCLE in attributes.columns
        else pd.Series(ALL_SEGMENT, index=scored.index, dtype="str")
    )
    selected = _selected_frame(scored, selection, segment, channels, revenue, profit, cost)
    comparison, picks = _compare_policies(
        attributes, selection, reachable_by_rules, profit, cost, channels, seed=seed
    )
    curve = pd.DataFrame(
        {"budget": selection.curve_budget, "expected_profit": selection.curve_profit}
    )
    return CampaignPlan(
        config=config,
        selection=selection,
        selected=selected,
        by_segment=summarize_by_segment(selected),
        curve=curve,
        comparison=comparison,
        n_scored=len(scored),
        n_eligible=int(eligible.sum()),
        n_not_in_segments=int((~in_segments).sum()),
        n_opted_out=int((eligible & ~opted_in.any(axis=1)).sum()),
        n_no_profitable_option=int((eligible & opted_in.any(axis=1) & ~usable_any).sum()),
        comparison_picks=_picks_by_customer(picks, scored, channels),
    )


def _channel_names(channels: Sequence[Channel]) -> np.ndarray:
    return np.array([c.name for c in channels], dtype=object)


def _eligible(
    scored: pd.DataFrame,
    segments: pd.DataFrame | None,
    attributes: pd.DataFrame,
    in_segments: np.ndarray,
    config: TargetConfig,
) -> np.ndarray:
    """True per scored customer who may be messaged: in the segments file, of an eligible
    lifecycle, passing ``--where``; refuses a plan with nobody eligible."""
    eligible = in_segments.copy()
    if config.eligible is not None and segments is not None:
        if LIFECYCLE not in attributes.columns:
            raise usage_error(
                "segments file",
                f"missing column '{LIFECYCLE}' needed by {{eligible}}",
                "Pass the output of uplift-lab segment, or {eligible=all}",
            )
        eligible &= attributes[LIFECYCLE].isin(config.eligible).to_numpy()
    if config.where is not None:
        eligible &= _where_eligible(scored, segments, config.where)
    if not eligible.any():
        wanted = literal(", ".join(config.eligible or ()) or "any")
        where = ""
        if config.where is not None:
            where = " and " + with_value("where", f'"{config.where}"')
        raise UsageError(
            f"no eligible customers: none of the {len(scored)} scored customers is in the segments "
            f"file with lifecycle {wanted}{where}. Check {{eligible}} (e.g. {{eligible=all}})"
            f"{', {where}' if where else ''} and the ids"
        )
    return eligible


def _picks_by_customer(
    picks: Mapping[str, tuple[np.ndarray, np.ndarray]],
    scored: pd.DataFrame,
    channels: Sequence[Channel],
) -> dict[str, pd.Series]:
    """Each compared policy's picks as customer_id -> channel name."""
    ids = scored[CUSTOMER_ID].to_numpy()
    names = _channel_names(channels)
    return {
        policy: pd.Series(names[chosen], index=ids[rows], dtype=object)
        for policy, (rows, chosen) in picks.items()
    }


def _where_eligible(scored: pd.DataFrame, segments: pd.DataFrame | None, where: str) -> np.ndarray:
    """True per scored customer whose segments row satisfies ``where`` (absent: False)."""
    if segments is None:
        raise UsageError(
            "{where}: the condition reads the columns of {segments=FILE}; pass it (e.g. the "
            "output of uplift-lab segment)"
        )
    passes = where_mask(segments, where)
    take, found = _segment_positions(scored, segments)
    return found & passes[take]


def _segment_positions(
    scored: pd.DataFrame, segments: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Row of each scored customer in ``segments`` (0 where absent) and whether it is there."""
    position = pc.index_in(
        pa.array(scored[CUSTOMER_ID], pa.string()),
        value_set=pa.array(segments[CUSTOMER_ID], pa.string()),
    )
    position = position.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    found = position >= 0
    return np.where(found, position, 0), found


def _customer_attributes(
    scored: pd.DataFrame, segments: pd.DataFrame | None, channels: Sequence[Channel]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Lifecycle, opt-ins and rfm_score aligned with ``scored``, and who is in the segments file.

    Without a segments file they come from the score table itself (when present). Customers
    missing from the segments file get no lifecycle and no opt-in (they are not eligible).
    """
    wanted = [LIFECYCLE, RFM_SCORE]
    for channel in channels:
        wanted.append(opt_in_column(channel))
    wanted = list(dict.fromkeys(wanted))
    if segments is None:
        present = [c for c in wanted if c in scored.columns]
        return scored[present].copy(), np.ones(len(scored), dtype=bool)
    take, found = _segment_positions(scored, segments)
    columns = {}
    for column in (c for c in wanted if c in segments.columns):
        values = segments[column].take(take).reset_index(drop=True)
        if column != LIFECYCLE:  # opt-ins 0 and rfm_score NaN when not in the file
            if column == RFM_SCORE:
                values = contracts.numeric_column(
                    segments, column, "segments file", allow_missing=True
                )
            else:  # an opt-in column: 1/0, yes/no, 是/否 ...
                flags = contracts.yes_no_flags(segments, column, "segments file")
                values = pd.Series(flags.astype(np.float64), index=segments.index)
            values = values.take(take).reset_index(drop=True)
            values = values.where(found, 0.0 if column != RFM_SCORE else np.nan)
        else:
            values = values.where(found)
        columns[column] = values
    return pd.DataFrame(columns, index=scored.index), found


def _selected_frame(
    scored: pd.DataFrame,
    selection: Selection,
    segment: pd.Series,
    channels: Sequence[Channel],
    revenue: np.ndarray,
    profit: np.ndarray,
    cost: np.ndarray,
) -> pd.DataFrame:
    rows = np.flatnonzero(selection.choice >= 0)
    rows = rows[np.argsort(selection.entry_order[rows], kind="stable")]
    chosen = selection.choice[rows].astype(np.int64)
    names = np.array([c.name for c in channels], dtype=object)
    return pd.DataFrame(
        {
            CUSTOMER_ID: scored[CUSTOMER_ID].to_numpy()[rows],
            "segment": segment.iloc[rows].to_numpy(dtype=object),
            "channel": names[chosen],
            "expected_cost": cost[rows, chosen],
            "expected_incremental_revenue": revenue[rows, chosen],
            "expected_profit": profit[rows, chosen],
            "rank": np.arange(1, len(rows) + 1, dtype=np.int64),
        }
    )


def summarize_by_segment(selected: pd.DataFrame) -> pd.DataFrame:
    """Per segment x channel: customers, cost, expected incremental revenue and profit, ROI."""
    grouped = (
        selected.groupby(["segment", "channel"], sort=True, observed=True)
        .agg(
            customers=(CUSTOMER_ID, "size"),
            cost=("expected_cost", "sum"),
            expected_incremental_revenue=("expected_incremental_revenue", "sum"),
            expected_profit=("expected_profit", "sum"),
        )
        .reset_index()
    )
    total = pd.DataFrame(
        {
            "segment": ["total"],
            "channel": ["all"],
            "customers": [len(selected)],
            "cost": [selected["expected_cost"].sum()],
            "expected_incremental_revenue": [selected["expected_incremental_revenue"].sum()],
            "expected_profit": [selected["expected_profit"].sum()],
        }
    )
    table = pd.concat([grouped, total], ignore_index=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["roi"] = np.where(table["cost"] > 0, table["expected_profit"] / table["cost"], np.nan)
    return table


def _compare_policies(
    attributes: pd.DataFrame,
    selection: Selection,
    allowed: np.ndarray,
    profit: np.ndarray,
    cost: np.ndarray,
    channels: Sequence[Channel],
    *,
    seed: int,
) -> tuple[pd.DataFrame, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """The plan's budget spent by uplift, by RFM score and at random, valued by the model.

    Rules have no channel choice: each customer gets the first listed channel they may receive.
    Also returns each policy's picks (row indices, channel indices), so they can be valued
    independently of the model on a past campaign
    (:func:`uplift_lab.target.past_campaign.value_comparison_on_past`).
    """
    budget = selection.spent
    reachable = allowed.any(axis=1)
    first_channel = np.argmax(allowed, axis=1)
    rows = np.arange(len(attributes))
    rule_profit = np.where(reachable, profit[rows, first_channel], 0.0)
    rule_profit = np.nan_to_num(rule_profit, nan=0.0)  # unmeasured (segments policy): 0
    rule_cost = np.where(reachable, cost[rows, first_channel], 0.0)
    candidates = np.flatnonzero(reachable)
    plan_rows = np.flatnonzero(selection.choice >= 0)
    picks = {UPLIFT_POLICY: (plan_rows, selection.choice[plan_rows].astype(np.int64))}
    records = [
        {
            "policy": UPLIFT_POLICY,
            "customers": selection.n_selected,
            "cost": selection.spent,
            "expected_profit": selection.expected_profit,
        }
    ]
    if RFM_SCORE in attributes.columns:
        rfm = attributes[RFM_SCORE].to_numpy(dtype=np.float64)[candidates]
        order = candidates[np.argsort(-np.nan_to_num(rfm, nan=-np.inf), kind="stable")]
        picked, value, spent = rank_policy(order, rule_profit, rule_cost, budget)
        picks[RFM_POLICY] = (picked, first_channel[picked])
        records.append(
            {
                "policy": RFM_POLICY,
                "customers": len(picked),
                "cost": spent,
                "expected_profit": value,
            }
        )
    order = np.random.default_rng(seed).permutation(candidates)
    picked, value, spent = rank_policy(order, rule_profit, rule_cost, budget)
    picks[RANDOM_POLICY] = (picked, first_channel[picked])
    records.append(
        {"policy": RANDOM_POLICY, "customers": len(picked), "cost": spent, "expected_profit": value}
    )
    return pd.DataFrame.from_records(records), picks


def relabel_plan_policy(plan: CampaignPlan, label: str) -> CampaignPlan:
    """Name this plan's row of the comparison after the policy that made it."""
    policies = plan.comparison["policy"].replace(UPLIFT_POLICY, label)
    comparison = plan.comparison.assign(policy=policies)
    picks = {(label if k == UPLIFT_POLICY else k): v for k, v in plan.comparison_picks.items()}
    return replace(plan, comparison=comparison, comparison_picks=picks)
