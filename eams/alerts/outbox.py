"""The durable outbox: notifications are rows in the database before anyone tries to send them.

- Written in the same transaction as the alert change that caused them, so a crash loses none.
- `(receiver, dedup_key)` is unique: queueing the same notification again stores it once.
- A row is marked delivered only after its channel accepted it; a failure schedules a retry with
  exponential backoff (capped) and keeps the error; a permanent refusal marks it `failed`.
- One group's rows to one receiver are delivered in the order they were queued.
- Delivery is therefore at least once; the key travels with the message (Idempotency-Key,
  Message-ID) so receivers can drop a repeat.
- Any engine over the same database delivers what another queued (restart, fail-over).
- With several instances at once, one delivers at a time: `gate` (a cluster-wide advisory lock,
  `eams.cluster.singleton.JobLock`) is asked before each pass. One deliverer keeps the order
  per group without row claims, and a row another instance sent and did not mark (killed
  mid-send) is sent again by the next holder under the same key: at least once, de-duplicated
  by the receiver.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from eams.alerts.clock import Clock
from eams.alerts.dispatch.groups import OutboxItem
from eams.alerts.models import OutboxMessage
from eams.alerts.notify.base import Channel, DeliveryError, Notification
from inventory.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    first: float = 5.0
    factor: float = 2.0
    cap: float = 900.0

    def delay(self, attempts: int) -> float:
        return min(self.cap, self.first * self.factor ** max(0, attempts - 1))


def enqueue(session: Session, items: list[OutboxItem], now: datetime) -> list[OutboxMessage]:
    """Store items not stored yet (by receiver and key); returns the rows added."""
    if not items:
        return []
    keys = {(item.receiver, item.dedup_key) for item in items}
    rows = session.execute(
        select(OutboxMessage.receiver, OutboxMessage.dedup_key).where(
            OutboxMessage.dedup_key.in_([k for _, k in keys])
        )
    )
    existing = {(row.receiver, row.dedup_key) for row in rows}
    added: list[OutboxMessage] = []
    for item in items:
        identity = (item.receiver, item.dedup_key)
        if identity in existing:
            continue
        existing.add(identity)
        row = OutboxMessage(
            receiver=item.receiver,
            dedup_key=item.dedup_key,
            payload=item.payload,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            order_key=item.order_key or None,
        )
        session.add(row)
        added.append(row)
    return added


RunInWorker = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Refused:
    """A channel's failure: the reason, and whether retrying could ever help."""

    reason: str
    permanent: bool


class OutboxDeliverer:
    """Sends due rows through their receivers' channels and records the outcome.

    Database work goes through `run` (the alert engine's worker thread), never on the event loop;
    only the sends themselves are awaited on the loop. Rows of one group to one receiver go out
    in the order they were queued: a row waits while an earlier one of its group is pending
    (backing off), so a RESOLVED never arrives before its FIRING. A permanent refusal (SMTP 5xx,
    a webhook's 4xx other than 408/429) is not retried: the row becomes `failed` and
    `on_refused` raises it."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        channels: Callable[[], Mapping[str, Channel]],
        backoff: Backoff | None = None,
        batch: int = 200,
        run: RunInWorker | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.channels = channels
        self.backoff = backoff or Backoff()
        self.batch = batch
        self.run: RunInWorker = run or asyncio.to_thread
        self.delivered = 0
        self.failed = 0
        self.refused = 0
        # Hook for benchmarks and metrics: called with the row id once a channel accepted it.
        self.on_delivered: Callable[[int], None] | None = None
        # Called (on the event loop) with the receiver and the reason of a permanent refusal, and
        # with (receiver, None) when that receiver next accepts a notification.
        self.on_refused: Callable[[str, str | None], Awaitable[None]] | None = None
        self._refusing: set[str] = set()
        # Asked (in the worker thread) before each pass: False while another instance delivers.
        self.gate: Callable[[], bool] | None = None

    def due_rows(self, now: datetime) -> list[OutboxMessage]:
        if self.gate is not None and not self.gate():
            return []
        earlier = aliased(OutboxMessage)
        waits_for_earlier = (
            select(earlier.id)
            .where(
                earlier.receiver == OutboxMessage.receiver,
                earlier.order_key == OutboxMessage.order_key,
                earlier.status == "pending",
                earlier.id < OutboxMessage.id,
            )
            .exists()
        )
        with self.db.session() as session:
            return list(
                session.scalars(
                    select(OutboxMessage)
                    .where(
                        OutboxMessage.status == "pending",
                        OutboxMessage.next_attempt_at <= now,
                        ~waits_for_earlier,
                    )
                    .order_by(OutboxMessage.id)
                    .limit(self.batch)
                )
            )

    async def deliver_due(self) -> int:
        """One pass over due rows; returns how many were delivered."""
        rows = await self.run(self.due_rows, self.clock.now())
        if not rows:
            return 0
        channels = self.channels()
        outcomes: dict[int, Refused | None] = {}
        for row in rows:
            channel = channels.get(row.receiver)
            if channel is None:
                outcomes[row.id] = Refused(f"receiver {row.receiver!r} is not configured", False)
                continue
            try:
                await channel.send(Notification(row.receiver, row.dedup_key, row.payload))
                outcomes[row.id] = None
                if self.on_delivered is not None:
                    self.on_delivered(row.id)
            except Exception as exc:  # the row keeps the reason; retried unless refused for good
                permanent = isinstance(exc, DeliveryError) and exc.permanent
                outcomes[row.id] = Refused(f"{type(exc).__name__}: {exc}"[:2000], permanent)
        await self.run(self.record_outcomes, rows, outcomes, self.clock.now())
        await self._raise_refusals(rows, outcomes)
        delivered = sum(1 for row in rows if outcomes[row.id] is None)
        self.delivered += delivered
        self.failed += len(rows) - delivered
        return delivered

    def record_outcomes(
        self, rows: list[OutboxMessage], outcomes: Mapping[int, Refused | None], done: datetime
    ) -> None:
        sent = [row.id for row in rows if outcomes[row.id] is None]
        with self.db.session() as session:
            if sent:  # one statement for every success; only pending rows (another engine may race)
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(sent), OutboxMessage.status == "pending")
                    .values(
                        status="delivered",
                        delivered_at=done,
                        attempts=OutboxMessage.attempts + 1,
                        last_error=None,
                    )
                )
            for row in rows:
                refused = outcomes[row.id]
                if refused is None:
                    continue
                attempts = row.attempts + 1
                values: dict[str, Any] = {"attempts": attempts, "last_error": refused.reason}
                if refused.permanent:
                    values["status"] = "failed"
                    log.error(
                        "notification %s to %s refused for good, not retried: %s",
                        row.id, row.receiver, refused.reason,
                    )  # fmt: skip
                else:
                    values["next_attempt_at"] = done + timedelta(seconds=self.backoff.delay(attempts))
                    log.warning(
                        "notification %s to %s failed (attempt %d): %s",
                        row.id, row.receiver, attempts, refused.reason,
                    )  # fmt: skip
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == row.id, OutboxMessage.status == "pending")
                    .values(**values)
                )

    async def _raise_refusals(
        self, rows: list[OutboxMessage], outcomes: Mapping[int, Refused | None]
    ) -> None:
        for row in rows:
            refused = outcomes[row.id]
            if refused is not None and refused.permanent:
                self.refused += 1
                self._refusing.add(row.receiver)
                if self.on_refused is not None:
                    await self.on_refused(row.receiver, refused.reason)
            elif refused is None and row.receiver in self._refusing:
                self._refusing.discard(row.receiver)
                if self.on_refused is not None:
                    await self.on_refused(row.receiver, None)

    async def drain(self, passes: int = 10) -> int:
        """Deliver until nothing is due (bounded), e.g. in tests after moving the clock."""
        total = 0
        for _ in range(passes):
            sent = await self.deliver_due()
            total += sent
            if sent == 0:
                break
        return total
