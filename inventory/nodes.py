"""Which table each edge endpoint type (`NodeType`) lives in, and how a node is named."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import (
    Agency,
    DataObject,
    Deployment,
    Device,
    InformationSystem,
    Integration,
    Interface,
    NodeType,
    PublicService,
)
from inventory.models.base import Base

NODE_MODELS: dict[str, type[Base]] = {
    NodeType.device.value: Device,
    NodeType.interface.value: Interface,
    NodeType.agency.value: Agency,
    NodeType.information_system.value: InformationSystem,
    NodeType.deployment.value: Deployment,
    NodeType.data_object.value: DataObject,
    NodeType.public_service.value: PublicService,
    # Not an edge endpoint, but roadmap tasks point at integrations.
    "integration": Integration,
}

CHUNK = 500


def missing_ids(session: Session, node_type: str, ids: Iterable[int]) -> list[int]:
    """The ids among `ids` that have no row in `node_type`'s table."""
    model = NODE_MODELS[node_type]
    wanted = sorted(set(ids))
    table = model.__table__
    found: set[int] = set()
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        found.update(session.scalars(select(table.c.id).where(table.c.id.in_(chunk))))
    return [item for item in wanted if item not in found]


def node_names(session: Session, node_type: str, ids: Iterable[int]) -> dict[int, str]:
    """Display names of many nodes of one type, in a few bulk queries."""
    model = NODE_MODELS[node_type]
    table = model.__table__
    column = table.c.get("name")
    wanted = sorted(set(ids))
    names: dict[int, str] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        if column is None:
            rows = session.scalars(select(model).where(table.c.id.in_(chunk)))
            names.update((getattr(row, "id"), str(row)) for row in rows)  # noqa: B009
        else:
            names.update(session.execute(select(table.c.id, column).where(table.c.id.in_(chunk))).all())
    return names
