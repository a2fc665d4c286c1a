"""Schemathesis against the app's own OpenAPI schema, as an admin: no input gets a 500, and every
answer matches the schema the API publishes (status codes, content types, bodies).

Bounded: a few examples per operation (deterministic), so the whole run stays well under a minute;
EAMS_SCHEMATHESIS_EXAMPLES=200 and EAMS_SCHEMATHESIS_PHASES=examples,coverage,fuzzing dig deeper.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
import schemathesis
import uvicorn
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from eams.api.app import create_app
from eams.auth import create_token
from eams.auth.config import AuthConfig
from eams.services import Services
from eams.settings import Settings
from inventory.db import Database
from inventory.models import Role
from inventory.secretbox import SecretBox
from tests.conftest import empty_all_tables
from tests.support.peers import free_port

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _schema_only_app() -> FastAPI:
    """An app to read the OpenAPI document from; it never touches its (unconnected) database."""
    settings = Settings(database_url="sqlite://", secret_key="schema-only")
    services = Services(settings=settings, db=Database("sqlite://"), secret_box=SecretBox("schema-only"))
    return create_app(services, background=False)


# Read in process, not over ASGI: fetching /openapi.json through the loader has a 10 s timeout that
# a loaded CI machine can exceed while FastAPI builds the document.
schema = schemathesis.openapi.from_dict(_schema_only_app().openapi())
# Explicit examples and random fuzzing (valid and invalid data); the exhaustive coverage phase would
# multiply the run time by several for little more than the fuzzing finds.
schema.config.phases.update(phases=os.environ.get("EAMS_SCHEMATHESIS_PHASES", "examples,fuzzing").split(","))


@pytest.fixture(scope="module")
def app(migrated_database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """The app under test on the suite's database, shared by every operation (building it is slow)."""
    # Sign-in attempts with a cheap Argon2 (production's costs ~0.1 s of CPU each; bench/auth).
    cheap = AuthConfig(argon2_time_cost=1, argon2_memory_kib=8192)
    folder = tmp_path_factory.mktemp("schemathesis")
    settings = Settings(data_dir=folder, secret_key="test-secret-key", auth=cheap)
    yield create_app(Services.from_settings(settings, db=migrated_database), background=False)
    empty_all_tables(migrated_database)


@pytest.fixture(scope="module")
def admin_headers(app: FastAPI) -> dict[str, str]:
    with app.state.services.db.session() as session:
        _, clear = create_token(session, name="schemathesis", role=Role.admin)
    return {"Authorization": f"Bearer {clear}"}


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("EAMS_SCHEMATHESIS_EXAMPLES", "12")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_without_500_and_as_documented(
    case: schemathesis.Case, app: FastAPI, admin_headers: dict[str, str]
) -> None:
    # 60 s, not 10: an operation's first call builds its validators, which a loaded machine slows.
    case.call_and_validate(app=app, headers=admin_headers, checks=CHECKS, timeout=60)


# Every check schemathesis has (`st run --checks all`): negative data refused, positive data taken,
# the Allow header of a 405, resources gone after a DELETE, authentication honoured ... Several
# send requests of their own, so the app is served over HTTP on loopback for them. One is left out:
# `positive_data_acceptance` expects every body the schema allows to be taken, but references,
# uniqueness, custom fields and agency scope are checked against stored data, which no schema
# says (a random `parent_id` is a 422 naming it, as it should be).
ALL_CHECKS = [
    check for check in schemathesis.checks.CHECKS.get_all() if check.__name__ != "positive_data_acceptance"
]


@pytest.fixture(scope="module")
def served(app: FastAPI) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the app did not start")
        threading.Event().wait(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("EAMS_SCHEMATHESIS_ALL_EXAMPLES", "2")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_passes_every_check(
    case: schemathesis.Case, served: str, admin_headers: dict[str, str]
) -> None:
    case.call_and_validate(base_url=served, headers=admin_headers, checks=ALL_CHECKS, timeout=60)
