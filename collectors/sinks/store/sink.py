"""`MetricStoreSink`: the embedded store as a sample consumer, beside the InfluxDB sink.

`consume_samples()` only queues (it runs on the event loop); one worker thread ingests the queue
every `flush_interval` (1 s), flushes it to disk and does the store's maintenance, in order.

What a crash costs, and how it is counted: samples are durable once their flush commits, so a
`kill -9` loses at most the samples queued since the last flush. Every sample received is also
counted in a small memory-mapped file (`intake`) the moment it arrives: the kernel keeps a
mapped page when the process dies, so at the next start `intake` minus the samples flushed is
exactly what was lost. It is added to `lost_samples` in the store's state and logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mmap
import os
import struct
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collectors.samples import Sample
from collectors.schema import Schema
from collectors.sinks.store.config import MetricsConfig
from collectors.sinks.store.maintenance import maintain
from collectors.sinks.store.reader import StoreReader
from collectors.sinks.store.writer import StoreWriter

log = logging.getLogger(__name__)

STORE_FILE = "metrics.sqlite3"
INTAKE_FILE = "intake"
_INTAKE = struct.Struct("<Q")
MAX_QUEUED = 2_000_000  # samples waiting for the worker before consume_samples() waits


class IntakeCounter:
    """A counter in a mapped file: it survives the death of the process (not of the machine)."""

    def __init__(self, path: Path) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < _INTAKE.size:
                os.ftruncate(fd, _INTAKE.size)
            self._map = mmap.mmap(fd, _INTAKE.size)
        finally:
            os.close(fd)

    @property
    def value(self) -> int:
        return int(_INTAKE.unpack_from(self._map, 0)[0])

    @value.setter
    def value(self, total: int) -> None:
        _INTAKE.pack_into(self._map, 0, total)

    def add(self, count: int) -> None:
        self.value = self.value + count

    def close(self) -> None:
        self._map.close()


@dataclass
class SinkState:
    running: bool
    path: str
    queued_samples: int
    received_samples: int
    last_flush_at: float | None
    last_error: str | None
    store: dict[str, Any]


class MetricStoreSink:
    name = "metric-store"

    def __init__(
        self, folder: Path, config: MetricsConfig, schema: Schema | None, *, maintain_store: bool = True
    ) -> None:
        self.folder = folder
        self.path = folder / STORE_FILE
        self.config = config
        self.schema = schema
        self.maintain_store = maintain_store  # benchmarks turn it off to time the parts apart
        self.writer: StoreWriter | None = None
        self._queue: list[Sample] = []
        self._executor: ThreadPoolExecutor | None = None
        self._task: asyncio.Task[None] | None = None
        self._intake: IntakeCounter | None = None
        self._received = 0
        self._last_flush_at: float | None = None
        self._last_error: str | None = None
        self._drained = asyncio.Event()

    async def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="metric-store")
        self.writer = await self._run(self._open)
        self._task = asyncio.create_task(self._flush_loop(), name="metric-store-flush")

    def _open(self) -> StoreWriter:
        writer = StoreWriter(self.path, self.config, self.schema)
        self._intake = IntakeCounter(self.folder / INTAKE_FILE)
        received = self._intake.value
        if received > writer.stats.samples:
            writer.record_lost(received - writer.stats.samples)
        self._intake.value = writer.stats.samples
        return writer

    async def _run(self, function: Any, *args: Any) -> Any:
        assert self._executor is not None
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    async def consume_samples(self, samples: list[Sample]) -> None:
        while len(self._queue) > MAX_QUEUED and self._task is not None:
            self._drained.clear()
            await self._drained.wait()  # the disk cannot keep up: hold the producer
        self._queue.extend(samples)
        self._received += len(samples)
        if self._intake is not None:
            self._intake.add(len(samples))

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.flush_interval)
            await self.flush()

    async def flush(self) -> None:
        batch, self._queue = self._queue, []
        try:
            await self._run(self._write, batch)
            self._last_flush_at = time.time()
            self._last_error = None
        except Exception as error:  # the disk is full or broken: keep the batch for the next try
            self._queue[:0] = batch
            self._last_error = f"{type(error).__name__}: {error}"
            log.exception("writing metrics to the store failed; will retry")
        finally:
            self._drained.set()

    def _write(self, batch: list[Sample]) -> None:
        assert self.writer is not None
        if batch:
            self.writer.ingest(batch)
            self.writer.flush()
        if self.maintain_store:
            maintain(self.writer, time.time_ns())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.writer is not None:
            await self.flush()
            await self._run(self.writer.close)
            self.writer = None
        if self._intake is not None:
            self._intake.close()
            self._intake = None
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def reader(self) -> StoreReader:
        """A reader that also sees the last second (the writer's in-memory head and latest values)."""
        writer = self.writer
        if writer is None:
            return StoreReader(self.path)
        return StoreReader(self.path, head=writer.head, latest=self._latest)

    def _latest(self, series: list[int]) -> dict[int, list[tuple[str, int, object, float | None]]]:
        writer = self.writer
        if writer is None:
            return StoreReader(self.path).latest(series)
        out: dict[int, list[tuple[str, int, object, float | None]]] = {}
        for sid in series:
            state = writer.series_state(sid)
            if state is None:
                continue
            names = state.measurement.names
            last = list(state.last)
            out[sid] = [
                (names[i // 3], last[i], last[i + 1], last[i + 2])  # type: ignore[misc]
                for i in range(0, len(last) - 2, 3)
                if last[i] is not None
            ]
        return out

    def state(self) -> SinkState:
        writer = self.writer
        return SinkState(
            running=writer is not None,
            path=str(self.path),
            queued_samples=len(self._queue),
            received_samples=self._received,
            last_flush_at=self._last_flush_at,
            last_error=self._last_error,
            store=dict(writer.stats.__dict__) | {"sealed_through_block": writer.sealed_through}
            if writer
            else {},
        )
