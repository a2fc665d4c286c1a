"""The sockets: UDP (one datagram, one message), TCP (RFC 6587) and TLS (RFC 5425), on asyncio.

Each received message becomes a `RawMessage` handed to the intake. UDP cannot push back, so a full
queue or a source above its rate drops the datagram and counts it; TCP and TLS wait for room
(the sender's kernel buffers, then the sender, slow down), so they lose nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from collectors.syslog.config import SyslogConfig
from collectors.syslog.framing import StreamFramer

log = logging.getLogger(__name__)

READ_CHUNK = 65_536
RATE_TABLE_LIMIT = 100_000  # sources remembered for rate limiting; the oldest forgotten past it


@dataclass(frozen=True, slots=True)
class RawMessage:
    data: bytes
    source: str
    source_port: int | None
    transport: str  # udp, tcp, tls
    received_ns: int
    truncated: bool = False


class ListenError(Exception):
    """A listener could not start (port taken, not permitted, bad certificate), in a sentence."""


@dataclass
class IntakeCounters:
    received: Counter[str] = field(default_factory=Counter)  # by transport
    dropped: Counter[str] = field(default_factory=Counter)  # by reason
    dropped_by_source: Counter[str] = field(default_factory=Counter)
    truncated: int = 0
    connections: int = 0
    connections_refused: int = 0
    tls_handshake_errors: int = 0


class TokenBucket:
    """`rate` messages per second per source, with `burst` in hand."""

    __slots__ = ("_at", "_tokens", "burst", "rate")

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._tokens: dict[str, float] = {}
        self._at: dict[str, float] = {}

    def take(self, source: str, now: float) -> bool:
        tokens = self._tokens.get(source)
        if tokens is None:
            if len(self._tokens) >= RATE_TABLE_LIMIT:
                self._tokens.clear()
                self._at.clear()
            tokens = self.burst
        else:
            tokens = min(self.burst, tokens + (now - self._at[source]) * self.rate)
        self._at[source] = now
        if tokens < 1.0:
            self._tokens[source] = tokens
            return False
        self._tokens[source] = tokens - 1.0
        return True


Deliver = Callable[[RawMessage], bool]  # non-blocking; False when there is no room


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, intake: Listeners) -> None:
        self.intake = intake

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.intake.on_datagram(data, str(addr[0]), int(addr[1]))

    def error_received(self, exc: Exception) -> None:
        log.debug("syslog UDP socket error: %s", exc)


class Listeners:
    def __init__(self, config: SyslogConfig, queue: asyncio.Queue[RawMessage]) -> None:
        self.config = config
        self.queue = queue
        self.counters = IntakeCounters()
        self.bucket = TokenBucket(config.source_rate, config.source_burst)
        self._udp: asyncio.DatagramTransport | None = None
        self._servers: list[asyncio.Server] = []
        self._connections: set[asyncio.Task[None]] = set()
        self.addresses: dict[str, tuple[str, int]] = {}

    # --- start and stop ---------------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            plain = self.config.plain_address()
            if plain is not None:
                host, port = plain
                if "tcp" in self.config.transports:
                    server = await asyncio.start_server(
                        lambda r, w: self._serve(r, w, "tcp"), host, port, reuse_address=True,
                        limit=READ_CHUNK,
                    )  # fmt: skip
                    self._servers.append(server)
                    self.addresses["tcp"] = _bound(server)
                    port = self.addresses["tcp"][1]  # a port 0 becomes the one TCP got
                if "udp" in self.config.transports:
                    transport, _ = await loop.create_datagram_endpoint(
                        lambda: _UdpProtocol(self), local_addr=(host, port)
                    )
                    self._udp = transport
                    sock = transport.get_extra_info("socket")
                    with contextlib.suppress(OSError):
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
                    self.addresses["udp"] = sock.getsockname()[:2]
            tls = self.config.tls_address()
            if tls is not None:
                host, port = tls
                server = await asyncio.start_server(
                    lambda r, w: self._serve(r, w, "tls"), host, port, ssl=self._tls_context(),
                    reuse_address=True, limit=READ_CHUNK, ssl_handshake_timeout=30,
                )  # fmt: skip
                self._servers.append(server)
                self.addresses["tls"] = _bound(server)
        except OSError as exc:
            await self.stop()
            raise ListenError(_explain(exc)) from None
        except ssl.SSLError as exc:
            await self.stop()
            raise ListenError(f"the syslog TLS certificate or key cannot be used: {exc}") from None

    def _tls_context(self) -> ssl.SSLContext:
        config = self.config
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        assert config.tls_cert_file is not None and config.tls_key_file is not None
        try:
            context.load_cert_chain(config.tls_cert_file, config.tls_key_file)
            if config.tls_ca_file is not None:
                context.load_verify_locations(cafile=config.tls_ca_file)
                context.verify_mode = ssl.CERT_REQUIRED  # RFC 5425 5.2: senders authenticated
        except FileNotFoundError as exc:
            raise ssl.SSLError(f"{exc.filename}: no such file") from None
        return context

    async def stop(self) -> None:
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        for server in self._servers:
            server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        for server in self._servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2.0)
        self._servers.clear()

    # --- UDP -------------------------------------------------------------------------------------

    def on_datagram(self, data: bytes, source: str, port: int) -> None:
        counters = self.counters
        counters.received["udp"] += 1
        if not self.bucket.take(source, time.monotonic()):
            counters.dropped["rate_limited"] += 1
            counters.dropped_by_source[source] += 1
            return
        truncated = len(data) > self.config.max_message_bytes
        if truncated:
            data = data[: self.config.max_message_bytes]
            counters.truncated += 1
        try:
            self.queue.put_nowait(RawMessage(data, source, port, "udp", time.time_ns(), truncated))
        except asyncio.QueueFull:
            counters.dropped["queue_full"] += 1
            counters.dropped_by_source[source] += 1

    # --- TCP and TLS ------------------------------------------------------------------------------

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, transport: str
    ) -> None:
        task = asyncio.current_task()
        peer = writer.get_extra_info("peername") or ("?", None)
        source, port = str(peer[0]), (int(peer[1]) if peer[1] is not None else None)
        if len(self._connections) >= self.config.max_connections:
            self.counters.connections_refused += 1
            writer.close()
            return
        assert task is not None
        self._connections.add(task)
        self.counters.connections += 1
        framer = StreamFramer(self.config.max_message_bytes)
        queue = self.queue
        try:
            while True:
                try:
                    chunk = await asyncio.wait_for(reader.read(READ_CHUNK), self.config.idle_timeout_s)
                except TimeoutError:
                    break
                frames = framer.feed(chunk) if chunk else framer.flush()
                if not frames:
                    if not chunk:
                        break
                    continue
                self.counters.received[transport] += len(frames)
                received_ns = time.time_ns()  # the frames of one read arrived together
                for frame in frames:
                    if frame.truncated:
                        self.counters.truncated += 1
                    message = RawMessage(frame.data, source, port, transport, received_ns, frame.truncated)
                    try:
                        queue.put_nowait(message)
                    except asyncio.QueueFull:  # backpressure, not loss: wait for room in the queue
                        await queue.put(message)
                if not chunk:
                    break
        except ssl.SSLError as exc:
            self.counters.tls_handshake_errors += 1
            log.info("syslog TLS connection from %s failed: %s", source, exc)
        except (ConnectionError, OSError):
            pass
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


def _bound(server: asyncio.Server) -> tuple[str, int]:
    name = server.sockets[0].getsockname()
    return str(name[0]), int(name[1])


def _explain(exc: OSError) -> str:
    hint = " (ports below 1024 need root or CAP_NET_BIND_SERVICE)" if exc.errno == 13 else ""
    return f"cannot listen for syslog: {exc.strerror or exc}{hint}"
