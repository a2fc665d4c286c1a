"""Planners' reports under /api/v1/reports/: impact, dependencies, duplicates, lifecycle, security,
roadmap, portfolio. A token scoped to an agency subtree sees what those agencies own or lead; impact
and dependencies follow the whole graph (a failure crosses agencies) but show only the nodes the
token may see, and a node it may not see is "not found", as its own endpoint says. Each answers
JSON by default, `format=csv` (the main table, or `table=`) or
`format=xlsx` (every table, one sheet each)."""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at runtime.

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from eams.api.deps import Reader, SessionDep
from eams.api.errors import BadRequest, NotFound
from eams.api.export import render
from inventory.impact import NodeKey
from inventory.models import NodeType, ReferenceModel, RoadmapPlan
from inventory.nodes import NODE_MODELS, missing_ids
from inventory.reports.duplicates import DEFAULT_MODELS, duplicates_report
from inventory.reports.impact import ImpactGraphCache, failure_report, needs_report
from inventory.reports.lifecycle import lifecycle_report
from inventory.reports.portfolio import portfolio_report
from inventory.reports.roadmap import roadmap_report
from inventory.reports.security import security_report
from inventory.scoping import row_scope, visible_nodes

router = APIRouter(prefix="/reports", tags=["reports"])

Format = Annotated[str, Query(description="json, csv (one table) or xlsx (every table)")]
TableName = Annotated[str | None, Query(max_length=50, description="The table a CSV carries (default: main)")]
AsOf = Annotated[dt.date | None, Query(description="Reference date (default: today)")]


def graph_cache(request: Request) -> ImpactGraphCache:
    """The service's impact graph, kept on the app between requests."""
    cache: ImpactGraphCache | None = getattr(request.app.state, "impact_graph", None)
    if cache is None:
        cache = ImpactGraphCache()
        request.app.state.impact_graph = cache
    return cache


def resolve_nodes(
    session: Session,
    node_type: NodeType,
    ids: list[int],
    names: list[str],
    agency_ids: frozenset[int] | None = None,
) -> list[NodeKey]:
    if not ids and not names:
        raise BadRequest(
            "give node_id or node_name (repeat either for several failed nodes)", field="node_id"
        )
    out_of_range = [node_id for node_id in ids if not 0 < node_id < 2**63]
    if out_of_range:
        raise NotFound(
            f"node_id: {node_type.value.replace('_', ' ')} {out_of_range[0]} does not exist", field="node_id"
        )
    # A node outside the caller's scope is "not found", exactly as its own endpoint answers.
    keys: list[NodeKey] = [(node_type.value, node_id) for node_id in ids]
    seen = visible_nodes(session, keys, agency_ids)
    hidden = [key[1] for key in keys if key not in seen]
    absent = sorted(set(missing_ids(session, node_type.value, ids)) | set(hidden))
    if absent:
        raise NotFound(
            f"node_id: {node_type.value.replace('_', ' ')} {absent[0]} does not exist", field="node_id"
        )
    table = NODE_MODELS[node_type.value].__table__
    if names and "name" not in table.c:
        raise BadRequest(f"node_name: {node_type.value} nodes have no name; use node_id", field="node_name")
    scope = row_scope(str(NODE_MODELS[node_type.value].__tablename__)) if agency_ids is not None else None
    for name in names:
        statement = select(table.c.id).where(table.c.name == name)
        if scope is not None and agency_ids is not None:
            statement = statement.where(scope(agency_ids))
        found = session.scalars(statement.limit(2)).all()
        if not found:
            raise NotFound(
                f"node_name: no {node_type.value.replace('_', ' ')} is named {name!r}", field="node_name"
            )
        if len(found) > 1:
            raise BadRequest(
                f"node_name: several {node_type.value} nodes are named {name!r}; use node_id",
                field="node_name",
            )
        keys.append((node_type.value, found[0]))
    return keys


@router.get("/impact", summary="What loses service when a device or system fails")
def impact(
    request: Request,
    session: SessionDep,
    caller: Reader,
    node_type: NodeType = Query(NodeType.device, description="Type of the failed node(s)"),
    node_id: list[int] = Query([], max_length=100, description="Failed node id; repeat for several"),
    node_name: list[str] = Query([], max_length=100, description="Failed node by exact name"),
    format: Format = "json",
    table: TableName = None,
) -> Response:
    failed = resolve_nodes(session, node_type, node_id, node_name, caller.agency_ids)
    graph = graph_cache(request).get(session)
    return render(failure_report(session, graph, failed, caller.agency_ids), format, table, "impact")


@router.get("/dependencies", summary="Everything a system (or any node) depends on")
def dependencies(
    request: Request,
    session: SessionDep,
    caller: Reader,
    node_type: NodeType = Query(NodeType.information_system),
    node_id: list[int] = Query([], max_length=1),
    node_name: list[str] = Query([], max_length=1),
    format: Format = "json",
    table: TableName = None,
) -> Response:
    nodes = resolve_nodes(session, node_type, node_id, node_name, caller.agency_ids)
    if len(nodes) > 1:
        raise BadRequest("give one node: node_id or node_name, not both", field="node_id")
    graph = graph_cache(request).get(session)
    return render(needs_report(session, graph, nodes[0], caller.agency_ids), format, table, "dependencies")


@router.get("/duplicates", summary="Systems that duplicate an active system for the same agencies")
def duplicates(
    session: SessionDep,
    caller: Reader,
    models: str = Query(",".join(m.value for m in DEFAULT_MODELS), description="Reference models compared"),
    format: Format = "json",
    table: TableName = None,
) -> Response:
    chosen: list[ReferenceModel] = []
    for part in filter(None, (p.strip().upper() for p in models.split(","))):
        try:
            chosen.append(ReferenceModel(part))
        except ValueError:
            known = ", ".join(m.value for m in ReferenceModel)
            raise BadRequest(f"models: {part!r} is not one of {known}", field="models") from None
    if not chosen:
        raise BadRequest("models: name at least one reference model", field="models")
    return render(duplicates_report(session, tuple(chosen), caller.agency_ids), format, table, "duplicates")


@router.get("/lifecycle", summary="Devices and contracts out of warranty, support or life, by agency")
def lifecycle(
    session: SessionDep,
    caller: Reader,
    as_of: AsOf = None,
    within_days: int = Query(90, ge=0, le=3650, description="Also list what lapses within this many days"),
    format: Format = "json",
    table: TableName = None,
) -> Response:
    report = lifecycle_report(session, as_of or dt.date.today(), within_days, caller.agency_ids)
    return render(report, format, table, "lifecycle")


@router.get("/security", summary="Systems without an approved security level or needing re-determination")
def security(
    session: SessionDep, caller: Reader, format: Format = "json", table: TableName = None
) -> Response:
    return render(security_report(session, caller.agency_ids), format, table, "security")


@router.get("/roadmap", summary="Roadmap progress and budget per plan, phase, agency, funding; late tasks")
def roadmap(
    session: SessionDep,
    caller: Reader,
    as_of: AsOf = None,
    plan_id: int | None = Query(None, ge=1, le=2**63 - 1),
    format: Format = "json",
    table: TableName = None,
) -> Response:
    if plan_id is not None and session.get(RoadmapPlan, plan_id) is None:
        raise NotFound(f"plan_id: roadmap plan {plan_id} does not exist", field="plan_id")
    report = roadmap_report(session, as_of or dt.date.today(), plan_id, caller.agency_ids)
    return render(report, format, table, "roadmap")


@router.get("/portfolio", summary="Devices and systems by agency (rolled up), role, status and site")
def portfolio(
    session: SessionDep, caller: Reader, format: Format = "json", table: TableName = None
) -> Response:
    return render(portfolio_report(session, caller.agency_ids), format, table, "portfolio")
