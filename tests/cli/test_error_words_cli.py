"""Library errors that name parameters reach the CLI user with the flags that set them.

The library says ``'status_col'`` / ``status_col=COLUMN``; the CLI renders the same template with
``--status-col`` / ``--status-col COLUMN`` (one ``error:`` line, exit 2). One command per module
family: order rules and column maps, design, campaign import, analyze inputs, dates, tags,
schedule, io and the past campaign of target.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.cli.test_target_cli import target_args, write_inputs
from tests.test_schedule import TOUCHES_TOML, write_files
from uplift_lab.cli import app

DATA = Path(__file__).resolve().parents[1] / "data"
ORDERS = DATA / "seg_orders_utf8.csv"  # 用户ID, 下单时间, 金额, 品类
CUSTOMERS = DATA / "design_customers.csv"


def error_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert result.exit_code == 2 and len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


def segment(runner, tmp_path, *args):
    argv = ["segment", str(ORDERS), "--as-of", "2026-07-01", "--out", str(tmp_path / "s.parquet")]
    return runner.invoke(app, [*argv, *map(str, args)])


def test_order_rules_and_a_missing_column_name_the_order_flags(runner, tmp_path) -> None:
    line = error_line(segment(runner, tmp_path, "--status-col", "品类"))
    assert line.endswith("--status-col 品类 needs --paid-status VALUE (repeatable) or "
                         "--exclude-status VALUE")  # fmt: skip
    line = error_line(segment(runner, tmp_path))
    assert "missing column 'customer_id'" in line
    assert line.endswith("Map it with --customer-col NAME, a --preset or --columns map.toml")
    line = error_line(segment(runner, tmp_path, "--preset", "tmall"))
    assert line.startswith("error: --preset: unknown preset 'tmall'")
    assert line.endswith("or a --columns map.toml")


def test_an_ambiguous_date_column_names_the_date_flags(runner, tmp_path) -> None:
    path = tmp_path / "orders.csv"
    frame = pd.DataFrame({"customer_id": ["A", "B"], "order_time": ["05/03/2026", "01/02/2026"]})
    frame.assign(amount=[10.0, 20.0]).to_csv(path, index=False)
    argv = ["segment", str(path), "--as-of", "2026-07-01", "--out", str(tmp_path / "s.parquet")]
    line = error_line(runner.invoke(app, argv))
    assert line.endswith("Pass --dayfirst or --monthfirst (or --date-format) to say which")


def test_design_refusals_name_the_design_flags(runner, tmp_path) -> None:
    argv = ["design", str(CUSTOMERS), "--name", "x", "--out", str(tmp_path / "exp")]
    for extra, said in (
        (["--covariates", "nope"], "unknown column 'nope' in --covariates"),
        (["--baseline-col", "nope"], "unknown column 'nope' in --baseline-col"),
        (["--holdout", "vip=0.3"], "--holdout stratum 'vip' matches no stratum"),
        (["--baseline", "vip=0.05"], "--baseline stratum 'vip' matches no stratum"),
        (["--strata", "region"], "Pass --strata with columns of the file (or --strata none)"),
    ):
        assert said in error_line(runner.invoke(app, [*argv, *extra]))
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("x")
    line = error_line(runner.invoke(app, [*argv[:4], "--out", str(full)]))
    assert line.endswith("Use --force to replace it, or another --out")


def test_import_campaign_names_the_column_flags(runner, tmp_path) -> None:
    path = tmp_path / "campaign.csv"
    pd.DataFrame({"customer_id": ["a", "b"], "arm": ["control", "sms"]}).to_csv(path, index=False)
    argv = ["import-campaign", str(path), "--out", str(tmp_path / "exp"), "--start", "2026-06-01"]
    assert error_line(runner.invoke(app, [*argv, "--id-col", "cid"])).endswith(
        "Name it with --id-col"
    )
    line = error_line(runner.invoke(app, [*argv, "--control", "hold"]))
    assert line.endswith("Pass the holdout label with --control")


def test_analyze_flat_table_names_positive_and_expected(runner, tmp_path) -> None:
    path = tmp_path / "flat.csv"
    arms = ["control"] * 150 + ["send"] * 149 + ["sned"]
    converted = (["bought", "none"] * 150)[: len(arms)]  # labels, not a Yes/No pair
    pd.DataFrame({"arm": arms, "converted": converted}).to_csv(path, index=False)
    argv = ["analyze", str(path), "--control", "control"]
    line = error_line(runner.invoke(app, argv))
    assert line.endswith("Name the converted label with --positive, e.g. --positive 'bought'")
    line = error_line(runner.invoke(app, [*argv, "--positive", "bought"]))
    assert "declare every arm with --expected ARM=FRACTION,... (including 'sned')" in line


def test_schedule_day_and_segments_name_the_schedule_flags(runner, tmp_path) -> None:
    files = write_files(tmp_path)
    files["touches"].write_text(TOUCHES_TOML.replace("day = 0", "day = 0.5"), encoding="utf-8")
    argv = ["schedule", "--segments", str(files["segments"]), "--touches", str(files["touches"]),
            "--experiment", str(files["experiment"]), "--start", "2026-11-11",
            "--out", str(tmp_path / "sched")]  # fmt: skip
    line = error_line(runner.invoke(app, argv))
    assert "day 0.5 is not a whole number of days from --start" in line


def test_target_where_and_past_campaign_name_the_target_flags(runner, tmp_path) -> None:
    scores, segments, past = write_inputs(tmp_path, n=300)
    line = error_line(runner.invoke(app, target_args(tmp_path, scores, segments, "--where", "x >")))
    assert line.startswith('error: --where "x >": ')
    assert line.endswith("""e.g. --where "loyalty = 'loyal' AND region = 'east'\"""")
    args = target_args(tmp_path, scores, segments, "--validate-on", past)
    line = error_line(runner.invoke(app, [*map(str, args), "--validate-control", "hold"]))
    assert line.endswith("Name the holdout label with --validate-control")
