"""The experiment folder on disk: ``assignment.parquet`` and ``design.json``, written atomically
and read back with both SHA-256s checked (an assignment is never silently overwritten, and an
edited assignment or design.json is refused). The format itself (names, metadata) is
:mod:`uplift_lab.experiment`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from uplift_lab import io
from uplift_lab.contracts import ARM, CUSTOMER_ID, STRATUM
from uplift_lab.design import ExperimentDesign
from uplift_lab.errors import input_error, usage_error
from uplift_lab.experiment import (
    ASSIGNMENT_FILE,
    CHANGED_AFTER_DESIGN,
    CHANGED_FIX,
    DESIGN_CHANGED,
    DESIGN_FILE,
    DESIGN_SEAL,
    Experiment,
    design_metadata,
)
from uplift_lab.report.design_report import design_warnings


def refuse_existing(out: Path, force: bool) -> None:
    """Before any work: ``out`` must be a folder, and an existing non-empty one needs ``force``."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise usage_error(out, "exists and is not a folder", "Choose another {out}")
    if out.exists() and any(out.iterdir()) and not force:
        raise usage_error(
            out, "already exists and is not empty", "Use {force} to replace it, or another {out}"
        )


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
            warnings=design_warnings(design),
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
