"""How a CSV export is laid out, read once from its first lines: the separator (runs of spaces
too: CDNOW's aligned text), the lines above the header (a title such as "订单报表
2026-06-01至2026-06-30", a blank line: shop back-ends and ERPs write them), the decimal mark,
whether the first line is data rather than column names (no header line); and whole numbers a
float column wrote ("17850.0")."""

from __future__ import annotations

import csv
import itertools
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from uplift_lab.errors import DataWarning, input_error, literal, usage_error
from uplift_lab.notices import Notice

PEEK_LINES = 40  # lines looked at for the separator, the header and the decimal mark
MAX_TITLE_LINES = 10  # at most this many lines above the header are skipped
SEPARATORS = (",", ";", "\t", "|")
WHITESPACE = " "  # the delimiter of text aligned with runs of spaces (split by pandas, r"\s+")
NUMBER_LIKE = re.compile(r"[-+]?(\d+([.,]\d*)?|\.\d+)([eE][-+]?\d+)?")
DATE_LIKE = re.compile(r"(\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}[ T]?)?(\d{1,2}:\d{2}(:\d{2})?\S*)?")
SHORT_CODE = re.compile(r"[A-Za-z]{1,3}")  # "pv", "buy", "CN": a value, too short for a name
LABEL = re.compile(r"[a-z]+")  # "view", "addtocart": an event label among numbers
YEAR = re.compile(r"(19|20)\d\d")
HEADER_WORDS = frozenset({"id", "uid", "pid", "sku", "qty", "amt", "no", "ts"})
# A decimal mark for sure: not three digits after it, a first group too long for thousands, or
# the other mark grouping thousands before it ("12,5", "1042,500", "1.042,10"); a lone mark
# with three digits after it ("1.042", "1,042") may be either, so it only weighs in alone.
COMMA_DECIMAL = re.compile(r"-?(\d+,(\d{1,2}|\d{4,})|\d{4,},\d+|\d{1,3}(\.\d{3})+,\d+)")
POINT_DECIMAL = re.compile(r"-?(\d+\.(\d{1,2}|\d{4,})|\d{4,}\.\d+|\d{1,3}(,\d{3})+\.\d+)")
THOUSANDS_DOTS = re.compile(r"-?\d{1,3}(\.\d{3})+")
WHOLE_NUMBER = r"^-?[0-9]+\.0+$"  # "17850.0": an integer id a float column wrote (pandas)


@dataclass(frozen=True, slots=True)
class CsvLayout:
    """What the readers pass to Arrow's CSV options, and the skipped title for the notice."""

    delimiter: str = ","
    skip_rows: int = 0
    title: str = ""
    decimal_point: str = "."
    header: tuple[str, ...] = ()  # the cells of the line read as the header

    @property
    def whitespace(self) -> bool:
        """Whether fields are separated by runs of spaces (or tabs mixed with spaces)."""
        return self.delimiter == WHITESPACE


def csv_layout(path: Path, kind: str, encoding: str) -> CsvLayout:
    """The layout of a .csv/.txt/.tsv file from its first :data:`PEEK_LINES` lines.

    Separator: tab for .tsv; else, from the first line that has one (a title line above the
    header has none), a comma wherever that line has one, otherwise a semicolon (Excel's CSV in
    comma-decimal locales), a tab or a pipe; a file none of whose first lines has one but whose
    first line splits into two or more fields on spaces is aligned text (:data:`WHITESPACE`).
    Decimal comma: only with semicolons, where some value reads "4,95" and none "4.95".
    """
    try:
        with open(path, encoding=encoding, errors="replace", newline="") as handle:
            lines = list(itertools.islice(handle, PEEK_LINES))
    except (OSError, LookupError):
        return CsvLayout("\t" if kind == "tsv" else ",")
    delimiter = "\t" if kind == "tsv" else ","
    if kind != "tsv" and Path(path).suffix.lower() in (".csv", ".txt"):
        header = next((line for line in lines if any(mark in line for mark in SEPARATORS)), "")
        delimiter = next((mark for mark in SEPARATORS if mark in header), ",")
        filled = [line for line in lines if line.strip()]
        cells = tuple(filled[0].split()) if filled and not header else ()
        if len(cells) >= 2 and all(len(line.split()) == len(cells) for line in filled):
            return CsvLayout(WHITESPACE, lines.index(filled[0]), "", ".", cells)
    try:
        rows = list(csv.reader(lines, delimiter=delimiter))
    except csv.Error:
        return CsvLayout(delimiter)
    skipped = header_row(rows)
    title = title_text(rows[0]) if skipped else ""
    decimal_point = _decimal_point(rows[skipped + 1 :], delimiter)
    header = tuple(rows[skipped]) if len(rows) > skipped else ()
    return CsvLayout(delimiter, skipped, title, decimal_point, header)


def looks_like_data(cells: Sequence[object]) -> bool:
    """Whether a header line's ``cells`` look like a row of data rather than column names.

    Data: some cell is a number or a date (not only years, "2019,2020" can be names) and every
    other cell a short code such as "pv" or "CN"; or, with three numbers or more and at most
    half as many words, the words are lower-case labels ("view", "addtocart"). So
    ``00001 19970101 1 11.77`` (CDNOW), ``1,2268318,2520377,pv,1511544070`` (Taobao) and
    ``1433221332117,257597,view,355908`` (RetailRocket) are data, while ``id,x,y``,
    ``customer_id,2019,2020`` and ``id,1,2`` are names.
    """
    texts = [str(cell).strip().strip("\ufeff").strip('"') for cell in cells if cell is not None]
    texts = [text for text in texts if text]  # an empty cell is a missing value or name
    numbers = [t for t in texts if NUMBER_LIKE.fullmatch(t) or DATE_LIKE.fullmatch(t)]
    if not numbers or all(YEAR.fullmatch(t) for t in numbers):
        return False
    words = [t for t in texts if t not in numbers]
    if any(word.lower() in HEADER_WORDS for word in words):
        return False
    if all(SHORT_CODE.fullmatch(word) for word in words):
        return 2 * len(numbers) >= len(texts)
    labels = all(LABEL.fullmatch(word) for word in words)
    return labels and len(numbers) >= 3 and len(numbers) >= 2 * len(words)


NO_HEADER_FIX = (
    "Add a header line, or name its {count} columns in order in a {{columns=map.toml}} file: "
    'names = ["customer_id", "order_time", ...] in its [orders] (or [customers], [events]) '
    "section"
)


def check_header(path: Path, cells: Sequence[object], names: Sequence[str], line: int) -> None:
    """Refuse a file whose header line (``cells``, line number ``line``) looks like data
    (:func:`looks_like_data`) when the column map gives no ``names``, and ``names`` that are
    not one per field."""
    filled = [str(cell).strip() for cell in cells if cell is not None and str(cell).strip()]
    if names:
        if filled and len(names) != len(cells):
            raise input_error(
                path,
                f"the column map's names = [...] names {len(names)} column(s) but line {line} "
                f"has {len(cells)} field(s)",
                "Give one name per column, in the file's order",
            )
        named = sorted(set(filled) & set(names))
        if named and not looks_like_data(cells):
            raise input_error(
                path,
                f"line {line} already names the columns ('{named[0]}' ...), so the column map's "
                "names = [...] would read it as data",
                "Remove names and map the file's columns in the section's columns table",
            )
        return
    if looks_like_data(cells):
        shown = " ".join(str(cell).strip() for cell in filled)[:60]
        raise usage_error(
            path,
            f"line {line} ('{literal(shown)}') looks like data, not column names: the file "
            "seems to have no header line",
            NO_HEADER_FIX.format(count=len(cells)),
        )


def _decimal_point(rows: Sequence[Sequence[str]], delimiter: str) -> str:
    """The decimal mark of a semicolon file (the separator of comma-decimal locales): a point
    where a value has one for sure, else a comma where one has it for sure or where the only
    marks are dots grouping thousands ("1.042": 1042 where a semicolon separates)."""
    if delimiter != ";":
        return "."
    cells = [cell.strip() for row in rows for cell in row]
    if any(POINT_DECIMAL.fullmatch(cell) for cell in cells):
        return "."
    if any(COMMA_DECIMAL.fullmatch(cell) for cell in cells):
        return ","
    return "," if any(THOUSANDS_DOTS.fullmatch(cell) for cell in cells) else "."


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


def title_text(row: Sequence[object]) -> str:
    """A skipped line as a notice shows it: its filled cells, at most 60 characters."""
    return " ".join(str(cell) for cell in row if cell is not None and str(cell).strip())[:60]


def warn_title_lines(path: Path, skipped: int, title: str) -> None:
    """A notice naming the lines above the header that were skipped (none: no notice)."""
    if not skipped:
        return
    params = {"path": str(path), "lines": skipped, "first": title, "header_line": skipped + 1}
    warnings.warn(DataWarning(Notice("note", "title_lines_skipped", params)), stacklevel=3)


def whole_number_columns(table: pa.Table, columns: Sequence[str]) -> list[str]:
    """The text ``columns`` of ``table`` whose every value is a whole number written as a float
    ("17850.0", as pandas writes an id column that has a missing value)."""
    found = []
    for name in [name for name in columns if name in table.column_names]:
        values = table.column(name)
        if not pa.types.is_string(values.type) or values.null_count == len(values):
            continue
        matched = pc.match_substring_regex(values, WHOLE_NUMBER)
        if pc.all(pc.or_kleene(matched, pc.is_null(values))).as_py():
            found.append(name)
    return found


def without_point_zero(table: pa.Table, names: Sequence[str]) -> pa.Table:
    """``names`` of ``table`` with their whole numbers written plainly ("17850.0" -> "17850"):
    the ids a Parquet or Excel copy of the same data gives, so files join whatever wrote them."""
    for name in names:
        plain = pc.replace_substring_regex(table.column(name), r"^(-?[0-9]+)\.0+$", r"\1")
        table = table.set_column(table.column_names.index(name), name, plain)
    return table
