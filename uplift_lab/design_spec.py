"""The parameters of ``design``, declared once: :class:`DesignSpec` and their checks.

Both engines (:func:`uplift_lab.design.design_experiment` and
:func:`uplift_lab.spark.design.design_experiment_spark`) take a :class:`DesignSpec`; the checks
below raise errors in parameter vocabulary ("The 'holdout' parameter of design must be in
(0, 1). Got 1.5 instead.").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from uplift_lab.contracts import CONTROL_ARM, LIFECYCLE, SEND_ARM
from uplift_lab.errors import ParameterError

DEFAULT_HOLDOUT = 0.1
DEFAULT_BASELINE = 0.03
DEFAULT_ALPHA = 0.05
DEFAULT_POWER = 0.8
DEFAULT_MIN_HOLDOUT = 200
FRACTION_TOLERANCE = 1e-6
_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True, slots=True, eq=False)
class DesignSpec:
    """What to design: the split (name .. send_arm), the baselines, power and balance settings.

    Parameters
    ----------
    name : experiment name; the default salt is derived from it.
    strata : columns whose value combinations are randomized separately (joined with ``"|"``);
        empty for one stratum ``"all"``.
    arms : ``{arm: fraction}`` including ``control_arm``; default ``control``/``send``.
    holdout : control fraction when ``arms`` is not given (default 0.1).
    holdout_by_stratum : control fraction for some strata (a full stratum label or a value of the
        first strata column); the treated arms share the rest in their usual proportions.
    segments : keep only these strata (full labels or first-column values).
    salt : hash salt; default :func:`uplift_lab.design.default_salt` of ``name``.
    baseline, baseline_by_stratum, baseline_column, baseline_report : the response rate power is
        computed at (see :func:`uplift_lab.design.design_experiment`).
    alpha, power, target_lift : the two-sided test of the MDE, and the lift to detect.
    min_holdout, strict : strata whose holdout is smaller are reported (with ``strict`` refused).
    covariates : balance covariates (default: every numeric column).

    Only stored here; the values are checked where they are used, so the errors name them.
    """

    name: str
    strata: Sequence[str] = (LIFECYCLE,)
    arms: Mapping[str, float] | None = None
    holdout: float | None = None
    holdout_by_stratum: Mapping[str, float] | None = None
    segments: Sequence[str] | None = None
    salt: str | None = None
    control_arm: str = CONTROL_ARM
    send_arm: str = SEND_ARM
    baseline: float | None = None
    baseline_by_stratum: Mapping[str, float] | None = None
    baseline_column: str | None = None
    baseline_report: Mapping[str, float] | None = None
    alpha: float = DEFAULT_ALPHA
    power: float = DEFAULT_POWER
    target_lift: float | None = None
    min_holdout: int = DEFAULT_MIN_HOLDOUT
    strict: bool = False
    covariates: Sequence[str] | None = None

    def with_fields(self, **changes: Any) -> DesignSpec:
        """A copy with some fields replaced (no change: ``self``)."""
        return replace(self, **changes) if changes else self


def resolve_spec(spec: DesignSpec | None, changes: Mapping[str, Any]) -> DesignSpec:
    """``spec`` with ``changes`` applied, or a new spec from ``changes`` (keyword callers)."""
    if spec is None:
        return DesignSpec(**changes)
    return spec.with_fields(**changes)


def exact_fraction(value: float | Fraction) -> Fraction:
    """``0.45`` as 9/20 (the decimal text of the float, not its binary value)."""
    if isinstance(value, Fraction):
        return value
    return Fraction(repr(float(value)))


def check_fraction(parameter: str, value: float) -> Fraction:
    """A holdout or arm fraction in (0, 1), as an exact fraction."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise ParameterError(
            parameter,
            "must be in (0, 1)",
            value,
            fix="A holdout of 0 or 1 leaves nothing to compare",
            owner="design",
        )
    return exact_fraction(value)


def check_rate(parameter: str, value: float) -> float:
    """A baseline response rate in (0, 1)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise ParameterError(
            parameter, "must be a response rate in (0, 1)", value, example=0.03, owner="design"
        )
    return float(value)


def check_experiment_name(name: str, parameter: str = "name") -> str:
    """Experiment names become folder names: letters, digits, ``_``, ``-`` and ``.`` only.

    ``parameter``: the one that gave the name, when not design's ``name`` (a folder's name).
    """
    if not isinstance(name, str) or not _NAME_PATTERN.match(name):
        raise ParameterError(
            parameter,
            f"must {'be' if parameter == 'name' else 'have a name of'} letters, digits, '_', '-'"
            " or '.' (starting with a letter or digit)",
            name,
            owner="design" if parameter == "name" else None,
        )
    return name


def base_fractions(
    arms: Mapping[str, float] | None,
    holdout: float | None,
    control_arm: str = CONTROL_ARM,
    send_arm: str = SEND_ARM,
) -> dict[str, Fraction]:
    """Arm fractions (control first), validated: each in (0, 1), summing to 1.

    Without ``arms`` the design has ``control`` (``holdout``, default 0.1) and ``send``.
    """
    if arms is None:
        control = check_fraction("holdout", DEFAULT_HOLDOUT if holdout is None else holdout)
        return {control_arm: control, send_arm: 1 - control}
    if len(arms) < 2:
        raise ParameterError(
            "arms",
            "must be at least two arms",
            dict(arms),
            fix="e.g. control=0.1,send=0.9",
            owner="design",
        )
    if control_arm not in arms:
        raise ParameterError(
            "arms",
            f"must be a mapping that includes the control arm '{control_arm}'",
            ",".join(arms),
            fix="Add it (control=0.1) or name the control arm with {control_arm}",
            owner="design",
        )
    fractions = {name: check_fraction(f"arms[{name}]", value) for name, value in arms.items()}
    total = sum(float(value) for value in fractions.values())
    if abs(total - 1) > FRACTION_TOLERANCE:
        raise ParameterError(
            "arms",
            "must have fractions that sum to 1",
            total,
            fix="Use e.g. control=0.1,sms=0.45,edm=0.45",
            owner="design",
        )
    if holdout is not None and exact_fraction(holdout) != fractions[control_arm]:
        raise ParameterError(
            "holdout",
            f"must equal the control arm's fraction in arms ({float(fractions[control_arm]):g})",
            holdout,
            fix="Give the holdout either in {arms} or with {holdout}, not both",
            owner="design",
        )
    exact_total = sum(fractions.values())  # within the tolerance of 1: rescale to exactly 1
    ordered = {control_arm: fractions[control_arm] / exact_total}
    ordered.update(
        (name, value / exact_total) for name, value in fractions.items() if name != control_arm
    )
    return ordered


def with_holdout(
    fractions: Mapping[str, Fraction], control_arm: str, holdout: Fraction
) -> dict[str, Fraction]:
    """Set the control fraction to ``holdout``; the treated arms keep their relative weights."""
    treated_total = 1 - fractions[control_arm]
    return {
        name: holdout if name == control_arm else value * (1 - holdout) / treated_total
        for name, value in fractions.items()
    }
