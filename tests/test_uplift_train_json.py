"""model.json stays valid JSON when a held-out metric is undefined (issue 10, "fix on the way")."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from uplift_lab.segment import segment_customers
from uplift_lab.synth import generate_shop
from uplift_lab.uplift.data import table_training_data
from uplift_lab.uplift.train import train_uplift_model
from uplift_lab.workflows.model_folder import save_model

ISSUE_FEATURES = ["recency_days", "frequency", "monetary", "aov", "tenure_days"]


def _issue_campaign(n: int) -> pd.DataFrame:
    """The issue's recipe: segment output, random 50/50 arms, 3% conversion + 4 points when
    30 < recency_days < 180 in the send arm, no revenue column."""
    shop = generate_shop(int(n * 1.4), seed=1)
    frame = segment_customers(shop.orders, as_of=shop.as_of).table.head(n).copy()
    rng = np.random.default_rng(0)
    frame["arm"] = np.where(rng.random(len(frame)) < 0.5, "send", "control")
    window = (frame["recency_days"] > 30) & (frame["recency_days"] < 180)
    p = 0.03 + 0.04 * (window & (frame["arm"] == "send"))
    frame["converted"] = (rng.random(len(frame)) < p).astype(int)
    return frame.reset_index(drop=True)


def test_train_writes_valid_json_when_an_arm_is_absent_from_a_baselines_top_k(tmp_path) -> None:
    frame = _issue_campaign(3000)
    data = table_training_data(
        frame,
        "campaign.parquet",
        treatment_col="arm",
        control="control",
        outcome_col="converted",
        id_col="customer_id",
        features=ISSUE_FEATURES,
    )
    result = train_uplift_model(data)
    baselines = result.model.cv_metrics["baselines"]
    save_model(result.model, tmp_path / "model", cv_predictions=result.cv_predictions)
    text = (tmp_path / "model" / "model.json").read_text(encoding="utf-8")
    description = json.loads(text, parse_constant=_refuse_constant)
    saved = description["cv_metrics"]["baselines"]
    # The case of the issue: some baseline's uplift@k is undefined on every fold (written as null).
    undefined = [
        (row["kind"], key)
        for row in saved
        for key, value in row.items()
        if key.startswith("uplift_at_") and value is None
    ]
    assert undefined, "the data no longer reproduces an undefined uplift@k"
    assert [row["kind"] for row in saved] == [row["kind"] for row in baselines]


def _refuse_constant(name: str):
    pytest.fail(f"model.json holds the non-JSON constant {name}")
