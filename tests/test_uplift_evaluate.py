"""Uplift metrics against scikit-uplift (binary), a brute force (revenue) and known truth."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from uplift_lab.errors import InputError
from uplift_lab.report.notice_text import notice_texts
from uplift_lab.uplift.baselines import baseline_scores
from uplift_lab.uplift.bootstrap import (
    bootstrap_metric_names,
    bootstrap_replicates,
    bootstrap_summary,
    resampled_metrics,
)
from uplift_lab.uplift.evaluate import evaluate_held_out, evaluate_scores
from uplift_lab.uplift.metrics import (
    auuc,
    decile_calibration,
    metrics_as_row,
    qini_coefficient,
    summarize_folds,
    uplift_curve,
    uplift_curve_metrics,
)
from uplift_lab.uplift.verdict import better_than_random_test, usefulness_verdict

KS = (0.1, 0.2, 0.3, 0.5)
SETTINGS = settings(max_examples=60, deadline=None)


@st.composite
def binary_campaigns(draw):
    """Random binary outcomes, both arms present, scores with many ties (few distinct values)."""
    n = draw(st.integers(min_value=4, max_value=80))
    outcome = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    treatment = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    levels = draw(st.integers(min_value=1, max_value=n))
    score = np.array(draw(st.lists(st.integers(0, levels), min_size=n, max_size=n))) / 7.0
    assume(0 < treatment.sum() < n)
    return outcome, score, treatment


@st.composite
def revenue_campaigns(draw):
    """Random revenue (many zeros, some repeats), both arms present, tied scores."""
    n = draw(st.integers(min_value=4, max_value=60))
    amounts = st.one_of(st.just(0.0), st.sampled_from([5.0, 12.5]), st.floats(0.01, 500.0))
    outcome = np.array(draw(st.lists(amounts, min_size=n, max_size=n)))
    treatment = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    score = np.array(draw(st.lists(st.integers(-3, 8), min_size=n, max_size=n))) * 0.25
    assume(0 < treatment.sum() < n)
    assume(np.ptp(outcome) > 0)
    return outcome, score, treatment


def _or_nan(metric, *args) -> float:
    """sklift divides by a zero perfect area (no ranking can gain); we return NaN there."""
    try:
        return float(metric(*args))
    except ZeroDivisionError:
        return math.nan


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


# --------------------------------------------------------------------- against scikit-uplift


@SETTINGS
@given(binary_campaigns())
def test_binary_qini_auuc_and_uplift_at_k_equal_sklift(campaign) -> None:
    from sklift.metrics import qini_auc_score, qini_curve, uplift_at_k, uplift_auc_score

    outcome, score, treatment = campaign
    assume(0 < outcome.sum() < len(outcome))
    metrics = uplift_curve_metrics(outcome, score, treatment, ks=KS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklift warns (mean of empty slice) where we note NaN
        assert _same(metrics.qini_coefficient, _or_nan(qini_auc_score, outcome, score, treatment))
        assert _same(metrics.auuc, _or_nan(uplift_auc_score, outcome, score, treatment))
        for k in KS:
            if int(len(outcome) * k) == 0:
                assert math.isnan(metrics.uplift_at_k[k])
                continue
            expected = uplift_at_k(outcome, score, treatment, strategy="overall", k=k)
            assert _same(metrics.uplift_at_k[k], float(expected))
        x_ref, y_ref = qini_curve(outcome, score, treatment)
    share, incremental = uplift_curve(outcome, score, treatment)
    np.testing.assert_allclose(share * len(outcome), x_ref)
    np.testing.assert_allclose(incremental, y_ref, atol=1e-9)


# --------------------------------------------------------------------- revenue: brute force


def _brute_qini_points(outcome, score, treatment):
    """Loop over every distinct cut-off: target everyone scoring at least that much."""
    points = [(0, 0.0)]
    for cut in sorted(set(score.tolist()), reverse=True):
        chosen = [i for i in range(len(score)) if score[i] >= cut]
        treated = [i for i in chosen if treatment[i] == 1]
        control = [i for i in chosen if treatment[i] == 0]
        ratio = len(treated) / len(control) if control else 0.0
        value = sum(outcome[i] for i in treated) - sum(outcome[i] for i in control) * ratio
        points.append((len(chosen), value))
    return points


def _brute_gain_points_from_keys(outcome, treatment, keys):
    """Uplift-curve points (mean difference x n) after sorting by ``keys`` (descending)."""
    ranked = sorted(range(len(keys)), key=lambda i: keys[i], reverse=True)
    points = [(0, 0.0)]
    for position, i in enumerate(ranked):
        last = position == len(ranked) - 1
        if not last and keys[ranked[position + 1]] == keys[i]:
            continue
        chosen = ranked[: position + 1]
        treated = [outcome[j] for j in chosen if treatment[j] == 1]
        control = [outcome[j] for j in chosen if treatment[j] == 0]
        mean_t = sum(treated) / len(treated) if treated else 0.0
        mean_c = sum(control) / len(control) if control else 0.0
        points.append((len(chosen), (mean_t - mean_c) * len(chosen)))
    return points


def _trapezoid(points):
    return sum(
        (x1 - x0) * (y0 + y1) / 2
        for (x0, y0), (x1, y1) in zip(points[:-1], points[1:], strict=True)
    )


def _normalized(actual, perfect):
    n, end = perfect[-1]
    diagonal = n * end / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.float64(_trapezoid(actual) - diagonal) / (_trapezoid(perfect) - diagonal)


def _brute_perfect_uplift_keys(outcome, treatment):
    """Treated buyers (largest first), control non-buyers, then the larger of the two others."""
    control_buyers = sum(1 for y, t in zip(outcome, treatment, strict=True) if t == 0 and y > 0)
    treated_non_buyers = sum(
        1 for y, t in zip(outcome, treatment, strict=True) if t == 1 and y == 0
    )
    keys = []
    for y, t in zip(outcome, treatment, strict=True):
        if t == 1 and y > 0:
            keys.append((3, y))
        elif t == 0 and y == 0:
            keys.append((2, 0.0))
        elif t == 0:
            keys.append((1 if control_buyers > treated_non_buyers else 0, -y))
        else:
            keys.append((0 if control_buyers > treated_non_buyers else 1, 0.0))
    return keys


@SETTINGS
@given(revenue_campaigns())
@example((np.array([5.0, 0, 0, 0]), np.zeros(4), np.array([1, 0, 0, 0])))  # both undefined
def test_revenue_curve_qini_and_auuc_equal_brute_force(campaign) -> None:
    outcome, score, treatment = campaign
    points = _brute_qini_points(outcome, score, treatment)
    share, incremental = uplift_curve(outcome, score, treatment)
    np.testing.assert_allclose(share * len(outcome), [x for x, _ in points])
    np.testing.assert_allclose(incremental, [y for _, y in points], atol=1e-7)

    perfect_qini = _brute_qini_points(outcome, outcome * (2 * treatment - 1), treatment)
    assert _same(qini_coefficient(outcome, score, treatment), _normalized(points, perfect_qini))
    gain = _brute_gain_points_from_keys(outcome, treatment, list(score))
    perfect_gain = _brute_gain_points_from_keys(
        outcome, treatment, _brute_perfect_uplift_keys(outcome, treatment)
    )
    assert _same(auuc(outcome, score, treatment), _normalized(gain, perfect_gain))


def _same(value: float, expected: float) -> bool:
    """Equal to 1e-7, or both undefined (NaN: a perfect curve no better than random, e.g. one
    treated buyer and all scores tied)."""
    if not math.isfinite(expected):  # the perfect curve's area equals random's: 0 / 0
        return not math.isfinite(value)
    return math.isclose(value, expected, rel_tol=1e-7, abs_tol=1e-9)


@SETTINGS
@given(revenue_campaigns())
def test_revenue_top_k_metrics_equal_brute_force(campaign) -> None:
    outcome, score, treatment = campaign
    metrics = uplift_curve_metrics(outcome, score, treatment, ks=KS)
    n = len(outcome)
    # The stated tie rule: descending score, ties in reverse input order.
    ranked = sorted(range(n), key=lambda i: (score[i], i), reverse=True)
    total = _brute_qini_points(outcome, score, treatment)[-1][1]
    for k in KS:
        top = ranked[: int(n * k)]
        treated = [outcome[i] for i in top if treatment[i] == 1]
        control = [outcome[i] for i in top if treatment[i] == 0]
        assert math.isclose(metrics.random_at_k[k], total * len(top) / n, abs_tol=1e-7)
        if not treated or not control:
            assert math.isnan(metrics.uplift_at_k[k]) and math.isnan(metrics.incremental_at_k[k])
            assert any(f"uplift@{k:.0%}" in note for note in notice_texts(metrics.notes))
            continue
        lift = sum(treated) / len(treated) - sum(control) / len(control)
        assert math.isclose(metrics.uplift_at_k[k], lift, rel_tol=1e-9, abs_tol=1e-9)
        captured = sum(treated) - sum(control) * len(treated) / len(control)
        assert math.isclose(metrics.incremental_at_k[k], captured, rel_tol=1e-9, abs_tol=1e-7)


@SETTINGS
@given(revenue_campaigns(), st.floats(0.01, 100.0))
def test_metrics_ignore_monotone_score_transforms_and_outcome_units(campaign, scale) -> None:
    outcome, score, treatment = campaign
    base = uplift_curve_metrics(outcome, score, treatment)
    transformed = uplift_curve_metrics(outcome, np.exp(score) * 3 - 1, treatment)
    rescaled = uplift_curve_metrics(outcome * scale, score, treatment)
    for other in (transformed, rescaled):
        assert _same(other.qini_coefficient, base.qini_coefficient)
        assert _same(other.auuc, base.auuc)
    for k in KS:
        assert _same(transformed.uplift_at_k[k], base.uplift_at_k[k])
        assert _same(rescaled.incremental_at_k[k] / scale, base.incremental_at_k[k])


def test_tied_scores_give_a_curve_independent_of_row_order() -> None:
    rng = np.random.default_rng(3)
    outcome = rng.gamma(1.0, 20.0, 300) * (rng.random(300) < 0.3)
    treatment = rng.integers(0, 2, 300)
    score = rng.integers(0, 4, 300).astype(float)
    shuffled = rng.permutation(300)
    first = uplift_curve(outcome, score, treatment)
    second = uplift_curve(outcome[shuffled], score[shuffled], treatment[shuffled])
    np.testing.assert_allclose(first[1], second[1])
    assert qini_coefficient(outcome, score, treatment) == pytest.approx(
        qini_coefficient(outcome[shuffled], score[shuffled], treatment[shuffled])
    )


def test_uplift_at_k_says_when_an_arm_is_missing_from_the_top() -> None:
    outcome = np.array([1, 0, 1, 0, 1, 0, 0, 1, 0, 0] * 2)
    treatment = np.array([1] * 4 + [0, 1] * 8)
    score = -np.arange(20.0)  # the first four rows (all treated) are the top 20%
    metrics = uplift_curve_metrics(outcome, score, treatment, ks=(0.2, 0.5))
    assert math.isnan(metrics.uplift_at_k[0.2])
    assert any("no control customers among the top 4" in n for n in notice_texts(metrics.notes))
    assert not math.isnan(metrics.uplift_at_k[0.5])


# --------------------------------------------------------------------- calibration


def test_decile_ci_equals_welch_interval_from_statsmodels() -> None:
    rng = np.random.default_rng(11)
    n = 2000
    treatment = rng.integers(0, 2, n)
    outcome = rng.gamma(2.0, 10.0, n) * (rng.random(n) < 0.4) + 5 * treatment
    score = rng.normal(size=n)
    table = decile_calibration(outcome, score, treatment, n_bins=10)
    top = np.argsort(-score, kind="stable")[: n // 10]  # no ties: the top decile by position
    treated, control = outcome[top][treatment[top] == 1], outcome[top][treatment[top] == 0]
    low, high = CompareMeans(DescrStatsW(treated), DescrStatsW(control)).tconfint_diff(
        alpha=0.05, usevar="unequal"
    )
    row = table.iloc[0]
    assert row["bin"] == 1 and row["n_treated"] == len(treated)
    assert row["observed_uplift"] == pytest.approx(treated.mean() - control.mean())
    assert row["ci_low"] == pytest.approx(low) and row["ci_high"] == pytest.approx(high)
    assert row["predicted_uplift"] == pytest.approx(score[top].mean())
    assert table["n"].sum() == n and list(table["bin"]) == list(range(1, 11))


def test_decile_ci_is_missing_with_a_reason_when_an_arm_is_too_small() -> None:
    outcome = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0])
    treatment = np.array([1, 1, 1, 1, 0, 1, 0, 0])
    table = decile_calibration(outcome, -np.arange(8.0), treatment, n_bins=2)
    assert math.isnan(table.loc[0, "ci_low"])
    assert table.loc[0, "note"] == "fewer than 2 customers in an arm"


# --------------------------------------------------------------------- known truth


def _simulated(n: int, seed: int):
    """Conversion with a planted per-customer effect: half gain 0.15, a tenth lose 0.05."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.02, 0.2, n)
    effect = np.select([rng.random(n) < 0.5, rng.random(n) < 0.2], [0.15, -0.05], 0.0)
    treatment = rng.integers(0, 2, n)
    outcome = (rng.random(n) < np.clip(base + effect * treatment, 0, 1)).astype(int)
    return outcome, effect, treatment, rng


def test_a_perfect_ranking_beats_random_targeting() -> None:
    outcome, effect, treatment, rng = _simulated(20_000, seed=5)
    perfect = uplift_curve_metrics(outcome, effect + rng.normal(0, 1e-6, len(effect)), treatment)
    random = uplift_curve_metrics(outcome, rng.random(len(effect)), treatment)
    assert perfect.qini_coefficient > random.qini_coefficient + 0.1
    assert perfect.incremental_at_k[0.3] > 1.5 * perfect.random_at_k[0.3]
    # Half the customers respond +0.15: targeting the top 30% finds about 0.15 uplift.
    assert perfect.uplift_at_k[0.3] == pytest.approx(0.15, abs=0.03)


def test_a_random_score_has_qini_near_zero() -> None:
    outcome, _, treatment, rng = _simulated(20_000, seed=6)
    values = [
        uplift_curve_metrics(outcome, rng.random(len(outcome)), treatment).qini_coefficient
        for _ in range(5)
    ]
    assert abs(np.mean(values)) < 0.03 and max(map(abs, values)) < 0.06


def test_verdicts_follow_the_evidence() -> None:
    outcome, effect, treatment, rng = _simulated(8_000, seed=7)
    good = effect + rng.normal(0, 1e-6, len(effect))
    folds = np.arange(len(outcome)) % 5
    per_fold = [
        uplift_curve_metrics(outcome[folds == f], good[folds == f], treatment[folds == f])
        for f in range(5)
    ]
    verdict = usefulness_verdict(decile_calibration(outcome, good, treatment), per_fold)
    assert verdict.startswith("useful")
    reversed_score = -good
    per_fold = [
        uplift_curve_metrics(outcome[folds == f], reversed_score[folds == f], treatment[folds == f])
        for f in range(5)
    ]
    verdict = usefulness_verdict(decile_calibration(outcome, reversed_score, treatment), per_fold)
    assert verdict.startswith("not useful") and "does not beat its bottom bin" in verdict


def test_fold_summary_ci_is_the_t_interval_and_the_correction_widens_it() -> None:
    outcome, effect, treatment, rng = _simulated(5_000, seed=8)
    score = effect + rng.normal(0, 0.1, len(effect))
    folds = rng.integers(0, 5, len(outcome))
    per_fold = [
        uplift_curve_metrics(outcome[folds == f], score[folds == f], treatment[folds == f])
        for f in range(5)
    ]
    values = np.array([m.qini_coefficient for m in per_fold])
    low, high = stats.t.interval(0.95, 4, loc=values.mean(), scale=stats.sem(values))
    summary = summarize_folds(per_fold)
    assert summary.loc["qini_coefficient", "ci_low"] == pytest.approx(low)
    assert summary.loc["qini_coefficient", "ci_high"] == pytest.approx(high)
    corrected = summarize_folds(per_fold, test_to_train_ratio=0.25)
    widening = math.sqrt((1 / 5 + 0.25) / (1 / 5))
    width = corrected.loc["auuc", "ci_high"] - corrected.loc["auuc", "ci_low"]
    naive = summary.loc["auuc", "ci_high"] - summary.loc["auuc", "ci_low"]
    assert width == pytest.approx(naive * widening)


# --------------------------------------------------------------------- baselines


def test_baselines_are_seeded_untied_and_follow_their_rules() -> None:
    frame = pd.DataFrame(
        {"rfm_score": [3, 9, 9, 1, 12, 3], "p_buy": [0.1, 0.5, 0.2, 0.9, 0.3, 0.4]}
    )
    first = baseline_scores(frame, response_proba=frame["p_buy"], seed=1)
    again = baseline_scores(frame, response_proba=frame["p_buy"], seed=1)
    other = baseline_scores(frame, response_proba=frame["p_buy"], seed=2)
    pd.testing.assert_frame_equal(first, again)
    assert not first["random"].equals(other["random"])
    assert list(first.columns) == ["random", "rfm_rule", "purchase_probability"]
    assert first.nunique().eq(len(frame)).all()  # no ties left for a top-k cut
    assert first["rfm_rule"].idxmax() == 4 and first["rfm_rule"].idxmin() == 3
    assert set(first["rfm_rule"].nlargest(3).index) == {4, 1, 2}
    assert first["purchase_probability"].idxmax() == 3


def test_rfm_rule_falls_back_to_recency_frequency_monetary() -> None:
    frame = pd.DataFrame(
        {"recency_days": [5, 300, 40], "frequency": [8, 1, 3], "monetary": [900, 20, 200]}
    )
    scores = baseline_scores(frame, seed=0)
    assert list(scores["rfm_rule"].sort_values(ascending=False).index) == [0, 2, 1]
    assert "rfm_rule" not in baseline_scores(frame[["frequency"]], seed=0).columns


def test_rfm_rule_with_two_parts_ranks_never_buyers_last() -> None:
    # Hillstrom-style columns: recency in months and past spend as "history"; NaN = no order.
    frame = pd.DataFrame({"recency": [2.0, np.nan, 9.0, 2.0], "history": [50, 0, 900, 400]})
    order = baseline_scores(frame, seed=0)["rfm_rule"].sort_values(ascending=False).index
    # Percentile ranks (missing = lowest): recency 0.875/0.25/0.5/0.875, spend .5/.25/1/.75.
    assert list(order) == [3, 2, 0, 1]


# --------------------------------------------------------------------- evaluate_scores


def _scored_frame(n: int = 3000, seed: int = 9) -> pd.DataFrame:
    outcome, effect, treatment, rng = _simulated(n, seed)
    return pd.DataFrame(
        {
            "customer_id": [f"c{i:05d}" for i in range(n)],
            "arm": np.where(treatment == 1, "send", "control"),
            "converted": outcome,
            "uplift": effect + rng.normal(0, 0.05, n),
            "p_control": rng.random(n),
            "rfm_score": rng.integers(3, 16, n),
        }
    )


def test_evaluate_scores_compares_the_model_with_every_baseline() -> None:
    frame = _scored_frame()
    result = evaluate_scores(
        frame,
        score_cols=["uplift"],
        outcome_col="converted",
        treatment_col="arm",
        control="control",
        seed=0,
    )
    names = [item.name for item in result.scores]
    assert names == ["uplift", "random", "rfm_rule", "purchase_probability"]
    assert result.best_model == "uplift" and result.n_folds == 5 and result.binary_outcome
    table = result.comparison_table().set_index("score")
    assert table.loc["uplift", "qini_coefficient_ci_low"] > table.loc["random", "qini_coefficient"]
    assert table.loc["uplift", "verdict"] == "useful"
    folds = result.scores[0].folds
    treated = [m.n_treated for m in folds]
    assert sum(m.n for m in folds) == len(frame) and max(treated) - min(treated) <= 2
    again = evaluate_scores(
        frame,
        score_cols=["uplift"],
        outcome_col="converted",
        treatment_col="arm",
        control="control",
        seed=0,
    )
    pd.testing.assert_frame_equal(table, again.comparison_table().set_index("score"))


def test_paired_difference_is_the_t_interval_of_fold_differences() -> None:
    frame = _scored_frame().assign(fold=lambda f: np.arange(len(f)) % 4)
    result = evaluate_scores(
        frame,
        score_cols=["uplift"],
        outcome_col="converted",
        treatment_col="arm",
        control="control",
        fold_col="fold",
        test_to_train_ratio=1 / 3,
    )
    model = [m.qini_coefficient for m in result.score("uplift").folds]
    rfm = [m.qini_coefficient for m in result.score("rfm_rule").folds]
    differences = np.subtract(model, rfm)
    half = stats.t.ppf(0.975, 3) * differences.std(ddof=1) * math.sqrt(1 / 4 + 1 / 3)
    mean, low, high = result.difference("uplift", "rfm_rule")
    assert mean == pytest.approx(differences.mean())
    assert (low, high) == pytest.approx((mean - half, mean + half))
    assert result.best_baseline().is_baseline


def test_evaluate_scores_uses_given_folds() -> None:
    frame = _scored_frame().assign(fold=lambda f: np.arange(len(f)) % 3)
    result = evaluate_scores(
        frame,
        score_cols=["uplift"],
        outcome_col="converted",
        treatment_col="arm",
        control="control",
        fold_col="fold",
    )
    assert result.n_folds == 3 and len(result.scores[0].folds) == 3
    assert "column 'fold'" in result.fold_source


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="converted"), "missing column 'converted'"),
        (lambda f: f.assign(converted="yes"), "must be numeric"),
        (
            lambda f: f.assign(arm=np.where(np.arange(len(f)) % 3 == 0, "edm", f["arm"])),
            "Name the treated arm to evaluate with 'treated'",
        ),
        (lambda f: f.assign(arm="send"), "has no 'control'"),
        (lambda f: f.assign(uplift=np.nan), "missing value"),
        (lambda f: f.assign(converted=-f["converted"]), "negative value"),
        (lambda f: f.assign(rfm_score="high"), "column 'rfm_score' must be numeric"),
    ],
)
def test_evaluate_scores_rejects_bad_input_in_one_line(change, message) -> None:
    with pytest.raises(InputError, match=message) as raised:
        evaluate_scores(
            change(_scored_frame(200)),
            score_cols=["uplift"],
            outcome_col="converted",
            treatment_col="arm",
            control="control",
            source="scores.csv",
        )
    assert str(raised.value).startswith("scores.csv: ") and "\n" not in str(raised.value)


# --------------------------------------------------------------------- the synthetic shop


def _shop_campaign(effect: float, n: int = 6000, repeats: int = 3):
    """``repeats`` independent 50/50 campaigns on one shop, stacked (less noise per test)."""
    synth = pytest.importorskip("uplift_lab.synth")
    shop = synth.generate_shop(n_customers=n, seed=0, campaign_effect=effect)
    truth = synth.true_effects(synth.generate_shop(n_customers=n, seed=0), shop.as_of)
    frames = []
    for repeat in range(repeats):
        rng = np.random.default_rng(2024 + repeat)
        sends = pd.DataFrame(
            {
                "customer_id": truth["customer_id"],
                "channel": np.where(rng.random(len(truth)) < 0.5, "sms", "control"),
            }
        )
        outcomes = synth.simulate_campaign(shop, sends, shop.as_of, seed=3 + repeat)
        frames.append(
            pd.DataFrame(
                {
                    "arm": sends["channel"].to_numpy(),
                    "converted": outcomes["converted"].to_numpy(),
                    "revenue": outcomes["revenue"].to_numpy(),
                    "true_uplift_revenue": truth["true_uplift_revenue"].to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_shop_true_effect_beats_random_on_incremental_revenue() -> None:
    frame = _shop_campaign(effect=1.0)
    result = evaluate_scores(
        frame,
        score_cols=["true_uplift_revenue"],
        outcome_col="revenue",
        treatment_col="arm",
        control="control",
        seed=1,
    )
    truth, random = result.scores[0].pooled, result.scores[1].pooled
    # The planted truth's top 30% holds ~2.9x a random 30% of the expected incremental revenue;
    # realized (heavy-tailed) revenue on 18k customers varies by about +-0.4 around that.
    assert truth.incremental_at_k[0.3] > 1.5 * random.random_at_k[0.3]
    assert truth.qini_coefficient > random.qini_coefficient


def test_shop_no_effect_campaign_is_reported_not_useful() -> None:
    frame = _shop_campaign(effect=0.0)
    result = evaluate_scores(
        frame,
        score_cols=["true_uplift_revenue"],
        outcome_col="converted",
        treatment_col="arm",
        control="control",
        seed=1,
    )
    model = result.scores[0]
    assert abs(model.pooled.qini_coefficient) < 0.05
    assert model.verdict.startswith("not useful")


# --------------------------------------------------------------------- customer-level bootstrap


def _stratified_draw(rng: np.random.Generator, treatment: np.ndarray) -> np.ndarray:
    """How often each row is drawn when each arm is resampled with replacement (a loop)."""
    counts = np.zeros(len(treatment), dtype=int)
    for arm in (0, 1):
        members = np.flatnonzero(treatment == arm)
        for _ in range(len(members)):
            counts[members[rng.integers(len(members))]] += 1
    return counts


@settings(max_examples=40, deadline=None)
@given(st.one_of(binary_campaigns(), revenue_campaigns()), st.integers(0, 2**31))
def test_reweighted_metrics_equal_metrics_on_explicitly_repeated_rows(campaign, seed) -> None:
    outcome, score, treatment = campaign
    counts = _stratified_draw(np.random.default_rng(seed), treatment)
    fast = resampled_metrics(counts[None, :], outcome, treatment, score, ks=KS).iloc[0]
    rows = np.repeat(np.arange(len(outcome)), counts)  # the resampled data set, written out
    brute = metrics_as_row(uplift_curve_metrics(outcome[rows], score[rows], treatment[rows], ks=KS))
    for name in bootstrap_metric_names(KS):
        assert _same(fast[name], brute[name]), name


def test_bootstrap_ci_of_the_qini_covers_the_population_value() -> None:
    """Coverage against a known truth: the Qini coefficient of a 1M-customer population."""

    def draw(n: int, rng: np.random.Generator):
        effect = np.where(rng.random(n) < 0.5, 0.12, 0.0)
        treatment = rng.integers(0, 2, n)
        outcome = (rng.random(n) < 0.05 + effect * treatment).astype(float)
        return outcome, treatment, effect + rng.normal(0, 0.1, n)  # a noisy score

    population_outcome, population_treatment, population_score = draw(
        1_000_000, np.random.default_rng(0)
    )
    truth = qini_coefficient(population_outcome, population_score, population_treatment)
    rng = np.random.default_rng(1)
    covered, widths = [], []
    for replicate in range(60):
        outcome, treatment, score = draw(3_000, rng)
        replicates, _ = bootstrap_replicates(outcome, treatment, {"s": score}, seed=replicate)
        low, high = np.quantile(replicates["s"]["qini_coefficient"], [0.025, 0.975])
        covered.append(low <= truth <= high)
        widths.append(high - low)
    assert 0.86 <= np.mean(covered) <= 0.99  # nominal 0.95; 60 samples
    assert np.mean(widths) < 0.25  # informative, not trivially wide


def test_bootstrap_on_a_subsample_rescales_to_the_full_size() -> None:
    outcome, effect, treatment, rng = _simulated(40_000, seed=21)
    score = effect + rng.normal(0, 0.1, len(effect))
    full, rows_full = bootstrap_replicates(outcome, treatment, {"s": score}, seed=3)
    sub, rows_sub = bootstrap_replicates(outcome, treatment, {"s": score}, seed=3, max_rows=10_000)
    assert rows_full == 40_000 and rows_sub == 10_000
    width_full = np.ptp(np.quantile(full["s"]["qini_coefficient"], [0.025, 0.975]))
    width_sub = np.ptp(np.quantile(sub["s"]["qini_coefficient"], [0.025, 0.975]))
    assert 0.7 < width_sub / width_full < 1.4  # without the sqrt(m/n) rescaling it is ~2
    point = qini_coefficient(outcome, score, treatment)
    assert np.median(sub["s"]["qini_coefficient"]) == pytest.approx(point, abs=0.02)


def test_bootstrap_is_seeded_and_paired_across_scores() -> None:
    outcome, effect, treatment, rng = _simulated(3_000, seed=22)
    scores = {"a": effect + rng.normal(0, 0.1, 3_000), "b": rng.random(3_000)}
    first, _ = bootstrap_replicates(outcome, treatment, scores, seed=5, n_replicates=50)
    again, _ = bootstrap_replicates(outcome, treatment, scores, seed=5, n_replicates=50)
    pd.testing.assert_frame_equal(first["a"], again["a"])
    alone, _ = bootstrap_replicates(outcome, treatment, {"a": scores["a"]}, seed=5, n_replicates=50)
    pd.testing.assert_frame_equal(first["a"], alone["a"])  # same replicates whatever is beside


def _verdict_inputs(top: float, bottom: float, qini: float, low: float, high: float):
    calibration = pd.DataFrame({"observed_uplift": [top, 0.0, bottom]})
    bootstrap = pd.DataFrame(
        {"estimate": [qini], "ci_low": [low], "ci_high": [high], "n_replicates": [200]},
        index=["qini_coefficient"],
    )
    return calibration, bootstrap


@pytest.mark.parametrize(
    ("top", "bottom", "qini", "low", "high", "word", "phrase"),
    [
        (0.06, -0.02, 0.05, 0.02, 0.08, "useful", "is above 0"),
        (0.06, -0.02, 0.05, -0.01, 0.11, "inconclusive", "A larger holdout would tell"),
        # above 0 by less than noise: no evidence either way, not evidence of harm
        (0.06, -0.02, 0.01, -0.05, 0.07, "inconclusive", "one-sided test"),
        (0.06, -0.02, -0.01, -0.04, 0.02, "not useful", "is not above 0"),
        # the pooled Qini is shown above 0 but one decile pair disagrees
        (-0.01, 0.02, 0.05, 0.02, 0.08, "inconclusive", "does not beat its bottom bin"),
    ],
)
def test_three_word_verdict_follows_the_customer_level_ci(
    top, bottom, qini, low, high, word, phrase
) -> None:
    calibration, bootstrap = _verdict_inputs(top, bottom, qini, low, high)
    folds_say_nothing = pd.DataFrame(
        {"mean": [0.0], "ci_low": [-1.0], "ci_high": [1.0]}, index=["qini_coefficient"]
    )
    verdict = usefulness_verdict(calibration, folds_say_nothing, bootstrap=bootstrap)
    assert verdict.split(":")[0] == word and phrase in verdict
    assert "customer bootstrap" in verdict or "bottom bin" in phrase


def test_no_effect_scores_are_not_useful_half_the_time_and_rarely_useful() -> None:
    """Under "no signal" the Qini estimate falls below 0 half of the time (not useful), and the
    one-sided 5% test claims "useful" about one time in twenty."""
    words = []
    for seed in range(30):
        rng = np.random.default_rng(100 + seed)
        n = 2_000
        treatment = rng.integers(0, 2, n)
        outcome = (rng.random(n) < 0.1).astype(float)  # the message changes nothing
        score = rng.random(n)
        replicates, _ = bootstrap_replicates(
            outcome, treatment, {"s": score}, n_replicates=100, seed=seed
        )
        table = bootstrap_summary(
            replicates["s"], metrics_as_row(uplift_curve_metrics(outcome, score, treatment))
        )
        calibration = decile_calibration(outcome, score, treatment)
        words.append(usefulness_verdict(calibration, [], bootstrap=table).split(":")[0])
    shares = pd.Series(words).value_counts(normalize=True)
    assert 0.25 <= shares.get("not useful", 0.0) <= 0.75
    assert shares.get("useful", 0.0) <= 0.1


def test_a_planted_effect_is_useful_on_the_customer_level_ci_and_pairs_with_baselines() -> None:
    frame = _scored_frame(n=3000, seed=23)
    result = evaluate_scores(
        frame, score_cols=["uplift"], outcome_col="converted", treatment_col="arm",
        control="control", seed=0, n_bootstrap=100,
    )  # fmt: skip
    model = result.score("uplift")
    assert model.verdict_word == "useful" and "customer bootstrap" in model.verdict
    assert model.bootstrap.loc["qini_coefficient", "estimate"] == pytest.approx(
        model.pooled.qini_coefficient
    )
    assert model.bootstrap.loc["qini_coefficient", "ci_low"] > 0
    assert result.score("random").verdict_word == "not useful"
    difference, low, high = result.bootstrap_difference("uplift", "random")
    assert low <= difference <= high and low > 0
    table = result.comparison_table().set_index("score")
    assert table.loc["uplift", "pooled_qini_coefficient_ci_low"] > 0


def test_better_than_random_is_a_one_sided_z_test_with_its_80_percent_power_threshold() -> None:
    # Qini 0.04 with 95% CI 0.04 -/+ 1.96 x 0.02: z = 2, p = 1 - Phi(2) (closed form)
    test = better_than_random_test(0.04, 0.04 - 1.959963984540054 * 0.02, 0.04 + 1.96 * 0.02)
    assert test.standard_error == pytest.approx(0.02, rel=1e-3)
    assert test.p_value == pytest.approx(0.5 * math.erfc(2 / math.sqrt(2)), rel=1e-3)
    # detectable: the true Qini mu with P(Z + mu/se > z_0.95) = 0.8, i.e. mu = (z_.95 + z_.8) se
    assert test.detectable == pytest.approx((1.6448536 + 0.8416212) * 0.02, rel=1e-3)
    assert better_than_random_test(0.04, float("nan"), 0.1) is None


def test_held_out_evaluation_leads_with_the_chosen_model_not_the_best_ranked() -> None:
    """The report's verdict is the chosen model's (what score and target use): here a score
    that ranks the true effect beats the chosen noise score on the held-out rows."""
    rng = np.random.default_rng(3)
    n = 4000
    effect = rng.random(n)
    treated = rng.random(n) < 0.5
    converted = (rng.random(n) < 0.05 + 0.2 * effect * treated).astype(float)
    cv = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "arm": "send",
            "assigned_arm": np.where(treated, "send", "control"),
            "fold": np.arange(n) % 4,
            "conversion": converted,
            "p_control": 0.05,
            "uplift_conversion__good": effect,
            "uplift_conversion__noise": rng.random(n),
        }
    )
    description = {
        "cv_metrics": {"folds": 4, "choice": {"send": {"conversion": "noise"}}},
        "id_col": "customer_id",
        "arms": ["send"],
        "control": "control",
    }
    ((_, _, evaluation),) = evaluate_held_out(cv, description)
    assert evaluation.best_model == "uplift_conversion__noise"
    by_name = {item.name: item for item in evaluation.scores}
    qini = {name: by_name[name].summary.loc["qini_coefficient", "mean"] for name in by_name}
    assert qini["uplift_conversion__good"] > qini["uplift_conversion__noise"]
