"""The web application: server-rendered pages (Jinja2 + htmx) at `/`, beside `/api/v1/`.

One route module per area, templates beside them in `templates/<area>/`; pages read and write
through the same resources and service functions as the API, with the same role and agency-scope
checks. Our own CSS/JS is in `static/eams/`; third-party browser code is installed from npm into
`static/vendor/` (scripts/web-assets.sh) and served from here, never from a CDN.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from eams.web import docs, signin
from eams.web.errors import install_page_errors

STATIC = Path(__file__).parent / "static"
AREA_MODULES = (
    "overview",
    "profile",
    "saved_filters",
    "devices",
    "alerts",
    "agencies",
    "systems",
    "impact",
    "reports",
    "admin",
    "admin_credentials",
    "admin_alerting",
    "admin_discovery",
    "maintenance",
    "users",
    "syslog",
)


def install_web(app: FastAPI) -> None:
    """Mount the pages, their static files and the offline API docs on the service's app."""
    import importlib

    app.state.web_secret = app.state.services.settings.resolved_secret_key().encode()
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")
    app.include_router(docs.router)
    app.include_router(signin.router)
    for name in AREA_MODULES:
        module = importlib.import_module(f"eams.web.{name}")
        app.include_router(module.router)
    install_page_errors(app)
