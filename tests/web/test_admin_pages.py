"""The administrators' and planners' pages beyond /admin: credentials profiles, alert rules and
routing, discovery jobs, the roadmap timeline; as a browser sees them (HTML over HTTP)."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from collectors.discovery.jobs import DiscoveryJobs
from collectors.discovery.models import DiscoveryJob, JobState
from eams.alerts.models import Silence
from eams.auth import create_token
from eams.services import Services
from eams.web.timeline import roadmap_timeline
from inventory.models import Agency, CredentialsProfile, RoadmapPhase, RoadmapTask, Role, TaskStatus
from inventory.reports.roadmap import roadmap_report
from tests.web.conftest import SignIn, csrf_of


def stored_secrets(services: Services, name: str) -> dict[str, str]:
    with services.db.session() as session:
        profile = session.scalars(select(CredentialsProfile).where(CredentialsProfile.name == name)).one()
        return services.secret_box.open(profile.secrets_encrypted)


def test_credentials_are_created_and_edited_with_write_only_secrets(
    sign_in: SignIn, example_services: Services
) -> None:
    admin = sign_in("admin")
    token = csrf_of(admin.get("/admin/credentials/new").text)
    created = admin.post(
        "/admin/credentials",
        data={"csrf_token": token, "name": "web-v2c", "kind": "snmp_v2c", "community": "s3cret-community"},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    edit_url = created.headers["location"]
    listed = admin.get("/admin/credentials").text
    assert "web-v2c" in listed and "community" in listed and "s3cret-community" not in listed
    form = admin.get(edit_url).text
    assert "s3cret-community" not in form and 'name="community"' in form
    # A blank secret keeps the stored one; the plain fields change.
    saved = admin.post(
        edit_url,
        data={"csrf_token": token, "name": "web-v2c", "kind": "snmp_v2c", "retries": "3", "community": ""},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    assert stored_secrets(example_services, "web-v2c") == {"community": "s3cret-community"}
    admin.post(
        edit_url, data={"csrf_token": token, "name": "web-v2c", "kind": "snmp_v2c", "community": "new-one"}
    )
    assert stored_secrets(example_services, "web-v2c") == {"community": "new-one"}
    # The API's completeness check answers a bad profile, naming what is missing, in a page.
    refused = admin.post("/admin/credentials", data={"csrf_token": token, "name": "web-ssh", "kind": "ssh"})
    assert refused.status_code == 422 and "username" in refused.text
    # Without the CSRF token nothing is written.
    assert admin.post(edit_url, data={"name": "web-v2c", "kind": "snmp_v2c"}).status_code == 403


def test_credentials_pages_follow_the_roles(sign_in: SignIn) -> None:
    operator, planner = sign_in("operator"), sign_in("planner")
    assert operator.get("/admin/credentials").status_code == 200
    assert 'href="/admin/credentials/new"' not in operator.get("/admin/credentials").text
    assert operator.get("/admin/credentials/new").status_code == 403
    assert planner.get("/admin/credentials").status_code == 403


def api_client(sign_in: SignIn, services: Services) -> TestClient:
    """A client of the same app calling /api/v1/ with an administrator's bearer token."""
    client = sign_in("admin")
    with services.db.session() as session:
        _, token = create_token(session, name="web-api-admin", role=Role.admin)
    client.headers["Authorization"] = f"Bearer {token}"
    return client


UPS_RULE = {
    "name": "web-ups-battery-low",
    "kind": "threshold",
    "measurement": "ups",
    "field": "battery_percent",
    "op": "<",
    "value": 30,
    "for": "2m",
    "severity": "critical",
}


def test_alert_rules_are_listed_and_enabled_or_disabled(sign_in: SignIn, example_services: Services) -> None:
    api = api_client(sign_in, example_services)
    created = api.post("/api/v1/alert-rules", json=UPS_RULE)
    assert created.status_code == 201, created.text
    rule_id = created.json()["id"]
    security, planner = sign_in("security"), sign_in("planner")
    page = security.get("/admin/rules").text
    assert "web-ups-battery-low" in page and f'action="/admin/rules/{rule_id}/enabled"' in page
    token = csrf_of(page)
    answer = security.post(
        f"/admin/rules/{rule_id}/enabled",
        data={"csrf_token": token, "enabled": "false"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    stored = api.get(f"/api/v1/alert-rules/{rule_id}").json()
    assert stored["enabled"] is False and stored["spec"]["value"] == 30  # the rest of the rule kept
    security.post(f"/admin/rules/{rule_id}/enabled", data={"csrf_token": token, "enabled": "true"})
    assert api.get(f"/api/v1/alert-rules/{rule_id}").json()["enabled"] is True
    assert planner.get("/admin/rules").status_code == 403


def test_routing_shows_receivers_with_their_secrets_masked(
    sign_in: SignIn, example_services: Services
) -> None:
    api = api_client(sign_in, example_services)
    routing = {
        "receivers": [
            {"name": "log", "log": {}},
            {"name": "soc-hook", "webhook": {"url": "http://127.0.0.1:9/hook", "secret": "hmac-very-secret"}},
        ],
        "route": {
            "receiver": "log",
            "routes": [{"receiver": "soc-hook", "matchers": [{"name": "category", "value": "security"}]}],
        },
    }
    assert api.put("/api/v1/alert-routing", json=routing).status_code == 200
    page = sign_in("operator").get("/admin/routing")
    assert page.status_code == 200
    assert "soc-hook" in page.text and "http://127.0.0.1:9/hook" in page.text
    assert "hmac-very-secret" not in page.text and "secret: ********" in page.text
    assert "category = security" in page.text
    assert sign_in("planner").get("/admin/routing").status_code == 403


def test_a_discovery_job_is_started_and_its_page_polls_until_it_ends(
    sign_in: SignIn, example_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The job runner of `eams serve`, on the test client's event loop.
    monkeypatch.setitem(example_services.extras, "discovery_jobs", DiscoveryJobs(example_services.db))
    api = api_client(sign_in, example_services)
    profile = {"name": "web-sweep", "kind": "snmp_v2c", "community": "nobody-answers", "timeout_s": 0.2}
    assert api.post("/api/v1/credentials", json=profile).status_code == 201
    operator = sign_in("operator")
    listing = operator.get("/admin/discovery").text
    assert '<option value="web-sweep">' not in listing  # a shared profile is for administrators only
    admin = sign_in("admin")
    listing = admin.get("/admin/discovery").text
    assert '<option value="web-sweep">' in listing
    token = csrf_of(listing)
    refused = admin.post("/admin/discovery", data={"csrf_token": token, "ranges": "10.0.0.300"})
    assert refused.status_code == 422 and "10.0.0.300" in refused.text
    started = admin.post(
        "/admin/discovery",
        data={"csrf_token": token, "ranges": "127.0.0.1", "credentials": "web-sweep", "timeout_s": "0.2"},
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    job_url = started.headers["location"]
    job_id = int(job_url.rsplit("/", 1)[1])
    deadline = time.monotonic() + 60
    while api.get(f"/api/v1/discovery/jobs/{job_id}").json()["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, "the sweep of one address did not end"
        time.sleep(0.2)
    fragment = admin.get(f"{job_url}/progress").text
    assert 'hx-trigger="every 2s"' not in fragment
    assert "Hoàn thành" in fragment and "1 trong 1" in fragment
    assert f'href="{job_url}"' in admin.get("/admin/discovery").text
    # While a job runs, its page asks for the progress every 2 s.
    with example_services.db.session() as session:
        session.execute(update(DiscoveryJob).where(DiscoveryJob.id == job_id).values(state=JobState.running))
    assert f'hx-get="{job_url}/progress" hx-trigger="every 2s"' in admin.get(job_url).text
    assert sign_in("planner").get(job_url).status_code == 403


def timeline_tasks(html: str, state: str = "") -> list[str]:
    section = html.split('id="timeline"', 1)[1].split("</section>", 1)[0]
    classes = f"tl-row tl-task {state}" if state else 'tl-row tl-task[^"]*'
    label = r'<div class="tl-label">(?:<code>[^<]*</code> )?([^<]+)</div>'
    pattern = f'<div class="{classes}">{label}'
    return re.findall(pattern, section)


def test_the_roadmap_report_draws_a_timeline_with_late_tasks_in_red(
    sign_in: SignIn, example_services: Services
) -> None:
    as_of = dt.date(2026, 11, 15)
    page = sign_in("planner").get("/reports/roadmap", params={"as_of": as_of.isoformat()}).text
    assert "Tiến trình các giai đoạn và nhiệm vụ" in page
    with example_services.db.session() as session:
        late = roadmap_report(session, as_of).tables[-1]
        everything = list(
            session.scalars(select(RoadmapTask.name).where(RoadmapTask.status != TaskStatus.cancelled))
        )
    late_names = sorted(str(row[late.columns.index("task")]) for row in late.rows)
    assert late_names and sorted(timeline_tasks(page, "late")) == late_names
    assert sorted(timeline_tasks(page)) == sorted(everything)
    # A phase's bar runs over its own dates, even when one of its tasks was done before it began.
    with example_services.db.session() as session:
        timeline = roadmap_timeline(session, None, as_of)
        phases = {p.name: p for p in session.scalars(select(RoadmapPhase))}
    assert timeline is not None
    for lane in timeline.lanes:
        phase = phases[lane.bar.label]
        if phase.start_date and phase.end_date:
            assert (lane.bar.start, lane.bar.end) == (phase.start_date, phase.end_date)
    # Every bar lies inside the drawn span.
    widths = re.findall(r'class="tl-bar" style="left: ([\d.]+)%; width: ([\d.]+)%"', page)
    assert widths and all(float(left) >= 0 and float(left) + float(width) <= 100.5 for left, width in widths)
    scoped = sign_in("planner", agency_code="SL.HLS").get(
        "/reports/roadmap", params={"as_of": as_of.isoformat()}
    )
    with example_services.db.session() as session:
        hls = session.scalar(select(Agency.id).where(Agency.code == "SL.HLS"))
        own = sorted(session.scalars(select(RoadmapTask.name).where(RoadmapTask.lead_agency_id == hls)))
    assert sorted(timeline_tasks(scoped.text)) == own if 'id="timeline"' in scoped.text else own == []


def test_maintenance_windows_are_created_once_or_weekly_and_listed(
    sign_in: SignIn, example_services: Services
) -> None:
    operator = sign_in("operator", name="web-maintainer")
    page = operator.get("/alerts/maintenance")
    assert page.status_code == 200 and 'id="maintenance-form"' in page.text
    assert 'href="/alerts/maintenance"' in operator.get("/alerts").text
    token = csrf_of(page.text)
    once = operator.post(
        "/alerts/maintenance",
        data={
            "csrf_token": token,
            "target": "device",
            "value": "dc-core-sw-01",
            "starts_at": "2026-12-05T22:00",
            "ends_at": "2026-12-06T02:00",
            "reason": "Nâng cấp phần mềm",
        },
        follow_redirects=False,
    )
    assert once.status_code == 303, once.text
    weekly = operator.post(
        "/alerts/maintenance",
        data={
            "csrf_token": token,
            "target": "site",
            "value": "DC-SL",
            "weekday": ["5", "6"],
            "start_time": "23:00",
            "hours": "3",
            "reason": "Bảo trì định kỳ",
        },
        follow_redirects=False,
    )
    assert weekly.status_code == 303, weekly.text
    with example_services.db.session() as session:
        windows = {
            s.comment: s for s in session.scalars(select(Silence).where(Silence.kind == "maintenance"))
        }
        single = windows["Nâng cấp phần mềm"]
        # 22:00 in Hanoi is 15:00 UTC.
        assert single.starts_at.replace(tzinfo=dt.UTC) == dt.datetime(2026, 12, 5, 15, 0, tzinfo=dt.UTC)
        assert single.matchers == [{"name": "device", "value": "dc-core-sw-01", "op": "="}]
        assert single.created_by and "web-maintainer" in single.created_by
        recurring = windows["Bảo trì định kỳ"].recurrence
        assert recurring is not None and recurring["weekdays"] == [5, 6] and recurring["duration"] == 3 * 3600
    listed = operator.get("/alerts/maintenance").text
    assert "Nâng cấp phần mềm" in listed and "T7 CN 23:00" in listed
    # The silences page lists maintenance windows too, with the weekly schedule of a recurring one.
    silences = operator.get("/silences").text
    window = next(row for row in silences.split("<tr ") if "Bảo trì định kỳ" in row)
    assert "T7 CN 23:00 · 3,0 h" in window
    # A weekly window without its length is refused, naming the field; nothing is written.
    refused = operator.post(
        "/alerts/maintenance",
        data={"csrf_token": token, "target": "site", "value": "DC-SL", "weekday": "1", "start_time": "01:00",
              "reason": "x"},
    )  # fmt: skip
    assert refused.status_code == 422 and "hours" in refused.text
    assert sign_in("planner").get("/alerts/maintenance").status_code == 403
