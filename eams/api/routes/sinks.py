"""State of the metrics sink: is InfluxDB reachable, how much waits in the spool, what was lost."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from eams.api.deps import Reader
from eams.api.errors import NotFound
from eams.components.sinks import EXTRAS_KEY

router = APIRouter(prefix="/sinks", tags=["collectors"])


@router.get(
    "/influx",
    summary="InfluxDB sink state",
    description="Queued and spooled batches and bytes, points written, batches rejected or dropped, "
    "the last error and the last success (unix seconds).",
)
def influx_sink_state(request: Request, caller: Reader) -> dict[str, Any]:
    sink = request.app.state.services.extras.get(EXTRAS_KEY)
    if sink is None:
        raise NotFound("the InfluxDB sink is not running in this service (background components are off)")
    state: dict[str, Any] = sink.state().as_dict()
    return state
