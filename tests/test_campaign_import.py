"""The pure import step: counts and fractions against pandas, SRM against scipy, send logs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.stats as sps

from uplift_lab.campaign_import import check_expected, combine_send_log, import_campaign
from uplift_lab.errors import InputError
from uplift_lab.report.notice_text import render_notice


def _campaign(n: int = 5000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    draws = rng.random(n)
    arm = np.where(draws < 0.1, "control", np.where(draws < 0.55, "sms", "edm"))
    stage = rng.choice(["active", "silent", "churned"], n)
    return pd.DataFrame(
        {"customer_id": [f"c{i:05d}" for i in range(n)], "arm": arm, "stage": stage}
    )


def test_counts_and_fractions_per_stratum_match_pandas() -> None:
    frame = _campaign()
    result = import_campaign(frame, name="x", source="c.csv", strata_col="stage")
    crosstab = pd.crosstab(frame["stage"], frame["arm"])
    assert set(result.counts) == {"active", "silent", "churned"}
    for stratum, counts in result.counts.items():
        for arm, n in counts.items():
            assert n == crosstab.loc[stratum, arm]
            assert result.fractions[stratum][arm] == pytest.approx(n / crosstab.loc[stratum].sum())
    assert result.overall_counts == frame["arm"].value_counts().to_dict()
    assert result.arms == ("control", "edm", "sms")  # control first, then sorted
    assert result.assignment["customer_id"].is_monotonic_increasing
    assert not result.srm  # nothing intended, nothing checked


def test_srm_per_stratum_and_overall_equals_scipy_chisquare() -> None:
    frame = _campaign(seed=1)
    expected = {"control": 0.1, "sms": 0.45, "edm": 0.45}
    result = import_campaign(frame, name="x", source="c.csv", strata_col="stage", expected=expected)
    assert result.arms == ("control", "sms", "edm")  # the order of --expected
    for where, subset in [("(overall)", frame), *frame.groupby("stage")]:
        counts = subset["arm"].value_counts()
        observed = [counts.get(arm, 0) for arm in expected]
        reference = sps.chisquare(observed, f_exp=np.array(list(expected.values())) * len(subset))
        assert result.srm[where].statistic == pytest.approx(reference.statistic, rel=1e-9)
        assert result.srm[where].p_value == pytest.approx(reference.pvalue, rel=1e-9)
    assert not result.mismatches


def test_expected_fractions_are_validated() -> None:
    with pytest.raises(InputError, match="sum to 1"):
        check_expected({"control": 0.1, "sms": 0.5}, "control")
    with pytest.raises(InputError, match="control arm 'control'"):
        check_expected({"sms": 0.5, "edm": 0.5}, "control")
    with pytest.raises(InputError, match=r"in \(0, 1\)"):
        check_expected({"control": 0.0, "sms": 1.0}, "control")


def test_send_log_keeps_first_send_and_refuses_overlaps() -> None:
    sends = pd.DataFrame(
        {
            "customer_id": ["a", "b", "a"],
            "channel": ["sms", "edm", "sms"],
            "send_time": ["2026-06-01 10:00", "2026-06-01 11:00", "2026-06-01 09:00"],
        }
    )
    holdout = pd.DataFrame({"customer_id": ["h"]})
    table, notes = combine_send_log(sends, holdout, send_source="s.csv", holdout_source="h.csv")
    by_id = table.set_index("customer_id")
    assert by_id.loc["a", "send_time"] == pd.Timestamp("2026-06-01 09:00")
    assert by_id.loc["h", "arm"] == "control" and pd.isna(by_id.loc["h", "send_time"])
    assert [render_notice(note) for note in notes] == [
        "1 repeated send(s) of the same customer on the same channel collapsed (first send kept)"
    ]
    with pytest.raises(InputError, match="both held out"):
        combine_send_log(sends, pd.DataFrame({"customer_id": ["b"]}), send_source="s.csv",
                         holdout_source="h.csv")  # fmt: skip
    with pytest.raises(InputError, match="control label 'control'"):
        combine_send_log(sends.assign(channel="control"), holdout, send_source="s.csv",
                         holdout_source="h.csv")  # fmt: skip


def test_refusals_name_the_parameters_not_the_flags() -> None:
    frame = _campaign(500)
    said = {}
    for name, call in (
        ("id_col", lambda: import_campaign(frame, name="x", id_col="cid", source="c.csv")),
        ("strata_col", lambda: import_campaign(frame, name="x", strata_col="s", source="c.csv")),
        ("control", lambda: import_campaign(frame, name="x", control="hold", source="c.csv")),
        (
            "expected",
            lambda: import_campaign(
                frame, name="x", expected={"control": 0.1, "sms": 0.9}, source="c.csv"
            ),
        ),  # fmt: skip
    ):
        with pytest.raises(InputError) as caught:
            call()
        said[name] = str(caught.value)
    assert said["id_col"].endswith("Name it with 'id_col'")
    assert said["strata_col"].endswith("Name it with 'strata_col'")
    assert said["control"].endswith("Pass the holdout label with 'control'")
    assert said["expected"].endswith("Fix those labels, or declare them in 'expected'")
    sends = pd.DataFrame({"customer_id": ["a"], "channel": ["sms"], "send_time": ["2026-06-01"]})
    with pytest.raises(InputError) as caught:
        combine_send_log(sends.drop(columns="send_time"), sends[["customer_id"]],
                         send_source="s.csv", holdout_source="h.csv")  # fmt: skip
    said["send_time_col"] = str(caught.value)
    assert said["send_time_col"].endswith("Name it with 'send_time_col'")
    assert not any("--" in message for message in said.values())
