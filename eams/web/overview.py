"""/ : the operators' wall screen. Devices up / down / not polled by site and by agency, firing
alerts by severity (newest first), collectors and the InfluxDB sink. The panels refresh themselves
every few seconds with one small request (`/overview/panels`), one SQL query per panel; no
websocket and no state per open page on the server."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from collectors.remote.models import RemoteCollector
from collectors.sinks.component import EXTRAS_KEY as SINK_KEY
from eams.alerts.models import Alert
from eams.api.routes.alerts import _visibility
from eams.api.routes.inventory import device_scope
from eams.auth import Permission, Principal
from eams.web.session import Page, PageSession
from eams.web.templating import render
from inventory.models import Agency, Device, DevicePollStatus, Site

router = APIRouter(include_in_schema=False)
REFRESH_SECONDS = 5
SEVERITY_ORDER = ("critical", "major", "warning", "minor", "info")


def reachability_by(session: Session, caller: Principal, group: Any, names: Any) -> list[dict[str, Any]]:
    """Active devices counted up / down / not polled, per site or per agency: one query."""
    status = DevicePollStatus.reachable
    statement = (
        select(
            names.label("name"),
            group.label("id"),
            func.sum(case((status.is_(True), 1), else_=0)).label("up"),
            func.sum(case((status.is_(False), 1), else_=0)).label("down"),
            func.sum(case((status.is_(None), 1), else_=0)).label("not_polled"),
        )
        .select_from(Device)
        .outerjoin(DevicePollStatus, DevicePollStatus.device_id == Device.id)
        .outerjoin(names.table, names.table.c.id == group)
        .where(Device.status == "active")
        .group_by(group, names)
        .order_by(func.sum(case((status.is_(False), 1), else_=0)).desc(), names)
    )
    if caller.agency_ids is not None:
        statement = statement.where(device_scope(caller.agency_ids))
    return [dict(row._mapping) for row in session.execute(statement)]


def panels(request: Request, page: Any, session: Session) -> dict[str, Any]:
    caller = page.caller
    by_site = reachability_by(session, caller, Device.site_id, Site.__table__.c.name)
    by_agency = reachability_by(session, caller, Device.owner_agency_id, Agency.__table__.c.name)
    totals = {key: sum(row[key] or 0 for row in by_site) for key in ("up", "down", "not_polled")}
    alerts: list[Alert] = []
    by_severity: dict[str, int] = {}
    if page.can(Permission.read_alerts):
        firing = [Alert.state == "firing", _visibility(caller)]
        by_severity = dict(
            session.execute(
                select(Alert.severity, func.count()).where(*firing).group_by(Alert.severity)
            ).all()
        )
        alerts = list(session.scalars(select(Alert).where(*firing).order_by(Alert.id.desc()).limit(10)))
    names = dict(
        session.execute(
            select(Device.id, Device.name).where(Device.id.in_({a.device_id for a in alerts if a.device_id}))
        ).all()
    )
    collectors = list(session.scalars(select(RemoteCollector).order_by(RemoteCollector.name).limit(50)))
    sink = request.app.state.services.extras.get(SINK_KEY)
    return {
        "by_site": by_site,
        "by_agency": by_agency,
        "totals": totals,
        "alerts": alerts,
        "by_severity": [(s, by_severity.get(s, 0)) for s in SEVERITY_ORDER],
        "alert_devices": names,
        "collectors": collectors,
        "sink": sink.state() if sink is not None else None,
        "refresh": REFRESH_SECONDS,
        "now": time.time(),
    }


@router.get("/")
def overview(request: Request, page: Page, session: PageSession) -> Response:
    return render(request, page, "overview/page.html", **panels(request, page, session))


@router.get("/overview/panels")
def overview_panels(request: Request, page: Page, session: PageSession) -> Response:
    return render(request, page, "overview/_panels.html", **panels(request, page, session))
