"""Pure statistics over sufficient statistics: effects, CIs, tests, CUPED, SRM, corrections.

Everything works on aggregates (``n``, ``sum``, ``sum_squares``), in the style of GrowthBook's
gbstats, so an analysis scales to any data size and could be fed by SQL. Degenerate data (an
empty arm, zero variance) returns a result whose ``error`` names the problem instead of raising;
programmer errors (wrong types, bad parameters) raise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

# Error codes carried by results on degenerate data.
EMPTY_ARM = "empty_arm"
TOO_FEW = "too_few_observations"
ZERO_VARIANCE = "zero_variance"
ZERO_CONTROL_MEAN = "zero_control_mean"

CI_METHODS = ("wald", "newcombe")
ADJUST_METHODS = {"holm": "holm", "bh": "fdr_bh", "none": None}


@dataclass(frozen=True, slots=True)
class SampleStats:
    """Sufficient statistics of one sample: count, sum and sum of squares."""

    n: int
    sum: float
    sum_squares: float

    @classmethod
    def from_values(cls, values: Sequence[float] | np.ndarray) -> SampleStats:
        """Aggregate raw values."""
        array = np.asarray(values, dtype="float64")
        return cls(int(array.size), float(array.sum()), float(np.dot(array, array)))

    def __add__(self, other: SampleStats) -> SampleStats:
        return SampleStats(
            self.n + other.n, self.sum + other.sum, self.sum_squares + other.sum_squares
        )

    @property
    def mean(self) -> float:
        return self.sum / self.n if self.n else math.nan

    @property
    def variance(self) -> float:
        """Sample variance (ddof=1); 0 when it is numerically negative."""
        if self.n < 2:
            return math.nan
        centered = self.sum_squares - self.sum * self.sum / self.n
        return max(centered, 0.0) / (self.n - 1)


@dataclass(frozen=True, slots=True)
class PairedSampleStats:
    """Sufficient statistics of (covariate x, outcome y) pairs, as CUPED needs them."""

    n: int
    sum_x: float
    sum_y: float
    sum_xx: float
    sum_yy: float
    sum_xy: float

    @classmethod
    def from_values(
        cls, x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray
    ) -> PairedSampleStats:
        """Aggregate raw (x, y) pairs."""
        xs = np.asarray(x, dtype="float64")
        ys = np.asarray(y, dtype="float64")
        if xs.shape != ys.shape:
            raise ValueError(f"x and y must have the same shape, got {xs.shape} and {ys.shape}")
        return cls(
            int(xs.size),
            float(xs.sum()),
            float(ys.sum()),
            float(np.dot(xs, xs)),
            float(np.dot(ys, ys)),
            float(np.dot(xs, ys)),
        )

    def __add__(self, other: PairedSampleStats) -> PairedSampleStats:
        return PairedSampleStats(
            self.n + other.n,
            self.sum_x + other.sum_x,
            self.sum_y + other.sum_y,
            self.sum_xx + other.sum_xx,
            self.sum_yy + other.sum_yy,
            self.sum_xy + other.sum_xy,
        )

    @property
    def y(self) -> SampleStats:
        return SampleStats(self.n, self.sum_y, self.sum_yy)

    @property
    def x(self) -> SampleStats:
        return SampleStats(self.n, self.sum_x, self.sum_xx)

    @property
    def covariance(self) -> float:
        """Sample covariance of x and y (ddof=1)."""
        if self.n < 2:
            return math.nan
        return (self.sum_xy - self.sum_x * self.sum_y / self.n) / (self.n - 1)


@dataclass(frozen=True, slots=True)
class EffectResult:
    """Treatment minus control: absolute difference with CI and p-value, and relative lift.

    ``error`` is ``None`` when the absolute effect is valid, else it names why it is NaN;
    ``relative_error`` does the same for the relative lift (e.g. a control mean of zero).
    """

    control_mean: float
    treatment_mean: float
    difference: float
    standard_error: float
    ci_low: float
    ci_high: float
    p_value: float
    relative_lift: float
    relative_ci_low: float
    relative_ci_high: float
    method: str
    error: str | None = None
    relative_error: str | None = None


@dataclass(frozen=True, slots=True)
class CupedResult:
    """A CUPED-adjusted effect, with the regression coefficient and the variance removed."""

    effect: EffectResult
    theta: float
    variance_reduction: float
    error: str | None = None


@dataclass(frozen=True, slots=True)
class SrmResult:
    """Chi-square goodness of fit of observed arm counts against the designed fractions."""

    observed: dict[str, int]
    expected: dict[str, float]
    statistic: float
    p_value: float
    error: str | None = None


@dataclass(frozen=True, slots=True)
class StratifiedEffect:
    """Size-weighted average of per-stratum effects (immune to Simpson's paradox)."""

    difference: float
    standard_error: float
    ci_low: float
    ci_high: float
    p_value: float
    weights: tuple[float, ...]
    error: str | None = None


def _z(alpha: float) -> float:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1). Got {alpha} instead.")
    return float(sps.norm.ppf(1 - alpha / 2))


def _two_sided_normal_p(z: float) -> float:
    return float(2 * sps.norm.sf(abs(z)))


def _degenerate(
    control: SampleStats, treatment: SampleStats, method: str, error: str
) -> EffectResult:
    nan = math.nan
    diff = treatment.mean - control.mean if control.n and treatment.n else nan
    return EffectResult(
        control.mean, treatment.mean, diff, nan, nan, nan, nan, nan, nan, nan, method, error, error
    )


def mean_variances(
    control: SampleStats, treatment: SampleStats, *, binary: bool = False
) -> tuple[float, float]:
    """The variances of the two arms' means (v / n; v = p (1 - p) for proportions, ``binary``,
    else the sample variance), where an arm whose values are all equal (0 of 8 converted, no
    spend) takes the pooled within-arm variance of both arms: its zero variance would treat its
    mean as known exactly (a holdout of 8 without a buyer made a +185 revenue lift p = 0.0005).
    Both arms without spread stay at zero (the caller's degenerate case)."""
    if binary:
        v_c = control.mean * (1 - control.mean)
        v_t = treatment.mean * (1 - treatment.mean)
        pooled = (control.n * v_c + treatment.n * v_t) / (control.n + treatment.n)
    else:
        v_c, v_t = control.variance, treatment.variance
        pooled = ((control.n - 1) * v_c + (treatment.n - 1) * v_t) / (control.n + treatment.n - 2)
    if v_c == 0:
        v_c = pooled
    if v_t == 0:
        v_t = pooled
    return v_c / control.n, v_t / treatment.n


def relative_lift_ci(
    control: SampleStats, treatment: SampleStats, alpha: float = 0.05, *, binary: bool = False
) -> tuple[float, float, float, str | None]:
    """Relative lift ``mean_t / mean_c - 1`` with its CI on the log scale.

    log(m_t / m_c) +- z sqrt(v_t / m_t^2 + v_c / m_c^2), with v the variance of each mean (the
    delta method on the log of the ratio; for proportions, ``binary``, v = p (1 - p) / n: Katz's
    log interval, statsmodels' ``confint_proportions_2indep(compare="ratio", method="log")``).
    Exponentiated, the interval lies above -100% and is asymmetric as a ratio's is; a linear
    interval around the ratio reaches below -100% when the control is small (-118% for a lift
    whose absolute CI was all positive). Where a mean is not positive (no treated conversion,
    net revenue <= 0) the linear delta-method interval of :func:`_linear_relative_lift_ci` is
    returned. Returns (lift, low, high, error).
    """
    if control.n < 2 or treatment.n < 2:
        return math.nan, math.nan, math.nan, TOO_FEW
    mean_c, mean_t = control.mean, treatment.mean
    if mean_c == 0:
        return math.nan, math.nan, math.nan, ZERO_CONTROL_MEAN
    if mean_c < 0 or mean_t <= 0:
        return _linear_relative_lift_ci(control, treatment, alpha)
    var_c, var_t = mean_variances(control, treatment, binary=binary)
    return _log_ratio_interval(mean_c, var_c, mean_t, var_t, alpha)


def _log_ratio_interval(
    mean_c: float, var_c: float, mean_t: float, var_t: float, alpha: float
) -> tuple[float, float, float, str | None]:
    """``mean_t / mean_c - 1`` and its interval exp(log ratio +- z se) - 1 (positive means;
    ``var_*`` the variances of the two independent means)."""
    log_ratio = math.log(mean_t / mean_c)
    half = _z(alpha) * math.sqrt(var_t / mean_t**2 + var_c / mean_c**2)
    lift = mean_t / mean_c - 1
    return lift, math.exp(log_ratio - half) - 1, math.exp(log_ratio + half) - 1, None


def _linear_relative_lift_ci(
    control: SampleStats, treatment: SampleStats, alpha: float = 0.05
) -> tuple[float, float, float, str | None]:
    """Relative lift with a linear delta-method CI (a symmetric interval around the ratio).

    Var(m_t / m_c) ~ var_t / (n_t m_c^2) + m_t^2 var_c / (n_c m_c^4): this keeps the control
    mean's own uncertainty, which dividing the absolute CI by the control mean would drop.
    """
    if control.n < 2 or treatment.n < 2:
        return math.nan, math.nan, math.nan, TOO_FEW
    mean_c, mean_t = control.mean, treatment.mean
    if mean_c == 0:
        return math.nan, math.nan, math.nan, ZERO_CONTROL_MEAN
    ratio = mean_t / mean_c
    var_c, var_t = mean_variances(control, treatment)
    variance = var_t / mean_c**2 + mean_t**2 * var_c / mean_c**4
    half = _z(alpha) * math.sqrt(variance)
    return ratio - 1, ratio - 1 - half, ratio - 1 + half, None


def proportion_difference(
    control: SampleStats, treatment: SampleStats, *, alpha: float = 0.05, ci: str = "wald"
) -> EffectResult:
    """Difference of two proportions (treatment - control) from 0/1 sufficient statistics.

    CI: Wald, or Newcombe's hybrid score interval (method 10, better with few conversions). The
    standard error (what a stratified overall pools) is :func:`mean_variances`'.
    p-value: two-proportion z-test with the pooled proportion under H0 (``proportions_ztest``).
    """
    if ci not in CI_METHODS:
        raise ValueError(f"ci must be one of {CI_METHODS}. Got {ci!r} instead.")
    method = f"difference of proportions ({ci}), two-proportion z-test"
    if control.n == 0 or treatment.n == 0:
        return _degenerate(control, treatment, method, EMPTY_ARM)
    count_c, count_t = control.sum, treatment.sum
    p_c, p_t = count_c / control.n, count_t / treatment.n
    diff = p_t - p_c
    se = math.sqrt(sum(mean_variances(control, treatment, binary=True)))
    pooled = (count_c + count_t) / (control.n + treatment.n)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / control.n + 1 / treatment.n))
    if se_pooled == 0:
        return _degenerate(control, treatment, method, ZERO_VARIANCE)
    p_value = _two_sided_normal_p(diff / se_pooled)
    z = _z(alpha)
    if ci == "wald":  # the textbook interval (statsmodels' "wald"), zero variances and all
        wald_se = math.sqrt(p_t * (1 - p_t) / treatment.n + p_c * (1 - p_c) / control.n)
        low, high = diff - z * wald_se, diff + z * wald_se
    else:
        low_t, high_t = _wilson_interval(count_t, treatment.n, z)
        low_c, high_c = _wilson_interval(count_c, control.n, z)
        low = diff - math.sqrt((p_t - low_t) ** 2 + (high_c - p_c) ** 2)
        high = diff + math.sqrt((high_t - p_t) ** 2 + (p_c - low_c) ** 2)
    rel, rel_low, rel_high, rel_error = relative_lift_ci(control, treatment, alpha, binary=True)
    return EffectResult(
        p_c, p_t, diff, se, low, high, p_value, rel, rel_low, rel_high, method, None, rel_error
    )


def _wilson_interval(count: float, n: int, z: float) -> tuple[float, float]:
    p = count / n
    denominator = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return center - half, center + half


def proportion_interval(count: float, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval of one proportion ``count / n`` (NaN for ``n == 0``); what
    ``statsmodels.stats.proportion.proportion_confint(method="wilson")`` returns."""
    if n <= 0:
        return math.nan, math.nan
    return _wilson_interval(count, n, _z(alpha))


def mean_difference(
    control: SampleStats, treatment: SampleStats, *, alpha: float = 0.05
) -> EffectResult:
    """Welch's t-test and CI for the difference of means (unequal variances); an arm without
    spread takes the pooled variance (:func:`mean_variances`)."""
    method = "Welch t-test"
    if control.n == 0 or treatment.n == 0:
        return _degenerate(control, treatment, method, EMPTY_ARM)
    if control.n < 2 or treatment.n < 2:
        return _degenerate(control, treatment, method, TOO_FEW)
    var_c, var_t = mean_variances(control, treatment)
    se = math.sqrt(var_c + var_t)
    diff = treatment.mean - control.mean
    if se == 0:
        return _degenerate(control, treatment, method, ZERO_VARIANCE)
    dof = (var_c + var_t) ** 2 / (var_c**2 / (control.n - 1) + var_t**2 / (treatment.n - 1))
    t_stat = diff / se
    p_value = float(2 * sps.t.sf(abs(t_stat), dof))
    half = float(sps.t.ppf(1 - alpha / 2, dof)) * se
    rel, rel_low, rel_high, rel_error = relative_lift_ci(control, treatment, alpha)
    return EffectResult(
        control.mean,
        treatment.mean,
        diff,
        se,
        diff - half,
        diff + half,
        p_value,
        rel,
        rel_low,
        rel_high,
        method,
        None,
        rel_error,
    )


def cuped_theta(control: PairedSampleStats, treatment: PairedSampleStats) -> float:
    """CUPED coefficient cov(x, y) / var(x) over both arms pooled (Deng et al. 2013)."""
    pooled = control + treatment
    var_x = pooled.x.variance
    if not var_x > 0:
        return math.nan
    return pooled.covariance / var_x


def _adjusted_stats(stats: PairedSampleStats, theta: float, center: float) -> SampleStats:
    """Sufficient statistics of y - theta * (x - center), derived from the paired moments."""
    n = stats.n
    total = stats.sum_y - theta * (stats.sum_x - n * center)
    # sum (y - theta x + theta c)^2 expanded, so no raw data are needed.
    shift = theta * center
    squares = (
        stats.sum_yy
        + theta**2 * stats.sum_xx
        + n * shift**2
        - 2 * theta * stats.sum_xy
        + 2 * shift * stats.sum_y
        - 2 * theta * shift * stats.sum_x
    )
    return SampleStats(n, total, squares)


def cuped_difference(
    control: PairedSampleStats, treatment: PairedSampleStats, *, alpha: float = 0.05
) -> CupedResult:
    """Variance-reduced difference of means: Welch on y - theta (x - mean(x)).

    The covariate must be measured before treatment (e.g. pre-period revenue), so it is
    independent of the arm and the adjusted difference stays unbiased.
    """
    if control.n < 2 or treatment.n < 2:
        raw = mean_difference(control.y, treatment.y, alpha=alpha)
        return CupedResult(raw, math.nan, math.nan, raw.error or TOO_FEW)
    theta = cuped_theta(control, treatment)
    if math.isnan(theta):
        raw = mean_difference(control.y, treatment.y, alpha=alpha)
        return CupedResult(raw, math.nan, 0.0, ZERO_VARIANCE)
    pooled = control + treatment
    center = pooled.sum_x / pooled.n
    adjusted_c = _adjusted_stats(control, theta, center)
    adjusted_t = _adjusted_stats(treatment, theta, center)
    effect = mean_difference(adjusted_c, adjusted_t, alpha=alpha)
    # Relative lift against the unadjusted control mean; its delta-method interval is narrowed
    # by the same factor CUPED narrowed the absolute standard error.
    rel, rel_low, rel_high = math.nan, math.nan, math.nan
    raw = mean_difference(control.y, treatment.y, alpha=alpha)
    _, raw_low, raw_high, rel_error = _linear_relative_lift_ci(control.y, treatment.y, alpha)
    if rel_error is None and raw.standard_error > 0 and effect.error is None:
        rel = effect.difference / control.y.mean
        half = (raw_high - raw_low) / 2 * effect.standard_error / raw.standard_error
        rel_low, rel_high = rel - half, rel + half
    effect = EffectResult(
        control.y.mean,
        treatment.y.mean,
        effect.difference,
        effect.standard_error,
        effect.ci_low,
        effect.ci_high,
        effect.p_value,
        rel,
        rel_low,
        rel_high,
        "CUPED (Welch on y - theta (x - mean x))",
        effect.error,
        rel_error or effect.error,
    )
    raw_variance = pooled.y.variance
    adjusted_variance = (adjusted_c + adjusted_t).variance
    reduction = 1 - adjusted_variance / raw_variance if raw_variance > 0 else 0.0
    return CupedResult(effect, theta, reduction, effect.error)


def adjust_p_values(p_values: Sequence[float], method: str = "holm") -> list[float]:
    """Multiple-testing adjustment (statsmodels ``multipletests``); NaN p-values stay NaN.

    ``method``: ``holm`` (family-wise error), ``bh`` (Benjamini-Hochberg FDR) or ``none``.
    """
    if method not in ADJUST_METHODS:
        raise ValueError(f"method must be one of {tuple(ADJUST_METHODS)}. Got {method!r} instead.")
    values = np.asarray(p_values, dtype="float64")
    out = values.copy()
    valid = ~np.isnan(values)
    statsmodels_method = ADJUST_METHODS[method]
    if statsmodels_method is not None and valid.any():
        out[valid] = multipletests(values[valid], method=statsmodels_method)[1]
    return [float(v) for v in out]


def sample_ratio_mismatch(
    observed: Mapping[str, int], expected_fractions: Mapping[str, float]
) -> SrmResult:
    """Chi-square goodness of fit of arm counts vs designed fractions (10/90 is not 50/50).

    Arms observed but not designed are counted against an expected count of zero, which is an
    infinite mismatch: p = 0.
    """
    arms = sorted(set(observed) | set(expected_fractions))
    counts = {arm: int(observed.get(arm, 0)) for arm in arms}
    total_fraction = sum(expected_fractions.values())
    fractions = {arm: float(expected_fractions.get(arm, 0.0)) / total_fraction for arm in arms}
    total = sum(counts.values())
    if total == 0:
        return SrmResult(counts, fractions, math.nan, math.nan, EMPTY_ARM)
    if any(fractions[arm] == 0 and counts[arm] > 0 for arm in arms):
        return SrmResult(counts, fractions, math.inf, 0.0, None)
    used = [arm for arm in arms if fractions[arm] > 0]
    if len(used) < 2:
        return SrmResult(counts, fractions, math.nan, math.nan, TOO_FEW)
    statistic = sum((counts[a] - total * fractions[a]) ** 2 / (total * fractions[a]) for a in used)
    p_value = float(sps.chi2.sf(statistic, len(used) - 1))
    return SrmResult(counts, fractions, float(statistic), p_value, None)


def stratified_effect(
    sizes: Sequence[float],
    differences: Sequence[float],
    standard_errors: Sequence[float],
    *,
    alpha: float = 0.05,
) -> StratifiedEffect:
    """Overall effect as the size-weighted mean of per-stratum effects.

    With weights w_s = n_s / sum n, the estimate is sum w_s d_s and its SE is
    sqrt(sum w_s^2 se_s^2) (strata are independent). Strata with a NaN effect are left out
    and the remaining weights renormalised.
    """
    n = np.asarray(sizes, dtype="float64")
    d = np.asarray(differences, dtype="float64")
    se = np.asarray(standard_errors, dtype="float64")
    usable = ~(np.isnan(d) | np.isnan(se)) & (n > 0)
    weights = np.where(usable, n, 0.0)
    if weights.sum() == 0:
        nan = math.nan
        return StratifiedEffect(nan, nan, nan, nan, nan, tuple(weights), EMPTY_ARM)
    weights = weights / weights.sum()
    diff = float(np.sum(weights[usable] * d[usable]))
    std_err = float(math.sqrt(np.sum(weights[usable] ** 2 * se[usable] ** 2)))
    if std_err == 0:
        nan = math.nan
        return StratifiedEffect(diff, 0.0, nan, nan, nan, tuple(map(float, weights)), ZERO_VARIANCE)
    half = _z(alpha) * std_err
    p_value = _two_sided_normal_p(diff / std_err)
    return StratifiedEffect(
        diff, std_err, diff - half, diff + half, p_value, tuple(map(float, weights)), None
    )


def stratified_relative_lift(
    sizes: Sequence[float],
    controls: Sequence[SampleStats],
    treatments: Sequence[SampleStats],
    *,
    alpha: float = 0.05,
    binary: bool = False,
) -> tuple[float, float, float, str | None]:
    """Relative lift of the stratified effect: T / C - 1 with T = sum w_s t_s and C = sum w_s
    c_s (the standardised treated and control means), its CI on the log scale as
    :func:`relative_lift_ci`'s: Var(T) = sum w_s^2 v_t,s and Var(C) = sum w_s^2 v_c,s (the arms
    are independent). With one stratum this is exactly :func:`relative_lift_ci`. Where T or C is
    not positive, the linear delta method: Var(D / C) ~ Var(D)/C^2 + D^2 Var(C)/C^4 - 2 D
    Cov(D, C)/C^3 with D = T - C and per stratum Cov(t_s - c_s, c_s) = -Var(c_s).
    Returns (lift, low, high, error).
    """
    nan = math.nan
    usable = [
        (float(n), c, t)
        for n, c, t in zip(sizes, controls, treatments, strict=True)
        if n > 0 and c.n >= 2 and t.n >= 2
    ]
    if not usable:
        return nan, nan, nan, TOO_FEW
    total = sum(n for n, _, _ in usable)
    weights = [n / total for n, _, _ in usable]

    variances = [mean_variances(c, t, binary=binary) for _, c, t in usable]
    var_c = [vc for vc, _ in variances]
    var_t = [vt for _, vt in variances]
    diff = sum(w * (t.mean - c.mean) for w, (_, c, t) in zip(weights, usable, strict=True))
    base = sum(w * c.mean for w, (_, c, _) in zip(weights, usable, strict=True))
    if base == 0:
        return nan, nan, nan, ZERO_CONTROL_MEAN
    treated = base + diff
    var_base = sum(w * w * vc for w, vc in zip(weights, var_c, strict=True))
    var_treated = sum(w * w * vt for w, vt in zip(weights, var_t, strict=True))
    if base > 0 and treated > 0:
        return _log_ratio_interval(base, var_base, treated, var_treated, alpha)
    var_d = var_base + var_treated
    cov = -var_base
    variance = var_d / base**2 + diff**2 * var_base / base**4 - 2 * diff * cov / base**3
    half = _z(alpha) * math.sqrt(max(variance, 0.0))
    lift = diff / base
    return lift, lift - half, lift + half, None


def pooled_quantile_cap(arrays: Sequence[np.ndarray], quantile: float) -> float:
    """One capping threshold: the ``quantile`` of all arms' values pooled together.

    A common threshold keeps the comparison fair; per-arm thresholds would cap the arms
    differently and bias the difference.
    """
    if not 0 < quantile <= 1:
        raise ValueError(f"quantile must be in (0, 1]. Got {quantile} instead.")
    pooled = np.concatenate([np.asarray(a, dtype="float64") for a in arrays])
    if pooled.size == 0:
        return math.nan
    return float(np.quantile(pooled, quantile))


def top_share(values: np.ndarray, top_fraction: float = 0.01) -> float:
    """Share of the positive total held by the top ``top_fraction`` of positive values."""
    positive = np.sort(np.asarray(values, dtype="float64")[np.asarray(values) > 0])[::-1]
    if positive.size == 0:
        return math.nan
    k = max(1, math.ceil(top_fraction * positive.size))
    return float(positive[:k].sum() / positive.sum())


def shrink_toward(
    observed: np.ndarray, prior: np.ndarray, noise_variance: np.ndarray
) -> tuple[np.ndarray, float]:
    """Empirical-Bayes posterior means of noisy ``observed`` values around ``prior`` levels.

    The true values are taken as drawn around their prior levels with variance ``tau^2``,
    estimated by moments, ``max(0, mean((observed - prior)^2 - noise_variance))``; each posterior
    mean is ``prior + tau^2 / (tau^2 + noise) (observed - prior)``: a precise value keeps its own
    level, a noisy one moves toward its prior, and where the spread is no more than the noise
    everyone gets the prior. Returns (posterior means, tau^2).
    """
    observed = np.asarray(observed, dtype=np.float64)
    prior = np.asarray(prior, dtype=np.float64)
    noise = np.asarray(noise_variance, dtype=np.float64)
    tau2 = max(0.0, float(np.mean((observed - prior) ** 2 - noise)))
    weight = np.divide(tau2, tau2 + noise, out=np.zeros_like(noise), where=tau2 + noise > 0)
    return prior + weight * (observed - prior), tau2
