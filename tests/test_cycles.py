"""cycles.py: the gap prior's likelihood against numerical integration, its fit against simulated
customers with known cycles, the shrunk gap against the raw and pooled means, stage boundaries."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from uplift_lab.cycles import (
    CycleModel,
    GapPrior,
    _negative_log_likelihood,
    cycle_stages,
    expected_gap_days,
    fit_cycle_model,
    fit_gap_prior,
    overdue_ratios,
)

CATEGORY_MEANS = {"grocery": 10.0, "apparel": 45.0, "electronics": 200.0}
TRUE_ALPHA, TRUE_KAPPA = 3.0, 2.0


def simulated_customers(n: int, seed: int) -> dict[str, np.ndarray]:
    """Customers with known rates: lambda ~ Gamma(alpha, mean 1/category mean), gaps gamma."""
    rng = np.random.default_rng(seed)
    names = np.array(list(CATEGORY_MEANS))
    category = names[rng.integers(0, len(names), size=n)]
    mean = np.array([CATEGORY_MEANS[c] for c in category])
    rate = rng.gamma(TRUE_ALPHA, 1.0 / (TRUE_ALPHA * mean))
    n_gaps = rng.integers(0, 8, size=n)
    span = np.zeros(n)
    has_gaps = n_gaps > 0
    # the sum of k gamma(kappa, kappa*rate) gaps is gamma(k*kappa, kappa*rate)
    span[has_gaps] = rng.gamma(n_gaps[has_gaps] * TRUE_KAPPA, 1.0 / (TRUE_KAPPA * rate[has_gaps]))
    return {"category": category, "true_gap": 1.0 / rate, "n_gaps": n_gaps, "span": span}


def test_marginal_likelihood_matches_numerical_integration_over_the_rate() -> None:
    alpha, beta, kappa = 2.5, 80.0, 1.7
    k, s = np.array([1.0, 3.0, 6.0]), np.array([12.0, 95.0, 300.0])
    value, _ = _negative_log_likelihood(np.log([alpha, beta, kappa]), k, s, np.ones(3))
    reference = 0.0
    for kk, ss in zip(k, s, strict=True):

        def integrand(rate: float, kk: float = kk, ss: float = ss) -> float:
            span_density = stats.gamma.pdf(ss, a=kk * kappa, scale=1.0 / (kappa * rate))
            return span_density * stats.gamma.pdf(rate, a=alpha, scale=1.0 / beta)

        density, _ = integrate.quad(integrand, 0, np.inf, limit=200)
        reference += np.log(density)
    assert -value == pytest.approx(reference, rel=1e-6)


def test_likelihood_gradient_matches_finite_differences() -> None:
    k, s, w = np.array([1.0, 2.0, 5.0]), np.array([10.0, 33.0, 150.0]), np.array([3.0, 1.0, 2.0])
    point = np.log([1.8, 60.0, 1.3])
    _, gradient = _negative_log_likelihood(point, k, s, w)
    numeric = [
        (
            _negative_log_likelihood(point + step, k, s, w)[0]
            - _negative_log_likelihood(point - step, k, s, w)[0]
        )
        / 2e-6
        for step in np.eye(3) * 1e-6
    ]
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5)


def test_prior_fit_recovers_the_simulated_parameters() -> None:
    data = simulated_customers(20_000, seed=0)
    members = data["category"] == "apparel"
    prior = fit_gap_prior(data["n_gaps"][members], data["span"][members])
    assert prior.alpha == pytest.approx(TRUE_ALPHA, rel=0.15)
    assert prior.kappa == pytest.approx(TRUE_KAPPA, rel=0.15)
    assert prior.mean_gap_days == pytest.approx(CATEGORY_MEANS["apparel"], rel=0.05)
    assert prior.repeat_buyers == int(np.sum(data["n_gaps"][members] >= 1))


def test_shrunk_gap_beats_the_raw_mean_and_the_pooled_means() -> None:
    data = simulated_customers(20_000, seed=1)
    model = fit_cycle_model(data["n_gaps"], data["span"], data["category"])
    shrunk = expected_gap_days(model, data["n_gaps"], data["span"], data["category"])
    repeat = data["n_gaps"] >= 1
    raw = data["span"][repeat] / data["n_gaps"][repeat]
    shop_pooled = np.full(raw.shape, raw.mean())
    category_pooled = np.array(
        [raw[data["category"][repeat] == c].mean() for c in data["category"][repeat]]
    )
    truth = np.log(data["true_gap"][repeat])

    def error(estimate: np.ndarray) -> float:
        return float(np.mean((np.log(estimate) - truth) ** 2))

    shrunk_error = error(shrunk[repeat])
    assert shrunk_error < 0.8 * error(raw)
    assert shrunk_error < 0.8 * error(category_pooled)
    assert shrunk_error < 0.8 * error(shop_pooled)


def test_expected_gap_is_the_weighted_mean_of_own_and_prior_gap() -> None:
    prior = GapPrior(alpha=2.0, beta=60.0, kappa=1.5, repeat_buyers=10)
    model = CycleModel(shop=prior)
    gaps = expected_gap_days(model, np.array([0.0, 4.0, -1.0]), np.array([0.0, 40.0, np.nan]))
    weight = 1.5 * 4 / (2.0 + 1.5 * 4)
    assert gaps[0] == pytest.approx(30.0)  # one order day: the prior mean gap beta / alpha
    assert gaps[1] == pytest.approx(weight * 10.0 + (1 - weight) * 30.0)
    assert np.isnan(gaps[2])  # never ordered


def test_one_order_customers_get_their_categorys_prior_and_small_categories_the_shops() -> None:
    data = simulated_customers(6000, seed=2)
    category = data["category"].astype(object)
    category[:3] = "toys"  # three customers: too few to move far from the shop
    n_gaps = data["n_gaps"].copy()
    n_gaps[:3] = [0, 2, 3]
    model = fit_cycle_model(n_gaps, data["span"], category)
    one_order = (data["n_gaps"] == 0) & (category == "electronics")
    gaps = expected_gap_days(model, n_gaps, data["span"], category)
    np.testing.assert_allclose(gaps[one_order], model.categories["electronics"].mean_gap_days)
    assert model.categories["electronics"].mean_gap_days > model.categories["grocery"].mean_gap_days
    shop_gap = model.shop.mean_gap_days
    assert model.categories["toys"].mean_gap_days == pytest.approx(shop_gap, rel=0.25)
    assert model.prior_for(None) is model.shop and model.prior_for("unknown") is model.shop


def test_no_repeat_buyer_gives_no_model_and_nan_gaps() -> None:
    assert fit_cycle_model(np.array([0, 0]), np.array([0.0, 0.0])) is None
    assert np.isnan(expected_gap_days(None, np.array([0.0]), np.array([0.0]))).all()


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [
        (0.0, "active"),
        (1.5, "active"),
        (np.nextafter(1.5, 2), "semi_active"),
        (3.0, "semi_active"),
        (np.nextafter(3.0, 4), "silent"),
        (6.0, "silent"),
        (np.nextafter(6.0, 7), "churned"),
    ],
)
def test_stage_boundaries_at_exactly_1_5_3_and_6_expected_gaps(ratio: float, expected: str) -> None:
    assert cycle_stages(np.array([ratio]), np.array([3]))[0] == expected


def test_one_order_customers_are_new_until_overdue_and_never_buyers_potential() -> None:
    stages = cycle_stages(np.array([1.5, 1.6, 7.0, np.nan]), np.array([1, 1, 1, 0]))
    assert stages.tolist() == ["new", "semi_active", "churned", "potential"]


def test_custom_cutoffs_and_overdue_ratio() -> None:
    ratio = overdue_ratios(np.array([20.0, 0.0, np.nan]), np.array([10.0, 5.0, np.nan]))
    np.testing.assert_array_equal(ratio[:2], [2.0, 0.0])
    assert np.isnan(ratio[2])
    stages = cycle_stages(np.array([2.0, 2.1, 4.5]), np.array([2, 2, 2]), cutoffs=(2, 4, 8))
    assert stages.tolist() == ["active", "semi_active", "silent"]
