"""Applies the audit log's retention while the service runs (EAMS_AUTH_AUDIT_RETENTION_DAYS,
365; 0 keeps everything): soon after start, then every hour, on one instance of several (the
`audit.prune` cluster job). Each pruning re-anchors the hash chain and is itself recorded, so
`eams audit verify` still holds. `eams audit prune` does the same once, from the command line."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from collectors.singleton import run_once
from eams.auth import audit
from eams.services import Services
from inventory.models.base import utcnow

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 3600.0
FIRST_AFTER_S = 60.0  # start-up first; an hour's records are few, so the first pruning is small
PRUNE_JOB = "audit.prune"
ACTOR = "audit-retention"


class AuditRetentionComponent:
    name = "audit-retention"

    def __init__(
        self,
        services: Services,
        *,
        every_s: float = PRUNE_EVERY_S,
        first_after_s: float = FIRST_AFTER_S,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.services = services
        self.every_s = every_s
        self.first_after_s = first_after_s
        self.clock = clock
        self.removed = 0  # records removed by this instance since start
        self._task: asyncio.Task[None] | None = None

    def _prune(self) -> int:
        days = self.services.settings.auth.audit_retention_days
        with self.services.db.session(actor=ACTOR) as session:
            return audit.prune(session, days, now=self.clock())

    async def prune(self) -> None:
        removed = await asyncio.to_thread(self._prune)
        self.removed += removed
        if removed:
            log.info("audit retention: removed %d records", removed)

    async def _every(self) -> None:
        await asyncio.sleep(self.first_after_s)
        while True:
            try:
                await run_once(self.services.singletons, PRUNE_JOB, self.prune)
            except Exception:  # the database away: the next round tries again
                log.warning("applying the audit log's retention failed", exc_info=True)
            await asyncio.sleep(self.every_s)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._every(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


def audit_retention_component(services: Services) -> AuditRetentionComponent | None:
    if services.settings.auth.audit_retention_days <= 0:
        return None  # kept forever
    return AuditRetentionComponent(services)
