"""`eams demo`: the whole product on one machine, with nothing else installed.

The service on SQLite in a fresh `var/demo/`, the example province, a lab of simulated devices on
loopback polled every few seconds, and one injected fault that fires an alert within a minute.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from collectors.lab.agents import LabError
from eams.cli.common import EXIT_UNAVAILABLE, console, fail, open_services, settings_or_exit
from eams.cli.serve import _check_port_free
from eams.demo.lab import CPU_RAMP
from eams.demo.runner import (
    SECURITY_EVENT_DELAY_S,
    DemoInterrupted,
    DemoOptions,
    DemoPerson,
    Lab,
    LabDeviceAddress,
    NotADemoFolder,
    demo_settings,
    demo_sign_ins,
    fresh_data_dir,
    interruptible,
    make_server,
    point_devices_at_lab,
    seed,
    serve,
    start_lab,
)
from eams.demo.syslog_feed import SYSLOG_DELAY_S
from eams.services import Services
from inventory.models import Device


def say(text: str) -> None:
    """One line as it is: long URLs and the token must stay copyable, never wrapped."""
    console.print(text, soft_wrap=True, highlight=False)


def demo(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port of the API")] = 8000,
    host: Annotated[str, typer.Option(help="Address of the API (keep it on loopback)")] = "127.0.0.1",
    data_dir: Annotated[
        Path, typer.Option(help="Demo data folder, deleted and recreated on each run")
    ] = Path("var/demo"),
    lab: Annotated[bool, typer.Option("--lab/--no-lab", help="Start the simulated devices")] = True,
    interval: Annotated[float, typer.Option(min=1, help="Seconds between polls of a device")] = 5.0,
    duration: Annotated[
        float | None, typer.Option(min=1, help="Stop by itself after this many seconds")
    ] = None,
) -> None:
    """Run the demo: the example province polled from a lab of simulated devices, on one machine.
    Ctrl-C stops it and every process it started."""
    options = DemoOptions(host, port, data_dir, data_dir.parent / "lab-cache", lab, duration, interval)
    _check_port_free(host, port)
    settings = demo_settings(options, settings_or_exit())
    running = Lab()
    try:
        with interruptible():
            fresh_data_dir(options.data_dir)
            with open_services(settings=settings) as services:
                counts, token = seed(services)
                people = demo_sign_ins(services)
                say(f"Loaded the example province (Tỉnh Sơn Lâm): {sum(counts.values())} records.")
                if lab:
                    running = start_lab(options, say)
                    ids = point_devices_at_lab(services, running)
                else:
                    ids = {}
                server = make_server(services, options)
                _print_where_to_look(
                    options, token, running.devices, ids, services.settings.influx.url, people
                )
                firewall = _device_id(services, "dc-fw-dmz-01")
                # The server handles SIGINT/SIGTERM itself while it serves (see DemoServer).
                sources = {device.device: device.host for device in running.devices}
                asyncio.run(serve(server, duration, services, firewall, sources))
        say(f"Stopped ({server.stopped_by or 'duration reached'}); stopping the lab.")
    except DemoInterrupted as exc:
        say(f"Stopped ({exc}) while starting; stopping the lab.")
    except NotADemoFolder as exc:
        raise fail(str(exc)) from None
    except LabError as exc:
        raise fail(f"the lab could not start: {exc}", EXIT_UNAVAILABLE) from None
    finally:
        running.stop()


def _device_id(services: Services, name: str) -> int | None:
    with services.db.session() as session:
        return session.scalar(select(Device.id).where(Device.name == name))


def _print_where_to_look(
    options: DemoOptions,
    token: str,
    devices: list[LabDeviceAddress],
    ids: dict[str, int],
    influx: str | None,
    people: list[DemoPerson],
) -> None:
    base = f"http://{options.host}:{options.port}"
    say(f"\n[bold]eams demo[/] on {base}  (data in {options.data_dir}/, recreated on each run)")
    say(f"  web pages:    {base}/  (open it in a browser and sign in as one of these people)")
    for person in people:
        who = f"{person.role.value} ({person.scope})" if person.scope else person.role.value
        say(f"  account {who + ':':<22}{person.name} / {person.password}")
    say("  or with a token (Sign in with an access token):")
    say("  sign in as admin:   the admin token below")
    for person in people:
        if person.token:
            who = f"{person.role.value} ({person.scope})" if person.scope else person.role.value
            say(f"  sign in as {who + ':':<20}{person.token}   [{person.name}]")
    say(
        f"  a security alert (IPS trap from dc-fw-dmz-01) fires about {SECURITY_EVENT_DELAY_S:g} s "
        f"after start: {base}/alerts"
    )
    say(
        f"  syslog:       dc-fw-01 logs 5 failed admin sign-ins from one address about "
        f"{SYSLOG_DELAY_S:g} s after start (syslog-admin-login-failed-burst): {base}/syslog"
    )
    say(f"  API docs:     {base}/docs")
    say(f"  admin token:  {token}")
    say(f'  try:          curl -H "Authorization: Bearer {token}" {base}/api/v1/alerts')
    if devices:
        say(f"  lab devices (polled every {options.interval_s:g} s):")
        for device in devices:
            say(
                f"    {device.device:<16} {device.host}:{device.port:<6} {device.agent}  "
                f"{base}/api/v1/devices/{ids[device.device]}/status"
            )
        say(
            f"  simulated fault: the CPU of dc-srv-mail-01 climbs ({CPU_RAMP}); the demo-cpu-high "
            f"alert fires within a minute at {base}/api/v1/alerts?state=firing"
        )
    target = f"InfluxDB at {influx}" if influx else f"the spool in {options.data_dir}/spool/influx/"
    say(f"  metrics go to {target}")
    say("  dashboards:   dashboards/json/ (Grafana; see docker/compose.yaml)")
    say("Ctrl-C stops the demo and its lab.\n")
