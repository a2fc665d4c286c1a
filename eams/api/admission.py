"""Admission of API requests to the database: at most `api_connections` requests hold a
connection at once, so the rest of the pool stays free for the collectors, the alert engine and
the sinks. A request that cannot get in within the pool timeout answers 503 with Retry-After
instead of queueing without bound (and it waits in a worker thread, never on the event loop)."""

from __future__ import annotations

import math
import threading

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from eams.settings import Settings


class ServiceBusy(Exception):
    """No database connection for this request within the bound."""


class RequestGate:
    def __init__(self, connections: int, timeout_s: float) -> None:
        self.connections = connections
        self.timeout_s = timeout_s
        self._slots = threading.BoundedSemaphore(connections)
        self.refused = 0

    def enter(self) -> None:
        """Blocking, bounded: call it from a request's worker thread."""
        if not self._slots.acquire(timeout=self.timeout_s):
            self.refused += 1
            raise ServiceBusy
        return None

    def leave(self) -> None:
        self._slots.release()


def install_admission(app: FastAPI, settings: Settings) -> RequestGate:
    gate = RequestGate(settings.api_connections, settings.database_pool_timeout_s)
    app.state.request_gate = gate
    retry_after = str(max(1, math.ceil(settings.database_pool_timeout_s)))

    def busy() -> JSONResponse:
        return JSONResponse(
            {
                "detail": "Máy chủ đang bận, xin thử lại sau ít giây / the service is busy, "
                f"retry in {retry_after} s"
            },
            status_code=503,
            headers={"Retry-After": retry_after},
        )

    @app.exception_handler(ServiceBusy)
    async def _gate_full(_request: Request, _exc: ServiceBusy) -> JSONResponse:
        return busy()

    @app.exception_handler(PoolTimeoutError)
    async def _pool_exhausted(_request: Request, _exc: PoolTimeoutError) -> JSONResponse:
        return busy()

    return gate
