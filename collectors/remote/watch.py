"""In the service: notices remote collectors that went silent and tells the alert engine.

A collector whose last heartbeat or batch is older than `collector.silent_after` seconds
(EAMS_COLLECTOR_SILENT_AFTER, default 300) is marked silent once, and an
`Event(kind="collector", name="silent")` is published; the shipped rule `collector-silent` turns
it into an alert, and the `back` event its heartbeat publishes resolves it. The sender is
`collector:<name>`, so each collector has its own alert.

With several service instances one of them watches (`singletons`): two would each mark and
announce the same silence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from collectors.pipeline import Pipeline
from collectors.remote.config import CollectorWatchConfig
from collectors.remote.models import CollectorBatch, RemoteCollector
from collectors.samples import Event, Severity
from collectors.singleton import RunHere, Singletons, run_once
from inventory.db import Database

log = logging.getLogger(__name__)

EVENT_KIND = "collector"
# Batch ids are kept this long: a collector replays its spool long before that.
BATCH_ID_RETENTION = timedelta(days=7)
WATCH_JOB = "collectors.watch"


def _collector_event(name: str, event: str, severity: Severity, message: str, **labels: str) -> Event:
    """An event about remote collector `name` (one alert per collector: its source)."""
    return Event(
        kind=EVENT_KIND,
        name=event,
        severity=severity,
        message=message,
        source=f"collector:{name}",
        labels={"collector": name, **labels},
    )


def _when(last_seen: datetime | None) -> str:
    return last_seen.isoformat(timespec="seconds") if last_seen else "never"


def silent_event(name: str, last_seen: datetime | None) -> Event:
    return _collector_event(
        name, "silent", Severity.critical, f"remote collector {name} silent since {_when(last_seen)}"
    )


def back_event(name: str) -> Event:
    return _collector_event(name, "back", Severity.info, f"remote collector {name} reports again")


def takeover_event(name: str, site: str, replaced: str, last_seen: datetime | None) -> Event:
    """A collector standing by took a site over from its silent collector (site lease)."""
    since = _when(last_seen)
    message = f"remote collector {name} took site {site} over from {replaced} (silent since {since})"
    return _collector_event(name, "takeover", Severity.warning, message, site=site, replaced=replaced)


@dataclass
class WatchRound:
    silent: list[tuple[str, datetime | None]] = field(default_factory=list)  # newly silent
    back: list[str] = field(default_factory=list)  # silent ones heard from again


def watch_round(db: Database, silent_after: timedelta, now: datetime) -> WatchRound:
    """Mark collectors silent for longer than `silent_after`, and those marked silent that were
    heard from since as back. The heartbeat route marks a collector back itself on the instance
    that runs the watch; a heartbeat that reached another instance (behind a load balancer)
    leaves it to this round, so that the alert resolves on the instance that raised it."""
    found = WatchRound()
    with db.session("collector-watch") as session:
        for collector in session.scalars(select(RemoteCollector)):
            if collector.last_seen is None:
                continue
            quiet = now - collector.last_seen > silent_after
            if quiet and not collector.silent:
                collector.silent = True
                found.silent.append((collector.name, collector.last_seen))
            elif collector.silent and not quiet:
                collector.silent = False
                found.back.append(collector.name)
        session.execute(delete(CollectorBatch).where(CollectorBatch.received_at < now - BATCH_ID_RETENTION))
    return found


class CollectorWatch:
    name = "collector-watch"

    def __init__(
        self,
        db: Database,
        pipeline: Pipeline,
        config: CollectorWatchConfig,
        singletons: Singletons | None = None,
    ) -> None:
        self.db = db
        self.singletons = singletons or RunHere()
        self.pipeline = pipeline
        self.silent_after = timedelta(seconds=config.silent_after)
        self.check_s = config.check_s
        self._task: asyncio.Task[None] | None = None

    async def check(self) -> int:
        """One round; how many collectors fell silent in it."""
        found = await asyncio.to_thread(watch_round, self.db, self.silent_after, datetime.now(UTC))
        for name, last_seen in found.silent:
            log.warning("remote collector %s is silent", name)
            await self.pipeline.publish_event(silent_event(name, last_seen))
        for name in found.back:
            log.info("remote collector %s reports again", name)
            await self.pipeline.publish_event(back_event(name))
        return len(found.silent)

    async def check_if_ours(self) -> bool:
        """One round of the watch, if this instance is the one that watches; True when it checked."""
        return await run_once(self.singletons, WATCH_JOB, self.check)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.check_s)
            try:
                await self.check_if_ours()
            except Exception:
                log.exception("checking remote collectors failed")

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
