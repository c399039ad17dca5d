"""`uplift-lab design` end to end: output folder, table, --json, --force and bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from uplift_lab import io
from uplift_lab.cli import app

DATA = Path(__file__).resolve().parents[1] / "data"
CUSTOMERS = DATA / "design_customers.csv"
DUPLICATES = DATA / "design_duplicate_ids.csv"


def run(runner, *args):
    return runner.invoke(app, ["design", *map(str, args)])


def test_design_writes_the_folder_and_prints_the_table(runner, tmp_path):
    out = tmp_path / "exp"
    result = run(runner, CUSTOMERS, "--name", "spring", "--out", out, "--holdout", "0.25")
    assert result.exit_code == 0, result.output
    for stratum in ("active", "semi_active", "silent", "(overall)"):
        assert stratum in result.output
    assert "MDE" in result.output
    assignment = pd.read_parquet(out / "assignment.parquet")
    assert list(assignment.columns) == ["customer_id", "stratum", "arm"]
    assert assignment["customer_id"].iloc[0] == "0001"  # ids stay text, leading zeros kept
    meta = io.read_json(out / "design.json")
    assert meta["counts"] == {
        "active": {"control": 6, "send": 18},
        "semi_active": {"control": 5, "send": 15},
        "silent": {"control": 4, "send": 12},
    }
    assert meta["input_sha256"] == io.sha256_file(CUSTOMERS)
    assert meta["assignment_sha256"] == io.sha256_file(out / "assignment.parquet")
    assert meta["balance"]["covariates"] == ["recency_days", "frequency", "monetary"]
    # Holdouts of 4-6 customers are far below the default --min-holdout 200: reported.
    assert "below --min-holdout 200" in result.output


def test_json_output_is_the_design_json(runner, tmp_path):
    out = tmp_path / "exp"
    result = run(runner, CUSTOMERS, "--name", "j", "--out", out, "--json", "--min-holdout", "0")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["out"] == str(out)
    printed.pop("out")
    assert printed == io.read_json(out / "design.json")


def test_same_customers_give_a_byte_identical_assignment_whatever_the_file(runner, tmp_path):
    shuffled = tmp_path / "shuffled.csv"
    frame = pd.read_csv(CUSTOMERS, dtype={"customer_id": str})
    frame.sample(frac=1, random_state=5).to_csv(shuffled, index=False)
    as_parquet = tmp_path / "customers.parquet"
    frame.to_parquet(as_parquet, index=False)
    runs = (("a", CUSTOMERS), ("b", CUSTOMERS), ("c", shuffled), ("d", as_parquet))
    for folder, source in runs:
        result = run(runner, source, "--name", "same", "--out", tmp_path / folder)
        assert result.exit_code == 0, result.output
    first = (tmp_path / "a" / "assignment.parquet").read_bytes()
    assert (tmp_path / "b" / "assignment.parquet").read_bytes() == first
    assert (tmp_path / "c" / "assignment.parquet").read_bytes() == first
    assert (tmp_path / "d" / "assignment.parquet").read_bytes() == first  # CSV or Parquet input


def test_existing_experiment_needs_force(runner, tmp_path):
    out = tmp_path / "exp"
    assert run(runner, CUSTOMERS, "--name", "f", "--out", out).exit_code == 0
    before = (out / "design.json").read_bytes()
    again = run(runner, CUSTOMERS, "--name", "f", "--out", out, "--holdout", "0.5")
    assert again.exit_code == 2
    assert "already exists" in again.output and "--force" in again.output
    assert (out / "design.json").read_bytes() == before
    forced = run(runner, CUSTOMERS, "--name", "f", "--out", out, "--holdout", "0.5", "--force")
    assert forced.exit_code == 0, forced.output
    assert io.read_json(out / "design.json")["counts"]["active"] == {"control": 12, "send": 12}


def test_per_stratum_holdout_multi_arm_and_segments(runner, tmp_path):
    out = tmp_path / "exp"
    result = run(
        runner, CUSTOMERS, "--name", "m", "--out", out,
        "--arms", "control=0.2,sms=0.4,edm=0.4", "--holdout", "silent=0.5",
        "--segments", "semi_active,silent",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    meta = io.read_json(out / "design.json")
    assert meta["arms"] == ["control", "sms", "edm"]
    assert meta["counts"] == {
        "semi_active": {"control": 4, "sms": 8, "edm": 8},
        "silent": {"control": 8, "sms": 4, "edm": 4},
    }
    assert "MDE" in result.output and "sms" in result.output


def test_target_lift_reports_the_needed_holdout(runner, tmp_path):
    result = run(
        runner, CUSTOMERS, "--name", "t", "--out", tmp_path / "e",
        "--baseline", "0.05", "--baseline", "silent=0.1", "--target-lift", "0.02", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    mde = json.loads(result.stdout)["mde"]
    assert mde["strata"]["silent"]["baseline"] == 0.1
    assert mde["strata"]["active"]["baseline"] == 0.05
    assert mde["strata"]["active"]["arms"]["send"]["mde_above_target"] is True
    assert "larger than the target lift 2.00%" in result.stderr


BAD_INPUTS = [
    ((DUPLICATES,), "duplicate id"),
    ((CUSTOMERS, "--strata", "region"), "unknown stratum column 'region'"),
    ((CUSTOMERS, "--arms", "control=0.2,sms=0.3,edm=0.3"), "fractions that sum to 1"),
    ((CUSTOMERS, "--holdout", "0"), "must be in (0, 1). Got 0 instead"),
    ((CUSTOMERS, "--holdout", "1"), "must be in (0, 1). Got 1 instead"),
    ((CUSTOMERS, "--holdout", "ten"), "'ten' is not a number"),
    ((CUSTOMERS, "--segments", "vip"), "segment 'vip' matches no stratum"),
    ((CUSTOMERS, "--strict"), "smaller than --min-holdout 200"),
    ((CUSTOMERS, "--baseline", "3"), "a response rate in (0, 1)"),
    ((CUSTOMERS, "--customer-col", "cid"), "missing column 'cid'"),
    ((CUSTOMERS, "--covariates", "spend_band"), "'spend_band' in --covariates is not numeric"),
    ((CUSTOMERS, "--baseline-col", "conv"), "unknown column 'conv' in --baseline-col"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUTS)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(runner, tmp_path, args, message):
    out = tmp_path / "exp"
    result = run(runner, *args, "--name", "bad", "--out", out)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stderr.count("error:") == 1 and "Traceback" not in result.output
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no staging folder left behind


def test_non_utf8_file_is_refused_with_the_encoding_fix(runner, tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes("customer_id,lifecycle\n1,caf\xe9\n2,active\n".encode("latin-1") * 1)
    result = run(runner, latin, "--name", "enc", "--out", tmp_path / "e", "--encoding", "utf-8")
    assert result.exit_code == 2
    assert "--encoding" in result.stderr
    assert not (tmp_path / "e").exists()


def test_empty_ids_and_empty_segment_list_are_refused(runner, tmp_path):
    holes = tmp_path / "holes.csv"
    holes.write_text("customer_id,lifecycle\n1,active\n,silent\n3,silent\n", encoding="utf-8")
    result = run(runner, holes, "--name", "h", "--out", tmp_path / "e")
    assert result.exit_code == 2
    assert "empty id" in result.stderr and "row 2" in result.stderr
    result = run(runner, CUSTOMERS, "--name", "h", "--out", tmp_path / "e", "--segments", ",")
    assert result.exit_code == 2
    assert "--segments: must be a non-empty list" in result.stderr
    assert not (tmp_path / "e").exists()


def test_bad_experiment_name_is_refused(runner, tmp_path):
    result = run(runner, CUSTOMERS, "--name", "../evil", "--out", tmp_path / "e")
    assert result.exit_code == 2
    assert "--name: " in result.stderr


def test_every_option_has_help_text(runner):
    import typer.main

    command = typer.main.get_command(app).commands["design"]
    for parameter in command.params:
        if parameter.param_type_name == "option":
            assert (parameter.help or "").strip(), parameter.name
    result = runner.invoke(app, ["design", "--help"])
    assert result.exit_code == 0 and "--holdout" in result.output


def test_baselines_come_from_a_past_analyze_report(runner, tmp_path):
    report = tmp_path / "report.json"
    summaries = [
        {"segment": "silent", "arm": "control", "conversion_rate": 0.04},
        {"segment": "silent", "arm": "send", "conversion_rate": 0.09},
        {"segment": "active", "arm": "control", "conversion_rate": 0.0},  # unusable: skipped
        {"segment": "all", "arm": "control", "conversion_rate": 0.05},
    ]
    io.write_json({"control": "control", "arm_summaries": summaries}, report)
    result = run(
        runner, CUSTOMERS, "--name", "r", "--out", tmp_path / "e", "--json",
        "--baseline-from", report, "--baseline", "semi_active=0.2",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    strata = json.loads(result.stdout)["mde"]["strata"]
    assert strata["silent"]["baseline"] == 0.04
    assert strata["active"]["baseline"] == 0.05  # the report's overall control rate
    assert strata["semi_active"]["baseline"] == 0.2  # an explicit value wins
    bad = run(
        runner, CUSTOMERS, "--name", "r", "--out", tmp_path / "f", "--baseline-from", CUSTOMERS
    )
    assert bad.exit_code == 2 and "not valid JSON" in bad.stderr


def test_strata_none_designs_one_stratum(runner, tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text("customer_id\n" + "".join(f"u{i}\n" for i in range(50)), encoding="utf-8")
    result = run(runner, plain, "--name", "p", "--out", tmp_path / "e", "--strata", "none")
    assert result.exit_code == 0, result.output
    assert io.read_json(tmp_path / "e" / "design.json")["counts"] == {
        "all": {"control": 5, "send": 45}
    }
    default = run(runner, plain, "--name", "p", "--out", tmp_path / "f")
    assert default.exit_code == 2 and "--strata none" in default.stderr


def test_duplicate_arm_in_arms_is_named(runner, tmp_path):
    result = run(runner, CUSTOMERS, "--name", "d", "--out", tmp_path / "e",
                 "--arms", "control=0.1,sms=0.45,sms=0.45")  # fmt: skip
    assert result.exit_code == 2
    assert "'sms' is given twice" in result.output and "sum" not in result.output
    assert not (tmp_path / "e").exists()


def test_strict_says_how_many_strata_it_does_not_list(runner, tmp_path):
    rows = [{"customer_id": f"c{i}", "band": f"b{i % 6}"} for i in range(60)]
    path = tmp_path / "six.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    result = run(runner, path, "--name", "s", "--out", tmp_path / "e", "--strata", "band",
                 "--strict", "--covariates", "")  # fmt: skip
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "6 stratum holdout(s)" in text and "and 1 more" in text
    assert text.count("' (") == 5


def test_tag_columns_of_segment_are_usable_as_strata(runner, tmp_path):
    orders = tmp_path / "orders.csv"
    rows = ["customer_id,order_time,amount"]
    for i in range(60):  # 60 buyers: AOV i + 1, one to three orders
        rows += [f"c{i:03d},2026-0{1 + k}-1{k} 10:00:00,{i + 1}" for k in range(1 + i % 3)]
    orders.write_text("\n".join(rows) + "\n", encoding="utf-8")
    tags = tmp_path / "tags.toml"
    tags.write_text('big = "aov >= 30"\n', encoding="utf-8")
    segments = tmp_path / "segments.csv"
    segmented = runner.invoke(
        app,
        ["segment", str(orders), "--as-of", "2026-07-01", "--tags", str(tags)]
        + ["--thresholds", "fixed", "--out", str(segments)],
    )
    assert segmented.exit_code == 0, segmented.output
    out = tmp_path / "exp"
    strata = "consumption_level,big"
    result = run(runner, segments, "--name", "tags", "--out", out, "--strata", strata)
    assert result.exit_code == 0, result.output
    assignment = pd.read_parquet(out / "assignment.parquet")
    table = pd.read_csv(segments, dtype={"customer_id": str})
    expected = (table["consumption_level"] + "|" + table["big"].astype(str)).value_counts()
    assert assignment["stratum"].value_counts().sort_index().to_dict() == (
        expected.sort_index().to_dict()
    )
    assert set(assignment["stratum"]) == {"low|False", "mid|False", "mid|True", "high|True"}


def test_the_default_baseline_is_said_and_a_given_one_is_not(runner, tmp_path):
    """Power on the built-in 3% says so and names the options for the shop's own rates."""
    default = run(runner, CUSTOMERS, "--name", "a", "--out", tmp_path / "a")
    assert default.exit_code == 0, default.output
    said = " ".join(default.output.split())
    assert "assume a 3% response rate in every stratum (the default)" in said
    assert "--baseline-from" in said
    given = run(runner, CUSTOMERS, "--name", "b", "--out", tmp_path / "b", "--baseline", "0.2")
    assert given.exit_code == 0 and "(the default)" not in given.output
