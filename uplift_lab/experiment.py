"""The experiment folder format: ``assignment.parquet`` and ``design.json``, and what
design.json records (the SHA-256 of the assignment and, for designed folders, a seal over its own
content). Writing and reading a folder, with both checked, is
:mod:`uplift_lab.workflows.experiment_folder`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from uplift_lab import __version__
from uplift_lab.contracts import ARM, STRATUM
from uplift_lab.design import HASH_RULE, ExperimentDesign
from uplift_lab.finite import finite_or_none
from uplift_lab.power import OVERALL

ASSIGNMENT_FILE = "assignment.parquet"
DESIGN_FILE = "design.json"
CHANGED_AFTER_DESIGN = (
    "assignment.parquet was changed after design (its SHA-256 no longer matches design.json)"
)
CHANGED_FIX = "Restore the original file or design the experiment again"
DESIGN_SEAL = "design_sha256"  # SHA-256 of design.json's own text without this key
DESIGN_CHANGED = "was changed after design (its design_sha256 no longer matches its content)"


@dataclass(frozen=True, slots=True, eq=False)
class Experiment:
    """A designed experiment read back from its folder (see :func:`load_experiment`)."""

    path: Path
    assignment: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)


def design_metadata(
    design: ExperimentDesign,
    *,
    input_file: str | None,
    input_sha256: str | None,
    assignment_sha256: str,
    created_at: str,
    campaign: Mapping[str, Any] | None = None,
    warnings: Sequence[str] = (),
) -> dict[str, Any]:
    """The content of ``design.json`` (JSON-ready: NaN becomes null); ``warnings`` are the
    design's notices in words (uplift_lab.report.notice_text renders them)."""
    result = design.assignment
    power = design.power
    mde: dict[str, Any] = {
        "alpha": power.alpha,
        "power": power.power,
        "target_lift": power.target_lift,
        "baseline_source": design.baseline_source,
        "strata": {},
    }
    for row in power.table.itertuples(index=False):
        entry = mde["strata"].setdefault(
            row.stratum,
            {
                "baseline": row.baseline,
                "n_control": row.n_control,
                "holdout_needed": finite_or_none(row.holdout_needed),
                "arms": {},
            },
        )
        entry["arms"][row.arm] = {
            "n_treated": row.n_treated,
            "mde": finite_or_none(row.mde),
            "mde_above_target": row.mde_above_target,
        }
    mde["overall"] = mde["strata"].pop(OVERALL, None)
    smd: dict[str, Any] = {}
    for row in design.balance.table.itertuples(index=False):
        by_arm = smd.setdefault(row.stratum, {}).setdefault(row.arm, {})
        by_arm[row.covariate] = finite_or_none(row.smd)
    flagged = [
        {STRATUM: r.stratum, ARM: r.arm, "covariate": r.covariate, "smd": finite_or_none(r.smd)}
        for r in design.balance.flagged.itertuples(index=False)
    ]
    meta: dict[str, Any] = {
        "name": result.name,
        "salt": result.salt,
        "hash": HASH_RULE,
        "created_at": created_at,
        "input_file": input_file,
        "input_sha256": input_sha256,
        "assignment_sha256": assignment_sha256,
        "strata": list(result.strata),
        "control_arm": result.control_arm,
        "arms": list(result.arms),
        "fractions": result.fractions,
        "counts": result.counts,
        "n_customers": int(len(result.assignment)),
        "mde": mde,
        "balance": {
            "threshold": design.balance.threshold,
            "covariates": list(design.balance.covariates),
            "smd": smd,
            "flagged": flagged,
        },
        "min_holdout": design.min_holdout,
        "small_holdouts": design.small_holdouts,
        "warnings": list(warnings),
        "uplift_lab_version": __version__,
    }
    if campaign is not None:
        meta["campaign"] = dict(campaign)
    return meta
