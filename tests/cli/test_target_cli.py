"""`uplift-lab target` from the command line: outputs, refusals, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from uplift_lab.cli import app
from uplift_lab.workflows.experiment_folder import load_experiment


def write_inputs(folder: Path, n: int = 2000, seed: int = 0) -> tuple[Path, Path, Path]:
    rng = np.random.default_rng(seed)
    ids = [f"{i:05d}" for i in range(n)]  # leading zeros must survive
    scores = pd.DataFrame(
        {
            "customer_id": ids,
            "uplift_revenue": rng.normal(2.0, 4.0, n),
            "uplift_conversion": rng.normal(0.01, 0.02, n),
            "p_control": rng.uniform(0.0, 0.2, n),
        }
    )
    lifecycle = rng.choice(["active", "semi_active", "silent"], n)
    segments = pd.DataFrame(
        {
            "customer_id": ids,
            "lifecycle": lifecycle,
            "sms_opt_in": rng.integers(0, 2, n),
            "email_opt_in": rng.integers(0, 2, n),
            "rfm_score": rng.integers(3, 16, n),
        }
    )
    treated = rng.random(n) < 0.9
    converted = (rng.random(n) < 0.05 + 0.03 * treated).astype(int)
    past = pd.DataFrame(
        {
            "customer_id": ids,
            "arm": np.where(treated, "send", "control"),
            "converted": converted,
            "revenue": converted * rng.lognormal(3, 0.5, n),
        }
    )
    paths = folder / "scores.csv", folder / "segments.csv", folder / "past.csv"
    for frame, path in zip((scores, segments, past), paths, strict=True):
        frame.to_csv(path, index=False)
    return paths


CHANNEL_ARGS = ["--channel", "mms=0.20", "--channel", "sms=0.05,coupon=2", "--channel", "edm=0.01"]


def target_args(tmp_path: Path, scores: Path, segments: Path, *extra: str) -> list[str]:
    return [
        "target",
        str(scores),
        "--segments",
        str(segments),
        "--budget",
        "40",
        *CHANNEL_ARGS,
        "--response",
        "mms=1.4,edm=0.35",
        "--experiment",
        str(tmp_path / "experiments" / "nov"),
        "--out",
        str(tmp_path / "send.csv"),
        *extra,
    ]


def test_target_writes_send_list_experiment_and_report(runner, tmp_path) -> None:
    scores, segments, past = write_inputs(tmp_path)
    args = target_args(
        tmp_path,
        scores,
        segments,
        "--report",
        str(tmp_path / "report"),
        "--validate-on",
        str(past),
        "--start",
        "2026-11-01",
    )
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Plan per segment and channel" in result.output
    assert "Off-policy check" in result.output
    assert "RFM rule" in result.output

    send = pd.read_csv(tmp_path / "send.csv", dtype={"customer_id": str})
    assert list(send.columns) == [
        "customer_id",
        "channel",
        "expected_incremental_revenue",
        "expected_profit",
        "rank",
    ]
    assert send["customer_id"].str.len().eq(5).all()
    assert (send["expected_profit"] > 0).all()
    experiment = load_experiment(tmp_path / "experiments" / "nov")
    held = set(experiment.assignment.loc[experiment.assignment["arm"] == "control", "customer_id"])
    assert held and held.isdisjoint(send["customer_id"])
    campaign = experiment.meta["campaign"]
    assert campaign["start"] == "2026-11-01"
    assert campaign["channels"]["sms"] == {"message_cost": 0.05, "coupon": 2.0, "response": 1.0}
    assert set(experiment.meta["arms"]) <= {"control", "mms", "sms", "edm"}
    summary = json.loads((tmp_path / "report" / "summary.json").read_text())
    assert summary["expected_cost"] <= 40.0 + 1e-9
    assert summary["holdout"]["n_send"] == len(send)
    assert (tmp_path / "report" / "profit_curve.png").read_bytes()[:4] == b"\x89PNG"


def test_target_is_byte_identical_on_rerun(runner, tmp_path) -> None:
    scores, segments, _ = write_inputs(tmp_path, n=800)
    first = runner.invoke(app, target_args(tmp_path, scores, segments))
    assert first.exit_code == 0, first.output
    send_bytes = (tmp_path / "send.csv").read_bytes()
    assignment = (tmp_path / "experiments" / "nov" / "assignment.parquet").read_bytes()
    again = runner.invoke(app, target_args(tmp_path, scores, segments, "--force"))
    assert again.exit_code == 0, again.output
    assert (tmp_path / "send.csv").read_bytes() == send_bytes
    assert (tmp_path / "experiments" / "nov" / "assignment.parquet").read_bytes() == assignment


def test_existing_experiment_is_refused_without_force(runner, tmp_path) -> None:
    scores, segments, _ = write_inputs(tmp_path, n=500)
    (tmp_path / "experiments" / "nov").mkdir(parents=True)
    (tmp_path / "experiments" / "nov" / "design.json").write_text("{}")
    result = runner.invoke(app, target_args(tmp_path, scores, segments))
    assert result.exit_code == 2
    assert "already exists" in result.output and "--force" in result.output
    assert not (tmp_path / "send.csv").exists()


def test_holdout_zero_warns_and_sends_to_everyone_selected(runner, tmp_path) -> None:
    scores, segments, _ = write_inputs(tmp_path, n=500)
    args = [
        "target",
        str(scores),
        "--segments",
        str(segments),
        "--budget",
        "auto",
        "--channel",
        "sms=0.05",
        "--holdout",
        "0",
        "--out",
        str(tmp_path / "s.parquet"),
        "--json",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "--holdout 0" in result.output
    send = pd.read_parquet(tmp_path / "s.parquet")
    payload = json.loads(result.stdout)
    assert len(send) == payload["n_selected"]
    assert payload["budget"] is None and payload["unspent_budget"] == 0.0


def _bad_scores(tmp_path: Path, scores: Path, kind: str) -> Path:
    frame = pd.read_csv(scores, dtype={"customer_id": str})
    path = tmp_path / f"bad_{kind}.csv"
    if kind == "missing_column":
        frame = frame.drop(columns="uplift_revenue")
    elif kind == "duplicate_id":
        frame.loc[1, "customer_id"] = frame.loc[0, "customer_id"]
    elif kind == "nan_id":
        frame.loc[3, "customer_id"] = None
    elif kind == "text_score":
        frame["uplift_revenue"] = frame["uplift_revenue"].astype(str)
        frame.loc[2, "uplift_revenue"] = "12,5"
    if kind == "not_utf8":
        path.write_bytes(b"customer_id,uplift_revenue\n1,2.0\n" + b"\xff\xfe,3\n")
        return path
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("missing_column", "missing column 'uplift_revenue_mms' (or 'uplift_revenue')"),
        ("duplicate_id", "duplicate id"),
        ("nan_id", "empty id"),
        ("text_score", "must be numeric"),
        ("not_utf8", "--encoding"),
    ],
)
def test_bad_scores_file_exits_2_and_writes_nothing(runner, tmp_path, kind, message) -> None:
    scores, segments, _ = write_inputs(tmp_path, n=300)
    bad = _bad_scores(tmp_path, scores, kind)
    result = runner.invoke(app, target_args(tmp_path, bad, segments))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert bad.name in result.output or kind == "not_utf8"
    assert "Traceback" not in result.output
    assert not (tmp_path / "send.csv").exists()
    assert not (tmp_path / "experiments").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--budget", "lots"], "--budget: expected a number or 'auto'"),
        (["--channel", "sms"], "--channel: expected NAME=COST"),
        (["--channel", "coupon=5"], "must follow a channel"),
        (["--response", "fax=2"], "--response: unknown channel(s) fax"),
        (["--channel", "push=-1"], "--channel push=COST: expected a number >= 0, got '-1'"),
        (["--response", "sms=x"], "--response sms: expected a number >= 0, got 'x'"),
        (["--eligible", "vip"], "no customer has lifecycle vip"),
        (["--margin", "30"], "--margin: must be in (0, 1]"),
        (["--holdout", "1.5"], "--holdout: must be in [0, 1)"),
    ],
)
def test_bad_options_exit_2_with_one_line(runner, tmp_path, change, message) -> None:
    scores, segments, _ = write_inputs(tmp_path, n=300)
    result = runner.invoke(app, target_args(tmp_path, scores, segments, *change))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "send.csv").exists()


def test_holdout_without_experiment_folder_is_refused(runner, tmp_path) -> None:
    scores, segments, _ = write_inputs(tmp_path, n=300)
    args = [
        "target",
        str(scores),
        "--budget",
        "10",
        "--channel",
        "sms=0.05",
        "--out",
        str(tmp_path / "send.csv"),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "--experiment" in result.output


def test_opt_in_column_with_other_values_is_refused(runner, tmp_path) -> None:
    scores, segments, _ = write_inputs(tmp_path, n=300)
    frame = pd.read_csv(segments, dtype={"customer_id": str})
    frame.loc[0, "sms_opt_in"] = 2
    frame.to_csv(segments, index=False)
    result = runner.invoke(app, target_args(tmp_path, scores, segments))
    assert result.exit_code == 2
    assert "sms_opt_in' has 1 value(s) that are not yes/no: 2" in result.output


def test_coupon_without_conversion_scores_is_refused(runner, tmp_path) -> None:
    scores, segments, _ = write_inputs(tmp_path, n=300)
    frame = pd.read_csv(scores, dtype={"customer_id": str})
    frame[["customer_id", "uplift_revenue"]].to_csv(scores, index=False)
    result = runner.invoke(app, target_args(tmp_path, scores, segments))
    assert result.exit_code == 2
    assert "coupon on channel 'sms' needs P(convert | sent)" in result.output


def test_target_help_lists_the_options(runner) -> None:
    result = runner.invoke(app, ["target", "--help"])
    assert result.exit_code == 0
    for option in ("--budget", "--channel", "--holdout", "--validate-on", "--max-customers"):
        assert option in result.output


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("arm", "send", "has no control label 'control'"),
        ("converted", 2, "'converted' must be 0 or 1"),
        ("revenue", None, "'revenue' has 1 missing value"),
    ],
)
def test_bad_past_campaign_exits_2_and_writes_nothing(
    runner, tmp_path, column, value, message
) -> None:
    scores, segments, past = write_inputs(tmp_path, n=300)
    frame = pd.read_csv(past, dtype={"customer_id": str})
    if column == "arm":
        frame[column] = value
    else:
        frame.loc[0, column] = value
    frame.to_csv(past, index=False)
    result = runner.invoke(app, target_args(tmp_path, scores, segments, "--validate-on", str(past)))
    assert result.exit_code == 2, result.output
    assert message in result.output and "past.csv" in result.output
    assert not (tmp_path / "send.csv").exists()


def test_max_customers_and_min_expected_profit_limit_the_send_list(runner, tmp_path) -> None:
    scores, segments, _ = write_inputs(tmp_path, n=1000)
    args = [
        "target",
        str(scores),
        "--segments",
        str(segments),
        "--eligible",
        "all",
        "--budget",
        "auto",
        "--channel",
        "sms=0.05",
        "--max-customers",
        "50",
        "--min-expected-profit",
        "0.5",
        "--margin",
        "0.5",
        "--holdout",
        "0",
        "--out",
        str(tmp_path / "send.csv"),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    send = pd.read_csv(tmp_path / "send.csv", dtype={"customer_id": str})
    frame = pd.read_csv(scores, dtype={"customer_id": str}).merge(
        pd.read_csv(segments, dtype={"customer_id": str}), on="customer_id"
    )
    profit = frame["uplift_revenue"] * 0.5 - 0.05
    allowed = frame[(frame["sms_opt_in"] == 1) & (profit >= 0.5)]
    best = allowed.assign(profit=profit).nlargest(50, "profit")
    assert len(send) == 50
    assert set(send["customer_id"]) == set(best["customer_id"])
    assert "--max-customers 50 reached" in result.output


def test_segments_without_lifecycle_is_refused(runner, tmp_path) -> None:
    scores, segments, _ = write_inputs(tmp_path, n=300)
    frame = pd.read_csv(segments, dtype={"customer_id": str}).drop(columns="lifecycle")
    frame.to_csv(segments, index=False)
    result = runner.invoke(app, target_args(tmp_path, scores, segments))
    assert result.exit_code == 2
    assert "missing column 'lifecycle' needed by --eligible" in result.output


def test_budget_below_one_message_says_nothing_to_send(runner, tmp_path) -> None:
    scores, segments, _ = write_inputs(tmp_path, n=300)
    args = target_args(tmp_path, scores, segments)
    args[args.index("--budget") + 1] = "0.001"
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "nothing to send" in result.output
    assert not (tmp_path / "send.csv").exists()


def test_where_narrows_eligibility_to_the_pandas_filter(runner, tmp_path) -> None:
    scores, segments, _ = write_inputs(tmp_path, n=1500)
    table = pd.read_csv(segments, dtype={"customer_id": str})
    table["big_spender"] = table["rfm_score"] >= 9  # as a --tags rule would write it
    table.to_csv(segments, index=False)
    where = "big_spender AND sms_opt_in = 1"
    args = target_args(tmp_path, scores, segments, "--budget", "auto", "--where", where)
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    eligible = (
        table["big_spender"]
        & (table["sms_opt_in"] == 1)
        & table["lifecycle"].isin(["semi_active", "silent"])
    )
    assert summary["n_eligible"] == int(eligible.sum())
    experiment = load_experiment(tmp_path / "experiments" / "nov")
    picked = set(experiment.assignment["customer_id"])
    assert picked and picked <= set(table.loc[eligible, "customer_id"])
    assert experiment.meta["campaign"]["where"] == where


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("rfm_score >", '--where "rfm_score >": Parser Error'),
        ("spend > 3", 'column "spend" not found'),
        ("lifecycle", "gives VARCHAR values, not true/false"),
    ],
)
def test_bad_where_exits_2_with_one_line_and_writes_nothing(
    runner, tmp_path, where, message
) -> None:
    scores, segments, _ = write_inputs(tmp_path, n=300)
    result = runner.invoke(app, target_args(tmp_path, scores, segments, "--where", where))
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert message in line and "\n" not in line and "Traceback" not in result.output
    assert not (tmp_path / "send.csv").exists()
    assert not (tmp_path / "experiments").exists()


def test_validate_columns_names_the_past_campaigns_columns(runner, tmp_path) -> None:
    """Hillstrom's names (cid, segment, conversion, spend) through --validate-columns value the
    plan exactly as the canonical file does; an unknown role is refused in one line."""
    scores, segments, past = write_inputs(tmp_path)
    renamed = tmp_path / "past_named.csv"
    names = {"customer_id": "cid", "arm": "segment", "converted": "conversion", "revenue": "spend"}
    pd.read_csv(past, dtype={"customer_id": str}).rename(columns=names).to_csv(renamed, index=False)
    outputs = []
    for path, extra in ((past, []), (renamed, ["--validate-columns",
                        "id=cid,arm=segment,converted=conversion,revenue=spend"])):  # fmt: skip
        args = target_args(tmp_path, scores, segments, "--validate-on", str(path), *extra)
        result = runner.invoke(app, [*args, "--json", "--force"])
        assert result.exit_code == 0, result.output
        outputs.append(json.loads(result.stdout)["validation"])
    assert outputs[0] == outputs[1] and outputs[0]["n_picked"] > 0
    bad = target_args(tmp_path, scores, segments, "--validate-on", str(renamed),
                      "--validate-columns", "who=cid")  # fmt: skip
    result = runner.invoke(app, [*bad, "--force"])
    assert result.exit_code == 2 and "unknown role(s) who" in result.stderr


def test_an_existing_file_that_is_not_a_send_list_is_not_replaced(runner, tmp_path) -> None:
    scores, segments, _ = write_inputs(tmp_path)
    orders = tmp_path / "send.csv"
    orders.write_text("customer_id,order_time,amount\n00001,2026-01-05,35.5\n")
    args = [*target_args(tmp_path, scores, segments), "--holdout", "0"]
    args.remove("--experiment")
    args.remove(str(tmp_path / "experiments" / "nov"))
    result = runner.invoke(app, args)
    assert (
        result.exit_code == 2 and "not a send list" in result.output and "--force" in result.output
    )
    assert orders.read_text().startswith("customer_id,order_time")
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    assert runner.invoke(app, args).exit_code == 0  # a send list is written again unasked
    assert "channel" in pd.read_csv(orders).columns
    at_input = [str(segments) if arg == str(orders) else arg for arg in args]
    result = runner.invoke(app, [*at_input, "--force"])
    assert result.exit_code == 2 and "is an input of this command" in result.output
