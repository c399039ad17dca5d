"""`uplift-lab import-campaign` end to end: a 3-arm plain CSV from the synthetic shop gives the
same analysis and the same models as the flat table built by hand; SRM; send logs; refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats as sps

from uplift_lab import io, synth
from uplift_lab.cli import app

WINDOW_DAYS = 14
EXPECTED = "control=0.1,sms=0.45,edm=0.45"


def one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.fixture(scope="module")
def shop_files(tmp_path_factory) -> dict:
    """A small synthetic shop: its orders, and its past campaign re-labelled as 3 arms
    (the send arm split into sms and edm), exported as a plain customer_id,arm CSV."""
    folder = tmp_path_factory.mktemp("shop")
    shop = synth.generate_shop(3000, seed=4)
    orders = folder / "orders.csv"
    io.write_table(shop.orders, orders)
    campaign = shop.campaign.copy()
    rng = np.random.default_rng(9)
    sent = campaign["arm"] == "send"
    campaign["arm"] = np.where(
        sent, np.where(rng.random(len(campaign)) < 0.5, "sms", "edm"), "control"
    )
    export = folder / "export.csv"
    campaign[["customer_id", "arm", "lifecycle"]].to_csv(export, index=False)
    return {
        "folder": folder,
        "orders": orders,
        "export": export,
        "campaign": campaign,
        "start": shop.campaign_start,
        "order_table": shop.orders,
    }


def _import(runner, shop_files, out: Path, *extra: str):
    args = ["import-campaign", str(shop_files["export"]), "--arm-col", "arm", "--control",
            "control", "--start", shop_files["start"].date().isoformat(), "--window-days",
            str(WINDOW_DAYS), "--out", str(out), *extra]  # fmt: skip
    return runner.invoke(app, args)


def _flat_by_hand(shop_files) -> pd.DataFrame:
    """customer_id, arm, lifecycle, converted, revenue from the orders in the window, in pandas."""
    orders = shop_files["order_table"]
    start = shop_files["start"]
    times = pd.to_datetime(orders["order_time"])
    window = orders[(times >= start) & (times < start + pd.Timedelta(days=WINDOW_DAYS))]
    revenue = window.groupby("customer_id")["amount"].sum()
    flat = shop_files["campaign"][["customer_id", "arm", "lifecycle"]].copy()
    flat["customer_id"] = flat["customer_id"].astype(str)
    revenue.index = revenue.index.astype(str)
    flat["revenue"] = flat["customer_id"].map(revenue).fillna(0.0)
    flat["converted"] = flat["customer_id"].isin(revenue.index).astype(int)
    return flat.sort_values("customer_id").reset_index(drop=True)


@pytest.fixture(scope="module")
def imported(shop_files, tmp_path_factory) -> Path:
    from typer.testing import CliRunner

    out = tmp_path_factory.mktemp("exp") / "june"
    result = _import(
        CliRunner(), shop_files, out, "--strata-col", "lifecycle", "--expected", EXPECTED
    )
    assert result.exit_code == 0, result.output
    return out


def test_imported_folder_is_a_design_folder_marked_imported(imported, shop_files) -> None:
    from uplift_lab.workflows.experiment_folder import load_experiment

    experiment = load_experiment(imported)  # checks the assignment's SHA-256
    meta = experiment.meta
    assert meta["imported"] is True
    assert meta["input_sha256"] == io.sha256_file(shop_files["export"])
    assert meta["assignment_sha256"] == io.sha256_file(imported / "assignment.parquet")
    assert meta["campaign"] == {
        "start": shop_files["start"].date().isoformat(),
        "window_days": WINDOW_DAYS,
        "source": "import-campaign",
    }
    assignment = experiment.assignment
    assert list(assignment.columns) == ["customer_id", "stratum", "arm"]
    assert assignment["customer_id"].is_monotonic_increasing
    campaign = shop_files["campaign"].astype({"customer_id": str}).set_index("customer_id")
    joined = assignment.set_index("customer_id")
    assert (joined["arm"] == campaign.loc[joined.index, "arm"]).all()
    assert (joined["stratum"] == campaign.loc[joined.index, "lifecycle"]).all()
    counts = campaign["arm"].value_counts()
    overall = meta["measured_fractions"]["(overall)"]
    for arm in ("control", "sms", "edm"):
        assert overall[arm] == pytest.approx(counts[arm] / len(campaign))
    silent = campaign[campaign["lifecycle"] == "silent"]["arm"].value_counts()
    assert meta["counts"]["silent"] == {arm: int(silent.get(arm, 0)) for arm in meta["arms"]}
    assert meta["arms"] == ["control", "sms", "edm"]
    assert meta["fractions"]["silent"] == {"control": 0.1, "sms": 0.45, "edm": 0.45}


def test_analyze_of_imported_folder_equals_flat_table_by_hand(
    runner, imported, shop_files, tmp_path
) -> None:
    folder_result = runner.invoke(
        app, ["analyze", str(imported), "--outcomes", str(shop_files["orders"]), "--json"]
    )
    assert folder_result.exit_code == 0, folder_result.output
    flat_path = tmp_path / "flat.csv"
    _flat_by_hand(shop_files).to_csv(flat_path, index=False)
    flat_result = runner.invoke(
        app,
        ["analyze", str(flat_path), "--control", "control", "--segment-col", "lifecycle",
         "--expected", EXPECTED, "--json"],
    )  # fmt: skip
    assert flat_result.exit_code == 0, flat_result.output
    by_folder, by_hand = json.loads(folder_result.output), json.loads(flat_result.output)
    assert by_folder["treated_arms"] == by_hand["treated_arms"] == ["sms", "edm"]
    for key in ("arm_summaries", "comparisons", "overall"):
        assert len(by_folder[key]) == len(by_hand[key]) > 0
        for a, b in zip(by_folder[key], by_hand[key], strict=True):
            # AOV differs by definition: revenue per order (orders) vs per converted customer
            a.pop("average_order_value", None), b.pop("average_order_value", None)
            _assert_same(a, b)
    srm = {s["segment"]: s["result"]["p_value"] for s in by_folder["srm"]}
    assert srm == pytest.approx({s["segment"]: s["result"]["p_value"] for s in by_hand["srm"]})
    # and the pooled conversions per arm are the hand count
    flat = _flat_by_hand(shop_files)
    pooled = {
        s["arm"]: s["conversions"] for s in by_folder["arm_summaries"] if s["segment"] == "all"
    }
    assert pooled == flat.groupby("arm")["converted"].sum().to_dict()


def _assert_same(a, b) -> None:
    """Two JSON payloads hold the same texts and (to rounding) the same numbers."""
    left, right = _numbers(a), _numbers(b)
    assert left.keys() == right.keys()
    texts = [key for key, value in left.items() if isinstance(value, str | bool)]
    assert {k: left[k] for k in texts} == {k: right[k] for k in texts}
    numbers = [key for key in left if key not in texts]
    assert [left[k] for k in numbers] == pytest.approx(
        [right[k] for k in numbers], rel=1e-9, abs=1e-9, nan_ok=True
    )


def _numbers(payload, prefix: str = "") -> dict[str, float]:
    """Every number of a nested JSON payload by path (None as NaN)."""
    out: dict[str, float] = {}
    if isinstance(payload, dict):
        for key, value in payload.items():
            out.update(_numbers(value, f"{prefix}.{key}"))
    elif isinstance(payload, list):
        for index, value in enumerate(payload):
            out.update(_numbers(value, f"{prefix}[{index}]"))
    elif isinstance(payload, bool) or isinstance(payload, str):
        out[prefix] = payload
    elif payload is None:
        out[prefix] = float("nan")
    else:
        out[prefix] = float(payload)
    return out


def test_train_on_imported_folder_equals_flat_table_by_hand(
    runner, imported, shop_files, tmp_path
) -> None:
    fast = ["--folds", "2", "--max-rounds", "20", "--model", "two", "--revenue-model", "two"]
    by_folder = tmp_path / "m_folder"
    result = runner.invoke(
        app, ["train", "--experiment", str(imported), "--orders", str(shop_files["orders"]),
              "--out", str(by_folder), *fast],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "design.json campaign.start" in result.output
    model = json.loads((by_folder / "model.json").read_text())
    features = [spec["name"] for spec in model["features"]]
    # By hand: outcomes in pandas, features from `segment` as of the campaign start.
    segments = tmp_path / "segments.parquet"
    result = runner.invoke(
        app, ["segment", str(shop_files["orders"]), "--as-of",
              shop_files["start"].date().isoformat(), "--out", str(segments)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = io.read_table(segments, string_columns=["customer_id"])
    flat = _flat_by_hand(shop_files).drop(columns="lifecycle")
    flat = flat.merge(table, on="customer_id", how="left")
    flat_path = tmp_path / "flat.parquet"
    io.write_table(flat, flat_path)
    by_hand = tmp_path / "m_hand"
    result = runner.invoke(
        app, ["train", "--data", str(flat_path), "--id-col", "customer_id", "--treatment-col",
              "arm", "--control", "control", "--outcome-col", "converted", "--revenue-col",
              "revenue", "--features", ",".join(features), "--out", str(by_hand), *fast],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    hand_model = json.loads((by_hand / "model.json").read_text())
    assert hand_model["arms"] == model["arms"]
    _assert_same(hand_model["cv_metrics"], model["cv_metrics"])
    folder_preds = io.read_table(by_folder / "cv_predictions.parquet")
    hand_preds = io.read_table(by_hand / "cv_predictions.parquet")
    for column in ("conversion", "revenue", "treatment"):
        np.testing.assert_allclose(folder_preds[column], hand_preds[column])


def test_evaluate_reads_imported_folder_like_a_designed_one(imported, shop_files) -> None:
    from uplift_lab.workflows.training_data import load_experiment_outcomes

    outcomes = load_experiment_outcomes(imported, shop_files["orders"])
    assert outcomes.origin == {
        "start": "design.json campaign.start",
        "window_days": "design.json campaign.window_days",
    }
    flat = _flat_by_hand(shop_files)
    table = outcomes.table.sort_values("customer_id").reset_index(drop=True)
    assert table["customer_id"].tolist() == flat["customer_id"].tolist()
    assert table["arm"].tolist() == flat["arm"].tolist()
    np.testing.assert_array_equal(table["converted"], flat["converted"])
    np.testing.assert_allclose(table["revenue"], flat["revenue"])


def test_sample_ratio_mismatch_is_loud_and_matches_scipy(runner, shop_files, tmp_path) -> None:
    campaign = shop_files["campaign"]
    controls = campaign.index[campaign["arm"] == "control"]
    lossy = campaign.drop(index=controls[: len(controls) // 2])  # half the holdout lost
    path = tmp_path / "lossy.csv"
    lossy[["customer_id", "arm"]].to_csv(path, index=False)
    out = tmp_path / "lossy_exp"
    result = runner.invoke(
        app, ["import-campaign", str(path), "--control", "control", "--start", "2026-08-21",
              "--expected", EXPECTED, "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "!!! SAMPLE RATIO MISMATCH overall" in result.output
    meta = json.loads((out / "design.json").read_text())
    observed = lossy["arm"].value_counts()
    arms = ["control", "sms", "edm"]
    f_exp = np.array([0.1, 0.45, 0.45]) * len(lossy)
    reference = sps.chisquare([observed[a] for a in arms], f_exp=f_exp)
    check = meta["srm"]["(overall)"]
    assert check["mismatch"] is True
    assert check["statistic"] == pytest.approx(reference.statistic, rel=1e-9)
    assert check["p_value"] == pytest.approx(reference.pvalue, rel=1e-6, abs=1e-300)
    assert any("SAMPLE RATIO MISMATCH" in w for w in meta["warnings"])


def test_matching_split_passes_with_scipys_p_value(runner, shop_files, imported) -> None:
    meta = json.loads((imported / "design.json").read_text())
    campaign = shop_files["campaign"]
    observed = campaign["arm"].value_counts()
    arms = ["control", "sms", "edm"]
    reference = sps.chisquare(
        [observed[a] for a in arms], f_exp=np.array([0.1, 0.45, 0.45]) * len(campaign)
    )
    assert meta["srm"]["(overall)"]["p_value"] == pytest.approx(reference.pvalue, rel=1e-9)
    assert meta["srm"]["(overall)"]["mismatch"] is False
    silent = campaign.loc[campaign["lifecycle"] == "silent", "arm"].value_counts()
    ref_silent = sps.chisquare(
        [silent[a] for a in arms], f_exp=np.array([0.1, 0.45, 0.45]) * silent.sum()
    )
    assert meta["srm"]["silent"]["p_value"] == pytest.approx(ref_silent.pvalue, rel=1e-9)


def test_same_file_in_any_row_order_gives_byte_identical_assignment(
    runner, shop_files, tmp_path
) -> None:
    shuffled = tmp_path / "shuffled.csv"
    frame = pd.read_csv(shop_files["export"], dtype=str)
    frame.sample(frac=1.0, random_state=3).to_csv(shuffled, index=False)
    outs = []
    for name, source in (("a", shop_files["export"]), ("b", shuffled)):
        out = tmp_path / name
        args = ["import-campaign", str(source), "--start", "2026-08-21", "--out", str(out)]
        assert runner.invoke(app, args).exit_code == 0
        outs.append((out / "assignment.parquet").read_bytes())
    assert outs[0] == outs[1]


def test_send_log_and_holdout_list(runner, tmp_path) -> None:
    send_log = tmp_path / "sends.csv"
    pd.DataFrame(
        {
            "customer_id": ["c1", "c2", "c3", "c1", "c4"],
            "channel": ["sms", " edm", "sms", "sms", "edm"],
            "send_time": [
                "2026-06-01 09:00",
                "2026-06-01 20:15",
                "2026-06-02 10:30",
                "2026-06-01 08:00",
                "2026-06-01 12:00",
            ],
        }  # fmt: skip
    ).to_csv(send_log, index=False)
    holdout = tmp_path / "holdout.csv"
    pd.DataFrame({"customer_id": ["h1", "h2"]}).to_csv(holdout, index=False)
    out = tmp_path / "sends_exp"
    result = runner.invoke(
        app, ["import-campaign", "--send-log", str(send_log), "--holdout-list", str(holdout),
              "--expected", "control=0.4,sms=0.3,edm=0.3", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    from uplift_lab.workflows.experiment_folder import load_experiment

    experiment = load_experiment(out)
    table = experiment.assignment.set_index("customer_id")
    assert table["arm"].to_dict() == {
        "c1": "sms", "c2": "edm", "c3": "sms", "c4": "edm", "h1": "control", "h2": "control"
    }  # fmt: skip
    assert table.loc["c1", "send_time"] == pd.Timestamp("2026-06-01 08:00")  # the first send
    assert table.loc["c2", "send_time"] == pd.Timestamp("2026-06-01 20:15")
    assert table.loc[["h1", "h2"], "send_time"].isna().all()
    meta = experiment.meta
    assert meta["campaign"]["start"] == "2026-06-01"  # the day of the first send
    assert meta["holdout_sha256"] == io.sha256_file(holdout)
    assert any("1 repeated send" in w for w in meta["warnings"])


def test_customer_both_sent_and_held_out_is_refused(runner, tmp_path) -> None:
    send_log = tmp_path / "sends.csv"
    pd.DataFrame({"customer_id": ["c1", "c2"], "channel": ["sms", "sms"]}).to_csv(
        send_log, index=False
    )
    holdout = tmp_path / "holdout.csv"
    pd.DataFrame({"customer_id": ["c2", "h1"]}).to_csv(holdout, index=False)
    out = tmp_path / "x"
    line = one_line_error(
        runner.invoke(
            app,
            [
                "import-campaign",
                "--send-log",
                str(send_log),
                "--holdout-list",
                str(holdout),
                "--start",
                "2026-06-01",
                "--out",
                str(out),
            ],
        )  # fmt: skip
    )
    assert "holdout.csv" in line and "'c2'" in line and "both held out" in line
    assert not out.exists()


def test_customer_sent_on_two_channels_is_refused(runner, tmp_path) -> None:
    send_log = tmp_path / "sends.csv"
    pd.DataFrame({"customer_id": ["c1", "c1"], "channel": ["sms", "edm"]}).to_csv(
        send_log, index=False
    )
    holdout = tmp_path / "holdout.csv"
    pd.DataFrame({"customer_id": ["h1"]}).to_csv(holdout, index=False)
    line = one_line_error(
        runner.invoke(
            app,
            [
                "import-campaign",
                "--send-log",
                str(send_log),
                "--holdout-list",
                str(holdout),
                "--start",
                "2026-06-01",
                "--out",
                str(tmp_path / "x"),
            ],
        )  # fmt: skip
    )
    assert "'c1'" in line and "more than one channel" in line


def _write(tmp_path: Path, rows: dict, name: str = "c.csv") -> Path:
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _balanced(n: int = 300) -> dict:
    return {
        "customer_id": [f"u{i}" for i in range(n)],
        "arm": ["control" if i % 10 == 0 else ("sms" if i % 2 else "edm") for i in range(n)],
    }


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda r: r["customer_id"].__setitem__(5, "u7"), ["duplicate id", "'u7'", "customer_id"]),
        (lambda r: r["customer_id"].__setitem__(5, ""), ["empty id", "customer_id"]),
        (lambda r: r["customer_id"].__setitem__(5, "   "), ["empty id", "customer_id"]),
        (lambda r: r["arm"].__setitem__(5, ""), ["empty arm label", "'arm'"]),
        (lambda r: r["arm"].__setitem__(5, "sned"), ["'sned'", "1 of 300 rows", "--expected"]),
    ],
)
def test_bad_campaign_file_is_refused_with_one_line(runner, tmp_path, edit, words) -> None:
    rows = _balanced()
    edit(rows)
    path = _write(tmp_path, rows)
    out = tmp_path / "exp"
    line = one_line_error(
        runner.invoke(
            app, ["import-campaign", str(path), "--start", "2026-06-01", "--out", str(out)]
        )
    )
    assert "c.csv" in line
    for word in words:
        assert word in line
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".exp")]


def test_unknown_control_label_lists_the_arms_quoted(runner, tmp_path) -> None:
    path = _write(tmp_path, _balanced())
    line = one_line_error(
        runner.invoke(
            app,
            [
                "import-campaign",
                str(path),
                "--control",
                "holdout",
                "--start",
                "2026-06-01",
                "--out",
                str(tmp_path / "exp"),
            ],
        )  # fmt: skip
    )
    assert "control arm 'holdout'" in line and "'control', 'edm', 'sms'" in line


def test_arm_labels_with_stray_spaces_are_stripped(runner, tmp_path) -> None:
    rows = _balanced()
    rows["arm"] = [f" {arm} " for arm in rows["arm"]]
    path = _write(tmp_path, rows)
    out = tmp_path / "exp"
    result = runner.invoke(app, ["import-campaign", str(path), "--start", "2026-06-01",
                                 "--out", str(out), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["arms"] == ["control", "edm", "sms"]


def test_label_outside_expected_and_bad_expected_are_refused(runner, tmp_path) -> None:
    path = _write(tmp_path, _balanced())
    base = ["import-campaign", str(path), "--start", "2026-06-01", "--out", str(tmp_path / "e")]
    line = one_line_error(runner.invoke(app, [*base, "--expected", "control=0.1,sms=0.9"]))
    assert "unexpected labels: edm" in line
    line = one_line_error(runner.invoke(app, [*base, "--expected", "control=0.1,sms=0.45,edm=0.4"]))
    assert "sum to 1" in line and "0.95" in line
    line = one_line_error(
        runner.invoke(app, [*base, "--expected", "control=0.1,sms=0.45,sms=0.45"])
    )
    assert "'sms' is given twice" in line
    line = one_line_error(runner.invoke(app, [*base, "--expected", "sms=0.5,edm=0.5"]))
    assert "control arm 'control'" in line


def test_existing_folder_is_kept_without_force_and_replaced_with_it(runner, tmp_path) -> None:
    path = _write(tmp_path, _balanced())
    out = tmp_path / "exp"
    args = ["import-campaign", str(path), "--start", "2026-06-01", "--out", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    rows = _balanced()
    rows["arm"][1] = "edm"
    _write(tmp_path, rows)
    line = one_line_error(runner.invoke(app, args))
    assert "already exists" in line and "--force" in line
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    assert (out / "assignment.parquet").read_bytes() != before["assignment.parquet"]


def test_missing_column_and_bad_start_are_refused(runner, tmp_path) -> None:
    path = _write(tmp_path, _balanced())
    base = ["import-campaign", str(path), "--out", str(tmp_path / "e")]
    line = one_line_error(runner.invoke(app, [*base, "--start", "2026-06-01", "--arm-col", "grp"]))
    assert "missing column 'grp'" in line and "customer_id, arm" in line and "--arm-col" in line
    line = one_line_error(runner.invoke(app, [*base, "--start", "June"]))
    assert "--start" in line and "'June'" in line
    line = one_line_error(runner.invoke(app, base))
    assert "--start is required" in line


def test_edited_imported_assignment_is_refused_by_analyze(runner, tmp_path) -> None:
    path = _write(tmp_path, _balanced())
    out = tmp_path / "exp"
    assert (
        runner.invoke(
            app, ["import-campaign", str(path), "--start", "2026-06-01", "--out", str(out)]
        ).exit_code
        == 0
    )
    table = io.read_table(out / "assignment.parquet")
    table.loc[0, "arm"] = "sms" if table.loc[0, "arm"] != "sms" else "edm"
    io.write_table(table, out / "assignment.parquet")
    outcomes = _write(
        tmp_path, {"customer_id": ["u1"], "converted": [1], "revenue": [5.0]}, "o.csv"
    )
    line = one_line_error(runner.invoke(app, ["analyze", str(out), "--outcomes", str(outcomes)]))
    assert "SHA-256" in line


def test_imported_without_expected_records_no_fractions_and_analyze_takes_them(
    runner, tmp_path
) -> None:
    path = _write(tmp_path, _balanced())
    out = tmp_path / "exp"
    args = ["import-campaign", str(path), "--start", "2026-06-01", "--out", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    assert json.loads((out / "design.json").read_text())["fractions"] is None
    outcomes = _write(
        tmp_path, {"customer_id": ["u1"], "converted": [1], "revenue": [5.0]}, "o.csv"
    )
    base = ["analyze", str(out), "--outcomes", str(outcomes), "--json"]
    unchecked = json.loads(runner.invoke(app, base).stdout)
    assert unchecked["srm"] == []
    checked = runner.invoke(app, [*base, "--expected", "control=0.1,sms=0.5,edm=0.4"])
    assert checked.exit_code == 0, checked.output
    srm = json.loads(checked.stdout)["srm"][0]["result"]
    reference = sps.chisquare([30, 120, 150], f_exp=[30, 120, 150])  # control, edm, sms
    assert srm["p_value"] == pytest.approx(reference.pvalue)


def test_a_utc_send_log_is_read_on_the_shops_clock_with_timezone(runner, tmp_path) -> None:
    """An SMS platform's log in UTC ('Z'): with --timezone Asia/Shanghai the send times and
    the campaign start are the shop's (00:00-00:59 on the 21st, not 16:xx on the 20th), the
    same as the log written in shop time; without it a note names --timezone."""
    from uplift_lab.workflows.experiment_folder import load_experiment

    local = pd.to_datetime(["2026-08-21 00:05", "2026-08-21 00:40", "2026-08-21 09:00"])
    utc = local.tz_localize("Asia/Shanghai").tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
    sends = pd.DataFrame({"customer_id": ["c1", "c2", "c3"], "channel": "sms"})
    sends.assign(send_time=utc).to_csv(tmp_path / "utc.csv", index=False)
    sends.assign(send_time=local.strftime("%Y-%m-%d %H:%M")).to_csv(
        tmp_path / "shop.csv", index=False
    )
    pd.DataFrame({"customer_id": ["h1"]}).to_csv(tmp_path / "holdout.csv", index=False)
    base = ["import-campaign", "--holdout-list", str(tmp_path / "holdout.csv")]
    folders = {}
    for name, extra in (("utc", ["--timezone", "Asia/Shanghai"]), ("shop", [])):
        folders[name] = tmp_path / f"exp_{name}"
        args = [*base, "--send-log", str(tmp_path / f"{name}.csv"), *extra]
        result = runner.invoke(app, [*args, "--out", str(folders[name])])
        assert result.exit_code == 0, result.output
    utc_exp, shop_exp = load_experiment(folders["utc"]), load_experiment(folders["shop"])
    pd.testing.assert_frame_equal(utc_exp.assignment, shop_exp.assignment)
    assert utc_exp.meta["campaign"]["start"] == shop_exp.meta["campaign"]["start"]
    assert utc_exp.meta["campaign"]["start"].startswith("2026-08-21")
    plain = runner.invoke(app, [*base, "--send-log", str(tmp_path / "utc.csv"), "--out",
                                str(tmp_path / "exp_plain")])  # fmt: skip
    assert plain.exit_code == 0 and "written in UTC" in " ".join(plain.stderr.split())


def test_sends_outside_the_response_window_are_warned(runner, tmp_path) -> None:
    """--start three weeks before every send: the window measures days no message was in, and
    import-campaign says so (also repeated sends it collapsed are printed, not only stored)."""
    sends = pd.DataFrame(
        {
            "customer_id": ["c1", "c2", "c2"],
            "channel": "sms",
            "send_time": ["2026-08-21 10:05", "2026-08-21 10:06", "2026-08-21 11:00"],
        }
    )
    sends.to_csv(tmp_path / "sends.csv", index=False)
    pd.DataFrame({"customer_id": ["h1"]}).to_csv(tmp_path / "holdout.csv", index=False)
    base = ["import-campaign", "--send-log", str(tmp_path / "sends.csv"), "--holdout-list",
            str(tmp_path / "holdout.csv")]  # fmt: skip
    early = runner.invoke(app, [*base, "--start", "2026-08-01", "--window-days", "7",
                                "--out", str(tmp_path / "early")])  # fmt: skip
    assert early.exit_code == 0, early.output
    said = " ".join(early.stderr.split())
    assert "2 of 2 send(s) fall outside the response window 2026-08-01 to 2026-08-07" in said
    assert "collapsed" in said  # c2's second send
    default = runner.invoke(app, [*base, "--out", str(tmp_path / "default")])
    assert default.exit_code == 0 and "outside the response window" not in default.stderr


def test_a_send_logs_delivery_status_is_named_as_not_read(runner, tmp_path) -> None:
    """Failed sends stay in their arm (intent to treat); the note says the status column was
    seen and not read, with its counts; the import equals the log without the column."""
    from uplift_lab.workflows.experiment_folder import load_experiment

    sends = pd.DataFrame(
        {
            "customer_id": ["c1", "c2", "c3"],
            "channel": "sms",
            "send_time": "2026-08-21 10:05",
            "status": ["delivered", "failed", "delivered"],
        }
    )
    sends.to_csv(tmp_path / "with.csv", index=False)
    sends.drop(columns="status").to_csv(tmp_path / "without.csv", index=False)
    pd.DataFrame({"customer_id": ["h1"]}).to_csv(tmp_path / "holdout.csv", index=False)
    results = {}
    for name in ("with", "without"):
        result = runner.invoke(app, ["import-campaign", "--send-log", str(tmp_path / f"{name}.csv"),
                                     "--holdout-list", str(tmp_path / "holdout.csv"),
                                     "--out", str(tmp_path / name)])  # fmt: skip
        assert result.exit_code == 0, result.output
        results[name] = result
    said = " ".join(results["with"].stderr.split())
    assert "column 'status' (delivered 2, failed 1) is not read" in said
    assert "not read" not in results["without"].stderr
    pd.testing.assert_frame_equal(
        load_experiment(tmp_path / "with").assignment,
        load_experiment(tmp_path / "without").assignment,
    )
