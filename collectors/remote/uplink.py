"""The collector's link to the service: samples and events -> batches -> on-disk spool -> the API.

The spool discipline is `collectors.spooled.SpooledSender`'s (the bus publisher shares it): every
batch is on disk before it is sent, one order whether the service is up or down, the oldest batch
acknowledged only when the service took it (or said it had it already: batch ids make a replay
harmless), backing off while the service is unreachable.

A batch the service refuses as data (422) can never succeed: it is dropped, logged and counted.
A refused token (401/403) is kept and retried: an operator can fix that without losing data.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from collectors.remote.client import ServiceClient, ServiceRefused, ServiceUnavailable
from collectors.remote.wire import event_to_json, sample_to_json
from collectors.samples import Event, Sample
from collectors.sinks.spool import Spool, SpoolRecord
from collectors.spooled import SpooledSender
from collectors.syslog.records import SyslogRecord

log = logging.getLogger(__name__)

DEFAULT_FLUSH_INTERVAL = 1.0
MAX_BATCH_ITEMS = 5_000  # well under the service's limit per batch
MAX_SYSLOG_BYTES = 4 << 20  # raw syslog bytes per batch (a message may be 64 KiB)
MAX_BACKOFF = 5.0


@dataclass
class UplinkStats:
    """What this process handed to the uplink and what the service took."""

    samples: int = 0  # forwarded into batches
    events: int = 0
    syslog: int = 0  # syslog messages received at the site and forwarded
    batches: int = 0
    delivered_batches: int = 0
    duplicate_batches: int = 0
    rejected_batches: int = 0
    last_error: str | None = None


class Uplink(SpooledSender):
    name = "uplink"
    retryable = (ServiceUnavailable, ServiceRefused)
    min_backoff = 0.25
    max_backoff = MAX_BACKOFF

    def __init__(
        self,
        spool: Spool,
        client: ServiceClient,
        *,
        flush_interval: float = DEFAULT_FLUSH_INTERVAL,
        measurements: set[str] | None = None,
    ) -> None:
        super().__init__(spool, flush_interval)
        self.client = client
        # None forwards every sample; a set forwards what the service's alert rules read.
        self.measurements = measurements
        self.stats = UplinkStats()
        self._samples: list[dict[str, Any]] = []
        self._events: list[dict[str, Any]] = []
        self._syslog: list[dict[str, Any]] = []
        self._syslog_bytes = 0

    # --- consumers ------------------------------------------------------------------------------

    async def consume_samples(self, samples: list[Sample]) -> None:
        wanted = self.measurements
        for sample in samples:
            if wanted is None or sample.measurement in wanted:
                self._samples.append(sample_to_json(sample))
        if len(self._samples) >= MAX_BATCH_ITEMS:
            await self.seal()

    async def consume_event(self, event: Event) -> None:
        self._events.append(event_to_json(event))
        if len(self._events) >= MAX_BATCH_ITEMS:
            await self.seal()

    async def consume_syslog(self, records: list[SyslogRecord]) -> None:
        """Syslog messages received at this site: stored by the service, durable on the way."""
        for record in records:
            self._syslog.append(record.to_json())
            self._syslog_bytes += len(record.raw)
            if len(self._syslog) >= MAX_BATCH_ITEMS or self._syslog_bytes >= MAX_SYSLOG_BYTES:
                await self.seal()

    # --- batches ----------------------------------------------------------------------------------

    async def seal(self) -> None:
        """Put what is buffered into the spool as one batch."""
        if not self._samples and not self._events and not self._syslog:
            return
        samples, events, syslog = self._samples, self._events, self._syslog
        self._samples, self._events, self._syslog, self._syslog_bytes = [], [], [], 0
        batch: dict[str, Any] = {
            "batch_id": uuid.uuid4().hex,
            "created_ns": time.time_ns(),
            "samples": samples,
            "events": events,
        }
        if syslog:
            batch["syslog"] = syslog
        payload = json.dumps(batch, separators=(",", ":")).encode()
        if await asyncio.to_thread(self.spool.append, payload):
            self.stats.samples += len(samples)
            self.stats.events += len(events)
            self.stats.syslog += len(syslog)
            self.stats.batches += 1
        self._wake.set()

    def lag_s(self) -> float:
        """Age of the oldest batch the service has not taken yet (0 when none)."""
        record = self.spool.peek()
        if record is None:
            return 0.0
        created = json.loads(record.payload).get("created_ns") or time.time_ns()
        return max(0.0, (time.time_ns() - created) / 1e9)

    async def send_one(self, record: SpoolRecord) -> None:
        try:
            answer = await self.client.post_batch(record.payload)
        except ServiceRefused as refused:
            self.stats.last_error = str(refused)
            if refused.status in (400, 413, 422):
                log.error("the service refused a batch as data, dropping it: %s", refused)
                self.stats.rejected_batches += 1
                return
            raise
        if answer.get("duplicate"):
            self.stats.duplicate_batches += 1
        else:
            self.stats.delivered_batches += 1

    def failed(self, error: BaseException) -> None:
        if self._backoff == 0.0:
            log.warning("the service does not take batches (%s); spooling until it does", error)
        self.stats.last_error = str(error) or type(error).__name__
