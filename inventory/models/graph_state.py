"""A counter that moves whenever the typed edges or redundancy groups change.

The impact graph is cached in memory (it takes seconds to build at province scale); services compare
this counter, one primary-key read, to know when to rebuild. A session hook bumps it on every ORM
write of a `Dependency` or `RedundancyGroup`, whatever the write path; code that writes those tables
with bulk SQL must bump it too (`bump_topology_version`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, event, insert, select, update
from sqlalchemy.orm import Mapped, Session, UOWTransaction, mapped_column

from inventory.models.base import Base
from inventory.models.topology import Dependency, RedundancyGroup

ROW_ID = 1


class TopologyVersion(Base):
    __tablename__ = "topology_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=0)


def bump_topology_version(connection: Connection) -> None:
    bump = (
        update(TopologyVersion)
        .where(TopologyVersion.id == ROW_ID)
        .values(version=TopologyVersion.version + 1)
        .execution_options(synchronize_session=False)
    )
    if not connection.execute(bump).rowcount:
        connection.execute(insert(TopologyVersion).values(id=ROW_ID, version=1))


def topology_version(connection: Connection | Session) -> int:
    return int(connection.scalar(select(TopologyVersion.version).where(TopologyVersion.id == ROW_ID)) or 0)


@event.listens_for(Session, "before_flush")
def _bump_on_edge_writes(session: Session, _ctx: UOWTransaction, _instances: Any) -> None:
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, Dependency | RedundancyGroup) for obj in touched):
        bump_topology_version(session.connection())
