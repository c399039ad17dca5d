"""Tiny fixtures built once per session for the bad-input corpus: a shop, its segments, a flat
campaign table, a model trained with the fastest settings and its scores."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.test_uplift_models import simulated_campaign
from uplift_lab.cli import app
from uplift_lab.synth import generate_shop
from uplift_lab.workflows.synth import write_shop

FAST_TRAIN = ["--folds", "2", "--max-rounds", "10", "--model", "two"]


@dataclass(frozen=True)
class Fixtures:
    """Paths of the session's valid inputs (never to be changed by a case)."""

    root: Path
    shop: Path
    orders: Path
    customers: Path
    events: Path
    experiment: Path
    segments: Path
    segments_csv: Path
    flat: Path
    model: Path
    scores: Path
    as_of: str
    start: str


def _run(argv: list[str]) -> None:
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="session")
def fx(tmp_path_factory) -> Fixtures:
    root = tmp_path_factory.mktemp("corpus_fixtures")
    shop = generate_shop(400, seed=1)
    write_shop(shop, root / "shop")
    segments = root / "segments.parquet"
    _run(["segment", str(root / "shop" / "orders.csv"), "--customers",
          str(root / "shop" / "customers.csv"), "--as-of", str(shop.as_of.date()),
          "--out", str(segments)])  # fmt: skip
    segments_csv = root / "segments.csv"
    for path in (segments_csv, root / "segments_orders_only.parquet"):
        _run(["segment", str(root / "shop" / "orders.csv"), "--as-of", str(shop.as_of.date()),
              "--out", str(path)])  # fmt: skip
    frame, _ = simulated_campaign(1200, seed=4)
    flat = root / "flat.csv"
    frame.to_csv(flat, index=False)
    model = root / "model"
    _run(["train", "--data", str(flat), "--id-col", "customer_id", "--treatment-col", "arm",
          "--control", "control", "--outcome-col", "converted", "--revenue-col", "spend",
          "--revenue-model", "decomposition", *FAST_TRAIN, "--out", str(model)])  # fmt: skip
    scores = root / "scores.parquet"
    _run(["score", str(model), str(flat), "--out", str(scores)])
    return Fixtures(
        root=root,
        shop=root / "shop",
        orders=root / "shop" / "orders.csv",
        customers=root / "shop" / "customers.csv",
        events=root / "shop" / "events.csv",
        experiment=root / "shop" / "past_sms",
        segments=segments,
        segments_csv=segments_csv,
        flat=flat,
        model=model,
        scores=scores,
        as_of=str(shop.as_of.date()),
        start=str(shop.campaign_start.date()),
    )
