"""The change log: read-only, filterable like every list."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import ColumnElement, and_, or_, select

from eams.api.deps import Reader, SessionDep
from eams.api.resources import Page, PathId, Resource, list_objects, load
from eams.api.routes.inventory import device_scope
from inventory.models import Device, Interface, IPAddress, ObjectChange
from inventory.schemas.changes import ObjectChangeRead


def change_scope(agency_ids: frozenset[int]) -> ColumnElement[bool]:
    """The changes an agency-scoped token may read: those of its agencies, its devices and their
    interfaces and addresses as they stand now. Changes of shared reference data, and of objects
    since deleted or moved away, are for unscoped tokens only."""
    devices = select(Device.id).where(device_scope(agency_ids))
    interfaces = select(Interface.id).where(Interface.device_id.in_(devices))
    visible: dict[str, Any] = {  # object_type: the ids of that type in scope
        "agency": agency_ids,
        "device": devices,
        "interface": interfaces,
        # An address may name only its interface (device_id empty), so both ways lead to the device.
        "ip_address": select(IPAddress.id).where(
            or_(IPAddress.device_id.in_(devices), IPAddress.interface_id.in_(interfaces))
        ),
    }
    return or_(
        *(
            and_(ObjectChange.object_type == object_type, ObjectChange.object_id.in_(ids))
            for object_type, ids in visible.items()
        )
    )


CHANGES = Resource(
    "changes",
    ObjectChange,
    ObjectChangeRead,
    ObjectChangeRead,
    ObjectChangeRead,
    "change",
    "changes",
    scope=change_scope,
)

router = APIRouter(prefix="/changes", tags=["changes"])


@router.get(
    "",
    response_model=Page[ObjectChangeRead],
    summary="List changes",
    description="Filters: actor, action, object_type, object_id, time__gte, time__lte ...; "
    "newest first unless ordering is given.",
)
def list_changes(
    request: Request,
    session: SessionDep,
    caller: Reader,
    limit: int = Query(50, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=2**31),
    ordering: str | None = Query(None, max_length=200),
) -> Any:
    params = list(request.query_params.multi_items())
    if ordering is None:
        params.append(("ordering", "-time"))
    count, rows, lim, off = list_objects(session, CHANGES, caller, params)
    return {"count": count, "limit": lim, "offset": off, "results": rows}


@router.get("/{change_id}", response_model=ObjectChangeRead, summary="Read one change")
def read_change(change_id: PathId, session: SessionDep, caller: Reader) -> Any:
    return load(session, CHANGES, caller, change_id)
