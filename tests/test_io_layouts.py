"""io's readers on real layouts: a first line that is data (no header line), columns named by a
column map's ``names``, text aligned with runs of spaces, workbooks of several sheets; the
whole-table and the batch readers agree on each."""

from __future__ import annotations

import warnings
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from uplift_lab import io
from uplift_lab.columnmap import column_map_from_toml, resolve_inputs
from uplift_lab.errors import DataWarning, InputError
from uplift_lab.file_layout import FileLayout
from uplift_lab.io.layout import csv_layout, looks_like_data


@pytest.mark.parametrize(
    "line",
    [
        "00001 19970101 1 11.77",  # CDNOW master
        "1,2268318,2520377,pv,1511544070",  # Taobao UserBehavior
        "1433221332117,257597,view,355908,",  # RetailRocket events, header line removed
        "17850,2010-12-01 08:26:00,15.3",
        "00001",
    ],
)
def test_a_line_of_values_looks_like_data(line: str) -> None:
    assert looks_like_data(line.split(",") if "," in line else line.split())


@pytest.mark.parametrize(
    "line",
    [
        "customer_id,order_time,amount",
        "id,x,y",
        "customer_id,2019,2020",
        "customer,2019,2020,2021",  # years are names
        "id,1,2",
        "timestamp,visitorid,event,itemid,transactionid",
        "买家会员名,订单付款时间,买家实际支付金额",
        "",
    ],
)
def test_a_line_of_names_does_not_look_like_data(line: str) -> None:
    assert not looks_like_data(line.split(","))


def test_runs_of_spaces_are_the_separator_of_aligned_text(tmp_path) -> None:
    path = tmp_path / "cdnow.txt"
    path.write_text(" 00001 19970101  1   11.77\r\n 00002 19970112  1   12.00\r\n", "utf-8")
    layout = csv_layout(path, "csv", "utf-8")
    assert layout.whitespace and layout.header == ("00001", "19970101", "1", "11.77")


def test_a_single_field_line_is_not_whitespace_text(tmp_path) -> None:
    path = tmp_path / "ids.txt"
    path.write_text("customer_id\n0001\n", "utf-8")
    assert csv_layout(path, "csv", "utf-8").delimiter == ","


CDNOW = "00001 19970101  1   11.77\n00002 19970112  1   12.00\n00002 19970112  5   77.50\n"
NAMES = FileLayout(names=("customer_id", "order_time", "quantity", "amount"))


def test_named_columns_of_aligned_text_read_as_pandas_splits_them(tmp_path) -> None:
    path = tmp_path / "cdnow.txt"
    path.write_text(CDNOW, "utf-8")
    table = io.read_table(path, string_columns=["customer_id"], file_layout=NAMES)
    assert list(table.columns) == list(NAMES.names)
    assert table["customer_id"].tolist() == ["00001", "00002", "00002"]
    assert table["amount"].tolist() == [11.77, 12.0, 77.5]
    assert table["quantity"].sum() == 7


def test_the_batch_reader_reads_aligned_text_as_the_table_reader_does(tmp_path) -> None:
    path = tmp_path / "cdnow.txt"
    path.write_text(CDNOW, "utf-8")
    whole = io.read_table(path, string_columns=["customer_id"], file_layout=NAMES)
    batches = list(
        io.iter_table_batches(path, string_columns=["customer_id"], batch_rows=2, file_layout=NAMES)
    )
    assert [len(batch) for batch in batches] == [2, 1]
    pd.testing.assert_frame_equal(pd.concat(batches, ignore_index=True), whole)
    assert io.table_column_names(path, file_layout=NAMES) == list(NAMES.names)


def test_named_columns_of_a_comma_file_without_header(tmp_path) -> None:
    path = tmp_path / "UserBehavior.csv"
    path.write_text("1,2268318,2520377,pv,1511544070\n1,2333346,2520771,buy,1511561733\n")
    layout = FileLayout(names=("customer_id", "item", "category", "event_type", "event_time"))
    table = io.read_table(path, string_columns=["customer_id"], file_layout=layout)
    assert table["event_type"].tolist() == ["pv", "buy"]
    assert table["customer_id"].tolist() == ["1", "1"]
    batches = list(io.iter_table_batches(path, string_columns=["customer_id"], file_layout=layout))
    pd.testing.assert_frame_equal(pd.concat(batches, ignore_index=True), table)


@pytest.mark.parametrize(
    "read",
    [io.read_table, io.table_column_names, lambda path: list(io.iter_table_batches(path))],
    ids=["read_table", "table_column_names", "iter_table_batches"],
)
def test_every_reader_refuses_a_file_without_header_line(tmp_path, read) -> None:
    path = tmp_path / "cdnow.txt"
    path.write_text(CDNOW, "utf-8")
    with pytest.raises(InputError, match=r"cdnow\.txt: line 1 .* no header line.*names = \["):
        read(path)


def test_names_are_refused_for_a_parquet_file(tmp_path) -> None:
    path = tmp_path / "o.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(path)
    with pytest.raises(InputError, match=r"o\.parquet: a Parquet file names its own columns"):
        io.read_arrow(path, file_layout=FileLayout(names=("x",)))


def test_a_column_map_gives_each_kind_its_names_and_sheet() -> None:
    payload = {
        "orders": {"names": ["customer_id", "order_time", "amount"], "sheet": "2011"},
        "events": {"names": ["customer_id", "event_time", "event_type"]},
    }
    inputs = resolve_inputs(columns=column_map_from_toml(payload, Path("m.toml")))
    assert inputs.orders.layout == FileLayout(("customer_id", "order_time", "amount"), "2011")
    assert inputs.events.layout.names == ("customer_id", "event_time", "event_type")
    assert inputs.customers.layout == FileLayout()


@pytest.mark.parametrize(
    ("section", "words"),
    [
        ({"names": "customer_id"}, "names must be a list"),
        ({"names": ["a", 1]}, "names must be a list"),
        ({"sheet": 2}, "sheet must be a sheet's name"),
    ],
)
def test_bad_names_or_sheet_are_one_line_errors(section, words) -> None:
    with pytest.raises(InputError, match=rf"m\.toml: \[orders\] {words}"):
        column_map_from_toml({"orders": section}, Path("m.toml"))


def test_campaign_files_take_no_names_yet() -> None:
    with pytest.raises(InputError, match=r"\[campaign\] has unknown key 'names'"):
        column_map_from_toml({"campaign": {"names": ["customer_id"]}}, Path("m.toml"))


def _workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_a_one_sheet_workbook_reads_without_a_notice(tmp_path) -> None:
    path = _workbook(tmp_path / "o.xlsx", {"Sheet": [["a", "b"], [1, 2]]})
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        assert io.read_table(path)["b"].tolist() == [2]


def test_the_first_sheet_is_read_with_a_notice_naming_the_others(tmp_path) -> None:
    sheets = {"Year 2009-2010": [["a"], [1]], "Year 2010-2011": [["a"], [2]], "Notes": [["x"]]}
    path = _workbook(tmp_path / "r.xlsx", sheets)
    with pytest.warns(DataWarning) as caught:
        table = io.read_table(path)
    assert table["a"].tolist() == [1]
    (notice,) = [w.message.notice for w in caught if w.message.notice.code != "title_lines_skipped"]
    assert notice.code == "other_sheets_not_read"
    assert notice.params["sheet"] == "Year 2009-2010"
    assert notice.params["others"] == "'Year 2010-2011', 'Notes'"


def test_all_sheets_stack_leaving_out_empty_ones(tmp_path) -> None:
    sheets = {"A": [["id", "v"], ["x", 1]], "Empty": [], "B": [["id", "v"], ["y", 2], ["z", 3]]}
    path = _workbook(tmp_path / "r.xlsx", sheets)
    table = io.read_table(path, string_columns=["id"], file_layout=FileLayout(sheet="*"))
    assert table["id"].tolist() == ["x", "y", "z"] and table["v"].tolist() == [1, 2, 3]


def test_names_apply_to_a_sheet_without_header_row(tmp_path) -> None:
    path = _workbook(
        tmp_path / "r.xlsx", {"S": [["00001", 19970101, 11.77], ["00002", 19970112, 12]]}
    )
    with pytest.raises(InputError, match=r"r\.xlsx: line 1 .* no header line"):
        io.read_table(path)
    layout = FileLayout(names=("customer_id", "order_time", "amount"))
    table = io.read_table(path, string_columns=["customer_id"], file_layout=layout)
    assert table["customer_id"].tolist() == ["00001", "00002"]
    assert table["amount"].tolist() == [11.77, 12]


def test_a_one_column_text_file_with_a_space_in_its_header_is_not_aligned_text(tmp_path) -> None:
    path = tmp_path / "ids.txt"
    path.write_text("customer id\n0001\n0002\n", "utf-8")
    assert not csv_layout(path, "csv", "utf-8").whitespace


def test_names_for_a_file_that_has_a_header_are_refused(tmp_path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("customer_id,order_time,amount\n1,2026-01-01,3\n", "utf-8")
    layout = FileLayout(names=("customer_id", "order_time", "amount"))
    with pytest.raises(InputError, match=r"o\.csv: line 1 already names the columns"):
        io.table_column_names(path, file_layout=layout)


def test_aligned_text_reads_dictionary_columns_as_text_as_arrow_does(tmp_path) -> None:
    import pyarrow as pa

    aligned, comma = tmp_path / "a.txt", tmp_path / "c.csv"
    aligned.write_text("id status amount\nA1 1 3.5\nA2 2 4\n", "utf-8")
    comma.write_text("id,status,amount\nA1,1,3.5\nA2,2,4\n", "utf-8")
    kinds = {"dictionary_columns": ["status"], "string_columns": ["id"]}
    read = [io.read_arrow(path, **kinds) for path in (aligned, comma)]
    assert read[0].schema.field("status").type == pa.dictionary(pa.int32(), pa.string())
    assert read[0].to_pydict() == read[1].to_pydict()


def test_a_workbook_s_column_names_are_those_of_its_full_read(tmp_path) -> None:
    rows = [["订单报表"], [], ["id", None, "id", 2019], ["a", 1, "b", 2], ["c", 3, "d", 4]]
    path = _workbook(tmp_path / "o.xlsx", {"S": rows, "T": [["x"], [1]]})
    with pytest.warns(DataWarning):
        full = io.read_arrow(path).column_names
    assert io.table_column_names(path) == full == ["id", "Unnamed: 1", "id.1", "2019"]
    assert io.table_column_names(path, file_layout=FileLayout(sheet="T")) == ["x"]
