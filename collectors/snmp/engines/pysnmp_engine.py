"""The reference engine: pysnmp 7 (pure Python, asyncio)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pyasn1.type import univ
from pysnmp.hlapi.v3arch import asyncio as hlapi
from pysnmp.proto import rfc1902, rfc1905

from collectors.snmp.engine import (
    COUNTER32,
    COUNTER64,
    END_OF_MIB,
    GAUGE32,
    INTEGER,
    IPADDRESS,
    NO_SUCH,
    NULL,
    OCTETS,
    OID,
    OPAQUE,
    TIMETICKS,
    Credentials,
    Endpoint,
    SnmpAuthError,
    SnmpError,
    SnmpTimeout,
    SnmpVersion,
    VarBind,
    walk_side_by_side,
)

_AUTH = {
    "MD5": hlapi.usmHMACMD5AuthProtocol,
    "SHA": hlapi.usmHMACSHAAuthProtocol,
    "SHA224": hlapi.usmHMAC128SHA224AuthProtocol,
    "SHA256": hlapi.usmHMAC192SHA256AuthProtocol,
    "SHA384": hlapi.usmHMAC256SHA384AuthProtocol,
    "SHA512": hlapi.usmHMAC384SHA512AuthProtocol,
}
_PRIV = {
    "DES": hlapi.usmDESPrivProtocol,
    "AES": hlapi.usmAesCfb128Protocol,
    "AES192": hlapi.usmAesCfb192Protocol,
    "AES256": hlapi.usmAesCfb256Protocol,
}

# Checked in order: Counter64 and friends subclass Integer-like bases in pyasn1.
_KINDS: list[tuple[Any, str]] = [
    (rfc1902.Counter64, COUNTER64),
    (rfc1902.Counter32, COUNTER32),
    (rfc1902.Gauge32, GAUGE32),  # Unsigned32 is the same type
    (rfc1902.TimeTicks, TIMETICKS),
    (rfc1902.IpAddress, IPADDRESS),
    (rfc1902.Opaque, OPAQUE),
    (rfc1902.Integer32, INTEGER),
    (rfc1902.Integer, INTEGER),
    (rfc1902.OctetString, OCTETS),
    (rfc1902.ObjectName, OID),
    (rfc1902.ObjectIdentifier, OID),
    (univ.ObjectIdentifier, OID),
    (univ.Integer, INTEGER),
    (univ.OctetString, OCTETS),
]


def _varbind(name: Any, value: Any) -> VarBind:
    oid = str(name)
    if isinstance(value, rfc1905.EndOfMibView):
        return VarBind(oid, END_OF_MIB, None)
    if isinstance(value, rfc1905.NoSuchObject | rfc1905.NoSuchInstance):
        return VarBind(oid, NO_SUCH, None)
    value_any: Any = value
    for cls, kind in _KINDS:
        if isinstance(value_any, cls):
            if kind in (OCTETS, OPAQUE):
                return VarBind(oid, kind, bytes(value_any))
            if kind == OID:
                return VarBind(oid, kind, str(value))
            if kind == IPADDRESS:
                return VarBind(oid, kind, ".".join(str(b) for b in bytes(value_any)))
            return VarBind(oid, kind, int(value_any))
    return VarBind(oid, NULL, None)


def _auth_data(credentials: Credentials) -> Any:
    if credentials.version is SnmpVersion.v3:
        return hlapi.UsmUserData(
            credentials.user,
            authKey=credentials.auth_key if credentials.auth_protocol else None,
            privKey=credentials.priv_key if credentials.priv_protocol else None,
            authProtocol=_AUTH[credentials.auth_protocol]
            if credentials.auth_protocol
            else hlapi.usmNoAuthProtocol,
            privProtocol=_PRIV[credentials.priv_protocol]
            if credentials.priv_protocol
            else hlapi.usmNoPrivProtocol,
        )
    model = 0 if credentials.version is SnmpVersion.v1 else 1
    return hlapi.CommunityData(credentials.community, mpModel=model)


def _raise_for(indication: Any, status: Any, index: Any, endpoint: Endpoint) -> None:
    if indication:
        text = str(indication)
        lowered = text.lower()
        if "timeout" in lowered or "no snmp response" in lowered:
            raise SnmpTimeout(f"{endpoint} did not answer within the timeout")
        if any(
            word in lowered
            for word in ("unknown user", "digest", "decrypt", "usm", "auth", "unknown security name")
        ):
            raise SnmpAuthError(f"{endpoint} rejected the SNMPv3 credentials: {text}")
        raise SnmpError(f"{endpoint}: {text}")
    if status:
        raise SnmpError(f"{endpoint} answered with error {status.prettyPrint()} at varbind {index}")


class PysnmpSession:
    def __init__(self, engine: Any, endpoint: Endpoint, credentials: Credentials, transport: Any) -> None:
        self._engine = engine
        self._endpoint = endpoint
        self._credentials = credentials
        self._auth = _auth_data(credentials)
        self._transport = transport
        self._context = hlapi.ContextData(contextName=credentials.context.encode())
        self._requests = 0

    @property
    def requests(self) -> int:
        return self._requests

    async def get(self, oids: Sequence[str]) -> list[VarBind]:
        self._requests += 1
        objects = [hlapi.ObjectType(hlapi.ObjectIdentity(oid)) for oid in oids]
        indication, status, index, varbinds = await hlapi.get_cmd(
            self._engine, self._auth, self._transport, self._context, *objects, lookupMib=False
        )
        if status and int(status) == 2 and self._credentials.version is SnmpVersion.v1:
            # v1 answers noSuchName for a whole PDU: ask one by one so the others still come.
            return [await self._get_one_v1(oid) for oid in oids]
        _raise_for(indication, status, index, self._endpoint)
        return [_varbind(name, value) for name, value in varbinds]

    async def _get_one_v1(self, oid: str) -> VarBind:
        self._requests += 1
        obj = hlapi.ObjectType(hlapi.ObjectIdentity(oid))
        indication, status, index, varbinds = await hlapi.get_cmd(
            self._engine, self._auth, self._transport, self._context, obj, lookupMib=False
        )
        if status and int(status) == 2:
            return VarBind(oid, NO_SUCH, None)
        _raise_for(indication, status, index, self._endpoint)
        name, value = varbinds[0]
        return _varbind(name, value)

    async def _bulk(self, oids: list[str], max_repetitions: int) -> list[VarBind]:
        self._requests += 1
        objects = [hlapi.ObjectType(hlapi.ObjectIdentity(oid)) for oid in oids]
        if self._credentials.version is SnmpVersion.v1:
            indication, status, index, varbinds = await hlapi.next_cmd(
                self._engine, self._auth, self._transport, self._context, *objects, lookupMib=False
            )
            if status and int(status) == 2:  # noSuchName: end of the MIB for v1
                return [VarBind(oid, END_OF_MIB, None) for oid in oids]
        else:
            indication, status, index, varbinds = await hlapi.bulk_cmd(
                self._engine,
                self._auth,
                self._transport,
                self._context,
                0,
                max_repetitions,
                *objects,
                lookupMib=False,
            )
        _raise_for(indication, status, index, self._endpoint)
        return [_varbind(name, value) for name, value in varbinds]

    async def bulk_walk(self, subtrees: Sequence[str], max_repetitions: int = 25) -> dict[str, list[VarBind]]:
        repetitions = 1 if self._credentials.version is SnmpVersion.v1 else max_repetitions
        return await walk_side_by_side(self._bulk, subtrees, repetitions)

    async def close(self) -> None:
        # The transport dispatcher belongs to the engine, which is shared; nothing per session.
        return None


class PysnmpEngine:
    """One pysnmp SnmpEngine shared by every session (it owns the socket and USM tables)."""

    name = "pysnmp"

    def __init__(self) -> None:
        self._engine: Any = None

    async def open(self, endpoint: Endpoint, credentials: Credentials) -> PysnmpSession:
        if self._engine is None:
            self._engine = hlapi.SnmpEngine()
        try:
            transport = await hlapi.UdpTransportTarget.create(
                (endpoint.host, endpoint.port), timeout=endpoint.timeout_s, retries=endpoint.retries
            )
        except Exception as exc:  # pysnmp raises its own PySnmpError for unresolvable names
            raise SnmpError(f"cannot reach {endpoint}: {exc}") from None
        return PysnmpSession(self._engine, endpoint, credentials, transport)

    async def close(self) -> None:
        if self._engine is not None:
            self._engine.close_dispatcher()
            self._engine = None
