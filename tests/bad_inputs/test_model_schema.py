"""model.json's schema: what it refuses, what it leaves to the manifest, how it is extended."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from uplift_lab.errors import InputError
from uplift_lab.uplift import schema
from uplift_lab.uplift.verdict_data import VERDICT_WORDS
from uplift_lab.workflows import model_folder


def _description(fx) -> dict:
    return json.loads((fx.model / "model.json").read_text())


def test_a_saved_model_passes_its_schema(fx) -> None:
    schema.validate_model_description(_description(fx), fx.model / "model.json")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d["arm_models"][0]["conversion"].update(kind="x-learner"), "x-learner"),
        (lambda d: d["arm_models"][0]["conversion"]["boosters"].pop("bag0.treated"), "roles"),
        (lambda d: d["features"][0].update(kind="text"), "features[0].kind"),
        (lambda d: d["features"][2].update(levels=[]), "features[2].levels"),
        (lambda d: d.update(n_rows=0), "n_rows"),
        (lambda d: d.update(arms=["control"]), "arms"),
        (lambda d: d["lightgbm_settings"].update(learning_rate=-1), "learning_rate"),
        (lambda d: d.pop("features"), "'features' is missing"),
    ],
)
def test_a_broken_field_is_named(fx, change, words) -> None:
    description = _description(fx)
    change(description)
    with pytest.raises(InputError, match=words.replace("[", r"\[").replace("]", r"\]")):
        schema.validate_model_description(description, fx.model / "model.json")


def test_a_ct_share_outside_zero_and_one_is_refused(fx) -> None:
    description = _description(fx)
    description["arm_models"][0]["conversion"] = {
        "kind": "ct",
        "params": {"treated_share": 1.5},
        "boosters": {
            role: {"file": f"{role}.txt", "sha256": "0" * 64} for role in ("control", "ct")
        },
    }
    with pytest.raises(InputError, match="treated_share"):
        schema.validate_model_description(description, "model.json")


def test_unknown_extra_fields_pass_the_schema_but_not_the_manifest(fx, tmp_path) -> None:
    description = _description(fx)
    description["calibration"] = {"method": "isotonic"}  # a field a later version may add
    schema.validate_model_description(description, "model.json")  # does not crash
    folder = tmp_path / "model"
    shutil.copytree(fx.model, folder)
    (folder / "model.json").write_text(json.dumps(description))
    with pytest.raises(InputError, match="changed after training"):
        model_folder.load_model(folder)


def test_a_registered_learner_kind_is_accepted(fx, monkeypatch) -> None:
    monkeypatch.setitem(
        schema.LEARNER_KINDS, "x", schema.LearnerKind(("conversion",), ("control", "treated"))
    )
    description = _description(fx)
    description["arm_models"][0]["conversion"]["kind"] = "x"
    schema.validate_model_description(description, "model.json")


def test_a_resealed_folder_with_a_valid_edit_loads_so_the_manifest_is_what_catches_it(fx, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(fx.model, folder)
    (folder / "manifest.json").unlink()
    model_folder.write_manifest(folder)
    model_folder.load_model(folder)  # unchanged files: the manifest check alone passes


def _verdict_entry(description: dict) -> dict:
    """The first stored verdict (arm, outcome) of model.json."""
    outcomes = next(iter(description["cv_metrics"]["verdicts"].values()))
    return next(iter(outcomes.values()))


def _set_param(name: str, value) -> object:
    return lambda d: _verdict_entry(d)["reason"]["params"].update({name: value})


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: _verdict_entry(d).update(verdict="great"), "verdict' must be useful"),
        (lambda d: _verdict_entry(d).pop("text"), "text' is missing"),
        (lambda d: _verdict_entry(d)["reason"].update(code="great"), "reason.code' must be one"),
        (lambda d: _verdict_entry(d)["reason"]["params"].pop("qini"), "params.qini' is missing"),
        (_set_param("qini", "0.1"), "params.qini' must be a finite number"),
        (_set_param("reasons", ["too_small"]), "params.reasons' must be a list of"),
        (_set_param("ci_over", "days"), "params.ci_over' must be one of"),
        (_set_param("replicates", 0), "params.replicates' must be at least 1"),
        (_set_param("percentage_points", "yes"), "params.percentage_points' must be true"),
        (
            lambda d: d["cv_metrics"]["verdicts"].update(sms={"profit": _verdict_entry(d)}),
            "verdicts.sms.profit' is not an outcome",
        ),
    ],
)
def test_a_broken_stored_verdict_is_named(fx, change, words) -> None:
    description = _description(fx)
    change(description)
    with pytest.raises(InputError, match=re.escape(words)):
        schema.validate_model_description(description, fx.model / "model.json")


def test_the_stored_verdicts_keep_their_data_and_an_older_entry_without_it_passes(fx) -> None:
    description = _description(fx)
    entry = _verdict_entry(description)
    assert entry["reason"]["code"] in VERDICT_WORDS and entry["text"].startswith(entry["verdict"])
    del entry["reason"]  # a model folder of the uplift-lab before the verdict was kept as data
    schema.validate_model_description(description, fx.model / "model.json")


def test_a_not_useful_verdict_without_its_reasons_is_refused(fx) -> None:
    description = _description(fx)
    reason = _verdict_entry(description)["reason"]
    reason.update(code="not_useful")
    reason["params"]["reasons"] = []
    with pytest.raises(InputError, match="must be non-empty for 'not_useful' only"):
        schema.validate_model_description(description, fx.model / "model.json")
