"""`target` guardrails: weak channels dropped, --policy segments, IPW-valued comparison."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from uplift_lab.cli import app
from uplift_lab.workflows.model_folder import write_manifest

FAST = ["--folds", "3", "--max-rounds", "40", "--model", "two", "--revenue-model", "decomposition"]


def _campaign(n: int = 6000, seed: int = 5) -> pd.DataFrame:
    """control / sms / edm at random: sms helps customers with high x2, edm does nothing."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.uniform(size=n)
    arm = np.array(["control", "sms", "edm"])[rng.integers(0, 3, n)]
    p = 0.08 + 0.04 * (x1 > 0) + np.where(arm == "sms", 0.30 * x2 - 0.05, 0.0)
    converted = (rng.uniform(size=n) < np.clip(p, 0, 1)).astype(int)
    return pd.DataFrame(
        {
            "customer_id": [f"c{i:05d}" for i in range(n)],
            "x1": x1,
            "x2": x2,
            "arm": arm,
            "converted": converted,
            "spend": converted * rng.gamma(4.0, 10.0, n),
        }
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A model folder trained on the campaign above, and its scores."""
    folder = tmp_path_factory.mktemp("guard")
    data = folder / "campaign.csv"
    _campaign().to_csv(data, index=False)
    runner = CliRunner()
    model = folder / "model"
    result = runner.invoke(app, [
        "train", "--data", str(data), "--id-col", "customer_id", "--treatment-col", "arm",
        "--control", "control", "--outcome-col", "converted", "--revenue-col", "spend",
        *FAST, "--out", str(model),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    scores = folder / "scores.csv"
    scored = runner.invoke(app, ["score", str(model), str(data), "--out", str(scores)])
    assert scored.exit_code == 0, scored.output
    return folder, model, scores, result.output


def _with_verdicts(model: Path, where: Path, verdicts: dict[str, str]) -> Path:
    """A copy of ``model`` whose stored verdicts are replaced (a constructed weak model)."""
    copy = where / "model_copy"
    shutil.copytree(model, copy)
    description = json.loads((copy / "model.json").read_text())
    for arm, word in verdicts.items():
        for entry in description["cv_metrics"]["verdicts"][arm].values():
            entry["verdict"] = word
            entry["text"] = f"{word}: constructed for the test."
    (copy / "model.json").write_text(json.dumps(description))
    write_manifest(copy)  # re-seal: the edit is the test's, not a tampering to refuse
    return copy


def _target(scores: Path, out: Path, *extra: str) -> list[str]:
    return [
        "target", str(scores), "--channel", "sms=0.05", "--channel", "edm=0.01",
        "--budget", "auto", "--margin", "0.3", "--holdout", "0", "--out", str(out), *extra,
    ]  # fmt: skip


def test_train_stores_the_verdict_evaluate_gives_and_says_it(trained, runner, tmp_path) -> None:
    _, model, _, output = trained
    stored = json.loads((model / "model.json").read_text())["cv_metrics"]["verdicts"]
    report = runner.invoke(app, ["evaluate", str(model), "--out", str(tmp_path / "report")])
    assert report.exit_code == 0, report.output
    summary = json.loads((tmp_path / "report" / "evaluation.json").read_text())
    for result in summary["results"]:
        chosen = f"uplift_{result['outcome']}__{result['chosen']}"
        assert stored[result["arm"]][result["outcome"]]["text"] == result["verdicts"][chosen]
    assert stored["sms"]["revenue"]["verdict"] == "useful"  # a real effect
    assert stored["edm"]["revenue"]["verdict"] != "useful"  # no effect at all
    assert "edm vs control, revenue" in output and "random targeting" in output


def test_a_not_useful_channel_is_dropped_with_a_notice(trained, runner, tmp_path) -> None:
    _, model, scores, _ = trained
    weak = _with_verdicts(model, tmp_path, {"edm": "not useful", "sms": "useful"})
    result = runner.invoke(app, _target(scores, tmp_path / "send.csv", "--model", str(weak)))
    assert result.exit_code == 0, result.output
    assert "channel 'edm' dropped" in result.output
    send = pd.read_csv(tmp_path / "send.csv")
    assert set(send["channel"]) == {"sms"}
    # Without the guard the same scores also send e-mails: the drop is what removed them.
    plain = runner.invoke(app, _target(scores, tmp_path / "plain.csv"))
    assert plain.exit_code == 0, plain.output
    assert "edm" in set(pd.read_csv(tmp_path / "plain.csv")["channel"])


def test_an_inconclusive_channel_is_kept_and_said_so(trained, runner, tmp_path) -> None:
    """Not shown to beat random is a lack of evidence, not evidence of harm: kept, in words."""
    _, model, scores, _ = trained
    weak = _with_verdicts(model, tmp_path, {"edm": "not useful", "sms": "inconclusive"})
    result = runner.invoke(app, _target(scores, tmp_path / "send.csv", "--model", str(weak)))
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "channel 'sms' kept, but its model is not shown to beat random targeting" in flat
    assert set(pd.read_csv(tmp_path / "send.csv")["channel"]) == {"sms"}


def test_a_conv_value_revenue_score_is_judged_by_its_conversion_ranking() -> None:
    from uplift_lab.uplift.guardrails import target_outcome

    conversion = {"verdict": "inconclusive", "text": "inconclusive: ..."}
    revenue = {"verdict": "not useful", "text": "not useful: ...", "ranks_as": "conversion"}
    assert target_outcome({"sms": {"conversion": conversion, "revenue": revenue}}, "sms") is (
        conversion
    )
    own_ranking = {k: v for k, v in revenue.items() if k != "ranks_as"}
    assert target_outcome({"sms": {"conversion": conversion, "revenue": own_ranking}}, "sms") is (
        own_ranking
    )


def test_no_useful_channel_refuses_in_one_line_unless_accepted(trained, runner, tmp_path) -> None:
    _, model, scores, _ = trained
    weak = _with_verdicts(model, tmp_path, {"edm": "not useful", "sms": "not useful"})
    refused = runner.invoke(app, _target(scores, tmp_path / "send.csv", "--model", str(weak)))
    assert refused.exit_code == 2
    lines = [line for line in refused.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "not useful" in lines[0] and "--policy segments" in lines[0]
    assert "Traceback" not in refused.output and not (tmp_path / "send.csv").exists()
    accepted = runner.invoke(
        app,
        _target(scores, tmp_path / "send.csv", "--model", str(weak), "--accept-weak-model"),
    )
    assert accepted.exit_code == 0, accepted.output
    assert (tmp_path / "send.csv").exists()


def test_bad_inputs_are_reported_before_the_model_check(trained, runner, tmp_path) -> None:
    _, model, _, _ = trained
    weak = _with_verdicts(model, tmp_path, {"edm": "not useful", "sms": "not useful"})
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"customer_id": ["a", "a"], "uplift_revenue": [1.0, 2.0]}).to_csv(bad)
    result = runner.invoke(app, _target(bad, tmp_path / "send.csv", "--model", str(weak)))
    assert result.exit_code == 2
    assert "duplicate" in result.output and "not useful" not in result.output


# ------------------------------------------------------------------ --policy segments


def _analysis_report(path: Path) -> Path:
    """An analyze report.json with revenue effects per segment x channel (made up)."""

    def comparison(segment, arm, difference, low, conversion):
        return {
            "segment": segment, "arm": arm, "treated_n": 900, "control_n": 100,
            "revenue": {"difference": difference, "ci_low": low, "ci_high": difference + 1},
            "conversion": {"treatment_mean": conversion},
        }  # fmt: skip

    report = {
        "comparisons": [
            # silent: sms +3.00 -> 0.3 x 3 - 0.05 = 0.85; edm +1.00 -> 0.29 (sms is best)
            comparison("silent", "sms", 3.0, -0.5, 0.10),
            comparison("silent", "edm", 1.0, 0.2, 0.08),
            # semi_active: sms +0.10 -> -0.02; edm +0.20 -> 0.05 (edm, positive)
            comparison("semi_active", "sms", 0.10, -1.0, 0.05),
            comparison("semi_active", "edm", 0.20, -0.4, 0.05),
            # active: both lose money -> nobody
            comparison("active", "sms", -2.0, -4.0, 0.30),
            comparison("active", "edm", 0.0, -1.0, 0.30),
        ],
        "overall": [],
    }
    path.write_text(json.dumps(report))
    return path


def _segments(path: Path) -> Path:
    stages = ["silent"] * 6 + ["semi_active"] * 5 + ["active"] * 4 + ["churned"] * 3
    frame = pd.DataFrame(
        {
            "customer_id": [f"s{i:02d}" for i in range(len(stages))],
            "lifecycle": stages,
            "sms_opt_in": 1,
            "email_opt_in": 1,
        }
    )
    frame.loc[0, "sms_opt_in"] = 0  # opted out of its segment's best channel: its next best
    frame.to_csv(path, index=False)
    return path


def _segments_args(tmp_path: Path, budget: str, *extra: str) -> list[str]:
    return [
        "target", "--policy", "segments", "--analysis", str(_analysis_report(tmp_path / "r.json")),
        "--segments", str(_segments(tmp_path / "seg.csv")), "--eligible", "all",
        "--channel", "sms=0.05", "--channel", "edm=0.01", "--budget", budget, "--margin", "0.3",
        "--holdout", "0", "--out", str(tmp_path / "send.csv"), *extra,
    ]  # fmt: skip


def test_segments_policy_sends_exactly_the_segments_with_positive_measured_profit(
    runner, tmp_path
) -> None:
    result = runner.invoke(app, _segments_args(tmp_path, "auto", "--segment-effect", "estimate"))
    assert result.exit_code == 0, result.output
    send = pd.read_csv(tmp_path / "send.csv").set_index("customer_id")
    expected = {f"s{i:02d}": "sms" for i in range(1, 6)}
    expected |= {"s00": "edm"}  # opted out of silent's best (sms): its profitable e-mail
    expected |= {f"s{i:02d}": "edm" for i in range(6, 11)}
    assert send["channel"].to_dict() == expected
    profit = send["expected_profit"].to_numpy()
    silent = send.index.isin([f"s{i:02d}" for i in range(6)])
    hand = np.where(send["channel"] == "sms", 0.3 * 3.0 - 0.05, 0.3 * 0.2 - 0.01)
    hand = np.where(silent & (send["channel"] == "edm"), 0.3 * 1.0 - 0.01, hand)
    np.testing.assert_allclose(profit, hand, rtol=1e-12)
    assert "Measured effects of the past campaign" in result.output


def test_segments_policy_ranks_by_profit_per_cost_within_the_budget(runner, tmp_path) -> None:
    # edm in semi_active earns 0.05 per 0.01 (5 per unit of cost), sms in silent 0.85 per 0.05
    # (17), edm in silent (s00, opted out of sms) 0.29 per 0.01 (29): a budget of 0.125 buys
    # s00's e-mail (0.01), two silent sms (0.10) and one semi_active e-mail (0.01).
    result = runner.invoke(app, _segments_args(tmp_path, "0.125", "--segment-effect", "estimate"))
    assert result.exit_code == 0, result.output
    send = pd.read_csv(tmp_path / "send.csv")
    assert send["channel"].value_counts().to_dict() == {"sms": 2, "edm": 2}
    assert list(send["channel"])[:3] == ["edm", "sms", "sms"]
    assert send["customer_id"].iloc[0] == "s00"


def test_segments_policy_by_default_shrinks_each_channels_effects_across_segments(
    runner, tmp_path
) -> None:
    """Default 'shrunk': per channel, the three measured effects pulled toward their
    precision-weighted mean by the moment estimate of their spread (computed here by hand)."""
    report = tmp_path / "report"
    result = runner.invoke(app, _segments_args(tmp_path, "auto", "--report", str(report)))
    assert result.exit_code == 0, result.output
    z = 1.959963984540054
    measured = {  # channel: (segment, difference, ci_low, ci_high) as in _analysis_report
        "sms": [("silent", 3.0, -0.5, 4.0), ("semi_active", 0.1, -1.0, 1.1),
                ("active", -2.0, -4.0, -1.0)],
        "edm": [("silent", 1.0, 0.2, 2.0), ("semi_active", 0.2, -0.4, 1.2),
                ("active", 0.0, -1.0, 1.0)],
    }  # fmt: skip
    shrunk = {}
    for channel, rows in measured.items():
        d = np.array([r[1] for r in rows])
        v = np.array([((r[3] - r[2]) / (2 * z)) ** 2 for r in rows])
        m = (d / v).sum() / (1 / v).sum()
        tau2 = max(0.0, float(np.mean((d - m) ** 2 - v)))
        for (segment, *_), value in zip(rows, m + tau2 / (tau2 + v) * (d - m), strict=True):
            shrunk[segment, channel] = value
    cost = {"sms": 0.05, "edm": 0.01}
    profit = {key: 0.3 * value - cost[key[1]] for key, value in shrunk.items()}
    summary = json.loads((report / "summary.json").read_text())
    table = {(r["segment"], r["channel"]): r for r in summary["segment_effects"]}
    for key, value in profit.items():
        assert table[key]["profit_per_message"] == pytest.approx(value, rel=1e-9)
    send = pd.read_csv(tmp_path / "send.csv")
    stages = ["silent"] * 6 + ["semi_active"] * 5 + ["active"] * 4 + ["churned"] * 3
    stage = {f"s{i:02d}": s for i, s in enumerate(stages)}
    worth = {s for s in ("silent", "semi_active", "active") if max(profit[s, c] for c in cost) > 0}
    assert {stage[c] for c in send["customer_id"]} == worth  # churned: not measured, not sent
    for row in send.itertuples():
        receivable = [c for c in cost if (row.customer_id, c) != ("s00", "sms")]  # opted out
        best = max(receivable, key=lambda c: profit[stage[row.customer_id], c])
        assert row.channel == best and profit[stage[row.customer_id], best] > 0
        assert row.expected_profit == pytest.approx(profit[stage[row.customer_id], best])
    assert "3.00 → 2.18" in result.output  # silent sms: measured → shrunk (0.3 x 2.18 - 0.05)


def test_segments_policy_with_the_lower_bound_sends_only_shown_gains(runner, tmp_path) -> None:
    # Lower bounds: silent sms -0.5 (loses), silent edm 0.3 x 0.2 - 0.01 = 0.05 > 0; semi_active
    # both negative: only silent customers, by e-mail.
    result = runner.invoke(app, _segments_args(tmp_path, "auto", "--segment-effect", "ci_low"))
    assert result.exit_code == 0, result.output
    send = pd.read_csv(tmp_path / "send.csv")
    assert set(send["channel"]) == {"edm"} and len(send) == 6


def test_segments_policy_needs_an_analysis(runner, tmp_path) -> None:
    args = _segments_args(tmp_path, "auto")
    at = args.index("--analysis")
    del args[at : at + 2]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "--analysis" in result.output


# ------------------------------------------------------------------ IPW-valued comparison


def _tiny_world(folder: Path) -> tuple[Path, Path, Path, pd.DataFrame]:
    """12 customers, one channel; a past campaign with half messaged in each of two strata."""
    ids = [f"t{i:02d}" for i in range(12)]
    scores = pd.DataFrame({"customer_id": ids, "uplift_revenue": np.linspace(12.0, 1.0, 12)})
    segments = pd.DataFrame(
        {
            "customer_id": ids,
            "lifecycle": "silent",
            "sms_opt_in": 1,
            "rfm_score": [1, 2, 3, 4, 5, 6, 12, 11, 10, 9, 8, 7],  # RFM prefers the last six
        }
    )
    arm = ["sms", "control"] * 6
    past = pd.DataFrame(
        {
            "customer_id": ids,
            "arm": arm,
            "converted": [1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1],
            "revenue": [30.0, 0, 20.0, 10.0, 0, 0, 50.0, 0, 40.0, 5.0, 0, 25.0],
            "stratum": ["a"] * 6 + ["b"] * 6,
        }
    )
    paths = folder / "scores.csv", folder / "segments.csv", folder / "past.csv"
    for frame, path in zip((scores, segments, past), paths, strict=True):
        frame.to_csv(path, index=False)
    return *paths, past


def _horvitz_thompson_profit(past: pd.DataFrame, picked: set[str], margin: float, cost: float):
    """sum over picked of (T / p_s - C / (1 - p_s)) x margin x revenue, minus message costs."""
    total = 0.0
    for _, rows in past.groupby("stratum"):
        share = (rows["arm"] == "sms").mean()
        for row in rows.itertuples():
            if row.customer_id in picked:
                weight = 1 / share if row.arm == "sms" else -1 / (1 - share)
                total += weight * margin * row.revenue
    return total - cost * len(picked)


def test_policy_comparison_is_valued_by_horvitz_thompson_on_the_past_campaign(
    runner, tmp_path
) -> None:
    scores, segments, past_path, past = _tiny_world(tmp_path)
    result = runner.invoke(app, [
        "target", str(scores), "--segments", str(segments), "--eligible", "all",
        "--channel", "sms=1", "--budget", "4", "--margin", "0.5", "--holdout", "0",
        "--out", str(tmp_path / "send.csv"), "--report", str(tmp_path / "report"),
        "--validate-on", str(past_path), "--validate-stratum-col", "stratum",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "valued by IPW on the past campaign" in result.output
    summary = json.loads((tmp_path / "report" / "summary.json").read_text())
    rows = {row["policy"]: row for row in summary["comparison"]}
    # The plan takes the 4 highest scores t00..t03 (2 messaged, 2 held out in stratum a);
    # the RFM rule the 4 highest rfm_score t06..t09 (stratum b).
    plan = {"t00", "t01", "t02", "t03"}
    rfm = {"t06", "t07", "t08", "t09"}
    assert set(pd.read_csv(tmp_path / "send.csv")["customer_id"]) == plan
    expected_plan = _horvitz_thompson_profit(past, plan, 0.5, 1.0)
    expected_rfm = _horvitz_thompson_profit(past, rfm, 0.5, 1.0)
    assert rows["uplift (this plan)"]["ipw_profit"] == pytest.approx(expected_plan, rel=1e-12)
    assert rows["RFM rule (rfm_score)"]["ipw_profit"] == pytest.approx(expected_rfm, rel=1e-12)
    # The model's own valuation is not what is reported as the plan's value.
    assert rows["uplift (this plan)"]["expected_profit"] != pytest.approx(expected_plan)
    assert summary["comparison_valued_by"].startswith("ipw")
    # The plan's own prediction for these picks is set against that measurement, in words.
    predicted = pd.read_csv(tmp_path / "send.csv")["expected_profit"].sum()
    measured = summary["validation"]["incremental_profit"]
    inside = measured["ci_low"] <= predicted <= measured["ci_high"]
    flat = " ".join(result.output.split())
    assert f"the plan predicts {predicted:,.2f} profit for its 4 picks" in flat
    assert ("consistent" in flat) == inside and ("not borne out" in flat) == (not inside)


def test_without_a_past_campaign_the_comparison_says_it_is_not_evidence(runner, tmp_path):
    scores, segments, _, _ = _tiny_world(tmp_path)
    result = runner.invoke(app, [
        "target", str(scores), "--segments", str(segments), "--eligible", "all",
        "--channel", "sms=1", "--budget", "4", "--margin", "0.5", "--holdout", "0",
        "--out", str(tmp_path / "send.csv"), "--report", str(tmp_path / "report"),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "NOT evidence" in " ".join(result.output.split())
    summary = json.loads((tmp_path / "report" / "summary.json").read_text())
    assert "not evidence" in summary["comparison_valued_by"]


def test_multi_arm_ipw_judges_each_channel_by_its_own_arm() -> None:
    from uplift_lab.policy import ipw_policy_value_by_arm

    # 9 customers, one stratum: 3 control, 3 sms, 3 edm (propensity 1/3 each).
    arm = np.array(["control", "sms", "edm"] * 3)
    revenue = np.array([1.0, 7.0, 2.0, 0.0, 5.0, 9.0, 2.0, 6.0, 0.0])
    # The policy sends sms to customers 0-2 and edm to 3-5, nobody to 6-8.
    chosen = np.array(["sms"] * 3 + ["edm"] * 3 + [""] * 3, dtype=object)
    value = ipw_policy_value_by_arm(
        chosen, arm, revenue, revenue > 0, control="control", margin=1.0,
        message_cost={"sms": 0.0, "edm": 0.0},
    )  # fmt: skip
    # Horvitz-Thompson: sum over picked of (1{arm = chosen} - 1{control}) / (1/3) x revenue.
    hand = sum(3 * revenue[i] * ((arm[i] == chosen[i]) - (arm[i] == "control")) for i in range(6))
    assert value.incremental_revenue.value == pytest.approx(hand)


def test_segments_policy_reads_a_one_arm_report_as_the_one_channel(runner, tmp_path) -> None:
    """design's default arm 'send' and one channel: the arm's effects are that channel's (a
    note says so), so sms goes where the send's measured profit is positive; with two channels
    the report cannot say which is which, and the error names the report's arms."""
    report = json.loads(_analysis_report(tmp_path / "r.json").read_text())
    sms_only = [dict(c, arm="send") for c in report["comparisons"] if c["arm"] == "sms"]
    one_arm = tmp_path / "send_report.json"
    one_arm.write_text(json.dumps({"comparisons": sms_only, "overall": []}))
    args = ["target", "--policy", "segments", "--analysis", str(one_arm), "--segments",
            str(_segments(tmp_path / "seg.csv")), "--eligible", "all", "--budget", "auto",
            "--margin", "0.3", "--holdout", "0", "--segment-effect", "estimate",
            "--out", str(tmp_path / "send.csv")]  # fmt: skip
    result = runner.invoke(app, [*args, "--channel", "sms=0.05"])
    assert result.exit_code == 0, result.output
    assert "one treated arm 'send' is read as the channel 'sms'" in result.stderr
    send = pd.read_csv(tmp_path / "send.csv")
    assert set(send["channel"]) == {"sms"} and len(send) == 5  # silent, s00 opted out of sms
    two = runner.invoke(app, [*args, "--channel", "sms=0.05", "--channel", "edm=0.01"])
    assert two.exit_code == 2 and "the report's arms: send" in two.stderr


def test_validating_on_the_models_own_training_file_is_warned(trained, runner, tmp_path) -> None:
    """--validate-on the very file train read (its SHA-256 is in model.json): the comparison is
    not independent, and the warning says so; a copy with other bytes is not that file."""
    folder, model, scores, _ = trained
    data = folder / "campaign.csv"
    args = _target(scores, tmp_path / "send.csv", "--model", str(model), "--accept-weak-model",
                   "--validate-on", str(data), "--validate-columns", "revenue=spend")  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "campaign.csv is the file" in result.stderr and "not independent" in result.stderr
    later = tmp_path / "later.csv"
    later.write_text(data.read_text().replace("\n", "\r\n"))  # the same rows, other bytes
    args[args.index(str(data))] = str(later)
    result = runner.invoke(app, [*args, "--force"])
    assert result.exit_code == 0, result.output
    assert "not independent" not in result.stderr


def test_every_arms_candidates_table_sets_its_baselines_below_a_line(trained) -> None:
    """Each treated arm's table (edm, sms): the row before its first baseline is the section
    break, not a model row (the second arm's used to run on)."""
    *_, output = trained
    lines = output.splitlines()
    firsts = [i for i, line in enumerate(lines) if line.strip().startswith("conversion   random")]
    assert len(firsts) == 2
    assert all(not lines[i - 1].strip() for i in firsts), [lines[i - 1] for i in firsts]
