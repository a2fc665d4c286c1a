"""What reaches people: dependency suppression, silences and maintenance windows, escalation of
unacknowledged alerts to the next receiver, and the outbox that survives a receiver outage and a
service restart. Real SMTP (STARTTLS + AUTH) and a real HTTP receiver on loopback."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from eams.alerts.clock import ManualClock
from eams.alerts.models import Alert, AlertHistory, OutboxMessage, Silence
from eams.alerts.notify.webhook import verify
from eams.services import Services
from tests.alerts.conftest import (
    HOOK_SECRET,
    EngineFactory,
    Estate,
    sample,
    save_routing,
    settle,
    webhook_routing,
)
from tests.alerts.receivers import HttpReceiver, SmtpServer

UNREACHABLE = """
rules:
  - name: device-unreachable
    kind: unreachable
    measurement: collector
    field: reachable
    failures: 2
    severity: critical
    summary:
      en: "{device} ({site}, {agency}) does not answer. Affected systems: {systems}"
      vi: "{device} ({site}, {agency}) không phản hồi. Hệ thống bị ảnh hưởng: {systems}"
"""


def alerts(services: Services) -> dict[str, Alert]:
    with services.db.session() as session:
        return {a.labels["device"]: a for a in session.scalars(select(Alert).order_by(Alert.id))}


async def poll_fails(engine: object, *device_ids: int, times: int = 2) -> None:
    for _ in range(times):
        await engine.consume_samples(  # type: ignore[attr-defined]
            [sample("collector", d, {"reachable": False, "timeouts": 3}) for d in device_ids]
        )


async def test_alerts_behind_a_down_core_switch_are_suppressed_and_the_root_cause_notified_once(
    services: Services, make_engine: EngineFactory, clock: ManualClock, estate: Estate, hook: HttpReceiver
) -> None:
    save_routing(services, webhook_routing(hook))
    engine = make_engine(UNREACHABLE)
    await poll_fails(engine, estate.server, estate.access, estate.core)

    recorded = alerts(services)
    assert set(recorded) == {"sw-core-01", "sw-access-01", "srv-app-01"}, "every alert is recorded"
    assert not recorded["sw-core-01"].suppressed
    assert recorded["sw-access-01"].suppressed_by == "sw-core-01 unreachable"
    assert recorded["srv-app-01"].suppressed_by == "sw-core-01 unreachable", "followed transitively"

    clock.advance(seconds=30)
    await settle(engine)
    clock.advance(hours=1)
    await settle(engine)
    notified = [(a["device"], p["reason"]) for p in hook.payloads() for a in p["alerts"]]
    assert notified == [("sw-core-01", "notification")], "only the root cause, and once within an hour"
    assert hook.payloads()[0]["alerts"][0]["summary_vi"].startswith(
        "sw-core-01 (Trung tâm dữ liệu tỉnh, Sở Y tế)"
    )


async def test_a_silence_mutes_notifications_but_the_alert_is_recorded(
    services: Services, make_engine: EngineFactory, clock: ManualClock, estate: Estate, hook: HttpReceiver
) -> None:
    save_routing(services, webhook_routing(hook, group_wait="0s"))
    with services.db.session() as session:
        session.add(
            Silence(
                matchers=[
                    {"name": "site", "value": "Trung tâm dữ liệu tỉnh"},
                    {"name": "role", "value": "server"},
                ],
                starts_at=clock.now() - timedelta(minutes=1),
                ends_at=clock.now() + timedelta(hours=1),
                comment="thay ổ cứng",
            )
        )
    engine = make_engine(UNREACHABLE)
    await poll_fails(engine, estate.server, estate.core)
    await settle(engine)
    recorded = alerts(services)
    assert recorded["srv-app-01"].silenced and recorded["srv-app-01"].state == "firing"
    assert [a["device"] for p in hook.payloads() for a in p["alerts"]] == ["sw-core-01"]

    clock.advance(hours=1, minutes=1)  # the silence ended while the server is still down
    await settle(engine)
    assert not alerts(services)["srv-app-01"].silenced
    assert [a["device"] for p in hook.payloads() for a in p["alerts"]] == ["sw-core-01", "srv-app-01"]


async def test_a_weekly_maintenance_window_mutes_only_while_it_is_open(
    services: Services, make_engine: EngineFactory, clock: ManualClock, estate: Estate, hook: HttpReceiver
) -> None:
    from datetime import UTC, datetime

    save_routing(services, webhook_routing(hook, group_wait="0s", group_interval="0s"))
    # Saturdays 22:00-02:00 Hanoi time (15:00-19:00 UTC), for devices tagged core.
    with services.db.session() as session:
        session.add(
            Silence(
                kind="maintenance",
                matchers=[{"name": "tag", "value": "core"}],
                starts_at=datetime(2026, 1, 1, tzinfo=UTC),
                ends_at=None,
                recurrence={
                    "weekdays": [5],
                    "start": "22:00",
                    "duration": "4h",
                    "timezone": "Asia/Ho_Chi_Minh",
                },
                comment="bảo trì định kỳ",
            )
        )
    clock.set(datetime(2026, 1, 10, 18, 30, tzinfo=UTC))  # Sunday 01:30 in Hanoi: inside the window
    engine = make_engine(UNREACHABLE)
    await poll_fails(engine, estate.core)
    await settle(engine)
    assert alerts(services)["sw-core-01"].silenced
    assert hook.requests == []

    clock.set(datetime(2026, 1, 10, 19, 5, tzinfo=UTC))  # 02:05: the window has closed
    await settle(engine)
    assert [a["device"] for p in hook.payloads() for a in p["alerts"]] == ["sw-core-01"]


async def test_unacknowledged_alerts_escalate_to_the_next_receiver_and_acknowledged_ones_do_not(
    services: Services,
    make_engine: EngineFactory,
    clock: ManualClock,
    estate: Estate,
    hook: HttpReceiver,
    smtp: SmtpServer,
) -> None:
    save_routing(
        services,
        {
            "receivers": [
                {"name": "ops-hook", "webhook": {"url": hook.url, "secret": HOOK_SECRET}},
                {"name": "duty-manager", "email": smtp.config("truc-ca@so-khcn.example.gov.vn")},
            ],
            "route": {
                "receiver": "ops-hook",
                "group_by": ["alertname", "device"],
                "group_wait": "0s",
                "escalate": [{"after": "30m", "receiver": "duty-manager"}],
            },
        },
    )
    engine = make_engine(UNREACHABLE)
    await poll_fails(engine, estate.core, estate.server)
    await settle(engine)
    acked_id = alerts(services)["srv-app-01"].id
    with services.db.session() as session:  # an API worker in another process acknowledges it
        session.execute(
            update(Alert).where(Alert.id == acked_id).values(acked_by="an", ack_comment="đang xử lý")
        )
        session.add(
            AlertHistory(alert_id=acked_id, action="acknowledged", actor="token:an", detail="đang xử lý")
        )

    clock.advance(minutes=29)
    await settle(engine)
    assert smtp.received == []
    clock.advance(minutes=2)
    await settle(engine)
    [mail] = smtp.received
    assert mail.over_tls and mail.authenticated_as == "eams"
    assert mail.message["To"] == "truc-ca@so-khcn.example.gov.vn"
    assert mail.message["Subject"].startswith("[ESCALATED] [FIRING:1] device-unreachable sw-core-01")
    assert "sw-core-01 (Trung tâm dữ liệu tỉnh, Sở Y tế) không phản hồi" in mail.text
    assert alerts(services)["sw-core-01"].escalation_level == 1
    assert alerts(services)["srv-app-01"].escalation_level == 0, "acknowledged: no escalation"
    clock.advance(hours=2)
    await settle(engine)
    assert len(smtp.received) == 1, "one escalation step configured, sent once"


async def test_outbox_keeps_notifications_through_a_smtp_outage_and_a_service_restart(
    services: Services, make_engine: EngineFactory, clock: ManualClock, estate: Estate, smtp: SmtpServer
) -> None:
    save_routing(
        services,
        {
            "receivers": [{"name": "noc-mail", "email": smtp.config()}],
            "route": {"receiver": "noc-mail", "group_wait": "0s"},
        },
    )
    smtp.stop()  # the mail relay is down
    engine = make_engine(UNREACHABLE)
    await poll_fails(engine, estate.core)
    await settle(engine)
    clock.advance(seconds=30)
    await settle(engine)
    with services.db.session() as session:
        [queued] = session.scalars(select(OutboxMessage)).all()
    assert queued.status == "pending" and queued.attempts == 2 and "SMTP" in (queued.last_error or "")
    await engine.stop()  # the service stops with the notification still undelivered

    smtp.start()  # the relay is back, on the same address
    restarted = make_engine(UNREACHABLE)
    clock.advance(minutes=1)
    assert await restarted.deliver() == 1
    [mail] = smtp.received
    assert mail.message["Message-ID"] == f"<{queued.dedup_key}@so-khcn.example.gov.vn>"
    assert "[FIRING:1] device-unreachable sw-core-01" in mail.message["Subject"]
    clock.advance(hours=1)
    assert await restarted.deliver() == 0, "delivered rows are not sent again"
    await poll_fails(restarted, estate.core)  # still down: the same alert, not a new notification
    await settle(restarted)
    assert len(smtp.received) == 1
    with services.db.session() as session:
        actions = list(session.scalars(select(AlertHistory.action).order_by(AlertHistory.id)))
    assert actions == ["firing"]


async def test_webhook_is_signed_and_retried_until_the_receiver_accepts_it(
    services: Services, make_engine: EngineFactory, clock: ManualClock, estate: Estate, hook: HttpReceiver
) -> None:
    save_routing(services, webhook_routing(hook, group_wait="0s"))
    hook.failing = True
    engine = make_engine(UNREACHABLE)
    await poll_fails(engine, estate.core)
    await settle(engine)
    assert hook.requests == []
    hook.failing = False
    await settle(engine)
    assert hook.requests == [], "backoff: not retried before its time"
    clock.advance(seconds=10)
    await settle(engine)
    [request] = hook.requests
    signature = request.headers["X-EAMS-Signature"]
    assert verify(HOOK_SECRET, request.headers["X-EAMS-Timestamp"], request.body, signature)
    assert not verify("another secret", request.headers["X-EAMS-Timestamp"], request.body, signature)
    assert request.headers["Idempotency-Key"] == request.json()["key"]


async def test_changes_the_database_refused_are_recorded_and_notified_when_it_is_back(
    services: Services, make_engine: EngineFactory, clock: ManualClock, estate: Estate, hook: HttpReceiver
) -> None:
    import pytest
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    save_routing(services, webhook_routing(hook, group_wait="0s"))
    engine = make_engine(UNREACHABLE)
    refusing = True

    def refuse_alert_inserts(conn: object, cursor: object, statement: str, *args: object) -> None:
        # The database itself failing mid-transaction (disk full, server gone), as the driver reports it.
        if refusing and statement.lstrip().upper().startswith("INSERT INTO ALERT "):
            raise OperationalError(statement, None, Exception("database is unavailable"))

    event.listen(services.db.engine, "before_cursor_execute", refuse_alert_inserts)
    try:
        with pytest.raises(OperationalError):
            await poll_fails(engine, estate.core)
        assert alerts(services) == {}
        refusing = False
        await settle(engine)
    finally:
        event.remove(services.db.engine, "before_cursor_execute", refuse_alert_inserts)
    assert alerts(services)["sw-core-01"].state == "firing"
    assert [a["device"] for p in hook.payloads() for a in p["alerts"]] == ["sw-core-01"]


async def test_firing_alerts_repeat_every_repeat_interval_until_acknowledged(
    services: Services, make_engine: EngineFactory, clock: ManualClock, estate: Estate, hook: HttpReceiver
) -> None:
    save_routing(services, webhook_routing(hook, group_wait="0s", repeat_interval="1h"))
    engine = make_engine(UNREACHABLE)
    await poll_fails(engine, estate.core)
    await settle(engine)
    clock.advance(minutes=59)
    await settle(engine)
    assert [p["reason"] for p in hook.payloads()] == ["notification"]
    clock.advance(minutes=2)
    await settle(engine)
    assert [p["reason"] for p in hook.payloads()] == ["notification", "repeat:1"]
    assert len({r.headers["Idempotency-Key"] for r in hook.requests}) == 2, "a repeat is a new delivery"

    engine.acknowledged(alerts(services)["sw-core-01"].fingerprint)
    clock.advance(hours=3)
    await settle(engine)
    assert len(hook.payloads()) == 2, "acknowledged: no more repeats"


async def test_delivered_notifications_are_purged_after_the_retention_and_pending_ones_never(
    services: Services, make_engine: EngineFactory, clock: ManualClock, estate: Estate, hook: HttpReceiver
) -> None:
    save_routing(services, webhook_routing(hook, group_wait="0s"))
    engine = make_engine(UNREACHABLE)
    await poll_fails(engine, estate.core)
    await settle(engine)
    hook.failing = True
    await poll_fails(engine, estate.server)
    await settle(engine)
    clock.advance(days=31)
    assert engine.purge_outbox() == 1
    with services.db.session() as session:
        left = [(m.status, m.payload["alerts"][0]["device"]) for m in session.scalars(select(OutboxMessage))]
    assert left == [("pending", "srv-app-01")]
