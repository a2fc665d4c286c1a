"""Keeps the database's query-planner statistics fresh while the service runs: once just after
start (so the first pages after a bulk load are planned with them) and then every few hours, as
the inventory grows through imports and discovery. The work runs in a worker thread, never on the
event loop, and start-up does not wait for it: on a large database the first analysis reads every
row of every table, and the service (polling, alerts, the API) should be up meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from eams.services import Services
from inventory.statistics import refresh_planner_statistics

log = logging.getLogger(__name__)

REFRESH_EVERY_S = 6 * 3600.0


class PlannerStatisticsComponent:
    name = "planner-statistics"

    def __init__(self, services: Services, every_s: float = REFRESH_EVERY_S) -> None:
        self.services = services
        self.every_s = every_s
        self._task: asyncio.Task[None] | None = None
        self.first_refresh = asyncio.Event()  # set once the analysis after start has run

    async def refresh(self) -> None:
        try:
            await asyncio.to_thread(refresh_planner_statistics, self.services.db.engine)
        except Exception:  # a busy or read-only database: the planner keeps its older statistics
            log.warning("refreshing the query planner's statistics failed", exc_info=True)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._every(), name=self.name)

    async def _every(self) -> None:
        await self.refresh()
        self.first_refresh.set()
        while True:
            await asyncio.sleep(self.every_s)
            await self.refresh()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


def planner_statistics_component(services: Services) -> PlannerStatisticsComponent | None:
    if services.db.engine.dialect.name != "sqlite":
        return None  # PostgreSQL's autovacuum analyzes on its own
    return PlannerStatisticsComponent(services)
