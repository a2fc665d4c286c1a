"""The service's background parts start in order and stop in reverse, also when one fails to start."""

from __future__ import annotations

import pytest

from eams.components import Components
from eams.services import Services


class Part:
    def __init__(self, name: str, log: list[str], fail: bool = False) -> None:
        self.name, self.log, self.fail = name, log, fail

    async def start(self) -> None:
        if self.fail:
            raise OSError(f"{self.name} cannot bind its port")
        self.log.append(f"start {self.name}")

    async def stop(self) -> None:
        self.log.append(f"stop {self.name}")


async def test_a_failed_start_stops_what_already_runs_in_reverse(services: Services) -> None:
    log: list[str] = []
    parts = [Part("sink", log), Part("alerts", log), Part("traps", log, fail=True), Part("poller", log)]
    components = Components(services, factories=[lambda _s, p=p: p for p in parts])  # type: ignore[misc]
    with pytest.raises(OSError, match="traps cannot bind"):
        await components.start()
    assert log == ["start sink", "start alerts", "stop alerts", "stop sink"]
    assert components.running == []


async def test_stop_runs_in_reverse_order_of_start(services: Services) -> None:
    log: list[str] = []
    parts = [Part("sink", log), Part("alerts", log), Part("poller", log)]
    components = Components(services, factories=[lambda _s, p=p: p for p in parts])  # type: ignore[misc]
    await components.start()
    await components.stop()
    assert log == ["start sink", "start alerts", "start poller", "stop poller", "stop alerts", "stop sink"]
