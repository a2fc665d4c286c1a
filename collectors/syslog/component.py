"""The syslog intake as a background component of the service (or of a remote collector).

Independent of the service: it needs a `SyslogConfig`, a pipeline, and either a database (the
service: messages are stored and senders resolved from the inventory) or a `forward` callable (a
remote collector: records go to the service through the uplink). `backup` is how a configuration
change asks for a fresh configuration backup; the service wires the SSH collector there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from collectors.pipeline import Pipeline
from collectors.samples import Event
from collectors.singleton import RunHere, Singletons, run_once
from collectors.syslog.config import SyslogConfig
from collectors.syslog.counts import SyslogCounts
from collectors.syslog.formats import Format, FormatError, load_formats
from collectors.syslog.listeners import ListenError, Listeners, RawMessage
from collectors.syslog.processor import CONFIG_CHANGED, Processed, SyslogProcessor
from collectors.syslog.records import SyslogRecord
from collectors.syslog.resolver import DeviceResolver
from collectors.syslog.store import SyslogStore
from inventory.db import Database

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 600.0
PRUNE_JOB = "syslog.prune"  # one instance prunes the shared history (collectors.singleton)
MAX_DIFF_CHARS = 4_000


@dataclass(frozen=True, slots=True)
class BackupResult:
    """What a triggered configuration backup found."""

    ok: bool
    version: int | None = None
    changed: bool = False
    diff: str | None = None
    error: str | None = None


BackupRequester = Callable[[int], Awaitable[BackupResult]]
Forwarder = Callable[[list[SyslogRecord]], Awaitable[None]]


class SyslogComponent:
    name = "syslog"

    def __init__(
        self,
        config: SyslogConfig,
        pipeline: Pipeline,
        db: Database | None = None,
        *,
        backup: BackupRequester | None = None,
        forward: Forwarder | None = None,
        resolver: DeviceResolver | None = None,
        formats: list[Format] | None = None,
        singletons: Singletons | None = None,
    ) -> None:
        self.config = config
        self.singletons = singletons or RunHere()
        self.pipeline = pipeline
        self.store = SyslogStore(db) if db is not None else None
        self.resolver = resolver or DeviceResolver(db)
        try:
            loaded = (
                formats
                if formats is not None
                else load_formats((config.formats_dir,) if config.formats_dir else ())
            )
        except FormatError as exc:
            raise ListenError(f"syslog formats are not valid: {exc}") from None
        self.processor = SyslogProcessor(loaded, self.resolver, self.store, config.legacy_zone)
        self.backup = backup if config.backup_on_config_change else None
        self.forward = forward
        self.queue: asyncio.Queue[RawMessage] = asyncio.Queue(maxsize=config.queue_size)
        self.listeners = Listeners(config, self.queue)
        self.counts = SyslogCounts()
        self._tasks: list[asyncio.Task[None]] = []
        self._backups: dict[int, tuple[float, asyncio.Task[BackupResult]]] = {}
        self._pending: set[asyncio.Task[None]] = set()
        self.handled = 0
        self._in_flight = 0  # messages of the batch being parsed and stored now
        self.handler_errors = 0
        self.backups_requested = 0

    # --- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.listeners.start()
        self._tasks = [
            asyncio.create_task(self._process_forever(), name="syslog-processor"),
            asyncio.create_task(self._counts_forever(), name="syslog-counts"),
        ]
        if self.store is not None:
            self._tasks.append(asyncio.create_task(self._prune_forever(), name="syslog-pruner"))

    async def stop(self) -> None:
        await self.listeners.stop()
        # What is already queued is still parsed, stored and published (bounded by the queue).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._drain(), 10.0)
        for task in [*self._tasks, *self._pending]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._pending, return_exceptions=True)
        self._tasks.clear()
        await self.pipeline.publish_samples(self.counts.drain())

    async def _drain(self) -> None:
        while not self.queue.empty() or self._in_flight:
            await asyncio.sleep(0.02)

    # --- processing -------------------------------------------------------------------------------

    async def _process_forever(self) -> None:
        batch_size = self.config.batch_size
        while True:
            batch = [await self.queue.get()]
            while len(batch) < batch_size:
                try:
                    batch.append(self.queue.get_nowait())
                except asyncio.QueueEmpty:
                    break
            self._in_flight = len(batch)
            try:
                processed = await asyncio.to_thread(self.processor.handle, batch)
                await self._publish(processed)
            except Exception:
                self.handler_errors += 1
                log.exception("handling %d syslog messages failed", len(batch))
            finally:
                self._in_flight = 0
            self.handled += len(batch)

    async def _publish(self, processed: Processed) -> None:
        for event in processed.events:
            if event.labels.get("event") == CONFIG_CHANGED:
                self._spawn(self._config_changed(event))
            else:
                await self.pipeline.publish_event(event)
        self.counts.add(processed.records)
        if self.forward is not None and processed.records:
            await self.forward(processed.records)

    async def ingest(self, records: list[SyslogRecord]) -> None:
        """Records a remote collector forwarded (already parsed, events already published there):
        resolve what it could not, store them, check sign-in addresses."""
        if self.resolver.needs_refresh():
            await asyncio.to_thread(self.resolver.refresh)
        for record in records:
            if record.device_id is None:
                found = self.resolver.resolve(record.source, record.hostnames, record.serials)
                if found is not None:
                    record.device_id, record.device_name, record.resolved_by = (
                        found.device.id,
                        found.device.name,
                        found.by,
                    )
        events = await asyncio.to_thread(self.processor.store_records, records)
        for event in events:
            await self.pipeline.publish_event(event)

    def _spawn(self, job: Awaitable[None]) -> None:
        task = asyncio.ensure_future(job)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _config_changed(self, event: Event) -> None:
        """Ask for a backup (one per device per `backup_min_interval_s`), wait for its diff, and
        publish the change with it, so the alert shows what changed."""
        if self.backup is None or event.device_id is None:
            await self.pipeline.publish_event(
                _with_backup(event, None, "no configuration backup was requested")
            )
            return
        device_id = event.device_id
        now = time.monotonic()
        started = self._backups.get(device_id)
        if started is None or now - started[0] > self.config.backup_min_interval_s:
            self.backups_requested += 1
            started = (now, asyncio.ensure_future(self.backup(device_id)))
            self._backups[device_id] = started
        result: BackupResult | None = None
        note: str | None = None
        try:
            result = await asyncio.wait_for(asyncio.shield(started[1]), self.config.backup_wait_s)
        except TimeoutError:
            note = f"the backup did not finish within {self.config.backup_wait_s:.0f} s"
        except Exception as exc:  # the requester failed: the change is still reported
            note = f"the backup failed: {exc}"
        else:
            note = None if result.ok else f"the backup failed: {result.error}"
        await self.pipeline.publish_event(_with_backup(event, result, note))

    # --- background -------------------------------------------------------------------------------

    async def _counts_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.counts_interval_s)
            await self.pipeline.publish_samples(self.counts.drain())

    async def prune(self) -> None:
        assert self.store is not None
        removed = await asyncio.to_thread(
            self.store.prune, timedelta(days=self.config.history_days), self.config.history_max_rows
        )
        if removed:
            log.info("pruned %d old syslog messages", removed)

    async def _prune_forever(self) -> None:
        while True:
            try:
                await run_once(self.singletons, PRUNE_JOB, self.prune)
            except Exception:
                log.exception("pruning the syslog history failed")
            await asyncio.sleep(PRUNE_EVERY_S)

    def status(self) -> dict[str, Any]:
        counters = self.listeners.counters
        return {
            "listening": {name: f"{host}:{port}" for name, (host, port) in self.listeners.addresses.items()},
            "received": dict(counters.received),
            "handled": self.handled,
            "parsed": self.processor.counts["parsed"],
            "unparsed": self.processor.counts["unparsed"],
            "events": self.processor.counts["events"],
            "dropped": dict(counters.dropped),
            "dropped_top_sources": dict(counters.dropped_by_source.most_common(10)),
            "truncated": counters.truncated,
            "queued": self.queue.qsize(),
            "connections": len(self.listeners._connections),
            "connections_refused": counters.connections_refused,
            "store_errors": self.processor.store_errors,
            "handler_errors": self.handler_errors,
            "backups_requested": self.backups_requested,
            "formats": len(self.processor.parser.formats),
        }

    def text_fields(self) -> dict[str, list[str]]:
        """The running intake's formats' `text_fields` (what the syslog page shows)."""
        return text_fields_of(self.processor.parser.formats)


def text_fields_of(formats: list[Format]) -> dict[str, list[str]]:
    """Which fields hold each format's own sentence (the format files' `text_fields`)."""
    return {f.name: f.spec.text_fields for f in formats}


def _with_backup(event: Event, result: BackupResult | None, note: str | None) -> Event:
    data = dict(event.data)
    message = event.message
    if result is not None and result.ok:
        data.update(config_version=result.version, config_changed=result.changed, diff=result.diff)
        if result.changed and result.diff:
            diff = (
                result.diff
                if len(result.diff) <= MAX_DIFF_CHARS
                else result.diff[:MAX_DIFF_CHARS] + "\n...(cut)"
            )
            message = f"{message}\n{diff}"
        else:
            message = f"{message} (the configuration backup shows no change since version {result.version})"
    if note:
        data["backup"] = note
        message = f"{message} ({note})"
    return replace(event, message=message, data=data)
