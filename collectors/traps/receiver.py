"""The SNMP notification receiver on pysnmp 7 (asyncio): v1, v2c and v3 traps, informs acknowledged.

pysnmp does the protocol work (community and USM checks, decryption, the inform response); this
module configures it from `TrapReceiverConfig`, turns each accepted notification into a plain
`ReceivedTrap` and hands it to an async handler through a bounded queue, so a slow database never
blocks the socket. Messages with a wrong community or SNMPv3 key are dropped by pysnmp and counted
(`TrapReceiver.drop_counts`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pyasn1.type import univ
from pysnmp.carrier.asyncio.dgram import udp, udp6
from pysnmp.entity import config, engine
from pysnmp.entity.rfc3413 import ntfrcv
from pysnmp.proto import rfc1902

from collectors.traps.config import TrapReceiverConfig
from inventory.text import nfc

log = logging.getLogger(__name__)

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
SNMP_TRAP_ADDRESS = "1.3.6.1.6.3.18.1.3.0"
# pysnmp adds the v1 community as a varbind when converting v1 to v2; it is a secret, never kept.
SNMP_TRAP_COMMUNITY = "1.3.6.1.6.3.18.1.4.0"

AUTH = {
    None: config.USM_AUTH_NONE,
    "MD5": config.USM_AUTH_HMAC96_MD5,
    "SHA": config.USM_AUTH_HMAC96_SHA,
    "SHA224": config.USM_AUTH_HMAC128_SHA224,
    "SHA256": config.USM_AUTH_HMAC192_SHA256,
    "SHA384": config.USM_AUTH_HMAC256_SHA384,
    "SHA512": config.USM_AUTH_HMAC384_SHA512,
}
PRIV = {
    None: config.USM_PRIV_NONE,
    "DES": config.USM_PRIV_CBC56_DES,
    "AES": config.USM_PRIV_CFB128_AES,
    "AES128": config.USM_PRIV_CFB128_AES,
    "AES192": config.USM_PRIV_CFB192_AES_BLUMENTHAL,
    "AES256": config.USM_PRIV_CFB256_AES_BLUMENTHAL,
    "AES192C": config.USM_PRIV_CFB192_AES,
    "AES256C": config.USM_PRIV_CFB256_AES,
}
# Counters pysnmp keeps for messages it refuses: (MIB module, symbol, our name).
DROP_COUNTERS = (
    ("__SNMPv2-MIB", "snmpInBadCommunityNames", "bad_community"),
    ("__SNMPv2-MIB", "snmpInASNParseErrs", "parse_errors"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsUnknownUserNames", "unknown_user"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsWrongDigests", "wrong_digest"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsDecryptionErrors", "decryption_error"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsUnknownEngineIDs", "unknown_engine_id"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsNotInTimeWindows", "not_in_time_window"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsUnsupportedSecLevels", "unsupported_security_level"),
)
VERSIONS: dict[int, Literal["v1", "v2c", "v3"]] = {0: "v1", 1: "v2c", 3: "v3"}
# A varbind value longer than this is cut (and marked) so one odd trap cannot bloat every store.
MAX_VALUE_CHARS = 8192


class ReceiverError(Exception):
    """The receiver cannot start (port taken, no permission for port 162, bad configuration)."""


@dataclass(frozen=True, slots=True)
class Varbind:
    oid: str
    type: str  # the SMI type, e.g. OctetString, Integer, IpAddress, TimeTicks
    value: int | str


@dataclass(frozen=True, slots=True)
class ReceivedTrap:
    """One accepted notification, already converted to SNMPv2 form (RFC 3584 for v1 traps)."""

    source: str
    source_port: int
    version: Literal["v1", "v2c", "v3"]
    security_name: str  # the v3 user, or the community's index (never the community itself)
    trap_oid: str
    uptime: int | None  # sysUpTime.0, hundredths of a second
    agent_address: str | None  # v1 agent-addr, or a relay's snmpTrapAddress.0
    varbinds: tuple[Varbind, ...]  # everything after sysUpTime.0 and snmpTrapOID.0
    inform: bool
    received_ns: int = field(default_factory=time.time_ns)


TrapHandler = Callable[[ReceivedTrap], Awaitable[None]]


def plain_value(value: Any) -> int | str:
    """A JSON-friendly value: numbers stay numbers, printable octets become text, others hex."""
    if isinstance(value, univ.ObjectIdentifier):
        return str(value)
    if type(value).__name__ == "IpAddress":
        # v1 and v2 IpAddress classes differ; both hold the 4 octets.
        return str(ipaddress.IPv4Address(bytes(value)))
    if isinstance(value, rfc1902.Bits):
        return str(value.prettyPrint())
    if isinstance(value, univ.OctetString):
        raw = bytes(value)
        try:
            text = nfc(raw.decode("utf-8"))
        except UnicodeDecodeError:
            text = "0x" + raw.hex()
        if text and not text.isprintable() and not text.startswith("0x"):
            text = "0x" + raw.hex()
        return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "...(cut)"
    if isinstance(value, univ.Integer):
        return int(value)
    if isinstance(value, univ.Null):
        return ""
    return str(value.prettyPrint())


class TrapReceiver:
    """Listens on one UDP address; `start()` binds (errors are ReceiverError), `stop()` releases."""

    def __init__(self, config_: TrapReceiverConfig, handler: TrapHandler) -> None:
        self.config = config_
        self.handler = handler
        self.accepted = 0
        self.handler_errors = 0
        self.queue_overflows = 0
        self._engine: engine.SnmpEngine | None = None
        self._queue: asyncio.Queue[ReceivedTrap] = asyncio.Queue(maxsize=config_.queue_size)
        self._worker: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None

    @property
    def address(self) -> tuple[str, int]:
        if self._socket is None:
            raise ReceiverError("the trap receiver is not running")
        host, port = self._socket.getsockname()[:2]
        return str(host), int(port)

    @property
    def engine_id(self) -> str:
        if self._engine is None:
            raise ReceiverError("the trap receiver is not running")
        return bytes(self._engine.snmpEngineID).hex()

    async def start(self) -> None:
        family = socket.AF_INET6 if ":" in self.config.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.bind((self.config.host, self.config.port))
        except OSError as exc:
            sock.close()
            hint = " (ports below 1024 need root or CAP_NET_BIND_SERVICE)" if self.config.port < 1024 else ""
            raise ReceiverError(
                f"cannot listen for SNMP traps on {self.config.host}:{self.config.port}: {exc.strerror}{hint}"
            ) from None
        sock.setblocking(False)
        self._socket = sock
        snmp_engine = self._build_engine()
        transport_module = udp6 if family == socket.AF_INET6 else udp
        transport = transport_module.UdpAsyncioTransport().open_server_mode(sock=sock)
        config.add_transport(snmp_engine, transport_module.DOMAIN_NAME, transport)
        ntfrcv.NotificationReceiver(snmp_engine, self._on_notification)
        self._engine = snmp_engine
        self._worker = asyncio.create_task(self._drain(), name="trap-receiver-worker")
        # The datagram endpoint is created by a task pysnmp schedules; let it run before returning.
        for _ in range(100):
            if transport.transport is not None:
                break
            await asyncio.sleep(0.01)
        log.info("listening for SNMP traps on %s:%s", *self.address)

    def _build_engine(self) -> engine.SnmpEngine:
        engine_id = rfc1902.OctetString(hexValue=self.config.engine_id) if self.config.engine_id else None
        snmp_engine = engine.SnmpEngine(snmpEngineID=engine_id)
        for index, community in enumerate(self.config.communities, start=1):
            config.add_v1_system(snmp_engine, f"community-{index}", community)
        for user in self.config.v3_users:
            auth_key = user.auth_key.get_secret_value() if user.auth_key else None
            priv_key = user.priv_key.get_secret_value() if user.priv_key else None
            protocols = {
                "authProtocol": AUTH[user.auth_protocol],
                "authKey": auth_key,
                "privProtocol": PRIV[user.priv_protocol],
                "privKey": priv_key,
            }
            # Informs: keys localised to our own engine id (the sender discovers it).
            config.add_v3_user(snmp_engine, user.user, **protocols)
            # Traps: keys localised to each sender's engine id.
            for sender_engine_id in user.engine_ids:
                config.add_v3_user(
                    snmp_engine,
                    user.user,
                    securityEngineId=rfc1902.OctetString(hexValue=sender_engine_id),
                    **protocols,
                )
        return snmp_engine

    def _on_notification(
        self,
        snmp_engine: engine.SnmpEngine,
        _state_reference: Any,
        _context_engine_id: Any,
        _context_name: Any,
        varbinds: list[tuple[Any, Any]],
        _cb_ctx: Any,
    ) -> None:
        request = snmp_engine.observer.get_execution_context("rfc3412.receiveMessage:request")
        try:
            trap = self._to_trap(request, varbinds)
        except Exception:  # a malformed notification must never stop the receiver
            self.handler_errors += 1
            log.exception("cannot read a notification from %s", request.get("transportAddress"))
            return
        try:
            self._queue.put_nowait(trap)
        except asyncio.QueueFull:
            self.queue_overflows += 1
            log.warning("trap queue full (%d); dropped a trap from %s", self._queue.maxsize, trap.source)
            return
        self.accepted += 1

    def _to_trap(self, request: dict[str, Any], varbinds: list[tuple[Any, Any]]) -> ReceivedTrap:
        address = request["transportAddress"]
        pdu = request["pdu"]
        plain = [(str(oid), value) for oid, value in varbinds]
        uptime = next((int(value) for oid, value in plain if oid == SYS_UPTIME), None)
        trap_oid = next((str(value) for oid, value in plain if oid == SNMP_TRAP_OID), "")
        agent = next((str(plain_value(value)) for oid, value in plain if oid == SNMP_TRAP_ADDRESS), None)
        kept = tuple(
            Varbind(oid, type(value).__name__, plain_value(value))
            for oid, value in plain
            if oid not in (SYS_UPTIME, SNMP_TRAP_OID, SNMP_TRAP_COMMUNITY)
        )
        return ReceivedTrap(
            source=str(address[0]),
            source_port=int(address[1]),
            version=VERSIONS.get(int(request["messageProcessingModel"]), "v2c"),
            security_name=str(request["securityName"]),
            trap_oid=trap_oid,
            uptime=uptime,
            agent_address=agent,
            varbinds=kept,
            inform=pdu.__class__.__name__ == "InformRequestPDU",
        )

    async def _drain(self) -> None:
        while True:
            trap = await self._queue.get()
            try:
                await self.handler(trap)
            except Exception:
                self.handler_errors += 1
                log.exception("handling a trap from %s failed", trap.source)
            finally:
                self._queue.task_done()

    async def drained(self) -> None:
        """Wait until every trap received so far has been handled (tests, shutdown)."""
        await self._queue.join()

    def drop_counts(self) -> dict[str, int]:
        """Messages pysnmp refused, by reason (wrong community, wrong v3 key, unknown user ...)."""
        if self._engine is None:
            return {name: 0 for _, _, name in DROP_COUNTERS}
        builder = self._engine.get_mib_builder()
        counts = {}
        for module, symbol, name in DROP_COUNTERS:
            (counter,) = builder.import_symbols(module, symbol)
            counts[name] = int(counter.syntax)
        return counts

    async def stop(self) -> None:
        if self._engine is not None:
            with contextlib.suppress(Exception):
                self._engine.close_dispatcher()
            self._engine = None
        if self._worker is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._queue.join(), timeout=5)
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
