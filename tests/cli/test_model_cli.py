"""`uplift-lab train`, `score` and `evaluate` from the command line (CliRunner)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.test_uplift_models import simulated_campaign
from uplift_lab.cli import app

TRAIN_FAST = ["--folds", "2", "--max-rounds", "40"]


@pytest.fixture(scope="module")
def campaign_csv(tmp_path_factory):
    frame, _ = simulated_campaign(4000, seed=11)
    path = tmp_path_factory.mktemp("data") / "campaign.csv"
    frame.to_csv(path, index=False)
    return path


def _train_args(data, out, *extra):
    return [
        "train", "--data", str(data), "--id-col", "customer_id", "--treatment-col", "arm",
        "--control", "control", "--outcome-col", "converted", "--revenue-col", "spend",
        "--model", "two", "--revenue-model", "decomposition", *TRAIN_FAST, "--out", str(out),
        *extra,
    ]  # fmt: skip


@pytest.fixture(scope="module")
def model_dir(campaign_csv, tmp_path_factory):
    from typer.testing import CliRunner

    out = tmp_path_factory.mktemp("models") / "sim"
    args = _train_args(campaign_csv, out)
    args[args.index("--folds") + 1] = "5"  # enough folds for a readable CI in `evaluate`
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return out, result.output


def test_train_prints_held_out_metrics_and_saves_the_folder(model_dir) -> None:
    out, output = model_dir
    assert "Randomization check: propensity AUC" in output
    assert "send vs control: mean over 5 held-out folds" in output
    assert "two*" in output and "decomposition*" in output
    assert (out / "model.json").exists() and (out / "cv_predictions.parquet").exists()


def test_score_writes_one_row_per_customer_keyed_by_id(runner, model_dir, campaign_csv, tmp_path):
    out, _ = model_dir
    scores = tmp_path / "scores.parquet"
    result = runner.invoke(app, ["score", str(out), str(campaign_csv), "--out", str(scores)])
    assert result.exit_code == 0, result.output
    assert "Scored 4,000 customers" in result.output
    written = pd.read_parquet(scores)
    assert list(written.columns[:5]) == [
        "customer_id", "uplift_conversion", "uplift_revenue", "p_control", "p_treated",
    ]  # fmt: skip
    assert written["customer_id"].is_unique and len(written) == 4000


def test_evaluate_writes_a_report_with_baselines_and_a_verdict(runner, model_dir, tmp_path):
    out, _ = model_dir
    report = tmp_path / "report"
    result = runner.invoke(app, ["evaluate", str(out), "--out", str(report)])
    assert result.exit_code == 0, result.output
    assert "baseline:" in result.output
    assert "Chosen model (two): useful" in result.output  # a strong planted effect is found
    markdown = (report / "report.md").read_text()
    assert "baseline: random targeting" in markdown and "purchase probability" in markdown


def test_score_with_missing_features_exits_2_naming_them(runner, model_dir, tmp_path) -> None:
    out, _ = model_dir
    customers = tmp_path / "customers.csv"
    pd.DataFrame({"customer_id": ["a"], "x1": [1.0]}).to_csv(customers, index=False)
    scores = tmp_path / "scores.parquet"
    result = runner.invoke(app, ["score", str(out), str(customers), "--out", str(scores)])
    assert result.exit_code == 2
    assert "missing feature column(s) x2, cat" in result.output
    assert "Traceback" not in result.output and not scores.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--control", "holdout"], "no control label 'holdout'"),
        (["--outcome-col", "spend"], "must be 0/1"),
        (["--treatment-col", "group"], "missing column 'group'"),
        (["--features", "x1,converted"], "known before the campaign"),
    ],
)
def test_train_bad_input_exits_2_with_one_line(runner, campaign_csv, tmp_path, args, message):
    out = tmp_path / "model"
    result = runner.invoke(app, _train_args(campaign_csv, out) + args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


def test_train_refuses_an_existing_folder_without_force(runner, model_dir, campaign_csv):
    out, _ = model_dir
    result = runner.invoke(app, _train_args(campaign_csv, out))
    assert result.exit_code == 2 and "--force" in result.output


def test_train_refuses_non_randomized_data(runner, tmp_path) -> None:
    frame, _ = simulated_campaign(2000, seed=12)
    frame["arm"] = frame["x1"].gt(0).map({True: "send", False: "control"})
    path = tmp_path / "observational.csv"
    frame.to_csv(path, index=False)
    result = runner.invoke(app, _train_args(path, tmp_path / "m"))
    assert result.exit_code == 2
    assert "non-random" in result.output and "--allow-observational" in result.output


def test_train_on_hillstrom_without_an_id_column(runner, hillstrom_path, tmp_path) -> None:
    frame = pd.read_csv(hillstrom_path)
    small = frame[frame["segment"] != "Mens E-Mail"].sample(8000, random_state=0)
    path = tmp_path / "hillstrom_small.csv"
    small.to_csv(path, index=False)
    out = tmp_path / "hillstrom"
    result = runner.invoke(app, [
        "train", "--data", str(path), "--treatment-col", "segment", "--control", "No E-Mail",
        "--outcome-col", "conversion", "--revenue-col", "spend",
        "--features", "recency,history_segment,history,mens,womens,zip_code,newbie,channel",
        "--model", "two", "--revenue-model", "decomposition", *TRAIN_FAST, "--out", str(out),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    scores = tmp_path / "scores.csv"
    result = runner.invoke(app, ["score", str(out), str(path), "--out", str(scores)])
    assert result.exit_code == 0, result.output
    written = pd.read_csv(scores)
    assert written.columns[0] == "row" and written["row"].tolist()[:3] == [0, 1, 2]


def test_train_from_an_experiment_folder_and_order_log(runner, tmp_path) -> None:
    from uplift_lab.design import design_experiment
    from uplift_lab.segment import segment_customers
    from uplift_lab.synth import generate_shop
    from uplift_lab.workflows.experiment_folder import write_experiment

    shop = generate_shop(n_customers=3000, seed=3)
    start = shop.campaign_start
    segments = segment_customers(shop.orders, as_of=start).table
    design = design_experiment(segments, name="past", holdout=0.5)
    write_experiment(design, tmp_path / "past", created_at="2026-01-01T00:00:00+00:00")
    shop.orders.to_csv(tmp_path / "orders.csv", index=False)
    shop.customers.to_csv(tmp_path / "customers.csv", index=False)
    shop.events.to_csv(tmp_path / "events.csv", index=False)
    out = tmp_path / "model"
    result = runner.invoke(app, [
        "train", "--experiment", str(tmp_path / "past"), "--orders", str(tmp_path / "orders.csv"),
        "--customers", str(tmp_path / "customers.csv"), "--events", str(tmp_path / "events.csv"),
        "--start", str(start.date()), "--window-days", "14",
        "--model", "two", "--revenue-model", "decomposition", *TRAIN_FAST, "--out", str(out),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"Trained on {len(segments):,} customers, arms send vs 'control'" in result.output
    description = (out / "model.json").read_text()
    assert '"recency_days"' in description and '"lifecycle"' in description
    assert '"days_since_last_event"' in description and '"age"' in description


def test_train_needs_exactly_one_data_source(runner, tmp_path) -> None:
    result = runner.invoke(app, ["train", "--out", str(tmp_path / "m")])
    assert result.exit_code == 2 and "exactly one of --data FILE or --experiment" in result.output


# --------------------------------------------------------------------------- evaluate --scores


@pytest.fixture(scope="module")
def later_campaign(model_dir, tmp_path_factory):
    """A later randomized campaign (new customers, same planted effect), scored by the model."""
    from typer.testing import CliRunner

    out, _ = model_dir
    folder = tmp_path_factory.mktemp("later")
    frame, _ = simulated_campaign(3000, seed=21)
    frame["customer_id"] = "n" + frame["customer_id"]
    frame.drop(columns=["arm", "converted", "spend"]).to_csv(folder / "customers.csv", index=False)
    outcomes = frame[["customer_id", "arm", "converted", "spend"]].sample(frac=1, random_state=0)
    outcomes.to_csv(folder / "outcomes.csv", index=False)  # another row order than the scores
    scores = folder / "scores.parquet"
    result = CliRunner().invoke(
        app, ["score", str(out), str(folder / "customers.csv"), "--out", str(scores)]
    )
    assert result.exit_code == 0, result.output
    return folder, scores, outcomes


EVALUATE_SCORES = ["--arm-col", "arm", "--control", "control", "--conversion-col", "converted"]


def test_evaluate_scores_on_a_later_campaign_matches_scikit_uplift_on_the_joined_rows(
    runner, later_campaign, tmp_path
) -> None:
    from sklift.metrics import qini_auc_score

    folder, scores, outcomes = later_campaign
    report = tmp_path / "later"
    result = runner.invoke(app, [
        "evaluate", "--scores", str(scores), "--outcomes", str(folder / "outcomes.csv"),
        *EVALUATE_SCORES, "--revenue-col", "spend", "--out", str(report),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Evaluated on 3,000 campaign customers" in result.output and "baseline:" in result.output
    assert "converted: uplift_" in result.output and "useful" in result.output
    # Independent reference: join in the test, Qini coefficient from scikit-uplift.
    joined = outcomes.merge(pd.read_parquet(scores), on="customer_id")
    expected = qini_auc_score(
        joined["converted"], joined["uplift_conversion"], (joined["arm"] == "send").astype(int)
    )
    metrics = json.loads((report / "metrics.json").read_text())
    conversion = metrics["outcomes"][0]
    pooled = {item["name"]: item["pooled"] for item in conversion["scores"]}
    verdicts = {item["name"]: item["verdict"] for item in conversion["scores"]}
    assert verdicts["uplift_conversion"].startswith("useful")  # the planted effect is found
    assert conversion["outcome"] == "converted" and conversion["n"] == 3000
    assert pooled["uplift_conversion"]["qini_coefficient"] == pytest.approx(expected, rel=1e-9)
    assert {"random", "purchase_probability"} <= set(pooled)  # baselines in the same table
    assert metrics["outcomes"][1]["outcome"] == "spend"
    assert (report / "report.md").exists() and (report / "report.html").exists()


def _outcomes_variant(outcomes, change: str) -> pd.DataFrame:
    frame = outcomes.copy()
    if change == "foreign ids":
        frame["customer_id"] = "zz" + frame["customer_id"]
    elif change == "some unscored":
        frame.loc[frame.index[:7], "customer_id"] = "zz" + frame["customer_id"].iloc[:7]
    elif change == "other arm":
        frame["arm"] = frame["arm"].replace("send", "sms")
    elif change == "empty arm":
        frame.loc[frame.index[:3], "arm"] = None
    elif change == "misnamed outcome":
        frame = frame.rename(columns={"converted": "conv"})
    elif change == "duplicate ids":
        frame.loc[frame.index[1], "customer_id"] = frame["customer_id"].iloc[0]
    return frame


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("foreign ids", "no id in column 'customer_id' matches"),
        ("some unscored", "7 of 3,000 customers have no score"),
        ("other arm", "no scores for the campaign's treated arm 'sms'"),
        ("empty arm", "column 'arm' has empty values"),
        ("misnamed outcome", "missing column 'converted'"),
        ("duplicate ids", "duplicate id(s)"),
    ],
)
def test_evaluate_scores_bad_outcomes_exit_2_with_one_line_and_no_report(
    runner, later_campaign, tmp_path, change, message
) -> None:
    folder, scores, outcomes = later_campaign
    path = tmp_path / "outcomes.csv"
    _outcomes_variant(outcomes, change).to_csv(path, index=False)
    report = tmp_path / "report"
    result = runner.invoke(app, [
        "evaluate", "--scores", str(scores), "--outcomes", str(path), *EVALUATE_SCORES,
        "--out", str(report),
    ])  # fmt: skip
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "outcomes.csv" in result.output or "scores.parquet" in result.output  # names the file
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert not report.exists()


def test_evaluate_needs_a_model_folder_or_scores_and_their_options(
    runner, model_dir, later_campaign, tmp_path
) -> None:
    out, _ = model_dir
    _, scores, _ = later_campaign
    both = runner.invoke(app, ["evaluate", str(out), "--scores", str(scores), "--out", "x"])
    assert both.exit_code == 2 and "exactly one of MODEL_DIR or --scores" in both.output
    stray = runner.invoke(app, ["evaluate", str(out), "--rfm-cols", "recency=r,monetary=m",
                                "--out", str(tmp_path / "r")])  # fmt: skip
    assert stray.exit_code == 2 and "--rfm-cols goes with --scores FILE" in stray.output
    bare = runner.invoke(app, ["evaluate", "--scores", str(scores), "--out", str(tmp_path / "r")])
    assert bare.exit_code == 2
    assert "--scores needs --arm-col, --conversion-col" in bare.output


# --------------------------------------------------------------------------- RFM baseline


def hillstrom_like(n: int = 3000, seed: int = 5) -> pd.DataFrame:
    """Hillstrom's shape (months since last purchase, past spend, no id) with a planted effect:
    the e-mail works on recent, high-spend customers only, so the RFM rule finds them."""
    rng = np.random.default_rng(seed)
    months = rng.integers(1, 13, n)
    spend = rng.gamma(2.0, 120.0, n)
    mailed = rng.integers(0, 2, n).astype(bool)
    effect = 0.30 * ((months <= 4) & (spend > 200))
    converted = (rng.uniform(size=n) < 0.03 + mailed * effect).astype(int)
    return pd.DataFrame({
        "months_since": months, "spend_12m": spend, "channel": rng.choice(["Web", "Phone"], n),
        "segment": np.where(mailed, "Email", "No E-Mail"), "conversion": converted,
    })  # fmt: skip


def _train_hillstrom_like(runner, path, out, *extra):
    return runner.invoke(app, [
        "train", "--data", str(path), "--treatment-col", "segment", "--control", "No E-Mail",
        "--outcome-col", "conversion", "--model", "two", *TRAIN_FAST, "--out", str(out), *extra,
    ])  # fmt: skip


def test_rfm_cols_add_the_rfm_rule_baseline_to_evaluate(runner, tmp_path) -> None:
    path = tmp_path / "hillstrom_like.csv"
    hillstrom_like().to_csv(path, index=False)
    # Names that are not detected: no RFM baseline without --rfm-cols ...
    plain = _train_hillstrom_like(runner, path, tmp_path / "plain")
    assert plain.exit_code == 0, plain.output
    assert "RFM-rule baseline: none found" in plain.output
    report = runner.invoke(app, ["evaluate", str(tmp_path / "plain"), "--out", str(tmp_path / "a")])
    assert report.exit_code == 0 and "RFM rule" not in report.output
    # ... and with it, the RFM rule (recent and big spenders first) finds the planted effect.
    mapped = _train_hillstrom_like(
        runner, path, tmp_path / "rfm", "--rfm-cols", "recency=months_since,monetary=spend_12m"
    )
    assert mapped.exit_code == 0, mapped.output
    assert "RFM-rule baseline: recency=months_since (lower first), monetary=spend_12m" in (
        mapped.output
    )
    out = tmp_path / "b"
    report = runner.invoke(app, ["evaluate", str(tmp_path / "rfm"), "--out", str(out)])
    assert report.exit_code == 0, report.output
    metrics = json.loads((out / "metrics.json").read_text())
    rows = {item["name"]: item for item in metrics["outcomes"][0]["scores"]}
    assert "RFM rule ranks by recency, monetary" in metrics["outcomes"][0]["notes"]
    rfm_qini = rows["rfm_rule"]["folds"]["qini_coefficient"]["mean"]
    assert rfm_qini > 0.2 and rfm_qini > rows["random"]["folds"]["qini_coefficient"]["mean"] + 0.2
    # train's table shows the same baselines (same rows, folds and tie-breaks as evaluate).
    assert "RFM rule" in mapped.output and "purchase prob." in mapped.output
    model = json.loads((tmp_path / "rfm" / "model.json").read_text())
    in_train = {row["kind"]: row["qini"] for row in model["cv_metrics"]["baselines"]}
    assert in_train["RFM rule"] == pytest.approx(rfm_qini, abs=1e-12)
    random_qini = rows["random"]["folds"]["qini_coefficient"]["mean"]
    assert in_train["random"] == pytest.approx(random_qini, abs=1e-12)


def test_hillstrom_names_recency_and_history_are_detected(runner, tmp_path) -> None:
    frame = hillstrom_like(1500).rename(columns={"months_since": "recency", "spend_12m": "history"})
    path = tmp_path / "hillstrom_names.csv"
    frame.to_csv(path, index=False)
    result = _train_hillstrom_like(runner, path, tmp_path / "m")
    assert result.exit_code == 0, result.output
    assert "RFM-rule baseline: recency=recency (lower first), monetary=history" in result.output
    held_out = pd.read_parquet(tmp_path / "m" / "cv_predictions.parquet")
    rows = held_out["row"].astype(int).to_numpy()  # ids are row numbers (no id column)
    np.testing.assert_array_equal(held_out["monetary"], frame["history"].to_numpy()[rows])
    np.testing.assert_array_equal(held_out["recency"], frame["recency"].to_numpy()[rows])


@pytest.mark.parametrize(
    ("rfm", "message"),
    [
        ("recency=months_since", "at least two parts, got only recency"),
        ("age=months_since,monetary=spend_12m", "unknown RFM part 'age'"),
        ("age=months_since", "--rfm-cols: unknown RFM part 'age'. Use --rfm-cols PART=COLUMN"),
        ("recency=months_since,monetary=conversion", "'conversion' is the id, arm or an outcome"),
        ("recency=months_since,monetary=spend", "missing column 'spend'"),
        ("recency=channel,monetary=spend_12m", "column 'channel' must be numeric"),
        ("recency", "expected NAME=VALUE"),
    ],
)
def test_bad_rfm_cols_exit_2_with_one_line(runner, tmp_path, rfm, message) -> None:
    path = tmp_path / "hillstrom_like.csv"
    hillstrom_like(400).to_csv(path, index=False)
    out = tmp_path / "m"
    result = _train_hillstrom_like(runner, path, out, "--rfm-cols", rfm)
    assert result.exit_code == 2, result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert not out.exists()


# --------------------------------------------------------------------------- train --experiment


def test_train_experiment_takes_columns_and_the_campaign_window_from_design_json(
    runner, tmp_path
) -> None:
    from uplift_lab.design import design_experiment
    from uplift_lab.segment import segment_customers
    from uplift_lab.synth import campaign_metadata, generate_shop
    from uplift_lab.workflows.experiment_folder import write_experiment

    shop = generate_shop(n_customers=1500, seed=4)
    segments = segment_customers(shop.orders, as_of=shop.campaign_start).table
    design = design_experiment(segments, name="past", holdout=0.5)
    campaign = {**campaign_metadata(shop), "window_days": 7}  # not the 14-day default
    write_experiment(design, tmp_path / "past", campaign=campaign)
    renamed = {"customer_id": "cid", "order_time": "ts", "amount": "amt"}
    shop.orders.rename(columns=renamed).to_csv(tmp_path / "orders.csv", index=False)
    out = tmp_path / "model"
    result = runner.invoke(app, [
        "train", "--experiment", str(tmp_path / "past"), "--orders", str(tmp_path / "orders.csv"),
        "--customer-col", "cid", "--time-col", "ts", "--amount-col", "amt",
        "--model", "two", *TRAIN_FAST, "--out", str(out),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    start = shop.campaign_start.date().isoformat()
    assert f"Campaign start {start} (design.json campaign.start)." in result.output
    assert "window 7 days (design.json campaign.window_days)" in result.output
    assert "RFM-rule baseline: score=rfm_score" in result.output
    # Outcomes come from design.json's window: converted = an order in [start, start + 7 days).
    held_out = pd.read_parquet(out / "cv_predictions.parquet")
    end = shop.campaign_start + pd.Timedelta(days=7)
    inside = shop.orders[shop.orders["order_time"].between(shop.campaign_start, end, "left")]
    expected = held_out["customer_id"].isin(set(inside["customer_id"].astype(str)))
    np.testing.assert_array_equal(held_out["conversion"], expected.astype(float))


def test_train_experiment_without_a_recorded_campaign_needs_start(runner, tmp_path) -> None:
    from uplift_lab.design import design_experiment
    from uplift_lab.segment import segment_customers
    from uplift_lab.synth import generate_shop
    from uplift_lab.workflows.experiment_folder import write_experiment

    shop = generate_shop(n_customers=600, seed=4)
    segments = segment_customers(shop.orders, as_of=shop.campaign_start).table
    write_experiment(design_experiment(segments, name="p", holdout=0.5), tmp_path / "p")
    shop.orders.to_csv(tmp_path / "orders.csv", index=False)
    result = runner.invoke(app, [
        "train", "--experiment", str(tmp_path / "p"), "--orders", str(tmp_path / "orders.csv"),
        "--out", str(tmp_path / "m"),
    ])  # fmt: skip
    assert result.exit_code == 2
    assert "--start: is needed" in result.output and "records no campaign start" in result.output
    assert not (tmp_path / "m").exists()


def test_evaluate_scores_against_an_experiment_folder_and_its_order_log(runner, tmp_path) -> None:
    from sklift.metrics import qini_auc_score

    from uplift_lab.design import design_experiment
    from uplift_lab.segment import segment_customers
    from uplift_lab.synth import campaign_metadata, generate_shop
    from uplift_lab.workflows.experiment_folder import write_experiment

    shop = generate_shop(n_customers=1500, seed=6)
    segments = segment_customers(shop.orders, as_of=shop.campaign_start).table
    design = design_experiment(segments, name="next", holdout=0.5)
    campaign = {**campaign_metadata(shop), "window_days": 10}
    meta = write_experiment(design, tmp_path / "next", campaign=campaign)
    shop.orders.to_csv(tmp_path / "orders.csv", index=False)
    rng = np.random.default_rng(0)
    scores = pd.DataFrame({"customer_id": segments["customer_id"].astype(str)})
    scores["uplift_conversion"] = rng.normal(size=len(scores))
    scores = scores.sample(frac=1, random_state=1)  # another order than the assignment
    scores.to_parquet(tmp_path / "scores.parquet")
    report = tmp_path / "report"
    result = runner.invoke(app, [
        "evaluate", "--scores", str(tmp_path / "scores.parquet"),
        "--experiment", str(tmp_path / "next"), "--orders", str(tmp_path / "orders.csv"),
        "--out", str(report),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    # Reference: outcomes from the order log in design.json's 10-day window, scikit-uplift's Qini.
    assignment = pd.read_parquet(tmp_path / "next" / "assignment.parquet")
    end = shop.campaign_start + pd.Timedelta(days=10)
    inside = shop.orders[shop.orders["order_time"].between(shop.campaign_start, end, "left")]
    frame = assignment.merge(scores, on="customer_id")
    converted = frame["customer_id"].isin(set(inside["customer_id"].astype(str))).astype(int)
    treated = (frame["arm"] != meta["control_arm"]).astype(int)
    expected = qini_auc_score(converted, frame["uplift_conversion"], treated)
    metrics = json.loads((report / "metrics.json").read_text())
    conversion = metrics["outcomes"][0]
    assert conversion["n"] == len(assignment) and conversion["outcome"] == "converted"
    pooled = {item["name"]: item["pooled"] for item in conversion["scores"]}
    assert pooled["uplift_conversion"]["qini_coefficient"] == pytest.approx(expected, rel=1e-9)
    both = runner.invoke(app, [
        "evaluate", "--scores", str(tmp_path / "scores.parquet"),
        "--experiment", str(tmp_path / "next"), "--out", str(tmp_path / "r2"),
    ])  # fmt: skip
    assert (
        both.exit_code == 2 and "--experiment FOLDER and --orders FILE go together" in both.output
    )


def test_mistyped_arm_label_is_named_in_a_one_line_error(runner, tmp_path) -> None:
    rng = np.random.default_rng(4)
    n = 3000
    arm = np.where(rng.random(n) < 0.5, "send", "control")
    arm[11] = "sned"
    frame = pd.DataFrame(
        {"x": rng.normal(size=n), "arm": arm, "converted": (rng.random(n) < 0.2).astype(int)}
    )
    path = tmp_path / "campaign.csv"
    frame.to_csv(path, index=False)
    result = runner.invoke(
        app,
        ["train", "--data", str(path), "--treatment-col", "arm", "--control", "control",
         "--outcome-col", "converted", "--out", str(tmp_path / "m")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "campaign.csv" in result.output and "'sned'" in result.output
    assert not (tmp_path / "m").exists()


def test_conv_value_scores_revenue_as_conversion_times_the_converters_mean_value(
    runner, campaign_csv, tmp_path
) -> None:
    """conv-value: revenue uplift = conversion uplift x mean spend of the training converters,
    so revenue ranks exactly as conversion does (the fallback revenue must at least match)."""
    out = tmp_path / "cv_model"
    args = _train_args(campaign_csv, out)
    args[args.index("--revenue-model") + 1] = "conv-value"
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "conv-value*" in result.output
    frame = pd.read_csv(campaign_csv)
    mean_value = frame.loc[frame["converted"] == 1, "spend"].mean()  # both arms, as documented
    described = json.loads((out / "model.json").read_text())
    learner = described["arm_models"][0]["revenue"]
    assert learner["kind"] == "conv-value" and learner["boosters"] == {}
    assert learner["params"]["order_value"] == pytest.approx(mean_value)
    scores = tmp_path / "scores.parquet"
    result = runner.invoke(app, ["score", str(out), str(campaign_csv), "--out", str(scores)])
    assert result.exit_code == 0, result.output
    written = pd.read_parquet(scores)
    np.testing.assert_allclose(written["uplift_revenue"], written["uplift_conversion"] * mean_value)
    np.testing.assert_allclose(
        written["raw_uplift_revenue"], written["raw_uplift_conversion"] * mean_value
    )


def test_train_data_uses_the_customer_col_as_id_and_takes_analyze_option_names(
    runner, campaign_csv, tmp_path
) -> None:
    """`analyze`'s --arm-col/--conversion-col work on `train` too, and without --id-col the
    table's customer_id (the --customer-col every command reads) is the id, not row numbers."""
    frame = pd.read_csv(campaign_csv)
    frame["customer_id"] = np.arange(len(frame)) * 7 + 1000  # integers, but not row numbers
    path = tmp_path / "campaign.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "model"
    result = runner.invoke(app, [
        "train", "--data", str(path), "--arm-col", "arm", "--control", "control",
        "--conversion-col", "converted", "--model", "two", *TRAIN_FAST, "--out", str(out),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "customer_id" not in result.output  # not dropped as an id-like feature
    scores = tmp_path / "scores.csv"
    result = runner.invoke(app, ["score", str(out), str(path), "--out", str(scores)])
    assert result.exit_code == 0, result.output
    written = pd.read_csv(scores)
    assert sorted(written["customer_id"]) == sorted(frame["customer_id"])


def test_train_warns_when_the_orders_end_inside_the_window(runner, tmp_path) -> None:
    """Training on a window the order log only half covers learns diluted outcomes: said."""
    from uplift_lab.design import design_experiment
    from uplift_lab.segment import segment_customers
    from uplift_lab.synth import generate_shop
    from uplift_lab.workflows.experiment_folder import write_experiment

    shop = generate_shop(n_customers=800, seed=4)
    start = shop.campaign_start
    segments = segment_customers(shop.orders, as_of=start).table
    write_experiment(
        design_experiment(segments, name="past", holdout=0.5),
        tmp_path / "past",
        created_at="2026-01-01T00:00:00+00:00",
    )
    cut = shop.orders[shop.orders["order_time"] < start + pd.Timedelta(days=5)]
    cut.to_csv(tmp_path / "orders.csv", index=False)
    common = ["--orders", str(tmp_path / "orders.csv"), "--start", str(start.date())]
    result = runner.invoke(app, [
        "train", "--experiment", str(tmp_path / "past"), *common, "--window-days", "14",
        "--model", "two", *TRAIN_FAST, "--out", str(tmp_path / "model"),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "warning: The orders file ends on" in result.output
    assert "only 5 of its 14 days are covered" in result.output


def test_train_data_with_customers_but_no_orders_is_refused_not_ignored(
    runner, campaign_csv, tmp_path
) -> None:
    customers = tmp_path / "customers.csv"
    customers.write_text("customer_id,age\nC1,30\n", encoding="utf-8")
    out = tmp_path / "m"
    result = runner.invoke(app, _train_args(campaign_csv, out, "--customers", str(customers)))
    assert result.exit_code == 2 and "need --orders FILE" in result.output
    assert len(result.output.strip().splitlines()) == 1 and not out.exists()


def test_score_replaces_a_scores_file_but_not_another_file(
    runner, model_dir, campaign_csv, tmp_path
):
    out, _ = model_dir
    target = tmp_path / "orders.csv"
    target.write_text("customer_id,order_time,amount\nc1,2026-01-05,35.5\n")
    args = ["score", str(out), str(campaign_csv), "--out", str(target)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "not a scores file" in result.output
    assert target.read_text().startswith("customer_id,order_time")
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    assert runner.invoke(app, args).exit_code == 0  # its own output: replaced unasked
    result = runner.invoke(app, ["score", str(out), str(campaign_csv), "--out", str(campaign_csv)])
    assert result.exit_code == 2
