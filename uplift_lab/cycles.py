"""Each customer's own purchase cycle: an expected gap between orders, shrunk by empirical Bayes.

A customer who ordered on ``k + 1`` distinct days has ``k`` completed gaps spanning ``S`` days
(first to last order date). The model is a gamma renewal process with gamma-distributed rates:

* gaps of customer *i* are Gamma(shape ``kappa``, rate ``kappa * lambda_i``): mean ``1/lambda_i``,
  coefficient of variation ``1/sqrt(kappa)`` (``kappa = 1``: a Poisson process; larger: more
  regular, like a weekly shop);
* rates vary between customers of a category: ``lambda_i ~ Gamma(alpha, beta)``.

Then ``S | k`` has a closed-form marginal (a compound gamma), so ``alpha, beta, kappa`` are fitted
by maximum marginal likelihood over the customers' ``(k, S)`` pairs (grouped, so a million customers
cost a few thousand distinct pairs). The posterior of ``lambda_i`` is Gamma(``alpha + kappa k``,
``beta + kappa S``), and the expected gap is the inverse posterior mean rate::

    expected_gap = (beta + kappa S) / (alpha + kappa k)
                 = w x (S / k) + (1 - w) x (beta / alpha),   w = kappa k / (alpha + kappa k)

a weighted mean of the customer's own mean gap and the prior mean gap, the weight growing with the
number of gaps seen and with how regular gaps are, both learned from the data. Customers with no
completed gap (one order day) get the prior mean ``beta / alpha``.

Two levels: the shop's prior is fitted on all repeat buyers; each main category's prior is fitted
on that category's repeat buyers plus the shop's data weighted as :data:`PSEUDO_CUSTOMERS`
customers (a penalised fit), so a large category speaks for itself and a category with a handful
of repeat buyers stays close to the shop. The open gap since the last order (recency) is left out
of the estimate on purpose: it is what the overdue ratio measures against the cycle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

PSEUDO_CUSTOMERS = 50.0
"""Weight, in customers, of the shop's data in each category's prior fit."""

DEFAULT_CYCLE_CUTOFFS = (1.5, 3.0, 6.0)
"""Expected gaps since the last order that end active, semi_active and silent."""

_LOG_BOUNDS = np.log(
    [
        [0.05, 1e4],  # alpha
        [1e-3, 1e8],  # beta (days x alpha)
        [0.1, 50.0],  # kappa
    ]
)


@dataclass(frozen=True, slots=True)
class GapPrior:
    """A fitted prior of purchase rates: Gamma(``alpha``, ``beta``), gap shape ``kappa``."""

    alpha: float
    beta: float
    kappa: float
    repeat_buyers: int

    @property
    def mean_gap_days(self) -> float:
        """The prior's expected gap (what a customer with no completed gap gets)."""
        return self.beta / self.alpha


@dataclass(frozen=True, slots=True)
class CycleModel:
    """The shop's prior and, when orders have categories, one prior per main category."""

    shop: GapPrior
    categories: Mapping[str, GapPrior] = field(default_factory=dict)

    def prior_for(self, category: str | None) -> GapPrior:
        """The category's prior, or the shop's when the category is unknown or absent."""
        if category is None:
            return self.shop
        return self.categories.get(category, self.shop)


def _grouped_pairs(n_gaps: np.ndarray, span_days: np.ndarray) -> tuple[np.ndarray, ...]:
    """Distinct (k, S) pairs of repeat buyers (k >= 1 gaps over S > 0 days) with their counts."""
    n_gaps = np.asarray(n_gaps, dtype="float64")
    span_days = np.asarray(span_days, dtype="float64")
    with np.errstate(invalid="ignore"):
        keep = (n_gaps >= 1) & (span_days > 0)
    k, s = n_gaps[keep], span_days[keep]
    if k.size == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    if np.array_equal(s, np.round(s)) and np.array_equal(k, np.round(k)):
        # whole days (what segment passes): one integer key per pair, a fast 1-D unique
        width = int(s.max()) + 1
        keys, counts = np.unique(k.astype("int64") * width + s.astype("int64"), return_counts=True)
        return (keys // width).astype(float), (keys % width).astype(float), counts.astype(float)
    pairs, counts = np.unique(np.column_stack([k, s]), axis=0, return_counts=True)
    return pairs[:, 0], pairs[:, 1], counts.astype(float)


def _negative_log_likelihood(
    log_params: np.ndarray, k: np.ndarray, s: np.ndarray, w: np.ndarray
) -> tuple[float, np.ndarray]:
    """Minus the compound-gamma marginal log likelihood of spans ``s`` given ``k`` gaps."""
    alpha, beta, kappa = np.exp(log_params)
    kk = k * kappa
    total = alpha + kk
    denom = beta + kappa * s
    log_s = np.log(s)
    loglik = (
        kk * np.log(kappa)
        + (kk - 1) * log_s
        - gammaln(kk)
        + alpha * np.log(beta)
        - gammaln(alpha)
        + gammaln(total)
        - total * np.log(denom)
    )
    d_alpha = np.log(beta) - digamma(alpha) + digamma(total) - np.log(denom)
    d_beta = alpha / beta - total / denom
    d_kappa = (
        k * np.log(kappa)
        + k
        + k * log_s
        - k * digamma(kk)
        + k * digamma(total)
        - k * np.log(denom)
        - total * s / denom
    )
    # np.sum of products, not `@`: a BLAS call per step is slower on busy machines and adds
    # nothing for vectors this short
    gradient = np.array(
        [np.sum(w * d_alpha) * alpha, np.sum(w * d_beta) * beta, np.sum(w * d_kappa) * kappa]
    )
    return -float(np.sum(w * loglik)), -gradient


def _clip(log_params: np.ndarray) -> np.ndarray:
    return np.clip(log_params, _LOG_BOUNDS[:, 0], _LOG_BOUNDS[:, 1])


def _clipped_objective(
    log_params: np.ndarray, k: np.ndarray, s: np.ndarray, w: np.ndarray
) -> tuple[float, np.ndarray]:
    """The likelihood at the clipped parameters; no pull along a clipped coordinate."""
    clipped = _clip(log_params)
    value, gradient = _negative_log_likelihood(clipped, k, s, w)
    return value, np.where(clipped == log_params, gradient, 0.0)


def fit_gap_prior(
    n_gaps: np.ndarray,
    span_days: np.ndarray,
    *,
    anchor: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    anchor_weight: float = 0.0,
) -> GapPrior | None:
    """Maximum marginal likelihood prior from customers' completed gaps (None: no repeat buyer).

    ``anchor`` (grouped k, S, counts of a wider population) is added with a total weight of
    ``anchor_weight`` customers: the penalty that keeps a small category near the shop.
    """
    k, s, w = _grouped_pairs(np.asarray(n_gaps), np.asarray(span_days))
    repeat_buyers = int(w.sum())
    if anchor is not None and anchor_weight > 0 and anchor[2].sum() > 0:
        k = np.concatenate([k, anchor[0]])
        s = np.concatenate([s, anchor[1]])
        w = np.concatenate([w, anchor[2] * (anchor_weight / anchor[2].sum())])
    if w.sum() == 0:
        return None
    mean_gap = float(np.sum(w * s / k) / w.sum())
    start = np.log([2.0, 2.0 * mean_gap, 1.0])
    # BFGS on clipped log parameters: pure numpy steps (L-BFGS-B's Fortran BLAS calls crawl
    # when other processes hold the cores)
    fit = minimize(_clipped_objective, start, args=(k, s, w / w.sum()), jac=True, method="BFGS")
    alpha, beta, kappa = (float(v) for v in np.exp(_clip(fit.x)))
    return GapPrior(alpha=alpha, beta=beta, kappa=kappa, repeat_buyers=repeat_buyers)


def fit_cycle_model(
    n_gaps: np.ndarray,
    span_days: np.ndarray,
    main_category: Sequence[str | None] | np.ndarray | None = None,
    pseudo_customers: float = PSEUDO_CUSTOMERS,
) -> CycleModel | None:
    """The shop's prior and one penalised prior per main category (None: no repeat buyer)."""
    n_gaps = np.asarray(n_gaps)
    span_days = np.asarray(span_days)
    shop = fit_gap_prior(n_gaps, span_days)
    if shop is None:
        return None
    if main_category is None:
        return CycleModel(shop=shop)
    anchor = _coarse_pairs(*_grouped_pairs(n_gaps, span_days))
    priors = {}
    names, members_of = _category_members(main_category)
    for name, members in zip(names, members_of, strict=True):
        if not np.any(n_gaps[members] >= 1):  # nothing of its own: the penalty alone, the shop
            priors[name] = GapPrior(shop.alpha, shop.beta, shop.kappa, repeat_buyers=0)
            continue
        priors[name] = fit_gap_prior(
            n_gaps[members], span_days[members], anchor=anchor, anchor_weight=pseudo_customers
        )
    return CycleModel(shop=shop, categories=priors)


def _category_members(
    main_category: Sequence[str | None] | np.ndarray,
) -> tuple[list[str], list[np.ndarray]]:
    """Sorted category names and the row indices of each (missing categories left out)."""
    codes, names = pd.factorize(pd.Series(main_category, dtype=object), sort=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    members = [order[bounds[i] : bounds[i + 1]] for i in range(len(names))]
    return [str(name) for name in names], members


def _coarse_pairs(
    k: np.ndarray, s: np.ndarray, w: np.ndarray, step: float = 0.02
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The shop's pairs with spans rounded on a 2% log grid: the same penalty, far fewer terms
    (it is added to every category's fit)."""
    if k.size == 0:
        return k, s, w
    grid = np.round(np.log(s) / step)
    pairs, inverse = np.unique(np.column_stack([k, grid]), axis=0, return_inverse=True)
    weights = np.bincount(inverse.ravel(), weights=w, minlength=len(pairs))
    return pairs[:, 0], np.exp(pairs[:, 1] * step), weights


def expected_gap_days(
    model: CycleModel | None,
    n_gaps: np.ndarray,
    span_days: np.ndarray,
    main_category: Sequence[str | None] | np.ndarray | None = None,
) -> np.ndarray:
    """Posterior expected gap per customer, ``(beta + kappa S) / (alpha + kappa k)``.

    NaN for customers without orders (``n_gaps`` < 0 or NaN) and everywhere when ``model`` is None.
    """
    n_gaps = np.asarray(n_gaps, dtype="float64")
    span = np.asarray(span_days, dtype="float64")
    if model is None:
        return np.full(n_gaps.shape, np.nan)
    alpha = np.full(n_gaps.shape, model.shop.alpha)
    beta = np.full(n_gaps.shape, model.shop.beta)
    kappa = np.full(n_gaps.shape, model.shop.kappa)
    if main_category is not None and model.categories:
        for name, members in zip(*_category_members(main_category), strict=True):
            prior = model.prior_for(name)
            alpha[members], beta[members], kappa[members] = prior.alpha, prior.beta, prior.kappa
    with np.errstate(invalid="ignore"):
        gaps = (beta + kappa * np.where(n_gaps > 0, span, 0.0)) / (
            alpha + kappa * np.maximum(n_gaps, 0.0)
        )
    return np.where(np.isnan(n_gaps) | (n_gaps < 0), np.nan, gaps)


def overdue_ratios(recency_days: np.ndarray, gap_days: np.ndarray) -> np.ndarray:
    """Expected gaps passed since the last order: recency / expected gap (NaN when unknown)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(recency_days, dtype="float64") / np.asarray(gap_days, dtype="float64")


CYCLE_STAGES = ("potential", "churned", "silent", "semi_active", "new", "active")
"""The stages :func:`cycle_stage_codes` indexes, in the order its rules are checked."""


def cycle_stages(
    overdue_ratio: np.ndarray,
    n_orders: np.ndarray,
    cutoffs: Sequence[float] = DEFAULT_CYCLE_CUTOFFS,
) -> np.ndarray:
    """Stage by expected gaps passed: potential (no order), then churned > c3, silent > c2,
    semi_active > c1, new (one order), active; cut-offs inclusive on the lower stage."""
    codes = cycle_stage_codes(overdue_ratio, n_orders, cutoffs)
    return np.array(CYCLE_STAGES, dtype=object)[codes]


def cycle_stage_codes(
    overdue_ratio: np.ndarray,
    n_orders: np.ndarray,
    cutoffs: Sequence[float] = DEFAULT_CYCLE_CUTOFFS,
) -> np.ndarray:
    """Index into :data:`CYCLE_STAGES` per customer (see :func:`cycle_stages`)."""
    ratio = np.asarray(overdue_ratio, dtype="float64")
    n_orders = np.asarray(n_orders)
    active, silent, churn = cutoffs
    with np.errstate(invalid="ignore"):
        return np.select(
            [n_orders == 0, ratio > churn, ratio > silent, ratio > active, n_orders == 1],
            [0, 1, 2, 3, 4],
            5,
        )
