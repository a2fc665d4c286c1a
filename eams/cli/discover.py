"""`eams discover`: sweep address ranges over SNMP and stage what is found for review."""

from __future__ import annotations

import asyncio

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from collectors.discovery import ranges as address_ranges
from collectors.discovery.jobs import DiscoveryInputError, check_ranges, resolve_probes, run_discovery
from collectors.discovery.reader import DeviceReport
from collectors.discovery.sweep import SweepSettings
from eams.cli.common import EXIT_USAGE, console, fail, open_services

EXIT_NOTHING_FOUND = 4


def discover(
    ranges: list[str] = typer.Argument(..., help="CIDRs (10.0.0.0/24), addresses, or ranges (10.0.0.10-20)"),
    credentials: list[str] = typer.Option(
        [],
        "--credentials",
        "-c",
        help="SNMP credentials profile, tried in the order given (repeat); default all",
    ),
    concurrency: int = typer.Option(64, min=1, max=1024, help="Addresses probed at once"),
    rate: float = typer.Option(100.0, min=0.1, max=100_000, help="New addresses per second"),
    timeout: float = typer.Option(1.0, min=0.1, max=30, help="Seconds to wait for each answer"),
    retries: int = typer.Option(0, min=0, max=5, help="Extra attempts after a timeout"),
    yes: bool = typer.Option(
        False, "--yes", "-y", help=f"Sweep more than {address_ranges.LARGE_SWEEP} addresses"
    ),
) -> None:
    """Sweep RANGE... with the SNMP credentials profiles; stage new devices, drift, devices not
    seen and LLDP/CDP links as discovered facts (review them under /api/v1/discovered-facts).

    Exit codes: 0 swept, 2 bad range, credentials or a too-large sweep without --yes,
    4 nothing answered."""
    try:
        check_ranges(ranges, yes)
    except DiscoveryInputError as exc:
        hint = " (add --yes)" if "confirm" in str(exc) else ""
        raise fail(f"{exc}{hint}", EXIT_USAGE) from None
    settings = SweepSettings(concurrency=concurrency, rate=rate, timeout_s=timeout, retries=retries)
    with open_services() as services:
        try:
            with services.db.session() as session:
                probes = resolve_probes(session, services.secret_box, credentials)
        except DiscoveryInputError as exc:
            raise fail(str(exc), EXIT_USAGE) from None
        addresses = address_ranges.addresses(ranges)
        with Progress(
            TextColumn("[bold]discover"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[found]} found, {task.fields[errors]} errors"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as bar:
            task = bar.add_task("sweep", total=len(addresses), found=0, errors=0)
            counts = {"found": 0, "errors": 0}

            def progress(_address: str, report: DeviceReport | None, error: str | None) -> None:
                counts["found"] += report is not None
                counts["errors"] += error is not None
                bar.update(task, advance=1, found=counts["found"], errors=counts["errors"])

            result, summary = asyncio.run(
                run_discovery(services.db, addresses, probes, settings, "cli:discover", progress=progress)
            )
    table = Table(title=f"{len(result.reports)} of {result.total} addresses answered")
    for column in (
        "address",
        "sysName",
        "profile",
        "model",
        "serial",
        "firmware",
        "ifs",
        "neighbours",
        "matched",
    ):
        table.add_column(column)
    for report in result.reports:
        match = summary.matched.get(report.address)
        table.add_row(
            report.address,
            report.sys_name or "",
            report.snmp_profile,
            report.model or "",
            report.serial or "",
            report.firmware or "",
            str(len(report.interfaces)),
            str(len(report.neighbours)),
            f"#{match[0]} by {match[1]}" if match else "new",
        )
    console.print(table)
    for address, error in sorted(result.errors.items()):
        console.print(f"[yellow]{address}[/]: {error}")
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(summary.by_kind.items())) or "none"
    console.print(f"Staged {len(summary.fact_ids)} facts for review ({kinds}).")
    if not result.reports:
        raise fail(f"no agent answered in {result.total} addresses", EXIT_NOTHING_FOUND)
