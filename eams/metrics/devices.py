"""Which devices a metrics query reads: named ones, or a set by filter, and never outside the
caller's scope (an agency-scoped token or user reads only its agencies' devices, the inventory's
rule: owner or operating agency). A device the caller may not see is answered as not existing."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from eams.api.routes.inventory import device_scope
from eams.auth import Principal
from eams.metrics.query import Device as DeviceRef
from inventory.models import Device


class UnknownDevice(LookupError):
    def __init__(self, given: str) -> None:
        super().__init__(f"device {given!r} does not exist")
        self.given = given


def resolve_devices(
    session: Session,
    caller: Principal,
    given: list[str],
    *,
    site_id: int | None = None,
    agency_id: int | None = None,
    role: str | None = None,
    limit: int,
) -> list[DeviceRef] | None:
    """The devices named (by id or name) or matching the filters; None means every device (an
    unscoped caller who named none and filtered nothing). Raises UnknownDevice for a name or id
    that is not in the inventory or not in the caller's scope."""
    filtered = site_id is not None or agency_id is not None or role is not None
    if not given and not filtered and caller.agency_ids is None:
        return None
    query = select(Device.id, Device.name)
    ids = [int(g) for g in given if g.isdigit()]
    if given:
        query = query.where(or_(Device.id.in_(ids), Device.name.in_(given)))
    if site_id is not None:
        query = query.where(Device.site_id == site_id)
    if agency_id is not None:
        query = query.where(or_(Device.owner_agency_id == agency_id, Device.operating_agency_id == agency_id))
    if role is not None:
        query = query.where(Device.role == role)
    if caller.agency_ids is not None:
        query = query.where(device_scope(caller.agency_ids))
    rows = session.execute(query.order_by(Device.name).limit(limit + 1)).all()
    found = [DeviceRef(int(i), str(n)) for i, n in rows]
    by_id = {d.id for d in found}
    by_name = {d.name for d in found}
    for name in given:
        if name not in by_name and not (name.isdigit() and int(name) in by_id):
            raise UnknownDevice(name)
    return found
