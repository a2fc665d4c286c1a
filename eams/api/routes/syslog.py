"""Syslog: recent messages (filters, paging, free text, scope), unknown senders (to add to the
inventory), and the intake's counters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy import false, or_, select

from collectors.syslog.header import SEVERITY_NAMES, decode
from collectors.syslog.models import SyslogMessage, SyslogUnknownSender
from eams.api.deps import SessionDep, require
from eams.api.errors import BadRequest
from eams.api.params import PathId
from eams.api.resources import Page, Resource, list_objects, load
from eams.api.routes.inventory import device_scope
from eams.auth import Permission, Principal
from eams.components.syslog import EXTRAS_KEY
from inventory.models import Device


class SyslogMessageRead(BaseModel):
    id: int
    received_at: datetime
    device_time: datetime | None
    source: str
    source_port: int | None
    transport: str
    device_id: int | None
    resolved_by: str | None
    header_format: str
    facility: int
    severity: int
    severity_name: str
    hostname: str | None
    app_name: str | None
    procid: str | None
    msgid: str | None
    vendor: str | None
    format: str | None
    event: str | None
    message: str
    fields: dict[str, Any]
    structured_data: dict[str, Any]
    raw: str  # the received bytes; any byte that is not UTF-8 shown as \xNN
    truncated: bool


class UnknownSenderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    source: str
    count: int
    first_seen: datetime
    last_seen: datetime
    last_hostname: str | None
    last_vendor: str | None
    last_message: str


def _present(row: SyslogMessage) -> dict[str, Any]:
    values = {column.name: getattr(row, column.name) for column in SyslogMessage.__table__.columns}
    values.pop("search_text")
    values["raw"] = decode(row.raw or b"")
    values["severity_name"] = SEVERITY_NAMES[row.severity] if 0 <= row.severity < 8 else str(row.severity)
    return SyslogMessageRead.model_validate(values).model_dump(mode="json")


def _device_scoped(column: Any) -> Any:
    # A token scoped to agencies sees its agencies' devices' messages (not those of unknown senders).
    return lambda ids: column.in_(select(Device.id).where(device_scope(ids)))


MESSAGES = Resource(
    "syslog",
    SyslogMessage,
    SyslogMessageRead,
    SyslogMessageRead,
    SyslogMessageRead,
    "syslog message",
    "syslog",
    scope=_device_scoped(SyslogMessage.device_id),
    exclude_filters=frozenset({"search_text", "raw", "fields", "structured_data"}),
)
UNKNOWN = Resource(
    "syslog/unknown-senders",
    SyslogUnknownSender,
    UnknownSenderRead,
    UnknownSenderRead,
    UnknownSenderRead,
    "unknown syslog sender",
    "syslog",
    scope=lambda _ids: false(),  # not any agency's device: only unscoped callers see them
)

AlertReader = Annotated[Principal, Depends(require(Permission.read_alerts))]
router = APIRouter(prefix="/syslog", tags=["syslog"])
_SEVERITIES = {name: number for number, name in enumerate(SEVERITY_NAMES)}


def _params(request: Request, default_order: str) -> tuple[list[tuple[str, str]], list[Any]]:
    """Query parameters for the generic filters, and the clauses of our own parameters:
    `agency_id` (owner or operator of the device, repeatable) and `severity` by name
    (`severity=warning`, or `severity__lte=warning`: that severity or worse)."""
    params: list[tuple[str, str]] = []
    agencies: list[int] = []
    for key, value in request.query_params.multi_items():
        if key == "agency_id":
            try:
                agencies.append(int(value))
            except ValueError:
                raise BadRequest(f"agency_id: {value!r} is not a number", field="agency_id") from None
            continue
        if key.startswith("severity") and value in _SEVERITIES:
            value = str(_SEVERITIES[value])
        params.append((key, value))
    if "ordering" not in request.query_params:
        params.append(("ordering", default_order))
    clauses: list[Any] = []
    if agencies:
        owned = or_(Device.owner_agency_id.in_(agencies), Device.operating_agency_id.in_(agencies))
        clauses.append(SyslogMessage.device_id.in_(select(Device.id).where(owned)))
    return params, clauses


@router.get(
    "",
    response_model=Page[SyslogMessageRead],
    summary="Recent syslog messages",
    description="Newest first. Filters: device_id, agency_id (owner or operator of the device), severity "
    "(0-7 or emergency..debug; severity__lte=warning is warning or worse), event, vendor, format, source, "
    "hostname, app_name, transport, received_at__gte/__lte ..., and q: free text over device name, "
    "hostname, application, event and message, diacritics ignored.",
)
def list_messages(
    request: Request,
    session: SessionDep,
    caller: AlertReader,
    limit: int = Query(50, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=2**31),
    q: str | None = Query(None, max_length=200, description="Free text; 'dang nhap' finds 'đăng nhập'"),
) -> Any:
    params, clauses = _params(request, "-id")
    count, rows, limit, offset = list_objects(session, MESSAGES, caller, params, clauses)
    return {"count": count, "limit": limit, "offset": offset, "results": [_present(row) for row in rows]}


@router.get(
    "/unknown-senders",
    response_model=Page[UnknownSenderRead],
    summary="Senders no inventory device matches",
    description="One row per source address whose messages matched no device (by management or interface "
    "address, hostname or serial): count, first and last seen, the last hostname, vendor and message. Add "
    "the device (or its address) to the inventory and its next messages are tied to it. Most recent first.",
)
def list_unknown_senders(
    request: Request,
    session: SessionDep,
    caller: AlertReader,
    limit: int = Query(50, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=2**31),
) -> Any:
    params = list(request.query_params.multi_items())
    if "ordering" not in request.query_params:
        params.append(("ordering", "-last_seen"))
    count, rows, limit, offset = list_objects(session, UNKNOWN, caller, params)
    return {"count": count, "limit": limit, "offset": offset, "results": rows}


@router.get("/status", summary="The syslog intake: addresses, counts received, parsed, dropped and why")
def intake_status(request: Request, _caller: AlertReader) -> dict[str, Any]:
    component = request.app.state.services.extras.get(EXTRAS_KEY)
    if component is None:
        return {"running": False, "detail": "the syslog intake is off; set EAMS_SYSLOG_LISTEN to start it"}
    return {"running": True, **component.status()}


@router.get(
    "/{message_id}", response_model=SyslogMessageRead, summary="One message with its fields and raw bytes"
)
def read_message(message_id: PathId, session: SessionDep, caller: AlertReader) -> Any:
    return _present(load(session, MESSAGES, caller, message_id))
