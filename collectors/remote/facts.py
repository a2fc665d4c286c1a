"""What a remote collector's devices say they are, read at the site and sent as discovered facts.

Every `facts_every_s` (`eams collect --bus --facts-every`, 6 h by default) the collector reads
each of its targets as a discovery sweep reads an address (`collectors.discovery.sweep`: system
group, ENTITY-MIB chassis, interfaces, LLDP/CDP) with the target's own credentials, and turns
each answer into an `Observation` of that inventory device (serial, model, firmware, neighbours).
The bus carries them to the instance leading the device's partition, which stages them for
review (`inventory.discovery.stage_observation`); an identical pending fact is not staged twice,
so reading the same device every round adds nothing until something changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from collectors.discovery.reader import DeviceReport
from collectors.discovery.stage import by_chassis_mac, observed_device, observed_neighbours
from collectors.discovery.sweep import Probe, SweepSettings, probe_address
from collectors.snmp.engine import Engine
from collectors.snmp.poller import PollTarget
from collectors.snmp.profile import ProfileSet
from inventory.discovery import Observation

CONCURRENCY = 16
DEFAULT_FACTS_EVERY_S = 6 * 3600.0


async def read_reports(
    engine: Engine, targets: Sequence[PollTarget], profiles: ProfileSet
) -> list[tuple[PollTarget, DeviceReport]]:
    """The targets that answered, each with what it said (silent ones are left out: a poll
    already reports them unreachable)."""
    limit = asyncio.Semaphore(CONCURRENCY)

    async def one(target: PollTarget) -> tuple[PollTarget, DeviceReport] | None:
        endpoint = target.endpoint
        probe = Probe(target.name, target.credentials, endpoint.port)
        settings = SweepSettings(timeout_s=endpoint.timeout_s, retries=endpoint.retries)
        async with limit:
            report, _error = await probe_address(engine, endpoint.host, [probe], settings, profiles)
        return (target, report) if report is not None else None

    answered = await asyncio.gather(*(one(target) for target in targets))
    return [pair for pair in answered if pair is not None]


def observations(answered: list[tuple[PollTarget, DeviceReport]]) -> list[Observation]:
    """One observation per answering target, about its own inventory device; a neighbour known
    only by its LLDP chassis MAC is named after the target of this round that owns that MAC."""
    owners = by_chassis_mac([report for _target, report in answered])
    return [
        Observation(observed_device(report, target.device_id), tuple(observed_neighbours(report, owners)))
        for target, report in answered
    ]
