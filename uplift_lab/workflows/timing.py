"""`analyze --by-hour / --by-day`: read the experiment and its orders, add the response by time."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from uplift_lab.analyze import Analysis
from uplift_lab.columnmap import InputSpec
from uplift_lab.design import load_experiment
from uplift_lab.errors import input_error
from uplift_lab.orders import load_orders
from uplift_lab.timing import response_by_time


def analyze_by_time(
    analysis: Analysis,
    experiment_dir: Path,
    orders_path: Path,
    unit: str,
    *,
    inputs: InputSpec,
    encoding: str | None = None,
) -> Analysis:
    """``analysis`` (of an experiment and an orders file) with send vs holdout per ``unit``
    (hour of day or day of its response window)."""
    notes = analysis.data_notes
    if notes.get("mode") != "experiment + orders":
        raise input_error(
            orders_path,
            f"is a per-customer outcomes table; --by-{unit} needs an orders file (order times)",
            "Pass the orders file as --outcomes",
        )
    experiment = load_experiment(Path(experiment_dir))
    orders = load_orders(orders_path, inputs.orders, encoding=encoding).frame()
    responses = response_by_time(
        experiment.assignment,
        analysis.control,
        orders,
        pd.Timestamp(notes["window_start"]),
        int(notes["window_days"]),
        unit,
        alpha=analysis.options.alpha,
        ci=analysis.options.ci,
    )
    return replace(analysis, by_time=responses)
