"""A device whose agent refuses our SNMPv3 credentials is not "not answering": the poller counts the
refusals in its status (`auth_failures`), and a shipped rule says the credentials were rejected."""

from __future__ import annotations

from datetime import UTC, datetime

import yaml
from sqlalchemy import select

from collectors.snmp.poller import DeviceStatus
from eams.alerts.clock import ManualClock
from eams.alerts.models import Alert
from eams.alerts.rules.loader import DEFAULT_RULES
from eams.services import Services
from tests.alerts.conftest import EngineFactory, Estate, sample


def shipped(*names: str) -> str:
    rules = yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))["rules"]
    return yaml.safe_dump({"rules": [r for r in rules if r["name"] in names]}, allow_unicode=True)


def test_the_poll_status_counts_refused_credentials() -> None:
    status = DeviceStatus(
        "sw-01", 1, datetime.now(UTC), False, 0.1, 0, 1, 0, None, "rejected", auth_failures=1
    )
    assert status.sample({}, 0).fields["auth_failures"] == 1


async def test_rejected_credentials_raise_an_alert_that_says_so(
    services: Services, make_engine: EngineFactory, clock: ManualClock, estate: Estate
) -> None:
    engine = make_engine(shipped("device-unreachable", "snmp-credentials-rejected"))
    refused = {
        "reachable": False,
        "duration_s": 0.1,
        "varbinds": 0,
        "errors": 1,
        "timeouts": 0,
        "auth_failures": 1,
    }
    for _ in range(3):
        await engine.consume_samples(
            [sample("collector", estate.server, refused, tags={"component": "snmp"})]
        )
        clock.advance(seconds=60)
    with services.db.session() as session:
        fired = {a.rule_name: a for a in session.scalars(select(Alert))}
    rejected = fired["snmp-credentials-rejected"]
    assert "SNMPv3 credentials" in rejected.summary and "rejected" in rejected.summary
    assert "SNMPv3" in rejected.summary_vi
