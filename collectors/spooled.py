"""The spool discipline shared by a collector's senders (the HTTP uplink, the bus publisher).

Everything a sender is handed is buffered, sealed into a batch every `flush_interval` and
appended to its `Spool` (on disk, fsync'ed) before anything is sent; one task sends the oldest
spooled batch and removes it only when the peer has it. So there is one order whether the peer is
up or down, and a batch is on disk before it leaves:

- while the peer is away (`retryable` errors) the sender backs off, doubling up to `max_backoff`,
  and the spool grows; when the peer answers again the spool drains oldest first;
- `drain(timeout)` sends what is spooled for at most `timeout` seconds;
- `stop()` cancels both tasks, seals what is buffered, drains (bounded) and closes the spool:
  what is left stays on disk for the next start.

A transport says how to send one batch (`send_one`), how to seal (`seal`) and what it counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from abc import ABC, abstractmethod

from collectors.sinks.spool import Spool, SpoolRecord

log = logging.getLogger(__name__)


class SpooledSender(ABC):
    """A spool plus its two tasks: seal every `flush_interval`, send the oldest batch."""

    name = "spooled sender"
    # Errors that mean "the peer does not take batches now": the batch stays, the sender backs off.
    retryable: tuple[type[BaseException], ...] = (OSError,)
    min_backoff = 0.25
    max_backoff = 5.0

    def __init__(self, spool: Spool, flush_interval: float) -> None:
        self.spool = spool
        self.flush_interval = flush_interval
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._backoff = 0.0

    # --- what a transport provides ----------------------------------------------------------------

    @abstractmethod
    async def seal(self) -> None:
        """Spool what is buffered (and set `self._wake` so that the sender sends it)."""

    @abstractmethod
    async def send_one(self, record: SpoolRecord) -> None:
        """Send one spooled batch. Return when the peer has it, or when it can never succeed (the
        transport logs and counts that); raise a `retryable` error to keep it for a later try."""

    def failed(self, error: BaseException) -> None:
        """A send failed with a retryable error (the transport counts it, keeps its last error)."""
        log.debug("%s: send failed: %s", self.name, error)

    def recovered(self) -> None:
        """A send succeeded after failures."""
        log.debug("%s: sends again", self.name)

    def can_drain(self) -> bool:
        """Whether `stop` should try to send what is spooled (False: the peer was never reached)."""
        return True

    async def close(self) -> None:
        """Close the transport's connection (after the last drain)."""
        return None

    # --- the discipline ---------------------------------------------------------------------------

    def _retry_on(self) -> tuple[type[BaseException], ...]:
        return (TimeoutError, *self.retryable)

    def pending(self) -> int:
        """Batches spooled and not yet taken by the peer."""
        return len(self.spool)

    async def deliver_one(self) -> bool:
        """Send the oldest spooled batch. True when it is done with (taken, known or dropped)."""
        record: SpoolRecord | None = await asyncio.to_thread(self.spool.peek)
        if record is None:
            return False
        await self.send_one(record)
        await asyncio.to_thread(self.spool.ack, record)
        return True

    async def drain(self, timeout: float) -> bool:
        """Send everything spooled, for at most `timeout` seconds. True when nothing is left."""
        deadline = time.monotonic() + timeout
        while len(self.spool) and time.monotonic() < deadline:
            try:
                await asyncio.wait_for(self.deliver_one(), max(0.1, deadline - time.monotonic()))
            except self._retry_on() as error:
                self.failed(error)
                await asyncio.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
        return len(self.spool) == 0

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._seal_forever(), name=f"{self.name}-seal"),
            asyncio.create_task(self._send_forever(), name=f"{self.name}-send"),
        ]

    async def stop(self, drain_timeout: float = 5.0) -> None:
        """Seal what is buffered, try to send it, close (what is left stays in the spool)."""
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self.seal()
        if self.can_drain():
            await self.drain(drain_timeout)
        await self.close()
        self.spool.close()

    async def _seal_forever(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval)
            try:
                await self.seal()
            except Exception:
                log.exception("%s: spooling a batch failed", self.name)

    async def _send_forever(self) -> None:
        while True:
            try:
                if not await self.deliver_one():
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=self.flush_interval)
                    continue
                if self._backoff:
                    self.recovered()
                self._backoff = 0.0
            except self._retry_on() as error:
                self.failed(error)
                self._backoff = min(self.max_backoff, max(self.min_backoff, self._backoff * 2))
                await asyncio.sleep(self._backoff)
            except Exception:
                log.exception("%s: sending a batch failed", self.name)
                await asyncio.sleep(1.0)
