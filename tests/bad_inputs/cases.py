"""The bad-input corpus: one row per case (the command line, its expected exit code, words the
message must contain). A case's ``argv`` gets the session fixtures and its own empty folder, into
which it may write the awkward file it needs; outputs go to that folder too."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tests.bad_inputs.conftest import FAST_TRAIN, Fixtures


@dataclass(frozen=True)
class Case:
    """``usage``: refused by typer's own option check (its boxed usage error, exit 2)."""

    id: str
    argv: Callable[[Fixtures, Path], list[str]]
    words: tuple[str, ...] = ()
    exit_code: int = 2
    check: Callable[[Fixtures, Path, str], None] | None = None
    usage: bool = False


# --------------------------------------------------------------------------- file makers


def variant(src: Path, out: Path, change: Callable[[pd.DataFrame], pd.DataFrame]) -> Path:
    """A copy of the CSV or Parquet ``src`` (CSV read as text) changed by ``change``."""
    if src.suffix == ".parquet":
        frame = pd.read_parquet(src)
    else:
        frame = pd.read_csv(src, dtype=str, keep_default_na=False)
    frame = change(frame.copy())
    if out.suffix == ".parquet":
        frame.to_parquet(out, index=False)
    else:
        frame.to_csv(out, index=False)
    return out


def raw(out: Path, data: bytes) -> Path:
    out.write_bytes(data)
    return out


def header_only(src: Path, out: Path) -> Path:
    return raw(out, src.read_bytes().split(b"\n", 1)[0] + b"\n")


BINARY = bytes(range(256)) * 40


def set_cell(column: str, value, row: int = 0):
    def change(frame):
        frame[column] = frame[column].astype(object)
        frame.loc[frame.index[row], column] = value
        return frame

    return change


def rename(old: str, new: str):
    return lambda frame: frame.rename(columns={old: new})


def drop(column: str):
    return lambda frame: frame.drop(columns=column)


def duplicate_first_row(frame):
    return pd.concat([frame, frame.iloc[[0]]], ignore_index=True)


def model_copy(fx: Fixtures, d: Path, edit: Callable[[Path], None] | None = None) -> Path:
    folder = d / "model"
    shutil.copytree(fx.model, folder)
    if edit is not None:
        edit(folder)
    return folder


def edit_model_json(change: Callable[[dict], None]):
    def edit(folder: Path) -> None:
        description = json.loads((folder / "model.json").read_text())
        change(description)
        (folder / "model.json").write_text(json.dumps(description, indent=2))

    return edit


def experiment_copy(fx: Fixtures, d: Path, edit: Callable[[Path], None] | None = None) -> Path:
    folder = d / "experiment"
    shutil.copytree(fx.experiment, folder)
    if edit is not None:
        edit(folder)
    return folder


def edit_design_json(change: Callable[[dict], None]):
    def edit(folder: Path) -> None:
        meta = json.loads((folder / "design.json").read_text())
        change(meta)
        (folder / "design.json").write_text(json.dumps(meta, indent=2, sort_keys=True))

    return edit


def model_with(edit):
    return lambda fx, d: model_copy(fx, d, edit)


def exp_with(edit):
    return lambda fx, d: experiment_copy(fx, d, edit)


def new_dir(name: str):
    def make(fx, d):
        (d / name).mkdir()
        return d / name

    return make


def remove(name: str):
    return lambda folder: (folder / name).unlink()


def overwrite(name: str, data: bytes):
    return lambda folder: raw(folder / name, data)


def plant(name: str):
    return overwrite(name, b"\x80\x04N.")  # a pickle of None: it must never be loaded


def edit_booster(name: str):
    def edit(folder: Path) -> None:
        path = folder / name
        path.write_text(path.read_text().replace("tree\n", "tree \n", 1))

    return edit


def edit_assignment(folder: Path) -> None:
    variant(folder / "assignment.parquet", folder / "assignment.parquet", lambda a: a.iloc[::-1])


def reverse_predictions(folder: Path) -> None:
    path = folder / "cv_predictions.parquet"
    variant(path, path, lambda frame: frame.iloc[::-1])


def outcomes_table(change):
    """A per-customer outcome table of the shop's past campaign, changed by ``change``."""

    def make(fx, d):
        ids = pd.read_parquet(fx.experiment / "assignment.parquet")["customer_id"]
        frame = pd.DataFrame({"customer_id": ids, "converted": "0", "revenue": "0"})
        return variant_frame(change(frame), d / "outcomes.csv")

    return make


def variant_frame(frame: pd.DataFrame, out: Path) -> Path:
    frame.to_csv(out, index=False)
    return out


def train_experiment(experiment):
    def argv(fx, d):
        return ["train", "--experiment", str(experiment(fx, d)), "--orders", str(fx.orders),
                *FAST_TRAIN, "--out", str(d / "m")]  # fmt: skip

    return argv


def _set(path: str, value):
    """Set ``a.b.0.c`` in a JSON document."""

    def change(document):
        *parents, last = path.split(".")
        node = document
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[int(last) if isinstance(node, list) else last] = value

    return change


# --------------------------------------------------------------------------- command lines


def segment(orders: Callable[[Fixtures, Path], Path] | None = None, *extra: str):
    def argv(fx, d):
        path = orders(fx, d) if orders else fx.orders
        return ["segment", str(path), "--as-of", fx.as_of, "--out", str(d / "seg.parquet"),
                *extra]  # fmt: skip

    return argv


def orders_variant(change):
    return lambda fx, d: variant(fx.orders, d / "orders.csv", change)


def unix_seconds(frame):
    """Order times as Unix seconds of the same (naive, read as UTC) wall clock."""
    times = pd.to_datetime(frame["order_time"])
    frame["order_time"] = ((times - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)).astype(
        str
    )
    return frame


def money_as_text(frame):
    """Amounts written as a shop back-end writes them: "$1,234.50"."""
    frame["amount"] = frame["amount"].astype(float).map(lambda v: f"${v:,.2f}")
    return frame


def design(segments: Callable[[Fixtures, Path], Path] | None = None, *extra: str):
    def argv(fx, d):
        path = segments(fx, d) if segments else fx.segments
        return ["design", str(path), "--name", "exp", "--out", str(d / "exp"), *extra]

    return argv


def plan(orders: Callable[[Fixtures, Path], Path] | None = None, promo="2025-11-01:2025-11-11",
         growth="0.2", *extra: str):  # fmt: skip
    def argv(fx, d):
        path = orders(fx, d) if orders else fx.orders
        return ["plan", str(path), "--promo", promo, "--growth", growth, "--out", str(d / "plan"),
                *extra]  # fmt: skip

    return argv


def segments_variant(change, suffix=".csv"):
    return lambda fx, d: variant(fx.segments, d / f"segments{suffix}", change)


FLAT = ["--arm-col", "arm", "--control", "control", "--conversion-col", "converted",
        "--revenue-col", "spend"]  # fmt: skip


def analyze_flat(table: Callable[[Fixtures, Path], Path] | None = None, *extra: str, flags=FLAT):
    def argv(fx, d):
        path = table(fx, d) if table else fx.flat
        return ["analyze", str(path), *flags, "--out", str(d / "report"), *extra]

    return argv


def flat_variant(change, suffix=".csv"):
    return lambda fx, d: variant(fx.flat, d / f"flat{suffix}", change)


def analyze_experiment(experiment=None, outcomes=None, *extra: str):
    def argv(fx, d):
        folder = experiment(fx, d) if experiment else fx.experiment
        path = outcomes(fx, d) if outcomes else fx.orders
        return ["analyze", str(folder), "--outcomes", str(path), "--out", str(d / "report"),
                *extra]  # fmt: skip

    return argv


CELLS = ["--aggregated", "--arm-col", "arm", "--control", "control", "--segment-col", "cat"]


def cells_of_flat(fx: Fixtures, d: Path, change=lambda frame: frame) -> Path:
    """The flat table's per cat x arm sufficient statistics (a warehouse GROUP BY), changed."""
    frame = pd.read_csv(fx.flat).assign(squares=lambda f: f["spend"] ** 2)
    cells = frame.groupby(["cat", "arm"]).agg(
        n=("converted", "size"), conversions=("converted", "sum"),
        revenue_sum=("spend", "sum"), revenue_sum_squares=("squares", "sum"),
    ).reset_index()  # fmt: skip
    path = d / "cells.csv"
    change(cells).to_csv(path, index=False)
    return path


def analyze_cells(change=lambda frame: frame, *extra: str):
    def argv(fx, d):
        path = cells_of_flat(fx, d, change)
        return ["analyze", str(path), *CELLS, "--out", str(d / "report"), *extra]

    return argv


TRAIN_FLAT = ["--id-col", "customer_id", "--treatment-col", "arm", "--control", "control",
              "--outcome-col", "converted", "--revenue-col", "spend"]  # fmt: skip


def train(table=None, *extra: str, flags=TRAIN_FLAT):
    def argv(fx, d):
        path = table(fx, d) if table else fx.flat
        return ["train", "--data", str(path), *flags, *FAST_TRAIN, "--out", str(d / "model_out"),
                *extra]  # fmt: skip

    return argv


def score(model=None, customers=None, *extra: str):
    def argv(fx, d):
        folder = model(fx, d) if model else fx.model
        path = customers(fx, d) if customers else fx.flat
        return ["score", str(folder), str(path), "--out", str(d / "scores.parquet"), *extra]

    return argv


def evaluate(model=None, *extra: str):
    def argv(fx, d):
        folder = model(fx, d) if model else fx.model
        return ["evaluate", str(folder), "--out", str(d / "eval"), *extra]

    return argv


def scores_with_outcomes(change=None):
    """Scores joined with the flat campaign (arm and outcomes in one table)."""

    def make(fx, d):
        scores = pd.read_parquet(fx.scores)
        flat = pd.read_csv(fx.flat)
        frame = scores.merge(flat[["customer_id", "arm", "converted", "spend"]], on="customer_id")
        if change is not None:
            frame = change(frame)
        frame.to_csv(d / "later.csv", index=False)
        return d / "later.csv"

    return make


def evaluate_scores(table, *extra: str):
    def argv(fx, d):
        return ["evaluate", "--scores", str(table(fx, d)), "--arm-col", "arm", "--control",
                "control", "--conversion-col", "converted", "--out", str(d / "eval"),
                *extra]  # fmt: skip

    return argv


def target(scores=None, *extra: str, channels=("sms=0.05",), budget="5"):
    def argv(fx, d):
        path = scores(fx, d) if scores else fx.scores
        channel_args = [arg for channel in channels for arg in ("--channel", channel)]
        holdout = [] if "--holdout" in extra else ["--holdout", "0"]
        return ["target", str(path), "--budget", budget, *channel_args, *holdout,
                "--out", str(d / "send.csv"), *extra]  # fmt: skip

    return argv


def scores_variant(change, suffix=".parquet"):
    return lambda fx, d: variant(fx.scores, d / f"scores{suffix}", change)


def existing(path_name: str, argv_maker, *, folder: bool = False):
    """Run ``argv_maker`` with an output that already exists (it must stay byte-identical)."""

    def argv(fx, d):
        target_path = d / path_name
        if folder:
            target_path.mkdir()
            (target_path / "design.json").write_text('{"keep": true}\n')
        else:
            target_path.write_text("keep me\n")
        return argv_maker(fx, d)

    return argv


def gbk_orders(fx, d):
    frame = pd.read_csv(fx.orders, dtype=str)
    # one Chinese name per category, so the purchase cycles by main category are unchanged
    names = {"apparel": "服装", "beauty": "美妆", "electronics": "数码", "grocery": "食品"}
    frame["category"] = frame["category"].map(lambda value: names.get(value, f"其他{value}"))
    path = d / "orders_gbk.csv"
    path.write_bytes(frame.to_csv(index=False).encode("gbk"))
    return path


# --------------------------------------------------------------------------- work checks


def file_exists(name: str):
    def check(fx, d, output):
        assert (d / name).exists(), output

    return check


def segments_match_reference(name: str):
    """The segments of an awkward but equivalent orders file equal those of the clean one."""

    def check(fx, d, output):
        got = pd.read_parquet(d / name).sort_values("customer_id").reset_index(drop=True)
        want = pd.read_parquet(fx.root / "segments_orders_only.parquet")
        want = want.sort_values("customer_id").reset_index(drop=True)
        columns = [c for c in want.columns if c != "main_category"]  # its labels may differ
        pd.testing.assert_frame_equal(got[columns], want[columns], check_dtype=False)

    return check


def scores_match_reference(fx, d, output):
    got = pd.read_parquet(d / "scores.parquet").set_index("customer_id").sort_index()
    want = pd.read_parquet(fx.scores).set_index("customer_id").sort_index()
    pd.testing.assert_frame_equal(got, want)


def cells_rates_printed(fx, d, output):
    """analyze --aggregated prints the flat table's arm rates and says what it skipped."""
    flat_rates_printed(fx, d, output)
    assert "Analysed from aggregated cells" in output, output
    assert (d / "report" / "report.json").exists()


def flat_rates_printed(fx, d, output):
    """analyze prints each arm's conversion rate as computed independently here."""
    frame = pd.read_csv(fx.flat)
    for _, rate in frame.groupby("arm")["converted"].mean().items():
        assert f"{100 * rate:.1f}" in output, output


# --------------------------------------------------------------------------- the corpus

C = Case
CASES: list[Case] = [
    # synth and demo
    C(
        "synth-too-few-customers",
        lambda fx, d: ["synth", "--customers", "5", "--out", str(d / "s")],
        usage=True,
    ),
    C(
        "synth-out-is-a-file",
        existing("s", lambda fx, d: ["synth", "--customers", "100", "--out", str(d / "s")]),
        words=("s", "folder"),
    ),
    C(
        "demo-too-few-customers",
        lambda fx, d: [
            "demo",
            "--customers",
            "10",
            "--out",
            str(d / "w"),
            "--report",
            str(d / "r"),
        ],
        usage=True,
    ),
    # segment: orders
    C(
        "segment-missing-customer-id",
        segment(orders_variant(drop("customer_id"))),
        words=("orders.csv", "customer_id"),
    ),
    C(
        "segment-misnamed-amount",
        segment(orders_variant(rename("amount", "price"))),
        words=("orders.csv", "amount", "--amount-col"),
    ),
    C(
        "segment-text-amount",
        segment(orders_variant(set_cell("amount", "abc"))),
        words=("orders.csv", "amount"),
    ),
    C(
        "segment-negative-amount",
        segment(orders_variant(set_cell("amount", "-5"))),
        words=("orders.csv", "amount", "negative"),
    ),
    C(
        "segment-nan-customer-id",
        segment(orders_variant(set_cell("customer_id", ""))),
        words=("orders.csv", "customer_id"),
    ),
    C(
        "segment-bad-order-time",
        segment(orders_variant(set_cell("order_time", "yesterday"))),
        words=("orders.csv", "order_time"),
    ),
    C(
        "segment-empty-file",
        segment(lambda fx, d: raw(d / "orders.csv", b"")),
        words=("orders.csv", "empty"),
    ),
    C(
        "segment-header-only",
        segment(lambda fx, d: header_only(fx.orders, d / "orders.csv")),
        words=("orders.csv",),
    ),
    C(
        "segment-binary-file",
        segment(lambda fx, d: raw(d / "orders.csv", BINARY)),
        words=("orders.csv",),
    ),
    C(
        "segment-gbk-forced-utf8",
        segment(gbk_orders, "--encoding", "utf-8"),
        words=("orders_gbk.csv", "--encoding"),
    ),
    C("segment-unknown-encoding", segment(None, "--encoding", "klingon"), words=("klingon",)),
    C(
        "segment-tags-unknown-column",
        lambda fx, d: segment(None, "--tags", str(raw(d / "tags.toml", b'vip = "spend > 1"\n')))(
            fx, d
        ),
        words=("tags.toml", "rule 'vip'", '"spend"', "Fix the rule"),
    ),
    C(
        "segment-tags-not-toml",
        lambda fx, d: segment(None, "--tags", str(raw(d / "tags.toml", b"vip = \n")))(fx, d),
        words=("tags.toml", "TOML"),
    ),
    C(
        "segment-tags-name-clash",
        lambda fx, d: segment(None, "--tags", str(raw(d / "tags.toml", b'AOV = "aov > 1"\n')))(
            fx, d
        ),
        words=("tags.toml", "rule 'AOV'", "already has a column 'aov'"),
    ),
    C(
        "segment-bad-as-of",
        lambda fx, d: [
            "segment",
            str(fx.orders),
            "--as-of",
            "2026-13-45",
            "--out",
            str(d / "seg.parquet"),
        ],
        words=("--as-of", "2026-13-45"),
    ),
    C("segment-no-such-customer-col", segment(None, "--customer-col", "nosuch"), words=("nosuch",)),
    C("segment-bad-bands", segment(None, "--bands", "10,abc"), words=("--bands",)),
    C("segment-bands-not-increasing", segment(None, "--bands", "35,10"), words=("--bands",)),
    C(
        "segment-bad-out-extension",
        lambda fx, d: [
            "segment",
            str(fx.orders),
            "--as-of",
            fx.as_of,
            "--out",
            str(d / "seg.docx"),
        ],
        words=("seg.docx",),
    ),
    C("segment-events-missing-time", segment(None, "--events", "EVENTS"), words=("event_time",)),
    C(
        "segment-customers-duplicate-ids",
        segment(None, "--customers", "CUSTOMERS_DUP"),
        words=("customers.csv", "customer_id", "duplicate"),
    ),
    C(
        "segment-work-gbk-detected",
        segment(gbk_orders),
        exit_code=0,
        check=segments_match_reference("seg.parquet"),
    ),
    C(
        "segment-work-unix-seconds",
        segment(orders_variant(unix_seconds)),
        exit_code=0,
        check=segments_match_reference("seg.parquet"),
    ),
    C(
        "segment-work-money-as-text",
        segment(orders_variant(money_as_text)),
        exit_code=0,
        check=segments_match_reference("seg.parquet"),
    ),
    C(
        "segment-times-of-no-single-form",
        segment(orders_variant(lambda f: set_cell("order_time", "20240101")(unix_seconds(f)))),
        words=("orders.csv", "'order_time'", "YYYYMMDD", "--date-format"),
    ),
    C(
        "segment-decimal-comma-in-comma-file",
        segment(orders_variant(set_cell("amount", "35,50"))),
        words=("orders.csv", "amount", "35,50"),
    ),
    C(
        "segment-work-utf8-bom",
        segment(lambda fx, d: raw(d / "orders.csv", b"\xef\xbb\xbf" + fx.orders.read_bytes())),
        exit_code=0,
        check=segments_match_reference("seg.parquet"),
    ),
    C(
        "segment-work-shuffled-extra-columns",
        segment(
            orders_variant(
                lambda f: f.assign(note="x")[["note", *reversed(f.columns)]].sample(
                    frac=1, random_state=0
                )
            )
        ),
        exit_code=0,
        check=segments_match_reference("seg.parquet"),
    ),
    C(
        "segment-work-renamed-id",
        segment(orders_variant(rename("customer_id", "user_id")), "--customer-col", "user_id"),
        exit_code=0,
        check=file_exists("seg.parquet"),
    ),
    C(
        "segment-work-parquet-orders",
        segment(lambda fx, d: variant(fx.orders, d / "o.parquet", lambda f: f)),
        exit_code=0,
        check=segments_match_reference("seg.parquet"),
    ),
    # design
    C(
        "design-missing-customer-id",
        design(segments_variant(drop("customer_id"))),
        words=("segments.csv", "customer_id"),
    ),
    C(
        "design-duplicate-ids",
        design(segments_variant(duplicate_first_row)),
        words=("segments.csv", "customer_id", "duplicate"),
    ),
    C(
        "design-nan-id",
        design(segments_variant(set_cell("customer_id", ""))),
        words=("segments.csv", "customer_id"),
    ),
    C("design-no-such-stratum-column", design(None, "--strata", "nosuch"), words=("nosuch",)),
    C("design-holdout-above-one", design(None, "--holdout", "1.5"), words=("holdout", "1.5")),
    C("design-holdout-not-a-number", design(None, "--holdout", "abc"), words=("--holdout", "abc")),
    C(
        "design-arms-do-not-sum-to-one",
        design(None, "--arms", "control=0.5,sms=0.6"),
        words=("arms", "sum"),
    ),
    C(
        "design-arms-without-control",
        design(None, "--arms", "sms=0.5,edm=0.5"),
        words=("arms", "control"),
    ),
    C("design-empty-segment", design(None, "--segments", "nosuch"), words=("nosuch",)),
    C(
        "design-bad-name",
        lambda fx, d: ["design", str(fx.segments), "--name", "a/b", "--out", str(d / "exp")],
        words=("name", "a/b"),
    ),
    C("design-baseline-above-one", design(None, "--baseline", "2"), words=("--baseline",)),
    C("design-no-such-covariate", design(None, "--covariates", "nosuch"), words=("nosuch",)),
    C(
        "design-existing-experiment",
        existing("exp", design(), folder=True),
        words=("exp", "--force"),
    ),
    C(
        "design-empty-file",
        design(lambda fx, d: raw(d / "segments.csv", b"")),
        words=("segments.csv",),
    ),
    C(
        "design-binary-file",
        design(lambda fx, d: raw(d / "segments.parquet", BINARY)),
        words=("segments.parquet",),
    ),
    C(
        "design-work-two-strata-csv",
        lambda fx, d: [
            "design",
            str(fx.segments_csv),
            "--name",
            "e",
            "--strata",
            "lifecycle,spend_band",
            "--out",
            str(d / "exp"),
        ],
        exit_code=0,
        check=file_exists("exp/assignment.parquet"),
    ),
    C(
        "design-work-no-strata",
        design(None, "--strata", "none"),
        exit_code=0,
        check=file_exists("exp/design.json"),
    ),
    # analyze: experiment folders
    C(
        "analyze-edited-assignment",
        analyze_experiment(exp_with(edit_assignment)),
        words=("assignment.parquet", "changed"),
    ),
    C(
        "analyze-edited-design-json",
        analyze_experiment(exp_with(edit_design_json(_set("fractions.churned.control", 0.5)))),
        words=("design.json", "changed"),
    ),
    C(
        "analyze-no-design-json",
        analyze_experiment(exp_with(remove("design.json"))),
        words=("design.json",),
    ),
    C("analyze-not-an-experiment", analyze_experiment(new_dir("x")), words=("x",)),
    C(
        "analyze-outcomes-missing-id",
        analyze_experiment(None, orders_variant(drop("customer_id"))),
        words=("orders.csv", "customer_id"),
    ),
    C(
        "analyze-outcomes-not-binary",
        analyze_experiment(None, outcomes_table(lambda f: f.assign(converted="2"))),
        words=("outcomes.csv", "converted"),
    ),
    C(
        "analyze-outcomes-duplicate-ids",
        analyze_experiment(None, outcomes_table(duplicate_first_row)),
        words=("outcomes.csv", "customer_id", "duplicate"),
    ),
    C(
        "analyze-bad-start",
        analyze_experiment(None, None, "--start", "someday"),
        words=("--start", "someday"),
    ),
    # analyze: flat tables
    C(
        "analyze-flat-no-such-arm-col",
        analyze_flat(None, flags=["--arm-col", "nosuch", *FLAT[2:]]),
        words=("flat.csv", "nosuch"),
    ),
    C(
        "analyze-flat-no-such-control",
        analyze_flat(None, flags=[*FLAT[:2], "--control", "nobody", *FLAT[4:]]),
        words=("nobody",),
    ),
    C(
        "analyze-flat-text-conversion",
        analyze_flat(flat_variant(set_cell("converted", "yes"))),
        words=("flat.csv", "converted"),
    ),
    C(
        "analyze-flat-nan-arm",
        analyze_flat(flat_variant(set_cell("arm", ""))),
        words=("flat.csv", "arm"),
    ),
    C(
        "analyze-flat-unexpected-arm",
        analyze_flat(flat_variant(set_cell("arm", "edm")), "--expected", "control=0.5,send=0.5"),
        words=("flat.csv", "edm", "--expected"),
    ),
    C(
        "analyze-flat-no-such-segment-col",
        analyze_flat(None, "--segment-col", "nosuch"),
        words=("nosuch",),
    ),
    C("analyze-flat-bad-cost", analyze_flat(None, "--cost", "send=abc"), words=("--cost",)),
    C(
        "analyze-flat-cost-unknown-arm",
        analyze_flat(None, "--cost", "nosuch=0.1"),
        words=("--cost", "nosuch"),
    ),
    C("analyze-flat-margin-above-one", analyze_flat(None, "--margin", "2"), usage=True),
    C(
        "analyze-flat-empty-file",
        analyze_flat(lambda fx, d: raw(d / "flat.csv", b"")),
        words=("flat.csv",),
    ),
    C(
        "analyze-flat-header-only",
        analyze_flat(lambda fx, d: header_only(fx.flat, d / "flat.csv")),
        words=("flat.csv",),
    ),
    C(
        "analyze-flat-no-such-covariate",
        analyze_flat(None, "--covariate", "nosuch"),
        words=("nosuch",),
    ),
    C(
        "analyze-flat-work-segments",
        analyze_flat(None, "--segment-col", "cat"),
        exit_code=0,
        check=flat_rates_printed,
    ),
    # analyze --aggregated: per segment x arm sufficient statistics
    C("analyze-cells-work", analyze_cells(), exit_code=0, check=cells_rates_printed),
    C(
        "analyze-cells-missing-squares",
        analyze_cells(drop("revenue_sum_squares")),
        words=("cells.csv", "revenue_sum_squares"),
    ),
    C(
        "analyze-cells-conversions-above-n",
        analyze_cells(lambda f: f.assign(conversions=f["n"] + 1)),
        words=("cells.csv", "'conversions'", "row 1"),
    ),
    C(
        "analyze-cells-negative-n",
        analyze_cells(set_cell("n", -4)),
        words=("cells.csv", "'n'", "-4"),
    ),
    C(
        "analyze-cells-negative-variance",
        analyze_cells(lambda f: f.assign(revenue_sum_squares=0.0, revenue_sum=f["n"] * 10.0)),
        words=("cells.csv", "revenue_sum_squares", "negative variance"),
    ),
    C(
        "analyze-cells-duplicate-cell",
        analyze_cells(duplicate_first_row),
        words=("cells.csv", "more than one row", "GROUP BY"),
    ),
    C(
        "analyze-cells-unexpected-arm",
        analyze_cells(set_cell("arm", "edm"), "--expected", "control=0.5,send=0.5"),
        words=("cells.csv", "edm", "--expected"),
    ),
    C(
        "analyze-cells-cap-revenue",
        analyze_cells(lambda f: f, "--cap-revenue", "0.99"),
        words=("--cap-revenue", "--aggregated"),
    ),
    # train
    C(
        "train-no-such-treatment-col",
        train(None, flags=[*TRAIN_FLAT[:2], "--treatment-col", "nosuch", *TRAIN_FLAT[4:]]),
        words=("flat.csv", "nosuch"),
    ),
    C(
        "train-outcome-not-binary",
        train(flat_variant(set_cell("converted", "3"))),
        words=("flat.csv", "converted"),
    ),
    C(
        "train-no-such-control",
        train(None, flags=[*TRAIN_FLAT[:4], "--control", "nobody", *TRAIN_FLAT[6:]]),
        words=("nobody",),
    ),
    C(
        "train-nan-id",
        train(flat_variant(set_cell("customer_id", ""))),
        words=("flat.csv", "customer_id"),
    ),
    C(
        "train-duplicate-ids",
        train(flat_variant(duplicate_first_row)),
        words=("flat.csv", "customer_id", "duplicate"),
    ),
    C("train-no-such-feature", train(None, "--features", "x1,nosuch"), words=("nosuch",)),
    C(
        "train-negative-revenue",
        train(flat_variant(set_cell("spend", "-1"))),
        words=("flat.csv", "spend"),
    ),
    C(
        "train-no-data-source",
        lambda fx, d: ["train", "--out", str(d / "m")],
        words=("--data", "--experiment"),
    ),
    C(
        "train-existing-out",
        existing("model_out", train(), folder=True),
        words=("model_out", "--force"),
    ),
    C(
        "train-one-arm-only",
        train(flat_variant(lambda f: f.assign(arm="control"))),
        words=("flat.csv", "arm"),
    ),
    C(
        "train-experiment-without-orders",
        lambda fx, d: ["train", "--experiment", str(fx.experiment), "--out", str(d / "m")],
        words=("--orders",),
    ),
    C(
        "train-edited-experiment",
        train_experiment(exp_with(edit_design_json(_set("control_arm", "send")))),
        words=("design.json", "changed"),
    ),
    # score: model folders
    C(
        "score-not-a-model-folder",
        score(new_dir("x")),
        words=("not a model folder", "uplift-lab train"),
    ),
    C(
        "score-edited-n-rows",
        score(model_with(edit_model_json(_set("n_rows", 5)))),
        words=("model.json", "changed"),
    ),
    C(
        "score-edited-treated-share",
        score(
            model_with(
                edit_model_json(_set("arm_models.0.conversion.params", {"treated_share": 0.9}))
            )
        ),
        words=("model.json",),
    ),
    C(
        "score-edited-category-levels",
        score(model_with(edit_model_json(_set("features.2.levels", ["b", "a", "c"])))),
        words=("model.json", "changed"),
    ),
    C(
        "score-unknown-learner-kind",
        score(model_with(edit_model_json(_set("arm_models.0.conversion.kind", "x-learner")))),
        words=("model.json", "x-learner", "kind"),
    ),
    C(
        "score-edited-learner-kind",
        score(model_with(edit_model_json(_set("arm_models.0.conversion.kind", "two-ddr")))),
        words=("model.json", "changed"),
    ),
    C(
        "score-edited-booster",
        score(model_with(edit_booster("arm0_conversion_bag0.treated.txt"))),
        words=("arm0_conversion_bag0.treated.txt", "changed"),
    ),
    C(
        "score-missing-manifest",
        score(model_with(remove("manifest.json"))),
        words=("manifest.json",),
    ),
    C("score-planted-file", score(model_with(plant("extra.pkl"))), words=("extra.pkl", "added")),
    C(
        "score-model-json-not-json",
        score(model_with(overwrite("model.json", b"{not json"))),
        words=("model.json", "JSON"),
    ),
    C("score-missing-feature", score(None, flat_variant(drop("x2"))), words=("flat.csv", "x2")),
    C(
        "score-duplicate-ids",
        score(None, flat_variant(duplicate_first_row)),
        words=("flat.csv", "customer_id", "duplicate"),
    ),
    C(
        "score-out-is-input",
        lambda fx, d: [
            "score",
            str(fx.model),
            str(variant(fx.flat, d / "c.csv", lambda f: f)),
            "--out",
            str(d / "c.csv"),
        ],
        words=("--out",),
    ),
    C("score-zero-batch-rows", score(None, None, "--batch-rows", "0"), words=("--batch-rows",)),
    C(
        "score-empty-customers",
        score(None, lambda fx, d: header_only(fx.flat, d / "c.csv")),
        words=("c.csv",),
    ),
    C(
        "score-work-shuffled-extra-columns",
        score(
            None,
            flat_variant(
                lambda f: f.assign(extra="1")[["extra", *reversed(f.columns)]].sample(
                    frac=1, random_state=1
                )
            ),
        ),
        exit_code=0,
        check=scores_match_reference,
    ),
    # evaluate
    C("evaluate-not-a-model-folder", evaluate(new_dir("x")), words=("not a model folder",)),
    C(
        "evaluate-edited-predictions",
        evaluate(model_with(reverse_predictions)),
        words=("cv_predictions.parquet", "changed"),
    ),
    C(
        "evaluate-edited-control",
        evaluate(model_with(edit_model_json(_set("control", "send")))),
        words=("model.json",),
    ),
    C(
        "evaluate-existing-out",
        existing("eval", evaluate(), folder=True),
        words=("eval", "--force"),
    ),
    C(
        "evaluate-nothing-to-evaluate",
        lambda fx, d: ["evaluate", "--out", str(d / "eval")],
        words=("--scores",),
    ),
    C(
        "evaluate-scores-missing-arm",
        evaluate_scores(scores_with_outcomes(drop("arm"))),
        words=("later.csv", "arm"),
    ),
    C(
        "evaluate-scores-conversion-not-binary",
        evaluate_scores(scores_with_outcomes(lambda f: f.assign(converted=f["converted"] * 2))),
        words=("later.csv", "converted"),
    ),
    # target
    C(
        "target-no-uplift-columns",
        target(scores_variant(lambda f: f[["customer_id"]])),
        words=("scores.parquet", "uplift"),
    ),
    C("target-budget-not-a-number", target(None, budget="abc"), words=("--budget", "abc")),
    C(
        "target-where-bad-sql",
        lambda fx, d: target(None, "--segments", str(fx.segments), "--where", "lifecycle =")(fx, d),
        words=("--where", "lifecycle =", "Parser Error"),
    ),
    C(
        "target-where-not-boolean",
        lambda fx, d: target(None, "--segments", str(fx.segments), "--where", "lifecycle")(fx, d),
        words=("--where", "not true/false"),
    ),
    C(
        "target-where-without-segments",
        target(None, "--eligible", "all", "--where", "rfm_score > 3"),
        words=("--where", "--segments"),
    ),
    C("target-negative-budget", target(None, budget="-5"), words=("--budget",)),
    C("target-bad-channel-cost", target(None, channels=("sms=abc",)), words=("--channel",)),
    C(
        "target-holdout-without-experiment",
        target(None, "--holdout", "0.1"),
        words=("--experiment",),
    ),
    C(
        "target-existing-experiment",
        existing(
            "exp",
            target(None, "--holdout", "0.1", "--experiment", "EXP", "--start", "2026-10-20"),
            folder=True,
        ),
        words=("exp", "--force"),
    ),
    C(
        "target-segments-missing-lifecycle",
        target(None, "--segments", "SEGMENTS_NO_LIFECYCLE"),
        words=("lifecycle",),
    ),
    C(
        "target-duplicate-ids",
        target(scores_variant(duplicate_first_row)),
        words=("scores.parquet", "customer_id", "duplicate"),
    ),
    C(
        "target-nan-uplift",
        target(scores_variant(set_cell("uplift_revenue", float("nan")))),
        words=("scores.parquet", "uplift_revenue"),
    ),
    C("target-margin-above-one", target(None, "--margin", "2"), words=("--margin",)),
    C(
        "target-work-budget-auto",
        target(None, budget="auto"),
        exit_code=0,
        check=file_exists("send.csv"),
    ),
    C("plan-promo-not-a-window", plan(None, "2025-11-01"), words=("--promo", "YYYY-MM-DD")),
    C("plan-promo-slashes", plan(None, "11/01/2025:11/11/2025"), words=("--promo",)),
    C("plan-promo-ends-before-start", plan(None, "2025-11-11:2025-11-01"), words=("ends before",)),
    C(
        "plan-promo-without-orders",
        plan(None, "2000-01-01:2000-01-10"),
        words=("orders.csv", "no counted orders", "2000-01-01:2000-01-10"),
    ),
    C("plan-growth-below-minus-one", plan(None, growth="-1.5"), words=("--growth", "-1.5")),
    C(
        "plan-missing-amount",
        plan(orders_variant(drop("amount"))),
        words=("orders.csv", "amount"),
    ),
]


# --------------------------------------------------------------------------- schedule

GOOD_TOUCH = 'name = "notice"\nchannel = "sms"\nday = 0\ntime = "10:00"\n'


def schedule(touch_text: str, *extra: str, start: str = "2026-11-11"):
    """`schedule` with a touch file holding ``touch_text`` (one or more [[touch]] bodies)."""

    def argv(fx: Fixtures, d: Path) -> list[str]:
        touches = raw(d / "touches.toml", touch_text.encode("utf-8"))
        return ["schedule", "--segments", str(fx.segments), "--touches", str(touches),
                "--experiment", str(fx.experiment), "--start", start,
                "--out", str(d / "sched"), *extra]  # fmt: skip

    return argv


CASES += [
    C(
        "schedule-unknown-touch-key",
        schedule(f"[[touch]]\n{GOOD_TOUCH}colour = 1\n"),
        words=("touches.toml", "unknown key 'colour'"),
    ),
    C(
        "schedule-bad-time",
        schedule('[[touch]]\nname = "a"\nchannel = "sms"\nday = 0\ntime = "7pm"\n'),
        words=("touches.toml", "'7pm'", "HH:MM"),
    ),
    C(
        "schedule-duplicate-names",
        schedule(f"[[touch]]\n{GOOD_TOUCH}[[touch]]\n{GOOD_TOUCH}"),
        words=("duplicate touch name 'notice'",),
    ),
    C(
        "schedule-name-not-a-file-name",
        schedule('[[touch]]\nname = "../x"\nchannel = "sms"\nday = 0\ntime = "10:00"\n'),
        words=("'../x'", "cannot be a file name"),
    ),
    C(
        "schedule-unknown-segment-value",
        schedule(f'[[touch]]\n{GOOD_TOUCH}segments = ["dormant"]\n'),
        words=("segments.parquet", "no value 'dormant'", "It has:"),
    ),
    C(
        "schedule-missing-column",
        schedule(f'[[touch]]\n{GOOD_TOUCH}column = "region_band"\nsegments = ["x"]\n'),
        words=("segments.parquet", "has no column 'region_band'"),
    ),
    C(
        "schedule-bad-start",
        schedule(f"[[touch]]\n{GOOD_TOUCH}", start="2026-13-01"),
        words=("--start", "2026-13-01"),
    ),
    C(
        "schedule-not-toml",
        schedule("[[touch]\n"),
        words=("touches.toml", "TOML"),
    ),
]
