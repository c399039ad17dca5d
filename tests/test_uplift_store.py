"""Model folders: no pickle, exact round trips, integrity and version checks, chunked scoring."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_uplift_models import FAST, _training, simulated_campaign
from uplift_lab import io
from uplift_lab.cli._common import error_message
from uplift_lab.errors import InputError
from uplift_lab.uplift import campaign_scores, scoring
from uplift_lab.uplift.scoring import score_frame, score_matrix
from uplift_lab.uplift.train import train_uplift_model
from uplift_lab.workflows.model_folder import load_model, save_model
from uplift_lab.workflows.score import score_file


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    frame, _ = simulated_campaign(3000, seed=7, arms=("sms", "edm"))
    data = _training(frame)
    result = train_uplift_model(
        data, conversion_model="solo", revenue_model="decomposition", n_folds=2, settings=FAST
    )
    folder = tmp_path_factory.mktemp("models") / "sim"
    save_model(result.model, folder, cv_predictions=result.cv_predictions)
    return frame, data, result, folder


def _copy(folder: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    target.mkdir()
    for path in folder.iterdir():
        (target / path.name).write_bytes(path.read_bytes())
    return target


def test_model_folder_holds_only_text_boosters_json_and_parquet(trained) -> None:
    *_, folder = trained
    suffixes = {path.suffix for path in folder.iterdir()}
    assert suffixes == {".txt", ".json", ".parquet"}
    for path in folder.glob("*.txt"):
        assert path.read_text(encoding="utf-8").startswith("tree\n")  # LightGBM text format
    description = json.loads((folder / "model.json").read_text())
    for key in ("schema_version", "lightgbm_version", "uplift_lab_version", "training_sha256"):
        assert key in description
    assert [spec["name"] for spec in description["features"]] == ["x1", "x2", "cat"]
    assert description["features"][2]["levels"] == ["a", "b", "c"]
    assert description["arms"] == ["edm", "sms"]


def test_loaded_model_predicts_exactly_what_the_trained_model_predicted(trained) -> None:
    _, data, result, folder = trained
    loaded = load_model(folder)
    matrix = data.matrix()
    expected = score_matrix(result.model, matrix)
    got = score_matrix(loaded, matrix)
    assert list(got) == list(expected)
    for column in expected:
        assert np.array_equal(got[column], expected[column]), column


def test_loading_never_unpickles(trained, monkeypatch) -> None:
    import pickle

    def refuse(*args, **kwargs):
        raise AssertionError("pickle used")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    *_, folder = trained
    load_model(folder)


def test_a_changed_booster_file_is_refused(trained, tmp_path) -> None:
    *_, folder = trained
    copy = _copy(folder, tmp_path)
    booster = sorted(copy.glob("*.txt"))[0]
    booster.write_text(booster.read_text().replace("tree\n", "tree \n", 1))
    with pytest.raises(InputError, match="changed after training"):
        load_model(copy)


def test_another_schema_version_is_refused(trained, tmp_path) -> None:
    *_, folder = trained
    copy = _copy(folder, tmp_path)
    description = json.loads((copy / "model.json").read_text())
    description["schema_version"] = 99
    (copy / "model.json").write_text(json.dumps(description))
    with pytest.raises(InputError, match="schema version 99"):
        load_model(copy)


def test_model_folder_errors_name_the_parameters_and_the_cli_their_flags(trained, tmp_path):
    from uplift_lab.uplift.schema import retrain_error
    from uplift_lab.workflows.model_folder import read_model_description

    *_, folder = trained
    copy = _copy(folder, tmp_path)
    description = json.loads((copy / "model.json").read_text())
    description["schema_version"] = 99
    (copy / "model.json").write_text(json.dumps(description))
    with pytest.raises(InputError) as raised:
        load_model(copy)
    assert str(raised.value).endswith("(uplift-lab train ... out=FOLDER)")
    assert error_message(raised.value).endswith("(uplift-lab train ... --out FOLDER)")
    with pytest.raises(InputError) as raised:
        read_model_description(tmp_path / "nothing")
    assert str(raised.value) == (
        f"{tmp_path / 'nothing'}: is not a model folder. Pass the 'out' folder of uplift-lab"
        " train; make one with uplift-lab train data=CAMPAIGN treatment_col=ARM control=LABEL"
        " outcome_col=CONVERTED out=FOLDER"
    )
    assert error_message(raised.value) == (
        f"{tmp_path / 'nothing'}: is not a model folder. Pass the --out folder of uplift-lab"
        " train; make one with uplift-lab train --data CAMPAIGN --treatment-col ARM --control"
        " LABEL --outcome-col CONVERTED --out FOLDER"
    )
    odd = retrain_error("m", "is not a LightGBM model (tree {3} unreadable)")
    assert str(odd).startswith("m: is not a LightGBM model (tree {3} unreadable).")
    assert error_message(odd).startswith("m: is not a LightGBM model (tree {3} unreadable).")


def test_another_lightgbm_major_version_is_refused(trained, tmp_path) -> None:
    *_, folder = trained
    copy = _copy(folder, tmp_path)
    description = json.loads((copy / "model.json").read_text())
    description["lightgbm_version"] = "1.0.0"
    (copy / "model.json").write_text(json.dumps(description))
    with pytest.raises(InputError, match="LightGBM 1.0.0"):
        load_model(copy)


def test_existing_folder_is_refused_without_force(trained) -> None:
    _, _, result, folder = trained
    with pytest.raises(InputError, match="Use 'force' to replace it"):
        save_model(result.model, folder)


def test_same_data_and_seed_give_byte_identical_model_folders(tmp_path) -> None:
    frame, _ = simulated_campaign(1500, seed=8)
    digests = []
    for name in ("a", "b"):
        result = train_uplift_model(
            _training(frame), conversion_model="two", revenue_model="ct-reg", n_folds=2,
            settings=FAST,
        )  # fmt: skip
        save_model(result.model, tmp_path / name, cv_predictions=result.cv_predictions)
        digests.append({p.name: io.sha256_file(p) for p in sorted((tmp_path / name).iterdir())})
    assert digests[0] == digests[1]


def test_chunked_scoring_equals_scoring_all_at_once(trained, tmp_path) -> None:
    frame, _, result, folder = trained
    customers = frame.drop(columns=["arm", "converted", "spend"]).assign(extra="ignored")
    customers.to_csv(tmp_path / "customers.csv", index=False)
    summary = score_file(load_model(folder), tmp_path / "customers.csv", tmp_path / "s.parquet",
                         batch_rows=700)  # fmt: skip
    written = pd.read_parquet(summary.out)
    expected = score_frame(result.model, customers, "customers")
    assert summary.rows == len(frame) and "extra" not in written.columns
    pd.testing.assert_frame_equal(written, expected, check_dtype=False)


def test_scoring_without_feature_columns_names_them_and_writes_nothing(trained, tmp_path) -> None:
    frame, _, result, _ = trained
    frame.drop(columns=["x2", "cat"]).to_parquet(tmp_path / "customers.parquet")
    with pytest.raises(InputError, match="x2, cat"):
        score_file(result.model, tmp_path / "customers.parquet", tmp_path / "s.parquet")
    assert not (tmp_path / "s.parquet").exists()


@settings(max_examples=25, deadline=None)
@given(
    levels=st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=6, unique=True),
    picks=st.lists(st.integers(0, 7), min_size=1, max_size=30),
)
def test_categorical_codes_round_trip_through_model_json(levels, picks) -> None:
    from uplift_lab.uplift.features import FeatureSpec, encode_features

    spec = FeatureSpec("c", "categorical", tuple(sorted(levels)))
    restored = FeatureSpec.from_json(json.loads(json.dumps(spec.to_json())))
    values = [spec.levels[i] if i < len(spec.levels) else None for i in picks]
    frame = pd.DataFrame({"c": pd.array(values, dtype="string")})
    codes = encode_features(frame, [restored], "t")[:, 0]
    for value, code in zip(values, codes, strict=True):
        if value is None:
            assert np.isnan(code)
        else:
            assert spec.levels[int(code) - 1] == value


def test_output_columns_match_what_score_writes(trained) -> None:
    _, _, result, _ = trained
    assert scoring.output_columns(result.model)[0] == "p_control"


def test_duplicate_ids_in_different_batches_are_refused_and_nothing_is_written(
    trained, tmp_path
) -> None:
    frame, _, result, _ = trained
    customers = pd.concat([frame.iloc[:500], frame.iloc[[3]]], ignore_index=True)
    customers.to_parquet(tmp_path / "customers.parquet")  # Parquet: batches of exactly 100 rows
    with pytest.raises(InputError, match="1 duplicate id") as raised:
        score_file(result.model, tmp_path / "customers.parquet", tmp_path / "s.csv", batch_rows=100)
    assert "e.g." not in str(raised.value)  # found across batches, not inside one
    assert not (tmp_path / "s.csv").exists()


def test_scores_join_outcomes_on_ids_in_campaign_order_and_drop_the_unscored_extras() -> None:
    scores = pd.DataFrame(
        {"customer_id": ["a", "b", "c", "d"], "uplift_conversion": [0.1, 0.2, 0.3, 0.4],
         "p_control": [0.5, 0.6, 0.7, 0.8]}
    )  # fmt: skip
    outcomes = pd.DataFrame(
        {"customer_id": ["c", "a"], "arm": ["send", "control"], "converted": [1, 0],
         "p_control": [9.0, 9.0]}
    )  # fmt: skip
    joined = campaign_scores.join_scores_and_outcomes(scores, outcomes, "customer_id", "s", "o")
    assert joined["customer_id"].tolist() == ["c", "a"]  # the campaign's customers only
    assert joined["uplift_conversion"].tolist() == [0.3, 0.1]
    assert joined["p_control"].tolist() == [0.7, 0.5]  # the score file's column wins


def test_numeric_and_text_ids_of_the_same_customers_join() -> None:
    scores = pd.DataFrame({"customer_id": ["1", "2"], "uplift_conversion": [0.1, 0.2]})
    outcomes = pd.DataFrame({"customer_id": [2, 1], "arm": ["send", "control"]})
    joined = campaign_scores.join_scores_and_outcomes(scores, outcomes, "customer_id", "s", "o")
    assert joined["uplift_conversion"].tolist() == [0.2, 0.1]


def test_several_arms_in_the_scores_need_treated_to_pick_their_columns() -> None:
    columns = ["customer_id", "p_control", "uplift_conversion_sms", "uplift_revenue_sms",
               "uplift_conversion_edm", "uplift_revenue_edm"]  # fmt: skip
    picked = campaign_scores.default_score_columns(columns, "edm", "s")
    assert picked == ["uplift_conversion_edm", "uplift_revenue_edm"]
    with pytest.raises(InputError, match="several arms"):
        campaign_scores.default_score_columns(columns, None, "s")
    with pytest.raises(InputError, match="treated arm 'push'"):
        campaign_scores.default_score_columns(columns, "push", "s")


def test_score_column_errors_name_the_parameters_and_the_cli_their_flags() -> None:
    columns = ["customer_id", "uplift_conversion_sms", "uplift_conversion_edm"]
    with pytest.raises(InputError) as raised:
        campaign_scores.default_score_columns(columns, "push", "s")
    assert str(raised.value).endswith(
        "Pass 'treated' with one of the model's arms, or 'score_cols' to compare anyway"
    )
    assert error_message(raised.value).endswith(
        "Pass --treated with one of the model's arms, or --score-cols to compare anyway"
    )
    spend = pd.DataFrame({"converted": [0, 12.5]})
    with pytest.raises(InputError) as raised:
        campaign_scores.check_conversion_column(spend, "converted", "o")
    assert str(raised.value).endswith(
        "Pass spend as 'revenue_col' and a 0/1 column as 'conversion_col'"
    )
    assert error_message(raised.value).endswith(
        "Pass spend as --revenue-col and a 0/1 column as --conversion-col"
    )


@pytest.mark.parametrize(("conversion", "revenue"), [("x", "dr"), ("dr", "x")])
def test_x_and_dr_learners_round_trip_with_identical_predictions(
    tmp_path, conversion, revenue
) -> None:
    frame, _ = simulated_campaign(2500, seed=8)
    data = _training(frame)
    result = train_uplift_model(
        data, conversion_model=conversion, revenue_model=revenue, n_folds=2, settings=FAST
    )
    folder = save_model(result.model, tmp_path / "model")
    description = json.loads((folder / "model.json").read_text())
    entry = description["arm_models"][0]
    assert entry["conversion"]["kind"] == conversion and entry["revenue"]["kind"] == revenue
    # The final model bags the 2 fold models: each member keeps its treated share.
    assert entry["conversion"]["params"]["bag_size"] == 2
    assert {"bag0.treated_share", "bag1.treated_share"} <= set(entry["conversion"]["params"])
    loaded = load_model(folder)
    matrix = data.matrix()
    expected, got = score_matrix(result.model, matrix), score_matrix(loaded, matrix)
    assert list(got) == list(expected)
    for column in expected:
        assert np.array_equal(got[column], expected[column]), column
