"""SNMP traps: recent traps, unknown trap OIDs (to write mappings for), and the receiver's status."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from collectors.traps.models import TrapLog, UnknownTrap
from eams.api.deps import SessionDep, require
from eams.api.params import PathId
from eams.api.resources import Page, Resource, list_objects, load
from eams.api.routes.inventory import device_scope
from eams.auth import Permission, Principal
from eams.components.traps import EXTRAS_KEY
from inventory.models import Device


class TrapRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    received_at: datetime
    source: str
    agent_address: str | None
    device_id: int | None
    version: str
    security_name: str
    inform: bool
    trap_oid: str
    name: str
    mapped: bool
    severity: str
    category: str
    message: str
    labels: dict[str, Any]
    varbinds: list[Any]


class UnknownTrapRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    trap_oid: str
    source: str
    device_id: int | None
    version: str
    count: int
    first_seen: datetime
    last_seen: datetime
    last_varbinds: list[Any]


def _device_scoped(column: Any) -> Any:
    # A token scoped to agencies sees the traps of its agencies' devices (not those of unknown senders).
    return lambda ids: column.in_(select(Device.id).where(device_scope(ids)))


TRAPS = Resource(
    "traps", TrapLog, TrapRead, TrapRead, TrapRead, "trap", "traps", scope=_device_scoped(TrapLog.device_id)
)
UNKNOWN = Resource(
    "traps/unknown",
    UnknownTrap,
    UnknownTrapRead,
    UnknownTrapRead,
    UnknownTrapRead,
    "unknown trap",
    "traps",
    scope=_device_scoped(UnknownTrap.device_id),
)

AlertReader = Annotated[Principal, Depends(require(Permission.read_alerts))]
router = APIRouter(prefix="/traps", tags=["traps"])


def _page(request: Request, session: Any, resource: Resource, caller: Principal, default_order: str) -> Any:
    params = list(request.query_params.multi_items())
    if "ordering" not in request.query_params:
        params.append(("ordering", default_order))
    count, rows, limit, offset = list_objects(session, resource, caller, params)
    return {"count": count, "limit": limit, "offset": offset, "results": rows}


@router.get(
    "",
    response_model=Page[TrapRead],
    summary="Recent traps",
    description="Every received trap, mapped or not, newest first. Filters: name, severity, category, "
    "source, device_id, trap_oid, mapped, version, received_at__gte ...",
)
def list_traps(
    request: Request,
    session: SessionDep,
    caller: AlertReader,
    limit: int = Query(50, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=2**31),
) -> Any:
    return _page(request, session, TRAPS, caller, "-received_at")


@router.get(
    "/unknown",
    response_model=Page[UnknownTrapRead],
    summary="Unknown trap OIDs",
    description="Traps no mapping recognises, one row per trap OID and source, with the count, first and "
    "last time seen and the last varbinds: what an operator needs to write a mapping "
    "(collectors/traps/README.md). Most recently seen first.",
)
def list_unknown_traps(
    request: Request,
    session: SessionDep,
    caller: AlertReader,
    limit: int = Query(50, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=2**31),
) -> Any:
    return _page(request, session, UNKNOWN, caller, "-last_seen")


@router.get("/status", summary="The trap receiver: address, engine id, counts of accepted and dropped traps")
def receiver_status(request: Request, _caller: AlertReader) -> dict[str, Any]:
    component = request.app.state.services.extras.get(EXTRAS_KEY)
    if component is None:
        return {"running": False, "detail": "the trap receiver is off; set EAMS_TRAP_LISTEN to start it"}
    return {"running": True, **component.status()}


@router.get("/{trap_id}", response_model=TrapRead, summary="One received trap with all its varbinds")
def read_trap(trap_id: PathId, session: SessionDep, caller: AlertReader) -> Any:
    return load(session, TRAPS, caller, trap_id)
