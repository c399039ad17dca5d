"""`uplift_lab.schedule` and its workflow on a 24-customer fixture small enough to check by hand:
counts per touch equal a pandas filter, the holdout is in no list, send_time = start + day +
time, schedule.json carries the experiment's assignment SHA-256 and the experiment is not edited.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from tests.test_analyze import write_experiment
from uplift_lab import io
from uplift_lab.errors import InputError
from uplift_lab.schedule import Touch, parse_touches, schedule_touches, send_time
from uplift_lab.workflows.schedule import make_schedule

LIFECYCLES = ["active", "semi_active", "silent", "new"] * 6
BANDS = ["<100", "100-500", "500+"] * 8
ARMS = ["control", "sms", "sms", "edm", "sms", "edm"] * 4  # 4 control, 12 sms, 8 edm

TOUCHES_TOML = """
[costs]
sms = 0.05
edm = 0.01

[[touch]]
name = "preheat"
channel = "edm"
day = -2
time = "15:50"
segments = ["semi_active", "silent"]

[[touch]]
name = "prenotice"
channel = "sms"
day = -2
time = "16:00"
segments = ["semi_active", "silent"]

[[touch]]
name = "notice"
channel = "sms"
day = 0
time = "10:00"
cost = 0.1

[[touch]]
name = "big_spenders"
channel = "sms"
day = 0
time = "19:00"
column = "spend_band"
segments = ["500+"]
"""
START = pd.Timestamp("2026-11-11")


def segments_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:02d}" for i in range(24)],
            "lifecycle": LIFECYCLES,
            "spend_band": BANDS,
        }
    )


def units_frame() -> pd.DataFrame:
    frame = segments_frame()
    return pd.DataFrame(
        {"customer_id": frame["customer_id"], "segment": frame["lifecycle"], "arm": ARMS}
    )


def write_files(tmp_path: Path) -> dict[str, Path]:
    """The fixture's segments.csv, touches.toml and experiment folder under ``tmp_path``."""
    segments = tmp_path / "segments.csv"
    segments_frame().to_csv(segments, index=False)
    touches = tmp_path / "touches.toml"
    touches.write_text(TOUCHES_TOML, encoding="utf-8")
    experiment = write_experiment(tmp_path / "exp", units_frame())
    return {"segments": segments, "touches": touches, "experiment": experiment}


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    return write_files(tmp_path)


def _schedule():
    import tomllib

    touches = parse_touches(tomllib.loads(TOUCHES_TOML), "touches.toml")
    assignment = units_frame()[["customer_id", "arm"]]
    return schedule_touches(
        touches, segments_frame(), assignment, control_arm="control", start=START
    )


def _by_name(schedule) -> dict:
    return {item.touch.name: item for item in schedule.touches}


# --------------------------------------------------------------------------- the touch file


def test_touch_file_gives_touches_with_costs_from_table_or_touch() -> None:
    import tomllib

    touches = parse_touches(tomllib.loads(TOUCHES_TOML), "t.toml")
    assert [t.name for t in touches] == ["preheat", "prenotice", "notice", "big_spenders"]
    assert [t.cost_per_message for t in touches] == [0.01, 0.05, 0.1, 0.05]
    assert touches[0].segments == ("semi_active", "silent")
    assert touches[3].column == "spend_band"
    assert touches[2].column == "lifecycle" and touches[2].segments == ()


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ('name = "a"\nchannel = "sms"\nday = 0\ntime = "10:00"\ncolour = "red"', "unknown key"),
        ('name = "a"\nchannel = "sms"\nday = 0\ntime = "25:00"', "not HH:MM"),
        ('name = "a"\nchannel = "sms"\nday = 0\ntime = "10am"', "not HH:MM"),
        ('name = "a/b"\nchannel = "sms"\nday = 0\ntime = "10:00"', "cannot be a file name"),
        ('name = ".hidden"\nchannel = "sms"\nday = 0\ntime = "10:00"', "cannot be a file name"),
        ('name = "a"\nchannel = "sms"\nday = 0.5\ntime = "10:00"', "whole number"),
        ('name = "a"\nchannel = "sms"\ntime = "10:00"', "has no 'day'"),
        ('name = "a"\nchannel = "sms"\nday = 0\ntime = "10:00"\ncost = -1', ">= 0"),
    ],
)
def test_bad_touch_is_one_input_error(entry, words) -> None:
    import tomllib

    with pytest.raises(InputError, match=words):
        parse_touches(tomllib.loads(f"[[touch]]\n{entry}\n"), "t.toml")


def test_duplicate_touch_names_are_refused_also_by_case() -> None:
    import tomllib

    text = '[[touch]]\nname = "SMS"\nchannel = "sms"\nday = 0\ntime = "10:00"\n' * 1
    text += '[[touch]]\nname = "sms"\nchannel = "sms"\nday = 1\ntime = "10:00"\n'
    with pytest.raises(InputError, match="duplicate touch name 'sms'"):
        parse_touches(tomllib.loads(text), "t.toml")


def test_unknown_top_level_key_is_refused() -> None:
    with pytest.raises(InputError, match="unknown key 'touches'"):
        parse_touches({"touches": []}, "t.toml")


def test_send_time_is_start_plus_day_plus_time() -> None:
    touch = Touch("preheat", "edm", -2, "15:50")
    assert send_time(START, touch) == pd.Timestamp("2026-11-09 15:50")
    assert send_time(pd.Timestamp("2026-11-11 08:30"), touch) == pd.Timestamp("2026-11-09 15:50")


# --------------------------------------------------------------------------- send lists


def test_counts_per_touch_equal_a_pandas_filter() -> None:
    lists = _by_name(_schedule())
    frame = segments_frame().assign(arm=ARMS)
    treated = frame[frame["arm"] != "control"]
    expected = {
        "preheat": treated[treated["lifecycle"].isin(["semi_active", "silent"])],
        "prenotice": treated[treated["lifecycle"].isin(["semi_active", "silent"])],
        "notice": treated,
        "big_spenders": treated[treated["spend_band"] == "500+"],
    }
    for name, rows in expected.items():
        assert list(lists[name].sends["customer_id"]) == sorted(rows["customer_id"]), name
    assert {name: len(item.sends) for name, item in lists.items()} == {
        "preheat": 10, "prenotice": 10, "notice": 20, "big_spenders": 8,
    }  # fmt: skip


def test_holdout_is_in_no_touch_and_lists_cover_the_treated_of_the_segments() -> None:
    schedule = _schedule()
    frame = segments_frame().assign(arm=ARMS)
    control = set(frame.loc[frame["arm"] == "control", "customer_id"])
    union: set[str] = set()
    for item in schedule.touches:
        sent = set(item.sends["customer_id"])
        assert not sent & control, item.touch.name
        assert set(item.holdout_ids) <= control
        union |= sent
    assert union == set(frame.loc[frame["arm"] != "control", "customer_id"])  # "notice": all


def test_holdout_of_a_touch_is_the_control_of_its_segments() -> None:
    lists = _by_name(_schedule())
    frame = segments_frame().assign(arm=ARMS)
    control = frame[frame["arm"] == "control"]
    expected = control[control["lifecycle"].isin(["semi_active", "silent"])]["customer_id"]
    assert lists["preheat"].holdout_ids == tuple(sorted(expected)) == ("C06", "C18")


def test_send_rows_carry_channel_and_send_time_and_cost() -> None:
    lists = _by_name(_schedule())
    preheat = lists["preheat"]
    assert set(preheat.sends["channel"]) == {"edm"}
    assert set(preheat.sends["send_time"]) == {pd.Timestamp("2026-11-09 15:50")}
    assert preheat.cost == pytest.approx(10 * 0.01)


def test_touches_are_in_send_order_and_next_send_is_the_next_to_the_same_customers() -> None:
    schedule = _schedule()
    assert [item.touch.name for item in schedule.touches] == [
        "preheat", "prenotice", "notice", "big_spenders",
    ]  # fmt: skip
    nexts = {item.touch.name: item.next_send_time for item in schedule.touches}
    assert nexts["preheat"] == pd.Timestamp("2026-11-09 16:00")
    assert nexts["prenotice"] == pd.Timestamp("2026-11-11 10:00")
    assert nexts["notice"] == pd.Timestamp("2026-11-11 19:00")
    assert nexts["big_spenders"] is None


def test_unknown_segment_value_and_missing_column_are_input_errors() -> None:
    assignment = units_frame()[["customer_id", "arm"]]
    bad_value = (Touch("a", "sms", 0, "10:00", segments=("dormant",)),)
    with pytest.raises(InputError, match="no value 'dormant'.*It has: active, new"):
        schedule_touches(
            bad_value, segments_frame(), assignment, control_arm="control", start=START
        )
    bad_column = (Touch("a", "sms", 0, "10:00", column="region", segments=("north",)),)
    with pytest.raises(InputError, match="has no column 'region'"):
        schedule_touches(
            bad_column, segments_frame(), assignment, control_arm="control", start=START
        )


# --------------------------------------------------------------------------- the workflow


def _folder_digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_workflow_writes_lists_and_schedule_json_with_the_experiment_sha(files, tmp_path) -> None:
    before = _folder_digest(files["experiment"])
    out = tmp_path / "sched"
    result = make_schedule(
        files["segments"], files["touches"], files["experiment"], start="2026-11-11", out=out
    )
    assert _folder_digest(files["experiment"]) == before  # the experiment is never edited
    meta = io.read_json(out / "schedule.json")
    design = io.read_json(files["experiment"] / "design.json")
    assert meta["assignment_sha256"] == design["assignment_sha256"]
    assert meta["assignment_sha256"] == io.sha256_file(files["experiment"] / "assignment.parquet")
    assert [t["customers"] for t in meta["touches"]] == [10, 10, 20, 8]
    assert meta["total_cost"] == pytest.approx(10 * 0.01 + 10 * 0.05 + 20 * 0.1 + 8 * 0.05)
    assert meta == result.meta
    notice = pd.read_csv(out / "notice.csv", dtype=str)
    assert list(notice.columns) == ["customer_id", "channel", "send_time"]
    assert set(notice["send_time"]) == {"2026-11-11 10:00"}
    assert len(pd.read_csv(out / "holdout" / "notice.csv")) == 4
    assert sorted(p.name for p in out.iterdir()) == [
        "big_spenders.csv", "holdout", "notice.csv", "preheat.csv", "prenotice.csv",
        "schedule.json",
    ]  # fmt: skip


def test_existing_out_is_refused_without_force_and_replaced_with_it(files, tmp_path) -> None:
    out = tmp_path / "sched"
    out.mkdir()
    (out / "old.txt").write_text("x")
    args = (files["segments"], files["touches"], files["experiment"])
    with pytest.raises(InputError, match="already exists"):
        make_schedule(*args, start="2026-11-11", out=out)
    make_schedule(*args, start="2026-11-11", out=out, force=True)
    assert not (out / "old.txt").exists() and (out / "schedule.json").exists()


def test_a_changed_assignment_is_refused_by_the_experiment_loader(files, tmp_path) -> None:
    path = files["experiment"] / "assignment.parquet"
    frame = pd.read_parquet(path)
    frame.loc[0, "arm"] = "sms" if frame.loc[0, "arm"] == "control" else "control"
    frame.to_parquet(path, index=False)
    with pytest.raises(InputError, match="assignment.parquet"):
        make_schedule(
            files["segments"], files["touches"], files["experiment"], start="2026-11-11",
            out=tmp_path / "sched",
        )  # fmt: skip
    assert not (tmp_path / "sched").exists()


def test_refusals_name_start_and_segments_as_parameters() -> None:
    import tomllib

    payload = tomllib.loads(TOUCHES_TOML.replace("day = 0", "day = 0.5"))
    with pytest.raises(InputError) as caught:
        parse_touches(payload, "touches.toml")
    assert "day 0.5 is not a whole number of days from 'start'" in str(caught.value)
    touches = parse_touches(tomllib.loads(TOUCHES_TOML), "touches.toml")
    assignment = units_frame()[["customer_id", "arm"]]
    with pytest.raises(InputError) as missing:
        schedule_touches(touches, segments_frame().drop(columns="lifecycle"), assignment,
                         control_arm="control", start=START)  # fmt: skip
    assert str(missing.value).startswith("'segments': has no column 'lifecycle'")
    assert "--" not in str(caught.value) + str(missing.value)
