"""Remote collectors: registration and heartbeat, their targets (with decrypted credentials, for
collector tokens only), batches of samples and events, health, and device assignment.

TLS must front this API in production: `GET /collectors/{name}/targets` carries SNMP secrets.
"""

# No `from __future__ import annotations`: FastAPI reads the closures' annotations at runtime.

import asyncio
import collections
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from collectors.remote.models import CollectorAssignment, CollectorBatch, RemoteCollector
from collectors.remote.watch import WATCH_JOB, back_event, takeover_event
from collectors.remote.wire import event_from_json, sample_from_json, target_to_json
from collectors.samples import Event
from collectors.sinks.influx import SpoolingInfluxSink
from collectors.snmp.targets import load_targets
from eams.alerts.models import AlertRule
from eams.api.authorization import ensure_devices_in_scope
from eams.api.deps import Reader, ServicesDep, SessionDep, require
from eams.api.errors import Conflict, Forbidden, NotFound, Unprocessable
from eams.api.params import PathId
from eams.api.resources import load
from eams.api.routes.inventory import DEVICES
from eams.auth import Permission, Principal
from eams.components.sinks import EXTRAS_KEY as INFLUX_SINK_KEY
from eams.components.syslog import ingest_forwarded, records_from_json
from eams.services import Services
from inventory.models import Site
from inventory.models.enums import Role

router = APIRouter(tags=["collectors"])


def collector_only(caller: Annotated[Principal, Depends(require(Permission.collect))]) -> Principal:
    """Collector tokens only, even where an admin holds the permission: targets carry secrets."""
    if caller.role is not Role.collector:
        raise Forbidden(f"role {caller.role.value!r} is not a collector; use a token of role collector")
    return caller


Collector = Annotated[Principal, Depends(collector_only)]
CollectorName = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")]
MAX_BATCH_ITEMS = 20_000


class Heartbeat(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site: str | None = Field(default=None, max_length=200, description="Site name the collector serves")
    version: str | None = Field(default=None, max_length=50)
    targets: int = Field(default=0, ge=0)
    lag_s: float = Field(default=0.0, ge=0)
    spool_batches: int = Field(default=0, ge=0)
    spool_bytes: int = Field(default=0, ge=0)
    influx_spool_batches: int = Field(default=0, ge=0)
    standby: bool = Field(
        default=False,
        description="Stand by for `site` if another collector serves it: poll nothing until that "
        "collector has been silent for the site lease, then take the site over",
    )


class CollectorRead(BaseModel):
    id: int
    name: str
    site: str | None
    version: str | None
    last_seen: datetime | None
    silent: bool
    targets: int
    lag_s: float
    spool_batches: int
    spool_bytes: int
    influx_spool_batches: int
    batches_received: int
    samples_received: int
    events_received: int
    role: str = Field(description="active (serves its site), standby (waits for one) or none")
    standby_for: str | None = Field(default=None, description="The site this collector stands by for")
    standbys: int = Field(default=0, description="Collectors standing by for this one's site")
    site_lease_s: float = Field(description="Silent this long, a site's collector is replaced")


class SampleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    measurement: str = Field(min_length=1, max_length=200)
    tags: dict[str, str] = Field(default_factory=dict)
    fields: dict[str, bool | int | float | str]
    time_ns: int = Field(ge=0)
    device_id: int | None = None
    counters: list[str] = Field(default_factory=list)
    rates: dict[str, float] = Field(default_factory=dict)


class BatchEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1, max_length=300)
    severity: str = Field(default="warning", pattern="^(info|warning|critical)$")
    message: str = Field(default="", max_length=4000)
    source: str = Field(default="", max_length=200)
    device_id: int | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    data: dict[str, Any] = Field(default_factory=dict)
    time_ns: int = Field(ge=0)


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_id: str = Field(
        min_length=1, max_length=64, description="Unique per collector; replays are ignored"
    )
    samples: list[SampleIn] = Field(default_factory=list, max_length=MAX_BATCH_ITEMS)
    events: list[BatchEventIn] = Field(default_factory=list, max_length=MAX_BATCH_ITEMS)
    syslog: list[dict[str, Any]] = Field(
        default_factory=list, max_length=MAX_BATCH_ITEMS, description="Syslog messages received at the site"
    )
    created_ns: int | None = Field(default=None, ge=0, description="When the collector sealed the batch")


class AssignmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    collector: str | None = Field(
        description="Name of the collector that polls the device; null: the service polls it"
    )


def _read(
    collector: RemoteCollector,
    site_name: str | None,
    *,
    standby_for: str | None,
    standbys: int,
    site_lease_s: float,
) -> CollectorRead:
    role = "active" if collector.site_id is not None else "standby" if standby_for is not None else "none"
    return CollectorRead(
        role=role,
        standby_for=standby_for,
        standbys=standbys,
        site_lease_s=site_lease_s,
        id=collector.id,
        name=collector.name,
        site=site_name,
        version=collector.version,
        last_seen=collector.last_seen,
        silent=collector.silent,
        targets=collector.targets,
        lag_s=collector.lag_s,
        spool_batches=collector.spool_batches,
        spool_bytes=collector.spool_bytes,
        influx_spool_batches=collector.influx_spool_batches,
        batches_received=collector.batches_received,
        samples_received=collector.samples_received,
        events_received=collector.events_received,
    )


def _own(session: Session, caller: Principal, name: str) -> RemoteCollector:
    """The caller's collector by name: registered by this very token."""
    collector = session.scalar(select(RemoteCollector).where(RemoteCollector.name == name))
    if collector is None:
        raise NotFound(f"no collector named {name!r}; register it first with PUT /collectors/{name}")
    if collector.token_id != caller.token_id:
        raise Forbidden(f"collector {name!r} is registered with another token")
    return collector


def _site_id(session: Session, site: str) -> int:
    found = session.scalar(select(Site.id).where(Site.name == site))
    if found is None:
        raise Unprocessable(f"site: no site named {site!r}")
    return found


@router.put("/collectors/{name}", response_model=CollectorRead, summary="Register a collector, or heartbeat")
async def heartbeat(
    name: CollectorName, services: ServicesDep, caller: Collector, body: Heartbeat = Body(...)
) -> Any:
    read, was_silent, took_over = await asyncio.to_thread(_record_heartbeat, services, caller, name, body)
    # After the commit: the alert engine records what these raise or resolve in its own transaction.
    if was_silent:
        await services.pipeline.publish_event(back_event(name))
    if took_over is not None:
        await services.pipeline.publish_event(took_over)
    return read


def _record_heartbeat(
    services: Services, caller: Principal, name: str, body: Heartbeat
) -> tuple[CollectorRead, bool, Event | None]:
    lease = timedelta(seconds=services.settings.collector.site_lease)
    if body.standby and body.site is None:
        raise Unprocessable("standby: a collector stands by for a site; give `site`", field="standby")
    try:
        with services.db.session(caller.actor) as session:
            collector = session.scalar(select(RemoteCollector).where(RemoteCollector.name == name))
            if collector is None:
                collector = RemoteCollector(name=name, token_id=caller.token_id)
                session.add(collector)
            elif collector.token_id != caller.token_id:
                raise Forbidden(f"collector {name!r} is registered with another token")
            now = datetime.now(UTC)
            took_over = None
            if body.site is not None:
                took_over = _claim_site(session, caller, collector, body, now - lease)
            collector.version = body.version
            collector.targets = body.targets
            collector.lag_s = body.lag_s
            collector.spool_batches = body.spool_batches
            collector.spool_bytes = body.spool_bytes
            collector.influx_spool_batches = body.influx_spool_batches
            collector.last_seen = now
            # Back from a silence: said by the instance that runs the watch (which raised the
            # alert); elsewhere the watch's next round says it (collectors.remote.watch).
            was_silent = collector.silent and services.singletons.holds(WATCH_JOB)
            if was_silent:
                collector.silent = False
            session.flush()
            return _described(session, collector, lease), was_silent, took_over
    except IntegrityError:
        # Another collector standing by took the site in the same instant (unique site_id).
        raise Conflict(f"site: {body.site!r} was just taken by another collector", field="site") from None


def _claim_site(
    session: Session, caller: Principal, collector: RemoteCollector, body: Heartbeat, live_since: datetime
) -> Event | None:
    """Give `collector` the site it asks for, or let it stand by for it. The site's collector keeps
    it while its heartbeats come; silent since before `live_since`, it is replaced (the event)."""
    assert body.site is not None
    site_id = _site_id(session, body.site)
    bound = collector.site_id if collector.site_id is not None else collector.standby_site_id
    if bound is not None and bound != site_id:
        # Moving a collector would hand it another site's devices and their credentials.
        raise Conflict(
            f"site: collector {collector.name!r} already serves another site; register a new collector "
            "for this one (devices move between collectors with PUT /devices/{id}/collector)",
            field="site",
        )
    if caller.agency_ids is not None:
        site_agency = session.scalar(select(Site.agency_id).where(Site.id == site_id))
        if site_agency not in caller.agency_ids:
            raise Forbidden(f"site: {body.site!r} is outside the agencies your token may serve", field="site")
    if collector.site_id == site_id:
        return None  # its own site: the heartbeat renews the lease
    holder = session.scalar(
        select(RemoteCollector).where(RemoteCollector.site_id == site_id, RemoteCollector.id != collector.id)
    )
    holder_live = holder is not None and holder.last_seen is not None and holder.last_seen >= live_since
    if holder is not None and holder_live:
        if not body.standby:
            raise Conflict(
                f"site: {body.site!r} is served by collector {holder.name!r}; one collector per site "
                "(start this one with --standby to take the site over when that one goes silent)",
                field="site",
            )
        collector.standby_site_id = site_id
        return None
    event = None
    if holder is not None:
        # The silent collector stands by for its old site from now on: back, it polls nothing.
        holder.site_id = None
        holder.standby_site_id = site_id
        session.flush()
        event = takeover_event(collector.name, body.site, holder.name, holder.last_seen)
    collector.site_id = site_id
    collector.standby_site_id = None
    return event


def _described(session: Session, collector: RemoteCollector, lease: timedelta) -> CollectorRead:
    [read] = describe_collectors(session, [collector], lease)
    return read


def describe_collectors(
    session: Session, collectors: list[RemoteCollector], lease: timedelta
) -> list[CollectorRead]:
    """Each collector with its site, the site it stands by for, and its live standbys (heard from
    within the lease: a standby long dead would not take over, so it does not count)."""
    wanted = {c.site_id for c in collectors} | {c.standby_site_id for c in collectors}
    named = session.execute(select(Site.id, Site.name).where(Site.id.in_(wanted - {None})))
    names: dict[int, str] = {site_id: name for site_id, name in named}
    live_since = datetime.now(UTC) - lease
    standing_by = collections.Counter(
        site_id
        for site_id, last_seen in session.execute(
            select(RemoteCollector.standby_site_id, RemoteCollector.last_seen).where(
                RemoteCollector.site_id.is_(None), RemoteCollector.standby_site_id.is_not(None)
            )
        )
        if last_seen is not None and last_seen >= live_since
    )
    return [
        _read(
            collector,
            names.get(collector.site_id) if collector.site_id is not None else None,
            standby_for=names.get(collector.standby_site_id)
            if collector.site_id is None and collector.standby_site_id is not None
            else None,
            standbys=standing_by[collector.site_id] if collector.site_id is not None else 0,
            site_lease_s=lease.total_seconds(),
        )
        for collector in collectors
    ]


@router.get("/collectors/{name}/targets", summary="The devices this collector polls, with their credentials")
async def targets(name: CollectorName, session: SessionDep, services: ServicesDep, caller: Collector) -> Any:
    collector_id = _own(session, caller, name).id
    found = await asyncio.to_thread(
        load_targets,
        services.db,
        services.secret_box,
        collector_id=collector_id,
        agency_ids=caller.agency_ids,  # decrypted credentials never leave the token's agencies
    )
    # The measurements enabled alert rules read: the collector forwards only those samples.
    specs = session.scalars(select(AlertRule.spec).where(AlertRule.enabled.is_(True)))
    measurements = sorted({spec["measurement"] for spec in specs if spec.get("measurement")} | {"collector"})
    return {"targets": [target_to_json(t) for t in found], "measurements": measurements}


@router.post(
    "/collectors/{name}/samples", summary="A batch of samples and events; a replayed batch is ignored"
)
async def post_batch(
    name: CollectorName, services: ServicesDep, caller: Collector, batch: BatchIn = Body(...)
) -> Any:
    if await asyncio.to_thread(_seen_batch, services, caller, name, batch):
        return {"accepted": False, "duplicate": True}
    try:
        syslog = records_from_json(batch.syslog)
    except ValueError as exc:
        raise Unprocessable(str(exc), field="syslog") from None
    # Durable before acknowledged: the collector drops a batch once answered, and answers
    # "duplicate" to its replay once the id is recorded. So publish, wait until the sink has
    # written or spooled the samples, and only then record the id and answer. A crash in between
    # means a replay: InfluxDB takes the same points twice harmlessly; only then are they
    # evaluated twice.
    await services.pipeline.publish_samples([sample_from_json(s.model_dump()) for s in batch.samples])
    for event in batch.events:
        await services.pipeline.publish_event(event_from_json(event.model_dump()))
    if syslog:
        await ingest_forwarded(services, syslog)
    sink = services.extras.get(INFLUX_SINK_KEY)
    if isinstance(sink, SpoolingInfluxSink):
        await sink.flush()
    if not await asyncio.to_thread(_record_batch, services, caller, name, batch):
        # The same batch, sent again while this one was being published, was recorded first.
        return {"accepted": False, "duplicate": True}
    return {"accepted": True, "duplicate": False}


def _seen_batch(services: Services, caller: Principal, name: str, batch: BatchIn) -> bool:
    with services.db.session(caller.actor) as session:
        collector = _own(session, caller, name)
        # A collector scoped to agencies reports only about their devices (samples and events).
        named = [s.device_id for s in batch.samples] + [e.device_id for e in batch.events]
        ensure_devices_in_scope(session, caller, named, require_device=False)
        seen = session.scalar(
            select(CollectorBatch.id).where(
                CollectorBatch.collector_id == collector.id, CollectorBatch.batch_id == batch.batch_id
            )
        )
        return seen is not None


def _record_batch(services: Services, caller: Principal, name: str, batch: BatchIn) -> bool:
    """Record the batch id and count it. False if another request recorded it meanwhile."""
    try:
        with services.db.session(caller.actor) as session:
            collector = _own(session, caller, name)
            session.add(CollectorBatch(collector_id=collector.id, batch_id=batch.batch_id))
            collector.batches_received += 1
            collector.samples_received += len(batch.samples)
            collector.events_received += len(batch.events)
            collector.last_seen = datetime.now(UTC)
    except IntegrityError:
        return False
    return True


@router.get(
    "/collectors", response_model=list[CollectorRead], summary="Every remote collector and its health"
)
def list_collectors(session: SessionDep, services: ServicesDep, caller: Reader) -> Any:
    collectors = list(session.scalars(select(RemoteCollector).order_by(RemoteCollector.name)))
    return describe_collectors(session, collectors, timedelta(seconds=services.settings.collector.site_lease))


@router.put(
    "/devices/{device_id}/collector", summary="Move a device to a collector (null: the service polls it)"
)
def assign(
    device_id: PathId,
    session: SessionDep,
    caller: Annotated[Principal, Depends(require(Permission.write))],
    body: AssignmentIn = Body(...),
) -> Any:
    # Through the inventory's own check, so an agency's token cannot move another agency's device.
    load(session, DEVICES, caller, device_id)
    collector_id = None
    if body.collector is not None:
        collector_id = session.scalar(
            select(RemoteCollector.id).where(RemoteCollector.name == body.collector)
        )
        if collector_id is None:
            raise Unprocessable(f"collector: no collector named {body.collector!r}")
    row = session.get(CollectorAssignment, device_id)
    if row is None:
        session.add(CollectorAssignment(device_id=device_id, collector_id=collector_id))
    else:
        row.collector_id = collector_id
    return {"device_id": device_id, "collector": body.collector}


@router.delete("/devices/{device_id}/collector", status_code=204, summary="Back to the site's collector")
def unassign(
    device_id: PathId, session: SessionDep, caller: Annotated[Principal, Depends(require(Permission.write))]
) -> None:
    load(session, DEVICES, caller, device_id)
    row = session.get(CollectorAssignment, device_id)
    if row is not None:
        session.delete(row)
