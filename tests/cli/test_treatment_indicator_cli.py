"""A 0/1 treatment column (Criteo, X5's treatment_flg, Starbucks' Promotion Yes/No) without
--control: analyze, train and import-campaign read 0 / No as the control with one notice, and
give exactly what --control 0 gives; other label sets still need --control. A feature that
tells the arms apart (an exposure flag) is named by train's refusal and --drop-features leaves it
out."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportions_ztest

from uplift_lab.cli import app


def campaign(n: int = 4000, seed: int = 0, labels=("0", "1")) -> pd.DataFrame:
    """A randomized campaign with a planted lift of 4 points among customers with f0 > 0."""
    rng = np.random.default_rng(seed)
    f0, f1 = rng.normal(size=n), rng.normal(size=n)
    treated = rng.random(n) < 0.5
    p = 0.05 + 0.04 * (treated & (f0 > 0))
    return pd.DataFrame(
        {
            "customer_id": np.arange(n) + 1000,
            "f0": f0,
            "f1": f1,
            "treatment": np.where(treated, labels[1], labels[0]),
            "conversion": (rng.random(n) < p).astype(int),
        }
    )


def notices(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("warning:")]


def implied_and_explicit(runner, args: list[str], first, second) -> None:
    """Run ``args`` into folder ``first`` without --control (the notice said) and into
    ``second`` with --control 0; both succeed."""
    implied = runner.invoke(app, [*args, "--out", str(first)])
    assert implied.exit_code == 0, implied.output
    assert any("treatment indicator" in line for line in notices(implied))
    explicit = runner.invoke(app, [*args, "--control", "0", "--out", str(second)])
    assert explicit.exit_code == 0, explicit.output


def test_analyze_reads_0_as_control_with_a_notice_and_matches_statsmodels(runner, tmp_path):
    frame = campaign()
    frame.assign(treatment=frame["treatment"].astype(int)).to_csv(tmp_path / "c.csv", index=False)
    args = ["analyze", str(tmp_path / "c.csv"), "--arm-col", "treatment", "--conversion-col",
            "conversion", "--json"]  # fmt: skip
    implied = runner.invoke(app, args)
    assert implied.exit_code == 0, implied.output
    said = [line for line in notices(implied) if "treatment indicator" in line]
    assert len(said) == 1 and "'0' is read as the control" in said[0] and "--control" in said[0]
    explicit = runner.invoke(app, [*args, "--control", "0"])
    assert explicit.exit_code == 0 and not any("indicator" in n for n in notices(explicit))
    report, reference = json.loads(implied.stdout), json.loads(explicit.stdout)
    assert report["control"] == "0" and report["overall"] == reference["overall"]
    # the lift's test against statsmodels on the same counts
    counts = frame.groupby("treatment")["conversion"].agg(["sum", "count"])
    _, p_value = proportions_ztest(counts.loc[["1", "0"], "sum"], counts.loc[["1", "0"], "count"])
    assert report["comparisons"][0]["conversion"]["p_value"] == pytest.approx(p_value, rel=1e-9)


def test_yes_no_reads_no_as_control_and_three_labels_still_need_control(runner, tmp_path):
    campaign(labels=("No", "Yes")).to_csv(tmp_path / "yn.csv", index=False)
    base = ["analyze", "--arm-col", "treatment", "--conversion-col", "conversion"]
    result = runner.invoke(app, [*base[:1], str(tmp_path / "yn.csv"), *base[1:]])
    assert result.exit_code == 0, result.output
    assert "Control arm: No; treated arm(s): Yes" in result.stdout
    three = campaign()
    three.loc[::3, "treatment"] = "2"
    three.to_csv(tmp_path / "three.csv", index=False)
    refused = runner.invoke(app, [*base[:1], str(tmp_path / "three.csv"), *base[1:]])
    assert refused.exit_code == 2 and refused.stderr.count("error:") == 1
    assert "'control'" in refused.stderr and "'0', '1', '2'" in refused.stderr


def test_train_without_control_equals_train_with_control_0(runner, tmp_path):
    campaign().to_csv(tmp_path / "c.csv", index=False)
    args = ["train", "--data", str(tmp_path / "c.csv"), "--treatment-col", "treatment",
            "--outcome-col", "conversion", "--id-col", "customer_id", "--folds", "3",
            "--max-rounds", "30"]  # fmt: skip
    implied_and_explicit(runner, args, tmp_path / "implied", tmp_path / "explicit")
    meta = json.loads((tmp_path / "implied" / "model.json").read_text())
    assert meta["control"] == "0" and meta["arms"] == ["1"]
    for booster in sorted((tmp_path / "explicit").glob("*.txt")):
        assert (tmp_path / "implied" / booster.name).read_bytes() == booster.read_bytes()


def test_import_campaign_reads_0_as_control(runner, tmp_path):
    campaign()[["customer_id", "treatment"]].to_csv(tmp_path / "c.csv", index=False)
    result = runner.invoke(app, ["import-campaign", str(tmp_path / "c.csv"), "--arm-col",
                                 "treatment", "--start", "2026-06-01", "--out",
                                 str(tmp_path / "exp")])  # fmt: skip
    assert result.exit_code == 0, result.output
    design = json.loads((tmp_path / "exp" / "design.json").read_text())
    assert design["control_arm"] == "0"


def test_an_exposure_flag_is_named_and_drop_features_leaves_it_out(runner, tmp_path):
    frame = campaign()
    treated = frame["treatment"] == "1"
    frame["exposure"] = (treated & (np.arange(len(frame)) % 2 == 0)).astype(int)  # treated only
    frame.to_csv(tmp_path / "c.csv", index=False)
    args = ["train", "--data", str(tmp_path / "c.csv"), "--treatment-col", "treatment",
            "--outcome-col", "conversion", "--control", "0", "--folds", "3",
            "--max-rounds", "30"]  # fmt: skip
    refused = runner.invoke(app, [*args, "--out", str(tmp_path / "m1")])
    assert refused.exit_code == 2 and refused.stderr.count("error:") == 1
    assert "non-random" in refused.stderr and "'exposure' (Cramer's V" in refused.stderr
    assert not (tmp_path / "m1").exists()
    kept = runner.invoke(app, [*args, "--drop-features", "exposure", "--out", str(tmp_path / "m2")])
    assert kept.exit_code == 0, kept.output
    meta = json.loads((tmp_path / "m2" / "model.json").read_text())
    assert "exposure" not in json.dumps(meta["features"])
    missing = runner.invoke(
        app, [*args, "--drop-features", "nosuch", "--out", str(tmp_path / "m3")]
    )
    assert missing.exit_code == 2 and "missing column 'nosuch'" in missing.stderr


def test_evaluate_scores_reads_0_as_control(runner, tmp_path):
    frame = campaign()
    frame["uplift_conversion"] = (frame["f0"] > 0).astype(float) * 0.04  # the planted effect
    frame.to_csv(tmp_path / "scored.csv", index=False)
    args = ["evaluate", "--scores", str(tmp_path / "scored.csv"), "--arm-col", "treatment",
            "--conversion-col", "conversion"]  # fmt: skip
    implied_and_explicit(runner, args, tmp_path / "r1", tmp_path / "r2")
    first = json.loads((tmp_path / "r1" / "metrics.json").read_text())
    assert first == json.loads((tmp_path / "r2" / "metrics.json").read_text())


def spaced_labels_and_yes_no(frame: pd.DataFrame) -> pd.DataFrame:
    """Gerber's layout: arm labels with a leading space, the outcome written Yes/No."""
    return frame.assign(
        treatment=np.where(frame["treatment"] == "1", " Neighbors", " Control"),
        conversion=np.where(frame["conversion"] == 1, "Yes", "No"),
    )


def test_train_reads_spaced_arm_labels_and_a_yes_no_outcome_as_the_clean_table(runner, tmp_path):
    clean = campaign().assign(
        treatment=lambda f: np.where(f["treatment"] == "1", "Neighbors", "Control")
    )
    clean.to_csv(tmp_path / "clean.csv", index=False)
    spaced_labels_and_yes_no(campaign()).to_csv(tmp_path / "raw.csv", index=False)
    folders = {}
    for name in ("clean", "raw"):
        folders[name] = tmp_path / f"model_{name}"
        args = ["train", "--data", str(tmp_path / f"{name}.csv"), "--treatment-col",
                "treatment", "--control", "Control", "--outcome-col", "conversion",
                "--id-col", "customer_id", "--folds", "3", "--max-rounds", "30",
                "--out", str(folders[name])]  # fmt: skip
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    assert any("'Yes' is read as converted" in line for line in notices(result))
    meta = json.loads((folders["raw"] / "model.json").read_text())
    assert meta["control"] == "Control" and meta["arms"] == ["Neighbors"]
    for booster in sorted(folders["clean"].glob("*.txt")):
        assert (folders["raw"] / booster.name).read_bytes() == booster.read_bytes()


def test_evaluate_scores_reads_spaced_arm_labels_and_a_yes_no_outcome(runner, tmp_path):
    frame = campaign()
    frame["uplift_conversion"] = (frame["f0"] > 0).astype(float) * 0.04
    clean = frame.assign(treatment=np.where(frame["treatment"] == "1", "Neighbors", "Control"))
    clean.to_csv(tmp_path / "clean.csv", index=False)
    spaced_labels_and_yes_no(frame).to_csv(tmp_path / "raw.csv", index=False)
    metrics = []
    for name in ("clean", "raw"):
        args = ["evaluate", "--scores", str(tmp_path / f"{name}.csv"), "--arm-col", "treatment",
                "--control", "Control", "--conversion-col", "conversion",
                "--out", str(tmp_path / f"r_{name}")]  # fmt: skip
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        written = json.loads((tmp_path / f"r_{name}" / "metrics.json").read_text())
        metrics.append({k: v for k, v in written.items() if k not in ("title", "context")})
    assert metrics[0] == metrics[1] and metrics[0]["outcomes"]  # the same numbers, names aside


def test_a_column_named_id_keys_the_model_and_scores_when_unique(runner, tmp_path):
    """Starbucks' layout: ids 2, 4, 6, ... in a column 'ID', no --id-col: the scores carry
    those ids (not row numbers 0, 1, 2), and a note says so; a repeated 'ID' is no id."""
    frame = campaign().drop(columns="customer_id")
    frame.insert(0, "ID", 2 * np.arange(len(frame)) + 2)
    frame.to_csv(tmp_path / "c.csv", index=False)
    args = ["train", "--data", str(tmp_path / "c.csv"), "--treatment-col", "treatment",
            "--outcome-col", "conversion", "--folds", "3", "--max-rounds", "30"]  # fmt: skip
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    assert any("column 'ID' is named like a customer id" in line for line in notices(result))
    assert json.loads((tmp_path / "m" / "model.json").read_text())["id_col"] == "ID"
    scored = runner.invoke(
        app,
        ["score", str(tmp_path / "m"), str(tmp_path / "c.csv"), "--out", str(tmp_path / "s.csv")],
    )
    assert scored.exit_code == 0, scored.output
    assert pd.read_csv(tmp_path / "s.csv")["ID"].tolist() == frame["ID"].tolist()

    frame.assign(ID=frame["ID"] % 7).to_csv(tmp_path / "repeated.csv", index=False)
    args[2] = str(tmp_path / "repeated.csv")
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "m2")])
    assert result.exit_code == 0, result.output
    assert any("keyed by row number" in line for line in notices(result))
    assert json.loads((tmp_path / "m2" / "model.json").read_text())["id_col"] == "row"


def test_evaluate_joins_outcomes_keyed_by_another_id_name(runner, tmp_path):
    """X5's layout: scores keyed customer_id, the campaign file keyed client_id: joined, with a
    note, to the same numbers as the renamed file; a file with no id-like column is refused."""
    frame = campaign()
    scores = frame[["customer_id"]].assign(uplift_conversion=(frame["f0"] > 0) * 0.04)
    scores.to_csv(tmp_path / "scores.csv", index=False)
    outcomes = frame[["customer_id", "treatment", "conversion"]]
    outcomes.to_csv(tmp_path / "same.csv", index=False)
    outcomes.rename(columns={"customer_id": "client_id"}).to_csv(tmp_path / "x5.csv", index=False)
    outcomes.rename(columns={"customer_id": "who"}).to_csv(tmp_path / "bad.csv", index=False)
    base = ["evaluate", "--scores", str(tmp_path / "scores.csv"), "--arm-col", "treatment",
            "--control", "0", "--conversion-col", "conversion"]  # fmt: skip
    metrics = []
    for name in ("same", "x5"):
        args = [*base, "--outcomes", str(tmp_path / f"{name}.csv"), "--out", str(tmp_path / name)]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        written = json.loads((tmp_path / name / "metrics.json").read_text())
        metrics.append(written["outcomes"])
    assert any("its column 'client_id'" in line for line in notices(result))
    assert metrics[0] == metrics[1]
    bad_args = [*base, "--outcomes", str(tmp_path / "bad.csv"), "--out", str(tmp_path / "b")]
    bad = runner.invoke(app, bad_args)
    assert bad.exit_code == 2 and "has no id column 'customer_id'" in bad.stderr
    assert not (tmp_path / "b").exists()
