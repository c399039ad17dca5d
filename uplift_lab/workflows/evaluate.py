"""`evaluate`: held-out predictions of a model folder, or scores on a later campaign -> a report.

Reads the model folder's ``cv_predictions.parquet`` (or a scores file and the campaign's
outcomes), calls the pure steps of :mod:`uplift_lab.uplift` (evaluate, campaign_scores), builds
the report's files with :mod:`uplift_lab.report.model_report` and writes the folder atomically:
report.md, report.html, metrics.json, the PNG plots (and evaluation.json for a model folder).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from uplift_lab import io
from uplift_lab.analysis_inputs import resolve_control
from uplift_lab.contracts import require_columns
from uplift_lab.errors import DataWarning, literal, usage_error
from uplift_lab.notices import Notice
from uplift_lab.report.labels import EN, Labels
from uplift_lab.report.model_report import (
    ModelReport,
    ReportFiles,
    held_out_report_files,
    model_report_files,
)
from uplift_lab.report.notice_text import notice_texts
from uplift_lab.uplift.campaign_scores import (
    campaign_treated_arm,
    check_conversion_column,
    default_score_columns,
    evaluate_on_campaign,
    join_scores_and_outcomes,
    with_rfm_columns,
)
from uplift_lab.uplift.data import CampaignOutcomes
from uplift_lab.uplift.evaluate import (
    DEFAULT_KS,
    ModelEvaluation,
    evaluate_held_out,
    evaluate_scores,
)
from uplift_lab.workflows.model_folder import read_held_out_predictions, read_model_description
from uplift_lab.workflows.training_data import (
    CampaignExperiment,
    named_id_column,
    read_campaign_outcomes,
)


def write_report_files(files: ReportFiles, folder: Path) -> list[str]:
    """Write a report's files into ``folder`` (a staging folder); returns their names."""
    for name, png in files.pngs.items():
        io.write_bytes(png, folder / name)
    io.write_text(files.markdown, folder / "report.md")
    io.write_text(files.html, folder / "report.html")
    io.write_json(files.payload, folder / "metrics.json")
    return files.names


def render_model_report(
    evaluations: Sequence[ModelEvaluation],
    out_dir: Path,
    *,
    title: str = "Uplift model evaluation",
    context: Sequence[str] = (),
    headings: Sequence[str] | None = None,
    force: bool = False,
    labels: Labels = EN,
) -> ModelReport:
    """Write the PNGs, report.md, report.html and metrics.json into ``out_dir`` atomically.

    An existing non-empty folder is refused unless ``force``; every file is built before the
    folder is written, and the folder only appears when complete (see
    :func:`uplift_lab.report.model_report.model_report_files`).
    """
    files = model_report_files(
        evaluations, title=title, context=context, headings=headings, labels=labels
    )
    with io.atomic_directory(Path(out_dir), force=force) as staging:
        names = write_report_files(files, staging)
    return ModelReport(Path(out_dir), tuple(names), tuple(evaluations), files.markdown)


def write_model_report(
    evaluations: Sequence[tuple[str, str, ModelEvaluation]],
    description: dict,
    folder: Path,
    labels: Labels = EN,
) -> list[str]:
    """Write the held-out report into ``folder`` (an atomic staging folder the caller owns)."""
    return write_report_files(held_out_report_files(evaluations, description, labels), folder)


@dataclass(frozen=True)
class EvaluationReport:
    """What ``evaluate_model_folder`` computed and wrote: a JSON summary and lines to print."""

    out: Path
    summary: dict
    lines: tuple[str, ...]
    evaluations: tuple = ()


def _held_out_summary(evaluations, description: dict, model_name: str) -> tuple[dict, list[str]]:
    """evaluation.json's content and the lines to print for a model folder's evaluations."""
    summary = {
        "control": description["control"],
        "model": model_name,
        "choice": description["cv_metrics"]["choice"],
        "results": [],
    }
    lines = []
    for arm, target, evaluation in evaluations:
        table = evaluation.comparison_table()
        chosen = description["cv_metrics"]["choice"][arm][target]
        verdicts = {item.name: item.verdict for item in evaluation.scores}
        summary["results"].append(
            {
                "arm": arm,
                "outcome": target,
                "chosen": chosen,
                "table": table.to_dict(orient="records"),
                "verdicts": verdicts,
                "notes": list(notice_texts(evaluation.notes)),
            }
        )
        lines.append(f"{arm} vs {description['control']}, {target}:")
        for row in table.to_dict(orient="records"):
            lines.append(
                f"  {row['label']:<34} Qini {row['pooled_qini_coefficient']:8.4f} "
                f"[{row['pooled_qini_coefficient_ci_low']:.4f}, "
                f"{row['pooled_qini_coefficient_ci_high']:.4f}] (customer bootstrap)"
                f"  {row['verdict']}"
            )
        lines.append(f"  chosen model: {verdicts[f'uplift_{target}__{chosen}']}")
    return io.json_ready(summary), lines


def evaluate_model_folder(
    model_dir: Path, out: Path, *, seed: int = 0, force: bool = False, labels: Labels | None = None
) -> EvaluationReport:
    """Evaluate a model folder's held-out predictions and write the report folder ``out``.

    The report (report.md, report.html, metrics.json, PNG plots) is in the language of
    ``labels`` (default English); ``evaluation.json`` adds the summary.
    """
    description = read_model_description(model_dir)
    predictions, predictions_path = read_held_out_predictions(model_dir)
    evaluations = evaluate_held_out(predictions, description, seed=seed, source=predictions_path)
    summary, lines = _held_out_summary(evaluations, description, Path(model_dir).name)
    with io.atomic_directory(Path(out), force=force) as staging:
        write_model_report(evaluations, description, staging, labels or EN)
        io.write_json(summary, staging / "evaluation.json")
    return EvaluationReport(Path(out), summary, tuple(lines), tuple(evaluations))


def _scores_with_outcomes(
    scores: pd.DataFrame,
    scores_path: Path,
    id_col: str,
    columns: Sequence[str],
    outcomes_path: Path | None,
    campaign: CampaignOutcomes | None,
    encoding: str | None,
) -> tuple[pd.DataFrame, object]:
    """The scores joined with the campaign's outcomes (``columns``: arm and outcomes), and the
    source that names the outcomes in messages."""
    if campaign is not None:
        outcomes = campaign.table.rename(columns={"customer_id": id_col})
        frame = join_scores_and_outcomes(scores, outcomes, id_col, scores_path, campaign.source)
        return frame, campaign.source
    if outcomes_path is not None:
        outcomes_path = Path(outcomes_path)
        outcomes_id = _outcomes_id_column(outcomes_path, id_col, columns, encoding)
        outcomes = io.read_table(
            outcomes_path, encoding=encoding, string_columns=[outcomes_id, columns[0]]
        )
        outcomes = outcomes.rename(columns={outcomes_id: id_col})
        require_columns(outcomes, list(columns), outcomes_path)
        frame = join_scores_and_outcomes(scores, outcomes, id_col, scores_path, outcomes_path)
        return frame, outcomes_path
    return scores, scores_path


def _outcomes_id_column(
    path: Path, id_col: str, columns: Sequence[str], encoding: str | None
) -> str:
    """The outcomes file's id column: the scores' ``id_col`` where it has one, else its one
    column named like an id (X5's ``client_id`` beside scores keyed ``customer_id``), said in
    a note; else ``id_col``, which the join then names as missing."""
    names = io.table_column_names(path, encoding=encoding)
    if id_col in names:
        return id_col
    named = named_id_column(names, columns)
    if named is None:
        raise usage_error(
            path,
            f"has no id column '{literal(id_col)}' (the scores' id) nor one named like an id"
            f" (it has: {literal(', '.join(map(str, names[:12])))})",
            f"Rename its customer id column to '{literal(id_col)}', or pass {{id_col=NAME}}"
            " when both files name it alike",
        )
    params = {"source": str(path), "column": named, "id_col": id_col}
    warnings.warn(DataWarning(Notice("note", "outcomes_id_column", params)), stacklevel=2)
    return named


def _campaign_context(
    scores_path: Path,
    rows: int,
    id_col: str,
    outcomes_path: Path | None,
    campaign: CampaignOutcomes | None,
) -> list[str]:
    context = [f"Scores: `{scores_path.name}` (the model did not see these outcomes)."]
    if campaign is not None:
        context.append(
            f"Campaign outcomes: orders from {campaign.start.date()} for {campaign.window_days} "
            f"days, {rows:,} customers of the experiment joined on `{id_col}`."
        )
    elif outcomes_path is not None:
        context.append(
            f"Campaign outcomes: `{Path(outcomes_path).name}`, {rows:,} customers joined on "
            f"`{id_col}`."
        )
    return context


def evaluate_scores_against_outcomes(
    scores_path: Path,
    out_dir: Path,
    *,
    outcomes_path: Path | None = None,
    id_col: str | None = None,
    arm_col: str | None = None,
    control: str | None = None,
    conversion_col: str | None = None,
    revenue_col: str | None = None,
    score_cols: list[str] | None = None,
    treated: str | None = None,
    rfm_cols: dict[str, str] | None = None,
    campaign: CampaignOutcomes | None = None,
    experiment: CampaignExperiment | None = None,
    n_splits: int = 5,
    seed: int = 0,
    force: bool = False,
    encoding: str | None = None,
    labels: Labels | None = None,
) -> ModelReport:
    """Validate scores on a later randomized campaign: the model never saw these outcomes.

    ``scores_path`` is ``score``'s output (or any table with uplift columns); ``outcomes_path``
    holds the campaign's customers with their arm and outcomes, joined on ``id_col`` (default:
    the scores file's first column, as ``score`` writes it). Without ``outcomes_path`` the
    scores file must hold the arm and outcomes itself. ``campaign`` (a
    :class:`~uplift_lab.uplift.data.CampaignOutcomes` from an experiment folder and the order
    log; read here from ``experiment``, a :class:`~uplift_lab.workflows.training_data.
    CampaignExperiment`) replaces ``outcomes_path``, ``arm_col``, ``control`` and the outcome
    columns. Every
    score is compared with the random, RFM-rule and purchase-probability baselines, CIs over
    ``n_splits`` random parts; the report is written atomically to ``out_dir``.
    """
    scores_path = Path(scores_path)
    if experiment is not None:
        campaign = read_campaign_outcomes(experiment, encoding)
    if id_col is None:
        id_col = io.table_column_names(scores_path, encoding=encoding)[0]
    scores = io.read_table(scores_path, encoding=encoding, string_columns=[id_col])
    if campaign is not None:
        arm_col, control = "arm", campaign.control
        conversion_col, revenue_col = "converted", "revenue"
    outcome_cols = [conversion_col, *([revenue_col] if revenue_col else [])]
    frame, source = _scores_with_outcomes(
        scores, scores_path, id_col, [arm_col, *outcome_cols], outcomes_path, campaign, encoding
    )
    require_columns(frame, [arm_col, *outcome_cols], source)
    present = frame[arm_col].dropna().astype(str).str.strip().unique()
    control = resolve_control(present, control, source, arm_col)
    if not score_cols:
        arm = campaign_treated_arm(frame, arm_col, control, treated)
        score_cols = default_score_columns(list(scores.columns), arm, scores_path)
    require_columns(scores, list(score_cols), scores_path)
    check_conversion_column(frame, conversion_col, source)
    frame = with_rfm_columns(frame, rfm_cols, source)
    evaluations = evaluate_on_campaign(
        frame, score_cols, arm_col=arm_col, control=control, outcome_cols=outcome_cols,
        treated=treated, n_splits=n_splits, seed=seed, source=source,
    )  # fmt: skip
    context = _campaign_context(scores_path, len(frame), id_col, outcomes_path, campaign)
    labels = labels or EN
    return render_model_report(
        evaluations,
        out_dir,
        title=labels("Uplift evaluation on a later campaign: {name}", name=scores_path.name),
        context=context,
        force=force,
        labels=labels,
    )


def evaluate_scores_file(
    path: Path,
    out_dir: Path,
    *,
    score_cols: Sequence[str],
    treatment_col: str,
    control: str,
    conversion_col: str,
    revenue_col: str | None = None,
    treated: str | None = None,
    fold_col: str | None = None,
    n_splits: int = 5,
    rfm_col: str = "rfm_score",
    response_col: str = "p_control",
    seed: int = 0,
    ks: Sequence[float] = DEFAULT_KS,
    force: bool = False,
    encoding: str | None = None,
) -> ModelReport:
    """Report on scores of customers of a randomized campaign (one row per customer).

    ``path`` holds the score columns, the arm column and the outcome(s), e.g. ``score``'s
    output joined with a later campaign's outcomes. Without ``fold_col`` the intervals are over
    ``n_splits`` seeded random parts of the file.
    """
    frame = io.read_table(path, encoding=encoding)
    evaluations = [
        evaluate_scores(
            frame,
            score_cols=score_cols,
            outcome_col=outcome,
            treatment_col=treatment_col,
            control=control,
            treated=treated,
            fold_col=fold_col,
            n_splits=n_splits,
            ks=ks,
            rfm_col=rfm_col,
            response_col=response_col,
            seed=seed,
            source=path,
        )
        for outcome in [conversion_col, *([revenue_col] if revenue_col else [])]
    ]
    context = [f"Scores and outcomes: `{Path(path).name}`."]
    return render_model_report(
        evaluations,
        out_dir,
        title=f"Uplift evaluation: {Path(path).name}",
        context=context,
        force=force,
    )
