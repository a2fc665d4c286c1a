"""The InfluxDB sink: samples -> line protocol -> batches -> InfluxDB, through the spool when needed.

`SpoolingInfluxSink` is a `SampleConsumer`. `consume_samples()` encodes and buffers; a batch is
sealed when it reaches `batch_bytes` or every `flush_interval` seconds, and one background task
delivers sealed batches in order:

- InfluxDB answers 2xx: delivered.
- InfluxDB is down, slow (the request timed out), overloaded (429/5xx) or refuses the token or
  bucket (401/403/404, an operator can fix that): the batch goes to the on-disk spool, and so do
  all later batches while anything is spooled, so that order is kept. The spool is replayed,
  oldest first, with exponential backoff between attempts, until it is empty.
- InfluxDB rejects the data itself (400 or 422, e.g. a field type conflict): retrying cannot
  help, so the batch is dropped, counted in `rejected_batches` and logged.
- InfluxDB says the request is too large (413): the batch is split in two at a line boundary
  and each half sent (split again as needed); only a single line too large is rejected. If a
  half then fails, the whole batch is spooled; rewriting the half already written is harmless
  (a point with the same series and time overwrites itself).
- InfluxDB asks for time (429 or 503 with `Retry-After`): the next attempt waits at least that
  long, whatever the backoff says.
- No InfluxDB configured (the embedded default): every batch goes to the spool; configuring one
  later (`configure()`, or a restart with `EAMS_INFLUX_URL`) replays it.

What "nothing is lost" covers: a batch in the spool survives a restart or a crash (see
`collectors.sinks.spool`); samples still buffered in memory (at most `flush_interval` seconds'
worth, plus what is queued while a write is in flight) are written or spooled by `stop()`, and
are lost only if the process dies without stopping. Samples that arrive after `stop()` go
straight to the spool, for the next start. A spool bound overrun drops the oldest batches, loudly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any, Protocol

from collectors.samples import Sample
from collectors.sinks.lineprotocol import LineEncoder
from collectors.sinks.spool import Spool, SpoolRecord

log = logging.getLogger(__name__)

DEFAULT_BATCH_BYTES = 1 << 20  # well under every server's request limit (InfluxDB 1.x: 25 MB)
DEFAULT_FLUSH_INTERVAL = 1.0
DEFAULT_MAX_QUEUE_BYTES = 64 << 20
DEFAULT_TIMEOUT = 10.0

# Spooled batches are zlib-compressed (level 1: ~140 MB/s, line protocol shrinks ~6x), so the
# same disk bound covers a much longer outage. The first byte says how the rest is stored.
_SPOOL_PLAIN = b"\x00"
_SPOOL_ZLIB = b"\x01"


@dataclass(frozen=True)
class InfluxTarget:
    """Where to write. For InfluxDB 1.8+ (v2 compatibility API): token `user:password` (or
    empty without auth), org `-`, bucket `database/retention-policy` (or just `database`)."""

    url: str
    token: str = ""
    org: str = "eams"
    bucket: str = "eams"
    timeout: float = DEFAULT_TIMEOUT  # seconds, for one write request
    gzip: bool = False

    def describe(self) -> str:
        return f"{self.url} (org {self.org}, bucket {self.bucket})"


class Outcome(Enum):
    written = "written"
    retry = "retry"  # keep the batch: the server is down, slow or misconfigured
    rejected = "rejected"  # drop the batch: the server refuses the data itself
    too_large = "too_large"  # split the batch and send the halves


# 4xx answers that say the data is bad; every other failure is worth retrying.
_REJECTING_STATUSES = frozenset({400, 422})
_TOO_LARGE = 413


@dataclass(frozen=True)
class WriteResult:
    outcome: Outcome
    error: str | None = None
    retry_after: float | None = None  # seconds the server asked us to wait (Retry-After)


def retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header in seconds (its HTTP-date form is read too); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class InfluxWriter:
    """Writes one line-protocol body through influxdb-client, synchronously (call it in a thread)."""

    def __init__(self, target: InfluxTarget) -> None:
        from influxdb_client import InfluxDBClient
        from influxdb_client.client.write_api import SYNCHRONOUS

        self.target = target
        self._client = InfluxDBClient(
            url=target.url,
            token=target.token,
            org=target.org,
            timeout=int(target.timeout * 1000),
            enable_gzip=target.gzip,
        )
        self._write_api = self._client.write_api(write_options=SYNCHRONOUS)

    def write(self, body: bytes) -> WriteResult:
        from influxdb_client import WritePrecision
        from influxdb_client.rest import ApiException

        try:
            self._write_api.write(
                bucket=self.target.bucket,
                org=self.target.org,
                record=body,
                write_precision=WritePrecision.NS,  # type: ignore[arg-type]  # a str constant, typed as the class
            )
        except ApiException as error:
            detail = _api_error_text(error)
            if error.status == _TOO_LARGE:
                return WriteResult(Outcome.too_large, detail)
            if error.status in _REJECTING_STATUSES:
                return WriteResult(Outcome.rejected, detail)
            headers: Any = error.headers or {}
            return WriteResult(Outcome.retry, detail, retry_after_seconds(headers.get("Retry-After")))
        except Exception as error:  # connection refused, timeout, DNS ...: the server is not there
            return WriteResult(Outcome.retry, f"{type(error).__name__}: {error}")
        return WriteResult(Outcome.written)

    def close(self) -> None:
        self._client.close()


def _api_error_text(error: Any) -> str:
    body = error.body.decode(errors="replace") if isinstance(error.body, bytes) else str(error.body or "")
    hint = ""
    if error.status == 404:
        hint = " (is the bucket right? InfluxDB before 1.8 has no /api/v2/write)"
    elif error.status in (401, 403):
        hint = " (check EAMS_INFLUX_TOKEN; for InfluxDB 1.8 use user:password)"
    return f"HTTP {error.status} {error.reason}: {body.strip()[:300]}{hint}"


class Writer(Protocol):
    """What the sink needs from a writer: `InfluxWriter`, or one that wraps it."""

    @property
    def target(self) -> InfluxTarget: ...

    def write(self, body: bytes) -> WriteResult: ...

    def close(self) -> None: ...


@dataclass
class SinkState:
    """The sink at a glance, for the service's status endpoint and the `collector` measurement."""

    configured: bool
    target: str | None
    queued_batches: int  # sealed in memory, waiting for the sender
    queued_bytes: int  # including the batch being filled
    spooled_batches: int  # on disk, waiting to be replayed
    spooled_bytes: int  # compressed, as stored on disk
    written_batches: int
    written_points: int
    written_bytes: int
    spooled_total: int  # batches that went to the spool since start
    replayed_batches: int  # of those, delivered from the spool
    rejected_batches: int  # refused by InfluxDB as bad data (400/422); dropped
    dropped_batches: int  # dropped by the spool bound, or lost because the spool could not be written
    dropped_bytes: int
    torn_records: int
    encoder: dict[str, int] = field(default_factory=dict)
    last_error: str | None = None
    last_error_at: float | None = None  # unix seconds
    last_success_at: float | None = None
    retry_in: float | None = None  # seconds until the next attempt while InfluxDB is failing
    spooled_after_stop: int = 0  # batches that arrived after stop(): spooled, replayed at next start

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Batch:
    body: bytes
    points: int


class SpoolingInfluxSink:
    """Samples to InfluxDB, with an on-disk spool while InfluxDB is away (see the module doc)."""

    name = "influx-sink"

    def __init__(
        self,
        spool: Spool,
        writer: Writer | None = None,
        *,
        batch_bytes: int = DEFAULT_BATCH_BYTES,
        flush_interval: float = DEFAULT_FLUSH_INTERVAL,
        max_queue_bytes: int = DEFAULT_MAX_QUEUE_BYTES,
        backoff_initial: float = 1.0,
        backoff_max: float = 60.0,
        state_interval: float | None = 60.0,
        instance: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.spool = spool
        self.encoder = LineEncoder()
        self.batch_bytes = batch_bytes
        self.flush_interval = flush_interval
        self.max_queue_bytes = max_queue_bytes
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.state_interval = state_interval
        self.instance = instance or socket.gethostname()
        self._clock = clock
        self._writer = writer
        self._lines: list[str] = []
        self._line_bytes = 0
        self._queue: deque[_Batch] = deque()
        self._queued_bytes = 0
        # Batches sealed and batches handled (written or spooled) since start: a flush waits for
        # the ones sealed before it, not for the queue to empty while others keep filling it.
        self._sealed_batches = 0
        self._handled_batches = 0
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._stopping = False
        self._closed = False
        self._backoff = 0.0
        self._retry_at = 0.0  # monotonic time of the next write attempt after a failure
        self.written_batches = 0
        self.written_points = 0
        self.written_bytes = 0
        self.spooled_total = 0
        self.replayed_batches = 0
        self.rejected_batches = 0
        self.split_batches = 0  # batches the server found too large (413), sent as halves
        self.unspoolable_batches = 0
        self.spooled_after_stop = 0
        self.last_error: str | None = None
        self.last_error_at: float | None = None
        self.last_success_at: float | None = None

    # -- SampleConsumer ---------------------------------------------------------------------

    async def consume_samples(self, samples: list[Sample]) -> None:
        lines = self.encoder.encode_lines(samples)
        if not lines:
            return
        if self._closed:
            await self._spool_after_stop(lines)
            return
        self._lines.extend(lines)
        self._line_bytes += sum(map(len, lines)) + len(lines)
        if self._line_bytes >= self.batch_bytes:
            self._seal()
        # Back-pressure instead of unbounded memory when even the spool cannot keep up.
        while self._queued_bytes > self.max_queue_bytes and self.running:
            self._room.clear()
            await self._room.wait()

    # -- life cycle -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        if self._task is not None:
            return
        self._stopping = False
        self._task = asyncio.create_task(self._deliver_forever(), name="influx-sink")
        self._ticker = asyncio.create_task(self._tick_forever(), name="influx-sink-flush")
        target = (
            self._writer.target.describe() if self._writer else "nowhere (no EAMS_INFLUX_URL): spool only"
        )
        log.info("influx sink writing to %s; spool %s", target, self.spool.directory)

    async def flush(self) -> None:
        """Seal what is buffered and wait until the sender has written or spooled it, and every
        batch sealed before it."""
        self._seal()
        target = self._sealed_batches
        while self._handled_batches < target and self.running:
            self._room.clear()
            await self._room.wait()

    async def stop(self) -> None:
        """Flush (write or spool everything in memory), then stop and close. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        if self.state_interval is not None:
            self._emit_state_sample()
        self._seal()
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
        else:  # never started: deliver (or spool) what was consumed, here
            await self._deliver_forever()
        self._task = self._ticker = None
        if self._writer is not None:
            await asyncio.to_thread(self._writer.close)
        await asyncio.to_thread(self.spool.close)

    def configure(self, writer: Writer | None) -> None:
        """Point the sink at another InfluxDB (or none); the spool is replayed to the new one."""
        old, self._writer = self._writer, writer
        self._backoff, self._retry_at = 0.0, 0.0
        self._wake.set()
        if old is not None and old is not writer:
            old.close()

    # -- state ------------------------------------------------------------------------------

    def state(self) -> SinkState:
        spool = self.spool.state()
        now = time.monotonic()
        return SinkState(
            configured=self._writer is not None,
            target=self._writer.target.describe() if self._writer else None,
            queued_batches=len(self._queue),
            queued_bytes=self._queued_bytes + self._line_bytes,
            spooled_batches=spool.pending_batches,
            spooled_bytes=spool.pending_bytes,
            written_batches=self.written_batches,
            written_points=self.written_points,
            written_bytes=self.written_bytes,
            spooled_total=self.spooled_total,
            replayed_batches=self.replayed_batches,
            rejected_batches=self.rejected_batches,
            dropped_batches=spool.dropped_batches + self.unspoolable_batches,
            dropped_bytes=spool.dropped_bytes,
            torn_records=spool.torn_records,
            encoder=self.encoder.stats.as_dict(),
            last_error=self.last_error,
            last_error_at=self.last_error_at,
            last_success_at=self.last_success_at,
            retry_in=max(0.0, self._retry_at - now) if self._retry_at > now else None,
            spooled_after_stop=self.spooled_after_stop,
        )

    def state_sample(self) -> Sample:
        """The sink's health as one point of the `collector` measurement (field types fixed)."""
        state = self.state()
        return Sample(
            "collector",
            {"component": "influx_sink", "instance": self.instance},
            {
                "configured": state.configured,
                "queued_bytes": state.queued_bytes,
                "queued_batches": state.queued_batches,
                "spooled_batches": state.spooled_batches,
                "spooled_bytes": state.spooled_bytes,
                "written_points": state.written_points,
                "written_batches": state.written_batches,
                "rejected_batches": state.rejected_batches,
                "dropped_batches": state.dropped_batches,
                "dropped_bytes": state.dropped_bytes,
                "dropped_fields": (
                    state.encoder["non_finite_fields"]
                    + state.encoder["out_of_range_fields"]
                    + state.encoder["invalid_fields"]
                    + state.encoder["type_conflicts"]
                ),
                "last_success_ns": int((state.last_success_at or 0) * 1e9),
                "last_error": state.last_error or "",
            },
            time_ns=int(self._clock() * 1e9),
        )

    # -- internals --------------------------------------------------------------------------

    def _seal(self) -> None:
        if not self._lines:
            return
        body = "\n".join(self._lines).encode()
        self._queue.append(_Batch(body, len(self._lines)))
        self._sealed_batches += 1
        self._queued_bytes += len(body)
        self._lines = []
        self._line_bytes = 0
        self._wake.set()

    def _emit_state_sample(self) -> None:
        line = self.encoder.encode(self.state_sample())
        if line is not None:
            self._lines.append(line)
            self._line_bytes += len(line) + 1

    async def _tick_forever(self) -> None:
        last_state = time.monotonic()
        while True:
            await asyncio.sleep(self.flush_interval)
            if self.state_interval is not None and time.monotonic() - last_state >= self.state_interval:
                last_state = time.monotonic()
                self._emit_state_sample()
            self._seal()

    async def _deliver_forever(self) -> None:
        while True:
            try:
                progressed = await self._deliver_step()
            except Exception as error:  # a bug must not silently stop all delivery
                log.exception("influx sink: delivery failed unexpectedly; retrying")
                self._note_error(f"{type(error).__name__}: {error}")
                await asyncio.sleep(self.backoff_initial)
                continue
            if self._stopping and not self._queue and not self._lines:
                return
            if not progressed:
                self._wake.clear()
                timeout = None
                if self._writer is not None and len(self.spool):
                    timeout = max(0.0, self._retry_at - time.monotonic())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)

    async def _deliver_step(self) -> bool:
        """Replay one spooled batch when due, then handle one queued batch. True if anything moved."""
        progressed = False
        replay_due = self._writer is not None and len(self.spool) and time.monotonic() >= self._retry_at
        if replay_due and not self._stopping:
            progressed = await self._replay_one()
        if self._queue:
            batch = self._queue[0]
            # While anything is spooled (or InfluxDB is failing, or absent), new batches queue up
            # behind it on disk: that keeps the order.
            direct = self._writer is not None and not len(self.spool) and time.monotonic() >= self._retry_at
            if not direct or await self._send(batch.body, batch.points) is Outcome.retry:
                await self._to_spool(batch.body)
            # Popped only once handled, so that flush() also waits for the batch in flight.
            self._queue.popleft()
            self._handled_batches += 1
            self._queued_bytes -= len(batch.body)
            self._room.set()
            progressed = True
        return progressed

    async def _replay_one(self) -> bool:
        record: SpoolRecord | None = await asyncio.to_thread(self.spool.peek)
        if record is None:
            return False
        try:
            body = await asyncio.to_thread(spooled_body, record.payload)
        except (ValueError, zlib.error) as error:  # passed its CRC, yet unreadable: never block on it
            log.error(
                "influx sink: spooled batch at %s:%d is unreadable (%s); skipped",
                record.segment,
                record.offset,
                error,
            )
            await asyncio.to_thread(self.spool.ack, record)
            return True
        outcome = await self._send(body, body.count(b"\n") + 1)
        if outcome is Outcome.retry:
            return False
        await asyncio.to_thread(self.spool.ack, record)
        if outcome is Outcome.written:
            self.replayed_batches += 1
            if not len(self.spool):
                log.info("influx sink: spool replayed, InfluxDB is up to date")
        return True

    async def _send(self, body: bytes, points: int) -> Outcome:
        writer = self._writer
        if writer is None:
            return Outcome.retry
        result = await asyncio.to_thread(writer.write, body)
        if result.outcome is Outcome.too_large:
            return await self._send_split(body, result)
        if result.outcome is Outcome.written:
            self.written_batches += 1
            self.written_points += points
            self.written_bytes += len(body)
            self.last_success_at = self._clock()
            if self._backoff:
                log.info("influx sink: %s answers again", writer.target.url)
            self._backoff, self._retry_at = 0.0, 0.0
            return Outcome.written
        self._note_error(result.error)
        if result.outcome is Outcome.rejected:
            self.rejected_batches += 1
            log.error(
                "influx sink: InfluxDB rejected a batch of %d points, dropped: %s", points, result.error
            )
            return Outcome.rejected
        self._backoff = min(self.backoff_max, self._backoff * 2 if self._backoff else self.backoff_initial)
        wait = max(self._backoff, result.retry_after or 0.0)
        self._retry_at = time.monotonic() + wait
        log.warning(
            "influx sink: writing to %s failed (%s); spooling, next attempt in %.0f s",
            writer.target.url,
            result.error,
            wait,
        )
        return Outcome.retry

    async def _send_split(self, body: bytes, result: WriteResult) -> Outcome:
        """The server refused the request as too large: send each half (split again as needed)."""
        lines = body.split(b"\n")
        if len(lines) < 2:
            self._note_error(result.error)
            self.rejected_batches += 1
            log.error("influx sink: a single line of %d bytes is too large for InfluxDB, dropped", len(body))
            return Outcome.rejected
        self.split_batches += 1
        middle = len(lines) // 2
        outcomes = []
        for half in (lines[:middle], lines[middle:]):
            outcome = await self._send(b"\n".join(half), len(half))
            if outcome is Outcome.retry:
                return Outcome.retry  # the whole batch is spooled; rewriting a half is harmless
            outcomes.append(outcome)
        return Outcome.written if Outcome.written in outcomes else Outcome.rejected

    async def _to_spool(self, body: bytes) -> None:
        try:
            if await asyncio.to_thread(self._compress_and_append, body):
                self.spooled_total += 1
        except OSError as error:  # disk full or failing, while InfluxDB is away too: nowhere to go
            self.unspoolable_batches += 1
            self._note_error(f"spool write failed: {error}")
            log.error(
                "influx sink: a batch of %d bytes could neither be written nor spooled (%s); lost",
                len(body),
                error,
            )

    async def _spool_after_stop(self, lines: list[str]) -> None:
        """Samples that arrive once stop() began (a producer finishing late): no ticker or sender
        is left to handle a buffer, so they go straight to the durable spool for the next start."""
        self.spooled_after_stop += 1
        log.warning("influx sink: %d points arrived after stop; spooled for the next start", len(lines))
        await self._to_spool("\n".join(lines).encode())
        # stop() may already have closed the spool; close the segment this append reopened.
        if self._task is None:
            await asyncio.to_thread(self.spool.close)

    def _note_error(self, error: str | None) -> None:
        self.last_error = error
        self.last_error_at = self._clock()

    def _compress_and_append(self, body: bytes) -> bool:
        return self.spool.append(_SPOOL_ZLIB + zlib.compress(body, 1))


def spooled_body(payload: bytes) -> bytes:
    """The line protocol a spool record holds."""
    kind, data = payload[:1], payload[1:]
    if kind == _SPOOL_ZLIB:
        return zlib.decompress(data)
    if kind == _SPOOL_PLAIN:
        return data
    raise ValueError(f"unknown spool record kind {kind!r}")
