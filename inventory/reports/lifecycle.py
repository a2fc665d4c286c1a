"""Devices and contracts out of warranty, support or end of life now, or within N days, by agency."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import Agency, Contract, ContractKind, Device, DeviceType, LifecycleStatus
from inventory.reports.table import Report, ReportTable

NO_AGENCY = "(no agency)"
# A purchase contract ending means nothing for support; the others are the cover that lapses.
COVER_KINDS = (ContractKind.warranty, ContractKind.support, ContractKind.service_lease, ContractKind.licence)


def lifecycle_report(
    session: Session, as_of: date, within_days: int, agency_ids: frozenset[int] | None = None
) -> Report:
    """A milestone is `expired` when its date is before `as_of`, `due` when it falls in the window
    [as_of, as_of + within_days]. Retired devices are left out."""
    horizon = as_of + timedelta(days=within_days)
    agencies = dict(session.execute(select(Agency.id, Agency.name)).all())
    items = ReportTable(
        "items", ["agency", "kind", "name", "detail", "milestone", "date", "days_left", "state"]
    )
    found: list[tuple[str, str, str, str, str, date]] = []

    devices = select(Device, DeviceType).outerjoin(DeviceType, Device.device_type_id == DeviceType.id)
    devices = devices.where(Device.status != LifecycleStatus.retired)
    if agency_ids is not None:
        devices = devices.where(Device.owner_agency_id.in_(agency_ids))
    for device, device_type in session.execute(devices).all():
        owner = agencies.get(device.owner_agency_id or 0, NO_AGENCY)
        milestones = [("warranty", device.warranty_end)]
        if device_type is not None:
            milestones += [
                ("end_of_support", device_type.end_of_support),
                ("end_of_life", device_type.end_of_life),
            ]
        detail = device_type.model if device_type is not None else device.role.value
        for milestone, when in milestones:
            if when is not None and when <= horizon:
                found.append((owner, "device", device.name, detail, milestone, when))

    contracts = select(Contract).where(Contract.kind.in_(COVER_KINDS), Contract.end_date <= horizon)
    if agency_ids is not None:
        contracts = contracts.where(Contract.agency_id.in_(agency_ids))
    for contract in session.scalars(contracts):
        owner = agencies.get(contract.agency_id or 0, NO_AGENCY)
        assert contract.end_date is not None
        found.append(
            (owner, "contract", contract.name, contract.vendor or "", contract.kind.value, contract.end_date)
        )

    expired: Counter[str] = Counter()
    due: Counter[str] = Counter()
    for owner, kind, name, detail, milestone, when in sorted(found, key=lambda f: (f[0], f[5], f[2], f[4])):
        state = "expired" if when < as_of else "due"
        (expired if state == "expired" else due)[owner] += 1
        items.add(owner, kind, name, detail, milestone, when, (when - as_of).days, state)

    by_agency = ReportTable("by_agency", ["agency", "expired", "due", "total"])
    for owner in sorted(set(expired) | set(due)):
        by_agency.add(owner, expired[owner], due[owner], expired[owner] + due[owner])
    return Report(
        "Lifecycle: warranty, support and end of life",
        [items, by_agency],
        parameters={"as_of": as_of, "within_days": within_days},
        summary={"expired": sum(expired.values()), "due": sum(due.values())},
    )
