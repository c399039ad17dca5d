"""Budgeted multi-channel targeting: who gets which message to maximize incremental profit.

Each customer gets at most one channel. An option (customer i, channel c) has an expected cost
``w = message cost + P(convert | sent) x coupon`` (the coupon is paid on every redemption,
including sales that would have happened anyway) and an expected profit
``v = incremental revenue x margin - w``. The plan maximizes the sum of ``v`` subject to the sum of
``w`` staying within the budget: a multiple-choice knapsack.

It is solved by the incremental-efficiency greedy on each customer's upper convex hull of options
(Sinha & Zoltners 1979), which is the LP relaxation's optimum up to one fractional item, plus a
fill pass with the budget that is left. The LP value is reported as an upper bound, so the gap to
the best possible plan is known. One channel with one message cost per customer (no coupon) is the
case where the greedy is exactly optimal: sort by profit, stop at the budget. With a coupon the
expected cost differs per customer (it grows with P(convert | sent)), so even one channel is a 0/1
knapsack: sorting by profit per cost is then optimal only up to the one customer that no longer
fits, and the reported gap (at most that customer's profit) says how much that can be.

Options with expected profit <= 0 (sleeping dogs, or messages that cost more than they earn) and
channels a customer opted out of are never part of any plan.

Modules: :mod:`~uplift_lab.target.solver` (the knapsack over arrays), ``channels`` (channels,
:class:`TargetConfig`, score columns), ``plan`` (the plan over frames), ``holdout`` (send list
and holdout experiment), ``segment_policy`` (targeting by a past campaign's measured effects),
``guardrails`` (channels whose model is not useful) and ``past_campaign`` (the plan valued on a
past randomized campaign). Files are read and written by :mod:`uplift_lab.workflows.target`.
"""

from uplift_lab.target.channels import (
    DEFAULT_ELIGIBLE,
    OPT_IN_COLUMNS,
    P_CONTROL,
    P_TREATED,
    RFM_SCORE,
    SCORE_COLUMN_PREFIXES,
    UPLIFT_CONVERSION,
    UPLIFT_REVENUE,
    Channel,
    TargetConfig,
    borrowed_score_channels,
    channel_scores,
    check_segment_columns,
    needed_score_columns,
    opt_in_mask,
    parse_channels,
    score_arms,
    validate_scores,
)
from uplift_lab.target.guardrails import (
    WEAK_MODEL_FIX,
    ChannelCheck,
    check_channel_models,
    guard_channels,
)
from uplift_lab.target.holdout import (
    SEND_LIST_COLUMNS,
    HoldoutSplit,
    check_send_list_columns,
    send_list_with_columns,
    split_holdout,
)
from uplift_lab.target.past_campaign import (
    predicted_against_measured,
    value_comparison_on_past,
    value_on_past,
)
from uplift_lab.target.plan import (
    ALL_SEGMENT,
    IPW_VALUED,
    MODEL_VALUED,
    RANDOM_POLICY,
    RFM_POLICY,
    SEGMENTS_POLICY,
    UPLIFT_POLICY,
    CampaignPlan,
    plan_campaign,
    relabel_plan_policy,
    summarize_by_segment,
)
from uplift_lab.target.segment_policy import (
    SEGMENT_EFFECTS,
    SegmentEffects,
    segment_effects,
    segment_policy_scores,
)
from uplift_lab.target.solver import (
    BUDGET_ROUNDING,
    NO_CHANNEL,
    Selection,
    option_economics,
    rank_policy,
    select_offers,
    stop_reason,
)

# The names these had inside the single target.py (uplift_lab.spark.target imports them).
_needed_score_columns = needed_score_columns
_stop_reason = stop_reason

__all__ = [
    "ALL_SEGMENT",
    "BUDGET_ROUNDING",
    "DEFAULT_ELIGIBLE",
    "IPW_VALUED",
    "MODEL_VALUED",
    "NO_CHANNEL",
    "OPT_IN_COLUMNS",
    "P_CONTROL",
    "P_TREATED",
    "RANDOM_POLICY",
    "RFM_POLICY",
    "RFM_SCORE",
    "SCORE_COLUMN_PREFIXES",
    "SEGMENTS_POLICY",
    "SEGMENT_EFFECTS",
    "SEND_LIST_COLUMNS",
    "UPLIFT_CONVERSION",
    "UPLIFT_POLICY",
    "UPLIFT_REVENUE",
    "WEAK_MODEL_FIX",
    "CampaignPlan",
    "Channel",
    "ChannelCheck",
    "HoldoutSplit",
    "SegmentEffects",
    "Selection",
    "TargetConfig",
    "channel_scores",
    "check_channel_models",
    "check_segment_columns",
    "check_send_list_columns",
    "guard_channels",
    "needed_score_columns",
    "borrowed_score_channels",
    "score_arms",
    "opt_in_mask",
    "option_economics",
    "parse_channels",
    "plan_campaign",
    "predicted_against_measured",
    "rank_policy",
    "relabel_plan_policy",
    "segment_effects",
    "segment_policy_scores",
    "select_offers",
    "send_list_with_columns",
    "split_holdout",
    "stop_reason",
    "summarize_by_segment",
    "validate_scores",
    "value_comparison_on_past",
    "value_on_past",
]
