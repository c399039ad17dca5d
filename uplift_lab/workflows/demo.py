"""`demo`: the files the demo itself reads and writes between the CLI steps it runs.

The steps (synth, segment, analyze, train, ...) run through the real CLI; what happens between
them is here: the demo's inputs (tag rules, the past SMS touch), the new campaign's outcomes drawn
from the shop's planted truth, and the loop's checks (predicted vs measured vs true profit, the
same spend on today's rules) with their summary file. The computations are in
:mod:`uplift_lab.demo`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from uplift_lab import io, synth
from uplift_lab.demo import (
    DEMO_TAGS,
    PAST_SMS_TOUCH,
    ProfitCheck,
    campaign_outcomes,
    planted_profit_per_customer,
    policy_comparison,
    profit_checks,
)
from uplift_lab.synth import MARGIN, SyntheticShop
from uplift_lab.workflows.experiment_folder import load_experiment

OUTCOMES_FILE = "double11_outcomes.csv"
SUMMARY_FILE = "loop_summary.json"


@dataclass(frozen=True)
class CampaignDraw:
    """The regenerated shop, the campaign's drawn outcomes and the file they were written to."""

    shop: SyntheticShop
    outcomes: pd.DataFrame
    path: Path


@dataclass(frozen=True)
class LoopChecks:
    """Per channel: predicted, measured and planted profit of the send; the policy comparison."""

    checks: list[ProfitCheck]
    policies: pd.DataFrame


def read_shop_meta(shop_dir: Path) -> dict:
    """The generated shop's shop.json (dates, campaign window, costs)."""
    return io.read_json(Path(shop_dir) / "shop.json")


def write_tag_rules(out: Path) -> Path:
    """The demo's tag rules (``segment --tags``) as out/tags.toml."""
    return io.write_text(DEMO_TAGS, Path(out) / "tags.toml")


def write_past_sms_touch(out: Path) -> Path:
    """The past SMS as one touch (``schedule --touches``) in out/past_sms.toml."""
    return io.write_text(PAST_SMS_TOUCH, Path(out) / "past_sms.toml")


def draw_campaign_outcomes(out: Path, campaign: Path, *, customers: int, seed: int) -> CampaignDraw:
    """Regenerate the shop (same customers and seed), draw the outcomes of the campaign
    folder's assignment from its planted truth and write them to out/double11_outcomes.csv."""
    shop = synth.generate_shop(customers, seed=seed)  # looked up when called (tests patch it)
    assignment = load_experiment(campaign).assignment
    outcomes = campaign_outcomes(shop, assignment, shop.as_of, seed=seed + 1)
    return CampaignDraw(shop, outcomes, io.write_table(outcomes, Path(out) / OUTCOMES_FILE))


def check_the_loop(out: Path, report: Path, shop: SyntheticShop, *, seed: int) -> LoopChecks:
    """Read the send list, the segments and the campaign's analysis; value the send and today's
    rules at the same spend by the shop's planted truth."""
    send_list = io.read_table(Path(out) / "sendlist.csv", string_columns=["customer_id"])
    segments = io.read_table(Path(out) / "segments.parquet", string_columns=["customer_id"])
    planted = planted_profit_per_customer(shop, send_list, shop.as_of, MARGIN)
    measured = io.read_json(Path(report) / "report.json")["overall"]
    checks = profit_checks(send_list, planted, measured)
    policies = policy_comparison(shop, segments, send_list, shop.as_of, MARGIN, seed=seed)
    return LoopChecks(checks, policies)


def write_loop_summary(loop: LoopChecks, report: Path) -> Path:
    """report/loop_summary.json: the profit checks (NaN, nothing measured, as null) and policies."""
    payload = {
        "profit_checks": [dataclasses.asdict(check) for check in loop.checks],
        "policies": loop.policies.to_dict(orient="records"),
    }
    return io.write_json(payload, Path(report) / SUMMARY_FILE)
