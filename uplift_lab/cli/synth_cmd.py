"""CLI for `uplift-lab synth`: write the synthetic shop as CSV files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from uplift_lab.cli._common import console, report_errors


def register(app: typer.Typer) -> None:
    """Add the ``synth`` command to ``app``."""
    app.command("synth")(synth)


@report_errors
def synth(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the shop's CSV files into.")],
    customers: Annotated[
        int, typer.Option("--customers", min=100, help="Number of customers to generate.")
    ] = 20_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same shop).")] = 0,
    campaign_effect: Annotated[
        float,
        typer.Option(
            "--campaign-effect", help="Scale of the past campaign's planted effect (0: no effect)."
        ),
    ] = 1.0,
    world: Annotated[
        str,
        typer.Option(
            "--world",
            help="Which shop: 'default' (the demo shop) or 'cycles' (four categories with "
            "purchase cycles from a week to five months, a past control/sms/edm campaign, "
            "effects by cycles overdue; --campaign-effect does not apply).",
        ),
    ] = "default",
) -> None:
    """Generate a synthetic shop with planted truth: customers, events, 2 years of orders, and a
    past SMS campaign with a 10% holdout per lifecycle stage whose true effect is known.

    Files: customers.csv, events.csv, orders.csv, campaign.csv (the past campaign's arms),
    truth.csv (planted per-customer effect; never a feature), shop.json (dates, costs).
    """
    from uplift_lab.errors import InputError
    from uplift_lab.workflows.synth import WORLDS, generate_and_write_shop

    if world.strip().lower() not in WORLDS:
        raise InputError(f"--world: expected default or cycles, got '{world}'")
    written = generate_and_write_shop(
        out, customers=customers, seed=seed, campaign_effect=campaign_effect, world=world
    )
    shop = written.shop
    if written.world == "cycles":
        console.print(
            f"Wrote the cycles shop: {len(shop.customers):,} customers and "
            f"{len(shop.orders):,} orders (as of {shop.as_of.date()}; past control/sms/edm "
            f"campaign on {shop.campaign_start.date()}) to {out}/:"
        )
        for name, path in written.files.items():
            console.print(f"  {name:<16} {_size_mb(path):7.2f} MB")
        return
    console.print(
        f"Wrote a shop of {len(shop.customers):,} customers and {len(shop.orders):,} orders "
        f"(as of {shop.as_of.date()}; past SMS campaign on {shop.campaign_start.date()}, "
        f"{shop.window_days}-day window) to {out}/:"
    )
    for name, path in written.files.items():
        console.print(f"  {name:<14} {path.stat().st_size / 1e6:7.2f} MB")


def _size_mb(path: Path) -> float:
    if path.is_dir():
        return sum(item.stat().st_size for item in path.iterdir()) / 1e6
    return path.stat().st_size / 1e6
