"""Admission of API requests to the database: at most `api_connections` requests hold a
connection at once, so the rest of the pool stays free for the collectors, the alert engine and
the sinks. A request that cannot get in within the pool timeout answers 503 with Retry-After
instead of queueing without bound (and it waits in a worker thread, never on the event loop).

In front of that, at most twice as many API requests are in the service at once (those holding a
connection and as many waiting for one); a request beyond that answers 503 with Retry-After at
once, so a crowd of clients gets a quick "come back later" instead of answers tens of seconds
late, and the worker threads stay free for the requests that can be served."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.types import ASGIApp, Receive, Scope, Send

from eams.settings import Settings


class ServiceBusy(Exception):
    """No database connection for this request within the bound."""


class RequestGate:
    def __init__(self, connections: int, timeout_s: float) -> None:
        self.connections = connections
        self.timeout_s = timeout_s
        self._slots = threading.BoundedSemaphore(connections)
        self.refused = 0
        self.max_in_flight = 2 * connections
        self.in_flight = 0  # API requests in the service now (changed on the event loop only)

    def enter(self) -> None:
        """Blocking, bounded: call it from a request's worker thread."""
        if not self._slots.acquire(timeout=self.timeout_s):
            self.refused += 1
            raise ServiceBusy
        return None

    def leave(self) -> None:
        self._slots.release()


class AdmissionMiddleware:
    """Pure ASGI: counts API requests in the service and turns away those beyond the bound."""

    def __init__(self, app: ASGIApp, gate: RequestGate, busy: Callable[[], JSONResponse]) -> None:
        self.app = app
        self.gate = gate
        self.busy = busy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/api/"):
            await self.app(scope, receive, send)
            return
        gate = self.gate
        if gate.in_flight >= gate.max_in_flight:
            gate.refused += 1
            await self.busy()(scope, receive, send)
            return
        gate.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            gate.in_flight -= 1


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

    app.add_middleware(AdmissionMiddleware, gate=gate, busy=busy)
    return gate
