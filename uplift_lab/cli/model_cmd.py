"""CLI for uplift models: `train`, `score` and `evaluate`.

`evaluate MODEL_DIR --out DIR` reads MODEL_DIR/cv_predictions.parquet (held-out predictions
written by `train`: the id column, `arm`, `assigned_arm`, `treatment` (0/1), `fold`,
`conversion`, `revenue`, `p_control`, one `uplift_<target>__<kind>` column per candidate, and the
RFM-rule columns rfm_score/recency/frequency/monetary found or named with --rfm-cols) through
`uplift_lab.uplift.store.evaluate_model_folder`. `evaluate --scores FILE --outcomes FILE` joins a
scored file with a later campaign's outcomes and reports through
`uplift_lab.uplift.store.evaluate_scores_against_outcomes` (the report of
`uplift_lab.report.model_report`).
"""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from uplift_lab.cli._common import (
    AmountColOption,
    ColumnsOption,
    CustomerColOption,
    DateFormatOption,
    DayFirstOption,
    EncodingOption,
    ExcludeStatusOption,
    JsonOption,
    Lang,
    LangOption,
    PaidStatusOption,
    PresetOption,
    RefundColOption,
    RefundRowsOption,
    StatusColOption,
    TimeColOption,
    TimezoneOption,
    console,
    order_inputs,
    parse_key_values,
    report_errors,
    spinner,
    split_list,
    time_parsing,
)
from uplift_lab.cli._engine import (
    DEFAULT_MASTER,
    Engine,
    EngineOption,
    SparkMasterOption,
    TableOption,
    spark_for,
)
from uplift_lab.report.labels import labels_for

TRAIN_HELP = (
    "Train uplift models on a past randomized campaign and save them to --out (LightGBM text "
    "boosters + model.json; no pickle). Data from a flat table (--data with --treatment-col, "
    "--control, --outcome-col, optional --revenue-col, --features) or from an experiment folder "
    "(--experiment with --orders: features as of the campaign start, outcomes in the window "
    "after it; --start and --window-days default to the campaign recorded in design.json). "
    "Every candidate is scored by K-fold cross-validation on held-out folds, next to the random, "
    "RFM-rule (--rfm-cols) and purchase-probability baselines; --model auto picks, per outcome, "
    "the best held-out Qini minus one standard error over the folds (steady beats lucky). "
    "Refuses non-randomized data (a propensity model with AUC > 0.6) unless "
    "--allow-observational."
)
SCORE_HELP = (
    "Score customers with a trained model: one row per customer with uplift_conversion, "
    "uplift_revenue (expected incremental revenue if messaged), p_control, p_treated, plus "
    "per-arm columns (uplift_conversion_<arm>, ...). Uplift columns are calibrated on the "
    "training's held-out predictions; the model's raw predictions are kept as raw_uplift_*. "
    "Ids keep their type (integer ids stay integers). Reads and writes in batches, so millions "
    "of customers fit in memory. Missing feature columns are an error; extra columns are ignored."
)
EVALUATE_HELP = (
    "Evaluate uplift scores honestly: Qini, AUUC, uplift@k and incremental outcome vs random, "
    "with 95% CIs; decile calibration; the random, RFM-rule and purchase-probability baselines "
    "in the same table; a verdict in words. Either MODEL_DIR (its held-out cross-validation "
    "predictions) or --scores FILE (score's output) with --outcomes FILE of a later randomized "
    "campaign, joined on the id column: validation on customers the model never saw. Writes "
    "report.md, report.html, metrics.json and PNG plots to --out."
)


class ConversionModel(StrEnum):
    auto = "auto"
    solo = "solo"
    two = "two"
    two_ddr = "two-ddr"
    ct = "ct"
    x = "x"
    dr = "dr"
    ensemble = "ensemble"


class FinalModel(StrEnum):
    bag = "bag"
    refit = "refit"


class RevenueModel(StrEnum):
    auto = "auto"
    solo = "solo"
    two = "two"
    two_ddr = "two-ddr"
    ct_reg = "ct-reg"
    x = "x"
    dr = "dr"
    ensemble = "ensemble"
    decomposition = "decomposition"
    conv_value = "conv-value"


def _load_training_data(
    data: Path | None,
    experiment: Path | None,
    orders: Path | None,
    start: str | None,
    window_days: int | None,
    id_col: str | None,
    treatment_col: str | None,
    control: str | None,
    outcome_col: str | None,
    revenue_col: str | None,
    features: str | None,
    encoding: str,
    customers: Path | None = None,
    events: Path | None = None,
    columns: tuple[str, str, str] = ("customer_id", "order_time", "amount"),
    rfm_cols: list[str] | None = None,
    inputs=None,
):
    from uplift_lab.errors import InputError
    from uplift_lab.uplift.data import load_experiment_training_data, load_table_training_data

    if (data is None) == (experiment is None):
        raise InputError("train: pass exactly one of --data FILE or --experiment FOLDER")
    rfm = parse_key_values(rfm_cols, "--rfm-cols") or None
    if experiment is not None:
        if orders is None:
            raise InputError("--experiment needs --orders FILE (the order log)")
        customer_col, time_col, amount_col = columns
        return load_experiment_training_data(
            experiment,
            orders,
            start,
            window_days,
            encoding=encoding,
            customers_path=customers,
            events_path=events,
            customer_col=customer_col,
            time_col=time_col,
            amount_col=amount_col,
            rfm_cols=rfm,
            inputs=inputs,
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
        rfm_cols=rfm,
        encoding=encoding,
        reference=start,
        fallback_id_col=columns[0],
    )


def _dropped_lines(training) -> list[str]:
    """One line per reason a default feature was left out, and how dates were used."""
    from uplift_lab.uplift.data import DROP_REASONS

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


def _calibration_lines(model) -> list[str]:
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


def _rfm_text(rfm_columns: dict[str, str]) -> str:
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


def _candidates_tables(result, labels=None) -> list:
    """One rich table per treated arm: every candidate's mean held-out metrics."""
    from rich import box
    from rich.table import Table

    from uplift_lab.report.labels import EN
    from uplift_lab.report.tables import keep_numbers_whole

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
        for row in rows + baselines:
            if row["arm"] != arm:
                continue
            if baselines and row is baselines[0]:
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
                help="With --experiment: campaign start, features use only earlier orders; "
                'left out, the "campaign" start recorded in design.json. With --data: the date '
                "that date features count days back from; left out, the day after the table's "
                "latest date.",
            ),
        ] = None,
        window_days: Annotated[
            int | None,
            typer.Option(
                "--window-days",
                help="With --experiment: response window in days. Default: design.json's "
                "campaign window_days, else 14.",
            ),
        ] = None,
        customer_col: CustomerColOption = "customer_id",
        time_col: TimeColOption = "order_time",
        amount_col: AmountColOption = "amount",
        date_format: DateFormatOption = None,
        dayfirst: DayFirstOption = None,
        timezone: TimezoneOption = None,
        preset: PresetOption = None,
        columns: ColumnsOption = None,
        status_col: StatusColOption = None,
        paid_status: PaidStatusOption = None,
        exclude_status: ExcludeStatusOption = None,
        refund_col: RefundColOption = None,
        refund_rows: RefundRowsOption = False,
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
            typer.Option(
                "--id-col",
                help="Customer id column (default: the --customer-col column where the table "
                "has one, else row numbers are ids).",
            ),
        ] = None,
        treatment_col: Annotated[
            str | None,
            typer.Option("--treatment-col", "--arm-col", help="Arm column (arm label per row)."),
        ] = None,
        control: Annotated[
            str | None, typer.Option("--control", help="Label of the control (holdout) arm.")
        ] = None,
        outcome_col: Annotated[
            str | None,
            typer.Option("--outcome-col", "--conversion-col", help="0/1 conversion column."),
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
                help="Comma-separated feature columns. Default: numeric and low-cardinality "
                "text columns and dates (as days before the campaign); id-like, near-unique "
                "text, constant, all-missing and duplicate columns are dropped (train says "
                "which). Text columns are categorical.",
            ),
        ] = None,
        rfm_cols: Annotated[
            list[str] | None,
            typer.Option(
                "--rfm-cols",
                help="Columns of the RFM-rule baseline as PART=COLUMN (parts: score, recency, "
                "frequency, monetary; lower recency ranks first), e.g. "
                "recency=recency,monetary=history. Default: detected by name (rfm_score, "
                "recency_days/recency, frequency/n_orders, monetary/history).",
            ),
        ] = None,
        model: Annotated[
            ConversionModel,
            typer.Option(
                "--model",
                help="Conversion learner: solo (S-learner, treatment interaction), two "
                "(T-learner), two-ddr, ct (class transformation), x (X-learner), dr "
                "(doubly robust), ensemble (mean of two, x, dr), or auto: the one of two, x, "
                "dr, ensemble with the highest held-out Qini mean minus one standard error "
                "over the folds (a learner whose Qini swings between folds is penalised).",
            ),
        ] = ConversionModel.auto,
        revenue_model: Annotated[
            RevenueModel,
            typer.Option(
                "--revenue-model",
                help="Revenue learner: solo, two, two-ddr, ct-reg (transformed outcome), x, "
                "dr, ensemble, decomposition (conversion uplift x a model of the expected order "
                "value), conv-value (conversion uplift x the converters' mean order value: "
                "revenue ranked as conversion), or auto: the one of two, x, dr, ensemble, "
                "decomposition, conv-value with the highest held-out revenue Qini mean "
                "minus one standard error over the folds.",
            ),
        ] = RevenueModel.auto,
        value_per_conversion: Annotated[
            float | None,
            typer.Option(
                "--value-per-conversion",
                help="Instead of --revenue-col: the value of one conversion (e.g. 10 for $10 "
                "per purchase); score then writes uplift_revenue = V x uplift_conversion.",
            ),
        ] = None,
        folds: Annotated[int, typer.Option("--folds", help="Cross-validation folds.")] = 5,
        final: Annotated[
            FinalModel,
            typer.Option(
                "--final",
                help="Final model: bag (the mean of the chosen learner's cross-validation fold "
                "models: less variance, no extra training) or refit (one fit on all rows).",
            ),
        ] = FinalModel.bag,
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
        lang: LangOption = Lang.en,
    ) -> None:
        from uplift_lab import io
        from uplift_lab.errors import input_error
        from uplift_lab.uplift import guardrails
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
            (customer_col, time_col, amount_col), rfm_cols,
            order_inputs(
                preset, columns, customer_col, time_col, amount_col, status_col, paid_status,
                exclude_status, refund_col, refund_rows,
                time_parsing(date_format, dayfirst, timezone),
            ),
        )  # fmt: skip
        settings = LightGBMSettings(max_rounds=max_rounds, seed=seed)
        with spinner("training") as progress:
            task = progress.tasks[0].id
            result = train_uplift_model(
                training,
                conversion_model=model.value,
                revenue_model=revenue_model.value,
                n_folds=folds,
                settings=settings,
                allow_observational=allow_observational,
                progress=lambda text: progress.update(task, description=text),
                value_per_conversion=value_per_conversion,
                final=final.value,
            )
        with spinner("chosen models vs random and the RFM rule"):
            verdicts = guardrails.chosen_model_verdicts(
                result.model.cv_metrics, result.cv_predictions, id_col=result.model.id_col,
                arms=result.model.arms, control=result.model.control, seed=seed,
            )  # fmt: skip
        result.model.cv_metrics[guardrails.VERDICTS_KEY] = verdicts  # target reads them
        save_model(result.model, out, force=force, cv_predictions=result.cv_predictions)
        if as_json:
            typer.echo(io.to_json_text(result.model.cv_metrics), nl=False)
            return
        console.print(
            f"Trained on {training.n_rows:,} customers, arms {', '.join(training.arms)} vs "
            f"'{training.control}', {len(training.specs)} features."
        )
        if "start" in training.extra:
            origin = training.extra["window_origin"]
            console.print(f"Campaign start {training.extra['start'][:10]} ({origin['start']}).")
            console.print(
                f"Response window {training.extra['window_days']} days ({origin['window_days']})."
            )
        for line in _dropped_lines(training):
            console.print(line, markup=False)
        console.print(f"RFM-rule baseline: {_rfm_text(training.rfm_columns)}.")
        aucs = ", ".join(f"{arm} {auc:.3f}" for arm, auc in result.propensity_auc.items())
        console.print(f"Randomization check: propensity AUC {aucs} (limit 0.6).")
        for table in _candidates_tables(result, labels_for(lang)):
            console.print(table)
        for arm, chosen in result.model.cv_metrics["choice"].items():
            revenue_text = f", revenue: {chosen['revenue']}" if chosen["revenue"] else ""
            console.print(f"Chosen for {arm}: conversion: {chosen['conversion']}{revenue_text}")
        for line in _calibration_lines(result.model):
            console.print(line, markup=False)
        if value_per_conversion is not None:
            console.print(
                f"Value per conversion {value_per_conversion:g}: score writes uplift_revenue = "
                f"{value_per_conversion:g} x uplift_conversion."
            )
        console.print(f"Saved {out}/ (model.json, boosters, cv_predictions.parquet)")
        for line in guardrails.warning_lines(verdicts, training.control):
            console.print(line, markup=False)

    @app.command("score", help=SCORE_HELP)
    @report_errors
    def score(
        model_dir: Annotated[
            Path,
            typer.Argument(exists=True, file_okay=False, help="Model folder written by train."),
        ],
        out: Annotated[
            Path,
            typer.Option("--out", dir_okay=False, help="Scores file, .parquet or .csv (atomic)."),
        ],
        customers: Annotated[
            Path | None,
            typer.Argument(
                exists=True,
                dir_okay=True,
                help="Customers to score (CSV/Parquet), with features (with --engine spark also "
                "a folder of them, or none with --table).",
            ),
        ] = None,
        batch_rows: Annotated[
            int, typer.Option("--batch-rows", help="Customers scored per batch (memory bound).")
        ] = 500_000,
        as_of: Annotated[
            str | None,
            typer.Option(
                "--as-of",
                help="Date features count days before this date (the next campaign's start). "
                "Default: the training's reference date.",
            ),
        ] = None,
        encoding: EncodingOption = "auto",
        engine: EngineOption = Engine.duckdb,
        spark_master: SparkMasterOption = DEFAULT_MASTER,
        table: TableOption = None,
    ) -> None:
        from uplift_lab.errors import InputError
        from uplift_lab.uplift.store import load_model, score_file

        if (customers is None) == (table is None):
            raise InputError("score: pass CUSTOMERS (a file) or --table, one of them")
        if customers is not None and customers.is_dir() and engine != Engine.spark:
            raise InputError(f"{customers}: is a folder; pass a file, or use --engine spark")
        spark = spark_for(engine, spark_master, table)
        if spark is not None:
            from uplift_lab.spark.score import score_spark
            from uplift_lab.spark.session import spark_errors

            with spark_errors(customers or f"table {table}"), spinner("scoring on Spark"):
                rows, columns = score_spark(spark, model_dir, customers, out, table=table,
                                            encoding=encoding, as_of=as_of)  # fmt: skip
            console.print(f"Scored {rows:,} customers -> {out}")
            console.print(f"Columns: {', '.join(columns)}")
            return
        loaded = load_model(model_dir)
        with spinner(f"scoring {customers.name}"):
            summary = score_file(
                loaded, customers, out, batch_rows=batch_rows, encoding=encoding, as_of=as_of
            )
        console.print(f"Scored {summary.rows:,} customers -> {summary.out}")
        console.print(f"Columns: {', '.join(summary.columns)}")

    @app.command("evaluate", help=EVALUATE_HELP)
    @report_errors
    def evaluate(
        out: Annotated[
            Path,
            typer.Option("--out", file_okay=False, help="Report folder, e.g. reports/NAME."),
        ],
        model_dir: Annotated[
            Path | None,
            typer.Argument(
                exists=True,
                file_okay=False,
                help="Model folder written by train (its held-out CV predictions). "
                "Leave out when evaluating --scores.",
            ),
        ] = None,
        scores: Annotated[
            Path | None,
            typer.Option(
                "--scores",
                exists=True,
                dir_okay=False,
                help="Scores file written by score, to validate on a later campaign.",
            ),
        ] = None,
        outcomes: Annotated[
            Path | None,
            typer.Option(
                "--outcomes",
                exists=True,
                dir_okay=False,
                help="With --scores: the later campaign, one row per customer with the id, "
                "--arm-col and outcome columns (omit if the scores file holds them).",
            ),
        ] = None,
        experiment: Annotated[
            Path | None,
            typer.Option(
                "--experiment",
                exists=True,
                file_okay=False,
                help="With --scores, instead of --outcomes: the campaign's experiment folder "
                "(arms from assignment.parquet) with --orders for the outcomes.",
            ),
        ] = None,
        orders: Annotated[
            Path | None,
            typer.Option(
                "--orders",
                exists=True,
                dir_okay=False,
                help="With --experiment: order log; converted = an order in the response window.",
            ),
        ] = None,
        start: Annotated[
            str | None,
            typer.Option(
                "--start",
                help="With --experiment: campaign start (default: design.json's campaign start).",
            ),
        ] = None,
        window_days: Annotated[
            int | None,
            typer.Option(
                "--window-days",
                help="With --experiment: response window in days (default: design.json, else 14).",
            ),
        ] = None,
        customer_col: CustomerColOption = "customer_id",
        time_col: TimeColOption = "order_time",
        amount_col: AmountColOption = "amount",
        date_format: DateFormatOption = None,
        dayfirst: DayFirstOption = None,
        timezone: TimezoneOption = None,
        preset: PresetOption = None,
        columns: ColumnsOption = None,
        status_col: StatusColOption = None,
        paid_status: PaidStatusOption = None,
        exclude_status: ExcludeStatusOption = None,
        refund_col: RefundColOption = None,
        refund_rows: RefundRowsOption = False,
        id_col: Annotated[
            str | None,
            typer.Option(
                "--id-col",
                help="With --scores: id column joining the two files "
                "(default: the scores file's first column).",
            ),
        ] = None,
        arm_col: Annotated[
            str | None, typer.Option("--arm-col", help="With --scores: arm label column.")
        ] = None,
        control: Annotated[
            str | None,
            typer.Option("--control", help="With --scores: label of the control (holdout) arm."),
        ] = None,
        treated: Annotated[
            str | None,
            typer.Option(
                "--treated", help="With --scores: treated arm to compare (needed with several)."
            ),
        ] = None,
        conversion_col: Annotated[
            str | None,
            typer.Option("--conversion-col", help="With --scores: 0/1 conversion column."),
        ] = None,
        revenue_col: Annotated[
            str | None,
            typer.Option("--revenue-col", help="With --scores: revenue column (>= 0), optional."),
        ] = None,
        score_cols: Annotated[
            str | None,
            typer.Option(
                "--score-cols",
                help="With --scores: comma-separated score columns (default: uplift_conversion, "
                "uplift_revenue, or the --treated arm's per-arm columns).",
            ),
        ] = None,
        rfm_cols: Annotated[
            list[str] | None,
            typer.Option(
                "--rfm-cols",
                help="With --scores: RFM-rule baseline columns as PART=COLUMN (score, recency, "
                "frequency, monetary). Default: detected by name.",
            ),
        ] = None,
        splits: Annotated[
            int,
            typer.Option("--splits", help="With --scores: random parts the CIs are taken over."),
        ] = 5,
        seed: Annotated[
            int, typer.Option("--seed", help="Seed of the baselines' tie-breaks and the parts.")
        ] = 0,
        force: Annotated[
            bool, typer.Option("--force", help="Replace an existing --out folder.")
        ] = False,
        encoding: EncodingOption = "auto",
        as_json: JsonOption = False,
        lang: LangOption = Lang.en,
    ) -> None:
        from uplift_lab import io
        from uplift_lab.errors import InputError

        if (model_dir is None) == (scores is None):
            raise InputError("evaluate: pass exactly one of MODEL_DIR or --scores FILE")
        if scores is not None:
            campaign = None
            if experiment is not None or orders is not None:
                campaign = _campaign_outcomes(
                    experiment, orders, outcomes, start, window_days,
                    (customer_col, time_col, amount_col), encoding,
                    order_inputs(
                preset, columns, customer_col, time_col, amount_col, status_col, paid_status,
                exclude_status, refund_col, refund_rows,
                time_parsing(date_format, dayfirst, timezone),
            ),
                )  # fmt: skip
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
        from uplift_lab.report.model_report import comparison_table
        from uplift_lab.uplift.store import evaluate_model_folder

        labels = labels_for(lang)
        report = evaluate_model_folder(model_dir, out, seed=seed, force=force, labels=labels)
        if as_json:
            typer.echo(io.to_json_text(report.summary), nl=False)
            return
        results = zip(report.evaluations, report.summary["results"], strict=True)
        control_label = labels.value(report.summary["control"])
        for (arm, _, evaluation), result in results:
            title = labels("{arm} vs {control}", arm=labels.value(arm), control=control_label)
            console.print(comparison_table(evaluation, title=title, labels=labels))
            verdict = result["verdicts"][f"uplift_{result['outcome']}__{result['chosen']}"]
            chosen = labels(
                "Chosen model ({name}): {verdict}", name=result["chosen"], verdict=verdict
            )
            console.print(chosen, markup=False)
        console.print(
            labels("Report written to {out}/ (report.md, report.html, metrics.json, PNGs)", out=out)
        )


def _campaign_outcomes(
    experiment, orders, outcomes, start, window_days, columns, encoding, inputs=None
):
    """``evaluate --scores --experiment --orders``: arms and window outcomes of a campaign."""
    from uplift_lab.errors import InputError
    from uplift_lab.uplift.data import load_experiment_outcomes

    if experiment is None or orders is None:
        raise InputError("--experiment FOLDER and --orders FILE go together (arms and outcomes)")
    if outcomes is not None:
        raise InputError("pass either --outcomes FILE or --experiment FOLDER --orders FILE")
    customer_col, time_col, amount_col = columns
    return load_experiment_outcomes(
        experiment,
        orders,
        start,
        window_days,
        encoding=encoding,
        customer_col=customer_col,
        time_col=time_col,
        amount_col=amount_col,
        inputs=inputs,
    )


def _evaluate_scores(
    scores, out, outcomes, id_col, arm_col, control, treated, conversion_col, revenue_col,
    score_cols, rfm_cols, splits, seed, force, encoding, as_json, campaign=None, labels=None,
) -> None:  # fmt: skip
    """``evaluate --scores``: validate a scored file on a later campaign's outcomes."""
    from uplift_lab import io
    from uplift_lab.errors import InputError
    from uplift_lab.report.model_report import comparison_table, evaluation_json, verdict_lines
    from uplift_lab.uplift.store import evaluate_scores_against_outcomes

    missing = [
        flag
        for flag, value in (
            ("--arm-col", arm_col),
            ("--control", control),
            ("--conversion-col", conversion_col),
        )
        if not value and campaign is None
    ]
    if missing:
        raise InputError(
            f"--scores needs {', '.join(missing)} (the arm column, its control label and the "
            "0/1 conversion column of the campaign), or --experiment FOLDER --orders FILE"
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
        campaign=campaign,
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
        console.print(comparison_table(evaluation, title=scores.name, labels=labels))
    for line in verdict_lines(report):
        console.print(line, markup=False)
    console.print(
        labels("Report written to {out}/ (report.md, report.html, metrics.json, PNGs)", out=out)
    )
