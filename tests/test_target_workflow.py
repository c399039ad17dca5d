"""workflows.target.run_target: the files of one run, read, checked before any write, written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from uplift_lab.cli._common import error_message
from uplift_lab.errors import InputError
from uplift_lab.report.notice_text import notice_texts
from uplift_lab.target import Channel, TargetConfig, plan_campaign, split_holdout, validate_scores
from uplift_lab.workflows.target import TargetFiles, TargetOptions, read_scores, run_target

CONFIG = TargetConfig(channels=(Channel("sms", 0.05),), budget=20.0, margin=0.3, eligible=None)


def _scores(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"ID": [f"{i:04d}" for i in range(n)], "uplift_revenue": rng.normal(1.0, 2.0, n)}
    )


def test_the_first_column_of_a_score_file_is_its_id_as_text(tmp_path: Path) -> None:
    path = tmp_path / "scores.csv"
    _scores().to_csv(path, index=False)
    frame = read_scores(path)
    assert list(frame.columns) == ["customer_id", "uplift_revenue"]
    assert frame["customer_id"].iloc[0] == "0000"


def test_a_run_writes_the_send_list_the_pure_steps_give(tmp_path: Path) -> None:
    path, out = tmp_path / "scores.csv", tmp_path / "send.csv"
    _scores().to_csv(path, index=False)
    outcome = run_target(CONFIG, TargetFiles(out=out, scores=path), TargetOptions(holdout=0.0))
    scores = validate_scores(read_scores(path), path, CONFIG.channels)
    expected = split_holdout(plan_campaign(scores, CONFIG).selected, 0.0, name="send").send_list
    written = pd.read_csv(out, dtype={"customer_id": str})
    pd.testing.assert_frame_equal(written, expected, check_dtype=False)
    assert outcome.written == (out,)
    assert outcome.summary["send_list"] == str(out)
    assert any(w.startswith("--holdout 0") for w in notice_texts(outcome.warnings))


def test_a_bad_option_writes_nothing(tmp_path: Path) -> None:
    path, out = tmp_path / "scores.csv", tmp_path / "send.csv"
    _scores().to_csv(path, index=False)
    expected = "'experiment': a holdout needs an experiment folder"
    with pytest.raises(InputError, match=expected) as raised:
        run_target(CONFIG, TargetFiles(out=out, scores=path, report=tmp_path / "report"))
    said = error_message(raised.value)
    assert said.startswith("--experiment: a holdout needs an experiment folder")
    assert said.endswith("(or --holdout 0 to send to everyone selected)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.csv"]
