"""The web application in a real headless Chromium (Debian `chromium`, driven by Playwright),
against `eams demo`: the real service (`eams serve`'s app) on the example province, with the lab's
simulated devices polled every 5 s and the demo's security alert.

Every request the browser makes is recorded and must go to 127.0.0.1; a console error fails the
test. Each test writes screenshots of the pages it visits to var/screenshots/ (see the README)."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from openpyxl import load_workbook

from tests.support.peers import free_port, require_program, wait_until

playwright_sync = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium tries Google's hosts (refused on this network).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
EAMS = Path(sys.executable).parent / "eams"
pytestmark = [pytest.mark.slow, pytest.mark.peer("chromium")]


@dataclass
class Demo:
    base: str
    admin: str
    tokens: dict[str, str]  # "operator", "security", "planner", "planner (SL.HLS)"


def tokens_from(log: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in log.read_text(errors="replace").splitlines():
        match = re.match(r"\s+sign in as (.+?):\s+(eams_\S+)", line)
        if match:
            found[match.group(1)] = match.group(2)
        if "admin token:" in line:
            found["admin"] = line.split("admin token:")[1].strip()
    return found


def healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False  # the banner is printed just before the server listens


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    folder = tmp_path_factory.mktemp("web-demo")
    port = free_port()
    log = folder / "demo.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("EAMS_")}
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(EAMS), "demo", "--port", str(port), "--data-dir", str(folder / "demo"), "--duration", "900"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=folder,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: len(tokens_from(log)) >= 5 and process.poll() is None, 180, "the demo's banner")
        wait_until(lambda: healthy(base), 60, "the demo's API")
        tokens = tokens_from(log)
        yield Demo(base, tokens.pop("admin"), tokens)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # the demo stops its lab's processes itself
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One Chromium for all the browser tests, which are this file (starting one costs more than
    most tests). Module scope, not session: Playwright's sync API keeps an event loop marked
    running in this thread while it lives, and later tests on the same xdist worker that run
    `asyncio.run` would fail ("cannot be called from a running event loop")."""
    require_program(CHROMIUM)
    with playwright_sync.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Watch:
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def check(self) -> None:
        # blob: and data: URLs are made in the page itself (Redoc's search worker is a blob).
        made_here = [u.removeprefix("blob:") for u in self.requests if not u.startswith("data:")]
        hosts = {urlsplit(u).hostname or u for u in made_here}
        outside = sorted(hosts - {"127.0.0.1"})
        assert outside == [], f"requests left 127.0.0.1: {outside}"
        assert self.errors == [], f"console errors: {self.errors}"


Open = Callable[[str], object]


@pytest.fixture
def signed_in(browser: object, demo: Demo, request: pytest.FixtureRequest) -> Iterator[Callable[..., object]]:
    """`signed_in("security")`: a page of a fresh browser context, signed in through /login."""
    watches: list[Watch] = []
    contexts: list[object] = []

    def make(role: str, language: str = "vi") -> object:
        context = browser.new_context(  # type: ignore[attr-defined]
            viewport={"width": 1366, "height": 768}, accept_downloads=True, locale="vi-VN"
        )
        contexts.append(context)
        watch = Watch()
        watches.append(watch)
        context.on("request", lambda r: watch.requests.append(r.url))
        page = context.new_page()
        page.on("console", lambda m: watch.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: watch.errors.append(str(e)))
        token = demo.admin if role == "admin" else demo.tokens[role]
        page.goto(f"{demo.base}/devices")
        assert "/login" in page.url  # not signed in yet: the sign-in page, then back
        page.click("details.token-sign-in summary")
        page.fill("#token", token)
        page.click("#token-form button[type=submit]")
        page.wait_for_url(f"{demo.base}/devices")
        if language == "en":
            page.click("#language-switch")
        return page

    yield make
    for watch in watches:
        watch.check()
    for context in contexts:
        context.close()  # type: ignore[attr-defined]


def shot(page: object, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def menu(page: object) -> list[str]:
    return page.locator("nav.menu a").evaluate_all("links => links.map(a => a.getAttribute('href'))")  # type: ignore[attr-defined]


def test_each_role_signs_in_and_sees_only_its_pages(signed_in: Callable[..., object], demo: Demo) -> None:
    admin = signed_in("admin")
    assert menu(admin) == [
        "/",
        "/devices",
        "/alerts",
        "/syslog",
        "/agencies",
        "/systems",
        "/impact",
        "/reports",
        "/admin",
    ]
    admin.goto(f"{demo.base}/admin")  # type: ignore[attr-defined]
    shot(admin, "admin")
    api = httpx.Client(base_url=demo.base, headers={"Authorization": f"Bearer {demo.admin}"})
    # The demo's firewall sends its syslog lines a few seconds after start.
    wait_until(lambda: api.get("/api/v1/syslog").json()["count"] >= 7, 60, "the demo's syslog lines")
    for path, table, name in (
        ("/syslog", "#syslog", "syslog"),
        ("/admin/users", "#users", "admin-users"),
        ("/admin/rules", "#rules", "admin-rules"),
    ):
        admin.goto(f"{demo.base}{path}")  # type: ignore[attr-defined]
        assert admin.locator(table).count() == 1, path  # type: ignore[attr-defined]
        shot(admin, name)
    admin.goto(f"{demo.base}/syslog?event=admin_login_failed")  # type: ignore[attr-defined]
    rows = admin.locator("#syslog tbody tr").all_inner_texts()  # type: ignore[attr-defined]
    senders = sorted(row.split("\t")[2] for row in rows)  # the device column
    assert senders == ["dc-fw-01"] * 5 + ["dc-srv-mail-01"], rows
    # A FortiGate row reads as the firewall's own sentence (its format's text_fields), not key=value.
    firewall = [row for row in rows if "\tdc-fw-01\t" in row]
    assert all("Administrator admin login failed from https(203.0.113.77)" in row for row in firewall), rows
    assert not any('devname="' in row for row in firewall), rows
    planner = signed_in("planner")
    assert "/alerts" not in menu(planner) and "/syslog" not in menu(planner) and "/admin" not in menu(planner)
    # Through the page's own cookies, without navigating (a refused navigation logs a console error).
    assert planner.request.get(f"{demo.base}/admin").status == 403  # type: ignore[attr-defined]
    security = signed_in("security")
    assert "/alerts" in menu(security) and "/admin" not in menu(security)
    operator = signed_in("operator")
    assert "/alerts" in menu(operator)


def test_the_overview_refreshes_itself_without_reloading(
    signed_in: Callable[..., object], demo: Demo
) -> None:
    page = signed_in("operator")
    page.goto(f"{demo.base}/")  # type: ignore[attr-defined]
    with page.expect_response(lambda r: r.url.endswith("/overview/panels")) as refreshed:  # type: ignore[attr-defined]
        pass
    assert refreshed.value.status == 200
    assert page.locator("#count-up").inner_text() != ""  # type: ignore[attr-defined]
    shot(page, "overview")
    page.set_viewport_size({"width": 1920, "height": 1080})  # type: ignore[attr-defined]
    shot(page, "overview-1920")


def test_an_operator_opens_a_polled_device(signed_in: Callable[..., object], demo: Demo) -> None:
    page = signed_in("operator")
    client = httpx.Client(base_url=demo.base, headers={"Authorization": f"Bearer {demo.admin}"})
    wait_until(
        lambda: client.get("/api/v1/devices/18/status").status_code == 200, 90, "a poll of dc-srv-mail-01"
    )
    page.goto(f"{demo.base}/devices?q=mail")  # type: ignore[attr-defined]
    page.click("text=dc-srv-mail-01")  # type: ignore[attr-defined]
    page.wait_for_selector("#last-poll")  # type: ignore[attr-defined]
    last_poll = page.locator("#last-poll").inner_text()  # type: ignore[attr-defined]
    assert "Hoạt động" in last_poll and "linux" in last_poll.lower()
    assert page.locator("#graphs .graph").count() == 8  # type: ignore[attr-defined]

    def cpu_points() -> bool:
        # The graphs are read once per page view, from the metrics read path (the embedded store).
        page.reload()  # type: ignore[attr-defined]
        page.wait_for_selector("#graph-cpu canvas, #graph-cpu:has-text('Không có số liệu')")  # type: ignore[attr-defined]
        return page.locator("#graph-cpu[data-points]").count() == 1  # type: ignore[attr-defined]

    wait_until(cpu_points, 150, "CPU points of dc-srv-mail-01 from real polls", interval=5)
    assert int(page.locator("#graph-cpu").get_attribute("data-points")) >= 1  # type: ignore[attr-defined]
    shot(page, "device")


def test_a_security_officer_acknowledges_the_firing_alert_and_silences_it(
    signed_in: Callable[..., object], demo: Demo
) -> None:
    client = httpx.Client(base_url=demo.base, headers={"Authorization": f"Bearer {demo.admin}"})

    def security_alert() -> bool:
        answer = client.get("/api/v1/alerts", params={"category": "security", "state": "firing"})
        return answer.json()["count"] > 0

    wait_until(security_alert, 90, "the demo's security alert")
    page = signed_in("security")
    page.goto(f"{demo.base}/alerts")  # type: ignore[attr-defined]
    shot(page, "alerts")
    page.click("#alerts a[href^='/alerts/']")  # type: ignore[attr-defined]
    page.fill("#comment", "Đã chặn địa chỉ tấn công")  # type: ignore[attr-defined]
    page.click("#ack-button")  # type: ignore[attr-defined]
    page.wait_for_selector("#acked-by:has-text('demo-security')")  # type: ignore[attr-defined]
    assert page.locator("#ack-button").count() == 0  # type: ignore[attr-defined]
    shot(page, "alert")
    page.fill("#reason", "Theo dõi thêm trong ca trực")  # type: ignore[attr-defined]
    page.select_option("#hours", "4")  # type: ignore[attr-defined]
    page.click("#silence-button")  # type: ignore[attr-defined]
    page.wait_for_url(re.compile(r"/silences"))  # type: ignore[attr-defined]
    row = page.locator("#silences tbody tr").first.inner_text()  # type: ignore[attr-defined]
    assert "token:demo-security" in row and "Theo dõi thêm trong ca trực" in row
    shot(page, "silences")
    acked = client.get("/api/v1/alerts", params={"category": "security", "acked_by": "demo-security"})
    assert acked.json()["count"] == 1


def test_a_planner_filters_exports_runs_impact_and_downloads_the_roadmap(
    signed_in: Callable[..., object], demo: Demo
) -> None:
    page = signed_in("planner")
    page.goto(f"{demo.base}/devices")  # type: ignore[attr-defined]
    with page.expect_response(lambda r: "warranty=expired" in r.url):  # type: ignore[attr-defined]
        page.select_option("select[name=warranty]", "expired")  # type: ignore[attr-defined]
    page.wait_for_url(re.compile(r"warranty=expired"))  # type: ignore[attr-defined]  (a filtered list is a URL)
    shown = page.locator("#devices tbody tr td:first-child a").all_inner_texts()  # type: ignore[attr-defined]
    assert shown and "hls-sw-old-01" in shown
    with page.expect_download() as exported:  # type: ignore[attr-defined]
        page.click("#export-csv")  # type: ignore[attr-defined]
    text = Path(exported.value.path()).read_text(encoding="utf-8-sig")
    assert sorted(line.split(",")[0] for line in text.splitlines()[1:]) == sorted(shown)

    page.goto(f"{demo.base}/impact")  # type: ignore[attr-defined]
    page.fill("#impact-q", "dc core sw 01")  # type: ignore[attr-defined]
    page.press("#impact-q", "Enter")  # type: ignore[attr-defined]
    page.click("#impact-candidates a:has-text('dc-core-sw-01')")  # type: ignore[attr-defined]
    page.wait_for_selector("#impact-cy canvas")  # type: ignore[attr-defined]  (drawn by Cytoscape.js)
    assert "Mất dịch vụ" in page.locator("#impact-lost").inner_text()  # type: ignore[attr-defined]
    shot(page, "impact")

    page.goto(f"{demo.base}/reports/roadmap")  # type: ignore[attr-defined]
    shot(page, "report-roadmap")
    with page.expect_download() as downloaded:  # type: ignore[attr-defined]
        page.click("#download-xlsx")  # type: ignore[attr-defined]
    workbook = load_workbook(io.BytesIO(Path(downloaded.value.path()).read_bytes()))
    plans = workbook[workbook.sheetnames[0]]
    assert plans["A1"].value == "Lộ trình: tiến độ và kinh phí"
    assert "Kế hoạch" in [cell.value for cell in plans[2]]


def test_the_scoped_planner_never_sees_another_districts_rows(
    signed_in: Callable[..., object], demo: Demo
) -> None:
    page = signed_in("planner (SL.HLS)")
    names = page.locator("#devices tbody tr td:first-child a").all_inner_texts()  # type: ignore[attr-defined]
    assert names == ["hls-sw-old-01"]
    assert page.request.get(f"{demo.base}/devices/1").status == 404  # type: ignore[attr-defined]
    page.goto(f"{demo.base}/agencies")  # type: ignore[attr-defined]
    assert "Sở Y tế" not in page.locator("#agency-tree").inner_text()  # type: ignore[attr-defined]


def test_a_search_without_diacritics_finds_a_vietnamese_name(
    signed_in: Callable[..., object], demo: Demo
) -> None:
    page = signed_in("operator")
    with page.expect_response(lambda r: "dinh" in r.url and "tuyen" in r.url):  # type: ignore[attr-defined]
        page.fill("#q", "bo dinh tuyen bien")  # type: ignore[attr-defined]
    page.wait_for_function("document.querySelectorAll('#devices tbody tr').length === 1")  # type: ignore[attr-defined]
    assert page.locator("#devices tbody").inner_text().startswith("dc-edge-rt-01")  # type: ignore[attr-defined]
    page.goto(f"{demo.base}/systems?q=cong+thong+tin+dien+tu")  # type: ignore[attr-defined]
    assert "Cổng thông tin điện tử" in page.locator("#systems").inner_text()  # type: ignore[attr-defined]
    shot(page, "systems")


def test_english_is_one_click_away(signed_in: Callable[..., object], demo: Demo) -> None:
    page = signed_in("planner", language="en")
    assert page.locator("nav.menu a[href='/devices']").inner_text() == "Devices"  # type: ignore[attr-defined]
    page.goto(f"{demo.base}/reports")  # type: ignore[attr-defined]
    assert page.locator("h1").inner_text() == "Reports"  # type: ignore[attr-defined]


def test_the_api_docs_work_offline(signed_in: Callable[..., object], demo: Demo) -> None:
    page = signed_in("planner")
    page.goto(f"{demo.base}/docs")  # type: ignore[attr-defined]
    # The spec is large (600 kB): give the renderer time on a shared 2-core machine.
    page.wait_for_selector(".swagger-ui .opblock-tag", timeout=90_000)  # type: ignore[attr-defined]
    shot(page, "docs")
    page.goto(f"{demo.base}/redoc")  # type: ignore[attr-defined]
    page.wait_for_selector("h1:has-text('eams')", timeout=90_000)  # type: ignore[attr-defined]
