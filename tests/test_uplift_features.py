"""Default features, date derivations, typed ids, a fixed value per conversion and calibrated
scores (issue 10): training's choices are stored in model.json and applied again by `score`."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from tests.test_uplift_models import FAST, simulated_campaign
from uplift_lab.cli import app
from uplift_lab.cli._common import error_message
from uplift_lab.errors import InputError
from uplift_lab.uplift.data import table_training_data
from uplift_lab.uplift.features import choose_default_features, encode_features, text_date_format
from uplift_lab.uplift.scoring import score_matrix
from uplift_lab.uplift.train import train_uplift_model
from uplift_lab.workflows.model_folder import load_model, save_model
from uplift_lab.workflows.score import score_file
from uplift_lab.workflows.training_data import load_table_training_data

REFERENCE = date(2026, 6, 1)


def _messy_campaign(n: int = 1200, seed: int = 5) -> pd.DataFrame:
    """The issue's table: a text signup date, a translated copy of a class, an all-empty column,
    a row-number key, a constant, free text, and the cycle features of `segment`."""
    frame, _ = simulated_campaign(n, seed=seed)
    rng = np.random.default_rng(seed)
    signup_days = rng.integers(0, 650, size=n)
    frame["signup_date"] = [
        date.fromordinal(REFERENCE.toordinal() - 1 - int(days)).isoformat() for days in signup_days
    ]
    frame["rfm_class"] = rng.choice(["champion", "at_risk", "new"], size=n)
    frame["rfm_class_zh"] = frame["rfm_class"].map(
        {"champion": "重要价值", "at_risk": "重要挽留", "new": "新客户"}
    )
    frame["empty"] = np.nan
    frame["cid"] = np.arange(n)
    frame["country"] = "CN"
    frame["comment"] = [f"note {rng.integers(900)}" for _ in range(n)]
    frame["overdue_ratio"] = rng.gamma(2.0, 1.0, size=n)
    frame["overdue_ratio_copy"] = frame["overdue_ratio"] * 1.0
    frame["main_category"] = rng.choice(["food", "beauty", "toys", "home"], size=n)
    return frame


def _data(frame: pd.DataFrame, **kwargs):
    options = dict(
        treatment_col="arm", control="control", outcome_col="converted", id_col="customer_id"
    )
    options.update(kwargs)
    return table_training_data(frame, "campaign.csv", **options)


def test_default_features_drop_what_an_analyst_would_and_say_why() -> None:
    frame = _messy_campaign()
    choice = choose_default_features(
        frame, [c for c in frame.columns if c not in {"arm", "converted", "customer_id"}]
    )
    assert choice.dropped == {
        "id": ("cid",),
        "near_unique": ("comment",),
        "constant": ("country",),
        "missing": ("empty",),
        "duplicate": ("rfm_class_zh (= rfm_class)", "overdue_ratio_copy (= overdue_ratio)"),
    }
    assert choice.columns[:2] == ("overdue_ratio", "main_category")  # cycle features first
    assert set(choice.columns) == {
        "overdue_ratio", "main_category", "x1", "x2", "cat", "spend", "rfm_class", "signup_date"
    }  # fmt: skip
    assert choice.date_columns == {"signup_date": "ISO8601"}


def test_text_dates_become_days_before_the_reference_date() -> None:
    frame = _messy_campaign()
    data = _data(frame.drop(columns="spend"), reference=pd.Timestamp(REFERENCE))
    spec = next(spec for spec in data.specs if spec.name == "signup_date")
    assert spec.kind == "numeric" and spec.days_before == "2026-06-01T00:00:00"
    column = [spec.name for spec in data.specs].index("signup_date")
    expected = [
        REFERENCE.toordinal() - date.fromisoformat(text).toordinal()
        for text in frame["signup_date"]
    ]
    np.testing.assert_array_equal(data.matrix()[:, column], expected)


def test_without_a_reference_dates_count_back_from_the_day_after_the_latest() -> None:
    frame = _messy_campaign()
    data = _data(frame.drop(columns="spend"))
    latest = max(date.fromisoformat(text) for text in frame["signup_date"])
    assert data.reference_date[:10] == date.fromordinal(latest.toordinal() + 1).isoformat()


def test_numbers_are_not_mistaken_for_dates() -> None:
    assert text_date_format(pd.Series(["20240105", "20240106"])) is None
    assert text_date_format(pd.Series(["2024/01/05", None, "2024/02/29"])) is not None
    assert text_date_format(pd.Series(["05.01.2024", "29.02.2024"])) == "%d.%m.%Y"
    assert text_date_format(pd.Series(["2024-01-05", "soon"])) is None


def test_a_date_that_does_not_parse_at_scoring_names_the_column() -> None:
    frame = _messy_campaign(300)
    data = _data(frame.drop(columns="spend"), reference=pd.Timestamp(REFERENCE))
    later = frame.assign(signup_date=["not a date"] + list(frame["signup_date"][1:]))
    with pytest.raises(InputError, match="date feature column 'signup_date' has 'not a date'"):
        encode_features(later, data.specs, "customers.csv")


@pytest.fixture(scope="module")
def messy_model(tmp_path_factory):
    frame = _messy_campaign(3000, seed=8)
    folder = tmp_path_factory.mktemp("models") / "messy"
    path = folder.parent / "campaign.csv"
    frame.drop(columns="spend").to_csv(path, index=False)
    data = load_table_training_data(
        path, treatment_col="arm", control="control", outcome_col="converted",
        id_col="customer_id", reference="2026-06-01",
    )  # fmt: skip
    result = train_uplift_model(
        data, conversion_model="two", n_folds=2, settings=FAST, value_per_conversion=10.0
    )
    save_model(result.model, folder, cv_predictions=result.cv_predictions)
    return frame, path, data, result, folder


def test_model_json_holds_the_derivations_calibration_and_value(messy_model) -> None:
    *_, folder = messy_model
    description = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    signup = next(item for item in description["features"] if item["name"] == "signup_date")
    assert signup["derivation"] == {
        "kind": "days_before", "reference": "2026-06-01T00:00:00", "date_format": "ISO8601"
    }  # fmt: skip
    assert description["value_per_conversion"] == 10.0
    assert description["id_kind"] == "text"
    assert description["feature_choice"]["dropped"]["duplicate"] == [
        "rfm_class_zh (= rfm_class)", "overdue_ratio_copy (= overdue_ratio)"
    ]  # fmt: skip
    calibration = description["calibration"]["send"]["conversion"]
    assert calibration["method"] == "deciles_shrunk" and len(calibration["deciles"]) == 10
    assert calibration["knots_raw"] == sorted(calibration["knots_raw"])
    assert calibration["knots_calibrated"] == sorted(calibration["knots_calibrated"])


def test_score_applies_training_transformations_and_calibration(messy_model, tmp_path) -> None:
    frame, path, data, result, folder = messy_model
    out = tmp_path / "scores.parquet"
    score_file(load_model(folder), path, out, batch_rows=700)
    scores = pd.read_parquet(out)
    expected = score_matrix(result.model, data.matrix())
    np.testing.assert_allclose(scores["raw_uplift_conversion"], expected["raw_uplift_conversion"])
    fitted = result.model.calibration["send"]["conversion"]
    raw = scores["raw_uplift_conversion"].to_numpy()
    # linear between the stored decile knots, flat beyond them, plus the 1e-6 x raw tie-breaker
    levels = np.interp(raw, fitted["knots_raw"], fitted["knots_calibrated"])
    np.testing.assert_allclose(scores["uplift_conversion"], levels + 1e-6 * raw)
    np.testing.assert_allclose(scores["uplift_revenue"], 10.0 * scores["uplift_conversion"])
    np.testing.assert_allclose(scores["raw_uplift_revenue"], 10.0 * scores["raw_uplift_conversion"])


def test_score_as_of_moves_the_date_reference(messy_model, tmp_path) -> None:
    from uplift_lab.uplift.scoring import with_reference_date

    frame, _, data, result, folder = messy_model
    moved = with_reference_date(load_model(folder), "2026-07-01")
    column = [spec.name for spec in moved.specs].index("signup_date")
    shift = encode_features(frame, moved.specs, "t")[:, column] - data.matrix()[:, column]
    np.testing.assert_array_equal(shift, 30.0)


def test_value_per_conversion_and_a_revenue_column_together_are_refused() -> None:
    data = _data(simulated_campaign(400)[0], revenue_col="spend", features=["x1", "x2"])
    with pytest.raises(InputError) as raised:
        train_uplift_model(data, value_per_conversion=10.0, n_folds=2, settings=FAST)
    assert str(raised.value) == (
        "'value_per_conversion': replaces the revenue column, but one was given too. Pass"
        " either 'revenue_col' (spend per customer) or value_per_conversion=V"
    )
    assert error_message(raised.value) == (
        "--value-per-conversion: replaces the revenue column, but one was given too. Pass"
        " either --revenue-col (spend per customer) or --value-per-conversion V"
    )


def test_a_revenue_column_with_two_values_is_accepted() -> None:
    frame, _ = simulated_campaign(400)
    frame["spend"] = 10.0 * frame["converted"]
    data = _data(frame, revenue_col="spend", features=["x1", "x2"])
    assert sorted(set(data.revenue)) == [0.0, 10.0]


# ------------------------------------------------------------------------- ids keep their type


def _integer_id_campaign(tmp_path, n: int = 1500):
    frame, _ = simulated_campaign(n, seed=4)
    frame = frame.drop(columns="customer_id").assign(ID=np.arange(5000, 5000 + n))
    path = tmp_path / "campaign.csv"
    frame[["ID", "x1", "x2", "cat", "arm", "converted"]].to_csv(path, index=False)
    return frame, path


def test_integer_ids_stay_integers_from_csv_to_scores(runner, tmp_path) -> None:
    frame, path = _integer_id_campaign(tmp_path)
    model = tmp_path / "model"
    result = runner.invoke(app, [
        "train", "--data", str(path), "--id-col", "ID", "--treatment-col", "arm", "--control",
        "control", "--outcome-col", "converted", "--model", "two", "--folds", "2",
        "--max-rounds", "30", "--value-per-conversion", "10", "--out", str(model),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Value per conversion 10" in result.output
    scores = tmp_path / "scores.parquet"
    result = runner.invoke(app, ["score", str(model), str(path), "--out", str(scores)])
    assert result.exit_code == 0, result.output
    written = pd.read_parquet(scores)
    assert written["ID"].dtype == np.int64
    assert written["ID"].tolist() == frame["ID"].tolist()
    # target reads the id column score wrote (ID, not customer_id)
    send = tmp_path / "send.csv"
    result = runner.invoke(app, [
        "target", str(scores), "--channel", "sms=0.15", "--budget", "auto", "--margin", "1",
        "--holdout", "0", "--out", str(send),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    sent = pd.read_csv(send)
    assert len(sent) > 0 and set(sent["customer_id"]) <= set(frame["ID"])
    # --budget auto stops where the calibrated profit per message is <= 0
    profit = written.set_index("ID")["uplift_revenue"] - 0.15
    assert (profit.loc[sent["customer_id"]] > 0).all()
    assert len(sent) == int((profit > 0).sum())


def test_text_ids_with_leading_zeros_stay_text(tmp_path) -> None:
    frame, _ = simulated_campaign(800, seed=2)
    frame["customer_id"] = [f"{i:06d}" for i in range(len(frame))]
    path = tmp_path / "campaign.csv"
    frame.to_csv(path, index=False)
    data = load_table_training_data(
        path, treatment_col="arm", control="control", outcome_col="converted",
        id_col="customer_id", features=["x1", "x2"],
    )  # fmt: skip
    assert data.id_kind == "text"
    result = train_uplift_model(data, conversion_model="two", n_folds=2, settings=FAST)
    folder = tmp_path / "model"
    save_model(result.model, folder)
    out = tmp_path / "scores.parquet"
    score_file(load_model(folder), path, out)
    assert pd.read_parquet(out)["customer_id"].tolist()[:2] == ["000000", "000001"]


def test_train_prints_one_line_per_drop_reason(runner, tmp_path) -> None:
    frame = _messy_campaign(1200)
    path = tmp_path / "campaign.csv"
    frame.to_csv(path, index=False)
    result = runner.invoke(app, [
        "train", "--data", str(path), "--id-col", "customer_id", "--treatment-col", "arm",
        "--control", "control", "--outcome-col", "converted", "--revenue-col", "spend",
        "--model", "two", "--revenue-model", "decomposition", "--folds", "2", "--max-rounds",
        "30", "--start", "2026-06-01", "--out", str(tmp_path / "model"),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Dropped, all missing: empty." in text
    assert "Dropped, constant (one value): country." in text
    assert "rfm_class_zh (= rfm_class)" in text
    assert "Dates as days before 2026-06-01 (--start): signup_date." in text
    assert "Calibration (send, conversion): per score decile, shrunk toward the model" in text
