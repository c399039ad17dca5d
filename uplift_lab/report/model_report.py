"""The model evaluation report: every model against the baselines, with CIs, plots and verdicts.

:func:`model_report_files` builds every file of a report folder in memory: one PNG per figure,
``report.md`` (linking the PNGs), a self-contained ``report.html`` (PNGs embedded as base64) and
``metrics.json``; :func:`held_out_report_files` does so for a model folder's held-out
predictions. :mod:`uplift_lab.workflows.evaluate` writes them. Nothing here reads or writes files.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from uplift_lab.report import uplift_plots
from uplift_lab.report.labels import EN, Labels
from uplift_lab.report.notice_text import notice_texts, render_notice
from uplift_lab.uplift.evaluate import ModelEvaluation, ScoreEvaluation
from uplift_lab.uplift.metrics import metrics_as_row
from uplift_lab.uplift.verdict_data import USEFUL
from uplift_lab.uplift.verdict_text import verdict_sentence

METHOD_NOTES = (
    "Every number is computed on held-out customers only: customers the model did not see in "
    "training (cross-validation folds), or a later randomized campaign.",
    "Qini coefficient: area between the model's Qini curve and the random-targeting line, "
    "divided by that of the perfect ranking (scikit-uplift's qini_auc_score); 0 = no better "
    "than random. AUUC: the same for the uplift curve (scikit-uplift's uplift_auc_score).",
    "uplift@k: treated mean - control mean among the top k share by score. Incremental per "
    "1,000: treated outcome - control outcome x n_treated / n_control among the top k, per "
    "1,000 customers of the held-out set, next to what random targeting of as many captures.",
    "Two kinds of interval. Main columns and verdicts: the value on all held-out customers "
    "pooled, with a 95% customer-level bootstrap interval (customers resampled within each arm; "
    "all scores on the same replicates, so differences are paired). It answers: does this "
    "model's held-out ranking beat random targeting on these customers? "
    "'Qini over folds': mean over the folds or random parts named above with a 95% t interval "
    "(cross-validation folds share training data, so it is widened with the Nadeau-Bengio "
    "correction). It answers a harder question, whether the learning algorithm would "
    "generalize to new training data, and is much wider.",
    "Verdicts: 'useful' = a one-sided test of 'better than random' rejects at 5% (the Qini "
    "coefficient over its bootstrap standard error above 1.645) and the top bin's observed uplift "
    "beats the bottom bin's; 'inconclusive' = the Qini coefficient is above 0 but that test does "
    "not reject, or the top bin does not beat the bottom one (a larger holdout would tell); 'not "
    "useful' = the Qini coefficient is not above 0 (or undefined), or the top and bottom bins "
    "cannot be compared.",
    "Baselines: random targeting; the RFM rule (highest RFM score first, what teams do today); "
    "purchase probability (highest chance to buy first). A model is worth using only where it "
    "beats them.",
    "Calibration: customers split into 10 equal bins by predicted uplift; observed uplift = "
    "treated mean - control mean in the bin, with a Welch 95% interval. A model whose top bin "
    "does not beat its bottom bin is reported as not useful.",
)


@dataclass(frozen=True, slots=True)
class ModelReport:
    """What a written model report holds: the folder, its files, and the evaluations."""

    folder: Path
    files: tuple[str, ...]
    evaluations: tuple[ModelEvaluation, ...]
    markdown: str


# --------------------------------------------------------------------------- formatting


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _format(value: Any, kind: str) -> str:
    """One number as text: ``coef`` 0.123, ``signed`` +0.123, ``pp`` +1.23 pp, ``amount``
    +12.34, ``count`` 1,234."""
    if _missing(value):
        return "n/a"
    value = float(value)
    if kind == "coef":
        return f"{value:.3f}"
    if kind == "signed":
        return f"{value:+.3f}"
    if kind == "pp":
        return f"{100 * value:+.2f} pp"
    if kind == "count":
        return f"{value:,.0f}"
    return f"{value:+,.2f}"


def _with_ci(summary: pd.DataFrame, metric: str, kind: str) -> str:
    row = summary.loc[metric]
    text = _format(row["mean"], kind)
    if _missing(row["ci_low"]):
        return text
    return f"{text} [{_format(row['ci_low'], kind)}, {_format(row['ci_high'], kind)}]"


_SCORE_LABEL = re.compile(r"^(?P<kind>.+) \((?P<target>[^()]+)\)(?P<chosen> \[chosen\])?$")


def score_label(label: str, labels: Labels = EN) -> str:
    """A score's label ("dr (conversion) [chosen]", "baseline: RFM rule") in ``labels``."""
    match = _SCORE_LABEL.match(label)
    if match is None:
        return labels.value(label)
    text = f"{match['kind']} ({labels.value(match['target'])})"
    return text + (f" [{labels('chosen')}]" if match["chosen"] else "")


def verdict_text(item: ScoreEvaluation, labels: Labels = EN) -> str:
    """A score's verdict sentence in the language of ``labels``."""
    return verdict_sentence(item.verdict_data, labels)


def _pooled_with_ci(item: ScoreEvaluation, metric: str, kind: str) -> str:
    """Pooled held-out value [customer-bootstrap CI]; the fold mean [CI] without a bootstrap."""
    if item.bootstrap is None or metric not in item.bootstrap.index:
        return _with_ci(item.summary, metric, kind)
    row = item.bootstrap.loc[metric]
    text = _format(row["estimate"], kind)
    if _missing(row["ci_low"]):
        return text
    return f"{text} [{_format(row['ci_low'], kind)}, {_format(row['ci_high'], kind)}]"


def _pooled(item: ScoreEvaluation, metric: str) -> float:
    if item.bootstrap is None:
        return float(item.summary.loc[metric, "mean"])
    return float(metrics_as_row(item.pooled)[metric])


def comparison_rows(
    evaluation: ModelEvaluation, labels: Labels = EN
) -> tuple[list[str], list[tuple[bool, list[str]]]]:
    """Header and rows (``(is_baseline, cells)``) of the model-vs-baselines table."""
    lift_kind = "pp" if evaluation.binary_outcome else "amount"
    k_focus = 0.3 if 0.3 in evaluation.ks else evaluation.ks[-1]
    header = [labels(name) for name in ("score", "Qini coefficient", "AUUC")]
    header += [labels("uplift@{k}", k=f"{k:.0%}") for k in evaluation.ks]
    header += [focus_header("incremental per 1,000 @{k}", k_focus, labels)]
    header += [focus_header("random @{k}", k_focus, labels)]
    header += [labels("Qini over folds"), labels("verdict")]
    rows = []
    for item in evaluation.scores:
        summary = item.summary
        cells = [
            score_label(item.label, labels),
            _pooled_with_ci(item, "qini_coefficient", "coef"),
        ]
        cells.append(_format(_pooled(item, "auuc"), "coef"))
        cells += [_pooled_with_ci(item, f"uplift_at_{k:.0%}", lift_kind) for k in evaluation.ks]
        cells.append(_pooled_with_ci(item, f"incremental_per_1000_at_{k_focus:.0%}", "amount"))
        cells.append(_format(_pooled(item, f"random_per_1000_at_{k_focus:.0%}"), "amount"))
        cells.append(_with_ci(summary, "qini_coefficient", "coef"))
        cells.append(labels(item.verdict_word))
        rows.append((item.is_baseline, cells))
    return header, rows


def focus_header(template: str, k: float, labels: Labels = EN) -> str:
    return labels(template, k=f"{k:.0%}")


def calibration_rows(
    calibration: pd.DataFrame, *, binary: bool, labels: Labels = EN
) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a decile calibration table."""
    kind = "pp" if binary else "amount"
    header = ["bin", "n treated", "n control", "predicted", "observed", "95% CI", "note"]
    header = [labels(name) for name in header]
    rows = []
    for record in calibration.to_dict(orient="records"):
        interval = (
            "n/a"
            if _missing(record["ci_low"])
            else f"[{_format(record['ci_low'], kind)}, {_format(record['ci_high'], kind)}]"
        )
        rows.append(
            [
                str(record["bin"]),
                _format(record["n_treated"], "count"),
                _format(record["n_control"], "count"),
                _format(record["predicted_uplift"], kind),
                _format(record["observed_uplift"], kind),
                interval,
                record["note"] or "",
            ]
        )
    return header, rows


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    align = ["---"] + ["---:"] * (len(header) - 2) + ["---"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows]
    return lines


# --------------------------------------------------------------------------- sections


def best_score(evaluation: ModelEvaluation) -> ScoreEvaluation:
    by_name = {item.name: item for item in evaluation.scores}
    if evaluation.best_model is not None:
        return by_name[evaluation.best_model]
    return next(item for item in evaluation.scores if not item.is_baseline)


def _slug(text: str) -> str:
    """File-name part from a heading: "sms vs control: revenue" -> "sms_vs_control_revenue"."""
    words = "".join(ch if ch.isalnum() or ch == "-" else " " for ch in text.lower()).split()
    return "_".join(word for word in words if word != "outcome") or "outcome"


def _intro(evaluation: ModelEvaluation) -> str:
    text = (
        f"{evaluation.n:,} held-out customers ({evaluation.n_treated:,} treated, "
        f"{evaluation.n_control:,} control)."
    )
    if evaluation.n_bootstrap:
        text += (
            f" Values on all of them pooled, with 95% intervals from {evaluation.n_bootstrap} "
            "customer bootstrap replicates (resampled within each arm); 'Qini over folds' "
            f"has a 95% interval over {evaluation.fold_source}."
        )
    else:
        text += f" Intervals over {evaluation.fold_source}."
    return text


def against_best_baseline(evaluation: ModelEvaluation) -> str:
    """One sentence: does the best model beat the best baseline (paired bootstrap or folds)?"""
    best, baseline = best_score(evaluation), evaluation.best_baseline()
    if baseline is None:
        return "No baseline could be evaluated."
    k_focus = 0.3 if 0.3 in evaluation.ks else evaluation.ks[-1]
    incremental = f"incremental_per_1000_at_{k_focus:.0%}"
    if best.replicates is not None and baseline.replicates is not None:
        qini, low, high = evaluation.bootstrap_difference(best.name, baseline.name)
        gain = evaluation.bootstrap_difference(best.name, baseline.name, incremental)
        paired = "pooled held-out customers, paired customer bootstrap"
    else:
        qini, low, high = evaluation.difference(best.name, baseline.name)
        gain = evaluation.difference(best.name, baseline.name, incremental)
        paired = "paired over the same folds"
    if _missing(low):
        outcome = "cannot be compared (too few folds)"
    elif low > 0:
        outcome = "beats it"
    elif high < 0:
        outcome = "does worse than it"
    else:
        outcome = "is not shown to beat it"
    return (
        f"Against the best baseline ({baseline.label}), {best.label} {outcome}: Qini "
        f"coefficient difference {_format(qini, 'signed')} [95% CI {_format(low, 'signed')}, "
        f"{_format(high, 'signed')}], incremental {evaluation.outcome} per 1,000 customers at the "
        f"top {k_focus:.0%} {_format(gain[0], 'amount')} [{_format(gain[1], 'amount')}, "
        f"{_format(gain[2], 'amount')}] ({paired})."
    )


def _figures(evaluation: ModelEvaluation, slug: str) -> list[tuple[str, str, bytes]]:
    """``(file name, caption, png)`` for one outcome (file names end in ``slug``)."""
    best = best_score(evaluation)
    figures = [
        (
            f"qini_{slug}.png",
            f"Qini curve ({evaluation.outcome}): every model and baseline, and random targeting.",
            uplift_plots.qini_curve_png(evaluation),
        ),
        (
            f"deciles_{slug}.png",
            f"Uplift by bin of predicted uplift, {best.label} ({evaluation.outcome}), 95% CIs.",
            uplift_plots.decile_bars_png(
                best.calibration,
                title=f"Observed vs predicted uplift by bin: {best.label}",
                outcome=evaluation.outcome,
            ),
        ),
    ]
    if not evaluation.binary_outcome:
        figures.append(
            (
                f"captured_{slug}.png",
                f"Incremental {evaluation.outcome} captured per 1,000 customers vs share "
                "targeted, against random targeting.",
                uplift_plots.revenue_captured_png(evaluation),
            )
        )
    return figures


def _section(
    evaluation: ModelEvaluation,
    figures: list[tuple[str, str, bytes]],
    heading: str,
    labels: Labels = EN,
) -> dict:
    best = best_score(evaluation)
    header, rows = comparison_rows(evaluation, labels)
    calibration_header, calibration = calibration_rows(
        best.calibration, binary=evaluation.binary_outcome, labels=labels
    )
    best_label = score_label(best.label, labels)
    return {
        "heading": heading,
        "verdict_title": labels("Verdict for {label}:", label=best_label),
        "verdicts_title": labels("Verdicts"),
        "calibration_title": labels("Calibration of {label}", label=best_label),
        "intro": _intro(evaluation),
        "best_label": best_label,
        "best_verdict": verdict_text(best, labels),
        "best_useful": best.verdict_word == USEFUL,
        "best_class": best.verdict_word.replace(" ", "-"),
        "against_baseline": against_best_baseline(evaluation),
        "table": {
            "columns": header,
            "rows": [{"baseline": baseline, "cells": cells} for baseline, cells in rows],
        },
        "table_caption": _table_caption(evaluation),
        "verdicts": [
            (score_label(item.label, labels), verdict_text(item, labels))
            for item in evaluation.scores
        ],
        "notes": [*notice_texts(evaluation.notes, labels), *_fold_notes(evaluation, labels)],
        "calibration": {
            "columns": calibration_header,
            "rows": [{"cells": cells} for cells in calibration],
        },
        "figures": [
            {"file": name, "caption": caption, "base64": base64.b64encode(png).decode("ascii")}
            for name, caption, png in figures
        ],
    }


def _table_caption(evaluation: ModelEvaluation) -> str:
    units = "percentage points." if evaluation.binary_outcome else f"{evaluation.outcome} units."
    if evaluation.n_bootstrap:
        intervals = (
            "Pooled held-out value [95% customer-bootstrap CI]; AUUC and random without CI; "
            "'Qini over folds': mean over folds [95% CI over folds]."
        )
    else:
        intervals = "Mean over folds [95% CI over folds]."
    return (
        f"{intervals} uplift@k in {units} Incremental per 1,000: captured by targeting the top "
        "share, vs random targeting."
    )


def _fold_notes(evaluation: ModelEvaluation, labels: Labels) -> list[str]:
    """Distinct notes of the folds (e.g. an arm missing from a top 10%), once each."""
    seen: dict[str, None] = {}
    for item in evaluation.scores:
        for fold in item.folds:
            for note in fold.notes:
                text = render_notice(note, labels)
                seen.setdefault(f"{item.label}: {text} (in at least one fold)", None)
    return list(seen)[:20]


def render_markdown(
    title: str, context: Sequence[str], sections: Sequence[dict], labels: Labels = EN
) -> str:
    """The report as Markdown, linking the PNG files written beside it."""
    lines = [f"# {title}", ""]
    for line in context:
        lines += [line, ""]
    for section in sections:
        lines += [f"## {section['heading']}", "", section["intro"], ""]
        lines += [f"**{section['verdict_title']}** {section['best_verdict']}", ""]
        lines += [section["against_baseline"], ""]
        table = section["table"]
        lines += _markdown_table(table["columns"], [row["cells"] for row in table["rows"]])
        lines += ["", f"_{section['table_caption']}_", "", f"### {section['verdicts_title']}", ""]
        lines += [f"- **{label}**: {verdict}" for label, verdict in section["verdicts"]]
        lines += [""] + [f"> {note}" for note in section["notes"]]
        lines += ["", f"### {section['calibration_title']}", ""]
        calibration = section["calibration"]
        lines += _markdown_table(
            calibration["columns"], [row["cells"] for row in calibration["rows"]]
        )
        lines.append("")
        for figure in section["figures"]:
            lines += [f"![{figure['caption']}]({figure['file']})", ""]
    lines += [f"## {labels('How to read this')}", ""]
    lines += [f"- {labels(line)}" for line in METHOD_NOTES] + [""]
    return "\n".join(lines)


def render_html(
    title: str, context: Sequence[str], sections: Sequence[dict], labels: Labels = EN
) -> str:
    """The report as one self-contained HTML page (plots embedded as base64 PNG)."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("uplift_lab", "report/templates"),
        autoescape=True,
        keep_trailing_newline=True,
    )
    template = environment.get_template("model.html.j2")
    return template.render(
        title=title,
        context=context,
        sections=sections,
        method=[labels(line) for line in METHOD_NOTES],
        method_title=labels("How to read this"),
        html_lang=labels.html_lang,
    )


def evaluation_json(evaluation: ModelEvaluation) -> dict:
    """The JSON summary of one outcome's evaluation (io.write_json writes NaN as null)."""
    scores = []
    for item in evaluation.scores:
        summary = {
            metric: {key: float(value) for key, value in row.items()}
            for metric, row in item.summary.iterrows()
        }
        pooled = {key: float(v) for key, v in metrics_as_row(item.pooled).items()}
        bootstrap = {}
        if item.bootstrap is not None:
            bootstrap = {
                metric: {key: float(value) for key, value in row.items()}
                for metric, row in item.bootstrap.iterrows()
            }
        scores.append(
            {
                "name": item.name,
                "label": item.label,
                "baseline": item.is_baseline,
                "verdict": item.verdict,
                "folds": summary,
                "pooled": pooled,
                "pooled_bootstrap_ci": bootstrap,
                "calibration": item.calibration.to_dict(orient="records"),
            }
        )
    return {
        "outcome": evaluation.outcome,
        "binary_outcome": evaluation.binary_outcome,
        "n": evaluation.n,
        "n_treated": evaluation.n_treated,
        "n_control": evaluation.n_control,
        "n_folds": evaluation.n_folds,
        "fold_source": evaluation.fold_source,
        "n_bootstrap": evaluation.n_bootstrap,
        "bootstrap_rows": evaluation.bootstrap_rows,
        "ks": list(evaluation.ks),
        "best_model": evaluation.best_model,
        "notes": list(notice_texts(evaluation.notes)),
        "scores": scores,
    }


@dataclass(frozen=True, slots=True)
class ReportFiles:
    """Everything a report folder holds, as bytes and text, before anything is written."""

    pngs: dict[str, bytes]
    markdown: str
    html: str
    payload: dict

    @property
    def names(self) -> list[str]:
        """The file names, sorted: the PNGs, report.md, report.html and metrics.json."""
        return sorted([*self.pngs, "report.md", "report.html", "metrics.json"])


def report_files(
    parts: Sequence[tuple[str, ModelEvaluation]],
    title: str,
    context: Sequence[str],
    labels: Labels = EN,
    shown_headings: Sequence[str] | None = None,
) -> ReportFiles:
    """Build every file of the report from ``(heading, evaluation)`` pairs.

    File names come from the (English) headings; ``shown_headings`` are the headings as the
    reader sees them (translated), default the same."""
    if not parts:
        raise ValueError("a model report needs at least one ModelEvaluation")
    sections = []
    pngs: dict[str, bytes] = {}
    shown = list(shown_headings or [heading for heading, _ in parts])
    for (heading, evaluation), shown_heading in zip(parts, shown, strict=True):
        figures = _figures(evaluation, _slug(heading))
        pngs.update({name: png for name, _, png in figures})
        sections.append(_section(evaluation, figures, shown_heading, labels))
    payload = {
        "title": title,
        "context": list(context),
        "outcomes": [
            {"heading": heading, **evaluation_json(evaluation)} for heading, evaluation in parts
        ],
    }
    return ReportFiles(
        pngs=pngs,
        markdown=render_markdown(title, context, sections, labels),
        html=render_html(title, context, sections, labels),
        payload=payload,
    )


def model_report_files(
    evaluations: Sequence[ModelEvaluation],
    *,
    title: str = "Uplift model evaluation",
    context: Sequence[str] = (),
    headings: Sequence[str] | None = None,
    labels: Labels = EN,
) -> ReportFiles:
    """The PNGs, report.md, report.html and metrics.json of a report on ``evaluations``.

    One section per evaluation (``headings`` default to "Outcome: <outcome>"). No timestamps:
    the same evaluations give the same bytes.
    """
    shown = list(
        headings
        or [labels("Outcome: {outcome}", outcome=labels.value(e.outcome)) for e in evaluations]
    )
    headings = list(headings or [f"Outcome: {e.outcome}" for e in evaluations])
    if len(headings) != len(evaluations):
        raise ValueError("headings must have one entry per evaluation")
    parts = list(zip(headings, evaluations, strict=True))
    return report_files(parts, title, context, labels, shown)


def held_out_report_files(
    evaluations: Sequence[tuple[str, str, ModelEvaluation]],
    description: Mapping[str, Any],
    labels: Labels = EN,
) -> ReportFiles:
    """The report on a model folder's held-out predictions.

    ``evaluations`` are ``(arm, outcome, evaluation)`` triples as returned by
    ``uplift_lab.uplift.evaluate.evaluate_held_out``; ``description`` is the model's model.json.
    """
    control = str(description.get("control", "control"))
    cv = description.get("cv_metrics", {}) or {}
    context = [
        f"Held-out predictions of {cv.get('folds', '?')}-fold cross-validation: every customer "
        "is scored by a model that did not see them in training.",
        f"Training data SHA-256: {description.get('training_sha256', 'unknown')}; "
        f"uplift-lab {description.get('uplift_lab_version', '?')}.",
    ]
    choice = cv.get("choice", {}) or {}
    for arm, targets in sorted(choice.items()):
        picked = ", ".join(f"{target}: {kind}" for target, kind in sorted(targets.items()) if kind)
        context.append(f"Chosen for arm '{arm}' (best held-out Qini - 1 SE): {picked}.")
    parts = [(f"{arm} vs {control}: {outcome}", ev) for arm, outcome, ev in evaluations]
    shown = [
        labels(
            "{arm} vs {control}: {outcome}",
            arm=labels.value(arm),
            control=labels.value(control),
            outcome=labels.value(outcome),
        )
        for arm, outcome, _ in evaluations
    ]
    return report_files(parts, labels("Uplift model evaluation"), context, labels, shown)
