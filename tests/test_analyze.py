"""uplift_lab.analyze: outcomes, joins and per-segment results against independent references."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from uplift_lab import analyze, io
from uplift_lab import outcomes as outcome_steps
from uplift_lab.cli._common import error_message
from uplift_lab.errors import InputError
from uplift_lab.report.notice_text import render_notice
from uplift_lab.workflows import analyze as workflow

START = pd.Timestamp("2026-08-21")


def simulated_units(seed: int = 0, sizes=None, lift: float = 0.03) -> pd.DataFrame:
    """Customers in two segments, 10% control, conversion and revenue with a known lift."""
    rng = np.random.default_rng(seed)
    sizes = sizes or {"silent": 3000, "active": 2000}
    frames = []
    for segment, n in sizes.items():
        arm = np.where(rng.random(n) < 0.1, "control", "send")
        base = 0.05 if segment == "silent" else 0.3
        converted = (rng.random(n) < base + lift * (arm == "send")).astype(float)
        revenue = converted * rng.lognormal(4.0, 0.8, n)
        frames.append(pd.DataFrame({"segment": segment, "arm": arm, "converted": converted,
                                    "revenue": revenue}))  # fmt: skip
    units = pd.concat(frames, ignore_index=True)
    units.insert(0, "customer_id", [f"C{i:06d}" for i in range(len(units))])
    return units


def write_experiment(
    folder: Path, units: pd.DataFrame, fractions: dict | None = None, campaign: dict | None = None
) -> Path:
    """An experiment folder in the `design` format: assignment.parquet + design.json (with SHA)."""
    folder.mkdir(parents=True, exist_ok=True)
    assignment = (
        units.rename(columns={"segment": "stratum"})[["customer_id", "stratum", "arm"]]
        .sort_values("customer_id")
        .reset_index(drop=True)
    )
    io.write_table(assignment, folder / "assignment.parquet")
    strata = sorted(assignment["stratum"].unique())
    counts = assignment.groupby(["stratum", "arm"]).size()
    meta = {
        "name": folder.name,
        "salt": "test",
        "created_at": "2026-08-20T00:00:00",
        "input_file": "segments.csv",
        "input_sha256": "0" * 64,
        "assignment_sha256": io.sha256_file(folder / "assignment.parquet"),
        "strata": ["lifecycle"],
        "control_arm": "control",
        "arms": ["control", "send"],
        "fractions": fractions or {s: {"control": 0.1, "send": 0.9} for s in strata},
        "counts": {s: {a: int(n) for (t, a), n in counts.items() if t == s} for s in strata},
        "mde": {},
        "balance": {},
        "uplift_lab_version": "0.1.0",
    }
    if campaign is not None:
        meta["campaign"] = campaign
    io.write_json(meta, folder / "design.json")
    return folder


def test_outcomes_from_orders_window_refunds_and_daily() -> None:
    orders = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b", "c", "d", "e"],
            "order_time": pd.to_datetime(
                [
                    "2026-08-20 23:59:59",  # a: before the window
                    "2026-08-21 00:00:00",  # a: first instant of the window (day 0)
                    "2026-08-23 10:00:00",  # b: day 2
                    "2026-08-24 10:00:00",  # b: refund of part of it
                    "2026-08-28 00:00:00",  # c: first instant after a 7-day window
                    "2026-08-27 23:00:00",  # d: last hour of the window (day 6)
                    "2026-08-22 12:00:00",  # e: refund only (of an earlier order)
                ]
            ),
            "amount": [50.0, 20.0, 100.0, -30.0, 70.0, 10.0, -5.0],
        }
    )
    result = outcome_steps.outcomes_from_orders(orders, START, 7)
    table = result.per_customer.set_index("customer_id")
    assert sorted(table.index) == ["a", "b", "d", "e"]
    assert table.loc["a", "revenue"] == 20.0 and table.loc["a", "converted"] == 1
    assert table.loc["b", "revenue"] == 70.0 and table.loc["b", "orders"] == 1
    assert table.loc["e", "revenue"] == -5.0 and table.loc["e", "converted"] == 0
    assert result.refund_rows == 2 and result.refund_amount == 35.0
    assert result.orders_in_window == 3
    assert dict(zip(result.daily["customer_id"], result.daily["day"], strict=True)) == {
        "a": 0,
        "b": 2,
        "d": 6,
    }


def test_join_counts_missing_as_zero_and_ignores_unknown() -> None:
    assignment = pd.DataFrame(
        {"customer_id": ["1", "2", "3"], "segment": "s", "arm": ["control", "send", "send"]}
    )
    outcomes = pd.DataFrame(
        {"customer_id": ["2", "9", "8"], "converted": [1.0, 1.0, 0.0], "revenue": [5.0, 1.0, 0.0]}
    )
    joined = outcome_steps.join_outcomes(assignment, outcomes)
    assert joined.unknown_customers == 2
    assert joined.customers_without_outcome == 2
    assert joined.units["converted"].tolist() == [0.0, 1.0, 0.0]
    assert joined.units["revenue"].tolist() == [0.0, 5.0, 0.0]


def test_per_segment_results_match_statsmodels_and_scipy() -> None:
    units = simulated_units(seed=1)
    result = analyze.analyze_units(units, analyze.AnalysisOptions(control="control"), source="test")
    for comparison in result.comparisons:
        seg = units[units["segment"] == comparison.segment]
        c = seg[seg["arm"] == "control"]
        t = seg[seg["arm"] == "send"]
        _, p_conv = proportions_ztest(
            [t["converted"].sum(), c["converted"].sum()], [len(t), len(c)]
        )
        welch = sps.ttest_ind(t["revenue"], c["revenue"], equal_var=False)
        assert comparison.conversion.difference == pytest.approx(
            t["converted"].mean() - c["converted"].mean()
        )
        assert comparison.conversion.p_value == pytest.approx(p_conv, rel=1e-9)
        assert comparison.revenue.p_value == pytest.approx(welch.pvalue, rel=1e-9)
        assert (comparison.control_n, comparison.treated_n) == (len(c), len(t))


def test_overall_is_size_weighted_average_of_segments() -> None:
    units = simulated_units(seed=2)
    result = analyze.analyze_units(units, analyze.AnalysisOptions(control="control"), source="t")
    sizes = units.groupby("segment").size()
    expected = sum(
        sizes[c.segment] / len(units) * c.conversion.difference for c in result.comparisons
    )
    assert result.overall[0].conversion.difference == pytest.approx(expected)


def test_overall_relative_lift_with_one_segment_equals_the_segment_delta_method() -> None:
    units = simulated_units(seed=15, sizes={"only": 4000})
    result = analyze.analyze_units(units, analyze.AnalysisOptions(control="control"), source="t")
    segment, overall = result.comparisons[0].conversion, result.overall[0].conversion_relative
    assert (overall.lift, overall.ci_low, overall.ci_high) == pytest.approx(
        (segment.relative_lift, segment.relative_ci_low, segment.relative_ci_high)
    )
    c = units[units["arm"] == "control"]["converted"].mean()
    t = units[units["arm"] == "send"]["converted"].mean()
    assert overall.lift == pytest.approx(t / c - 1)


def test_holm_adjustment_across_segments_and_unadjusted_warning() -> None:
    from statsmodels.stats.multitest import multipletests

    units = simulated_units(seed=3, sizes={"a": 800, "b": 800, "c": 800})
    holm = analyze.analyze_units(units, analyze.AnalysisOptions(control="control"), source="t")
    raw = [c.conversion.p_value for c in holm.comparisons]
    expected = multipletests(raw, method="holm")[1]
    assert [c.conversion_p_adjusted for c in holm.comparisons] == pytest.approx(list(expected))
    assert not any("NOT adjusted" in render_notice(n) for n in holm.notices)
    none = analyze.analyze_units(
        units, analyze.AnalysisOptions(control="control", adjust="none"), source="t"
    )
    assert any("NOT adjusted" in render_notice(n) for n in none.notices)


def test_srm_against_designed_fractions_is_loud_and_first() -> None:
    units = simulated_units(seed=4)
    designed = {"all": {"control": 0.1, "send": 0.9}}
    fine = analyze.analyze_units(
        units, analyze.AnalysisOptions(control="control", expected_fractions=designed), source="t"
    )
    assert not any(n.level == "critical" for n in fine.notices)
    assert all(check.result.p_value > 0.001 for check in fine.srm)
    # Drop 40% of one segment's control arm: the split no longer matches the design.
    mask = (units["segment"] == "silent") & (units["arm"] == "control")
    broken = units.drop(units[mask].index[: int(mask.sum() * 0.4)])
    result = analyze.analyze_units(
        broken, analyze.AnalysisOptions(control="control", expected_fractions=designed), source="t"
    )
    assert result.notices[0].level == "critical"
    assert "SAMPLE RATIO MISMATCH in segment 'silent'" in render_notice(result.notices[0])
    # Chi-square by hand for that segment.
    seg = broken[broken["segment"] == "silent"]
    n_c, n = int((seg["arm"] == "control").sum()), len(seg)
    reference = sps.chisquare([n_c, n - n_c], [0.1 * n, 0.9 * n])
    check = next(s for s in result.srm if s.segment == "silent")
    assert check.result.p_value == pytest.approx(reference.pvalue)


def test_srm_not_checked_without_fractions_says_so() -> None:
    result = analyze.analyze_units(
        simulated_units(), analyze.AnalysisOptions(control="control"), source="t"
    )
    assert result.srm == ()
    assert any("could not be checked" in render_notice(n) for n in result.notices)


def test_money_closed_forms() -> None:
    units = simulated_units(seed=5)
    options = analyze.AnalysisOptions(control="control", costs={"send": 0.05}, margin=0.3)
    result = analyze.analyze_units(units, options, source="t")
    for c in result.comparisons:
        m = c.money
        assert m.incremental_revenue == pytest.approx(c.revenue.difference * c.treated_n)
        assert m.incremental_conversions == pytest.approx(c.conversion.difference * c.treated_n)
        assert m.cost == pytest.approx(0.05 * c.treated_n)
        assert m.roi == pytest.approx((m.incremental_revenue * 0.3 - m.cost) / m.cost)
        assert m.cost_per_incremental_conversion == pytest.approx(
            m.cost / m.incremental_conversions
        )
    total = result.overall[0].money
    assert total.incremental_revenue == pytest.approx(
        sum(c.money.incremental_revenue for c in result.comparisons)
    )


def test_cost_for_unknown_arm_is_an_input_error() -> None:
    with pytest.raises(InputError, match="'costs': 'sms' is not a treated arm") as raised:
        analyze.analyze_units(
            simulated_units(),
            analyze.AnalysisOptions(control="control", costs={"sms": 1}),
            source="t",
        )
    said = error_message(raised.value)  # the CLI names the flag and gives a flag example
    assert said.startswith("--cost: 'sms' is not a treated arm")
    assert said.endswith("Use e.g. --cost 'send=0.05'")


def test_capping_uses_one_pooled_threshold() -> None:
    units = simulated_units(seed=6)
    result = analyze.analyze_units(
        units, analyze.AnalysisOptions(control="control", cap_quantile=0.99), source="t"
    )
    threshold = np.quantile(units["revenue"], 0.99)
    assert result.cap_threshold == pytest.approx(threshold)
    seg = units[units["segment"] == "silent"].assign(
        revenue=lambda f: f["revenue"].clip(upper=threshold)
    )
    capped = next(c for c in result.comparisons if c.segment == "silent").revenue_capped
    welch = sps.ttest_ind(
        seg.loc[seg["arm"] == "send", "revenue"],
        seg.loc[seg["arm"] == "control", "revenue"],
        equal_var=False,
    )
    assert capped.p_value == pytest.approx(welch.pvalue, rel=1e-9)


def test_whale_warning_when_top_buyers_dominate() -> None:
    units = simulated_units(seed=7)
    assert not any("dominated" in render_notice(n) for n in analyze.analyze_units(
        units, analyze.AnalysisOptions(control="control"), source="t").notices)  # fmt: skip
    whales = units.copy()
    whales.loc[whales.index[:3], ["converted", "revenue"]] = [1.0, 1e7]
    result = analyze.analyze_units(whales, analyze.AnalysisOptions(control="control"), source="t")
    assert any("dominated by a few buyers" in render_notice(n) for n in result.notices)


def test_unreadable_holdout_is_flagged() -> None:
    units = simulated_units(seed=8, sizes={"tiny": 150, "big": 20000}, lift=0.05)
    result = analyze.analyze_units(units, analyze.AnalysisOptions(control="control"), source="t")
    tiny = next(c for c in result.comparisons if c.segment == "tiny")
    half = (tiny.conversion.ci_high - tiny.conversion.ci_low) / 2
    control = units[(units["segment"] == "tiny") & (units["arm"] == "control")]["converted"]
    wide = half > abs(tiny.conversion.difference) and half > 0.25 * control.mean()
    assert tiny.too_small_to_read == (wide or min(control.sum(), len(control) - control.sum()) < 5)
    assert tiny.too_small_to_read
    texts = [render_notice(n) for n in result.notices]
    warning = next(text for text in texts if "too small to read" in text)
    assert "'tiny' (" in warning and "'big'" not in warning


def test_intent_to_treat_is_stated() -> None:
    result = analyze.analyze_units(
        simulated_units(), analyze.AnalysisOptions(control="control"), source="t"
    )
    assert any("Intent to treat" in render_notice(n) for n in result.notices)


def test_experiment_folder_with_orders_matches_pandas(tmp_path) -> None:
    units = simulated_units(seed=9, sizes={"silent": 400, "active": 300})
    folder = write_experiment(tmp_path / "exp", units)
    rng = np.random.default_rng(9)
    buyers = units[units["converted"] == 1]
    orders = pd.DataFrame(
        {
            "customer_id": buyers["customer_id"],
            "order_time": START + pd.to_timedelta(rng.integers(0, 7 * 24, len(buyers)), unit="h"),
            "amount": buyers["revenue"].round(2),
        }
    )
    # Noise that must not count: orders after the window and orders of unknown customers.
    extra = pd.DataFrame(
        {
            "customer_id": ["C000001", "ZZZ"],
            "order_time": [START + pd.Timedelta(days=8), START],
            "amount": [999.0, 50.0],
        }
    )
    path = tmp_path / "orders.csv"
    io.write_table(pd.concat([orders, extra]), path)
    result = workflow.analyze_experiment_folder(
        folder, path, analyze.AnalysisOptions(control=""), start="2026-08-21", window_days=7
    )
    assert result.data_notes["unknown_customers_ignored"] == 1
    texts = [render_notice(n) for n in result.notices]
    assert any("1 outcome row(s) of customers who are not" in text for text in texts)
    summary = {(s.segment, s.arm): s for s in result.arm_summaries}
    expected = units.assign(revenue=units["revenue"].round(2)).groupby(["segment", "arm"])
    for (segment, arm), group in expected:
        s = summary[(segment, arm)]
        assert s.n == len(group)
        assert s.conversion_rate == pytest.approx(group["converted"].mean())
        assert s.revenue == pytest.approx(group["revenue"].sum())
    assert len(result.srm) == 3  # two segments and the whole experiment
    last_day = result.daily[result.daily["day"] == 6].set_index("arm")["cumulative_conversion_rate"]
    assert last_day["send"] == pytest.approx(summary[("all", "send")].conversion_rate)


def test_edited_assignment_is_refused(tmp_path) -> None:
    folder = write_experiment(tmp_path / "exp", simulated_units(sizes={"a": 200}))
    assignment = pd.read_parquet(folder / "assignment.parquet")
    assignment.loc[0, "arm"] = "send" if assignment.loc[0, "arm"] == "control" else "control"
    assignment.to_parquet(folder / "assignment.parquet", index=False)
    with pytest.raises(InputError, match="changed after design"):
        workflow.read_experiment(folder)


def test_shop_campaign_recovers_planted_uplift() -> None:
    synth = pytest.importorskip("uplift_lab.synth")
    shop = synth.generate_shop(n_customers=20_000, seed=0)
    start = shop.campaign_start
    outcomes = outcome_steps.outcomes_from_orders(shop.orders, start, shop.window_days)
    assignment = shop.campaign.rename(columns={"lifecycle": "segment"})
    joined = outcome_steps.join_outcomes(assignment, outcomes.per_customer)
    result = analyze.analyze_units(
        joined.units, analyze.AnalysisOptions(control="control"), source="shop"
    )
    truth = shop.truth.merge(assignment, on="customer_id")
    planted = truth.groupby("segment")["true_uplift_conversion"].mean()
    checked = 0
    for c in result.comparisons:
        e = c.conversion
        powered = (e.ci_high - e.ci_low) / 2 < 0.06  # a holdout big enough to read ~6 pp
        if powered:
            checked += 1
            assert e.ci_low <= planted[c.segment] <= e.ci_high, c.segment
    assert checked >= 3
    overall = result.overall[0].conversion
    assert overall.ci_low <= truth["true_uplift_conversion"].mean() <= overall.ci_high
    revenue = result.overall[0].revenue
    assert revenue.ci_low <= truth["true_uplift_revenue"].mean() <= revenue.ci_high


def test_campaign_plan_in_design_json_supplies_costs_margin_and_start(tmp_path) -> None:
    units = simulated_units(seed=14, sizes={"silent": 300})
    campaign = {
        "channels": {"send": {"message_cost": 0.2, "coupon": 0.0, "response": 1.0}},
        "margin": 0.25,
        "start": "2026-08-21",
    }
    folder = write_experiment(tmp_path / "exp", units, campaign=campaign)
    buyers = units[units["converted"] == 1]
    orders = pd.DataFrame(
        {"customer_id": buyers["customer_id"], "order_time": START, "amount": 10.0}
    )
    path = tmp_path / "orders.csv"
    io.write_table(orders, path)
    result = workflow.analyze_experiment_folder(folder, path, analyze.AnalysisOptions(control=""))
    money = result.comparisons[0].money
    assert money.cost == pytest.approx(0.2 * money.treated_n)
    assert money.margin == 0.25
    assert result.data_notes["window_start"] == "2026-08-21T00:00:00"


def test_each_channel_is_compared_only_in_the_strata_designed_with_it() -> None:
    # A target campaign: stratum 'a|sms' holds control + sms, stratum 'b|edm' control + edm.
    rng = np.random.default_rng(5)
    rows = []
    for segment, arm, n, rate in [
        ("a|sms", "control", 400, 0.05),
        ("a|sms", "sms", 3600, 0.10),
        ("b|edm", "control", 300, 0.05),
        ("b|edm", "edm", 2700, 0.06),
    ]:
        converted = (rng.random(n) < rate).astype(float)
        rows.append(
            pd.DataFrame(
                {
                    "segment": segment,
                    "arm": arm,
                    "converted": converted,
                    "revenue": converted * 50.0,
                }
            )
        )
    units = pd.concat(rows, ignore_index=True)
    designed = {"a|sms": {"control": 0.1, "sms": 0.9}, "b|edm": {"control": 0.1, "edm": 0.9}}
    options = analyze.AnalysisOptions(control="control", expected_fractions=designed)
    result = analyze.analyze_units(units, options, source="t")
    assert {(c.segment, c.arm) for c in result.comparisons} == {("a|sms", "sms"), ("b|edm", "edm")}
    sms = next(c for c in result.comparisons if c.arm == "sms")
    a = units[units["segment"] == "a|sms"]
    expected = (
        a.loc[a["arm"] == "sms", "converted"].mean()
        - a.loc[a["arm"] == "control", "converted"].mean()
    )
    assert sms.conversion.difference == pytest.approx(expected)
    overall_sms = next(o for o in result.overall if o.arm == "sms")
    assert overall_sms.conversion.difference == pytest.approx(expected)  # only its own stratum
    assert not any("one arm is empty" in render_notice(n) for n in result.notices)


def hand_made_coupon_units() -> pd.DataFrame:
    """Segment 'a': control 1/4 converted (10), send 3/6 converted (20 each); segment 'b' likewise
    doubled, so every money number can be worked out by hand."""
    rows = []
    for segment, scale in (("a", 1), ("b", 2)):
        rows += [(segment, "control", 1.0, 10.0 * scale)] + [(segment, "control", 0.0, 0.0)] * 3
        rows += [(segment, "send", 1.0, 20.0 * scale)] * 3 + [(segment, "send", 0.0, 0.0)] * 3
    units = pd.DataFrame(rows, columns=["segment", "arm", "converted", "revenue"])
    units.insert(0, "customer_id", [f"C{i:03d}" for i in range(len(units))])
    return units


def test_money_counts_coupon_on_every_treated_conversion_by_hand() -> None:
    options = analyze.AnalysisOptions(
        control="control", costs={"send": 0.5}, coupons={"send": 2.0}, margin=0.4
    )
    result = analyze.analyze_units(hand_made_coupon_units(), options, source="t")
    a = next(c for c in result.comparisons if c.segment == "a").money
    # By hand: revenue/customer 10 - 2.5 = 7.5, x 6 treated = 45; conversion 0.5 - 0.25 = 0.25,
    # x 6 = 1.5; messages 6 x 0.5 = 3; coupons 3 treated conversions x 2 = 6 (all of them,
    # including the ~1.5 that would have bought anyway); profit 45 x 0.4 - 3 - 6 = 9.
    assert a.incremental_revenue == pytest.approx(45.0)
    assert a.incremental_conversions == pytest.approx(1.5)
    assert a.message_cost == pytest.approx(3.0)
    assert a.treated_conversions == 3
    assert a.coupon_cost == pytest.approx(6.0)
    assert a.cost == pytest.approx(9.0)
    assert a.incremental_profit == pytest.approx(9.0)
    assert a.roi == pytest.approx(1.0)
    assert a.cost_per_incremental_conversion == pytest.approx(6.0)
    # The profit CI moves only with revenue (costs were paid): Welch CI from scipy, x 6 x 0.4 - 9.
    welch = sps.ttest_ind([20.0] * 3 + [0.0] * 3, [10.0, 0.0, 0.0, 0.0], equal_var=False)
    low, high = welch.confidence_interval(0.95)
    assert a.incremental_profit_low == pytest.approx(low * 6 * 0.4 - 9.0)
    assert a.incremental_profit_high == pytest.approx(high * 6 * 0.4 - 9.0)
    # Segment 'b' doubles revenue only: 90 x 0.4 - 3 - 6 = 27. Overall = the sum: 36 on 18 cost.
    total = result.overall[0].money
    assert total.coupon_cost == pytest.approx(12.0)
    assert total.message_cost == pytest.approx(6.0)
    assert total.cost_per_message == 0.5 and total.coupon_per_conversion == 2.0
    assert total.incremental_profit == pytest.approx(36.0)
    assert total.roi == pytest.approx(36.0 / 18.0)


def test_coupon_for_unknown_arm_is_an_input_error() -> None:
    options = analyze.AnalysisOptions(control="control", coupons={"sms": 5})
    with pytest.raises(InputError, match="'coupons': 'sms' is not a treated arm") as raised:
        analyze.analyze_units(hand_made_coupon_units(), options, source="t")
    assert error_message(raised.value).startswith("--coupon: 'sms' is not a treated arm")


def test_campaign_coupon_in_design_json_is_charged_per_treated_conversion(tmp_path) -> None:
    units = simulated_units(seed=15, sizes={"silent": 400})
    campaign = {
        "channels": {"send": {"message_cost": 0.1, "coupon": 3.0, "response": 1.0}},
        "margin": 0.3,
    }
    folder = write_experiment(tmp_path / "exp", units, campaign=campaign)
    path = tmp_path / "outcomes.csv"
    io.write_table(units[["customer_id", "converted", "revenue"]], path)
    result = workflow.analyze_experiment_folder(folder, path, analyze.AnalysisOptions(control=""))
    money = result.comparisons[0].money
    treated = units[units["arm"] == "send"]
    assert money.coupon_cost == pytest.approx(3.0 * treated["converted"].sum())
    assert money.cost == pytest.approx(0.1 * len(treated) + 3.0 * treated["converted"].sum())
    assert "coupon per conversion" in result.data_notes["money_assumptions_from_design_json"]


def test_revenue_lift_figure_plots_welch_lift_and_ci_per_segment(monkeypatch) -> None:
    from uplift_lab.report import analyze_report, plots

    calls = {}

    def record(labels, lifts, lows, highs, *, title, xlabel):
        calls[title] = (list(labels), lifts, lows, highs)
        return b"png"

    monkeypatch.setattr(plots, "lift_with_ci_png", record)
    units = hand_made_coupon_units()
    result = analyze.analyze_units(units, analyze.AnalysisOptions(control="control"), source="t")
    images = analyze_report.figures(result)
    assert "revenue_lift_1" in images
    labels, lifts, lows, highs = calls["Revenue per customer lift, send vs control (95% CI)"]
    assert labels == ["a †", "b †", "(overall)"]  # 1 control conversion: marked unreadable
    welch = sps.ttest_ind([20.0] * 3 + [0.0] * 3, [10.0, 0.0, 0.0, 0.0], equal_var=False)
    low, high = welch.confidence_interval(0.95)
    assert lifts[0] == pytest.approx(7.5) and lifts[1] == pytest.approx(15.0)
    assert (lows[0], highs[0]) == (pytest.approx(low), pytest.approx(high))
    assert lifts[2] == pytest.approx(11.25)  # equal-size segments: the plain average


def channel_strata_units(seed: int = 21) -> pd.DataFrame:
    """A `target` campaign: each 'segment|channel' stratum holds the control and one channel."""
    rng = np.random.default_rng(seed)
    frames = []
    for stratum, channel, n_control, rate in [
        ("a|sms", "sms", 400, 0.10),
        ("b|sms", "sms", 300, 0.10),
        ("a|edm", "edm", 4, 0.05),  # a holdout of 4: unreadable
    ]:
        for arm, n in (("control", n_control), (channel, 9 * n_control)):
            converted = (rng.random(n) < rate + 0.05 * (arm != "control")).astype(float)
            frames.append(
                pd.DataFrame(
                    {"segment": stratum, "arm": arm, "converted": converted, "revenue": converted}
                )
            )
    units = pd.concat(frames, ignore_index=True)
    units.insert(0, "customer_id", [f"C{i:05d}" for i in range(len(units))])
    return units


CHANNEL_FRACTIONS = {
    "a|sms": {"control": 0.1, "sms": 0.9},
    "b|sms": {"control": 0.1, "sms": 0.9},
    "a|edm": {"control": 0.1, "edm": 0.9},
}


def test_a_null_effect_measured_on_a_big_holdout_reads_and_a_small_holdout_does_not() -> None:
    """No effect at all (lift 0): with 20,000 customers the CI crosses zero but is narrow
    against the 30% base rate, so the result reads (no effect worth having); with 150 the CI
    is wider than a quarter of the control's rate, so the holdout is too small to read."""
    units = simulated_units(seed=9, sizes={"tiny": 150, "big": 20000}, lift=0.0)
    result = analyze.analyze_units(units, analyze.AnalysisOptions(control="control"), source="t")
    by_segment = {c.segment: c for c in result.comparisons}
    big = by_segment["big"].conversion
    assert big.ci_low < 0 < big.ci_high  # crosses zero ...
    assert (big.ci_high - big.ci_low) / 2 < 0.25 * 0.3  # ... narrowly against the 30% base
    assert not by_segment["big"].too_small_to_read
    tiny = by_segment["tiny"].conversion  # about 15 controls
    assert (tiny.ci_high - tiny.ci_low) / 2 > 0.25 * 0.3 and by_segment["tiny"].too_small_to_read


def test_channel_strata_say_once_where_each_channel_is_compared() -> None:
    options = analyze.AnalysisOptions(control="control", expected_fractions=CHANNEL_FRACTIONS)
    result = analyze.analyze_units(channel_strata_units(), options, source="t")
    where = [render_notice(n) for n in result.notices if "compared only" in render_notice(n)]
    assert where == [
        "Each stratum holds the control and one channel, so each channel is compared only with "
        "the control of its own strata: edm in 'a|edm'; sms in 'a|sms', 'b|sms'."
    ]


def test_unreadable_holdouts_of_all_arms_are_one_warning_naming_each() -> None:
    options = analyze.AnalysisOptions(control="control", expected_fractions=CHANNEL_FRACTIONS)
    result = analyze.analyze_units(channel_strata_units(), options, source="t")
    warnings = [render_notice(n) for n in result.notices if "too small to read" in render_notice(n)]
    assert len(warnings) == 1
    edm = next(c for c in result.comparisons if c.arm == "edm")
    assert edm.too_small_to_read
    assert "edm in 'a|edm' (4 control)" in warnings[0]
    flagged = sum(c.too_small_to_read for c in result.comparisons)
    assert f"in {flagged} of 3 comparison(s)" in warnings[0]


def test_wald_interval_with_too_few_conversions_is_unreadable() -> None:
    # 0 of 4 vs 4 of 38 (the demo's 'silent|mms'): the Wald CI excludes 0 while the pooled
    # z-test does not reject, as statsmodels shows; flagged (too few for the normal approx.).
    units = pd.DataFrame(
        {
            "customer_id": [f"C{i:03d}" for i in range(42)],
            "segment": "s",
            "arm": ["control"] * 4 + ["send"] * 38,
            "converted": [0.0] * 4 + [1.0] * 4 + [0.0] * 34,
            "revenue": 0.0,
        }
    )
    wald = analyze.AnalysisOptions(control="control", ci="wald")
    result = analyze.analyze_units(units, wald, source="t")
    comparison = result.comparisons[0]
    _, p_value = proportions_ztest([4, 0], [38, 4])
    assert comparison.conversion.p_value == pytest.approx(p_value)
    assert comparison.conversion.ci_low > 0 and p_value > 0.05  # the two disagree
    assert comparison.too_small_to_read
    texts = [render_notice(n) for n in result.notices]
    warning = next(text for text in texts if "too small to read" in text)
    assert "0 conversion(s) of 4 in control, 4 conversion(s) of 38 in send" in warning
    # The default, Newcombe's interval (statsmodels' too), agrees with the test: it holds 0.
    default = analyze.analyze_units(units, analyze.AnalysisOptions(control="control"), source="t")
    low, high = confint_proportions_2indep(4, 38, 0, 4, method="newcomb")
    newcombe = default.comparisons[0].conversion
    assert (newcombe.ci_low, newcombe.ci_high) == pytest.approx((low, high))
    assert newcombe.ci_low < 0 < newcombe.ci_high


def test_report_drops_rows_of_arms_never_assigned_to_a_stratum() -> None:
    from uplift_lab.report import analyze_report

    options = analyze.AnalysisOptions(control="control", expected_fractions=CHANNEL_FRACTIONS)
    units = channel_strata_units()
    result = analyze.analyze_units(units, options, source="t")
    per_segment = next(s for s in analyze_report.sections(result) if s.title == "Arms per segment")
    shown = [(row[0], row[1]) for row in per_segment.rows]
    assigned = units[["segment", "arm"]].drop_duplicates()
    assert sorted(shown) == sorted(assigned.itertuples(index=False, name=None))
    assert all("—" not in row[2] for row in per_segment.rows)
    pooled = analyze_report.sections(result)[0]
    assert "not comparisons" in pooled.note
    edm = next(
        s for s in analyze_report.sections(result) if s.title == "Conversion: edm vs control"
    )
    assert edm.rows[0][0] == "a|edm †" and "holdout too small" in edm.note


@pytest.mark.parametrize(("given", "expected_window"), [(None, 14), (7, 7)])
def test_response_window_defaults_to_the_campaigns_recorded_window(
    tmp_path, given, expected_window
) -> None:
    units = simulated_units(seed=15, sizes={"silent": 300})
    folder = write_experiment(
        tmp_path / "exp", units, campaign={"start": "2026-08-21", "window_days": 14}
    )
    # Every customer orders on day 10 of the campaign: inside a 14-day window, outside a 7-day one.
    orders = pd.DataFrame(
        {
            "customer_id": units["customer_id"],
            "order_time": pd.Timestamp("2026-08-31"),
            "amount": 10.0,
        }
    )
    path = tmp_path / "orders.csv"
    io.write_table(orders, path)
    result = workflow.analyze_experiment_folder(
        folder, path, analyze.AnalysisOptions(control=""), window_days=given
    )
    converted = sum(s.conversions for s in result.arm_summaries if s.segment == "silent")
    assert result.data_notes["window_days"] == expected_window
    assert converted == (len(units) if expected_window == 14 else 0)


def test_window_coverage_warns_only_when_the_orders_end_before_the_window_does() -> None:
    from uplift_lab.outcomes import window_coverage_notice

    start = pd.Timestamp("2026-05-01")
    times = pd.Series(pd.to_datetime(["2026-04-20 10:00", "2026-05-14 08:00"]))
    assert window_coverage_notice(times, start, 14) is None  # reaches the last day, 05-14
    short = window_coverage_notice(times, start, 20)
    assert short is not None and short.level == "warning"
    assert "only 14 of its 20 days are covered" in render_notice(short)
    assert "--window-days 14" in render_notice(short)
    before = window_coverage_notice(times, pd.Timestamp("2026-06-01"), 7)
    assert before is not None and "no response can be measured" in render_notice(before)
    assert window_coverage_notice(pd.Series([], dtype="datetime64[ns]"), start, 7) is not None
