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

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from uplift_lab.contracts import ARM, CONTROL_ARM, CUSTOMER_ID
from uplift_lab.errors import InputError, input_error


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
    ``n_fallback_strata`` counts strata estimated by Horvitz-Thompson terms instead.
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
                weights = np.where(treated[members], 1 / share, -1 / (1 - share))
                values = np.where(
                    treated[members], treated_values[members], control_values[members]
                )
                value, variance = _ht_total(picked[members] * weights * values)
            totals[name] += value
            variances[name] += variance
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
    from uplift_lab import contracts

    for column in (CUSTOMER_ID, arm_col, conversion_col, revenue_col):
        contracts.require_columns(frame, (column,), source)
    if stratum_col is not None:
        contracts.require_columns(frame, (stratum_col,), source)
    arms = frame[arm_col]
    if arms.isna().any():
        raise input_error(source, f"column '{arm_col}' has empty values", "Fill or remove them")
    labels = sorted(set(arms.astype(str)))
    if control not in labels:
        raise input_error(
            source,
            f"column '{arm_col}' has no control label '{control}' (labels: {', '.join(labels)})",
            "Name the holdout label with --validate-control",
        )
    if len(labels) < 2:
        raise input_error(
            source, f"column '{arm_col}' has only the control arm", "Pass a randomized campaign"
        )
    converted = contracts.numeric_column(frame, conversion_col, source)
    if not converted.isin([0.0, 1.0]).all():
        raise input_error(
            source, f"column '{conversion_col}' must be 0 or 1", "Use 1 for converted, 0 otherwise"
        )
    out = pd.DataFrame(
        {
            CUSTOMER_ID: contracts.ids_as_text(frame, CUSTOMER_ID, source, unique=True),
            "treated": (arms.astype(str) != control).to_numpy(),
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
