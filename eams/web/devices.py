"""/devices (list, CSV export and import) and /devices/{id} (the device page).

The list is GET /api/v1/devices for the signed-in person (same filters, `q`, ordering, agency
scope) plus page-only filters (manufacturer, reachability, warranty state) as extra clauses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.orm import Session

from collectors.ssh.models import ConfigVersion
from eams.alerts.models import Alert
from eams.api.errors import ApiError, BadRequest, NotFound
from eams.api.params import PathId
from eams.api.resources import list_clauses, load, ordered_select
from eams.api.routes.alerts import _visibility as alert_visibility
from eams.api.routes.device_csv import ImportMode, import_devices
from eams.api.routes.inventory import DEVICES
from eams.api.routes.metrics import series as metrics_series
from eams.api.routes.reports import graph_cache
from eams.auth import Permission, Principal
from eams.web.context import Crumb
from eams.web.listing import list_page
from eams.web.saved_filters import saved_filters
from eams.web.session import Page, PageSession, check_csrf
from eams.web.templating import N_, render, translate
from inventory.csv_io import References
from inventory.models import (
    Agency,
    Contract,
    CredentialsProfile,
    Deployment,
    Device,
    DevicePollStatus,
    DeviceType,
    DiscoveredFact,
    InformationSystem,
    Interface,
    Manufacturer,
    ObjectChange,
    Platform,
    Rack,
    Site,
)
from inventory.reports.impact import failure_report

router = APIRouter(include_in_schema=False)

WARRANTY_SOON_DAYS = 90
PAGE_ONLY = ("manufacturer", "reachability", "warranty", "cols")
# (key, catalogue msgid); the person picks which ones the table shows (`cols=`).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", N_("Name")),
    ("role", N_("Role")),
    ("status", N_("Status")),
    ("reachability", N_("Reachability")),
    ("management_ip", N_("Management address")),
    ("site", N_("Site")),
    ("rack", N_("Rack")),
    ("owner", N_("Owner agency")),
    ("operator", N_("Operating agency")),
    ("model", N_("Model")),
    ("platform", N_("Platform")),
    ("serial", N_("Serial number")),
    ("warranty_end", N_("Warranty ends")),
    ("purchase_cost_vnd", N_("Purchase cost")),
    ("tags", N_("Tags")),
)
DEFAULT_COLUMNS = ("name", "role", "status", "reachability", "management_ip", "site", "owner", "warranty_end")
SORTABLE = {"name", "role", "status", "management_ip", "serial", "warranty_end", "purchase_cost_vnd"}


def page_filters(request: Request, today: dt.date) -> list[ColumnElement[bool]]:
    """The page-only filters as clauses on Device."""
    clauses: list[ColumnElement[bool]] = []
    params = request.query_params
    manufacturers = [int(v) for v in params.getlist("manufacturer") if v.isdigit()]
    if manufacturers:
        clauses.append(
            Device.device_type_id.in_(
                select(DeviceType.id).where(DeviceType.manufacturer_id.in_(manufacturers))
            )
        )
    reach = params.get("reachability") or ""
    polled = select(DevicePollStatus.device_id).where(DevicePollStatus.device_id == Device.id)
    if reach == "up":
        clauses.append(exists(polled.where(DevicePollStatus.reachable.is_(True))))
    elif reach == "down":
        clauses.append(exists(polled.where(DevicePollStatus.reachable.is_(False))))
    elif reach == "not_polled":
        clauses.append(~exists(polled))
    elif reach:
        raise BadRequest("reachability must be up, down or not_polled", field="reachability")
    warranty = params.get("warranty") or ""
    soon = today + dt.timedelta(days=WARRANTY_SOON_DAYS)
    if warranty == "expired":
        clauses.append(Device.warranty_end < today)
    elif warranty == "expiring":
        clauses.append(and_(Device.warranty_end >= today, Device.warranty_end <= soon))
    elif warranty == "valid":
        clauses.append(Device.warranty_end > soon)
    elif warranty == "unknown":
        clauses.append(Device.warranty_end.is_(None))
    elif warranty:
        raise BadRequest("warranty must be expired, expiring, valid or unknown", field="warranty")
    return clauses


def chosen_columns(request: Request) -> list[str]:
    wanted = [c for part in request.query_params.getlist("cols") for c in part.split(",") if c]
    known = {key for key, _ in COLUMNS}
    chosen = [c for c in wanted if c in known]
    return chosen or list(DEFAULT_COLUMNS)


def names_by_id(session: Session, model: Any, ids: set[int], attribute: str = "name") -> dict[int, str]:
    if not ids:
        return {}
    column = getattr(model, attribute)
    return {row[0]: row[1] for row in session.execute(select(model.id, column).where(model.id.in_(ids)))}


def row_details(session: Session, devices: list[Device]) -> dict[str, dict[int, Any]]:
    """Names of what the shown rows refer to: one query per referenced table, for this page only."""
    ids = {d.id for d in devices}
    agencies = {d.owner_agency_id for d in devices} | {d.operating_agency_id for d in devices}
    types = {d.device_type_id for d in devices if d.device_type_id}
    models = (
        {
            row.id: f"{row.manufacturer} {row.model}"
            for row in session.execute(
                select(DeviceType.id, Manufacturer.name.label("manufacturer"), DeviceType.model)
                .join(Manufacturer, Manufacturer.id == DeviceType.manufacturer_id)
                .where(DeviceType.id.in_(types))
            )
        }
        if types
        else {}
    )
    reach = dict(
        session.execute(
            select(DevicePollStatus.device_id, DevicePollStatus.reachable).where(
                DevicePollStatus.device_id.in_(ids)
            )
        ).all()
    )
    return {
        "site": names_by_id(session, Site, {d.site_id for d in devices if d.site_id}),
        "rack": names_by_id(session, Rack, {d.rack_id for d in devices if d.rack_id}),
        "agency": names_by_id(session, Agency, {a for a in agencies if a}),
        "platform": names_by_id(session, Platform, {d.platform_id for d in devices if d.platform_id}),
        "model": models,
        "reach": reach,
    }


def pairs(session: Session, statement: Any) -> list[tuple[int, str]]:
    return [(row[0], row[1]) for row in session.execute(statement)]


def filter_options(session: Session, caller: Principal) -> dict[str, list[tuple[int, str]]]:
    agencies = select(Agency.id, Agency.name).order_by(Agency.name)
    if caller.agency_ids is not None:
        agencies = agencies.where(Agency.id.in_(caller.agency_ids))
    return {
        "sites": pairs(session, select(Site.id, Site.name).order_by(Site.name)),
        "agencies": pairs(session, agencies),
        "manufacturers": pairs(
            session, select(Manufacturer.id, Manufacturer.name).order_by(Manufacturer.name)
        ),
        "platforms": pairs(session, select(Platform.id, Platform.name).order_by(Platform.name)),
    }


@router.get("/devices")
def device_list(request: Request, page: Page, session: PageSession) -> Response:
    assert page.caller is not None
    today = dt.date.today()
    listed = list_page(
        session,
        DEVICES,
        page.caller,
        request,
        page_only=PAGE_ONLY,
        extra=page_filters(request, today),
        default_ordering="name",
    )
    page.crumbs = [Crumb(translate(page.language, "Devices"))]
    template = "devices/_table.html" if request.headers.get("HX-Request") else "devices/list.html"
    return render(
        request,
        page,
        template,
        listed=listed,
        details=row_details(session, listed.rows),
        columns=[(k, label) for k, label in COLUMNS if k in chosen_columns(request)],
        all_columns=COLUMNS,
        chosen=chosen_columns(request),
        options=filter_options(session, page.caller),
        sortable=SORTABLE,
        today=today,
        export_query=request.url.query,
        saved=saved_filters(session, page.caller),
    )


@router.get("/devices/export.csv")
def device_export(request: Request, page: Page, session: PageSession) -> Response:
    """Exactly the rows the list shows (every page of them), in the import's columns."""
    assert page.caller is not None
    params = [
        (k, v)
        for k, v in request.query_params.multi_items()
        if v != "" and k not in (*PAGE_ONLY, "limit", "offset")
    ]
    clauses = list_clauses(DEVICES, page.caller, params, page_filters(request, dt.date.today()))
    statement = ordered_select(DEVICES, clauses, request.query_params.get("ordering") or "name")
    from inventory.csv_io import export_lines

    refs = References.load(session)
    body = "".join(export_lines(session.scalars(statement.execution_options(yield_per=1000)), refs))
    return Response(
        body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="devices.csv"'},
    )


@router.get("/devices/import")
def import_form(request: Request, page: Page) -> Response:
    if not page.can(Permission.write):
        raise NotFound(translate(page.language, "Not found"))
    page.crumbs = [
        Crumb(translate(page.language, "Devices"), "/devices"),
        Crumb(translate(page.language, "Import CSV")),
    ]
    return render(request, page, "devices/import.html", report=None, errors=None, problem=None)


@router.post("/devices/import", dependencies=[Depends(check_csrf)])
async def import_upload(
    request: Request,
    page: Page,
    session: PageSession,
    file: UploadFile = File(...),
    mode: ImportMode = Form(ImportMode.create),
) -> Response:
    """The API's import, in a savepoint: any bad row and the savepoint is rolled back, so nothing
    is written, and the rows' problems are shown in a table."""
    assert page.caller is not None
    page.crumbs = [
        Crumb(translate(page.language, "Devices"), "/devices"),
        Crumb(translate(page.language, "Import CSV")),
    ]
    data = await file.read()
    savepoint = session.begin_nested()
    try:
        report = import_devices(request, session, page.caller, data, mode)
    except ApiError as exc:
        savepoint.rollback()
        return render(
            request,
            page,
            "devices/import.html",
            status_code=exc.status_code,
            report=None,
            errors=exc.errors or [],
            problem=exc.message,
        )
    savepoint.commit()
    return render(request, page, "devices/import.html", report=report, errors=None, problem=None)


@router.get("/devices/{device_id}")
def device_page(request: Request, device_id: PathId, page: Page, session: PageSession) -> Response:
    assert page.caller is not None
    device: Device = load(session, DEVICES, page.caller, device_id)
    today = dt.date.today()
    device_type = session.get(DeviceType, device.device_type_id) if device.device_type_id else None
    manufacturer = session.get(Manufacturer, device_type.manufacturer_id) if device_type else None
    poll = session.get(DevicePollStatus, device.id)
    interfaces = list(
        session.scalars(
            select(Interface)
            .where(Interface.device_id == device.id)
            .order_by(Interface.if_index, Interface.name)
            .limit(500)
        )
    )
    alerts: list[Alert] = []
    if page.can(Permission.read_alerts):
        alerts = list(
            session.scalars(
                select(Alert)
                .where(Alert.device_id == device.id, alert_visibility(page.caller))
                .order_by(Alert.id.desc())
                .limit(50)
            )
        )
    contracts = list(
        session.scalars(
            select(Contract).where(Contract.devices.any(Device.id == device.id)).order_by(Contract.end_date)
        )
    )
    versions = list(
        session.scalars(
            select(ConfigVersion)
            .where(ConfigVersion.device_id == device.id)
            .order_by(ConfigVersion.version.desc())
            .limit(50)
        )
    )
    facts = list(
        session.scalars(
            select(DiscoveredFact)
            .where(DiscoveredFact.device_id == device.id, DiscoveredFact.state == "pending")
            .limit(50)
        )
    )
    changes = list(
        session.scalars(
            select(ObjectChange)
            .where(ObjectChange.object_type == "device", ObjectChange.object_id == device.id)
            .order_by(ObjectChange.id.desc())
            .limit(20)
        )
    )
    hosted = list(
        session.execute(
            select(InformationSystem.id, InformationSystem.name, Deployment.environment)
            .join(Deployment, Deployment.system_id == InformationSystem.id)
            .where(Deployment.device_id == device.id)
            .order_by(InformationSystem.name)
        )
    )
    impact = failure_report(
        session, graph_cache(request).get(session), [("device", device.id)], page.caller.agency_ids
    )
    credentials = session.get(CredentialsProfile, device.credentials_id) if device.credentials_id else None
    names = row_details(session, [device])
    page.crumbs = [Crumb(translate(page.language, "Devices"), "/devices"), Crumb(device.name)]
    return render(
        request,
        page,
        "devices/detail.html",
        device=device,
        device_type=device_type,
        manufacturer=manufacturer,
        poll=poll,
        interfaces=interfaces,
        alerts=alerts,
        contracts=contracts,
        versions=versions,
        facts=facts,
        changes=changes,
        hosted=hosted,
        impact=impact,
        credentials=credentials,
        names=names,
        today=today,
        ranges=GRAPH_RANGES,
        graphs=GRAPHS,
        range=request.query_params.get("range", "24h"),
    )


GRAPH_RANGES = (("1h", "1 h"), ("6h", "6 h"), ("24h", "24 h"), ("7d", "7 d"))
# (graph key, catalogue msgid): what the device page draws, read from the metrics API.
GRAPHS: tuple[tuple[str, str], ...] = (
    ("cpu", N_("CPU")),
    ("memory", N_("Memory")),
    ("storage", N_("Storage")),
    ("traffic", N_("Traffic (bit/s) per interface")),
    ("errors", N_("Interface errors")),
    ("sensors", N_("Sensors")),
    ("ups", N_("UPS battery and load")),
    ("uptime", N_("Uptime")),
)


@router.get("/devices/{device_id}/config-diff")
def config_diff(
    request: Request,
    device_id: PathId,
    page: Page,
    session: PageSession,
    left: int = Query(..., alias="from", ge=1, le=2**31 - 1),
    right: int = Query(..., alias="to", ge=1, le=2**31 - 1),
) -> Response:
    """Two stored configuration versions side by side (already redacted when stored)."""
    import difflib

    assert page.caller is not None
    device: Device = load(session, DEVICES, page.caller, device_id)
    found = {
        v.version: v
        for v in session.scalars(
            select(ConfigVersion).where(
                ConfigVersion.device_id == device.id, ConfigVersion.version.in_([left, right])
            )
        )
    }
    for number, name in ((left, "from"), (right, "to")):
        if number not in found:
            raise NotFound(f"{name}: device {device.name} has no configuration version {number}", field=name)
    a, b = found[left].text.splitlines(), found[right].text.splitlines()
    rows: list[tuple[str, str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        width = max(i2 - i1, j2 - j1)
        for k in range(width):
            old = a[i1 + k] if i1 + k < i2 else ""
            new = b[j1 + k] if j1 + k < j2 else ""
            rows.append((tag, old, new))
    page.crumbs = [
        Crumb(translate(page.language, "Devices"), "/devices"),
        Crumb(device.name, f"/devices/{device.id}"),
        Crumb(translate(page.language, "Configuration changes")),
    ]
    return render(request, page, "devices/diff.html", device=device, rows=rows, left=left, right=right)


@dataclass(frozen=True)
class GraphQuery:
    """What one graph reads from the metrics read path (issue 13): a measurement's fields."""

    measurement: str
    fields: tuple[str, ...]
    utilisation: bool = False
    scale: float = 1.0  # octets per second -> bits per second


# Device knowledge as data: which measurement each graph of the device page draws.
GRAPH_QUERIES: dict[str, GraphQuery] = {
    "cpu": GraphQuery("host_cpu", ("load_percent",)),
    "memory": GraphQuery("ucd_memory", ("available_kib", "total_kib")),
    "storage": GraphQuery("host_storage", ("used_units",), utilisation=True),
    "traffic": GraphQuery("interface", ("in_octets", "out_octets"), scale=8.0),
    "errors": GraphQuery("interface", ("in_errors", "out_errors")),
    "sensors": GraphQuery("entity_sensor", ("value",)),
    "ups": GraphQuery("ups_battery", ("charge_percent",)),
    "uptime": GraphQuery("snmp_system", ("uptime_s",)),
}
SINCE = {"1h": "1h", "6h": "6h", "24h": "24h", "7d": "7d"}
MAX_SERIES = 12  # per graph: the busiest ports are in /api/v1/metrics/top


@router.get("/devices/{device_id}/graphs.json")
def device_graphs(
    device_id: PathId,
    page: Page,
    session: PageSession,
    request: Request,
    range: str = Query("24h", max_length=10),
) -> dict[str, Any]:
    """Every graph of the device page in one answer (one request per page view), as uPlot wants
    them: per graph a shared x (unix seconds) and one list of values per series. Read through the
    metrics API's own function, so the same scope and the same answers as /api/v1/metrics/series."""
    assert page.caller is not None
    device: Device = load(session, DEVICES, page.caller, device_id)  # 404 outside the reader's scope
    if range not in SINCE:
        raise BadRequest(f"range must be one of {', '.join(SINCE)}", field="range")
    services = request.app.state.services
    graphs: dict[str, Any] = {}
    for key, spec in GRAPH_QUERIES.items():
        try:
            answer = metrics_series(
                session,
                services,
                page.caller,
                measurement=spec.measurement,
                field=list(spec.fields),
                device=[str(device.id)],
                site_id=None,
                agency_id=None,
                role=None,
                entity=[],
                since=SINCE[range],
                start=None,
                end=None,
                step=None,
                steps=300,
                raw=False,
                utilisation=spec.utilisation,
            )
        except ApiError:  # a measurement this service does not know, or no backend: an empty graph
            graphs[key] = {"x": [], "series": []}
            continue
        graphs[key] = uplot_data(answer.series[:MAX_SERIES], spec.scale)
    return {"range": range, "graphs": graphs}


def uplot_data(series: list[Any], scale: float) -> dict[str, Any]:
    """Series on one shared time axis (uPlot's shape); a missing step is null."""
    times = sorted({t for s in series for t in s.time})
    index = {t: i for i, t in enumerate(times)}
    out = []
    for s in series:
        values: list[float | None] = [None] * len(times)
        for t, v in zip(s.time, s.mean, strict=False):
            values[index[t]] = None if v is None else v * scale
        entity = " ".join(s.entity.get(k, "") for k in ("ifName", "storage", "sensor") if s.entity.get(k))
        out.append({"label": f"{entity} {s.field}".strip(), "values": values})
    if all(v is None for s in out for v in s["values"]):
        return {"x": [], "series": []}
    return {"x": times, "series": out}
