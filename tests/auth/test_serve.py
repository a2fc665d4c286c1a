"""People sign in to a real `eams serve` (and a real OpenLDAP slapd): the issue's "done means".

One server for the module, on SQLite in the test's folder; each test makes its own accounts. The
server's database is read and changed directly only where a test must stand in for time passing
(an idle session, an ended lockout) or for someone tampering with the audit log. The last test
scans every answer, the server's log, the change log and the audit log for any secret used.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pyotp
import pytest

from tests.support.ldap import DIRECTORY, Slapd, running_slapd
from tests.support.peers import free_port, running, tcp_open, wait_until

EAMS = str(Path(sys.executable).with_name("eams"))
MAX_FAILURES = 3


@dataclass
class Server:
    base: str
    env: dict[str, str]
    cwd: Path
    database: Path
    log: Path
    admin_token: str
    slapd: Slapd
    answers: list[str] = field(default_factory=list)  # every body the server sent
    one_time_answers: list[str] = field(default_factory=list)  # the enrolment and recovery codes
    secrets: set[str] = field(default_factory=set)  # every password, seed and session id used
    cli_output: list[str] = field(default_factory=list)

    def eams(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [EAMS, *args], env=self.env, cwd=self.cwd, input=stdin, capture_output=True, text=True, timeout=60
        )
        self.cli_output.append(result.stdout + result.stderr)
        return result

    def client(self, **kwargs: object) -> httpx.Client:
        def keep(response: httpx.Response) -> None:
            response.read()
            self.answers.append(response.text)
            session_id = response.cookies.get("eams_session")
            if session_id:
                self.secrets.add(session_id)

        return httpx.Client(base_url=self.base, timeout=60, event_hooks={"response": [keep]}, **kwargs)  # type: ignore[arg-type]

    def admin(self) -> httpx.Client:
        return self.client(headers={"Authorization": f"Bearer {self.admin_token}"})

    def sql(self, statement: str, *params: object) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.database) as connection:
            rows = connection.execute(statement, params).fetchall()
            connection.commit()
        return rows


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("auth-serve")
    with running_slapd(folder / "slapd") as slapd:
        port = free_port()
        clean = {k: v for k, v in os.environ.items() if not k.startswith("EAMS_")}
        suffix = slapd.suffix
        ldap = json.dumps(
            {
                "url": slapd.url,
                "bind_dn_template": f"uid={{username}},ou=people,{suffix}",
                "user_base": f"ou=people,{suffix}",
                "group_base": f"ou=groups,{suffix}",
                "group_mappings": [
                    {"group": slapd.group_dn("eams-admins"), "role": "admin"},
                    {"group": slapd.group_dn("eams-planners-syt"), "role": "planner", "agency": "SYT"},
                ],
            }
        )
        env = {
            **clean,
            "EAMS_DATA_DIR": str(folder / "var"),
            "EAMS_SNMP_POLLING": "off",
            "COLUMNS": "200",
            # A cheaper Argon2 than production's (bench/auth measures the real one).
            "EAMS_AUTH_ARGON2_TIME_COST": "1",
            "EAMS_AUTH_ARGON2_MEMORY_KIB": "8192",
            "EAMS_AUTH_MAX_FAILURES": str(MAX_FAILURES),
            "EAMS_AUTH_ADDRESS_MAX_FAILURES": "100",  # every test signs in from 127.0.0.1
            "EAMS_AUTH_DELAY_BASE_S": "0",
            "EAMS_AUTH_ALERT_BURST": str(MAX_FAILURES),
            "EAMS_AUTH_LDAP": ldap,
        }
        log = folder / "serve.log"
        with running(
            [EAMS, "serve", "--port", str(port)],
            ready=lambda: tcp_open("127.0.0.1", port),
            what="eams serve",
            log_path=log,
            env=env,
            cwd=folder,
            timeout=60,
        ):
            base = f"http://127.0.0.1:{port}"
            wait_until(lambda: _healthy(base), 60, "eams serve health")
            created = subprocess.run(
                [EAMS, "token", "create", "--role", "admin", "--name", "auth-tests"],
                env=env, cwd=folder, capture_output=True, text=True, timeout=60, check=True,
            )  # fmt: skip
            token = created.stdout.strip().splitlines()[-1]
            found = Server(base, env, folder, folder / "var" / "eams.sqlite3", log, token, slapd)
            found.secrets.update({token, *(password for _, password, _ in DIRECTORY.values())})
            with found.admin() as http:
                for code, name in (("SYT", "Sở Y tế"), ("SXD", "Sở Xây dựng")):
                    agency = http.post(
                        "/api/v1/agencies", json={"name": name, "kind": "department", "code": code}
                    )
                    assert agency.status_code == 201, agency.text
                    device = http.post(
                        "/api/v1/devices",
                        json={
                            "name": f"sw-{code.lower()}",
                            "role": "switch",
                            "owner_agency_id": agency.json()["id"],
                        },
                    )
                    assert device.status_code == 201, device.text
            yield found


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=20).status_code == 200
    except httpx.TransportError:
        return False


def _agency_id(server: Server, code: str) -> int:
    with server.admin() as http:
        return int(http.get("/api/v1/agencies", params={"code": code}).json()["results"][0]["id"])


def make_user(server: Server, username: str, role: str = "operator", agency: str | None = None) -> str:
    """An account made with the CLI (password on stdin), its password already changed by its
    owner; returns the password."""
    tag = zlib.crc32(username.encode())  # the policy refuses a password that contains the username
    first = f"Mat-khau-dau-{tag}-1"
    args = ["user", "create", username, "--role", role, "--full-name", username, "--password-stdin"]
    result = server.eams(*args, *(["--agency", agency] if agency else []), stdin=first + "\n")
    assert result.returncode == 0, result.stderr
    chosen = f"Mat-khau-rieng-{tag}-2"
    server.secrets.update({first, chosen})
    with server.client() as http:
        answer = sign_in(http, username, first)
        assert answer["state"] == "password_change_required"
        changed = http.post(
            "/api/v1/auth/password",
            json={"current_password": first, "new_password": chosen},
            headers=csrf(http),
        )
        assert changed.status_code == 204, changed.text
        assert http.post("/api/v1/auth/logout", headers=csrf(http)).status_code == 204
    return chosen


def sign_in(http: httpx.Client, username: str, password: str, **extra: str) -> dict[str, object]:
    answer = http.post("/api/v1/auth/login", json={"username": username, "password": password, **extra})
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def csrf(http: httpx.Client) -> dict[str, str]:
    return {"X-CSRF-Token": http.cookies["eams_csrf"]}


def test_sign_in_gives_a_hardened_cookie_and_the_first_sign_in_must_change_the_password(
    server: Server,
) -> None:
    server.eams(
        "user", "create", "nguyen.van.a", "--role", "admin", "--password-stdin", stdin="Lan-dau-Dang-Nhap-9\n"
    )
    server.secrets.add("Lan-dau-Dang-Nhap-9")
    with server.client() as http:
        wrong = http.post(
            "/api/v1/auth/login", json={"username": "nguyen.van.a", "password": "not-the-password"}
        )
        assert wrong.status_code == 401
        assert "eams_session" not in wrong.cookies
        answer = http.post(
            "/api/v1/auth/login", json={"username": "NGUYEN.VAN.A", "password": "Lan-dau-Dang-Nhap-9"}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["state"] == "password_change_required"
        cookies = answer.headers.get_list("set-cookie")
        session_cookie = next(c for c in cookies if c.startswith("eams_session="))
        csrf_cookie = next(c for c in cookies if c.startswith("eams_csrf="))
        assert "HttpOnly" in session_cookie and "samesite=lax" in session_cookie.lower()
        assert "Secure" not in session_cookie  # EAMS_PUBLIC_URL is not https here
        assert "HttpOnly" not in csrf_cookie  # scripts read it to echo it
        # Until the password is changed, the session reaches nothing else.
        refused = http.get("/api/v1/devices")
        assert refused.status_code == 403 and "password_change" in refused.json()["detail"]
        common = http.post(
            "/api/v1/auth/password",
            json={"current_password": "Lan-dau-Dang-Nhap-9", "new_password": "matkhau2024!"},
            headers=csrf(http),
        )
        assert common.status_code == 422 and common.json()["field"] == "new_password"
        changed = http.post(
            "/api/v1/auth/password",
            json={"current_password": "Lan-dau-Dang-Nhap-9", "new_password": "Mat-khau-Moi-Cua-A-7"},
            headers=csrf(http),
        )
        server.secrets.add("Mat-khau-Moi-Cua-A-7")
        assert changed.status_code == 204, changed.text
        me = http.get("/api/v1/auth/me").json()
        assert me["kind"] == "session" and me["role"] == "admin" and me["restrictions"] == []
        assert http.get("/api/v1/devices").json()["count"] == 2
        # Bearer calls stay as they were: no cookie, no CSRF token.
    with server.admin() as http:
        assert http.post("/api/v1/sites", json={"name": "TTDL", "kind": "data_center"}).status_code == 201


def test_a_forged_form_post_is_refused_and_the_real_token_is_accepted(server: Server) -> None:
    password = make_user(server, "van.hanh", role="operator")
    with server.client() as http:
        sign_in(http, "van.hanh", password)
        # What another site's page can make the browser send: a form post with the cookie.
        forged = http.post("/api/v1/sites", data={"name": "Giả mạo", "kind": "data_center"})
        assert forged.status_code == 403 and forged.json()["field"] == "X-CSRF-Token"
        guessed = http.post(
            "/api/v1/sites",
            json={"name": "Giả mạo", "kind": "data_center"},
            headers={"X-CSRF-Token": "0" * 64},
        )
        assert guessed.status_code == 403
        real = http.post(
            "/api/v1/sites", json={"name": "Phòng máy Sở Y tế", "kind": "server_room"}, headers=csrf(http)
        )
        assert real.status_code == 201, real.text
        # A page's form carries the token as a field instead of a header.
        signed_out = http.post("/api/v1/auth/logout", data={"csrf_token": http.cookies["eams_csrf"]})
        assert signed_out.status_code == 204
        assert http.get("/api/v1/auth/me").status_code == 401
    with server.admin() as http:
        sites = http.get("/api/v1/sites", params={"name": "Giả mạo"}).json()
        assert sites["count"] == 0
        refused = http.get("/api/v1/audit", params={"action": "sites.create", "outcome": "refused"}).json()
        assert refused["count"] >= 1 and refused["results"][0]["actor"] == "user:van.hanh"


def test_failures_lock_the_account_and_the_lockout_is_released(server: Server) -> None:
    password = make_user(server, "khoa.thu")
    with server.client() as http:
        for attempt in range(MAX_FAILURES):
            answer = http.post(
                "/api/v1/auth/login", json={"username": "khoa.thu", "password": f"sai-{attempt}"}
            )
            assert answer.status_code == (429 if attempt == MAX_FAILURES - 1 else 401), answer.text
        locked = http.post("/api/v1/auth/login", json={"username": "khoa.thu", "password": password})
        assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
        # An admin releases it ...
        released = server.eams("user", "unlock", "khoa.thu")
        assert released.returncode == 0, released.stderr
        assert sign_in(http, "khoa.thu", password)["state"] == "ok"
        # ... or time does: the lockout's end, moved into the past.
        for attempt in range(MAX_FAILURES):
            http.post("/api/v1/auth/login", json={"username": "khoa.thu", "password": f"sai-lai-{attempt}"})
        assert (
            http.post("/api/v1/auth/login", json={"username": "khoa.thu", "password": password}).status_code
            == 429
        )
        past = "2000-01-01 00:00:00.000000"
        server.sql("UPDATE login_throttle SET locked_until = ? WHERE key = 'user:khoa.thu'", past)
        assert sign_in(http, "khoa.thu", password)["state"] == "ok"
    # The burst of failures became a security alert, and every attempt is in the audit log.
    with server.admin() as http:

        def alerted() -> bool:
            found = http.get("/api/v1/alerts", params={"rule_name": "login-failed-burst"}).json()
            return found["count"] >= 1

        wait_until(alerted, 15, "the login-failed-burst alert")
        alert = http.get("/api/v1/alerts", params={"rule_name": "login-failed-burst"}).json()["results"][0]
        assert alert["category"] == "security" and "khoa.thu" in alert["summary"]
        attempts = http.get("/api/v1/audit", params={"action": "login", "actor": "user:khoa.thu"}).json()
        seen = {r["outcome"] for r in attempts["results"]}
        assert {"ok", "failed", "locked"} <= seen
        assert all(r["address"] == "127.0.0.1" for r in attempts["results"])


def test_mfa_enrolment_and_sign_in_with_a_code_computed_here(server: Server) -> None:
    password = make_user(server, "bao.mat", role="security")
    with server.client() as http:
        sign_in(http, "bao.mat", password)
        enrolment = http.post("/api/v1/auth/mfa/enrol", headers=csrf(http))
        assert enrolment.status_code == 200, enrolment.text
        server.one_time_answers.append(enrolment.text)
        seed = enrolment.json()["secret"]
        server.secrets.add(seed)
        assert enrolment.json()["qr_svg"].lstrip().startswith("<svg")
        assert enrolment.json()["otpauth_uri"].startswith("otpauth://totp/EAMS:bao.mat?")
        totp = pyotp.TOTP(seed)
        confirmed = http.post("/api/v1/auth/mfa/confirm", json={"code": totp.now()}, headers=csrf(http))
        assert confirmed.status_code == 200, confirmed.text
        server.one_time_answers.append(confirmed.text)
        recovery = confirmed.json()["recovery_codes"]
        server.secrets.update(recovery)
        assert len(recovery) == 10 and len(set(recovery)) == 10
        http.post("/api/v1/auth/logout", headers=csrf(http))
    with server.client() as http:
        first = sign_in(http, "bao.mat", password)
        assert first["state"] == "mfa_required" and "eams_session" not in http.cookies
        challenge = str(first["challenge"])
        server.secrets.add(challenge)
        server.one_time_answers.append(server.answers[-1])  # the challenge is given this once
        wrong = http.post("/api/v1/auth/login/mfa", json={"challenge": challenge, "code": "000000"})
        assert wrong.status_code == 401
        # The confirmation used this step's code; the next step's is also accepted (clock drift).
        code = totp.at(time.time() + 30)
        done = http.post("/api/v1/auth/login/mfa", json={"challenge": challenge, "code": code})
        assert done.status_code == 200 and done.json()["state"] == "ok", done.text
        assert http.get("/api/v1/auth/me").json()["user"]["mfa_enabled"] is True
        again = http.post(
            "/api/v1/auth/login", json={"username": "bao.mat", "password": password, "code": code}
        )
        assert again.status_code == 401  # a code is good once
    with server.client() as http:
        answer = sign_in(http, "bao.mat", password, code=recovery[0])
        assert answer["state"] == "ok"
        spent = http.post(
            "/api/v1/auth/login", json={"username": "bao.mat", "password": password, "code": recovery[0]}
        )
        assert spent.status_code == 401


def test_idle_and_absolute_timeouts_end_a_session(server: Server) -> None:
    password = make_user(server, "het.han")
    with server.client() as idle, server.client() as old:
        sign_in(idle, "het.han", password)
        sign_in(old, "het.han", password)
        assert idle.get("/api/v1/auth/me").status_code == 200
        sessions = idle.get("/api/v1/auth/sessions").json()
        assert len(sessions) == 2 and sum(s["current"] for s in sessions) == 1
        current = next(s["id"] for s in sessions if s["current"])
        other = next(s["id"] for s in sessions if not s["current"])
        # Unused for longer than the idle timeout (30 min by default) ...
        server.sql(
            "UPDATE user_session SET last_seen_at = '2000-01-01 00:00:00.000000' WHERE id = ?", current
        )
        assert idle.get("/api/v1/auth/me").status_code == 401
        # ... or past its absolute end, however busy.
        assert old.get("/api/v1/auth/me").status_code == 200
        server.sql("UPDATE user_session SET expires_at = '2000-01-01 00:00:00.000000' WHERE id = ?", other)
        assert old.get("/api/v1/auth/me").status_code == 401


def test_a_disabled_users_session_stops_at_once(server: Server) -> None:
    password = make_user(server, "se.nghi")
    with server.client() as http:
        sign_in(http, "se.nghi", password)
        assert http.get("/api/v1/devices").status_code == 200
        user_id = http.get("/api/v1/auth/me").json()["user"]["id"]
        with server.admin() as admin:
            assert admin.post(f"/api/v1/users/{user_id}/disable").status_code == 200
        assert http.get("/api/v1/devices").status_code == 401
        refused = http.post("/api/v1/auth/login", json={"username": "se.nghi", "password": password})
        assert refused.status_code == 401
    password = make_user(server, "nghi.viec")
    with server.client() as http:
        sign_in(http, "nghi.viec", password)
        assert server.eams("user", "disable", "nghi.viec").returncode == 0
        assert http.get("/api/v1/devices").status_code == 401


def test_a_scoped_planners_session_sees_only_its_agency(server: Server) -> None:
    password = make_user(server, "ke.hoach.syt", role="planner", agency="SYT")
    with server.client() as http:
        sign_in(http, "ke.hoach.syt", password)
        me = http.get("/api/v1/auth/me").json()
        assert me["agency_ids"] == [_agency_id(server, "SYT")]
        devices = http.get("/api/v1/devices").json()
        assert [d["name"] for d in devices["results"]] == ["sw-syt"]
        with server.admin() as admin:
            other = admin.get("/api/v1/devices", params={"name": "sw-sxd"}).json()["results"][0]["id"]
        assert http.get(f"/api/v1/devices/{other}").status_code == 404
        write = http.post("/api/v1/sites", json={"name": "x", "kind": "data_center"}, headers=csrf(http))
        assert write.status_code == 403  # a planner reads only


def test_ldap_sign_in_maps_groups_to_role_and_agency(server: Server) -> None:
    with server.client() as http:
        admin = sign_in(http, "tran.thi.b", DIRECTORY["tran.thi.b"][1])
        assert admin["state"] == "ok"
        user = admin["user"]
        assert isinstance(user, dict)
        assert user["source"] == "ldap" and user["role"] == "admin" and user["full_name"] == "Trần Thị B"
        assert user["email"] == "tran.thi.b@sonlam.gov.vn" and user["agency_id"] is None
    with server.client() as http:
        planner = sign_in(http, "le.van.c", DIRECTORY["le.van.c"][1])
        user = planner["user"]
        assert isinstance(user, dict)
        assert user["role"] == "planner" and user["agency_id"] == _agency_id(server, "SYT")
        assert [d["name"] for d in http.get("/api/v1/devices").json()["results"]] == ["sw-syt"]
    with server.client() as http:
        unmapped = http.post(
            "/api/v1/auth/login", json={"username": "pham.van.d", "password": DIRECTORY["pham.van.d"][1]}
        )
        assert unmapped.status_code == 401  # the password is right, but no group gives a role
        wrong = http.post("/api/v1/auth/login", json={"username": "le.van.c", "password": "wrong password"})
        assert wrong.status_code == 401


def test_audit_visibility_and_csv_export(server: Server) -> None:
    password = make_user(server, "kiem.toan", role="planner", agency="SXD")
    with server.admin() as admin:
        everything = admin.get("/api/v1/audit", params={"limit": 1000}).json()
        actions = {r["action"] for r in everything["results"]}
        assert {"login", "logout", "user.create", "user.disable", "user.unlock", "password.change"} <= actions
        assert {"mfa.enrol", "mfa.confirm", "agencies.create", "devices.create", "sites.create"} <= actions
        device_write = next(r for r in everything["results"] if r["action"] == "devices.create")
        assert device_write["object_type"] == "device" and device_write["object_id"] is not None
        assert device_write["request_id"] and device_write["actor"] == "token:auth-tests"
        exported = admin.get("/api/v1/audit/export.csv", params={"action": "login"})
        assert exported.status_code == 200 and exported.text.startswith("\ufeffSố / No.,Thời gian")
        assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", exported.text)
    with server.client() as http:
        sign_in(http, "kiem.toan", password)
        mine = http.get("/api/v1/audit", params={"limit": 1000}).json()["results"]
        sxd = _agency_id(server, "SXD")
        assert mine and all(
            r["actor_user_id"] == mine[0]["actor_user_id"] or r["agency_id"] == sxd for r in mine
        )
        assert any(r["object_type"] == "device" and r["agency_id"] == sxd for r in mine)  # sw-sxd's creation
        assert not any(r["actor"] == "user:khoa.thu" for r in mine)


def test_the_audit_chain_verifies_and_fails_after_a_row_is_altered(server: Server) -> None:
    intact = server.eams("audit", "verify")
    assert intact.returncode == 0, intact.stderr
    with server.admin() as admin:
        assert admin.get("/api/v1/audit/verify").json()["ok"] is True
        target = admin.get(
            "/api/v1/audit", params={"action": "login", "outcome": "failed", "limit": 1}
        ).json()["results"][0]
    server.sql("UPDATE audit_record SET outcome = 'ok' WHERE id = ?", target["id"])
    tampered = server.eams("audit", "verify")
    assert tampered.returncode == 5
    assert f"record {target['id']}" in tampered.stderr
    with server.admin() as admin:
        report = admin.get("/api/v1/audit/verify").json()
        assert report["ok"] is False and report["bad_id"] == target["id"]


def test_no_secret_appears_in_answers_logs_change_log_or_audit_log(server: Server) -> None:
    """Runs last: everything the other tests sent and received is scanned for every password,
    hash, TOTP seed, recovery code and session id they used."""
    stored_hashes = {
        row[0] for row in server.sql("SELECT password_hash FROM app_user WHERE password_hash IS NOT NULL")
    }
    stored_hashes |= {row[0] for row in server.sql("SELECT code_hash FROM mfa_recovery_code")}
    sealed = {row[0] for row in server.sql("SELECT totp_secret FROM app_user WHERE totp_secret IS NOT NULL")}
    digests = {row[0] for row in server.sql("SELECT digest FROM user_session")}
    found = server.secrets | {str(v) for v in stored_hashes | sealed | digests}
    forbidden = {s for s in found if len(s) >= 6}
    assert len(forbidden) > 20  # the run really used passwords, seeds, codes and sessions
    with server.admin() as admin:
        changes = admin.get("/api/v1/changes", params={"limit": 1000}).text
        audit = admin.get("/api/v1/audit", params={"limit": 1000}).text
    places = {
        "API answers": [a for a in server.answers if a not in server.one_time_answers],
        "the server's log": [server.log.read_text(errors="replace")],
        "the CLI's output": server.cli_output,
        "the change log": [changes, repr(server.sql("SELECT * FROM object_change"))],
        "the audit log": [audit, repr(server.sql("SELECT * FROM audit_record"))],
    }
    for where, texts in places.items():
        for text in texts:
            leaked = [s for s in forbidden if s in text]
            assert not leaked, f"{len(leaked)} secret(s) in {where}: {[s[:4] + '…' for s in leaked]}"
