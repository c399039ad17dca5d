"""`train`: a past randomized campaign -> a model folder (LightGBM text boosters + model.json).

Reads the campaign (a flat table, or an experiment folder with its order log: see
:mod:`uplift_lab.workflows.training_data`), trains and cross-validates the candidates
(:func:`uplift_lab.uplift.train.train_uplift_model`), records the chosen models' verdicts
against random and the RFM rule (:mod:`uplift_lab.uplift.guardrails`) and saves the folder
atomically (:func:`uplift_lab.workflows.model_folder.save_model`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from uplift_lab.errors import ParameterError
from uplift_lab.uplift import guardrails
from uplift_lab.uplift.data import TrainingData
from uplift_lab.uplift.models import LightGBMSettings
from uplift_lab.uplift.train import TrainResult, train_uplift_model
from uplift_lab.workflows.experiment_folder import refuse_existing
from uplift_lab.workflows.model_folder import save_model
from uplift_lab.workflows.training_data import (
    CampaignExperiment,
    OrderHistory,
    load_experiment_training_data,
    load_table_training_data,
)


@dataclass(frozen=True, slots=True)
class CampaignTable:
    """A flat campaign table (``--data``): one row per customer, its arm and outcomes."""

    path: Path
    treatment_col: str
    control: str | None  # None: 'control', or the 0 of a 0/1 indicator column
    outcome_col: str
    revenue_col: str | None = None
    id_col: str | None = None
    features: Sequence[str] | None = None
    start: str | None = None  # the date that date features count days back from
    fallback_id_col: str | None = None  # the customer id column, used where the table has it
    history: OrderHistory | None = None  # the order log whose segments join as features
    drop_features: tuple[str, ...] = ()  # left out of the default features


@dataclass(frozen=True, slots=True)
class TrainOptions:
    """How to train: candidate learners, folds, LightGBM settings, the final model."""

    conversion_model: str = "auto"
    revenue_model: str = "auto"
    n_folds: int = 5
    max_rounds: int = 300
    seed: int = 0
    allow_observational: bool = False
    value_per_conversion: float | None = None
    final: str = "bag"
    rfm_cols: Mapping[str, str] | None = field(default=None)


@dataclass(frozen=True, slots=True, eq=False)
class TrainedModel:
    """What train read, trained and saved: the data, the result and the chosen models' verdicts."""

    training: TrainingData
    result: TrainResult
    verdicts: dict
    out: Path


def read_training_data(
    source: CampaignTable | CampaignExperiment,
    rfm_cols: Mapping[str, str] | None = None,
    encoding: str | None = None,
) -> TrainingData:
    """The training data of a flat table or of an experiment folder with its order log."""
    if isinstance(source, CampaignExperiment):
        return load_experiment_training_data(
            source.experiment,
            source.orders,
            source.start,
            source.window_days,
            encoding=encoding,
            customers_path=source.customers,
            events_path=source.events,
            rfm_cols=rfm_cols,
            inputs=source.inputs,
        )
    return load_table_training_data(
        source.path,
        treatment_col=source.treatment_col,
        control=source.control,
        outcome_col=source.outcome_col,
        revenue_col=source.revenue_col,
        id_col=source.id_col,
        features=source.features,
        drop_features=source.drop_features,
        rfm_cols=rfm_cols,
        encoding=encoding,
        reference=source.start,
        fallback_id_col=source.fallback_id_col,
        orders=source.history,
    )


def check_train_output(out: Path, options: TrainOptions, *, force: bool = False) -> None:
    """The cheap checks before reading anything: the options and the output folder."""
    if options.max_rounds < 1:
        raise ParameterError("max_rounds", "must be at least 1", options.max_rounds)
    refuse_existing(out, force)


def train_model_folder(
    source: CampaignTable | CampaignExperiment,
    out: Path,
    options: TrainOptions = TrainOptions(),
    *,
    encoding: str | None = None,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> TrainedModel:
    """Read the campaign, train, judge the chosen models and save the folder ``out``.

    ``progress`` (optional) is called with a short text before each step, for the CLI.
    """
    out = Path(out)
    check_train_output(out, options, force=force)
    training = read_training_data(source, options.rfm_cols, encoding)
    step = progress or (lambda text: None)
    step("training")
    result = train_uplift_model(
        training,
        conversion_model=options.conversion_model,
        revenue_model=options.revenue_model,
        n_folds=options.n_folds,
        settings=LightGBMSettings(max_rounds=options.max_rounds, seed=options.seed),
        allow_observational=options.allow_observational,
        progress=progress,
        value_per_conversion=options.value_per_conversion,
        final=options.final,
    )
    step("chosen models vs random and the RFM rule")
    model = result.model
    verdicts = guardrails.chosen_model_verdicts(
        model.cv_metrics, result.cv_predictions, id_col=model.id_col, arms=model.arms,
        control=model.control, seed=options.seed,
    )  # fmt: skip
    model.cv_metrics[guardrails.VERDICTS_KEY] = verdicts  # target reads them
    save_model(model, out, force=force, cv_predictions=result.cv_predictions)
    return TrainedModel(training, result, verdicts, out)
