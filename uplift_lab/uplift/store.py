"""Save and load uplift models without pickle: LightGBM text boosters plus ``model.json``.

A model folder holds one ``*.txt`` booster per role (LightGBM's own text format) and a
``model.json`` describing everything else: model kinds per arm, features with their dtypes and
categorical levels, the training data's SHA-256, cross-validated metrics, package and LightGBM
versions and a schema version. Loading parses JSON and booster text only, so it never runs code
from the files; it refuses other schema versions, another LightGBM major version, a ``model.json``
that breaks its schema (:mod:`uplift_lab.uplift.schema`) and any file whose SHA-256 no longer
matches ``manifest.json`` (written last, it hashes model.json, every booster and the held-out
predictions), so no edit of a model folder goes unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from uplift_lab import __version__, io
from uplift_lab.errors import input_error
from uplift_lab.uplift.calibration import UpliftCalibration
from uplift_lab.uplift.data import ROW_ID, FeatureSpec
from uplift_lab.uplift.models import (
    INTERACTION_SUFFIX,
    ArmModel,
    Learner,
    LightGBMSettings,
    feature_names,
)
from uplift_lab.uplift.schema import RETRAIN_FIX, validate_model_description
from uplift_lab.uplift.train import UpliftModel

SCHEMA_VERSION = 1
MODEL_FILE = "model.json"
CV_PREDICTIONS_FILE = "cv_predictions.parquet"
MANIFEST_FILE = "manifest.json"
MANIFEST_VERSION = 1
NOT_A_MODEL_FIX = (
    "Pass the --out folder of uplift-lab train; make one with uplift-lab train --data CAMPAIGN "
    "--treatment-col ARM --control LABEL --outcome-col CONVERTED --out FOLDER"
)


def _lightgbm_version() -> str:
    import lightgbm as lgb

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


def write_model_files(model: UpliftModel, folder: Path) -> None:
    """Write boosters and model.json into an existing (staging) folder."""
    files: dict = {}
    for index, arm_model in enumerate(model.arm_models):
        for target in ("conversion", "revenue"):
            learner = getattr(arm_model, target)
            if learner is None:
                continue
            entries = {}
            for role, booster in sorted(learner.boosters.items()):
                name = f"arm{index}_{target}_{role}.txt"
                path = io.write_text(booster.model_to_string(), Path(folder) / name)
                entries[role] = {"file": name, "sha256": io.sha256_file(path)}
            files[(index, target)] = entries
    io.write_json(model_description(model, files), Path(folder) / MODEL_FILE)


def save_model(
    model: UpliftModel,
    folder: Path,
    *,
    force: bool = False,
    cv_predictions=None,
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


def write_manifest(folder: Path) -> Path:
    """Write ``manifest.json``: the SHA-256 of every other file of the (staging) folder."""
    folder = Path(folder)
    files = {
        path.name: io.sha256_file(path)
        for path in sorted(folder.iterdir())
        if path.is_file() and path.name != MANIFEST_FILE
    }
    payload = {"manifest_version": MANIFEST_VERSION, "algorithm": "sha256", "files": files}
    return io.write_json(payload, folder / MANIFEST_FILE)


def verify_manifest(folder: Path) -> None:
    """Refuse a model folder whose files differ from what ``manifest.json`` recorded at saving.

    Every listed file must be there with its SHA-256; a file the manifest does not list (other
    than hidden ones) is refused too, since nothing of a saved model is added afterwards.
    """
    folder = Path(folder)
    path = folder / MANIFEST_FILE
    if not path.is_file():
        raise input_error(
            folder,
            f"has no {MANIFEST_FILE} (saved by an older uplift-lab, or copied incompletely)",
            RETRAIN_FIX,
        )
    manifest = io.read_json(path)
    files = manifest.get("files") if isinstance(manifest, dict) else None
    valid = (
        isinstance(manifest, dict)
        and manifest.get("manifest_version") == MANIFEST_VERSION
        and isinstance(files, dict)
        and MODEL_FILE in files
        and all(isinstance(name, str) and isinstance(h, str) for name, h in files.items())
    )
    if not valid:
        raise input_error(path, "is not a model manifest (edited or damaged)", RETRAIN_FIX)
    for name, digest in sorted(files.items()):
        listed = folder / name
        if listed.name != name or not listed.is_file():
            raise input_error(
                folder, f"file '{name}' listed in {MANIFEST_FILE} is missing", RETRAIN_FIX
            )
        if io.sha256_file(listed) != digest:
            raise input_error(
                listed,
                f"was changed after training (SHA-256 differs from {MANIFEST_FILE})",
                RETRAIN_FIX,
            )
    extra = sorted(
        p.name
        for p in folder.iterdir()
        if p.name not in files and p.name != MANIFEST_FILE and not p.name.startswith(".")
    )
    if extra:
        raise input_error(
            folder / extra[0],
            f"was added after training (not in {MANIFEST_FILE})",
            "Remove it, or retrain: " + RETRAIN_FIX,
        )


def _expected_features(n_features: int, kind: str, role: str) -> list[str]:
    role = role.rsplit(".", 1)[-1]  # a bagged learner's "bag<i>.<role>"
    names = feature_names(n_features)
    if kind == "solo":
        return names + [name + INTERACTION_SUFFIX for name in names] + ["treatment"]
    if kind == "two-ddr" and role == "treated":
        return names + ["ddr_control"]
    return names


def _load_learner(folder: Path, target: str, entry: dict, n_features: int) -> Learner:
    import lightgbm as lgb

    boosters = {}
    for role, info in sorted(entry["boosters"].items()):
        path = folder / str(info["file"])
        if path.name != info["file"] or not path.is_file():
            raise input_error(folder, f"booster file '{info['file']}' is missing", RETRAIN_FIX)
        if io.sha256_file(path) != info["sha256"]:
            raise input_error(
                path, "was changed after training (SHA-256 differs from model.json)", RETRAIN_FIX
            )
        try:
            booster = lgb.Booster(model_file=str(path))
        except lgb.basic.LightGBMError as exc:
            raise input_error(path, f"is not a LightGBM model ({exc})", RETRAIN_FIX) from None
        if booster.feature_name() != _expected_features(n_features, entry["kind"], role):
            raise input_error(path, "has features that do not match model.json", RETRAIN_FIX)
        boosters[role] = booster
    params = {key: float(value) for key, value in entry.get("params", {}).items()}
    return Learner(str(entry["kind"]), target, boosters, params)


def read_model_description(folder: Path) -> dict:
    """Read and check ``model.json`` (schema and LightGBM versions) without loading boosters."""
    folder = Path(folder)
    if not folder.is_dir():
        raise input_error(folder, "is not a model folder", NOT_A_MODEL_FIX)
    if not (folder / MODEL_FILE).is_file():
        raise input_error(
            folder, f"is not a model folder (it has no {MODEL_FILE})", NOT_A_MODEL_FIX
        )
    description = io.read_json(folder / MODEL_FILE)
    if not isinstance(description, dict) or description.get("model_kind") != "uplift":
        raise input_error(folder / MODEL_FILE, "is not an uplift-lab model description")
    schema = description.get("schema_version")
    if schema != SCHEMA_VERSION:
        raise input_error(
            folder / MODEL_FILE,
            f"has schema version {schema}; this uplift-lab reads version {SCHEMA_VERSION}",
            RETRAIN_FIX,
        )
    saved = str(description.get("lightgbm_version", ""))
    if saved.split(".")[0] != _lightgbm_version().split(".")[0]:
        raise input_error(
            folder / MODEL_FILE,
            f"was trained with LightGBM {saved}, this environment has {_lightgbm_version()}",
            RETRAIN_FIX,
        )
    validate_model_description(description, folder / MODEL_FILE)  # names a bad field first
    verify_manifest(folder)  # then any edit that the schema allows
    return description


def _optional_float(value) -> float | None:
    return None if value is None else float(value)


def load_model(folder: Path) -> UpliftModel:
    """Rebuild an :class:`UpliftModel` from a model folder (boosters and JSON only)."""
    folder = Path(folder)
    description = read_model_description(folder)
    try:
        specs = tuple(FeatureSpec.from_json(item) for item in description["features"])
        arm_models = []
        for entry in description["arm_models"]:
            conversion = _load_learner(folder, "conversion", entry["conversion"], len(specs))
            revenue = None
            if entry.get("revenue"):
                revenue = _load_learner(folder, "revenue", entry["revenue"], len(specs))
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
        raise input_error(folder / MODEL_FILE, f"is incomplete ({exc})", RETRAIN_FIX) from None


def output_columns(model: UpliftModel) -> list[str]:
    """The score columns ``score`` writes for ``model`` (after the id column)."""
    from uplift_lab.uplift.train import score_matrix

    probe = score_matrix(model, np.zeros((1, len(model.specs))))
    return list(probe)


def with_reference_date(model: UpliftModel, as_of: str) -> UpliftModel:
    """``model`` with its date features counting days before ``as_of`` instead."""
    from dataclasses import replace

    from uplift_lab.timeparse import parse_date_option

    moment = parse_date_option(as_of, "--as-of", "2026-11-01")
    specs = tuple(
        replace(spec, days_before=moment.isoformat()) if spec.days_before else spec
        for spec in model.specs
    )
    return replace(model, specs=specs)


@dataclass(frozen=True, slots=True)
class ScoreSummary:
    """What ``score_file`` wrote."""

    out: Path
    rows: int
    columns: tuple[str, ...]


def score_file(
    model: UpliftModel,
    customers: Path,
    out: Path,
    *,
    batch_rows: int = 500_000,
    encoding: str | None = None,
    as_of: str | None = None,
) -> ScoreSummary:
    """Score a customer file in batches of ``batch_rows`` and write one row per customer.

    Only the id and feature columns are read; missing feature columns are an error naming them
    all, extra columns are ignored. Without an id column in training (ids were row numbers), row
    numbers are used again. Integer ids stay integers. Date features count days before the
    training's reference date, or before ``as_of`` (the next campaign's start) when given. The
    output is written atomically.
    """
    from uplift_lab.uplift.train import score_frame

    if as_of is not None:
        model = with_reference_date(model, as_of)
    if batch_rows < 1:
        raise input_error("--batch-rows", f"must be at least 1, got {batch_rows}")
    if Path(out).resolve() == Path(customers).resolve():
        raise input_error(out, "--out is the customers file", "Choose another --out")
    available = set(io.table_column_names(customers, encoding=encoding))
    features = [spec.name for spec in model.specs]
    missing = [name for name in features if name not in available]
    if missing:
        raise input_error(
            customers,
            f"missing feature column(s) {', '.join(missing)} that the model was trained on",
            "Add them with the same names as in training",
        )
    has_ids = model.id_col in available
    if not has_ids and model.id_col != ROW_ID:
        raise input_error(
            customers,
            f"missing id column '{model.id_col}' (the model's id column)",
            "Add it, with the same name as in training",
        )
    columns = ([model.id_col] if has_ids else []) + features
    text_columns = [model.id_col] + [s.name for s in model.specs if s.kind == "categorical"]

    written = {"columns": ()}

    def batches():
        offset = 0
        id_hashes = []  # 8 bytes per customer: duplicates across batches are found at the end
        for frame in io.iter_table_batches(
            customers,
            columns=columns,
            string_columns=text_columns,
            batch_rows=batch_rows,
            encoding=encoding,
        ):
            scored = score_frame(model, frame, customers, row_offset=offset)
            ids = scored[model.id_col]
            id_hashes.append(pd.util.hash_pandas_object(ids, index=False).to_numpy())
            written["columns"] = tuple(scored.columns)
            yield scored
            offset += len(frame)
        if offset == 0:
            raise input_error(customers, "has no rows", "Pass a file with at least one customer")
        # Raised before the output is moved into place, so no file is left behind.
        _refuse_duplicate_ids(np.concatenate(id_hashes), customers, model.id_col)

    rows = io.write_table_batches(batches(), out)
    return ScoreSummary(Path(out), rows, written["columns"])


def _refuse_duplicate_ids(hashes: np.ndarray, source: object, id_col: str) -> None:
    ordered = np.sort(hashes)
    repeats = int(np.count_nonzero(ordered[1:] == ordered[:-1]))
    if repeats:
        raise input_error(
            source,
            f"column '{id_col}' has {repeats} duplicate id(s)",
            "Each customer must appear once; deduplicate the file",
        )


@dataclass(frozen=True)
class EvaluationReport:
    """What ``evaluate_model_folder`` computed and wrote: a JSON summary and lines to print."""

    out: Path
    summary: dict
    lines: tuple[str, ...]
    evaluations: tuple = ()


def _json_safe(value):
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def evaluate_model_folder(
    model_dir: Path, out: Path, *, seed: int = 0, force: bool = False, labels=None
) -> EvaluationReport:
    """Evaluate a model folder's held-out predictions and write the report folder ``out``.

    The report (report.md, report.html, metrics.json, PNG plots) is written by
    ``uplift_lab.report.model_report.write_model_report`` in the language of ``labels`` (a
    :class:`uplift_lab.report.labels.Labels`, default English); ``evaluation.json`` adds the
    summary.
    """
    from uplift_lab.report.labels import EN
    from uplift_lab.report.model_report import write_model_report
    from uplift_lab.uplift.train import evaluate_held_out

    description = read_model_description(model_dir)
    predictions_path = Path(model_dir) / CV_PREDICTIONS_FILE
    if not predictions_path.is_file():
        raise input_error(model_dir, f"has no {CV_PREDICTIONS_FILE}", RETRAIN_FIX)
    predictions = io.read_table(predictions_path, string_columns=["arm", "assigned_arm"])
    evaluations = evaluate_held_out(predictions, description, seed=seed, source=predictions_path)
    summary = {
        "control": description["control"],
        "model": Path(model_dir).name,
        "choice": description["cv_metrics"]["choice"],
        "results": [],
    }
    lines = []
    for arm, target, evaluation in evaluations:
        table = evaluation.comparison_table()
        chosen = description["cv_metrics"]["choice"][arm][target]
        verdicts = {item.name: item.verdict for item in evaluation.scores}
        summary["results"].append(
            {
                "arm": arm,
                "outcome": target,
                "chosen": chosen,
                "table": table.to_dict(orient="records"),
                "verdicts": verdicts,
                "notes": list(evaluation.notes),
            }
        )
        lines.append(f"{arm} vs {description['control']}, {target}:")
        for row in table.to_dict(orient="records"):
            lines.append(
                f"  {row['label']:<34} Qini {row['pooled_qini_coefficient']:8.4f} "
                f"[{row['pooled_qini_coefficient_ci_low']:.4f}, "
                f"{row['pooled_qini_coefficient_ci_high']:.4f}] (customer bootstrap)"
                f"  {row['verdict']}"
            )
        lines.append(f"  chosen model: {verdicts[f'uplift_{target}__{chosen}']}")
    summary = _json_safe(summary)
    with io.atomic_directory(Path(out), force=force) as staging:
        write_model_report(evaluations, description, staging, labels or EN)
        io.write_json(summary, staging / "evaluation.json")
    return EvaluationReport(Path(out), summary, tuple(lines), tuple(evaluations))


NO_SCORE_FIX = (
    "Score every customer of the campaign first: uplift-lab score MODEL CUSTOMERS --out SCORES"
)


def _campaign_treated_arm(
    frame: pd.DataFrame, arm_col: str, control: str, treated: str | None
) -> str | None:
    """The treated label compared: ``treated``, else the only non-control label (or None)."""
    if treated is not None:
        return treated
    labels = set(frame[arm_col].dropna().astype(str)) - {control}
    return labels.pop() if len(labels) == 1 else None


def _default_score_columns(columns: list[str], treated: str | None, source: object) -> list[str]:
    """The uplift columns ``score`` wrote for the compared arm ``treated``.

    A model with per-arm columns (``uplift_conversion_<arm>``) must have been trained for the
    campaign's treated arm; a score of another arm would be validated on the wrong message.
    """
    prefix = "uplift_conversion_"
    arms = sorted(name.removeprefix(prefix) for name in columns if name.startswith(prefix))
    if arms and treated not in arms:
        if treated is None:
            raise input_error(
                source,
                f"has uplift columns for several arms ({', '.join(arms)})",
                "Name the arm to evaluate with --treated",
            )
        raise input_error(
            source,
            f"has no scores for the campaign's treated arm '{treated}' (the model's arms: "
            f"{', '.join(arms)})",
            "Pass --treated with one of the model's arms, or --score-cols to compare anyway",
        )
    plain = [name for name in ("uplift_conversion", "uplift_revenue") if name in columns]
    if arms == [treated] and plain:
        return plain  # one treated arm: score's plain columns are that arm's
    if arms:
        return [f"uplift_{target}_{treated}" for target in ("conversion", "revenue")
                if f"uplift_{target}_{treated}" in columns]  # fmt: skip
    plain = [name for name in ("uplift_conversion", "uplift_revenue") if name in columns]
    if plain:
        return plain
    raise input_error(source, "has no uplift_* columns", "Pass the columns with --score-cols")


def join_scores_and_outcomes(
    scores: pd.DataFrame,
    outcomes: pd.DataFrame,
    id_col: str,
    scores_source: object,
    outcomes_source: object,
) -> pd.DataFrame:
    """One row per campaign customer: its outcomes and its scores, joined on ``id_col``.

    Every customer of the campaign (``outcomes``) must have a score; scored customers who were
    not in the campaign are dropped. Ids are compared as text.
    """
    from uplift_lab.contracts import ids_as_text, require_columns

    require_columns(scores, (id_col,), scores_source)
    require_columns(outcomes, (id_col,), outcomes_source)
    score_ids = ids_as_text(scores, id_col, scores_source, unique=True)
    outcome_ids = ids_as_text(outcomes, id_col, outcomes_source, unique=True)
    unscored = ~outcome_ids.isin(set(score_ids))
    if unscored.all():
        raise input_error(
            outcomes_source,
            f"no id in column '{id_col}' matches {scores_source} (e.g. '{outcome_ids.iloc[0]}'"
            f" vs '{score_ids.iloc[0] if len(score_ids) else ''}')",
            "Check that both files use the same customer ids; " + NO_SCORE_FIX,
        )
    if unscored.any():
        raise input_error(
            outcomes_source,
            f"{int(unscored.sum()):,} of {len(outcome_ids):,} customers have no score in "
            f"{scores_source} (e.g. '{outcome_ids[unscored].iloc[0]}')",
            NO_SCORE_FIX,
        )
    left = outcomes.assign(**{id_col: outcome_ids.to_numpy()})
    right = scores.assign(**{id_col: score_ids.to_numpy()})
    shared = [name for name in right.columns if name in left.columns and name != id_col]
    left = left.drop(columns=shared)  # a score file's column wins over the campaign file's
    return left.merge(right, on=id_col, how="left", validate="one_to_one")


def evaluate_scores_against_outcomes(
    scores_path: Path,
    out_dir: Path,
    *,
    outcomes_path: Path | None = None,
    id_col: str | None = None,
    arm_col: str | None = None,
    control: str | None = None,
    conversion_col: str | None = None,
    revenue_col: str | None = None,
    score_cols: list[str] | None = None,
    treated: str | None = None,
    rfm_cols: dict[str, str] | None = None,
    campaign=None,
    n_splits: int = 5,
    seed: int = 0,
    force: bool = False,
    encoding: str | None = None,
    labels=None,
):
    """Validate scores on a later randomized campaign: the model never saw these outcomes.

    ``scores_path`` is ``score``'s output (or any table with uplift columns); ``outcomes_path``
    holds the campaign's customers with their arm and outcomes, joined on ``id_col`` (default:
    the scores file's first column, as ``score`` writes it). Without ``outcomes_path`` the
    scores file must hold the arm and outcomes itself. ``campaign`` (a
    :class:`~uplift_lab.uplift.data.CampaignOutcomes` from an experiment folder and the order
    log) replaces ``outcomes_path``, ``arm_col``, ``control`` and the outcome columns. The
    report is that of ``uplift_lab.report.model_report.evaluate_scores_file`` (every score
    against the random, RFM-rule and purchase-probability baselines, CIs over ``n_splits``
    random parts), written atomically to ``out_dir``. Returns its
    :class:`~uplift_lab.report.model_report.ModelReport`.
    """
    from uplift_lab.contracts import require_columns
    from uplift_lab.report.model_report import render_model_report
    from uplift_lab.uplift.data import check_rfm_parts, rfm_baseline_values
    from uplift_lab.uplift.evaluate import evaluate_scores

    scores_path = Path(scores_path)
    if id_col is None:
        id_col = io.table_column_names(scores_path, encoding=encoding)[0]
    scores = io.read_table(scores_path, encoding=encoding, string_columns=[id_col])
    source: object = scores_path
    if campaign is not None:
        arm_col, control = "arm", campaign.control
        conversion_col, revenue_col = "converted", "revenue"
        outcomes = campaign.table.rename(columns={"customer_id": id_col})
        source = campaign.source
        frame = join_scores_and_outcomes(scores, outcomes, id_col, scores_path, source)
    elif outcomes_path is not None:
        outcomes_path = Path(outcomes_path)
        outcomes = io.read_table(outcomes_path, encoding=encoding, string_columns=[id_col, arm_col])
        require_columns(
            outcomes,
            [arm_col, conversion_col] + ([revenue_col] if revenue_col else []),
            outcomes_path,
        )
        frame = join_scores_and_outcomes(scores, outcomes, id_col, scores_path, outcomes_path)
        source = outcomes_path
    else:
        frame = scores
    require_columns(
        frame, [arm_col, conversion_col] + ([revenue_col] if revenue_col else []), source
    )
    if not score_cols:
        arm = _campaign_treated_arm(frame, arm_col, control, treated)
        score_cols = _default_score_columns(list(scores.columns), arm, scores_path)
    columns = list(score_cols)
    require_columns(scores, columns, scores_path)
    converted = frame[conversion_col]
    if not converted.isna().any() and pd.api.types.is_numeric_dtype(converted):
        if not converted.isin((0, 1)).all():
            raise input_error(
                source,
                f"column '{conversion_col}' must be 0/1 (converted or not)",
                "Pass spend as --revenue-col and a 0/1 column as --conversion-col",
            )
    if rfm_cols:
        rfm = rfm_baseline_values(frame, check_rfm_parts(rfm_cols), source)
        frame = frame.drop(columns=[name for name in rfm.columns if name in frame.columns])
        frame = pd.concat([frame.reset_index(drop=True), rfm], axis=1)
    evaluations = [
        evaluate_scores(
            frame,
            score_cols=columns,
            outcome_col=outcome,
            treatment_col=arm_col,
            control=control,
            treated=treated,
            n_splits=n_splits,
            response_col="p_control",
            seed=seed,
            source=source,
        )
        for outcome in [conversion_col, *([revenue_col] if revenue_col else [])]
    ]
    context = [f"Scores: `{scores_path.name}` (the model did not see these outcomes)."]
    if campaign is not None:
        context.append(
            f"Campaign outcomes: orders from {campaign.start.date()} for {campaign.window_days} "
            f"days, {len(frame):,} customers of the experiment joined on `{id_col}`."
        )
    elif outcomes_path is not None:
        context.append(
            f"Campaign outcomes: `{outcomes_path.name}`, {len(frame):,} customers joined on "
            f"`{id_col}`."
        )
    from uplift_lab.report.labels import EN

    labels = labels or EN
    return render_model_report(
        evaluations,
        out_dir,
        title=labels("Uplift evaluation on a later campaign: {name}", name=scores_path.name),
        context=context,
        force=force,
        labels=labels,
    )
