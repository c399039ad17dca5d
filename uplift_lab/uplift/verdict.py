"""The verdict: is a score useful, inconclusive or not useful against random targeting.

:func:`judge_usefulness` returns the verdict as data (:class:`Verdict`: a code and the numbers
behind it); :mod:`uplift_lab.uplift.verdict_text` puts it in English words (the sentence
evaluate and train store), and the reports put the same data in the report's language.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from scipy import stats

from uplift_lab.uplift.metrics import UpliftMetrics, summarize_folds
from uplift_lab.uplift.verdict_data import INCONCLUSIVE, NOT_USEFUL, USEFUL, Verdict
from uplift_lab.uplift.verdict_text import verdict_sentence

__all__ = [
    "INCONCLUSIVE",
    "NOT_USEFUL",
    "USEFUL",
    "Verdict",
    "judge_usefulness",
    "random_order_verdict",
    "usefulness_verdict",
]

BETTER_THAN_RANDOM_ALPHA = 0.05
POWER = 0.80


@dataclass(frozen=True, slots=True)
class QiniEvidence:
    """The Qini coefficient and its 95% CI from the best evidence given."""

    qini: float
    low: float
    high: float
    ci_over: str | None
    replicates: int | None = None


def _qini_evidence(
    metrics: UpliftMetrics | Sequence[UpliftMetrics] | pd.DataFrame,
    bootstrap: pd.DataFrame | None,
) -> QiniEvidence:
    """The customer bootstrap's Qini CI when given, else the one over folds."""
    if bootstrap is not None and "qini_coefficient" in bootstrap.index:
        row = bootstrap.loc["qini_coefficient"]
        return QiniEvidence(
            float(row["estimate"]),
            float(row["ci_low"]),
            float(row["ci_high"]),
            "bootstrap",
            int(row["n_replicates"]),
        )
    if isinstance(metrics, UpliftMetrics):
        return QiniEvidence(metrics.qini_coefficient, math.nan, math.nan, None)
    summary = metrics if isinstance(metrics, pd.DataFrame) else summarize_folds(metrics)
    row = summary.loc["qini_coefficient"]
    return QiniEvidence(float(row["mean"]), float(row["ci_low"]), float(row["ci_high"]), "folds")


def _not_useful_reasons(qini: float, top: float, bottom: float) -> tuple[str, ...]:
    """Why the score is "not useful" (empty when it is not)."""
    comparable = not math.isnan(top) and not math.isnan(bottom)
    reasons = [] if comparable else ["bins_not_comparable"]
    if math.isnan(qini):
        reasons.append("qini_undefined")
    elif qini <= 0:
        if comparable and not top > bottom:
            reasons.append("bins_do_not_beat")
        reasons.append("qini_not_above_0")
    return tuple(reasons)


def _verdict_code(reasons: Sequence[str], test: BetterThanRandomTest | None, beat: bool) -> str:
    if reasons:
        return "not_useful"
    if test is not None and test.p_value >= BETTER_THAN_RANDOM_ALPHA:
        return "inconclusive_test"
    return "useful" if beat else "inconclusive_bins"


def judge_usefulness(
    calibration: pd.DataFrame,
    metrics: UpliftMetrics | Sequence[UpliftMetrics] | pd.DataFrame,
    *,
    percentage_points: bool = False,
    bootstrap: pd.DataFrame | None = None,
) -> Verdict:
    """Whether a score is useful for targeting, and why: one of three verdicts, as data.

    The question is one-sided: does targeting by this score beat random targeting (whose Qini
    coefficient is 0)? It is answered by the Qini coefficient over all held-out customers:

    - "useful": a one-sided test of "better than random" rejects at 5% (Qini / its standard
      error > 1.645) and the top bin's observed uplift beats the bottom bin's.
    - "not useful": the Qini coefficient is not above 0 (by the data's best estimate, targeting
      by the score does no better than random), or it is undefined, or the top and bottom bins
      cannot be compared.
    - "inconclusive": the Qini coefficient is above 0 but not shown to be (or the top bin does
      not beat the bottom one, a far noisier comparison of a tenth of the customers each): the
      data cannot tell the score from random. The verdict keeps the one-sided p-value and the
      smallest Qini this data would show with 80% power.

    A score with no signal is thus "not useful" about half of the time, "inconclusive" otherwise
    and "useful" in 5%: "inconclusive" is a lack of evidence, not evidence of harm.
    The Qini CI is the customer-level ``bootstrap`` table's (a :func:`bootstrap_summary`) when
    given, else the one over folds: ``metrics`` is one UpliftMetrics, a list of them (one per
    fold) or a ``summarize_folds`` table. ``percentage_points`` shows uplifts of a 0/1 outcome
    as "+1.23 pp".
    """
    top = float(calibration.iloc[0]["observed_uplift"])
    bottom = float(calibration.iloc[-1]["observed_uplift"])
    evidence = _qini_evidence(metrics, bootstrap)
    reasons = _not_useful_reasons(evidence.qini, top, bottom)
    test = None if reasons else better_than_random_test(evidence.qini, evidence.low, evidence.high)
    numbers = {"qini": evidence.qini, "ci_low": evidence.low, "ci_high": evidence.high}
    numbers |= {"top": top, "bottom": bottom, "alpha": BETTER_THAN_RANDOM_ALPHA, "power": POWER}
    if test is not None:
        numbers |= {"p_value": test.p_value, "detectable": test.detectable}
    return Verdict(
        code=_verdict_code(reasons, test, top > bottom),
        numbers=numbers,
        reasons=reasons,
        ci_over=evidence.ci_over,
        replicates=evidence.replicates,
        percentage_points=percentage_points,
    )


def random_order_verdict(qini: float) -> Verdict:
    """The random baseline's verdict: a random order cannot beat random; its ``qini`` shows
    how far chance alone moves the metric."""
    return Verdict(code="random_order", numbers={"qini": qini})


def usefulness_verdict(
    calibration: pd.DataFrame,
    metrics: UpliftMetrics | Sequence[UpliftMetrics] | pd.DataFrame,
    *,
    percentage_points: bool = False,
    bootstrap: pd.DataFrame | None = None,
) -> str:
    """:func:`judge_usefulness`'s verdict as its English sentence ("useful: ...")."""
    verdict = judge_usefulness(
        calibration, metrics, percentage_points=percentage_points, bootstrap=bootstrap
    )
    return verdict_sentence(verdict)


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
