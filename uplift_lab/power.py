"""Minimum detectable effect per stratum: how small a lift a split can read.

Two-sided z-tests of two proportions through statsmodels' ``NormalIndPower`` (Cohen's h), per
stratum and treated arm, and overall with a size-weighted baseline; with a target lift also the
control share each stratum would need.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from uplift_lab.contracts import ARM, CONTROL_ARM, STRATUM
from uplift_lab.design_spec import DEFAULT_ALPHA, DEFAULT_POWER
from uplift_lab.errors import ParameterError
from uplift_lab.notices import Notice

OVERALL = "(overall)"
POWER_COLUMNS = [
    STRATUM,
    ARM,
    "n_control",
    "n_treated",
    "baseline",
    "mde",
    "holdout_needed",
    "mde_above_target",
]


@dataclass(frozen=True, slots=True, eq=False)
class PowerReport:
    """Minimum detectable absolute lift per stratum and treated arm, and overall.

    ``table`` has one row per (stratum, arm) with columns stratum, arm, n_control, n_treated,
    baseline, mde, holdout_needed and mde_above_target; the overall rows have stratum
    ``"(overall)"``. ``mde`` is None (NaN in the table) when no lift below 100% is detectable.
    """

    alpha: float
    power: float
    target_lift: float | None
    table: pd.DataFrame
    warnings: tuple[Notice, ...]  # put in words by uplift_lab.report.notice_text


def minimum_detectable_lift(
    n_treated: int, n_control: int, baseline: float, *, alpha: float, power: float
) -> float | None:
    """Smallest absolute lift in a conversion rate detectable with this split (two-sided z-test).

    Solves statsmodels' ``NormalIndPower`` for Cohen's h, then the treated rate ``p1`` with
    ``proportion_effectsize(p1, baseline) == h`` (``p1 = sin(asin(sqrt(p0)) + h/2)^2``). None when
    an arm is too small or no rate below 1 is detectable.
    """
    if n_treated < 2 or n_control < 2:
        return None
    h = float(
        NormalIndPower().solve_power(
            effect_size=None,
            nobs1=n_treated,
            alpha=alpha,
            power=power,
            ratio=n_control / n_treated,
            alternative="two-sided",
        )
    )
    angle = math.asin(math.sqrt(baseline)) + h / 2
    if not math.isfinite(angle) or angle >= math.pi / 2:
        return None
    return math.sin(angle) ** 2 - baseline


def holdout_fraction_needed(
    n_total: int, baseline: float, target_lift: float, *, alpha: float, power: float
) -> float | None:
    """Smallest control share of ``n_total`` customers that detects ``target_lift`` vs the rest.

    None when even a 50/50 split is not enough (the stratum is too small for that lift).
    """
    if baseline + target_lift >= 1 or n_total < 4:
        return None
    effect = float(proportion_effectsize(baseline + target_lift, baseline))
    engine = NormalIndPower()

    def shortfall(share: float) -> float:
        treated = n_total * (1 - share)
        achieved = engine.power(effect, nobs1=treated, alpha=alpha, ratio=share / (1 - share))
        return float(achieved) - power

    lowest = 2 / n_total
    if shortfall(0.5) < 0:
        return None
    if shortfall(lowest) >= 0:
        return lowest
    return float(brentq(shortfall, lowest, 0.5, xtol=1e-9))


def mde_per_stratum(
    counts: Mapping[str, Mapping[str, int]],
    baselines: Mapping[str, float],
    *,
    control_arm: str = CONTROL_ARM,
    alpha: float = DEFAULT_ALPHA,
    power: float = DEFAULT_POWER,
    target_lift: float | None = None,
) -> PowerReport:
    """MDE (absolute lift) of every treated arm vs control, per stratum and overall.

    The overall row pools all strata with a size-weighted baseline (what a stratified estimate of
    the whole campaign can detect, approximately). With ``target_lift`` also the control share each
    stratum would need, and a warning wherever the MDE exceeds the target.
    """
    _check_power_parameters(alpha, power, target_lift)
    rows: list[dict[str, Any]] = []
    totals: dict[str, int] = {}
    weighted_baseline = 0.0
    for stratum, arm_counts in counts.items():
        baseline = float(baselines[stratum])
        size = int(sum(arm_counts.values()))
        weighted_baseline += baseline * size
        for arm, n in arm_counts.items():
            totals[arm] = totals.get(arm, 0) + int(n)
        rows.extend(
            _power_rows(stratum, arm_counts, baseline, control_arm, alpha, power, target_lift)
        )
    grand_total = sum(totals.values())
    if grand_total:
        rows.extend(
            _power_rows(
                OVERALL,
                totals,
                round(weighted_baseline / grand_total, 12),  # no 0.029999999999999995
                control_arm,
                alpha,
                power,
                target_lift,
            )
        )
    table = pd.DataFrame(rows, columns=POWER_COLUMNS)
    table["mde"] = table["mde"].astype("float64")
    table["holdout_needed"] = table["holdout_needed"].astype("float64")
    warnings = _target_warnings(table, target_lift)
    return PowerReport(alpha, power, target_lift, table, warnings)


def _check_power_parameters(alpha: float, power: float, target_lift: float | None) -> None:
    if not 0 < alpha < 1:
        raise ParameterError("alpha", "must be in (0, 1)", alpha, owner="design")
    if not 0 < power < 1:
        raise ParameterError("power", "must be in (0, 1)", power, owner="design")
    if target_lift is not None and not 0 < target_lift < 1:
        raise ParameterError(
            "target_lift",
            "must be in (0, 1) (an absolute lift)",
            target_lift,
            example=0.01,
            owner="design",
        )


def _target_warnings(table: pd.DataFrame, target_lift: float | None) -> tuple[Notice, ...]:
    """One warning per row whose MDE is larger than the target lift (an MDE of None: nothing
    below 100% is detectable)."""
    warnings = []
    if target_lift is not None:
        for row in table.itertuples(index=False):
            if row.mde_above_target:
                mde = None if math.isnan(row.mde) else float(row.mde)
                params = {"stratum": row.stratum, "arm": row.arm, "mde": mde}
                warnings.append(
                    Notice("warning", "mde_above_target", {**params, "target_lift": target_lift})
                )
    return tuple(warnings)


def _power_rows(stratum, arm_counts, baseline, control_arm, alpha, power, target_lift):
    n_control = int(arm_counts.get(control_arm, 0))
    size = int(sum(arm_counts.values()))
    needed = None
    if target_lift is not None:
        needed = holdout_fraction_needed(size, baseline, target_lift, alpha=alpha, power=power)
    for arm, n in arm_counts.items():
        if arm == control_arm:
            continue
        mde = minimum_detectable_lift(int(n), n_control, baseline, alpha=alpha, power=power)
        above = target_lift is not None and (mde is None or mde > target_lift)
        yield {
            STRATUM: stratum,
            ARM: arm,
            "n_control": n_control,
            "n_treated": int(n),
            "baseline": baseline,
            "mde": np.nan if mde is None else mde,
            "holdout_needed": np.nan if needed is None else needed,
            "mde_above_target": bool(above),
        }
