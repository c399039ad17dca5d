"""Off-policy evaluation: what a targeting policy would have earned on a past randomized campaign.

A past campaign messaged customers at random within strata (a known share per stratum). The value
of "send to whom the policy picks, nobody else" relative to sending nobody is the sum, over the
picked customers, of their individual effects. Within each stratum the picked customers who were
messaged and those held out are random halves of the same group, so the inverse-propensity
weighted estimate, self-normalized per stratum (Hajek), is

    sum_s N_s * (mean of picked & treated in s - mean of picked & held out in s)

with variance ``sum_s N_s^2 (var_T / n_T + var_C / n_C)`` and a normal CI. It has far less variance
than the unnormalized Horvitz-Thompson sum on heavy-tailed revenue; a stratum whose picked
customers lack a messaged or a held-out pair falls back to Horvitz-Thompson terms. The policy is
judged on data it did not choose, so it can be validated on a campaign its model was not trained on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from uplift_lab import contracts
from uplift_lab.analysis_inputs import yes_no_outcome
from uplift_lab.contracts import ARM, CONTROL_ARM, CUSTOMER_ID
from uplift_lab.errors import InputError, input_error, literal, usage_error


@dataclass(frozen=True, slots=True)
class Estimate:
    """A total with its standard error and a two-sided confidence interval."""

    value: float
    std_error: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True, slots=True)
class PolicyValue:
    """Estimates, on the past campaign's population, of sending to whom the policy picks.

    Totals are over the whole validation population (as if the policy had been run on it).
    ``cost`` counts message costs (known) plus coupons paid on conversions among the sent
    (estimated); ``incremental_profit = margin x incremental_revenue - cost``.
    ``n_fallback_strata`` counts strata estimated by Horvitz-Thompson terms instead;
    ``n_unvalued`` the picked customers of strata where the campaign lacked their channel or
    its control (they add nothing to the totals).
    """

    n: int
    n_picked: int
    n_treated: int
    incremental_revenue: Estimate
    incremental_conversions: Estimate
    cost: Estimate
    incremental_profit: Estimate
    confidence: float
    n_fallback_strata: int = 0
    n_unvalued: int = 0


def _estimate(value: float, variance: float, confidence: float) -> Estimate:
    std_error = float(np.sqrt(max(variance, 0.0)))
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    return Estimate(
        float(value), std_error, float(value - z * std_error), float(value + z * std_error)
    )


def _stratum_total(
    treated_values: np.ndarray, control_values: np.ndarray, n_picked: int
) -> tuple[float, float]:
    """N * (mean_T - mean_C) and its variance, from the picked customers of one stratum."""
    value = n_picked * (treated_values.mean() - control_values.mean())
    variance = n_picked**2 * (
        treated_values.var(ddof=1) / len(treated_values)
        + control_values.var(ddof=1) / len(control_values)
    )
    return float(value), float(variance)


def _ht_total(terms: np.ndarray) -> tuple[float, float]:
    """Horvitz-Thompson sum of independent per-customer terms and its variance."""
    if len(terms) < 2:
        return float(terms.sum()), 0.0
    return float(terms.sum()), float(len(terms) * terms.var(ddof=1))


def ipw_policy_value(
    picked: np.ndarray,
    treated: np.ndarray,
    revenue: np.ndarray,
    converted: np.ndarray,
    stratum: np.ndarray | None = None,
    *,
    margin: float,
    message_cost: np.ndarray | float = 0.0,
    coupon: np.ndarray | float = 0.0,
    confidence: float = 0.95,
) -> PolicyValue:
    """IPW estimate of the incremental revenue, conversions, cost and profit of a policy.

    Parameters
    ----------
    picked : bool array
        Whether the policy would message each customer of the past campaign.
    treated : bool array
        Whether the past campaign messaged them (randomized within ``stratum``).
    revenue, converted : arrays
        Outcomes in the past campaign's window.
    stratum : array, optional
        The strata the past campaign was randomized within (default: one stratum). The
        propensity of a customer is the messaged share of their stratum.
    margin : float
        Share of revenue that is profit.
    message_cost, coupon : float or array
        Per-customer message cost and coupon value of the channel the policy would use.
    """
    picked = np.asarray(picked, dtype=bool)
    n = len(picked)
    treated = np.asarray(treated, dtype=bool)
    revenue = np.asarray(revenue, dtype=np.float64)
    converted = np.asarray(converted, dtype=np.float64)
    message = np.broadcast_to(np.asarray(message_cost, dtype=np.float64), (n,))
    coupons = np.broadcast_to(np.asarray(coupon, dtype=np.float64), (n,))
    codes = np.zeros(n, dtype=np.int64) if stratum is None else pd.factorize(np.asarray(stratum))[0]
    # (treated-unit value, control-unit value) of each quantity; cost has a known message part.
    quantities = {
        "revenue": (revenue, revenue),
        "conversions": (converted, converted),
        "coupons": (coupons * converted, np.zeros(n)),
        "profit": (margin * revenue - coupons * converted, margin * revenue),
    }
    totals, variances, fallback = _totals_over_strata(picked, treated, codes, quantities)
    known_messages = float(message[picked].sum())
    return PolicyValue(
        n=n,
        n_picked=int(picked.sum()),
        n_treated=int(treated.sum()),
        incremental_revenue=_estimate(totals["revenue"], variances["revenue"], confidence),
        incremental_conversions=_estimate(
            totals["conversions"], variances["conversions"], confidence
        ),
        cost=_estimate(known_messages + totals["coupons"], variances["coupons"], confidence),
        incremental_profit=_estimate(
            totals["profit"] - known_messages, variances["profit"], confidence
        ),
        confidence=confidence,
        n_fallback_strata=int(fallback),
    )


_Quantities = Mapping[str, tuple[np.ndarray, np.ndarray]]


def _totals_over_strata(
    picked: np.ndarray, treated: np.ndarray, codes: np.ndarray, quantities: _Quantities
) -> tuple[dict[str, float], dict[str, float], int]:
    """Per quantity the sum over strata of the picked customers' effect, and its variance.

    A stratum with two messaged and two held-out picks is estimated by Hajek (difference of
    means times its picks), otherwise by Horvitz-Thompson terms; the count of those is returned.
    """
    totals = dict.fromkeys(quantities, 0.0)
    variances = dict.fromkeys(quantities, 0.0)
    fallback = 0
    for code in np.unique(codes):
        members = codes == code
        share = treated[members].mean()
        if share <= 0 or share >= 1:
            raise InputError(
                "past campaign: a stratum has only one arm, so its effect cannot be estimated"
            )
        cell_t = members & picked & treated
        cell_c = members & picked & ~treated
        n_picked = int((members & picked).sum())
        if n_picked == 0:
            continue
        use_hajek = cell_t.sum() >= 2 and cell_c.sum() >= 2
        fallback += not use_hajek
        for name, (treated_values, control_values) in quantities.items():
            if use_hajek:
                value, variance = _stratum_total(
                    treated_values[cell_t], control_values[cell_c], n_picked
                )
            else:
                value, variance = _stratum_ht_total(
                    picked[members], treated[members], share,
                    treated_values[members], control_values[members],
                )  # fmt: skip
            totals[name] += value
            variances[name] += variance
    return totals, variances, fallback


def _stratum_ht_total(
    picked: np.ndarray,
    treated: np.ndarray,
    share: float,
    treated_values: np.ndarray,
    control_values: np.ndarray,
) -> tuple[float, float]:
    """Horvitz-Thompson total of one stratum's picked customers, weighted by 1 / propensity."""
    weights = np.where(treated, 1 / share, -1 / (1 - share))
    values = np.where(treated, treated_values, control_values)
    return _ht_total(picked * weights * values)


def _sum_estimates(parts: list[Estimate], confidence: float) -> Estimate:
    """Sum of independent estimates (variances add)."""
    value = float(sum(part.value for part in parts))
    variance = float(sum(part.std_error**2 for part in parts))
    return _estimate(value, variance, confidence)


def _scaled(value: PolicyValue, factor: float) -> PolicyValue:
    """A total over a random subsample scaled up to the group it was drawn from."""

    def scale(estimate: Estimate) -> Estimate:
        return Estimate(
            estimate.value * factor,
            estimate.std_error * factor,
            estimate.ci_low * factor,
            estimate.ci_high * factor,
        )

    return PolicyValue(
        n=value.n,
        n_picked=value.n_picked,
        n_treated=value.n_treated,
        incremental_revenue=scale(value.incremental_revenue),
        incremental_conversions=scale(value.incremental_conversions),
        cost=scale(value.cost),
        incremental_profit=scale(value.incremental_profit),
        confidence=value.confidence,
        n_fallback_strata=value.n_fallback_strata,
        n_unvalued=value.n_unvalued,
    )


def ipw_policy_value_by_arm(
    chosen: np.ndarray,
    arm: np.ndarray,
    revenue: np.ndarray,
    converted: np.ndarray,
    stratum: np.ndarray | None = None,
    *,
    control: str,
    margin: float,
    message_cost: Mapping[str, float],
    coupon: Mapping[str, float] | None = None,
    confidence: float = 0.95,
) -> PolicyValue:
    """IPW value of a multi-channel policy on a past campaign randomized over several arms.

    ``chosen[i]`` is the channel the policy sends customer ``i`` ('' or None: nobody). A channel
    that was an arm of the past campaign is judged by that arm against control: within each
    stratum, the customers picked for channel c who got arm c and those held out are random
    samples of everyone picked for c there, so the cell's total is ``N_picked x (mean_c -
    mean_control)`` (Hajek; Horvitz-Thompson terms when a cell lacks two of each). A channel the
    campaign did not have is judged by every messaged customer against control (as
    :func:`ipw_policy_value`). Totals and variances add over strata and channels.
    """
    chosen = np.array(["" if c is None or c != c else str(c) for c in chosen], dtype=object)
    arm = np.asarray(arm).astype(str)
    n = len(chosen)
    revenue = np.asarray(revenue, dtype=np.float64)
    converted = np.asarray(converted, dtype=np.float64)
    strata = np.full(n, "all", dtype=object) if stratum is None else np.asarray(stratum, object)
    coupon = coupon or {}
    arms = set(arm) - {control}
    parts: list[PolicyValue] = []
    unvalued = 0
    for channel in sorted(set(chosen) - {""}):
        for label in sorted(set(strata)):
            members = strata == label
            picked_here = members & (chosen == channel)
            n_all = int(picked_here.sum())
            if n_all == 0:
                continue
            exposed = arm == channel if channel in arms else arm != control
            rows = members & (exposed | (arm == control))
            if exposed[rows].all() or not exposed[rows].any():
                unvalued += n_all
                continue
            value = ipw_policy_value(
                picked_here[rows],
                exposed[rows],
                revenue[rows],
                converted[rows],
                margin=margin,
                message_cost=message_cost.get(channel, 0.0),
                coupon=coupon.get(channel, 0.0),
                confidence=confidence,
            )
            n_sub = int(picked_here[rows].sum())
            if n_sub:
                parts.append(_scaled(value, n_all / n_sub))
    picked = chosen != ""
    if not parts:
        zero = _estimate(0.0, 0.0, confidence)
        return PolicyValue(n, int(picked.sum()), int((arm != control).sum()), zero, zero, zero,
                           zero, confidence, 0, unvalued)  # fmt: skip
    return PolicyValue(
        n=n,
        n_picked=int(picked.sum()),
        n_treated=int((arm != control).sum()),
        incremental_revenue=_sum_estimates([p.incremental_revenue for p in parts], confidence),
        incremental_conversions=_sum_estimates(
            [p.incremental_conversions for p in parts], confidence
        ),
        cost=_sum_estimates([p.cost for p in parts], confidence),
        incremental_profit=_sum_estimates([p.incremental_profit for p in parts], confidence),
        confidence=confidence,
        n_fallback_strata=int(sum(p.n_fallback_strata for p in parts)),
        n_unvalued=unvalued,
    )


def validate_past_campaign(
    frame: pd.DataFrame,
    source: object,
    *,
    arm_col: str = ARM,
    control: str = CONTROL_ARM,
    conversion_col: str = "converted",
    revenue_col: str = "revenue",
    stratum_col: str | None = None,
) -> pd.DataFrame:
    """Canonical past campaign: customer_id, treated (bool), converted, revenue, stratum."""
    for column in (CUSTOMER_ID, arm_col, conversion_col, revenue_col):
        contracts.require_columns(frame, (column,), source)
    if stratum_col is not None:
        contracts.require_columns(frame, (stratum_col,), source)
    arms = frame[arm_col]
    if arms.isna().any():
        raise input_error(source, f"column '{arm_col}' has empty values", "Fill or remove them")
    arms = arms.astype(str).str.strip()  # ' Control' is 'Control', as analyze reads it
    labels = sorted(set(arms))
    if control not in labels:
        raise usage_error(
            source,
            f"column '{literal(arm_col)}' has no control label '{literal(control)}' "
            f"(labels: {literal(', '.join(labels))})",
            "Name the holdout label with {validate_control}",
        )
    if len(labels) < 2:
        raise input_error(
            source, f"column '{arm_col}' has only the control arm", "Pass a randomized campaign"
        )
    frame = yes_no_outcome(frame, conversion_col, source)  # 'Yes'/'No' read as 1/0
    converted = contracts.numeric_column(frame, conversion_col, source)
    if not converted.isin([0.0, 1.0]).all():
        raise input_error(
            source, f"column '{conversion_col}' must be 0 or 1", "Use 1 for converted, 0 otherwise"
        )
    out = pd.DataFrame(
        {
            CUSTOMER_ID: contracts.ids_as_text(frame, CUSTOMER_ID, source, unique=True),
            "treated": (arms.astype(str) != control).to_numpy(),
            "arm": arms.astype(str).to_numpy(),
            "converted": converted.to_numpy(),
            "revenue": contracts.numeric_column(frame, revenue_col, source).to_numpy(),
            "stratum": frame[stratum_col].astype(str).to_numpy() if stratum_col else "all",
        }
    )
    shares = out.groupby("stratum")["treated"].mean()
    degenerate = shares[(shares <= 0) | (shares >= 1)]
    if len(degenerate):
        raise input_error(
            source,
            f"stratum '{degenerate.index[0]}' has only one arm, so its effect cannot be estimated",
            "Drop that stratum or pass a campaign with a holdout in every stratum",
        )
    return out
