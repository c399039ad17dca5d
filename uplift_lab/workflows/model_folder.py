"""Read and write model folders (the format is :mod:`uplift_lab.uplift.store`'s).

``train`` saves a model through :func:`save_model`; ``score``, ``evaluate`` and ``target`` load
one through :func:`load_model` or :func:`read_model_description`, which check every file
against ``manifest.json`` before anything is parsed beyond JSON.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from uplift_lab import io
from uplift_lab.errors import usage_error
from uplift_lab.uplift.schema import retrain_error
from uplift_lab.uplift.store import (
    CV_PREDICTIONS_FILE,
    MANIFEST_FILE,
    MODEL_FILE,
    NOT_A_MODEL_FIX,
    booster_texts,
    check_description,
    check_manifest,
    manifest,
    model_description,
    model_from_description,
)
from uplift_lab.uplift.train import UpliftModel


def write_model_files(model: UpliftModel, folder: Path) -> None:
    """Write boosters and model.json into an existing (staging) folder."""
    texts, names = booster_texts(model)
    files: dict = {}
    for key, roles in names.items():
        files[key] = {}
        for role, name in roles.items():
            path = io.write_text(texts[name], Path(folder) / name)
            files[key][role] = {"file": name, "sha256": io.sha256_file(path)}
    io.write_json(model_description(model, files), Path(folder) / MODEL_FILE)


def save_model(
    model: UpliftModel,
    folder: Path,
    *,
    force: bool = False,
    cv_predictions: pd.DataFrame | None = None,
) -> Path:
    """Write ``model`` to ``folder`` atomically (refusing a non-empty folder unless ``force``).

    ``cv_predictions`` (held-out predictions from training) are saved beside it for ``evaluate``.
    """
    with io.atomic_directory(Path(folder), force=force) as staging:
        write_model_files(model, staging)
        if cv_predictions is not None:
            io.write_table(cv_predictions, staging / CV_PREDICTIONS_FILE)
        write_manifest(staging)
    return Path(folder)


def _digests(folder: Path) -> dict[str, str | None]:
    """The SHA-256 of every file of ``folder`` (None for a subfolder)."""
    return {
        path.name: io.sha256_file(path) if path.is_file() else None
        for path in sorted(Path(folder).iterdir())
    }


def write_manifest(folder: Path) -> Path:
    """Write ``manifest.json``: the SHA-256 of every other file of the (staging) folder."""
    digests = {name: digest for name, digest in _digests(folder).items() if digest is not None}
    return io.write_json(manifest(digests), Path(folder) / MANIFEST_FILE)


def verify_manifest(folder: Path) -> None:
    """Refuse a model folder whose files differ from what ``manifest.json`` recorded."""
    folder = Path(folder)
    path = folder / MANIFEST_FILE
    if not path.is_file():
        raise retrain_error(
            folder,
            f"has no {MANIFEST_FILE} (saved by an older uplift-lab, or copied incompletely)",
        )
    check_manifest(io.read_json(path), _digests(folder), folder)


def read_model_description(folder: Path) -> dict:
    """Read and check ``model.json`` (schema and LightGBM versions) without loading boosters."""
    folder = Path(folder)
    if not folder.is_dir():
        raise usage_error(folder, "is not a model folder", NOT_A_MODEL_FIX)
    if not (folder / MODEL_FILE).is_file():
        raise usage_error(
            folder, f"is not a model folder (it has no {MODEL_FILE})", NOT_A_MODEL_FIX
        )
    description = io.read_json(folder / MODEL_FILE)
    check_description(description, folder)
    verify_manifest(folder)  # then any edit that the schema allows
    return description


def load_model(folder: Path) -> UpliftModel:
    """Rebuild an :class:`UpliftModel` from a model folder (boosters and JSON only)."""
    folder = Path(folder)
    description = read_model_description(folder)
    boosters = {
        path.name: io.read_bytes(path)
        for path in sorted(folder.iterdir())
        if path.suffix == ".txt" and path.is_file()
    }
    return model_from_description(description, boosters, folder)


def read_held_out_predictions(model_dir: Path) -> tuple[pd.DataFrame, Path]:
    """The held-out predictions train saved beside the model, and their path."""
    path = Path(model_dir) / CV_PREDICTIONS_FILE
    if not path.is_file():
        raise retrain_error(model_dir, f"has no {CV_PREDICTIONS_FILE}")
    return io.read_table(path, string_columns=["arm", "assigned_arm"]), path
