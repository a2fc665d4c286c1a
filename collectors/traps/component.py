"""The trap receiver as a background component of the service (or of a remote collector).

Off unless `EAMS_TRAP_LISTEN` is set, so that a default `eams serve` needs no root. It needs only
the database, the pipeline and a `TrapReceiverConfig`; the service wires it (eams/components/traps.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from datetime import timedelta
from typing import Any

from collectors.pipeline import Pipeline
from collectors.senders import SenderDirectory
from collectors.singleton import RunHere, Singletons, run_once
from collectors.traps.config import TrapConfig, TrapReceiverConfig
from collectors.traps.mappings import MappingError, load_mappings
from collectors.traps.processor import TrapProcessor
from collectors.traps.receiver import ReceiverError, TrapReceiver
from collectors.traps.store import TrapStore
from inventory.db import Database

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 600.0
PRUNE_JOB = "traps.prune"  # one instance prunes the shared history (collectors.singleton)


class TrapReceiverComponent:
    name = "trap-receiver"

    def __init__(
        self,
        config: TrapReceiverConfig,
        db: Database,
        pipeline: Pipeline,
        singletons: Singletons | None = None,
    ) -> None:
        self.config = config
        self.singletons = singletons or RunHere()
        self.store = TrapStore(db)
        self.devices = SenderDirectory(db)
        try:
            mappings = load_mappings(config.mappings_dirs)
        except MappingError as exc:
            raise ReceiverError(f"trap mappings are not valid: {exc}") from None
        self.processor = TrapProcessor(mappings, pipeline, self.devices, self.store)
        self.receiver = TrapReceiver(config, self.processor)
        self._pruner: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.receiver.start()
        self._pruner = asyncio.create_task(self._prune_forever(), name="trap-history-pruner")

    async def stop(self) -> None:
        if self._pruner is not None:
            self._pruner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pruner
            self._pruner = None
        await self.receiver.stop()

    async def prune(self) -> None:
        removed = await asyncio.to_thread(
            self.store.prune, timedelta(days=self.config.history_days), self.config.history_max_rows
        )
        if removed:
            log.info("pruned %d old traps", removed)

    async def _prune_forever(self) -> None:
        while True:
            try:
                await run_once(self.singletons, PRUNE_JOB, self.prune)
            except Exception:
                log.exception("pruning the trap history failed")
            await asyncio.sleep(PRUNE_EVERY_S)

    def status(self) -> dict[str, Any]:
        host, port = self.receiver.address
        return {
            "listening": f"{host}:{port}",
            "engine_id": self.receiver.engine_id,
            "accepted": self.receiver.accepted,
            "mapped": self.processor.counts["mapped"],
            "unknown": self.processor.counts["unknown"],
            "dropped": self.receiver.drop_counts(),
            "queue_overflows": self.receiver.queue_overflows,
            "handler_errors": self.receiver.handler_errors,
            "store_errors": self.processor.store_errors,
            "mappings": len(self.processor.mappings),
        }


def preflight(section: TrapConfig) -> str | None:
    """Why the receiver could not start with these settings, in a sentence; None if it can.

    `eams serve` asks before starting, so that a taken or privileged port or a bad mapping file is
    an exit code with a sentence rather than a failed start-up with a traceback.
    """
    config = TrapReceiverConfig.from_section(section)
    if config is None:
        return None
    try:
        load_mappings(config.mappings_dirs)
    except MappingError as exc:
        return f"trap mappings are not valid: {exc}"
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((config.host, config.port))
        except OSError as exc:
            hint = " (ports below 1024 need root or CAP_NET_BIND_SERVICE)" if config.port < 1024 else ""
            return f"cannot listen for SNMP traps on {config.host}:{config.port}: {exc.strerror}{hint}"
    return None
