"""A second engine: snmpkit (PDU encoding and crypto in Rust, asyncio transport in Python)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from collectors.snmp.engine import (
    END_OF_MIB,
    IPADDRESS,
    NO_SUCH,
    NULL,
    OCTETS,
    OID,
    OPAQUE,
    Credentials,
    Endpoint,
    SnmpAuthError,
    SnmpError,
    SnmpTimeout,
    SnmpVersion,
    VarBind,
    walk_side_by_side,
)


def available() -> bool:
    try:
        import snmpkit.manager  # noqa: F401
    except ImportError:
        return False
    return True


def _varbind(oid: str, value: Any) -> VarBind:
    # snmpkit's value classes are named Value_Counter64, Value_OctetString ...
    kind = type(value).__name__.removeprefix("Value_")
    if kind in ("NoSuchObject", "NoSuchInstance"):
        return VarBind(oid, NO_SUCH, None)
    if kind == END_OF_MIB:
        return VarBind(oid, END_OF_MIB, None)
    if kind == NULL:
        return VarBind(oid, NULL, None)
    if kind in (OCTETS, OPAQUE):
        return VarBind(oid, kind, bytes(value))
    if kind == OID:
        return VarBind(oid, kind, str(value._0).strip("."))
    if kind == IPADDRESS:
        raw = value._0
        text = ".".join(str(b) for b in raw) if isinstance(raw, bytes | list | tuple) else str(raw)
        return VarBind(oid, kind, text)
    return VarBind(oid, kind, int(value))


def _is_undecodable(exc: Exception) -> bool:
    """snmpkit reports every v3 decode failure as AuthenticationError; a wrong key says
    "authentication verification failed" or "decrypt", a garbled answer something else."""
    text = str(exc).lower()
    return not any(word in text for word in ("authentication", "decrypt", "unknown user", "usm"))


async def _once_more_if_undecodable(request: Callable[[], Awaitable[Any]]) -> Any:
    # Seen once under heavy CPU load and not reproduced alone: a v3 answer snmpkit could not
    # decode ("invalid tag: 0xA2"). A second exchange is cheap and keeps the poll.
    from snmpkit.manager import AuthenticationError

    try:
        return await request()
    except AuthenticationError as exc:
        if not _is_undecodable(exc):
            raise
        return await request()


class SnmpkitSession:
    def __init__(self, manager: Any, endpoint: Endpoint, credentials: Credentials) -> None:
        self._manager = manager
        self._endpoint = endpoint
        self._credentials = credentials
        self._requests = 0

    @property
    def requests(self) -> int:
        return self._requests

    def _translate(self, exc: Exception) -> SnmpError:
        from snmpkit.manager import exceptions as kit

        if isinstance(exc, kit.TimeoutError | kit.UnreachableError):
            return SnmpTimeout(f"{self._endpoint} did not answer within the timeout")
        if isinstance(exc, kit.AuthenticationError):
            if not _is_undecodable(exc):
                return SnmpAuthError(f"{self._endpoint} rejected the SNMPv3 credentials: {exc}")
            return SnmpError(f"{self._endpoint} sent an answer that cannot be decoded: {exc}")
        if isinstance(exc, kit.GenericError):
            return SnmpError(
                f"{self._endpoint} answered with error status {exc.status} at varbind {exc.index}"
            )
        return SnmpError(f"{self._endpoint}: {exc}")

    async def get(self, oids: Sequence[str]) -> list[VarBind]:
        from snmpkit.manager import SnmpError as KitError

        self._requests += 1
        try:
            values = await _once_more_if_undecodable(
                lambda: self._manager.get_many(*oids, raise_exceptions=False)
            )
        except KitError as exc:
            from snmpkit.manager import GenericError

            if (
                isinstance(exc, GenericError)
                and exc.status == 2
                and self._credentials.version is SnmpVersion.v1
            ):
                return [await self._get_one_v1(oid) for oid in oids]
            raise self._translate(exc) from None
        return [_varbind(oid.strip("."), value) for oid, value in zip(oids, values, strict=False)]

    async def _get_one_v1(self, oid: str) -> VarBind:
        from snmpkit.manager import GenericError
        from snmpkit.manager import SnmpError as KitError

        self._requests += 1
        try:
            (value,) = await self._manager.get_many(oid, raise_exceptions=False)
        except GenericError as exc:
            if exc.status == 2:
                return VarBind(oid, NO_SUCH, None)
            raise self._translate(exc) from None
        except KitError as exc:
            raise self._translate(exc) from None
        return _varbind(oid, value)

    async def _bulk(self, oids: list[str], max_repetitions: int) -> list[VarBind]:
        from snmpkit.manager import EndOfMibViewError, GenericError
        from snmpkit.manager import SnmpError as KitError

        self._requests += 1
        try:
            if self._credentials.version is SnmpVersion.v1:
                answers = []
                for oid in oids:
                    try:
                        answers.append(await self._manager.get_next(oid))
                    except (EndOfMibViewError, GenericError):
                        answers.append((oid, None))
                return [
                    VarBind(oid, END_OF_MIB, None) if value is None else _varbind(oid, value)
                    for oid, value in answers
                ]
            # snmpkit's get_bulk drops exception values, which would shift columns: use the
            # request/decode path directly so positions stay as the agent sent them.
            manager = self._manager
            from snmpkit.core import Oid

            async def exchange() -> Any:
                request_id = manager._next_request_id()
                request = manager._encode_getbulk([Oid(o) for o in oids], request_id, 0, max_repetitions)
                return manager._decode_response(await manager.transport.send_request(request))

            response = await _once_more_if_undecodable(exchange)
            manager._check_error(response.error_status, response.error_index)
            return [_varbind(str(vb.oid).strip("."), vb.value) for vb in response.varbinds]
        except KitError as exc:
            raise self._translate(exc) from None

    async def bulk_walk(self, subtrees: Sequence[str], max_repetitions: int = 25) -> dict[str, list[VarBind]]:
        repetitions = 1 if self._credentials.version is SnmpVersion.v1 else max_repetitions
        return await walk_side_by_side(self._bulk, subtrees, repetitions)

    async def close(self) -> None:
        await self._manager.close()


class SnmpkitEngine:
    name = "snmpkit"

    async def open(self, endpoint: Endpoint, credentials: Credentials) -> SnmpkitSession:
        from snmpkit.manager import Manager
        from snmpkit.manager import SnmpError as KitError

        v3 = credentials.version is SnmpVersion.v3
        manager = Manager(
            endpoint.host,
            endpoint.port,
            community=credentials.community,
            version={SnmpVersion.v1: 1, SnmpVersion.v2c: 2, SnmpVersion.v3: 3}[credentials.version],
            user=credentials.user if v3 else None,
            auth_protocol=credentials.auth_protocol if v3 else None,
            auth_password=credentials.auth_key if v3 else None,
            priv_protocol=credentials.priv_protocol if v3 else None,
            priv_password=credentials.priv_key if v3 else None,
            context_name=credentials.context,
            timeout=endpoint.timeout_s,
            retries=endpoint.retries + 1,  # snmpkit counts attempts, not retries
        )
        session = SnmpkitSession(manager, endpoint, credentials)
        try:
            await manager.connect()  # v3 discovers the engine id here
        except KitError as exc:
            await manager.close()
            raise session._translate(exc) from None
        except OSError as exc:
            await manager.close()
            raise SnmpError(f"cannot reach {endpoint}: {exc}") from None
        return session

    async def close(self) -> None:
        return None
