"""target --engine spark: the plan equals the single-machine plan on the synthetic shop.

One channel (a threshold on profit per cost, the boundary solved exactly): the same customers,
channels and ranks. Several channels (the Lagrangian price found by bisection): the expected
profits of the two plans differ by at most their reported gaps, and with ``--budget auto`` the
plans are the same.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.spark._compare import differences
from uplift_lab.errors import InputError
from uplift_lab.target import Channel, TargetConfig, plan_campaign

SMS = Channel("sms", 0.05)
CHANNELS = (Channel("sms", 0.05, coupon=2.0), Channel("mms", 0.15, response=1.4),
            Channel("edm", 0.01, response=0.35))  # fmt: skip


@pytest.fixture(scope="module")
def shop_scores(shop) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The shop's segment table and scores for its customers (drawn, seeded)."""
    segments = pd.read_parquet(shop / "segments.parquet")
    segments["customer_id"] = segments["customer_id"].astype(str)
    rng = np.random.default_rng(14)
    n = len(segments)
    scores = pd.DataFrame(
        {
            "customer_id": segments["customer_id"].sample(frac=1.0, random_state=1).to_numpy(),
            "uplift_revenue": rng.normal(1.0, 3.0, n),
            "uplift_conversion": rng.normal(0.01, 0.02, n),
            "p_control": rng.uniform(0.0, 0.2, n),
        }
    )
    return scores, segments


@pytest.fixture()
def small_buckets(monkeypatch):
    """Buckets of ~40 options, so the threshold, the boundary and the fill all take part."""
    from uplift_lab.spark import target_solver

    monkeypatch.setattr(target_solver, "ROWS_PER_BUCKET", 40)


def _plans(spark, shop_scores, config, partitions: int = 3):
    from uplift_lab.spark.target import plan_campaign_spark

    scores, segments = shop_scores
    single = plan_campaign(scores, config, segments)
    on_spark = plan_campaign_spark(
        spark.createDataFrame(scores).repartition(partitions),
        config,
        _spark_segments(spark, segments),
    )
    return single, on_spark


def _spark_segments(spark, segments: pd.DataFrame):
    keep = [c for c in ("customer_id", "lifecycle", "sms_opt_in", "email_opt_in") if c in segments]
    return spark.createDataFrame(segments[keep]).repartition(2)


def _same_selected(single, on_spark) -> None:
    left, right = single.selected, on_spark.selected
    assert left[["customer_id", "segment", "channel", "rank"]].equals(
        right[["customer_id", "segment", "channel", "rank"]]
    )
    for column in ("expected_cost", "expected_incremental_revenue", "expected_profit"):
        assert np.array_equal(left[column].to_numpy(), right[column].to_numpy())


@pytest.mark.parametrize(
    "channel", [SMS, Channel("sms", 0.05, coupon=2.0)], ids=["equal", "coupon"]
)
def test_one_channel_plan_on_spark_is_the_single_machine_plan(
    spark, shop_scores, small_buckets, channel
) -> None:
    config = TargetConfig(channels=(channel,), budget=9.0, margin=0.3, eligible=None)
    single, on_spark = _plans(spark, shop_scores, config)
    assert single.selection.stop_reason.startswith("budget exhausted")
    _same_selected(single, on_spark)
    for name in ("spent", "expected_profit", "lp_bound", "optimality_gap", "auto_budget"):
        assert getattr(on_spark.selection, name) == pytest.approx(
            getattr(single.selection, name), rel=1e-9, abs=1e-9
        ), name
    assert on_spark.selection.stop_reason == single.selection.stop_reason
    # the curve to one message: a budget of exactly m messages (13.45 = 269 x 0.05) buys m on
    # Spark (select_offers' rounding slack), and m or m - 1 in the single-machine curve
    curves = on_spark.curve.to_numpy(), single.curve.to_numpy()
    assert np.allclose(curves[0][:, 0], curves[1][:, 0], rtol=1e-9)
    one_message = single.selected["expected_profit"].max()
    assert np.all(np.abs(curves[0][:, 1] - curves[1][:, 1]) <= one_message + 1e-9)
    assert differences(single.by_segment.to_dict("list"), on_spark.by_segment.to_dict("list")) == []
    for name in ("n_scored", "n_eligible", "n_not_in_segments", "n_opted_out",
                 "n_no_profitable_option"):  # fmt: skip
        assert getattr(on_spark, name) == getattr(single, name), name


def test_several_channels_on_spark_are_within_the_reported_gaps(spark, shop_scores) -> None:
    config = TargetConfig(channels=CHANNELS, budget=12.0, margin=0.3)
    single, on_spark = _plans(spark, shop_scores, config)
    mine, theirs = on_spark.selection, single.selection
    assert mine.spent <= 12.0 + 1e-9
    assert mine.optimality_gap < 0.05 * mine.expected_profit
    assert mine.expected_profit >= theirs.expected_profit - mine.optimality_gap - 1e-9
    assert mine.expected_profit <= theirs.expected_profit + theirs.optimality_gap + 1e-9
    assert mine.lp_bound >= theirs.lp_bound - 1e-6  # a dual value bounds the LP from above
    assert on_spark.n_opted_out == single.n_opted_out


def test_several_channels_with_budget_auto_give_the_same_plan(spark, shop_scores) -> None:
    config = TargetConfig(channels=CHANNELS, budget=None, margin=0.3)
    single, on_spark = _plans(spark, shop_scores, config)
    _same_selected(single, on_spark)
    assert on_spark.selection.expected_profit == pytest.approx(single.selection.expected_profit)


def test_where_is_refused_on_spark_in_one_line(spark, shop_scores) -> None:
    config = TargetConfig(channels=(SMS,), budget=5.0, margin=0.3, where="recency_days < 30")
    with pytest.raises(InputError, match="^'where' is not supported with target engine=spark"):
        _plans(spark, shop_scores, config)


def test_target_cli_on_spark_writes_the_duckdb_send_list(
    spark, runner, shop_scores, tmp_path
) -> None:
    from uplift_lab.cli import app

    scores, segments = shop_scores
    scores.to_parquet(tmp_path / "scores.parquet", index=False)
    segments.to_parquet(tmp_path / "segments.parquet", index=False)
    common = [str(tmp_path / "scores.parquet"), "--segments", str(tmp_path / "segments.parquet"),
              "--channel", "sms=0.05", "--budget", "6", "--eligible", "all",
              "--holdout", "0.1"]  # fmt: skip
    for engine in ("duckdb", "spark"):
        result = runner.invoke(app, ["target", *common, "--engine", engine, "--out",
                                     str(tmp_path / f"{engine}.csv"), "--experiment",
                                     str(tmp_path / engine / "exp")])  # fmt: skip
        assert result.exit_code == 0, result.output
    duck = pd.read_csv(tmp_path / "duckdb.csv", dtype={"customer_id": str})
    on_spark = pd.read_csv(tmp_path / "spark.csv", dtype={"customer_id": str})
    assert duck.equals(on_spark)


def test_target_cli_on_spark_refuses_validate_on_in_one_line(spark, runner, shop_scores, tmp_path):
    from uplift_lab.cli import app

    scores, _ = shop_scores
    scores.to_parquet(tmp_path / "scores.parquet", index=False)
    result = runner.invoke(app, ["target", str(tmp_path / "scores.parquet"), "--channel",
                                 "sms=0.05", "--budget", "6", "--holdout", "0", "--out",
                                 str(tmp_path / "s.csv"), "--validate-on",
                                 str(tmp_path / "scores.parquet"),
                                 "--engine", "spark"])  # fmt: skip
    assert result.exit_code == 2
    assert result.output.strip().startswith("error: --validate-on is not supported with --engine")


def test_target_cli_on_spark_refuses_where_with_its_flag(spark, runner, shop_scores, tmp_path):
    from uplift_lab.cli import app

    scores, _ = shop_scores
    scores.to_parquet(tmp_path / "scores.parquet", index=False)
    result = runner.invoke(app, ["target", str(tmp_path / "scores.parquet"), "--channel",
                                 "sms=0.05", "--budget", "6", "--holdout", "0", "--out",
                                 str(tmp_path / "s.csv"), "--where", "recency_days < 30",
                                 "--engine", "spark"])  # fmt: skip
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: --where is not supported with target --engine spark yet. Leave it out, or use "
        "--engine duckdb"
    )
