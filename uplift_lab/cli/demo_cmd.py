"""CLI for `uplift-lab demo`: the whole loop on a generated shop, as the commands a user would type.

Each step prints the exact `uplift-lab ...` line and runs it in-process, so the demo doubles as a
walkthrough: copy any line to repeat the step by hand on the files the demo leaves behind.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from uplift_lab.cli._common import console, report_errors


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command to ``app``."""
    app.command("demo")(demo)


def _run_step(title: str, argv: list[str]) -> None:
    """Print a step's command line and run it through the real CLI; stop the demo if it fails."""
    from uplift_lab.cli import app
    from uplift_lab.errors import UpliftLabError

    console.rule(f"[bold]{title}")
    console.print(f"[dim]$[/] uplift-lab {shlex.join(argv)}")
    exit_code = app(argv, standalone_mode=False, prog_name="uplift-lab")
    if exit_code:
        raise UpliftLabError(f"the demo stopped: step '{title}' failed (exit code {exit_code})")


@report_errors
def demo(
    out: Annotated[
        Path, typer.Option("--out", help="Working folder for the demo's shop, models and lists.")
    ] = Path("demo-output"),
    customers: Annotated[
        int, typer.Option("--customers", min=2_000, help="Customers in the generated shop.")
    ] = 20_000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the generated shop.")] = 0,
) -> None:
    """Run the whole loop on a generated shop: synth -> segment -> ... (each step printed as the
    command line to repeat it by hand)."""
    from uplift_lab.synth import generate_shop

    shop_dir = out / "shop"
    shop = generate_shop(customers, seed=seed)  # for the dates; synth below writes the same shop
    as_of = shop.as_of.date().isoformat()

    _run_step(
        "1. A generated shop with a past SMS campaign (planted truth)",
        ["synth", "--customers", str(customers), "--seed", str(seed), "--out", str(shop_dir)],
    )
    _run_step(
        "2. Segment today's customers: lifecycle stage, RFM, spend band",
        [
            "segment",
            str(shop_dir / "orders.csv"),
            "--customers",
            str(shop_dir / "customers.csv"),
            "--events",
            str(shop_dir / "events.csv"),
            "--as-of",
            as_of,
            "--bands",
            "50,100,200",
            "--out",
            str(out / "segments.parquet"),
        ],
    )
    console.rule("[bold]Done")
    console.print(f"Files of every step are in {out}/.")
