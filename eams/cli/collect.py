"""`eams collect`: a remote collector for one site, reporting to the service over its API."""

from __future__ import annotations

import asyncio
import logging
import re
import signal
import socket
import unicodedata
from typing import Annotated

import httpx
import typer

from collectors.remote.facts import DEFAULT_FACTS_EVERY_S
from collectors.remote.runner import CollectorConfig, CollectorRefused, CollectorRuntime, RemoteCollector
from collectors.sinks.spool import SpoolError
from collectors.snmp.engines import DEFAULT_ENGINE
from eams import __version__
from eams.cli.common import EXIT_CONFIG, EXIT_UNAVAILABLE, EXIT_USAGE, console, fail, settings_or_exit

NAME_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


def default_name(site: str | None) -> str:
    """The site as an ASCII slug ("Huyện Đông Anh" -> "huyen-dong-anh"), else the host name."""
    if site:
        folded = unicodedata.normalize("NFKD", site.replace("đ", "d").replace("Đ", "D"))
        slug = re.sub(r"[^a-z0-9]+", "-", folded.encode("ascii", "ignore").decode().lower()).strip("-")
        if slug:
            return slug[:100]
    return re.sub(r"[^A-Za-z0-9._-]+", "-", socket.gethostname())[:100] or "collector"


def check_server(server: str) -> str:
    try:
        url = httpx.URL(server)
    except (httpx.InvalidURL, TypeError) as error:
        raise fail(f"--server {server!r} is not a URL: {error}", EXIT_USAGE) from None
    if url.scheme not in ("http", "https") or not url.host:
        raise fail(
            f"--server must be an http:// or https:// URL of the eams service, got {server!r}", EXIT_USAGE
        )
    return server


def collect(
    server: Annotated[str, typer.Option(help="URL of the eams service (put TLS in front of it)")],
    token: Annotated[
        str,
        typer.Option(envvar="EAMS_COLLECTOR_TOKEN", help="A token of role collector (eams token create)"),
    ],
    site: Annotated[
        str | None, typer.Option(help="Name of the site whose devices this collector polls")
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            envvar="EAMS_COLLECTOR_NAME", help="Collector name (default: from the site, else host name)"
        ),
    ] = None,
    refresh: Annotated[float, typer.Option(min=0.2, help="Seconds between target refreshes")] = 60.0,
    heartbeat: Annotated[float, typer.Option(min=0.2, help="Seconds between heartbeats")] = 15.0,
    interval: Annotated[
        float | None, typer.Option(min=0.2, help="Poll interval in seconds (default: as the service says)")
    ] = None,
    engine: Annotated[str, typer.Option(help="SNMP engine: snmpkit or pysnmp")] = DEFAULT_ENGINE,
    bus: Annotated[
        str | None,
        typer.Option(
            help="Publish samples and events to NATS JetStream at this URL (nats://host:4222; "
            "stream and partitions from EAMS_BUS_*) instead of InfluxDB and the API"
        ),
    ] = None,
    facts_every: Annotated[
        float,
        typer.Option(
            min=0,
            help="With --bus: seconds between readings of the devices' serial, model, firmware and "
            "neighbours, sent as discovered facts for review (0: never)",
        ),
    ] = DEFAULT_FACTS_EVERY_S,
    standby: Annotated[
        bool,
        typer.Option(
            "--standby",
            help="If another collector serves --site, stand by: poll nothing until that one has been "
            "silent for the site lease (EAMS_COLLECTOR_SITE_LEASE on the service), then take over",
        ),
    ] = False,
) -> None:
    """Poll a site's devices for the service: metrics straight to InfluxDB (EAMS_INFLUX_*), alert
    samples and events to the service, both spooled on disk (EAMS_DATA_DIR) while unreachable."""
    check_server(server)
    if standby and not site:
        raise fail("--standby needs --site: the site to stand by for", EXIT_USAGE)
    if not token.strip():
        raise fail("--token is empty: create one with `eams token create --role collector`", EXIT_USAGE)
    site = site.strip() if site and site.strip() else None
    name = name or default_name(site)
    if not NAME_PATTERN.match(name):
        raise fail(f"--name {name!r} may hold only letters, digits, '.', '_' and '-'", EXIT_USAGE)
    bus_urls = check_bus(bus) if bus is not None else None
    settings = settings_or_exit()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    config = CollectorConfig(
        server=server,
        token=token.strip(),
        name=name,
        site=site,
        refresh_s=refresh,
        heartbeat_s=heartbeat,
        interval_s=interval,
        engine=engine,
        facts_every_s=facts_every,
        standby=standby,
    )
    try:
        runtime = CollectorRuntime(
            data_dir=settings.data_dir,
            spool_max_bytes=settings.spool_max_bytes,
            influx=settings.influx,
            version=__version__,
            syslog=settings.syslog,
            bus=settings.bus.model_copy(update={"url": bus_urls}) if bus_urls else None,
        )
        collector = RemoteCollector(config, runtime)
    except SpoolError as error:
        raise fail(str(error), EXIT_UNAVAILABLE) from None
    console.print(
        f"collector {name} for {server} (site {site or '-'}{', standing by' if standby else ''}, "
        f"data in {settings.data_dir})"
    )
    try:
        asyncio.run(_run(collector))
    except CollectorRefused as refused:
        raise fail(str(refused), EXIT_CONFIG) from None
    if collector.bus is not None:
        sent = collector.bus.stats
        console.print(
            f"stopped: {sent.samples} samples, {sent.events} events and {sent.facts} device facts in "
            f"{sent.batches} batches to the bus, {sent.retries} publish retries, "
            f"{collector.bus.pending()} batches still spooled"
        )
        return
    stats = collector.uplink.stats
    console.print(
        f"stopped: {stats.samples} samples and {stats.events} events in {stats.batches} batches, "
        f"{len(collector.uplink.spool)} batches still spooled"
    )


def check_bus(bus: str) -> str:
    urls = [url.strip() for url in bus.split(",") if url.strip()]
    for url in urls:
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError):
            parsed = None
        if parsed is None or parsed.scheme not in ("nats", "tls") or not parsed.host:
            raise fail(f"--bus must be nats://host:port URLs (comma separated), got {url!r}", EXIT_USAGE)
    if not urls:
        raise fail("--bus is empty: give the NATS server, e.g. nats://127.0.0.1:4222", EXIT_USAGE)
    return ",".join(urls)


async def _run(collector: RemoteCollector) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await collector.run(stop)
