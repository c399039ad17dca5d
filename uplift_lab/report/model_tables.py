"""Terminal tables and lines of train and evaluate (rich Tables and plain text).

:func:`comparison_table` shows one outcome's models against the baselines; the train summary
(:func:`candidates_tables`, :func:`calibration_lines`, :func:`dropped_feature_lines`) shows what
cross-validation found and which features were used.
"""

from __future__ import annotations

import math

from rich import box
from rich.markup import escape
from rich.table import Table

from uplift_lab.report.labels import EN, Labels
from uplift_lab.report.model_report import (
    ModelReport,
    best_score,
    comparison_rows,
    focus_header,
    score_label,
    verdict_text,
)
from uplift_lab.report.tables import keep_numbers_whole
from uplift_lab.uplift.evaluate import ModelEvaluation
from uplift_lab.uplift.features import DROP_REASONS


def comparison_table(
    evaluation: ModelEvaluation, *, compact: bool = True, title: str = "", labels: Labels = EN
):
    """The model-vs-baselines table as a rich Table (numbers right-justified).

    ``compact`` keeps the columns that fit an 80-column terminal: Qini, uplift and incremental
    outcome at 30% (or the largest k) and the verdict, with random targeting's capture as the
    caption; the report has all of them (including "Qini over folds").
    """
    header, rows = comparison_rows(evaluation, labels)
    keep = list(range(len(header)))
    caption = None
    if compact:
        focus = 0.3 if 0.3 in evaluation.ks else evaluation.ks[-1]
        k = f"{focus:.0%}"
        wanted = {labels("score"), labels("Qini coefficient"), labels("uplift@{k}", k=k)}
        wanted.add(focus_header("incremental per 1,000 @{k}", focus, labels))
        keep = [i for i, name in enumerate(header) if name in wanted or name == labels("verdict")]
        random_header = focus_header("random @{k}", focus, labels)
        random_column = header.index(random_header) if random_header in header else None
        if random_column is not None and rows:  # the same in every row: a caption, not a column
            caption = labels(
                "random targeting captures {value} per 1,000 @{k}",
                value=rows[0][1][random_column],
                k=k,
            )
    prefix = f"{title}: " if title else ""
    table = Table(
        title=escape(
            labels(
                "{prefix}{outcome}, models vs baselines (95% CI: customer bootstrap of the "
                "held-out predictions)",
                prefix=prefix,
                outcome=labels.value(evaluation.outcome),
            )
        ),
        caption=escape(caption) if caption else None,
        title_justify="left",
        box=box.SIMPLE_HEAD if compact else box.HEAVY_HEAD,
        pad_edge=not compact,
    )
    for index in keep:
        numeric = 0 < index < len(header) - 1
        name = header[index]
        if compact:
            name = name.replace("Qini coefficient", "Qini").replace("incremental", "incr.")
        table.add_column(
            escape(name),
            justify="right" if numeric else "left",
            # never cut these words; a long score name wraps instead of ending in "..."
            min_width=12 if name in (labels("score"), labels("verdict")) else None,
            overflow="fold",
        )
    for _, cells in rows:  # labels such as "two [chosen]" would vanish as rich markup
        table.add_row(*(escape(cells[index]) for index in keep))
    return table


def verdict_lines(report: ModelReport, labels: Labels = EN) -> list[str]:
    """One line per outcome: the best model's verdict, for the terminal."""
    lines = []
    for evaluation in report.evaluations:
        best = best_score(evaluation)
        outcome, label = labels.value(evaluation.outcome), score_label(best.label, labels)
        lines.append(f"{outcome}: {label}: {verdict_text(best, labels)}")
    return lines


def dropped_feature_lines(training) -> list[str]:
    """One line per reason a default feature was left out, and how dates were used."""
    lines = [
        f"Dropped, {DROP_REASONS[reason]}: {', '.join(columns)}."
        for reason, columns in training.dropped_features.items()
    ]
    dates = [spec.name for spec in training.specs if spec.days_before]
    if dates:
        lines.append(
            f"Dates as days before {training.reference_date[:10]} ({training.reference_origin}):"
            f" {', '.join(dates)}."
        )
    return lines


def calibration_lines(model) -> list[str]:
    """Per arm and outcome: the calibration slope and how many deciles it fits."""
    lines = []
    for arm, entry in (model.calibration or {}).items():
        for target, fitted in entry.items():
            deciles = [row for row in fitted["deciles"] if row["ci_low"] is not None]
            inside = {
                kind: sum(row["ci_low"] <= row[kind] <= row["ci_high"] for row in deciles)
                for kind in ("raw", "calibrated")
            }
            method = fitted.get("method")
            if method == "through_conversion":
                how = "calibrated conversion uplift x expected order value"
            elif method == "deciles_shrunk":
                how = (
                    "per score decile, shrunk toward the model by how far the held-out deciles"
                    f" show it off (BLP slope {fitted['slope_fitted']:.3f}; 1 = the raw spread"
                    " was right)"
                )
            else:
                how = (
                    f"calibrated = {fitted['intercept']:.4g} + {fitted['slope']:.3f} x raw "
                    "(slope 1 = the raw spread was right)"
                )
            lines.append(
                f"Calibration ({arm}, {target}): {how}; deciles within the observed 95% CI: "
                f"{inside['calibrated']}/{len(deciles)} calibrated, "
                f"{inside['raw']}/{len(deciles)} raw."
            )
    return lines


def rfm_rule_text(rfm_columns: dict[str, str]) -> str:
    """How the RFM-rule baseline ranks, e.g. "recency=recency (lower first), monetary=history"."""
    if not rfm_columns:
        return "none found (name them with --rfm-cols recency=COL,monetary=COL)"
    parts = [
        f"{part}={column}" + (" (lower first)" if part == "recency" else "")
        for part, column in rfm_columns.items()
    ]
    return ", ".join(parts)


def _number(value: float | None, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}"


def candidates_tables(result, labels=None) -> list:
    """One rich table per treated arm: every candidate's mean held-out metrics."""
    labels = labels or EN
    choice = result.model.cv_metrics["choice"]
    folds = result.model.cv_metrics["folds"]
    control = result.model.control
    tables = []
    for arm in choice:
        table = Table(
            title=labels(
                "{arm} vs {control}: mean over {folds} held-out folds",
                arm=labels.value(arm),
                control=labels.value(control),
                folds=folds,
            ),
            caption="* chosen (highest Qini minus one standard error, sd / sqrt(folds)); "
            "below the line: baselines (targeting rules a model must beat); @k: uplift among "
            "the top k by score",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
        )
        for name in ("outcome", "model"):
            table.add_column(labels(name), no_wrap=True)
        for name in ("Qini", "sd", "AUUC", "@10%", "@30%", "@50%"):
            table.add_column(labels(name), justify="right", no_wrap=True)
        rows = result.candidates.to_dict(orient="records")
        baselines = []
        if result.baselines is not None and len(result.baselines):
            baselines = result.baselines.to_dict(orient="records")
        first_baseline = next((row for row in baselines if row["arm"] == arm), None)
        for row in rows + baselines:
            if row["arm"] != arm:
                continue
            if row is first_baseline:  # this arm's baselines below a line
                table.add_section()
            chosen = choice[arm][row["target"]] == row["kind"]
            digits = 3 if row["target"] == "conversion" else 2
            cells = [
                labels.value(row["target"]),
                labels.value(row["kind"]) + ("*" if chosen else ""),
            ]
            cells += [_number(row["qini"], 3), _number(row.get("qini_sd"), 3)]
            cells += [_number(row["auuc"], 3)]
            cells += [_number(row.get(f"uplift_at_{k}"), digits) for k in (10, 30, 50)]
            table.add_row(*cells)
        tables.append(keep_numbers_whole(table))
    return tables
