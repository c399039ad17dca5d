"""CLI for `uplift-lab target`: scores -> send list within budget, with a holdout experiment."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from uplift_lab.cli._common import (
    EncodingOption,
    JsonOption,
    Lang,
    LangOption,
    console,
    parse_key_values,
    print_table,
    report_errors,
    split_list,
    warn,
)
from uplift_lab.cli._engine import (
    Engine,
    EngineOption,
    SparkMasterOption,
    TableOption,
    refuse_on_spark,
    spark_for,
)

if TYPE_CHECKING:  # annotations only: the workflow loads when the command runs
    from uplift_lab.workflows.target import TargetOutcome

TARGET_HELP = """Pick who gets which message, within budget, for the most incremental profit.

Expected profit of sending channel c to a customer = incremental revenue x margin - message cost -
P(convert | sent) x coupon. Each customer gets at most one channel; customers whose best option
has expected profit <= 0 (sleeping dogs) and opted-out channels (sms_opt_in=0: no sms/mms;
email_opt_in=0: no edm) are never selected. One channel without coupons is solved exactly;
several channels by the incremental-efficiency greedy on each customer's convex hull, with the
gap to the LP bound reported. A random --holdout of the selected (per segment x channel) is kept
out of the send and written as an experiment folder for `uplift-lab analyze`.
"""


def _parse_channel_specs(items: list[str] | None) -> dict[str, dict[str, str]]:
    """``sms=0.05,coupon=5`` -> ``{"sms": {"cost": "0.05", "coupon": "5"}}``; keys after a
    channel (``coupon``) belong to it, any other key starts a new channel."""
    from uplift_lab.errors import InputError

    specs: dict[str, dict[str, str]] = {}
    for item in items or []:
        current: str | None = None  # a coupon belongs to a channel of the same --channel value
        for part in item.split(","):
            part = part.strip()
            if not part:
                continue
            key, sep, value = part.partition("=")
            key, value = key.strip(), value.strip()
            if not sep or not key or not value:
                raise InputError(f"--channel: expected NAME=COST[,coupon=VALUE], got '{part}'")
            if key == "coupon":
                if current is None:
                    raise InputError(
                        f"--channel: '{part}' must follow a channel, e.g. sms=0.05,coupon=5"
                    )
                specs[current]["coupon"] = value
                continue
            if key in specs:
                raise InputError(f"--channel: channel '{key}' given twice")
            specs[key] = {"cost": value}
            current = key
    return specs


def _parse_budget(text: str) -> float | None:
    from uplift_lab.errors import InputError

    if text.strip().lower() == "auto":
        return None
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"--budget: expected a number or 'auto', got '{text}'") from None
    if not value > 0 or value == float("inf"):
        raise InputError(f"--budget: must be a positive number or 'auto', got '{text}'")
    return value


ScoresArgument = Annotated[
    Path | None,
    typer.Argument(
        exists=True,
        dir_okay=False,
        readable=True,
        help="Scores (uplift-lab score output, CSV or Parquet): customer_id, "
        "uplift_revenue or uplift_revenue_<channel>; with coupons also p_control + "
        "uplift_conversion (or p_treated). Not needed with --policy segments.",
    ),
]
BudgetOption = Annotated[
    str,
    typer.Option(
        "--budget",
        help="Total expected cost (messages + coupons) of the selected customers, "
        "holdout included (the holdout is not messaged, so the send costs about "
        "1 - holdout of it), or 'auto' to spend while a message still earns more than it "
        "costs.",
    ),
]
ChannelOption = Annotated[
    list[str],
    typer.Option(
        "--channel",
        help="Channel and cost per message, optionally its coupon per redemption; "
        "repeatable: --channel sms=0.05,coupon=5 --channel mms=0.20 --channel edm=0.01. "
        "The first one is the default channel of the RFM and random comparisons.",
    ),
]
OutOption = Annotated[
    Path,
    typer.Option(
        "--out",
        dir_okay=False,
        help="Send list to write (.csv, .xlsx, .tsv or .parquet): customer_id, channel, "
        "expected_incremental_revenue, expected_profit, rank (plus --with-columns). "
        "Only those to message.",
    ),
]
SegmentsOption = Annotated[
    Path | None,
    typer.Option(
        "--segments",
        exists=True,
        dir_okay=False,
        help="Segment table (uplift-lab segment output): lifecycle for --eligible, "
        "sms_opt_in / email_opt_in, rfm_score for the RFM comparison.",
    ),
]
EligibleOption = Annotated[
    str,
    typer.Option(
        "--eligible",
        help="Comma-separated lifecycle stages that may be messaged, or 'all'. "
        "Without --segments every scored customer is eligible.",
    ),
]
WhereOption = Annotated[
    str | None,
    typer.Option(
        "--where",
        help="Also require this DuckDB SQL condition over the --segments columns, e.g. "
        "\"loyalty = 'loyal' AND region = 'east'\" or a --tags column: big_spender.",
    ),
]
MarginOption = Annotated[
    float, typer.Option("--margin", help="Share of incremental revenue that is profit (0-1].")
]
CouponOption = Annotated[
    float,
    typer.Option(
        "--coupon",
        help="Coupon value paid per redemption on every channel (a channel's own "
        "coupon=... wins). Needs p_control + uplift_conversion (or p_treated) scores.",
    ),
]
ResponseOption = Annotated[
    list[str] | None,
    typer.Option(
        "--response",
        help="Effect of each channel relative to the single score, used when the scores "
        "have no uplift_revenue_<channel> column: --response sms=1,mms=1.3,edm=0.4.",
    ),
]
MaxCustomersOption = Annotated[
    int | None,
    typer.Option("--max-customers", min=1, help="Select at most this many (holdout included)."),
]
MinExpectedProfitOption = Annotated[
    float,
    typer.Option(
        "--min-expected-profit",
        help="Never send a message whose expected profit is below this (>0 always).",
    ),
]
HoldoutOption = Annotated[
    float,
    typer.Option(
        "--holdout",
        help="Share of the selected customers kept out of the send, per segment x "
        "channel, so the campaign can be measured. 0 is allowed (with a warning).",
    ),
]
ExperimentOption = Annotated[
    Path | None,
    typer.Option(
        "--experiment",
        file_okay=False,
        help="Experiment folder to write (assignment.parquet + design.json); required "
        "with a holdout. Its name is the folder name.",
    ),
]
SaltOption = Annotated[
    str | None, typer.Option("--salt", help="Hash salt of the holdout; default from the name.")
]
StartOption = Annotated[
    str | None,
    typer.Option("--start", help="Campaign start date, recorded in design.json for analyze."),
]
ReportOption = Annotated[
    Path | None,
    typer.Option(
        "--report",
        file_okay=False,
        help="Folder for summary.json, per-segment table, profit-vs-budget curve "
        "(CSV + PNG) and the policy comparison.",
    ),
]
ValidateOnOption = Annotated[
    Path | None,
    typer.Option(
        "--validate-on",
        exists=True,
        dir_okay=False,
        help="A past randomized campaign (customer_id, arm, converted, revenue): "
        "IPW estimate with CI of what sending to this plan's picks earned there.",
    ),
]
ValidateControlOption = Annotated[
    str, typer.Option("--validate-control", help="Holdout label in the past campaign's arm.")
]
ValidateColumnsOption = Annotated[
    str | None,
    typer.Option(
        "--validate-columns",
        help="The past campaign's column names, if not customer_id, arm, converted, revenue: "
        "e.g. id=cid,arm=segment,converted=conversion,revenue=spend.",
    ),
]
ValidateStratumColOption = Annotated[
    str | None,
    typer.Option(
        "--validate-stratum-col",
        help="Column of the past campaign it was randomized within (e.g. lifecycle).",
    ),
]
ModelOption = Annotated[
    Path | None,
    typer.Option(
        "--model",
        exists=True,
        file_okay=False,
        help="The model folder the scores came from: a channel whose model evaluate "
        "calls 'not useful' (no better than random on its held-out folds) is dropped; "
        "with none left target refuses.",
    ),
]
AcceptWeakModelOption = Annotated[
    bool,
    typer.Option(
        "--accept-weak-model",
        help="Send on the scores even when the model is 'not useful' for every channel.",
    ),
]
PolicyOption = Annotated[
    str,
    typer.Option(
        "--policy",
        help="model: by the scores. segments: by the effects analyze "
        "measured on a past campaign (--analysis); each segment (lifecycle) whose best "
        "channel earned a positive profit per message gets that channel. No model.",
    ),
]
AnalysisOption = Annotated[
    Path | None,
    typer.Option(
        "--analysis",
        exists=True,
        dir_okay=False,
        help="With --policy segments: analyze's report.json of the past campaign.",
    ),
]
SegmentEffectOption = Annotated[
    str,
    typer.Option(
        "--segment-effect",
        help="With --policy segments: 'shrunk' (each segment's measured effect shrunk "
        "toward its channel's mean by its noise, empirical Bayes: no winner's curse), "
        "'estimate' (the measured effect as it is) or 'ci_low' (its lower 95% bound: "
        "only where a gain is shown); a segment is sent where its profit per message > 0.",
    ),
]
SeedOption = Annotated[int, typer.Option("--seed", help="Seed of the random-targeting comparison.")]
WithColumnsOption = Annotated[
    str | None,
    typer.Option(
        "--with-columns",
        help="Columns of --segments to add to the send list for the sending tool, e.g. "
        "phone,nickname (kept as text).",
    ),
]


def target(
    scores_file: ScoresArgument = None,
    *,
    budget: BudgetOption,
    channel: ChannelOption,
    out: OutOption,
    segments_file: SegmentsOption = None,
    eligible: EligibleOption = "semi_active,silent",
    where: WhereOption = None,
    margin: MarginOption = 0.3,
    coupon: CouponOption = 0.0,
    response: ResponseOption = None,
    max_customers: MaxCustomersOption = None,
    min_expected_profit: MinExpectedProfitOption = 0.0,
    holdout: HoldoutOption = 0.1,
    experiment: ExperimentOption = None,
    salt: SaltOption = None,
    start: StartOption = None,
    report_dir: ReportOption = None,
    validate_on: ValidateOnOption = None,
    validate_control: ValidateControlOption = "control",
    validate_stratum_col: ValidateStratumColOption = None,
    validate_columns: ValidateColumnsOption = None,
    model_dir: ModelOption = None,
    accept_weak_model: AcceptWeakModelOption = False,
    policy: PolicyOption = "model",
    analysis: AnalysisOption = None,
    segment_effect: SegmentEffectOption = "shrunk",
    seed: SeedOption = 0,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace an existing experiment folder, or an --out that is not a send list.",
        ),
    ] = False,
    with_columns: WithColumnsOption = None,
    encoding: EncodingOption = "auto",
    as_json: JsonOption = False,
    lang: LangOption = Lang.en,
    engine: EngineOption = Engine.duckdb,
    spark_master: SparkMasterOption = "local[*]",
    table: TableOption = None,
) -> None:
    from uplift_lab.workflows.target import TargetFiles, TargetOptions, run_target, run_target_spark

    config = _target_config(channel, response, coupon, budget, margin, eligible, max_customers,
                            min_expected_profit, where)  # fmt: skip
    files = TargetFiles(
        out=out, scores=scores_file, segments=segments_file, model=model_dir, analysis=analysis,
        validate_on=validate_on, experiment=experiment, report=report_dir,
        with_columns=tuple(split_list(with_columns)), encoding=encoding, force=force,
    )  # fmt: skip
    options = TargetOptions(
        policy=policy.strip().lower(), segment_effect=segment_effect.strip().lower(),
        accept_weak_model=accept_weak_model, holdout=holdout, salt=salt, start=start, seed=seed,
        validate_control=validate_control, validate_stratum_col=validate_stratum_col,
        validate_columns=parse_key_values([validate_columns] if validate_columns else [],
                                          "--validate-columns"),
    )  # fmt: skip
    spark = spark_for(engine, spark_master, table)  # --table needs spark
    if spark is None:
        outcome = run_target(config, files, options)
    else:  # the plan on Spark; the rest of the command as on DuckDB
        refuse_on_spark(engine, model=model_dir, validate_on=validate_on,
                        with_columns=with_columns, analysis=analysis,
                        policy=options.policy != "model")  # fmt: skip
        outcome = run_target_spark(spark, config, files, options, table=table)
    _print_outcome(outcome, as_json=as_json, lang=lang)


def _target_config(channel, response, coupon, budget, margin, eligible, max_customers,
                   min_expected_profit, where):  # fmt: skip
    """The TargetConfig of the channel, budget and eligibility options."""
    from uplift_lab import target as target_lib
    from uplift_lab.cli._common import parse_key_values

    return target_lib.TargetConfig(
        channels=target_lib.parse_channels(
            _parse_channel_specs(channel), parse_key_values(response, "--response"), coupon
        ),
        budget=_parse_budget(budget),
        margin=margin,
        eligible=None if eligible.strip().lower() == "all" else tuple(split_list(eligible)),
        max_customers=max_customers,
        min_expected_profit=min_expected_profit,
        where=where,
    )


def register(app: typer.Typer) -> None:
    """Add this module's command(s) to app."""
    app.command("target", help=TARGET_HELP)(report_errors(target))


def _print_outcome(outcome: TargetOutcome, *, as_json: bool, lang: Lang) -> None:
    """Warnings on stderr, then the summary as JSON or the plan's tables and headline."""
    from uplift_lab.report import target_report
    from uplift_lab.report.labels import labels_for
    from uplift_lab.report.notice_text import notice_texts

    for message in notice_texts(outcome.warnings, labels_for(lang)):
        warn(message)
    if as_json:
        from uplift_lab.io import to_json_text

        typer.echo(to_json_text(outcome.summary), nl=False)
        return
    labels = labels_for(lang)
    plan, split = outcome.plan, outcome.split
    if outcome.segment_effects is not None:
        print_table(target_report.segment_effects_table(outcome.segment_effects, labels))
    print_table(target_report.segment_table(plan, split, labels))
    print_table(target_report.comparison_table(plan, labels))
    print_table(target_report.curve_table(plan, labels=labels))
    if outcome.validation is not None:
        print_table(target_report.validation_table(outcome.validation, labels))
    for line in target_report.headline(plan, split, labels):
        console.print(line)
    for path in outcome.written:
        console.print(labels("wrote {path}", path=path))
