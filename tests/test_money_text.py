"""Money written as text: unambiguous columns read as the numbers written, others left alone
(refused by the caller); end to end, segment of a "$1,234.50" export equals the plain file's."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from uplift_lab.cli import app
from uplift_lab.money_text import comma_decimal_columns, money_from_text


def _read(values):
    return money_from_text(pa.chunked_array([pa.array(values, pa.string())]))


@pytest.mark.parametrize(
    ("text", "number"),
    [("$1,234.50", 1234.5), ("¥35.50", 35.5), ("35.50元", 35.5), ("US$ 5", 5.0),
     ("1,234,567.10", 1234567.1), ("€12", 12.0), ("$-5.25", -5.25), ("42", 42.0)],
)  # fmt: skip
def test_an_unambiguous_amount_reads_as_the_number_written(text, number) -> None:
    assert _read([text, None]).to_pylist() == [number, None]


@pytest.mark.parametrize("text", ["35,50", "12,34", "1.234,50", "5 USD 6", "abc", "$", "1,2345"])
def test_an_ambiguous_or_foreign_value_leaves_the_column_unread(text) -> None:
    assert _read(["$10.00", text]) is None


def test_segment_of_money_text_equals_the_plain_file(runner, tmp_path) -> None:
    plain = pd.DataFrame(
        {
            "customer_id": ["a", "b", "a", "c"],
            "order_time": ["2026-01-05", "2026-02-05", "2026-03-01", "2026-04-01"],
            "amount": [1234.5, 35.0, 12.0, 2000000.0],
        }
    )
    plain.to_csv(tmp_path / "plain.csv", index=False)
    text = plain.assign(amount=["$1,234.50", "$35.00", "$12", "$2,000,000.00"])
    text.to_csv(tmp_path / "text.csv", index=False)
    args = ["segment", "--as-of", "2026-06-01", "--thresholds", "fixed"]
    for name in ("plain", "text"):
        result = runner.invoke(app, [*args, str(tmp_path / f"{name}.csv"), "--out",
                                     str(tmp_path / f"{name}.parquet")])  # fmt: skip
        assert result.exit_code == 0, result.output
    said = [line for line in result.stderr.splitlines() if "money written as text" in line]
    assert len(said) == 1 and "'$1,234.50'" in said[0]
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "text.parquet"), pd.read_parquet(tmp_path / "plain.parquet")
    )


def test_a_decimal_comma_in_a_comma_file_is_still_refused(runner, tmp_path) -> None:
    (tmp_path / "o.csv").write_text(
        'customer_id,order_time,amount\na,2026-01-05,"35,50"\nb,2026-01-06,"12,00"\n'
    )
    result = runner.invoke(app, ["segment", str(tmp_path / "o.csv"), "--as-of", "2026-06-01",
                                 "--out", str(tmp_path / "s.csv")])  # fmt: skip
    assert result.exit_code == 2 and "'35,50'" in result.stderr
    assert not (tmp_path / "s.csv").exists()


def test_comma_decimal_amounts_with_thousands_dots_or_a_currency_read_as_written() -> None:
    table = pa.table(
        {
            "amount": ["1.042,10", "296,79 €", None, "€ 3,5", "12"],
            "date": ["01.09.2024", "02.09.2024", None, "03.09.2024", "04.09.2024"],
            "plain": ["12", "13", None, "14", "15"],  # nothing for Arrow to have missed
            "id": ["1.234", "2.345", None, "3.456", "4.567"],  # named as text: never a number
        }
    )
    read, dots_only = comma_decimal_columns(table, keep_text=["id"])
    assert read.column("amount").to_pylist() == [1042.10, 296.79, None, 3.5, 12.0]
    for name in ("date", "plain", "id"):
        assert read.column(name).equals(table.column(name)), name
    assert dots_only == []  # the amounts had decimal commas: nothing to note


def test_thousands_dots_without_a_decimal_comma_read_as_thousands_and_are_named() -> None:
    table = pa.table({"amount": ["1.042", "250", "2.500"], "later": ["12,5", "3", "1,250"]})
    read, dots_only = comma_decimal_columns(table)
    assert read.column("amount").to_pylist() == [1042.0, 250.0, 2500.0]
    assert dots_only == [("amount", "1.042")]
    # where the first lines showed decimal points, only a sure decimal comma ("12,5") converts
    read, _ = comma_decimal_columns(table, decimal_comma_seen=False)
    assert read.column("later").to_pylist() == [12.5, 3.0, 1.25]
    assert read.column("amount").equals(table.column("amount"))


def test_a_semicolon_export_with_thousands_dots_segments_as_the_plain_file(runner, tmp_path):
    """The German ERP layout (semicolons, 1.042,10, dates 01.09.2024) equals the plain file."""
    plain = pd.DataFrame(
        {
            "customer_id": ["a", "b", "a", "c"],
            "order_time": ["2026-01-05", "2026-02-05", "2026-03-01", "2026-04-01"],
            "amount": [1042.1, 35.5, 12.0, 2000000.0],
            "refund": [1042.1, 0.0, 0.0, 0.5],
        }
    )
    plain.to_csv(tmp_path / "plain.csv", index=False)
    (tmp_path / "eu.csv").write_text(
        "customer_id;order_time;amount;refund\n"
        "a;05.01.2026;1.042,10 €;1.042,10\nb;05.02.2026;35,50 €;0,00\n"
        "a;01.03.2026;12,00 €;0,00\nc;01.04.2026;2.000.000,00 €;0,50\n",
        encoding="utf-8",
    )
    args = ["segment", "--as-of", "2026-06-01", "--thresholds", "fixed", "--refund-col", "refund"]
    for name, extra in (("plain", []), ("eu", ["--date-format", "%d.%m.%Y"])):
        out = str(tmp_path / f"{name}.parquet")
        result = runner.invoke(app, [*args, str(tmp_path / f"{name}.csv"), *extra, "--out", out])
        assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "eu.parquet"), pd.read_parquet(tmp_path / "plain.parquet")
    )


@pytest.mark.parametrize(
    ("lines", "column_map", "monetary"),
    [
        # whole amounts with thousands dots only: 1.042 is 1042 where a semicolon separates
        (["a;2026-01-05;1.042", "b;2026-02-05;250"], None, [1042.0, 250.0]),
        # a sure decimal comma past the first lines the layout looks at still reads
        ([*["b;2026-02-05;250"] * 45, "a;2026-01-05;12,5"], None, [12.5, 250.0 * 45]),
        # the map says the dots are decimal points
        (["a;2026-01-05;1.042", "b;2026-02-05;250"], 'decimal = "."', [1.042, 250.0]),
    ],
)
def test_semicolon_amounts_read_by_their_decimal_mark(
    runner, tmp_path, lines, column_map, monetary
):
    (tmp_path / "o.csv").write_text("customer_id;order_time;amount\n" + "\n".join(lines) + "\n")
    args = ["segment", str(tmp_path / "o.csv"), "--as-of", "2026-06-01", "--thresholds", "fixed"]
    if column_map:
        (tmp_path / "map.toml").write_text(f"[orders]\n{column_map}\n")
        args += ["--columns", str(tmp_path / "map.toml")]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "s.csv")])
    assert result.exit_code == 0, result.output
    read = pd.read_csv(tmp_path / "s.csv").set_index("customer_id")["monetary"]
    assert read.loc[["a", "b"]].tolist() == pytest.approx(monetary)
    assert ("thousands separators" in result.stderr) == (monetary[0] == 1042.0)


def test_a_decimal_key_other_than_a_point_or_comma_is_refused(runner, tmp_path):
    (tmp_path / "o.csv").write_text("customer_id;order_time;amount\na;2026-01-05;1.042\n")
    (tmp_path / "map.toml").write_text('[orders]\ndecimal = "dot"\n')
    args = ["segment", str(tmp_path / "o.csv"), "--as-of", "2026-06-01"]
    args += ["--columns", str(tmp_path / "map.toml"), "--out", str(tmp_path / "s.csv")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and 'decimal must be "." or ","' in result.stderr
