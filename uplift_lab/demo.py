"""The demo's own computations: the new campaign's outcomes from the planted truth, and the
comparison of predicted, measured and true incremental profit that closes the loop.

Everything else the demo does is a real `uplift-lab` command (see cli/demo_cmd.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from uplift_lab.synth import CHANNEL_COST, SyntheticShop, simulate_campaign, true_effects

# The shop's own tag rules (segment --tags): SQL over the segment columns, event tags included.
DEMO_TAGS = """\
# tags.toml: the shop's own tags, SQL over the segment columns (DuckDB)
big_spender = "aov >= 100"
lapsed_browser = "interested_not_bought_30d AND lifecycle IN ('silent', 'churned')"
"""

# The past SMS campaign as the schedule that sent it: the synthetic shop's message goes out at
# the start of the campaign's first day and its induced orders follow with a delay (synth.py).
PAST_SMS_TOUCH = """\
# past_sms.toml: the past campaign's one touch
[costs]
sms = 0.05

[[touch]]
name = "sms"
channel = "sms"
day = 0
time = "00:00"
"""


@dataclass(frozen=True, slots=True)
class ProfitCheck:
    """Incremental profit of the sent customers of one channel: predicted by the model (target's
    send list), measured by the experiment (analyze, with its 95% CI), and planted (the truth)."""

    channel: str
    n_sent: int
    predicted: float
    measured: float
    measured_low: float
    measured_high: float
    planted: float


def campaign_outcomes(
    shop: SyntheticShop, assignment: pd.DataFrame, start: pd.Timestamp, seed: int
) -> pd.DataFrame:
    """Draw what the assigned customers do in the window (arm = channel name or "control")."""
    sends = pd.DataFrame(
        {
            "customer_id": assignment["customer_id"].to_numpy(),
            "channel": assignment["arm"].where(assignment["arm"] != "control", None).to_numpy(),
        }
    )
    return simulate_campaign(shop, sends, start, seed=seed)


def planted_profit_per_customer(
    shop: SyntheticShop, send_list: pd.DataFrame, start: pd.Timestamp, margin: float
) -> pd.Series:
    """True expected incremental profit of sending each listed customer their channel."""
    profit = pd.Series(0.0, index=send_list.index)
    for channel, rows in send_list.groupby("channel").groups.items():
        truth = true_effects(shop, start, channel=str(channel)).set_index("customer_id")
        revenue = truth.loc[send_list.loc[rows, "customer_id"], "true_uplift_revenue"]
        profit.loc[rows] = revenue.to_numpy() * margin - CHANNEL_COST[str(channel)]
    return profit


def profit_checks(
    send_list: pd.DataFrame, planted_profit: pd.Series, measured_overall: list[dict]
) -> list[ProfitCheck]:
    """One row per channel: the model's prediction, analyze's measurement and the truth."""
    measured = {row["arm"]: row["money"] for row in measured_overall if row.get("money")}
    checks = []
    for channel, rows in send_list.groupby("channel").groups.items():
        money = {k: np.nan if v is None else v for k, v in measured.get(channel, {}).items()}
        checks.append(
            ProfitCheck(
                channel=str(channel),
                n_sent=len(rows),
                predicted=float(send_list.loc[rows, "expected_profit"].sum()),
                measured=float(money.get("incremental_profit", np.nan)),
                measured_low=float(money.get("incremental_profit_low", np.nan)),
                measured_high=float(money.get("incremental_profit_high", np.nan)),
                planted=float(planted_profit.loc[rows].sum()),
            )
        )
    return checks


def policy_comparison(
    shop: SyntheticShop,
    segments: pd.DataFrame,
    send_list: pd.DataFrame,
    start: pd.Timestamp,
    margin: float,
    eligible: tuple[str, ...] = ("semi_active", "silent"),
    seed: int = 0,
) -> pd.DataFrame:
    """True (planted) incremental profit of the uplift send list against what teams do today,
    for the same spend: SMS to the eligible customers with the highest RFM score, and SMS to
    random eligible customers."""
    cost = float(send_list["channel"].map(CHANNEL_COST).sum())
    pool = segments[segments["lifecycle"].isin(eligible) & (segments["sms_opt_in"] == 1)]
    n_sms = min(int(cost // CHANNEL_COST["sms"]), len(pool))
    truth = true_effects(shop, start, channel="sms").set_index("customer_id")
    rfm = pool.sort_values(["rfm_score", "customer_id"], ascending=[False, True]).head(n_sms)
    random = pool.sample(n=n_sms, random_state=seed)
    rows = [("uplift (send list)", len(send_list), cost,
             planted_profit_per_customer(shop, send_list, start, margin).sum())]  # fmt: skip
    for name, chosen in (("RFM rule (top rfm_score, SMS)", rfm), ("random (SMS)", random)):
        revenue = truth.loc[chosen["customer_id"], "true_uplift_revenue"].to_numpy()
        rows.append(
            (name, n_sms, n_sms * CHANNEL_COST["sms"],
             float(np.sum(revenue * margin - CHANNEL_COST["sms"])))
        )  # fmt: skip
    return pd.DataFrame(rows, columns=["policy", "customers", "cost", "true_incremental_profit"])
