"""Running a discovery: resolve credentials profiles, sweep, stage facts, record the job.

Shared by `eams discover` and the API's background jobs (`DiscoveryJobs`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from collectors.discovery import ranges as address_ranges
from collectors.discovery.models import DiscoveryJob, JobState
from collectors.discovery.reader import DeviceReport
from collectors.discovery.stage import StageSummary, stage_sweep
from collectors.discovery.sweep import Probe, SweepResult, SweepSettings, sweep
from collectors.singleton import RunHere, Singletons
from collectors.snmp.engine import Engine
from collectors.snmp.engines import make_engine
from collectors.snmp.targets import _VERSIONS, credentials_from_profile
from inventory.db import Database
from inventory.models import CredentialsProfile
from inventory.models.base import utcnow
from inventory.secretbox import SecretBox, SecretBoxError

log = logging.getLogger(__name__)

# Progress is written to the job row at most this often (seconds).
PROGRESS_EVERY_S = 0.5
# A queued job younger than this may be about to be claimed by the instance that queued it.
QUEUED_GRACE = timedelta(seconds=60)


def job_lock(job_id: int) -> str:
    """The cluster-wide name the instance running a job holds until the job ends."""
    return f"discovery.job.{job_id}"


class DiscoveryInputError(ValueError):
    """A request that cannot be swept; `field` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check_ranges(ranges: Sequence[str], confirm: bool, limit: int = address_ranges.LARGE_SWEEP) -> int:
    if not ranges:
        raise DiscoveryInputError("ranges", "give at least one address range")
    try:
        count = address_ranges.total(ranges)
    except address_ranges.RangeError as exc:
        raise DiscoveryInputError("ranges", str(exc)) from None
    if count > address_ranges.MAX_SWEEP:
        raise DiscoveryInputError(
            "ranges",
            f"the ranges hold {count} addresses, more than one sweep takes "
            f"({address_ranges.MAX_SWEEP}, a /16): split them into several sweeps",
        )
    if count > limit and not confirm:
        raise DiscoveryInputError(
            "ranges", f"the ranges hold {count} addresses, more than {limit}: confirm the sweep to go ahead"
        )
    return count


def resolve_probes(
    session: Session,
    secret_box: SecretBox,
    names: Sequence[str],
    usable: ColumnElement[bool] | None = None,
) -> list[Probe]:
    """The named SNMP credentials profiles in the order given; every SNMP profile (by name) when
    none is named. `usable` narrows them to those the requester may use: the others are not
    there for it, not even in the list of known names."""
    query = select(CredentialsProfile).where(CredentialsProfile.kind.in_(list(_VERSIONS)))
    if usable is not None:
        query = query.where(usable)
    known = {profile.name: profile for profile in session.scalars(query)}
    if names:
        unknown = [name for name in names if name not in known]
        if unknown:
            choices = ", ".join(sorted(known)) or "none"
            raise DiscoveryInputError(
                "credentials",
                f"no SNMP credentials profile named {', '.join(map(repr, unknown))} (known: {choices})",
            )
        chosen = [known[name] for name in names]
    else:
        chosen = [known[name] for name in sorted(known)]
    if not chosen:
        raise DiscoveryInputError("credentials", "there is no SNMP credentials profile to sweep with")
    probes = []
    for profile in chosen:
        try:
            credentials = credentials_from_profile(profile, secret_box)
        except (SecretBoxError, ValueError) as exc:
            raise DiscoveryInputError("credentials", f"credentials profile {profile.name!r}: {exc}") from None
        probes.append(Probe(profile.name, credentials, profile.port or 161))
    return probes


def results_of(result: SweepResult, summary: StageSummary) -> dict[str, Any]:
    return {
        "devices": [{**report.as_dict(), "match": _match(summary, report)} for report in result.reports],
        "errors": result.errors,
        "silent": len(result.silent),
        "facts": {"ids": summary.fact_ids, "by_kind": summary.by_kind},
    }


def _match(summary: StageSummary, report: DeviceReport) -> dict[str, Any] | None:
    found = summary.matched.get(report.address)
    return {"device_id": found[0], "reason": found[1]} if found else None


async def run_discovery(
    db: Database,
    addresses: Sequence[str],
    probes: Sequence[Probe],
    settings: SweepSettings,
    actor: str,
    engine: Engine | None = None,
    progress: Callable[[str, DeviceReport | None, str | None], None] | None = None,
) -> tuple[SweepResult, StageSummary]:
    """Sweeps, then stages every fact in one transaction whose change log names `actor`."""
    own_engine = engine is None
    engine = engine or make_engine()
    try:
        result = await sweep(engine, addresses, probes, settings, progress)
    finally:
        if own_engine:
            await engine.close()
    with db.session(actor=actor) as session:
        summary = stage_sweep(session, addresses, result)
    return result, summary


class DiscoveryJobs:
    """Discovery jobs of the API, run as tasks on the service's event loop.

    With several service instances on one database a job runs on the instance that queued it,
    and only there: that instance holds the job's lock (`job_lock`, through `singletons`) while
    it runs, and claims the row (`queued` -> `running`, a conditional update) before it sweeps.
    A job whose lock is free while its row says queued or running has lost its instance (stopped,
    killed): `mark_interrupted`, at start and then every minute on every instance, says so.
    """

    def __init__(self, db: Database, singletons: Singletons | None = None) -> None:
        self.db = db
        self.singletons = singletons or RunHere()
        self.tasks: dict[int, asyncio.Task[bool]] = {}
        self.interrupted = 0  # jobs this instance found orphaned and marked interrupted

    async def mark_interrupted(self) -> int:
        """Jobs left queued or running by an instance that is gone cannot be resumed: say so."""
        orphans = 0
        for job_id in await asyncio.to_thread(self._unfinished):
            if job_id in self.tasks:
                continue  # this instance runs it
            name = job_lock(job_id)
            if not await self.singletons.claim(name):
                continue  # another instance runs it
            try:
                orphans += await asyncio.to_thread(self._interrupt, job_id)
            finally:
                await self.singletons.release(name)
        self.interrupted += orphans
        return orphans

    def _unfinished(self) -> list[int]:
        young = utcnow() - QUEUED_GRACE
        with self.db.session() as session:
            return list(
                session.scalars(
                    select(DiscoveryJob.id).where(
                        (DiscoveryJob.state == JobState.running)
                        | ((DiscoveryJob.state == JobState.queued) & (DiscoveryJob.created_at < young))
                    )
                )
            )

    def _interrupt(self, job_id: int) -> int:
        with self.db.session(actor="discovery") as session:
            outcome = session.execute(
                update(DiscoveryJob)
                .where(
                    DiscoveryJob.id == job_id,
                    DiscoveryJob.state.in_((JobState.queued, JobState.running)),
                )
                .values(
                    state=JobState.interrupted,
                    finished_at=utcnow(),
                    message="the service stopped before this job finished; start a new one",
                )
            )
        return int(getattr(outcome, "rowcount", 0) or 0)

    def _claim_row(self, job_id: int) -> bool:
        """queued -> running, only if still queued: one instance runs a job, once."""
        with self.db.session(actor="discovery") as session:
            outcome = session.execute(
                update(DiscoveryJob)
                .where(DiscoveryJob.id == job_id, DiscoveryJob.state == JobState.queued)
                .values(state=JobState.running, started_at=utcnow())
            )
        return int(getattr(outcome, "rowcount", 0) or 0) == 1

    def start(
        self, job_id: int, addresses: list[str], probes: list[Probe], settings: SweepSettings, actor: str
    ) -> None:
        claimed = self._claimed(job_id, addresses, probes, settings, actor)
        task = asyncio.get_running_loop().create_task(claimed)
        self.tasks[job_id] = task
        task.add_done_callback(lambda _task: self.tasks.pop(job_id, None))

    async def _claimed(
        self, job_id: int, addresses: list[str], probes: list[Probe], settings: SweepSettings, actor: str
    ) -> bool:
        """Run the job if this instance can claim it (its lock, then its row); True if it ran."""
        name = job_lock(job_id)
        if not await self.singletons.claim(name):
            log.warning("discovery job %s is held by another instance: not run here", job_id)
            return False
        try:
            if not await asyncio.to_thread(self._claim_row, job_id):
                log.warning("discovery job %s is no longer queued: not run here", job_id)
                return False
            await self._run(job_id, addresses, probes, settings, actor)
            return True
        finally:
            await self.singletons.release(name)

    async def _run(
        self, job_id: int, addresses: list[str], probes: list[Probe], settings: SweepSettings, actor: str
    ) -> None:
        counts = {"done": 0, "found": 0, "errors": 0}
        last_write = 0.0

        def progress(_address: str, report: DeviceReport | None, error: str | None) -> None:
            nonlocal last_write
            counts["done"] += 1
            counts["found"] += report is not None
            counts["errors"] += error is not None
            now = time.monotonic()
            if now - last_write >= PROGRESS_EVERY_S:
                last_write = now
                self._update(job_id, **counts)

        try:
            result, summary = await run_discovery(
                self.db, addresses, probes, settings, actor, progress=progress
            )
        except asyncio.CancelledError:
            self._update(
                job_id, state=JobState.interrupted, finished_at=utcnow(), message="stopped with the service"
            )
            raise
        except Exception as exc:  # a job's failure is reported on the job, never lost in a log
            log.exception("discovery job %s failed", job_id)
            self._update(
                job_id, state=JobState.failed, finished_at=utcnow(), message=str(exc) or type(exc).__name__
            )
            return
        self._update(
            job_id,
            state=JobState.finished,
            finished_at=utcnow(),
            done=result.done,
            found=len(result.reports),
            errors=len(result.errors),
            results=results_of(result, summary),
            message=f"{len(result.reports)} of {result.total} addresses answered; "
            f"{len(summary.fact_ids)} facts staged",
        )

    def _update(self, job_id: int, **values: Any) -> None:
        with self.db.session(actor="discovery") as session:
            session.execute(update(DiscoveryJob).where(DiscoveryJob.id == job_id).values(**values))

    async def stop(self) -> None:
        for task in list(self.tasks.values()):
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
