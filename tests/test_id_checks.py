"""Ids a spreadsheet damaged (scientific notation, 16+ digit numbers) are refused with the fix,
from a CSV and from a workbook, before they merge customers."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from uplift_lab.cli import app
from uplift_lab.errors import InputError
from uplift_lab.id_checks import refuse_mangled_ids


@pytest.mark.parametrize(
    "values",
    [pa.array(["C1", "1.23457E+14", "C2"]), pa.array([1.0, 1.2345678901234568e17])],
)
def test_damaged_ids_are_refused(values) -> None:
    with pytest.raises(InputError, match="formatted as text"):
        refuse_mangled_ids(values, "customer_id", "o.csv")


@pytest.mark.parametrize(
    "values",
    [pa.array(["C1", "E123", "12E"]), pa.array([1.0, 99_999_999_999_999.0]), pd.Series(["1e"])],
)
def test_ordinary_ids_pass(values) -> None:
    refuse_mangled_ids(values, "customer_id", "o.csv")  # no error


def test_segment_refuses_scientific_ids_in_a_csv_and_long_numbers_in_a_workbook(
    runner, tmp_path
) -> None:
    csv = tmp_path / "o.csv"
    csv.write_text(
        "customer_id,order_time,amount\n1.23457E+14,2026-01-05,10\n1.23457E+14,2026-01-06,20\n"
    )
    frame = pd.DataFrame(
        {
            "customer_id": [123456789012345678, 123456789012345679],  # Excel keeps 15 digits
            "order_time": pd.to_datetime(["2026-01-05", "2026-01-06"]),
            "amount": [10.0, 20.0],
        }
    )
    frame.to_excel(tmp_path / "o.xlsx", index=False)
    for path, words in ((csv, "scientific notation"), (tmp_path / "o.xlsx", "16 or more digits")):
        out = tmp_path / "s.csv"
        args = ["segment", str(path), "--as-of", "2026-03-01", "--out", str(out)]
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and words in result.stderr, result.output
        assert "customer_id" in result.stderr and not out.exists()
