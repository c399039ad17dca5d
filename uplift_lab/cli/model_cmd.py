"""CLI for uplift models: `train`, `score` and `evaluate`.

Coordination with the evaluate engineer (uplift/evaluate.py, report/model_report.py):
this module registers all three commands, `evaluate` included. `evaluate MODEL_DIR --out DIR`
reads MODEL_DIR/cv_predictions.parquet (held-out predictions written by `train`: the id column,
`arm` (treated arm compared), `assigned_arm`, `treatment` (0/1), `fold`, `conversion`, `revenue`,
`p_control`, `uplift_conversion`, `uplift_revenue`, one `uplift_<target>__<kind>` column per
candidate, and recency_days/frequency/monetary/rfm_score when they were features), calls
`uplift_lab.uplift.evaluate.evaluate_scores(..., fold_col="fold")` per arm and outcome, and hands
the results to the report writer in report/model_report.py (`write_model_report`) when it exists.
"""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from uplift_lab.cli._common import (
    EncodingOption,
    JsonOption,
    console,
    err_console,
    report_errors,
    split_list,
)

TRAIN_HELP = (
    "Train uplift models on a past randomized campaign and save them to --out (LightGBM text "
    "boosters + model.json; no pickle). Data from a flat table (--data with --treatment-col, "
    "--control, --outcome-col, optional --revenue-col, --features) or from an experiment folder "
    "(--experiment with --orders, --start, --window-days: features as of the start, outcomes in "
    "the window after it). Every candidate is scored by K-fold cross-validation on held-out "
    "folds; --model auto picks the best Qini. Refuses non-randomized data (a propensity model "
    "with AUC > 0.6) unless --allow-observational."
)
SCORE_HELP = (
    "Score customers with a trained model: one row per customer with uplift_conversion, "
    "uplift_revenue (expected incremental revenue if messaged), p_control, p_treated, plus "
    "per-arm columns (uplift_conversion_<arm>, ...). Reads and writes in batches, so millions "
    "of customers fit in memory. Missing feature columns are an error; extra columns are ignored."
)
EVALUATE_HELP = (
    "Evaluate a trained model on its held-out cross-validation predictions: Qini, AUUC, "
    "uplift@k and incremental outcome vs random, with CIs over folds; decile calibration; the "
    "random, RFM-rule and purchase-probability baselines in the same table; a verdict in words. "
    "Writes report.md, report.html, report.json and PNG plots to --out."
)


class ConversionModel(StrEnum):
    auto = "auto"
    solo = "solo"
    two = "two"
    two_ddr = "two-ddr"
    ct = "ct"


class RevenueModel(StrEnum):
    auto = "auto"
    solo = "solo"
    two = "two"
    two_ddr = "two-ddr"
    ct_reg = "ct-reg"
    decomposition = "decomposition"


def _load_training_data(
    data: Path | None,
    experiment: Path | None,
    orders: Path | None,
    start: str | None,
    window_days: int,
    id_col: str | None,
    treatment_col: str | None,
    control: str | None,
    outcome_col: str | None,
    revenue_col: str | None,
    features: str | None,
    encoding: str,
    customers: Path | None = None,
    events: Path | None = None,
):
    from uplift_lab.errors import InputError
    from uplift_lab.uplift.data import load_experiment_training_data, load_table_training_data

    if (data is None) == (experiment is None):
        raise InputError("train: pass exactly one of --data FILE or --experiment FOLDER")
    if experiment is not None:
        if orders is None or start is None:
            raise InputError("--experiment needs --orders FILE and --start DATE (campaign start)")
        return load_experiment_training_data(
            experiment,
            orders,
            start,
            window_days,
            encoding=encoding,
            customers_path=customers,
            events_path=events,
        )
    missing = [
        flag
        for flag, value in (
            ("--treatment-col", treatment_col),
            ("--control", control),
            ("--outcome-col", outcome_col),
        )
        if not value
    ]
    if missing:
        raise InputError(
            f"--data needs {', '.join(missing)} (the arm column, its control label "
            "and the 0/1 outcome column)"
        )
    return load_table_training_data(
        data,
        treatment_col=treatment_col,
        control=control,
        outcome_col=outcome_col,
        revenue_col=revenue_col,
        id_col=id_col,
        features=split_list(features) or None,
        encoding=encoding,
    )


def _number(value: float | None, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}"


def _candidates_tables(result) -> list:
    """One rich table per treated arm: every candidate's mean held-out metrics."""
    from rich import box
    from rich.table import Table

    choice = result.model.cv_metrics["choice"]
    folds = result.model.cv_metrics["folds"]
    control = result.model.control
    tables = []
    for arm in choice:
        table = Table(
            title=f"{arm} vs {control}: mean over {folds} held-out folds",
            caption="* chosen (best mean Qini); @k: uplift among the top k by score",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
        )
        for name in ("outcome", "model"):
            table.add_column(name, no_wrap=True)
        for name in ("Qini", "sd", "AUUC", "@10%", "@30%", "@50%"):
            table.add_column(name, justify="right", no_wrap=True)
        for row in result.candidates.to_dict(orient="records"):
            if row["arm"] != arm:
                continue
            chosen = choice[arm][row["target"]] == row["kind"]
            digits = 3 if row["target"] == "conversion" else 2
            cells = [row["target"], row["kind"] + ("*" if chosen else "")]
            cells += [_number(row["qini"], 3), _number(row.get("qini_sd"), 3)]
            cells += [_number(row["auuc"], 3)]
            cells += [_number(row.get(f"uplift_at_{k}"), digits) for k in (10, 30, 50)]
            table.add_row(*cells)
        tables.append(table)
    return tables


def _comparison_table(evaluation, title: str):
    """Models vs baselines at the top 30%, as plain text cells (labels hold brackets)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from uplift_lab.report.model_report import comparison_frame

    frame = comparison_frame(evaluation)
    wanted = ["score", "Qini coefficient", "uplift@30%", "incremental per 1,000 @30%"]
    wanted += ["random @30%", "verdict"]
    columns = [name for name in wanted if name in frame.columns]
    table = Table(
        title=f"{title}: {evaluation.outcome}, models vs baselines (95% CI over folds)",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for name in columns:
        numeric = name not in ("score", "verdict")
        table.add_column(name, justify="right" if numeric else "left")
    for row in frame[columns].itertuples(index=False):
        table.add_row(*(Text(str(cell)) for cell in row))
    return table


def register(app: typer.Typer) -> None:
    """Add the `train`, `score` and `evaluate` commands to ``app``."""

    @app.command("train", help=TRAIN_HELP)
    @report_errors
    def train(
        out: Annotated[
            Path,
            typer.Option("--out", file_okay=False, help="Model folder to write, e.g. models/NAME."),
        ],
        data: Annotated[
            Path | None,
            typer.Option(
                "--data",
                exists=True,
                dir_okay=False,
                help="Flat campaign table (CSV/Parquet), one row per customer.",
            ),
        ] = None,
        experiment: Annotated[
            Path | None,
            typer.Option(
                "--experiment",
                exists=True,
                file_okay=False,
                help="Experiment folder written by design (assignment.parquet + design.json).",
            ),
        ] = None,
        orders: Annotated[
            Path | None,
            typer.Option(
                "--orders",
                exists=True,
                dir_okay=False,
                help="With --experiment: order log (customer_id, order_time, amount).",
            ),
        ] = None,
        start: Annotated[
            str | None,
            typer.Option(
                "--start",
                help="With --experiment: campaign start; features use only earlier orders.",
            ),
        ] = None,
        window_days: Annotated[
            int,
            typer.Option("--window-days", help="With --experiment: response window in days."),
        ] = 14,
        customers: Annotated[
            Path | None,
            typer.Option(
                "--customers",
                exists=True,
                dir_okay=False,
                help="With --experiment: customer table (attributes such as age become features).",
            ),
        ] = None,
        events: Annotated[
            Path | None,
            typer.Option(
                "--events",
                exists=True,
                dir_okay=False,
                help="With --experiment: activity events (adds days_since_last_event).",
            ),
        ] = None,
        id_col: Annotated[
            str | None,
            typer.Option("--id-col", help="Customer id column (absent: row numbers are ids)."),
        ] = None,
        treatment_col: Annotated[
            str | None, typer.Option("--treatment-col", help="Arm column (arm label per row).")
        ] = None,
        control: Annotated[
            str | None, typer.Option("--control", help="Label of the control (holdout) arm.")
        ] = None,
        outcome_col: Annotated[
            str | None, typer.Option("--outcome-col", help="0/1 conversion column.")
        ] = None,
        revenue_col: Annotated[
            str | None,
            typer.Option(
                "--revenue-col", help="Revenue (spend) column, >= 0; enables revenue models."
            ),
        ] = None,
        features: Annotated[
            str | None,
            typer.Option(
                "--features",
                help="Comma-separated feature columns (default: all other non-date columns). "
                "Text columns are categorical.",
            ),
        ] = None,
        model: Annotated[
            ConversionModel,
            typer.Option(
                "--model",
                help="Conversion learner: solo (S-learner, treatment interaction), two "
                "(T-learner), two-ddr, ct (class transformation), or auto (best Qini).",
            ),
        ] = ConversionModel.auto,
        revenue_model: Annotated[
            RevenueModel,
            typer.Option(
                "--revenue-model",
                help="Revenue learner: solo, two, two-ddr, ct-reg (transformed outcome), "
                "decomposition (uplift x order value), or auto (best revenue Qini).",
            ),
        ] = RevenueModel.auto,
        folds: Annotated[int, typer.Option("--folds", help="Cross-validation folds.")] = 5,
        seed: Annotated[int, typer.Option("--seed", help="Seed of folds and LightGBM.")] = 0,
        max_rounds: Annotated[
            int,
            typer.Option("--max-rounds", help="Most boosting rounds (early stopping picks fewer)."),
        ] = 300,
        allow_observational: Annotated[
            bool,
            typer.Option(
                "--allow-observational",
                help="Train even when the arm is predictable from the features (biased).",
            ),
        ] = False,
        force: Annotated[
            bool, typer.Option("--force", help="Replace an existing --out folder.")
        ] = False,
        encoding: EncodingOption = "auto",
        as_json: JsonOption = False,
    ) -> None:
        from rich.progress import Progress, SpinnerColumn, TextColumn

        from uplift_lab import io
        from uplift_lab.errors import input_error
        from uplift_lab.uplift.models import LightGBMSettings
        from uplift_lab.uplift.store import save_model
        from uplift_lab.uplift.train import train_uplift_model

        if max_rounds < 1:
            raise input_error("--max-rounds", f"must be at least 1, got {max_rounds}")
        if out.exists() and any(out.iterdir()) and not force:
            raise input_error(
                out,
                "already exists and is not empty",
                "Use --force to replace it, or another --out",
            )
        training = _load_training_data(
            data, experiment, orders, start, window_days, id_col, treatment_col, control,
            outcome_col, revenue_col, features, encoding, customers, events,
        )  # fmt: skip
        settings = LightGBMSettings(max_rounds=max_rounds, seed=seed)
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), transient=True, console=err_console
        ) as progress:
            task = progress.add_task("training", total=None)
            result = train_uplift_model(
                training,
                conversion_model=model.value,
                revenue_model=revenue_model.value,
                n_folds=folds,
                settings=settings,
                allow_observational=allow_observational,
                progress=lambda text: progress.update(task, description=text),
            )
        save_model(result.model, out, force=force, cv_predictions=result.cv_predictions)
        if as_json:
            typer.echo(io.to_json_text(result.model.cv_metrics), nl=False)
            return
        console.print(
            f"Trained on {training.n_rows:,} customers, arms {', '.join(training.arms)} vs "
            f"'{training.control}', {len(training.specs)} features."
        )
        aucs = ", ".join(f"{arm} {auc:.3f}" for arm, auc in result.propensity_auc.items())
        console.print(f"Randomization check: propensity AUC {aucs} (limit 0.6).")
        for table in _candidates_tables(result):
            console.print(table)
        for arm, chosen in result.model.cv_metrics["choice"].items():
            revenue_text = f", revenue: {chosen['revenue']}" if chosen["revenue"] else ""
            console.print(f"Chosen for {arm}: conversion: {chosen['conversion']}{revenue_text}")
        console.print(f"Saved {out}/ (model.json, boosters, cv_predictions.parquet)")

    @app.command("score", help=SCORE_HELP)
    @report_errors
    def score(
        model_dir: Annotated[
            Path,
            typer.Argument(exists=True, file_okay=False, help="Model folder written by train."),
        ],
        customers: Annotated[
            Path,
            typer.Argument(
                exists=True, dir_okay=False, help="Customers to score (CSV/Parquet), with features."
            ),
        ],
        out: Annotated[
            Path,
            typer.Option("--out", dir_okay=False, help="Scores file, .parquet or .csv (atomic)."),
        ],
        batch_rows: Annotated[
            int, typer.Option("--batch-rows", help="Customers scored per batch (memory bound).")
        ] = 500_000,
        encoding: EncodingOption = "auto",
    ) -> None:
        from rich.progress import Progress, SpinnerColumn, TextColumn

        from uplift_lab.uplift.store import load_model, score_file

        loaded = load_model(model_dir)
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), transient=True, console=err_console
        ) as progress:
            progress.add_task(f"scoring {customers.name}", total=None)
            summary = score_file(loaded, customers, out, batch_rows=batch_rows, encoding=encoding)
        console.print(f"Scored {summary.rows:,} customers -> {summary.out}")
        console.print(f"Columns: {', '.join(summary.columns)}")

    @app.command("evaluate", help=EVALUATE_HELP)
    @report_errors
    def evaluate(
        model_dir: Annotated[
            Path,
            typer.Argument(exists=True, file_okay=False, help="Model folder written by train."),
        ],
        out: Annotated[
            Path,
            typer.Option("--out", file_okay=False, help="Report folder, e.g. reports/NAME."),
        ],
        seed: Annotated[int, typer.Option("--seed", help="Seed of the baselines' tie-breaks.")] = 0,
        force: Annotated[
            bool, typer.Option("--force", help="Replace an existing --out folder.")
        ] = False,
        as_json: JsonOption = False,
    ) -> None:
        from uplift_lab import io
        from uplift_lab.uplift.store import evaluate_model_folder

        report = evaluate_model_folder(model_dir, out, seed=seed, force=force)
        if as_json:
            typer.echo(io.to_json_text(report.summary), nl=False)
            return
        results = zip(report.evaluations, report.summary["results"], strict=True)
        for (arm, _, evaluation), result in results:
            console.print(_comparison_table(evaluation, f"{arm} vs {report.summary['control']}"))
            verdict = result["verdicts"][f"uplift_{result['outcome']}__{result['chosen']}"]
            console.print(f"Chosen model ({result['chosen']}): {verdict}", markup=False)
        console.print(f"Report written to {out}/ (report.md, report.html, metrics.json, PNGs)")
