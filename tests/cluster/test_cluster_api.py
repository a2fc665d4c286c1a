"""GET /api/v1/cluster: what this instance does in the cluster, read by an operator (which
instance holds which job, how many rounds each ran here or was skipped)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from collectors.singleton import run_once
from eams.cluster.singleton import AdvisoryLockSingletons
from eams.services import Services
from inventory.models.enums import Role
from tests.conftest import TokenFactory, auth
from tests.support.database import TEST_DATABASE_ENV, backend


async def nothing() -> None:
    return None


async def test_the_jobs_this_instance_ran_are_listed(
    client: TestClient, services: Services, make_token: TokenFactory
) -> None:
    await run_once(services.singletons, "syslog.prune", nothing)
    await run_once(services.singletons, "syslog.prune", nothing)
    answer = client.get("/api/v1/cluster", headers=auth(make_token(Role.planner, "who-does-what")))
    assert answer.status_code == 200, answer.text
    state = answer.json()
    # SQLite: one instance (RunHere), every job is ours; PostgreSQL: the advisory locks held here.
    clustered = backend() == "postgresql"
    assert state["clustered"] is clustered
    assert state["jobs"]["held"] is None if not clustered else "syslog.prune" in state["jobs"]["held"]
    assert state["jobs"]["ran"]["syslog.prune"] == 2 and "syslog.prune" not in state["jobs"]["skipped"]
    assert state["bus"] == {"enabled": False, "partitions": services.settings.bus.partitions, "led": []}
    assert client.get("/api/v1/cluster").status_code == 401


async def test_a_job_held_elsewhere_is_counted_as_skipped_here(
    client: TestClient, services: Services, make_token: TokenFactory
) -> None:
    if backend() != "postgresql":
        pytest.skip(f"several instances share only PostgreSQL (advisory locks): set {TEST_DATABASE_ENV}")
    here, elsewhere = AdvisoryLockSingletons(services.db.url), AdvisoryLockSingletons(services.db.url)
    services.singletons = here
    try:
        assert await run_once(elsewhere, "collectors.watch", nothing)  # the other instance holds it
        assert not await run_once(here, "collectors.watch", nothing)
        assert await run_once(here, "ssh.backup", nothing)
        state = client.get("/api/v1/cluster", headers=auth(make_token(Role.operator, "ops"))).json()
        assert state["clustered"] is True and state["jobs"]["held"] == ["ssh.backup"]
        assert state["jobs"]["ran"] == {"ssh.backup": 1}
        assert state["jobs"]["skipped"] == {"collectors.watch": 1}
    finally:
        here.close()
        elsewhere.close()
