"""`uplift-lab segment` end to end: outputs, UTF-8 vs GBK, and every bad input exits 2 with a
one-line message naming the file and column, leaving no output file behind."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from uplift_lab.cli import app

DATA = Path(__file__).resolve().parents[1] / "data"
CHINESE_COLUMNS = ["--customer-col", "用户ID", "--time-col", "下单时间", "--amount-col", "金额"]
GOOD_ORDERS = (
    "customer_id,order_time,amount\n"
    "A1,2026-06-20,10\n"
    "A1,2026-06-25 12:00:00,20\n"
    "B2,2026-01-05,7.5\n"
)


def run(runner, args: list[str]):
    return runner.invoke(app, ["segment", *map(str, args)])


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def assert_input_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    message = result.stderr.strip()
    assert message.startswith("error:") and "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_segment_writes_parquet_and_prints_the_summary(runner, tmp_path) -> None:
    out = tmp_path / "segments.parquet"
    result = run(
        runner,
        [
            DATA / "seg_orders_utf8.csv",
            "--customers",
            DATA / "seg_customers_utf8.csv",
            "--events",
            DATA / "seg_events.csv",
            *CHINESE_COLUMNS,
            "--as-of",
            "2026-07-01",
            "--thresholds",
            "fixed",
            "--out",
            out,
        ],
    )
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out).set_index("customer_id")
    assert table["lifecycle"].to_dict() == {
        "U001": "active",
        "U002": "new",
        "U003": "semi_active",
        "U004": "churned",
        "U005": "active",  # its order on 2026-07-02 is after --as-of
        "U006": "churned",
        "U007": "potential",
        "U008": "silent",
        "U009": "potential",  # known from events only
    }
    assert table.loc["U001", "地区"] == "北京"
    assert table.loc["U003", "days_since_last_event"] == 6
    for text in ("Lifecycle stages (9 customers)", "semi_active", "重要价值客户", "Wrote 9"):
        assert text in result.stdout


def test_utf8_and_gbk_order_logs_give_identical_output_files(runner, tmp_path) -> None:
    outputs = []
    for encoding in ("utf8", "gbk"):
        out = tmp_path / f"segments_{encoding}.csv"
        result = run(
            runner,
            [
                DATA / f"seg_orders_{encoding}.csv",
                "--customers",
                DATA / f"seg_customers_{encoding}.csv",
                *CHINESE_COLUMNS,
                "--as-of",
                "2026-07-01",
                "--out",
                out,
            ],
        )
        assert result.exit_code == 0, result.output
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert "上海" in outputs[0].decode("utf-8")


def test_explicit_gbk_encoding_reads_the_gbk_file(runner, tmp_path) -> None:
    out = tmp_path / "s.csv"
    args = [DATA / "seg_orders_gbk.csv", *CHINESE_COLUMNS, "--encoding", "gbk"]
    result = run(runner, [*args, "--as-of", "2026-07-01", "--out", out])
    assert result.exit_code == 0, result.output
    assert out.exists()


def test_json_summary_is_machine_readable(runner, tmp_path) -> None:
    orders = write(tmp_path, "orders.csv", GOOD_ORDERS)
    out = tmp_path / "s.csv"
    args = [orders, "--as-of", "2026-07-01", "--thresholds", "fixed", "--out", out, "--json"]
    result = run(runner, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    stages = {row["lifecycle"]: row["customers"] for row in summary["lifecycle"]}
    assert stages == {
        "potential": 0,
        "new": 0,
        "active": 1,
        "semi_active": 0,
        "silent": 1,
        "churned": 0,
    }
    assert summary["thresholds"]["silent_days"] == 90 and summary["customers"] == 2
    assert summary["output"] == str(out)


def test_auto_thresholds_and_day_options_from_the_cli(runner, tmp_path) -> None:
    orders = write(tmp_path, "orders.csv", GOOD_ORDERS)
    out = tmp_path / "s.csv"
    days = ["--silent-days", "177", "--churn-days", "200"]  # B2's last order: 177 days back
    result = run(runner, [orders, "--as-of", "2026-07-01", "--out", out, *days])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["lifecycle"].tolist() == ["active", "semi_active"]
    result = run(runner, [orders, "--as-of", "2026-07-01", "--out", out, "--thresholds", "auto"])
    assert result.exit_code == 0, result.output
    assert "(auto, purchase cycle 5.0 d)" in result.stdout


def test_existing_output_is_replaced_on_success_and_kept_on_failure(runner, tmp_path) -> None:
    orders = write(tmp_path, "orders.csv", GOOD_ORDERS)
    out = tmp_path / "s.csv"
    out.write_text("old\n")
    assert run(runner, [orders, "--as-of", "2026-07-01", "--out", out]).exit_code == 0
    written = out.read_bytes()
    assert written.startswith(b"customer_id,")
    bad = write(tmp_path, "bad.csv", GOOD_ORDERS.replace(",10\n", ",-10\n"))
    assert_input_error(run(runner, [bad, "--as-of", "2026-07-01", "--out", out]), "negative")
    assert out.read_bytes() == written
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


BAD_ORDER_FILES = {
    "missing-amount-column": (
        "customer_id,order_time\nA1,2026-06-20\n",
        [],
        ["orders.csv", "missing column 'amount'", "--amount-col"],
    ),
    "misnamed-mapped-column": (
        GOOD_ORDERS,
        ["--amount-col", "price"],
        ["orders.csv", "missing column 'price'", "The file has: customer_id, order_time, amount"],
    ),
    "text-in-amount": (
        GOOD_ORDERS.replace(",20\n", ",about 20\n"),  # "¥20" reads as 20 (test_money_text)
        [],
        ["orders.csv", "column 'amount' must be numeric", "about 20"],
    ),
    "not-a-date": (
        GOOD_ORDERS.replace("2026-01-05", "yesterday"),
        [],
        ["orders.csv", "column 'order_time'", "not dates", "yesterday"],
    ),
    "empty-customer-id": (
        GOOD_ORDERS.replace("B2,", ","),
        [],
        ["orders.csv", "column 'customer_id'", "1 empty id(s)", "data row 3"],
    ),
    "negative-amount": (
        GOOD_ORDERS.replace(",7.5\n", ",-7.5\n"),
        [],
        ["orders.csv", "column 'amount'", "1 negative value(s), e.g. -7.5"],
    ),
    "missing-amount": (
        GOOD_ORDERS.replace(",7.5\n", ",\n"),
        [],
        ["orders.csv", "column 'amount' has 1 missing value(s)"],
    ),
    "duplicate-order-id": (
        "order_id,customer_id,order_time,amount\n1,A,2026-06-01,1\n1,B,2026-06-02,2\n",
        [],
        ["orders.csv", "column 'order_id' has 1 duplicate id(s), e.g. '1'"],
    ),
    "header-only": ("customer_id,order_time,amount\n", [], ["orders.csv", "has no orders"]),
    "empty-file": ("", [], ["orders.csv", "file is empty"]),
    "all-orders-after-as-of": (
        "customer_id,order_time,amount\nA,2026-08-01,1\n",
        [],
        ["orders.csv", "no orders before --as-of 2026-07-01", "2026-08-01"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_ORDER_FILES), ids=list(BAD_ORDER_FILES))
def test_bad_order_file_exits_2_naming_file_and_column_and_writes_nothing(
    runner, tmp_path, case: str
) -> None:
    text, options, fragments = BAD_ORDER_FILES[case]
    orders = write(tmp_path, "orders.csv", text)
    out = tmp_path / "out" / "segments.parquet"
    result = run(runner, [orders, *options, "--as-of", "2026-07-01", "--out", out])
    assert_input_error(result, *fragments)
    assert not out.exists()
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


def test_gbk_file_read_as_utf8_exits_2_with_the_encoding_fix(runner, tmp_path) -> None:
    out = tmp_path / "s.parquet"
    args = [DATA / "seg_orders_gbk.csv", *CHINESE_COLUMNS, "--encoding", "utf-8"]
    result = run(runner, [*args, "--as-of", "2026-07-01", "--out", out])
    assert_input_error(result, "seg_orders_gbk.csv", "not valid utf-8", "--encoding gbk")
    assert not out.exists()


def test_bad_customer_and_event_files_exit_2(runner, tmp_path) -> None:
    orders = write(tmp_path, "orders.csv", GOOD_ORDERS)
    out = tmp_path / "s.csv"
    customers = write(tmp_path, "customers.csv", "customer_id,age\nA1,3\nA1,4\n")
    result = run(runner, [orders, "--customers", customers, "--as-of", "2026-07-01", "--out", out])
    assert_input_error(result, "customers.csv", "column 'customer_id' has 1 duplicate id(s)")
    events = write(tmp_path, "events.csv", "customer_id,event_time,event_type\nA1,2026-06-01,buy\n")
    result = run(runner, [orders, "--events", events, "--as-of", "2026-07-01", "--out", out])
    assert_input_error(result, "events.csv", "column 'event_type'", "buy", "visit")
    assert not out.exists()


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["--as-of", "someday"], "--as-of: 'someday' is not an ISO date"),
        (["--as-of", "2026-07-01", "--bands", "10,x"], "--bands must be numbers"),
        (["--as-of", "2026-07-01", "--bands", "20,10"], "--bands: must be increasing"),
        (["--as-of", "2026-07-01", "--churn-days", "60"], "--churn-days: must exceed"),
        (
            ["--as-of", "2026-07-01", "--thresholds", "auto", "--silent-days", "30"],
            "--silent-days cannot be combined with --thresholds auto",
        ),
        (["--as-of", "2026-07-01", "--encoding", "klingon"], "unknown encoding 'klingon'"),
    ],
    ids=["as-of", "bands-text", "bands-order", "churn-days", "auto-with-days", "encoding"],
)
def test_bad_options_exit_2(runner, tmp_path, options: list[str], fragment: str) -> None:
    orders = write(tmp_path, "orders.csv", GOOD_ORDERS)
    out = tmp_path / "s.csv"
    assert_input_error(run(runner, [orders, *options, "--out", out]), fragment)
    assert not out.exists()


def test_unknown_output_extension_and_overwriting_the_input_are_refused(runner, tmp_path) -> None:
    orders = write(tmp_path, "orders.csv", GOOD_ORDERS)
    result = run(runner, [orders, "--as-of", "2026-07-01", "--out", tmp_path / "s.json"])
    assert_input_error(result, "s.json", "unknown file type '.json'")
    result = run(runner, [orders, "--as-of", "2026-07-01", "--out", tmp_path / "s.xls"])
    assert_input_error(result, "s.xls", "legacy .xls cannot be written", ".xlsx")
    result = run(runner, [orders, "--as-of", "2026-07-01", "--out", orders])
    assert_input_error(result, "--out is one of the input files")
    assert orders.read_text() == GOOD_ORDERS


def test_help_documents_the_lifecycle_rules(runner) -> None:
    result = runner.invoke(app, ["segment", "--help"], terminal_width=200)
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for rule in (
        "churned = R > churn-days",
        "silent = silent-days < R <= churn-days",
        "new = n = 1 and R <= active-days",
        "--thresholds auto",
    ):
        assert rule in text, rule


def test_synthetic_shop_in_gbk_gives_the_same_segments(runner, tmp_path) -> None:
    synth = pytest.importorskip("uplift_lab.synth")
    from uplift_lab.workflows.synth import write_shop

    shop = synth.generate_shop(n_customers=1500, seed=1)
    files = write_shop(shop, tmp_path / "shop")
    gbk_orders = tmp_path / "orders_gbk.csv"
    gbk_orders.write_bytes(Path(files["orders.csv"]).read_text(encoding="utf-8").encode("gbk"))
    outputs = []
    for orders in (files["orders.csv"], gbk_orders):
        out = tmp_path / f"{Path(orders).stem}.parquet"
        args = [orders, "--customers", files["customers.csv"], "--events", files["events.csv"]]
        result = run(runner, [*args, "--as-of", shop.as_of.date(), "--out", out])
        assert result.exit_code == 0, result.output
        outputs.append(pd.read_parquet(out))
    pd.testing.assert_frame_equal(outputs[0], outputs[1])
    assert set(outputs[0]["lifecycle"]) == {
        "potential",
        "new",
        "active",
        "semi_active",
        "silent",
        "churned",
    }


def test_integer_ids_in_parquet_join_text_ids_in_csv(runner, tmp_path) -> None:
    orders = tmp_path / "orders.parquet"
    pd.DataFrame(
        {
            "customer_id": [17, 17, 3],
            "order_time": pd.to_datetime(["2026-06-01", "2026-06-10", "2026-01-01"]),
            "amount": [1.0, 2.0, 3.0],
        }
    ).to_parquet(orders)
    customers = write(tmp_path, "customers.csv", "customer_id,age\n17,30\n3,40\n99,50\n")
    out = tmp_path / "s.parquet"
    args = [orders, "--customers", customers, "--as-of", "2026-07-01", "--out", out]
    assert run(runner, [*args, "--thresholds", "fixed"]).exit_code == 0
    table = pd.read_parquet(out)
    assert table["customer_id"].tolist() == ["17", "3", "99"]
    assert table["age"].tolist() == [30, 40, 50]
    assert table["lifecycle"].tolist() == ["active", "churned", "potential"]


def test_same_inputs_give_byte_identical_output(runner, tmp_path) -> None:
    outputs = []
    for name in ("first.parquet", "second.parquet"):
        out = tmp_path / name
        args = [DATA / "seg_orders_utf8.csv", *CHINESE_COLUMNS, "--as-of", "2026-07-01"]
        assert run(runner, [*args, "--out", out]).exit_code == 0
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def repeat_buyer_orders(n_customers: int) -> str:
    """``n_customers`` repeat buyers: three orders about 20 days apart, two categories."""
    lines = ["customer_id,order_time,amount,product_line"]
    for i in range(n_customers):
        for k in range(3):
            day = pd.Timestamp("2026-06-28") - pd.Timedelta(days=20 * k + i % 9)
            lines.append(f"C{i:04d},{day.date()},10,{'food' if i % 3 else 'toys'}")
    return "\n".join(lines) + "\n"


def test_cycle_is_the_default_and_writes_the_cycle_columns(runner, tmp_path) -> None:
    orders = write(tmp_path, "orders.csv", repeat_buyer_orders(210))
    out = tmp_path / "s.parquet"
    args = [orders, "--as-of", "2026-07-01", "--category-col", "product_line", "--json"]
    result = run(runner, [*args, "--out", out])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["thresholds"]["source"] == "cycle"
    assert summary["thresholds"]["cycle_cutoffs"] == [1.5, 3.0, 6.0]
    assert set(summary["cycle_priors"]["categories"]) == {"food", "toys"}
    table = pd.read_parquet(out)
    for column in ("expected_gap_days", "overdue_ratio", "main_category", "categories_bought"):
        assert column in table.columns, column
    assert set(table["main_category"]) == {"food", "toys"}


def test_cycle_cutoffs_option_moves_the_stage_boundaries(runner, tmp_path) -> None:
    orders = write(tmp_path, "orders.csv", repeat_buyer_orders(210))
    stages = []
    for cutoffs in ("1.5,3,6", "0.01,0.02,0.03"):
        out = tmp_path / "s.csv"
        args = [orders, "--as-of", "2026-07-01", "--cycle-cutoffs", cutoffs, "--out", out]
        assert run(runner, args).exit_code == 0
        stages.append(pd.read_csv(out))
    ratio = stages[1]["overdue_ratio"]
    expected = np.select([ratio > 0.03, ratio > 0.02, ratio > 0.01], ["churned", "silent",
                         "semi_active"], "active")  # fmt: skip
    assert (stages[1]["lifecycle"] == expected).all()
    assert not stages[0]["lifecycle"].equals(stages[1]["lifecycle"])


def test_few_repeat_buyers_fall_back_to_day_rules_with_a_notice(runner, tmp_path) -> None:
    orders = write(tmp_path, "orders.csv", repeat_buyer_orders(50))
    out = tmp_path / "s.csv"
    result = run(runner, [orders, "--as-of", "2026-07-01", "--out", out, "--json"])
    assert result.exit_code == 0, result.output
    assert "warning:" in result.stderr and "only 50 customers" in result.stderr
    assert json.loads(result.stdout)["thresholds"]["source"] == "fixed"
    quiet = run(runner, [orders, "--as-of", "2026-07-01", "--out", out, "--thresholds", "fixed"])
    assert quiet.exit_code == 0 and "warning" not in quiet.stderr


def test_day_options_imply_fixed_thresholds(runner, tmp_path) -> None:
    orders = write(tmp_path, "orders.csv", repeat_buyer_orders(210))
    out = tmp_path / "s.csv"
    args = [orders, "--as-of", "2026-07-01", "--out", out, "--churn-days", "200", "--json"]
    result = run(runner, args)
    assert result.exit_code == 0, result.output
    thresholds = json.loads(result.stdout)["thresholds"]
    assert thresholds["source"] == "fixed" and thresholds["churn_days"] == 200
    assert "warning" not in result.stderr


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["--thresholds", "cycle", "--active-days", "20"], "cannot be combined with --thresholds"),
        (["--cycle-cutoffs", "1.5,x,6"], "--cycle-cutoffs must be three numbers"),
        (["--cycle-cutoffs", "3,1.5,6"], "--cycle-cutoffs: must be three increasing"),
        (
            ["--category-col", "department"],
            "missing column 'department'. The file has: customer_id, order_time, amount. "
            "Map it with --category-col",
        ),
    ],
    ids=["cycle-with-days", "cutoffs-text", "cutoffs-order", "missing-category-col"],
)
def test_bad_cycle_options_exit_2(runner, tmp_path, options: list[str], fragment: str) -> None:
    orders = write(tmp_path, "orders.csv", GOOD_ORDERS)
    out = tmp_path / "s.csv"
    result = run(runner, [orders, "--as-of", "2026-07-01", *options, "--out", out])
    assert_input_error(result, fragment)
    assert not out.exists()


def test_help_documents_the_cycle_rules(runner) -> None:
    result = runner.invoke(app, ["segment", "--help"], terminal_width=200)
    text = " ".join(result.output.split())
    for rule in ("--thresholds cycle (default", "churned = R/G > 6", "semi_active = R/G > 1.5"):
        assert rule in text, rule


# --- --tags and the built-in tags -----------------------------------------------------------------

TAG_RULES = """\
big = "aov >= 10"
tier = "CASE WHEN monetary >= 30 THEN 'top' ELSE 'rest' END"
"""


def test_tags_file_adds_one_column_per_rule_equal_to_pandas(runner, tmp_path) -> None:
    orders = write(tmp_path, "orders.csv", GOOD_ORDERS)
    tags = write(tmp_path, "tags.toml", TAG_RULES)
    out = tmp_path / "segments.parquet"
    args = [orders, "--as-of", "2026-07-01", "--thresholds", "fixed", "--tags", tags]
    result = run(runner, [*args, "--out", out])
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out)
    assert list(table.columns[-5:]) == [
        "consumption_level",
        "purchase_activity",
        "loyalty",
        "big",
        "tier",
    ]
    assert table["big"].tolist() == (table["aov"] >= 10).tolist()
    assert table["tier"].tolist() == np.where(table["monetary"] >= 30, "top", "rest").tolist()
    assert table["purchase_activity"].tolist() == ["2-3", "1"]


@pytest.mark.parametrize(
    ("rules", "fragment"),
    [
        ('big = "aov >"', "rule 'big' = \"aov >\": Parser Error"),
        ('big = "spend > 1"', "rule 'big' = \"spend > 1\": Binder Error"),
        ('lifecycle = "aov > 1"', "rule 'lifecycle': the segment table already has"),
        ('"two words" = "aov > 1"', "rule 'two words': a tag name must be"),
        ("big = 3", "rule 'big' is not a SQL expression in quotes"),
        ("big = ", "not valid TOML"),
    ],
)
def test_bad_tag_rules_exit_2_naming_file_and_rule_and_write_nothing(
    runner, tmp_path, rules: str, fragment: str
) -> None:
    orders = write(tmp_path, "orders.csv", GOOD_ORDERS)
    tags = write(tmp_path, "tags.toml", rules + "\n")
    out = tmp_path / "segments.parquet"
    result = run(runner, [orders, "--as-of", "2026-07-01", "--tags", tags, "--out", out])
    assert_input_error(result, str(tags), fragment)
    assert not out.exists()


def test_consumption_cutoffs_option(runner, tmp_path) -> None:
    orders = write(tmp_path, "orders.csv", GOOD_ORDERS)
    out = tmp_path / "segments.csv"
    args = [orders, "--as-of", "2026-07-01", "--consumption-cutoffs", "10,15", "--out", out]
    assert run(runner, args).exit_code == 0
    assert pd.read_csv(out)["consumption_level"].tolist() == ["high", "low"]  # AOV 15, 7.5
    bad = run(runner, [*args[:-2], "--consumption-cutoffs", "ten", "--out", out])
    assert_input_error(bad, "--consumption-cutoffs must be 'terciles' or two amounts")


def test_json_summary_lists_the_tags_and_their_counts(runner, tmp_path) -> None:
    orders = write(tmp_path, "orders.csv", GOOD_ORDERS)
    tags = write(tmp_path, "tags.toml", TAG_RULES)
    out = tmp_path / "segments.csv"
    args = [orders, "--as-of", "2026-07-01", "--tags", tags, "--out", out, "--json"]
    result = run(runner, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["tag_columns"] == [
        "consumption_level",
        "purchase_activity",
        "loyalty",
        "big",
        "tier",
    ]
    big = {row["value"]: row["customers"] for row in summary["tags"] if row["tag"] == "big"}
    assert big == {"True": 1, "False": 1}  # AOV 15 and 7.5


def test_contact_columns_of_the_customer_table_stay_text(runner, tmp_path) -> None:
    """A phone number keeps its leading 0 or +86 (read as a number it would not)."""
    customers = tmp_path / "customers.csv"
    customers.write_text("customer_id,phone,手机号,age\nA,01380000000,+8613800000000,30\n"
                         "B,013900000001,013911112222,41\n", encoding="utf-8")  # fmt: skip
    orders = tmp_path / "orders.csv"
    orders.write_text("customer_id,order_time,amount\nA,2026-01-01,10\nB,2026-02-01,5\n")
    out = tmp_path / "segments.parquet"
    args = ["segment", str(orders), "--customers", str(customers), "--as-of", "2026-06-01",
            "--thresholds", "fixed", "--out", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out).set_index("customer_id")
    assert table["phone"].to_dict() == {"A": "01380000000", "B": "013900000001"}
    assert table["手机号"].to_dict() == {"A": "+8613800000000", "B": "013911112222"}
    assert table["age"].dtype.kind in "if"  # other attributes keep their types


def test_without_as_of_it_segments_as_of_the_day_after_the_latest_order(runner, tmp_path) -> None:
    """An export segmented without --as-of equals the same export with --as-of the midnight
    after its latest counted order (so every order counts), and a note says which date."""
    orders = write(tmp_path, "orders.csv", GOOD_ORDERS)
    implied, explicit = tmp_path / "implied.parquet", tmp_path / "explicit.parquet"
    result = run(runner, [orders, "--thresholds", "fixed", "--out", implied])
    assert result.exit_code == 0, result.output
    assert "2026-06-26" in result.output and "2026-06-25 12:00" in result.output
    args = [orders, "--thresholds", "fixed", "--as-of", "2026-06-26", "--out", explicit]
    assert run(runner, args).exit_code == 0
    assert implied.read_bytes() == explicit.read_bytes()
    table = pd.read_parquet(implied).set_index("customer_id")
    assert table.loc["A1", "recency_days"] == 1  # calendar days: its order on the 25th
    assert table.loc["B2", "frequency"] == 1


def test_without_as_of_an_export_of_only_closed_orders_is_refused(runner, tmp_path) -> None:
    text = "customer_id,order_time,amount,status\nA1,2026-06-20,10,closed\n"
    orders = write(tmp_path, "orders.csv", text)
    out = tmp_path / "s.parquet"
    args = [orders, "--status-col", "status", "--paid-status", "paid", "--out", out]
    result = run(runner, args)
    warning, error = result.stderr.strip().splitlines()  # the warning says why: no 'paid' row
    assert "--paid-status 'paid' matches no row" in warning and "'closed'" in warning
    assert result.exit_code == 2 and error.startswith("error:") and "has no orders" in error
    assert not out.exists()


def test_statuses_compare_without_case_and_a_misspelled_one_is_named(runner, tmp_path) -> None:
    text = (
        "customer_id,order_time,amount,status\nA,2026-01-05,100,paid\nA,2026-02-05,30,Paid\n"
        "B,2026-02-07,50,PAID \nC,2026-02-08,20,cancelled\n"
    )
    orders = write(tmp_path, "orders.csv", text)
    out = tmp_path / "s.csv"
    args = [orders, "--as-of", "2026-03-01", "--status-col", "status", "--out", out]
    result = run(runner, [*args, "--paid-status", "paid"])
    assert result.exit_code == 0, result.output
    counted = pd.read_csv(out).set_index("customer_id")["n_orders_total"]
    assert counted.to_dict() == {"A": 2, "B": 1}  # 'Paid' and 'PAID ' are 'paid'
    result = run(runner, [*args, "--exclude-status", "canceled"])
    assert result.exit_code == 0
    assert "--exclude-status 'canceled' matches no row" in result.stderr
    assert "'cancelled'" in result.stderr


def test_cli_status_flags_complete_a_column_map_that_maps_the_status(runner, tmp_path) -> None:
    text = "会员,时间,实付,状态\nA,2026-01-05,100,已完成\nB,2026-02-07,50,已取消\n"
    orders = write(tmp_path, "orders.csv", text)
    column_map = write(
        tmp_path,
        "map.toml",
        '[orders.columns]\n"会员" = "customer_id"\n"时间" = "order_time"\n"实付" = "amount"\n'
        '"状态" = "status"\n',
    )
    out = tmp_path / "s.csv"
    args = [orders, "--columns", column_map, "--exclude-status", "已取消", "--as-of", "2026-03-01"]
    result = run(runner, [*args, "--out", out])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["customer_id"].tolist() == ["A"]


def test_segment_warns_where_the_inputs_cannot_be_what_was_meant(runner, tmp_path) -> None:
    orders = write(
        tmp_path,
        "orders.csv",
        "customer_id,order_time,amount\n00123,2026-01-05,80\n00123,2026-02-05,-100\n"
        "00124,2026-02-07,50\n",
    )
    customers = write(tmp_path, "customers.csv", "customer_id,city\n123,a\n124,b\n")
    out = tmp_path / "s.csv"
    base = [orders, "--refund-rows", "--thresholds", "fixed", "--out", out]
    result = run(runner, [*base, "--as-of", "2026-03-01", "--customers", customers])
    assert result.exit_code == 0, result.output
    assert "none of the customer table's 2 ids is one of the 2 buyers'" in result.stderr
    assert "1 customer(s) have a negative monetary value" in result.stderr
    assert pd.read_csv(out, dtype={"customer_id": str}).set_index("customer_id").loc[
        "00123", "monetary"
    ] == pytest.approx(-20.0)
    result = run(runner, [*base, "--as-of", "2031-03-01"])
    assert result.exit_code == 0 and "days before the as-of date" in result.stderr
    result = run(runner, [*base, "--as-of", "2026-03-01"])  # nothing wrong to say about dates
    assert "days before the as-of date" not in result.stderr
