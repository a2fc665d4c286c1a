"""What a restart, a retry and a refusal do to notifications (engines over the test database, a
manual clock, a real HTTP receiver and a real SMTP server on loopback):

- a FIRING still inside its group wait when the engine stops is sent by the next engine, when the
  wait ends (counted from when it fired); a RESOLVED owed when it stops is sent too;
- one alert's notifications arrive in order: a RESOLVED waits while its FIRING backs off;
- a permanent refusal (webhook 4xx, SMTP 5xx) is not retried: the row is `failed`, visible in
  the API, and the engine raises `notification-refused`.
"""

from __future__ import annotations

import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

from eams.alerts.clock import ManualClock
from eams.alerts.models import Alert, OutboxMessage
from eams.alerts.rules.loader import DEFAULT_RULES
from eams.services import Services
from tests.alerts.conftest import EngineFactory, Estate, sample, save_routing, settle, webhook_routing
from tests.alerts.receivers import HttpReceiver, SmtpServer
from tests.alerts.test_notifications import UNREACHABLE, poll_fails
from tests.conftest import TokenFactory


def shipped_rule(name: str) -> str:
    [rule] = [
        r for r in yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))["rules"] if r["name"] == name
    ]
    listed = yaml.safe_dump([rule], allow_unicode=True)
    return "".join(f"  {line}\n" for line in listed.splitlines())


# The unreachable rule and the engine's own rule about refused notifications, as shipped.
WITH_REFUSALS = UNREACHABLE + shipped_rule("notification-refused")


def outbox(services: Services) -> list[OutboxMessage]:
    with services.db.session() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def poll_answers(engine: object, device_id: int) -> None:
    await engine.consume_samples([sample("collector", device_id, {"reachable": True})])  # type: ignore[attr-defined]


async def test_a_firing_alert_inside_group_wait_when_the_engine_stops_is_sent_by_the_next_one(
    services: Services, make_engine: EngineFactory, clock: ManualClock, estate: Estate, hook: HttpReceiver
) -> None:
    save_routing(services, webhook_routing(hook))  # group_wait 30s
    engine = make_engine(UNREACHABLE)
    await poll_fails(engine, estate.core)
    clock.advance(seconds=10)
    await settle(engine)
    await engine.stop()  # 10 s into the 30 s wait
    assert hook.requests == []

    restarted = make_engine(UNREACHABLE)
    clock.advance(seconds=5)
    await settle(restarted)
    assert hook.requests == [], "group_wait only delays the send; it still runs from the firing"
    clock.advance(seconds=16)
    await settle(restarted)
    assert [(p["status"], p["reason"]) for p in hook.payloads()] == [("firing", "notification")]
    clock.advance(minutes=30)
    await settle(restarted)
    assert len(hook.payloads()) == 1, "sent once; a third engine would not send it again"
    with services.db.session() as session:
        [alert] = session.scalars(select(Alert)).all()
    assert alert.notified == "firing"


async def test_a_resolution_owed_when_the_engine_stops_is_sent_by_the_next_one(
    services: Services, make_engine: EngineFactory, clock: ManualClock, estate: Estate, hook: HttpReceiver
) -> None:
    save_routing(services, webhook_routing(hook, group_wait="0s", group_interval="5m"))
    engine = make_engine(UNREACHABLE)
    await poll_fails(engine, estate.core)
    await settle(engine)
    assert [p["status"] for p in hook.payloads()] == ["firing"]
    await poll_answers(engine, estate.core)  # resolved; the group sends again after group_interval
    await settle(engine)
    await engine.stop()
    assert [p["status"] for p in hook.payloads()] == ["firing"]

    restarted = make_engine(UNREACHABLE)
    clock.advance(minutes=6)
    await settle(restarted)
    assert [p["status"] for p in hook.payloads()] == ["firing", "resolved"]
    await restarted.stop()
    again = make_engine(UNREACHABLE)
    clock.advance(minutes=10)
    await settle(again)
    assert [p["status"] for p in hook.payloads()] == ["firing", "resolved"], "owed once, sent once"


async def test_a_resolved_notification_waits_while_the_firing_one_of_its_alert_backs_off(
    services: Services, make_engine: EngineFactory, clock: ManualClock, estate: Estate, hook: HttpReceiver
) -> None:
    save_routing(services, webhook_routing(hook, group_wait="0s", group_interval="0s"))
    hook.failing = True  # the FIRING is refused for now (503) and backs off
    engine = make_engine(UNREACHABLE)
    await poll_fails(engine, estate.core)
    await settle(engine)
    hook.failing = False
    await poll_answers(engine, estate.core)
    await settle(engine)
    assert [row.payload["status"] for row in outbox(services)] == ["firing", "resolved"]
    assert hook.payloads() == [], "the RESOLVED is due, but its FIRING is still backing off"
    clock.advance(seconds=10)
    await settle(engine)
    assert [p["status"] for p in hook.payloads()] == ["firing", "resolved"]


async def test_a_webhook_refusing_for_good_is_not_retried_and_raises_an_alert(
    services: Services, make_engine: EngineFactory, clock: ManualClock, estate: Estate, hook: HttpReceiver
) -> None:
    save_routing(services, webhook_routing(hook, group_wait="0s"))
    hook.refuse_with = 400  # e.g. the bridge no longer accepts our payload
    engine = make_engine(WITH_REFUSALS)
    await poll_fails(engine, estate.core)
    await settle(engine)
    assert hook.refused == 1
    clock.advance(hours=1)
    await settle(engine)
    assert hook.refused == 2, "only the engine's own alert about the refusal was tried; no retries"
    rows = outbox(services)
    assert [row.status for row in rows] == ["failed", "failed"]
    assert "400" in (rows[0].last_error or "") and rows[0].attempts == 1
    with services.db.session() as session:
        raised = session.scalars(select(Alert).where(Alert.rule_name == "notification-refused")).all()
    assert [(a.state, a.labels.get("receiver")) for a in raised] == [("firing", "ops-hook")]

    hook.refuse_with = None
    await poll_answers(engine, estate.core)  # the next notification is accepted: the alert clears
    await settle(engine)
    clock.advance(hours=1)
    await settle(engine)
    with services.db.session() as session:
        states = list(session.scalars(select(Alert.state).where(Alert.rule_name == "notification-refused")))
    assert states == ["resolved"]


async def test_a_webhook_answering_429_or_408_is_retried(
    services: Services, make_engine: EngineFactory, clock: ManualClock, estate: Estate, hook: HttpReceiver
) -> None:
    save_routing(services, webhook_routing(hook, group_wait="0s"))
    hook.refuse_with = 429
    engine = make_engine(UNREACHABLE)
    await poll_fails(engine, estate.core)
    await settle(engine)
    hook.refuse_with = 408
    clock.advance(seconds=6)
    await settle(engine)
    hook.refuse_with = None
    clock.advance(seconds=11)
    await settle(engine)
    assert hook.refused == 2 and len(hook.payloads()) == 1
    assert [row.status for row in outbox(services)] == ["delivered"]


async def test_a_mail_relay_answering_5xx_is_not_retried(
    services: Services, make_engine: EngineFactory, clock: ManualClock, estate: Estate, smtp: SmtpServer
) -> None:
    save_routing(
        services,
        {
            "receivers": [{"name": "noc-mail", "email": smtp.config()}],
            "route": {"receiver": "noc-mail", "group_wait": "0s"},
        },
    )
    smtp.refuse_with = "550 5.1.1 Hộp thư không tồn tại / mailbox unavailable"
    engine = make_engine(WITH_REFUSALS)
    await poll_fails(engine, estate.core)
    await settle(engine)
    clock.advance(hours=2)
    await settle(engine)
    [first, *_] = outbox(services)
    assert first.status == "failed" and first.attempts == 1 and "550" in (first.last_error or "")
    assert smtp.refused == 2, "the alert and the engine's alert about it, each tried once"


async def test_a_mail_relay_answering_4xx_is_retried(
    services: Services, make_engine: EngineFactory, clock: ManualClock, estate: Estate, smtp: SmtpServer
) -> None:
    save_routing(
        services,
        {
            "receivers": [{"name": "noc-mail", "email": smtp.config()}],
            "route": {"receiver": "noc-mail", "group_wait": "0s"},
        },
    )
    smtp.refuse_with = "451 4.3.0 thử lại sau / try again later"
    engine = make_engine(UNREACHABLE)
    await poll_fails(engine, estate.core)
    await settle(engine)
    smtp.refuse_with = None
    clock.advance(seconds=6)
    await settle(engine)
    assert len(smtp.received) == 1
    assert [row.status for row in outbox(services)] == ["delivered"]


def test_refused_notifications_are_listed_by_the_api_and_not_to_agency_tokens(
    services: Services, admin: TestClient, make_token: TokenFactory, estate: Estate
) -> None:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    with services.db.session() as session:
        for n, status in enumerate(("failed", "delivered", "pending")):
            session.add(
                OutboxMessage(
                    receiver="ops-hook",
                    dedup_key=f"k{n}",
                    payload={"title": f"[FIRING:1] rule-{n}"},
                    status=status,
                    attempts=1,
                    last_error="DeliveryError: webhook answered 400" if status == "failed" else None,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    failed = admin.get("/api/v1/alert-outbox", params={"status": "failed"})
    assert failed.status_code == 200, failed.text
    [row] = failed.json()["results"]
    assert (row["title"], row["status"], row["last_error"]) == (
        "[FIRING:1] rule-0",
        "failed",
        "DeliveryError: webhook answered 400",
    )
    assert admin.get("/api/v1/alert-outbox").json()["count"] == 3
    assert admin.get("/api/v1/alert-outbox", params={"status": "burning"}).status_code == 422
    scoped = make_token("operator", "scoped", agency_id=estate.agency_id)
    refused = admin.get("/api/v1/alert-outbox", headers={"Authorization": f"Bearer {scoped}"})
    assert refused.status_code == 403
