"""GET /devices/{id}/status: the latest SNMP poll of a device (reachability, duration, counts)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from eams.api.deps import Reader, SessionDep
from eams.api.errors import NotFound
from eams.api.params import PathId
from eams.api.routes.inventory import device_scope
from inventory.models import Device
from inventory.models.polling import DevicePollStatus

router = APIRouter(tags=["devices"])


class DevicePollStatusRead(BaseModel):
    device_id: int
    polled_at: datetime
    reachable: bool
    duration_s: float
    varbinds: int
    errors: int
    timeouts: int
    missed_polls: int
    profile: str | None
    message: str | None


@router.get(
    "/devices/{device_id}/status",
    response_model=DevicePollStatusRead,
    summary="The latest SNMP poll of a device: when, reachable, how long, varbinds, errors, timeouts",
)
def device_status(device_id: PathId, session: SessionDep, caller: Reader) -> DevicePollStatusRead:
    query = select(Device.id).where(Device.id == device_id)
    if caller.agency_ids is not None:  # a token scoped to agencies sees only their devices
        query = query.where(device_scope(caller.agency_ids))
    if session.scalar(query) is None:
        raise NotFound(f"device {device_id} does not exist", field="device_id")
    # The request's own session (and connection): a status read takes no second one from the pool.
    row = session.scalars(select(DevicePollStatus).where(DevicePollStatus.device_id == device_id)).first()
    if row is None:
        raise NotFound(
            f"device {device_id} has not been polled yet: it needs status active, a management_ip "
            "and SNMP credentials",
            field="device_id",
        )
    return DevicePollStatusRead.model_validate(row, from_attributes=True)
