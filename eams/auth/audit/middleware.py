"""Every write through the API, and every export, goes into the audit log.

An ASGI middleware: it gives each request an id (the caller's X-Request-ID, or a new one, echoed
in the answer and written with the change log's rows), and after the answer records who (the
principal the request authenticated as), what (`devices.update`, `alerts.ack`, `silences.create`
... from the route), which object (the path's id, or the first object the change log recorded for
the request), the agency of that object, and the status. Requests that wrote their own, richer
record (sign-in, user admin) set `request.state.audited` and are not recorded twice. Collector
traffic (samples, heartbeats: machines, every few seconds) and unauthenticated requests are not
recorded; failed sign-ins are, by the sign-in code itself.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eams.auth.audit.chain import append
from eams.auth.audit.request import AUDITED_FLAG, entry_for
from eams.auth.principal import Principal
from eams.auth.tokens import ApiToken
from inventory.models import Device, Interface, IPAddress, ObjectChange, Role

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1/"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
VERB = {"POST": "create", "PUT": "update", "PATCH": "update", "DELETE": "delete"}
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# Path segments of the API that name a table (for the object's type and agency).
TABLE_OF_SEGMENT = {
    "agencies": "agency",
    "devices": "device",
    "interfaces": "interface",
    "ip-addresses": "ip_address",
    "users": "app_user",
    "tokens": "api_token",
}


def _action(route_path: str, method: str) -> str:
    """`POST /api/v1/alerts/{alert_id}/ack` -> `alerts.ack`; `PATCH /devices/{object_id}` ->
    `devices.update`; `POST /devices/bulk` -> `devices.bulk.create`."""
    parts = [p for p in route_path.removeprefix(API_PREFIX).split("/") if p and not p.startswith("{")]
    ends_with_param = route_path.rstrip("/").endswith("}")
    if method == "POST" and len(parts) > 1 and not ends_with_param and parts[-1] != "bulk":
        return ".".join(parts)  # an action endpoint: .../ack, .../accept, .../config-backups
    return ".".join([*parts, VERB.get(method, method.lower())])


def _is_export(path: str, query: str) -> bool:
    return path.endswith((".csv", ".xlsx")) or (
        "/reports/" in path and re.search(r"(^|&)format=(csv|xlsx)(&|$)", query) is not None
    )


class AuditMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = {"code": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            await self._record(scope, state, request_id, status["code"])

    async def _record(self, scope: Scope, state: dict[str, Any], request_id: str, status: int) -> None:
        method = scope["method"]
        query = scope.get("query_string", b"").decode("latin-1")
        export = method == "GET" and _is_export(scope["path"], query)
        if method not in WRITE_METHODS and not export:
            return
        caller = state.get("principal")
        if not isinstance(caller, Principal) or state.get(AUDITED_FLAG) or caller.role is Role.collector:
            return
        route = scope.get("route")
        route_path = getattr(route, "path", None) or scope["path"]
        action = (
            _action(route_path, method)
            if not export
            else ".".join(
                [p for p in route_path.removeprefix(API_PREFIX).split("/") if p and not p.startswith("{")][:3]
            ).removesuffix(".csv")
            + ".export"
        )
        services = scope["app"].state.services
        headers = dict(scope.get("headers", []))
        client = scope.get("client")
        params = dict(scope.get("path_params", {}))
        try:
            await asyncio.to_thread(
                self._write,
                services,
                caller,
                action,
                route_path,
                method,
                status,
                params,
                request_id,
                client[0] if client else None,
                headers.get(b"user-agent", b"").decode("latin-1") or None,
                query if export else None,
            )
        except Exception:  # the answer is sent; a failed record must be seen, not crash the request
            log.exception(
                "audit record of %s %s (request %s) could not be written", method, route_path, request_id
            )

    @staticmethod
    def _write(
        services: Any,
        caller: Principal,
        action: str,
        route_path: str,
        method: str,
        status: int,
        params: dict[str, Any],
        request_id: str,
        address: str | None,
        user_agent: str | None,
        export_query: str | None,
    ) -> None:
        with services.db.session(actor=caller.actor) as session:
            object_type, object_id = _object(session, route_path, params, request_id)
            outcome = "ok" if status < 400 else ("refused" if status in (401, 403) else "failed")
            detail: dict[str, Any] = {"method": method, "route": route_path, "status": status}
            if export_query:
                detail["query"] = export_query[:500]
            append(
                session,
                entry_for(
                    caller,
                    action,
                    address=address,
                    user_agent=user_agent,
                    request_id=request_id,
                    outcome=outcome,
                    object_type=object_type,
                    object_id=object_id,
                    agency_id=_agency_of(session, object_type, object_id),
                    detail=detail,
                ),
            )


def _request_id(scope: Scope) -> str:
    """The caller's X-Request-ID when it is a plain token, else a new one; put in the headers so
    that every layer (change log, audit, logs) reads the same."""
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for name, value in headers:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _REQUEST_ID.match(text):
                return text
    new = uuid.uuid4().hex
    scope["headers"] = [(n, v) for n, v in headers if n != b"x-request-id"] + [
        (b"x-request-id", new.encode())
    ]
    return new


def _object(
    session: Session, route_path: str, params: dict[str, Any], request_id: str
) -> tuple[str | None, int | None]:
    change = session.scalar(
        select(ObjectChange).where(ObjectChange.request_id == request_id).order_by(ObjectChange.id).limit(1)
    )
    if change is not None:
        return change.object_type, change.object_id
    segments = [p for p in route_path.removeprefix(API_PREFIX).split("/") if p]
    object_type = TABLE_OF_SEGMENT.get(segments[0], segments[0]) if segments else None
    for value in params.values():
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            return object_type, int(value)
    return object_type, None


def _agency_of(session: Session, object_type: str | None, object_id: int | None) -> int | None:
    """The agency an object belongs to (its owner for devices), as it stands now."""
    if object_type is None or object_id is None or object_id > 2**31:
        return None
    from eams.auth.models import User

    if object_type == "agency":
        return object_id
    if object_type == "device":
        return session.scalar(select(Device.owner_agency_id).where(Device.id == object_id))
    if object_type == "interface":
        return session.scalar(
            select(Device.owner_agency_id)
            .join(Interface, Interface.device_id == Device.id)
            .where(Interface.id == object_id)
        )
    if object_type == "ip_address":
        address = session.get(IPAddress, object_id)
        if address is None:
            return None
        device_id = address.device_id
        if device_id is None and address.interface_id is not None:
            device_id = session.scalar(
                select(Interface.device_id).where(Interface.id == address.interface_id)
            )
        return (
            session.scalar(select(Device.owner_agency_id).where(Device.id == device_id))
            if device_id
            else None
        )
    if object_type == "app_user":
        return session.scalar(select(User.agency_id).where(User.id == object_id))
    if object_type == "api_token":
        return session.scalar(select(ApiToken.agency_id).where(ApiToken.id == object_id))
    return None
