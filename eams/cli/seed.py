"""`eams seed`: load the example province, or a framework version from a file."""

from __future__ import annotations

from pathlib import Path

import typer

from eams.cli.common import console, fail, open_services
from inventory.examples.loader import AlreadySeeded, SeedError, load_example
from inventory.framework_loader import FrameworkFileError, load_framework

app = typer.Typer(help="Load example or reference data into the inventory.", no_args_is_help=True)

EXIT_ALREADY_SEEDED = 5


@app.command()
def example() -> None:
    """Load Tỉnh Sơn Lâm, the example province: agencies, data center, devices, systems, security
    levels, contracts and a roadmap. Refuses if it is already loaded."""
    with open_services() as services:
        try:
            with services.db.session(actor="eams seed example") as session:
                counts = load_example(session)
        except AlreadySeeded as exc:
            raise fail(str(exc), EXIT_ALREADY_SEEDED) from None
        except SeedError as exc:
            raise fail(f"the example data is not valid, nothing was loaded: {exc}") from None
    total = sum(counts.values())
    console.print(f"Loaded the example province: {total} records.")
    for table, count in counts.items():
        console.print(f"  {table}: {count}")
    console.print("Try: GET /api/v1/reports/impact?node_type=device&node_name=dc-srv-mail-01")


@app.command()
def framework(
    path: Path = typer.Argument(..., help="A .yaml or .csv file of reference-model nodes"),
    code: str | None = typer.Option(None, help="Version code (required for CSV), e.g. v3.0"),
    name: str | None = typer.Option(None, help="Version name (required for CSV)"),
) -> None:
    """Load a national framework version (BRM/DRM/ARM/TRM/SRM nodes) from a file."""
    with open_services() as services:
        try:
            with services.db.session(actor="eams seed framework") as session:
                version = load_framework(session, path, code, name)
                label = str(version)
        except FrameworkFileError as exc:
            raise fail(str(exc)) from None
    console.print(f"Loaded framework {label}.")
