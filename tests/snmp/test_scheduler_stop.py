"""Stopping the scheduler while a poll is waiting for its agent: the poll ends first, quietly,
before the engine's sessions are closed (a Ctrl-C on `eams demo` or `eams serve` prints no
traceback)."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest

from collectors.samples import Sample
from collectors.scheduler import PollScheduler
from collectors.snmp.engine import Credentials, Endpoint, SnmpVersion
from collectors.snmp.engines import make_engine
from collectors.snmp.poller import Poller, PollTarget
from collectors.snmp.profile import ProfileSet


async def test_stop_ends_a_poll_in_flight_before_closing_the_engine(caplog: pytest.LogCaptureFixture) -> None:
    # A UDP socket that never answers: the poll waits out its timeout unless it is stopped.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        target = PollTarget(
            name="silent",
            endpoint=Endpoint("127.0.0.1", silent.getsockname()[1], timeout_s=30, retries=0),
            credentials=Credentials(version=SnmpVersion.v2c, community="public"),
            interval_s=60,
        )
        published: list[Sample] = []

        async def publish(samples: list[Sample]) -> None:
            published.extend(samples)

        scheduler = PollScheduler(Poller(make_engine(), ProfileSet.load()), publish, spread=False)
        await scheduler.start()
        scheduler.sync([target])
        for _ in range(200):
            if scheduler.polls_in_flight:
                break
            await asyncio.sleep(0.01)
        assert scheduler.polls_in_flight, "the poll never started"
        with caplog.at_level(logging.ERROR):
            await scheduler.stop()
            await asyncio.sleep(0)
        assert scheduler.polls_in_flight == 0
        assert scheduler.completed == 0 and published == []  # cancelled, not reported as a result
        assert "Traceback" not in caplog.text and "raised an exception" not in caplog.text
