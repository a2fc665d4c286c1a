"""The `eams` command line: help that reads well, migrations, tokens, bad settings as sentences, and
the README's first steps against a real `eams serve` process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.peers import free_port, running, tcp_open

EAMS = str(Path(sys.executable).with_name("eams"))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A clean environment: no EAMS_* settings from outside, data under this test's folder."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EAMS_")}
    return {**clean, "EAMS_DATA_DIR": str(tmp_path / "var"), "COLUMNS": "120"}


def eams(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EAMS, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60)


def test_help_names_every_command_and_how_to_start() -> None:
    result = eams("--help", env={**os.environ, "COLUMNS": "120"})
    assert result.returncode == 0
    for words in ("serve", "db", "token", "eams serve", "eams token create --role admin"):
        assert words in result.stdout
    token_help = eams("token", "create", "--help", env={**os.environ, "COLUMNS": "120"})
    assert (
        "--role" in token_help.stdout and "planner" in token_help.stdout and "--agency" in token_help.stdout
    )


def test_db_upgrade_then_tokens_are_created_listed_and_revoked(env: dict[str, str], tmp_path: Path) -> None:
    first = eams("db", "upgrade", env=env)
    assert first.returncode == 0, first.stderr
    assert "from empty to" in first.stdout and (tmp_path / "var" / "eams.sqlite3").exists()
    again = eams("db", "upgrade", env=env)
    assert again.returncode == 0 and "up to date" in again.stdout

    created = eams("token", "create", "--role", "planner", "--name", "nguyen.van.a", env=env)
    assert created.returncode == 0, created.stderr
    clear = created.stdout.strip().splitlines()[-1]
    assert clear.startswith("eams_")
    listed = eams("token", "list", env=env)
    assert "nguyen.van.a" in listed.stdout and "planner" in listed.stdout and clear not in listed.stdout
    revoked = eams("token", "revoke", "1", env=env)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    assert "yes" in eams("token", "list", env=env).stdout


@pytest.mark.parametrize(
    ("args", "extra_env", "code", "words"),
    [
        (("token", "create", "--role", "root", "--name", "x"), {}, 2, "'root' is not one of"),
        (("token", "create", "--role", "admin", "--name", "  "), {}, 2, "needs a name"),
        (("token", "create", "--role", "admin", "--name", "x", "--agency", "7"), {}, 2, "agency 7 does not"),
        (("token", "revoke", "42"), {}, 2, "no token 42"),
        (("serve",), {"EAMS_PORT": "abc"}, 3, "EAMS_PORT"),
        (
            ("db", "upgrade"),
            {"EAMS_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"},
            4,
            "cannot use the database",
        ),
    ],
)
def test_bad_input_is_a_sentence_and_an_exit_code_never_a_traceback(
    env: dict[str, str], args: tuple[str, ...], extra_env: dict[str, str], code: int, words: str
) -> None:
    result = eams(*args, env={**env, **extra_env})
    assert result.returncode == code
    output = " ".join((result.stdout + result.stderr).split())
    assert words in output
    assert "Traceback" not in output


def test_serve_refuses_a_busy_port_with_a_sentence(env: dict[str, str]) -> None:
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = eams("serve", "--port", str(port), env=env)
    assert result.returncode == 4 and "choose another --port" in " ".join(result.stderr.split())


def test_readme_first_steps_against_a_real_server(env: dict[str, str], tmp_path: Path) -> None:
    """The README's walk-through: serve, a token from the CLI, an agency, a site, a device over
    HTTP, and the device found again by a search without diacritics."""
    port = free_port()
    with running(
        [EAMS, "serve", "--port", str(port)],
        ready=lambda: tcp_open("127.0.0.1", port),
        what="eams serve",
        log_path=tmp_path / "serve.log",
        env=env,
        cwd=tmp_path,
        timeout=30,
    ):
        created = eams("token", "create", "--role", "admin", "--name", "me", env=env, cwd=tmp_path)
        token = created.stdout.strip().splitlines()[-1]
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=10) as http:
            assert httpx.get(f"{base}/healthz").json()["status"] == "ok"
            assert httpx.get(f"{base}/api/v1/devices").status_code == 401
            agency = http.post(
                "/api/v1/agencies", json={"name": "Sở Y tế", "kind": "department", "code": "SYT"}
            )
            assert agency.status_code == 201, agency.text
            site = http.post("/api/v1/sites", json={"name": "Trung tâm dữ liệu tỉnh", "kind": "data_center"})
            assert site.status_code == 201, site.text
            device = http.post(
                "/api/v1/devices",
                json={
                    "name": "sw-core-01",
                    "role": "switch",
                    "site_id": site.json()["id"],
                    "owner_agency_id": agency.json()["id"],
                    "description": "Chuyển mạch lõi",
                },
            )
            assert device.status_code == 201, device.text
            found = http.get("/api/v1/devices?q=chuyen+mach+loi").json()
            assert [d["name"] for d in found["results"]] == ["sw-core-01"]
            assert "eams_inventory_objects" in http.get("/metrics").text
    assert (tmp_path / "var" / "eams.sqlite3").exists()
