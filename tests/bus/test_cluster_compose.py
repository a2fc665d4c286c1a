"""The compose profile `cluster` (no Docker engine here: its structure is checked)."""

from __future__ import annotations

from pathlib import Path

import yaml

COMPOSE = yaml.safe_load((Path(__file__).parents[2] / "docker" / "compose.yaml").read_text())


def test_the_cluster_profile_runs_nats_a_second_instance_and_a_bus_collector() -> None:
    services = COMPOSE["services"]
    for name in ("nats", "eams-2", "bus-collector"):
        assert services[name]["profiles"] == ["cluster"], f"{name} is in the cluster profile only"
    assert "-js" in services["nats"]["command"] and "healthcheck" in services["nats"]
    second = services["eams-2"]["environment"]
    first = services["eams"]["environment"]
    assert second["EAMS_DATABASE_URL"] == first["EAMS_DATABASE_URL"]  # one database, advisory locks
    assert second["EAMS_SECRET_KEY"] == first["EAMS_SECRET_KEY"]  # both read the credentials
    assert second["EAMS_BUS_ENABLED"] == "true" and second["EAMS_BUS_URL"] == first["EAMS_BUS_URL"]
    assert "--bus" in services["bus-collector"]["command"]
    assert "162:1162/udp" not in services["eams-2"].get("ports", [])  # one trap receiver on the host
    for volume in ("nats-data", "eams-2-data", "bus-collector-spool"):
        assert volume in COMPOSE["volumes"]
