"""CLI: `evaluate` (a model folder's held-out predictions, or scores on a later campaign).

`evaluate MODEL_DIR --out DIR` reads MODEL_DIR/cv_predictions.parquet (held-out predictions
written by `train`: the id column, `arm`, `assigned_arm`, `treatment` (0/1), `fold`,
`conversion`, `revenue`, `p_control`, one `uplift_<target>__<kind>` column per candidate, and the
RFM-rule columns rfm_score/recency/frequency/monetary found or named with --rfm-cols) through
`uplift_lab.workflows.evaluate.evaluate_model_folder`. `evaluate --scores FILE --outcomes FILE`
joins a scored file with a later campaign's outcomes and reports through
`uplift_lab.workflows.evaluate.evaluate_scores_against_outcomes`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from uplift_lab.cli._common import (
    DateOptions,
    EncodingOption,
    ForceOutFolderOption,
    JsonOption,
    Lang,
    LangOption,
    OrderColumns,
    OrderRules,
    console,
    option_groups,
    order_inputs,
    parse_key_values,
    print_table,
    report_errors,
    split_list,
)
from uplift_lab.report.labels import labels_for

EVALUATE_HELP = (
    "Evaluate uplift scores honestly: Qini, AUUC, uplift@k and incremental outcome vs random, "
    "with 95% CIs; decile calibration; the random, RFM-rule and purchase-probability baselines "
    "in the same table; a verdict in words. Either MODEL_DIR (its held-out cross-validation "
    "predictions) or --scores FILE (score's output) with --outcomes FILE of a later randomized "
    "campaign, joined on the id column: validation on customers the model never saw. Writes "
    "report.md, report.html, metrics.json and PNG plots to --out."
)


OutOption = Annotated[
    Path, typer.Option("--out", file_okay=False, help="Report folder, e.g. reports/NAME.")
]
ModelDirArgument = Annotated[
    Path | None,
    typer.Argument(
        exists=True,
        file_okay=False,
        help="Model folder written by train (its held-out CV predictions). "
        "Leave out when evaluating --scores.",
    ),
]
ScoresOption = Annotated[
    Path | None,
    typer.Option(
        "--scores",
        exists=True,
        dir_okay=False,
        help="Scores file written by score, to validate on a later campaign.",
    ),
]
OutcomesOption = Annotated[
    Path | None,
    typer.Option(
        "--outcomes",
        exists=True,
        dir_okay=False,
        help="With --scores: the later campaign, one row per customer with the id, "
        "--arm-col and outcome columns (omit if the scores file holds them).",
    ),
]
ExperimentOption = Annotated[
    Path | None,
    typer.Option(
        "--experiment",
        exists=True,
        file_okay=False,
        help="With --scores, instead of --outcomes: the campaign's experiment folder "
        "(arms from assignment.parquet) with --orders for the outcomes.",
    ),
]
OrdersOption = Annotated[
    Path | None,
    typer.Option(
        "--orders",
        exists=True,
        dir_okay=False,
        help="With --experiment: order log; converted = an order in the response window.",
    ),
]
StartOption = Annotated[
    str | None,
    typer.Option(
        "--start",
        help="With --experiment: campaign start (default: design.json's campaign start).",
    ),
]
WindowDaysOption = Annotated[
    int | None,
    typer.Option(
        "--window-days",
        help="With --experiment: response window in days (default: design.json, else 14).",
    ),
]
IdColOption = Annotated[
    str | None,
    typer.Option(
        "--id-col",
        help="With --scores: id column joining the two files "
        "(default: the scores file's first column).",
    ),
]
ArmColOption = Annotated[
    str | None, typer.Option("--arm-col", help="With --scores: arm label column.")
]
ControlOption = Annotated[
    str | None,
    typer.Option(
        "--control",
        help="With --scores: label of the control (holdout) arm. Default: 'control', or 0 "
        "(False, No) of an arm column holding just 0 and 1.",
    ),
]
TreatedOption = Annotated[
    str | None,
    typer.Option("--treated", help="With --scores: treated arm to compare (needed with several)."),
]
ConversionColOption = Annotated[
    str | None, typer.Option("--conversion-col", help="With --scores: 0/1 conversion column.")
]
RevenueColOption = Annotated[
    str | None,
    typer.Option("--revenue-col", help="With --scores: revenue column (>= 0), optional."),
]
ScoreColsOption = Annotated[
    str | None,
    typer.Option(
        "--score-cols",
        help="With --scores: comma-separated score columns (default: uplift_conversion, "
        "uplift_revenue, or the --treated arm's per-arm columns).",
    ),
]
RfmColsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--rfm-cols",
        help="With --scores: RFM-rule baseline columns as PART=COLUMN (score, recency, "
        "frequency, monetary). Default: detected by name.",
    ),
]
SplitsOption = Annotated[
    int, typer.Option("--splits", help="With --scores: random parts the CIs are taken over.")
]
SeedOption = Annotated[
    int, typer.Option("--seed", help="Seed of the baselines' tie-breaks and the parts.")
]


@option_groups
def evaluate(
    *,
    out: OutOption,
    model_dir: ModelDirArgument = None,
    scores: ScoresOption = None,
    outcomes: OutcomesOption = None,
    experiment: ExperimentOption = None,
    orders: OrdersOption = None,
    start: StartOption = None,
    window_days: WindowDaysOption = None,
    order_cols: OrderColumns,
    dates: DateOptions,
    order_rules: OrderRules,
    id_col: IdColOption = None,
    arm_col: ArmColOption = None,
    control: ControlOption = None,
    treated: TreatedOption = None,
    conversion_col: ConversionColOption = None,
    revenue_col: RevenueColOption = None,
    score_cols: ScoreColsOption = None,
    rfm_cols: RfmColsOption = None,
    splits: SplitsOption = 5,
    seed: SeedOption = 0,
    force: ForceOutFolderOption = False,
    encoding: EncodingOption = "auto",
    as_json: JsonOption = False,
    lang: LangOption = Lang.en,
) -> None:
    from uplift_lab.errors import InputError

    if (model_dir is None) == (scores is None):
        raise InputError("evaluate: pass exactly one of MODEL_DIR or --scores FILE")
    if scores is not None:
        inputs = None
        if experiment is not None or orders is not None:
            inputs = order_inputs(order_cols, order_rules, dates)
        campaign = _campaign_experiment(experiment, orders, outcomes, start, window_days, inputs)
        _evaluate_scores(
            scores, out, outcomes, id_col, arm_col, control, treated, conversion_col,
            revenue_col, score_cols, rfm_cols, splits, seed, force, encoding, as_json,
            campaign, labels_for(lang),
        )  # fmt: skip
        return
    scores_only = {
        "--outcomes": outcomes, "--experiment": experiment, "--orders": orders,
        "--id-col": id_col, "--arm-col": arm_col, "--control": control, "--treated": treated,
        "--conversion-col": conversion_col, "--revenue-col": revenue_col,
        "--score-cols": score_cols, "--rfm-cols": rfm_cols,
    }  # fmt: skip
    given = [flag for flag, value in scores_only.items() if value]
    if given:
        raise InputError(
            f"{given[0]} goes with --scores FILE, not MODEL_DIR (a model folder's "
            "evaluation uses what train recorded; retrain with --rfm-cols to change the RFM "
            "rule)"
        )
    _evaluate_model_folder(model_dir, out, seed, force, as_json, lang)


def _evaluate_model_folder(
    model_dir: Path, out: Path, seed: int, force: bool, as_json: bool, lang: Lang
) -> None:
    """``evaluate MODEL_DIR``: the held-out predictions of train, one table per arm."""
    from uplift_lab import io
    from uplift_lab.report.model_report import verdict_text
    from uplift_lab.report.model_tables import comparison_table
    from uplift_lab.workflows.evaluate import evaluate_model_folder

    labels = labels_for(lang)
    report = evaluate_model_folder(model_dir, out, seed=seed, force=force, labels=labels)
    if as_json:
        typer.echo(io.to_json_text(report.summary), nl=False)
        return
    results = zip(report.evaluations, report.summary["results"], strict=True)
    control_label = labels.value(report.summary["control"])
    for (arm, _, evaluation), result in results:
        title = labels("{arm} vs {control}", arm=labels.value(arm), control=control_label)
        print_table(comparison_table(evaluation, title=title, labels=labels))
        chosen_score = evaluation.score(f"uplift_{result['outcome']}__{result['chosen']}")
        verdict = verdict_text(chosen_score, labels)
        chosen = labels("Chosen model ({name}): {verdict}", name=result["chosen"], verdict=verdict)
        console.print(chosen, markup=False)
    console.print(
        labels("Report written to {out}/ (report.md, report.html, metrics.json, PNGs)", out=out)
    )


def register(app: typer.Typer) -> None:
    """Add the `evaluate` command to ``app``."""
    app.command("evaluate", help=EVALUATE_HELP)(report_errors(evaluate))


def _campaign_experiment(experiment, orders, outcomes, start, window_days, inputs):
    """``evaluate --scores --experiment --orders``: the campaign whose outcomes to read."""
    from uplift_lab.errors import InputError
    from uplift_lab.workflows.training_data import CampaignExperiment

    if experiment is None and orders is None:
        return None
    if experiment is None or orders is None:
        raise InputError("--experiment FOLDER and --orders FILE go together (arms and outcomes)")
    if outcomes is not None:
        raise InputError("pass either --outcomes FILE or --experiment FOLDER --orders FILE")
    return CampaignExperiment(experiment, orders, start, window_days, inputs=inputs)


def _evaluate_scores(
    scores, out, outcomes, id_col, arm_col, control, treated, conversion_col, revenue_col,
    score_cols, rfm_cols, splits, seed, force, encoding, as_json, campaign=None, labels=None,
) -> None:  # fmt: skip
    """``evaluate --scores``: validate a scored file on a later campaign's outcomes."""
    from uplift_lab import io
    from uplift_lab.errors import InputError
    from uplift_lab.report.model_report import evaluation_json
    from uplift_lab.report.model_tables import comparison_table, verdict_lines
    from uplift_lab.workflows.evaluate import evaluate_scores_against_outcomes

    missing = [
        flag
        for flag, value in (
            ("--arm-col", arm_col),
            ("--conversion-col", conversion_col),
        )
        if not value and campaign is None
    ]
    if missing:
        raise InputError(
            f"--scores needs {', '.join(missing)} (the arm column and the 0/1 conversion "
            "column of the campaign), or --experiment FOLDER --orders FILE"
        )
    report = evaluate_scores_against_outcomes(
        scores,
        out,
        outcomes_path=outcomes,
        id_col=id_col,
        arm_col=arm_col,
        control=control,
        conversion_col=conversion_col,
        revenue_col=revenue_col,
        score_cols=split_list(score_cols) or None,
        treated=treated,
        rfm_cols=parse_key_values(rfm_cols, "--rfm-cols") or None,
        experiment=campaign,
        n_splits=splits,
        seed=seed,
        force=force,
        encoding=encoding,
        labels=labels,
    )
    if as_json:
        payload = [evaluation_json(evaluation) for evaluation in report.evaluations]
        typer.echo(io.to_json_text({"out": str(out), "outcomes": payload}), nl=False)
        return
    from uplift_lab.report.labels import EN

    labels = labels or EN
    first = report.evaluations[0]
    console.print(
        labels(
            "Evaluated on {n} campaign customers ({treated} treated, {control} control).",
            n=f"{first.n:,}",
            treated=f"{first.n_treated:,}",
            control=f"{first.n_control:,}",
        )
    )
    for evaluation in report.evaluations:
        print_table(comparison_table(evaluation, title=scores.name, labels=labels))
    for line in verdict_lines(report, labels):
        console.print(line, markup=False)
    console.print(
        labels("Report written to {out}/ (report.md, report.html, metrics.json, PNGs)", out=out)
    )
