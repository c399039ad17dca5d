"""Where a table's header is: exports from shop back-ends and ERPs often put a title line
("订单报表 2026-06-01至2026-06-30") or a blank line above the column names; such lines are
skipped, with a notice, instead of becoming the header."""

from __future__ import annotations

import csv
import itertools
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

from uplift_lab.errors import DataWarning
from uplift_lab.notices import Notice

PEEK_LINES = 30  # lines looked at for the header (and the decimal mark)
COMMA_DECIMAL = re.compile(r"-?\d+,\d+")
POINT_DECIMAL = re.compile(r"-?\d+\.\d+")
MAX_TITLE_LINES = 10  # at most this many lines above the header are skipped


def header_row(rows: Sequence[Sequence[object]]) -> int:
    """Index of the header among the first ``rows``: the first row with at least two filled
    cells, or whose cells are all filled and as many as the next filled row's (a one-column
    file).

    A row above it (one filled cell at most, e.g. a title, or none, a blank line) is skipped,
    but only when a header follows within :data:`MAX_TITLE_LINES` rows and a row after it:
    else 0, and the file's first row stays its header.
    """
    counts = [sum(1 for cell in row if cell is not None and str(cell).strip()) for row in rows]
    for index, row in enumerate(rows[: MAX_TITLE_LINES + 1]):
        following = next((rows[j] for j in range(index + 1, len(rows)) if counts[j]), None)
        if following is None:
            return 0
        filled = counts[index]
        if filled >= 2 or (filled and filled == len(row) and len(row) >= len(following)):
            return index
    return 0


def csv_title_lines(path: Path, encoding: str, delimiter: str) -> tuple[int, str]:
    """How many lines above a CSV's header to skip (:func:`header_row` of its first lines), and
    the text of the first of them."""
    try:
        with open(path, encoding=encoding, errors="replace", newline="") as handle:
            rows = list(itertools.islice(csv.reader(handle, delimiter=delimiter), PEEK_LINES))
    except (OSError, LookupError, csv.Error):
        return 0, ""
    skipped = header_row(rows)
    return skipped, (title_text(rows[0]) if skipped else "")


def title_text(row: Sequence[object]) -> str:
    """A skipped line as a notice shows it: its filled cells, at most 60 characters."""
    return " ".join(str(cell) for cell in row if cell is not None and str(cell).strip())[:60]


def warn_title_lines(path: Path, skipped: int, title: str) -> None:
    """A notice naming the lines above the header that were skipped (none: no notice)."""
    if not skipped:
        return
    params = {"path": str(path), "lines": skipped, "first": title, "header_line": skipped + 1}
    warnings.warn(DataWarning(Notice("note", "title_lines_skipped", params)), stacklevel=3)


def decimal_mark(path: Path, encoding: str, delimiter: str, skipped: int) -> str:
    """ "," where a semicolon-separated CSV writes its numbers with a decimal comma ("4,95", as
    Excel saves CSV in such locales: some value reads so and none as "4.95"), else "."."""
    if delimiter != ";":
        return "."
    try:
        with open(path, encoding=encoding, errors="replace", newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            rows = list(itertools.islice(reader, skipped + 1, skipped + 1 + PEEK_LINES))
    except (OSError, LookupError, csv.Error):
        return "."
    cells = [cell.strip() for row in rows for cell in row]
    if any(POINT_DECIMAL.fullmatch(cell) for cell in cells):
        return "."
    return "," if any(COMMA_DECIMAL.fullmatch(cell) for cell in cells) else "."
