"""Real layouts of public order and event logs: header-less files (CDNOW's master file,
Taobao's UserBehavior.csv), whitespace-aligned text (CDNOW), workbooks with several sheets (UCI
Online Retail II). Each is read, through a column map where it needs one, or refused in one line
that says how, with nothing written."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tests.cli.test_excel_cli import one_error_line
from uplift_lab.cli import app

# CDNOW's master file as Bruce Hardie distributes it: id, YYYYMMDD, CDs, dollars; no header,
# columns aligned with runs of spaces.
CDNOW_LINES = [
    "00001 19970101  1   11.77",
    "00002 19970112  1   12.00",
    "00002 19970112  5   77.00",
    "00003 19970102  2   20.76",
    "00003 19970330  2   20.76",
    "00003 19970402  2   19.54",
    "00004 19970101  2   29.33",
    "00004 19970118  2   29.73",
]
CDNOW_MAP = """\
[orders]
names = ["customer_id", "order_time", "quantity", "amount"]   # YYYYMMDD integers: dates
"""
# Taobao UserBehavior.csv: user, item, category, behavior, Unix time; no header.
TAOBAO_LINES = [
    "1,2268318,2520377,pv,1511544070",
    "1,2333346,2520771,buy,1511561733",
    "2,2268318,2520377,pv,1511544070",
]


def segment(runner, orders: Path, out: Path, *extra: str):
    args = ["segment", str(orders), "--as-of", "1998-01-01", "--out", str(out), *extra]
    return runner.invoke(app, args)


def write_lines(path: Path, lines: list[str], end: str = "\n") -> Path:
    path.write_text(end.join(lines) + end, encoding="utf-8")
    return path


def expected_cdnow_segments() -> pd.DataFrame:
    """The same orders as a plain CSV with a header, parsed independently by pandas."""
    rows = [line.split() for line in CDNOW_LINES]
    return pd.DataFrame(
        {
            "customer_id": [row[0] for row in rows],
            "order_time": [pd.Timestamp(row[1]).strftime("%Y-%m-%d") for row in rows],
            "amount": [float(row[3]) for row in rows],
        }
    )


@pytest.mark.parametrize(
    ("name", "lines"), [("cdnow.txt", CDNOW_LINES), ("UserBehavior.csv", TAOBAO_LINES)]
)
def test_a_file_without_a_header_line_is_refused_saying_how_to_name_its_columns(
    runner, tmp_path, name, lines
) -> None:
    orders = write_lines(tmp_path / name, lines)
    out = tmp_path / "s.csv"
    message = one_error_line(segment(runner, orders, out))
    assert name in message and "no header line" in message
    assert "names = [" in message and "--columns" in message
    assert not out.exists()


def test_a_real_header_of_short_names_is_not_taken_for_data(runner, tmp_path) -> None:
    orders = write_lines(
        tmp_path / "o.csv",
        ["customer_id,order_time,amount", "a1,1997-06-01,10", "a2,1997-06-02,5"],
    )
    result = segment(runner, orders, tmp_path / "s.csv")
    assert result.exit_code == 0, result.output


def test_cdnow_master_file_segments_with_a_column_map_naming_its_columns(runner, tmp_path) -> None:
    orders = write_lines(tmp_path / "CDNOW_master.txt", CDNOW_LINES, end="\r\n")
    column_map = tmp_path / "cdnow.toml"
    column_map.write_text(CDNOW_MAP, encoding="utf-8")
    result = segment(runner, orders, tmp_path / "s.csv", "--columns", str(column_map))
    assert result.exit_code == 0, result.output

    reference = tmp_path / "reference.csv"
    expected_cdnow_segments().to_csv(reference, index=False)
    expected = segment(runner, reference, tmp_path / "r.csv")
    assert expected.exit_code == 0, expected.output
    read = pd.read_csv(tmp_path / "s.csv", dtype={"customer_id": str})
    pd.testing.assert_frame_equal(read, pd.read_csv(tmp_path / "r.csv", dtype={"customer_id": str}))
    assert list(read["customer_id"]) == ["00001", "00002", "00003", "00004"]  # zeros kept
    assert read.set_index("customer_id").loc["00002", "monetary"] == pytest.approx(89.0)


def test_whitespace_aligned_text_with_a_header_is_split_on_runs_of_spaces(runner, tmp_path) -> None:
    """lifetimes ships CDNOW_master.txt with a header, a leading space and CRLF line ends."""
    lines = [" customer_id  date number_of_cds  dollar_value", *(f" {x}" for x in CDNOW_LINES)]
    orders = write_lines(tmp_path / "CDNOW_master.txt", lines, end="\r\n")
    column_map = tmp_path / "cdnow.toml"
    column_map.write_text(
        '[orders.columns]\ndate = "order_time"\ndollar_value = "amount"\n', encoding="utf-8"
    )
    result = segment(runner, orders, tmp_path / "s.csv", "--columns", str(column_map))
    assert result.exit_code == 0, result.output
    read = pd.read_csv(tmp_path / "s.csv", dtype={"customer_id": str})
    assert read.set_index("customer_id").loc["00003", "monetary"] == pytest.approx(61.06)
    assert read["customer_id"].tolist() == ["00001", "00002", "00003", "00004"]


def test_names_that_do_not_match_the_number_of_fields_are_one_clear_line(runner, tmp_path) -> None:
    orders = write_lines(tmp_path / "UserBehavior.csv", TAOBAO_LINES)
    column_map = tmp_path / "m.toml"
    column_map.write_text('[orders]\nnames = ["customer_id", "order_time"]\n', encoding="utf-8")
    out = tmp_path / "s.csv"
    message = one_error_line(segment(runner, orders, out, "--columns", str(column_map)))
    assert "UserBehavior.csv" in message and "5" in message and "2" in message
    assert not out.exists()


def test_names_must_be_a_list_of_distinct_text(runner, tmp_path) -> None:
    orders = write_lines(tmp_path / "cdnow.txt", CDNOW_LINES)
    column_map = tmp_path / "m.toml"
    column_map.write_text('[orders]\nnames = ["a", "a"]\n', encoding="utf-8")
    message = one_error_line(
        segment(runner, orders, tmp_path / "s.csv", "--columns", str(column_map))
    )
    assert "m.toml" in message and "names" in message and "'a'" in message


# -- workbooks with several sheets (UCI Online Retail II: "Year 2009-2010", "Year 2010-2011")

HEADER = ["Invoice", "Customer ID", "InvoiceDate", "Price"]
SHEETS = {
    "Year 2009-2010": [["489434", 13085, "2009-12-01 07:45:00", 83.4]],
    "Year 2010-2011": [
        ["536365", 17850, "2010-12-01 08:26:00", 15.3],
        ["536366", 13085, "2010-12-02 08:28:00", 11.1],
    ],
}
RETAIL_MAP = """\
[orders.columns]
Invoice = "order_id"
"Customer ID" = "customer_id"
InvoiceDate = "order_time"
Price = "amount"
"""


def write_workbook(path: Path, sheets: dict[str, list[list]], header=HEADER) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        sheet.append(list(header))
        for row in rows:
            sheet.append(list(row))
    book.save(path)
    return path


def retail_map(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "retail.toml"
    path.write_text(f"[orders]\n{extra}\n{RETAIL_MAP}", encoding="utf-8")
    return path


def segment_sheets(runner, tmp_path: Path, book: Path, sheet: str | None = None):
    """Segment ``book`` with the retail column map (and ``sheet = ...`` when given): the
    result and, as a table by customer id, what it wrote (None when nothing)."""
    out = tmp_path / "s.csv"
    column_map = retail_map(tmp_path, f'sheet = "{sheet}"' if sheet else "")
    result = segment(runner, book, out, "--as-of", "2012-01-01", "--columns", str(column_map))
    written = pd.read_csv(out, dtype={"customer_id": str}) if out.exists() else None
    return result, None if written is None else written.set_index("customer_id")


def test_a_workbook_of_several_sheets_names_the_sheet_read_and_the_others(runner, tmp_path) -> None:
    book = write_workbook(tmp_path / "online_retail_II.xlsx", SHEETS)
    result, written = segment_sheets(runner, tmp_path, book)
    assert result.exit_code == 0, result.output
    notice = " ".join(result.stderr.split())
    assert "'Year 2009-2010'" in notice and "'Year 2010-2011'" in notice and "sheet" in notice
    assert list(written.index) == ["13085"]


def test_a_sheet_named_in_the_column_map_is_the_one_read(runner, tmp_path) -> None:
    book = write_workbook(tmp_path / "online_retail_II.xlsx", SHEETS)
    result, written = segment_sheets(runner, tmp_path, book, "Year 2010-2011")
    assert result.exit_code == 0, result.output
    assert "Year 2009-2010" not in result.stderr
    assert sorted(written.index) == ["13085", "17850"]
    assert written.loc["13085", "n_orders_total"] == 1


def test_all_sheets_stack_when_they_share_the_header(runner, tmp_path) -> None:
    book = write_workbook(tmp_path / "online_retail_II.xlsx", SHEETS)
    result, written = segment_sheets(runner, tmp_path, book, "*")
    assert result.exit_code == 0, result.output
    assert written.loc["13085", "n_orders_total"] == 2  # one order in each sheet
    assert written.loc["17850", "n_orders_total"] == 1


def refused_sheet(runner, tmp_path: Path, book: Path, sheet: str) -> str:
    """The one error line of segmenting ``book`` with ``sheet = ...``; nothing written."""
    result, written = segment_sheets(runner, tmp_path, book, sheet)
    assert written is None
    return one_error_line(result)


def test_stacking_sheets_with_different_headers_is_refused(runner, tmp_path) -> None:
    book = write_workbook(tmp_path / "two.xlsx", SHEETS)
    other = openpyxl.load_workbook(book)
    other["Year 2010-2011"]["D1"] = "Amount"
    other.save(book)
    message = refused_sheet(runner, tmp_path, book, "*")
    assert "two.xlsx" in message and "Year 2010-2011" in message and "Amount" in message


def test_a_sheet_the_workbook_does_not_have_is_refused_listing_its_sheets(runner, tmp_path) -> None:
    book = write_workbook(tmp_path / "online_retail_II.xlsx", SHEETS)
    message = refused_sheet(runner, tmp_path, book, "2011")
    assert "'2011'" in message and "Year 2009-2010" in message and "Year 2010-2011" in message


# -- event logs in their own words (Taobao UserBehavior: pv / cart / fav / buy)

EVENT_ORDERS = ["customer_id,order_time,amount", "1,1997-12-01,10", "2,1997-06-01,5"]
TAOBAO_EVENTS = [  # user, item, category, behavior, Unix seconds (1997-12-20 to 12-23 UTC)
    "1,2268318,2520377,pv,882612000",
    "2,2333346,2520771,fav,882702000",
    "2,2333346,2520771,cart,882788400",
    "3,2268318,2520377,buy,882867600",
]
TAOBAO_EVENT_MAP = """\
[events]
names = ["customer_id", "item_id", "category_id", "event_type", "event_time"]

[events.event_types]   # the file's label = the canonical one
pv = "visit"
fav = "favorite"
cart = "cart"
buy = "visit"          # a purchase is in the orders file; here it is activity
"""


def segment_events(runner, tmp_path: Path, map_text: str | None):
    orders = write_lines(tmp_path / "orders.csv", EVENT_ORDERS)
    events = write_lines(tmp_path / "UserBehavior.csv", TAOBAO_EVENTS)
    extra = ["--events", str(events)]
    if map_text is not None:
        (tmp_path / "ub.toml").write_text(map_text, encoding="utf-8")
        extra += ["--columns", str(tmp_path / "ub.toml")]
    out = tmp_path / "s.csv"
    result = segment(runner, orders, out, *extra)
    written = pd.read_csv(out, dtype={"customer_id": str}) if out.exists() else None
    return result, None if written is None else written.set_index("customer_id")


def test_event_labels_map_to_the_canonical_ones_through_the_column_map(runner, tmp_path) -> None:
    result, written = segment_events(runner, tmp_path, TAOBAO_EVENT_MAP)
    assert result.exit_code == 0, result.output
    assert written.loc["2", "favorited_30d"] and written.loc["2", "carted_30d"]
    assert not written.loc["1", "favorited_30d"] and not written.loc["1", "carted_30d"]
    assert written.loc["3", "lifecycle"] == "potential"  # known from its events only


def test_unmapped_event_labels_are_refused_naming_them_and_the_map_key(runner, tmp_path) -> None:
    header_only = TAOBAO_EVENT_MAP.split("\n\n")[0] + "\n"
    result, written = segment_events(runner, tmp_path, header_only)
    message = one_error_line(result)
    assert written is None
    assert "UserBehavior.csv" in message and "buy, fav, pv" in message
    assert "[events.event_types]" in message


def test_event_labels_must_map_to_canonical_event_types(runner, tmp_path) -> None:
    result, written = segment_events(
        runner, tmp_path, TAOBAO_EVENT_MAP.replace('"visit"', '"pv"', 1)
    )
    message = one_error_line(result)
    assert written is None
    assert "ub.toml" in message and "'pv'" in message and "visit, search" in message


RETAILROCKET_EVENTS = [  # its header; milliseconds since 1970 (1997-12-20 to 12-22 UTC)
    "timestamp,visitorid,event,itemid,transactionid",
    "882612000000,1,view,355908,",
    "882702000000,2,addtocart,248676,",
    "882788400000,2,transaction,248676,4000",
]
RETAILROCKET_MAP = """\
[events.columns]
visitorid = "customer_id"
timestamp = "event_time"
event = "event_type"

[events.event_types]
view = "visit"
addtocart = "cart"
transaction = "visit"
"""


def test_retailrocket_events_read_through_their_columns_and_labels(runner, tmp_path) -> None:
    orders = write_lines(tmp_path / "orders.csv", EVENT_ORDERS)
    events = write_lines(tmp_path / "events.csv", RETAILROCKET_EVENTS)
    (tmp_path / "rr.toml").write_text(RETAILROCKET_MAP, encoding="utf-8")
    out = tmp_path / "s.csv"
    extra = ["--events", str(events), "--columns", str(tmp_path / "rr.toml")]
    result = segment(runner, orders, out, *extra)
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out, dtype={"customer_id": str}).set_index("customer_id")
    assert written.loc["2", "carted_30d"] and not written.loc["1", "carted_30d"]
    assert written.loc["1", "days_since_last_event"] == 12  # 1997-12-20 to 1998-01-01


def test_a_customer_file_without_header_reads_with_its_names(runner, tmp_path) -> None:
    orders = write_lines(tmp_path / "orders.csv", EVENT_ORDERS)
    customers = write_lines(tmp_path / "members.csv", ["1,1997-01-05,CN", "9,1997-11-02,US"])
    column_map = tmp_path / "m.toml"
    column_map.write_text(
        '[customers]\nnames = ["customer_id", "signup_time", "country"]\n', encoding="utf-8"
    )
    out = tmp_path / "s.csv"
    refused = segment(runner, orders, out, "--customers", str(customers))
    assert "members.csv" in one_error_line(refused) and not out.exists()
    extra = ["--customers", str(customers), "--columns", str(column_map)]
    result = segment(runner, orders, out, *extra)
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out, dtype={"customer_id": str}).set_index("customer_id")
    assert written.loc["9", "lifecycle"] == "potential" and written.loc["9", "country"] == "US"
