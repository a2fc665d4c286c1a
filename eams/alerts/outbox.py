"""The durable outbox: notifications are rows in the database before anyone tries to send them.

- Written in the same transaction as the alert change that caused them, so a crash loses none.
- `(receiver, dedup_key)` is unique: queueing the same notification again stores it once.
- A row is marked delivered only after its channel accepted it; a failure schedules a retry with
  exponential backoff (capped) and keeps the error. Delivery is therefore at least once; the key
  travels with the message (Idempotency-Key, Message-ID) so receivers can drop a repeat.
- Any engine over the same database delivers what another queued (restart, fail-over).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from eams.alerts.clock import Clock
from eams.alerts.dispatch.groups import OutboxItem
from eams.alerts.models import OutboxMessage
from eams.alerts.notify.base import Channel, Notification
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
        )
        session.add(row)
        added.append(row)
    return added


class OutboxDeliverer:
    """Sends due rows through their receivers' channels and records the outcome."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        channels: Callable[[], Mapping[str, Channel]],
        backoff: Backoff | None = None,
        batch: int = 200,
    ) -> None:
        self.db = db
        self.clock = clock
        self.channels = channels
        self.backoff = backoff or Backoff()
        self.batch = batch
        self.delivered = 0
        self.failed = 0
        # Hook for benchmarks and metrics: called with the row id once a channel accepted it.
        self.on_delivered: Callable[[int], None] | None = None

    async def deliver_due(self) -> int:
        """One pass over due rows; returns how many were delivered."""
        now = self.clock.now()
        with self.db.session() as session:
            rows = list(
                session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
                    .order_by(OutboxMessage.id)
                    .limit(self.batch)
                )
            )
        if not rows:
            return 0
        channels = self.channels()
        outcomes: dict[int, str | None] = {}
        for row in rows:
            channel = channels.get(row.receiver)
            if channel is None:
                outcomes[row.id] = f"receiver {row.receiver!r} is not configured"
                continue
            try:
                await channel.send(Notification(row.receiver, row.dedup_key, row.payload))
                outcomes[row.id] = None
                if self.on_delivered is not None:
                    self.on_delivered(row.id)
            except Exception as exc:  # any failure is retried; the row keeps the reason
                outcomes[row.id] = f"{type(exc).__name__}: {exc}"[:2000]
        done = self.clock.now()
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
                error = outcomes[row.id]
                if error is None:
                    continue
                attempts = row.attempts + 1
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == row.id, OutboxMessage.status == "pending")
                    .values(
                        attempts=attempts,
                        last_error=error,
                        next_attempt_at=done + timedelta(seconds=self.backoff.delay(attempts)),
                    )
                )
                log.warning(
                    "notification %s to %s failed (attempt %d): %s", row.id, row.receiver, attempts, error
                )
        delivered = len(sent)
        self.delivered += delivered
        self.failed += len(rows) - delivered
        return delivered

    async def drain(self, passes: int = 10) -> int:
        """Deliver until nothing is due (bounded), e.g. in tests after moving the clock."""
        total = 0
        for _ in range(passes):
            sent = await self.deliver_due()
            total += sent
            if sent == 0:
                break
        return total
