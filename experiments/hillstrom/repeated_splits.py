"""Repeated K-fold cross-validation of every uplift learner and baseline on Hillstrom.

One ``uplift-lab train`` run scores the candidates on the 5 held-out folds of one split (seed 0),
so its table depends on that split. This script repeats the whole cross-validation R times
(seeds 0..R-1: new folds and new LightGBM seeds each time), with the settings of ``run.sh``, and
reports per arm x outcome the mean held-out Qini coefficient and uplift@30% of every candidate and
baseline over all R x K held-out folds, with a 95% CI by the corrected repeated k-fold
t-interval (Nadeau and Bengio 2003; Bouckaert and Frank 2004):

    mean +- t(0.975, R*K - 1) * sqrt((1/(R*K) + n_test/n_train) * s^2),  n_test/n_train = 1/(K-1)

where s^2 is the variance of the R*K fold values. It writes reports/hillstrom/repeated_splits.md
and .json (atomically, via uplift_lab.io). Run from the repository root:

    python experiments/hillstrom/repeated_splits.py --data ../shared/data/hillstrom.csv
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from uplift_lab import io
from uplift_lab.uplift.baselines import BASELINE_LABELS, RANDOM
from uplift_lab.uplift.evaluate import evaluate_scores
from uplift_lab.uplift.metrics import UpliftMetrics, summarize_folds

FEATURES = ("recency", "history_segment", "history", "mens", "womens", "zip_code", "newbie")
FEATURES += ("channel",)
RFM_COLS = {"recency": "recency", "monetary": "history"}
METRICS = ("qini_coefficient", "uplift_at_30%")
CONFIDENCE = 0.95
TARGETS = ("conversion", "revenue")
OUTCOME_NAMES = {"conversion": "conversion", "revenue": "spend"}


@dataclass(frozen=True, slots=True)
class RepeatFolds:
    """Held-out per-fold metrics of every score of one cross-validation repeat.

    ``folds`` maps (arm, target, score name) to (label, is_baseline, metrics of each fold);
    ``chosen`` maps (arm, target) to the learner ``auto`` picked in this repeat.
    """

    seed: int
    n_folds: int
    folds: Mapping[tuple[str, str, str], tuple[str, bool, tuple[UpliftMetrics, ...]]]
    chosen: Mapping[tuple[str, str], str | None]


def repeat_fold_metrics(
    cv_predictions: pd.DataFrame,
    *,
    arms: Sequence[str],
    control: str,
    n_folds: int,
    seed: int,
    chosen: Mapping[tuple[str, str], str | None] | None = None,
) -> RepeatFolds:
    """Per-fold held-out metrics of every candidate and baseline, from train's cv_predictions.

    ``cv_predictions`` has, per arm, the arm's and control's customers with ``fold``,
    ``assigned_arm``, the outcomes, ``p_control``, the RFM columns and one
    ``uplift_<target>__<kind>`` column per candidate (as ``train_uplift_model`` returns it).
    The baselines (random with a seeded tie-break, RFM rule, purchase probability) are those
    of ``evaluate``.
    """
    folds: dict[tuple[str, str, str], tuple[str, bool, tuple[UpliftMetrics, ...]]] = {}
    for arm in arms:
        frame = cv_predictions[cv_predictions["arm"] == arm].reset_index(drop=True)
        for target in TARGETS:
            prefix = f"uplift_{target}__"
            columns = [name for name in frame.columns if name.startswith(prefix)]
            if not columns or target not in frame.columns:
                continue
            evaluation = evaluate_scores(
                frame,
                score_cols=columns,
                outcome_col=target,
                treatment_col="assigned_arm",
                control=control,
                treated=arm,
                fold_col="fold",
                test_to_train_ratio=1.0 / (n_folds - 1),
                response_col="p_control",
                seed=seed,
                n_bootstrap=0,
                source="cross-validation predictions",
            )
            if evaluation.n_folds != n_folds:
                raise ValueError(f"expected {n_folds} folds, got {evaluation.n_folds}")
            for item in evaluation.scores:
                name = item.name.removeprefix(prefix)
                label = (
                    BASELINE_LABELS[name].removeprefix("baseline: ") if item.is_baseline else name
                )
                folds[(arm, target, name)] = (label, item.is_baseline, item.folds)
    return RepeatFolds(seed=seed, n_folds=n_folds, folds=folds, chosen=dict(chosen or {}))


def corrected_repeated_cv_table(
    repeats: Sequence[RepeatFolds], *, confidence: float = CONFIDENCE
) -> pd.DataFrame:
    """Mean and corrected repeated k-fold t-interval of each score over all R x K folds.

    Pools every repeat's K fold metrics (R x K values per score) and calls ``summarize_folds``
    with ``test_to_train_ratio = 1/(K-1)``: variance x (1/(R*K) + 1/(K-1)), t with R*K-1 df.
    One row per (arm, target, score) with ``<metric>``, ``<metric>_ci_low``, ``_ci_high``,
    ``_sd`` for each of METRICS, ``n_held_out_folds`` and ``times_chosen`` (by ``auto``).
    """
    if not repeats:
        raise ValueError("corrected_repeated_cv_table needs at least one repeat")
    n_folds = repeats[0].n_folds
    if any(repeat.n_folds != n_folds for repeat in repeats):
        raise ValueError("all repeats must use the same number of folds")
    rows = []
    for key, (label, is_baseline, _) in repeats[0].folds.items():
        arm, target, name = key
        pooled = [metrics for repeat in repeats for metrics in repeat.folds[key][2]]
        summary = summarize_folds(
            pooled, confidence=confidence, test_to_train_ratio=1.0 / (n_folds - 1)
        )
        row = {
            "arm": arm,
            "target": target,
            "score": name,
            "label": label,
            "is_baseline": is_baseline,
            "n_held_out_folds": len(pooled),
            "times_chosen": sum(repeat.chosen.get((arm, target)) == name for repeat in repeats),
        }
        for metric in METRICS:
            row[metric] = float(summary.loc[metric, "mean"])
            row[f"{metric}_ci_low"] = float(summary.loc[metric, "ci_low"])
            row[f"{metric}_ci_high"] = float(summary.loc[metric, "ci_high"])
            row[f"{metric}_sd"] = float(summary.loc[metric, "sd"])
            row[f"{metric}_n_folds"] = int(summary.loc[metric, "n_folds"])
        random_key = (arm, target, RANDOM)
        if name != RANDOM and random_key in repeats[0].folds:
            random_folds = [m for repeat in repeats for m in repeat.folds[random_key][2]]
            differences = np.array(
                [
                    a.qini_coefficient - b.qini_coefficient
                    for a, b in zip(pooled, random_folds, strict=True)
                ]
            )
            mean, low, high = corrected_t_interval(
                differences, n_folds=n_folds, confidence=confidence
            )
            row["qini_minus_random"] = mean
            row["qini_minus_random_ci_low"] = low
            row["qini_minus_random_ci_high"] = high
        rows.append(row)
    return pd.DataFrame(rows)


def corrected_t_interval(
    values: np.ndarray, *, n_folds: int, confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """Mean and corrected repeated k-fold t-interval of per-fold values (NaNs dropped).

    Used for paired per-fold differences (a score's Qini minus random targeting's on the same
    held-out fold), the same correction as ``summarize_folds``.
    """
    finite = values[np.isfinite(values)]
    if len(finite) < 2:
        return math.nan, math.nan, math.nan
    variance = finite.var(ddof=1) * (1.0 / len(finite) + 1.0 / (n_folds - 1))
    half = stats.t.ppf(0.5 + confidence / 2, len(finite) - 1) * math.sqrt(variance)
    mean = float(finite.mean())
    return mean, mean - half, mean + half


def run_repeats(
    data,
    *,
    n_repeats: int,
    n_folds: int,
    conversion_model: str = "auto",
    revenue_model: str = "auto",
    max_rounds: int = 300,
    on_repeat: Callable[[int], None] | None = None,
) -> list[RepeatFolds]:
    """Train (cross-validate every candidate) once per seed 0..n_repeats-1 and collect folds."""
    from uplift_lab.uplift.models import LightGBMSettings
    from uplift_lab.uplift.train import train_uplift_model

    repeats = []
    for seed in range(n_repeats):
        if on_repeat is not None:
            on_repeat(seed)
        result = train_uplift_model(
            data,
            conversion_model=conversion_model,
            revenue_model=revenue_model,
            n_folds=n_folds,
            settings=LightGBMSettings(max_rounds=max_rounds, seed=seed),
        )
        choice = result.model.cv_metrics["choice"]
        chosen = {
            (arm, target): kind for arm, kinds in choice.items() for target, kind in kinds.items()
        }
        repeats.append(
            repeat_fold_metrics(
                result.cv_predictions,
                arms=[str(arm) for arm in data.arms],
                control=str(data.control),
                n_folds=n_folds,
                seed=seed,
                chosen=chosen,
            )
        )
    return repeats


def _interval(row: Mapping, metric: str, scale: float, digits: int) -> str:
    mean = row.get(metric, math.nan) * scale
    low, high = row.get(f"{metric}_ci_low", math.nan), row.get(f"{metric}_ci_high", math.nan)
    if not math.isfinite(mean):
        return "n/a"
    return f"{mean:.{digits}f} [{low * scale:.{digits}f}, {high * scale:.{digits}f}]"


def render_markdown(table: pd.DataFrame, meta: Mapping) -> str:
    """One Markdown table per arm x outcome: models (best mean Qini first), then baselines."""
    n_repeats, n_folds = meta["repeats"], meta["folds"]
    lines = [
        "# Hillstrom: every learner and baseline over repeated cross-validation",
        "",
        f"{n_repeats} repeats x {n_folds}-fold cross-validation (seeds 0..{n_repeats - 1}: "
        f"new folds and LightGBM seeds each repeat) = {n_repeats * n_folds} held-out folds per "
        "score. Mean over those folds with a 95% CI by the corrected repeated k-fold "
        "t-interval (Nadeau-Bengio / Bouckaert-Frank): variance x "
        f"(1/{n_repeats * n_folds} + 1/{n_folds - 1}), t with {n_repeats * n_folds - 1} df. "
        "The interval is about the learning algorithm on data like this (would it "
        "generalize?), not about one trained model's ranking.",
        "",
        f"Data: `{meta['data']}` ({meta['n_rows']:,} customers), features "
        f"`{','.join(meta['features'])}`, candidates `--model {meta['conversion_model']} "
        f"--revenue-model {meta['revenue_model']}`, at most {meta['max_rounds']} LightGBM rounds. "
        "Uplift@30% is treated minus control mean outcome among the top 30% "
        "(conversion in percentage points, spend in $ per customer). "
        '"Qini minus random" is the paired per-fold difference from random targeting on the '
        "same held-out folds, with the same corrected interval. "
        '"chosen" counts the repeats in which `--model auto` picked the learner '
        "(`decomposition` multiplies that repeat's chosen conversion learner by an order-value "
        "model).",
        "",
    ]
    for (arm, target), part in table.groupby(["arm", "target"], sort=False):
        outcome = OUTCOME_NAMES.get(str(target), str(target))
        scale = 100.0 if target == "conversion" else 1.0
        models = part[~part["is_baseline"]].sort_values("qini_coefficient", ascending=False)
        ordered = pd.concat([models, part[part["is_baseline"]]])
        lines += [
            f"## {arm} vs {meta['control']}: {outcome}",
            "",
            "| score | Qini coefficient [95% CI] | Qini minus random [95% CI] "
            "| uplift@30% [95% CI] | chosen | folds |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for row in ordered.to_dict(orient="records"):
            name = f"baseline: {row['label']}" if row["is_baseline"] else row["label"]
            chosen = "" if row["is_baseline"] else f"{row['times_chosen']}/{n_repeats}"
            versus_random = _interval(row, "qini_minus_random", 1.0, 3)
            lines.append(
                f"| {name} | {_interval(row, 'qini_coefficient', 1.0, 3)} "
                f"| {'' if row['score'] == RANDOM else versus_random} "
                f"| {_interval(row, 'uplift_at_30%', scale, 2)} | {chosen} "
                f"| {row['n_held_out_folds']} |"
            )
        lines.append("")
    return "\n".join(lines)


def _json_payload(table: pd.DataFrame, meta: Mapping) -> dict:
    records = [
        {
            key: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for key, v in r.items()
        }
        for r in table.to_dict(orient="records")
    ]
    return {**meta, "ci": "corrected repeated k-fold t-interval", "rows": records}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=Path("../shared/data/hillstrom.csv"),
        help="the Hillstrom CSV",
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=Path("reports/hillstrom"),
        help="folder for repeated_splits.md and .json",
    )
    parser.add_argument("--repeats", type=int, default=5, help="R: repeats (seeds 0..R-1)")
    parser.add_argument("--folds", type=int, default=5, help="K: folds per repeat")
    parser.add_argument("--model", default="auto", help="conversion candidates (as train)")
    parser.add_argument("--revenue-model", default="auto", help="revenue candidates (as train)")
    parser.add_argument("--max-rounds", type=int, default=300, help="LightGBM rounds at most")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.folds < 2:
        parser.error("--repeats must be >= 1 and --folds >= 2")

    from uplift_lab.errors import UpliftLabError
    from uplift_lab.workflows.training_data import load_table_training_data

    started = time.perf_counter()
    try:
        data = load_table_training_data(
            args.data,
            treatment_col="segment",
            control="No E-Mail",
            outcome_col="conversion",
            revenue_col="spend",
            features=list(FEATURES),
            rfm_cols=RFM_COLS,
        )
        repeats = run_repeats(
            data,
            n_repeats=args.repeats,
            n_folds=args.folds,
            conversion_model=args.model,
            revenue_model=args.revenue_model,
            max_rounds=args.max_rounds,
            on_repeat=lambda seed: print(
                f"repeat {seed + 1}/{args.repeats} (seed {seed})", file=sys.stderr
            ),
        )
    except UpliftLabError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    table = corrected_repeated_cv_table(repeats)
    meta = {
        "data": str(args.data),
        "n_rows": int(data.n_rows),
        "control": str(data.control),
        "features": list(FEATURES),
        "rfm_cols": RFM_COLS,
        "repeats": args.repeats,
        "folds": args.folds,
        "seeds": list(range(args.repeats)),
        "conversion_model": args.model,
        "revenue_model": args.revenue_model,
        "max_rounds": args.max_rounds,
        "confidence": CONFIDENCE,
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    io.write_json(_json_payload(table, meta), args.out_dir / "repeated_splits.json")
    io.write_text(render_markdown(table, meta), args.out_dir / "repeated_splits.md")
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"wrote {args.out_dir / 'repeated_splits.md'} and .json "
        f"({seconds:.0f} s, peak memory {peak_mib:.0f} MiB)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
