"""`analyze --by-hour / --by-day`: per slice send vs holdout, checked against statsmodels."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from tests.test_analyze import write_experiment
from uplift_lab import io
from uplift_lab.cli import app

START = pd.Timestamp("2026-08-21")


@pytest.fixture()
def campaign(tmp_path):
    """600 send and 400 holdout customers; the send arm's extra orders land at 19:00 on day 1."""
    rng = np.random.default_rng(3)
    ids = [f"C{i:04d}" for i in range(1000)]
    arms = np.where(np.arange(1000) < 600, "send", "control")
    folder = write_experiment(
        tmp_path / "exp",
        pd.DataFrame({"customer_id": ids, "segment": "all", "arm": arms}),
        campaign={"start": START.date().isoformat(), "window_days": 3},
    )
    rows = []
    for i, arm in enumerate(arms):
        if rng.random() < 0.2:  # a base order at a random hour of the window
            rows.append((ids[i], START + pd.Timedelta(hours=int(rng.integers(0, 72))), 20.0))
        if arm == "send" and rng.random() < 0.15:  # the SMS effect: 19:00 on the first day
            rows.append((ids[i], START + pd.Timedelta(hours=19, minutes=5), 30.0))
    rows.append((ids[0], START - pd.Timedelta(days=2), 10.0))  # before the window: not counted
    orders = pd.DataFrame(rows, columns=["customer_id", "order_time", "amount"])
    path = tmp_path / "orders.csv"
    io.write_table(orders, path)
    return folder, path, orders, dict(zip(ids, arms, strict=True))


@pytest.mark.parametrize("unit", ["hour", "day"])
def test_each_slice_is_the_two_proportion_test_of_its_responders(runner, campaign, unit):
    folder, path, orders, arm_of = campaign
    args = ["analyze", str(folder), "--outcomes", str(path), f"--by-{unit}", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["by_time"]
    window = orders[
        (orders["order_time"] >= START) & (orders["order_time"] < START + pd.Timedelta(days=3))
    ]
    sliced = (
        window["order_time"].dt.hour
        if unit == "hour"
        else (window["order_time"] - START).dt.days + 1
    )
    assert [row["slice"] for row in rows] == (list(range(24)) if unit == "hour" else [1, 2, 3])
    for row in rows:
        who = set(window.loc[sliced == row["slice"], "customer_id"])
        send = sum(1 for c in who if arm_of[c] == "send")
        held = sum(1 for c in who if arm_of[c] == "control")
        assert (row["treated_responded"], row["control_responded"]) == (send, held)
        assert (row["treated"], row["control"]) == (600, 400)
        effect = row["effect"]
        if send + held == 0:
            continue
        _, p_value = proportions_ztest([send, held], [600, 400])
        low, high = confint_proportions_2indep(send, 600, held, 400, method="newcomb")
        assert effect["p_value"] == pytest.approx(p_value, rel=1e-9)
        assert (effect["ci_low"], effect["ci_high"]) == pytest.approx((low, high), rel=1e-9)


def test_the_sms_hour_stands_out_and_is_named(runner, campaign) -> None:
    folder, path, _, _ = campaign
    result = runner.invoke(app, ["analyze", str(folder), "--outcomes", str(path), "--by-hour"])
    assert result.exit_code == 0, result.output
    assert "Response by hour" in result.output
    assert "Highest lift with a CI above 0: send: hour 19." in " ".join(result.output.split())


def test_by_hour_needs_an_experiment_and_an_orders_file(runner, campaign, tmp_path) -> None:
    folder, path, _, _ = campaign
    both = runner.invoke(
        app, ["analyze", str(folder), "--outcomes", str(path), "--by-hour", "--by-day"]
    )
    assert both.exit_code == 2 and "pass one of them" in both.output
    flat = tmp_path / "flat.csv"
    flat.write_text("customer_id,arm,converted\nA,send,1\nB,control,0\n")
    refused = runner.invoke(app, ["analyze", str(flat), "--arm-col", "arm", "--control", "control",
                                  "--conversion-col", "converted", "--by-hour"])  # fmt: skip
    assert refused.exit_code == 2 and "--by-hour goes with an experiment folder" in refused.output
