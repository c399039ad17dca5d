"""The experiment folder: ``assignment.parquet`` and ``design.json``, written and verified.

``design`` (and ``import-campaign``, and ``target``'s holdout) write a folder atomically through
:mod:`uplift_lab.io`: an existing non-empty folder is replaced only with ``force``, and only once
the new one is complete, so an assignment is never overwritten silently. ``design.json`` records
the SHA-256 of the assignment (and, for designed folders, a seal over its own content);
:func:`load_experiment` refuses a folder whose files were changed after design.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from uplift_lab import __version__, io
from uplift_lab.contracts import ARM, CUSTOMER_ID, STRATUM
from uplift_lab.design import HASH_RULE, ExperimentDesign
from uplift_lab.errors import input_error
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


def refuse_existing(out: Path, force: bool) -> None:
    """Before any work: ``out`` must be a folder, and an existing non-empty one needs ``force``."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise input_error(out, "exists and is not a folder", "Choose another --out")
    if out.exists() and any(out.iterdir()) and not force:
        raise input_error(
            out, "already exists and is not empty", "Use --force to replace it, or another --out"
        )


def design_metadata(
    design: ExperimentDesign,
    *,
    input_file: str | None,
    input_sha256: str | None,
    assignment_sha256: str,
    created_at: str,
    campaign: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The content of ``design.json`` (JSON-ready: NaN becomes null)."""
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
                "holdout_needed": _finite(row.holdout_needed),
                "arms": {},
            },
        )
        entry["arms"][row.arm] = {
            "n_treated": row.n_treated,
            "mde": _finite(row.mde),
            "mde_above_target": row.mde_above_target,
        }
    mde["overall"] = mde["strata"].pop(OVERALL, None)
    smd: dict[str, Any] = {}
    for row in design.balance.table.itertuples(index=False):
        smd.setdefault(row.stratum, {}).setdefault(row.arm, {})[row.covariate] = _finite(row.smd)
    flagged = [
        {STRATUM: r.stratum, ARM: r.arm, "covariate": r.covariate, "smd": _finite(r.smd)}
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
        "warnings": list(design.warnings),
        "uplift_lab_version": __version__,
    }
    if campaign is not None:
        meta["campaign"] = dict(campaign)
    return meta


def _finite(value: Any) -> float | None:
    return None if value is None or not math.isfinite(float(value)) else float(value)


def write_folder(
    assignment: pd.DataFrame,
    out: Path,
    metadata: Callable[[str], dict[str, Any]],
    *,
    force: bool = False,
    seal: bool = True,
) -> dict[str, Any]:
    """Write ``assignment.parquet`` and ``design.json`` into ``out`` atomically; return the meta.

    ``metadata(assignment_sha256)`` gives design.json's content; with ``seal`` it gets its
    :func:`design_seal`. An existing non-empty folder is replaced only with ``force``, and only
    once the new one is complete.
    """
    with io.atomic_directory(Path(out), force=force) as staging:
        assignment_path = io.write_table(assignment, staging / ASSIGNMENT_FILE)
        meta = metadata(io.sha256_file(assignment_path))
        if seal:
            meta[DESIGN_SEAL] = design_seal(meta)
        io.write_json(meta, staging / DESIGN_FILE)
    return meta


def write_experiment(
    design: ExperimentDesign,
    out: Path,
    *,
    input_file: str | None = None,
    input_sha256: str | None = None,
    force: bool = False,
    campaign: Mapping[str, Any] | None = None,
    created_at: str | None = None,
) -> dict[str, Any]:
    """Write a designed experiment into ``out`` (see :func:`write_folder`); return the meta."""
    created_at = created_at or datetime.now(UTC).isoformat(timespec="seconds")

    def metadata(assignment_sha256: str) -> dict[str, Any]:
        return design_metadata(
            design,
            input_file=input_file,
            input_sha256=input_sha256,
            assignment_sha256=assignment_sha256,
            created_at=created_at,
            campaign=campaign,
        )

    return write_folder(design.assignment.assignment, out, metadata, force=force)


def design_seal(meta: Mapping[str, Any]) -> str:
    """SHA-256 of ``meta`` as JSON text without its seal, so an edit of design.json is caught."""
    unsealed = {key: value for key, value in meta.items() if key != DESIGN_SEAL}
    return hashlib.sha256(io.to_json_text(unsealed).encode("utf-8")).hexdigest()


def load_experiment(path: Path) -> Experiment:
    """Read an experiment folder, checking that assignment.parquet is the one design wrote."""
    path = Path(path)
    if not path.is_dir():
        raise input_error(path, "is not an experiment folder", "Pass the folder written by design")
    design_path = path / DESIGN_FILE
    assignment_path = path / ASSIGNMENT_FILE
    for required in (design_path, assignment_path):
        if not required.exists():
            raise input_error(
                path, f"has no {required.name}", "Pass a folder written by uplift-lab design"
            )
    meta = io.read_json(design_path)
    if not isinstance(meta, dict) or "assignment_sha256" not in meta:
        raise input_error(design_path, "has no assignment_sha256", "Design the experiment again")
    if DESIGN_SEAL in meta and meta[DESIGN_SEAL] != design_seal(meta):  # older folders: no seal
        raise input_error(design_path, DESIGN_CHANGED, CHANGED_FIX)
    if io.sha256_file(assignment_path) != meta["assignment_sha256"]:
        raise input_error(assignment_path, CHANGED_AFTER_DESIGN, CHANGED_FIX)
    assignment = io.read_table(assignment_path, string_columns=[CUSTOMER_ID, STRATUM, ARM])
    missing = [c for c in (CUSTOMER_ID, STRATUM, ARM) if c not in assignment.columns]
    if missing:
        raise input_error(assignment_path, f"missing column '{missing[0]}'", CHANGED_FIX)
    return Experiment(path=path, assignment=assignment, meta=meta)
