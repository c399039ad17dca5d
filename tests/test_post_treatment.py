"""A column changed by the send is no default feature: the arm-independence test behind it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom
from statsmodels.stats.proportion import proportions_ztest

from tests.test_uplift_models import simulated_campaign
from uplift_lab.cli import app
from uplift_lab.uplift.post_treatment import (
    POST_TREATMENT_P,
    STRONG_ASSOCIATION,
    arm_association,
    outcome_nesting,
)


def test_a_binary_column_matches_the_two_proportion_z_test() -> None:
    """2 levels x 2 arms: the chi-square test is the squared two-proportion z-test."""
    rng = np.random.default_rng(3)
    arm = rng.choice(["control", "sms"], size=5000)
    visited = rng.random(5000) < np.where(arm == "control", 0.10, 0.12)
    counts = [int(visited[arm == "sms"].sum()), int(visited[arm == "control"].sum())]
    nobs = [int((arm == "sms").sum()), int((arm == "control").sum())]
    _, reference = proportions_ztest(counts, nobs)
    assert abs(arm_association(pd.Series(visited.astype(int)), arm).p_value - reference) < 1e-10


def test_columns_known_before_the_send_pass_at_the_nominal_rate() -> None:
    """Under randomization p-values are uniform: about 5% below 0.05, none below 1e-6."""
    rng = np.random.default_rng(0)
    n, columns = 1500, 300
    arm = rng.choice(["control", "sms", "edm"], size=n, p=[0.1, 0.45, 0.45])
    p_values = []
    for j in range(columns):
        kind = j % 4
        if kind == 0:
            values = pd.Series(rng.lognormal(3, 1, size=n))
        elif kind == 1:
            values = pd.Series(rng.poisson(2, size=n).astype(float))  # few levels, some rare
        elif kind == 2:
            labels = rng.choice(["a", "b", "c", "rare"], size=n, p=[0.5, 0.3, 0.198, 0.002])
            values = pd.Series(labels, dtype=object).where(rng.random(n) > 0.1)
        else:
            numbers = rng.normal(size=n)
            values = pd.Series(np.where(rng.random(n) < 0.2, np.nan, numbers))
        p_values.append(arm_association(values, arm).p_value)
    p_values = np.array(p_values)
    assert p_values.min() > POST_TREATMENT_P
    # 300 uniform p-values: the share below 0.05 lies in [0.02, 0.09] with probability > 0.99
    assert 0.02 <= (p_values < 0.05).mean() <= 0.09


def test_outcomes_of_the_send_are_flagged() -> None:
    rng = np.random.default_rng(1)
    n = 20_000
    arm = rng.choice(["control", "sms"], size=n)
    treated = arm == "sms"
    visited = (rng.random(n) < np.where(treated, 0.15, 0.10)).astype(int)
    spend = np.where(rng.random(n) < np.where(treated, 0.02, 0.01), rng.gamma(2, 40, n), 0.0)
    clicked_at = pd.Series(np.where(treated & (rng.random(n) < 0.05), 3.0, np.nan))
    assert arm_association(pd.Series(visited), arm).post_treatment
    assert arm_association(pd.Series(spend), arm).post_treatment
    assert arm_association(clicked_at, arm).post_treatment  # only the missing rows differ


def test_train_drops_an_outcome_left_in_a_flat_table_and_says_so(runner, tmp_path) -> None:
    frame, _ = simulated_campaign(6000, seed=2)
    rng = np.random.default_rng(2)
    # a second outcome of the same send (the user models 'converted'): a leak as a feature
    frame["visited"] = ((frame["converted"] == 1) | (rng.random(len(frame)) < 0.1)).astype(int)
    frame["region"] = rng.choice(["north", "south"], size=len(frame))  # known before the send
    path = tmp_path / "campaign.csv"
    frame.to_csv(path, index=False)
    result = runner.invoke(app, [
        "train", "--data", str(path), "--id-col", "customer_id", "--arm-col", "arm",
        "--control", "control", "--conversion-col", "converted", "--revenue-col", "spend",
        "--model", "two", "--revenue-model", "decomposition", "--folds", "2",
        "--max-rounds", "30", "--out", str(tmp_path / "model"),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Dropped, differs between the arms far beyond chance (p < 1e-6)" in text
    assert "visited (p = " in text
    features = json.loads((tmp_path / "model" / "model.json").read_text())["features"]
    names = {feature["name"] for feature in features}
    assert "visited" not in names
    assert {"x1", "x2", "cat", "region"} <= names


def test_a_named_outcome_of_the_send_is_kept_but_said(runner, tmp_path) -> None:
    """--features names a leak: the user's choice stands, with one warning line naming it."""
    frame, _ = simulated_campaign(6000, seed=2)
    rng = np.random.default_rng(2)
    frame["visited"] = ((frame["converted"] == 1) | (rng.random(len(frame)) < 0.1)).astype(int)
    path = tmp_path / "campaign.csv"
    frame.to_csv(path, index=False)
    result = runner.invoke(app, [
        "train", "--data", str(path), "--id-col", "customer_id", "--arm-col", "arm",
        "--control", "control", "--conversion-col", "converted", "--features", "x1,x2,visited",
        "--model", "two", "--folds", "2", "--max-rounds", "30", "--out", str(tmp_path / "m"),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    warned = [line for line in result.output.splitlines() if "named feature(s) visited" in line]
    assert len(warned) == 1 and "leave them out of --features" in warned[0]
    features = json.loads((tmp_path / "m" / "model.json").read_text())["features"]
    assert {feature["name"] for feature in features} == {"x1", "x2", "visited"}


def test_a_column_the_arm_depends_on_is_strong_an_outcome_of_the_send_is_weak() -> None:
    """Cramer's V: 1 for an assignment by a rule on the column, small for a leaked outcome
    (2 levels x 2 arms: V = |phi|, the correlation of the two 0/1 columns)."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=10_000)
    by_rule = np.where(x > 0, "sms", "control")
    by_rule_association = arm_association(pd.Series(x), by_rule)
    assert by_rule_association.cramers_v > 0.9 and not by_rule_association.post_treatment
    arm = rng.choice(["control", "sms"], size=10_000)
    visited = (rng.random(10_000) < np.where(arm == "sms", 0.15, 0.10)).astype(int)
    phi = abs(np.corrcoef(visited, arm == "sms")[0, 1])
    strength = arm_association(pd.Series(visited), arm).cramers_v
    assert abs(strength - phi) < 1e-9 and strength < STRONG_ASSOCIATION


def test_another_outcome_nested_in_the_modelled_one_is_found_however_weak_the_send() -> None:
    """Criteo's conversion next to visit, a spend next to conversion: the send moved them too
    little for the arm test, but every row away from 0 converted."""
    rng = np.random.default_rng(5)
    n = 50_000
    arm = rng.choice(["control", "sms"], size=n)
    visit = rng.random(n) < np.where(arm == "sms", 0.041, 0.040)
    purchase = visit & (rng.random(n) < 0.05)  # a few hundred buyers, all visitors
    spend = np.where(purchase, rng.gamma(2.0, 30.0, n), 0.0)
    assert not arm_association(pd.Series(purchase.astype(int)), arm).post_treatment
    nesting = outcome_nesting(pd.Series(purchase.astype(int)), visit.astype(int))
    assert nesting is not None and nesting.usual == "0" and nesting.rows == purchase.sum()
    assert outcome_nesting(pd.Series(spend), purchase.astype(int)).rows == purchase.sum()
    text = pd.Series(np.where(purchase, "bought", None), dtype=object)
    assert outcome_nesting(text, visit.astype(int)).usual == "missing"
    # the other way round (every buyer visited, visitors mostly did not buy) settles nothing
    assert outcome_nesting(pd.Series(visit.astype(int)), purchase.astype(int)) is None


def test_nesting_is_flagged_exactly_when_chance_gives_it_below_one_in_a_million() -> None:
    """All k rows away from the usual value converted: by chance binom(k, k, rate), flagged
    below POST_TREATMENT_P; a pre-send column independent of the outcome is never flagged."""
    seen = set()
    for k in range(15, 30):
        converted = np.r_[np.ones(k), np.tile([0.0, 1.0], 500)]
        values = np.r_[np.ones(k), np.zeros(1000)]
        chance = binom.pmf(k, k, converted.mean())
        result = outcome_nesting(pd.Series(values), converted)
        assert (result is not None) == (chance < POST_TREATMENT_P)
        if result is not None:
            assert result.rows == k and result.chance == pytest.approx(chance, rel=1e-9)
        seen.add(result is not None)
    assert seen == {True, False}  # the range crosses the threshold
    rng = np.random.default_rng(6)
    converted = (rng.random(20_000) < 0.05).astype(int)
    for values in (rng.random(20_000) < 0.1, rng.normal(size=20_000), rng.poisson(1, 20_000)):
        assert outcome_nesting(pd.Series(values), converted) is None


def test_train_drops_a_nested_outcome_and_keeps_a_named_one_with_a_warning(runner, tmp_path):
    rng = np.random.default_rng(3)
    n = 6000
    arm = rng.choice(["control", "send"], size=n)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    converted = rng.random(n) < 0.08 + 0.01 * (arm == "send") * (x1 > 0)  # a weak send
    # 'ordered' (orders placed in the window) is above 0 only where 'converted' is 1
    ordered = np.where(converted, rng.integers(1, 4, n), 0)
    frame = pd.DataFrame({"customer_id": np.arange(n), "arm": arm, "x1": x1, "x2": x2,
                          "converted": converted.astype(int), "ordered": ordered})  # fmt: skip
    assert not arm_association(frame["ordered"], arm).post_treatment
    path = tmp_path / "campaign.csv"
    frame.to_csv(path, index=False)
    common = [
        "train", "--data", str(path), "--id-col", "customer_id", "--arm-col", "arm",
        "--control", "control", "--conversion-col", "converted", "--model", "two",
        "--folds", "2", "--max-rounds", "30",
    ]  # fmt: skip
    result = runner.invoke(app, [*common, "--out", str(tmp_path / "default")])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    buyers = int((frame["converted"] == 1).sum())
    assert "Dropped, decides the outcome" in text
    assert f"ordered ({buyers:,} rows other than 0, all converted)" in text
    model = json.loads((tmp_path / "default" / "model.json").read_text())
    assert "ordered" not in {feature["name"] for feature in model["features"]}
    named = runner.invoke(app, [*common, "--features", "x1,ordered", "--out", str(tmp_path / "n")])
    assert named.exit_code == 0, named.output
    warned = [line for line in named.output.splitlines() if "named feature(s) ordered" in line]
    assert len(warned) == 1 and "leave it out of --features" in warned[0]
    model = json.loads((tmp_path / "n" / "model.json").read_text())
    assert {feature["name"] for feature in model["features"]} == {"x1", "ordered"}
