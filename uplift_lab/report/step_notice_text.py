"""The words of the notices of design, import-campaign, target, the model's evaluation and the
data readers: a step gives a code and its numbers (:class:`~uplift_lab.notices.Notice`),
:func:`~uplift_lab.report.notice_text.render_notice` fills the code's English template here
through :class:`~uplift_lab.report.labels.Labels` (the analysis's codes live in notice_text).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from uplift_lab.notices import Notice
from uplift_lab.power import OVERALL
from uplift_lab.report.labels import Labels

# design
DESIGN_SMALL_HOLDOUT = (
    "stratum '{stratum}': holdout of {n} customer(s) is below --min-holdout {min_holdout}; its "
    "lift cannot be read"
)
MDE_ABOVE_TARGET = (
    "{where}, arm '{arm}': minimum detectable lift {mde} is larger than the target lift "
    "{target_lift:.2%}"
)
IMBALANCED_COVARIATE = (
    "stratum '{stratum}', arm '{arm}': covariate '{covariate}' is imbalanced (SMD {smd:+.3f}, "
    "|SMD| > {threshold:g}; chance alone gives SMDs of about ±{noise:.3f} here)"
)
IMBALANCED_IN_SMALL_HOLDOUTS = (
    "{covariates} covariate(s) with |SMD| > {threshold:g} in strata whose holdout is below "
    "--min-holdout {min_holdout} (small groups differ by chance; design.json)"
)
TARGET_SMALL_HOLDOUT = (
    "stratum '{stratum}': holdout of {n} customer(s) is below {min_holdout}; its lift cannot be "
    "read on its own"
)
# import-campaign
IMPORTED_SRM = (
    "SAMPLE RATIO MISMATCH {place}: observed {observed} vs --expected {intended} (chi-square p = "
    "{p_value:.2g}). The split is not what was intended: find the cause (customers lost from one "
    "arm, a filter, a re-run) before trusting any analysis"
)
IMPORTED_SMALL_HOLDOUT = (
    "stratum '{stratum}': holdout of {n:,} customer(s) is below {min_holdout}; its lift cannot "
    "be read"
)
REPEATED_SENDS = (
    "{sends:,} repeated send(s) of the same customer on the same channel collapsed (first send "
    "kept)"
)

TEMPLATES: dict[str, str] = {
    "design_small_holdout": DESIGN_SMALL_HOLDOUT,
    "imbalanced_covariate": IMBALANCED_COVARIATE,
    "imbalanced_in_small_holdouts": IMBALANCED_IN_SMALL_HOLDOUTS,
    "target_small_holdout": TARGET_SMALL_HOLDOUT,
    "imported_small_holdout": IMPORTED_SMALL_HOLDOUT,
    "repeated_sends": REPEATED_SENDS,
}
"""The codes whose parameters fill their template as they are."""

Params = Mapping[str, Any]


def _mde_above_target(params: Params, labels: Labels) -> str:
    stratum, mde = params["stratum"], params["mde"]
    where = "overall" if stratum == OVERALL else f"stratum '{stratum}'"
    shown = "not detectable" if mde is None or math.isnan(mde) else f"{mde:.2%}"
    return labels(
        MDE_ABOVE_TARGET,
        where=where,
        arm=params["arm"],
        mde=shown,
        target_lift=params["target_lift"],
    )


def _imported_srm(params: Params, labels: Labels) -> str:
    where = params["where"]
    place = "overall" if where == OVERALL else f"in stratum '{where}'"
    return labels(
        IMPORTED_SRM,
        place=place,
        observed=", ".join(f"{arm} {n:,}" for arm, n in params["observed"].items()),
        intended=", ".join(f"{arm} {f:.1%}" for arm, f in params["expected"].items()),
        p_value=params["p_value"],
    )


RENDERERS: dict[str, Callable[[Params, Labels], str]] = {
    "mde_above_target": _mde_above_target,
    "imported_srm": _imported_srm,
}
"""The codes whose parameters are put in words first."""

CODES = frozenset(TEMPLATES) | frozenset(RENDERERS)
"""Every notice code of these steps."""


def render_step_notice(notice: Notice, labels: Labels) -> str:
    """The text of one of these steps' notices (a code of :data:`CODES`)."""
    if notice.code in TEMPLATES:
        return labels(TEMPLATES[notice.code], **notice.params)
    return RENDERERS[notice.code](notice.params, labels)
