"""Files as shops and SMS platforms hand them over: .xlsx in (validated as CSV is), .tsv, the
--encoding hint for a garbled header, and send lists out as .xlsx with --with-columns and
opt-in columns written as words."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from uplift_lab.cli import app

ORDERS = pd.DataFrame(
    {
        "customer_id": ["007", "007", "A2", "B3"],
        "order_time": ["2026-06-20 10:00:00", "2026-06-25 12:00:00", "2026-01-05", "2026-05-01"],
        "amount": [10.0, 20.0, 7.5, 3.0],
    }
)


def segment(runner, orders: Path, out: Path, *extra: str):
    args = ["segment", str(orders), "--as-of", "2026-07-01", "--out", str(out), *extra]
    return runner.invoke(app, args)


def one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    message = result.stderr.strip()
    assert message.startswith("error:") and "\n" not in message, message
    return message


def write_xlsx(frame: pd.DataFrame, path: Path) -> Path:
    """Through openpyxl directly (not uplift-lab's writer), ids as numbers where they look so."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append(list(row))
    book.save(path)
    return path


def test_xlsx_orders_give_the_same_segments_as_csv(runner, tmp_path) -> None:
    times = pd.to_datetime(ORDERS["order_time"], format="ISO8601")
    orders = ORDERS.assign(order_time=times)  # Excel date cells
    xlsx = write_xlsx(orders, tmp_path / "orders.xlsx")
    csv = tmp_path / "orders.csv"
    ORDERS.to_csv(csv, index=False)
    for path in (xlsx, csv):
        result = segment(runner, path, tmp_path / f"{path.stem}_{path.suffix[1:]}.parquet")
        assert result.exit_code == 0, result.output
    from_xlsx = pd.read_parquet(tmp_path / "orders_xlsx.parquet")
    pd.testing.assert_frame_equal(from_xlsx, pd.read_parquet(tmp_path / "orders_csv.parquet"))
    assert "007" in set(from_xlsx["customer_id"])  # text ids keep their leading zeros


def test_legacy_xls_orders_give_the_same_segments_as_csv(runner, tmp_path) -> None:
    # tests/data/orders_legacy.xls: written once with xlwt 1.3.0 (ORDERS with customer 1002 as
    # a number cell and date cells), read here through xlrd.
    legacy = Path(__file__).resolve().parents[1] / "data" / "orders_legacy.xls"
    csv = tmp_path / "orders.csv"
    ORDERS.assign(customer_id=["007", "007", "1002", "B3"]).to_csv(csv, index=False)
    outs = tmp_path / "xls.parquet", tmp_path / "csv.parquet"
    for path, out in zip((legacy, csv), outs, strict=True):
        result = segment(runner, path, out)
        assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(pd.read_parquet(outs[0]), pd.read_parquet(outs[1]))


def write_xls(frame: pd.DataFrame, path: Path) -> Path:
    """A legacy BIFF8 .xls through xlwt (a test-only dependency): text cells stay text cells,
    numbers become number cells, as an old back-end's download has them."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    for col, name in enumerate(frame.columns):
        sheet.write(0, col, str(name))
    for row, values in enumerate(frame.itertuples(index=False), start=1):
        for col, value in enumerate(values):
            if isinstance(value, float) and np.isnan(value):
                continue  # an empty cell
            sheet.write(row, col, value.item() if hasattr(value, "item") else value)
    book.save(str(path))
    return path


def test_legacy_xls_taobao_export_segments_like_the_same_export_as_csv(runner, tmp_path) -> None:
    from tests.cli.test_presets_cli import taobao_export
    from uplift_lab.synth import generate_shop

    shop = generate_shop(n_customers=150, seed=11)
    export, clean, _ = taobao_export(shop, np.random.default_rng(12))
    # the refund as number cells, the rest as the export's text (ids with their guarding tab)
    refund = [c for c in export.columns if c.strip() == "退款金额"][0]
    export = export.assign(**{refund: export[refund].astype(float)})
    xls = write_xls(export, tmp_path / "订单报表.xls")
    assert xls.read_bytes()[:8] == bytes.fromhex("d0cf11e0a1b11ae1")  # an OLE2 (BIFF) file
    csv = tmp_path / "订单报表.csv"
    export.to_csv(csv, index=False, encoding="gbk")
    outs = {}
    for path in (xls, csv):
        out = tmp_path / f"{path.suffix[1:]}.parquet"
        result = segment(runner, path, out, "--preset", "taobao")
        assert result.exit_code == 0, result.output
        outs[path.suffix] = pd.read_parquet(out)
    pd.testing.assert_frame_equal(outs[".xls"], outs[".csv"])
    # closed, unpaid and fully refunded orders dropped: the clean orders before --as-of remain
    before = clean["order_time"] < pd.Timestamp("2026-07-01")
    assert outs[".xls"]["n_orders_total"].sum() == int(before.sum())


def test_a_damaged_xls_is_a_one_line_error(runner, tmp_path) -> None:
    path = tmp_path / "orders.xls"
    path.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 100)
    out = tmp_path / "s.parquet"
    message = one_error_line(segment(runner, path, out))
    assert str(path) in message and "not a readable Excel file" in message
    assert not out.exists()


def test_numeric_excel_ids_are_read_as_text_not_floats(runner, tmp_path) -> None:
    frame = ORDERS.assign(customer_id=[1001, 1001, 1002, 1003])
    path = write_xlsx(frame, tmp_path / "orders.xlsx")
    out = tmp_path / "s.csv"
    assert segment(runner, path, out).exit_code == 0
    ids = out.read_text().splitlines()[1:]
    assert sorted(line.split(",")[0] for line in ids) == ["1001", "1002", "1003"]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda f: f.assign(amount=[10.0, -5.0, 7.5, 3.0]), ["column 'amount'", "negative"]),
        (
            lambda f: f.assign(order_time=["2026-06-20", "soon", "2026-01-05", "2026-05-01"]),
            ["column 'order_time'", "'soon'"],
        ),  # fmt: skip
        (
            lambda f: f.assign(customer_id=["007", None, "A2", "B3"]),
            ["column 'customer_id'", "empty"],
        ),
        (lambda f: f.drop(columns="amount"), ["missing column 'amount'", "--amount-col"]),
    ],
)
def test_xlsx_inputs_get_the_same_validation_errors_as_csv(runner, tmp_path, change, words) -> None:
    bad = change(ORDERS)
    csv = tmp_path / "orders.csv"
    bad.to_csv(csv, index=False)
    xlsx = write_xlsx(bad, tmp_path / "orders.xlsx")
    messages = []
    for path in (csv, xlsx):
        out = tmp_path / "s.parquet"
        message = one_error_line(segment(runner, path, out))
        assert not out.exists()
        messages.append(message.replace(str(path), "FILE"))
    assert messages[0] == messages[1]
    for word in words:
        assert word in messages[0]


def test_tsv_is_read_as_tab_separated(runner, tmp_path) -> None:
    tsv = tmp_path / "orders.tsv"
    ORDERS.to_csv(tsv, index=False, sep="\t")
    csv = tmp_path / "orders.csv"
    ORDERS.to_csv(csv, index=False)
    for path in (tsv, csv):
        assert segment(runner, path, tmp_path / f"{path.suffix[1:]}.parquet").exit_code == 0
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "tsv.parquet"), pd.read_parquet(tmp_path / "csv.parquet")
    )


@pytest.mark.parametrize("separator", [";", "|", "\t"])
def test_a_csv_separated_otherwise_than_by_commas_is_read_by_its_header(
    runner, tmp_path, separator
) -> None:
    """Excel in comma-decimal locales saves "CSV" with semicolons; some back-ends use pipes."""
    other = tmp_path / "other.csv"
    ORDERS.to_csv(other, index=False, sep=separator)
    plain = tmp_path / "plain.csv"
    ORDERS.to_csv(plain, index=False)
    for path in (other, plain):
        result = segment(runner, path, tmp_path / f"{path.stem}.parquet")
        assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "other.parquet"), pd.read_parquet(tmp_path / "plain.parquet")
    )


def test_a_semicolon_csv_with_decimal_commas_reads_its_numbers(runner, tmp_path) -> None:
    """Excel's CSV in a comma-decimal locale: 'C1;2026-06-18 20:00:00;35,5'."""
    european = tmp_path / "european.csv"
    ORDERS.to_csv(european, index=False, sep=";", decimal=",")
    assert "," in european.read_text(encoding="utf-8").splitlines()[1]  # written as 35,5
    plain = tmp_path / "plain.csv"
    ORDERS.to_csv(plain, index=False)
    for path in (european, plain):
        result = segment(runner, path, tmp_path / f"{path.stem}.parquet")
        assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "european.parquet"), pd.read_parquet(tmp_path / "plain.parquet")
    )


def test_float_written_integer_ids_read_as_the_integers_in_every_format(runner, tmp_path) -> None:
    """pandas writes an id column with a missing value as floats ("17850.0"); the same data
    as CSV, Parquet and Excel must give the same ids, so files written by others join."""
    orders = pd.DataFrame(
        {
            "customer_id": [17850.0, 17850.0, 13047.0, np.nan],
            "order_time": ["2026-06-20 10:00", "2026-06-25 12:00", "2026-01-05", "2026-05-01"],
            "amount": [10.0, 20.0, 7.5, 3.0],
        }
    ).dropna()  # the guest row went; the column stays float, as in the exporting frame
    csv = tmp_path / "orders.csv"
    orders.to_csv(csv, index=False)
    assert "17850.0" in csv.read_text(encoding="utf-8")
    parquet = tmp_path / "orders.parquet"
    orders.to_parquet(parquet, index=False)
    xlsx = tmp_path / "orders.xlsx"
    orders.to_excel(xlsx, index=False)
    got = {}
    for path in (csv, parquet, xlsx):
        result = segment(runner, path, tmp_path / f"seg_{path.suffix[1:]}.parquet")
        assert result.exit_code == 0, result.output
        got[path.suffix] = pd.read_parquet(tmp_path / f"seg_{path.suffix[1:]}.parquet")
    assert sorted(got[".csv"]["customer_id"]) == ["13047", "17850"]
    pd.testing.assert_frame_equal(got[".csv"], got[".parquet"])
    pd.testing.assert_frame_equal(got[".csv"], got[".xlsx"])


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_title_lines_above_the_header_are_skipped_with_a_notice(runner, tmp_path, suffix) -> None:
    """An ERP export: a report title and a blank line above the column names."""
    plain = tmp_path / "plain.csv"
    ORDERS.to_csv(plain, index=False)
    titled = tmp_path / f"titled{suffix}"
    width = len(ORDERS.columns)
    top = pd.DataFrame(
        [["订单报表 2026-06-01至2026-06-30", *[None] * (width - 1)], [None] * width,
         list(ORDERS.columns)]
    )  # fmt: skip
    body = pd.DataFrame(ORDERS.astype(str).to_numpy())
    rows = pd.concat([top, body], ignore_index=True)
    if suffix == ".csv":
        rows.to_csv(titled, index=False, header=False)
    else:
        rows.to_excel(titled, index=False, header=False)
    expected = segment(runner, plain, tmp_path / "plain.parquet")
    got = segment(runner, titled, tmp_path / "titled.parquet")
    assert expected.exit_code == 0 and got.exit_code == 0, got.output
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "titled.parquet"), pd.read_parquet(tmp_path / "plain.parquet")
    )
    notices = [line for line in got.output.splitlines() if "above the column names" in line]
    assert len(notices) == 1 and "2 line(s)" in notices[0] and "line 3" in notices[0]


def test_where_the_header_is() -> None:
    from uplift_lab.io.layout import header_row

    assert header_row([["title", "", ""], ["", "", ""], ["a", "b", "c"], ["1", "2", "3"]]) == 2
    assert header_row([["title"], ["a", "b"], ["1", "2"]]) == 1  # a title without separators
    assert header_row([["customer_id"], ["C1"], ["C2"]]) == 0  # a one-column file
    assert header_row([["title"], [], ["a", "b"], ["1", "2"]]) == 2  # a blank line read as []
    assert header_row([["a", "b"], ["1", "2"]]) == 0
    assert header_row([["only a title", ""]]) == 0  # nothing follows: the file says why
    assert header_row([["x", ""]] * 20 + [["a", "b"], ["1", "2"]]) == 0  # too far down


def test_a_big5_file_read_as_gbk_suggests_encoding_and_reads_with_it(runner, tmp_path) -> None:
    path = tmp_path / "orders.csv"
    text = "客戶編號,訂單時間,金額\n" + "\n".join(
        f"{r.customer_id},{r.order_time},{r.amount}" for r in ORDERS.itertuples()
    )
    path.write_bytes(text.encode("big5"))
    columns = ["--customer-col", "客戶編號", "--time-col", "訂單時間", "--amount-col", "金額"]
    result = segment(runner, path, tmp_path / "s.parquet", *columns)
    assert result.exit_code == 2
    assert "--encoding big5" in result.stderr and "garbled" in result.stderr
    ok = segment(runner, path, tmp_path / "s.parquet", *columns, "--encoding", "big5")
    assert ok.exit_code == 0, ok.output


def test_utf16_with_a_byte_order_mark_is_detected(runner, tmp_path) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(ORDERS.to_csv(index=False).encode("utf-16"))
    assert segment(runner, path, tmp_path / "s.parquet").exit_code == 0


# --- send lists --------------------------------------------------------------------------------


def target_inputs(folder: Path, n: int = 400, seed: int = 1, opt_in=lambda flags: flags):
    rng = np.random.default_rng(seed)
    ids = [f"{i:05d}" for i in range(n)]
    pd.DataFrame(
        {"customer_id": ids, "uplift_revenue": rng.normal(3.0, 3.0, n), "p_control": 0.05}
    ).to_csv(folder / "scores.csv", index=False)
    segments = pd.DataFrame(
        {
            "customer_id": ids,
            "lifecycle": "semi_active",
            "sms_opt_in": opt_in(rng.integers(0, 2, n)),
            "phone": [f"+86 138{i:08d}" for i in range(n)],
            "nickname": [f"买家{i}" for i in range(n)],
        }
    )
    segments.to_csv(folder / "segments.csv", index=False)
    return folder / "scores.csv", folder / "segments.csv"


def target(runner, scores: Path, segments: Path, out: Path, *extra: str):
    args = ["target", str(scores), "--segments", str(segments), "--budget", "5"]
    args += ["--channel", "sms=0.05", "--holdout", "0", "--out", str(out), *extra]
    return runner.invoke(app, args)


def read_send_list(path: Path) -> pd.DataFrame:
    if path.suffix == ".xlsx":
        rows = list(openpyxl.load_workbook(path).active.values)
        return pd.DataFrame(rows[1:], columns=rows[0])
    return pd.read_csv(path, dtype={"customer_id": str})


def test_send_list_as_xlsx_holds_what_the_csv_holds_and_is_reproducible(runner, tmp_path) -> None:
    scores, segments = target_inputs(tmp_path)
    csv, xlsx = tmp_path / "send.csv", tmp_path / "send.xlsx"
    for out in (csv, xlsx):
        result = target(runner, scores, segments, out)
        assert result.exit_code == 0, result.output
    from_xlsx, from_csv = read_send_list(xlsx), read_send_list(csv)
    assert len(from_csv) > 10
    pd.testing.assert_frame_equal(from_xlsx, from_csv, check_dtype=False)
    first = xlsx.read_bytes()
    assert target(runner, scores, segments, xlsx).exit_code == 0
    assert xlsx.read_bytes() == first


def test_with_columns_joins_each_customers_attributes_as_text(runner, tmp_path) -> None:
    scores, segments = target_inputs(tmp_path)
    out = tmp_path / "send.xlsx"
    result = target(runner, scores, segments, out, "--with-columns", "phone,nickname")
    assert result.exit_code == 0, result.output
    sent = read_send_list(out)
    assert list(sent.columns[-2:]) == ["phone", "nickname"]
    number = sent["customer_id"].astype(int)
    assert (sent["phone"] == [f"+86 138{i:08d}" for i in number]).all()
    assert (sent["nickname"] == [f"买家{i}" for i in number]).all()


def test_with_columns_naming_an_absent_column_is_refused_before_writing(runner, tmp_path) -> None:
    scores, segments = target_inputs(tmp_path)
    out = tmp_path / "send.csv"
    message = one_error_line(target(runner, scores, segments, out, "--with-columns", "phone,email"))
    for word in ("segments.csv", "missing column 'email'", "--with-columns", "phone"):
        assert word in message
    assert not out.exists()


def test_with_columns_needs_segments(runner, tmp_path) -> None:
    scores, _ = target_inputs(tmp_path)
    args = ["target", str(scores), "--budget", "5", "--channel", "sms=0.05", "--holdout", "0"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "s.csv"), "--with-columns", "x"])
    assert "--segments" in one_error_line(result)


@pytest.mark.parametrize(
    ("yes", "no"), [("是", "否"), (" Yes", "no "), ("TRUE", "false"), ("y", "N"), ("1", "0")]
)
def test_opt_in_words_select_the_same_customers_as_1_and_0(runner, tmp_path, yes, no) -> None:
    send = []
    for name, words in (("num", ("1", "0")), ("words", (yes, no))):
        folder = tmp_path / name
        folder.mkdir()
        scores, segments = target_inputs(folder, opt_in=lambda f, w=words: np.where(f, *w))
        result = target(runner, scores, segments, folder / "send.csv")
        assert result.exit_code == 0, result.output
        send.append(read_send_list(folder / "send.csv"))
    pd.testing.assert_frame_equal(send[0], send[1])
    opted_in = pd.read_csv(tmp_path / "num" / "segments.csv", dtype={"customer_id": str})
    allowed = set(opted_in.loc[opted_in["sms_opt_in"] == 1, "customer_id"])
    assert set(send[1]["customer_id"]) <= allowed


def test_an_opt_in_value_that_is_not_yes_or_no_is_refused_listing_values(runner, tmp_path) -> None:
    def flags(values):
        words = np.where(values, "yes", "no").astype(object)
        words[:3] = ["maybe", "2", "maybe"]
        return words

    scores, segments = target_inputs(tmp_path, opt_in=flags)
    message = one_error_line(target(runner, scores, segments, tmp_path / "send.csv"))
    for word in ("segments.csv", "'sms_opt_in'", "'maybe'", "'2'", "是/否"):
        assert word in message
