"""The pages as a browser sees them (HTML over HTTP, without JavaScript): who sees what, the same
filters and scope as the API, forms that write through the API's checks, the catalogue's words."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from eams.alerts.models import Alert, Silence
from eams.auth import create_token
from eams.services import Services
from inventory.models import Device, Role
from tests.web.conftest import SignIn, csrf_of


def device_names(html: str) -> list[str]:
    return re.findall(r'<a href="/devices/\d+">([^<]+)</a>', html)


def add_alert(
    services: Services,
    *,
    category: str,
    device: str = "dc-fw-01",
    rule: str = "fw-attack",
    started_at: dt.datetime | None = None,
) -> int:
    with services.db.session() as session:
        device_id = session.scalar(select(Device.id).where(Device.name == device))
        now = started_at or dt.datetime.now(dt.UTC)
        alert = Alert(
            # 32 characters, as the engine's own (the column's width on PostgreSQL).
            fingerprint=hashlib.sha256(f"{rule}|{device}|{category}".encode()).hexdigest()[:32],
            rule_name=rule,
            rule_kind="event",
            category=category,
            severity="critical",
            device_id=device_id,
            labels={"alertname": rule, "device": device},
            state="firing",
            summary=f"{rule} on {device}",
            summary_vi=f"{rule} trên {device}",
            started_at=now,
            firing_at=now,
        )
        session.add(alert)
        session.flush()
        return alert.id


def test_pages_ask_for_sign_in_and_refuse_an_unknown_token(sign_in: SignIn) -> None:
    client = sign_in("planner")
    anonymous = TestClient(client.app)
    answer = anonymous.get("/devices?role=switch", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/devices"
    refused = anonymous.post("/login", data={"token": "eams_nope", "next": "/"})
    assert refused.status_code == 401
    assert "Mã truy cập không tồn tại" in refused.text


def test_each_role_sees_only_its_menu_and_pages(sign_in: SignIn) -> None:
    planner, security, admin = sign_in("planner"), sign_in("security"), sign_in("admin")
    home = planner.get("/").text
    assert 'href="/reports"' in home and 'href="/alerts"' not in home and 'href="/admin"' not in home
    assert planner.get("/alerts").status_code == 403
    assert planner.get("/admin").status_code == 403
    assert "Vai trò của bạn không xem được cảnh báo" in planner.get("/alerts").text
    assert 'href="/alerts"' in security.get("/").text
    assert security.get("/admin").status_code == 403
    assert 'href="/admin"' in admin.get("/").text and admin.get("/admin").status_code == 200
    # A planner may not write: no import button, and the import page is not there for them.
    assert 'href="/devices/import"' not in planner.get("/devices").text
    assert planner.get("/devices/import").status_code == 404


def test_a_scoped_planner_never_sees_another_districts_rows(sign_in: SignIn) -> None:
    scoped = sign_in("planner", agency_code="SL.HLS")
    assert device_names(scoped.get("/devices").text) == ["hls-sw-old-01"]
    assert scoped.get("/devices/1").status_code == 404  # dc-core-sw-01 belongs to another agency
    exported = scoped.get("/devices/export.csv").content.decode("utf-8-sig")
    assert [row["name"] for row in csv.DictReader(io.StringIO(exported))] == ["hls-sw-old-01"]
    tree = scoped.get("/agencies").text
    assert "UBND huyện Lâm Sơn" in tree and "Sở Y tế" not in tree
    assert scoped.get("/agencies/7").status_code == 404
    own = scoped.get("/agencies/13").text  # its parent, the province, is outside its scope: not named
    assert "UBND thị trấn Lâm Sơn" in own and "Ủy ban nhân dân tỉnh Sơn Lâm" not in own
    portfolio = scoped.get("/reports/portfolio").text
    assert "UBND huyện Lâm Sơn" in portfolio and "Sở Y tế" not in portfolio


def test_search_without_diacritics_finds_a_vietnamese_description(sign_in: SignIn) -> None:
    client = sign_in("operator")
    assert device_names(client.get("/devices", params={"q": "bo dinh tuyen bien"}).text) == ["dc-edge-rt-01"]
    found = client.get("/systems", params={"q": "cong dich vu cong"}).text
    assert "Cổng dịch vụ công" in found


def test_the_list_is_the_apis_list_and_the_export_is_exactly_its_rows(
    sign_in: SignIn, example_services: Services
) -> None:
    client = sign_in("planner")
    page = client.get("/devices", params={"warranty": "expired", "role": "switch", "ordering": "name"}).text
    today = dt.date.today()
    with example_services.db.session() as session:
        expected = list(
            session.scalars(
                select(Device.name)
                .where(Device.warranty_end < today, Device.role == "switch")
                .order_by(Device.name)
            )
        )
    assert expected and device_names(page) == expected
    exported = client.get("/devices/export.csv", params={"warranty": "expired", "role": "switch"})
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [row["name"] for row in rows] == expected
    # An unknown filter is refused as the API refuses it, naming the parameter.
    refused = client.get("/devices", params={"colour": "red"})
    assert refused.status_code == 400 and "colour" in refused.text


def test_paging_happens_on_the_server(sign_in: SignIn) -> None:
    client = sign_in("planner")
    first = device_names(client.get("/devices", params={"limit": 10, "ordering": "name"}).text)
    second = device_names(client.get("/devices", params={"limit": 10, "offset": 10, "ordering": "name"}).text)
    assert len(first) == 10 and len(second) == 10 and not set(first) & set(second)
    assert 'rel="next"' in client.get("/devices", params={"limit": 10}).text


def test_a_csv_import_with_one_bad_row_writes_nothing_and_lists_the_rows(
    sign_in: SignIn, example_services: Services
) -> None:
    client = sign_in("operator")
    token = csrf_of(client.get("/devices/import").text)
    before = count_devices(example_services)
    bad = "name,role,site\nweb-new-01,switch,\nweb-new-02,toaster,\n"
    answer = client.post(
        "/devices/import",
        data={"csrf_token": token, "mode": "create"},
        files={"file": ("devices.csv", bad.encode(), "text/csv")},
    )
    assert answer.status_code == 422
    assert "Không có dữ liệu nào được nhập" in answer.text
    assert re.search(r'<td class="num">3</td><td>role</td>', answer.text), answer.text
    assert count_devices(example_services) == before
    good = "name,role\nweb-new-01,switch\n"
    answer = client.post(
        "/devices/import",
        data={"csrf_token": token, "mode": "create"},
        files={"file": ("devices.csv", good.encode(), "text/csv")},
    )
    assert answer.status_code == 200 and count_devices(example_services) == before + 1
    assert "thêm mới 1, cập nhật 0, không đổi 0" in answer.text  # the rows an upsert left alone, too


def count_devices(services: Services) -> int:
    with services.db.session() as session:
        return session.scalar(select(func.count()).select_from(Device)) or 0


def test_a_form_post_without_the_csrf_token_is_refused(sign_in: SignIn, example_services: Services) -> None:
    alert_id = add_alert(example_services, category="security", rule="forged-ack")
    client = sign_in("security")
    answer = client.post(f"/alerts/{alert_id}/ack", data={"comment": "forged"})
    assert answer.status_code == 403 and "Biểu mẫu đã hết hạn" in answer.text
    answer = client.post(f"/alerts/{alert_id}/ack", data={"comment": "forged", "csrf_token": "0" * 64})
    assert answer.status_code == 403
    with example_services.db.session() as session:
        assert session.get(Alert, alert_id).acked_by is None  # type: ignore[union-attr]


def test_a_security_officer_acknowledges_and_silences_a_security_alert(
    sign_in: SignIn, example_services: Services
) -> None:
    alert_id = add_alert(example_services, category="security")
    operator, security = sign_in("operator"), sign_in("security", name="an.ninh")
    assert operator.get(f"/alerts/{alert_id}").status_code == 404  # operators see operational alerts
    page = security.get(f"/alerts/{alert_id}").text
    assert 'id="ack-button"' in page and 'id="silence-button"' in page
    token = csrf_of(page)
    answer = security.post(f"/alerts/{alert_id}/ack", data={"comment": "Đang xử lý", "csrf_token": token})
    assert answer.status_code == 200
    assert "an.ninh" in answer.text and 'id="ack-button"' not in answer.text
    answer = security.post(
        f"/alerts/{alert_id}/silence", data={"hours": 4, "reason": "Bảo trì tường lửa", "csrf_token": token}
    )
    assert answer.status_code == 200
    assert "Bảo trì tường lửa" in answer.text and "token:an.ninh" in answer.text
    with example_services.db.session() as session:
        alert = session.get(Alert, alert_id)
        silence = session.scalar(select(Silence).where(Silence.comment == "Bảo trì tường lửa"))
        assert alert is not None and alert.acked_by == "an.ninh" and alert.ack_comment == "Đang xử lý"
        assert silence is not None and {m["name"] for m in silence.matchers} == {"alertname", "device"}
    timeline = security.get(f"/alerts/{alert_id}").text
    assert "acknowledged" in timeline and "silence_created" in timeline


def test_an_ack_needs_a_comment_and_the_right_role(sign_in: SignIn, example_services: Services) -> None:
    alert_id = add_alert(example_services, category="operational", rule="cpu-high")
    operator = sign_in("operator")
    token = csrf_of(operator.get(f"/alerts/{alert_id}").text)
    answer = operator.post(f"/alerts/{alert_id}/ack", data={"comment": " ", "csrf_token": token})
    assert answer.status_code == 422 and "Hãy ghi chú khi xác nhận" in answer.text


def test_english_is_one_click_away_and_remembered(sign_in: SignIn) -> None:
    client = sign_in("planner")
    assert ">Thiết bị<" in client.get("/devices").text
    answer = client.get("/language", params={"lang": "en", "next": "/devices"})
    assert answer.status_code == 200 and ">Devices<" in answer.text
    assert ">Devices<" in client.get("/").text  # the cookie remembers it
    assert client.get("/language", params={"lang": "en", "next": "//evil.example"}).url.path == "/"


def test_the_roadmap_report_downloads_as_xlsx_with_vietnamese_headers_and_real_dates(sign_in: SignIn) -> None:
    client = sign_in("planner")
    page = client.get("/reports/roadmap").text
    assert "Lộ trình: tiến độ và kinh phí" in page and 'class="bar"' in page
    answer = client.get("/reports/roadmap/download", params={"format": "xlsx"})
    assert answer.status_code == 200
    workbook = load_workbook(io.BytesIO(answer.content))
    late = workbook["Nhiệm vụ chậm tiến độ"]
    assert late["A1"].value == "Lộ trình: tiến độ và kinh phí"
    headers = [cell.value for cell in late[2]]
    assert "Cơ quan chủ trì" in headers and "Hạn hoàn thành" in headers
    deadline = late.cell(row=3, column=headers.index("Hạn hoàn thành") + 1)
    assert isinstance(deadline.value, dt.datetime) and deadline.number_format == "DD/MM/YYYY"
    csv_answer = client.get("/reports/roadmap/download", params={"format": "csv", "table": "late"})
    header = csv_answer.content.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[:3] == ["Kế hoạch", "Giai đoạn", "Nhiệm vụ"]


def test_impact_of_a_core_switch_lists_what_loses_service(sign_in: SignIn) -> None:
    client = sign_in("planner")
    picked = client.get("/impact", params={"q": "dc core sw"}).text
    assert "dc-core-sw-01" in picked
    page = client.get("/impact", params={"device": [1, 2]}).text
    assert 'id="impact-graph"' in page and "Mất dịch vụ" in page
    assert "Cổng dịch vụ công" in page


def test_api_docs_load_nothing_from_outside(sign_in: SignIn) -> None:
    client = sign_in("planner")
    for path in ("/docs", "/redoc"):
        html = client.get(path).text
        sources = re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r"url: ?'([^']+)'", html)
        assert sources and all(s.startswith("/") for s in sources), (path, sources)
        assert "cdn" not in html.lower() and "fonts.googleapis" not in html


def test_open_overviews_share_one_computation_per_refresh_and_scope(sign_in: SignIn) -> None:
    operator, other_operator, scoped = (
        sign_in("operator"),
        sign_in("operator"),
        sign_in("planner", agency_code="SL.HLS"),
    )
    operator.get("/overview/panels")
    cache = operator.app.state.overview_cache  # type: ignore[attr-defined]
    computed = cache.computed
    operator.get("/overview/panels")
    other_operator.get("/overview/panels")
    assert cache.computed == computed  # the same scope within the refresh interval: no new queries
    wide = operator.get("/").text
    narrow = scoped.get("/").text
    assert cache.computed == computed + 1  # another scope is counted on its own
    count = re.compile(r'id="count-not-polled">([\d.]+)<')
    assert count.search(narrow).group(1) != count.search(wide).group(1)  # type: ignore[union-attr]


def test_a_person_signs_in_with_an_account_and_out_again(example_services: Services) -> None:
    """The accounts' own sign-in (issue 12) as a form: the session cookie, its CSRF token on forms,
    a wrong password refused with the accounts' sentence, and sign-out ending the session."""
    from eams.api.app import create_app
    from eams.auth.service import accounts_of
    from eams.auth.users import create_user

    accounts = accounts_of(example_services)
    with example_services.db.session() as session:
        create_user(
            session,
            accounts.config,
            username="tran.thi.b",
            role=Role.security,
            password="Mật-khẩu-đủ-dài-2026",
            must_change_password=False,
        )
    with TestClient(create_app(example_services, background=False)) as client:
        wrong = client.post("/login", data={"username": "tran.thi.b", "password": "sai-mat-khau-123"})
        assert wrong.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu" in wrong.text
        answer = client.post(
            "/login", data={"username": "tran.thi.b", "password": "Mật-khẩu-đủ-dài-2026", "next": "/alerts"}
        )
        assert answer.status_code == 200 and answer.url.path == "/alerts"
        assert "eams_session" in client.cookies
        page = client.get("/").text
        assert "tran.thi.b" in page and 'href="/alerts"' in page and 'href="/admin"' not in page
        token = csrf_of(page)
        assert token == client.cookies["eams_csrf"]  # the session's own CSRF token
        assert client.post("/logout", data={"csrf_token": "0" * 43}).status_code == 403
        out = client.post("/logout", data={"csrf_token": token})
        assert out.url.path == "/login"
        assert client.get("/", follow_redirects=False).status_code == 303  # the session is over


def account_client(services: Services, username: str, role: Role, password: str) -> TestClient:
    """A client signed in at /login with a new account of `role` (the accounts' own session)."""
    from eams.api.app import create_app
    from eams.auth.service import accounts_of
    from eams.auth.users import create_user

    with services.db.session() as session:
        create_user(
            session,
            accounts_of(services).config,
            username=username,
            role=role,
            password=password,
            must_change_password=False,
        )
    client = TestClient(create_app(services, background=False))
    answer = client.post("/login", data={"username": username, "password": password})
    assert answer.status_code == 200 and "eams_session" in client.cookies
    return client


def test_a_person_changes_their_password_with_the_apis_rules(example_services: Services) -> None:
    client = account_client(example_services, "le.van.c", Role.operator, "Mật-khẩu-ban-đầu-2026")
    profile = client.get("/profile").text
    assert 'id="password-form"' in profile
    token = csrf_of(profile)
    wrong = client.post(
        "/profile/password",
        data={
            "csrf_token": token,
            "current_password": "không-phải-nó-2026",
            "new_password": "Mật-khẩu-mới-2026",
            "repeat_password": "Mật-khẩu-mới-2026",
        },
    )
    assert wrong.status_code == 403 and "mật khẩu hiện tại không đúng" in wrong.text
    assert 'id="password-form"' in wrong.text  # the form is shown again, with the sentence
    short = client.post(
        "/profile/password",
        data={
            "csrf_token": token,
            "current_password": "Mật-khẩu-ban-đầu-2026",
            "new_password": "ngắn",
            "repeat_password": "ngắn",
        },
    )
    assert short.status_code == 422 and "ít nhất 10 ký tự" in short.text
    done = client.post(
        "/profile/password",
        data={
            "csrf_token": token,
            "current_password": "Mật-khẩu-ban-đầu-2026",
            "new_password": "Mật-khẩu-mới-hẳn-2026",
            "repeat_password": "Mật-khẩu-mới-hẳn-2026",
        },
    )
    assert done.status_code == 200 and 'id="password-changed"' in done.text
    fresh = TestClient(client.app)
    old = fresh.post("/login", data={"username": "le.van.c", "password": "Mật-khẩu-ban-đầu-2026"})
    assert old.status_code == 401
    new = fresh.post("/login", data={"username": "le.van.c", "password": "Mật-khẩu-mới-hẳn-2026"})
    assert new.status_code == 200


def test_a_person_enrols_mfa_with_a_qr_code_and_turns_it_off(example_services: Services) -> None:
    import pyotp

    from eams.auth.models import User

    client = account_client(example_services, "pham.thi.d", Role.security, "Mật-khẩu-an-ninh-2026")
    token = csrf_of(client.get("/profile").text)
    enrol = client.post("/profile/mfa/enrol", data={"csrf_token": token}).text
    assert '<div class="qr" id="mfa-qr"><svg' in enrol
    secret = re.search(r'id="mfa-secret">([A-Z2-7]+)<', enrol).group(1)  # type: ignore[union-attr]
    wrong = client.post("/profile/mfa/confirm", data={"csrf_token": token, "code": "000000"})
    assert wrong.status_code == 422 and "mã không đúng" in wrong.text
    confirmed = client.post(
        "/profile/mfa/confirm", data={"csrf_token": token, "code": pyotp.TOTP(secret).now()}
    ).text
    codes = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", confirmed)
    assert len(codes) >= 5
    with example_services.db.session() as session:
        user = session.query(User).filter_by(username="pham.thi.d").one()
        assert user.totp_enabled
    assert 'id="mfa-disable-form"' in client.get("/profile").text
    refused = client.post("/profile/mfa/disable", data={"csrf_token": token, "code": "123456"})
    assert refused.status_code == 403 and "mã không đúng" in refused.text
    off = client.post("/profile/mfa/disable", data={"csrf_token": token, "code": codes[0]})
    assert off.status_code == 200 and 'id="mfa-enrol-form"' in off.text
    with example_services.db.session() as session:
        assert not session.query(User).filter_by(username="pham.thi.d").one().totp_enabled


def test_a_token_sign_in_has_no_password_to_change(sign_in: SignIn) -> None:
    page = sign_in("operator").get("/profile").text
    assert 'id="token-profile"' in page and 'id="password-form"' not in page


def user_row(html: str, username: str) -> str:
    found = re.search(rf'<tr data-user="{re.escape(username)}">(.*?)</tr>', html, flags=re.S)
    assert found, f"{username} is not listed"
    return found.group(1)


def user_id_of(services: Services, username: str) -> int:
    from eams.auth.models import User

    with services.db.session() as session:
        found = session.scalar(select(User.id).where(User.username == username))
        assert found is not None
        return found


def test_an_admin_manages_accounts_on_the_users_page(sign_in: SignIn, example_services: Services) -> None:
    from eams.auth.models import LoginThrottle, User

    assert sign_in("operator").get("/admin/users").status_code == 403
    admin = sign_in("admin")
    assert 'href="/admin/users"' in admin.get("/admin").text
    token = csrf_of(admin.get("/admin/users").text)
    form = {"csrf_token": token, "username": "ngo.van.e", "role": "operator", "full_name": "Ngô Văn E"}
    weak = admin.post("/admin/users", data={**form, "password": "ngắn"})
    assert weak.status_code == 422 and "ít nhất 10 ký tự" in weak.text and 'id="user-form"' in weak.text
    created = admin.post("/admin/users", data={**form, "password": "Mật-khẩu-đầu-tiên-2026"})
    assert created.status_code == 200 and 'id="users-done"' in created.text
    assert "Ngô Văn E" in user_row(created.text, "ngo.van.e")
    taken = admin.post("/admin/users", data={**form, "password": "Mật-khẩu-đầu-tiên-2026"})
    assert taken.status_code == 409 and "đã có tài khoản ngo.van.e" in taken.text
    collector = admin.post(
        "/admin/users", data={**form, "username": "may", "role": "collector", "password": "x" * 12}
    )
    assert collector.status_code == 422  # people-only roles, as the API
    user_id = user_id_of(example_services, "ngo.van.e")

    disabled = admin.post(f"/admin/users/{user_id}/disable", data={"csrf_token": token}).text
    assert "Đã khoá tài khoản" in user_row(disabled, "ngo.van.e")
    enabled = admin.post(f"/admin/users/{user_id}/enable", data={"csrf_token": token}).text
    assert f"/admin/users/{user_id}/disable" in user_row(enabled, "ngo.van.e")

    with example_services.db.session() as session:
        now = dt.datetime.now(dt.UTC)
        session.add(
            LoginThrottle(
                key="user:ngo.van.e",
                failures=9,
                first_failure_at=now,
                last_failure_at=now,
                locked_until=now + dt.timedelta(minutes=15),
            )
        )
    locked = admin.get("/admin/users?q=ngo.van").text
    assert "Tạm khoá đăng nhập" in user_row(locked, "ngo.van.e") and "hls-" not in locked
    unlocked = admin.post(f"/admin/users/{user_id}/unlock", data={"csrf_token": token}).text
    assert "Tạm khoá đăng nhập" not in user_row(unlocked, "ngo.van.e")

    short = admin.post(f"/admin/users/{user_id}/password", data={"csrf_token": token, "password": "ngắn"})
    assert short.status_code == 422
    admin.post(
        f"/admin/users/{user_id}/password",
        data={"csrf_token": token, "password": "Mật-khẩu-do-quản-trị-2026"},
    )
    with example_services.db.session() as session:
        user = session.get(User, user_id)
        assert user is not None and user.must_change_password and user.active
    assert admin.post("/admin/users/999999/disable", data={"csrf_token": token}).status_code == 404


def test_a_scoped_admin_manages_only_accounts_of_their_agency(sign_in: SignIn) -> None:
    scoped = sign_in("admin", agency_code="SL.HLS")
    page = scoped.get("/admin/users").text
    assert "ngo.van.e" not in page and "Sở Y tế" not in page
    wide = scoped.post(
        "/admin/users",
        data={
            "csrf_token": csrf_of(page),
            "username": "rong.qua",
            "role": "planner",
            "password": "Mật-khẩu-đầu-tiên-2026",
        },
    )
    assert wide.status_code == 403  # no agency: the whole province, wider than the admin's scope


def store_syslog(services: Services, *messages: dict[str, object]) -> None:
    """Messages written by the syslog intake's own store, as the intake writes them."""
    from collectors.syslog.records import SyslogRecord
    from collectors.syslog.store import SyslogStore

    records = []
    with services.db.session() as session:
        for spec in messages:
            device = str(spec.get("device") or "")
            device_id = session.scalar(select(Device.id).where(Device.name == device)) if device else None
            when = spec.get("at") or dt.datetime.now(dt.UTC)
            assert isinstance(when, dt.datetime)
            text = str(spec["message"])
            records.append(
                SyslogRecord(
                    received_ns=int(when.timestamp() * 1e9),
                    source=str(spec.get("source", "10.0.0.9")),
                    source_port=514,
                    transport="udp",
                    raw=f"<13>{text}".encode(),
                    truncated=False,
                    header_format="rfc3164",
                    facility=4,
                    severity=int(spec.get("severity", 6)),  # type: ignore[call-overload]
                    message=text,
                    format=spec.get("format"),  # type: ignore[arg-type]
                    vendor=spec.get("format"),  # type: ignore[arg-type]
                    event=spec.get("event"),  # type: ignore[arg-type]
                    device_id=device_id,
                    device_name=device or None,
                )
            )
    SyslogStore(services.db).write(records)


def test_the_syslog_page_filters_and_scopes_what_the_api_lists(
    sign_in: SignIn, example_services: Services
) -> None:
    old = dt.datetime(2026, 3, 1, 3, 0, tzinfo=dt.UTC)
    store_syslog(
        example_services,
        {
            "device": "dc-fw-01",
            "message": "Đăng nhập quản trị thất bại từ 203.0.113.7",
            "severity": 4,
            "format": "fortigate",
            "event": "admin_login_failed",
        },
        {
            "device": "dc-fw-01",
            "message": "interface port1 up",
            "severity": 6,
            "format": "fortigate",
            "event": "link_up",
            "at": old,
        },
        {"device": "hls-sw-old-01", "message": "huyện Lâm Sơn switch reboot", "severity": 2},
        {"message": "an unknown sender speaks", "source": "192.0.2.50", "severity": 3},
    )
    assert sign_in("planner").get("/syslog").status_code == 403
    security = sign_in("security")
    assert 'href="/syslog"' in security.get("/alerts").text
    everything = security.get("/syslog").text
    for words in ("thất bại", "port1 up", "switch reboot", "unknown sender"):
        assert words in everything
    failed = security.get("/syslog?q=dang+nhap+that+bai").text  # without diacritics, as the API's q
    assert "thất bại" in failed and "port1 up" not in failed
    worse = security.get("/syslog?severity__lte=warning").text
    assert "thất bại" in worse and "switch reboot" in worse and "port1 up" not in worse
    by_format = security.get("/syslog?format=fortigate&event=link_up").text
    assert "port1 up" in by_format and "thất bại" not in by_format
    by_device = security.get("/syslog?device=hls-sw").text
    assert "switch reboot" in by_device and "thất bại" not in by_device
    in_march = security.get("/syslog?since=2026-03-01&until=2026-03-01").text
    assert "port1 up" in in_march and "thất bại" not in in_march
    # The form's day fields are written DD/MM/YYYY; ISO (older bookmarks) gives the same answer.
    form = security.get("/syslog").text
    assert 'name="since"' in form and 'placeholder="dd/mm/yyyy"' in form and 'type="date"' not in form
    as_written = security.get("/syslog?since=01/03/2026&until=1/3/2026").text
    assert rows_of(as_written) == rows_of(in_march)
    for bad in ("31/02/2026", "2026-13-01", "hôm qua"):
        bad_day = security.get("/syslog", params={"since": bad})
        assert bad_day.status_code == 400 and "since" in bad_day.text, bad
    unknown_filter = security.get("/syslog?colour=red")
    assert unknown_filter.status_code == 400  # the API's own refusal of an unknown filter
    scoped = sign_in("security", agency_code="SL.HLS").get("/syslog").text
    assert "switch reboot" in scoped and "thất bại" not in scoped and "unknown sender" not in scoped


def test_saved_filters_are_named_links_per_person(sign_in: SignIn) -> None:
    planner, other = sign_in("planner", name="planner-a"), sign_in("planner", name="planner-b")
    listing = planner.get("/devices?role=switch&offset=50").text
    assert 'id="save-filter-form"' in listing
    token = csrf_of(listing)
    saved = planner.post(
        "/devices/saved-filters",
        data={"csrf_token": token, "name": "Thiết bị chuyển mạch", "query": "role=switch&offset=50"},
    )
    assert saved.status_code == 200 and saved.url.query == b"role=switch"  # paging is not saved
    link = re.search(r'<a href="(/devices\?role=switch)">Thiết bị chuyển mạch</a>', saved.text)
    assert link, "the saved filter is listed as a link"
    assert device_names(planner.get(link.group(1)).text) == device_names(
        planner.get("/devices?role=switch").text
    )
    # The htmx partial keeps the form's query in step with the filters just chosen.
    partial = planner.get("/devices?status=active", headers={"HX-Request": "true"}).text
    assert '<input type="hidden" name="query" value="status=active">' in partial
    assert "Thiết bị chuyển mạch" not in other.get("/devices").text  # another person's list
    nameless = planner.post(
        "/devices/saved-filters", data={"csrf_token": token, "name": "  ", "query": "x=1"}
    )
    assert nameless.status_code == 422
    filter_id = re.search(r"/devices/saved-filters/(\d+)/delete", saved.text).group(1)  # type: ignore[union-attr]
    theirs = other.post(
        f"/devices/saved-filters/{filter_id}/delete", data={"csrf_token": csrf_of(other.get("/devices").text)}
    )
    assert theirs.status_code == 404
    gone = planner.post(f"/devices/saved-filters/{filter_id}/delete", data={"csrf_token": token}).text
    assert "Thiết bị chuyển mạch" not in gone


def test_a_password_set_by_an_admin_is_changed_on_the_profile_before_anything_else(
    sign_in: SignIn, example_services: Services
) -> None:
    admin = sign_in("admin")
    token = csrf_of(admin.get("/admin/users").text)
    created = admin.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "username": "vu.thi.g",
            "role": "planner",
            "password": "Do-quản-trị-đặt-2026",
        },
    )
    assert created.status_code == 200
    person = TestClient(admin.app)
    signed = person.post(
        "/login", data={"username": "vu.thi.g", "password": "Do-quản-trị-đặt-2026", "next": "/devices"}
    )
    assert signed.url.path == "/profile" and 'id="must-change-password"' in signed.text
    held = person.get("/devices", follow_redirects=False)
    assert held.status_code == 303 and held.headers["location"] == "/profile"
    changed = person.post(
        "/profile/password",
        data={
            "csrf_token": csrf_of(signed.text),
            "current_password": "Do-quản-trị-đặt-2026",
            "new_password": "Của-riêng-tôi-2026",
            "repeat_password": "Của-riêng-tôi-2026",
        },
    )
    assert changed.status_code == 200 and 'id="must-change-password"' not in changed.text
    assert person.get("/devices").status_code == 200


def test_the_new_pages_read_in_english_too(sign_in: SignIn) -> None:
    admin, security = sign_in("admin"), sign_in("security")
    for client, path, words in (
        (admin, "/admin/users", "Create the account"),
        (admin, "/profile", "Whole province"),
        (security, "/syslog?severity__lte=error", "Error or worse"),
        (admin, "/devices", "Save this filter"),
    ):
        client.cookies.set("eams_lang", "en")
        answer = client.get(path)
        assert answer.status_code == 200 and words in answer.text, path
        client.cookies.delete("eams_lang")


def test_a_person_sees_their_sessions_and_ends_the_others(example_services: Services) -> None:
    here = account_client(example_services, "vu.van.e", Role.operator, "Mật-khẩu-phiên-2026")
    elsewhere = TestClient(here.app)
    signed = elsewhere.post("/login", data={"username": "vu.van.e", "password": "Mật-khẩu-phiên-2026"})
    assert signed.status_code == 200 and "eams_session" in elsewhere.cookies
    third = TestClient(here.app)
    again = third.post("/login", data={"username": "vu.van.e", "password": "Mật-khẩu-phiên-2026"})
    assert again.status_code == 200

    profile = here.get("/profile").text
    rows = re.findall(r'<tr id="session-(\d+)">', profile)
    assert len(rows) == 3  # this browser and the two others
    assert profile.count("Phiên này") == 1  # exactly one is marked as this one
    current = re.search(r'<tr id="session-(\d+)">(?:(?!</tr>).)*Phiên này', profile, re.S)
    assert current is not None
    others = [r for r in rows if r != current.group(1)]

    # End one other session: that browser is signed out at once, the third still works.
    token = csrf_of(profile)
    ended = here.post(f"/profile/sessions/{others[0]}/end", data={"csrf_token": token})
    assert ended.status_code == 200 and 'id="sessions-ended"' in ended.text
    assert len(re.findall(r'<tr id="session-\d+">', ended.text)) == 2
    assert elsewhere.get("/profile", follow_redirects=False).status_code in (302, 303)
    assert third.get("/profile", follow_redirects=False).status_code == 200
    # Without the form's CSRF token nothing ends.
    assert here.post("/profile/sessions/end-others", data={}).status_code == 403
    assert third.get("/profile", follow_redirects=False).status_code == 200

    # Sign out everywhere else: the third ends, this one stays.
    rest = here.post("/profile/sessions/end-others", data={"csrf_token": token})
    assert rest.status_code == 200
    assert len(re.findall(r'<tr id="session-\d+">', rest.text)) == 1
    assert third.get("/profile", follow_redirects=False).status_code in (302, 303)
    assert here.get("/profile", follow_redirects=False).status_code == 200
    # Someone else's session (or one that is gone) is not found, and says so.
    gone = here.post(f"/profile/sessions/{others[0]}/end", data={"csrf_token": token})
    assert gone.status_code == 404


def rows_of(html: str) -> list[str]:
    """The rows of a page's first table body, as text: what a person reads in it."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"<[^>]+>|\s+", " ", row).strip() for row in body.split("</tr>") if row.strip()]


def test_day_filters_take_the_day_as_people_write_it(sign_in: SignIn, example_services: Services) -> None:
    """An alert list filter `started_at__gte=DD/MM/YYYY` (the alerts page's field) starts at midnight
    in the province, on the page and through the API. A report's `as_of` takes DD/MM/YYYY too."""
    utc = dt.UTC
    add_alert(
        example_services,
        category="operational",
        rule="after-midnight",
        started_at=dt.datetime(2026, 2, 28, 17, 30, tzinfo=utc),  # 00:30 on 01/03 in Hà Nội
    )
    add_alert(
        example_services,
        category="operational",
        rule="before-midnight",
        started_at=dt.datetime(2026, 2, 28, 16, 30, tzinfo=utc),  # 23:30 on 28/02
    )
    operator = sign_in("operator")
    page = operator.get("/alerts", params={"started_at__gte": "01/03/2026", "rule_name__ic": "midnight"})
    assert page.status_code == 200 and 'value="01/03/2026"' in page.text
    assert "after-midnight" in page.text and "before-midnight" not in page.text
    with example_services.db.session() as session:
        _, token = create_token(session, name="web-days", role=Role.operator)
    api = TestClient(operator.app, headers={"Authorization": f"Bearer {token}"})
    by_day = api.get("/api/v1/alerts", params={"started_at__gte": "01/03/2026", "rule_name__ic": "midnight"})
    assert by_day.status_code == 200
    assert [a["rule_name"] for a in by_day.json()["results"]] == ["after-midnight"]
    refused = api.get("/api/v1/alerts", params={"started_at__gte": "30/02/2026"})
    assert refused.status_code == 400 and "started_at__gte" in refused.text
    planner = sign_in("planner")
    report = planner.get("/reports/roadmap", params={"as_of": "15/11/2026"})
    assert report.status_code == 200 and 'value="15/11/2026"' in report.text
    same = planner.get("/reports/roadmap", params={"as_of": "2026-11-15"})
    assert rows_of(same.text) == rows_of(report.text)
    wrong = planner.get("/reports/roadmap", params={"as_of": "15/13/2026"})
    assert wrong.status_code == 400 and "as_of" in wrong.text
