"""CLI for `uplift-lab design`: randomized send/holdout splits per stratum, with power."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from uplift_lab.cli._common import (
    CustomerColOption,
    EncodingOption,
    ForceExperimentOption,
    JsonOption,
    Lang,
    LangOption,
    console,
    err_console,
    parse_key_values,
    report_errors,
    split_list,
    warn,
)
from uplift_lab.cli._engine import (
    DEFAULT_MASTER,
    Engine,
    EngineOption,
    SparkMasterOption,
    TableOption,
    spark_for,
)
from uplift_lab.errors import InputError

MAX_WARNINGS = 12

DESIGN_HELP = """Design a randomized send/holdout split per stratum, with power and balance checks.

Within each stratum (--strata, default lifecycle) customers are ranked by SHA-256 of
(salt, customer_id) and the arms get exact counts (largest-remainder rounding): same input and
salt give a byte-identical assignment, whatever the file order. Writes OUT/assignment.parquet
(customer_id, stratum, arm) and OUT/design.json (salt, counts, fractions, MDE, balance, SHA-256s),
and prints strata x arms with the minimum detectable absolute lift (MDE).

Example: uplift-lab design segments.parquet --name spring_sms --holdout 0.1 --holdout silent=0.2
"""


def _parse_rate_options(
    items: list[str] | None, option: str
) -> tuple[float | None, dict[str, float]]:
    """Split ``--holdout 0.1 --holdout silent=0.2`` into a default and per-stratum values."""
    default: float | None = None
    per_stratum: dict[str, float] = {}
    for item in items or []:
        for part in item.split(","):
            part = part.strip()
            if not part:
                continue
            if "=" in part:
                for key, value in parse_key_values([part], option).items():
                    per_stratum[key] = _to_float(value, option)
            elif default is not None:
                raise InputError(f"{option}: give one value without a stratum name, got two")
            else:
                default = _to_float(part, option)
    return default, per_stratum


def _to_float(text: str, option: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InputError(f"{option}: '{text}' is not a number, e.g. {option} 0.1") from None


NameOption = Annotated[
    str,
    typer.Option(
        "--name", help="Experiment name (folder name; the default salt is derived from it)."
    ),
]
SegmentsArgument = Annotated[
    Path | None,
    typer.Argument(
        exists=True,
        dir_okay=True,
        readable=True,
        metavar="SEGMENTS",
        help="Customer table (CSV or Parquet) with customer_id and the strata columns, "
        "e.g. the output of segment (with --engine spark also a folder of them, or none "
        "with --table).",
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out", help="Experiment folder to write (default experiments/NAME).", dir_okay=True
    ),
]
StrataOption = Annotated[
    str,
    typer.Option(
        "--strata",
        help="Comma-separated columns; randomization is done inside each stratum. "
        "'none': one stratum 'all' (any customer table with a customer_id).",
    ),
]
SegmentsOption = Annotated[
    str | None,
    typer.Option(
        "--segments",
        help="Only these strata (comma-separated), e.g. semi_active,silent. A name matches a "
        "value of the first --strata column or a full stratum such as 'silent|10-20'.",
    ),
]
HoldoutOption = Annotated[
    list[str] | None,
    typer.Option(
        "--holdout",
        help="Holdout (control) fraction, default 0.1; repeat with STRATUM=FRACTION for "
        "per-stratum values: --holdout silent=0.2 --holdout 0.1.",
    ),
]
ArmsOption = Annotated[
    str | None,
    typer.Option(
        "--arms",
        help="Multi-arm design ARM=FRACTION,... summing to 1, including the control arm: "
        "control=0.1,sms=0.45,edm=0.45. Default: control and send.",
    ),
]
ControlOption = Annotated[str, typer.Option("--control", help="Name of the holdout arm.")]
SaltOption = Annotated[
    str | None,
    typer.Option("--salt", help="Hash salt (default: derived from --name; recorded)."),
]
BaselineOption = Annotated[
    list[str] | None,
    typer.Option(
        "--baseline",
        help="Baseline response rate for power, default 0.03; repeat with STRATUM=RATE "
        "for per-stratum values: --baseline silent=0.02 --baseline 0.03.",
    ),
]
BaselineColOption = Annotated[
    str | None,
    typer.Option(
        "--baseline-col",
        help="Column of the input whose mean per stratum is the baseline (e.g. a past "
        "0/1 response or a predicted probability). Overrides --baseline.",
    ),
]
BaselineFromOption = Annotated[
    Path | None,
    typer.Option(
        "--baseline-from",
        exists=True,
        dir_okay=False,
        help="A past analyze report.json: each segment's control conversion rate is the "
        "baseline of the stratum with that name (its overall rate for the others, unless "
        "--baseline is given). --baseline STRATUM=RATE still overrides.",
    ),
]
AlphaOption = Annotated[
    float, typer.Option("--alpha", help="Significance level of the two-sided test.")
]
PowerOption = Annotated[float, typer.Option("--power", help="Power for the MDE.")]
TargetLiftOption = Annotated[
    float | None,
    typer.Option(
        "--target-lift",
        help="Absolute lift to detect (e.g. 0.005 = 0.5 points): prints the holdout fraction "
        "each stratum needs and warns where the MDE is larger.",
    ),
]
MinHoldoutOption = Annotated[
    int, typer.Option("--min-holdout", help="Report strata whose holdout has fewer customers.")
]
StrictOption = Annotated[
    bool, typer.Option("--strict", help="Refuse (exit 2) when a holdout is below --min-holdout.")
]
CovariatesOption = Annotated[
    str | None,
    typer.Option(
        "--covariates",
        help="Comma-separated numeric columns for the balance check (default: recency_days, "
        "frequency, monetary and every other numeric column).",
    ),
]


def design(
    name: NameOption,
    segments_file: SegmentsArgument = None,
    out: OutOption = None,
    strata: StrataOption = "lifecycle",
    segments: SegmentsOption = None,
    holdout: HoldoutOption = None,
    arms: ArmsOption = None,
    control: ControlOption = "control",
    salt: SaltOption = None,
    baseline: BaselineOption = None,
    baseline_col: BaselineColOption = None,
    baseline_from: BaselineFromOption = None,
    alpha: AlphaOption = 0.05,
    power: PowerOption = 0.8,
    target_lift: TargetLiftOption = None,
    min_holdout: MinHoldoutOption = 200,
    strict: StrictOption = False,
    covariates: CovariatesOption = None,
    customer_col: CustomerColOption = "customer_id",
    force: ForceExperimentOption = False,
    encoding: EncodingOption = "auto",
    as_json: JsonOption = False,
    lang: LangOption = Lang.en,
    engine: EngineOption = Engine.duckdb,
    spark_master: SparkMasterOption = DEFAULT_MASTER,
    table: TableOption = None,
) -> None:
    """Design a randomized send/holdout split per stratum, with power and balance checks."""
    from uplift_lab.design_spec import check_experiment_name
    from uplift_lab.workflows.design import create_experiment

    check_experiment_name(name)
    if (segments_file is None) == (table is None):
        raise InputError("design: pass SEGMENTS (a customer table) or --table, one of them")
    if segments_file is not None and segments_file.is_dir() and engine != Engine.spark:
        raise InputError(f"{segments_file}: is a folder; pass a file, or use --engine spark")
    spark = spark_for(engine, spark_master, table)
    spec = _design_spec(
        name, strata, arms, holdout, segments, salt, control, baseline, baseline_col, alpha,
        power, target_lift, min_holdout, strict, covariates,
    )  # fmt: skip
    out = out or Path("experiments") / name
    with err_console.status("Assigning arms, computing power and balance...", spinner="dots"):
        design_result, meta = create_experiment(
            segments_file, out=out, spec=spec, force=force, encoding=encoding,
            customer_col=customer_col, baseline_from=baseline_from, spark=spark, table=table,
        )  # fmt: skip
    _print_design(design_result, meta, out, as_json, lang)


def _design_spec(name, strata, arms, holdout, segments, salt, control, baseline, baseline_col,
                 alpha, power, target_lift, min_holdout, strict, covariates):  # fmt: skip
    """The DesignSpec of the command's options."""
    from uplift_lab.design_spec import DesignSpec

    holdout_default, holdout_by_stratum = _parse_rate_options(holdout, "--holdout")
    baseline_default, baseline_by_stratum = _parse_rate_options(baseline, "--baseline")
    return DesignSpec(
        name=name,
        strata=[] if strata.strip().lower() == "none" else split_list(strata),
        arms=_parse_arms(arms),
        holdout=holdout_default,
        holdout_by_stratum=holdout_by_stratum or None,
        segments=split_list(segments) if segments is not None else None,
        salt=salt,
        control_arm=control,
        baseline=baseline_default,
        baseline_by_stratum=baseline_by_stratum or None,
        baseline_column=baseline_col,
        alpha=alpha,
        power=power,
        target_lift=target_lift,
        min_holdout=min_holdout,
        strict=strict,
        covariates=split_list(covariates) if covariates is not None else None,
    )


def _print_design(design_result, meta: dict, out: Path, as_json: bool, lang: Lang) -> None:
    """The design's warnings, then design.json's summary as JSON or the strata x arms table."""
    from uplift_lab import io
    from uplift_lab.report.design_report import design_table, design_warnings
    from uplift_lab.report.labels import labels_for

    _print_warnings(design_warnings(design_result, labels_for(lang)), out)
    if as_json:
        typer.echo(io.to_json_text({**meta, "out": str(out)}), nl=False)
        return
    labels = labels_for(lang)
    console.print(design_table(design_result, width=console.width, labels=labels))
    console.print(
        labels(
            "Wrote {out}/assignment.parquet and {out}/design.json (salt {salt}).",
            out=out,
            salt=meta["salt"],
        )
    )


def _parse_arms(arms: str | None) -> dict[str, float] | None:
    """``--arms control=0.1,sms=0.45,edm=0.45`` as ``{arm: fraction}``."""
    if arms is None:
        return None
    return {
        key: _to_float(value, "--arms") for key, value in parse_key_values([arms], "--arms").items()
    }


def _print_warnings(warnings: tuple[str, ...], out: Path) -> None:
    """The first MAX_WARNINGS warnings, and how many more design.json holds."""
    shown = warnings[:MAX_WARNINGS]
    for message in shown:
        warn(message)
    if len(warnings) > len(shown):
        warn(f"... and {len(warnings) - len(shown)} more in {out}/design.json")


def register(app: typer.Typer) -> None:
    """Add the ``design`` command to ``app``."""
    app.command("design", help=DESIGN_HELP)(report_errors(design))
