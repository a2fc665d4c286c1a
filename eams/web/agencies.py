"""/agencies: the agency tree with validity dates and successors (merged provinces and districts),
and /agencies/{id}: its devices, systems, contracts and open alerts."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, or_, select

from eams.alerts.models import Alert
from eams.api.params import PathId
from eams.api.resources import load
from eams.api.routes.alerts import _visibility
from eams.api.routes.inventory import INVENTORY_RESOURCES, device_scope
from eams.auth import Permission
from eams.web.context import Crumb
from eams.web.session import Page, PageSession
from eams.web.templating import render, translate
from inventory.models import Agency, Contract, Device, InformationSystem

router = APIRouter(include_in_schema=False)
AGENCIES = next(r for r in INVENTORY_RESOURCES if r.path == "agencies")
# A province has a few hundred agencies at most; the tree is drawn whole, up to this bound.
TREE_LIMIT = 5000


@dataclass
class Node:
    agency: Agency
    children: list[Node] = field(default_factory=list)


def agency_tree(agencies: list[Agency]) -> list[Node]:
    nodes = {a.id: Node(a) for a in agencies}
    roots: list[Node] = []
    for node in nodes.values():
        parent = nodes.get(node.agency.parent_id) if node.agency.parent_id else None
        (parent.children if parent else roots).append(node)
    for node in nodes.values():
        node.children.sort(key=lambda n: n.agency.name)
    return sorted(roots, key=lambda n: n.agency.name)


@router.get("/agencies")
def agency_list(request: Request, page: Page, session: PageSession) -> Response:
    assert page.caller is not None
    statement = select(Agency).order_by(Agency.name).limit(TREE_LIMIT)
    if page.caller.agency_ids is not None:
        statement = statement.where(Agency.id.in_(page.caller.agency_ids))
    agencies = list(session.scalars(statement))
    names = {a.id: a.name for a in agencies}
    page.crumbs = [Crumb(translate(page.language, "Agencies"))]
    return render(request, page, "agencies/list.html", tree=agency_tree(agencies), names=names)


@router.get("/agencies/{agency_id}")
def agency_page(request: Request, agency_id: PathId, page: Page, session: PageSession) -> Response:
    assert page.caller is not None
    agency: Agency = load(session, AGENCIES, page.caller, agency_id)
    own = frozenset({agency.id})
    device_count = session.scalar(select(func.count()).select_from(Device).where(device_scope(own))) or 0
    devices = list(session.scalars(select(Device).where(device_scope(own)).order_by(Device.name).limit(20)))
    systems = list(
        session.scalars(
            select(InformationSystem)
            .where(
                or_(
                    InformationSystem.owner_agency_id == agency.id,
                    InformationSystem.operating_agency_id == agency.id,
                    InformationSystem.using_agencies.any(Agency.id == agency.id),
                )
            )
            .order_by(InformationSystem.name)
            .limit(100)
        )
    )
    contracts = list(
        session.scalars(
            select(Contract).where(Contract.agency_id == agency.id).order_by(Contract.end_date).limit(100)
        )
    )
    open_alerts = 0
    if page.can(Permission.read_alerts):
        open_alerts = (
            session.scalar(
                select(func.count())
                .select_from(Alert)
                .where(
                    Alert.state == "firing",
                    _visibility(page.caller),
                    Alert.device_id.in_(select(Device.id).where(device_scope(own))),
                )
            )
            or 0
        )
    # Parent, successor and predecessors are named only when the reader may open them.
    visible = (
        AGENCIES.scope(page.caller.agency_ids)
        if page.caller.agency_ids is not None and AGENCIES.scope
        else None
    )
    linked = select(Agency).where(
        or_(
            Agency.id.in_([x for x in (agency.parent_id, agency.successor_id) if x]),
            Agency.successor_id == agency.id,
        )
    )
    if visible is not None:
        linked = linked.where(visible)
    related = {a.id: a.name for a in session.scalars(linked)}
    children = list(
        session.scalars(select(Agency).where(Agency.parent_id == agency.id).order_by(Agency.name))
    )
    predecessors = [
        a for a in session.scalars(linked.where(Agency.successor_id == agency.id).order_by(Agency.name))
    ]
    page.crumbs = [Crumb(translate(page.language, "Agencies"), "/agencies"), Crumb(agency.name)]
    return render(
        request,
        page,
        "agencies/detail.html",
        agency=agency,
        device_count=device_count,
        devices=devices,
        systems=systems,
        contracts=contracts,
        open_alerts=open_alerts,
        related=related,
        children=children,
        predecessors=predecessors,
    )
