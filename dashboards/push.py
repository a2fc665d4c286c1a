"""Push the dashboards (and optionally their data sources) to a running Grafana over its HTTP API.

Idempotent: the folder is created only when missing, each dashboard is saved by uid with
`overwrite` and a commit message only when it differs from what Grafana holds (so pushing twice
adds no dashboard version), and data sources are created or updated by uid.

Plain httpx (already a dependency of the service) rather than grafana-client: five endpoints do
not justify a client library, and grafana-client 4.x/5.x pull in urllib3-future, which replaces
urllib3 in the whole process and breaks influxdb-client.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from dashboards.queries import API_UID, INFLUX_UID

# What Grafana adds or changes on save; left out when comparing ours with the stored dashboard.
_VOLATILE = ("id", "version")


class GrafanaError(Exception):
    """Grafana refused a call or could not be reached; the message says which and why."""


@dataclass
class PushReport:
    folder_uid: str
    folder_created: bool = False
    dashboards: dict[str, str] = field(default_factory=dict)  # uid -> created | updated | unchanged
    datasources: dict[str, str] = field(default_factory=dict)  # uid -> created | updated


def folder_uid(title: str) -> str:
    """A folder uid from its title: `eams` -> `eams`, `Trung tâm dữ liệu` -> `trung-t-m-d-li-u`."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", title.lower()).strip("-")
    if not slug:
        raise ValueError(f"folder {title!r} needs at least one letter or digit")
    return slug[:40]


class Grafana:
    def __init__(self, url: str, token: str, *, timeout: float = 15.0, verify: bool = True) -> None:
        if not url.startswith(("http://", "https://")):
            raise GrafanaError(f"--url must start with http:// or https://, not {url!r}")
        self.url = url.rstrip("/")
        self.client = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout,
            verify=verify,
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Grafana:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, body: Any = None, *, missing_ok: bool = False) -> Any:
        try:
            response = self.client.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise GrafanaError(f"cannot reach Grafana at {self.url}: {exc}") from None
        if missing_ok and response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise GrafanaError(
                f"Grafana answered {method} {path} with {response.status_code}: {_message(response)}"
            )
        return response.json() if response.content else {}

    def health(self) -> dict[str, Any]:
        return dict(self.request("GET", "/api/health"))

    def ensure_folder(self, uid: str, title: str) -> bool:
        """True when the folder had to be created."""
        if self.request("GET", f"/api/folders/{uid}", missing_ok=True) is not None:
            return False
        self.request("POST", "/api/folders", {"uid": uid, "title": title})
        return True

    def upsert_dashboard(self, board: dict[str, Any], folder: str, message: str) -> str:
        uid = board["uid"]
        stored = self.request("GET", f"/api/dashboards/uid/{uid}", missing_ok=True)
        if stored is not None:
            same_folder = stored.get("meta", {}).get("folderUid") == folder
            if same_folder and _comparable(stored.get("dashboard", {})) == _comparable(board):
                return "unchanged"
        payload = {
            "dashboard": {**board, "id": None},
            "folderUid": folder,
            "overwrite": True,
            "message": message,
        }
        self.request("POST", "/api/dashboards/db", payload)
        return "created" if stored is None else "updated"

    def upsert_datasource(self, source: dict[str, Any]) -> str:
        uid = source["uid"]
        if self.request("GET", f"/api/datasources/uid/{uid}", missing_ok=True) is None:
            self.request("POST", "/api/datasources", source)
            return "created"
        self.request("PUT", f"/api/datasources/uid/{uid}", source)
        return "updated"


def push(
    grafana: Grafana,
    boards: Iterable[dict[str, Any]],
    *,
    folder: str = "eams",
    message: str = "eams dashboards push",
    datasources: Iterable[dict[str, Any]] = (),
) -> PushReport:
    """Data sources first (the dashboards refer to them by uid), then the folder, then each dashboard."""
    report = PushReport(folder_uid(folder))
    for source in datasources:
        report.datasources[source["uid"]] = grafana.upsert_datasource(source)
    report.folder_created = grafana.ensure_folder(report.folder_uid, folder)
    for board in boards:
        report.dashboards[board["uid"]] = grafana.upsert_dashboard(board, report.folder_uid, message)
    return report


def influx_datasource(url: str, database: str, token: str = "", *, name: str = "InfluxDB") -> dict[str, Any]:
    """The InfluxDB data source the dashboards use (uid eams-influxdb), speaking InfluxQL.

    InfluxDB 2.x answers InfluxQL through its v1 API once the bucket is mapped to a database
    (`influx v1 dbrp create`, see docker/influxdb/init-dbrp.sh); the token goes in an
    `Authorization: Token ...` header. InfluxDB 1.8 with auth takes `user:password` as the token.
    """
    source: dict[str, Any] = {
        "uid": INFLUX_UID,
        "name": name,
        "type": "influxdb",
        "access": "proxy",
        "url": url,
        "jsonData": {"dbName": database, "httpMode": "POST", "version": "InfluxQL"},
        "secureJsonData": {},
    }
    if token:
        if ":" in token and not token.startswith("Token "):
            user, password = token.split(":", 1)
            source["user"], source["secureJsonData"]["password"] = user, password
        else:
            source["jsonData"]["httpHeaderName1"] = "Authorization"
            source["secureJsonData"]["httpHeaderValue1"] = f"Token {token}"
    return source


def api_datasource(url: str, token: str, *, name: str = "EAMS API") -> dict[str, Any]:
    """The Infinity data source (uid eams-api) the alert panels read `/api/v1/alerts` through."""
    return {
        "uid": API_UID,
        "name": name,
        "type": "yesoreyeram-infinity-datasource",
        "access": "proxy",
        "url": url.rstrip("/"),
        "jsonData": {"allowedHosts": [url.rstrip("/")], "httpHeaderName1": "Authorization"},
        "secureJsonData": {"httpHeaderValue1": f"Bearer {token}"},
    }


def _comparable(board: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in board.items() if key not in _VOLATILE}


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300] or response.reason_phrase
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    return str(body)[:300]
