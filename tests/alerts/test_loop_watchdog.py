"""The event loop's lag, recorded and alerted: blocking work on the loop shows as a `collector`
point (component `event_loop`) through the pipeline, and the shipped `event-loop-lagging` rule
fires in a real engine while the worst lag of an interval is past the bound, and resolves after."""

from __future__ import annotations

import time

from sqlalchemy import select

from collectors.samples import Event, Sample
from eams.alerts.models import Alert
from eams.components.loop_watch import LoopLagWatchdog
from eams.services import Services
from tests.alerts.conftest import EngineFactory
from tests.alerts.test_delivery_order_and_refusals import shipped_rule
from tests.support.peers import until


class Recorder:
    name = "recorder"

    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.events: list[Event] = []

    async def consume_samples(self, samples: list[Sample]) -> None:
        self.samples.extend(samples)

    async def consume_event(self, event: Event) -> None:
        self.events.append(event)


async def test_a_blocked_loop_is_recorded_as_lag_and_raises_the_shipped_alert(
    services: Services, make_engine: EngineFactory
) -> None:
    engine = make_engine("rules:\n" + shipped_rule("event-loop-lagging"))
    recorder = Recorder()
    services.pipeline.add_sample_consumer(recorder)
    services.pipeline.add_event_consumer(recorder)
    services.pipeline.add_event_consumer(engine)
    watchdog = LoopLagWatchdog(services, alert_s=0.5, report_s=0.5)

    def states() -> list[str]:
        with services.db.session() as session:
            return list(session.scalars(select(Alert.state).where(Alert.rule_name == "event-loop-lagging")))

    await watchdog.start()
    try:
        await until(lambda: recorder.samples, "a first lag point")
        time.sleep(1.5)  # blocking work on the event loop
        await until(lambda: any(e.name == "loop_lagging" for e in recorder.events), "the lagging event")
        with services.db.session() as session:
            [alert] = session.scalars(select(Alert).where(Alert.rule_name == "event-loop-lagging")).all()
        assert alert.state == "firing" and "late" in alert.summary
        # About the service itself, not an inventory device: named "eams", not "unknown"; and so
        # is what a restart restores from the row (what a notification after it would carry).
        assert alert.device_id is None and alert.labels["device"] == "eams"
        assert engine.recorder.snapshot_from_row(alert).body["device"] == "eams"
        await until(lambda: any(e.name == "loop_ok" for e in recorder.events), "the loop back on time")
        # Before stopping the watchdog: stopping cancels a report still handing its event on to the
        # consumers after the recorder (the engine), and the engine records on its worker thread.
        await until(lambda: states() == ["resolved"], "the engine recording the loop back on time")
    finally:
        await watchdog.stop()
    points = [s for s in recorder.samples if s.tags.get("component") == "event_loop"]
    assert max(float(s.fields["max_lag_s"]) for s in points) >= 1.0
    assert watchdog.max_lag_s >= 1.0
    assert states() == ["resolved"]
