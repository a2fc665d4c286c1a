"""/systems: the catalogue of information systems (the API resource's filters), and /systems/{id}:
agencies, deployments, integrations, the drawn dependency graph, the Decree 85 dossier, contracts
and the roadmap tasks that create, change or retire it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import or_, select

from eams.api.params import PathId
from eams.api.resources import load
from eams.api.routes.architecture import ARCHITECTURE_RESOURCES
from eams.api.routes.reports import graph_cache
from eams.web.context import Crumb
from eams.web.graphs import needs_graph
from eams.web.listing import list_page
from eams.web.session import Page, PageSession
from eams.web.templating import render, translate
from inventory.models import (
    Agency,
    Contract,
    Deployment,
    Device,
    InformationSystem,
    Integration,
    RoadmapTask,
    RoadmapTaskEffect,
    SecurityLevelRecord,
)
from inventory.models.systems import SystemCategory, SystemLifecycle, TimeAssessment
from inventory.reports.impact import needs_report

router = APIRouter(include_in_schema=False)
SYSTEMS = next(r for r in ARCHITECTURE_RESOURCES if r.path == "information-systems")


@router.get("/systems")
def system_list(request: Request, page: Page, session: PageSession) -> Response:
    assert page.caller is not None
    listed = list_page(session, SYSTEMS, page.caller, request, default_ordering="name")
    agency_ids = {s.owner_agency_id for s in listed.rows if s.owner_agency_id}
    owners = dict(session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(agency_ids))).all())
    agencies = select(Agency.id, Agency.name).order_by(Agency.name)
    if page.caller.agency_ids is not None:
        agencies = agencies.where(Agency.id.in_(page.caller.agency_ids))
    page.crumbs = [Crumb(translate(page.language, "Systems"))]
    return render(
        request,
        page,
        "systems/list.html",
        listed=listed,
        owners=owners,
        agencies=[tuple(r) for r in session.execute(agencies)],
        lifecycles=[(v.value, v.value) for v in SystemLifecycle],
        categories=[(v.value, v.value) for v in SystemCategory],
        times=[(v.value, v.value) for v in TimeAssessment],
    )


@router.get("/systems/{system_id}")
def system_page(request: Request, system_id: PathId, page: Page, session: PageSession) -> Response:
    assert page.caller is not None
    system: InformationSystem = load(session, SYSTEMS, page.caller, system_id)
    agency_ids = {system.owner_agency_id, system.operating_agency_id} - {None}
    agencies = dict(session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(agency_ids))).all())
    deployments = list(
        session.execute(
            select(Deployment, Device.name)
            .outerjoin(Device, Device.id == Deployment.device_id)
            .where(Deployment.system_id == system.id)
        )
    )
    integrations = list(
        session.scalars(
            select(Integration).where(
                or_(Integration.source_system_id == system.id, Integration.target_system_id == system.id)
            )
        )
    )
    system_names = dict(
        session.execute(
            select(InformationSystem.id, InformationSystem.name).where(
                InformationSystem.id.in_(
                    {i.source_system_id for i in integrations} | {i.target_system_id for i in integrations}
                )
            )
        ).all()
    )
    levels = list(
        session.scalars(
            select(SecurityLevelRecord)
            .where(SecurityLevelRecord.system_id == system.id)
            .order_by(SecurityLevelRecord.id.desc())
        )
    )
    contracts = list(
        session.scalars(select(Contract).where(Contract.systems.any(InformationSystem.id == system.id)))
    )
    tasks = list(
        session.execute(
            select(RoadmapTask, RoadmapTaskEffect.action)
            .join(RoadmapTaskEffect, RoadmapTaskEffect.task_id == RoadmapTask.id)
            .where(
                RoadmapTaskEffect.target_type == "information_system",
                RoadmapTaskEffect.target_id == system.id,
            )
            .order_by(RoadmapTask.deadline)
        )
    )
    report = needs_report(session, graph_cache(request).get(session), ("information_system", system.id))
    graph = needs_graph(report, ("information_system", system.id, system.name))
    page.crumbs = [Crumb(translate(page.language, "Systems"), "/systems"), Crumb(system.name)]
    return render(
        request,
        page,
        "systems/detail.html",
        system=system,
        agencies=agencies,
        deployments=deployments,
        integrations=integrations,
        system_names=system_names,
        levels=levels,
        contracts=contracts,
        tasks=tasks,
        report=report,
        graph=graph,
    )
