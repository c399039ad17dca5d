"""The verdict in words: is a score useful, inconclusive or not useful against random targeting."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from scipy import stats

from uplift_lab.uplift.metrics import UpliftMetrics, summarize_folds

USEFUL, INCONCLUSIVE, NOT_USEFUL = "useful", "inconclusive", "not useful"
INCONCLUSIVE_ADVICE = (
    "A larger holdout would tell: `uplift-lab target` keeps a random holdout in every send, so "
    "the next campaign measures this model's uplift directly."
)


def _qini_evidence(
    metrics: UpliftMetrics | Sequence[UpliftMetrics] | pd.DataFrame,
    bootstrap: pd.DataFrame | None,
) -> tuple[float, float, float, str]:
    """(Qini, CI low, CI high, what the CI is over) from the best evidence given."""
    if bootstrap is not None and "qini_coefficient" in bootstrap.index:
        row = bootstrap.loc["qini_coefficient"]
        where = f"customer bootstrap, {int(row['n_replicates'])} replicates"
        return float(row["estimate"]), float(row["ci_low"]), float(row["ci_high"]), where
    if isinstance(metrics, UpliftMetrics):
        return metrics.qini_coefficient, math.nan, math.nan, ""
    summary = metrics if isinstance(metrics, pd.DataFrame) else summarize_folds(metrics)
    row = summary.loc["qini_coefficient"]
    return float(row["mean"]), float(row["ci_low"]), float(row["ci_high"]), "over folds"


def usefulness_verdict(
    calibration: pd.DataFrame,
    metrics: UpliftMetrics | Sequence[UpliftMetrics] | pd.DataFrame,
    *,
    percentage_points: bool = False,
    bootstrap: pd.DataFrame | None = None,
) -> str:
    """Say in words whether a score is useful for targeting, and why: one of three verdicts.

    The question is one-sided: does targeting by this score beat random targeting (whose Qini
    coefficient is 0)? It is answered by the Qini coefficient over all held-out customers:

    - "useful": a one-sided test of "better than random" rejects at 5% (Qini / its standard
      error > 1.645) and the top bin's observed uplift beats the bottom bin's.
    - "not useful": the Qini coefficient is not above 0 (by the data's best estimate, targeting
      by the score does no better than random), or it is undefined, or the top and bottom bins
      cannot be compared.
    - "inconclusive": the Qini coefficient is above 0 but not shown to be (or the top bin does
      not beat the bottom one, a far noisier comparison of a tenth of the customers each): the
      data cannot tell the score from random. The sentence gives the one-sided p-value and the
      smallest Qini this data would show with 80% power.

    A score with no signal is thus "not useful" about half of the time, "inconclusive" otherwise
    and "useful" in 5%: "inconclusive" is a lack of evidence, not evidence of harm.
    The Qini CI is the customer-level ``bootstrap`` table's (a :func:`bootstrap_summary`) when
    given, else the one over folds: ``metrics`` is one UpliftMetrics, a list of them (one per
    fold) or a ``summarize_folds`` table. ``percentage_points`` prints uplifts of a 0/1 outcome
    as "+1.23 pp".
    """

    def shown(value: float) -> str:
        return f"{100 * value:+.2f} pp" if percentage_points else f"{value:+.4g}"

    top, bottom = calibration.iloc[0], calibration.iloc[-1]
    top_value, bottom_value = float(top["observed_uplift"]), float(bottom["observed_uplift"])
    qini, low, high, where = _qini_evidence(metrics, bootstrap)
    qini_text = f"Qini coefficient {qini:.3f}"
    if not math.isnan(low):
        qini_text += f" (95% CI {low:.3f} to {high:.3f}, {where})"
    bins_beat = (
        not math.isnan(top_value) and not math.isnan(bottom_value) and top_value > bottom_value
    )
    bins_text = (
        f"its top bin's observed uplift ({shown(top_value)}) "
        f"{'beats' if bins_beat else 'does not beat'} its bottom bin's ({shown(bottom_value)})"
    )
    reasons = []
    if math.isnan(top_value) or math.isnan(bottom_value):
        reasons.append(
            "the top or bottom bin lacks treated or control customers, so they cannot be compared"
        )
    if math.isnan(qini):
        reasons.append("the Qini coefficient is undefined (the outcome does not vary)")
    elif qini <= 0:
        if not math.isnan(top_value) and not math.isnan(bottom_value) and not bins_beat:
            reasons.append(bins_text)
        reasons.append(f"the {qini_text} is not above 0")
    if reasons:
        return (
            f"{NOT_USEFUL}: "
            + "; ".join(reasons)
            + ". Targeting by this score is not shown to beat random targeting."
        )
    test = better_than_random_test(qini, low, high)
    if test is not None and test.p_value >= BETTER_THAN_RANDOM_ALPHA:
        return (
            f"{INCONCLUSIVE}: {bins_text} and the {qini_text} is above 0, but a one-sided test"
            f" of 'better than random' gives p = {test.p_value:.3f} (below"
            f" {BETTER_THAN_RANDOM_ALPHA:g} needed), so this held-out data cannot tell it from"
            f" random targeting (it would show a Qini of {test.detectable:.3f} or more 80% of the"
            f" time). {INCONCLUSIVE_ADVICE}"
        )
    if not bins_beat:
        return (
            f"{INCONCLUSIVE}: the {qini_text} is above 0, but {bins_text}, so this held-out data"
            f" does not agree with itself. {INCONCLUSIVE_ADVICE}"
        )
    p_text = (
        "" if test is None else f" (one-sided test of 'better than random': p = {test.p_value:.3f})"
    )
    return f"{USEFUL}: {bins_text} and the {qini_text} is above 0{p_text}."


BETTER_THAN_RANDOM_ALPHA = 0.05
POWER = 0.80


@dataclass(frozen=True, slots=True)
class BetterThanRandomTest:
    """One-sided z-test of H0 "Qini coefficient <= 0 (random's)" from a 95% CI.

    ``standard_error`` is the CI's width / (2 x 1.96); ``detectable`` the smallest true Qini
    the test rejects with probability :data:`POWER` at :data:`BETTER_THAN_RANDOM_ALPHA`.
    """

    z: float
    p_value: float
    standard_error: float
    detectable: float


def better_than_random_test(qini: float, low: float, high: float) -> BetterThanRandomTest | None:
    """The one-sided test behind the verdict (None without a finite, non-empty CI)."""
    if not all(math.isfinite(v) for v in (qini, low, high)) or high <= low:
        return None
    se = (high - low) / (2.0 * stats.norm.ppf(0.975))
    z = qini / se
    detectable = (stats.norm.ppf(1 - BETTER_THAN_RANDOM_ALPHA) + stats.norm.ppf(POWER)) * se
    return BetterThanRandomTest(float(z), float(stats.norm.sf(z)), float(se), float(detectable))
