"""The audit log's tables: append-only records chained by hash, and the chain's head.

Registered in `inventory.model_registry.MODEL_MODULES`; the migration is 0835.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from inventory.models.base import Base


class AuditRecord(Base):
    """One accountable action. Append-only and chained: `hash` covers this row's fields and the
    previous row's `hash` (`prev_hash`), so a changed or removed row breaks the chain
    (`eams audit verify`). `agency_id` is the agency of the object acted on, kept as it was then."""

    __tablename__ = "audit_record"
    __table_args__ = (
        Index("ix_audit_record_actor_user_id", "actor_user_id"),
        Index("ix_audit_record_agency_id", "agency_id"),
        Index("ix_audit_record_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, doc="Its place in the chain")
    time: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(150))
    actor_user_id: Mapped[int | None]
    actor_token_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(100), index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    object_type: Mapped[str | None] = mapped_column(String(50))
    object_id: Mapped[int | None]
    object_repr: Mapped[str | None] = mapped_column(String(255))
    agency_id: Mapped[int | None]
    request_id: Mapped[str | None] = mapped_column(String(64), index=True)
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The end of the chain (one row, id 1). Appends lock it, so two writers never fork the chain;
    `anchor_hash` is the hash of the last row removed by retention, where the chain now starts."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    anchor_id: Mapped[int] = mapped_column(default=0, doc="Rows up to this id were pruned")
    anchor_hash: Mapped[str] = mapped_column(String(64))
