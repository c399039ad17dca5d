"""``target --engine spark``: the send plan with the options valued and selected by Spark.

Every (customer, channel) option is valued per partition by the single-machine functions
(:func:`uplift_lab.target.channel_scores`, :func:`~uplift_lab.target.option_economics`,
:func:`~uplift_lab.target.opt_in_mask`), so a profit or a cost is the same float on both
engines. Then, without collecting the options to the driver, :mod:`uplift_lab.spark.target_solver`
chooses:

- one channel: a global threshold on profit per cost (distributed quantiles, the boundary
  bucket solved exactly, then the fill). The plan is the single-machine plan, customer for
  customer (up to ties and float rounding);
- several channels: the Lagrangian relaxation, the price of cost found by bisection over
  distributed sums. Its dual value bounds every plan from above, so the reported gap covers
  the single-machine plan too: the two plans' profits differ by at most their reported gaps.

Refused with one line: --where (a DuckDB condition), --max-customers and --policy segments.
The RFM/random comparison at the plan's budget is left out (a random permutation of every
customer is a single-machine idea): the comparison table holds the plan's own row. The scores
and segments come in as Spark frames, opened by :mod:`uplift_lab.workflows.target` through
:mod:`uplift_lab.io.spark`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
from pyspark.sql import Column, DataFrame, Row
from pyspark.sql import functions as F

from uplift_lab.contracts import CUSTOMER_ID, LIFECYCLE
from uplift_lab.errors import UsageError, literal, usage_error
from uplift_lab.spark.target_solver import one_channel_plan, option_column, several_channels_plan
from uplift_lab.target import (
    ALL_SEGMENT,
    MODEL_VALUED,
    OPT_IN_COLUMNS,
    UPLIFT_POLICY,
    CampaignPlan,
    Channel,
    TargetConfig,
    channel_scores,
    needed_score_columns,
    opt_in_mask,
    option_economics,
    summarize_by_segment,
)

_IN_SEGMENTS, _ELIGIBLE, _OPTED_IN = "ul_in_segments", "ul_eligible", "ul_opted_in"


def _opt_in_column(channel: Channel) -> str:
    return OPT_IN_COLUMNS.get(channel.name, f"{channel.name}_opt_in")


def option_frame(
    scores: DataFrame, config: TargetConfig, segments: DataFrame | None = None
) -> DataFrame:
    """Per scored customer: segment, the eligibility flags and per channel j the expected
    revenue, profit and cost and whether the option may be chosen (``ul_usable_j``)."""
    channels = config.channels
    needed_score_columns(pd.DataFrame(columns=scores.columns), "scores", channels)
    wanted = [LIFECYCLE, *dict.fromkeys(_opt_in_column(c) for c in channels)]
    if segments is None:
        joined = scores.withColumn(_IN_SEGMENTS, F.lit(True))
        attributes = [c for c in wanted if c in scores.columns]
    else:
        attributes = [c for c in wanted if c in segments.columns]
        if config.eligible is not None and LIFECYCLE not in attributes:
            raise usage_error(
                "segments file",
                f"missing column '{LIFECYCLE}' needed by {{eligible}}",
                "Pass the output of uplift-lab segment, or {eligible=all}",
            )
        side = segments.select(CUSTOMER_ID, *attributes).withColumn(_IN_SEGMENTS, F.lit(True))
        joined = scores.drop(*[c for c in attributes if c in scores.columns]).join(
            side, on=CUSTOMER_ID, how="left"
        )
    k = len(channels)
    fields = [f"{CUSTOMER_ID} string", "segment string"]
    fields += [f"{flag} boolean" for flag in (_IN_SEGMENTS, _ELIGIBLE, _OPTED_IN)]
    for j in range(k):
        fields += [f"{option_column(kind, j)} double" for kind in ("revenue", "profit", "cost")]
        fields.append(f"{option_column('usable', j)} boolean")
    has_lifecycle, from_segments = LIFECYCLE in attributes, segments is not None

    def value(chunks: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:  # no Spark objects in here
        for chunk in chunks:
            yield _value_options(chunk, config, attributes, has_lifecycle, from_segments)

    return joined.mapInPandas(value, schema=", ".join(fields))


def _value_options(
    chunk: pd.DataFrame, config: TargetConfig, attributes: list[str], lifecycle: bool, joined: bool
) -> pd.DataFrame:
    """One partition's options, by the single-machine functions (see plan_campaign)."""
    channels = config.channels
    found = chunk[_IN_SEGMENTS].fillna(False).to_numpy(dtype=bool)
    eligible = found.copy()
    if config.eligible is not None and joined:
        eligible &= chunk[LIFECYCLE].isin(config.eligible).to_numpy()
    flags = chunk[[c for c in attributes if c != LIFECYCLE]].copy()
    for column in flags.columns:  # not in the segments file: not opted in
        flags[column] = flags[column].where(found, 0)
    opted_in = opt_in_mask(flags, channels, "segments file")
    revenue, p_convert = channel_scores(chunk, channels)
    profit, cost = option_economics(
        revenue,
        p_convert,
        [c.message_cost for c in channels],
        [c.coupon for c in channels],
        config.margin,
    )
    usable = profit > 0 if config.min_expected_profit <= 0 else profit >= config.min_expected_profit
    usable &= np.isfinite(profit) & np.isfinite(cost) & (cost >= 0)
    usable &= opted_in & eligible[:, None]
    segment = chunk[LIFECYCLE].astype(object) if lifecycle else ALL_SEGMENT
    out = {
        CUSTOMER_ID: chunk[CUSTOMER_ID].to_numpy(),
        "segment": segment,
        _IN_SEGMENTS: found,
        _ELIGIBLE: eligible,
        _OPTED_IN: opted_in.any(axis=1),
    }
    for j in range(len(channels)):
        out[option_column("revenue", j)] = revenue[:, j]
        out[option_column("profit", j)] = profit[:, j]
        out[option_column("cost", j)] = cost[:, j]
        out[option_column("usable", j)] = usable[:, j]
    return pd.DataFrame(out, index=chunk.index)


def plan_campaign_spark(
    scores: DataFrame, config: TargetConfig, segments: DataFrame | None = None
) -> CampaignPlan:
    """:func:`uplift_lab.target.plan_campaign` with the options valued and chosen by Spark
    (``scores`` and ``segments`` Spark DataFrames with text ``customer_id``)."""
    for parameter, given in (("where", config.where), ("max_customers", config.max_customers)):
        if given is not None:
            raise UsageError(
                f"{{{parameter}}} is not supported with target {{engine=spark}} yet. Leave it "
                "out, or use {engine=duckdb}"
            )
    k = len(config.channels)
    options = option_frame(scores, config, segments).cache()
    try:
        any_usable = F.lit(False)
        for j in range(k):
            any_usable = any_usable | F.col(option_column("usable", j))
        counts = _option_counts(options, any_usable, config)
        usable = options.where(any_usable)
        if k == 1:
            picked, selection = one_channel_plan(usable, config.budget)
        else:
            picked, selection = several_channels_plan(usable, config.budget, k)
    finally:
        options.unpersist()
    selected = _selected(picked, config.channels)
    comparison = pd.DataFrame.from_records(
        [
            {
                "policy": UPLIFT_POLICY,
                "customers": selection.n_selected,
                "cost": selection.spent,
                "expected_profit": selection.expected_profit,
            }
        ]
    )
    return CampaignPlan(
        config=config,
        selection=selection,
        selected=selected,
        by_segment=summarize_by_segment(selected),
        curve=pd.DataFrame(
            {"budget": selection.curve_budget, "expected_profit": selection.curve_profit}
        ),
        comparison=comparison,
        n_scored=int(counts["scored"]),
        n_eligible=int(counts["eligible"]),
        n_not_in_segments=int(counts["scored"] - (counts["in_segments"] or 0)),
        n_opted_out=int(counts["opted_out"] or 0),
        n_no_profitable_option=int(counts["none"] or 0),
        comparison_picks={},
        comparison_valued_by=MODEL_VALUED,
    )


def _option_counts(options: DataFrame, any_usable: Column, config: TargetConfig) -> Row:
    """Scored, in the segments file, eligible, opted out, without a profitable option; no
    eligible customer at all is refused."""
    counts = options.agg(
        F.count(F.lit(1)).alias("scored"),
        F.sum(F.col(_IN_SEGMENTS).cast("int")).alias("in_segments"),
        F.sum(F.col(_ELIGIBLE).cast("int")).alias("eligible"),
        F.sum((F.col(_ELIGIBLE) & ~F.col(_OPTED_IN)).cast("int")).alias("opted_out"),
        F.sum((F.col(_ELIGIBLE) & F.col(_OPTED_IN) & ~any_usable).cast("int")).alias("none"),
    ).first()
    if not counts["eligible"]:
        wanted = ", ".join(config.eligible or ()) or "any"
        raise UsageError(
            f"no eligible customers: none of the {counts['scored']} scored customers is in "
            f"the segments file with lifecycle {literal(wanted)}. Check {{eligible}} (e.g. "
            "{eligible=all}) and the ids"
        )
    return counts


def _selected(picked: pd.DataFrame, channels: Sequence[Channel]) -> pd.DataFrame:
    """The plan's rows as :func:`uplift_lab.target.plan_campaign` gives them (rank order)."""
    names = np.array([c.name for c in channels], dtype=object)
    return pd.DataFrame(
        {
            CUSTOMER_ID: picked[CUSTOMER_ID].to_numpy(dtype=object),
            "segment": picked["segment"].to_numpy(dtype=object),
            "channel": names[picked["choice"].to_numpy(dtype=np.int64)],
            "expected_cost": picked["cost"].to_numpy(dtype=np.float64),
            "expected_incremental_revenue": picked["revenue"].to_numpy(dtype=np.float64),
            "expected_profit": picked["profit"].to_numpy(dtype=np.float64),
            "rank": np.arange(1, len(picked) + 1, dtype=np.int64),
        }
    )
