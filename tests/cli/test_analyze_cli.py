"""`uplift-lab analyze` end to end: Hillstrom numbers, report files, JSON, and bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.test_analyze import simulated_units, write_experiment
from uplift_lab import io
from uplift_lab.cli import app

HILLSTROM_ARGS = [
    "--arm-col",
    "segment",
    "--control",
    "No E-Mail",
    "--conversion-col",
    "conversion",
    "--revenue-col",
    "spend",
    "--segment-col",
    "zip_code",
]


def one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.fixture
def experiment(tmp_path) -> tuple[Path, Path]:
    """An experiment folder and a per-customer outcomes file."""
    units = simulated_units(seed=11, sizes={"silent": 600, "active": 400})
    folder = write_experiment(tmp_path / "experiments" / "spring", units)
    outcomes = tmp_path / "outcomes.csv"
    io.write_table(units[["customer_id", "converted", "revenue"]], outcomes)
    return folder, outcomes


@pytest.fixture
def flat_table(tmp_path) -> Path:
    units = simulated_units(seed=12, sizes={"silent": 500, "active": 300})
    path = tmp_path / "flat.csv"
    io.write_table(units, path)
    return path


def test_hillstrom_per_arm_rates_and_zip_tables_match_pandas(runner, hillstrom_path) -> None:
    result = runner.invoke(app, ["analyze", str(hillstrom_path), *HILLSTROM_ARGS])
    assert result.exit_code == 0, result.output
    data = pd.read_csv(hillstrom_path)
    rates = data.groupby("segment")["conversion"].mean()
    for arm in ("Mens E-Mail", "Womens E-Mail", "No E-Mail"):
        assert f"{rates[arm] * 100:.3f}%" in result.output
    assert ["1.253%", "0.884%", "0.573%"] == [f"{rates[a] * 100:.3f}%" for a in (
        "Mens E-Mail", "Womens E-Mail", "No E-Mail")]  # fmt: skip
    for zip_code in data["zip_code"].unique():
        assert zip_code in result.output
    assert "Arms per segment" in result.output
    assert "Conversion: Mens E-Mail vs No E-Mail" in result.output
    assert "Intent to treat" in result.output


def test_hillstrom_json_numbers_match_pandas(runner, hillstrom_path) -> None:
    result = runner.invoke(app, ["analyze", str(hillstrom_path), *HILLSTROM_ARGS, "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    data = pd.read_csv(hillstrom_path)
    by_zip = data.groupby(["zip_code", "segment"])
    for row in payload["arm_summaries"]:
        if row["segment"] == "all":
            continue
        group = by_zip.get_group((row["segment"], row["arm"]))
        assert row["n"] == len(group)
        assert row["conversion_rate"] == pytest.approx(group["conversion"].mean())
        assert row["revenue_per_customer"] == pytest.approx(group["spend"].mean())


def test_experiment_report_files_are_complete_and_self_contained(
    runner, experiment, tmp_path
) -> None:
    folder, outcomes = experiment
    out = tmp_path / "reports" / "spring"
    args = ["analyze", str(folder), "--outcomes", str(outcomes), "--cost", "send=0.05"]
    result = runner.invoke(app, [*args, "--margin", "0.3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert {"report.md", "report.html", "report.json"} <= {p.name for p in out.iterdir()}
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") >= 2
    assert 'src="http' not in html and "<link" not in html
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "## Money: send vs control" in markdown
    assert "Intent to treat" in markdown
    payload = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert {c["segment"] for c in payload["comparisons"]} == {"active", "silent"}
    assert payload["overall"][0]["money"]["cost"] == pytest.approx(
        0.05 * payload["overall"][0]["treated_n"]
    )
    assert [s["segment"] for s in payload["srm"]] == ["active", "silent", "all"]


def test_same_inputs_give_byte_identical_reports(runner, experiment, tmp_path) -> None:
    folder, outcomes = experiment
    outputs = []
    for name in ("a", "b"):
        out = tmp_path / name
        args = ["analyze", str(folder), "--outcomes", str(outcomes), "--out", str(out)]
        assert runner.invoke(app, args).exit_code == 0
        outputs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert outputs[0] == outputs[1]


def test_a_report_folder_is_written_again_but_other_files_need_force(
    runner, experiment, tmp_path, monkeypatch
) -> None:
    folder, outcomes = experiment
    out = tmp_path / "report"
    args = ["analyze", str(folder), "--outcomes", str(outcomes), "--out", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    first = (out / "report.json").read_bytes()
    assert runner.invoke(app, args).exit_code == 0  # its own report: replaced without --force
    assert (out / "report.json").read_bytes() == first
    (out / "notes.txt").write_text("mine")
    line = one_line_error(runner.invoke(app, args))
    assert "'notes.txt'" in line and "--force" in line
    assert (out / "notes.txt").read_text() == "mine"
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    assert not (out / "notes.txt").exists() and (out / "report.json").exists()
    # the experiment folder itself, or the folder one works in, is never replaced
    for target in (folder, tmp_path):
        monkeypatch.chdir(tmp_path)
        result = runner.invoke(app, [*args[:-1], str(target), "--force"])
        assert "would delete" in one_line_error(result) or "working in" in result.output
    assert (folder / "assignment.parquet").exists() and (folder / "design.json").exists()
    result = runner.invoke(app, [*args[:-1], ".", "--force"])
    assert "working in" in one_line_error(result)


def test_orders_outcomes_with_refunds_and_cuped(runner, tmp_path) -> None:
    units = simulated_units(seed=13, sizes={"silent": 500})
    folder = write_experiment(tmp_path / "exp", units)
    rng = np.random.default_rng(13)
    before = pd.DataFrame(  # pre-period orders: the CUPED covariate
        {
            "customer_id": units["customer_id"],
            "order_time": pd.Timestamp("2026-07-01"),
            "amount": rng.gamma(2.0, 20.0, len(units)).round(2),
        }
    )
    buyers = units[units["converted"] == 1]
    window = pd.DataFrame(
        {
            "customer_id": buyers["customer_id"],
            "order_time": pd.Timestamp("2026-08-22 10:00"),
            "amount": buyers["revenue"].round(2) + 1.0,
        }
    )
    refund = window.iloc[:1].assign(amount=-1.0, order_time=pd.Timestamp("2026-08-23"))
    orders = tmp_path / "orders.csv"
    io.write_table(pd.concat([before, window, refund]), orders)
    args = ["analyze", str(folder), "--outcomes", str(orders), "--start", "2026-08-21"]
    refused = runner.invoke(app, [*args, "--covariate", "pre_revenue", "--json"])
    assert "pass --refund-rows" in one_line_error(refused)  # as in segment and train
    args.append("--refund-rows")
    result = runner.invoke(app, [*args, "--covariate", "pre_revenue", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["data_notes"]["refund_rows"] == 1
    assert payload["data_notes"]["refund_amount"] == 1.0
    cuped = payload["comparisons"][0]["revenue_cuped"]
    assert cuped["theta"] is not None
    send = next(s for s in payload["arm_summaries"] if s["arm"] == "send" and s["segment"] == "all")
    sent_buyers = buyers[buyers["arm"] == "send"]
    refunded = refund["customer_id"].iloc[0] in set(sent_buyers["customer_id"])
    expected = (sent_buyers["revenue"].round(2) + 1.0).sum() - (1.0 if refunded else 0.0)
    assert send["revenue"] == pytest.approx(expected)


def test_flat_mode_expected_fractions_enable_srm(runner, flat_table) -> None:
    base = ["analyze", str(flat_table), "--control", "control", "--segment-col", "segment"]
    without = runner.invoke(app, base)
    assert without.exit_code == 0
    assert "could not be checked" in without.output
    with_srm = runner.invoke(app, [*base, "--expected", "control=0.1,send=0.9"])
    assert with_srm.exit_code == 0
    assert "Sample ratio check" in with_srm.output
    loud = runner.invoke(app, [*base, "--expected", "control=0.5,send=0.5"])
    assert loud.exit_code == 0
    assert "SAMPLE RATIO MISMATCH" in loud.output


def test_one_arm_is_refused(runner, tmp_path) -> None:
    units = simulated_units(sizes={"a": 100})
    units["arm"] = "send"
    path = tmp_path / "one_arm.csv"
    io.write_table(units, path)
    out = tmp_path / "report"
    args = ["analyze", str(path), "--control", "control", "--out", str(out)]
    line = one_line_error(runner.invoke(app, args))
    assert "only one arm" in line and "'arm'" in line
    assert not out.exists()


def test_unknown_control_label_lists_the_arms(runner, flat_table) -> None:
    line = one_line_error(runner.invoke(app, ["analyze", str(flat_table), "--control", "holdout"]))
    assert "control arm 'holdout'" in line and "'control', 'send'" in line


def test_nan_in_outcomes_is_refused(runner, experiment, tmp_path) -> None:
    folder, outcomes = experiment
    frame = pd.read_csv(outcomes, dtype={"customer_id": str})
    frame.loc[3, "revenue"] = np.nan
    bad = tmp_path / "nan.csv"
    frame.to_csv(bad, index=False)
    out = tmp_path / "report"
    args = ["analyze", str(folder), "--outcomes", str(bad), "--out", str(out)]
    line = one_line_error(runner.invoke(app, args))
    assert "nan.csv" in line and "'revenue'" in line and "missing value" in line
    assert not out.exists()


def test_text_in_numeric_column_is_refused(runner, flat_table, tmp_path) -> None:
    frame = pd.read_csv(flat_table)
    frame["revenue"] = frame["revenue"].astype(str)
    frame.loc[5, "revenue"] = "$12.50"
    bad = tmp_path / "text.csv"
    frame.to_csv(bad, index=False)
    line = one_line_error(runner.invoke(app, ["analyze", str(bad), "--control", "control"]))
    assert "'revenue' must be numeric" in line and "$12.50" in line


def test_non_binary_conversion_is_refused(runner, flat_table, tmp_path) -> None:
    frame = pd.read_csv(flat_table)
    frame.loc[0, "converted"] = 2
    bad = tmp_path / "two.csv"
    frame.to_csv(bad, index=False)
    line = one_line_error(runner.invoke(app, ["analyze", str(bad), "--control", "control"]))
    assert "'converted' must be 0/1" in line


def test_edited_assignment_is_refused(runner, experiment, tmp_path) -> None:
    folder, outcomes = experiment
    assignment = pd.read_parquet(folder / "assignment.parquet")
    assignment = assignment.iloc[1:]  # someone dropped a customer after the design
    assignment.to_parquet(folder / "assignment.parquet", index=False)
    out = tmp_path / "report"
    args = ["analyze", str(folder), "--outcomes", str(outcomes), "--out", str(out)]
    line = one_line_error(runner.invoke(app, args))
    assert "assignment.parquet" in line and "changed after design" in line
    assert not out.exists()


def test_empty_segment_label_is_refused(runner, flat_table, tmp_path) -> None:
    frame = pd.read_csv(flat_table)
    frame.loc[7, "segment"] = None
    bad = tmp_path / "empty_segment.csv"
    frame.to_csv(bad, index=False)
    args = ["analyze", str(bad), "--control", "control", "--segment-col", "segment"]
    line = one_line_error(runner.invoke(app, args))
    assert "'segment'" in line and "empty segment" in line


def test_missing_column_names_what_the_file_has(runner, flat_table) -> None:
    args = ["analyze", str(flat_table), "--control", "control", "--revenue-col", "spend"]
    line = one_line_error(runner.invoke(app, args))
    assert "missing column 'spend'" in line and "The file has:" in line


def test_orders_without_start_asks_for_it(runner, experiment, tmp_path) -> None:
    folder, _ = experiment
    orders = tmp_path / "orders.csv"
    io.write_table(
        pd.DataFrame({"customer_id": ["C000001"], "order_time": ["2026-08-22"], "amount": [5.0]}),
        orders,
    )
    line = one_line_error(runner.invoke(app, ["analyze", str(folder), "--outcomes", str(orders)]))
    assert "--start is required" in line
    args = ["analyze", str(folder), "--outcomes", str(orders), "--start", "soon"]
    assert "'soon' is not an ISO date" in one_line_error(runner.invoke(app, args))


def test_analyze_help_lists_the_options(runner) -> None:
    result = runner.invoke(app, ["analyze", "--help"])
    assert result.exit_code == 0
    options = ("--outcomes", "--cost", "--coupon", "--margin", "--cap-revenue", "--covariate")
    for option in (*options, "--json"):
        assert option in result.output


def test_bare_cost_applies_to_every_treated_arm(runner, flat_table) -> None:
    args = ["analyze", str(flat_table), "--control", "control", "--cost", "0.1", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    money = payload["overall"][0]["money"]
    assert money["cost"] == pytest.approx(0.1 * money["treated_n"])
    assert money["margin"] == 1.0


def test_bad_cost_and_expected_values_are_refused(runner, flat_table) -> None:
    base = ["analyze", str(flat_table), "--control", "control"]
    line = one_line_error(runner.invoke(app, [*base, "--cost", "sms=abc"]))
    assert "--cost sms" in line and "not a number" in line
    line = one_line_error(runner.invoke(app, [*base, "--cost", "sms=0.1"]))
    assert "'sms' is not a treated arm" in line
    line = one_line_error(runner.invoke(app, [*base, "--expected", "control=0.1"]))
    assert "--expected" in line


def test_undecodable_csv_is_refused_with_the_encoding_fix(runner, tmp_path) -> None:
    bad = tmp_path / "bad_encoding.csv"
    bad.write_bytes(b"arm,converted,revenue\ncontrol,0,0\nsend\xff\xfe,1,5\nsend,0,0\n")
    line = one_line_error(runner.invoke(app, ["analyze", str(bad), "--control", "control"]))
    assert "bad_encoding.csv" in line and "--encoding" in line


def test_coupon_option_is_charged_per_treated_conversion(runner, flat_table, tmp_path) -> None:
    out = tmp_path / "report"
    args = ["analyze", str(flat_table), "--control", "control", "--segment-col", "segment"]
    args += ["--cost", "send=0.1", "--coupon", "send=2", "--margin", "0.3", "--out", str(out)]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    money = json.loads(result.output)["overall"][0]["money"]
    data = pd.read_csv(flat_table)
    treated = data[data["arm"] == "send"]
    assert money["coupon_cost"] == pytest.approx(2 * treated["converted"].sum())
    assert money["cost"] == pytest.approx(0.1 * len(treated) + 2 * treated["converted"].sum())
    assert money["incremental_profit"] == pytest.approx(
        money["incremental_revenue"] * 0.3 - money["cost"]
    )
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "Coupon cost" in markdown and "every redemption" in markdown
    bad = [value if value != "send=2" else "send=lots" for value in args[:-2]]
    line = one_line_error(runner.invoke(app, bad))
    assert "--coupon send" in line and "not a number" in line
    line = one_line_error(runner.invoke(app, [*args[:-2], "--coupon", "send=3"]))
    assert "--coupon: 'send' is given twice" in line


def test_revenue_lift_plot_is_embedded_in_html_and_linked_in_markdown(
    runner, experiment, tmp_path
) -> None:
    folder, outcomes = experiment
    out = tmp_path / "report"
    args = ["analyze", str(folder), "--outcomes", str(outcomes), "--out", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    assert (out / "revenue_lift_1.png").read_bytes().startswith(b"\x89PNG")
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "(revenue_lift_1.png)" in markdown and "(lift_1.png)" in markdown
    # Each figure sits right after the tables it illustrates.
    revenue_table = markdown.index("## Revenue per customer: send vs control")
    assert revenue_table < markdown.index("(revenue_lift_1.png)") < markdown.index("## Sample")
    html = (out / "report.html").read_text(encoding="utf-8")
    caption = "Revenue per customer lift per segment, send vs control, with 95% CI"
    assert f'alt="{caption}"' in html
    figures = html.count("data:image/png;base64,")
    assert figures == len([p for p in out.iterdir() if p.suffix == ".png"])


def test_srm_hint_names_the_real_arms_and_works_when_pasted(runner, flat_table) -> None:
    base = ["analyze", str(flat_table), "--control", "control", "--json"]
    payload = json.loads(runner.invoke(app, base).output)
    hint = next(n["message"] for n in payload["notices"] if "could not be checked" in n["message"])
    suggested = hint.split("--expected '")[1].split("'")[0]
    assert suggested == "control=0.5,send=0.5"
    result = runner.invoke(app, [*base, "--expected", suggested])
    assert result.exit_code == 0, result.output
    assert [s["segment"] for s in json.loads(result.output)["srm"]] == ["all"]


def _flat_with_typo(tmp_path: Path) -> Path:
    rng = np.random.default_rng(3)
    arms = np.where(rng.random(2000) < 0.5, "send", "control")
    arms[7] = "sned"  # a mistyped label
    frame = pd.DataFrame(
        {"arm": arms, "converted": (rng.random(2000) < 0.1).astype(int), "revenue": 0.0}
    )
    path = tmp_path / "typo.csv"
    frame.to_csv(path, index=False)
    return path


def test_unexpected_arm_label_is_refused_when_arms_are_declared(runner, tmp_path) -> None:
    path = _flat_with_typo(tmp_path)
    args = ["analyze", str(path), "--control", "control", "--conversion-col", "converted",
            "--revenue-col", "revenue", "--expected", "control=0.5,send=0.5"]  # fmt: skip
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "rep")])
    assert result.exit_code == 2
    assert "typo.csv" in result.output and "'arm'" in result.output and "sned" in result.output
    assert not (tmp_path / "rep").exists()


def test_tiny_arm_without_declared_arms_is_refused_naming_label_and_flag(runner, tmp_path) -> None:
    path = _flat_with_typo(tmp_path)
    args = ["analyze", str(path), "--control", "control", "--conversion-col", "converted",
            "--revenue-col", "revenue", "--out", str(tmp_path / "rep")]  # fmt: skip
    line = one_line_error(runner.invoke(app, args))
    assert "arm 'sned' with only 1 of 2,000 rows" in line and "--expected" in line
    assert not (tmp_path / "rep").exists()


def test_small_arm_declared_with_expected_is_accepted(runner, tmp_path) -> None:
    path = _flat_with_typo(tmp_path)
    args = ["analyze", str(path), "--control", "control", "--conversion-col", "converted",
            "--expected", "control=0.5,send=0.4995,sned=0.0005", "--json"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["treated_arms"] == ["send", "sned"]


# --- Flat tables without segments, without revenue, with label outcomes (issue 9 / 12) ---


def _votes(tmp_path: Path, labels: bool = False, spaces: bool = False) -> Path:
    """A conversion-only campaign (a 0/1 or Yes/No `voted` column), no segment column."""
    rng = np.random.default_rng(17)
    arm = np.where(rng.random(4000) < 0.5, "control", "mail")
    voted = (rng.random(4000) < np.where(arm == "mail", 0.34, 0.30)).astype(int)
    frame = pd.DataFrame({"group": arm, "voted": voted})
    if labels:
        frame["voted"] = np.where(voted == 1, "Yes", "No")
    if spaces:
        frame["group"] = np.where(
            rng.random(4000) < 0.5, " " + frame["group"], frame["group"] + " "
        )
    path = tmp_path / ("votes_labels.csv" if labels else "votes.csv")
    frame.to_csv(path, index=False)
    return path


VOTE_ARGS = ["--arm-col", "group", "--control", "control", "--conversion-col", "voted"]


def _proportion_reference(path: Path, positive: str | None = None):
    """The conversion lift and its default (Newcombe) CI, from statsmodels."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    frame = pd.read_csv(path)
    frame["group"] = frame["group"].str.strip()
    flag = frame["voted"] == positive if positive else frame["voted"] == 1
    c, t = flag[frame["group"] == "control"], flag[frame["group"] == "mail"]
    diff = t.mean() - c.mean()
    low, high = confint_proportions_2indep(t.sum(), len(t), c.sum(), len(c), method="newcomb")
    return diff, low, high


def test_flat_table_without_segments_writes_report_and_lists_each_arm_once(
    runner, flat_table, tmp_path
) -> None:
    out = tmp_path / "rep"
    args = ["analyze", str(flat_table), "--control", "control", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    for name in ("report.md", "report.html", "report.json", "conversion.png", "lift_1.png"):
        assert (out / name).exists(), name
    arm_rows = [line.split()[0] for line in result.output.splitlines()
                if line.strip().startswith(("control", "send "))]  # fmt: skip
    assert arm_rows.count("control") == 1 and arm_rows.count("send") == 1, result.output
    payload = json.loads((out / "report.json").read_text())
    frame = pd.read_csv(flat_table)
    rates = frame.groupby("arm")["converted"].mean()
    summaries = payload["arm_summaries"]
    assert [s["arm"] for s in summaries] == ["control", "send"]
    for s in summaries:
        assert s["conversion_rate"] == pytest.approx(rates[s["arm"]])


def test_conversion_only_campaign_has_no_revenue_tables(runner, tmp_path) -> None:
    path = _votes(tmp_path)
    out = tmp_path / "rep"
    result = runner.invoke(
        app, ["analyze", str(path), *VOTE_ARGS, "--cost", "0.5", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Revenue per customer" not in text and "Incr. revenue" not in text
    assert "Conversion: mail vs control" in text and "Incr. conv." in text
    assert not (out / "revenue_lift_1.png").exists()
    payload = json.loads((out / "report.json").read_text())
    assert payload["has_revenue"] is False
    comparison = payload["comparisons"][0]
    diff, low, high = _proportion_reference(path)
    assert comparison["conversion"]["difference"] == pytest.approx(diff)
    assert comparison["conversion"]["ci_low"] == pytest.approx(low)
    assert comparison["conversion"]["ci_high"] == pytest.approx(high)
    money = comparison["money"]
    n_mail = int((pd.read_csv(path)["group"] == "mail").sum())
    assert money["incremental_conversions"] == pytest.approx(diff * n_mail)
    assert money["cost"] == pytest.approx(0.5 * n_mail)
    assert money["incremental_revenue"] is None and money["roi"] is None
    assert money["cost_per_incremental_conversion"] == pytest.approx(0.5 * n_mail / (diff * n_mail))


def test_revenue_options_without_revenue_column_are_refused(runner, tmp_path) -> None:
    path = _votes(tmp_path)
    line = one_line_error(
        runner.invoke(app, ["analyze", str(path), *VOTE_ARGS, "--cap-revenue", "0.99"])
    )
    assert "--cap-revenue needs a revenue column" in line
    line = one_line_error(
        runner.invoke(app, ["analyze", str(path), *VOTE_ARGS, "--revenue-col", "x"])
    )
    assert "missing column 'x'" in line


def test_positive_label_reads_yes_no_outcomes_like_0_1(runner, tmp_path) -> None:
    numeric = runner.invoke(app, ["analyze", str(_votes(tmp_path)), *VOTE_ARGS, "--json"])
    labelled_path = _votes(tmp_path, labels=True, spaces=True)
    labelled = runner.invoke(
        app, ["analyze", str(labelled_path), *VOTE_ARGS, "--positive", "Yes", "--json"]
    )
    assert numeric.exit_code == 0 and labelled.exit_code == 0, labelled.output
    a, b = json.loads(numeric.stdout), json.loads(labelled.stdout)
    assert a["arms"] == b["arms"] == ["control", "mail"]  # ' control' and 'mail ' stripped
    assert a["comparisons"][0]["conversion"] == b["comparisons"][0]["conversion"]
    diff, _, _ = _proportion_reference(labelled_path, positive="Yes")
    assert b["comparisons"][0]["conversion"]["difference"] == pytest.approx(diff)


def test_yes_no_outcomes_read_as_1_0_and_a_wrong_positive_is_refused(runner, tmp_path) -> None:
    """Yes/No without --positive reads as --positive Yes does (with a note, as train and
    evaluate read it); a --positive the column does not hold is refused."""
    path = _votes(tmp_path, labels=True)
    plain = runner.invoke(app, ["analyze", str(path), *VOTE_ARGS, "--json"])
    named = runner.invoke(app, ["analyze", str(path), *VOTE_ARGS, "--positive", "Yes", "--json"])
    assert plain.exit_code == 0 and "'Yes' is read as converted" in plain.stderr
    assert json.loads(plain.stdout)["overall"] == json.loads(named.stdout)["overall"]
    line = one_line_error(
        runner.invoke(app, ["analyze", str(path), *VOTE_ARGS, "--positive", "yes"])
    )
    assert "--positive 'yes'" in line and "'No', 'Yes'" in line


def test_covariate_with_an_orders_file_must_be_pre_revenue(runner, tmp_path) -> None:
    units = simulated_units(seed=14, sizes={"silent": 300})
    folder = write_experiment(tmp_path / "exp", units)
    orders = tmp_path / "orders.csv"
    io.write_table(
        pd.DataFrame(
            {"customer_id": units["customer_id"], "order_time": "2026-08-22", "amount": 10.0}
        ),
        orders,
    )
    args = ["analyze", str(folder), "--outcomes", str(orders), "--start", "2026-08-21"]
    line = one_line_error(runner.invoke(app, [*args, "--covariate", "nosuch"]))
    assert "--covariate 'nosuch'" in line and "pre_revenue" in line
    assert "customer_id, order_time, amount" in line


def _conversion_only_table(
    tmp_path: Path, arm_col: str, treated: str, outcome_col: str, seed: int
) -> tuple[pd.DataFrame, Path]:
    """A flat 400-customer table of arm and 0/1 outcome only, written as CSV."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {arm_col: rng.choice([treated, "control"], 400), outcome_col: rng.integers(0, 2, 400)}
    )
    path = tmp_path / "flat.csv"
    frame.to_csv(path, index=False)
    return frame, path


def test_flat_analyze_takes_train_option_names(runner, tmp_path) -> None:
    """`train`'s --treatment-col/--outcome-col name the same columns in `analyze`."""
    frame, path = _conversion_only_table(tmp_path, "group", "test", "resp", seed=5)
    result = runner.invoke(app, [
        "analyze", str(path), "--treatment-col", "group", "--control", "control",
        "--outcome-col", "resp", "--json",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    arms = {row["arm"]: row for row in json.loads(result.output)["arm_summaries"]}
    counts = frame.groupby("group")["resp"].agg(["sum", "size"])
    for arm in ("test", "control"):
        assert arms[arm]["conversions"] == counts.loc[arm, "sum"]
        assert arms[arm]["n"] == counts.loc[arm, "size"]


def test_a_conversion_only_json_report_has_no_money_figures(runner, tmp_path) -> None:
    """Without a revenue column, revenue is null (not 0) and its error says why."""
    _, path = _conversion_only_table(tmp_path, "arm", "send", "converted", seed=6)
    result = runner.invoke(app, ["analyze", str(path), "--control", "control", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    for row in payload["arm_summaries"]:
        assert row["revenue"] is None and row["average_order_value"] is None
    assert payload["overall"][0]["revenue"]["error"] == "no_revenue_column"
    assert payload["comparisons"][0]["revenue"]["error"] == "no_revenue_column"


def test_a_number_as_segment_column_is_refused_and_a_banded_one_is_not(runner, tmp_path) -> None:
    """Megafon's X_1 (a float per customer) as --segment-col: one line, exit 2, no report; the
    same rows banded into quintiles analyze per band."""
    units = simulated_units(seed=3, sizes={"a": 3000})
    units["score"] = np.random.default_rng(0).normal(size=len(units))
    units["band"] = pd.qcut(units["score"], 5, labels=False).astype(str)
    path = tmp_path / "flat.csv"
    io.write_table(units, path)
    out = tmp_path / "report"
    args = ["analyze", str(path), "--control", "control", "--out", str(out), "--segment-col"]
    line = one_line_error(runner.invoke(app, [*args, "score"]))
    assert "'score' has 3,000 distinct values" in line and "--segment-col" in line
    assert not out.exists()
    result = runner.invoke(app, [*args, "band"])
    assert result.exit_code == 0, result.output
    segments = {c["segment"] for c in json.loads((out / "report.json").read_text())["comparisons"]}
    assert segments == {"0", "1", "2", "3", "4"}
