"""JSON and TOML documents: strict JSON written (NaN as null), JSON and TOML read."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from uplift_lab.errors import input_error
from uplift_lab.finite import finite_or_none
from uplift_lab.io.files import _check_readable, _first_line, write_text


def to_json_text(payload: Any) -> str:
    """Serialise to stable, readable, strict JSON: sorted keys; NaN and infinities become
    ``null`` (nothing measured); numpy/pandas scalars and arrays, dates, paths and sets handled.

    Callers pass their results as they are: this is the one JSON sanitizer of uplift-lab.
    """
    return (
        json.dumps(
            json_ready(payload), indent=2, sort_keys=True, default=_json_default, allow_nan=False
        )
        + "\n"
    )


def json_ready(value: Any) -> Any:
    """``value`` with every non-finite float as ``None`` and numpy scalars/arrays as Python
    values, through dicts, lists, tuples and sets (what strict JSON can hold)."""
    if isinstance(value, dict):
        return {_json_key(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    if isinstance(value, set | frozenset):
        return [json_ready(item) for item in sorted(value)]
    if isinstance(value, np.ndarray):
        return json_ready(value.tolist())
    if isinstance(value, float | np.floating):
        return finite_or_none(value)
    if isinstance(value, np.generic) and not isinstance(value, np.datetime64):
        return value.item()  # numpy integers and booleans
    if value is pd.NA:
        return None
    return value


def _json_key(key: Any) -> Any:
    """A dict key JSON accepts: numpy scalars as their Python value (``json`` refuses them)."""
    return key.item() if isinstance(key, np.generic) else key


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


def write_json(payload: Any, path: Path) -> Path:
    """Write JSON atomically (see :func:`to_json_text`)."""
    return write_text(to_json_text(payload), path)


def read_json(path: Path) -> Any:
    """Read a JSON file, turning a missing or malformed file into an InputError."""
    path = _check_readable(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise input_error(path, f"not valid JSON ({_first_line(exc)})") from None


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file (column map, tag rules); a missing or malformed file is an InputError."""
    path = _check_readable(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise input_error(path, f"not valid TOML ({_first_line(exc)})", "Fix the file") from None
    except UnicodeDecodeError:
        raise input_error(path, "is not UTF-8 text", "Save the file as UTF-8") from None
