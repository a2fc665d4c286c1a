"""The collector side of the bus: samples, events and discovered facts -> per-partition batches ->
spool -> JetStream.

Every batch goes through a local spool (`collectors.sinks.spool.Spool`) before it is published,
so a collector that loses the bus keeps polling and loses nothing: the spool grows while the bus
is away and is drained oldest first when it is back (`collectors.spooled.SpooledSender`, the
discipline the HTTP uplink shares).

Each batch gets its message id (`Nats-Msg-Id`) when it is sealed, and that id is spooled with it.
A publish whose acknowledgement was lost is sent again with the same id, and JetStream stores it
once (within the stream's duplicate window): retries are harmless, and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.js import JetStreamContext

from collectors.bus import messages
from collectors.bus.config import BusConfig
from collectors.bus.connection import connect, ensure_stream
from collectors.bus.subjects import EVENTS, FACTS, SAMPLES, partition_of, subject
from collectors.samples import Event, Sample
from collectors.sinks.spool import Spool, SpoolRecord
from collectors.spooled import SpooledSender
from inventory.discovery import Observation

log = logging.getLogger(__name__)

MAX_BATCH_ITEMS = 5_000
# Under NATS's default max_payload (1 MiB): a bigger message is refused by the server, forever.
MAX_MESSAGE_BYTES = 512 << 10
MAX_BACKOFF = 2.0


@dataclass
class PublisherStats:
    samples: int = 0  # sealed into batches
    events: int = 0
    facts: int = 0  # observations of devices (discovered facts)
    batches: int = 0  # sealed and spooled
    published: int = 0  # stored by JetStream
    duplicates: int = 0  # a retry JetStream already had (its first ack was lost)
    retries: int = 0  # publishes that failed and were tried again
    max_buffered: int = 0  # most batches waiting in the spool at once
    rejected: int = 0  # batches the bus refused as too large even alone: dropped, logged
    last_error: str | None = None


def spool_record(msg_id: str, subject_name: str, body: bytes) -> bytes:
    return f"{msg_id} {subject_name}\n".encode() + body


def parse_record(payload: bytes) -> tuple[str, str, bytes]:
    head, _, body = payload.partition(b"\n")
    msg_id, _, subject_name = head.decode().partition(" ")
    return msg_id, subject_name, body


def device_key(device_id: int | None, name: str | None) -> object:
    return device_id if device_id is not None else (name or "")


class BusPublisher(SpooledSender):
    """A sample and event consumer (for a `Pipeline`) that publishes to JetStream."""

    name = "bus publisher"
    retryable = (nats.errors.Error, OSError)
    min_backoff = 0.1
    max_backoff = MAX_BACKOFF

    def __init__(self, config: BusConfig, spool: Spool, *, source: str = "collector") -> None:
        super().__init__(spool, config.flush_interval_s)
        self.config = config
        self.source = source
        self.stats = PublisherStats()
        self._samples: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self._events: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self._facts: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self._buffered = 0
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._sealing = asyncio.Lock()  # one seal at a time; stop()'s waits for one in flight

    # --- consumers ------------------------------------------------------------------------------

    async def consume_samples(self, samples: list[Sample]) -> None:
        for sample in samples:
            key = device_key(sample.device_id, sample.tags.get("device"))
            self._samples[partition_of(key, self.config.partitions)].extend(messages.encode_samples([sample]))
        self._buffered += len(samples)
        if self._buffered >= MAX_BATCH_ITEMS:
            await self.seal()

    async def consume_event(self, event: Event) -> None:
        key = device_key(event.device_id, event.labels.get("device") or event.source)
        self._events[partition_of(key, self.config.partitions)].append(messages.encode_event(event))
        self._buffered += 1
        if self._buffered >= MAX_BATCH_ITEMS:
            await self.seal()

    async def consume_facts(self, observations: list[Observation]) -> None:
        """What this collector read of its devices, for the inventory's discovered-facts staging:
        on the device's partition, so that the instance leading it stages them."""
        for observation in observations:
            device = observation.device
            key = device_key(device.device_id, device.hostname or device.address)
            self._facts[partition_of(key, self.config.partitions)].append(
                messages.encode_observation(observation)
            )
        self._buffered += len(observations)
        if self._buffered >= MAX_BATCH_ITEMS:
            await self.seal()

    # --- batches --------------------------------------------------------------------------------

    async def seal(self) -> None:
        """Spool what is buffered: one batch per partition, each with its message id.

        A caller cancelled meanwhile (the seal loop or a poll, as the collector stops) does not cut
        it short: what it took from the buffers is spooled all the same, and `stop()`'s own seal
        waits for it. Cut short, the batches not yet appended were lost (found by bench/scale:
        about one flush interval of samples at every stop)."""
        await asyncio.shield(self._seal())

    async def _seal(self) -> None:
        async with self._sealing:
            await self._seal_buffered()

    async def _seal_buffered(self) -> None:
        if not self._buffered:
            return
        samples, events, facts = self._samples, self._events, self._facts
        self._samples, self._events, self._facts = defaultdict(list), defaultdict(list), defaultdict(list)
        self._buffered = 0
        now = time.time_ns()
        records: list[tuple[str, bytes, tuple[int, int, int]]] = []  # subject, body, counts
        prefix = self.config.subject_prefix
        for partition in sorted(samples):
            for chunk, body in self._bodies(
                samples[partition], lambda c: messages.encode(c, [], now, self.source)
            ):
                records.append((subject(prefix, SAMPLES, partition), body, (len(chunk), 0, 0)))
        for partition in sorted(events):
            for chunk, body in self._bodies(
                events[partition], lambda c: messages.encode([], c, now, self.source)
            ):
                records.append((subject(prefix, EVENTS, partition), body, (0, len(chunk), 0)))
        for partition in sorted(facts):
            for chunk, body in self._bodies(
                facts[partition], lambda c: messages.encode([], [], now, self.source, facts=c)
            ):
                records.append((subject(prefix, FACTS, partition), body, (0, 0, len(chunk))))
        for name, body, (sample_count, event_count, fact_count) in records:
            if await asyncio.to_thread(self.spool.append, spool_record(uuid.uuid4().hex, name, body)):
                self.stats.samples += sample_count
                self.stats.events += event_count
                self.stats.facts += fact_count
                self.stats.batches += 1
        self.stats.max_buffered = max(self.stats.max_buffered, len(self.spool))
        self._wake.set()

    def _bodies(
        self, items: list[dict[str, Any]], encode: Callable[[list[dict[str, Any]]], bytes]
    ) -> list[tuple[list[dict[str, Any]], bytes]]:
        """Encoded bodies of at most MAX_MESSAGE_BYTES, halving a list until its parts fit."""
        body = encode(items)
        if len(body) <= MAX_MESSAGE_BYTES:
            return [(items, body)]
        if len(items) == 1:
            log.error("one sample or event is %d bytes, more than a bus message holds: dropped", len(body))
            self.stats.rejected += 1
            return []
        half = len(items) // 2
        return self._bodies(items[:half], encode) + self._bodies(items[half:], encode)

    async def publish_one(self) -> bool:
        """Publish the oldest spooled batch. True when JetStream stored it (or had it already)."""
        return await self.deliver_one()

    async def send_one(self, record: SpoolRecord) -> None:
        js = await self._jetstream()
        msg_id, subject_name, body = parse_record(record.payload)
        try:
            ack = await js.publish(
                subject_name,
                body,
                timeout=self.config.publish_timeout_s,
                stream=self.config.stream,
                headers={"Nats-Msg-Id": msg_id},
            )
        except (nats.errors.NoRespondersError, nats.js.errors.NoStreamResponseError):
            # Nothing stores the subject: the stream is gone (a bus started on an empty store).
            # Declare it again at the next try; the batch stays spooled until then.
            self._js = None
            raise
        except nats.errors.MaxPayloadError:
            # The server's max_payload is below ours: this batch can never succeed; the next can.
            log.error("the bus refuses a %d-byte batch as too large, dropping it", len(body))
            self.stats.rejected += 1
            return
        if ack.duplicate:
            self.stats.duplicates += 1
        else:
            self.stats.published += 1

    def can_drain(self) -> bool:
        return self._js is not None  # never connected: connecting would wait for the bus

    async def close(self) -> None:
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await self._nc.close()
        self._nc = self._js = None

    async def _jetstream(self) -> JetStreamContext:
        if self._js is None:
            if self._nc is None:
                self._nc = await connect(self.config, f"eams {self.source}", on_reconnect=self._redeclare)
            js = self._nc.jetstream(timeout=self.config.publish_timeout_s)
            await ensure_stream(js, self.config)
            self._js = js
        return self._js

    def _redeclare(self) -> None:
        self._js = None  # the stream is declared again before the next publish

    def failed(self, error: BaseException) -> None:
        if self.stats.retries == 0 or self.stats.last_error is None:
            log.warning("the bus does not take batches (%s); spooling until it does", error)
        self.stats.retries += 1
        self.stats.last_error = str(error) or type(error).__name__

    def recovered(self) -> None:
        log.info("the bus takes batches again")
        self.stats.last_error = None
