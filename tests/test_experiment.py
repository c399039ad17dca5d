"""uplift_lab.experiment: the folder round trip, its SHA-256 checks, never a silent overwrite."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.test_design import customers_frame
from uplift_lab import io
from uplift_lab.cli._common import error_message
from uplift_lab.design import design_experiment
from uplift_lab.errors import InputError
from uplift_lab.experiment import ASSIGNMENT_FILE, DESIGN_FILE
from uplift_lab.workflows.experiment_folder import (
    load_experiment,
    refuse_existing,
    write_experiment,
)


def small_design(**kwargs):
    frame = customers_frame({"active": 400, "silent": 300}, seed=3)
    return design_experiment(frame, name="folder", **kwargs)


def test_write_and_load_round_trip(tmp_path):
    design = small_design(target_lift=0.02)
    meta = write_experiment(design, tmp_path / "exp", input_file="x.csv", input_sha256="abc")
    loaded = load_experiment(tmp_path / "exp")
    pd.testing.assert_frame_equal(loaded.assignment, design.assignment.assignment)
    on_disk = io.read_json(tmp_path / "exp" / DESIGN_FILE)
    assert on_disk == loaded.meta == meta
    assert on_disk["assignment_sha256"] == io.sha256_file(tmp_path / "exp" / ASSIGNMENT_FILE)
    for key in (
        "name", "salt", "created_at", "input_file", "input_sha256", "strata", "control_arm",
        "arms", "fractions", "counts", "mde", "balance", "uplift_lab_version",
    ):  # fmt: skip
        assert key in on_disk
    assert on_disk["counts"] == {
        "active": {"control": 40, "send": 360},
        "silent": {"control": 30, "send": 270},
    }
    assert on_disk["mde"]["overall"]["arms"]["send"]["mde"] > 0


def test_parquet_bytes_do_not_depend_on_time(tmp_path):
    design = small_design()
    write_experiment(design, tmp_path / "a", created_at="2020-01-01T00:00:00+00:00")
    write_experiment(small_design(), tmp_path / "b", created_at="2030-06-01T12:00:00+00:00")
    first = (tmp_path / "a" / ASSIGNMENT_FILE).read_bytes()
    assert first == (tmp_path / "b" / ASSIGNMENT_FILE).read_bytes()
    metadata = pq.ParquetFile(tmp_path / "a" / ASSIGNMENT_FILE).metadata.metadata or {}
    for value in metadata.values():
        assert b"2020" not in value and b"created" not in value.lower()


def test_load_refuses_an_edited_assignment(tmp_path):
    write_experiment(small_design(), tmp_path / "exp")
    table = pd.read_parquet(tmp_path / "exp" / ASSIGNMENT_FILE)
    table.loc[0, "arm"] = "send" if table.loc[0, "arm"] == "control" else "control"
    table.to_parquet(tmp_path / "exp" / ASSIGNMENT_FILE, index=False)
    with pytest.raises(InputError, match="assignment.parquet was changed after design"):
        load_experiment(tmp_path / "exp")


def test_load_refuses_a_folder_without_design_json(tmp_path):
    write_experiment(small_design(), tmp_path / "exp")
    (tmp_path / "exp" / DESIGN_FILE).unlink()
    with pytest.raises(InputError, match="has no design.json"):
        load_experiment(tmp_path / "exp")


def test_existing_folder_needs_force_and_failure_keeps_the_old_one(tmp_path):
    out = tmp_path / "exp"
    write_experiment(small_design(), out)
    before = (out / DESIGN_FILE).read_bytes()
    with pytest.raises(InputError, match="already exists"):
        write_experiment(small_design(), out)
    assert (out / DESIGN_FILE).read_bytes() == before
    write_experiment(small_design(holdout=0.2), out, force=True)
    assert io.read_json(out / DESIGN_FILE)["fractions"]["active"]["control"] == 0.2


def test_an_existing_output_is_refused_in_parameter_words_and_the_cli_in_flags(tmp_path):
    """refuse_existing (design, import, schedule, train): the library names 'force' and 'out'."""
    from uplift_lab.workflows.train import TrainOptions, check_train_output

    out = tmp_path / "exp"
    write_experiment(small_design(), out)
    with pytest.raises(InputError) as raised:
        refuse_existing(out, force=False)
    assert str(raised.value) == (
        f"{out}: already exists and is not empty. Use 'force' to replace it, or another 'out'"
    )
    assert error_message(raised.value) == (
        f"{out}: already exists and is not empty. Use --force to replace it, or another --out"
    )
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    with pytest.raises(InputError) as raised:  # not a NotADirectoryError traceback
        check_train_output(a_file, TrainOptions(), force=True)
    assert str(raised.value) == f"{a_file}: exists and is not a folder. Choose another 'out'"
    assert error_message(raised.value).endswith("Choose another --out")
