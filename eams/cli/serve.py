"""`eams serve`: the API service (with its in-process collectors once configured)."""

from __future__ import annotations

import socket
from typing import Annotated

import typer
import uvicorn

from collectors.traps.component import preflight as traps_preflight
from eams.api.app import create_app
from eams.cli.common import EXIT_UNAVAILABLE, console, fail, open_services
from eams.components.syslog import preflight as syslog_preflight


def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default: EAMS_HOST, else 127.0.0.1)")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (default: EAMS_PORT, else 8000)")
    ] = None,
) -> None:
    """Run the service: upgrade the schema, then serve the web pages (at /) and the API (docs at
    /docs)."""
    with open_services() as services:
        bind_host = host or services.settings.host
        bind_port = port or services.settings.port
        _check_port_free(bind_host, bind_port)
        if problem := traps_preflight(services.settings.trap):
            raise fail(problem, EXIT_UNAVAILABLE)
        if problem := syslog_preflight(services.settings.syslog):
            raise fail(problem, EXIT_UNAVAILABLE)
        console.print(
            f"eams on http://{bind_host}:{bind_port}  (web pages: /, API docs: /docs, database: "
            f"{services.db.engine.url.render_as_string()})"
        )
        uvicorn.run(
            create_app(services),
            host=bind_host,
            port=bind_port,
            log_level=services.settings.log_level.lower(),
        )


def _check_port_free(host: str, port: int) -> None:
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        raise fail(
            f"cannot listen on {host}:{port}: {exc.strerror}; choose another --port", EXIT_UNAVAILABLE
        ) from None
