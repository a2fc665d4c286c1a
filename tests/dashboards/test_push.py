"""`eams dashboards push` against a stand-in for Grafana's HTTP API.

No Grafana server can run on these machines, so these tests talk to tests/dashboards/grafana_standin.py:
a real HTTP server on loopback that records the requests and answers as Grafana 11's API does.
They prove what is sent (folder, overwrite, message, data sources, token) and the idempotence,
not that a real Grafana renders the dashboards (see test_dashboard_json.py for that part).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from dashboards.push import Grafana, GrafanaError, folder_uid, influx_datasource
from dashboards.render import dashboards
from eams.cli.main import app
from tests.dashboards.grafana_standin import GrafanaState, grafana_standin

TOKEN = "glsa_test_token"
UIDS = {board["uid"] for board in dashboards()}
runner = CliRunner()


@pytest.fixture
def grafana() -> Iterator[tuple[str, GrafanaState]]:
    with grafana_standin(TOKEN) as running:
        yield running


def push(url: str, *extra: str, token: str = TOKEN) -> tuple[int, str]:
    result = runner.invoke(app, ["dashboards", "push", "--url", url, "--token", token, *extra])
    return result.exit_code, result.output


def saves(state: GrafanaState) -> list[dict[str, object]]:
    return [r.body for r in state.requests if r.method == "POST" and r.path == "/api/dashboards/db"]


def test_first_push_creates_the_folder_and_every_dashboard_with_a_message(
    grafana: tuple[str, GrafanaState],
) -> None:
    url, state = grafana
    code, output = push(url, "--folder", "eams", "--message", "release 1.2")
    assert code == 0, output
    assert state.folders["eams"]["title"] == "eams"
    assert set(state.dashboards) == UIDS
    for body in saves(state):
        assert body["folderUid"] == "eams" and body["overwrite"] is True and body["message"] == "release 1.2"
        assert body["dashboard"]["id"] is None  # upsert by uid, never by a database id
    assert all(r.authorization == f"Bearer {TOKEN}" for r in state.requests)
    assert "dashboard eams-overview: created" in output and "folder eams: created" in output


def test_pushing_again_changes_nothing(grafana: tuple[str, GrafanaState]) -> None:
    url, state = grafana
    assert push(url)[0] == 0
    versions = {uid: stored["dashboard"]["version"] for uid, stored in state.dashboards.items()}
    state.requests.clear()
    code, output = push(url)
    assert code == 0, output
    assert saves(state) == [] and not any(r.path == "/api/folders" for r in state.requests)
    assert {uid: stored["dashboard"]["version"] for uid, stored in state.dashboards.items()} == versions
    assert output.count(": unchanged") == len(UIDS) and "folder eams: exists" in output


def test_a_dashboard_edited_in_grafana_is_overwritten(grafana: tuple[str, GrafanaState]) -> None:
    url, state = grafana
    assert push(url)[0] == 0
    state.dashboards["eams-device"]["dashboard"]["title"] = "edited by hand"
    code, output = push(url, "--message", "restore")
    assert code == 0
    assert "dashboard eams-device: updated" in output
    stored = state.dashboards["eams-device"]
    assert stored["dashboard"]["title"] == "EAMS · Device" and stored["dashboard"]["version"] == 2
    assert stored["message"] == "restore"
    assert [b["dashboard"]["uid"] for b in saves(state)].count("eams-device") == 2


def test_data_sources_are_created_then_updated_by_uid(grafana: tuple[str, GrafanaState]) -> None:
    url, state = grafana
    extra = [
        "--influx-url",
        "http://influxdb:8086",
        "--influx-token",
        "s3cr3t",
        "--api-url",
        "http://eams:8000",
        "--api-token",
        "eams-read-token",
    ]
    assert push(url, *extra)[0] == 0
    influx = state.datasources["eams-influxdb"]
    assert influx["type"] == "influxdb" and influx["jsonData"]["dbName"] == "eams"
    assert influx["jsonData"]["version"] == "InfluxQL"
    assert influx["secureJsonData"]["httpHeaderValue1"] == "Token s3cr3t"
    api = state.datasources["eams-api"]
    assert api["type"] == "yesoreyeram-infinity-datasource" and api["url"] == "http://eams:8000"
    assert api["secureJsonData"]["httpHeaderValue1"] == "Bearer eams-read-token"
    code, output = push(url, *extra)
    assert code == 0 and "data source eams-influxdb: updated" in output
    assert [r.method for r in state.requests if r.path == "/api/datasources/uid/eams-influxdb"][-1] == "PUT"


def test_influxdb_1_8_credentials_are_user_and_password() -> None:
    source = influx_datasource("http://influx:8086", "eams", "grafana:pa55")
    assert source["user"] == "grafana" and source["secureJsonData"] == {"password": "pa55"}


def test_a_wrong_token_is_a_sentence_and_exit_code_4(grafana: tuple[str, GrafanaState]) -> None:
    url, state = grafana
    code, output = push(url, token="wrong")
    assert code == 4
    assert "401" in output and "invalid API key" in output and "Traceback" not in output
    assert state.dashboards == {}


def test_an_unreachable_grafana_is_a_sentence(grafana: tuple[str, GrafanaState]) -> None:
    code, output = push("http://127.0.0.1:9")
    assert code == 4 and "cannot reach Grafana at http://127.0.0.1:9" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--url", "grafana.local"], "must start with http:// or https://"),
        (["--api-url", "http://eams:8000"], "--api-url needs --api-token"),
        (["--folder", "---"], "needs at least one letter or digit"),
    ],
)
def test_bad_options_are_refused_with_a_sentence(
    grafana: tuple[str, GrafanaState], args: list[str], message: str
) -> None:
    url, state = grafana
    argv = ["--url", url, *args] if args[0] != "--url" else args
    result = runner.invoke(app, ["dashboards", "push", "--token", TOKEN, *argv])
    assert result.exit_code in (2, 4) and message in result.output, result.output
    assert state.dashboards == {}


def test_folder_uids_come_from_titles() -> None:
    assert folder_uid("eams") == "eams"
    assert folder_uid("Trung tâm dữ liệu") == "trung-t-m-d-li-u"


def test_the_client_reports_grafana_errors_with_the_call(grafana: tuple[str, GrafanaState]) -> None:
    url, _state = grafana
    with (
        Grafana(url, TOKEN) as client,
        pytest.raises(GrafanaError, match=r"POST /api/dashboards/db with 400"),
    ):
        client.upsert_dashboard({"uid": "x", "title": ""}, "eams", "m")
    with Grafana(url, TOKEN) as client:
        assert client.health()["version"] == "11.6.0"
