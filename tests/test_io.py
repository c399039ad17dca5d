"""io: encodings, formats, atomic writes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from uplift_lab import io
from uplift_lab.errors import InputError

FRAME = pd.DataFrame(
    {
        "customer_id": ["007", "042", "100"],
        "order_time": ["2026-06-01", "2026-06-18 20:00:00", "2026-11-11"],
        "amount": [12.5, 99.0, 0.0],
        "category": ["女装", "数码家电", "生鲜食品"],
    }
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_each_supported_encoding_reads_identically(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / f"orders_{encoding}.csv"
    FRAME.to_csv(path, index=False, encoding=encoding)
    read = io.read_table(path, string_columns=["customer_id"])
    assert read["customer_id"].tolist() == ["007", "042", "100"]  # leading zeros kept
    assert read["category"].tolist() == FRAME["category"].tolist()
    assert read["amount"].tolist() == FRAME["amount"].tolist()


def test_gbk_file_read_as_utf8_names_file_and_fix(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    FRAME.to_csv(path, index=False, encoding="gbk")
    with pytest.raises(InputError, match=r"export\.csv.*not valid utf-8.*encoding=gbk"):
        io.read_table(path, encoding="utf-8")


def test_unknown_encoding_name_is_input_error() -> None:
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        io.normalize_encoding("klingon")


def test_parquet_round_trip_casts_string_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pd.DataFrame({"customer_id": [1, 2], "x": [0.5, 1.5]}).to_parquet(path)
    read = io.read_table(path, string_columns=["customer_id"])
    assert read["customer_id"].tolist() == ["1", "2"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "file not found"),
        ("empty.csv", b"", "file is empty"),
        ("table.numbers", b"x", "unknown file type"),
        ("table.xlsx", b"x", "not a readable Excel file"),
        ("bad.parquet", b"not parquet", "not a readable Parquet file"),
    ],
)
def test_unreadable_inputs_are_input_errors(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        io.read_table(path)


def test_atomic_write_leaves_old_file_when_writer_fails(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), io.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_atomic_directory_refuses_existing_without_force(tmp_path: Path) -> None:
    target = tmp_path / "exp"
    target.mkdir()
    (target / "assignment.parquet").write_text("keep")
    with pytest.raises(InputError, match="already exists.*'force'"), io.atomic_directory(target):
        pass
    assert (target / "assignment.parquet").read_text() == "keep"


def test_atomic_directory_force_replaces_only_after_success(tmp_path: Path) -> None:
    target = tmp_path / "exp"
    target.mkdir()
    (target / "a.txt").write_text("old")
    with pytest.raises(RuntimeError), io.atomic_directory(target, force=True) as staging:
        (staging / "a.txt").write_text("new")
        raise RuntimeError("boom")
    assert (target / "a.txt").read_text() == "old"
    with io.atomic_directory(target, force=True) as staging:
        (staging / "a.txt").write_text("new")
    assert (target / "a.txt").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp"]


def test_sha256_matches_hashlib(tmp_path: Path) -> None:
    import hashlib

    path = tmp_path / "f.bin"
    path.write_bytes(b"uplift" * 100_000)
    assert io.sha256_file(path) == hashlib.sha256(b"uplift" * 100_000).hexdigest()


def test_atomic_outputs_follow_the_umask_not_mkstemp_0600(tmp_path: Path) -> None:
    import os
    import stat

    old = os.umask(0o022)
    try:
        written = io.write_text("x", tmp_path / "a.txt")
        with io.atomic_directory(tmp_path / "folder") as staging:
            (staging / "b.txt").write_text("y")
    finally:
        os.umask(old)
    assert stat.S_IMODE(written.stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "folder").stat().st_mode) == 0o755


def test_gbk_header_read_as_utf8_is_input_error_not_traceback(tmp_path: Path) -> None:
    path = tmp_path / "导出.csv"
    pd.DataFrame({"客户": ["1"], "金额": [1.5]}).to_csv(path, index=False, encoding="gbk")
    with pytest.raises(InputError, match=r"not valid utf-8.*encoding=gbk"):
        io.read_arrow(path, encoding="utf-8")


def test_json_writer_turns_nan_and_numpy_values_into_strict_json(tmp_path: Path) -> None:
    """The one sanitizer: callers hand over NaN, infinities and numpy values as they are."""
    import json

    import numpy as np

    payload = {
        "nan": float("nan"),
        "inf": np.float64("inf"),
        "f32": np.float32(0.5),
        "int": np.int64(7),
        "flag": np.bool_(True),
        "nested": [{"x": np.nan}, (1, np.float64(2.5))],
        "array": np.array([1.0, np.nan]),
        "missing": pd.NA,
        "keys": {np.int64(3): "numpy key"},
    }
    written = io.write_json(payload, tmp_path / "out.json")
    assert json.loads(written.read_text(encoding="utf-8")) == {
        "nan": None,
        "inf": None,
        "f32": 0.5,
        "int": 7,
        "flag": True,
        "nested": [{"x": None}, [1, 2.5]],
        "array": [1.0, None],
        "missing": None,
        "keys": {"3": "numpy key"},
    }


def test_json_text_of_finite_payloads_is_unchanged_by_the_sanitizer() -> None:
    """Sorted keys, two-space indent, dates as ISO text: what design's seal hashes."""
    import json

    payload = {"b": [1, 2.5, "x"], "a": {"when": pd.Timestamp("2024-01-02"), "p": Path("x/y")}}
    expected = {"b": [1, 2.5, "x"], "a": {"when": "2024-01-02T00:00:00", "p": "x/y"}}
    assert io.to_json_text(payload) == json.dumps(expected, indent=2, sort_keys=True) + "\n"


def test_one_rule_for_numbers_json_cannot_hold() -> None:
    """Steps (finite_or_none) and the JSON writer (json_ready) treat non-finite floats alike."""
    import numpy as np

    from uplift_lab.finite import finite_or_none
    from uplift_lab.io.documents import json_ready

    for value in (float("nan"), float("inf"), -np.inf, np.float32("nan"), None):
        assert finite_or_none(value) is None
        assert json_ready([value]) == [None]
    assert finite_or_none(np.float64(2.5)) == 2.5 and json_ready(np.float64(2.5)) == 2.5


def test_streamed_batches_read_float_written_ids_as_the_whole_table_does(tmp_path) -> None:
    """`score` streams a CSV; its ids must be those `segment` reads (17850.0 -> 17850)."""
    path = tmp_path / "customers.csv"
    path.write_text("customer_id,x\n17850.0,1\n13047.0,2\n12.0,3\n", encoding="utf-8")
    whole = io.read_table(path, string_columns=["customer_id"])["customer_id"].tolist()
    batches = io.iter_table_batches(path, string_columns=["customer_id"], batch_rows=1)
    streamed = [value for batch in batches for value in batch["customer_id"]]
    assert whole == streamed == ["17850", "13047", "12"]
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("customer_id,x\n17850.0,1\nA7,2\n", encoding="utf-8")
    assert io.read_table(mixed, string_columns=["customer_id"])["customer_id"].tolist() == [
        "17850.0",
        "A7",
    ]  # a column that is not all whole numbers stays as written


def test_a_nullable_integer_id_in_parquet_reads_as_text(tmp_path: Path) -> None:
    """pandas writes an ``Int64`` column's dtype into the Parquet metadata (score's implicit
    ``row`` id); read as text it must not be rebuilt as Int64 (a TypeError before)."""
    path = tmp_path / "scores.parquet"
    frame = pd.DataFrame({"row": pd.array([0, 1, 2], dtype="Int64"), "uplift": [0.1, 0.2, 0.3]})
    frame.to_parquet(path, index=False)
    read = io.read_table(path, string_columns=["row"])
    assert read["row"].tolist() == ["0", "1", "2"]
    assert read["uplift"].tolist() == [0.1, 0.2, 0.3]


def test_text_that_looks_like_a_formula_stays_text_in_an_xlsx_send_list(tmp_path: Path) -> None:
    """A nickname '=1+1' or '=HYPERLINK(...)' is a text cell, never a formula Excel or the
    sending tool would run; read back it is the same text."""
    import openpyxl

    frame = pd.DataFrame(
        {"customer_id": ["001", "002"], "nickname": ["=1+1", '=HYPERLINK("http://x")'], "n": [1, 2]}
    )
    path = tmp_path / "send.xlsx"
    io.write_table(frame, path)
    sheet = openpyxl.load_workbook(path).active
    assert [cell.data_type for cell in sheet["B"][1:]] == ["s", "s"]
    back = pd.read_excel(path, dtype={"customer_id": str})
    assert back["nickname"].tolist() == frame["nickname"].tolist()
