"""The evaluation report: files, self-contained HTML, determinism, atomicity, verdicts, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from uplift_lab.cli import app
from uplift_lab.errors import InputError
from uplift_lab.report import model_tables
from uplift_lab.uplift import store
from uplift_lab.uplift.evaluate import evaluate_scores
from uplift_lab.workflows.evaluate import (
    evaluate_scores_file,
    render_model_report,
    write_model_report,
)
from uplift_lab.workflows.model_folder import write_manifest

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _campaign(n: int = 2000, seed: int = 4, effect: float = 0.15) -> pd.DataFrame:
    """Half the customers gain ``effect`` in conversion; the score knows who (with noise)."""
    rng = np.random.default_rng(seed)
    responds = rng.random(n) < 0.5
    treated = rng.integers(0, 2, n)
    converted = (rng.random(n) < 0.08 + effect * responds * treated).astype(int)
    return pd.DataFrame(
        {
            "customer_id": [f"c{i:05d}" for i in range(n)],
            "arm": np.where(treated == 1, "sms", "control"),
            "converted": converted,
            "revenue": converted * rng.gamma(2.0, 30.0, n),
            "uplift": responds * 0.1 + rng.normal(0, 0.03, n),
            "rfm_score": rng.integers(3, 16, n),
            "fold": np.arange(n) % 4,
        }
    )


def _evaluations(frame: pd.DataFrame) -> list:
    common = dict(score_cols=["uplift"], treatment_col="arm", control="control", seed=0)
    return [
        evaluate_scores(frame, outcome_col="converted", **common),
        evaluate_scores(frame, outcome_col="revenue", **common),
    ]


@pytest.fixture(scope="module")
def evaluations() -> list:
    return _evaluations(_campaign())


def test_report_folder_has_plots_markdown_html_and_json(tmp_path, evaluations) -> None:
    report = render_model_report(evaluations, tmp_path / "report", title="Test report")
    names = set(report.files)
    assert {"report.md", "report.html", "metrics.json"} <= names
    expected_pngs = {
        "qini_converted.png",
        "deciles_converted.png",
        "qini_revenue.png",
        "deciles_revenue.png",
        "captured_revenue.png",  # revenue captured vs share targeted: revenue outcomes only
    }
    assert expected_pngs <= names
    for name in expected_pngs:
        data = (tmp_path / "report" / name).read_bytes()
        assert data.startswith(PNG_MAGIC) and b"matplotlib" not in data.lower()
    markdown = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert "![" in markdown and "(qini_converted.png)" in markdown
    for label in ("uplift", "baseline: random targeting", "baseline: RFM rule"):
        assert f"| {label} |" in markdown
    assert "Verdict for uplift:** useful" in markdown
    assert (
        "Against the best baseline (baseline: " in markdown
        and "paired customer bootstrap" in markdown
    )


def test_html_is_self_contained_and_holds_the_table_and_verdict(tmp_path, evaluations) -> None:
    render_model_report(evaluations, tmp_path / "report")
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') == 5
    assert 'src="qini' not in html and "<script" not in html
    assert "baseline: RFM rule" in html and "Qini coefficient" in html
    assert "useful: its top bin" in html
    # CIs over folds appear as "mean [low, high]" cells, the interval on its own line.
    assert html.count('<br><span class="ci">[') > 10


def test_metrics_json_matches_the_evaluation(tmp_path, evaluations) -> None:
    render_model_report(evaluations, tmp_path / "report")
    payload = json.loads((tmp_path / "report" / "metrics.json").read_text(encoding="utf-8"))
    first = payload["outcomes"][0]
    assert first["outcome"] == "converted" and first["n"] == evaluations[0].n
    model = first["scores"][0]
    expected = evaluations[0].scores[0].summary.loc["qini_coefficient", "mean"]
    assert model["folds"]["qini_coefficient"]["mean"] == pytest.approx(expected)
    assert len(model["calibration"]) == 10


def test_same_evaluation_gives_byte_identical_files(tmp_path) -> None:
    first = render_model_report(_evaluations(_campaign()), tmp_path / "a")
    second = render_model_report(_evaluations(_campaign()), tmp_path / "b")
    assert first.files == second.files
    for name in first.files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_existing_folder_is_kept_unless_force(tmp_path, evaluations) -> None:
    out = tmp_path / "report"
    out.mkdir()
    (out / "old.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(InputError, match="Use 'force' to replace it"):
        render_model_report(evaluations, out)
    assert (out / "old.txt").read_text(encoding="utf-8") == "keep me"
    render_model_report(evaluations, out, force=True)
    assert not (out / "old.txt").exists() and (out / "report.html").exists()


def test_a_failure_while_building_writes_nothing(tmp_path, evaluations, monkeypatch) -> None:
    from uplift_lab.report import uplift_plots

    def broken(*args, **kwargs):
        raise RuntimeError("plot failed")

    monkeypatch.setattr(uplift_plots, "revenue_captured_png", broken)
    with pytest.raises(RuntimeError):
        render_model_report(evaluations, tmp_path / "report")
    assert list(tmp_path.iterdir()) == []


def test_write_model_report_names_files_by_arm_and_outcome(tmp_path, evaluations) -> None:
    description = {
        "control": "control",
        "training_sha256": "ab" * 32,
        "cv_metrics": {"folds": 4, "choice": {"sms": {"conversion": "two", "revenue": None}}},
    }
    names = write_model_report(
        [("sms", "conversion", evaluations[0]), ("sms", "revenue", evaluations[1])],
        description,
        tmp_path,
    )
    assert "qini_sms_vs_control_conversion.png" in names
    assert "captured_sms_vs_control_revenue.png" in names
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "## sms vs control: conversion" in markdown
    assert "Chosen for arm 'sms' (best held-out Qini - 1 SE): conversion: two." in markdown


def test_no_effect_campaign_is_reported_not_useful(tmp_path) -> None:
    frame = _campaign(n=3000, seed=12, effect=0.0)
    report = render_model_report(
        [
            evaluate_scores(
                frame,
                score_cols=["uplift"],
                outcome_col="converted",
                treatment_col="arm",
                control="control",
                fold_col="fold",
                test_to_train_ratio=1 / 3,
            )
        ],
        tmp_path / "report",
    )
    assert "**Verdict for uplift:** not useful" in report.markdown
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "not useful" in html


def test_scores_file_report_and_its_input_errors(tmp_path) -> None:
    scored = tmp_path / "scored.csv"
    _campaign(n=600).to_csv(scored, index=False)
    report = evaluate_scores_file(
        scored,
        tmp_path / "report",
        score_cols=["uplift"],
        treatment_col="arm",
        control="control",
        conversion_col="converted",
        revenue_col="revenue",
    )
    assert [e.outcome for e in report.evaluations] == ["converted", "revenue"]
    with pytest.raises(InputError, match="missing column 'spend'"):
        evaluate_scores_file(
            scored,
            tmp_path / "bad",
            score_cols=["uplift"],
            treatment_col="arm",
            control="control",
            conversion_col="converted",
            revenue_col="spend",
        )
    assert not (tmp_path / "bad").exists()
    latin = tmp_path / "latin.csv"
    latin.write_bytes("customer_id,arm,converted,uplift\nc\xe9,sms,1,0.5\n".encode("latin-1"))
    with pytest.raises(InputError, match="encoding"):
        evaluate_scores_file(
            latin,
            tmp_path / "bad",
            score_cols=["uplift"],
            treatment_col="arm",
            control="control",
            conversion_col="converted",
            encoding="utf-8",
        )


def test_compact_terminal_table_keeps_the_decision_columns(evaluations) -> None:
    from rich.console import Console

    table = model_tables.comparison_table(evaluations[1])
    headers = [column.header for column in table.columns]
    assert headers == ["score", "Qini", "uplift@30%", "incr. per 1,000 @30%", "verdict"]
    assert "random targeting captures" in table.caption  # the same number in every row
    console = Console(width=80, record=True)
    console.print(table)
    text = console.export_text()
    assert "…" not in text  # nothing is cut at 80 columns
    verdicts = {score.verdict.split(":")[0] for score in evaluations[1].scores}
    assert all(word in text for word in verdicts)


# --------------------------------------------------------------------- CLI (evaluate command)


def _fake_model_folder(folder: Path, frame: pd.DataFrame) -> Path:
    """model.json + cv_predictions.parquet as train writes them (no boosters needed here)."""

    folder.mkdir()
    description = {
        "schema_version": store.SCHEMA_VERSION,
        "model_kind": "uplift",
        "uplift_lab_version": "test",
        "lightgbm_version": store._lightgbm_version(),
        "id_col": "customer_id",
        "control": "control",
        "arms": ["sms"],
        "training_sha256": "0" * 64,
        "features": [{"name": "x", "kind": "numeric", "levels": []}],
        "n_rows": len(frame),
        "lightgbm_settings": {},
        "arm_models": [
            {
                "arm": "sms",
                "conversion": {
                    "kind": "two",
                    "params": {},
                    "boosters": {
                        role: {"file": f"{role}.txt", "sha256": "0" * 64}
                        for role in ("control", "treated")
                    },
                },
                "revenue": None,
            }
        ],
        "cv_metrics": {"folds": 4, "choice": {"sms": {"conversion": "two", "revenue": None}}},
    }
    (folder / "model.json").write_text(json.dumps(description), encoding="utf-8")
    predictions = pd.DataFrame(
        {
            "customer_id": frame["customer_id"],
            "arm": "sms",
            "assigned_arm": frame["arm"],
            "treatment": (frame["arm"] == "sms").astype(int),
            "fold": frame["fold"],
            "conversion": frame["converted"].astype(float),
            "rfm_score": frame["rfm_score"],
            "uplift_conversion__two": frame["uplift"],
        }
    )
    predictions.to_parquet(folder / "cv_predictions.parquet", index=False)
    write_manifest(folder)  # as save_model seals a folder (boosters are never loaded here)
    return folder


def test_cli_evaluate_writes_the_report(runner, tmp_path) -> None:
    model = _fake_model_folder(tmp_path / "model", _campaign())
    out = tmp_path / "reports" / "model"
    result = runner.invoke(app, ["evaluate", str(model), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "useful" in result.output
    assert (out / "report.html").exists() and (out / "qini_sms_vs_control_conversion.png").exists()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "two (conversion) [chosen]" in html and "baseline: RFM rule" in html


def test_cli_evaluate_bad_predictions_is_one_line_exit_2(runner, tmp_path) -> None:
    model = _fake_model_folder(tmp_path / "model", _campaign(n=400))
    broken = pd.read_parquet(model / "cv_predictions.parquet").drop(columns="fold")
    broken.to_parquet(model / "cv_predictions.parquet", index=False)
    write_manifest(model)  # re-sealed: the check under test is evaluate's, not the manifest's
    out = tmp_path / "out"
    result = runner.invoke(app, ["evaluate", str(model), "--out", str(out)])
    assert result.exit_code == 2
    assert "fold" in result.output and "Traceback" not in result.output
    assert not out.exists()


# --------------------------------------------------------------------- which CI is which


def test_rich_table_keeps_bracketed_labels_that_rich_would_read_as_markup() -> None:
    from rich.console import Console

    frame = _campaign()
    evaluation = evaluate_scores(
        frame, score_cols=["uplift"], outcome_col="converted", treatment_col="arm",
        control="control", labels={"uplift": "two [chosen]"}, seed=0, n_bootstrap=50,
    )  # fmt: skip
    console = Console(record=True, width=250)
    console.print(model_tables.comparison_table(evaluation))
    assert "two [chosen]" in console.export_text()


def test_report_says_which_interval_is_which_and_bases_the_verdict_on_customers(
    tmp_path, evaluations
) -> None:
    report = render_model_report(evaluations, tmp_path / "report", title="Test report")
    markdown = report.markdown
    assert "customer bootstrap" in markdown and "Qini over folds" in markdown
    assert "Nadeau-Bengio" in markdown  # the fold interval is named for what it is
    model = evaluations[0].score("uplift")
    bootstrap = model.bootstrap.loc["qini_coefficient"]
    # The table's Qini cell is the pooled value with its bootstrap CI, not the fold mean.
    cell = f"{bootstrap['estimate']:.3f} [{bootstrap['ci_low']:.3f}, {bootstrap['ci_high']:.3f}]"
    assert cell in markdown
    payload = json.loads((tmp_path / "report" / "metrics.json").read_text(encoding="utf-8"))
    saved = payload["outcomes"][0]["scores"][0]["pooled_bootstrap_ci"]["qini_coefficient"]
    assert saved["ci_low"] == pytest.approx(bootstrap["ci_low"])
    assert payload["outcomes"][0]["n_bootstrap"] == 200


def test_inconclusive_verdict_is_styled_and_tells_how_to_find_out(tmp_path) -> None:
    # A weak effect on 1,500 customers: the score knows who responds, but the CI covers 0.
    frame = _campaign(n=1500, seed=0, effect=0.05)
    evaluation = evaluate_scores(
        frame, score_cols=["uplift"], outcome_col="converted", treatment_col="arm",
        control="control", seed=0,
    )  # fmt: skip
    model = evaluation.score("uplift")
    assert model.verdict_word == "inconclusive"
    assert model.bootstrap.loc["qini_coefficient", "ci_low"] <= 0 < model.pooled.qini_coefficient
    report = render_model_report([evaluation], tmp_path / "report")
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert 'class="verdict inconclusive"' in html
    assert "A larger holdout would tell" in report.markdown


def test_report_html_tables_scroll_inside_the_page_and_the_verdict_wraps(runner, tmp_path):
    model = _fake_model_folder(tmp_path / "model", _campaign())
    out = tmp_path / "reports" / "model"
    assert runner.invoke(app, ["evaluate", str(model), "--out", str(out)]).exit_code == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("<table>") == html.count('<div class="scroll"><table>') > 0
    assert ".scroll { max-width: 100%; overflow-x: auto; }" in html
    assert 'class="text"' in html and "td.text { white-space: normal" in html
