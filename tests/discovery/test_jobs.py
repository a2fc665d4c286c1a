"""Discovery as an API job and as `eams discover`: lifecycle, restart, bad inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from collectors.discovery.models import DiscoveryJob, JobState
from eams.api.app import create_app
from eams.cli import common
from eams.cli.main import app as cli
from eams.services import Services
from tests.discovery.conftest import CISCO_HOST, H3C_HOST, SNMPD_HOST, SWEEP, Lab
from tests.discovery.test_reconciliation import credentials
from tests.support.peers import wait_until

runner = CliRunner()


def job_body(**extra: Any) -> dict[str, Any]:
    return {
        "ranges": [SWEEP],
        "credentials": ["lab-public", "lab-h3c", "lab-cisco"],
        "timeout_s": 0.5,
        **extra,
    }


def test_a_job_runs_in_the_background_and_shows_progress_then_results(admin: TestClient, lab: Lab) -> None:
    credentials(admin, lab.port)
    started = admin.post("/api/v1/discovery/jobs", json=job_body())
    assert started.status_code == 202, started.json()
    job = started.json()
    assert job["state"] in ("queued", "running") and job["total"] == 11
    assert job["credentials"] == ["lab-public", "lab-h3c", "lab-cisco"]

    def finished() -> bool:
        return admin.get(f"/api/v1/discovery/jobs/{job['id']}").json()["state"] not in ("queued", "running")

    wait_until(finished, 120, "the discovery job")
    done = admin.get(f"/api/v1/discovery/jobs/{job['id']}").json()
    assert done["state"] == "finished", done["message"]
    assert (done["done"], done["found"], done["errors"]) == (11, 3, 0)
    devices = {device["address"]: device for device in done["results"]["devices"]}
    assert sorted(devices) == [SNMPD_HOST, H3C_HOST, CISCO_HOST]
    assert devices[H3C_HOST]["neighbours"][0]["name"] == "WRD-Huiju-2"
    assert done["results"]["facts"]["by_kind"]["new_device"] >= 1
    staged = admin.get("/api/v1/discovered-facts", params={"source": "snmp", "limit": 1000}).json()
    assert sorted(fact["id"] for fact in staged["results"]) == sorted(done["results"]["facts"]["ids"])
    listed = admin.get("/api/v1/discovery/jobs").json()
    assert [row["id"] for row in listed["results"]] == [job["id"]]


def test_a_job_left_running_by_a_stopped_service_shows_as_interrupted(services: Services) -> None:
    with services.db.session() as session:
        job = DiscoveryJob(state=JobState.running, ranges=["10.0.0.0/24"], total=254, done=17, results={})
        session.add(job)
        session.flush()
        job_id = job.id
    with TestClient(create_app(services)):  # the service starts again
        pass
    with services.db.session() as session:
        again = session.get(DiscoveryJob, job_id)
        assert again is not None and again.state is JobState.interrupted
        assert again.done == 17 and again.message and "stopped" in again.message


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"ranges": ["10.0.0.0/33"]}, "ranges", "not a valid CIDR"),
        ({"ranges": ["10.0.0.0/18"]}, "ranges", "confirm"),
        ({"ranges": ["10.0.0.0/8"], "confirm": True}, "ranges", "split them"),
        ({"ranges": ["10.0.0.1"], "credentials": ["nope"]}, "credentials", "'nope'"),
        ({"ranges": []}, "ranges", ""),
        ({"ranges": ["10.0.0.1"], "concurrency": 0}, "concurrency", ""),
        ({"ranges": ["10.0.0.1"], "rate": -1}, "rate", ""),
    ],
)
def test_bad_job_requests_are_refused_naming_the_field(
    admin: TestClient, lab: Lab, body: dict[str, Any], field: str, words: str
) -> None:
    credentials(admin, lab.port)
    answer = admin.post("/api/v1/discovery/jobs", json=body)
    assert answer.status_code == 422, answer.json()
    assert field in str(answer.json())
    assert words in answer.json()["detail"]
    assert admin.get("/api/v1/discovery/jobs").json()["count"] == 0
    assert admin.get("/api/v1/discovery/jobs/999").status_code == 404


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path, admin: TestClient) -> None:
    monkeypatch.setenv("EAMS_DATABASE_URL", database_url)
    monkeypatch.setenv("EAMS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("EAMS_SECRET_KEY", "test-secret-key")
    monkeypatch.setattr(common.console, "width", 220)  # the summary table, unwrapped


def test_eams_discover_sweeps_stages_and_prints_a_summary(cli_env: None, admin: TestClient, lab: Lab) -> None:
    credentials(admin, lab.port)
    result = runner.invoke(
        cli, ["discover", SWEEP, "-c", "lab-public", "-c", "lab-h3c", "-c", "lab-cisco", "--timeout", "0.5"]
    )
    assert result.exit_code == 0, result.output
    assert "3 of 11 addresses answered" in result.output
    assert "DUMSYS-02" in result.output and "eams-test-agent" in result.output
    assert "Staged" in result.output
    staged = admin.get("/api/v1/discovered-facts", params={"source": "snmp"}).json()
    assert staged["count"] > 0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["10.0.0.0/33"], "not a valid CIDR range"),
        (["10.0.0.0/18"], "--yes"),
        (["10.0.0.0/8", "--yes"], "split them"),
        (["127.0.1.10", "-c", "nope"], "no SNMP credentials profile named 'nope'"),
    ],
)
def test_eams_discover_refuses_bad_input_with_a_sentence(cli_env: None, args: list[str], words: str) -> None:
    result = runner.invoke(cli, ["discover", *args])
    assert result.exit_code == 2
    assert words in " ".join(result.output.split())


def test_eams_discover_exits_4_when_nothing_answers(cli_env: None, admin: TestClient, lab: Lab) -> None:
    credentials(admin, lab.port)
    result = runner.invoke(cli, ["discover", "127.0.2.0/29", "-c", "lab-public", "--timeout", "0.3"])
    assert result.exit_code == 4
    assert "no agent answered in 6 addresses" in " ".join(result.output.split())


def test_an_app_without_background_components_starts_no_sweep(services: Services, admin: TestClient) -> None:
    bare = TestClient(create_app(services, background=False))
    services.extras.pop("discovery_jobs", None)  # as in an app that never started the component
    answer = bare.post("/api/v1/discovery/jobs", json={"ranges": ["127.0.2.1"]}, headers=admin.headers)
    assert answer.status_code == 409 and "eams serve" in answer.json()["detail"]
    with services.db.session() as session:
        assert session.query(DiscoveryJob).count() == 0
