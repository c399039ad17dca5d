"""Scoring customers with a trained model: per-arm uplift columns, calibrated, and the ids.

:func:`score_frame` is what ``score`` applies to every batch of customers (on DuckDB batches and
on Spark partitions alike), so the same model gives the same scores on every engine.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from uplift_lab.contracts import ids_as_text
from uplift_lab.errors import input_error
from uplift_lab.timeparse import parse_date_option
from uplift_lab.uplift.calibration import UpliftCalibration
from uplift_lab.uplift.data import ROW_ID
from uplift_lab.uplift.features import encode_features
from uplift_lab.uplift.predict import predict_arm
from uplift_lab.uplift.train import UpliftModel

RAW_PREFIX = "raw_"  # uncalibrated scores: raw_uplift_conversion, raw_uplift_revenue_<arm>, ...


def _arm_uplift(model: UpliftModel, arm: str, prediction) -> dict[str, np.ndarray]:
    """One arm's uplift columns: calibrated when the model has a calibration (the raw
    predictions beside them), revenue as V x conversion when the model has a value V, and the
    decomposition's revenue as calibrated conversion uplift x expected order value."""
    calibration = (model.calibration or {}).get(arm, {})

    def calibrated(raw: np.ndarray, target: str) -> np.ndarray:
        fitted = calibration.get(target)
        return raw if fitted is None else UpliftCalibration.from_json(fitted).apply(raw)

    conversion, revenue = f"uplift_conversion_{arm}", f"uplift_revenue_{arm}"
    raw = {conversion: prediction.uplift_conversion}
    out = {conversion: calibrated(prediction.uplift_conversion, "conversion")}
    if model.value_per_conversion is not None:
        raw[revenue] = model.value_per_conversion * raw[conversion]
        out[revenue] = model.value_per_conversion * out[conversion]
    elif prediction.order_value is not None:
        # The decomposition calibrates through its conversion part (binary outcomes pin the
        # slope far better than heavy-tailed revenue, whose noisy slope can flatten the ranking).
        raw[revenue] = prediction.uplift_revenue
        out[revenue] = out[conversion] * prediction.order_value
    elif prediction.uplift_revenue is not None:
        raw[revenue] = prediction.uplift_revenue
        out[revenue] = calibrated(prediction.uplift_revenue, "revenue")
    if calibration:
        out.update({RAW_PREFIX + name: values for name, values in raw.items()})
    return out


def score_matrix(model: UpliftModel, matrix: np.ndarray) -> dict[str, np.ndarray]:
    """Score encoded customers: per-arm columns, and plain ones when there is one treated arm.

    ``uplift_*`` columns are calibrated (see uplift/calibration.py) when the model holds a
    calibration; the model's own predictions are then kept as ``raw_uplift_*``.
    """
    columns: dict[str, np.ndarray] = {}
    p_controls = []
    for arm_model in model.arm_models:
        prediction = predict_arm(arm_model, matrix)
        columns.update(_arm_uplift(model, arm_model.arm, prediction))
        columns[f"p_treated_{arm_model.arm}"] = prediction.p_treated
        p_controls.append(prediction.p_control)
    plain: dict[str, np.ndarray] = {}
    arm = model.arm_models[0].arm
    single = len(model.arm_models) == 1
    names = ["uplift_conversion", "uplift_revenue"]

    def arm_columns(wanted: list[str]) -> dict[str, np.ndarray]:
        return {name: columns[f"{name}_{arm}"] for name in wanted if f"{name}_{arm}" in columns}

    if single:
        plain.update(arm_columns(names))
    # Each arm's model estimates p_control from the same control customers; report their mean.
    plain["p_control"] = np.mean(p_controls, axis=0)
    if single:
        plain["p_treated"] = columns[f"p_treated_{arm}"]
        plain.update(arm_columns([RAW_PREFIX + name for name in names]))
    return {**plain, **columns}


def _typed_ids(text: pd.Series, model: UpliftModel, source: object):
    """The ids as the model's training data had them: int64 for integer ids, else text."""
    if model.id_kind != "integer":
        return pd.array(text.to_numpy(dtype=object), dtype="string")
    plain = text.str.fullmatch(r"-?(?:0|[1-9][0-9]{0,17})")
    if not plain.all():
        raise input_error(
            source,
            f"column '{model.id_col}' has '{text[~plain].iloc[0]}', but the model was trained "
            "with integer ids",
            "Score a file with the same kind of ids as in training",
        )
    return pd.array(text.astype("int64").to_numpy(), dtype=np.int64)


def score_frame(
    model: UpliftModel, frame: pd.DataFrame, source: object, *, row_offset: int = 0
) -> pd.DataFrame:
    """Score one batch of customers: the id column followed by :func:`score_matrix`'s columns.

    A model trained without an id column (ids were row numbers) numbers the rows again,
    starting at ``row_offset``.
    """
    matrix = encode_features(frame, model.specs, source)
    if model.id_col in frame.columns:
        text = ids_as_text(frame, model.id_col, source, unique=True)
        ids = _typed_ids(text, model, source)
    elif model.id_col == ROW_ID:
        ids = pd.array(np.arange(row_offset, row_offset + len(frame), dtype=np.int64))
        if model.id_kind != "integer":  # a model saved before ids kept their type
            ids = ids.astype("string")
    else:
        raise input_error(source, f"missing id column '{model.id_col}'", "Add it")
    out = pd.DataFrame({model.id_col: ids})
    for name, values in score_matrix(model, matrix).items():
        out[name] = values
    return out


def output_columns(model: UpliftModel) -> list[str]:
    """The score columns ``score`` writes for ``model`` (after the id column)."""
    probe = score_matrix(model, np.zeros((1, len(model.specs))))
    return list(probe)


def with_reference_date(model: UpliftModel, as_of: str) -> UpliftModel:
    """``model`` with its date features counting days before ``as_of`` instead."""
    moment = parse_date_option(as_of, "as_of", "2026-11-01")
    specs = tuple(
        replace(spec, days_before=moment.isoformat()) if spec.days_before else spec
        for spec in model.specs
    )
    return replace(model, specs=specs)
