"""/metrics/series, /metrics/top, /metrics/latest: metrics read back (eams/metrics), and
/sinks/store: the embedded store's state.

Every name is checked against the measurement schema and every device against the caller's scope
before a backend is asked anything; a bad one is a 400 (404 for a device) that names the parameter.
"""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime.

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from collectors.schema import FieldSchema, MeasurementSchema
from eams.api.deps import Reader, ServicesDep, SessionDep
from eams.api.errors import ApiError, BadRequest, NotFound
from eams.auth import Principal
from eams.metrics import query
from eams.metrics.answers import LatestAnswer, SeriesAnswer, TopAnswer
from eams.metrics.backends.base import BackendError
from eams.metrics.devices import UnknownDevice, resolve_devices
from eams.metrics.service import MetricsService
from eams.metrics.wiring import STORE_KEY, measurement_schema, metrics_service
from eams.services import Services
from inventory.models import Device
from inventory.models.enums import DeviceRole

router = APIRouter(tags=["metrics"])


class MetricsUnavailable(ApiError):
    """No backend can answer now (InfluxDB down, nothing recorded)."""

    status_code = 503


def _service(services: Services) -> MetricsService:
    return metrics_service(services)


def _devices(
    session: Session,
    caller: Principal,
    services: Services,
    device: list[str],
    site_id: int | None,
    agency_id: int | None,
    role: DeviceRole | None,
) -> list[query.Device] | None:
    try:
        return resolve_devices(
            session,
            caller,
            device,
            site_id=site_id,
            agency_id=agency_id,
            role=role.value if role else None,
            limit=services.settings.metrics.max_devices,
        )
    except UnknownDevice as error:
        raise NotFound(f"device {error.given!r} does not exist", field="device") from None


def _answer(run: Any) -> Any:
    try:
        return run()
    except query.QueryError as error:
        raise BadRequest(error.message, field=error.field) from None
    except BackendError as error:
        raise MetricsUnavailable(str(error)) from None


DEVICE = Query(default_factory=list, description="Device id or name; repeat for several")
SITE = Query(None, ge=1, le=2**31 - 1, description="Devices of this site")
AGENCY = Query(None, ge=1, le=2**31 - 1, description="Devices this agency owns or operates")
ROLE = Query(None, description="Devices of this role")


@router.get(
    "/metrics/series",
    response_model=SeriesAnswer,
    summary="Time series of a measurement's fields for devices: min/max/mean/last per step",
    description="One series per device, entity (interface, disk ...) and field. Counters come as "
    "per-second rates (wrap and restart aware, the alert engine's rule) unless `raw=true`; "
    "`utilisation=true` gives fields with a 100 % mark in the schema (octets: ifHighSpeed) in %. "
    "Range: `since` (default 1h) or `start`/`end` (unix seconds or ISO 8601); `step` (e.g. 5m) or "
    "`steps` (default 300). Older than the raw retention, answers come from 5-minute or hourly "
    "rollups and `step_s` says the step used.",
)
def series(
    session: SessionDep,
    services: ServicesDep,
    caller: Reader,
    measurement: str = Query(..., description="e.g. interface, host_cpu, snmp_system"),
    field: list[str] = Query(..., description="Field of the measurement; repeat for several"),
    device: list[str] = DEVICE,
    site_id: int | None = SITE,
    agency_id: int | None = AGENCY,
    role: DeviceRole | None = ROLE,
    entity: list[str] = Query(default_factory=list, description="tag=value, e.g. ifName=Gi0/1"),
    since: str | None = Query(None, description="How far back from end, e.g. 1h, 24h, 7d"),
    start: str | None = Query(None),
    end: str | None = Query(None),
    step: str | None = Query(None, description="e.g. 60s, 5m, 1h"),
    steps: int | None = Query(None, ge=1, le=100_000),
    raw: bool = Query(False, description="Counters as stored instead of per-second rates"),
    utilisation: bool = Query(False, description="In % of the field's 100 % mark (schema percent_of)"),
) -> SeriesAnswer:
    def run() -> SeriesAnswer:
        schema = measurement_schema()
        m = query.measurement(schema, measurement)
        fields = [query.numeric_field(m, name) for name in dict.fromkeys(field)]
        entities = query.entity_filter(m, entity)
        window = query.time_range(
            services.settings.metrics, since=since, start=start, end=end, step=step, steps=steps
        )
        if not device and site_id is None and agency_id is None and role is None:
            raise query.QueryError(
                "name a device (device=) or a set of them (site_id, agency_id, role)", "device"
            )
        devices = _devices(session, caller, services, device, site_id, agency_id, role) or []
        request = query.SeriesRequest(m, fields, devices, entities, window, raw=raw, utilisation=utilisation)
        return _service(services).series(request)

    result: SeriesAnswer = _answer(run)
    return result


@router.get(
    "/metrics/top",
    response_model=TopAnswer,
    summary="The top N entities by a field over the last window (busiest ports, highest CPU ...)",
    description="Ranked by the mean over the window, which starts on a 5-minute boundary: the "
    "per-second rate for counters, or the utilisation in % with `utilisation=true`. Only devices "
    "the caller may read are ranked; filter with device, site_id, agency_id, role.",
)
def top(
    session: SessionDep,
    services: ServicesDep,
    caller: Reader,
    measurement: str = Query(...),
    field: str = Query(...),
    window: str = Query("15m", description="How far back, e.g. 5m, 15m, 1h"),
    limit: int = Query(10, ge=1, le=1000),
    utilisation: bool = Query(False),
    device: list[str] = DEVICE,
    site_id: int | None = SITE,
    agency_id: int | None = AGENCY,
    role: DeviceRole | None = ROLE,
    entity: list[str] = Query(default_factory=list),
) -> TopAnswer:
    def run() -> TopAnswer:
        m = query.measurement(measurement_schema(), measurement)
        spec = query.numeric_field(m, field)
        entities = query.entity_filter(m, entity)
        window_s = query.seconds(window, "window")
        devices = _devices(session, caller, services, device, site_id, agency_id, role)
        request = query.TopRequest(
            m,
            spec,
            devices,
            window_s,
            limit,
            utilisation=utilisation,
            entity=entities,
            identify=lambda names: _ids(session, names),
        )
        return _service(services).top(request)

    result: TopAnswer = _answer(run)
    return result


@router.get(
    "/metrics/latest",
    response_model=LatestAnswer,
    summary="The last value of chosen fields for many devices at once (overview, device list)",
    description="`field` is `measurement.field` (e.g. `snmp_system.uptime_s`, `collector.reachable`, "
    "`interface.in_octets`); repeat it. Counters answer their last per-second rate unless `raw=true`.",
)
def latest(
    session: SessionDep,
    services: ServicesDep,
    caller: Reader,
    field: list[str] = Query(..., description="measurement.field; repeat for several"),
    device: list[str] = DEVICE,
    site_id: int | None = SITE,
    agency_id: int | None = AGENCY,
    role: DeviceRole | None = ROLE,
    raw: bool = Query(False),
) -> LatestAnswer:
    def run() -> LatestAnswer:
        schema = measurement_schema()
        items: list[tuple[MeasurementSchema, FieldSchema]] = []
        for pair in dict.fromkeys(field):
            name, sep, field_name = pair.partition(".")
            if not sep:
                raise query.QueryError(
                    f"field={pair!r} is not measurement.field, e.g. snmp_system.uptime_s", "field"
                )
            m = query.measurement(schema, name)
            spec = m.fields.get(field_name)
            if spec is None:
                raise query.QueryError(f"{name} has no field {field_name!r}", "field")
            items.append((m, spec))
        devices = _devices(session, caller, services, device, site_id, agency_id, role)
        if devices is None:  # an unscoped caller who named no device: every device, as many as allowed
            devices = _all_devices(session, services)
        return _service(services).latest(query.LatestRequest(items, devices, raw=raw))

    result: LatestAnswer = _answer(run)
    return result


def _ids(session: Session, names: list[str]) -> dict[str, int]:
    rows = session.execute(select(Device.name, Device.id).where(Device.name.in_(names))).all()
    return {str(name): int(i) for name, i in rows}


def _all_devices(session: Session, services: Services) -> list[query.Device]:
    rows = session.execute(
        select(Device.id, Device.name).order_by(Device.name).limit(services.settings.metrics.max_devices)
    ).all()
    return [query.Device(int(i), str(n)) for i, n in rows]


@router.get(
    "/sinks/store",
    tags=["collectors"],
    summary="Embedded metrics store state",
    description="Samples received, queued and flushed, blocks sealed, late rows, fields skipped, rows "
    "dropped by retention or the size bound, samples lost to a crash, unclean stops.",
)
def store_state(services: ServicesDep, caller: Reader) -> dict[str, Any]:
    sink = services.extras.get(STORE_KEY)
    if sink is None:
        raise NotFound("the embedded metrics store is not running in this service (EAMS_METRICS_STORE)")
    state: dict[str, Any] = asdict(sink.state())
    return state
