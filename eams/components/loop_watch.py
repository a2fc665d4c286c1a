"""The event loop's own health: a watchdog that measures how late the loop runs a timer (its lag),
records it as a metric through the pipeline (the `collector` measurement, component
`event_loop`), and raises the `event-loop-lagging` alert while the worst lag of a report interval
is past `loop_lag_alert_s`. Blocking work on the loop (what stops polling, traps and delivery)
shows up here first, whatever caused it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time

from collectors.samples import Event, Sample, Severity
from eams.services import Services

log = logging.getLogger(__name__)

PROBE_S = 0.25  # how often the loop is asked to run a timer
EVENT_KIND = "service"


class LoopLagWatchdog:
    name = "event-loop watchdog"

    def __init__(self, services: Services, *, alert_s: float, report_s: float) -> None:
        self.services = services
        self.alert_s = alert_s
        self.report_s = report_s
        self.instance = socket.gethostname()
        self.max_lag_s = 0.0  # since the service started
        self.lagging = False
        self._window_max = 0.0
        self._last = 0.0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._watch(), name="loop-watchdog")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def note(self, lag_s: float) -> None:
        self._last = lag_s
        self._window_max = max(self._window_max, lag_s)
        self.max_lag_s = max(self.max_lag_s, lag_s)

    async def _watch(self) -> None:
        reported_at = time.monotonic()
        while True:
            expected = time.monotonic() + PROBE_S
            await asyncio.sleep(PROBE_S)
            self.note(max(0.0, time.monotonic() - expected))
            if time.monotonic() - reported_at >= self.report_s:
                reported_at = time.monotonic()
                try:
                    await self.report()
                except Exception:
                    log.exception("reporting the event loop's lag failed")

    async def report(self) -> None:
        """Publish the window's lag as a sample, and raise (or clear) the alert."""
        worst, self._window_max = self._window_max, 0.0
        sample = Sample(
            "collector",
            {"component": "event_loop", "instance": self.instance},
            {"lag_s": round(self._last, 6), "max_lag_s": round(worst, 6)},
            time_ns=time.time_ns(),
        )
        pipeline = self.services.pipeline
        await pipeline.publish_samples([sample])
        lagging = worst > self.alert_s
        if lagging != self.lagging:
            self.lagging = lagging
            if lagging:
                log.warning("the event loop ran %.1f s late (bound %.1f s)", worst, self.alert_s)
            await pipeline.publish_event(
                Event(
                    kind=EVENT_KIND,
                    name="loop_lagging" if lagging else "loop_ok",
                    severity=Severity.critical if lagging else Severity.info,
                    message=(
                        f"vòng sự kiện của dịch vụ chậm {worst:.1f} giây (ngưỡng {self.alert_s:.1f} giây) / "
                        f"the service's event loop ran {worst:.1f} s late (bound {self.alert_s:.1f} s)"
                    ),
                    source="eams",
                    labels={"instance": self.instance},
                )
            )


def loop_watchdog_component(services: Services) -> LoopLagWatchdog:
    settings = services.settings
    watchdog = LoopLagWatchdog(
        services, alert_s=settings.loop_lag_alert_s, report_s=settings.loop_lag_report_s
    )
    services.extras["loop_watchdog"] = watchdog
    return watchdog
