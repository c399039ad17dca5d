"""Figures of an uplift evaluation (matplotlib, Agg backend), each returned as PNG bytes.

scikit-uplift's own ``sklift.viz`` is not used (it breaks on scikit-learn >= 1.5). PNG metadata
carries no software version, so the same evaluation gives the same bytes.
"""

from __future__ import annotations

import io as _bytes_io
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from uplift_lab.uplift.evaluate import ModelEvaluation, ScoreEvaluation  # noqa: E402
from uplift_lab.uplift.metrics import metrics_as_row  # noqa: E402

DPI = 110
CURVE_POINTS = 400  # curves of millions of customers are drawn from this many points
MODEL_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf")
BASELINE_COLORS = {"random": "#7f7f7f", "rfm_rule": "#ff7f0e", "purchase_probability": "#bcbd22"}


def _png(figure) -> bytes:
    buffer = _bytes_io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def _style(item: ScoreEvaluation, index: int) -> dict:
    if item.is_baseline:
        return {"color": BASELINE_COLORS.get(item.name, "#555555"), "linestyle": "--"}
    return {"color": MODEL_COLORS[index % len(MODEL_COLORS)], "linestyle": "-"}


def _thinned(share: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The curve at CURVE_POINTS evenly spaced shares (linear between tie-block ends)."""
    if len(share) <= CURVE_POINTS:
        return share, values
    grid = np.linspace(0.0, 1.0, CURVE_POINTS)
    return grid, np.interp(grid, share, values)


def qini_curve_png(evaluation: ModelEvaluation) -> bytes:
    """Qini curves of every model and baseline on the pooled held-out data, with the random line."""
    figure, axes = plt.subplots(figsize=(7.0, 4.4))
    for index, item in enumerate(evaluation.scores):
        if item.name == "random":
            continue  # the random baseline is the straight line drawn below
        x, y = _thinned(item.curve_share, item.curve_incremental)
        axes.plot(x, y, label=item.label, linewidth=1.6, **_style(item, index))
    total = float(evaluation.scores[0].curve_incremental[-1])
    axes.plot([0, 1], [0, total], color="black", linewidth=1, label="random targeting")
    axes.axhline(0, color="#999999", linewidth=0.6)
    axes.set_xlabel("share of customers targeted (highest score first)")
    axes.set_ylabel(f"incremental {evaluation.outcome} (treated units)")
    axes.set_title(f"Qini curve: {evaluation.outcome}, held-out customers")
    axes.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    axes.grid(alpha=0.3)
    axes.legend(frameon=False, fontsize=8)
    return _png(figure)


def decile_bars_png(calibration: pd.DataFrame, *, title: str, outcome: str) -> bytes:
    """Observed uplift per bin of predicted uplift (bars with 95% CIs) and the predicted mean."""
    figure, axes = plt.subplots(figsize=(7.0, 3.8))
    bins = calibration["bin"].to_numpy()
    observed = calibration["observed_uplift"].to_numpy(dtype="float64")
    low = calibration["ci_low"].to_numpy(dtype="float64")
    high = calibration["ci_high"].to_numpy(dtype="float64")
    has_ci = ~(np.isnan(low) | np.isnan(high))
    errors = np.vstack([np.where(has_ci, observed - low, 0), np.where(has_ci, high - observed, 0)])
    colors = ["#1b7837" if ok and lo > 0 else "#b2182b" if ok and hi < 0 else "#888888"
              for ok, lo, hi in zip(has_ci, low, high, strict=True)]  # fmt: skip
    axes.bar(bins, np.nan_to_num(observed), color=colors, alpha=0.8, label="observed (95% CI)")
    axes.errorbar(bins, np.nan_to_num(observed), yerr=errors, fmt="none", ecolor="black",
                  capsize=3, linewidth=1)  # fmt: skip
    axes.plot(bins, calibration["predicted_uplift"], "D", color="#1f77b4", label="predicted mean")
    axes.axhline(0, color="black", linewidth=0.8)
    axes.set_xticks(bins)
    axes.set_xlabel("bin of predicted uplift (1 = highest)")
    axes.set_ylabel(f"uplift in {outcome}")
    axes.set_title(title)
    axes.grid(axis="y", alpha=0.3)
    axes.legend(frameon=False, fontsize=8)
    return _png(figure)


def _values_with_ci(item: ScoreEvaluation, names: list[str]) -> tuple[np.ndarray, ...]:
    """Pooled values with customer-bootstrap CIs, or fold means with fold CIs without one."""
    if item.bootstrap is not None:
        table, center = item.bootstrap, "estimate"
    else:
        table, center = item.summary, "mean"
    return tuple(
        table.loc[names, column].to_numpy(dtype="float64")
        for column in (center, "ci_low", "ci_high")
    )


def revenue_captured_png(evaluation: ModelEvaluation) -> bytes:
    """Incremental outcome captured per 1,000 customers at each targeted share, with 95% CIs."""
    ks = list(evaluation.ks)
    scores = [item for item in evaluation.scores if item.name != "random"]
    figure, axes = plt.subplots(figsize=(7.4, 4.0))
    width = 0.8 / (len(scores) + 1)
    positions = np.arange(len(ks))
    # What random targeting captures depends on the data only, so any score's summary has it.
    reference = evaluation.scores[0].summary
    for index, item in enumerate(scores):
        names = [f"incremental_per_1000_at_{k:.0%}" for k in ks]
        means, low, high = _values_with_ci(item, names)
        errors = np.vstack([np.nan_to_num(means - low), np.nan_to_num(high - means)])
        axes.bar(positions + index * width, np.nan_to_num(means), width=width,
                 color=_style(item, index)["color"], label=item.label)  # fmt: skip
        axes.errorbar(positions + index * width, np.nan_to_num(means), yerr=errors, fmt="none",
                      ecolor="black", capsize=2, linewidth=0.8)  # fmt: skip
    random_means = [reference.loc[f"random_per_1000_at_{k:.0%}", "mean"] for k in ks]
    if evaluation.n_bootstrap:  # bars are pooled values, so random targeting's pooled one too
        pooled = metrics_as_row(evaluation.scores[0].pooled)
        random_means = [pooled[f"random_per_1000_at_{k:.0%}"] for k in ks]
    axes.bar(positions + len(scores) * width, random_means, width=width, color="#7f7f7f",
             label="random targeting (expected)")  # fmt: skip
    axes.set_xticks(positions + width * len(scores) / 2)
    axes.set_xticklabels([f"top {k:.0%}" for k in ks])
    axes.axhline(0, color="black", linewidth=0.8)
    axes.set_ylabel(f"incremental {evaluation.outcome} per 1,000 customers")
    over = "customer bootstrap" if evaluation.n_bootstrap else "over folds"
    axes.set_title(f"Incremental {evaluation.outcome} captured vs share targeted (95% CI {over})")
    axes.grid(axis="y", alpha=0.3)
    axes.legend(frameon=False, fontsize=7, ncol=2)
    if any(math.isnan(value) for value in random_means):
        axes.text(0.01, 0.02, "some values missing", transform=axes.transAxes, fontsize=7)
    return _png(figure)
