"""The syslog intake, when `syslog.listen` or `syslog.tls_listen` (EAMS_SYSLOG_LISTEN ...) is set;
off otherwise. Wired to the database, the pipeline, and the shared SSH collector as the way a
configuration change gets its fresh backup and diff. Reachable as `services.extras["syslog"]`."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from collectors.ssh.collector import Want
from collectors.syslog.component import BackupRequester, BackupResult, SyslogComponent
from collectors.syslog.config import SyslogConfig
from collectors.syslog.formats import FormatError, load_formats
from collectors.syslog.records import SyslogRecord
from eams.components.ssh import shared_ssh_collector
from eams.services import Services

EXTRAS_KEY = "syslog"
SSH_CONFIG_CHANGED = "config_changed"


def syslog_component(services: Services) -> SyslogComponent | None:
    config = services.settings.syslog
    if not config.enabled:
        return None
    component = SyslogComponent(
        config,
        services.pipeline,
        services.db,
        backup=ssh_backup_requester(services),
        singletons=services.singletons,
    )
    services.extras[EXTRAS_KEY] = component
    return component


def ssh_backup_requester(services: Services) -> BackupRequester:
    """A backup of one device over SSH, now. Its samples and other events are published as a
    scheduled backup's would be; its own `config_changed` event is not, because the syslog
    event that asked for the backup carries the diff (one alert per change, not two)."""

    async def backup(device_id: int) -> BackupResult:
        collector = shared_ssh_collector(services)
        targets, problems = await asyncio.to_thread(collector.targets, [device_id])
        if not targets:
            reason = problems[0].message if problems else "the device has no SSH target"
            return BackupResult(ok=False, error=reason)
        outcome = (await collector.run(targets, Want(backup=True), publish=False))[0]
        if outcome.samples:
            await services.pipeline.publish_samples(outcome.samples)
        diff = None
        for event in outcome.events:
            if event.kind == SSH_CONFIG_CHANGED:
                diff = str(event.data.get("diff") or "")
            else:
                await services.pipeline.publish_event(event)
        if outcome.error is not None:
            return BackupResult(ok=False, error=f"{outcome.error.kind}: {outcome.error.message}")
        return BackupResult(ok=True, version=outcome.version, changed=outcome.changed, diff=diff)

    return backup


def preflight(config: SyslogConfig) -> str | None:
    """Why the intake could not start with these settings, in a sentence; None if it can
    (`eams serve` asks first, so a taken port or a bad format file is an exit code, not a traceback)."""
    if not config.enabled:
        return None
    try:
        load_formats((config.formats_dir,) if config.formats_dir else ())
    except FormatError as exc:
        return f"syslog formats are not valid: {exc}"
    for path in (config.tls_cert_file, config.tls_key_file, config.tls_ca_file):
        if config.tls_listen and path is not None and not path.is_file():
            return f"syslog TLS file {path} does not exist"
    probes: list[tuple[str, int, socket.SocketKind]] = []
    if (plain := config.plain_address()) is not None:
        for transport in config.transports:
            kind = socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
            probes.append((plain[0], plain[1], kind))
    if (tls := config.tls_address()) is not None:
        probes.append((tls[0], tls[1], socket.SOCK_STREAM))
    for host, port, kind in probes:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, kind) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as exc:
                hint = " (ports below 1024 need root or CAP_NET_BIND_SERVICE)" if port < 1024 else ""
                name = "UDP" if kind == socket.SOCK_DGRAM else "TCP"
                return f"cannot listen for syslog on {host}:{port}/{name}: {exc.strerror}{hint}"
    return None


INGEST_KEY = "syslog_ingest"


def records_from_json(payloads: list[dict[str, Any]]) -> list[SyslogRecord]:
    """Forwarded records, checked; a ValueError names the first bad one (`syslog.3.severity: ...`).
    The device is the service's to decide (its inventory, the caller's word is not taken)."""
    records = []
    for index, payload in enumerate(payloads):
        try:
            record = SyslogRecord.from_json(payload)
        except ValueError as exc:
            raise ValueError(f"syslog.{index}.{exc}") from None
        record.device_id = record.device_name = record.resolved_by = None
        records.append(record)
    return records


async def ingest_forwarded(services: Services, records: list[SyslogRecord]) -> None:
    """Store syslog messages a remote collector received at its site (events were published there),
    resolving their devices here; works whether or not this service listens for syslog itself."""
    component = services.extras.get(EXTRAS_KEY) or services.extras.get(INGEST_KEY)
    if component is None:
        component = SyslogComponent(SyslogConfig(), services.pipeline, services.db, formats=[])
        services.extras[INGEST_KEY] = component
    await component.ingest(records)
