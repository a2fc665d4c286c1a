"""The SNMP trap receiver, when `trap.listen` (EAMS_TRAP_LISTEN) is set; off otherwise, so that a
default `eams serve` needs no root. Reachable as `services.extras["traps"]` for the API."""

from __future__ import annotations

from collectors.traps.component import TrapReceiverComponent
from collectors.traps.config import TrapReceiverConfig
from eams.services import Services

EXTRAS_KEY = "traps"


def trap_receiver_component(services: Services) -> TrapReceiverComponent | None:
    config = TrapReceiverConfig.from_section(services.settings.trap)
    if config is None:
        return None
    component = TrapReceiverComponent(config, services.db, services.pipeline, services.singletons)
    services.extras[EXTRAS_KEY] = component
    return component
