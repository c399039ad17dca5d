"""`uplift-lab train`, `score` and `evaluate` from the command line (CliRunner)."""

from __future__ import annotations

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
    from uplift_lab.design import design_experiment, write_experiment
    from uplift_lab.segment import segment_customers
    from uplift_lab.synth import generate_shop

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
