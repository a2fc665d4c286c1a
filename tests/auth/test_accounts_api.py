"""Accounts, sessions and MFA through the API in process (test_serve.py runs the same against a real
`eams serve`): the rules every path shares, and each bad input as a 4xx naming its field."""

from __future__ import annotations

import time
from collections.abc import Callable

import pyotp
import pytest
from fastapi.testclient import TestClient

from collectors.samples import Event
from eams.api.app import create_app
from eams.auth.login import LoginState
from eams.auth.service import accounts_of
from eams.auth.sessions import ClientInfo
from eams.auth.users import create_user
from eams.services import Services
from inventory.models import Agency, Role
from tests.auth.conftest import auth_config
from tests.conftest import TokenFactory, auth

PASSWORD = "Ngay-mai-troi-nang-7"
MakeUser = Callable[..., int]


@pytest.fixture
def make_user(services: Services) -> MakeUser:
    def make(
        username: str, role: Role = Role.operator, agency_id: int | None = None, **kwargs: object
    ) -> int:
        with services.db.session() as session:
            user = create_user(
                session,
                services.settings.auth,
                username=username,
                role=role,
                password=PASSWORD,
                agency_id=agency_id,
                must_change_password=bool(kwargs.get("must_change", False)),
            )
            return user.id

    return make


def _login(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, object]:
    answer = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def _csrf(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.cookies["eams_csrf"]}


def test_cookies_are_secure_when_the_public_url_is_https(services: Services, make_user: MakeUser) -> None:
    services.settings.public_url = "https://eams.sonlam.gov.vn"
    make_user("an.toan")
    with TestClient(create_app(services, background=False), base_url="https://testserver") as client:
        answer = client.post("/api/v1/auth/login", json={"username": "an.toan", "password": PASSWORD})
        cookies = answer.headers.get_list("set-cookie")
        assert len(cookies) == 2 and all("Secure" in c and "SameSite=lax" in c for c in cookies)


def test_growing_delay_then_lockout(services: Services, make_user: MakeUser) -> None:
    services.settings.auth = auth_config(delay_base_s=2, max_failures=4)
    services.extras.clear()
    make_user("cham.cham")
    accounts = accounts_of(services)
    client = ClientInfo(address="127.0.0.9")
    first = accounts.authenticate("cham.cham", "sai-1", client)
    assert first.state is LoginState.bad_credentials  # one typo costs no wait
    second = accounts.authenticate("cham.cham", "sai-2", client)
    assert second.state is LoginState.bad_credentials
    early = accounts.authenticate("cham.cham", PASSWORD, client)
    assert early.state is LoginState.locked and 0 < (early.retry_after_s or 0) <= 2
    assert early.session is None  # refused before the password was even checked


def test_login_failed_events_reach_the_pipeline_and_mark_a_burst(
    services: Services, make_user: MakeUser
) -> None:
    services.settings.auth = auth_config(alert_burst=2)
    services.extras.clear()
    make_user("bi.do")
    seen: list[Event] = []

    class Collect:
        async def consume_event(self, event: Event) -> None:
            seen.append(event)

    services.pipeline.add_event_consumer(Collect())
    with TestClient(create_app(services, background=False)) as client:
        for attempt in range(2):
            client.post("/api/v1/auth/login", json={"username": "bi.do", "password": f"sai-{attempt}"})
        _login(client, "bi.do")
    assert [(e.kind, e.name) for e in seen] == [("auth", "login_failed")] * 2  # success sends none
    assert [e.labels["burst"] for e in seen] == ["false", "true"]
    assert seen[0].labels["username"] == "bi.do" and seen[0].source == "testclient"


def test_a_role_that_requires_mfa_must_enrol_before_anything_else(
    services: Services, make_user: MakeUser
) -> None:
    services.settings.auth = auth_config(mfa_required_roles=["admin"])
    services.extras.clear()
    make_user("quan.tri", Role.admin)
    with TestClient(create_app(services, background=False)) as client:
        assert _login(client, "quan.tri")["state"] == "mfa_enrolment_required"
        assert client.get("/api/v1/devices").status_code == 403
        seed = client.post("/api/v1/auth/mfa/enrol", headers=_csrf(client)).json()["secret"]
        confirm = client.post(
            "/api/v1/auth/mfa/confirm", json={"code": pyotp.TOTP(seed).now()}, headers=_csrf(client)
        )
        assert confirm.status_code == 200
        assert client.get("/api/v1/devices").status_code == 200
        off = client.post("/api/v1/auth/mfa/disable", json={"code": "123456"}, headers=_csrf(client))
        assert off.status_code == 403 and off.json()["field"] == "mfa"  # the role requires it
    with TestClient(create_app(services, background=False)) as client:
        challenge = _login(client, "quan.tri")
        assert challenge["state"] == "mfa_required"
        code = pyotp.TOTP(seed).at(time.time() + 30)
        done = client.post("/api/v1/auth/login/mfa", json={"challenge": challenge["challenge"], "code": code})
        assert done.status_code == 200 and done.json()["state"] == "ok"


def test_sign_out_everywhere_ends_every_session(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    make_user("di.dong")
    app = client.app
    with TestClient(app) as phone, TestClient(app) as laptop:
        _login(phone, "di.dong")
        _login(laptop, "di.dong")
        ended = laptop.post("/api/v1/auth/logout-all", headers=_csrf(laptop))
        assert ended.json() == {"ended": 2}
        assert phone.get("/api/v1/auth/me").status_code == 401
        assert laptop.get("/api/v1/auth/me").status_code == 401


def test_ending_my_other_sessions_keeps_this_one(
    client: TestClient, make_user: MakeUser, make_token: TokenFactory
) -> None:
    make_user("ba.may")
    app = client.app
    with TestClient(app) as phone, TestClient(app) as laptop, TestClient(app) as desk:
        for one in (phone, laptop, desk):
            _login(one, "ba.may")
        assert laptop.delete("/api/v1/auth/sessions").status_code == 403  # a cookie needs its CSRF token
        ended = laptop.delete("/api/v1/auth/sessions", headers=_csrf(laptop))
        assert ended.status_code == 200 and ended.json() == {"ended": 2}
        assert phone.get("/api/v1/auth/me").status_code == 401
        assert desk.get("/api/v1/auth/me").status_code == 401
        assert laptop.get("/api/v1/auth/me").status_code == 200
        assert [s["current"] for s in laptop.get("/api/v1/auth/sessions").json()] == [True]
        again = laptop.delete("/api/v1/auth/sessions", headers=_csrf(laptop))
        assert again.json() == {"ended": 0}
    token = make_token(Role.operator, "script-sessions")
    refused = client.delete("/api/v1/auth/sessions", headers=auth(token))
    assert refused.status_code == 400 and "token" in refused.text  # a token has no sessions


def test_bearer_callers_are_not_signed_out_and_need_no_csrf(
    client: TestClient, make_token: TokenFactory
) -> None:
    token = make_token(Role.operator, "script")
    me = client.get("/api/v1/auth/me", headers=auth(token)).json()
    assert me["kind"] == "token" and me["name"] == "script" and me["csrf_token"] is None
    refused = client.post("/api/v1/auth/logout", headers=auth(token))
    assert refused.status_code == 400
    created = client.post("/api/v1/sites", json={"name": "DR", "kind": "dr_site"}, headers=auth(token))
    assert created.status_code == 201


def test_user_admin_refuses_bad_input_naming_the_field(admin: TestClient, services: Services) -> None:
    body = {"username": "moi.vao", "role": "planner", "password": PASSWORD}
    created = admin.post("/api/v1/users", json=body)
    assert created.status_code == 201, created.text
    assert (
        PASSWORD not in created.text and "password_hash" not in created.text and "$argon2" not in created.text
    )
    cases = [
        ({**body}, 409, "username"),
        ({**body, "username": "khac", "role": "collector"}, 422, "role"),
        ({**body, "username": "Bad Name!"}, 422, "username"),
        ({**body, "username": "khac", "password": "123"}, 422, "password"),
        ({**body, "username": "khac", "agency_id": 999}, 422, "agency_id"),
        ({**body, "username": "khac", "language": "fr"}, 422, "language"),
    ]
    for payload, status, field in cases:
        answer = admin.post("/api/v1/users", json=payload)
        assert answer.status_code == status, (payload, answer.text)
        assert field in (answer.json().get("field") or answer.text), answer.text
    assert admin.get("/api/v1/users/999").status_code == 404
    assert admin.patch(f"/api/v1/users/{created.json()['id']}", json={"role": "root"}).status_code == 422


def test_a_scoped_admin_manages_only_accounts_inside_its_agency(
    client: TestClient, make_token: TokenFactory, services: Services, make_user: MakeUser
) -> None:
    with services.db.session() as session:
        syt = Agency(name="Sở Y tế", kind="department", code="SYT")
        sxd = Agency(name="Sở Xây dựng", kind="department", code="SXD")
        session.add_all([syt, sxd])
        session.flush()
        syt_id, sxd_id = syt.id, sxd.id
    inside = make_user("trong.so", agency_id=syt_id)
    outside = make_user("ngoai.so", agency_id=sxd_id)
    token = auth(make_token(Role.admin, "admin-syt", agency_id=syt_id))
    listed = client.get("/api/v1/users", headers=token).json()
    assert [u["username"] for u in listed["results"]] == ["trong.so"]
    assert client.get(f"/api/v1/users/{outside}", headers=token).status_code == 404
    assert client.post(f"/api/v1/users/{inside}/disable", headers=token).status_code == 200
    wider = client.post(
        "/api/v1/users", json={"username": "rong", "role": "admin", "password": PASSWORD}, headers=token
    )
    assert wider.status_code == 403 and wider.json()["field"] == "agency_id"
    moved = client.patch(f"/api/v1/users/{inside}", json={"agency_id": sxd_id}, headers=token)
    assert moved.status_code == 403
