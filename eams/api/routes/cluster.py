"""This instance's part in a cluster of `eams serve` on one PostgreSQL database: the bus
partitions it leads (their devices' samples and alerts are evaluated here) and the cluster jobs it
holds (backups, pruning, the collectors' watch, notification delivery), with how often each of
them ran here or was skipped because another instance holds it. On SQLite (one instance) every
job is this instance's."""

from __future__ import annotations

import socket
from typing import Any

from fastapi import APIRouter, Request

from eams.api.deps import Reader
from eams.cluster.singleton import AdvisoryLockSingletons
from eams.components.bus import EXTRAS_KEY as BUS_KEY
from eams.components.bus import BusComponent

router = APIRouter(prefix="/cluster", tags=["collectors"])


@router.get(
    "",
    summary="This instance's part in the cluster",
    description="`instance` (host name), `clustered` (several instances may share this database: "
    "PostgreSQL), `bus` (enabled, partitions led by this instance, of how many), `jobs` (held: the "
    "cluster jobs this instance runs; ran and skipped: rounds per job since start).",
)
def cluster_state(request: Request, caller: Reader) -> dict[str, Any]:
    services = request.app.state.services
    singletons = services.singletons
    bus = services.extras.get(BUS_KEY)
    led = bus.partitions if isinstance(bus, BusComponent) else []
    clustered = isinstance(singletons, AdvisoryLockSingletons)
    return {
        "instance": socket.gethostname(),
        "clustered": clustered,
        "bus": {
            "enabled": services.settings.bus.enabled,
            "partitions": services.settings.bus.partitions,
            "led": sorted(led),
        },
        "jobs": {
            "held": sorted(singletons.held) if clustered else None,
            "ran": dict(sorted(singletons.ran.items())),
            "skipped": dict(sorted(singletons.skipped.items())),
        },
    }
