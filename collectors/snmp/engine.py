"""The SNMP engine interface: the few operations the poller needs, behind one small Protocol.

An engine opens a `Session` to one agent with one set of credentials. A session does GETs and
GETBULK walks of several subtrees at once. Values come back as `VarBind`s with a plain Python
value and the SNMP type name, so that profiles and rates never see engine-specific objects.
Two engines implement it (`collectors.snmp.engines`): pysnmp 7 (the reference) and snmpkit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class SnmpVersion(StrEnum):
    v1 = "1"
    v2c = "2c"
    v3 = "3"


# Names as net-snmp's command-line tools spell them (`-a`, `-x`).
AUTH_PROTOCOLS = ("MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512")
PRIV_PROTOCOLS = ("DES", "AES", "AES192", "AES256")


@dataclass(frozen=True, slots=True)
class Credentials:
    """What an agent needs to answer: a community (v1/v2c) or a USM user (v3)."""

    version: SnmpVersion = SnmpVersion.v2c
    community: str = "public"
    user: str = ""
    auth_protocol: str | None = None  # one of AUTH_PROTOCOLS; None means noAuthNoPriv
    auth_key: str | None = None
    priv_protocol: str | None = None  # one of PRIV_PROTOCOLS; None means authNoPriv
    priv_key: str | None = None
    context: str = ""

    def __post_init__(self) -> None:
        if self.version is SnmpVersion.v3:
            if not self.user:
                raise ValueError("SNMPv3 needs a user name")
            if self.auth_protocol and self.auth_protocol not in AUTH_PROTOCOLS:
                raise ValueError(f"auth protocol must be one of {', '.join(AUTH_PROTOCOLS)}")
            if self.priv_protocol and self.priv_protocol not in PRIV_PROTOCOLS:
                raise ValueError(f"privacy protocol must be one of {', '.join(PRIV_PROTOCOLS)}")
            if self.auth_protocol and len(self.auth_key or "") < 8:
                raise ValueError("the SNMPv3 auth key must have at least 8 characters")
            if self.priv_protocol and not self.auth_protocol:
                raise ValueError("SNMPv3 privacy needs authentication too (authPriv)")
            if self.priv_protocol and len(self.priv_key or "") < 8:
                raise ValueError("the SNMPv3 privacy key must have at least 8 characters")


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str
    port: int = 161
    timeout_s: float = 2.0
    retries: int = 1  # extra attempts after the first

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


# SNMP types as they appear in VarBind.kind.
INTEGER = "Integer"
OCTETS = "OctetString"
OID = "ObjectIdentifier"
IPADDRESS = "IpAddress"
COUNTER32 = "Counter32"
COUNTER64 = "Counter64"
GAUGE32 = "Gauge32"
TIMETICKS = "TimeTicks"
OPAQUE = "Opaque"
NULL = "Null"
NO_SUCH = "NoSuch"  # noSuchObject / noSuchInstance
END_OF_MIB = "EndOfMibView"

COUNTER_WIDTH = {COUNTER32: 32, COUNTER64: 64}


@dataclass(frozen=True, slots=True)
class VarBind:
    """One answer: the numeric OID (no leading dot), the SNMP type name and a plain value
    (int for numbers and ticks, bytes for octet strings, dotted str for OIDs and addresses)."""

    oid: str
    kind: str
    value: int | bytes | str | None

    @property
    def exists(self) -> bool:
        return self.kind not in (NO_SUCH, END_OF_MIB)


class SnmpError(Exception):
    """The agent answered with an error, or the request could not be made."""


class SnmpTimeout(SnmpError):
    """No answer within the timeout after every retry: the agent is down, unreachable or the
    community is unknown (agents stay silent on a wrong community)."""


class SnmpAuthError(SnmpError):
    """The agent answered but the SNMPv3 credentials are wrong (unknown user, wrong key)."""


class Session(Protocol):
    async def get(self, oids: Sequence[str]) -> list[VarBind]: ...

    async def bulk_walk(self, subtrees: Sequence[str], max_repetitions: int = 25) -> dict[str, list[VarBind]]:
        """Every varbind under each subtree, walked side by side with GETBULK (GETNEXT on v1)."""
        ...

    async def close(self) -> None: ...

    @property
    def requests(self) -> int:
        """PDUs sent so far (retries not counted)."""
        ...


class Engine(Protocol):
    name: str

    async def open(self, endpoint: Endpoint, credentials: Credentials) -> Session: ...

    async def close(self) -> None: ...


def oid_tuple(oid: str) -> tuple[int, ...]:
    return tuple(int(part) for part in oid.strip(".").split(".") if part)


def in_subtree(oid: str, subtree: str) -> bool:
    return oid.startswith(subtree) and (len(oid) == len(subtree) or oid[len(subtree)] == ".")


BulkRequest = Callable[[list[str], int], Awaitable[list[VarBind]]]


async def walk_side_by_side(
    bulk: BulkRequest, subtrees: Sequence[str], max_repetitions: int, columns_per_pdu: int = 10
) -> dict[str, list[VarBind]]:
    """Walk several subtrees with one GETBULK per step carrying every unfinished subtree.

    `bulk(oids, max_repetitions)` returns the flat varbind list of one GETBULK (repetition-major,
    as RFC 3416 lays it out). Shared by the engines so that their walks behave the same.
    Subtrees are sent `columns_per_pdu` at a time to keep answers below the agent's size limit.
    """
    roots = [s.strip(".") for s in subtrees]
    results: dict[str, list[VarBind]] = {root: [] for root in roots}
    for start in range(0, len(roots), columns_per_pdu):
        chunk = roots[start : start + columns_per_pdu]
        cursor = {root: root for root in chunk}
        active = list(chunk)
        while active:
            answer = await bulk([cursor[root] for root in active], max_repetitions)
            if not answer:
                break
            width = len(active)
            finished: set[str] = set()
            for position, varbind in enumerate(answer):
                root = active[position % width]
                if root in finished:
                    continue
                if not varbind.exists or not in_subtree(varbind.oid, root):
                    finished.add(root)
                    continue
                if oid_tuple(varbind.oid) <= oid_tuple(cursor[root]) and cursor[root] != root:
                    finished.add(root)  # agent went backwards: stop rather than loop forever
                    continue
                results[root].append(varbind)
                cursor[root] = varbind.oid
            # A subtree whose column ended early in this answer is done; others continue.
            if len(answer) < width:
                finished.update(active[len(answer) :])
            active = [root for root in active if root not in finished]
    return results
