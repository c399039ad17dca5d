"""CLI: `train` (a past randomized campaign -> a model folder)."""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
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
    spinner,
    split_list,
)
from uplift_lab.report.labels import labels_for

TRAIN_HELP = (
    "Train uplift models on a past randomized campaign and save them to --out (LightGBM text "
    "boosters + model.json; no pickle). Data from a flat table (--data with --treatment-col, "
    "--control, --outcome-col, optional --revenue-col, --features) or from an experiment folder "
    "(--experiment with --orders: features as of the campaign start, outcomes in the window "
    "after it; --start and --window-days default to the campaign recorded in design.json); "
    "--data with --orders and --start adds the order-history features to the table's. "
    "Every candidate is scored by K-fold cross-validation on held-out folds, next to the random, "
    "RFM-rule (--rfm-cols) and purchase-probability baselines; --model auto picks, per outcome, "
    "the best held-out Qini minus one standard error over the folds (steady beats lucky). "
    "Refuses non-randomized data (a propensity model with AUC > 0.6) unless "
    "--allow-observational."
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


OutOption = Annotated[
    Path, typer.Option("--out", file_okay=False, help="Model folder to write, e.g. models/NAME.")
]
DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        exists=True,
        dir_okay=False,
        help="Flat campaign table (CSV/Parquet), one row per customer.",
    ),
]
ExperimentOption = Annotated[
    Path | None,
    typer.Option(
        "--experiment",
        exists=True,
        file_okay=False,
        help="Experiment folder written by design (assignment.parquet + design.json).",
    ),
]
OrdersOption = Annotated[
    Path | None,
    typer.Option(
        "--orders",
        exists=True,
        dir_okay=False,
        help="With --experiment: order log (customer_id, order_time, amount). With "
        "--data (and --start): each customer's segment as of --start, from the orders "
        "before it, joins the table by --id-col as features.",
    ),
]
StartOption = Annotated[
    str | None,
    typer.Option(
        "--start",
        help="With --experiment: campaign start, features use only earlier orders; "
        'left out, the "campaign" start recorded in design.json. With --data: the date '
        "that date features count days back from; left out, the day after the table's "
        "latest date.",
    ),
]
WindowDaysOption = Annotated[
    int | None,
    typer.Option(
        "--window-days",
        help="With --experiment: response window in days. Default: design.json's "
        "campaign window_days, else 14.",
    ),
]
CustomersOption = Annotated[
    Path | None,
    typer.Option(
        "--customers",
        exists=True,
        dir_okay=False,
        help="With --experiment or --data --orders: customer table (attributes such as "
        "age become features).",
    ),
]
EventsOption = Annotated[
    Path | None,
    typer.Option(
        "--events",
        exists=True,
        dir_okay=False,
        help="With --experiment or --data --orders: activity events (adds days_since_last_event).",
    ),
]
IdColOption = Annotated[
    str | None,
    typer.Option(
        "--id-col",
        help="Customer id column (default: the --customer-col column where the table "
        "has one, else row numbers are ids).",
    ),
]
TreatmentColOption = Annotated[
    str | None,
    typer.Option("--treatment-col", "--arm-col", help="Arm column (arm label per row)."),
]
ControlOption = Annotated[
    str | None,
    typer.Option(
        "--control",
        help="Label of the control (holdout) arm. Default: 'control', or 0 (False, No) of a "
        "column holding just 0 and 1.",
    ),
]
OutcomeColOption = Annotated[
    str | None,
    typer.Option("--outcome-col", "--conversion-col", help="0/1 conversion column."),
]
RevenueColOption = Annotated[
    str | None,
    typer.Option("--revenue-col", help="Revenue (spend) column, >= 0; enables revenue models."),
]
FeaturesOption = Annotated[
    str | None,
    typer.Option(
        "--features",
        help="Comma-separated feature columns. Default: numeric and low-cardinality "
        "text columns and dates (as days before the campaign); id-like, near-unique "
        "text, constant, all-missing and duplicate columns are dropped (train says "
        "which). Text columns are categorical.",
    ),
]
DropFeaturesOption = Annotated[
    str | None,
    typer.Option(
        "--drop-features",
        help="Comma-separated columns left out of the default features (--data): an exposure "
        "flag or an outcome measured after the send, which the randomization check names.",
    ),
]
RfmColsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--rfm-cols",
        help="Columns of the RFM-rule baseline as PART=COLUMN (parts: score, recency, "
        "frequency, monetary; lower recency ranks first), e.g. "
        "recency=recency,monetary=history. Default: detected by name (rfm_score, "
        "recency_days/recency, frequency/n_orders, monetary/history).",
    ),
]
ModelOption = Annotated[
    ConversionModel,
    typer.Option(
        "--model",
        help="Conversion learner: solo (S-learner, treatment interaction), two "
        "(T-learner), two-ddr, ct (class transformation), x (X-learner), dr "
        "(doubly robust), ensemble (mean of two, x, dr), or auto: the one of two, x, "
        "dr, ensemble with the highest held-out Qini mean minus one standard error "
        "over the folds (a learner whose Qini swings between folds is penalised).",
    ),
]
RevenueModelOption = Annotated[
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
]
ValuePerConversionOption = Annotated[
    float | None,
    typer.Option(
        "--value-per-conversion",
        help="Instead of --revenue-col: the value of one conversion (e.g. 10 for $10 "
        "per purchase); score then writes uplift_revenue = V x uplift_conversion.",
    ),
]
FoldsOption = Annotated[int, typer.Option("--folds", help="Cross-validation folds.")]
FinalOption = Annotated[
    FinalModel,
    typer.Option(
        "--final",
        help="Final model: bag (the mean of the chosen learner's cross-validation fold "
        "models: less variance, no extra training) or refit (one fit on all rows).",
    ),
]
SeedOption = Annotated[int, typer.Option("--seed", help="Seed of folds and LightGBM.")]
MaxRoundsOption = Annotated[
    int, typer.Option("--max-rounds", help="Most boosting rounds (early stopping picks fewer).")
]
AllowObservationalOption = Annotated[
    bool,
    typer.Option(
        "--allow-observational",
        help="Train even when the arm is predictable from the features (biased).",
    ),
]


@option_groups
def train(
    *,
    out: OutOption,
    data: DataOption = None,
    experiment: ExperimentOption = None,
    orders: OrdersOption = None,
    start: StartOption = None,
    window_days: WindowDaysOption = None,
    order_cols: OrderColumns,
    dates: DateOptions,
    order_rules: OrderRules,
    customers: CustomersOption = None,
    events: EventsOption = None,
    id_col: IdColOption = None,
    treatment_col: TreatmentColOption = None,
    control: ControlOption = None,
    outcome_col: OutcomeColOption = None,
    revenue_col: RevenueColOption = None,
    features: FeaturesOption = None,
    drop_features: DropFeaturesOption = None,
    rfm_cols: RfmColsOption = None,
    model: ModelOption = ConversionModel.auto,
    revenue_model: RevenueModelOption = RevenueModel.auto,
    value_per_conversion: ValuePerConversionOption = None,
    folds: FoldsOption = 5,
    final: FinalOption = FinalModel.bag,
    seed: SeedOption = 0,
    max_rounds: MaxRoundsOption = 300,
    allow_observational: AllowObservationalOption = False,
    force: ForceOutFolderOption = False,
    encoding: EncodingOption = "auto",
    as_json: JsonOption = False,
    lang: LangOption = Lang.en,
) -> None:
    from uplift_lab import io
    from uplift_lab.workflows.train import TrainOptions, check_train_output, train_model_folder

    options = TrainOptions(
        conversion_model=model.value, revenue_model=revenue_model.value, n_folds=folds,
        max_rounds=max_rounds, seed=seed, allow_observational=allow_observational,
        value_per_conversion=value_per_conversion, final=final.value,
        rfm_cols=None,
    )  # fmt: skip
    check_train_output(out, options, force=force)
    inputs = order_inputs(order_cols, order_rules, dates)
    source, rfm = _training_source(
        data, experiment, orders, start, window_days, id_col, treatment_col, control,
        outcome_col, revenue_col, (features, drop_features), customers, events,
        order_cols.customer_col, rfm_cols, inputs,
    )  # fmt: skip
    options = replace(options, rfm_cols=rfm)
    with spinner("training") as progress:
        task = progress.tasks[0].id
        trained = train_model_folder(
            source, out, options, encoding=encoding, force=force,
            progress=lambda text: progress.update(task, description=text),
        )  # fmt: skip
    if as_json:
        typer.echo(io.to_json_text(trained.result.model.cv_metrics), nl=False)
        return
    _print_training(trained, out, value_per_conversion, lang)


def _print_training(trained, out: Path, value_per_conversion: float | None, lang: Lang) -> None:
    """What was trained on, the candidates' table, the choice, calibration and the verdicts."""
    from uplift_lab.report import model_tables
    from uplift_lab.report.notice_text import notice_texts
    from uplift_lab.uplift import guardrails

    result, training = trained.result, trained.training
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
    for line in model_tables.dropped_feature_lines(training):
        console.print(line, markup=False)
    console.print(f"RFM-rule baseline: {model_tables.rfm_rule_text(training.rfm_columns)}.")
    aucs = ", ".join(f"{arm} {auc:.3f}" for arm, auc in result.propensity_auc.items())
    console.print(f"Randomization check: propensity AUC {aucs} (limit 0.6).")
    for table in model_tables.candidates_tables(result, labels_for(lang)):
        print_table(table)
    for arm, chosen in result.model.cv_metrics["choice"].items():
        revenue_text = f", revenue: {chosen['revenue']}" if chosen["revenue"] else ""
        console.print(f"Chosen for {arm}: conversion: {chosen['conversion']}{revenue_text}")
    for line in model_tables.calibration_lines(result.model):
        console.print(line, markup=False)
    if value_per_conversion is not None:
        console.print(
            f"Value per conversion {value_per_conversion:g}: score writes uplift_revenue = "
            f"{value_per_conversion:g} x uplift_conversion."
        )
    console.print(f"Saved {out}/ (model.json, boosters, cv_predictions.parquet)")
    verdicts = guardrails.verdict_notices(trained.verdicts, training.control)
    for line in notice_texts(verdicts, labels_for(lang)):
        console.print(line, markup=False)


def register(app: typer.Typer) -> None:
    """Add the `train` command to ``app``."""
    app.command("train", help=TRAIN_HELP)(report_errors(train))


def _training_source(
    data, experiment, orders, start, window_days, id_col, treatment_col, control, outcome_col,
    revenue_col, features, customers, events, customer_col, rfm_cols, inputs,
):  # fmt: skip
    """The campaign to train on (a flat table or an experiment folder) and the --rfm-cols map."""
    from uplift_lab.errors import InputError
    from uplift_lab.workflows.train import CampaignExperiment, CampaignTable

    if (data is None) == (experiment is None):
        raise InputError("train: pass exactly one of --data FILE or --experiment FOLDER")
    rfm = parse_key_values(rfm_cols, "--rfm-cols") or None
    features, drop_features = features
    if drop_features and (features or experiment is not None):
        raise InputError(
            "--drop-features narrows the default features of --data; with --features, list "
            "only the columns to keep"
        )
    if experiment is not None:
        if orders is None:
            raise InputError("--experiment needs --orders FILE (the order log)")
        return CampaignExperiment(
            experiment, orders, start, window_days, customers, events, inputs
        ), rfm
    missing = [
        flag
        for flag, value in (
            ("--treatment-col", treatment_col),
            ("--outcome-col", outcome_col),
        )
        if not value
    ]
    if missing:
        raise InputError(
            f"--data needs {', '.join(missing)} (the arm column and the 0/1 outcome column)"
        )
    history = None
    if orders is not None:
        from uplift_lab.workflows.training_data import OrderHistory

        history = OrderHistory(orders, customers, events, inputs)
    elif customers is not None or events is not None:
        raise InputError(
            "--customers/--events with --data need --orders FILE (their segments join the "
            "table as features)"
        )
    table = CampaignTable(
        data, treatment_col, control, outcome_col, revenue_col, id_col,
        split_list(features) or None, start, customer_col, history,
        tuple(split_list(drop_features)),
    )  # fmt: skip
    return table, rfm
