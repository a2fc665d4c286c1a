"""/ : the operators' wall screen. Devices up / down / not polled by site and by agency, firing
alerts by severity (newest first), collectors and the InfluxDB sink. The panels refresh themselves
every few seconds with one small request (`/overview/panels`), one SQL query per panel; no
websocket and no state per open page on the server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collectors.remote.models import RemoteCollector
from eams.alerts.models import Alert
from eams.api.routes.alerts import _visibility, visible_categories
from eams.api.routes.inventory import device_scope
from eams.auth import Permission, Principal
from eams.components.sinks import EXTRAS_KEY as SINK_KEY
from eams.web.session import Page, PageSession
from eams.web.templating import render
from inventory.models import Agency, Device, DevicePollStatus, Site

router = APIRouter(include_in_schema=False)
REFRESH_SECONDS = 5
SEVERITY_ORDER = ("critical", "major", "warning", "minor", "info")


def reachability(session: Session, caller: Principal) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Active devices counted up / down / not polled per site and per agency, from one grouped
    query (one pass over the devices), then named."""
    status = DevicePollStatus.reachable
    statement = (
        select(Device.site_id, Device.owner_agency_id, status, func.count())
        .select_from(Device)
        .outerjoin(DevicePollStatus, DevicePollStatus.device_id == Device.id)
        .where(Device.status == "active")
        .group_by(Device.site_id, Device.owner_agency_id, status)
    )
    if caller.agency_ids is not None:
        statement = statement.where(device_scope(caller.agency_ids))
    by_site: dict[int | None, dict[str, int]] = {}
    by_agency: dict[int | None, dict[str, int]] = {}
    for site_id, agency_id, reachable, count in session.execute(statement):
        key = "not_polled" if reachable is None else ("up" if reachable else "down")
        for table, ident in ((by_site, site_id), (by_agency, agency_id)):
            row = table.setdefault(ident, {"up": 0, "down": 0, "not_polled": 0})
            row[key] += count

    def named(table: dict[int | None, dict[str, int]], model: Any) -> list[dict[str, Any]]:
        ids = [i for i in table if i is not None]
        names: dict[int | None, str] = {}
        if ids:
            names = {
                row[0]: row[1]
                for row in session.execute(select(model.id, model.name).where(model.id.in_(ids)))
            }
        rows = [{"id": i, "name": names.get(i, ""), **counts} for i, counts in table.items()]
        return sorted(rows, key=lambda r: (-r["down"], r["name"]))

    return named(by_site, Site), named(by_agency, Agency)


class OverviewCache:
    """The overview's numbers, shared by every open overview for `REFRESH_SECONDS`: ten wall
    screens refreshing every 5 s cost the queries of one. Keyed by what the reader may see (agency
    scope and alert categories), so no one is shown another scope's counts."""

    def __init__(self, ttl_s: float = REFRESH_SECONDS) -> None:
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, dict[str, Any]]] = {}
        self.computed = 0  # how many times the queries ran (for tests and the benchmark)

    def get(self, key: Hashable, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        now = time.monotonic()
        with self._lock:
            found = self._entries.get(key)
            if found is not None and now - found[0] < self.ttl_s:
                return found[1]
        value = compute()
        with self._lock:
            self._entries[key] = (now, value)
            self.computed += 1
            # Expired scopes are dropped, so the cache stays as small as the set of live readers.
            self._entries = {k: v for k, v in self._entries.items() if now - v[0] < self.ttl_s}
        return value


def cache_of(request: Request) -> OverviewCache:
    cache: OverviewCache | None = getattr(request.app.state, "overview_cache", None)
    if cache is None:
        cache = OverviewCache()
        request.app.state.overview_cache = cache
    return cache


def counts(session: Session, page: Any) -> dict[str, Any]:
    caller = page.caller
    by_site, by_agency = reachability(session, caller)
    totals = {key: sum(row[key] for row in by_site) for key in ("up", "down", "not_polled")}
    alerts: list[Alert] = []
    by_severity: dict[str, int] = {}
    if page.can(Permission.read_alerts):
        firing = [Alert.state == "firing", _visibility(caller)]
        by_severity = {
            severity: count
            for severity, count in session.execute(
                select(Alert.severity, func.count()).where(*firing).group_by(Alert.severity)
            )
        }
        alerts = list(session.scalars(select(Alert).where(*firing).order_by(Alert.id.desc()).limit(10)))
        session.expunge_all()  # kept between requests: plain values, no session attached
    names = dict(
        session.execute(
            select(Device.id, Device.name).where(Device.id.in_({a.device_id for a in alerts if a.device_id}))
        ).all()
    )
    collectors = list(session.scalars(select(RemoteCollector).order_by(RemoteCollector.name).limit(50)))
    session.expunge_all()
    return {
        "by_site": by_site,
        "by_agency": by_agency,
        "totals": totals,
        "alerts": alerts,
        "by_severity": [(s, by_severity.get(s, 0)) for s in SEVERITY_ORDER],
        "alert_devices": names,
        "collectors": collectors,
    }


def panels(request: Request, page: Any, session: Session) -> dict[str, Any]:
    caller = page.caller
    key = (caller.agency_ids, tuple(visible_categories(caller)))
    shared = cache_of(request).get(key, lambda: counts(session, page))
    sink = request.app.state.services.extras.get(SINK_KEY)
    return {
        **shared,
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
