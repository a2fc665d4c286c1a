"""/impact: pick devices or systems, see what loses service (systems, public services, agencies)
drawn as a graph and listed, and what a redundancy group holds up. The same analysis as
/api/v1/reports/impact (which follows the whole graph: a failure crosses agencies)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from eams.api.resources import list_objects
from eams.api.routes.inventory import DEVICES
from eams.api.routes.reports import graph_cache
from eams.web.context import Crumb
from eams.web.graphs import impact_graph
from eams.web.session import Page, PageSession
from eams.web.systems import SYSTEMS
from eams.web.templating import render, translate
from inventory.impact import NodeKey
from inventory.reports.impact import failure_report

router = APIRouter(include_in_schema=False)
MAX_FAILED = 100


def ids(request: Request, name: str) -> list[int]:
    return [int(v) for v in request.query_params.getlist(name) if v.isdigit() and 0 < int(v) < 2**31][
        :MAX_FAILED
    ]


@router.get("/impact")
def impact_page(request: Request, page: Page, session: PageSession) -> Response:
    assert page.caller is not None
    q = (request.query_params.get("q") or "").strip()[:200]
    candidates: list[tuple[str, int, str]] = []
    if q:  # the resources' own search (diacritics ignored), within the reader's scope
        for kind, resource in (("device", DEVICES), ("system", SYSTEMS)):
            _, rows, _, _ = list_objects(session, resource, page.caller, [("q", q), ("limit", "10")])
            candidates += [(kind, row.id, row.name) for row in rows]
    # What is picked must be visible to the reader, as on the API's lists.
    devices = (
        [
            (row.id, row.name)
            for row in list_objects(
                session,
                DEVICES,
                page.caller,
                [("id", str(i)) for i in ids(request, "device")] + [("limit", "100")],
            )[1]
        ]
        if ids(request, "device")
        else []
    )
    systems = (
        [
            (row.id, row.name)
            for row in list_objects(
                session,
                SYSTEMS,
                page.caller,
                [("id", str(i)) for i in ids(request, "system")] + [("limit", "100")],
            )[1]
        ]
        if ids(request, "system")
        else []
    )
    failed: list[NodeKey] = [("device", i) for i, _ in devices] + [
        ("information_system", i) for i, _ in systems
    ]
    report = graph = None
    if failed:
        report = failure_report(session, graph_cache(request).get(session), failed, page.caller.agency_ids)
        graph = impact_graph(
            report,
            [("device", i, n) for i, n in devices] + [("information_system", i, n) for i, n in systems],
        )
    page.crumbs = [Crumb(translate(page.language, "Impact"))]
    return render(
        request,
        page,
        "impact/page.html",
        q=q,
        candidates=candidates,
        devices=devices,
        systems=systems,
        report=report,
        graph=graph,
        picked=request.url.query,
    )
