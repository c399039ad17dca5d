"""The inputs every command shares, read through io and checked by :mod:`uplift_lab.columnmap`
and :mod:`uplift_lab.contracts`: the ``--columns`` map, the customer and event tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from uplift_lab import io
from uplift_lab.columnmap import CONTACT_COLUMN, ColumnMap, InputSpec, column_map_from_toml
from uplift_lab.contracts import validate_customers, validate_events


def read_column_map(path: Path) -> ColumnMap:
    """Read and check a column map file; every problem is a one-line InputError."""
    return column_map_from_toml(io.read_toml(path), path)


def read_customers_and_events(
    inputs: InputSpec,
    customers_path: Path | None,
    events_path: Path | None,
    encoding: str | None = None,
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The validated customer and event tables (``None`` where no file is given), each read
    with its own id column, column map and date parsing from ``inputs``."""
    customers = events = None
    if customers_path is not None:
        layout = inputs.customers.layout
        names = io.table_column_names(customers_path, encoding=encoding, file_layout=layout)
        contact = [str(name) for name in names if CONTACT_COLUMN.search(str(name))]
        raw = io.read_table(
            customers_path,
            encoding=encoding,
            string_columns=[inputs.customers_id, *contact],
            file_layout=layout,
        )
        customers = validate_customers(
            inputs.customers.apply(raw, customers_path),
            customers_path,
            customer_col=inputs.customers_id,
            parsing=inputs.customers.parsing,
        )
    if events_path is not None:
        raw = io.read_table(
            events_path,
            encoding=encoding,
            string_columns=[inputs.events_id],
            file_layout=inputs.events.layout,
        )
        events = validate_events(
            inputs.events.apply(raw, events_path),
            events_path,
            customer_col=inputs.events_id,
            parsing=inputs.events.parsing,
        )
    return customers, events
