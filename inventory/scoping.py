"""Agency scope: which rows of each table belong to a set of agencies.

One clause per table, keyed by table name, so every reader of the rule (the REST resources, the
delete-cascade check, the reports, the event intake) asks the same question the same way. A
table with no entry holds shared, province-wide records (sites, manufacturers, plans ...), or
rows that belong only to their parent row (a device's config versions), which are judged by it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from inventory.models import (
    Agency,
    ApiToken,
    Contract,
    CredentialsProfile,
    DataObject,
    Deployment,
    Device,
    DiscoveredFact,
    InformationSystem,
    Integration,
    Interface,
    IPAddress,
    PublicService,
    RoadmapTask,
    SecurityLevelRecord,
)
from inventory.nodes import CHUNK, NODE_MODELS

ScopeFn = Callable[[frozenset[int]], ColumnElement[bool]]


def device_scope(agency_ids: frozenset[int]) -> ColumnElement[bool]:
    return or_(Device.owner_agency_id.in_(agency_ids), Device.operating_agency_id.in_(agency_ids))


def devices_in_scope(agency_ids: frozenset[int]) -> Any:
    return select(Device.id).where(device_scope(agency_ids))


def interface_scope(agency_ids: frozenset[int]) -> ColumnElement[bool]:
    return Interface.device_id.in_(devices_in_scope(agency_ids))


def ip_address_scope(agency_ids: frozenset[int]) -> ColumnElement[bool]:
    # An address may name its device, or only its interface (as discovery records them).
    interfaces = select(Interface.id).where(interface_scope(agency_ids))
    return or_(IPAddress.device_id.in_(devices_in_scope(agency_ids)), IPAddress.interface_id.in_(interfaces))


def system_scope(agency_ids: frozenset[int]) -> ColumnElement[bool]:
    return or_(
        InformationSystem.owner_agency_id.in_(agency_ids),
        InformationSystem.operating_agency_id.in_(agency_ids),
    )


def through_system(column: Any) -> ScopeFn:
    return lambda ids: column.in_(select(InformationSystem.id).where(system_scope(ids)))


def credentials_scope(agency_ids: frozenset[int]) -> ColumnElement[bool]:
    """A scoped caller sees its agencies' profiles; shared ones (no owner) are for unscoped callers."""
    return CredentialsProfile.owner_agency_id.in_(agency_ids)


ROW_SCOPES: dict[str, ScopeFn] = {
    "agency": lambda ids: Agency.id.in_(ids),
    "api_token": lambda ids: ApiToken.agency_id.in_(ids),
    "device": device_scope,
    "interface": interface_scope,
    "ip_address": ip_address_scope,
    "credentials_profile": credentials_scope,
    "discovered_fact": lambda ids: DiscoveredFact.device_id.in_(devices_in_scope(ids)),
    "information_system": system_scope,
    "public_service": lambda ids: PublicService.agency_id.in_(ids),
    "deployment": through_system(Deployment.system_id),
    "data_object": lambda ids: DataObject.steward_agency_id.in_(ids),
    "integration": lambda ids: or_(
        through_system(Integration.source_system_id)(ids),
        through_system(Integration.target_system_id)(ids),
    ),
    "security_level_record": through_system(SecurityLevelRecord.system_id),
    "contract": lambda ids: Contract.agency_id.in_(ids),
    "roadmap_task": lambda ids: RoadmapTask.lead_agency_id.in_(ids),
}


def row_scope(table_name: str) -> ScopeFn | None:
    """The scope clause of a table, or None for shared records."""
    return ROW_SCOPES.get(table_name)


def visible_nodes(
    session: Session, keys: Iterable[tuple[str, int]], agency_ids: frozenset[int] | None
) -> set[tuple[str, int]]:
    """The graph nodes (node type, id) among `keys` that a caller scoped to `agency_ids` may see:
    all of them when unscoped; a node type without a scope holds shared records, seen by all."""
    wanted = set(keys)
    if agency_ids is None:
        return wanted
    by_type: dict[str, set[int]] = {}
    for node_type, node_id in wanted:
        by_type.setdefault(node_type, set()).add(node_id)
    visible: set[tuple[str, int]] = set()
    for node_type, ids in by_type.items():
        table = NODE_MODELS[node_type].__table__
        scope = row_scope(str(NODE_MODELS[node_type].__tablename__))
        if scope is None:
            visible.update((node_type, node_id) for node_id in ids)
            continue
        ordered = sorted(ids)
        for start in range(0, len(ordered), CHUNK):
            chunk = ordered[start : start + CHUNK]
            statement = select(table.c.id).where(table.c.id.in_(chunk), scope(agency_ids))
            visible.update((node_type, node_id) for node_id in session.scalars(statement))
    return visible
