"""Covariate balance of a split: standardized mean differences, treated arm vs control.

From per-customer rows (:func:`balance_per_stratum`) or from per stratum x arm moments
(:func:`balance_from_moments`, what Spark computes), the same table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from uplift_lab.contracts import ARM, CONTROL_ARM, CUSTOMER_ID, STRATUM, numeric_column

SMD_THRESHOLD = 0.1
BALANCE_COVARIATES = ("recency_days", "frequency", "monetary")
BALANCE_COLUMNS = [
    STRATUM,
    ARM,
    "covariate",
    "n_control",
    "n_treated",
    "mean_control",
    "mean_treated",
    "smd",
    "flagged",
]


@dataclass(frozen=True, slots=True, eq=False)
class BalanceReport:
    """Standardized mean differences of covariates, treated arm vs control, per stratum.

    ``table`` has stratum, arm, covariate, n_control, n_treated, mean_control, mean_treated,
    smd, flagged (``|smd| > threshold``).
    """

    threshold: float
    covariates: tuple[str, ...]
    table: pd.DataFrame

    @property
    def flagged(self) -> pd.DataFrame:
        """The rows whose |SMD| exceeds the threshold."""
        return self.table[self.table["flagged"]].reset_index(drop=True)


def balance_covariates(frame: pd.DataFrame, exclude: Sequence[str] = ()) -> tuple[str, ...]:
    """Numeric columns worth checking: recency, frequency, monetary first, then the other ones."""
    skip = {CUSTOMER_ID, STRATUM, ARM, *exclude}
    numeric = [
        str(column)
        for column in frame.columns
        if column not in skip
        and (
            pd.api.types.is_numeric_dtype(frame[column])
            or pd.api.types.is_bool_dtype(frame[column])
        )
    ]
    first = [column for column in BALANCE_COVARIATES if column in numeric]
    return (*first, *[column for column in numeric if column not in first])


def balance_per_stratum(
    covariates: pd.DataFrame,
    stratum: pd.Series | pd.Categorical | np.ndarray,
    arm: pd.Series | pd.Categorical | np.ndarray,
    *,
    control_arm: str = CONTROL_ARM,
    threshold: float = SMD_THRESHOLD,
    stratum_order: Sequence[str] | None = None,
) -> BalanceReport:
    """SMD = (mean_treated - mean_control) / sqrt((var_treated + var_control) / 2) per stratum.

    Variances use ddof=1; missing covariate values are ignored. When both variances are zero the
    SMD is 0 for equal means and +-inf otherwise (flagged); it is NaN (not flagged) when an arm
    has no value of the covariate at all (e.g. recency of customers who never ordered).
    """
    stratum_codes, stratum_labels = pd.factorize(stratum, sort=False)
    arm_codes, arm_labels = pd.factorize(arm, sort=False)
    arm_labels = [str(value) for value in arm_labels]
    stratum_labels = [str(value) for value in stratum_labels]
    moments: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    if control_arm in arm_labels:
        n_groups = len(stratum_labels) * len(arm_labels)
        group = stratum_codes.astype(np.int64) * len(arm_labels) + arm_codes
        for column in covariates.columns:
            values = numeric_column(covariates, column, "covariates", allow_missing=True).to_numpy()
            mask = ~np.isnan(values)
            filled = np.where(mask, values, 0.0)
            n = np.bincount(group, weights=mask, minlength=n_groups)
            total = np.bincount(group, weights=filled, minlength=n_groups)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = total / n
                deviation = np.where(mask, values - mean[group], 0.0)
                var = np.bincount(group, weights=deviation**2, minlength=n_groups) / (n - 1)
            shape = (len(stratum_labels), len(arm_labels))
            moments[str(column)] = (n.reshape(shape), mean.reshape(shape), var.reshape(shape))
    return balance_from_moments(
        moments,
        stratum_labels,
        arm_labels,
        control_arm=control_arm,
        threshold=threshold,
        stratum_order=stratum_order,
        covariates=tuple(map(str, covariates.columns)),
    )


def balance_from_moments(
    moments: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    stratum_labels: Sequence[str],
    arm_labels: Sequence[str],
    *,
    control_arm: str,
    threshold: float,
    stratum_order: Sequence[str] | None,
    covariates: Sequence[str],
) -> BalanceReport:
    """The balance table from per covariate ``(n, mean, var)`` arrays of strata x arms.

    ``n`` counts the non-missing values, ``var`` uses ddof=1 (NaN below two values). Any engine
    that computes these moments gets the table :func:`balance_per_stratum` gives.
    """
    rows: list[dict[str, Any]] = []
    if control_arm in arm_labels:
        control = list(arm_labels).index(control_arm)
        treated = [i for i in range(len(arm_labels)) if i != control]
        for column, (n, mean, var) in moments.items():
            for s, label in enumerate(stratum_labels):
                for t in treated:
                    smd = _smd(mean[s, t], mean[s, control], var[s, t], var[s, control])
                    rows.append(
                        {
                            STRATUM: label,
                            ARM: arm_labels[t],
                            "covariate": str(column),
                            "n_control": int(n[s, control]),
                            "n_treated": int(n[s, t]),
                            "mean_control": float(mean[s, control]),
                            "mean_treated": float(mean[s, t]),
                            "smd": smd,
                            "flagged": bool(abs(smd) > threshold),  # NaN: not flagged
                        }
                    )
    if stratum_order is not None:
        position = {label: i for i, label in enumerate(stratum_order)}
        rows.sort(key=lambda row: position.get(row[STRATUM], len(position)))
    table = pd.DataFrame(rows, columns=BALANCE_COLUMNS)
    table["flagged"] = table["flagged"].astype(bool)
    return BalanceReport(threshold, tuple(covariates), table)


def smd_noise(n_treated: int, n_control: int) -> float:
    """Standard deviation of the SMD between two random groups of these sizes (about)."""
    if n_treated < 1 or n_control < 1:
        return float("nan")
    return math.sqrt(1 / n_treated + 1 / n_control)


def _smd(mean_treated: float, mean_control: float, var_treated: float, var_control: float) -> float:
    if not (np.isfinite(mean_treated) and np.isfinite(mean_control)):
        return float("nan")
    difference = mean_treated - mean_control
    variances = [v for v in (var_treated, var_control) if np.isfinite(v)]
    if not variances:
        return float("nan")
    pooled = math.sqrt(sum(variances) / len(variances))
    if pooled == 0:  # constant within each arm: equal means, or a total imbalance
        return 0.0 if difference == 0 else math.copysign(math.inf, difference)
    return float(difference / pooled)
