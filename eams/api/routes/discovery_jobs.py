"""SNMP discovery jobs: start a sweep in the service's background, follow its progress, read its
results. Facts it stages are reviewed under /discovered-facts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from collectors.discovery import ranges as address_ranges
from collectors.discovery.jobs import DiscoveryInputError, DiscoveryJobs, check_ranges, resolve_probes
from collectors.discovery.models import DiscoveryJob, JobState
from collectors.discovery.sweep import SweepSettings
from eams.api.authorization import usable_profiles
from eams.api.deps import Reader, ServicesDep, SessionDep, Writer
from eams.api.errors import Conflict, NotFound, Unprocessable
from eams.api.params import PathId
from eams.auth import Principal
from eams.services import Services

router = APIRouter(prefix="/discovery/jobs", tags=["discovery"])


class JobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ranges: list[str] = Field(min_length=1, max_length=1000, description="CIDRs, addresses or a-b ranges")
    credentials: list[str] = Field(
        default_factory=list, max_length=50, description="SNMP credentials profiles, tried in this order"
    )
    concurrency: int = Field(64, ge=1, le=1024)
    rate: float = Field(100.0, gt=0, le=100_000, description="Addresses started per second")
    timeout_s: float = Field(1.0, ge=0.1, le=30)
    retries: int = Field(0, ge=0, le=5)
    confirm: bool = Field(False, description=f"Needed for sweeps over {address_ranges.LARGE_SWEEP} addresses")


class JobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    state: JobState
    ranges: list[str]
    credentials: list[str]
    settings: dict[str, Any]
    total: int
    done: int
    found: int
    errors: int
    message: str | None
    requested_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    results: dict[str, Any] | None = None


def _jobs(services: Services) -> DiscoveryJobs:
    """The service's job runner; an app started without its background components (a schema
    check, an embedded app) runs no sweeps at all, rather than sweeping from a request thread."""
    jobs = services.extras.get("discovery_jobs")
    if not isinstance(jobs, DiscoveryJobs):
        raise Conflict("discovery jobs run only in the service with its background components (eams serve)")
    return jobs


@router.post("", status_code=202, response_model=JobRead, summary="Start a discovery sweep")
async def start_job(body: JobRequest, services: ServicesDep, caller: Writer) -> Any:
    runner = _jobs(services)
    try:
        total = check_ranges(body.ranges, body.confirm)
        with services.db.session(actor=caller.actor) as session:
            probes = resolve_probes(session, services.secret_box, body.credentials, usable_profiles(caller))
    except DiscoveryInputError as exc:
        raise Unprocessable(str(exc), field=exc.field) from None
    settings = SweepSettings(
        concurrency=body.concurrency, rate=body.rate, timeout_s=body.timeout_s, retries=body.retries
    )
    with services.db.session(actor=caller.actor) as session:
        job = DiscoveryJob(
            state=JobState.queued,
            ranges=body.ranges,
            credentials=[probe.name for probe in probes],
            settings=settings_as_dict(settings),
            total=total,
            requested_by=caller.actor,
            results={},
        )
        session.add(job)
        session.flush()
        job_id = job.id
    addresses = address_ranges.addresses(body.ranges)
    runner.start(job_id, addresses, probes, settings, f"discovery:{caller.actor}")
    with services.db.session() as session:
        return JobRead.model_validate(session.get(DiscoveryJob, job_id))


def settings_as_dict(settings: SweepSettings) -> dict[str, Any]:
    return {
        "concurrency": settings.concurrency,
        "rate": settings.rate,
        "timeout_s": settings.timeout_s,
        "retries": settings.retries,
    }


def _visible_jobs(caller: Principal) -> Any:
    """A job sweeps addresses of any agency and names what it found: a token scoped to agencies
    sees only the jobs it started itself."""
    statement = select(DiscoveryJob)
    if caller.agency_ids is not None:
        statement = statement.where(DiscoveryJob.requested_by == caller.actor)
    return statement


@router.get("", summary="List discovery jobs, newest first")
def list_jobs(session: SessionDep, caller: Reader) -> dict[str, Any]:
    rows = session.scalars(_visible_jobs(caller).order_by(DiscoveryJob.id.desc()).limit(100)).all()
    results = [JobRead.model_validate(row).model_dump(mode="json", exclude={"results"}) for row in rows]
    return {"count": len(results), "results": results}


@router.get("/{job_id}", response_model=JobRead, summary="A job's progress and, once finished, its results")
def read_job(job_id: PathId, session: SessionDep, caller: Reader) -> Any:
    job = session.scalar(_visible_jobs(caller).where(DiscoveryJob.id == job_id))
    if job is None:
        raise NotFound(f"there is no discovery job {job_id}")
    return job
