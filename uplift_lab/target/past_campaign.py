"""The plan judged on a past randomized campaign, independently of the model's scores.

Each policy's picks (this plan, the RFM rule, random) are valued by inverse-propensity
weighting on the past campaign's customers (:func:`uplift_lab.policy.ipw_policy_value_by_arm`).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from uplift_lab.contracts import CONTROL_ARM, CUSTOMER_ID
from uplift_lab.notices import Notice
from uplift_lab.policy import PolicyValue, ipw_policy_value_by_arm
from uplift_lab.target.channels import TargetConfig
from uplift_lab.target.plan import IPW_VALUED, CampaignPlan


def value_comparison_on_past(
    plan: CampaignPlan, past: pd.DataFrame, config: TargetConfig, control: str = CONTROL_ARM
) -> CampaignPlan:
    """The compared policies valued by IPW on a past randomized campaign, not by the model.

    Each policy's picks are valued with :func:`uplift_lab.policy.ipw_policy_value_by_arm` on the
    past campaign's customers (the model's scores play no part). Adds the columns
    ``ipw_profit``, ``ipw_ci_low``, ``ipw_ci_high`` and ``n_picked_in_past``.
    """
    columns: dict[str, list] = {
        "n_picked_in_past": [], "ipw_profit": [], "ipw_ci_low": [], "ipw_ci_high": []
    }  # fmt: skip
    for name in plan.comparison["policy"]:
        chosen = past[CUSTOMER_ID].map(plan.comparison_picks.get(name, pd.Series(dtype=object)))
        value = _ipw_value_of_channels(chosen, past, config, control)
        columns["n_picked_in_past"].append(value.n_picked)
        columns["ipw_profit"].append(value.incremental_profit.value)
        columns["ipw_ci_low"].append(value.incremental_profit.ci_low)
        columns["ipw_ci_high"].append(value.incremental_profit.ci_high)
    comparison = plan.comparison.assign(**columns)
    return replace(plan, comparison=comparison, comparison_valued_by=IPW_VALUED)


def value_on_past(
    plan: CampaignPlan, past: pd.DataFrame, config: TargetConfig, control: str = CONTROL_ARM
) -> PolicyValue:
    """IPW value on the past campaign of sending this plan's picks their chosen channel."""
    chosen = plan.selected.set_index(CUSTOMER_ID)["channel"]
    return _ipw_value_of_channels(past[CUSTOMER_ID].map(chosen), past, config, control)


def predicted_against_measured(
    plan: CampaignPlan, past: pd.DataFrame, validation: PolicyValue
) -> Notice:
    """The plan's predicted profit for its picks that were in the past campaign against what
    the campaign measured for them (IPW, :func:`value_on_past`), and whether the prediction
    lies inside the measurement's CI (``side``: inside, above or below)."""
    in_past = plan.selected[CUSTOMER_ID].isin(past[CUSTOMER_ID])
    predicted = float(plan.selected.loc[in_past, "expected_profit"].sum())
    measured = validation.incremental_profit
    side = "above" if predicted > measured.ci_high else "below"
    if measured.ci_low <= predicted <= measured.ci_high:
        side = "inside"
    params = {"predicted": predicted, "picks": int(in_past.sum()), "measured": measured.value}
    params |= {"confidence": validation.confidence, "side": side}
    params |= {"ci_low": measured.ci_low, "ci_high": measured.ci_high}
    return Notice("warning", "predicted_against_measured", params)


def _ipw_value_of_channels(
    channel_of: pd.Series, past: pd.DataFrame, config: TargetConfig, control: str
) -> PolicyValue:
    """IPW value on the past campaign of sending each past customer ``channel_of`` (NaN: none)."""
    return ipw_policy_value_by_arm(
        channel_of.to_numpy(dtype=object),
        past["arm"].to_numpy(),
        past["revenue"].to_numpy(),
        past["converted"].to_numpy(),
        past["stratum"].to_numpy(),
        control=control,
        margin=config.margin,
        message_cost={c.name: c.message_cost for c in config.channels},
        coupon={c.name: c.coupon for c in config.channels},
    )
