"""The receiver as a service component: off by default, clear errors, bounded history."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from typer.testing import CliRunner

from collectors.pipeline import Pipeline
from collectors.traps.component import TrapReceiverComponent, preflight
from collectors.traps.config import TrapReceiverConfig, parse_listen
from collectors.traps.models import TrapLog
from collectors.traps.receiver import ReceiverError, TrapReceiver
from collectors.traps.store import TrapRecord, TrapStore
from eams.cli.common import EXIT_UNAVAILABLE
from eams.cli.main import app
from eams.components.traps import trap_receiver_component
from eams.services import Services
from eams.settings import Settings
from inventory.db import Database
from tests.support.peers import free_port


def test_default_service_runs_no_trap_receiver(tmp_path: Path, database_url: str, db: Database) -> None:
    services = Services.from_settings(
        Settings(data_dir=tmp_path, database_url=database_url, secret_key="k"), db=db
    )
    assert trap_receiver_component(services) is None


def test_bad_trap_settings_are_refused_with_the_setting_named() -> None:
    with pytest.raises(ValidationError, match=r"trap\.v3_users\.0\.auth_key"):
        Settings(trap={"v3_users": [{"user": "u", "auth_key": "short", "priv_key": "long-enough"}]})
    with pytest.raises(ValidationError, match="needs a priv_key"):
        Settings(trap={"v3_users": [{"user": "u", "auth_key": "long-enough"}]})
    with pytest.raises(ValidationError, match="is not an engine id"):
        user = {"user": "u", "auth_key": "k" * 8, "priv_key": "p" * 8, "engine_ids": ["xyz"]}
        Settings(trap={"v3_users": [user]})
    with pytest.raises(ValidationError, match=r"trap\.listen(.|\n)*the port must be a number"):
        Settings(trap={"listen": "0.0.0.0:snmptrap"})
    assert parse_listen("0.0.0.0") == ("0.0.0.0", 162)
    assert parse_listen("[::1]:1162") == ("::1", 1162)


async def test_a_taken_port_is_a_sentence_not_a_traceback() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]

        async def ignore(_trap: object) -> None:
            return None

        receiver = TrapReceiver(TrapReceiverConfig(host="127.0.0.1", port=port), ignore)
        with pytest.raises(ReceiverError, match=f"cannot listen for SNMP traps on 127.0.0.1:{port}"):
            await receiver.start()


def test_bad_operator_mappings_stop_the_component_with_the_file_named(tmp_path: Path, db: Database) -> None:
    (tmp_path / "mine.yaml").write_text("vendor: mine\ntraps: []\n")
    config = TrapReceiverConfig(host="127.0.0.1", port=0, mappings_dirs=(tmp_path,))
    with pytest.raises(ReceiverError, match=r"mine\.yaml: traps: List should have at least 1 item"):
        TrapReceiverComponent(config, db, Pipeline())


def record(at: datetime, oid: str = "1.3.6.1.6.3.1.1.5.1") -> TrapRecord:
    return TrapRecord(
        received_at=at, source="127.0.0.1", agent_address=None, device_id=None, version="v2c",
        security_name="community-1", inform=False, trap_oid=oid, name="coldStart", mapped=True,
        severity="warning", category="operational", message="m", labels={}, varbinds=[],
    )  # fmt: skip


def test_history_is_bounded_by_age_and_count(db: Database) -> None:
    store = TrapStore(db)
    now = datetime.now(UTC)
    for minutes in (60 * 24 * 40, 60 * 24 * 31, 30, 20, 10, 5, 1):
        store.record(record(now - timedelta(minutes=minutes)))

    removed = store.prune(timedelta(days=30), max_rows=3, now=now)

    with db.session() as session:
        kept = list(session.scalars(select(TrapLog.received_at).order_by(TrapLog.received_at)))
        assert session.scalar(select(func.count()).select_from(TrapLog)) == 3
    assert removed == 4
    assert [
        round((now - (at if at.tzinfo else at.replace(tzinfo=UTC))).total_seconds() / 60) for at in kept
    ] == [10, 5, 1]


async def test_receiver_reports_its_address_and_releases_it_on_stop() -> None:
    async def ignore(_trap: object) -> None:
        return None

    receiver = TrapReceiver(TrapReceiverConfig(host="127.0.0.1", port=0, communities=("c",)), ignore)
    await receiver.start()
    host, port = receiver.address
    assert host == "127.0.0.1" and port > 0
    assert len(receiver.engine_id) >= 10
    await receiver.stop()
    with pytest.raises(ReceiverError, match="not running"):
        _ = receiver.address
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as again:
        again.bind(("127.0.0.1", port))  # released: binding it again works


def test_the_documented_sample_configuration_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EAMS_CONFIG", str(Path("collectors/traps/sample.yaml").resolve()))
    config = TrapReceiverConfig.from_section(Settings().trap)
    assert config is not None
    assert (config.host, config.port) == ("0.0.0.0", 162)
    assert [user.user for user in config.v3_users] == ["eams-traps", "eams-traps-sha2"]
    assert config.v3_users[0].engine_ids == ["80003044041234567890"]


def test_serve_refuses_a_taken_trap_port_with_a_sentence_and_exit_code(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        env = {"EAMS_DATA_DIR": str(tmp_path), "EAMS_TRAP_LISTEN": f"127.0.0.1:{port}"}
        result = CliRunner().invoke(app, ["serve", "--port", str(free_port())], env=env)
    assert result.exit_code == EXIT_UNAVAILABLE
    assert f"cannot listen for SNMP traps on 127.0.0.1:{port}" in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_preflight_names_a_bad_mapping_file(tmp_path: Path, database_url: str) -> None:
    (tmp_path / "mine.yaml").write_text("vendor: mine\ntraps:\n  - name: x\n")
    settings = Settings(
        data_dir=tmp_path, database_url=database_url, trap={"listen": "127.0.0.1:0", "mappings_dir": tmp_path}
    )
    problem = preflight(settings.trap)
    assert problem is not None and "mine.yaml: traps[0].oid: Field required" in problem
    assert preflight(Settings(data_dir=tmp_path, database_url=database_url).trap) is None
