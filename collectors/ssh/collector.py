"""The SSH collector: backs up configurations, gathers facts and polls Linux servers, many devices
at once in a bounded thread pool, and publishes what it finds on its context's pipeline.

netmiko is synchronous, so each device's whole job (session, parsing, database writes) runs in a
worker thread; the event loop only awaits the results and publishes samples and events.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete

from collectors.context import CollectorContext
from collectors.samples import Event, Sample, Severity
from collectors.ssh import backup, hostkeys
from collectors.ssh.config import SshConfig
from collectors.ssh.errors import ConnectTimeout, HostKeyChanged, NotConfigured, SshError
from collectors.ssh.facts import observed_device, read_facts, read_neighbours
from collectors.ssh.linux import linux_samples, metrics_script
from collectors.ssh.models import CommandOutput
from collectors.ssh.parsing import CommandResult, parse
from collectors.ssh.platforms import Platform, PlatformRegistry, load_registry
from collectors.ssh.redaction import clean_config
from collectors.ssh.session import DeviceSession, Timeouts, device_session
from collectors.ssh.target import SshTarget, load_targets
from inventory import discovery
from inventory.models import FactSource

log = logging.getLogger(__name__)

FACT_PURPOSES = ("version", "inventory", "neighbours")


@dataclass(frozen=True, slots=True)
class Want:
    backup: bool = False
    facts: bool = False
    metrics: bool = False


@dataclass
class DeviceOutcome:
    target: SshTarget
    error: SshError | None = None
    version: int | None = None
    changed: bool = False
    facts: dict[str, str] = field(default_factory=dict)
    staged_facts: int = 0
    samples: list[Sample] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None

    def summary(self) -> str:
        if self.error is not None:
            return f"failed ({self.error.kind}): {self.error.message}"
        if self.version is None:
            return "ok"
        return f"version {self.version} stored" if self.changed else f"unchanged (version {self.version})"


class SshCollector:
    def __init__(
        self,
        context: CollectorContext,
        settings: SshConfig | None = None,
        registry: PlatformRegistry | None = None,
    ) -> None:
        self.context = context
        self.settings = settings or SshConfig()
        self.registry = registry or load_registry(self.settings.platforms_dir, self.settings.redactions_file)
        self.timeouts = Timeouts(self.settings.connect_timeout_s, self.settings.read_timeout_s)
        self._pool = ThreadPoolExecutor(max_workers=self.settings.workers, thread_name_prefix="eams-ssh")

    def close(self, wait: bool = False) -> None:
        """Cancel queued device jobs; with `wait`, also wait for the ones running in threads
        (bounded by the SSH timeouts), so that none writes after the service stopped."""
        self._pool.shutdown(wait=wait, cancel_futures=True)

    # --- targets -------------------------------------------------------------------------------
    def targets(
        self, device_ids: Iterable[int] | None = None, platforms: Iterable[str] | None = None
    ) -> tuple[list[SshTarget], list[NotConfigured]]:
        with self.context.db.session() as session:
            return load_targets(session, self.context.secret_box, self.registry, device_ids, platforms)

    # --- running many devices ------------------------------------------------------------------
    async def run(
        self,
        targets: Iterable[SshTarget],
        want: Want,
        on_done: Callable[[DeviceOutcome], None] | None = None,
    ) -> list[DeviceOutcome]:
        """Runs the job on every target (at most `workers` at once), publishes samples and events
        as each device finishes, and returns the outcomes in the targets' order."""

        async def one(target: SshTarget) -> DeviceOutcome:
            outcome = await self._run_one(target, want)
            await self._publish(outcome)
            if on_done is not None:
                on_done(outcome)
            return outcome

        return list(await asyncio.gather(*(one(target) for target in targets)))

    async def _run_one(self, target: SshTarget, want: Want) -> DeviceOutcome:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool, self.device_job, target, want)
        try:
            # The budget counts from submission; a job still queued behind busy workers waits too.
            return await asyncio.wait_for(asyncio.shield(future), self._budget())
        except TimeoutError:
            # The worker thread cannot be killed; netmiko's own timeouts end it soon after.
            error = ConnectTimeout(target.label, f"the device's job took longer than {self._budget():.0f}s")
            return await loop.run_in_executor(None, self._failed, target, want, error)

    def _budget(self) -> float:
        return self.settings.device_timeout_s

    async def _publish(self, outcome: DeviceOutcome) -> None:
        if outcome.samples:
            await self.context.pipeline.publish_samples(outcome.samples)
        for event in outcome.events:
            await self.context.pipeline.publish_event(event)

    # --- one device (worker thread) -------------------------------------------------------------
    def device_job(self, target: SshTarget, want: Want) -> DeviceOutcome:
        """Never raises: one device's surprise must not end the run for the others."""
        try:
            return self._device_job(target, want)
        except SshError as error:
            return self._failed(target, want, error)
        except Exception as exc:
            log.exception("ssh job for %s failed unexpectedly", target.label)
            return self._failed(target, want, SshError(target.label, f"{type(exc).__name__}: {exc}"))

    def _device_job(self, target: SshTarget, want: Want) -> DeviceOutcome:
        platform = self.registry.get(target.platform)
        with self.context.db.session() as session:
            known = hostkeys.known_key(session, target.host, target.port)
        with device_session(target, platform, known, self.timeouts) as device:
            results = self._gather(device, platform, want)
            presented = device.presented_key
        return self._store(target, platform, want, results, presented)

    def _gather(self, device: DeviceSession, platform: Platform, want: Want) -> list[CommandResult]:
        read = self.settings.read_timeout_s
        results: list[CommandResult] = []
        if want.facts:
            for purpose in FACT_PURPOSES:
                for spec in platform.commands_for(purpose):
                    raw = device.run(spec.command, read)
                    results.append(parse(purpose, spec, raw, platform.textfsm_platform))
        if want.backup:
            spec = platform.running_config
            results.append(parse("running_config", spec, device.run(spec.command, read), "none"))
        if want.metrics and platform.metrics:
            raw = device.run(metrics_script(platform.metrics), read, verify_echo=False)
            results.append(CommandResult("metrics", "metrics script", raw, None, "eams:linux", None))
        return results

    def _store(
        self,
        target: SshTarget,
        platform: Platform,
        want: Want,
        results: list[CommandResult],
        presented: hostkeys.HostKey | None,
    ) -> DeviceOutcome:
        outcome = DeviceOutcome(target)
        device_id = target.device_id
        with self.context.db.session(actor="collector:ssh") as session:
            if presented is not None:
                hostkeys.trust(session, target.host, target.port, presented, device_id)
            for result in results:
                if result.purpose == "running_config" and device_id is not None:
                    clean = clean_config(result.raw, platform)
                    stored = backup.store_config(
                        session, device_id, target.name, clean, result.command, platform.name
                    )
                    backup.record_success(session, device_id)
                    outcome.version, outcome.changed = stored.version, stored.changed
                    if stored.changed and stored.previous is not None:
                        outcome.events.append(self._config_changed(target, stored))
                elif result.purpose == "metrics":
                    outcome.samples = linux_samples(result.raw, target.tags, device_id)
                elif device_id is not None:
                    _keep_output(session, device_id, result)
            if want.facts:
                outcome.facts = read_facts(platform, results)
                if device_id is not None:
                    observed = observed_device(platform, outcome.facts, target.host, device_id)
                    staged = discovery.stage_device(session, observed)
                    staged += discovery.stage_neighbours(
                        session, FactSource.ssh, device_id, read_neighbours(platform, results)
                    )
                    outcome.staged_facts = len(staged)
        return outcome

    def _failed(self, target: SshTarget, want: Want, error: SshError) -> DeviceOutcome:
        outcome = DeviceOutcome(target, error=error)
        labels = dict(target.tags)
        if isinstance(error, HostKeyChanged):
            outcome.events.append(
                Event(
                    kind="host_key_changed",
                    name="ssh.host_key_changed",
                    severity=Severity.critical,
                    message=error.message,
                    source=f"{target.host}:{target.port}",
                    device_id=target.device_id,
                    labels=labels,
                    data={"known": error.known, "presented": error.presented},
                )
            )
        if want.backup and target.device_id is not None:
            alert_after = timedelta(seconds=self.settings.backup_alert_after_s)
            with self.context.db.session(actor="collector:ssh") as session:
                since = backup.record_failure(session, target.device_id, str(error), alert_after)
            if since is not None:
                hours = alert_after.total_seconds() / 3600
                outcome.events.append(
                    Event(
                        kind="backup_failed",
                        name="ssh.backup_failed",
                        severity=Severity.warning,
                        message=f"{target.name}: no successful configuration backup in {hours:g} h: "
                        f"{error.message}",
                        source=f"{target.host}:{target.port}",
                        device_id=target.device_id,
                        labels=labels,
                        data={"since": since.isoformat(), "error": error.kind},
                    )
                )
        return outcome

    @staticmethod
    def _config_changed(target: SshTarget, stored: backup.StoredVersion) -> Event:
        return Event(
            kind="config_changed",
            name="ssh.config_changed",
            severity=Severity.warning,
            message=f"{target.name}: configuration changed (version {stored.previous} -> {stored.version})",
            source=f"{target.host}:{target.port}",
            device_id=target.device_id,
            labels=dict(target.tags),
            data={"from_version": stored.previous, "to_version": stored.version, "diff": stored.diff},
        )


def _keep_output(session: Any, device_id: int, result: CommandResult) -> None:
    session.execute(
        delete(CommandOutput).where(
            CommandOutput.device_id == device_id, CommandOutput.command == result.command
        )
    )
    session.add(
        CommandOutput(
            device_id=device_id,
            purpose=result.purpose,
            command=result.command,
            raw=result.raw,
            parsed=result.parsed,
            parser=result.parser,
            parser_version=result.parser_version,
        )
    )
