"""The production deployment in docker/.

No Docker engine runs on the build machines, so these tests check what can be checked without
one: the compose file's structure, that every path it mounts or copies exists, that every
variable it needs is in .env.example, and that the commands it runs are real `eams` commands.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from typer.main import get_command

from eams.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
DOCKER = ROOT / "docker"
COMPOSE = yaml.safe_load((DOCKER / "compose.yaml").read_text())


def test_compose_runs_the_whole_stack_with_health_checks() -> None:
    services = COMPOSE["services"]
    assert {"postgres", "influxdb", "grafana", "eams", "remote-collector"} <= set(services)
    for name in ("postgres", "influxdb", "grafana", "eams"):
        assert "healthcheck" in services[name], f"{name} has no health check"
        assert services[name].get("restart") == "unless-stopped"
    assert services["remote-collector"]["profiles"] == ["remote"], "the remote collector is optional"
    assert services["grafana"]["image"].startswith("grafana/grafana:11.")
    assert services["influxdb"]["image"].startswith("influxdb:2")
    eams_env = services["eams"]["environment"]
    assert eams_env["EAMS_DATABASE_URL"].startswith("postgresql://")
    for volume in ("postgres-data", "influxdb-data", "grafana-data", "eams-data"):
        assert volume in COMPOSE["volumes"]


def test_every_mounted_path_exists() -> None:
    for name, service in COMPOSE["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith((".", "/")):
                assert (DOCKER / source).resolve().exists(), f"{name} mounts missing {source}"
        build = service.get("build")
        if build:
            context = (DOCKER / build["context"]).resolve()
            assert (context / build["dockerfile"]).exists()


def test_dockerfile_copies_only_what_exists() -> None:
    for line in (DOCKER / "Dockerfile").read_text().splitlines():
        match = re.match(r"COPY (?!--from)(.+) \S+$", line)
        if match:
            for source in match.group(1).split():
                assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"


def test_every_required_variable_is_in_env_example() -> None:
    text = (DOCKER / "compose.yaml").read_text()
    required = set(re.findall(r"\$\{([A-Z_]+)(?::\?[^}]*)?\}", text))
    example = {
        line.split("=", 1)[0]
        for line in (DOCKER / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    with_default = set(re.findall(r"\$\{([A-Z_]+):-", text))
    assert required - with_default <= example, required - with_default - example


def test_grafana_provisioning_points_at_the_mounted_dashboards() -> None:
    providers = yaml.safe_load((DOCKER / "grafana/provisioning/dashboards/eams.yaml").read_text())
    path = providers["providers"][0]["options"]["path"]
    mounts = [v.split(":")[1] for v in COMPOSE["services"]["grafana"]["volumes"]]
    assert path in mounts
    datasources = yaml.safe_load((DOCKER / "grafana/provisioning/datasources/influxdb.yaml").read_text())
    source = datasources["datasources"][0]
    assert source["type"] == "influxdb" and source["url"] == "http://influxdb:8086"


def test_grafana_gets_the_infinity_plugin_and_the_api_data_source() -> None:
    grafana = COMPOSE["services"]["grafana"]
    env = grafana["environment"]
    assert "yesoreyeram-infinity-datasource" in env["GF_INSTALL_PLUGINS"].split(",")
    assert env["EAMS_API_URL"] == "${EAMS_API_URL:-http://eams:8000}"
    assert env["EAMS_API_TOKEN"].startswith("${EAMS_API_TOKEN")
    mounts = {v.split(":")[0]: v.split(":")[1] for v in grafana["volumes"]}
    assert mounts["../dashboards/provisioning/eams-api.yaml"] == (
        "/etc/grafana/provisioning/datasources/eams-api.yaml"
    )
    assert mounts["./grafana/provisioning/datasources/influxdb.yaml"].startswith(
        "/etc/grafana/provisioning/datasources/"
    )
    # The data source file reads exactly the variables compose gives Grafana.
    source = (ROOT / "dashboards/provisioning/eams-api.yaml").read_text()
    assert set(re.findall(r"\$\{([A-Z_]+)\}", source)) <= set(env)
    example = (DOCKER / ".env.example").read_text()
    assert "EAMS_API_URL=http://eams:8000" in example.splitlines() and "\nEAMS_API_TOKEN=" in example


def _command_names() -> set[str]:
    group = get_command(app)
    return set(group.commands)  # type: ignore[attr-defined]


def test_the_service_container_runs_a_real_command() -> None:
    assert COMPOSE["services"]["eams"]["command"][0] in _command_names()


def test_the_remote_collector_container_runs_a_real_command() -> None:
    assert COMPOSE["services"]["remote-collector"]["command"][0] in _command_names()
