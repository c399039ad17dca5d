"""`target`: scores (and segments) -> a send list within budget, with a holdout experiment.

Reads the scores, the segments file and optionally a past campaign, checks every input and
option before the first write, plans the campaign (:mod:`uplift_lab.target`), splits the holdout,
and writes the send list, the experiment folder and optionally a report folder. A bad run writes
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from uplift_lab import contracts, design, io
from uplift_lab.contracts import CONTROL_ARM, CUSTOMER_ID, LIFECYCLE
from uplift_lab.errors import ParameterError, UsageError, input_error, literal, usage_error
from uplift_lab.notices import Notice
from uplift_lab.policy import PolicyValue, validate_past_campaign
from uplift_lab.report import target_report
from uplift_lab.target import (
    SCORE_COLUMN_PREFIXES,
    SEGMENT_EFFECTS,
    SEGMENTS_POLICY,
    CampaignPlan,
    HoldoutSplit,
    SegmentEffects,
    TargetConfig,
    borrowed_score_channels,
    check_segment_columns,
    check_send_list_columns,
    guard_channels,
    plan_campaign,
    predicted_against_measured,
    relabel_plan_policy,
    score_arms,
    segment_effects,
    segment_policy_scores,
    send_list_with_columns,
    split_holdout,
    validate_scores,
    value_comparison_on_past,
    value_on_past,
)
from uplift_lab.timeparse import parse_date_option
from uplift_lab.uplift import guardrails
from uplift_lab.uplift.store import CV_PREDICTIONS_FILE
from uplift_lab.workflows.experiment_folder import write_experiment
from uplift_lab.workflows.model_folder import read_model_description

POLICIES = ("model", "segments")


@dataclass(frozen=True, slots=True)
class TargetFiles:
    """What a ``target`` run reads and writes.

    ``out`` is the send list (.csv, .tsv, .parquet or .xlsx); ``with_columns`` (e.g. phone,
    nickname) are joined from ``segments`` onto it, as text, for the sending tool.
    """

    out: Path
    scores: Path | None = None
    segments: Path | None = None
    model: Path | None = None
    analysis: Path | None = None
    validate_on: Path | None = None
    experiment: Path | None = None
    report: Path | None = None
    with_columns: tuple[str, ...] = ()
    encoding: str | None = None
    force: bool = False


@dataclass(frozen=True, slots=True)
class TargetOptions:
    """How a ``target`` run chooses, holds out and checks, besides the plan's TargetConfig."""

    policy: str = "model"
    segment_effect: str = "shrunk"
    accept_weak_model: bool = False
    holdout: float = 0.1
    salt: str | None = None
    start: str | None = None
    seed: int = 0
    validate_control: str = CONTROL_ARM
    validate_stratum_col: str | None = None
    # the past campaign's columns by role (id, arm, converted, revenue) where not canonical
    validate_columns: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TargetOutcome:
    """What ``run_target`` decided and wrote, for the CLI to print."""

    plan: CampaignPlan
    split: HoldoutSplit
    validation: PolicyValue | None
    summary: dict
    warnings: tuple[Notice, ...]  # put in words by uplift_lab.report.notice_text
    written: tuple[Path, ...]
    segment_effects: SegmentEffects | None = None


@dataclass(frozen=True, slots=True)
class _Inputs:
    """The validated frames of one run (None where not given or not needed)."""

    scores: pd.DataFrame | None
    segments: pd.DataFrame | None
    past: pd.DataFrame | None


def run_target(
    config: TargetConfig, files: TargetFiles, options: TargetOptions | None = None
) -> TargetOutcome:
    """Read scores (and segments), plan the campaign, split the holdout, write every output.

    Every input and option is checked before the first file is written, so a bad run writes
    nothing. Outputs: the send list ``files.out``, the experiment folder, and optionally the
    report folder ``files.report``.
    """
    options = options or TargetOptions()
    start_date = _check_options(config, files, options)
    inputs = _read_inputs(config, files, options)
    # Inputs are valid: now the guardrails (a weak model's channels go; none left: refuse).
    warnings: list[Notice] = []
    scores, config, only_channel, effects = _scores_of_policy(
        config, inputs, files, options, warnings
    )
    plan = plan_campaign(
        scores, config, inputs.segments, seed=options.seed, only_channel=only_channel
    )
    if options.policy == "segments":
        plan = relabel_plan_policy(plan, SEGMENTS_POLICY)
    if inputs.past is not None:
        plan = value_comparison_on_past(plan, inputs.past, config, options.validate_control)
        if files.model is not None and _is_training_data(files.validate_on, files.model):
            warnings.append(Notice("warning", "validated_on_training_data", {
                "past": str(files.validate_on), "model": str(files.model)}))  # fmt: skip
    split = _split_holdout(plan, files, options, warnings)
    validation = None
    if inputs.past is not None:
        validation = value_on_past(plan, inputs.past, config, options.validate_control)
        if validation.n_picked == 0:
            warnings.append(
                Notice("warning", "none_picked_in_past", {"past": str(files.validate_on)})
            )
        else:
            warnings.append(predicted_against_measured(plan, inputs.past, validation))
    summary = _summary(plan, split, validation, effects, files, options)
    written = _write_outputs(config, plan, split, summary, inputs, files, options, start_date)
    return TargetOutcome(
        plan=plan,
        split=split,
        validation=validation,
        segment_effects=effects,
        summary=summary,
        warnings=tuple(warnings),
        written=tuple(written),
    )


def run_target_spark(
    spark, config: TargetConfig, files: TargetFiles, options: TargetOptions, table: str | None
) -> TargetOutcome:
    """``target --engine spark``: the plan computed by Spark
    (:func:`uplift_lab.spark.target.plan_campaign_spark`) from the scores file or ``table``,
    then the same holdout split and outputs as :func:`run_target`. The options Spark does not
    support (model guardrails, past-campaign checks, extra send-list columns) are refused by
    the CLI before this runs."""
    from uplift_lab.io import spark as spark_io  # optional: pyspark
    from uplift_lab.spark.session import spark_errors
    from uplift_lab.spark.target import plan_campaign_spark

    start_date = _check_options(config, files, options, table)
    source = spark_io.input_label(files.scores, table)
    with spark_errors(source):
        scores = spark_io.read_frame(
            spark, files.scores, table=table, string_columns=[CUSTOMER_ID], encoding=files.encoding
        )
        segments = None
        if files.segments is not None:
            segments = spark_io.read_frame(
                spark, files.segments, string_columns=[CUSTOMER_ID], encoding=files.encoding
            )
        plan = plan_campaign_spark(scores, config, segments)
    warnings: list[Notice] = []
    split = _split_holdout(plan, files, options, warnings)
    summary = _summary(plan, split, None, None, files, options)
    summary["engine"] = "spark"
    inputs = _Inputs(scores=None, segments=None, past=None)
    written = _write_outputs(
        config, plan, split, summary, inputs, files, options, start_date, source=source
    )
    return TargetOutcome(
        plan=plan,
        split=split,
        validation=None,
        summary=summary,
        warnings=tuple(warnings),
        written=tuple(written),
    )


def _check_options(
    config: TargetConfig, files: TargetFiles, options: TargetOptions, table: str | None = None
) -> str | None:
    """Refuse bad options before reading anything; returns the start date as ISO text.
    (``table``: the scores are the warehouse table of ``--engine spark --table``.)"""
    io.output_format(files.out)
    if not 0 < config.margin <= 1:
        raise ParameterError(
            "margin", "must be in (0, 1] (share of revenue that is profit)", config.margin
        )
    holdout, experiment = options.holdout, files.experiment
    if not 0 <= holdout < 1:
        raise ParameterError("holdout", "must be in [0, 1)", holdout, example=0.1)
    if holdout > 0 and experiment is None:
        raise UsageError(
            "{experiment}: a holdout needs an experiment folder to record it. "
            "Add {experiment=experiments/NAME} (or {holdout=0} to send to everyone selected)"
        )
    if experiment is not None:
        design.check_experiment_name(experiment.name, "experiment")
        if experiment.exists() and (not experiment.is_dir() or any(experiment.iterdir())):
            if not files.force:
                raise usage_error(
                    experiment,
                    "already exists and is not empty",
                    "Use {force} to replace it, or another {experiment}",
                )
    io.refuse_replacing_file(
        files.out, force=files.force, written_by="send list", marker="channel",
        inputs=(files.scores, files.segments, files.analysis, files.validate_on),
    )  # fmt: skip
    if options.policy not in POLICIES:
        raise ParameterError("policy", "must be 'model' or 'segments'", options.policy)
    if options.segment_effect not in SEGMENT_EFFECTS:
        raise ParameterError(
            "segment_effect", "must be 'shrunk', 'estimate' or 'ci_low'", options.segment_effect
        )
    if options.policy == "model" and files.scores is None and table is None:
        raise UsageError(
            "target: no SCORES file given. Pass the output of uplift-lab score, or"
            " {policy=segments} {analysis=reports/PAST/report.json}"
        )
    if options.start is None:
        return None
    return parse_date_option(options.start, "start", "2026-11-01").date().isoformat()


def read_scores(path: Path, encoding: str | None = None) -> pd.DataFrame:
    """Read a score file with its ids as ``customer_id`` (text).

    ``score`` writes the model's id column first, under the name it had in training (``ID``,
    ``row``, ...): without a ``customer_id`` column, that first column is the id.
    """
    names = io.table_column_names(path, encoding=encoding)
    id_col = CUSTOMER_ID if CUSTOMER_ID in names or not names else names[0]
    if id_col.startswith(SCORE_COLUMN_PREFIXES):
        id_col = CUSTOMER_ID  # no id column at all: validate_scores says customer_id is missing
    frame = io.read_table(path, encoding=encoding, string_columns=[id_col])
    return frame.rename(columns={id_col: CUSTOMER_ID}) if id_col != CUSTOMER_ID else frame


def _read_inputs(config: TargetConfig, files: TargetFiles, options: TargetOptions) -> _Inputs:
    """Read and validate the scores, the segments file and the past campaign."""
    scores = None
    if options.policy == "model":
        scores = validate_scores(
            read_scores(files.scores, files.encoding), files.scores, config.channels
        )
    segments = None
    if files.segments is not None:
        segments = contracts.validate_customers(
            io.read_table(
                files.segments,
                encoding=files.encoding,
                string_columns=[CUSTOMER_ID, *files.with_columns],
            ),
            files.segments,
            read_signup=False,
        )
        check_segment_columns(segments, files.segments, config)
    check_send_list_columns(files.with_columns, segments, files.segments)
    past = None
    if files.validate_on is not None:
        names = {"id": CUSTOMER_ID, "arm": "arm", "converted": "converted", "revenue": "revenue"}
        unknown = sorted(set(options.validate_columns) - set(names))
        if unknown:
            raise UsageError(
                f"{{validate_columns}}: unknown role(s) {literal(', '.join(unknown))}; the roles"
                " are id, arm, converted, revenue"
            )
        names |= dict(options.validate_columns)
        frame = io.read_table(
            files.validate_on, encoding=files.encoding, string_columns=[names["id"]]
        )
        if names["id"] != CUSTOMER_ID:
            contracts.require_columns(frame, (names["id"],), files.validate_on)
            frame = frame.drop(columns=[CUSTOMER_ID], errors="ignore")
            frame = frame.rename(columns={names["id"]: CUSTOMER_ID})
        past = validate_past_campaign(
            frame,
            files.validate_on,
            arm_col=names["arm"],
            control=options.validate_control,
            conversion_col=names["converted"],
            revenue_col=names["revenue"],
            stratum_col=options.validate_stratum_col,
        )
    return _Inputs(scores=scores, segments=segments, past=past)


def _scores_of_policy(
    config: TargetConfig,
    inputs: _Inputs,
    files: TargetFiles,
    options: TargetOptions,
    warnings: list[Notice],
) -> tuple[pd.DataFrame, TargetConfig, pd.Series | None, SegmentEffects | None]:
    """The scores the planner spends on, the channels left, and (segments policy) the allowed
    channel per customer and the measured effects."""
    if options.policy == "segments":
        scores, only_channel, effects = _segment_policy_inputs(
            files.analysis, inputs.segments, config, options.segment_effect
        )
        for channel, arm in effects.arm_of_channel.items():
            params = {"channel": channel, "arm": arm, "analysis": str(files.analysis)}
            warnings.append(Notice("note", "arm_as_channel", params))
        if files.scores is not None:
            warnings.append(Notice("warning", "scores_not_used", {"scores": str(files.scores)}))
        return scores, config, only_channel, effects
    if files.model is None:
        warnings.append(Notice("warning", "no_model"))
        return inputs.scores, config, None, None
    config, notes = guard_channels(
        config,
        _read_verdicts(files.model),
        accept_weak_model=options.accept_weak_model,
        source=files.model,
    )
    warnings.extend(notes)
    names = io.table_column_names(files.scores, encoding=files.encoding)
    borrowed = borrowed_score_channels(names, config.channels)
    if borrowed:
        params = {"channels": tuple(borrowed), "arms": tuple(sorted(score_arms(names)))}
        warnings.append(Notice("note", "borrowed_score", params))
    return inputs.scores, config, None, None


def _is_training_data(past: Path, model_dir: Path) -> bool:
    """Whether the past campaign file is the very file the model was trained on."""
    trained_on = read_model_description(model_dir).get("training_sha256")
    return bool(trained_on) and trained_on == io.sha256_file(past)


def _read_verdicts(model_dir: Path) -> dict:
    """The per-arm verdicts train stored in model.json (computed now for older models)."""
    description = read_model_description(model_dir)
    cv_metrics = description.get("cv_metrics") or {}
    verdicts = cv_metrics.get(guardrails.VERDICTS_KEY)
    if verdicts is None:
        predictions_path = Path(model_dir) / CV_PREDICTIONS_FILE
        if not predictions_path.is_file():
            raise input_error(
                model_dir,
                f"model.json has no verdicts and there is no {CV_PREDICTIONS_FILE}",
                "Retrain it with this uplift-lab (train stores the verdicts)",
            )
        predictions = io.read_table(predictions_path, string_columns=["arm", "assigned_arm"])
        verdicts = guardrails.chosen_model_verdicts(
            cv_metrics,
            predictions,
            id_col=str(description["id_col"]),
            arms=description["arms"],
            control=str(description["control"]),
        )
    return verdicts


def _segment_policy_inputs(
    analysis_file: Path | None,
    segments: pd.DataFrame | None,
    config: TargetConfig,
    effect: str,
) -> tuple[pd.DataFrame, pd.Series, SegmentEffects]:
    """Scores valued by the effects a past campaign's report.json measured."""
    if analysis_file is None:
        raise UsageError(
            "{policy=segments}: needs {analysis}, the report.json analyze wrote for the past"
            " campaign. Add {analysis=reports/PAST/report.json}"
        )
    if segments is None:
        raise UsageError(
            "{policy=segments}: needs {segments} (the customers to send to, with their"
            " lifecycle). Add {segments=segments.parquet}"
        )
    if LIFECYCLE not in segments.columns:
        raise input_error("segments file", f"missing column '{LIFECYCLE}'", "Pass segment output")
    analysis = io.read_json(analysis_file)
    if not isinstance(analysis, dict) or "comparisons" not in analysis:
        raise input_error(analysis_file, "is not an analyze report", "Pass analyze's report.json")
    effects = segment_effects(analysis, config.channels, config.margin, effect=effect)
    scores, only = segment_policy_scores(effects, segments, config.channels, config.margin)
    return scores, only, effects


def _split_holdout(
    plan: CampaignPlan, files: TargetFiles, options: TargetOptions, warnings: list[Notice]
) -> HoldoutSplit:
    """The plan's holdout (named after the experiment folder), its warnings added to
    ``warnings``: the same for the plan of either engine."""
    if plan.n_not_in_segments:
        params = {"customers": plan.n_not_in_segments}
        warnings.append(Notice("warning", "not_in_segments", params))
    name = files.experiment.name if files.experiment is not None else files.out.stem
    split = split_holdout(plan.selected, options.holdout, name=name, salt=options.salt)
    warnings.extend(_holdout_warnings(split, options.holdout))
    return split


def _holdout_warnings(split: HoldoutSplit, holdout: float) -> list[Notice]:
    """No holdout at all, or holdouts too small to read one by one."""
    warnings = []
    if holdout == 0:
        warnings.append(Notice("warning", "no_holdout"))
    if split.design is not None and split.design.small_holdouts:
        small = split.design.small_holdouts
        label, size = min(small.items(), key=lambda item: item[1])
        params = {"small": len(small), "holdouts": len(split.holdout_counts)}
        params |= {"min_holdout": split.design.min_holdout, "smallest": label, "size": size}
        warnings.append(Notice("warning", "small_send_holdouts", params))
    return warnings


def _summary(
    plan: CampaignPlan,
    split: HoldoutSplit,
    validation: PolicyValue | None,
    effects: SegmentEffects | None,
    files: TargetFiles,
    options: TargetOptions,
) -> dict:
    """summary.json (and --json): the plan's numbers, the policy and where the outputs go."""
    summary = target_report.summary_dict(plan, split, validation)
    summary["policy"] = options.policy
    if effects is not None:
        summary["segment_effect"] = effects.effect
        summary["segment_effects"] = effects.table.to_dict(orient="records")
    summary["send_list"] = str(files.out)
    summary["experiment"] = str(files.experiment) if split.design is not None else None
    return summary


def _write_outputs(
    config: TargetConfig,
    plan: CampaignPlan,
    split: HoldoutSplit,
    summary: dict,
    inputs: _Inputs,
    files: TargetFiles,
    options: TargetOptions,
    start_date: str | None,
    source: str | None = None,
) -> list[Path]:
    """The experiment folder (with a holdout), the send list and the report folder."""
    written: list[Path] = []
    if split.design is not None:
        _write_experiment(config, plan, split, files, options, start_date, source)
        written.append(files.experiment)
    send_list = send_list_with_columns(split.send_list, inputs.segments, files.with_columns)
    written.append(io.write_table(send_list, files.out))
    if files.report is not None:
        written.extend(_write_report(files.report, plan, summary, target_report.curve_png(plan)))
    return written


def _write_experiment(
    config: TargetConfig,
    plan: CampaignPlan,
    split: HoldoutSplit,
    files: TargetFiles,
    options: TargetOptions,
    start_date: str | None,
    source_label: str | None = None,
) -> None:
    """The holdout as an experiment folder, with the campaign recorded in design.json.
    (``source_label``: the scores' name when they are not one file, e.g. a Spark table.)"""
    campaign = {
        **config.as_dict(),
        "start": start_date,
        "send_list": str(files.out),
        "scores_file": source_label or (str(files.scores) if files.scores is not None else None),
        "policy": options.policy,
        "segments_file": str(files.segments) if files.segments else None,
        "holdout": options.holdout,
        "expected_cost": plan.selection.spent,
        "expected_profit": plan.selection.expected_profit,
    }
    source = files.scores if options.policy == "model" else files.segments
    is_file = source is not None and Path(source).is_file()
    write_experiment(
        split.design,
        files.experiment,
        input_file=source_label or str(source),
        input_sha256=io.sha256_file(source) if is_file else None,
        force=files.force,
        campaign=campaign,
    )


def _write_report(folder: Path, plan: CampaignPlan, summary: dict, png: bytes) -> list[Path]:
    """summary.json, the per-segment table, the profit curve (CSV + PNG) and the comparison."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        io.write_json(summary, folder / "summary.json"),
        io.write_table(plan.by_segment, folder / "by_segment.csv"),
        io.write_table(plan.curve, folder / "profit_curve.csv"),
        io.write_bytes(png, folder / "profit_curve.png"),
        io.write_table(plan.comparison, folder / "comparison.csv"),
    ]
