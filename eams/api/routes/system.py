"""/healthz (no token, for load balancers) and /metrics (Prometheus text, the service's own health)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from eams import __version__
from eams.api.deps import principal
from eams.api.errors import ErrorBody

router = APIRouter(tags=["system"])


@router.get(
    "/healthz",
    summary="Liveness and database reachability (no token needed)",
    responses={503: {"description": "The database does not answer"}},
)
def healthz(request: Request, response: Response) -> dict[str, Any]:
    services = request.app.state.services
    try:
        with services.db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # the point of a health check is to report, not raise
        database = f"error: {type(exc).__name__}"
        response.status_code = 503
    return {"status": "ok" if database == "ok" else "degraded", "database": database, "version": __version__}


@router.get(
    "/metrics",
    summary="Prometheus metrics of the service itself (requests, latency, inventory counts)",
    dependencies=[Depends(principal)],
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}}},
        401: {"model": ErrorBody, "description": "No token, or an unknown one"},
    },
)
def metrics(request: Request) -> Response:
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
