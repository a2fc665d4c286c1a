"""Portfolio: devices and systems per agency (own, and rolled up the agency tree), and counts by
role, status and site."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.models import Agency, Device, InformationSystem, Site
from inventory.reports.table import Report, ReportTable

NONE = "(none)"


def portfolio_report(session: Session, agency_ids: frozenset[int] | None = None) -> Report:
    """`agency_ids` (a scoped token's subtree) keeps those agencies and what they own."""
    agency_query = select(Agency).order_by(Agency.id)
    if agency_ids is not None:
        agency_query = agency_query.where(Agency.id.in_(agency_ids))
    agencies = list(session.scalars(agency_query))
    names = {a.id: a.name for a in agencies}
    parent = {a.id: a.parent_id for a in agencies}
    own_devices = Counter(
        dict(
            session.execute(
                select(Device.owner_agency_id, func.count()).group_by(Device.owner_agency_id)
            ).all()
        )
    )
    own_systems = Counter(
        dict(
            session.execute(
                select(InformationSystem.owner_agency_id, func.count()).group_by(
                    InformationSystem.owner_agency_id
                )
            ).all()
        )
    )
    if agency_ids is not None:
        own_devices = Counter({k: v for k, v in own_devices.items() if k in agency_ids})
        own_systems = Counter({k: v for k, v in own_systems.items() if k in agency_ids})
    total_devices: Counter[int] = Counter()
    total_systems: Counter[int] = Counter()
    for agency in agencies:
        # Add each agency's own counts to itself and every ancestor (the tree is shallow).
        seen: set[int] = set()
        cursor: int | None = agency.id
        while cursor is not None and cursor not in seen:
            seen.add(cursor)
            total_devices[cursor] += own_devices[agency.id]
            total_systems[cursor] += own_systems[agency.id]
            cursor = parent.get(cursor)

    table = ReportTable(
        "agencies",
        ["agency", "kind", "parent", "valid_to", "devices", "systems", "devices_total", "systems_total"],
    )
    for agency in agencies:
        table.add(
            agency.name,
            agency.kind,
            names.get(agency.parent_id or 0),
            agency.valid_to,
            own_devices[agency.id],
            own_systems[agency.id],
            total_devices[agency.id],
            total_systems[agency.id],
        )

    sites = dict(session.execute(select(Site.id, Site.name)).all())
    devices = ReportTable("devices", ["agency", "role", "status", "site", "count"])
    grouped = session.execute(
        select(Device.owner_agency_id, Device.role, Device.status, Device.site_id, func.count()).group_by(
            Device.owner_agency_id, Device.role, Device.status, Device.site_id
        )
    ).all()
    grouped = [g for g in grouped if agency_ids is None or g[0] in agency_ids]
    for agency_id, role, status, site_id, count in sorted(
        grouped,
        key=lambda g: (names.get(g[0] or 0, NONE), g[1].value, g[2].value, sites.get(g[3] or 0, NONE)),
    ):
        devices.add(names.get(agency_id or 0, NONE), role, status, sites.get(site_id or 0, NONE), count)

    systems = ReportTable("systems", ["agency", "category", "lifecycle", "count"])
    grouped_systems = session.execute(
        select(
            InformationSystem.owner_agency_id,
            InformationSystem.category,
            InformationSystem.lifecycle,
            func.count(),
        ).group_by(InformationSystem.owner_agency_id, InformationSystem.category, InformationSystem.lifecycle)
    ).all()
    grouped_systems = [g for g in grouped_systems if agency_ids is None or g[0] in agency_ids]
    for agency_id, category, lifecycle, count in sorted(
        grouped_systems, key=lambda g: (names.get(g[0] or 0, NONE), g[1].value, g[2].value)
    ):
        systems.add(names.get(agency_id or 0, NONE), category, lifecycle, count)

    return Report(
        "Portfolio: devices and systems by agency",
        [table, devices, systems],
        summary={"devices": sum(own_devices.values()), "systems": sum(own_systems.values())},
    )
