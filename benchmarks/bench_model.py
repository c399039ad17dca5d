"""Benchmark: training speed against scikit-uplift (issue 10), and train + score at scale (issue 5).

Issue 10 targets, timed in the same run (so a busy machine slows both sides alike):

- train (5-fold CV, ``--model auto --revenue-model auto``) on 200k rows at most 10x one
  scikit-uplift ``TwoModels`` fit on the same rows (LightGBM 200 trees, num_leaves 15,
  min_child_samples 100); the ratio train / TwoModels is printed, as it is less sensitive to load;
- train (5-fold CV, auto) on a simulated 5-arm mailing RCT (344k rows: control + 4 mailings,
  9 features) under 3 minutes.

Issue 5 targets (``--customers 1000000 --score-customers 10000000``): train + evaluate on 1M under
3 min, scoring 10M under 60 s, under 6 GiB, on 2 cores.

    python benchmarks/bench_model.py                       # issue 10 figures
    python benchmarks/bench_model.py --rows 20000 --mailing-rows 30000   # quick
    python benchmarks/bench_model.py --rows 0 --mailing-rows 0 --customers 1000000 \
        --score-customers 10000000                         # issue 5 figures

The campaign is simulated (randomized 50/50, heterogeneous effect, 8 features of which 2 are
categorical) so the benchmark does not depend on the shop generator's speed. Peak memory is the
process's maximum resident set size (``ru_maxrss``) after each stage.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from uplift_lab import io
from uplift_lab.uplift.data import table_training_data
from uplift_lab.uplift.evaluate import evaluate_held_out
from uplift_lab.uplift.models import LightGBMSettings
from uplift_lab.uplift.train import train_uplift_model
from uplift_lab.workflows.model_folder import load_model, save_model
from uplift_lab.workflows.score import score_file

REGIONS = np.array(["east", "north", "south", "west", "central"])
STAGES = np.array(["new", "active", "semi_active", "silent", "churned"])


def customers(n: int, seed: int, offset: int = 0) -> pd.DataFrame:
    """``n`` customers with features (no arm or outcome)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "customer_id": np.char.add("c", np.arange(offset, offset + n).astype(str)),
            "recency_days": rng.exponential(60.0, n),
            "frequency": rng.poisson(3.0, n).astype(float),
            "monetary": rng.gamma(2.0, 150.0, n),
            "aov": rng.gamma(3.0, 40.0, n),
            "age": rng.integers(18, 70, n).astype(float),
            "days_since_last_event": rng.exponential(30.0, n),
            "region": REGIONS[rng.integers(0, len(REGIONS), n)],
            "lifecycle": STAGES[rng.integers(0, len(STAGES), n)],
        }
    )


def campaign(n: int, seed: int) -> pd.DataFrame:
    """A randomized 50/50 campaign on ``n`` customers with a planted heterogeneous effect."""
    frame = customers(n, seed)
    rng = np.random.default_rng(seed + 1)
    treated = rng.uniform(size=n) < 0.5
    uplift = 0.04 * np.exp(-frame["days_since_last_event"].to_numpy() / 30.0) + 0.02 * (
        frame["lifecycle"].to_numpy() == "semi_active"
    )
    p = np.clip(0.05 + 0.01 * frame["frequency"].to_numpy() + treated * uplift, 0, 1)
    converted = rng.uniform(size=n) < p
    frame["arm"] = np.where(treated, "send", "control")
    frame["converted"] = converted.astype(int)
    frame["spend"] = converted * rng.gamma(2.0, frame["aov"].to_numpy() / 2.0)
    return frame


MAILINGS = ("mail_a", "mail_b", "mail_c", "mail_d")
CHANNELS = np.array(["web", "phone", "multichannel"])


def mailing_campaign(n: int, seed: int) -> pd.DataFrame:
    """A randomized 5-arm mailing RCT (control + 4 mailings, 20% each) with 9 features.

    Like the public catalogue-mailing experiments: a few percent buy, each mailing lifts
    purchase most for recent, frequent customers and differently per channel and region.
    """
    frame = customers(n, seed).drop(columns=["lifecycle"])
    rng = np.random.default_rng(seed + 2)
    frame["tenure_days"] = rng.gamma(2.0, 300.0, n)
    frame["channel"] = CHANNELS[rng.integers(0, len(CHANNELS), n)]
    labels = np.array(["control", *MAILINGS])
    arm = labels[rng.integers(0, len(labels), n)]
    recent = np.exp(-frame["recency_days"].to_numpy() / 60.0)
    frequent = np.minimum(frame["frequency"].to_numpy(), 6.0) / 6.0
    uplift = np.zeros(n)
    for index, name in enumerate(MAILINGS):
        by_channel = frame["channel"].to_numpy() == CHANNELS[index % len(CHANNELS)]
        effect = 0.01 * (index + 1) * recent + 0.01 * frequent + 0.01 * by_channel - 0.005
        uplift = np.where(arm == name, effect, uplift)
    p = np.clip(0.03 + 0.02 * frequent + uplift, 0, 1)
    converted = rng.uniform(size=n) < p
    frame["arm"] = arm
    frame["converted"] = converted.astype(int)
    frame["spend"] = converted * rng.gamma(2.0, frame["aov"].to_numpy() / 2.0)
    return frame


def training_data(frame: pd.DataFrame, check_post_treatment: bool = True):
    return table_training_data(
        frame,
        "benchmark",
        treatment_col="arm",
        control="control",
        outcome_col="converted",
        revenue_col="spend",
        id_col="customer_id",
        check_post_treatment=check_post_treatment,
    )


def preparation_line(frame: pd.DataFrame) -> str:
    """What building the training data costs (outside the ratios), and its post-send check."""
    start = time.perf_counter()
    training_data(frame, check_post_treatment=False)
    without = time.perf_counter() - start
    start = time.perf_counter()
    training_data(frame)
    with_check = time.perf_counter() - start
    return (
        f"training data from the table (not in the ratio): {with_check:.1f} s, of which the"
        f" check for columns changed by the send {with_check - without:.1f} s"
    )


def two_models_seconds(data, n_jobs: int | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of one scikit-uplift TwoModels fit (200 trees, 15 leaves).

    ``n_jobs=None`` is LightGBM's default (OpenMP on every core); on a loaded machine its
    threads spin while waiting, so the benchmark also times ``n_jobs=1``.
    """
    import lightgbm as lgb
    from sklift.models import TwoModels

    from uplift_lab.uplift.models import feature_frame, feature_names

    matrix = data.matrix()
    names = feature_names(matrix.shape[1])
    frame = feature_frame(matrix, names)
    cats = [names[j] for j, spec in enumerate(data.specs) if spec.kind == "categorical"]
    treatment = (data.arm != data.control).astype(int)

    def estimator():
        threads = {} if n_jobs is None else {"n_jobs": n_jobs}
        return lgb.LGBMClassifier(
            n_estimators=200,
            num_leaves=15,
            min_child_samples=100,
            verbose=-1,
            random_state=0,
            **threads,
        )

    fit_params = {"categorical_feature": cats or "auto"}
    start, cpu = time.perf_counter(), time.process_time()
    TwoModels(estimator(), estimator(), method="vanilla").fit(
        frame,
        data.conversion,
        treatment,
        estimator_trmnt_fit_params=fit_params,
        estimator_ctrl_fit_params=fit_params,
    )
    return time.perf_counter() - start, time.process_time() - cpu


def timed_train(data, folds: int) -> tuple[float, float, dict]:
    """Wall and CPU seconds of ``train`` (5-fold CV, auto) and the learners it chose."""
    start, cpu = time.perf_counter(), time.process_time()
    result = train_uplift_model(data, n_folds=folds)
    choice = result.model.cv_metrics["choice"]
    return time.perf_counter() - start, time.process_time() - cpu, choice


def speed_against_two_models(rows: int, folds: int) -> None:
    """Issue 10: train (auto) on ``rows`` rows vs one TwoModels fit, timed back to back."""
    # Imported before timing (this environment compiles every module on import): neither side.
    import sklearn.model_selection  # noqa: F401
    import sklift.models  # noqa: F401

    import uplift_lab.uplift.evaluate  # noqa: F401

    frame = campaign(rows, seed=0)
    print(preparation_line(frame))
    data = training_data(frame)
    default, default_cpu = two_models_seconds(data)
    single, single_cpu = two_models_seconds(data, n_jobs=1)
    trained, trained_cpu, choice = timed_train(data, folds)
    reference = min(default, single)  # the faster TwoModels: the stricter ratio
    ratio = trained / reference
    print(
        f"train ({folds}-fold CV, auto, conversion + revenue) on {rows:,} rows: {trained:.1f} s "
        f"(CPU {trained_cpu:.1f} s)\none scikit-uplift TwoModels fit (200 trees, 15 leaves): "
        f"{default:.1f} s (CPU {default_cpu:.1f} s) with LightGBM's default threads, "
        f"{single:.1f} s (CPU {single_cpu:.1f} s) with n_jobs=1\n"
        f"ratio train / faster TwoModels: {ratio:.1f}x (target <= 10x: "
        f"{'met' if ratio <= 10 else 'NOT met'}); chosen {choice}"
    )


def mailing_speed(rows: int, folds: int) -> None:
    """Issue 10: train (auto) on a 5-arm mailing RCT of ``rows`` rows, target under 3 minutes."""
    data = training_data(mailing_campaign(rows, seed=0))
    reference, reference_cpu = two_models_seconds(data, n_jobs=1)
    trained, trained_cpu, choice = timed_train(data, folds)
    print(
        f"train ({folds}-fold CV, auto, conversion + revenue) on {rows:,} rows x "
        f"{len(data.arms)} treated arms, {len(data.specs)} features: {trained:.1f} s (CPU "
        f"{trained_cpu:.1f} s; target < 180 s: {'met' if trained < 180 else 'NOT met'}); one "
        f"TwoModels fit (n_jobs=1, all treated vs control) {reference:.1f} s "
        f"(CPU {reference_cpu:.1f} s), ratio {trained / reference:.1f}x; "
        f"peak RSS {peak_gib():.2f} GiB; chosen {choice}"
    )


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="issue 10 ratio (0: skip)")
    parser.add_argument("--mailing-rows", type=int, default=344_000, help="5-arm RCT (0: skip)")
    parser.add_argument("--customers", type=int, default=0, help="issue 5 train (0: skip)")
    parser.add_argument("--score-customers", type=int, default=10_000_000)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--model", default="two")
    parser.add_argument("--revenue-model", default="decomposition")
    parser.add_argument("--max-rounds", type=int, default=300)
    args = parser.parse_args(argv)
    if args.rows:
        speed_against_two_models(args.rows, args.folds)
    if args.mailing_rows:
        mailing_speed(args.mailing_rows, args.folds)
    if args.customers:
        with tempfile.TemporaryDirectory(prefix="bench_model.") as work:
            run(args, Path(work))


def run(args: argparse.Namespace, work: Path) -> None:
    """Train, evaluate and score in ``work`` (a temporary folder removed afterwards)."""
    data = training_data(campaign(args.customers, seed=0))
    print(f"data: {args.customers:,} customers, {len(data.specs)} features; work dir {work}")

    start = time.perf_counter()
    result = train_uplift_model(
        data,
        conversion_model=args.model,
        revenue_model=args.revenue_model,
        n_folds=args.folds,
        settings=LightGBMSettings(max_rounds=args.max_rounds),
    )
    trained = time.perf_counter() - start
    save_model(result.model, work / "model", cv_predictions=result.cv_predictions)
    description = io.read_json(work / "model" / "model.json")
    start = time.perf_counter()
    evaluations = evaluate_held_out(result.cv_predictions, description)
    evaluated = time.perf_counter() - start
    qini = {
        f"{arm}/{target}": round(float(e.scores[0].summary.loc["qini_coefficient", "mean"]), 4)
        for arm, target, e in evaluations
    }
    print(
        f"train ({args.folds}-fold CV + final fit, {args.model}/{args.revenue_model}): "
        f"{trained:.1f} s; evaluate: {evaluated:.1f} s; total {trained + evaluated:.1f} s; "
        f"held-out Qini {qini}; peak RSS {peak_gib():.2f} GiB"
    )
    del data, result, evaluations

    path = work / "score_customers.parquet"
    chunk = 1_000_000
    start = time.perf_counter()
    io.write_table_batches(
        (
            customers(min(chunk, args.score_customers - offset), seed=offset + 7, offset=offset)
            for offset in range(0, args.score_customers, chunk)
        ),
        path,
    )
    written = time.perf_counter() - start
    print(f"wrote {args.score_customers:,} customers to score in {written:.1f} s")

    start = time.perf_counter()
    summary = score_file(load_model(work / "model"), path, work / "scores.parquet")
    scored = time.perf_counter() - start
    print(
        f"score: {summary.rows:,} customers in {scored:.1f} s "
        f"({summary.rows / scored / 1e6:.2f} M/s); peak RSS {peak_gib():.2f} GiB"
    )


if __name__ == "__main__":
    sys.exit(main())
