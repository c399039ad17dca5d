"""`synth`: generate a synthetic shop (one pure step of :mod:`uplift_lab.synth` or
:mod:`uplift_lab.synth_cycles`) -> write its files.

Every generated shop shares one layout: its CSV tables, the past campaign's experiment folder
(from ``campaign.csv``) and shop.json, each written atomically (an earlier shop in the folder is
replaced).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from uplift_lab import io, synth, synth_cycles
from uplift_lab.design import ExperimentDesign
from uplift_lab.errors import usage_error
from uplift_lab.workflows.experiment_folder import write_experiment

WORLDS = ("default", synth_cycles.WORLD_NAME)


@dataclass(frozen=True)
class WrittenShop:
    """A generated shop (``synth.SyntheticShop`` or ``synth_cycles.CyclesShop``), the world it
    comes from and the files written, by name."""

    world: str
    shop: synth.SyntheticShop | synth_cycles.CyclesShop
    files: dict[str, Path]


def generate_and_write_shop(
    out_dir: Path,
    *,
    customers: int,
    seed: int = 0,
    campaign_effect: float = 1.0,
    world: str = "default",
) -> WrittenShop:
    """Generate the shop of ``world`` ('default' or 'cycles') and write it into ``out_dir``.

    ``campaign_effect`` scales the default world's planted effect; the cycles world has none.
    """
    world = world.strip().lower()
    if world == synth_cycles.WORLD_NAME:
        shop = synth_cycles.generate_cycles_shop(customers, seed=seed)
        return WrittenShop(world, shop, write_cycles_shop(shop, out_dir))
    if world != "default":
        raise ValueError(f"The 'world' parameter of synth must be one of {WORLDS}. Got {world!r}.")
    shop = synth.generate_shop(customers, seed=seed, campaign_effect=campaign_effect)
    return WrittenShop(world, shop, write_shop(shop, out_dir))


def write_shop(shop: synth.SyntheticShop, out_dir: Path) -> dict[str, Path]:
    """Write the shop's tables as CSV, shop.json and the past campaign's experiment folder
    into ``out_dir``, each file atomically (an earlier shop in ``out_dir`` is replaced)."""
    tables = {
        "customers.csv": shop.customers,
        "events.csv": shop.events,
        "orders.csv": shop.orders,
        "campaign.csv": shop.campaign,
        "truth.csv": shop.truth,
    }
    return write_shop_files(
        out_dir,
        tables,
        shop.campaign_design,
        synth.campaign_metadata(shop),
        synth.shop_metadata(shop),
        shop.campaign_start,
        experiment_name=synth.PAST_CAMPAIGN_NAME,
    )


def write_cycles_shop(shop: synth_cycles.CyclesShop, out_dir: Path) -> dict[str, Path]:
    """Write the cycles shop's files into ``out_dir`` (same layout as ``synth``), atomically."""
    tables = {
        "customers.csv": shop.customers,
        "orders.csv": shop.orders,
        "campaign.csv": shop.campaign,
        "truth.csv": shop.truth,
    }
    return write_shop_files(
        out_dir,
        tables,
        shop.campaign_design,
        synth_cycles.campaign_metadata(shop),
        synth_cycles.shop_metadata(shop),
        shop.campaign_start,
        experiment_name=synth_cycles.PAST_CAMPAIGN_NAME,
    )


def write_shop_files(
    out_dir: Path,
    tables: dict[str, pd.DataFrame],
    campaign_design: ExperimentDesign | None,
    campaign: dict,
    shop_json: dict,
    campaign_start: pd.Timestamp,
    experiment_name: str = synth.PAST_CAMPAIGN_NAME,
) -> dict[str, Path]:
    """The layout every generated shop shares: its CSV tables, the past campaign's experiment
    folder (from ``campaign.csv``) and shop.json, each written atomically."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise usage_error(out_dir, "exists and is not a folder", "Choose another {out_dir}")
    written = {name: io.write_table(frame, out_dir / name) for name, frame in tables.items()}
    if campaign_design is not None:
        experiment = out_dir / experiment_name
        write_experiment(
            campaign_design,
            experiment,
            input_file="campaign.csv",
            input_sha256=io.sha256_file(written["campaign.csv"]),
            force=True,
            campaign=campaign,
            created_at=campaign_start.isoformat(),
        )
        written[f"{experiment_name}/"] = experiment
    written["shop.json"] = io.write_json(shop_json, out_dir / "shop.json")
    return written
