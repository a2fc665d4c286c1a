"""Impact analysis as reports: what loses service when nodes fail, and what a node depends on.

The graph is held in memory between requests (`ImpactGraphCache`) and rebuilt only when the edges
may have changed: the key is the topology version (bumped on every ORM write of an edge or group)
and the newest edge and group ids (which also catch rows written with bulk SQL), three primary-key
reads. Names and using agencies are read per request, so renaming a device costs no rebuild.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import Session

from inventory.impact import EdgeRow, FailureResult, ImpactGraph, NodeKey
from inventory.models import (
    Dependency,
    EdgeState,
    NodeType,
    RedundancyGroup,
)
from inventory.models.graph_state import topology_version
from inventory.models.systems import system_user_table
from inventory.nodes import CHUNK, node_names
from inventory.reports.table import Report, ReportTable
from inventory.scoping import visible_nodes

GraphKey = tuple[int, int, int]


def graph_key(session: Session) -> GraphKey:
    def newest(column: Any) -> int:
        return int(session.scalar(select(func.max(column))) or 0)

    return (topology_version(session), newest(Dependency.id), newest(RedundancyGroup.id))


def load_graph(session: Session) -> ImpactGraph:
    """Every confirmed edge, read in one pass without building ORM objects."""
    table = Dependency.__table__
    columns = [
        type_coerce(table.c.source_type, String),
        table.c.source_id,
        type_coerce(table.c.kind, String),
        type_coerce(table.c.target_type, String),
        table.c.target_id,
        table.c.redundancy_group_id,
    ]
    confirmed = type_coerce(table.c.state, String) == EdgeState.confirmed.value
    rows = session.execute(select(*columns).where(confirmed)).all()
    groups = dict(session.execute(select(RedundancyGroup.id, RedundancyGroup.min_up)).all())
    return ImpactGraph((EdgeRow(*row) for row in rows), groups)


class ImpactGraphCache:
    """One graph per service, rebuilt when `graph_key` moves. Safe across request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: GraphKey | None = None
        self._graph: ImpactGraph | None = None
        self.builds = 0  # how many times the graph was (re)built, for tests and metrics

    def get(self, session: Session) -> ImpactGraph:
        key = graph_key(session)
        with self._lock:
            if self._graph is None or key != self._key:
                self._graph = load_graph(session)
                self._key = key
                self.builds += 1
            return self._graph


@dataclass(frozen=True)
class Named:
    names: dict[tuple[str, int], str]

    def __call__(self, key: NodeKey | None) -> str | None:
        if key is None:
            return None
        return self.names.get(key, f"{key[0]} {key[1]}")


def _names(session: Session, keys: Iterable[NodeKey]) -> Named:
    by_type: dict[str, set[int]] = {}
    for node_type, node_id in keys:
        by_type.setdefault(node_type, set()).add(node_id)
    names: dict[tuple[str, int], str] = {}
    for node_type, ids in by_type.items():
        names.update(((node_type, i), n) for i, n in node_names(session, node_type, ids).items())
    return Named(names)


def _users_of(session: Session, system_ids: Sequence[int]) -> dict[int, list[int]]:
    users: dict[int, list[int]] = {}
    for start in range(0, len(system_ids), CHUNK):
        chunk = system_ids[start : start + CHUNK]
        statement = select(system_user_table.c.system_id, system_user_table.c.agency_id).where(
            system_user_table.c.system_id.in_(chunk)
        )
        for system_id, agency_id in session.execute(statement).all():
            users.setdefault(system_id, []).append(agency_id)
    return users


TYPE_ORDER = {
    NodeType.information_system.value: 0,
    NodeType.public_service.value: 1,
    NodeType.agency.value: 2,
    NodeType.device.value: 3,
}


def failure_report(
    session: Session,
    graph: ImpactGraph,
    failed: Sequence[NodeKey],
    agency_ids: frozenset[int] | None = None,
) -> Report:
    """Every system, public service, agency and device that loses service when `failed` are down.

    Agencies lose service through `serves` edges and as users (tenants) of a lost system. The
    failure follows the whole graph (it crosses agencies), but a caller scoped to `agency_ids`
    reads only the nodes its scope shows; a cause it may not see is left blank."""
    result: FailureResult = graph.fail(failed)
    lost: dict[NodeKey, tuple[NodeKey | None, int]] = {
        item.node: (item.cause, item.depth) for item in result.lost
    }
    system = NodeType.information_system.value
    agency = NodeType.agency.value
    lost_systems = sorted(node_id for node_type, node_id in [*failed, *lost] if node_type == system)
    for system_id, users in _users_of(session, lost_systems).items():
        user_of: NodeKey = (system, system_id)
        depth = lost.get(user_of, (None, 0))[1] + 1
        for agency_id in users:
            lost.setdefault((agency, agency_id), (user_of, depth))
    failed_set = set(failed)
    for key in failed_set:
        lost.pop(key, None)

    keys = [
        *failed,
        *lost,
        *(cause for cause, _ in lost.values() if cause),
        *(d.node for d in result.degraded),
    ]
    visible = visible_nodes(session, keys, agency_ids)
    lost = {
        key: (cause if cause in visible else None, depth)
        for key, (cause, depth) in lost.items()
        if key in visible
    }
    degraded_nodes = [d for d in result.degraded if d.node in visible]
    name = _names(session, visible)
    table = ReportTable("lost", ["node_type", "node_id", "name", "depth", "cause_type", "cause_id", "cause"])
    ordered = sorted(lost.items(), key=lambda item: (TYPE_ORDER.get(item[0][0], 9), item[1][1], item[0][1]))
    for key, (cause, depth) in ordered:
        table.add(
            key[0],
            key[1],
            name(key),
            depth,
            cause[0] if cause else None,
            cause[1] if cause else None,
            name(cause),
        )
    degraded = ReportTable(
        "degraded", ["node_type", "node_id", "name", "redundancy_group_id", "up", "min_up"]
    )
    for item in sorted(degraded_nodes, key=lambda d: (TYPE_ORDER.get(d.node[0], 9), d.node[1])):
        degraded.add(item.node[0], item.node[1], name(item.node), item.group_id, item.up, item.min_up)
    counts = {t: sum(1 for key in lost if key[0] == t) for t in TYPE_ORDER}
    return Report(
        "Impact analysis: what loses service",
        [table, degraded],
        parameters={"failed": [f"{t}:{i} {name((t, i))}" for t, i in failed]},
        summary={
            "systems": counts[system],
            "public_services": counts[NodeType.public_service.value],
            "agencies": counts[agency],
            "devices": counts[NodeType.device.value],
            "degraded": len(degraded.rows),
        },
    )


def needs_report(
    session: Session, graph: ImpactGraph, node: NodeKey, agency_ids: frozenset[int] | None = None
) -> Report:
    """Everything `node` depends on; `single_point` marks what takes it down by failing alone.
    A caller scoped to `agency_ids` reads only the nodes its scope shows (a hidden `via` is blank)."""
    found = graph.needs(node)
    visible = visible_nodes(
        session, [node, *(item.node for item in found), *(item.via for item in found)], agency_ids
    )
    found = [item for item in found if item.node in visible]
    name = _names(session, visible)
    table = ReportTable(
        "needs", ["node_type", "node_id", "name", "depth", "single_point", "via_type", "via_id", "via"]
    )
    for item in found:
        table.add(
            item.node[0],
            item.node[1],
            name(item.node),
            item.depth,
            item.single_point,
            *((item.via[0], item.via[1], name(item.via)) if item.via in visible else (None, None, None)),
        )
    return Report(
        "Dependencies: everything a node needs",
        [table],
        parameters={"node": f"{node[0]}:{node[1]} {name(node)}"},
        summary={
            "needed": len(found),
            "single_points_of_failure": sum(1 for item in found if item.single_point),
        },
    )
