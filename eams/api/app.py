"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from eams import __version__
from eams.api.admission import install_admission
from eams.api.errors import ERROR_RESPONSES, install_error_handlers
from eams.api.metrics import ServiceMetrics
from eams.api.routes import (
    audit,
    auth,
    changes,
    cluster,
    collectors,
    device_csv,
    device_status,
    discovery,
    discovery_jobs,
    metrics,
    sinks,
    ssh,
    syslog,
    system,
    tokens,
    traps,
    users,
)
from eams.api.routes.alert_outbox import router as alert_outbox_router
from eams.api.routes.alerts import alerts_router
from eams.api.routes.architecture import architecture_router
from eams.api.routes.inventory import inventory_router
from eams.auth.audit.middleware import AuditMiddleware
from eams.components import Components
from eams.services import Services
from eams.web import install_web

API_PREFIX = "/api/v1"

DESCRIPTION = """
Asset inventory and e-Government architecture (EAMS) of the provincial data center, and the
monitoring that watches it. Every endpoint but `/healthz` and `/api/v1/auth/login` needs a bearer
token made with `eams token create`, or a person's session from `POST /api/v1/auth/login` (cookie
`eams_session`; requests that change something then echo the `eams_csrf` cookie in `X-CSRF-Token`).
Lists take `limit`/`offset`, filters such as `name__ic=`, `warranty_end__lte=`, `status__n=`, and
`q=` free text that ignores Vietnamese diacritics.
"""


def create_app(services: Services, *, background: bool = True) -> FastAPI:
    """The app. With `background`, the registered components (collectors, alert engine ...) run
    alongside it for its lifetime."""
    components = Components(services, factories=None if background else [])

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await components.start()
        try:
            yield
        finally:
            await components.stop()

    # /docs and /redoc are served by eams.web from local copies of their files (no CDN).
    app = FastAPI(
        title="eams",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.components = components
    app.state.services = services
    app.state.metrics = ServiceMetrics(services.db)
    app.state.metrics.install(app)
    install_error_handlers(app)
    install_admission(app, services.settings)
    app.add_middleware(AuditMiddleware)  # request ids; every API write and export in the audit log

    api = APIRouter(prefix=API_PREFIX, responses=ERROR_RESPONSES)
    # Before the generic routes: /devices/export.csv must not be taken for /devices/{object_id}.
    api.include_router(device_csv.router)
    api.include_router(inventory_router())
    api.include_router(architecture_router())
    api.include_router(changes.router)
    api.include_router(traps.router)
    api.include_router(syslog.router)
    api.include_router(sinks.router)
    api.include_router(cluster.router)
    api.include_router(discovery.router)
    api.include_router(discovery_jobs.router)
    api.include_router(ssh.router)
    api.include_router(alerts_router())
    api.include_router(alert_outbox_router)
    api.include_router(device_status.router)
    api.include_router(metrics.router)
    api.include_router(tokens.router)
    api.include_router(collectors.router)
    api.include_router(auth.router)
    api.include_router(users.router)
    api.include_router(audit.router)
    app.include_router(api)
    app.include_router(system.router)
    install_web(app)
    return app
