"""Report figures (matplotlib, Agg backend), each returned as PNG bytes for embedding.

PNG metadata is stripped of the software version so the same analysis gives the same bytes.
"""

from __future__ import annotations

import io as _bytes_io
import math
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from uplift_lab.stats import proportion_interval

DPI = 110


def _png(figure) -> bytes:
    buffer = _bytes_io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def lift_with_ci_png(
    labels: Sequence[str],
    lifts: Sequence[float],
    lows: Sequence[float],
    highs: Sequence[float],
    *,
    title: str,
    xlabel: str,
) -> bytes:
    """Horizontal point-and-error-bar chart of lifts with their CIs, one row per label."""
    height = 1.2 + 0.38 * len(labels)
    figure, axes = plt.subplots(figsize=(7.0, height))
    rows = list(range(len(labels)))[::-1]
    for row, lift, low, high in zip(rows, lifts, lows, highs, strict=True):
        if math.isnan(lift):
            continue
        color = "#1b7837" if low > 0 else "#b2182b" if high < 0 else "#555555"
        if not (math.isnan(low) or math.isnan(high)):
            axes.plot([low, high], [row, row], color=color, linewidth=2)
        axes.plot([lift], [row], "o", color=color)
    axes.axvline(0, color="black", linewidth=0.8)
    axes.set_yticks(rows)
    axes.set_yticklabels(labels)
    axes.set_xlabel(xlabel)
    axes.set_title(title)
    axes.grid(axis="x", alpha=0.3)
    return _png(figure)


def grouped_bars_png(table: pd.DataFrame, *, title: str, ylabel: str) -> bytes:
    """Grouped bar chart: rows of ``table`` are groups (segments), columns are bars (arms).

    A missing value (an arm not assigned in that segment) leaves no gap: each group shows only
    its own bars, side by side, in the column's colour.
    """
    figure, axes = plt.subplots(figsize=(max(6.0, 0.9 * len(table) + 3), 3.8))
    width = 0.8 / max(len(table.columns), 1)
    colors = {column: f"C{index}" for index, column in enumerate(table.columns)}
    labelled: set[str] = set()
    for position, (_, values) in enumerate(table.iterrows()):
        present = [(column, value) for column, value in values.items() if not pd.isna(value)]
        start = position - width * (len(present) - 1) / 2
        for slot, (column, value) in enumerate(present):
            axes.bar(
                start + slot * width,
                float(value),
                width=width,
                color=colors[column],
                label=None if column in labelled else str(column),
            )
            labelled.add(column)
    axes.set_xticks(list(range(len(table))))
    axes.set_xticklabels([str(i) for i in table.index], rotation=30, ha="right")
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    handles, labels = axes.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: list(map(str, table.columns)).index(labels[i]))
    axes.legend([handles[i] for i in order], [labels[i] for i in order], frameon=False)
    axes.grid(axis="y", alpha=0.3)
    return _png(figure)


def lines_png(table: pd.DataFrame, *, title: str, xlabel: str, ylabel: str) -> bytes:
    """One line per column of ``table`` against its index (e.g. arms over days)."""
    figure, axes = plt.subplots(figsize=(7.0, 3.6))
    for column in table.columns:
        axes.plot(
            table.index, table[column].to_numpy(), marker="o", markersize=3, label=str(column)
        )
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.legend(frameon=False)
    axes.grid(alpha=0.3)
    return _png(figure)


def response_curves_png(
    curves: dict[str, list[tuple[int, int, int, int, int]]],
    *,
    title: str,
    xlabel: str,
    alpha: float = 0.05,
) -> bytes:
    """Send vs holdout response rate per slice with Wilson CIs as bands, one panel per label.

    ``curves`` maps a label (arm or touch) to rows (slice, send responders, send customers,
    holdout responders, holdout customers)."""
    labels = list(curves)
    figure, axes_list = plt.subplots(
        len(labels), 1, figsize=(7.0, 2.6 * len(labels) + 0.6), squeeze=False, sharex=True
    )
    level = f"{(1 - alpha) * 100:g}%"
    for axes, label in zip(axes_list[:, 0], labels, strict=True):
        rows = curves[label]
        x = [row[0] for row in rows]
        for offset, name, color in ((1, "send", "C0"), (3, "holdout", "C1")):
            rates, lows, highs = [], [], []
            for row in rows:
                hits, n = row[offset], row[offset + 1]
                low, high = proportion_interval(hits, n, alpha)
                rates.append(hits / n * 100 if n else math.nan)
                lows.append(low * 100)
                highs.append(high * 100)
            axes.plot(x, rates, marker="o", markersize=3, color=color, label=name)
            axes.fill_between(x, lows, highs, color=color, alpha=0.2, linewidth=0)
        axes.set_title(f"{label} vs holdout", fontsize=10, loc="left")
        axes.set_ylabel("responded (%)")
        axes.grid(alpha=0.3)
        axes.legend(frameon=False, fontsize=8)
    axes_list[-1, 0].set_xlabel(f"{xlabel} (bands: {level} CI)")
    figure.suptitle(title)
    return _png(figure)
