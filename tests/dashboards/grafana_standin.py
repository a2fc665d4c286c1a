"""A stand-in for Grafana's HTTP API, for tests only: no Grafana server can run on these machines.

It is a real HTTP server on 127.0.0.1 (a free port) that records every request and answers the
few endpoints `eams dashboards push` uses the way Grafana 11 documents them: status codes,
`{"message": ...}` errors, folders, dashboards by uid with versions, data sources by uid, and
bearer-token authentication.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.peers import free_port


@dataclass
class Recorded:
    method: str
    path: str
    body: Any
    authorization: str | None


@dataclass
class GrafanaState:
    token: str
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    dashboards: dict[str, dict[str, Any]] = field(
        default_factory=dict
    )  # uid -> {dashboard, folderUid, message}
    datasources: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    next_id: int = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id


class _Handler(BaseHTTPRequestHandler):
    state: GrafanaState

    def log_message(self, *_args: object) -> None:  # keep test output quiet
        return

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        state = self.state
        state.requests.append(Recorded(method, self.path, body, self.headers.get("Authorization")))
        if self.path == "/api/health":
            return self._send(200, {"database": "ok", "version": "11.6.0"})
        if self.headers.get("Authorization") != f"Bearer {state.token}":
            return self._send(401, {"message": "invalid API key"})
        for pattern, route in _ROUTES:
            match = re.fullmatch(pattern, f"{method} {self.path}")
            if match:
                status, answer = route(state, body, *match.groups())
                return self._send(status, answer)
        return self._send(404, {"message": "Not found"})

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _get_folder(state: GrafanaState, _body: Any, uid: str) -> tuple[int, Any]:
    folder = state.folders.get(uid)
    return (200, folder) if folder else (404, {"message": "folder not found", "status": "not-found"})


def _create_folder(state: GrafanaState, body: Any) -> tuple[int, Any]:
    if not body.get("title"):
        return 400, {"message": "folder title cannot be empty"}
    if body.get("uid") in state.folders:
        return 409, {"message": "a folder with the same uid already exists"}
    folder = {
        "id": state.new_id(),
        "uid": body["uid"],
        "title": body["title"],
        "url": f"/dashboards/f/{body['uid']}",
    }
    state.folders[body["uid"]] = folder
    return 200, folder


def _get_dashboard(state: GrafanaState, _body: Any, uid: str) -> tuple[int, Any]:
    stored = state.dashboards.get(uid)
    if stored is None:
        return 404, {"message": "Dashboard not found"}
    return 200, {"dashboard": stored["dashboard"], "meta": {"folderUid": stored["folderUid"], "slug": uid}}


def _save_dashboard(state: GrafanaState, body: Any) -> tuple[int, Any]:
    board = dict(body.get("dashboard") or {})
    if not board.get("title"):
        return 400, {"message": "Dashboard title cannot be empty"}
    if body.get("folderUid") and body["folderUid"] not in state.folders:
        return 400, {"message": "folder not found"}
    uid = board.get("uid")
    existing = state.dashboards.get(uid)
    if existing is not None and not body.get("overwrite"):
        return 412, {
            "message": "The dashboard has been changed by someone else",
            "status": "version-mismatch",
        }
    board["id"] = existing["dashboard"]["id"] if existing else state.new_id()
    board["version"] = existing["dashboard"]["version"] + 1 if existing else 1
    state.dashboards[uid] = {
        "dashboard": board,
        "folderUid": body.get("folderUid"),
        "message": body.get("message"),
    }
    return 200, {
        "id": board["id"],
        "uid": uid,
        "status": "success",
        "version": board["version"],
        "url": f"/d/{uid}",
    }


def _get_datasource(state: GrafanaState, _body: Any, uid: str) -> tuple[int, Any]:
    source = state.datasources.get(uid)
    return (200, source) if source else (404, {"message": "Data source not found"})


def _create_datasource(state: GrafanaState, body: Any) -> tuple[int, Any]:
    if body["uid"] in state.datasources:
        return 409, {"message": "data source with the same uid already exists"}
    state.datasources[body["uid"]] = {**body, "id": state.new_id()}
    return 200, {"message": "Datasource added", "datasource": state.datasources[body["uid"]]}


def _update_datasource(state: GrafanaState, body: Any, uid: str) -> tuple[int, Any]:
    if uid not in state.datasources:
        return 404, {"message": "Data source not found"}
    state.datasources[uid] = {**body, "id": state.datasources[uid]["id"]}
    return 200, {"message": "Datasource updated", "datasource": state.datasources[uid]}


_ROUTES = [
    (r"GET /api/folders/([\w-]+)", _get_folder),
    (r"POST /api/folders", _create_folder),
    (r"GET /api/dashboards/uid/([\w-]+)", _get_dashboard),
    (r"POST /api/dashboards/db", _save_dashboard),
    (r"GET /api/datasources/uid/([\w-]+)", _get_datasource),
    (r"POST /api/datasources", _create_datasource),
    (r"PUT /api/datasources/uid/([\w-]+)", _update_datasource),
]


@contextmanager
def grafana_standin(token: str) -> Iterator[tuple[str, GrafanaState]]:
    """(url, state) of a running stand-in that accepts `Bearer <token>`."""
    state = GrafanaState(token)
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
