"""A second engine: snmpkit (PDU encoding and crypto in Rust, asyncio transport in Python)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import cache
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
    # Belt and braces beside _manager_class(): a garbled answer is worth a second exchange.
    from snmpkit.manager import AuthenticationError

    try:
        return await request()
    except AuthenticationError as exc:
        if not _is_undecodable(exc):
            raise
        return await request()


@cache
def _manager_class() -> type:
    """snmpkit's Manager, decoding each v3 answer with the agent's own clock from that answer.

    snmpkit 1.9 decrypts an answer with its *estimate* of the agent's engine time (time since
    discovery). AES's IV contains the engine time the agent used, so whenever the estimate is a
    second off, decryption yields garbage ("invalid tag: 0x..", intermittently, more often
    under load). The answer's USM header carries the agent's boots and time: use those.
    """
    from snmpkit.core import decode_snmp_v3_response
    from snmpkit.manager import AuthenticationError, Manager

    class ClockTrackingManager(Manager):
        def _decode_response(self, response_data: bytes) -> Any:
            if self.version != 3:
                return super()._decode_response(response_data)
            me: Any = self  # snmpkit's attributes are untyped
            saved = (me._engine_id, me._engine_boots, me._engine_time)
            try:
                me._parse_discovery_response(response_data)
                boots, engine_time = me._engine_boots, me._engine_time
            except (ValueError, IndexError):
                boots, engine_time = saved[1], self._current_engine_time()
            finally:
                me._engine_id, me._engine_boots, me._engine_time = saved
            kwargs: dict[str, Any] = {"engine_boots": boots, "engine_time": engine_time}
            if self._auth_key and self.auth_protocol:
                kwargs.update(auth_protocol=self.auth_protocol, auth_key=self._auth_key)
            if self._priv_key and self.priv_protocol:
                kwargs.update(priv_protocol=self.priv_protocol, priv_key=self._priv_key)
            try:
                return decode_snmp_v3_response(response_data, **kwargs)
            except ValueError as exc:
                raise AuthenticationError(str(exc)) from exc

    return ClockTrackingManager


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
        from snmpkit.manager import SnmpError as KitError

        v3 = credentials.version is SnmpVersion.v3
        manager = _manager_class()(
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
