"""`eams ssh`: configuration backups and host keys of devices reached over SSH."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import or_, select

from collectors.ssh import hostkeys
from collectors.ssh.collector import DeviceOutcome, SshCollector, Want
from collectors.ssh.target import SshTarget
from eams.cli.common import EXIT_USAGE, console, err_console, fail, open_services
from inventory.models import Device

app = typer.Typer(help="Configuration backups and host keys over SSH.", no_args_is_help=True)

EXIT_SOME_FAILED = 1


@app.command()
def backup(
    devices: Annotated[list[str] | None, typer.Argument(help="Device names or ids")] = None,
    all_devices: Annotated[
        bool, typer.Option("--all", help="Every active device with an SSH platform")
    ] = False,
    facts: Annotated[bool, typer.Option(help="Also read version, serial and neighbours")] = True,
    workers: Annotated[
        int | None, typer.Option(help="SSH sessions at once (default EAMS_SSH_WORKERS)")
    ] = None,
) -> None:
    """Back up the running configuration of DEVICES now; a version is stored only when it changed."""
    if not devices and not all_devices:
        raise fail("name at least one device, or use --all", EXIT_USAGE)
    with open_services() as services:
        settings = services.settings.ssh
        if workers is not None:
            if not 1 <= workers <= 256:
                raise fail(f"--workers must be between 1 and 256, not {workers}", EXIT_USAGE)
            settings = settings.model_copy(update={"workers": workers})
        device_ids: list[int] | None = None
        if devices:
            with services.db.session() as session:
                device_ids = []
                for wanted in devices:
                    condition = Device.name == wanted
                    if wanted.isdigit():
                        condition = or_(condition, Device.id == int(wanted))
                    found = session.scalar(select(Device.id).where(condition))
                    if found is None:
                        raise fail(f"there is no device named or numbered {wanted!r}", EXIT_USAGE)
                    device_ids.append(found)
        collector = SshCollector(services.collector_context, settings)
        try:
            targets, problems = collector.targets(device_ids)
            for problem in problems:
                err_console.print(f"[yellow]skipped[/] {problem}")
            if not targets:
                raise fail("no device can be backed up over SSH", EXIT_USAGE)
            outcomes = asyncio.run(_backup_with_progress(collector, targets, facts))
        finally:
            collector.close()
    failed = [outcome for outcome in outcomes if not outcome.ok]
    console.print(f"{len(outcomes) - len(failed)} backed up, {len(failed)} failed.")
    if failed or problems:
        raise typer.Exit(EXIT_SOME_FAILED)


async def _backup_with_progress(
    collector: SshCollector, targets: list[SshTarget], facts: bool
) -> list[DeviceOutcome]:
    with Progress(
        TextColumn("[bold]backup"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console,
    ) as progress:
        task = progress.add_task("", total=len(targets))

        def done(outcome: DeviceOutcome) -> None:
            colour = "green" if outcome.ok else "red"
            progress.console.print(f"[{colour}]{outcome.target.name}[/]: {outcome.summary()}")
            progress.update(task, advance=1, description=outcome.target.name)

        return await collector.run(targets, Want(backup=True, facts=facts), on_done=done)


@app.command("forget-host-key")
def forget_host_key(
    host: Annotated[str, typer.Argument(help="The device's management address")],
    port: Annotated[int, typer.Option(help="SSH port")] = 22,
) -> None:
    """Forget the trusted host key of HOST so that the next session trusts the key it presents.

    Do this only after checking that the key changed on purpose (device replaced or re-keyed)."""
    with open_services() as services, services.db.session(actor="cli") as session:
        if not hostkeys.forget(session, host, port):
            raise fail(f"no host key is trusted for {host}:{port}", EXIT_USAGE)
    console.print(f"Forgot the host key of {host}:{port}; the next session will trust the one it sees.")
