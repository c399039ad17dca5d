"""The model folder format, without pickle: LightGBM text boosters plus ``model.json``.

A model folder holds one ``*.txt`` booster per role (LightGBM's own text format) and a
``model.json`` describing everything else: model kinds per arm, features with their dtypes and
categorical levels, the training data's SHA-256, cross-validated metrics, package and LightGBM
versions and a schema version. Loading parses JSON and booster text only, so it never runs code
from the files; it refuses other schema versions, another LightGBM major version, a ``model.json``
that breaks its schema (:mod:`uplift_lab.uplift.schema`) and any file whose SHA-256 no longer
matches ``manifest.json`` (written last, it hashes model.json, every booster and the held-out
predictions), so no edit of a model folder goes unnoticed.

This module is pure: it turns a model into file contents and file contents (bytes in memory,
with the SHA-256 of every file) back into a model. :mod:`uplift_lab.workflows.model_folder`
reads and writes the folder.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

import lightgbm as lgb

from uplift_lab import __version__
from uplift_lab.errors import input_error, usage_error
from uplift_lab.uplift.calibration import UpliftCalibration
from uplift_lab.uplift.features import FeatureSpec
from uplift_lab.uplift.models import (
    INTERACTION_SUFFIX,
    ArmModel,
    Learner,
    LightGBMSettings,
    feature_names,
)
from uplift_lab.uplift.schema import RETRAIN_FIX, retrain_error, validate_model_description
from uplift_lab.uplift.train import UpliftModel

SCHEMA_VERSION = 1
MODEL_FILE = "model.json"
CV_PREDICTIONS_FILE = "cv_predictions.parquet"
MANIFEST_FILE = "manifest.json"
MANIFEST_VERSION = 1
NOT_A_MODEL_FIX = (  # a UsageError template (the CLI reads --out FOLDER)
    "Pass the {out} folder of uplift-lab train; make one with uplift-lab train {data=CAMPAIGN} "
    "{treatment_col=ARM} {control=LABEL} {outcome_col=CONVERTED} {out=FOLDER}"
)


def _lightgbm_version() -> str:
    return str(lgb.__version__)


def model_description(model: UpliftModel, files: dict) -> dict:
    """The JSON-ready description of ``model`` (booster files given by ``files``)."""
    arms = []
    for index, arm_model in enumerate(model.arm_models):
        entry = {"arm": arm_model.arm}
        for target in ("conversion", "revenue"):
            learner = getattr(arm_model, target)
            if learner is None:
                entry[target] = None
                continue
            entry[target] = {
                "kind": learner.kind,
                "params": dict(learner.params),
                "boosters": files[(index, target)],
            }
        arms.append(entry)
    return {
        "schema_version": SCHEMA_VERSION,
        "model_kind": "uplift",
        "uplift_lab_version": __version__,
        "lightgbm_version": _lightgbm_version(),
        "id_col": model.id_col,
        "control": model.control,
        "arms": list(model.arms),
        "features": [spec.to_json() for spec in model.specs],
        "training_sha256": model.training_sha256,
        "n_rows": model.n_rows,
        "lightgbm_settings": {
            name: getattr(model.settings, name) for name in model.settings.__slots__
        },
        "cv_metrics": model.cv_metrics,
        "arm_models": arms,
        "id_kind": model.id_kind,
        "value_per_conversion": model.value_per_conversion,
        "calibration": model.calibration,
        "feature_choice": model.feature_choice,
    }


def booster_texts(model: UpliftModel) -> tuple[dict[str, str], dict]:
    """Every booster of ``model`` as LightGBM text, by file name, and the files of each learner.

    The second value maps ``(arm index, target)`` to ``{role: file name}``; with the files'
    SHA-256 added it is what :func:`model_description` records per learner.
    """
    texts: dict[str, str] = {}
    names: dict = {}
    for index, arm_model in enumerate(model.arm_models):
        for target in ("conversion", "revenue"):
            learner = getattr(arm_model, target)
            if learner is None:
                continue
            names[(index, target)] = {}
            for role, booster in sorted(learner.boosters.items()):
                name = f"arm{index}_{target}_{role}.txt"
                texts[name] = booster.model_to_string()
                names[(index, target)][role] = name
    return texts, names


def manifest(digests: Mapping[str, str]) -> dict:
    """``manifest.json``'s content: the SHA-256 of every other file of the folder."""
    files = {name: digests[name] for name in sorted(digests) if name != MANIFEST_FILE}
    return {"manifest_version": MANIFEST_VERSION, "algorithm": "sha256", "files": files}


def check_manifest(saved: object, digests: Mapping[str, str | None], folder: Path) -> None:
    """Refuse a model folder whose files differ from what ``manifest.json`` recorded at saving.

    ``saved`` is the parsed manifest, ``digests`` the SHA-256 of every file now in the folder
    (None for a subfolder).
    Every listed file must be there with its SHA-256; a file the manifest does not list (other
    than hidden ones) is refused too, since nothing of a saved model is added afterwards.
    """
    folder = Path(folder)
    path = folder / MANIFEST_FILE
    files = saved.get("files") if isinstance(saved, dict) else None
    valid = (
        isinstance(saved, dict)
        and saved.get("manifest_version") == MANIFEST_VERSION
        and isinstance(files, dict)
        and MODEL_FILE in files
        and all(isinstance(name, str) and isinstance(h, str) for name, h in files.items())
    )
    if not valid:
        raise retrain_error(path, "is not a model manifest (edited or damaged)")
    for name, digest in sorted(files.items()):
        if Path(name).name != name or digests.get(name) is None:
            raise retrain_error(folder, f"file '{name}' listed in {MANIFEST_FILE} is missing")
        if digests[name] != digest:
            raise retrain_error(
                folder / name,
                f"was changed after training (SHA-256 differs from {MANIFEST_FILE})",
            )
    extra = sorted(
        name
        for name in digests
        if name not in files and name != MANIFEST_FILE and not name.startswith(".")
    )
    if extra:
        raise retrain_error(
            folder / extra[0],
            f"was added after training (not in {MANIFEST_FILE})",
            "Remove it, or retrain: " + RETRAIN_FIX,
        )


def check_description(description: object, folder: Path) -> None:
    """Refuse a ``model.json`` of another kind, schema version or LightGBM major version."""
    path = Path(folder) / MODEL_FILE
    if not isinstance(description, dict) or description.get("model_kind") != "uplift":
        raise input_error(path, "is not an uplift-lab model description")
    schema = description.get("schema_version")
    if schema != SCHEMA_VERSION:
        raise retrain_error(
            path,
            f"has schema version {schema}; this uplift-lab reads version {SCHEMA_VERSION}",
        )
    saved = str(description.get("lightgbm_version", ""))
    if saved.split(".")[0] != _lightgbm_version().split(".")[0]:
        raise retrain_error(
            path,
            f"was trained with LightGBM {saved}, this environment has {_lightgbm_version()}",
        )
    validate_model_description(description, path)  # names a bad field first


def parse_json(data: bytes, path: Path) -> object:
    """JSON from a file's bytes; malformed JSON is an InputError naming ``path``."""
    try:
        return json.loads(data.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        lines = str(exc).strip().splitlines()
        first = lines[0] if lines else type(exc).__name__
        raise input_error(path, f"not valid JSON ({first})") from None


def _expected_features(n_features: int, kind: str, role: str) -> list[str]:
    role = role.rsplit(".", 1)[-1]  # a bagged learner's "bag<i>.<role>"
    names = feature_names(n_features)
    if kind == "solo":
        return names + [name + INTERACTION_SUFFIX for name in names] + ["treatment"]
    if kind == "two-ddr" and role == "treated":
        return names + ["ddr_control"]
    return names


def _load_learner(
    folder: Path, target: str, entry: dict, n_features: int, boosters: Mapping[str, bytes]
) -> Learner:
    loaded = {}
    for role, info in sorted(entry["boosters"].items()):
        path = folder / str(info["file"])
        if path.name != info["file"] or info["file"] not in boosters:
            raise retrain_error(folder, f"booster file '{info['file']}' is missing")
        data = boosters[info["file"]]
        if hashlib.sha256(data).hexdigest() != info["sha256"]:
            raise retrain_error(
                path, "was changed after training (SHA-256 differs from model.json)"
            )
        try:
            booster = lgb.Booster(model_str=data.decode("utf-8"))
        except (lgb.basic.LightGBMError, UnicodeDecodeError) as exc:
            raise retrain_error(path, f"is not a LightGBM model ({exc})") from None
        if booster.feature_name() != _expected_features(n_features, entry["kind"], role):
            raise retrain_error(path, "has features that do not match model.json")
        loaded[role] = booster
    params = {key: float(value) for key, value in entry.get("params", {}).items()}
    return Learner(str(entry["kind"]), target, loaded, params)


def read_description(
    description: object, saved_manifest: object, digests: Mapping[str, str | None], folder: Path
) -> dict:
    """Check ``model.json`` (kind, versions, schema), then every file against the manifest.

    ``saved_manifest`` is the parsed manifest.json (None when the folder has none), ``digests``
    the SHA-256 of every file of the folder.
    """
    check_description(description, folder)
    if saved_manifest is None:  # then any edit that the schema allows
        raise retrain_error(
            folder,
            f"has no {MANIFEST_FILE} (saved by an older uplift-lab, or copied incompletely)",
        )
    check_manifest(saved_manifest, digests, folder)
    return description


def _optional_float(value) -> float | None:
    return None if value is None else float(value)


def model_from_files(files: Mapping[str, bytes], folder: Path) -> UpliftModel:
    """Rebuild an :class:`UpliftModel` from every file of a model folder, held in memory.

    The checks are those of reading the folder: model.json, then the manifest, then boosters.
    ``folder`` names the folder in messages.
    """
    folder = Path(folder)
    if MODEL_FILE not in files:
        raise usage_error(
            folder, f"is not a model folder (it has no {MODEL_FILE})", NOT_A_MODEL_FIX
        )
    description = parse_json(files[MODEL_FILE], folder / MODEL_FILE)
    saved = files.get(MANIFEST_FILE)
    check_description(description, folder)
    saved_manifest = None if saved is None else parse_json(saved, folder / MANIFEST_FILE)
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    read_description(description, saved_manifest, digests, folder)
    return model_from_description(description, files, folder)


def model_from_description(
    description: dict, boosters: Mapping[str, bytes], folder: Path
) -> UpliftModel:
    """The model a checked ``model.json`` describes, its boosters given as file bytes by name."""
    try:
        specs = tuple(FeatureSpec.from_json(item) for item in description["features"])
        arm_models = []
        for entry in description["arm_models"]:
            conversion = _load_learner(
                folder, "conversion", entry["conversion"], len(specs), boosters
            )
            revenue = None
            if entry.get("revenue"):
                revenue = _load_learner(folder, "revenue", entry["revenue"], len(specs), boosters)
            arm_models.append(ArmModel(str(entry["arm"]), conversion, revenue))
        saved_settings = description["lightgbm_settings"]
        settings = LightGBMSettings(
            **{
                name: saved_settings[name]
                for name in LightGBMSettings.__slots__
                if name in saved_settings
            }
        )
        for entry in (description.get("calibration") or {}).values():
            for fitted in entry.values():
                UpliftCalibration.from_json(fitted)  # refuse a malformed one now, not mid-scoring
        return UpliftModel(
            id_col=str(description["id_col"]),
            control=str(description["control"]),
            arms=tuple(str(arm) for arm in description["arms"]),
            specs=specs,
            arm_models=tuple(arm_models),
            settings=settings,
            training_sha256=str(description["training_sha256"]),
            n_rows=int(description["n_rows"]),
            cv_metrics=dict(description["cv_metrics"]),
            meta={"uplift_lab_version": description.get("uplift_lab_version")},
            # Absent in models saved before these fields existed: text ids, no calibration.
            id_kind=str(description.get("id_kind", "text")),
            value_per_conversion=_optional_float(description.get("value_per_conversion")),
            calibration=description.get("calibration"),
            feature_choice=description.get("feature_choice"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise retrain_error(folder / MODEL_FILE, f"is incomplete ({exc})") from None
